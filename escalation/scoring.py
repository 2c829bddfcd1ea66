"""Scoring sample forecasts of weekly militia attacks against what was observed.

The scores are those of the VIEWS prediction challenges for forecasts given as samples: the
continuous ranked probability score (CRPS), the ignorance score on binned counts, and the
coverage and interval score of the central 90% interval (Hegre et al. 2024, "The 2023/24 VIEWS
Prediction Challenge: Predicting the Number of Fatalities in Armed Conflict, with Uncertainty",
arXiv:2407.11045; the earlier competition is Vesco et al. 2022, "United they stand: findings
from an escalation prediction competition", *International Interactions* 48(4)). CRPS and the
interval score are from Gneiting & Raftery 2007, "Strictly Proper Scoring Rules, Prediction, and
Estimation", *JASA* 102(477). All scores are negatively oriented: lower is better.

Forecasters' checks of calibration and of differences in skill come with them: the logarithmic
score of the observed count, the probability integral transform (PIT) for counts, randomised
and not (Czado, Gneiting & Held 2009, "Predictive model assessment for count data",
*Biometrics* 65(4)), a chi-square test of the PIT's uniformity, the coverage of central
intervals read off the PIT, and the Diebold-Mariano test of equal expected loss (Diebold &
Mariano 1995, "Comparing predictive accuracy", *Journal of Business & Economic Statistics*
13(3); Harvey, Leybourne & Newbold 1997, "Testing the equality of prediction mean squared
errors", *International Journal of Forecasting* 13(2)).

The per-week functions take samples along the first axis (shape ``(m,)`` or ``(m, k)``) and an
observation (scalar or shape ``(k,)``) and return one score per column.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from escalation.events.counts import (
    MILITIA,
    STRIKE_ROUNDS,
    daily_counts,
    weekly_sums,
    without_types,
)
from escalation.forecasting import Forecast
from escalation.runtime import Seed, seed_sequence

#: Upper edges (inclusive) of the ignorance-score bins {0}, {1,2}, {3..5}, {6..10}, {11..25},
#: {26..50}, {51..100}, {101+}.
IGNORANCE_BIN_UPPER = (0, 2, 5, 10, 25, 50, 100, np.inf)
#: Level of the scored central interval: 90%.
ALPHA = 0.1


def crps_sample(samples, y) -> np.ndarray | float:
    """CRPS of the empirical distribution of ``samples`` at the observation ``y``.

    CRPS(F, y) = E|X - y| - 0.5 E|X - X'| (Gneiting & Raftery 2007, eq. 21, the "energy
    form"), with both expectations taken over the empirical distribution of the ``m`` samples:
    E|X - X'| divides the sum over all ordered pairs by m^2 (not the "fair" m(m - 1)). This is
    the exact CRPS of the sample distribution, so a degenerate forecast scores its absolute error
    and the score is zero only for a perfect point forecast. The pair sum is computed exactly in
    O(m log m) by sorting: sum_{i,j} |x_i - x_j| = 2 sum_i (2i - m - 1) x_(i), i = 1..m.
    """
    x, y = _samples_and_observation(samples, y)
    m = x.shape[0]
    sorted_x = np.sort(x, axis=0)
    weights = (2.0 * np.arange(1, m + 1) - m - 1).reshape((m,) + (1,) * (x.ndim - 1))
    spread = 2.0 * np.sum(weights * sorted_x, axis=0) / m**2
    crps = np.mean(np.abs(x - y), axis=0) - 0.5 * spread
    return _scalar_if_0d(crps)


def hindsight_crps(observed) -> float:
    """The lowest mean CRPS a forecast giving every week one and the same distribution can score
    over these observed weeks, whatever that distribution: the bound of a constant forecast
    chosen after the fact.

    For a forecast CDF F used in every week, the mean CRPS over weeks ``y_1..y_n`` is the
    integral of ``(F - G)**2 + G (1 - G)``, G the empirical CDF of the weeks (the mean of the
    indicators ``1{y_i <= x}``); it is least at F = G, where it is the integral of G (1 - G),
    half the mean absolute difference between two weeks (Gneiting & Raftery 2007, eq. 21).
    The weeks forecast by their own empirical distribution score exactly that, which is how it
    is computed. A forecast beats the bound only by telling weeks apart: a forecast that says
    the same thing every week, Poisson, negative binomial or any other, cannot.
    """
    y = np.asarray(observed, dtype=float)
    if y.ndim != 1 or y.size == 0:
        raise ValueError(f"hindsight_crps: expected a non-empty 1-d array of weeks, got {y.shape}")
    every_week = np.broadcast_to(y[:, None], (y.size, y.size))  # each week's forecast: all weeks
    return float(np.mean(crps_sample(every_week, y)))


def ignorance_bin(counts) -> np.ndarray:
    """Index of the ignorance-score bin holding each count (see :data:`IGNORANCE_BIN_UPPER`)."""
    counts = np.asarray(counts)
    if np.any(counts < 0):
        raise ValueError(f"counts must be non-negative, found minimum {counts.min()}")
    return np.searchsorted(IGNORANCE_BIN_UPPER, counts, side="left")


def ignorance_score(samples, y, pseudocount: float = 1.0) -> np.ndarray | float:
    """Ignorance score: -log2 of the forecast probability of the bin holding ``y``.

    Counts are binned as {0}, {1,2}, {3..5}, {6..10}, {11..25}, {26..50}, {51..100}, {101+}. The
    bin probabilities are smoothed by adding ``pseudocount`` (default 1, add-one smoothing) to
    every bin's sample count, p_b = (n_b + c) / (m + 8c), as the VIEWS 2023/24 challenge's
    evaluation does ("one observation in each bin"), so a bin no world reached costs
    log2((m + 8) / 1) bits instead of infinity.
    """
    x, y = _samples_and_observation(samples, y)
    if pseudocount <= 0:
        raise ValueError(f"pseudocount must be positive, found {pseudocount}")
    n_bins = len(IGNORANCE_BIN_UPPER)
    observed_bin = ignorance_bin(y)
    in_bin = np.sum(ignorance_bin(x) == observed_bin, axis=0)
    probability = (in_bin + pseudocount) / (x.shape[0] + n_bins * pseudocount)
    return _scalar_if_0d(-np.log2(probability))


def central_interval(samples, alpha: float = ALPHA) -> tuple[np.ndarray, np.ndarray]:
    """Central ``1 - alpha`` interval: the alpha/2 and 1 - alpha/2 sample quantiles.

    numpy's default (linear) interpolation between order statistics, as in
    :meth:`escalation.forecasting.Forecast.quantiles`.
    """
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must lie in (0, 1), found {alpha}")
    lower, upper = np.quantile(np.asarray(samples, dtype=float), [alpha / 2, 1 - alpha / 2], axis=0)
    return lower, upper


def interval_score(samples, y, alpha: float = ALPHA) -> np.ndarray | float:
    """Interval score of the central ``1 - alpha`` interval (Gneiting & Raftery 2007, eq. 43).

    (u - l) + (2 / alpha)(l - y) 1{y < l} + (2 / alpha)(y - u) 1{y > u}: the interval's width
    plus a penalty for missing, growing with the distance of the miss.
    """
    x, y = _samples_and_observation(samples, y)
    lower, upper = central_interval(x, alpha)
    score = (
        (upper - lower)
        + (2.0 / alpha) * np.clip(lower - y, 0.0, None)
        + (2.0 / alpha) * np.clip(y - upper, 0.0, None)
    )
    return _scalar_if_0d(score)


def weekly_scores(forecast: Forecast, observed: pd.DataFrame) -> pd.DataFrame:
    """Scores of a forecast week by week against observed canonical events.

    Weekly counts of militia attacks (actor ``militia``, types in
    :data:`~.schema.MILITIA_ATTACKS`) in weeks counted from the forecast's start over
    its days (the last week may be partial). The observed frame is taken to cover the whole
    forecast window: a week with no rows counts zero attacks. Observed events of the types a
    forecast has taken out of its series (:meth:`~escalation.forecasting.Forecast.excluding`)
    are dropped before counting, so both sides count the same attacks.

    The US strike round, the escalation a forecast is most often asked about, is scored as a
    yes/no event each week (a round beginning that week; rounds as
    :func:`~escalation.events.counts.strike_round_starts` chains them): the forecast
    probability is the share of worlds with one, scored by :func:`brier_score` and by
    :func:`log_score` over the two outcomes, yes and no. A forecast without a
    ``us_strike_rounds`` series (one with some attack types taken out) gets NaN there.

    Returns
    -------
    pandas.DataFrame
        Indexed by week start, with columns observed, mean_forecast, lower, upper (the 90%
        interval), covered, crps, ignorance, log_score (nats, :func:`log_score`),
        interval_score, pit_lower, pit_upper (the PIT interval F(y - 1), F(y) of
        :func:`pit_bounds`), and rounds_observed, round_probability, round_brier and
        round_log_score (the strike round).
    """
    samples = forecast.weekly(MILITIA).astype(float)
    observed = without_types(observed, forecast.excluded_types)
    counts = daily_counts(observed, forecast.start, forecast.days)
    y = weekly_sums(counts[MILITIA]).astype(float)
    lower, upper = central_interval(samples, ALPHA)
    pit_lower, pit_upper = pit_bounds(samples, y)
    rounds = weekly_sums(counts[STRIKE_ROUNDS])
    return pd.DataFrame(
        {
            "observed": y,
            "mean_forecast": samples.mean(axis=0),
            "lower": lower,
            "upper": upper,
            "covered": (lower <= y) & (y <= upper),
            "crps": crps_sample(samples, y),
            "ignorance": ignorance_score(samples, y),
            "log_score": log_score(samples, y),
            "interval_score": interval_score(samples, y, ALPHA),
            "pit_lower": pit_lower,
            "pit_upper": pit_upper,
            "rounds_observed": rounds,
            **_round_scores(forecast, rounds > 0),
        },
        index=forecast.week_starts.rename("week_start"),
    )


def _round_scores(forecast: Forecast, happened: np.ndarray) -> dict[str, np.ndarray | float]:
    """The week's strike-round event scored (NaN if the forecast has no rounds series)."""
    if STRIKE_ROUNDS not in forecast.daily:
        missing = np.full(len(happened), np.nan)
        return dict.fromkeys(("round_probability", "round_brier", "round_log_score"), missing)
    struck = forecast.weekly(STRIKE_ROUNDS) > 0
    return {
        "round_probability": struck.mean(axis=0),
        "round_brier": brier_score(struck, happened),
        "round_log_score": log_score(struck, happened, support=2),
    }


def brier_score(samples, happened) -> np.ndarray | float:
    """Brier score of a yes/no event: ``(p - o)**2``, ``p`` the share of sampled worlds in which
    it happens, ``o`` 1 if it happened, else 0. From 0 (certain and right) to 1 (certain and
    wrong); a forecast of 0.5 scores 0.25 whatever happens (Brier 1950, "Verification of
    forecasts expressed in terms of probability", *Monthly Weather Review* 78(1)).

    ``samples`` are booleans (or 0/1) of shape ``(m,)`` or ``(m, k)``, ``happened`` one
    outcome per column.
    """
    x, o = _samples_and_observation(samples, happened)
    for name, values in (("samples", x), ("outcome", o)):
        if not np.isin(values, (0.0, 1.0)).all():
            raise ValueError(f"brier_score: {name} must be yes/no (True/False or 1/0)")
    return _scalar_if_0d((x.mean(axis=0) - o) ** 2)


def score(forecast: Forecast, observed: pd.DataFrame) -> dict[str, float]:
    """Score a forecast of weekly militia attacks against observed canonical events.

    A forecast of attacks other than some types (``forecast.excluding("ied_attack")``) is
    scored against the observed attacks other than those types: pass the whole record.

    Returns
    -------
    dict
        ``crps``, ``ignorance`` (bits), ``log_score`` (nats) and ``interval_score`` averaged
        over weeks;
        ``coverage90``, the share of weeks whose observed count lies in the central 90%
        interval (5th to 95th sample quantiles, inclusive); ``n_weeks``; ``mean_forecast`` and
        ``mean_observed``, weekly counts averaged over weeks (and worlds); ``round_brier``,
        ``round_log_score`` and ``round_probability``, the weekly US strike round's scores and
        forecast probability averaged over weeks (NaN for a forecast without rounds).

    See :func:`weekly_scores` for the week-by-week table and what is counted.
    """
    weeks = weekly_scores(forecast, observed)
    return {
        "crps": float(weeks["crps"].mean()),
        "ignorance": float(weeks["ignorance"].mean()),
        "log_score": float(weeks["log_score"].mean()),
        "coverage90": float(weeks["covered"].mean()),
        "interval_score": float(weeks["interval_score"].mean()),
        "n_weeks": len(weeks),
        "mean_forecast": float(weeks["mean_forecast"].mean()),
        "mean_observed": float(weeks["observed"].mean()),
        "round_brier": float(weeks["round_brier"].mean()),
        "round_log_score": float(weeks["round_log_score"].mean()),
        "round_probability": float(weeks["round_probability"].mean()),
    }


#: Add-alpha pseudocount of :func:`log_score`'s smoothed predictive pmf (add-one, as the
#: ignorance score's).
LOG_SCORE_PSEUDOCOUNT = 1.0
#: Default number of equal bins of PIT histograms and of the chi-square uniformity test.
PIT_BINS = 10


def log_score(
    samples, y, pseudocount: float = LOG_SCORE_PSEUDOCOUNT, support: int | None = None
) -> np.ndarray | float:
    """Logarithmic score: -ln of the smoothed predictive probability of the observed count.

    The predictive pmf is the empirical pmf of the ``m`` sampled counts smoothed by adding
    ``pseudocount`` (alpha, default 1) to every count of the support {0, ..., K}, K the
    largest of the samples and the observation: p(y) = (n_y + alpha) / (m + alpha (K + 1)),
    n_y the number of samples equal to y. A count no world reached thus costs a finite
    amount, more the farther beyond the samples it lies. In nats (natural logarithm), lower is
    better (Gneiting & Raftery 2007, section 3; Czado et al. 2009, section 3.1). ``support``
    fixes K + 1 for a count with a known range: a yes/no event (0 or 1) has 2, whatever the
    worlds drew, which makes the smoothing Laplace's rule, p(yes) = (n_yes + 1) / (m + 2).
    """
    x, y = _count_samples_and_observation(samples, y)
    if pseudocount <= 0:
        raise ValueError(f"pseudocount must be positive, found {pseudocount}")
    if support is not None and (x.max(initial=0) >= support or np.max(y, initial=0) >= support):
        raise ValueError(f"log_score: a count at or beyond the support {support}")
    support = np.maximum(x.max(axis=0), y) + 1 if support is None else support
    hits = np.sum(x == y, axis=0)
    probability = (hits + pseudocount) / (x.shape[0] + pseudocount * support)
    return _scalar_if_0d(-np.log(probability))


def pit_bounds(samples, y) -> tuple[np.ndarray, np.ndarray]:
    """The predictive CDF just below and at the observed count: F(y - 1) and F(y).

    F is the empirical CDF of the sampled counts. For a count forecast the PIT is not a
    single number but the interval [F(y - 1), F(y)] (Czado et al. 2009, section 2.1).
    """
    x, y = _count_samples_and_observation(samples, y)
    return np.mean(x < y, axis=0), np.mean(x <= y, axis=0)


def randomized_pit(samples, y, seed: Seed = None) -> np.ndarray | float:
    """Randomised PIT of a count forecast: u ~ Uniform(F(y - 1), F(y)).

    Under a calibrated forecaster u is uniform on (0, 1) (Czado et al. 2009, eq. 1; Brockwell
    2007); ``seed`` (see :func:`escalation.runtime.seed_sequence`) fixes the draws.
    """
    lower, upper = pit_bounds(samples, y)
    rng = np.random.default_rng(seed_sequence(seed))
    return _scalar_if_0d(lower + rng.random(np.shape(lower)) * (upper - lower))


def nonrandomized_pit(lower, upper, bins: int = PIT_BINS) -> np.ndarray:
    """Non-randomised PIT histogram: the share of forecasts in each of ``bins`` equal bins.

    Each forecast i contributes the CDF of Uniform(l_i, u_i), F_i(v) = 0 below l_i,
    (v - l_i) / (u_i - l_i) between, 1 above (a step at l_i when u_i = l_i). Bin j holds
    mean_i F_i(j / J) - mean_i F_i((j - 1) / J) (Czado et al. 2009, eq. 2), the expected
    share of randomised PIT values in the bin: deterministic, no draws. A calibrated
    forecaster gives 1 / J in every bin; a U shape says too narrow, a hump too wide.
    """
    lower, upper = _pit_intervals(lower, upper)
    edges = np.linspace(0.0, 1.0, _check_bins(bins) + 1)
    width = upper - lower
    safe = np.where(width > 0, width, 1.0)
    cdf = np.where(
        width[:, None] > 0,
        np.clip((edges[None, :] - lower[:, None]) / safe[:, None], 0.0, 1.0),
        (edges[None, :] >= lower[:, None]).astype(float),
    )
    return np.diff(cdf.mean(axis=0))


class ChiSquare(NamedTuple):
    """A chi-square test of uniformity of PIT values over equal bins."""

    statistic: float
    p_value: float
    bins: int
    n: int


def pit_chisquare(pit, bins: int = PIT_BINS) -> ChiSquare:
    """Pearson chi-square test that PIT values are uniform over ``bins`` equal bins.

    sum_j (O_j - n / J)^2 / (n / J) against chi-square with J - 1 degrees of freedom. The
    p-value assumes independent PIT values; PITs of overlapping forecast windows are not, so
    read a small p-value as a flag, not a verdict.
    """
    values = np.asarray(pit, dtype=float).ravel()
    if values.size == 0 or np.any((values < 0) | (values > 1)) or np.isnan(values).any():
        raise ValueError("pit must be a non-empty array of values in [0, 1]")
    bins = _check_bins(bins)
    observed, _ = np.histogram(values, bins=bins, range=(0.0, 1.0))
    result = stats.chisquare(observed)
    return ChiSquare(float(result.statistic), float(result.pvalue), bins, int(values.size))


def pit_coverage(pit, levels: Sequence[float] | np.ndarray) -> np.ndarray:
    """Share of PIT values inside the central interval of each nominal level.

    A value lies inside the central ``p`` interval when it falls in [(1 - p) / 2, (1 + p) / 2].
    With randomised PITs this is exact for counts: a calibrated forecaster covers each level
    at its nominal rate, where sample-quantile intervals of integers over-cover.
    """
    values = np.asarray(pit, dtype=float).ravel()
    nominal = np.asarray(levels, dtype=float)
    if np.any((nominal <= 0) | (nominal >= 1)):
        raise ValueError(f"levels must lie in (0, 1), found {nominal.tolist()}")
    low, high = (1 - nominal) / 2, (1 + nominal) / 2
    return np.mean((values[None, :] >= low[:, None]) & (values[None, :] <= high[:, None]), axis=1)


class DieboldMariano(NamedTuple):
    """A Diebold-Mariano test of equal expected loss of forecasts a and b.

    ``mean_difference`` is mean(loss_a - loss_b): negative when a scores better (lower).
    """

    statistic: float
    p_value: float
    mean_difference: float
    long_run_variance: float
    n: int


def diebold_mariano(loss_a, loss_b, horizon: int = 1) -> DieboldMariano:
    """Test whether two forecasts' losses (e.g. CRPS, time-ordered) have the same expectation.

    d_t = loss_a_t - loss_b_t. The long-run variance of d sums its autocovariances up to lag
    ``horizon - 1`` (forecasts ``horizon`` steps ahead have errors correlated that far:
    Diebold & Mariano 1995); should that truncated sum not be positive, Bartlett weights
    1 - k / horizon are applied (Newey & West 1987), which keep it so. The statistic
    mean(d) / sqrt(variance / n) is scaled by the small-sample correction
    sqrt((n + 1 - 2h + h(h - 1) / n) / n) and referred to Student's t with n - 1 degrees of
    freedom, two-sided (Harvey, Leybourne & Newbold 1997). When the losses are equal
    throughout, the statistic and p-value are NaN.
    """
    a, b = np.asarray(loss_a, dtype=float), np.asarray(loss_b, dtype=float)
    if a.ndim != 1 or a.shape != b.shape or a.size < 2:
        raise ValueError(
            f"loss_a and loss_b must be 1-D of the same length >= 2, found {a.shape}, {b.shape}"
        )
    if np.isnan(a).any() or np.isnan(b).any():
        raise ValueError("loss_a and loss_b must not contain NaN")
    if isinstance(horizon, bool) or not isinstance(horizon, int | np.integer) or horizon < 1:
        raise ValueError(f"horizon must be a positive integer, found {horizon!r}")
    h, n = int(horizon), a.size
    d = a - b
    variance = _long_run_variance(d, h)
    mean = float(d.mean())
    if variance <= 0:
        return DieboldMariano(math.nan, math.nan, mean, variance, n)
    correction = math.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n)
    statistic = correction * mean / math.sqrt(variance / n)
    p_value = float(2 * stats.t.sf(abs(statistic), df=n - 1))
    return DieboldMariano(float(statistic), p_value, mean, variance, n)


def _long_run_variance(d: np.ndarray, horizon: int) -> float:
    """Autocovariances of ``d`` summed to lag ``horizon - 1``; Bartlett weights if not positive."""
    centred = d - d.mean()
    n = centred.size
    gammas = np.array([centred[k:] @ centred[: n - k] / n for k in range(min(horizon, n))])
    truncated = gammas[0] + 2 * gammas[1:].sum()
    if truncated > 0:
        return float(truncated)
    weights = 1 - np.arange(1, len(gammas)) / horizon
    return float(gammas[0] + 2 * (weights * gammas[1:]).sum())


def _pit_intervals(lower, upper) -> tuple[np.ndarray, np.ndarray]:
    lower, upper = np.asarray(lower, dtype=float).ravel(), np.asarray(upper, dtype=float).ravel()
    if lower.shape != upper.shape or lower.size == 0:
        raise ValueError(
            f"lower and upper must be non-empty and alike, found {lower.shape}, {upper.shape}"
        )
    if np.any((lower < 0) | (upper > 1) | (lower > upper)):
        raise ValueError("PIT bounds must satisfy 0 <= lower <= upper <= 1")
    return lower, upper


def _check_bins(bins) -> int:
    if isinstance(bins, bool) or not isinstance(bins, int | np.integer) or bins < 2:
        raise ValueError(f"bins must be an integer >= 2, found {bins!r}")
    return int(bins)


def _count_samples_and_observation(samples, y) -> tuple[np.ndarray, np.ndarray]:
    x, y = _samples_and_observation(samples, y)
    for name, values in (("samples", x), ("observation", y)):
        if np.any(values < 0) or np.any(values != np.round(values)):
            raise ValueError(f"{name} must be non-negative whole counts")
    return x, y


def _samples_and_observation(samples, y) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(samples, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.ndim == 0 or x.shape[0] == 0:
        raise ValueError(f"samples must have at least one sample along axis 0, shape {x.shape}")
    if y.shape != x.shape[1:]:
        raise ValueError(f"observation of shape {y.shape} does not match samples {x.shape}")
    if np.isnan(x).any() or np.isnan(y).any():
        raise ValueError("samples and observation must not contain NaN")
    return x, y


def _scalar_if_0d(values: np.ndarray) -> np.ndarray | float:
    return float(values) if np.ndim(values) == 0 else values
