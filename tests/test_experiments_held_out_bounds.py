"""The hindsight bounds of the held-out test, on a record small enough to count by hand."""

from __future__ import annotations

import pytest

from experiments.held_out_bounds import bounds
from tests.helpers import canonical


def test_bounds_of_a_half_year_with_one_busy_first_week():
    # Two rocket attacks on 1 July, nothing after: weeks [2, 0 x 26]. Constant in hindsight:
    # the sum over k of G(k)(1 - G(k)), G(0) = G(1) = 26/27: 2 * 26 / 27**2 = 52/729. Two
    # regimes: the three weeks ending before 26 July, [2, 0, 0], G(0) = G(1) = 2/3, score
    # 2 * 2/9 = 4/9; the 24 after, all zero, score 0; weighted, 3 * 4/9 / 27 = 4/81.
    record = canonical([("2021-07-01", "militia", "rocket_attack")] * 2)
    row = bounds(record, poisson_crps=1.0)
    assert row["weeks"] == 27 and row["weeks_before_agreement"] == 3
    assert row["best_constant_in_hindsight"] == pytest.approx(52 / 729)
    assert row["best_two_regimes_in_hindsight"] == pytest.approx(4 / 81)
    assert row["target_crps"] == pytest.approx(0.8)
    assert row["best_two_regimes_in_hindsight_below_poisson"] == pytest.approx(1 - 4 / 81)
