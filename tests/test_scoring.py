"""Tests of the forecast scores against hand-computed values and their defining properties."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from escalation.forecasting import Forecast
from escalation.scoring import (
    crps_sample,
    ignorance_bin,
    ignorance_score,
    interval_score,
    score,
    weekly_scores,
)
from tests.helpers import canonical

counts = st.lists(st.integers(0, 60), min_size=1, max_size=30)


def crps_by_integration(samples, y):
    """CRPS as the integral of (F(x) - 1{x >= y})^2, F the empirical CDF (exact for steps)."""
    knots = np.unique(np.concatenate([samples, [y]]).astype(float))
    left = knots[:-1]  # F and the indicator are constant on [knots[i], knots[i + 1])
    cdf = np.searchsorted(np.sort(samples), left, side="right") / len(samples)
    return float(np.sum((cdf - (left >= y)) ** 2 * np.diff(knots)))


# ----- CRPS ----------------------------------------------------------------------------------


def test_crps_by_hand():
    # E|X - 1| = (1 + 0 + 1 + 2) / 4 = 1; sum over ordered pairs |x_i - x_j| = 2 * 10 = 20,
    # so E|X - X'| = 20 / 16 = 1.25 and CRPS = 1 - 0.625 = 0.375.
    assert crps_sample([0, 1, 2, 3], 1) == pytest.approx(0.375)
    assert crps_by_integration(np.array([0, 1, 2, 3]), 1) == pytest.approx(0.375)


def test_crps_of_a_point_forecast_is_the_absolute_error():
    assert crps_sample([5, 5, 5], 2) == pytest.approx(3.0)
    assert crps_sample([5, 5, 5], 5) == 0.0


@given(counts, st.integers(0, 60))
def test_crps_equals_the_integral_form(samples, y):
    assert crps_sample(samples, y) == pytest.approx(crps_by_integration(np.array(samples), y))


@given(counts, st.integers(0, 60))
def test_crps_is_non_negative_and_zero_only_for_a_perfect_point_forecast(samples, y):
    value = crps_sample(samples, y)
    assert value >= 0
    assert (value == 0) == all(s == y for s in samples)


def test_crps_prefers_a_forecast_centred_on_the_observation():
    assert crps_sample([8, 9, 10, 11, 12], 10) < crps_sample([10, 11, 12, 13, 14], 10)


def test_crps_scores_columns_independently():
    samples = np.array([[0, 4], [1, 5], [2, 9], [3, 9]])
    np.testing.assert_allclose(
        crps_sample(samples, np.array([1, 6])),
        [crps_sample(samples[:, 0], 1), crps_sample(samples[:, 1], 6)],
    )


def test_scores_reject_mismatched_shapes():
    with pytest.raises(ValueError, match="does not match"):
        crps_sample(np.zeros((4, 2)), np.zeros(3))


# ----- ignorance -----------------------------------------------------------------------------


def test_ignorance_bins():
    values = [0, 1, 2, 3, 5, 6, 10, 11, 25, 26, 50, 51, 100, 101, 5000]
    expected = [0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7]
    np.testing.assert_array_equal(ignorance_bin(values), expected)


def test_ignorance_by_hand_with_add_one_smoothing():
    samples = [0, 0, 0, 0, 1, 2, 2, 7, 8, 10]  # bins: 4 in {0}, 3 in {1,2}, 3 in {6..10}
    # y = 1 falls in {1,2}: p = (3 + 1) / (10 + 8).
    assert ignorance_score(samples, 1) == pytest.approx(-np.log2(4 / 18))
    # y = 60 falls in {51..100}, which no sample reached: p = 1 / 18, finite.
    assert ignorance_score(samples, 60) == pytest.approx(np.log2(18))


def test_ignorance_rejects_negative_counts():
    with pytest.raises(ValueError, match="non-negative"):
        ignorance_score([0, 1], -1)


# ----- interval score ------------------------------------------------------------------------


def test_interval_score_by_hand():
    samples = np.arange(101)  # 5th and 95th sample quantiles are exactly 5 and 95
    assert interval_score(samples, 50) == pytest.approx(90)
    assert interval_score(samples, 95) == pytest.approx(90)  # the bound is inside
    assert interval_score(samples, 0) == pytest.approx(90 + 20 * 5)
    assert interval_score(samples, 100) == pytest.approx(90 + 20 * 5)


# ----- score of a Forecast -------------------------------------------------------------------


def spread_forecast(n_weeks: int) -> Forecast:
    """101 worlds; world i has i attacks on the first day of every week."""
    daily = np.zeros((101, 7 * n_weeks), dtype=np.int64)
    daily[:, ::7] = np.arange(101)[:, None]
    return Forecast("spread", "2021-07-05", 7 * n_weeks, {"militia_attacks": daily})


def attacks(day: str, n: int) -> list:
    return [(day, "militia", "rocket_attack")] * n


def test_score_coverage_and_interval_score_on_a_constructed_case():
    observed = canonical(
        attacks("2021-07-06", 3)  # week 0: 3, below the interval [5, 95]
        + attacks("2021-07-12", 50)  # week 1: 50, inside
        + attacks("2021-07-25", 95)  # week 2: 95, on the upper bound, inside
        + [("2021-07-13", "US", "airstrike"), ("2021-07-13", "militia", "political_action")]
        + attacks("2021-07-26", 7)  # after the forecast window
    )
    result = score(spread_forecast(3), observed)
    assert result["n_weeks"] == 3
    assert result["coverage90"] == pytest.approx(2 / 3)
    assert result["interval_score"] == pytest.approx((90 + 20 * 2 + 90 + 90) / 3)
    assert result["mean_observed"] == pytest.approx((3 + 50 + 95) / 3)
    assert result["mean_forecast"] == pytest.approx(50)
    samples = np.arange(101)
    assert result["crps"] == pytest.approx(np.mean([crps_sample(samples, y) for y in (3, 50, 95)]))
    assert result["ignorance"] == pytest.approx(
        np.mean([ignorance_score(samples, y) for y in (3, 50, 95)])
    )


def test_a_perfect_forecast_scores_best():
    observed = canonical(attacks("2021-07-05", 2) + attacks("2021-07-14", 1))
    daily = np.zeros((50, 10), dtype=np.int64)
    daily[:, 0], daily[:, 9] = 2, 1
    perfect = Forecast("perfect", "2021-07-05", 10, {"militia_attacks": daily})
    result = score(perfect, observed)
    assert result["crps"] == 0
    assert result["interval_score"] == 0
    assert result["coverage90"] == 1
    assert result["ignorance"] == pytest.approx(-np.log2(51 / 58))
    assert result["n_weeks"] == 2  # one full week and a partial one of three days


def test_weekly_scores_table():
    observed = canonical(attacks("2021-07-06", 3))
    table = weekly_scores(spread_forecast(2), observed)
    assert list(table.index) == list(pd.to_datetime(["2021-07-05", "2021-07-12"]))
    assert table["observed"].tolist() == [3, 0]
    assert table["covered"].tolist() == [False, False]
    np.testing.assert_allclose(table[["lower", "upper"]].to_numpy(), [[5, 95], [5, 95]])
