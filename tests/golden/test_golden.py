"""The golden run: refactors must leave these numbers bit for bit as they were.

The CSV files beside this module were written by ``make_golden.py``; a change of behaviour
that is meant (a new mechanism, a recalibrated posterior) regenerates them in its own commit.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from tests.golden.make_golden import golden_tables

HERE = Path(__file__).parent


@pytest.fixture(scope="module")
def tables():
    return golden_tables()


@pytest.mark.parametrize(
    "name",
    ["ensemble_summary", "ensemble_daily", "ensemble_worlds", "forecast_weekly", "abc_samples"],
)
def test_golden_run_is_reproduced_bit_for_bit(tables, name):
    buffer = io.StringIO()
    tables[name].to_csv(buffer, index=False, float_format="%.17g")
    expected = (HERE / f"{name}.csv").read_text()
    assert buffer.getvalue() == expected, f"{name} differs from the golden run"
