"""Helpers shared by the test modules (imported as ``from conftest import ...``), and the
Hypothesis profiles.

Hypothesis runs under the ``ci`` profile when the ``CI`` environment variable is set:
derandomised (the examples are a function of the test, so a CI failure reproduces on any
machine) and without deadlines (shared runners are slow and uneven). Elsewhere the ``dev``
profile draws fresh examples each run, still without deadlines, since the batched model's
first call pays for imports and caches. ``HYPOTHESIS_PROFILE`` picks a profile explicitly.
"""

from __future__ import annotations

import os

import pandas as pd
import pytest
from hypothesis import HealthCheck, settings

from escalation.events.schema import COLUMNS, COUNTS

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

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


@pytest.fixture(scope="session")
def dask_cluster():
    """A local Dask cluster of two worker processes, started once for the tests that use it."""
    pytest.importorskip("distributed")
    from escalation.ensemble import dask_client

    with dask_client(n_workers=2) as client:
        yield client


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
