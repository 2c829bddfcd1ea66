"""Fixtures shared by the test modules, and the Hypothesis profiles.

Plain helpers (no fixtures) live in :mod:`tests.helpers`, imported as
``from tests.helpers import ...``.

Hypothesis runs under the ``ci`` profile when the ``CI`` environment variable is set (.ci/run
sets it): derandomised and without the example database, so the examples are a function of
the test alone and a CI failure reproduces on any machine; without deadlines, since shared
runners are slow and uneven. Elsewhere the ``dev`` profile draws fresh examples each run,
still without deadlines, since the batched model's first call pays for imports and caches.
``HYPOTHESIS_PROFILE`` picks a profile explicitly.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os

import pytest
from hypothesis import HealthCheck, settings

from escalation.model.scenario import Scenario

settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


@pytest.fixture(scope="session")
def dask_cluster():
    """A local Dask cluster of two worker processes, started once for the tests that use it."""
    pytest.importorskip("distributed")
    from escalation.ensemble import dask_client

    with dask_client(n_workers=2) as client:
        yield client


@pytest.fixture(scope="module")
def baseline_to_february():
    """The baseline scenario cut to January and February 2021, without its posterior."""
    return dataclasses.replace(
        Scenario.load("baseline_2021"), end=dt.date(2021, 2, 28), posterior=None
    )
