"""The event vocabulary shared by observed and simulated data.

Every row of an event log, observed or simulated, names an :class:`Actor` and an
:class:`EventType`. Each event type carries its CAMEO root code and Goldstein score
(Schrodt 2012, *CAMEO Conflict and Mediation Event Observations Codebook* v1.1b3;
Goldstein 1992, "A Conflict-Cooperation Scale for WEIS Events Data") for import and
export, and our own severity. The Goldstein scale saturates at -10: a two-rocket
volley that lands in the sand and a round of airstrikes that kills four fighters
score alike, so :func:`severity` adds casualties, which is what the escalation
index and ladder in :mod:`escalation.model.ladder` are built on.
"""

from __future__ import annotations

import enum

import numpy as np
import pandas as pd

#: Canonical CSV columns, in order (see ``docs/data.md``).
COLUMNS = (
    "date",
    "actor",
    "group",
    "target",
    "event_type",
    "country",
    "location",
    "projectiles",
    "us_killed",
    "us_injured",
    "others_killed",
    "attribution_confirmed",
    "source",
    "confidence",
    "notes",
)
#: Columns a canonical file must fill on every row.
REQUIRED = ("date", "actor", "event_type", "country", "location", "source")
#: Count columns: an empty cell means unknown (NA), never zero.
COUNTS = ("projectiles", "us_killed", "us_injured", "others_killed")
#: Allowed values of the two categorical text columns.
YES_NO = ("yes", "no")
CONFIDENCE = ("high", "medium", "low")


class Actor(str, enum.Enum):
    """Who acted. The claiming or blamed group goes in the free-text ``group`` column."""

    US = "US"
    MILITIA = "militia"
    ISRAEL = "Israel"
    IRAQI_GOVERNMENT = "Iraqi government"
    IRAN = "Iran"
    UNKNOWN = "unknown"
    NONE = "none"

    def __str__(self) -> str:
        return self.value


class EventType(str, enum.Enum):
    """What happened, with CAMEO root code, Goldstein score and our base severity.

    Base severity is on our own 0-10 scale, before casualties: an attack fully
    defeated scores below one that lands, a drone (precise, newer) above a rocket,
    a round of airstrikes on facilities above return fire at a launch point.
    """

    ROCKET_ATTACK = ("rocket_attack", "19", -10.0, 3.0)
    DRONE_ATTACK = ("drone_attack", "19", -10.0, 4.0)
    IED_ATTACK = ("ied_attack", "18", -9.0, 3.0)
    OTHER_ATTACK = ("other_attack", "19", -10.0, 2.0)
    INTERCEPTION_ONLY = ("interception_only", "19", -10.0, 1.0)
    AIRSTRIKE = ("airstrike", "19", -10.0, 6.0)
    RETURN_FIRE = ("return_fire", "19", -10.0, 4.0)
    POLITICAL_ACTION = ("political_action", "11", -2.0, 1.0)
    CONTEXT = ("context", "04", 1.0, 0.0)

    cameo: str
    goldstein: float
    base_severity: float

    def __new__(cls, value: str, cameo: str, goldstein: float, base_severity: float):
        member = str.__new__(cls, value)
        member._value_ = value
        member.cameo = cameo
        member.goldstein = goldstein
        member.base_severity = base_severity
        return member

    def __str__(self) -> str:
        return self.value


#: Militia attack types; these, with actor ``militia``, are what forecasts are scored on.
MILITIA_ATTACKS = (
    EventType.ROCKET_ATTACK,
    EventType.DRONE_ATTACK,
    EventType.IED_ATTACK,
    EventType.OTHER_ATTACK,
    EventType.INTERCEPTION_ONLY,
)

#: The countries the model's armed events take place in (its sites and its strikes).
THEATRES = ("Iraq", "Syria")
#: Event types that must name one of :data:`THEATRES` as their country: the militias' attacks
#: are placed at a site of their country, and a US strike's country decides whether it fell on
#: Iraqi soil (docs/data.md). Political acts and context may be anywhere.
THEATRE_EVENTS = (*MILITIA_ATTACKS, EventType.AIRSTRIKE, EventType.RETURN_FIRE)

#: Integer codes used inside the batched model (index into this tuple).
EVENT_TYPES = tuple(EventType)
ACTORS = tuple(Actor)

#: Severity added per casualty: an American killed is the old red line (Gulf
#: International Forum, July 2021, "U.S.-Iran Clashes in Syria and Iraq"), so it
#: outweighs any number of injuries on the day.
SEVERITY_PER_US_KILLED = 10.0
SEVERITY_PER_US_INJURED = 2.0
SEVERITY_PER_OTHER_KILLED = 1.0


def severity(event_type, us_killed=0, us_injured=0, others_killed=0):
    """Our severity of an event (or of arrays of events): base + casualties.

    Unknown counts (NaN) add nothing. Accepts an :class:`EventType`, its string
    value, or an integer array of codes into :data:`EVENT_TYPES`.
    """
    base = _base_severity(event_type)
    casualties = (
        SEVERITY_PER_US_KILLED * _known(us_killed)
        + SEVERITY_PER_US_INJURED * _known(us_injured)
        + SEVERITY_PER_OTHER_KILLED * _known(others_killed)
    )
    return base + casualties


def _known(counts):
    """Counts as floats, unknown (NaN or NA) as zero."""
    values = np.asarray(counts, dtype=float)
    return (
        np.where(np.isnan(values), 0.0, values)
        if values.dtype.kind == "f" and values.ndim
        else (0.0 if np.ndim(values) == 0 and np.isnan(values) else values)
    )


_BASE_SEVERITY = np.array([t.base_severity for t in EVENT_TYPES])


def _base_severity(event_type):
    if isinstance(event_type, (str, EventType)):
        return EventType(event_type).base_severity
    if isinstance(event_type, (int, np.integer)):
        return _BASE_SEVERITY[event_type]
    codes = np.asarray(event_type)
    if codes.dtype.kind in "iu":
        return _BASE_SEVERITY[codes]
    by_value = {t.value: t.base_severity for t in EVENT_TYPES}
    flat = pd.Series(codes.ravel().astype(object)).map(by_value)
    if flat.isna().any():
        bad = codes.ravel()[flat.isna().to_numpy()][0]
        raise ValueError(f"unknown event type {bad!r}; expected one of {', '.join(by_value)}")
    return flat.to_numpy(dtype=float).reshape(codes.shape)
