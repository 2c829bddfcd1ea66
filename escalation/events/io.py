"""Read and check event logs in the canonical schema (``docs/data.md``).

:func:`load_events` reads a file (or the built-in 2021 record); :func:`validate_events` checks a
frame. A bad file is rejected whole, naming the file, line, column and value.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from importlib import resources
from os import PathLike

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
    YES_NO,
)

#: Integer columns a simulated log adds to the canonical ones.
SIMULATION_COLUMNS = ("world", "day")

_BUILT_IN = "events_2021.csv"
CHOICES = {
    "actor": tuple(a.value for a in ACTORS),
    "event_type": tuple(t.value for t in EVENT_TYPES),
    "attribution_confirmed": YES_NO,
    "confidence": CONFIDENCE,
}
_RANK = {column: rank for rank, column in enumerate(COLUMNS + SIMULATION_COLUMNS)}


# --------------------------------------------------------------------------- validation


class Problems:
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
        message = f"column '{label}': found {show_value(value)}, expected {expected}"
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


def show_value(value) -> str:
    if isinstance(value, float):
        return f"'{value:g}'"
    return "an empty field" if value == "" else f"'{value}'"


def as_text(series: pd.Series) -> np.ndarray:
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
    cells = pd.Series(text, dtype=object)
    empty = text == ""
    whole = cells.str.fullmatch(r"\d+").to_numpy(dtype=bool)
    problems.add(~empty & ~whole, column, text, expected)
    if required:
        problems.add(empty, column, text, f"{expected} (required column)")
    return pd.to_numeric(cells.where(whole), errors="coerce").to_numpy(dtype=float)


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


def normalize(
    frame: pd.DataFrame,
    origin: str,
    locate: Callable[[int], str],
    names: dict[str, str] | None = None,
    problems: Problems | None = None,
) -> pd.DataFrame:
    """Check every cell of ``frame`` and return the normalized canonical frame."""
    problems = problems or Problems(origin, locate, names or {})
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
        elif column in CHOICES:
            out[column] = _choice(frame[column], column, problems, required)
        else:
            text = as_text(frame[column])
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


def read_rows(path, origin: str) -> tuple[pd.DataFrame, list[int]]:
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
        A CSV file in the canonical schema (``escalation.events.schema.COLUMNS``; any column
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
    frame, lines = read_rows(path, origin)
    return normalize(frame, origin, lambda i: f"line {lines[i]}")
