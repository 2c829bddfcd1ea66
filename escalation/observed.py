"""Observed event data in, calibration targets out.

* :func:`load_events` and :func:`validate_events` read and check event logs in the
  canonical schema of :mod:`escalation.events` (described in ``docs/data.md``);
* :func:`load_acled` maps an ACLED export onto that schema;
* :func:`summarize` and :func:`summary_statistics` reduce an observed log, or a batch
  of simulated worlds, to the statistics that calibration compares them on.

Observed and simulated logs go through the same code: a simulated log is a canonical
log plus an integer ``world`` column (and ``day``, 0 = the window's first day); an
observed log has no ``world`` column and is treated as world 0.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
from collections.abc import Callable, Sequence
from datetime import datetime
from importlib import resources
from os import PathLike

import numpy as np
import pandas as pd

from escalation.errors import EventDataError
from escalation.events import (
    ACTORS,
    COLUMNS,
    CONFIDENCE,
    COUNTS,
    EVENT_TYPES,
    MILITIA_ATTACKS,
    REQUIRED,
    YES_NO,
    Actor,
    EventType,
    severity,
)
from escalation.forecasting import ROUND_GAP_DAYS

__all__ = [
    "ACLED_COLUMNS",
    "SIMULATION_COLUMNS",
    "Summary",
    "load_acled",
    "load_events",
    "summarize",
    "summary_statistics",
    "validate_events",
]

#: Integer columns a simulated log adds to the canonical ones.
SIMULATION_COLUMNS = ("world", "day")
#: Airstrikes within this many days of the previous one belong to the same round.
#: How far back (days) the trigger of a strike round is looked for.
TRIGGER_LOOKBACK_DAYS = 30

_BUILT_IN = "events_2021.csv"
_CHOICES = {
    "actor": tuple(a.value for a in ACTORS),
    "event_type": tuple(t.value for t in EVENT_TYPES),
    "attribution_confirmed": YES_NO,
    "confidence": CONFIDENCE,
}
_RANK = {column: rank for rank, column in enumerate(COLUMNS + SIMULATION_COLUMNS)}


# --------------------------------------------------------------------------- validation


class _Problems:
    """Bad cells found while checking a table: reports the first, counts the other rows.

    The first problem is the one on the earliest row, then the leftmost canonical
    column, so the message points at what a reader would meet first in the file.
    """

    def __init__(self, origin: str, locate: Callable[[int], str], names: dict[str, str]):
        self.origin = origin
        self.locate = locate
        self.names = names
        self.first: tuple[int, int, str] | None = None
        self.rows: set[int] = set()

    def add(self, mask, column: str, found: Sequence, expected: str) -> None:
        """Record the rows flagged by ``mask`` as bad in ``column`` (``found``: cell values)."""
        bad = np.flatnonzero(np.asarray(mask, dtype=bool))
        if bad.size:
            self.note(int(bad[0]), column, found[bad[0]], expected)
            self.rows.update(bad.tolist())

    def note(self, row: int, column: str, value, expected: str, rank: int | None = None):
        """Record one bad cell; ``rank`` orders problems within a row (default: column order)."""
        label = self.names.get(column, column)
        message = f"column '{label}': found {_show(value)}, expected {expected}"
        candidate = (row, _RANK.get(column, 0) if rank is None else rank, message)
        if self.first is None or candidate[:2] < self.first[:2]:
            self.first = candidate
        self.rows.add(row)

    def raise_first(self) -> None:
        if self.first is None:
            return
        row, _, message = self.first
        more = len(self.rows) - 1
        tail = f" (and {more} more row{'s' if more > 1 else ''} with errors)" if more else ""
        raise EventDataError(f"{self.origin}, {self.locate(row)}, {message}{tail}")


def _show(value) -> str:
    if isinstance(value, float):
        return f"'{value:g}'"
    return "an empty field" if value == "" else f"'{value}'"


def _as_text(series: pd.Series) -> np.ndarray:
    """Cells as stripped plain strings, missing as ''; enum members become their values."""
    cells = series.astype(object).where(series.notna(), "").map(str)
    return cells.str.strip().to_numpy(dtype=object)


def _check_columns(columns, origin: str) -> list[str]:
    names = [str(c) for c in columns]
    _check_unique(names, origin)
    for column in REQUIRED:
        if column not in names:
            raise EventDataError(
                f"{origin}: missing required column '{column}'; expected the columns "
                f"{', '.join(COLUMNS)} (required: {', '.join(REQUIRED)})"
            )
    for column in names:
        if column not in COLUMNS and column not in SIMULATION_COLUMNS:
            raise EventDataError(
                f"{origin}: unknown column '{column}'; expected only the columns "
                f"{', '.join(COLUMNS)} (and {' and '.join(SIMULATION_COLUMNS)} in simulated "
                "logs): unknown columns are rejected rather than dropped"
            )
    return names


def _dates(series: pd.Series, problems: _Problems) -> pd.Series:
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_localize(None)
    if pd.api.types.is_datetime64_dtype(series.dtype):
        problems.add(series.isna(), "date", [""] * len(series), "a date (required column)")
        return series.dt.normalize().astype("datetime64[ns]").reset_index(drop=True)
    text = _as_text(series)
    empty = text == ""
    problems.add(empty, "date", text, "a date (required column)")
    cells = pd.Series(text, dtype=object)
    iso = cells.str.fullmatch(r"\d{4}-\d{2}-\d{2}").to_numpy(dtype=bool)
    parsed = pd.to_datetime(cells.where(iso), format="%Y-%m-%d", errors="coerce")
    problems.add(
        ~empty & parsed.isna().to_numpy(),
        "date",
        text,
        "an ISO date YYYY-MM-DD that exists in the calendar",
    )
    return parsed.astype("datetime64[ns]")


def _whole_numbers(
    series: pd.Series, column: str, problems: _Problems, required: bool
) -> np.ndarray:
    """Non-negative whole numbers as floats (NaN = unknown); other values are problems."""
    expected = "a non-negative whole number" + ("" if required else ", or empty for unknown")
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        values = series.to_numpy(dtype=float, na_value=np.nan)
        missing = np.isnan(values)
        bad = ~missing & ~(np.isfinite(values) & (values >= 0) & (values == np.floor(values)))
        problems.add(bad, column, values, expected)
        if required:
            problems.add(missing, column, [""] * len(values), f"{expected} (required column)")
        return np.where(bad, np.nan, values)
    text = _as_text(series)
    cells = pd.Series(text, dtype=object)
    empty = text == ""
    whole = cells.str.fullmatch(r"\d+").to_numpy(dtype=bool)
    problems.add(~empty & ~whole, column, text, expected)
    if required:
        problems.add(empty, column, text, f"{expected} (required column)")
    return pd.to_numeric(cells.where(whole), errors="coerce").to_numpy(dtype=float)


def _choice(series: pd.Series, column: str, problems: _Problems, required: bool) -> np.ndarray:
    text = _as_text(series)
    empty = text == ""
    allowed = _CHOICES[column]
    if required:
        problems.add(empty, column, text, "a value (required column)")
    known = pd.Series(text, dtype=object).isin(allowed).to_numpy(dtype=bool)
    or_empty = "" if required else ", or empty"
    problems.add(~empty & ~known, column, text, f"one of {', '.join(allowed)}{or_empty}")
    return text


def _normalize(
    frame: pd.DataFrame,
    origin: str,
    locate: Callable[[int], str],
    names: dict[str, str] | None = None,
    problems: _Problems | None = None,
) -> pd.DataFrame:
    """Check every cell of ``frame`` and return the normalized canonical frame."""
    problems = problems or _Problems(origin, locate, names or {})
    present = _check_columns(frame.columns, origin)
    frame = frame.set_axis(present, axis=1)
    n = len(frame)
    out: dict[str, object] = {}
    for column in COLUMNS:
        required = column in REQUIRED
        if column not in frame:
            out[column] = pd.array([pd.NA] * n, dtype="Int64") if column in COUNTS else [""] * n
        elif column == "date":
            out[column] = _dates(frame[column], problems)
        elif column in COUNTS:
            values = _whole_numbers(frame[column], column, problems, required=False)
            out[column] = pd.Series(values).astype("Int64")
        elif column in _CHOICES:
            out[column] = _choice(frame[column], column, problems, required)
        else:
            text = _as_text(frame[column])
            if required:
                problems.add(text == "", column, text, "a value (required column)")
            out[column] = text
    extra = [column for column in SIMULATION_COLUMNS if column in frame]
    for column in extra:
        values = _whole_numbers(frame[column], column, problems, required=True)
        out[column] = np.nan_to_num(values).astype(np.int64)
    problems.raise_first()
    result = pd.DataFrame(out)
    for column in COLUMNS:
        if column != "date" and column not in COUNTS:
            result[column] = result[column].astype(str)
    by = ["world", "date"] if "world" in extra else ["date"]
    return result.sort_values(by, kind="stable", ignore_index=True)


def validate_events(df: pd.DataFrame, origin: str = "<frame>") -> pd.DataFrame:
    """Check an in-memory event log against the canonical schema and normalize it.

    The checks and the result are those of :func:`load_events`; rows are named by their
    index label in error messages (``"<frame>, row 3, column 'actor': ..."``). Cells may
    already be typed: datetimes in ``date``, numbers (``NaN``/``NA`` = unknown) in the
    counts, :class:`~escalation.events.Actor` and :class:`~escalation.events.EventType`
    members in ``actor`` and ``event_type``. A simulated log may also carry the integer
    columns ``world`` and ``day``; they are checked (whole numbers >= 0) and kept.

    Parameters
    ----------
    df : pandas.DataFrame
        The log to check; it is not modified.
    origin : str
        What to call the log in error messages.

    Returns
    -------
    pandas.DataFrame
        The normalized log (see :func:`load_events`), sorted by world then date when
        ``world`` is present.

    Raises
    ------
    EventDataError
        On the first bad cell or column, as described in :func:`load_events`.
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"validate_events expects a pandas DataFrame, got {type(df).__name__}")
    labels = df.index
    return _normalize(df, origin, lambda i: f"row {labels[i]}")


def _read_rows(path, origin: str) -> tuple[pd.DataFrame, list[int]]:
    """Read a CSV file as untouched strings, with the file line on which each row starts.

    The :mod:`csv` module is used rather than :func:`pandas.read_csv` because it reports
    where each record ends, so line numbers stay right when a quoted note spans lines;
    as with ``read_csv(dtype=str, keep_default_na=False)``, no cell is coerced. Blank
    lines are skipped; cells and column names are stripped of surrounding spaces.
    """
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            try:
                header = next(reader, None)
                if header is None:
                    raise EventDataError(f"{origin}: the file is empty; expected a header line")
                header = [name.strip() for name in header]
                rows: list[list[str]] = []
                lines: list[int] = []
                end = reader.line_num
                for record in reader:
                    line, end = end + 1, reader.line_num
                    if not record:
                        continue
                    if len(record) != len(header):
                        raise EventDataError(
                            f"{origin}, line {line}: found {len(record)} fields, expected "
                            f"{len(header)} (one per header column)"
                        )
                    rows.append([cell.strip() for cell in record])
                    lines.append(line)
            except csv.Error as exc:
                raise EventDataError(
                    f"{origin}, line {reader.line_num}: malformed CSV ({exc})"
                ) from exc
    except UnicodeDecodeError as exc:
        raise EventDataError(f"{origin}: not UTF-8 text ({exc})") from exc
    _check_unique(header, origin)
    return pd.DataFrame(rows, columns=header, dtype=object), lines


def _check_unique(header: list[str], origin: str) -> None:
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise EventDataError(f"{origin}: column '{name}' appears more than once")
        seen.add(name)


def load_events(path: str | PathLike | None = None) -> pd.DataFrame:
    """Load the built-in 2021 event log, or a canonical event CSV, checked and normalized.

    Parameters
    ----------
    path : str or path-like, optional
        A CSV file in the canonical schema (``escalation.events.COLUMNS``; any column
        order; the optional columns may be left out). Default: the built-in dataset
        ``escalation/data/events_2021.csv`` (``docs/data.md`` gives its sources).

    Returns
    -------
    pandas.DataFrame
        The canonical columns in order, sorted by date with file order kept within a day:

        * ``date``: ``datetime64[ns]``, normalized to midnight;
        * ``actor``, ``event_type``: str, the canonical values (``"militia"``,
          ``"rocket_attack"``...), plain strings, not enum members;
        * ``projectiles``, ``us_killed``, ``us_injured``, ``others_killed``: nullable
          ``"Int64"``; an empty cell (unknown) stays ``<NA>``, distinct from 0;
        * every other column: str, a missing value is the empty string ``""`` (never
          NaN), so text columns can be compared and written back unchanged.

    Raises
    ------
    EventDataError
        If the file breaks the schema. The whole file is rejected; the message names
        the file, the line (the header is line 1), the column, the value found and what
        was expected, then how many more rows are bad. Checked: required columns
        present, no unknown column, required cells filled, ISO dates that exist, known
        actors and event types, counts that are whole numbers >= 0 or empty, yes/no and
        high/medium/low or empty.
    """
    if path is None:
        resource = resources.files("escalation").joinpath("data", _BUILT_IN)
        with resources.as_file(resource) as real:
            return _load_canonical(real, str(real))
    return _load_canonical(path, str(path))


def _load_canonical(path, origin: str) -> pd.DataFrame:
    frame, lines = _read_rows(path, origin)
    return _normalize(frame, origin, lambda i: f"line {lines[i]}")


# --------------------------------------------------------------------------------- ACLED

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
    frame, lines = _read_rows(path, origin)
    for column in ACLED_COLUMNS:
        if column not in frame:
            raise EventDataError(
                f"{origin}: missing ACLED column '{column}'; expected an ACLED export "
                f"with at least the columns {', '.join(ACLED_COLUMNS)}"
            )
    locate = lambda i: f"line {lines[i]}"  # noqa: E731
    problems = _Problems(origin, locate, _ACLED_ORIGIN)
    mapped = []
    for position, row in enumerate(frame[list(ACLED_COLUMNS)].to_dict("records")):
        try:
            mapped.append(_acled_row(row))
        except _Unmappable as exc:
            # Rank -1: the mapping problem comes before any later check of the same row.
            problems.note(position, exc.column, exc.found, exc.expected, rank=-1)
            mapped.append(dict(_ACLED_PLACEHOLDER))
    canonical = pd.DataFrame(mapped, columns=list(COLUMNS), dtype=object).fillna("")
    return _normalize(canonical, origin, locate, _ACLED_ORIGIN, problems)


# ----------------------------------------------------------------------- summary statistics

_TYPE_CODE = {t: code for code, t in enumerate(EVENT_TYPES)}
_ACTOR_CODE = {a: code for code, a in enumerate(ACTORS)}
# Lookup tables: is the event type (actor) with this code a militia attack (strike, striker)?
_IS_ATTACK = np.isin(np.arange(len(EVENT_TYPES)), [_TYPE_CODE[t] for t in MILITIA_ATTACKS])
_IS_STRIKE = np.isin(
    np.arange(len(EVENT_TYPES)),
    [_TYPE_CODE[EventType.AIRSTRIKE], _TYPE_CODE[EventType.RETURN_FIRE]],
)
_IS_STRIKER = np.isin(
    np.arange(len(ACTORS)), [_ACTOR_CODE[a] for a in (Actor.US, Actor.ISRAEL, Actor.UNKNOWN)]
)
_CASUALTIES = ("us_killed", "us_injured", "others_killed")
# Sides of an act-day in a retaliation chain (bit flags; BOTH = MILITIA | STATE).
_MILITIA_SIDE, _STATE_SIDE, _BOTH_SIDES = 1, 2, 3


@dataclasses.dataclass(frozen=True)
class _Log:
    """The in-window events of a batch of worlds as arrays, sorted by (world, day)."""

    world_ids: np.ndarray
    start: pd.Timestamp
    n_days: int
    months: tuple[str, ...]
    world: np.ndarray  # index into world_ids
    day: np.ndarray  # 0 = start
    month: np.ndarray  # index into months
    actor: np.ndarray  # code into escalation.events.ACTORS
    etype: np.ndarray  # code into escalation.events.EVENT_TYPES
    us_killed: np.ndarray  # float, NaN = unknown
    us_injured: np.ndarray
    others_killed: np.ndarray

    def keys(self, mask, reach: int = 0) -> np.ndarray:
        """Sorted (world, day) integer keys of the rows in ``mask``.

        Worlds are ``n_days + reach`` apart, so ``key .. key + reach`` stays in one world.
        """
        return self.world[mask] * (self.n_days + reach) + self.day[mask]

    def is_(self, actor: Actor, event_type: EventType) -> np.ndarray:
        return (self.actor == _ACTOR_CODE[actor]) & (self.etype == _TYPE_CODE[event_type])

    @functools.cached_property
    def militia_attack(self) -> np.ndarray:
        return (self.actor == _ACTOR_CODE[Actor.MILITIA]) & _IS_ATTACK[self.etype]

    @functools.cached_property
    def state_strike(self) -> np.ndarray:
        return _IS_STRIKER[self.actor] & _IS_STRIKE[self.etype]

    @functools.cached_property
    def us_response(self) -> np.ndarray:
        return (self.actor == _ACTOR_CODE[Actor.US]) & _IS_STRIKE[self.etype]


def _codes(series: pd.Series, values: Sequence[str], column: str) -> np.ndarray:
    """Integer codes of ``series`` in ``values``; unknown values raise EventDataError."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    # Enum members are matched by their value (they hash unlike plain strings).
    lookup = pd.Index(list(values)).get_indexer([str(u) for u in uniques])
    mapped = np.append(lookup, -1)[codes]  # code -1 (missing) maps to -1
    bad = np.flatnonzero(mapped < 0)
    if bad.size:
        raise EventDataError(
            f"event log, row {series.index[bad[0]]}, column '{column}': found "
            f"{_show(_as_text(series.iloc[bad[:1]])[0])}, expected one of {', '.join(values)}"
        )
    return mapped.astype(np.int8)


def _world_ids(raw: np.ndarray, worlds, has_world: bool) -> np.ndarray:
    if worlds is None:
        return np.unique(raw) if has_world else np.zeros(1, dtype=np.int64)
    if isinstance(worlds, (int, np.integer)):
        return np.arange(int(worlds), dtype=np.int64)
    return np.unique(np.asarray(worlds, dtype=np.int64))


def _prepare(events: pd.DataFrame, start, end, worlds) -> _Log:
    """Arrays of the events in [start, end] (whole days, both ends included)."""
    missing = [c for c in ("date", "actor", "event_type", *_CASUALTIES) if c not in events]
    if missing:
        raise EventDataError(
            f"event log: missing column '{missing[0]}'; summaries need date, actor, "
            f"event_type and {', '.join(_CASUALTIES)}"
        )
    dates = events["date"]
    if not pd.api.types.is_datetime64_any_dtype(dates.dtype):
        dates = pd.to_datetime(dates, format="%Y-%m-%d")
    days = dates.to_numpy().astype("datetime64[D]")
    if np.isnat(days).any():
        raise EventDataError("event log, column 'date': found a missing date, expected a date")
    if start is None or end is None:
        if days.size == 0:
            raise ValueError("cannot infer the window of an empty log: pass start and end")
        start = days.min() if start is None else start
        end = days.max() if end is None else end
    first = np.datetime64(pd.Timestamp(start).normalize().date(), "D")
    last = np.datetime64(pd.Timestamp(end).normalize().date(), "D")
    if last < first:
        raise ValueError(f"end ({last}) is before start ({first})")

    has_world = "world" in events
    if has_world and not pd.api.types.is_integer_dtype(events["world"].dtype):
        raise EventDataError(
            f"event log, column 'world': found dtype {events['world'].dtype}, expected integers"
        )
    raw_world = (
        events["world"].to_numpy(dtype=np.int64) if has_world else np.zeros(len(events), np.int64)
    )
    ids = _world_ids(raw_world, worlds, has_world)
    index = np.searchsorted(ids, raw_world)
    known = index < ids.size
    known[known] = ids[index[known]] == raw_world[known]
    if not known.all():
        raise ValueError(f"world {raw_world[~known][0]} is in the log but not in worlds={worlds}")

    day = (days - first).astype(np.int64)
    n_days = int((last - first).astype(np.int64)) + 1
    rows = np.flatnonzero((day >= 0) & (day < n_days))
    key = index[rows] * n_days + day[rows]
    if key.size and (key[1:] < key[:-1]).any():  # simulated logs usually come sorted
        rows = rows[np.argsort(key, kind="stable")]
    day = day[rows]
    month0 = first.astype("datetime64[M]")
    n_months = int((last.astype("datetime64[M]") - month0).astype(np.int64)) + 1
    counts = {c: events[c].to_numpy(dtype=float, na_value=np.nan)[rows] for c in _CASUALTIES}
    return _Log(
        world_ids=ids,
        start=pd.Timestamp(first),
        n_days=n_days,
        months=tuple(str(month0 + np.timedelta64(m, "M")) for m in range(n_months)),
        world=index[rows],
        day=day,
        month=((first + day.astype("timedelta64[D]")).astype("datetime64[M]") - month0).astype(
            np.int64
        ),
        actor=_codes(events["actor"], _CHOICES["actor"], "actor")[rows],
        etype=_codes(events["event_type"], _CHOICES["event_type"], "event_type")[rows],
        **counts,
    )


def _group_starts(keys: np.ndarray) -> np.ndarray:
    """Positions where a new value starts in a sorted array."""
    return np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if keys.size else keys[:0]


def _group_ends(starts: np.ndarray, size: int) -> np.ndarray:
    """Last positions of the groups starting at ``starts`` in an array of ``size``."""
    return np.r_[starts[1:], size][: starts.size] - 1


def _mean_by(groups: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Mean of the non-NaN ``values`` per group 0..n-1; NaN for groups without any."""
    ok = ~np.isnan(values)
    total = np.bincount(groups[ok], weights=values[ok], minlength=n)
    count = np.bincount(groups[ok], minlength=n)
    return np.divide(total, count, out=np.full(n, np.nan), where=count > 0)


def _max_by(groups: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Max of ``values`` per group 0..n-1 (``groups`` sorted); NaN for empty groups."""
    out = np.full(n, np.nan)
    starts = _group_starts(groups)
    if starts.size:
        out[groups[starts]] = np.maximum.reduceat(values, starts)
    return out


def _strike_rounds(log: _Log) -> dict[str, np.ndarray]:
    """US strike rounds and their triggers (see :func:`summarize` for the definitions)."""
    strike = log.is_(Actor.US, EventType.AIRSTRIKE)
    world, day = log.world[strike], log.day[strike]
    new = np.ones(world.size, dtype=bool)
    new[1:] = (world[1:] != world[:-1]) | (day[1:] - day[:-1] > ROUND_GAP_DAYS)
    starts = np.flatnonzero(new)
    ends = _group_ends(starts, world.size)
    first, round_world = day[starts], world[starts]

    attack = log.militia_attack
    hurt = severity(
        log.etype[attack], log.us_killed[attack], log.us_injured[attack], log.others_killed[attack]
    )
    keys = log.keys(attack)
    lag = np.full(first.size, np.nan)
    if keys.size:
        day_starts = _group_starts(keys)
        day_keys, day_worst = keys[day_starts], np.maximum.reduceat(hurt, day_starts)
        # The attack days in [r - 30, r] of each round, as columns of a padded matrix.
        round_key = round_world * log.n_days + first
        low = np.maximum(round_key - TRIGGER_LOOKBACK_DAYS, round_world * log.n_days)
        lo = np.searchsorted(day_keys, low)
        hi = np.searchsorted(day_keys, round_key, side="right")
        candidate = lo[:, None] + np.arange(max(int((hi - lo).max(initial=0)), 1))
        inside = candidate < hi[:, None]
        candidate = np.minimum(candidate, day_keys.size - 1)
        worst = np.where(inside, day_worst[candidate], -np.inf)
        found = inside[:, 0]
        # argmax over reversed columns: the latest of the most severe days.
        pick = worst.shape[1] - 1 - np.argmax(worst[:, ::-1], axis=1)
        trigger = day_keys[candidate[np.arange(first.size), pick]]
        lag[found] = (round_key - trigger)[found]
    return {
        "world": round_world,
        "first": first,
        "last": day[ends],
        "sites": ends - starts + 1,
        "trigger": first - lag,
        "lag": lag,
    }


def _episodes(log: _Log, gap: int) -> dict[str, np.ndarray]:
    """Episodes of hostile acts, their retaliation chains, and the quiet times between."""
    hostile = log.militia_attack | log.state_strike
    side = np.where(log.militia_attack[hostile], _MILITIA_SIDE, _STATE_SIDE)
    keys = log.keys(hostile)
    starts = _group_starts(keys)
    act_world, act_day = log.world[hostile][starts], log.day[hostile][starts]
    acts = np.diff(np.r_[starts, keys.size])
    sides = np.bitwise_or.reduceat(side, starts) if starts.size else side[:0]

    new = np.ones(starts.size, dtype=bool)
    new[1:] = (act_world[1:] != act_world[:-1]) | (act_day[1:] - act_day[:-1] > gap)
    first = np.flatnonzero(new)
    last = _group_ends(first, starts.size)
    episode = np.cumsum(new) - 1
    # A chain continues while the side changes; a day when both sides act always continues it.
    turn = np.zeros(starts.size, dtype=bool)
    turn[1:] = ~new[1:] & (
        (sides[1:] != sides[:-1]) | (sides[1:] == _BOTH_SIDES) | (sides[:-1] == _BOTH_SIDES)
    )
    chain_starts = np.flatnonzero(~turn)
    chain_length = np.diff(np.r_[chain_starts, starts.size])
    chain_episode = episode[chain_starts]
    longest = np.maximum.reduceat(chain_length, _group_starts(chain_episode)) if first.size else []

    ep_world = act_world[first]
    following = ep_world[1:] == ep_world[:-1]
    return {
        "world": ep_world,
        "first": act_day[first],
        "last": act_day[last],
        "acts": np.add.reduceat(acts, first) if first.size else acts[:0],
        "chain": np.asarray(longest, dtype=np.int64),
        "quiet_world": ep_world[1:][following],
        "quiet": (act_day[first][1:] - act_day[last][:-1] - 1)[following],
    }


def _unanswered(log: _Log, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Provocations per world and how many were not answered within ``window`` days."""
    attack = log.militia_attack
    provoked = log.keys(attack, reach=window)
    answers = log.keys(log.us_response, reach=window)
    at = np.searchsorted(answers, provoked)
    answered = at < answers.size
    answered[answered] = answers[at[answered]] <= provoked[answered] + window
    n = log.world_ids.size
    world = log.world[attack]
    return np.bincount(world, minlength=n), np.bincount(world[~answered], minlength=n)


@dataclasses.dataclass(frozen=True)
class _Analysis:
    log: _Log
    rounds: dict[str, np.ndarray]
    episodes: dict[str, np.ndarray]
    statistics: pd.DataFrame


def _analyse(log: _Log, gap: int, window: int) -> _Analysis:
    if gap < 0 or window < 0:
        raise ValueError(f"gap and window must be >= 0 days, got gap={gap}, window={window}")
    n = log.world_ids.size
    attack = log.militia_attack

    def count(mask):
        return np.bincount(log.world[mask], minlength=n)

    stats: dict[str, np.ndarray] = {"attacks_total": count(attack)}
    for event_type in MILITIA_ATTACKS:
        stats[f"attacks_{event_type.value}"] = count(attack & (log.etype == _TYPE_CODE[event_type]))
    n_months = len(log.months)
    by_month = np.bincount(
        log.world[attack] * n_months + log.month[attack], minlength=n * n_months
    ).reshape(n, n_months)
    for m, label in enumerate(log.months):
        stats[f"attacks_month_{label}"] = by_month[:, m]
    n_weeks = -(-log.n_days // 7)
    by_week = np.bincount(
        log.world[attack] * n_weeks + log.day[attack] // 7, minlength=n * n_weeks
    ).reshape(n, n_weeks)
    stats["attacks_weekly_sd"] = by_week.std(axis=1, ddof=1) if n_weeks > 1 else np.full(n, np.nan)

    rounds = _strike_rounds(log)
    stats["strike_rounds"] = np.bincount(rounds["world"], minlength=n)
    stats["return_fire"] = count(log.is_(Actor.US, EventType.RETURN_FIRE))
    stats["strike_lag_mean"] = _mean_by(rounds["world"], rounds["lag"], n)
    for column in _CASUALTIES:
        stats[column] = np.bincount(
            log.world, weights=np.nan_to_num(getattr(log, column)), minlength=n
        )
    stats["israeli_strikes"] = count(log.is_(Actor.ISRAEL, EventType.AIRSTRIKE))

    episodes = _episodes(log, gap)
    length = (episodes["last"] - episodes["first"] + 1).astype(float)
    stats["episodes"] = np.bincount(episodes["world"], minlength=n)
    stats["episode_length_mean"] = _mean_by(episodes["world"], length, n)
    stats["quiet_mean"] = _mean_by(episodes["quiet_world"], episodes["quiet"].astype(float), n)
    provocations, unanswered = _unanswered(log, window)
    stats["unanswered_share"] = np.divide(
        unanswered, provocations, out=np.full(n, np.nan), where=provocations > 0
    )
    chain = episodes["chain"].astype(float)
    stats["chain_length_max"] = _max_by(episodes["world"], chain, n)
    stats["chain_length_mean"] = _mean_by(episodes["world"], chain, n)
    table = pd.DataFrame(stats, index=pd.Index(log.world_ids, name="world"), dtype=float)
    return _Analysis(log, rounds, episodes, table)


def summary_statistics(
    events: pd.DataFrame,
    start,
    end,
    gap: int = 7,
    window: int = 14,
    worlds: int | Sequence[int] | None = None,
) -> pd.DataFrame:
    """The scalar summary statistics of every world in a log, vectorized over worlds.

    These are the calibration targets; each is defined in :func:`summarize`, whose
    ``statistics`` is the row of this table for its single world.

    Parameters
    ----------
    events : pandas.DataFrame
        A canonical log (as from :func:`load_events` or :func:`validate_events`) or a
        simulated one; needs ``date``, ``actor``, ``event_type``, ``us_killed``,
        ``us_injured`` and ``others_killed``, plus an integer ``world`` column for
        several worlds (no ``world`` column: one world, id 0). Rows outside
        [start, end] are ignored.
    start, end : date-like
        First and last day of the window (both included).
    gap : int
        Days allowed between consecutive act days of one episode.
    window : int
        Days after a militia attack within which a US response answers it.
    worlds : int or sequence of int, optional
        The worlds to report: a count ``n`` (ids 0..n-1) or the ids. Worlds without
        events get a row too. Default: the worlds present in ``events``.

    Returns
    -------
    pandas.DataFrame
        Index ``world`` (sorted ids), float columns: ``attacks_total``,
        ``attacks_<type>`` for each militia attack type, ``attacks_month_<YYYY-MM>`` for
        each calendar month touching the window, ``attacks_weekly_sd``,
        ``strike_rounds``, ``return_fire``, ``strike_lag_mean``, ``us_killed``,
        ``us_injured``, ``others_killed``, ``israeli_strikes``, ``episodes``,
        ``episode_length_mean``, ``quiet_mean``, ``unanswered_share``,
        ``chain_length_max``, ``chain_length_mean``; NaN where undefined.
    """
    return _analyse(_prepare(events, start, end, worlds), gap, window).statistics


@dataclasses.dataclass(frozen=True)
class Summary:
    """Tables and statistics of one event log (see :func:`summarize`)."""

    start: pd.Timestamp
    end: pd.Timestamp
    weekly: pd.DataFrame
    monthly: pd.DataFrame
    strike_rounds: pd.DataFrame
    casualties: pd.DataFrame
    israeli_strikes: int
    episodes: pd.DataFrame
    statistics: pd.Series


def summarize(
    events: pd.DataFrame, start=None, end=None, gap: int = 7, window: int = 14
) -> Summary:
    """Summarize one event log: counts, strike rounds, casualties, episodes, statistics.

    Only events from ``start`` to ``end`` (whole days, both included) count; day d is
    d days after ``start``. Definitions:

    * **Militia attack**: a row with actor ``militia`` and a type in
      ``escalation.events.MILITIA_ATTACKS`` (rocket, drone, IED, other attack,
      interception only).
    * **US strike round**: US ``airstrike`` rows taken in date order; an airstrike
      within 2 days of the previous one joins its round (the three sites struck on
      27 June 2021 are one round). US ``return_fire`` rows are counted apart.
    * **Strike lag**: the trigger of a round that starts on day r is the most severe
      militia attack (``escalation.events.severity``; unknown counts add nothing) on
      days r-30 .. r, the latest one on ties; lag = r - trigger day; NaN if none.
    * **Israeli strikes**: rows with actor ``Israel`` and type ``airstrike``
      (attributed or not).
    * **Hostile acts**: militia attacks, plus ``airstrike`` and ``return_fire`` rows by
      the US, Israel or an unknown actor (the state side).
    * **Episode** (episode statistics as the project's design guide specifies them,
      after Abrahams et al. 2020, "Mostly Deterred"): a maximal run of days with
      hostile acts, each act day at most ``gap`` days after the previous one. Length =
      last day - first day + 1; quiet time = the days strictly between consecutive
      episodes (none before the first or after the last).
    * **Provocation**: a militia attack on day d. It is answered if a US airstrike or
      return fire falls on a day in [d, d + ``window``]. Unanswered share = unanswered
      / provocations, NaN without provocations.
    * **Retaliation chain**: within an episode, each act day's side is militia, state
      or both. A chain is a maximal run of consecutive act days in which the side
      changes from each day to the next (a day when both sides act continues any
      chain); its length is the number of changes + 1, so a lone attack is 1 and
      militia -> US -> militia is 3. An episode's chain length is its longest chain.

    Parameters
    ----------
    events : pandas.DataFrame
        A canonical log, or a simulated log of a single world.
    start, end : date-like, optional
        The window; default the first and last event dates. Pass them for simulated
        logs, whose window does not end at an event.
    gap, window : int
        As in :func:`summary_statistics`.

    Returns
    -------
    Summary
        ``weekly``: rows of every type counted (any actor) per week, week k = days
        [7k, 7k+7) (the last week may be partial), with its first date; ``monthly``:
        the same per calendar month; ``strike_rounds``: one row per round (first and
        last date, sites = airstrike rows, trigger date, lag in days);
        ``casualties``: totals of ``us_killed``, ``us_injured``, ``others_killed``
        over all rows (unknown counted as 0) with the number of rows where the count
        is unknown; ``israeli_strikes``; ``episodes``: one row per episode (start, end,
        length in days, hostile acts, chain length); ``statistics``: the row of
        :func:`summary_statistics` for this world.
    """
    log = _prepare(events, start, end, worlds=None)
    if log.world_ids.size != 1:
        raise ValueError(
            f"summarize takes one world; the log has {log.world_ids.size}: select one or "
            "use summary_statistics"
        )
    result = _analyse(log, gap, window)
    dates = log.start + pd.to_timedelta(np.arange(log.n_days), unit="D")
    types = list(_CHOICES["event_type"])

    def table(groups, n_groups):
        counts = np.bincount(groups * len(types) + log.etype, minlength=n_groups * len(types))
        return pd.DataFrame(counts.reshape(n_groups, len(types)), columns=types)

    n_weeks = -(-log.n_days // 7)
    weekly = table(log.day // 7, n_weeks)
    weekly.insert(0, "week_start", dates[::7])
    weekly.index.name = "week"
    monthly = table(log.month, len(log.months)).set_axis(pd.Index(log.months, name="month"), axis=0)

    def on(days):
        return log.start + pd.to_timedelta(np.asarray(days, dtype=float), unit="D")

    rounds = result.rounds
    strike_rounds = pd.DataFrame(
        {
            "first_date": on(rounds["first"]),
            "last_date": on(rounds["last"]),
            "sites": rounds["sites"],
            "trigger_date": on(rounds["trigger"]),
            "lag_days": rounds["lag"],
        }
    )
    casualties = pd.DataFrame(
        {
            "total": [int(np.nansum(getattr(log, c))) for c in _CASUALTIES],
            "rows_unknown": [int(np.isnan(getattr(log, c)).sum()) for c in _CASUALTIES],
        },
        index=pd.Index(_CASUALTIES, name="count"),
    )
    episodes = result.episodes
    episode_table = pd.DataFrame(
        {
            "start": on(episodes["first"]),
            "end": on(episodes["last"]),
            "length_days": episodes["last"] - episodes["first"] + 1,
            "acts": episodes["acts"],
            "chain_length": episodes["chain"],
        }
    )
    return Summary(
        start=log.start,
        end=log.start + pd.Timedelta(days=log.n_days - 1),
        weekly=weekly,
        monthly=monthly,
        strike_rounds=strike_rounds,
        casualties=casualties,
        israeli_strikes=int(log.is_(Actor.ISRAEL, EventType.AIRSTRIKE).sum()),
        episodes=episode_table,
        statistics=result.statistics.iloc[0],
    )
