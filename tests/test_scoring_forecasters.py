"""Tests of the forecasters' checks: log score, PIT for counts, chi-square and Diebold-Mariano."""

import math

import numpy as np
import pytest
from scipy import stats

from escalation.scoring import (
    diebold_mariano,
    log_score,
    nonrandomized_pit,
    pit_bounds,
    pit_chisquare,
    pit_coverage,
    randomized_pit,
)

# ----- logarithmic score ---------------------------------------------------------------------


def test_log_score_smoothing_by_hand_on_three_worlds():
    worlds = [0, 1, 1]
    # y = 1: support {0, 1}; p = (2 + 1) / (3 + 2 * 1).
    assert log_score(worlds, 1) == pytest.approx(-math.log(3 / 5))
    # y = 3, never simulated: support {0..3}; p = (0 + 1) / (3 + 4).
    assert log_score(worlds, 3) == pytest.approx(math.log(7))
    # y = 0 with alpha = 0.5: p = (1 + 0.5) / (3 + 0.5 * 2).
    assert log_score(worlds, 0, pseudocount=0.5) == pytest.approx(-math.log(1.5 / 4))


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
