"""Tests of the forecast scores against hand-computed values and their defining properties."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from escalation.forecasting import Forecast
from escalation.scoring import (
    brier_score,
    crps_sample,
    diebold_mariano,
    hindsight_crps,
    ignorance_bin,
    ignorance_score,
    interval_score,
    log_score,
    nonrandomized_pit,
    pit_bounds,
    pit_chisquare,
    pit_coverage,
    randomized_pit,
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


def test_hindsight_crps_by_hand():
    # Weeks 0 and 2: half the mean absolute difference over the four ordered pairs,
    # 0.5 * (0 + 2 + 2 + 0) / 4 = 0.5; as the sum over k of G(k)(1 - G(k)): G(0) = G(1) = 0.5.
    assert hindsight_crps([0, 2]) == pytest.approx(0.5)
    assert hindsight_crps([3, 3, 3]) == 0.0  # the same count every week: a point forecast


@given(counts)
def test_hindsight_crps_is_the_sum_of_g_times_one_minus_g(weeks):
    y = np.array(weeks)
    g = np.array([(y <= k).mean() for k in range(y.max() + 1)])
    assert hindsight_crps(y) == pytest.approx(float(np.sum(g * (1 - g))))


@given(counts, st.floats(0.05, 30), st.floats(0.2, 20))
def test_no_constant_forecast_scores_below_the_hindsight_bound(weeks, mean, size):
    # A forecast giving every week the same distribution, here negative binomials of any mean
    # and dispersion (exact CDFs on a fine grid), cannot beat the weeks' own distribution.
    y = np.array(weeks)
    k = np.arange(0, 400)
    cdf = stats.nbinom.cdf(k, size, size / (size + mean))
    crps = np.mean([np.sum((cdf - (k >= obs)) ** 2) for obs in y])
    assert crps >= hindsight_crps(y) - 1e-9


def test_hindsight_crps_refuses_what_is_not_a_list_of_weeks():
    with pytest.raises(ValueError, match="1-d array of weeks"):
        hindsight_crps([])


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


def test_a_forecast_without_ieds_is_scored_against_the_attacks_other_than_ieds():
    # Observed: week 0 holds 2 rockets and 3 IEDs, week 1 one IED. Every world forecasts the
    # same: without its IEDs it is a perfect point forecast of 2 and 0 attacks, where all
    # attacks (5 and 1) would put the observed mean at 3 and miss both weeks.
    observed = canonical(
        attacks("2021-07-06", 2)
        + [("2021-07-07", "militia", "ied_attack")] * 3
        + [("2021-07-13", "militia", "ied_attack")]
    )
    rockets, ieds = np.zeros((10, 14), dtype=np.int64), np.zeros((10, 14), dtype=np.int64)
    rockets[:, 1], ieds[:, 2], ieds[:, 8] = 2, 3, 1
    predicted = Forecast(
        "typed",
        "2021-07-05",
        14,
        {"militia_attacks": rockets + ieds, "rocket_attack": rockets, "ied_attack": ieds},
    )
    others = predicted.excluding("ied_attack")
    assert weekly_scores(others, observed)["observed"].tolist() == [2, 0]
    result = score(others, observed)
    assert result["mean_observed"] == pytest.approx(1.0)
    assert result["crps"] == 0 and result["coverage90"] == 1
    assert score(predicted, observed)["mean_observed"] == pytest.approx(3.0)


def test_weekly_scores_table():
    observed = canonical(attacks("2021-07-06", 3))
    table = weekly_scores(spread_forecast(2), observed)
    assert list(table.index) == list(pd.to_datetime(["2021-07-05", "2021-07-12"]))
    assert table["observed"].tolist() == [3, 0]
    assert table["covered"].tolist() == [False, False]
    np.testing.assert_allclose(table[["lower", "upper"]].to_numpy(), [[5, 95], [5, 95]])


def test_brier_score_by_hand():
    # Three of four worlds strike: p = 0.75; it happened: (0.75 - 1)^2, it did not: 0.75^2.
    worlds = [True, True, False, True]
    assert brier_score(worlds, True) == pytest.approx(0.0625)
    assert brier_score(worlds, False) == pytest.approx(0.5625)
    # Columns are scored apart; a forecast of one half scores 0.25 whatever happens.
    halves = np.array([[1, 0], [0, 1]])
    np.testing.assert_allclose(brier_score(halves, np.array([1, 0])), [0.25, 0.25])
    with pytest.raises(ValueError, match="yes/no"):
        brier_score([0, 2], 1)
    with pytest.raises(ValueError, match="yes/no"):
        brier_score([0, 1], 0.5)


def test_weekly_strike_round_event_scored_by_hand():
    # Four worlds over two weeks: worlds 0 and 1 strike in week 0 (world 1 on two days, still
    # one yes), world 2 in week 1, world 3 never. Observed: US airstrikes on 6 and 7 July (one
    # round, counted on its first day) and none in week 1.
    daily = np.zeros((4, 14), dtype=np.int64)
    rounds = np.zeros((4, 14), dtype=np.int64)
    rounds[0, 2] = rounds[1, 0] = rounds[1, 5] = rounds[2, 9] = 1
    predicted = Forecast(
        "rounds", "2021-07-05", 14, {"militia_attacks": daily, "us_strike_rounds": rounds}
    )
    observed = canonical([("2021-07-06", "US", "airstrike"), ("2021-07-07", "US", "airstrike")])
    table = weekly_scores(predicted, observed)
    assert table["rounds_observed"].tolist() == [1, 0]
    np.testing.assert_allclose(table["round_probability"], [0.5, 0.25])
    np.testing.assert_allclose(table["round_brier"], [0.25, 0.0625])
    # Add-one smoothed over {no, yes}: week 0 p(yes) = (2 + 1) / (4 + 2), week 1 p(no) = 4 / 6.
    np.testing.assert_allclose(table["round_log_score"], [-math.log(3 / 6), -math.log(4 / 6)])
    result = score(predicted, observed)
    assert result["round_brier"] == pytest.approx((0.25 + 0.0625) / 2)
    assert result["round_probability"] == pytest.approx((0.5 + 0.25) / 2)


def test_a_forecast_without_rounds_gets_no_round_scores():
    observed = canonical([("2021-07-06", "US", "airstrike")])
    table = weekly_scores(spread_forecast(2), observed)
    assert table["rounds_observed"].tolist() == [1, 0]
    assert table[["round_probability", "round_brier", "round_log_score"]].isna().all().all()
    assert math.isnan(score(spread_forecast(2), observed)["round_brier"])


# -- log score, PIT for counts, chi-square and Diebold-Mariano ---------------------------------
# ----- logarithmic score ---------------------------------------------------------------------


def test_log_score_smoothing_by_hand_on_three_worlds():
    worlds = [0, 1, 1]
    # y = 1: support {0, 1}; p = (2 + 1) / (3 + 2 * 1).
    assert log_score(worlds, 1) == pytest.approx(-math.log(3 / 5))
    # y = 3, never simulated: support {0..3}; p = (0 + 1) / (3 + 4).
    assert log_score(worlds, 3) == pytest.approx(math.log(7))
    # y = 0 with alpha = 0.5: p = (1 + 0.5) / (3 + 0.5 * 2).
    assert log_score(worlds, 0, pseudocount=0.5) == pytest.approx(-math.log(1.5 / 4))


def test_log_score_over_a_fixed_support_is_laplaces_rule():
    # Three worlds say no: over the support {0} alone the smoothed p(no) would be 1; over
    # {no, yes} it is (3 + 1) / (3 + 2), and p(yes) = 1 / 5.
    assert log_score([0, 0, 0], 0) == 0.0
    assert log_score([0, 0, 0], 0, support=2) == pytest.approx(-math.log(4 / 5))
    assert log_score([0, 0, 0], 1, support=2) == pytest.approx(math.log(5))
    with pytest.raises(ValueError, match="support 2"):
        log_score([0, 2], 1, support=2)


def test_log_score_scores_columns_independently_and_rejects_non_counts():
    samples = np.array([[0, 2], [1, 2], [1, 5]])
    np.testing.assert_allclose(
        log_score(samples, np.array([1, 2])), [-math.log(3 / 5), -math.log(3 / 9)]
    )
    with pytest.raises(ValueError, match="whole counts"):
        log_score([0.5, 1.0], 1)
    with pytest.raises(ValueError, match="pseudocount"):
        log_score([0, 1], 1, pseudocount=0)


# ----- PIT -----------------------------------------------------------------------------------


def test_pit_bounds_and_randomised_pit_by_hand():
    lower, upper = pit_bounds([0, 1, 1, 3], 1)
    assert (lower, upper) == (0.25, 0.75)
    u = randomized_pit(np.array([[0, 1, 1, 3]]).T, np.array([1]), seed=4)
    assert 0.25 <= u[0] <= 0.75
    assert randomized_pit([0, 1, 1, 3], 1, seed=4) == u[0]  # same seed, same draw


def test_nonrandomized_pit_histogram_by_hand():
    # Uniform(0.2, 0.6) over 5 bins: CDF at the edges 0, 0.2, ..., 1 is 0, 0, .5, 1, 1, 1.
    np.testing.assert_allclose(nonrandomized_pit([0.2], [0.6], bins=5), [0, 0.5, 0.5, 0, 0])
    # A point mass at 0.3 (an observation no world reached would give l = u) sits in bin 2;
    # averaged with the first forecast.
    np.testing.assert_allclose(
        nonrandomized_pit([0.2, 0.3], [0.6, 0.3], bins=5), [0, 0.75, 0.25, 0, 0]
    )
    with pytest.raises(ValueError, match="lower <= upper"):
        nonrandomized_pit([0.5], [0.4])


def _synthetic(overconfident: bool, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Samples and observations of 400 weekly forecasts of 300 worlds, rates varying by week.

    The forecaster draws Poisson(rate); the truth is the same Poisson (calibrated) or a
    negative binomial of the same mean with size 1 (variance rate + rate^2: overconfident).
    """
    rng = np.random.default_rng(seed)
    rates = rng.uniform(2, 10, 400)
    samples = rng.poisson(rates, size=(300, 400))
    truth = rng.negative_binomial(1, 1 / (1 + rates)) if overconfident else rng.poisson(rates)
    return samples, truth


@pytest.mark.statistical
def test_pit_of_a_calibrated_forecaster_is_uniform():
    samples, truth = _synthetic(overconfident=False)
    lower, upper = pit_bounds(samples, truth)
    u = randomized_pit(samples, truth, seed=1)
    assert np.all((lower <= u) & (u <= upper))
    test = pit_chisquare(u, bins=10)
    assert test.n == 400 and test.bins == 10
    assert test.p_value > 0.01  # seeded; under uniformity p ~ U(0, 1)
    # Non-randomised histogram: 40 expected per bin; each share within 0.05 of 0.1.
    np.testing.assert_allclose(nonrandomized_pit(lower, upper), 0.1, atol=0.05)


@pytest.mark.statistical
def test_pit_of_an_overconfident_forecaster_is_u_shaped():
    samples, truth = _synthetic(overconfident=True)
    lower, upper = pit_bounds(samples, truth)
    u = randomized_pit(samples, truth, seed=1)
    assert pit_chisquare(u).p_value < 1e-6
    heights = nonrandomized_pit(lower, upper)
    assert heights[0] > 2 * heights[4:6].mean() and heights[-1] > 2 * heights[4:6].mean()
    # Its central 50% interval covers far fewer than half of the weeks.
    assert pit_coverage(u, [0.5])[0] < 0.35


def test_chi_square_and_coverage_by_hand():
    test = pit_chisquare([0.1, 0.2, 0.3, 0.9], bins=2)  # observed 3, 1; expected 2, 2
    assert test.statistic == pytest.approx(1.0)
    assert test.p_value == pytest.approx(stats.chi2.sf(1.0, 1))
    np.testing.assert_allclose(pit_coverage([0.5, 0.02, 0.7, 0.96], [0.5, 0.9]), [0.5, 0.5])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        pit_chisquare([0.2, 1.5])
    with pytest.raises(ValueError, match="bins"):
        pit_chisquare([0.2], bins=1)


# ----- Diebold-Mariano -----------------------------------------------------------------------


def test_diebold_mariano_by_hand_one_step():
    # d = 1, -1, 2, 0: mean 0.5, gamma_0 = 1.25; HLN factor sqrt((4 + 1 - 2) / 4).
    test = diebold_mariano([3, 1, 4, 2], [2, 2, 2, 2], horizon=1)
    statistic = math.sqrt(3 / 4) * 0.5 / math.sqrt(1.25 / 4)
    assert test.statistic == pytest.approx(statistic)
    assert test.p_value == pytest.approx(2 * stats.t.sf(statistic, 3))
    assert (test.mean_difference, test.long_run_variance, test.n) == (0.5, 1.25, 4)


def test_diebold_mariano_two_steps_falls_back_to_bartlett_weights():
    # gamma_1 = (-0.75 - 2.25 - 0.75) / 4 = -0.9375: 1.25 + 2 gamma_1 < 0, so the Bartlett
    # weight 1/2 applies: 1.25 - 0.9375 = 0.3125. HLN factor sqrt((4 + 1 - 4 + 2/4) / 4).
    test = diebold_mariano([3, 1, 4, 2], [2, 2, 2, 2], horizon=2)
    assert test.long_run_variance == pytest.approx(0.3125)
    assert test.statistic == pytest.approx(math.sqrt(1.5 / 4) * 0.5 / math.sqrt(0.3125 / 4))


@pytest.mark.statistical
def test_diebold_mariano_variance_matches_known_long_run_variances():
    rng = np.random.default_rng(8)
    # iid differences with variance 4: the long-run variance is 4.
    iid = rng.normal(0.0, 2.0, 20_000)
    assert diebold_mariano(iid, np.zeros_like(iid)).long_run_variance == pytest.approx(4, rel=0.05)
    # MA(1) differences e_t + e_(t-1): variance 2, long-run variance (1 + 1)^2 = 4, which
    # the lag-1 sum of a two-step test recovers and a one-step test misses.
    e = rng.normal(size=20_001)
    ma = e[1:] + e[:-1]
    zero = np.zeros_like(ma)
    assert diebold_mariano(ma, zero, horizon=2).long_run_variance == pytest.approx(4, rel=0.07)
    assert diebold_mariano(ma, zero, horizon=1).long_run_variance == pytest.approx(2, rel=0.05)


@pytest.mark.statistical
def test_diebold_mariano_detects_a_real_difference_and_not_a_null_one():
    rng = np.random.default_rng(2)
    a = rng.gamma(2.0, 1.0, 300)
    assert diebold_mariano(a, a + 0.5 + rng.normal(0, 0.5, 300)).p_value < 1e-6
    assert diebold_mariano(a, a + rng.normal(0, 0.5, 300)).p_value > 0.01


def test_diebold_mariano_rejects_bad_input_and_returns_nan_for_equal_losses():
    equal = diebold_mariano([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    assert math.isnan(equal.statistic) and equal.mean_difference == 0
    with pytest.raises(ValueError, match="same length"):
        diebold_mariano([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="horizon"):
        diebold_mariano([1, 2, 3], [1, 2, 4], horizon=0)
