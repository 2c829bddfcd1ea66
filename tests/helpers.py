"""Plain helpers shared by test modules in several folders (fixtures live in conftest.py).

Imported as ``from tests.helpers import ...``; pyproject.toml puts the repository root on
the import path.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from escalation.events.schema import COLUMNS, COUNTS
from escalation.model.scenario import Scenario

#: The test data files: ``observed_events.csv`` (five canonical rows) and
#: ``acled_sample.csv`` (ten ACLED rows, one per mapping branch).
DATA = Path(__file__).parent / "data"

#: The built-in scenarios the scenarios issue promises.
BUILT_IN = (
    "baghdad_crackdown",
    "baseline_2021",
    "border_closure_2023",
    "disproportionate_response",
    "front_claims",
    "israel_campaign",
    "no_retaliation",
    "period_2019_20",
    "talks_collapse",
    "trump_red_line",
    "us_withdrawal",
)


def canonical(rows: Iterable[Sequence[object]]) -> pd.DataFrame:
    """A canonical events frame from (date, actor, event_type) rows; other columns empty."""
    frame = pd.DataFrame(rows, columns=["date", "actor", "event_type"])
    frame["date"] = pd.to_datetime(frame["date"])
    for column in COLUMNS:
        if column not in frame:
            frame[column] = pd.array(
                [pd.NA] * len(frame), dtype="Int64" if column in COUNTS else "str"
            )
    return frame[list(COLUMNS)]


#: Day 0 of :func:`events_by_day` and of :data:`TINY`.
DAY_ZERO = pd.Timestamp("2021-01-01")


def events_by_day(rows: Iterable[Sequence[object]], start: pd.Timestamp = DAY_ZERO) -> pd.DataFrame:
    """A canonical events frame from (day offset, actor, event_type, us_killed, us_injured,
    others_killed) rows; None is an unknown count, other columns are left empty."""
    frame = pd.DataFrame(
        rows, columns=["day", "actor", "event_type", "us_killed", "us_injured", "others_killed"]
    )
    frame["date"] = start + pd.to_timedelta(frame.pop("day"), unit="D")
    for column in COLUMNS:
        if column in COUNTS:
            frame[column] = pd.array(
                frame[column] if column in frame else [pd.NA] * len(frame), dtype="Int64"
            )
        elif column not in frame:
            frame[column] = pd.array([pd.NA] * len(frame), dtype="str")
    return frame[list(COLUMNS)]


#: A tiny observed log for :func:`events_by_day`, counted by hand over days 0-11.
TINY = [
    (-1, "militia", "rocket_attack", 0, 0, 0),  # before the window: ignored
    (0, "militia", "rocket_attack", 0, 0, 0),  # severity 3
    (1, "militia", "drone_attack", 0, 2, None),  # 4 + 2 x 2 = 8; harm 2
    (3, "US", "airstrike", None, None, 4),  # 6 + 4 = 10; opens a round
    (4, "US", "airstrike", None, None, None),  # 6; same round (one day later)
    (5, "Israel", "airstrike", None, None, 3),  # 6 + 3 = 9; not a US response, not harm
    (6, "militia", "interception_only", 0, 0, 0),  # 1
    (10, "US", "airstrike", 0, 0, 0),  # 6; a second round (six days later)
    (12, "militia", "rocket_attack", 0, 0, 0),  # after the window: ignored
]


def csv_rows(path: Path) -> list[dict[str, str]]:
    """The rows of a CSV file as dictionaries keyed by its header."""
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def write_rows(
    path: Path, rows: Sequence[dict[str, str]], fieldnames: Sequence[str] | None = None
) -> Path:
    """Write ``rows`` as a CSV file at ``path`` (header from ``fieldnames`` or the first row)."""
    fieldnames = fieldnames or list(rows[0])
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fieldnames, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


#: The 2021 baseline's policies as TOML tables, every slot a scenario file must name (slots added
#: later default to off): for test scenarios written out in full.
POLICY_TABLES = """\
[policies.US]
retaliation = { name = "red_line", line = "personnel" }

[policies.militia]
harassment = "ant_bites"
reprisal = "revenge"

[policies.Israel]
interdiction = "threshold_interdiction"

[policies."Iraqi government"]
sovereignty = "sovereignty_pressure"
crackdown = "crackdown"

[policies.Iran]
patronage = { name = "restraint_while_talks", talks = "2021" }
"""


def shortened(days: int, scenario: Scenario | str | None = None) -> Scenario:
    """``scenario`` (default ``baseline_2021``) over its first ``days`` days only."""
    scenario = Scenario.coerce(scenario)
    return dataclasses.replace(scenario, end=scenario.start + dt.timedelta(days=days - 1))
