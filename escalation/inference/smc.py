"""Approximate Bayesian computation by sequential Monte Carlo (ABC-SMC) over batches of worlds.

The engine is generic: it sees a ``simulate`` function, the priors and the observed summary
statistics, never the model. Each generation's proposals are simulated as whole batches of worlds
(one ``simulate`` call per batch), which is what makes a model that advances many worlds in lockstep
fast to calibrate.

Algorithm (population Monte Carlo ABC with adaptive tolerances and an adaptive distance):

* Generation 0 samples the prior and accepts every world (tolerance infinity).
* Generation ``t >= 1`` proposes by resampling generation ``t - 1`` by weight and perturbing with a
  multivariate normal kernel whose covariance is twice the weighted sample covariance (Beaumont,
  Cornuet, Marin & Robert 2009, "Adaptive approximate Bayesian computation", Biometrika 96:983).
  A proposal outside the prior support is redrawn, resampled index and perturbation together, so the
  proposal density stays proportional to the kernel mixture and the truncation constant cancels.
  Accepted particles get importance weights ``prior(theta) / sum_j w_j K(theta | theta_j)``.
* The tolerance of generation ``t`` is the weighted ``quantile`` of generation ``t - 1``'s accepted
  distances, measured with generation ``t``'s distance (Del Moral, Doucet & Jasra 2012, "An adaptive
  sequential Monte Carlo method for approximate Bayesian computation", Statistics and Computing
  22:1009), never below ``min_epsilon``.
* The distance is a weighted L1 norm, ``sum_k |x_k - y_k| / s_k``, whose scales ``s_k`` are
  recomputed before each generation from every world simulated in the previous one, accepted or not
  (Prangle 2017, "Adapting the ABC distance function", Bayesian Analysis 12:289). L1 keeps one
  outlying statistic from dominating. A statistic that is undefined (NaN) in a simulated world while
  observed, or the reverse, adds a fixed penalty of one scale unit (as far off as a typical world);
  NaN on both sides adds nothing, since the world and the data agree that it is undefined.

The design follows pyABC (Klinger, Rickert & Hasenauer 2018, "pyABC: distributed, likelihood-free
inference", Bioinformatics 34:3591): quantile tolerances, adaptive p-norm distance with MAD scales.
"""

from __future__ import annotations

import enum
import json
import math
import os
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.linalg import solve_triangular
from scipy.spatial.distance import cdist
from scipy.special import logsumexp
from tqdm import tqdm

from escalation.model.streams import seed_sequence

__all__ = [
    "ABCResult",
    "StopReason",
    "abc_smc",
    "scale_statistics",
    "scaled_distance",
    "weighted_quantile",
]

#: Choices for ``abc_smc(scale=...)``: how each statistic's spread is measured.
SCALES = ("mad", "std")
#: Simulate this many times the expected number of worlds needed, so one batch usually suffices.
_BATCH_SAFETY = 1.2
#: No batch of a perturbed generation is smaller than this share of the population: a call to a
#: lockstep model costs about as much for ten worlds as for a thousand.
_MIN_BATCH_FRACTION = 0.1
#: Default cap on one batch, in multiples of the population size (bounds the memory of one call).
_MAX_BATCH_FACTOR = 10
#: Give up proposing when fewer than one draw in this many falls inside the prior support.
_MAX_SUPPORT_TRIES = 10_000
#: Rows of the importance-weight kernel matrix computed at once (bounds its memory).
_WEIGHT_BLOCK = 2048
#: Column names reserved for the weight and distance in :meth:`ABCResult.to_frame`.
_RESERVED = ("weight", "distance")
_CHECKPOINT_FORMAT = "escalation-abc-checkpoint/1"


class StopReason(enum.StrEnum):
    """Why :func:`abc_smc` stopped."""

    MAX_GENERATIONS = "max_generations"
    MIN_EPSILON = "min_epsilon"
    BUDGET = "budget"


@dataclass(frozen=True, eq=False)
class ABCResult:
    """The last complete generation of an ABC-SMC run and its history.

    Attributes
    ----------
    particles : DataFrame
        One row per particle, one column per parameter.
    weights : ndarray
        Normalised importance weights (sum to 1).
    distances : ndarray
        Each particle's distance to the observed statistics, under ``scales``.
    statistics : ndarray
        Each particle's simulated summary statistics, shape (n, k).
    scales : ndarray
        Per-statistic scales of the distance the final generation was accepted with.
    observed : ndarray
        The observed statistics.
    epsilons, simulations, acceptance_rates, ess : ndarray
        Per complete generation: tolerance (generation 0: infinity), worlds simulated, accepted /
        simulated, and Kish effective sample size of the weights.
    simulations_total : int
        Worlds simulated in all, including a final generation discarded when the budget ran out.
    stop_reason : StopReason
    seed_entropy : int or list of int
    seed_spawn_key : tuple of int
        With ``seed_entropy``, reproduces the run: ``SeedSequence(entropy, spawn_key=...)``.
    """

    particles: pd.DataFrame
    weights: np.ndarray
    distances: np.ndarray
    statistics: np.ndarray
    scales: np.ndarray
    observed: np.ndarray
    epsilons: np.ndarray
    simulations: np.ndarray
    acceptance_rates: np.ndarray
    ess: np.ndarray
    simulations_total: int
    stop_reason: StopReason
    seed_entropy: int | list[int]
    seed_spawn_key: tuple[int, ...] = field(default=())

    @property
    def parameter_names(self) -> tuple[str, ...]:
        """Names of the inferred parameters, in column order."""
        return tuple(self.particles.columns)

    @property
    def n_generations(self) -> int:
        """Number of complete generations, generation 0 (the prior) included."""
        return len(self.epsilons)

    def to_frame(self) -> pd.DataFrame:
        """Particles with their ``weight`` and ``distance`` columns."""
        return self.particles.assign(weight=self.weights, distance=self.distances)

    def history(self) -> pd.DataFrame:
        """One row per complete generation: epsilon, simulations, acceptance rate, ESS."""
        return pd.DataFrame(
            {
                "epsilon": self.epsilons,
                "simulations": self.simulations,
                "acceptance_rate": self.acceptance_rates,
                "ess": self.ess,
            },
            index=pd.RangeIndex(self.n_generations, name="generation"),
        )


def weighted_quantile(values, weights, q):
    """Quantile(s) ``q`` of a weighted sample, interpolating the weighted empirical CDF.

    Each value sits at plotting position ``(W_i - w_i / 2) / W`` (``W_i`` the cumulative weight in
    sorted order), the weighted form of Hazen's ``(i - 1/2) / n``; positions between two values are
    interpolated linearly, positions outside clamp to the extremes. Zero-weight values are ignored.
    With equal weights this is the usual median of an even sample (the mean of the middle two).
    """
    values = np.asarray(values, dtype=float).ravel()
    weights = np.asarray(weights, dtype=float).ravel()
    q = np.asarray(q, dtype=float)
    if values.shape != weights.shape or values.size == 0:
        raise ValueError(
            f"weighted_quantile: values ({values.shape}) and weights ({weights.shape}) must be "
            "non-empty and of the same length"
        )
    if np.any(~np.isfinite(weights)) or np.any(weights < 0) or not weights.sum() > 0:
        raise ValueError("weighted_quantile: weights must be finite, >= 0, with a positive sum")
    if np.any((q < 0) | (q > 1)):
        raise ValueError(f"weighted_quantile: q must lie in [0, 1], got {q}")
    keep = weights > 0
    order = np.argsort(values[keep], kind="stable")
    v, w = values[keep][order], weights[keep][order]
    cumulative = np.cumsum(w)
    positions = (cumulative - 0.5 * w) / cumulative[-1]
    return np.interp(q, positions, v)


def scale_statistics(statistics: np.ndarray, kind: str = "mad") -> np.ndarray:
    """Per-statistic scales for the adaptive distance, from simulated statistics of shape (n, k).

    ``kind="mad"``: the median absolute deviation from the median (pyABC's default, robust to the
    heavy tails of count statistics); ``"std"``: the standard deviation. NaN values are ignored.
    When the scale is 0 (for MAD: more than half the worlds share one value, as a count that is
    usually zero does) it falls back to the mean absolute deviation from the mean, and when that is
    0 too (or nothing is defined) to 1.
    """
    _check_scale(kind)
    statistics = np.atleast_2d(np.asarray(statistics, dtype=float))
    scales = np.ones(statistics.shape[1])
    for column in range(statistics.shape[1]):
        x = statistics[:, column]
        x = x[~np.isnan(x)]
        if x.size == 0:
            continue
        if kind == "mad":
            primary = np.median(np.abs(x - np.median(x)))
        else:
            primary = np.std(x)
        fallback = np.mean(np.abs(x - np.mean(x)))
        scales[column] = primary if primary > 0 else (fallback if fallback > 0 else 1.0)
    return scales


def _check_scale(kind: str) -> None:
    if kind not in SCALES:
        raise ValueError(f"scale must be one of {SCALES}, got {kind!r}")


def scaled_distance(statistics: np.ndarray, observed: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """Weighted L1 distance of each row of ``statistics`` (n, k) to ``observed`` (k,).

    ``sum_k |x_k - y_k| / s_k``; a statistic NaN on exactly one side adds 1 (one scale unit), NaN
    on both sides adds 0.
    """
    statistics = np.atleast_2d(np.asarray(statistics, dtype=float))
    observed = np.asarray(observed, dtype=float)
    terms = np.abs(statistics - observed) / scales
    sim_nan, obs_nan = np.isnan(statistics), np.isnan(observed)
    terms = np.where(sim_nan & obs_nan, 0.0, np.where(sim_nan | obs_nan, 1.0, terms))
    return terms.sum(axis=1)


@dataclass
class _State:
    """A complete generation, its history, and the distance prepared for the next generation."""

    generation: int
    particles: np.ndarray
    weights: np.ndarray
    distances: np.ndarray
    statistics: np.ndarray
    scales: np.ndarray
    next_scales: np.ndarray
    next_epsilon: float
    epsilons: np.ndarray
    simulations: np.ndarray
    acceptance_rates: np.ndarray
    ess: np.ndarray
    simulations_total: int


def abc_smc(
    simulate: Callable[[dict[str, np.ndarray], np.random.SeedSequence], np.ndarray],
    priors: Mapping,
    observed,
    population_size: int = 1000,
    budget: int = 200_000,
    seed: int | np.random.SeedSequence | None = None,
    min_epsilon: float = 0.0,
    max_generations: int = 30,
    quantile: float = 0.5,
    checkpoint: str | os.PathLike | None = None,
    progress: bool | None = None,
    scale: str = "mad",
    max_batch: int | None = None,
) -> ABCResult:
    """Infer parameters by ABC-SMC, simulating each generation's proposals as batches of worlds.

    Parameters
    ----------
    simulate : callable
        ``simulate(theta, seed) -> (n, k) array``: simulates ``n`` worlds, world ``i`` with
        parameters ``theta[name][i]``, and returns their summary statistics (NaN where a statistic
        is undefined in a world). ``seed`` is a :class:`numpy.random.SeedSequence`, the only source
        of randomness it may use.
    priors : mapping of str to frozen scipy.stats continuous distribution
        One prior per parameter; the support may be bounded.
    observed : array_like, shape (k,)
        Observed summary statistics (NaN where undefined).
    population_size : int
        Accepted particles per generation.
    budget : int
        Most worlds to simulate across all generations. When it runs out in the middle of a
        generation, that generation is discarded and the last complete one returned.
    seed : int, SeedSequence or None
        Root of all randomness. Generation ``g``, batch ``b`` draws its proposals from
        ``SeedSequence(entropy, spawn_key=(*key, g, b, 0))`` and hands ``simulate``
        ``SeedSequence(entropy, spawn_key=(*key, g, b, 1))``, so results depend on neither restarts
        nor how ``simulate`` parallelises. None draws fresh entropy, recorded in the result.
    min_epsilon : float
        Tolerance floor: the run stops after a generation run at this tolerance.
    max_generations : int
        Most generations, generation 0 (the prior) included.
    quantile : float
        Each tolerance is this weighted quantile of the previous generation's distances.
    checkpoint : path or None
        A single ``.npz`` file (arrays plus a JSON header; no pickle), rewritten atomically after
        each complete generation. If it exists, the run resumes after its last complete generation
        and continues exactly as an uninterrupted run would. Parameters, priors, observed
        statistics, population size, quantile, scale and seed must match the checkpoint (else
        ValueError); budget, min_epsilon, max_generations and max_batch may change, so a run can
        be extended. Worlds simulated in a generation discarded for want of budget count too.
    progress : bool or None
        A tqdm bar on stderr. None: shown when stderr is a terminal and the ``CI`` environment
        variable is unset.
    scale : {"mad", "std"}
        How the distance scales each statistic (see :func:`scale_statistics`).
    max_batch : int or None
        Most worlds per ``simulate`` call; default ten times ``population_size``.

    Returns
    -------
    ABCResult
    """
    names = tuple(priors)
    observed = _check_inputs(
        names, priors, observed, population_size, budget, quantile, min_epsilon, max_generations
    )
    _check_scale(scale)
    max_batch = _MAX_BATCH_FACTOR * population_size if max_batch is None else int(max_batch)
    if max_batch < 1:
        raise ValueError(f"max_batch must be a positive integer, got {max_batch}")
    config = {
        "parameters": list(names),
        "priors": [_describe_prior(priors[name]) for name in names],
        "population_size": int(population_size),
        "observed": [None if math.isnan(v) else float(v) for v in observed],
        "quantile": float(quantile),
        "scale": scale,
    }
    root = seed_sequence(seed)
    path = None if checkpoint is None else Path(checkpoint)
    state = None
    if path is not None and path.exists():
        state, root = _load_checkpoint(path, config, seed, root)
    run = _Run(simulate, names, priors, observed, population_size, quantile, scale, root)
    with _progress_bar(progress, budget, state) as bar:
        if state is None:
            state, _ = run.generation(None, budget, max_batch, bar, min_epsilon)
            _save(path, state, config, root)
        while (reason := _stop_reason(state, budget, min_epsilon, max_generations)) is None:
            room = budget - state.simulations_total
            following, n_simulated = run.generation(state, room, max_batch, bar, min_epsilon)
            if following is None:  # the budget ran out mid-generation: keep the last complete one
                state.simulations_total += n_simulated
                _save(path, state, config, root)
                reason = StopReason.BUDGET
                break
            state = following
            _save(path, state, config, root)
    return ABCResult(
        particles=pd.DataFrame(state.particles, columns=list(names)),
        weights=state.weights,
        distances=state.distances,
        statistics=state.statistics,
        scales=state.scales,
        observed=observed,
        epsilons=state.epsilons,
        simulations=state.simulations,
        acceptance_rates=state.acceptance_rates,
        ess=state.ess,
        simulations_total=state.simulations_total,
        stop_reason=reason,
        seed_entropy=root.entropy,
        seed_spawn_key=tuple(root.spawn_key),
    )


class _Run:
    """Runs one generation at a time; holds what every generation shares."""

    def __init__(self, simulate, names, priors, observed, population_size, quantile, scale, root):
        self.simulate = simulate
        self.names = names
        self.priors = [priors[name] for name in names]
        self.lower, self.upper = np.array([p.support() for p in self.priors], dtype=float).T
        self.observed = observed
        self.n = population_size
        self.quantile = quantile
        self.scale = scale
        self.root = root

    def seed(self, generation: int, batch: int, stream: int) -> np.random.SeedSequence:
        """The seed of one stream of one batch, a pure function of its indices."""
        key = (*self.root.spawn_key, generation, batch, stream)
        return np.random.SeedSequence(self.root.entropy, spawn_key=key)

    def generation(self, previous: _State | None, room: int, max_batch: int, bar, floor: float):
        """Run the generation after ``previous`` (None: generation 0, the prior).

        Returns the new state, or None if ``room`` (the budget left) runs out first, and the number
        of worlds simulated.
        """
        if previous is None:
            g, epsilon, chol = 0, math.inf, None
            propose = self.prior_proposal
        else:
            g, epsilon = previous.generation + 1, previous.next_epsilon
            chol = _kernel_cholesky(previous.particles, previous.weights)
            propose = partial(self.kernel_proposal, previous, chol)
        accepted, simulated, n_accepted, n_simulated, batch = [], [], 0, 0, 0
        while n_accepted < self.n:
            if n_simulated >= room:
                return None, n_simulated
            needed = self.n - n_accepted
            if previous is None:
                size = needed
            else:
                size = _batch_size(
                    needed, n_accepted, n_simulated, self.rate_guess(previous), self.n
                )
            size = min(size, max_batch, room - n_simulated)
            theta = propose(np.random.default_rng(self.seed(g, batch, 0)), size)
            stats = self.call_simulate(theta, self.seed(g, batch, 1))
            if previous is None:
                ok = np.ones(size, dtype=bool)
            else:
                ok = scaled_distance(stats, self.observed, previous.next_scales) <= epsilon
            simulated.append(stats)
            accepted.append((theta[ok], stats[ok]))
            n_accepted += int(ok.sum())
            n_simulated += size
            batch += 1
            bar.update(size)
            bar.set_postfix(generation=g, epsilon=f"{epsilon:.4g}", accepted=n_accepted)
        particles = np.concatenate([a[0] for a in accepted])[: self.n]
        statistics = np.concatenate([a[1] for a in accepted])[: self.n]
        next_scales = scale_statistics(np.concatenate(simulated), self.scale)
        if previous is None:
            weights, scales = np.full(self.n, 1.0 / self.n), next_scales
        else:
            weights = self.importance_weights(particles, previous, chol)
            scales = previous.next_scales
        next_distances = scaled_distance(statistics, self.observed, next_scales)
        next_epsilon = float(weighted_quantile(next_distances, weights, self.quantile))

        def history(name, value):
            return np.append([] if previous is None else getattr(previous, name), value)

        state = _State(
            generation=g,
            particles=particles,
            weights=weights,
            distances=scaled_distance(statistics, self.observed, scales),
            statistics=statistics,
            scales=scales,
            next_scales=next_scales,
            next_epsilon=max(next_epsilon, floor),
            epsilons=history("epsilons", epsilon),
            simulations=history("simulations", n_simulated).astype(int),
            acceptance_rates=history("acceptance_rates", n_accepted / n_simulated),
            ess=history("ess", 1.0 / np.sum(weights**2)),
            simulations_total=n_simulated + (0 if previous is None else previous.simulations_total),
        )
        return state, n_simulated

    def rate_guess(self, previous: _State) -> float:
        """Expected acceptance rate of the generation after ``previous``, to size its first batch.

        The tolerance is the ``quantile`` of the previous population's distances, so about that
        share of proposals resembling that population fall under it; the perturbation lowers the
        rate further, as the previous generation's own rate shows.
        """
        return min(self.quantile, previous.acceptance_rates[-1])

    def prior_proposal(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Draw ``size`` parameter vectors from the prior."""
        return np.column_stack([p.rvs(size=size, random_state=rng) for p in self.priors])

    def kernel_proposal(self, previous: _State, chol, rng: np.random.Generator, size: int):
        """Resample ``previous`` by weight and perturb with N(0, 2 Cov_w) (Beaumont et al. 2009).

        A draw outside the prior support is discarded and the pair (index, perturbation) drawn
        again, so accepted draws follow the kernel mixture restricted to the support. The support's
        bounds are checked first, as evaluating every prior density is the slower test.
        """
        kept, n_kept, n_drawn = [], 0, 0
        while n_kept < size:
            if n_drawn >= _MAX_SUPPORT_TRIES * size:
                raise RuntimeError(
                    f"fewer than 1 in {_MAX_SUPPORT_TRIES} perturbed particles fall inside "
                    "the prior support; check the priors"
                )
            rate = max(n_kept, 1) / n_drawn if n_drawn else 1.0
            draws = math.ceil((size - n_kept) / rate)
            index = rng.choice(len(previous.weights), size=draws, p=previous.weights)
            noise = rng.standard_normal((draws, chol.shape[0])) @ chol.T
            candidates = previous.particles[index] + noise
            candidates = candidates[
                np.all((candidates > self.lower) & (candidates < self.upper), 1)
            ]
            candidates = candidates[np.isfinite(self.log_prior(candidates))]
            kept.append(candidates)
            n_kept += len(candidates)
            n_drawn += draws
        return np.concatenate(kept)[:size]

    def log_prior(self, particles: np.ndarray) -> np.ndarray:
        """Joint log prior density of each row; -inf outside the support."""
        total = np.zeros(len(particles))
        for column, prior in enumerate(self.priors):
            total += prior.logpdf(particles[:, column])
        return np.where(np.isnan(total), -np.inf, total)

    def importance_weights(self, particles, previous: _State, chol) -> np.ndarray:
        """Normalised ``prior(theta) / sum_j w_j K(theta | theta_j)``, computed in log space.

        The kernel's normalising constant is common to all terms and cancels.
        """
        whitened_new = solve_triangular(chol, particles.T, lower=True).T
        whitened_old = solve_triangular(chol, previous.particles.T, lower=True).T
        with np.errstate(divide="ignore"):  # a weight that underflowed to 0 adds nothing
            log_w_old = np.log(previous.weights)
        log_mixture = np.empty(len(particles))
        for start in range(0, len(particles), _WEIGHT_BLOCK):
            rows = slice(start, start + _WEIGHT_BLOCK)
            squared = cdist(whitened_new[rows], whitened_old, "sqeuclidean")
            log_mixture[rows] = logsumexp(log_w_old - 0.5 * squared, axis=1)
        log_weights = self.log_prior(particles) - log_mixture
        weights = np.exp(log_weights - log_weights.max())
        return weights / weights.sum()

    def call_simulate(self, theta: np.ndarray, seed: np.random.SeedSequence) -> np.ndarray:
        """Call ``simulate`` on a batch and check the shape and values of what it returns."""
        batch = {name: theta[:, i] for i, name in enumerate(self.names)}
        stats = np.asarray(self.simulate(batch, seed), dtype=float)
        expected = (len(theta), len(self.observed))
        if stats.shape != expected:
            raise ValueError(
                f"simulate returned statistics of shape {stats.shape} for a batch of "
                f"{len(theta)} worlds; expected {expected} (worlds x observed statistics)"
            )
        if np.isinf(stats).any():
            columns = sorted(set(np.nonzero(np.isinf(stats))[1].tolist()))
            raise ValueError(
                f"simulate returned infinite statistics in columns {columns}; "
                "return NaN for a statistic that is undefined in a world"
            )
        return stats


def _batch_size(needed, n_accepted, n_simulated, guess, population_size) -> int:
    """Worlds to simulate next: the expected number to reach ``needed`` acceptances, padded."""
    rate = max(n_accepted, 1) / n_simulated if n_simulated else guess
    expected = math.ceil(_BATCH_SAFETY * needed / rate)
    return max(expected, math.ceil(_MIN_BATCH_FRACTION * population_size))


def _kernel_cholesky(particles: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Cholesky factor of twice the weighted covariance, with a tiny ridge if it is singular."""
    covariance = 2.0 * np.atleast_2d(np.cov(particles, rowvar=False, aweights=weights))
    try:
        return np.linalg.cholesky(covariance)
    except np.linalg.LinAlgError:
        diagonal = np.diag(covariance)
        ridge = 1e-9 * (diagonal.mean() if diagonal.mean() > 0 else 1.0)
        return np.linalg.cholesky(covariance + ridge * np.eye(len(covariance)))


def _stop_reason(state: _State, budget, min_epsilon, max_generations) -> StopReason | None:
    """The reason to stop after ``state``, or None to run another generation."""
    if state.generation + 1 >= max_generations:
        return StopReason.MAX_GENERATIONS
    if state.epsilons[-1] <= min_epsilon:
        return StopReason.MIN_EPSILON
    if state.simulations_total >= budget:
        return StopReason.BUDGET
    return None


def _check_inputs(
    names, priors, observed, population_size, budget, quantile, min_epsilon, max_generations
) -> np.ndarray:
    """Validate the arguments of :func:`abc_smc`; return ``observed`` as a float vector."""
    if not names:
        raise ValueError("priors is empty: give one scipy.stats distribution per parameter")
    for name in names:
        prior = priors[name]
        if not (hasattr(prior, "logpdf") and hasattr(prior, "rvs")):
            raise TypeError(
                f"prior {name!r} is {prior!r}; expected a frozen continuous scipy.stats "
                "distribution such as scipy.stats.gamma(2)"
            )
        if name in _RESERVED:
            raise ValueError(f"parameter name {name!r} is reserved; rename it")
    observed = np.asarray(observed, dtype=float)
    if observed.ndim != 1 or observed.size == 0 or np.isinf(observed).any():
        raise ValueError(
            f"observed must be a non-empty vector of finite numbers or NaN, got {observed!r}"
        )
    if int(population_size) != population_size or population_size < 2:
        raise ValueError(f"population_size must be an integer >= 2, got {population_size}")
    if budget < population_size:
        raise ValueError(f"budget {budget} is smaller than population_size {population_size}")
    if not 0 < quantile < 1:
        raise ValueError(f"quantile must lie strictly between 0 and 1, got {quantile}")
    if not min_epsilon >= 0:
        raise ValueError(f"min_epsilon must be >= 0, got {min_epsilon}")
    if max_generations < 1:
        raise ValueError(f"max_generations must be >= 1, got {max_generations}")
    return observed


def _describe_prior(prior) -> dict:
    """A JSON description of a frozen scipy.stats distribution, for the checkpoint fingerprint."""

    def plain(value):
        return float(value) if np.ndim(value) == 0 else np.asarray(value, dtype=float).tolist()

    return {
        "distribution": getattr(getattr(prior, "dist", None), "name", type(prior).__name__),
        "args": [plain(a) for a in getattr(prior, "args", ())],
        "kwds": {k: plain(v) for k, v in sorted(getattr(prior, "kwds", {}).items())},
    }


def _progress_bar(progress, budget, state):
    """A tqdm bar over the simulation budget (disabled unless wanted; see :func:`abc_smc`)."""
    if progress is None:
        progress = sys.stderr.isatty() and "CI" not in os.environ
    initial = 0 if state is None else state.simulations_total
    return tqdm(
        total=budget,
        initial=initial,
        unit="world",
        desc="ABC-SMC",
        disable=not progress,
        file=sys.stderr,
    )


_ARRAYS = (
    "particles",
    "weights",
    "distances",
    "statistics",
    "scales",
    "next_scales",
    "epsilons",
    "simulations",
    "acceptance_rates",
    "ess",
)


def _save(path: Path | None, state: _State, config: dict, root: np.random.SeedSequence) -> None:
    """Write ``state`` to ``path`` atomically (temporary file, then ``os.replace``)."""
    if path is None:
        return
    header = {
        "format": _CHECKPOINT_FORMAT,
        "config": config,
        "seed": {"entropy": root.entropy, "spawn_key": list(root.spawn_key)},
        "generation": state.generation,
        "simulations_total": state.simulations_total,
    }
    arrays = {name: getattr(state, name) for name in _ARRAYS}
    arrays["next_epsilon"] = np.array(state.next_epsilon)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            np.savez(file, header=np.array(json.dumps(header)), **arrays)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _load_checkpoint(path: Path, config: dict, seed, root):
    """Read a checkpoint; check it was written by this configuration and seed."""
    try:
        with np.load(path, allow_pickle=False) as data:
            header = json.loads(str(data["header"]))
            arrays = {name: data[name] for name in _ARRAYS}
            next_epsilon = float(data["next_epsilon"])
    except (OSError, KeyError, ValueError) as error:
        raise ValueError(f"checkpoint {path} is not an ABC-SMC checkpoint: {error}") from error
    if header.get("format") != _CHECKPOINT_FORMAT:
        raise ValueError(
            f"checkpoint {path} has format {header.get('format')!r}; expected {_CHECKPOINT_FORMAT}"
        )
    differences = [
        f"{key}: checkpoint has {header['config'].get(key)!r}, this call has {value!r}"
        for key, value in config.items()
        if header["config"].get(key) != value
    ]
    if differences:
        raise ValueError(
            f"checkpoint {path} was written by a different configuration; delete it or use "
            "another path to start afresh. Differences: " + "; ".join(differences)
        )
    stored = header["seed"]
    if seed is not None and (
        stored["entropy"] != root.entropy or stored["spawn_key"] != list(root.spawn_key)
    ):
        raise ValueError(
            f"checkpoint {path} was written with seed entropy {stored['entropy']} and spawn key "
            f"{stored['spawn_key']}; this call has {root.entropy} and {list(root.spawn_key)}"
        )
    root = np.random.SeedSequence(stored["entropy"], spawn_key=tuple(stored["spawn_key"]))
    state = _State(
        generation=header["generation"],
        next_epsilon=next_epsilon,
        simulations_total=header["simulations_total"],
        **arrays,
    )
    return state, root
