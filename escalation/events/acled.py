"""Map an ACLED export (ACLED Codebook, 2023) onto the canonical schema: :func:`load_acled`.

An ACLED country export holds every coded event in the country: protests, Islamic State
attacks, Turkish operations against the PKK, tribal clashes. :func:`load_acled` reads such
a file as it comes, maps the rows between the escalation's actors and sets the others
aside, counted by ACLED actor and reason in an :class:`AcledReport` attached to the result
and announced by one :class:`AcledRowsSetAside` warning. A malformed row (a bad date, an
empty required cell, an event type outside the codebook) still rejects the whole file.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from os import PathLike

import numpy as np
import pandas as pd

from escalation.errors import EventDataError
from escalation.events.io import Problems, check_cells, map_distinct, read_rows, sort_events
from escalation.events.schema import COLUMNS, Actor, EventType

#: ACLED columns :func:`load_acled` reads (ACLED Codebook, 2023); others are ignored.
ACLED_COLUMNS = (
    "event_id_cnty",
    "event_date",
    "event_type",
    "sub_event_type",
    "actor1",
    "assoc_actor_1",
    "actor2",
    "assoc_actor_2",
    "country",
    "location",
    "source",
    "notes",
    "fatalities",
)
#: Key of :attr:`~escalation.events.io.Problems.names` for problems in ACLED's own
#: ``event_type`` column (the canonical ``event_type`` comes from ``sub_event_type``).
_DISORDER = "acled_event_type"
# Canonical column -> the ACLED column it comes from, so errors name the file's column.
_ACLED_ORIGIN = {
    "date": "event_date",
    "actor": "actor1",
    "target": "actor2",
    "event_type": "sub_event_type",
    _DISORDER: "event_type",
    "country": "country",
    "location": "location",
    "others_killed": "fatalities",
    "source": "source",
}
# Matched on the lower-cased actor name with apostrophes removed, first match wins.
_ACLED_MILITIAS = (
    ("kataib hezbollah", "Kata'ib Hezbollah"),
    ("kataib hizbullah", "Kata'ib Hezbollah"),
    ("kataib sayyid al-shuhada", "Kata'ib Sayyid al-Shuhada"),
    ("asaib ahl al-haq", "Asa'ib Ahl al-Haq"),
    ("saraya awliya al-dam", "Saraya Awliya al-Dam"),
    ("popular mobilization forces", "Popular Mobilization Forces"),
)
_ACLED_STATES = (
    ("military forces of the united states", Actor.US),
    ("coalition forces", Actor.US),
    ("operation inherent resolve", Actor.US),
    ("military forces of israel", Actor.ISRAEL),
    ("government of iraq", Actor.IRAQI_GOVERNMENT),
    ("military forces of iraq", Actor.IRAQI_GOVERNMENT),
    ("police forces of iraq", Actor.IRAQI_GOVERNMENT),
    ("unidentified military forces", Actor.UNKNOWN),
)
_ACLED_UNIDENTIFIED_GROUP = "unidentified armed group"
# Names in actor2 / assoc_actor_2 that make an attack one on US or coalition targets.
_ACLED_US_TARGETS = ("united states", "coalition forces", "operation inherent resolve")
# Iran is a party on the receiving end (Israeli strikes on IRGC sites in Syria).
_ACLED_IRAN = ("military forces of iran", "government of iran")
# Parties whose presence as counterpart makes a kinetic row part of the escalation.
_KINETIC_PARTIES = frozenset(
    {Actor.US, Actor.MILITIA, Actor.ISRAEL, Actor.IRAQI_GOVERNMENT, Actor.IRAN}
)
# Iraqi forces policing a protest do not make it part of the escalation; the others do.
_PROTEST_PARTIES = _KINETIC_PARTIES - {Actor.IRAQI_GOVERNMENT}
_ACLED_BY_MILITIA = {
    "Shelling/artillery/missile attack": EventType.ROCKET_ATTACK,
    "Air/drone strike": EventType.DRONE_ATTACK,
    "Remote explosive/landmine/IED": EventType.IED_ATTACK,
    "Armed clash": EventType.OTHER_ATTACK,
    "Attack": EventType.OTHER_ATTACK,
    "Grenade": EventType.OTHER_ATTACK,
}
_ACLED_BY_STATE = {
    "Air/drone strike": EventType.AIRSTRIKE,
    "Shelling/artillery/missile attack": EventType.RETURN_FIRE,
    "Armed clash": EventType.RETURN_FIRE,
}
_ACLED_KINETIC = ("Battles", "Explosions/Remote violence", "Violence against civilians")
_ACLED_NON_KINETIC = {
    "Protests": EventType.POLITICAL_ACTION,
    "Riots": EventType.POLITICAL_ACTION,
    "Strategic developments": EventType.CONTEXT,
}
_ACLED_DATE_FORMATS = ("%Y-%m-%d", "%d %B %Y")
# Convoy attacks: the notes must name the supply run and whom it supplies.
_CONVOY_SUPPLY = re.compile(r"convoy|logistic|suppl(?:y|ies)", re.IGNORECASE)
_CONVOY_COALITION = re.compile(r"(?i:coalition|american|united states)|\bUS\b|\bU\.S\.")
_CONVOY_TARGET = "coalition logistics convoy"
# A named militia's violence against the Iraqi state gets this target, which
# escalation.events.counts.OUTSIDE_MODEL_TARGET leaves out of the modelled attacks
# (docs/data.md, coding rule 10).
_IRAQI_STATE_TARGET = "Iraqi government"


class SetAside(StrEnum):
    """Why a well-formed ACLED row is not part of the escalation (see :func:`load_acled`)."""

    ACTOR = "actor outside the escalation"
    COUNTERPART = "counterpart outside the escalation"
    SUB_EVENT = "sub-event type not mapped for this actor"
    NOT_A_TARGET = "militia violence against another militia, Israel or Iran"


class AcledRowsSetAside(UserWarning):
    """An ACLED export had rows outside the escalation; :class:`AcledReport` counts them."""


@dataclass(frozen=True, eq=False)
class AcledReport:
    """What :func:`load_acled` kept from an export and what it set aside, and why.

    Attached to the loaded frame as ``frame.attrs["acled_report"]``. Compared by identity
    (``eq=False``) so that pandas, which compares ``attrs`` when concatenating frames,
    never compares the tables inside.

    Attributes
    ----------
    path : str
        The export read.
    rows_read : int
        Data rows in the export.
    rows_mapped : int
        Rows mapped to canonical events (the length of the loaded frame).
    set_aside : pandas.DataFrame
        One row per ACLED ``actor1`` and :class:`SetAside` reason, most rows first:
        columns ``actor1``, ``reason``, ``rows`` (how many) and ``first_line`` (file
        line of the first such row, the header being line 1), to find them in the file.
    """

    path: str
    rows_read: int
    rows_mapped: int
    set_aside: pd.DataFrame

    @property
    def rows_set_aside(self) -> int:
        """How many rows of the export were set aside."""
        return self.rows_read - self.rows_mapped

    def __str__(self) -> str:
        """A one-line summary: how many rows were set aside and the three largest actors."""
        top = self.set_aside.groupby("actor1", sort=False)["rows"].sum().nlargest(3, "all")
        most = "; ".join(f"{name} {count:,}" for name, count in top.items())
        return (
            f"{self.path}: {self.rows_set_aside:,} of {self.rows_read:,} ACLED rows set "
            f"aside as outside the escalation (most: {most})"
        )


def _plain(name: str) -> str:
    return name.lower().replace("'", "").replace("\u2019", "")


def _our_actor(actor1: str) -> tuple[Actor, str] | None:
    """Our actor and group for an ACLED ``actor1`` (not an unidentified armed group), or None."""
    plain = _plain(actor1)
    for pattern, group in _ACLED_MILITIAS:
        if pattern in plain:
            return Actor.MILITIA, group
    for pattern, actor in _ACLED_STATES:
        if pattern in plain:
            return actor, ""
    return None


def _actor_of(actor1: str) -> str:
    """Our actor's value for an ACLED ``actor1``, or '' if it is not one of ours."""
    found = _our_actor(actor1)
    return found[0].value if found else ""


def _group_of(actor1: str) -> str:
    """The group :func:`_our_actor` gives ``actor1`` ('' for states and unknown names)."""
    found = _our_actor(actor1)
    return found[1] if found else ""


def _parties(names: str) -> frozenset[Actor]:
    """The escalation's parties named anywhere in ``names`` (an actor column, or several).

    An unidentified armed group or unidentified military forces count as
    :attr:`Actor.UNKNOWN`.
    """
    plain = _plain(names)
    found = {actor for pattern, actor in _ACLED_STATES if pattern in plain}
    if any(pattern in plain for pattern, _ in _ACLED_MILITIAS):
        found.add(Actor.MILITIA)
    if any(pattern in plain for pattern in _ACLED_US_TARGETS):
        found.add(Actor.US)
    if any(pattern in plain for pattern in _ACLED_IRAN):
        found.add(Actor.IRAN)
    if _ACLED_UNIDENTIFIED_GROUP in plain:
        found.add(Actor.UNKNOWN)
    return frozenset(found)


def _iso_date(text: str) -> str:
    """An ACLED ``event_date`` in either export format as ISO, or '' if it is neither."""
    for fmt in _ACLED_DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    return ""


def _check_acled_cells(rows: pd.DataFrame, problems: Problems) -> np.ndarray:
    """Note malformed ACLED cells (dates, event types, empty actors); return the ISO dates."""
    iso = map_distinct(rows["event_date"], _iso_date)
    raw = rows["event_date"].to_numpy(dtype=object)
    expected_date = "a date such as 2021-06-27 or 27 June 2021"
    # Rank -1: an ACLED problem comes before any later canonical check of the same row.
    problems.add(iso == "", "date", raw, expected_date, rank=-1)
    disorder = rows["event_type"].to_numpy(dtype=object)
    known = np.isin(disorder, _ACLED_KINETIC + tuple(_ACLED_NON_KINETIC))
    types = ", ".join(_ACLED_KINETIC + tuple(_ACLED_NON_KINETIC))
    problems.add(~known, _DISORDER, disorder, f"an ACLED event type ({types})", rank=-1)
    for column, key in (("actor1", "actor"), ("sub_event_type", "event_type")):
        cells = rows[column].to_numpy(dtype=object)
        problems.add(cells == "", key, cells, "a value (required column)", rank=-1)
    return np.where(iso == "", raw, iso)


@dataclass(frozen=True)
class _Mapping:
    """Per-row outcome of the mapping: canonical actor, group, event type, target, reason."""

    actor: np.ndarray
    group: np.ndarray
    event: np.ndarray
    target: np.ndarray
    reason: np.ndarray  # '' where the row is mapped


def _contractors(actor2: str) -> bool:
    """Whether ``actor2`` is who ACLED codes as the target of a convoy attack."""
    plain = _plain(actor2)
    return "private security forces" in plain or plain.startswith("civilians")


def _convoy_attacks(rows: pd.DataFrame, candidates: np.ndarray) -> np.ndarray:
    """Which ``candidates`` are attacks on coalition supply convoys, by target and notes."""
    convoy = candidates & map_distinct(rows["actor2"], _contractors, bool)
    notes = rows["notes"].to_numpy(dtype=object)
    for position in np.flatnonzero(convoy):
        text = notes[position]
        convoy[position] = bool(_CONVOY_SUPPLY.search(text) and _CONVOY_COALITION.search(text))
    return convoy


def _map_rows(rows: pd.DataFrame) -> _Mapping:
    """Decide what each ACLED row becomes, with rules evaluated once per distinct name."""
    actor1 = rows["actor1"]
    actor = map_distinct(actor1, _actor_of)
    group = map_distinct(actor1, _group_of)
    is_ours = actor != ""
    unidentified = map_distinct(
        actor1, lambda name: _plain(name).startswith(_ACLED_UNIDENTIFIED_GROUP), bool
    )
    counterpart = rows["actor2"] + "; " + rows["assoc_actor_2"]
    no_counterpart = (counterpart == "; ").to_numpy()
    on_party = map_distinct(counterpart, lambda n: bool(_parties(n) & _KINETIC_PARTIES), bool)
    on_us = map_distinct(counterpart, lambda n: Actor.US in _parties(n), bool)
    on_iraq = map_distinct(counterpart, lambda n: Actor.IRAQI_GOVERNMENT in _parties(n), bool)
    # US fire at unidentified launch teams is return fire (wire report, 28 June 2021).
    on_unidentified = map_distinct(counterpart, lambda n: Actor.UNKNOWN in _parties(n), bool)
    party_ok = on_party | ((actor == Actor.US.value) & on_unidentified)

    disorder = rows["event_type"].to_numpy(dtype=object)
    kinetic = np.isin(disorder, _ACLED_KINETIC)
    named_militia = actor == Actor.MILITIA.value
    group_on_us = unidentified & on_us
    convoy = _convoy_attacks(rows, kinetic & (unidentified | named_militia))
    as_militia = group_on_us | (convoy & unidentified)
    actor[as_militia] = Actor.MILITIA.value
    # A named militia attacks in the model only US or coalition targets; its violence against
    # the Iraqi state is kept outside the model, any other set aside (docs/data.md, rule 10).
    militia_off_target = kinetic & named_militia & ~(on_us | on_iraq)
    against_iraq = kinetic & named_militia & on_iraq & ~on_us & ~convoy

    others_named = map_distinct(
        rows["assoc_actor_1"] + "; " + counterpart,
        lambda n: bool(_parties(n) & _PROTEST_PARTIES),
        bool,
    )
    kept_kinetic = kinetic & ((is_ours & party_ok & ~militia_off_target) | as_militia | convoy)
    kept_ours = ~kinetic & ((is_ours & (no_counterpart | party_ok)) | group_on_us)
    kept_others = ~kinetic & ~is_ours & ~group_on_us & others_named
    actor[kept_others] = Actor.NONE.value
    group[kept_others] = rows["actor1"].to_numpy(dtype=object)[kept_others]

    event = np.full(len(rows), "", dtype=object)
    sub = rows["sub_event_type"]
    militia = actor == Actor.MILITIA.value
    for chosen, table in ((militia, _ACLED_BY_MILITIA), (~militia, _ACLED_BY_STATE)):
        values = sub.map({name: t.value for name, t in table.items()}).fillna("").to_numpy()
        event[kept_kinetic & chosen] = values[kept_kinetic & chosen]
    not_kinetic = kept_ours | kept_others
    event[not_kinetic] = (
        rows["event_type"]
        .map({name: t.value for name, t in _ACLED_NON_KINETIC.items()})
        .to_numpy()[not_kinetic]
    )

    in_scope = kept_kinetic | not_kinetic
    reason = np.full(len(rows), "", dtype=object)
    reason[~in_scope] = SetAside.ACTOR.value
    reason[~in_scope & (is_ours | unidentified)] = SetAside.COUNTERPART.value
    reason[~in_scope & militia_off_target & on_party] = SetAside.NOT_A_TARGET.value
    reason[in_scope & (event == "")] = SetAside.SUB_EVENT.value
    target = rows["actor2"].to_numpy(dtype=object).copy()
    for chosen, label in ((convoy, _CONVOY_TARGET), (against_iraq, _IRAQI_STATE_TARGET)):
        target[chosen] = [f"{label} ({name})" for name in target[chosen]]
    return _Mapping(actor, group, event, target, reason)


def _canonical(rows: pd.DataFrame, dates: np.ndarray, mapping: _Mapping) -> pd.DataFrame:
    """Canonical cells (strings) for every row, so every row is checked.

    Set-aside rows get a placeholder actor and type and no notes; they are dropped after
    the check.
    """
    kept = mapping.reason == ""
    unconfirmed = map_distinct(
        rows["actor1"], lambda name: name.lower().startswith("unidentified"), bool
    )
    empty = np.full(len(rows), "", dtype=object)
    notes = empty.copy()
    ids, texts = rows["event_id_cnty"].to_numpy()[kept], rows["notes"].to_numpy()[kept]
    notes[kept] = [
        f"ACLED {i}: {text}" if i else f"ACLED: {text}" for i, text in zip(ids, texts, strict=True)
    ]
    return pd.DataFrame(
        {
            "date": dates,
            "actor": np.where(kept, mapping.actor, Actor.NONE.value),
            "group": mapping.group,
            "target": mapping.target,
            "event_type": np.where(kept, mapping.event, EventType.CONTEXT.value),
            "country": rows["country"].to_numpy(dtype=object),
            "location": rows["location"].to_numpy(dtype=object),
            "projectiles": empty,
            "us_killed": empty,
            "us_injured": empty,
            "others_killed": rows["fatalities"].to_numpy(dtype=object),
            "attribution_confirmed": np.where(unconfirmed, "no", "yes"),
            "source": rows["source"].to_numpy(dtype=object),
            "confidence": "medium",
            "notes": notes,
        },
        columns=list(COLUMNS),
        dtype=object,
    )


def _report(origin: str, rows: pd.DataFrame, lines: list[int], reason: np.ndarray) -> AcledReport:
    """Count the set-aside rows by ``actor1`` and reason."""
    aside = reason != ""
    table = pd.DataFrame(
        {
            "actor1": rows["actor1"].to_numpy(dtype=object)[aside],
            "reason": reason[aside],
            "line": np.asarray(lines, dtype=np.int64)[aside],
        }
    )
    counts = (
        table.groupby(["actor1", "reason"], sort=True)["line"]
        .agg(rows="size", first_line="min")
        .reset_index()
        .sort_values("rows", ascending=False, kind="stable", ignore_index=True)
    )
    return AcledReport(origin, len(rows), int((~aside).sum()), counts)


def load_acled(path: str | PathLike) -> pd.DataFrame:
    """Load an ACLED export as it comes and map its escalation events onto the canonical schema.

    ACLED (Raleigh et al. 2010, "Introducing ACLED", *Journal of Peace Research* 47(5);
    column names from the ACLED Codebook) codes each event with an ``event_type``,
    a ``sub_event_type`` and two actors that do not imply direction. Only the columns
    in :data:`ACLED_COLUMNS` are read. ``event_date`` may be ISO (``2021-06-27``) or
    spelled out (``27 June 2021``); both occur in exports. A full country export may be
    read: rows outside the escalation are set aside (below), not errors.

    Actors (``actor1`` contains; case and apostrophes ignored; first match wins):

    ============================================  ==========================================
    ACLED ``actor1``                              actor (group)
    ============================================  ==========================================
    Kataib Hezbollah                              ``militia`` (Kata'ib Hezbollah)
    Kataib Sayyid al-Shuhada                      ``militia`` (Kata'ib Sayyid al-Shuhada)
    Asaib Ahl al-Haq                              ``militia`` (Asa'ib Ahl al-Haq)
    Saraya Awliya al-Dam                          ``militia`` (Saraya Awliya al-Dam)
    Popular Mobilization Forces                   ``militia`` (Popular Mobilization Forces)
    Military Forces of the United States          ``US``
    Coalition Forces; Operation Inherent Resolve  ``US`` (the US-led coalition)
    Military Forces of Israel                     ``Israel``
    Government, Military or Police Forces of Iraq ``Iraqi government``
    Unidentified Military Forces                  ``unknown``
    Unidentified Armed Group (starts with)        ``militia`` (no group), only if ``actor2`` or
                                                  ``assoc_actor_2`` names the United States or
                                                  coalition forces, or for a convoy attack
    ============================================  ==========================================

    Which rows are part of the escalation. The *counterpart* is ``actor2`` and
    ``assoc_actor_2``; a *party* is a named militia, the United States or the coalition,
    Israel, the Iraqi government, military or police, or Iran (its military or government).

    * Battles, explosions/remote violence and violence against civilians by one of the
      actors above: kept if the counterpart names a party (or, for US forces, an
      unidentified armed group: US fire at launch teams is return fire). Islamic State,
      PKK, tribal and other non-party targets are set aside.
    * Such a row by a named militia is an attack the model simulates only if the
      counterpart names the United States or the coalition, or it is a convoy attack
      (below): the model's targets (``docs/data.md``, coding rule 10). Against the Iraqi
      government or military (and not the US or the coalition) it is kept with
      ``target`` ``"Iraqi government (<actor2>)"``, which
      :data:`escalation.events.counts.OUTSIDE_MODEL_TARGET` leaves out of the modelled
      attacks and counts apart, as the 2021 file's drones on the Prime Minister's
      residence. Against another militia, Israel or Iran it is set aside
      (:attr:`SetAside.NOT_A_TARGET`).
    * Convoy attacks. ACLED codes the IEDs on the convoys supplying the coalition as an
      "Unidentified Armed Group (Iraq)" against "Private Security Forces (Iraq)" (the
      contractors guarding or driving the trucks), so neither actor names the
      coalition. A row of a kinetic event type by an unidentified armed group or a named
      militia whose ``actor2`` contains "Private Security Forces" or starts with
      "Civilians", and whose ``notes`` name both a supply run ("convoy", "logistic",
      "supply"/"supplies") and its client ("coalition", "American", "United States",
      "US", "U.S."), is kept as a ``militia`` attack on ``target`` ``"coalition logistics
      convoy (<actor2>)"``, with ``attribution_confirmed = no`` when the group is
      unidentified, as ``docs/data.md`` codes unclaimed convoy attacks (rule 5). Its
      type follows the militia table: an IED is ``ied_attack``. Requiring both words
      keeps out, say, a roadside bomb on a politician's convoy.
    * Protests, riots and strategic developments by one of the actors above: kept if the
      counterpart is empty or names a party; by anyone else: kept (actor ``none``, the
      ACLED actor as ``group``) if ``assoc_actor_1`` or the counterpart names a party
      other than the Iraqi state (supporters of a militia; a riot at a US base), since
      Iraqi forces policing a protest are not part of the escalation.
    * Everything else is set aside, with one of the :class:`SetAside` reasons: the actor
      is none of ours; the actor is ours but the counterpart is not a party; a militia
      fought a party the model has no attacks on; or the sub-event type has no mapping
      for the actor (a US IED, a suicide bomb).

    Event types (by ``sub_event_type``; by ``event_type`` for the last three rows):

    ==================================  ======================  ==================
    ACLED                               militia actor           state actor
    ==================================  ======================  ==================
    Shelling/artillery/missile attack   ``rocket_attack``       ``return_fire``
    Air/drone strike                    ``drone_attack``        ``airstrike``
    Remote explosive/landmine/IED       ``ied_attack``          set aside
    Armed clash                         ``other_attack``        ``return_fire``
    Attack; Grenade                     ``other_attack``        set aside
    Protests; Riots                     ``political_action``    ``political_action``
    Strategic developments              ``context``             ``context``
    ==================================  ======================  ==================

    "State" means US, Israel, Iraqi government or unknown (unidentified military forces).
    Any other sub-event type of a kinetic event is set aside.

    State shelling and clashes are coded ``return_fire`` because that is what US fire
    at launch points was on 28 June 2021 (wire report, 28 June 2021, "Mutual bombing
    between US forces and Iranian militias in Syria").

    Other columns: ``actor2`` -> ``target`` (renamed as above for convoys and the Iraqi
    state); ``country``, ``location`` and ``source`` copied; ``notes`` copied after an
    ``"ACLED <event_id_cnty>: "`` prefix so every row can be traced back; ``fatalities``
    -> ``others_killed``: ACLED counts all deaths in an event and does not separate
    Americans, so ``us_killed`` and ``us_injured`` are left unknown (check US casualties
    against the sources by hand); ``projectiles`` unknown; ``attribution_confirmed``
    ``"no"`` for unidentified actors and ``"yes"`` for named ones; ``confidence``
    ``"medium"``.

    Parameters
    ----------
    path : str or path-like
        The export, as CSV.

    Returns
    -------
    pandas.DataFrame
        A normalized canonical log of the mapped rows, as :func:`load_events` returns,
        with an :class:`AcledReport` in ``attrs["acled_report"]``.

    Warns
    -----
    AcledRowsSetAside
        Once, if any row was set aside, with how many and where to find the counts.

    Raises
    ------
    EventDataError
        If a needed column is missing or any row, kept or set aside, is malformed: a
        date in neither format, an empty ``actor1`` or ``sub_event_type``, an
        ``event_type`` outside the codebook's six, or a kept cell that breaks the schema
        (bad ``fatalities``, empty ``source``...). The message names the file, line,
        ACLED column and value.
    """
    origin = str(path)
    frame, lines = read_rows(path, origin, ACLED_COLUMNS)
    for column in ACLED_COLUMNS:
        if column not in frame:
            raise EventDataError(
                f"{origin}: missing ACLED column '{column}'; expected an ACLED export "
                f"with at least the columns {', '.join(ACLED_COLUMNS)}"
            )
    rows = frame[list(ACLED_COLUMNS)]
    locate = lambda i: f"line {lines[i]}"  # noqa: E731
    problems = Problems(origin, locate, _ACLED_ORIGIN)
    dates = _check_acled_cells(rows, problems)
    mapping = _map_rows(rows)
    checked = check_cells(_canonical(rows, dates, mapping), origin, locate, _ACLED_ORIGIN, problems)
    kept = mapping.reason == ""
    events = sort_events(checked.loc[kept].reset_index(drop=True))
    report = _report(origin, rows, lines, mapping.reason)
    events.attrs["acled_report"] = report
    if report.rows_set_aside:
        warnings.warn(
            f"{report}; counts by actor1 and reason in frame.attrs['acled_report'].set_aside",
            AcledRowsSetAside,
            stacklevel=2,
        )
    return events
