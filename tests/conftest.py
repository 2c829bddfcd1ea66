"""Helpers shared by the test modules (imported as ``from conftest import ...``)."""

from __future__ import annotations

import pandas as pd

from escalation.events.schema import COLUMNS, COUNTS

#: The built-in scenarios the scenarios issue promises.
BUILT_IN = (
    "baghdad_crackdown",
    "baseline_2021",
    "border_closure_2023",
    "disproportionate_response",
    "israel_campaign",
    "no_retaliation",
    "talks_collapse",
    "trump_red_line",
    "us_withdrawal",
)


def canonical(rows):
    """A canonical events frame from (date, actor, event_type) rows; other columns empty."""
    frame = pd.DataFrame(rows, columns=["date", "actor", "event_type"])
    frame["date"] = pd.to_datetime(frame["date"])
    for column in COLUMNS:
        if column not in frame:
            frame[column] = pd.array(
                [pd.NA] * len(frame), dtype="Int64" if column in COUNTS else "str"
            )
    return frame[list(COLUMNS)]
