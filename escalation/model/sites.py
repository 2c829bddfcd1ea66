"""The places militias attack: who is there, and how an observed report names them.

One definition of "an attack on US personnel", the 2021 red line ("attacks against its
personnel, even if they do not result in U.S. casualties": Gulf International Forum, July
2021, "U.S.-Iran Clashes in Syria and Iraq: Exchange of Messages or Serious Escalation?"):
an attack on a :class:`Site` whose ``personnel`` is true. Simulated attacks pick a site;
observed attacks are mapped to one by :func:`site_index` (replay reads it to force the
record into the agents, plotting to mark the crossings of the line), so the model, its
replay and the figures count the same attacks as crossings.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from escalation.events.schema import THEATRES, EventType

ROCKET, DRONE, IED, OTHER = (
    EventType.ROCKET_ATTACK,
    EventType.DRONE_ATTACK,
    EventType.IED_ATTACK,
    EventType.OTHER_ATTACK,
)


@dataclass(frozen=True)
class Site:
    """A place militias attack, with who is there and how often each weapon targets it.

    Weights are relative frequencies by weapon, set by hand from the 2021 data
    (``docs/data.md``) and the seed articles' lists of targets. ``aliases`` are the
    lower-case words by which an observed report's location or target names the site.
    """

    name: str
    country: str
    target: str
    personnel: bool  # US personnel present: an attack here crosses the 2021 red line
    return_fire: bool  # US ground forces that return fire at launch points (Syria)
    weights: Mapping[EventType, float] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()


#: Gulf International Forum, July 2021 (Ain al-Asad, the embassy, Erbil airport, al-Omar);
#: wire-based report, 28 June 2021 (al-Omar, return fire); Newsweek, September 2021 (Erbil);
#: public record of 2021 (Baghdad airport/Victory, Balad, Conoco, al-Tanf, logistics convoys).
SITES = (
    Site(
        "Ain al-Asad air base",
        "Iraq",
        "US and coalition forces",
        True,
        False,
        {ROCKET: 0.25, DRONE: 0.25},
        ("asad",),
    ),
    Site(
        "Erbil airport",
        "Iraq",
        "US and coalition forces",
        True,
        False,
        {ROCKET: 0.10, DRONE: 0.30},
        ("erbil",),
    ),
    Site(
        "Baghdad embassy",
        "Iraq",
        "US embassy",
        True,
        False,
        {ROCKET: 0.20, DRONE: 0.10},
        # Not "green zone": the PM's residence and Iraq's ministries are there too.
        ("embassy",),
    ),
    Site(
        "Baghdad airport",
        "Iraq",
        "US forces (Victory base)",
        True,
        False,
        {ROCKET: 0.20, DRONE: 0.15, OTHER: 0.10},
        ("airport", "victory"),
    ),
    Site(
        "Balad air base",
        "Iraq",
        "US contractors",
        True,
        False,
        {ROCKET: 0.10, DRONE: 0.05},
        ("balad",),
    ),
    Site(
        "al-Omar oil field",
        "Syria",
        "US forces",
        True,
        True,
        {ROCKET: 0.10, DRONE: 0.08, OTHER: 0.30},
        ("omar",),
    ),
    Site(
        "Conoco gas field",
        "Syria",
        "US forces",
        True,
        True,
        {ROCKET: 0.05, OTHER: 0.10},
        ("conoco",),
    ),
    Site("al-Tanf garrison", "Syria", "US forces", True, False, {DRONE: 0.07}, ("tanf",)),
    Site(
        "logistics convoy",
        "Iraq",
        "coalition logistics convoy",
        False,
        False,
        {IED: 1.0, OTHER: 0.50},
        ("convoy",),
    ),
)
#: Per site: whether US personnel are there (an attack on it crosses the 2021 red line).
SITE_PERSONNEL = np.array([s.personnel for s in SITES])
#: The countries the militias attack in, in the order of the model's per-country arrays.
COUNTRIES = THEATRES
#: Per site: its country, as an index into :data:`COUNTRIES`.
SITE_COUNTRY = np.array([COUNTRIES.index(s.country) for s in SITES])
_SITE_INDEX = {s.name: i for i, s in enumerate(SITES)}
#: Targets that name US personnel, for a report whose place is none of :data:`SITES`: US
#: forces, the US-led coalition's forces, bases and headquarters, embassies, consulates and
#: contractors. Coalition logistics convoys (Iraqi drivers) do not match.
PERSONNEL_TARGET = re.compile(
    r"\bUS\b|US-led|(?i:embassy|consulate|contractor|air base|camp victory"
    r"|coalition (?:forces|base|HQ))"
)
#: Sites standing in for an unlisted place with US personnel, by country.
_DEFAULT_SITE = {"Iraq": "Ain al-Asad air base", "Syria": "al-Omar oil field"}
#: The site standing in for an unlisted place without US personnel.
_NO_PERSONNEL_SITE = "logistics convoy"


def site_index(location: str, target: str, country: str) -> int:
    """The site of an observed attack, from its location, target and country.

    The first site (in :data:`SITES` order) one of whose aliases the location or target
    contains; otherwise, if the target names US personnel (:data:`PERSONNEL_TARGET`), a
    site with personnel in the attack's country (Ain al-Asad in Iraq and elsewhere, al-Omar
    in Syria); otherwise the one site without personnel (the logistics convoy).
    """
    text = f"{location} {target}".lower()
    for i, site in enumerate(SITES):
        if any(alias in text for alias in site.aliases):
            return i
    if PERSONNEL_TARGET.search(target):
        return _SITE_INDEX[_DEFAULT_SITE.get(country, "Ain al-Asad air base")]
    return _SITE_INDEX[_NO_PERSONNEL_SITE]


def sites_of(events: pd.DataFrame) -> np.ndarray:
    """The site (index into :data:`SITES`) of each row of a canonical events frame."""

    def text(column: str) -> pd.Series:
        if column not in events.columns:
            return pd.Series("", index=events.index)
        return events[column].fillna("").astype(str)

    return np.array(
        [
            site_index(loc, tgt, ctry)
            for loc, tgt, ctry in zip(
                text("location"), text("target"), text("country"), strict=True
            )
        ],
        dtype=np.int64,
    )
