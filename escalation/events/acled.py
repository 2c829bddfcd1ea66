"""Map an ACLED export (ACLED Codebook, 2023) onto the canonical schema: :func:`load_acled`."""

from __future__ import annotations

from datetime import datetime
from os import PathLike

import pandas as pd

from escalation.errors import EventDataError
from escalation.events.io import Problems, normalize, read_rows
from escalation.events.schema import (
    COLUMNS,
    Actor,
    EventType,
)

#: ACLED columns :func:`load_acled` reads (ACLED Codebook, 2023); others are ignored.
ACLED_COLUMNS = (
    "event_id_cnty",
    "event_date",
    "event_type",
    "sub_event_type",
    "actor1",
    "actor2",
    "assoc_actor_2",
    "country",
    "location",
    "source",
    "notes",
    "fatalities",
)
# Canonical column -> the ACLED column it comes from, so errors name the file's column.
_ACLED_ORIGIN = {
    "date": "event_date",
    "actor": "actor1",
    "target": "actor2",
    "event_type": "sub_event_type",
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
    ("unidentified military forces", Actor.UNKNOWN),
)
_ACLED_UNIDENTIFIED_GROUP = "unidentified armed group"
# Names in actor2 / assoc_actor_2 that make an attack one on US or coalition targets.
_ACLED_US_TARGETS = ("united states", "coalition forces", "operation inherent resolve")
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
_ACLED_NON_KINETIC = {
    "Protests": EventType.POLITICAL_ACTION,
    "Riots": EventType.POLITICAL_ACTION,
    "Strategic developments": EventType.CONTEXT,
}
_ACLED_DATE_FORMATS = ("%Y-%m-%d", "%d %B %Y")


class _Unmappable(Exception):
    def __init__(self, column: str, found: str, expected: str):
        super().__init__(column, found, expected)
        self.column, self.found, self.expected = column, found, expected


def _plain(name: str) -> str:
    return name.lower().replace("'", "").replace("\u2019", "")


def _acled_actor(actor1: str, actor2: str, assoc_actor_2: str) -> tuple[Actor, str] | None:
    """Our actor and group for an ACLED ``actor1``, or None if it is not one of ours."""
    plain = _plain(actor1)
    for pattern, group in _ACLED_MILITIAS:
        if pattern in plain:
            return Actor.MILITIA, group
    for pattern, actor in _ACLED_STATES:
        if pattern in plain:
            return actor, ""
    if plain.startswith(_ACLED_UNIDENTIFIED_GROUP):
        against = _plain(f"{actor2} {assoc_actor_2}")
        if any(target in against for target in _ACLED_US_TARGETS):
            return Actor.MILITIA, ""
    return None


def _acled_row(row: dict[str, str]) -> dict[str, str]:
    """Map one ACLED record to canonical cells (strings); raise _Unmappable if we cannot."""
    date = None
    for fmt in _ACLED_DATE_FORMATS:
        try:
            date = datetime.strptime(row["event_date"], fmt).date().isoformat()
            break
        except ValueError:
            continue
    if date is None:
        raise _Unmappable("date", row["event_date"], "a date such as 2021-06-27 or 27 June 2021")
    mapped = _acled_actor(row["actor1"], row["actor2"], row["assoc_actor_2"])
    sub = row["sub_event_type"]
    group = ""
    if row["event_type"] in _ACLED_NON_KINETIC:
        event = _ACLED_NON_KINETIC[row["event_type"]]
        actor, group = mapped or (Actor.NONE, row["actor1"])
    elif mapped is None:
        raise _Unmappable(
            "actor",
            row["actor1"],
            "US, Israeli, Iraqi or unidentified military forces, a named Iran-backed group, "
            "or an unidentified armed group attacking US or coalition forces (filter the "
            "export to the events between these actors)",
        )
    else:
        actor, group = mapped
        table = _ACLED_BY_MILITIA if actor is Actor.MILITIA else _ACLED_BY_STATE
        if sub not in table:
            raise _Unmappable(
                "event_type", sub, f"for {actor.value} actors one of {', '.join(table)}"
            )
        event = table[sub]
    prefix = f"ACLED {row['event_id_cnty']}: " if row["event_id_cnty"] else "ACLED: "
    return {
        "date": date,
        "actor": actor.value,
        "group": group,
        "target": row["actor2"],
        "event_type": event.value,
        "country": row["country"],
        "location": row["location"],
        "projectiles": "",
        "us_killed": "",
        "us_injured": "",
        "others_killed": row["fatalities"],
        "attribution_confirmed": "no"
        if _plain(row["actor1"]).startswith("unidentified")
        else "yes",
        "source": row["source"],
        "confidence": "medium",
        "notes": prefix + row["notes"],
    }


# Stands in for a row that could not be mapped (the file is rejected anyway).
_ACLED_PLACEHOLDER = {"actor": Actor.NONE.value, "event_type": EventType.CONTEXT.value}


def load_acled(path: str | PathLike) -> pd.DataFrame:
    """Load an ACLED export and map it onto the canonical schema.

    ACLED (Raleigh et al. 2010, "Introducing ACLED", *Journal of Peace Research* 47(5);
    column names from the ACLED Codebook) codes each event with an ``event_type``,
    a ``sub_event_type`` and two actors that do not imply direction. Only the columns
    in :data:`ACLED_COLUMNS` are read. ``event_date`` may be ISO (``2021-06-27``) or
    spelled out (``27 June 2021``); both occur in exports.

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
    Government of Iraq; Military Forces of Iraq   ``Iraqi government``
    Unidentified Military Forces                  ``unknown``
    Unidentified Armed Group (starts with)        ``militia`` (no group), only if ``actor2`` or
                                                  ``assoc_actor_2`` names the United States or
                                                  coalition forces; otherwise unmappable
    ============================================  ==========================================

    Event types (by ``sub_event_type``; by ``event_type`` for the last three rows):

    ==================================  ======================  ==================
    ACLED                               militia actor           state actor
    ==================================  ======================  ==================
    Shelling/artillery/missile attack   ``rocket_attack``       ``return_fire``
    Air/drone strike                    ``drone_attack``        ``airstrike``
    Remote explosive/landmine/IED       ``ied_attack``          unmappable
    Armed clash                         ``other_attack``        ``return_fire``
    Attack; Grenade                     ``other_attack``        unmappable
    Protests; Riots                     ``political_action``    ``political_action``
    Strategic developments              ``context``             ``context``
    ==================================  ======================  ==================

    "State" means US, Israel, Iraqi government or unknown (unidentified military forces).
    Any other sub-event type of a kinetic event is unmappable.

    State shelling and clashes are coded ``return_fire`` because that is what US fire
    at launch points was on 28 June 2021 (wire report, 28 June 2021, "Mutual bombing
    between US forces and Iranian militias in Syria"). Protest, riot and strategic-
    development rows whose ``actor1`` is not one of ours get actor ``none``, with the
    ACLED actor as ``group``.

    Other columns: ``actor2`` -> ``target``; ``country``, ``location`` and ``source``
    copied; ``notes`` copied after an ``"ACLED <event_id_cnty>: "`` prefix so every
    row can be traced back; ``fatalities`` -> ``others_killed``: ACLED counts all
    deaths in an event and does not separate Americans, so ``us_killed`` and
    ``us_injured`` are left unknown (check US casualties against the sources by
    hand); ``projectiles`` unknown; ``attribution_confirmed`` ``"no"`` for
    unidentified actors and ``"yes"`` for named ones; ``confidence`` ``"medium"``.

    Parameters
    ----------
    path : str or path-like
        The export, as CSV.

    Returns
    -------
    pandas.DataFrame
        A normalized canonical log, as :func:`load_events` returns.

    Raises
    ------
    EventDataError
        If a needed column is missing or any row cannot be mapped or breaks the schema
        (message names the file, line, ACLED column and value). No row is dropped
        silently: filter the export to the relevant actors first.
    """
    origin = str(path)
    frame, lines = read_rows(path, origin)
    for column in ACLED_COLUMNS:
        if column not in frame:
            raise EventDataError(
                f"{origin}: missing ACLED column '{column}'; expected an ACLED export "
                f"with at least the columns {', '.join(ACLED_COLUMNS)}"
            )
    locate = lambda i: f"line {lines[i]}"  # noqa: E731
    problems = Problems(origin, locate, _ACLED_ORIGIN)
    mapped = []
    for position, row in enumerate(frame[list(ACLED_COLUMNS)].to_dict("records")):
        try:
            mapped.append(_acled_row(row))
        except _Unmappable as exc:
            # Rank -1: the mapping problem comes before any later check of the same row.
            problems.note(position, exc.column, exc.found, exc.expected, rank=-1)
            mapped.append(dict(_ACLED_PLACEHOLDER))
    canonical = pd.DataFrame(mapped, columns=list(COLUMNS), dtype=object).fillna("")
    return normalize(canonical, origin, locate, _ACLED_ORIGIN, problems)
