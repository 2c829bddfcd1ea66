"""Event files given on the command line: canonical or ACLED, checked before any work is done.

``--events FILE`` takes the canonical schema (:func:`escalation.events.io.load_events`) or an
ACLED export (:func:`escalation.events.acled.load_acled`). The format is told from the header
(an ACLED export has ACLED's ``event_date``, ``actor1``... columns) and said in one line on
stderr, or forced with ``--format``. A file with no events, or none in the window a command
needs, is refused with one line naming the file, before anything is computed or written.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pandas as pd

from escalation.errors import EventDataError
from escalation.events.acled import load_acled
from escalation.events.io import load_events

#: Columns only an ACLED export has (the canonical schema shares country, location, source...).
_ACLED_ONLY = ("event_date", "sub_event_type", "actor1", "actor2")
FORMATS = ("canonical", "acled")


def _header(path: Path) -> list[str]:
    """The first line's column names (empty for an empty file); the loaders check the rest."""
    with open(path, newline="", encoding="utf-8-sig", errors="replace") as handle:
        return [name.strip() for name in next(csv.reader(handle), [])]


def looks_like_acled(path: Path) -> bool:
    """Whether the file's header has the columns that mark an ACLED export."""
    header = set(_header(path))
    return all(column in header for column in _ACLED_ONLY)


def read_events(path: Path, fmt: str | None = None) -> pd.DataFrame:
    """The events of ``--events``, in the canonical schema.

    ``fmt`` forces ``"canonical"`` or ``"acled"``; without it an ACLED header selects the
    ACLED reader, said on stderr. An ACLED file read as canonical is refused with a pointer
    to ``--format acled``. A file without events is refused.
    """
    if fmt not in (None, *FORMATS):
        raise ValueError(f"fmt must be one of {FORMATS} or None, got {fmt!r}")
    if path.is_dir():
        raise EventDataError(f"{path}: a folder; expected an events CSV file")
    if not path.is_file():
        raise FileNotFoundError(2, "no such file", str(path))
    acled = looks_like_acled(path)
    if fmt == "canonical" and acled:
        raise EventDataError(
            f"{path}: the header has ACLED's columns ({', '.join(_ACLED_ONLY)}), not the "
            "canonical ones; to read an ACLED export, use --format acled"
        )
    if fmt == "acled" or (fmt is None and acled):
        if fmt is None:
            print(f"reading {path} as an ACLED export", file=sys.stderr)
        events = load_acled(path)
    else:
        events = load_events(path)
    if events.empty:
        raise EventDataError(f"{path}: no events (the file has a header and no rows)")
    return events


def events_in(events: pd.DataFrame, start, end, origin: str, why: str = "") -> pd.DataFrame:
    """The events from ``start`` to ``end`` (either may be None: open); refused when none.

    ``origin`` names the file in the message, which gives the span the file does cover, and
    ``why`` (if given) what the events were wanted for.
    """
    dates = events["date"]
    keep = pd.Series(True, index=events.index)
    if start is not None:
        keep &= dates >= pd.Timestamp(start)
    if end is not None:
        keep &= dates <= pd.Timestamp(end)
    if not keep.any():
        first = "the first event" if start is None else pd.Timestamp(start).date()
        last = "the last event" if end is None else pd.Timestamp(end).date()
        window = f"{first} to {last}"
        covers = (
            f"the file covers {dates.min().date()} to {dates.max().date()}"
            if len(dates)
            else "the file has no events"
        )
        raise EventDataError(
            f"{origin}: no events from {window}{f' ({why})' if why else ''}; {covers}"
        )
    return events.loc[keep]
