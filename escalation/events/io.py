"""Read and check event logs in the canonical schema (``docs/data.md``).

:func:`load_events` reads a file or one of the shipped records by name (:data:`PERIODS`);
:func:`validate_events` checks a frame. A bad file is rejected whole, naming the file, line,
column and value.
"""

from __future__ import annotations

import csv
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import resources
from os import PathLike
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from escalation.errors import EventDataError
from escalation.events.schema import (
    ACTORS,
    COLUMNS,
    CONFIDENCE,
    COUNTS,
    EVENT_TYPES,
    REQUIRED,
    THEATRE_EVENTS,
    THEATRES,
    YES_NO,
)

#: Integer columns a simulated log adds to the canonical ones.
SIMULATION_COLUMNS = ("world", "day")


@dataclass(frozen=True)
class Period:
    """A shipped observed record: its file in ``escalation/data`` and the local dates it covers.

    ``docs/data.md`` gives each period's sources, counts, coding decisions and known gaps.
    """

    file: str
    start: date
    end: date


#: The observed records shipped with the package, by the name :func:`load_events` takes.
PERIODS: Mapping[str, Period] = MappingProxyType(
    {
        # From the rocket attack on K1 to the coalition's handover of K1 (docs/data.md).
        "2019_2020": Period("events_2019_2020.csv", date(2019, 12, 27), date(2020, 3, 31)),
        "2021": Period("events_2021.csv", date(2021, 1, 1), date(2021, 12, 31)),
        "2022": Period("events_2022.csv", date(2022, 1, 1), date(2022, 12, 31)),
    }
)
#: Other spellings of period names, accepted for convenience.
PERIOD_ALIASES: Mapping[str, str] = MappingProxyType(
    {"2019-20": "2019_2020", "2019-2020": "2019_2020"}
)
#: What :func:`load_events` reads when given nothing: the record the model is calibrated on.
DEFAULT_PERIOD = "2021"

CHOICES = {
    "actor": tuple(a.value for a in ACTORS),
    "event_type": tuple(t.value for t in EVENT_TYPES),
    "attribution_confirmed": YES_NO,
    "confidence": CONFIDENCE,
}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
#: A whole number as written by hand ("3") or by a spreadsheet or pandas ("3.0").
_DIGITS = re.compile(r"\d+(?:\.0*)?")
_RANK = {column: rank for rank, column in enumerate(COLUMNS + SIMULATION_COLUMNS)}


# --------------------------------------------------------------------------- validation

#: Cells or flags, one per row: what :class:`Problems` is given.
Cells: TypeAlias = Sequence[Any] | np.ndarray | pd.Series


class Problems:
    """Bad cells found while checking a table: reports the first, counts the other rows.

    The first problem is the one on the earliest row, then the leftmost canonical
    column, so the message points at what a reader would meet first in the file.
    """

    def __init__(self, origin: str, locate: Callable[[int], str], names: dict[str, str]) -> None:
        self.origin = origin
        self.locate = locate
        self.names = names
        self.first: tuple[int, int, str] | None = None
        self.rows: set[int] = set()

    def add(
        self, mask: Cells, column: str, found: Cells, expected: str, rank: int | None = None
    ) -> None:
        """Record the rows flagged by ``mask`` as bad in ``column`` (``found``: cell values).

        ``rank`` orders problems within a row, as in :meth:`note`.
        """
        bad = np.flatnonzero(np.asarray(mask, dtype=bool))
        if bad.size:
            self.note(int(bad[0]), column, found[bad[0]], expected, rank)
            self.rows.update(bad.tolist())

    def note(
        self, row: int, column: str, value: object, expected: str, rank: int | None = None
    ) -> None:
        """Record one bad cell; ``rank`` orders problems within a row (default: column order)."""
        label = self.names.get(column, column)
        message = f"column '{label}': found {show_value(value)}, expected {expected}"
        candidate = (row, _RANK.get(column, 0) if rank is None else rank, message)
        if self.first is None or candidate[:2] < self.first[:2]:
            self.first = candidate
        self.rows.add(row)

    def raise_first(self) -> None:
        """Raise :class:`EventDataError` for the first problem noted, if any."""
        if self.first is None:
            return
        row, _, message = self.first
        more = len(self.rows) - 1
        tail = f" (and {more} more row{'s' if more > 1 else ''} with errors)" if more else ""
        raise EventDataError(f"{self.origin}, {self.locate(row)}, {message}{tail}")


def show_value(value: object) -> str:
    """A cell as an error message quotes it: ``'3.5'``, ``'abc'`` or ``an empty field``."""
    if isinstance(value, float):
        return f"'{value:g}'"
    return "an empty field" if value == "" else f"'{value}'"


def map_distinct(cells: Cells, rule: Callable[[Any], Any], dtype: type = object) -> np.ndarray:
    """``rule`` of every cell, computed once per distinct cell.

    Event files repeat their values (actors, types, empty counts), so a large file costs
    one call per distinct value instead of one per cell. ``rule`` must be a function of the
    value alone, and equal cells must be interchangeable (true of strings).
    """
    codes, uniques = pd.factorize(np.asarray(cells, dtype=object))
    results: np.ndarray = np.empty(len(uniques), dtype=dtype)
    for position, value in enumerate(uniques):
        results[position] = rule(value)  # element by element, so tuples stay whole
    return results[codes]


def as_text(series: pd.Series) -> np.ndarray:
    """Cells as stripped plain strings, missing as ''; enum members become their values."""
    if isinstance(series.dtype, pd.StringDtype) or (
        series.dtype == object and pd.api.types.infer_dtype(series, skipna=False) == "string"
    ):
        return map_distinct(series.to_numpy(dtype=object, na_value=""), str.strip)
    cells = series.astype(object).where(series.notna(), "").map(str)
    return cells.str.strip().to_numpy(dtype=object)


def _check_columns(columns: Sequence[Any], origin: str) -> list[str]:
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


def _dates(series: pd.Series, problems: Problems) -> pd.Series:
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_localize(None)
    if pd.api.types.is_datetime64_dtype(series.dtype):
        problems.add(series.isna(), "date", [""] * len(series), "a date (required column)")
        return series.dt.normalize().astype("datetime64[ns]").reset_index(drop=True)
    text = as_text(series)
    empty = text == ""
    problems.add(empty, "date", text, "a date (required column)")
    cells = pd.Series(text, dtype=object)
    iso = map_distinct(text, lambda cell: _ISO_DATE.fullmatch(cell) is not None, bool)
    parsed = pd.to_datetime(cells.where(iso), format="%Y-%m-%d", errors="coerce")
    problems.add(
        ~empty & parsed.isna().to_numpy(),
        "date",
        text,
        "an ISO date YYYY-MM-DD that exists in the calendar",
    )
    return parsed.astype("datetime64[ns]")


def _whole_numbers(
    series: pd.Series, column: str, problems: Problems, required: bool
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
    text = as_text(series)
    empty = text == ""
    values = map_distinct(text, _whole_number, float)
    problems.add(~empty & np.isnan(values), column, text, expected)
    if required:
        problems.add(empty, column, text, f"{expected} (required column)")
    return values


def _whole_number(cell: str) -> float:
    """A whole number (digits, perhaps ending ".0") as a float; NaN for anything else (empty,
    signed, a fraction, words)."""
    return float(cell) if _DIGITS.fullmatch(cell) else np.nan


def _choice(series: pd.Series, column: str, problems: Problems, required: bool) -> np.ndarray:
    text = as_text(series)
    empty = text == ""
    allowed = CHOICES[column]
    if required:
        problems.add(empty, column, text, "a value (required column)")
    known = pd.Series(text, dtype=object).isin(allowed).to_numpy(dtype=bool)
    or_empty = "" if required else ", or empty"
    problems.add(~empty & ~known, column, text, f"one of {', '.join(allowed)}{or_empty}")
    return text


def _check_theatre(event_type: object, country: object, problems: Problems) -> None:
    """Attacks, airstrikes and return fire must be in Iraq or Syria, spelt so: elsewhere the
    model would place them at a default site, or read a strike in Iraq as one in Syria."""
    country = np.asarray(country, dtype=object)
    armed = np.isin(np.asarray(event_type, dtype=object), [t.value for t in THEATRE_EVENTS])
    bad = armed & (country != "") & ~np.isin(country, THEATRES)
    places = " or ".join(THEATRES)
    problems.add(bad, "country", country, f"{places} for an attack, airstrike or return fire")


def normalize(
    frame: pd.DataFrame,
    origin: str,
    locate: Callable[[int], str],
    names: dict[str, str] | None = None,
    problems: Problems | None = None,
) -> pd.DataFrame:
    """Check every cell of ``frame`` and return the normalized canonical frame, sorted by date."""
    return sort_events(check_cells(frame, origin, locate, names, problems))


def check_cells(
    frame: pd.DataFrame,
    origin: str,
    locate: Callable[[int], str],
    names: dict[str, str] | None = None,
    problems: Problems | None = None,
) -> pd.DataFrame:
    """Check every cell of ``frame``; return the typed canonical frame in the input's row order.

    Kept apart from the sort so a caller can check a whole file and then keep part of it
    (:func:`~escalation.events.acled.load_acled` checks set-aside rows too).
    """
    problems = problems or Problems(origin, locate, names or {})
    present = _check_columns(list(frame.columns), origin)
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
        elif column in CHOICES:
            out[column] = _choice(frame[column], column, problems, required)
        else:
            text = as_text(frame[column])
            if required:
                problems.add(text == "", column, text, "a value (required column)")
            out[column] = text
    for column in SIMULATION_COLUMNS:
        if column in frame:
            values = _whole_numbers(frame[column], column, problems, required=True)
            out[column] = np.nan_to_num(values).astype(np.int64)
    if "event_type" in frame and "country" in frame:
        _check_theatre(out["event_type"], out["country"], problems)
    problems.raise_first()
    result = pd.DataFrame(out)
    for column in COLUMNS:
        if column != "date" and column not in COUNTS:
            result[column] = result[column].astype(str)
    return result


def sort_events(frame: pd.DataFrame) -> pd.DataFrame:
    """Sort a checked log by date (world, then date, if simulated), keeping ties in order."""
    by = ["world", "date"] if "world" in frame else ["date"]
    return frame.sort_values(by, kind="stable", ignore_index=True)


def validate_events(df: pd.DataFrame, origin: str = "<frame>") -> pd.DataFrame:
    """Check an in-memory event log against the canonical schema and normalize it.

    The checks and the result are those of :func:`load_events`; rows are named by their
    index label in error messages (``"<frame>, row 3, column 'actor': ..."``). Cells may
    already be typed: datetimes in ``date``, numbers (``NaN``/``NA`` = unknown) in the
    counts, :class:`~.schema.Actor` and :class:`~.schema.EventType`
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
    return normalize(df, origin, lambda i: f"row {labels[i]}")


def read_rows(
    path: str | PathLike, origin: str, columns: Sequence[str] | None = None
) -> tuple[pd.DataFrame, list[int]]:
    """Read a CSV file as untouched strings, with the file line on which each row starts.

    The :mod:`csv` module is used rather than :func:`pandas.read_csv` because it reports
    where each record ends, so line numbers stay right when a quoted note spans lines;
    as with ``read_csv(dtype=str, keep_default_na=False)``, no cell is coerced. Blank
    lines are skipped; cells and column names are stripped of surrounding spaces.
    ``columns``, if given, keeps only those of the file's columns (a large export need
    not be held whole); names it lists that the file lacks are simply absent.
    """
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            try:
                header = next(reader, None)
                if header is None:
                    raise EventDataError(f"{origin}: the file is empty; expected a header line")
                header = [name.strip() for name in header]
                _check_separator(header, origin)
                _check_unique(header, origin)
                kept = header if columns is None else [n for n in header if n in columns]
                pick = _picker([header.index(name) for name in kept])
                records: list[tuple[str, ...]] = []
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
                    records.append(pick(record))
                    lines.append(line)
            except csv.Error as exc:
                raise EventDataError(
                    f"{origin}, line {reader.line_num}: malformed CSV ({exc})"
                ) from exc
    except UnicodeDecodeError as exc:
        raise EventDataError(f"{origin}: not UTF-8 text ({exc})") from exc
    table = np.array(records, dtype=object).reshape(len(records), len(kept))
    cells = {name: map_distinct(table[:, i], str.strip) for i, name in enumerate(kept)}
    return pd.DataFrame(cells, columns=kept, dtype=object), lines


def _picker(positions: list[int]) -> Callable[[list[str]], tuple[str, ...]]:
    """The cells at ``positions`` of a record, as a tuple.

    Tuples of strings, unlike lists, are untracked by the garbage collector once seen, so
    holding 100,000 rows does not make every collection slower.
    """
    if len(positions) > 1:
        return operator.itemgetter(*positions)
    return lambda record: tuple(record[i] for i in positions)


def _check_separator(header: list[str], origin: str) -> None:
    """A header of one column holding another separator: a file saved with ``;`` or tabs."""
    if len(header) == 1:
        for name, separator in (("semicolons", ";"), ("tabs", "\t")):
            if separator in header[0]:
                raise EventDataError(
                    f"{origin}, line 1: the header is one column, {header[0][:40]!r}...: the "
                    f"file looks separated by {name}; expected commas (docs/data.md)"
                )


def _check_unique(header: list[str], origin: str) -> None:
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise EventDataError(f"{origin}: column '{name}' appears more than once")
        seen.add(name)


def load_events(source: str | int | PathLike | None = None) -> pd.DataFrame:
    """Load a shipped observed record by name, or a canonical event CSV, checked and normalized.

    Parameters
    ----------
    source : str, int or path-like, optional
        The name of a shipped period (a key of :data:`PERIODS`: ``"2019_2020"``, also
        spelled ``"2019-20"``; ``"2021"`` or ``2021``; ``"2022"`` or ``2022``), or a CSV
        file in the canonical schema (``escalation.events.schema.COLUMNS``; any column
        order; the optional columns may be left out). Default: the 2021 record,
        ``escalation/data/events_2021.csv``. A period name wins over a file of the same
        name in the working directory; pass a :class:`pathlib.Path` to read such a file.
        ``docs/data.md`` gives the sources and coding rules of every period.

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
    FileNotFoundError
        If ``source`` is neither a period name nor an existing file; the message lists
        the known periods.
    EventDataError
        If the file breaks the schema. The whole file is rejected; the message names
        the file, the line (the header is line 1), the column, the value found and what
        was expected, then how many more rows are bad. Checked: required columns
        present, no unknown column, required cells filled, ISO dates that exist, known
        actors and event types, counts that are whole numbers >= 0 or empty, yes/no and
        high/medium/low or empty.
    """
    period = period_name(DEFAULT_PERIOD if source is None else source)
    if period is not None:
        resource = resources.files("escalation").joinpath("data", PERIODS[period].file)
        with resources.as_file(resource) as real:
            return _load_canonical(real, str(real))
    if source is None or isinstance(source, int) or not Path(source).is_file():
        raise FileNotFoundError(
            f"no event file '{source}' and no period of that name; expected a canonical CSV "
            f"file or one of the periods {', '.join(PERIODS)} "
            f"(also spelled {', '.join(PERIOD_ALIASES)})"
        )
    return _load_canonical(source, str(source))


def shipped_through(day: date) -> date | None:
    """The last day of the unbroken run of shipped records from ``day`` on (the end of 2022
    from a day of 2021), or None when no shipped record covers ``day``."""
    through = None
    for period in sorted(PERIODS.values(), key=lambda p: p.start):
        following = day if through is None else through + timedelta(days=1)
        if period.start <= following <= period.end:
            through = period.end
    return through


def load_record(start: date, end: date) -> pd.DataFrame:
    """The shipped records covering every day from ``start`` to ``end``, as one frame sorted by
    date (2021 and 2022 for a history running from 2021 into 2022).

    Raises :class:`~escalation.errors.EventDataError` naming the first day no shipped record
    covers (none covers April to December 2020, or anything outside 27 December 2019 to
    2022): the model cannot tell a day without a record from a quiet one.
    """
    if end < start:
        raise ValueError(f"load_record: the window ends ({end}) before it starts ({start})")
    through = shipped_through(start)
    if through is None or through < end:
        uncovered = start if through is None else through + timedelta(days=1)
        covered = "; ".join(f"{p.start} to {p.end}" for p in PERIODS.values())
        raise EventDataError(f"no shipped record covers {uncovered} (they cover {covered})")
    names = [name for name, p in PERIODS.items() if p.start <= end and start <= p.end]
    return sort_events(pd.concat([load_events(name) for name in names], ignore_index=True))


def period_name(source: str | int | PathLike) -> str | None:
    """The :data:`PERIODS` key ``source`` names (aliases resolved), or None if it names none.

    Only a plain string or a year (``2022``) can name a period; path objects are always paths.
    """
    if isinstance(source, int) and not isinstance(source, bool):
        source = str(source)
    if not isinstance(source, str):
        return None
    name = source.strip()
    name = PERIOD_ALIASES.get(name, name)
    return name if name in PERIODS else None


def _load_canonical(path: str | PathLike, origin: str) -> pd.DataFrame:
    frame, lines = read_rows(path, origin)
    return normalize(frame, origin, lambda i: f"line {lines[i]}")
