"""Statistical baselines the model must beat: Poisson, negative binomial, Conflictology, Hawkes.

Each baseline is fitted to observed canonical events before the forecast start and returns a
:class:`~escalation.forecasting.Forecast` of daily militia attacks (and, where it models them,
US strike rounds), so that all methods are scored alike by :mod:`escalation.scoring`:

- :class:`Poisson`: a constant daily rate, the no-memory benchmark.
- :class:`NegativeBinomial`: iid overdispersed daily counts, the strongest no-memory rival for
  counts that cluster (mean and dispersion by maximum likelihood).
- :class:`Conflictology`: resample recent weeks, the ViEWS "conflictology" benchmark (Hegre et
  al. 2019, "ViEWS: A political violence early-warning system", *Journal of Peace Research*
  56(2); Vesco et al. 2022, "United they stand: findings from an escalation prediction
  competition", *International Interactions* 48(4)).
- :class:`Hawkes`: attacks excite attacks and US strike rounds excite attacks, over a background
  that changes month to month (Mohler 2013, "Modeling and estimation of multi-source clustering
  in crime and security data", *Annals of Applied Statistics* 7(3)).

Usage: ``Hawkes().fit(history, end="2021-06-30").forecast("2021-07-01", 184, 1000, seed=1)``.
The history window runs from ``start`` (default 1 January of the year of the first event) to
``end`` (default the date of the last event; pass the day before the forecast start when the
history ends in a quiet spell, or the quiet days are lost). Forecasts must start after ``end``.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Self

import numpy as np
import pandas as pd
from scipy import optimize, signal, special, stats

from escalation.events.counts import MILITIA, STRIKE_ROUNDS, as_day, daily_counts
from escalation.forecasting import Forecast
from escalation.runtime import DateLike, Seed, plain_entropy, seed_sequence


def history_window(history: pd.DataFrame, start=None, end=None) -> tuple[pd.Timestamp, int]:
    """First day and length in days of the history window (see the module docstring)."""
    if "date" not in history.columns:
        raise ValueError("history lacks the 'date' column of the canonical events schema")
    dates = pd.to_datetime(history["date"]).dropna()
    if (start is None or end is None) and dates.empty:
        raise ValueError("history has no dated events: pass start= and end= explicitly")
    first = as_day(start) if start is not None else pd.Timestamp(dates.min().year, 1, 1)
    last = as_day(end) if end is not None else dates.max().normalize()
    if last < first:
        raise ValueError(f"history window ends ({last.date()}) before it starts ({first.date()})")
    return first, (last - first).days + 1


class Baseline:
    """What every baseline shares: ``fit`` on events, ``forecast`` from a seed; subclasses
    implement ``fit_counts``, ``params`` and ``_simulate``."""

    name = ""

    def fit(
        self, history: pd.DataFrame, start: DateLike | None = None, end: DateLike | None = None
    ) -> Self:
        """Fit to canonical events in the window ``start``..``end`` (inclusive); returns self."""
        first, days = history_window(history, start, end)
        return self.fit_counts(
            daily_counts(history, first, days), end=first + pd.Timedelta(days - 1, "D")
        )

    def fit_counts(self, counts: dict[str, np.ndarray], end: DateLike) -> Self:
        """Fit to daily series (as from :func:`~escalation.forecasting.daily_counts`) ending on
        ``end``; returns self."""
        raise NotImplementedError

    def forecast(
        self, start: DateLike, days: int, n_worlds: int = 1000, seed: Seed = None
    ) -> Forecast:
        """Simulate ``n_worlds`` worlds for ``days`` days from ``start`` (after the window).

        ``seed`` is None, an int, a sequence of ints or a SeedSequence
        (:func:`escalation.runtime.seed_sequence`); the same seed gives the same forecast.
        ``extra["seed_entropy"]`` records it (fresh entropy when None): passed as ``seed`` it
        gives the forecast again.
        """
        if not hasattr(self, "end_"):
            raise RuntimeError(f"{self.name}: call fit() before forecast()")
        start = as_day(start)
        if start <= self.end_:
            raise ValueError(
                f"{self.name}: forecast start {start.date()} must come after the history window "
                f"end {self.end_.date()}"
            )
        if n_worlds < 1 or days < 1:
            raise ValueError(f"n_worlds and days must be positive, found {n_worlds}, {days}")
        gap = (start - self.end_).days - 1
        root = seed_sequence(seed)
        daily = self._simulate(gap, int(days), int(n_worlds), np.random.default_rng(root))
        extra = {**self.params(), "seed_entropy": plain_entropy(root)}
        return Forecast(self.name, start, days, daily, extra=extra)

    def params(self) -> dict[str, Any]:
        """Fitted parameters, recorded in the forecast's ``extra``."""
        raise NotImplementedError

    def _simulate(
        self, gap: int, days: int, n_worlds: int, rng: np.random.Generator
    ) -> dict[str, np.ndarray]:
        raise NotImplementedError


def _militia(counts: dict[str, np.ndarray]) -> np.ndarray:
    if MILITIA not in counts:
        raise ValueError(f"counts must hold {MILITIA!r}, found {sorted(counts)}")
    return np.asarray(counts[MILITIA])


def _lookback(counts: dict[str, np.ndarray], lookback_days: int | None, name: str) -> int:
    """The number of final history days a constant-rate baseline is fitted on."""
    length = len(_militia(counts))
    lookback = length if lookback_days is None else lookback_days
    if lookback > length:
        raise ValueError(
            f"{name}: lookback_days={lookback} exceeds the {length}-day history window"
        )
    return lookback


def _check_lookback(lookback_days: int | None) -> int | None:
    if lookback_days is not None and lookback_days < 1:
        raise ValueError(f"lookback_days must be positive or None, found {lookback_days}")
    return lookback_days


def poisson_loglik(counts: np.ndarray, rate: float) -> float:
    """Log-likelihood of iid Poisson(``rate``) daily ``counts``, log N! constant included."""
    return float(np.sum(stats.poisson.logpmf(np.asarray(counts), rate)))


class Poisson(Baseline):
    """Constant daily rates: militia attacks and US strike rounds as Poisson processes.

    The rate of each series is its maximum-likelihood estimate, the mean daily count over the
    last ``lookback_days`` days of the history window (default ``None``: the whole window).
    ``loglik_`` is the fitted log-likelihood of the militia series.
    """

    name = "Poisson"

    def __init__(self, lookback_days: int | None = None) -> None:
        self.lookback_days = _check_lookback(lookback_days)

    def fit_counts(self, counts: dict[str, np.ndarray], end: DateLike) -> Self:
        lookback = _lookback(counts, self.lookback_days, self.name)
        self.rates_ = {
            name: float(np.mean(counts[name][-lookback:]))
            for name in (MILITIA, STRIKE_ROUNDS)
            if name in counts
        }
        self.loglik_ = poisson_loglik(counts[MILITIA][-lookback:], self.rates_[MILITIA])
        self.end_ = as_day(end)
        return self

    def params(self) -> dict[str, Any]:
        return {
            "rates": dict(self.rates_),
            "lookback_days": self.lookback_days,
            "loglik": self.loglik_,
        }

    def _simulate(
        self, gap: int, days: int, n_worlds: int, rng: np.random.Generator
    ) -> dict[str, np.ndarray]:
        return {
            name: rng.poisson(rate, size=(n_worlds, days)) for name, rate in self.rates_.items()
        }


#: Upper bound of the negative binomial size r in the fit: beyond it (variance within 1% of
#: the mean at a mean of 10) the counts are read as Poisson.
MAX_NB_SIZE = 1e3


def nb_loglik(counts: np.ndarray, mean: float, size: float) -> float:
    """Log-likelihood of iid negative binomial daily ``counts`` (log N! constant included).

    Parametrised by the mean m and the size (dispersion) r: variance m + m^2 / r, so
    P(N = k) = Gamma(k + r) / (Gamma(r) k!) (r / (r + m))^r (m / (r + m))^k.
    """
    counts = np.asarray(counts, dtype=float)
    return float(
        np.sum(
            special.gammaln(counts + size)
            - special.gammaln(size)
            - special.gammaln(counts + 1)
            + size * np.log(size / (size + mean))
            + special.xlogy(counts, mean / (size + mean))
        )
    )


def fit_negative_binomial(counts: np.ndarray) -> tuple[float, float | None]:
    """Maximum-likelihood (mean, size) of iid negative binomial ``counts``.

    Maximised numerically (L-BFGS-B on log mean and log size) rather than through the score
    equations. The likelihood has an interior maximum only when the counts are overdispersed
    (sample variance, divided by n, above the mean; Anscombe 1950, "Sampling theory of the
    negative binomial and logarithmic series distributions", *Biometrika* 37(3/4)); otherwise,
    or when the fitted size exceeds :data:`MAX_NB_SIZE`, the size is returned as ``None``: the
    counts are Poisson at their mean.
    """
    counts = np.asarray(counts, dtype=float)
    if counts.size == 0 or np.any(counts < 0):
        raise ValueError("counts must be a non-empty array of non-negative counts")
    mean, variance = float(counts.mean()), float(counts.var())
    if mean == 0 or variance <= mean:
        return mean, None
    start = np.log([mean, mean**2 / (variance - mean)])
    result = optimize.minimize(
        lambda theta: -nb_loglik(counts, *np.exp(theta)),
        start,
        method="L-BFGS-B",
        bounds=[(math.log(mean) - 5, math.log(mean) + 5), (-10.0, math.log(MAX_NB_SIZE))],
    )
    fitted_mean, size = (float(v) for v in np.exp(result.x))
    if size >= MAX_NB_SIZE * (1 - 1e-6):
        return mean, None
    return fitted_mean, size


class NegativeBinomial(Baseline):
    """Independent, identically distributed negative binomial daily counts.

    Militia attacks cluster: some days bring several, most none, so their daily counts are
    overdispersed and a Poisson rate understates both quiet and busy weeks. Each series
    (attacks, US strike rounds) gets its own mean m and size r by maximum likelihood
    (:func:`fit_negative_binomial`) over the last ``lookback_days`` days of the history window
    (default ``None``: all of it), variance m + m^2 / r, and no memory from day to day. A
    series that is not overdispersed falls back to Poisson at its mean (``sizes_`` holds
    ``None`` for it and :attr:`poisson_fallback` names it). ``loglik_`` is the fitted
    log-likelihood of the militia series.

    Worlds are drawn with :meth:`numpy.random.Generator.negative_binomial` (failures before r
    successes with success probability r / (r + m), which has mean m).
    """

    name = "Negative binomial"

    def __init__(self, lookback_days: int | None = None) -> None:
        self.lookback_days = _check_lookback(lookback_days)

    @property
    def poisson_fallback(self) -> list[str]:
        """Series fitted as Poisson because their counts were not overdispersed."""
        return [name for name, size in self.sizes_.items() if size is None]

    def fit_counts(self, counts: dict[str, np.ndarray], end: DateLike) -> Self:
        lookback = _lookback(counts, self.lookback_days, self.name)
        self.means_: dict[str, float] = {}
        self.sizes_: dict[str, float | None] = {}
        for name in (MILITIA, STRIKE_ROUNDS):
            if name in counts:
                self.means_[name], self.sizes_[name] = fit_negative_binomial(
                    counts[name][-lookback:]
                )
        attacks, mean, size = (
            counts[MILITIA][-lookback:],
            self.means_[MILITIA],
            self.sizes_[MILITIA],
        )
        self.loglik_ = (
            poisson_loglik(attacks, mean) if size is None else nb_loglik(attacks, mean, size)
        )
        self.end_ = as_day(end)
        return self

    def params(self) -> dict[str, Any]:
        return {
            "means": dict(self.means_),
            "sizes": dict(self.sizes_),
            "lookback_days": self.lookback_days,
            "loglik": self.loglik_,
        }

    def _simulate(
        self, gap: int, days: int, n_worlds: int, rng: np.random.Generator
    ) -> dict[str, np.ndarray]:
        return {
            name: _draw_counts(rng, mean, self.sizes_[name], (n_worlds, days))
            for name, mean in self.means_.items()
        }


def _draw_counts(
    rng: np.random.Generator, mean: float, size: float | None, shape: tuple[int, int]
) -> np.ndarray:
    """Negative binomial (mean, size) draws, or Poisson draws when ``size`` is None."""
    if size is None:
        return rng.poisson(mean, size=shape)
    return rng.negative_binomial(size, size / (size + mean), size=shape)


class Conflictology(Baseline):
    """Resample whole recent weeks: the ViEWS "conflictology" benchmark.

    Each forecast week is one of the last ``lookback_weeks`` (default 12) weeks of the history
    window (weeks counted back from its end), drawn uniformly with replacement, and keeps that
    week's days as observed: every series (attacks, attack types, strike rounds) is copied from
    the same week, so they stay consistent. A final partial forecast week takes the first days
    of its drawn week.
    """

    name = "Conflictology"

    def __init__(self, lookback_weeks: int = 12):
        if lookback_weeks < 1:
            raise ValueError(f"lookback_weeks must be positive, found {lookback_weeks}")
        self.lookback_weeks = lookback_weeks

    def fit_counts(self, counts, end):
        length = len(_militia(counts))
        needed = 7 * self.lookback_weeks
        if needed > length:
            raise ValueError(
                f"Conflictology: {self.lookback_weeks} lookback weeks need {needed} days of "
                f"history, the window has {length}"
            )
        self.weeks_ = {
            name: np.asarray(series[-needed:]).reshape(self.lookback_weeks, 7)
            for name, series in counts.items()
        }
        self.end_ = as_day(end)
        return self

    def params(self):
        return {
            "lookback_weeks": self.lookback_weeks,
            "weekly_totals": self.weeks_[MILITIA].sum(axis=1).tolist(),
        }

    def _simulate(self, gap, days, n_worlds, rng):
        n_weeks = math.ceil(days / 7)
        drawn = rng.integers(0, self.lookback_weeks, size=(n_worlds, n_weeks))
        return {
            name: weeks[drawn].reshape(n_worlds, 7 * n_weeks)[:, :days]
            for name, weeks in self.weeks_.items()
        }


#: Bounds of the Hawkes decay rates (per day): mean lags from about a day to 50 days.
DECAY_BOUNDS = (0.02, 10.0)
#: Upper bound of the branching ratio alpha: below one, so the process is stationary.
MAX_BRANCHING = 0.99
_MIN_BACKGROUND = 1e-6


def _kernel_filters(counts: np.ndarray, decay: float) -> tuple[np.ndarray, np.ndarray]:
    """P_t = sum_{k>=1} r^(k-1) x_(t-k) and D_t = sum_{k>=1} (k-1) r^(k-1) x_(t-k), r = e^-decay.

    Recursive filters, O(T): P_(t+1) = r P_t + x_t and D_(t+1) = r (D_t + P_t).
    """
    r = math.exp(-decay)
    p = signal.lfilter([0.0, 1.0], [1.0, -r], counts)
    d = signal.lfilter([0.0, r], [1.0, -r], p)
    return p, d


def simulate_hawkes(
    background,
    alpha: float,
    beta: float,
    gamma: float,
    delta: float,
    strike_rate: float,
    n_worlds: int,
    rng: np.random.Generator,
    excitation: tuple[float, float] = (0.0, 0.0),
) -> tuple[np.ndarray, np.ndarray]:
    """Simulate daily attacks N and strike rounds S from the discrete-time Hawkes model.

    N_t ~ Poisson(mu_t + alpha sum_{k>=1} g_beta(k) N_(t-k) + gamma sum_{k>=1} g_delta(k)
    S_(t-k)) and S_t ~ Poisson(strike_rate), with g_b(k) = (1 - e^-b) e^(-b (k-1)): the
    exponential kernel discretized to days and normalized to sum to one, so alpha is the
    branching ratio (attacks directly triggered per attack) and gamma the attacks triggered per
    strike round. Vectorized over worlds; one loop over days.

    Parameters
    ----------
    background : array_like
        Daily background rate mu_t, shape ``(days,)``.
    excitation : (float, float)
        The two kernel sums on the first day (zero for a fresh start), carried over from a
        fitted history by :class:`Hawkes`.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Integer arrays N and S of shape ``(n_worlds, days)``.
    """
    background = np.asarray(background, dtype=float)
    days = len(background)
    r_attack, r_strike = math.exp(-beta), math.exp(-delta)
    attacks = np.zeros((n_worlds, days), dtype=np.int64)
    strikes = np.zeros((n_worlds, days), dtype=np.int64)
    from_attacks = np.full(n_worlds, float(excitation[0]))
    from_strikes = np.full(n_worlds, float(excitation[1]))
    for t in range(days):
        attacks[:, t] = rng.poisson(background[t] + alpha * from_attacks + gamma * from_strikes)
        strikes[:, t] = rng.poisson(strike_rate, n_worlds)
        from_attacks = r_attack * from_attacks + (1.0 - r_attack) * attacks[:, t]
        from_strikes = r_strike * from_strikes + (1.0 - r_strike) * strikes[:, t]
    return attacks, strikes


class Hawkes(Baseline):
    """Self-exciting militia attacks, cross-excited by US strike rounds, over a moving background.

    lambda_t = mu(t) + alpha sum_{s<t} g_beta(t - s) N_s + gamma sum_{s<t} g_delta(t - s) S_s,
    N_t ~ Poisson(lambda_t) given the past, with the normalized daily kernel of
    :func:`simulate_hawkes` (alpha is the branching ratio, constrained below
    :data:`MAX_BRANCHING`). The background mu(t) is constant over segments of ``segment_days``
    days (default 90) counted back from the window end (the earliest segment also takes the
    remainder, so it holds ``segment_days`` to ``2 * segment_days - 1`` days),
    so a trend in attacks is not read as self-excitation (Mohler 2013). Excitation from events
    before the window is taken as zero. US strike rounds are a Poisson process at their
    historical rate.

    Fit: maximum likelihood by L-BFGS-B within bounds, with the analytic gradient; kernel sums by
    recursive filters (O(T)); best of three starting decays.

    Short segments trade one bias for another: each segment's mu absorbs the clustering inside
    it, an incidental-parameter bias like that of fixed effects in dynamic panels (Nickell 1981,
    "Biases in Dynamic Models with Fixed Effects", *Econometrica* 49(6)), so alpha is
    understated. In our simulations (3,000 days, alpha = 0.4, beta = 0.5) the estimate averaged
    0.18 with 30-day segments, 0.32 with 100-day and 0.35 with 300-day ones, while a single
    constant background read a pure trend (alpha = 0) as alpha = 0.95. The default, 90 days
    (about a quarter), is chosen on those synthetic results alone: it keeps most of the
    excitation (bias about -0.1) while a quarter-long trend is still absorbed by mu.

    Forecast: background = the mean of the last ``background_segments`` segments' mu (default
    1, the last segment), excitation
    carried over from the history (decayed over any quiet days between the window end and the
    forecast start), strikes drawn at their rate so they can excite attacks.
    """

    name = "Hawkes"

    def __init__(self, segment_days: int = 90, background_segments: int = 1):
        if segment_days < 1 or background_segments < 1:
            raise ValueError(
                f"segment_days and background_segments must be positive, found "
                f"{segment_days}, {background_segments}"
            )
        self.segment_days = segment_days
        self.background_segments = background_segments

    @property
    def branching_ratio(self) -> float:
        """Expected attacks directly triggered by one attack (the fitted alpha)."""
        return self.alpha_

    def fit_counts(self, counts, end):
        attacks = _militia(counts).astype(float)
        strikes = np.asarray(counts.get(STRIKE_ROUNDS, np.zeros_like(attacks)), dtype=float)
        if attacks.sum() == 0:
            raise ValueError("Hawkes: no militia attacks in the history window, nothing to fit")
        length = len(attacks)
        n_segments = max(1, length // self.segment_days)
        from_end = np.minimum((length - 1 - np.arange(length)) // self.segment_days, n_segments - 1)
        segment = n_segments - 1 - from_end
        if self.background_segments > n_segments:
            raise ValueError(
                f"Hawkes: background_segments={self.background_segments} exceeds the "
                f"{n_segments} segments of the history window"
            )
        theta = _fit_hawkes(attacks, strikes, segment, n_segments)
        self.mu_ = theta[:n_segments]
        self.alpha_, self.beta_, self.gamma_, self.delta_ = (float(v) for v in theta[n_segments:])
        self.strike_rate_ = float(strikes.mean())
        self.loglik_ = float(
            -_negloglik(theta, attacks, strikes, segment, n_segments)[0]
            - special.gammaln(attacks + 1).sum()
        )
        self.excitation_ = (
            float(_excitation_after(attacks, self.beta_)),
            float(_excitation_after(strikes, self.delta_)),
        )
        self.end_ = as_day(end)
        return self

    def params(self):
        return {
            "mu": self.mu_.tolist(),
            "alpha": self.alpha_,
            "beta": self.beta_,
            "gamma": self.gamma_,
            "delta": self.delta_,
            "strike_rate": self.strike_rate_,
            "segment_days": self.segment_days,
            "background_segments": self.background_segments,
            "loglik": self.loglik_,
        }

    def _simulate(self, gap, days, n_worlds, rng):
        background = float(np.mean(self.mu_[-self.background_segments :]))
        excitation = (
            self.excitation_[0] * math.exp(-self.beta_ * gap),
            self.excitation_[1] * math.exp(-self.delta_ * gap),
        )
        attacks, strikes = simulate_hawkes(
            np.full(days, background),
            self.alpha_,
            self.beta_,
            self.gamma_,
            self.delta_,
            self.strike_rate_,
            n_worlds,
            rng,
            excitation,
        )
        return {MILITIA: attacks, STRIKE_ROUNDS: strikes}


def _excitation_after(counts: np.ndarray, decay: float) -> float:
    """The normalized kernel sum on the day after the last day of ``counts``."""
    r = math.exp(-decay)
    p, _ = _kernel_filters(counts, decay)
    return (1.0 - r) * (r * p[-1] + counts[-1])


def _negloglik(theta, attacks, strikes, segment, n_segments):
    """Negative Poisson log-likelihood (without the log N! constant) and its gradient."""
    mu = theta[:n_segments]
    alpha, beta, gamma, delta = theta[n_segments:]
    r_a, r_s = math.exp(-beta), math.exp(-delta)
    p_a, d_a = _kernel_filters(attacks, beta)
    p_s, d_s = _kernel_filters(strikes, delta)
    from_attacks, from_strikes = (1 - r_a) * p_a, (1 - r_s) * p_s
    intensity = mu[segment] + alpha * from_attacks + gamma * from_strikes
    value = -(attacks @ np.log(intensity) - intensity.sum())
    w = attacks / intensity - 1.0
    grad = np.empty_like(theta)
    grad[:n_segments] = -np.bincount(segment, weights=w, minlength=n_segments)
    grad[n_segments] = -(w @ from_attacks)
    grad[n_segments + 1] = -alpha * (w @ (r_a * p_a - (1 - r_a) * d_a))
    grad[n_segments + 2] = -(w @ from_strikes)
    grad[n_segments + 3] = -gamma * (w @ (r_s * p_s - (1 - r_s) * d_s))
    return value, grad


def _fit_hawkes(attacks, strikes, segment, n_segments) -> np.ndarray:
    """Maximum-likelihood parameters (mu..., alpha, beta, gamma, delta), best of three starts."""
    segment_means = np.bincount(segment, weights=attacks, minlength=n_segments) / np.bincount(
        segment, minlength=n_segments
    )
    mu0 = np.maximum(0.5 * segment_means, 1e-3)
    has_strikes = strikes.sum() > 0
    bounds = [(_MIN_BACKGROUND, None)] * n_segments + [(0.0, MAX_BRANCHING), DECAY_BOUNDS]
    best = None
    for decay in (0.2, 1.0, 5.0):
        # Without strike rounds gamma and delta are not identified: fix gamma = 0.
        strike_bounds = [(0.0, None), DECAY_BOUNDS] if has_strikes else [(0.0, 0.0), (decay, decay)]
        theta0 = np.concatenate([mu0, [0.3, decay, 0.5 if has_strikes else 0.0, decay]])
        result = optimize.minimize(
            _negloglik,
            theta0,
            args=(attacks, strikes, segment, n_segments),
            jac=True,
            method="L-BFGS-B",
            bounds=bounds + strike_bounds,
        )
        if best is None or result.fun < best.fun:
            best = result
    assert best is not None  # at least one start was tried
    if not best.success:
        warnings.warn(
            f"Hawkes fit did not report convergence: {best.message}", RuntimeWarning, stacklevel=3
        )
    return best.x
