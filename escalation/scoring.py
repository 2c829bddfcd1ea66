"""Scoring sample forecasts of weekly militia attacks against what was observed.

The scores are those of the VIEWS prediction challenges for forecasts given as samples: the
continuous ranked probability score (CRPS), the ignorance score on binned counts, and the
coverage and interval score of the central 90% interval (Hegre et al. 2024, "The 2023/24 VIEWS
Prediction Challenge: Predicting the Number of Fatalities in Armed Conflict, with Uncertainty",
arXiv:2407.11045; the earlier competition is Vesco et al. 2022, "United they stand: findings
from an escalation prediction competition", *International Interactions* 48(4)). CRPS and the
interval score are from Gneiting & Raftery 2007, "Strictly Proper Scoring Rules, Prediction, and
Estimation", *JASA* 102(477). All scores are negatively oriented: lower is better.

The per-week functions take samples along the first axis (shape ``(m,)`` or ``(m, k)``) and an
observation (scalar or shape ``(k,)``) and return one score per column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from escalation.events.counts import MILITIA, daily_counts, weekly_sums
from escalation.forecasting import Forecast

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
    forecast window: a week with no rows counts zero attacks.

    Returns
    -------
    pandas.DataFrame
        Indexed by week start, with columns observed, mean_forecast, lower, upper (the 90%
        interval), covered, crps, ignorance, interval_score.
    """
    samples = forecast.weekly(MILITIA).astype(float)
    y = weekly_sums(daily_counts(observed, forecast.start, forecast.days)[MILITIA]).astype(float)
    lower, upper = central_interval(samples, ALPHA)
    return pd.DataFrame(
        {
            "observed": y,
            "mean_forecast": samples.mean(axis=0),
            "lower": lower,
            "upper": upper,
            "covered": (lower <= y) & (y <= upper),
            "crps": crps_sample(samples, y),
            "ignorance": ignorance_score(samples, y),
            "interval_score": interval_score(samples, y, ALPHA),
        },
        index=forecast.week_starts.rename("week_start"),
    )


def score(forecast: Forecast, observed: pd.DataFrame) -> dict[str, float]:
    """Score a forecast of weekly militia attacks against observed canonical events.

    Returns
    -------
    dict
        ``crps``, ``ignorance`` (bits) and ``interval_score`` averaged over weeks;
        ``coverage90``, the share of weeks whose observed count lies in the central 90%
        interval (5th to 95th sample quantiles, inclusive); ``n_weeks``; ``mean_forecast`` and
        ``mean_observed``, weekly counts averaged over weeks (and worlds).

    See :func:`weekly_scores` for the week-by-week table and what is counted.
    """
    weeks = weekly_scores(forecast, observed)
    return {
        "crps": float(weeks["crps"].mean()),
        "ignorance": float(weeks["ignorance"].mean()),
        "coverage90": float(weeks["covered"].mean()),
        "interval_score": float(weeks["interval_score"].mean()),
        "n_weeks": len(weeks),
        "mean_forecast": float(weeks["mean_forecast"].mean()),
        "mean_observed": float(weeks["observed"].mean()),
    }


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
