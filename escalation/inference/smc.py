"""Sequential Monte Carlo over batches of worlds: ABC-SMC and likelihood-tempered SMC.

The engine is generic: it sees a batched function of the parameters (``simulate`` for ABC,
``loglik`` for tempering) and the priors, never the model. Every call hands the function a whole
population of parameter sets at once, which is what makes a model that advances many worlds in
lockstep fast to calibrate. Both algorithms share one implementation of the priors (sampling, joint
log density, support), of resampling, of the Gaussian kernel fitted to a weighted population, of
the seed streams, of the progress bar and of the checkpoint file.

ABC-SMC (:func:`abc_smc`; population Monte Carlo ABC with adaptive tolerances and distance):

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

Likelihood-tempered SMC (:func:`tempered_smc`; Del Moral, Doucet & Jasra 2006, "Sequential Monte
Carlo samplers", JRSS B 68:411, with the adaptive schedule of Jasra, Stephens, Doucet & Tsagaris
2011, Scandinavian Journal of Statistics 38:1, and the conditional ESS of Zhou, Johansen & Aston
2016, "Towards automatic model comparison", JCGS 25:701):

* Step 0 samples the prior; step ``t`` targets ``prior(theta) * L(theta)^beta_t`` with
  ``0 = beta_0 < beta_1 < ... = 1``.
* Each next temperature is found by bisection so that the effective sample size of the incremental
  weights ``L^(beta_t - beta_{t-1})`` is ``target_ess`` times the population size (the
  conditional ESS; after a resample-move step the weights are equal, so the two coincide). Particles
  of zero likelihood count as absent, so a prior with much mass outside the data's reach does not
  stall the schedule.
* The log evidence ``log p(data)`` is the sum over steps of the log mean incremental weight.
* After reweighting, the particles are resampled (systematic) and moved by Metropolis-Hastings
  steps targeting the current tempered posterior, in unbounded coordinates (the logit of a
  parameter's place between two finite bounds, the log of its distance to a single one; the
  Jacobian enters the acceptance ratio), where a parameter pressed against a bound or with a long
  right tail (half-lives, thresholds) is closer to Gaussian. Moves alternate between two kernels,
  each leaving the target invariant:

  - an independence move: a draw from a multivariate Student-t (5 degrees of freedom) with the
    weighted mean and covariance of the reweighted population, the proposal of Chopin 2002
    ("A sequential particle filter method for static models", Biometrika 89:539) with heavier
    tails. It comes first, so the copies resampling made scatter at once;
  - a random-walk move with proposal covariance ``scale^2`` times the weighted population
    covariance; ``scale`` starts at ``2.38 / sqrt(d)`` (Roberts, Gelman & Gilks 1997, Annals of
    Applied Probability 7:110) and is multiplied by ``exp(acceptance - target_acceptance)`` after
    each random-walk move, the rule of PyMC's SMC sampler. It moves particles where the
    independence proposal is thin.

  Moves repeat until the particles have moved far enough to forget where they started: until 90%
  of them have an expected squared jump, summed over the moves and measured in units of the
  population covariance, of at least ``min_jump`` per dimension (or ``max_moves`` is reached).
  With random-walk moves alone (150 particles, 8 moves a step, 169 synthetic 2021s of
  ``experiments/sbc.py``) the 90% intervals covered 77% of the true values and the posterior
  sds were too small (median ``|z|`` 0.86 against 0.67); the alternation brought the same
  setting to the figures in ``docs/sbc_summary.csv``.
"""

from __future__ import annotations

import enum
import math
import os
import sys
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.linalg import solve_triangular
from scipy.spatial.distance import cdist
from scipy.special import expit, logit, logsumexp
from tqdm import tqdm

from escalation.runtime import (
    Checkpoint,
    plain_entropy,
    progress_bar,
    seed_sequence,
    show_progress,
)

__all__ = [
    "ABCResult",
    "FewParticlesWarning",
    "PriorOnlyWarning",
    "StopReason",
    "TemperedResult",
    "abc_smc",
    "next_temperature",
    "resample",
    "scale_statistics",
    "scaled_distance",
    "tempered_smc",
    "weighted_quantile",
]

#: A seed argument: an integer, a SeedSequence, or None for fresh entropy.
Seed = int | np.random.SeedSequence | None
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
#: Column names reserved for the weight and distance in the results' ``to_frame``.
_RESERVED = ("weight", "distance", "loglik")
_ABC_FORMAT = "escalation-abc-checkpoint/1"
_TEMPERED_FORMAT = "escalation-tempered-checkpoint/1"
#: Halvings of the temperature interval when searching the next temperature (resolution 2^-60).
_BISECTIONS = 60
#: Moves stop once this share of particles or fewer has not yet jumped ``min_jump`` far.
_UNMOVED_SHARE = 0.1
#: Degrees of freedom of the independence proposal: tails heavier than a normal's.
_PROPOSAL_DF = 5.0


class StopReason(enum.StrEnum):
    """Why :func:`abc_smc` stopped."""

    MAX_GENERATIONS = "max_generations"
    MIN_EPSILON = "min_epsilon"
    BUDGET = "budget"


class PriorOnlyWarning(UserWarning):
    """An ABC-SMC run returned generation 0: its "posterior" is a sample of the prior."""


class FewParticlesWarning(UserWarning):
    """An ABC-SMC run's last generation rests on few particles: its weights are degenerate."""


#: Share of the population below which the effective sample size of an ABC-SMC run's last
#: generation is warned of (:func:`warn_if_few_particles`).
MIN_ESS_SHARE = 0.1


# --- shared parts: priors, resampling, the Gaussian kernel, seeds, progress, checkpoints --------


#: Nearest a particle is taken to a bound when mapped to unbounded coordinates.
_EDGE = 1e-12


class _Priors:
    """The priors of the inferred parameters, in a fixed order: sampling, density and support."""

    def __init__(self, priors: Mapping[str, Any]):
        self.names = tuple(priors)
        if not self.names:
            raise ValueError("priors is empty: give one scipy.stats distribution per parameter")
        for name in self.names:
            prior = priors[name]
            if not (hasattr(prior, "logpdf") and hasattr(prior, "rvs")):
                raise TypeError(
                    f"prior {name!r} is {prior!r}; expected a frozen continuous scipy.stats "
                    "distribution such as scipy.stats.gamma(2)"
                )
            if name in _RESERVED:
                raise ValueError(f"parameter name {name!r} is reserved; rename it")
        self.priors = [priors[name] for name in self.names]
        self.lower, self.upper = np.array([p.support() for p in self.priors], dtype=float).T

    @property
    def dimension(self) -> int:
        """Number of parameters."""
        return len(self.names)

    def describe(self) -> list[dict]:
        """JSON descriptions of the priors, for a checkpoint's fingerprint."""
        return [_describe_prior(prior) for prior in self.priors]

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Draw ``size`` parameter vectors from the prior, shape (size, d)."""
        return np.column_stack([p.rvs(size=size, random_state=rng) for p in self.priors])

    def log_density(self, particles: np.ndarray) -> np.ndarray:
        """Joint log prior density of each row; -inf outside the support."""
        total = np.zeros(len(particles))
        for column, prior in enumerate(self.priors):
            total += prior.logpdf(particles[:, column])
        return np.where(np.isnan(total), -np.inf, total)

    def within_bounds(self, particles: np.ndarray) -> np.ndarray:
        """Rows strictly inside the box of the priors' supports (a quick first test)."""
        return np.all((particles > self.lower) & (particles < self.upper), axis=1)

    def to_free(self, particles: np.ndarray) -> np.ndarray:
        """Particles in unbounded coordinates: logit of the place between two finite bounds,
        log of the distance to a single finite bound, unchanged where there is none."""
        low, high = self.lower, self.upper
        both, below, above = self._bounded()
        span = np.where(both, high - low, 1.0)
        share = np.clip((particles - np.where(both, low, 0.0)) / span, _EDGE, 1.0 - _EDGE)
        with np.errstate(invalid="ignore", divide="ignore"):
            free = np.where(both, logit(share), particles)
            free = np.where(below, np.log(np.maximum(particles - low, _EDGE)), free)
            return np.where(above, np.log(np.maximum(high - particles, _EDGE)), free)

    def from_free(self, free: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Particles from unbounded coordinates, and the log Jacobian ``log |d theta / d z|``
        of each row (what a random walk in these coordinates adds to the target density)."""
        low, high = self.lower, self.upper
        both, below, above = self._bounded()
        with np.errstate(invalid="ignore", over="ignore"):
            share = expit(free)
            theta = np.where(
                both, np.where(both, low, 0.0) + np.where(both, high - low, 1.0) * share, free
            )
            theta = np.where(below, low + np.exp(free), theta)
            theta = np.where(above, high - np.exp(free), theta)
            log_jacobian = np.where(
                both,
                np.log(np.where(both, high - low, 1.0))
                - np.logaddexp(0.0, -free)
                - np.logaddexp(0.0, free),
                np.where(below | above, free, 0.0),
            )
        return theta, log_jacobian.sum(axis=1)

    def _bounded(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per parameter: both bounds finite, only the lower one, only the upper one."""
        low, high = np.isfinite(self.lower), np.isfinite(self.upper)
        return low & high, low & ~high, ~low & high

    def batch(self, particles: np.ndarray) -> dict[str, np.ndarray]:
        """Rows of ``particles`` as the mapping from name to values the user's functions take."""
        return {name: particles[:, i] for i, name in enumerate(self.names)}

    def frame(self, particles: np.ndarray) -> pd.DataFrame:
        """Particles as a DataFrame with one column per parameter."""
        return pd.DataFrame(particles, columns=list(self.names))


def resample(
    rng: np.random.Generator,
    weights: np.ndarray,
    size: int,
    scheme: Literal["multinomial", "systematic"] = "multinomial",
) -> np.ndarray:
    """Indices of ``size`` particles drawn by normalised ``weights``.

    ``"multinomial"`` draws independently (what ABC-SMC's proposal mixture needs);
    ``"systematic"`` places ``size`` evenly spaced points with one uniform offset on the weights'
    cumulative sum (Kitagawa 1996, "Monte Carlo filter and smoother for non-Gaussian nonlinear
    state space models", JCGS 5:1), which adds less noise and is used between tempering steps.
    """
    if scheme == "multinomial":
        return rng.choice(len(weights), size=size, p=weights)
    if scheme == "systematic":
        positions = (rng.uniform() + np.arange(size)) / size
        cumulative = np.cumsum(weights)
        cumulative[-1] = 1.0  # guard against rounding in the sum
        return np.searchsorted(cumulative, positions, side="right")
    raise ValueError(f"resample: scheme must be 'multinomial' or 'systematic', got {scheme!r}")


@dataclass(frozen=True)
class _GaussianKernel:
    """A multivariate normal perturbation whose covariance is ``factor`` times a weighted one."""

    chol: np.ndarray

    @classmethod
    def fit(cls, particles: np.ndarray, weights: np.ndarray, factor: float) -> _GaussianKernel:
        """Cholesky factor of ``factor`` times the weighted covariance, with a tiny ridge if it is
        singular."""
        covariance = factor * np.atleast_2d(np.cov(particles, rowvar=False, aweights=weights))
        try:
            return cls(np.linalg.cholesky(covariance))
        except np.linalg.LinAlgError:
            diagonal = np.diag(covariance)
            ridge = 1e-9 * (diagonal.mean() if diagonal.mean() > 0 else 1.0)
            return cls(np.linalg.cholesky(covariance + ridge * np.eye(len(covariance))))

    def perturb(
        self, rng: np.random.Generator, centres: np.ndarray, scale: float = 1.0
    ) -> np.ndarray:
        """``centres`` plus independent ``N(0, scale^2 * covariance)`` noise, row by row."""
        noise = rng.standard_normal((len(centres), self.chol.shape[0])) @ self.chol.T
        return centres + scale * noise

    def whiten(self, points: np.ndarray) -> np.ndarray:
        """Points in the coordinates where the kernel's covariance is the identity."""
        return solve_triangular(self.chol, points.T, lower=True).T


@dataclass(frozen=True)
class _StudentProposal:
    """A multivariate Student-t fitted to the population: the proposal of independence moves.

    Its location is the weighted mean, its scale matrix the weighted covariance (the kernel's),
    and its tails heavier than the population's, so particles in the posterior's tails are
    reached and can be left (Chopin 2002, "A sequential particle filter method for static
    models", Biometrika 89:539, moves particles with an independent proposal fitted this way).
    """

    mean: np.ndarray
    kernel: _GaussianKernel
    df: float = _PROPOSAL_DF

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` independent draws."""
        normal = rng.standard_normal((size, len(self.mean))) @ self.kernel.chol.T
        return self.mean + normal / np.sqrt(rng.chisquare(self.df, size) / self.df)[:, None]

    def log_density(self, points: np.ndarray) -> np.ndarray:
        """Log density of each row, up to a constant (Metropolis ratios need no more)."""
        squared = np.sum(self.kernel.whiten(points - self.mean) ** 2, axis=1)
        return -0.5 * (self.df + len(self.mean)) * np.log1p(squared / self.df)


def _stream(root: np.random.SeedSequence, *indices: int) -> np.random.SeedSequence:
    """The seed of one stream, a pure function of the root and its indices."""
    return np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, *indices))


def _rng(root: np.random.SeedSequence, *indices: int) -> np.random.Generator:
    """A generator on the stream :func:`_stream` names."""
    return np.random.default_rng(_stream(root, *indices))


def _check_population(population_size: int) -> None:
    if int(population_size) != population_size or population_size < 2:
        raise ValueError(f"population_size must be an integer >= 2, got {population_size}")


def _describe_prior(prior: Any) -> dict:
    """A JSON description of a frozen scipy.stats distribution, for the checkpoint fingerprint."""

    def plain(value):
        return float(value) if np.ndim(value) == 0 else np.asarray(value, dtype=float).tolist()

    return {
        "distribution": getattr(getattr(prior, "dist", None), "name", type(prior).__name__),
        "args": [plain(a) for a in getattr(prior, "args", ())],
        "kwds": {k: plain(v) for k, v in sorted(getattr(prior, "kwds", {}).items())},
    }


# --- ABC-SMC -------------------------------------------------------------------------------------


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


def weighted_quantile(values: Any, weights: Any, q: Any) -> Any:
    """Quantile(s) ``q`` of a weighted sample, interpolating the weighted empirical CDF.

    Each value sits at plotting position ``(W_i - w_i / 2) / W`` (``W_i`` the cumulative weight in
    sorted order), the weighted form of Hazen's ``(i - 1/2) / n``; positions between two values are
    interpolated linearly, positions outside clamp to the extremes. Zero-weight values are ignored.
    With equal weights this is the usual median of an even sample (the mean of the middle two).
    Returns a float for a scalar ``q``, an array for an array.
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


_ABC_ARRAYS = (
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


def abc_smc(
    simulate: Callable[[dict[str, np.ndarray], np.random.SeedSequence], np.ndarray],
    priors: Mapping[str, Any],
    observed: Any,
    population_size: int = 1000,
    budget: int = 200_000,
    seed: Seed = None,
    min_epsilon: float = 0.0,
    max_generations: int = 30,
    quantile: float = 0.5,
    checkpoint: str | os.PathLike | None = None,
    progress: bool | None = None,
    identity: Mapping[str, Any] | None = None,
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
    identity : mapping, optional
        JSON-ready description of what ``simulate`` simulates (the scenario, or its hash),
        stored in the checkpoint: a checkpoint written for another model is refused.

    Returns
    -------
    ABCResult

    Warns
    -----
    PriorOnlyWarning
        When the run stops before completing generation 1, so the result is a prior sample.
    FewParticlesWarning
        When the last generation's effective sample size is below :data:`MIN_ESS_SHARE` of
        the population (:func:`warn_if_few_particles`).
    """
    space = _Priors(priors)
    observed = _check_abc_inputs(
        observed, population_size, budget, quantile, min_epsilon, max_generations
    )
    _check_scale(scale)
    max_batch = _MAX_BATCH_FACTOR * population_size if max_batch is None else int(max_batch)
    if max_batch < 1:
        raise ValueError(f"max_batch must be a positive integer, got {max_batch}")
    config = {
        "parameters": list(space.names),
        "priors": space.describe(),
        "population_size": int(population_size),
        "observed": [None if math.isnan(v) else float(v) for v in observed],
        "identity": dict(identity or {}),
        "quantile": float(quantile),
        "scale": scale,
    }
    root = seed_sequence(seed)
    store = Checkpoint(
        None if checkpoint is None else Path(checkpoint), _ABC_FORMAT, "an ABC-SMC", config
    )
    state = None
    loaded = store.load(_ABC_ARRAYS + ("next_epsilon",), seed, root)
    if loaded is not None:
        state, root = _abc_state(*loaded[:2]), loaded[2]
    run = _Run(simulate, space, observed, population_size, quantile, scale, root)
    save = partial(_save_abc, store, root)
    with _abc_progress_bar(progress, budget, state) as bar:
        if state is None:
            state, _ = run.generation(None, budget, max_batch, bar, min_epsilon)
            save(state)
        while (reason := _stop_reason(state, budget, min_epsilon, max_generations)) is None:
            room = budget - state.simulations_total
            following, n_simulated = run.generation(state, room, max_batch, bar, min_epsilon)
            if following is None:  # the budget ran out mid-generation: keep the last complete one
                state.simulations_total += n_simulated
                save(state)
                reason = StopReason.BUDGET
                break
            state = following
            save(state)
    if state.generation == 0:
        warnings.warn(
            f"ABC-SMC stopped ({reason}) after generation 0, so the result is a sample of the "
            f"prior, not a posterior: {state.simulations_total} worlds simulated, budget "
            f"{budget}, max_generations {max_generations}. Raise the budget (a generation "
            f"typically needs several times population_size = {population_size} worlds) or "
            "max_generations.",
            PriorOnlyWarning,
            stacklevel=2,
        )
    else:
        warn_if_few_particles(state.weights, reason)
    return ABCResult(
        particles=space.frame(state.particles),
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
        seed_entropy=plain_entropy(root),
        seed_spawn_key=tuple(root.spawn_key),
    )


class _Run:
    """Runs one generation at a time; holds what every generation shares."""

    def __init__(self, simulate, space: _Priors, observed, population_size, quantile, scale, root):
        self.simulate = simulate
        self.space = space
        self.observed = observed
        self.n = population_size
        self.quantile = quantile
        self.scale = scale
        self.root = root

    def generation(self, previous: _State | None, room: int, max_batch: int, bar, floor: float):
        """Run the generation after ``previous`` (None: generation 0, the prior).

        Returns the new state, or None if ``room`` (the budget left) runs out first, and the number
        of worlds simulated.
        """
        if previous is None:
            g, epsilon, kernel = 0, math.inf, None
            propose = self.space.sample
        else:
            g, epsilon = previous.generation + 1, previous.next_epsilon
            kernel = _GaussianKernel.fit(previous.particles, previous.weights, 2.0)
            propose = partial(self.kernel_proposal, previous, kernel)
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
            theta = propose(_rng(self.root, g, batch, 0), size)
            stats = self.call_simulate(theta, _stream(self.root, g, batch, 1))
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
        if previous is None or kernel is None:  # generation 0 has neither
            weights, scales = np.full(self.n, 1.0 / self.n), next_scales
        else:
            weights = self.importance_weights(particles, previous, kernel)
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
            ess=history("ess", effective_sample_size(weights)),
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

    def kernel_proposal(
        self, previous: _State, kernel: _GaussianKernel, rng: np.random.Generator, size: int
    ) -> np.ndarray:
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
            index = resample(rng, previous.weights, draws, "multinomial")
            candidates = kernel.perturb(rng, previous.particles[index])
            candidates = candidates[self.space.within_bounds(candidates)]
            candidates = candidates[np.isfinite(self.space.log_density(candidates))]
            kept.append(candidates)
            n_kept += len(candidates)
            n_drawn += draws
        return np.concatenate(kept)[:size]

    def importance_weights(
        self, particles: np.ndarray, previous: _State, kernel: _GaussianKernel
    ) -> np.ndarray:
        """Normalised ``prior(theta) / sum_j w_j K(theta | theta_j)``, computed in log space.

        The kernel's normalising constant is common to all terms and cancels.
        """
        whitened_new = kernel.whiten(particles)
        whitened_old = kernel.whiten(previous.particles)
        with np.errstate(divide="ignore"):  # a weight that underflowed to 0 adds nothing
            log_w_old = np.log(previous.weights)
        log_mixture = np.empty(len(particles))
        for start in range(0, len(particles), _WEIGHT_BLOCK):
            rows = slice(start, start + _WEIGHT_BLOCK)
            squared = cdist(whitened_new[rows], whitened_old, "sqeuclidean")
            log_mixture[rows] = logsumexp(log_w_old - 0.5 * squared, axis=1)
        log_weights = self.space.log_density(particles) - log_mixture
        weights = np.exp(log_weights - np.max(log_weights))
        return weights / weights.sum()

    def call_simulate(self, theta: np.ndarray, seed: np.random.SeedSequence) -> np.ndarray:
        """Call ``simulate`` on a batch and check the shape and values of what it returns."""
        stats = np.asarray(self.simulate(self.space.batch(theta), seed), dtype=float)
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


def _stop_reason(state: _State, budget, min_epsilon, max_generations) -> StopReason | None:
    """The reason to stop after ``state``, or None to run another generation."""
    if state.generation + 1 >= max_generations:
        return StopReason.MAX_GENERATIONS
    if state.epsilons[-1] <= min_epsilon:
        return StopReason.MIN_EPSILON
    if state.simulations_total >= budget:
        return StopReason.BUDGET
    return None


def _check_abc_inputs(
    observed, population_size, budget, quantile, min_epsilon, max_generations
) -> np.ndarray:
    """Validate the arguments of :func:`abc_smc`; return ``observed`` as a float vector."""
    observed = np.asarray(observed, dtype=float)
    if observed.ndim != 1 or observed.size == 0 or np.isinf(observed).any():
        raise ValueError(
            f"observed must be a non-empty vector of finite numbers or NaN, got {observed!r}"
        )
    _check_population(population_size)
    if budget < population_size:
        raise ValueError(f"budget {budget} is smaller than population_size {population_size}")
    if not 0 < quantile < 1:
        raise ValueError(f"quantile must lie strictly between 0 and 1, got {quantile}")
    if not min_epsilon >= 0:
        raise ValueError(f"min_epsilon must be >= 0, got {min_epsilon}")
    if max_generations < 1:
        raise ValueError(f"max_generations must be >= 1, got {max_generations}")
    return observed


def effective_sample_size(weights: np.ndarray) -> float:
    """Kish effective sample size of normalised ``weights``: ``1 / sum w^2``."""
    return float(1.0 / np.sum(weights**2))


def warn_if_few_particles(weights: np.ndarray, reason: object) -> None:
    """Warn when the :func:`effective_sample_size` of normalised ``weights`` is below
    :data:`MIN_ESS_SHARE` of their number: the posterior's summaries (quantiles, contraction)
    then rest on a handful of particles. ``reason`` is why the run stopped."""
    ess = effective_sample_size(weights)
    if ess < MIN_ESS_SHARE * len(weights):
        warnings.warn(
            f"ABC-SMC stopped ({reason}) with an effective sample size of {ess:.1f} of "
            f"{len(weights)} particles: its quantiles and contraction rest on a few particles. "
            "Raise the budget (or lower the population) for a usable posterior.",
            FewParticlesWarning,
            stacklevel=3,
        )


def _abc_progress_bar(progress: bool | None, budget: int, state: _State | None) -> tqdm:
    """A tqdm bar over the simulation budget (disabled unless wanted; see :func:`abc_smc`)."""
    initial = 0 if state is None else state.simulations_total
    return progress_bar(budget, desc="ABC-SMC", unit="world", progress=progress, initial=initial)


def _save_abc(store: Checkpoint, root: np.random.SeedSequence, state: _State) -> None:
    """Checkpoint a complete ABC generation."""
    header = {"generation": state.generation, "simulations_total": state.simulations_total}
    arrays = {name: getattr(state, name) for name in _ABC_ARRAYS}
    arrays["next_epsilon"] = np.array(state.next_epsilon)
    store.save(root, header, arrays)


def _abc_state(header: dict, arrays: dict[str, np.ndarray]) -> _State:
    """Rebuild an ABC generation from its checkpoint."""
    fields = {name: arrays[name] for name in _ABC_ARRAYS}
    return _State(
        generation=header["generation"],
        next_epsilon=float(arrays["next_epsilon"]),
        simulations_total=header["simulations_total"],
        **fields,
    )


# --- likelihood-tempered SMC ---------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class TemperedResult:
    """The final population of a likelihood-tempered SMC run, its evidence and its history.

    Attributes
    ----------
    particles : DataFrame
        One row per particle, one column per parameter: a sample of the posterior.
    weights : ndarray
        Normalised weights (equal: the last step ends with a resample-move).
    loglik : ndarray
        Each particle's log likelihood at the full temperature.
    log_evidence : float
        The estimate of the log marginal likelihood ``log p(data)``, the sum of
        ``log_evidence_increments``.
    temperatures : ndarray
        The schedule, one per step: 0 (the prior) first, 1 last.
    log_evidence_increments, ess, acceptance_rates, moves, scales, evaluations : ndarray
        Per step: the log mean incremental weight; the Kish ESS of the reweighted population
        before resampling; the mean Metropolis acceptance rate over the step's moves (NaN at step
        0); the number of moves; the proposal scale after them; the likelihood evaluations.
    seed_entropy : int or list of int
    seed_spawn_key : tuple of int
        With ``seed_entropy``, reproduces the run: ``SeedSequence(entropy, spawn_key=...)``.
    """

    particles: pd.DataFrame
    weights: np.ndarray
    loglik: np.ndarray
    log_evidence: float
    temperatures: np.ndarray
    log_evidence_increments: np.ndarray
    ess: np.ndarray
    acceptance_rates: np.ndarray
    moves: np.ndarray
    scales: np.ndarray
    evaluations: np.ndarray
    seed_entropy: int | list[int]
    seed_spawn_key: tuple[int, ...] = field(default=())

    @property
    def parameter_names(self) -> tuple[str, ...]:
        """Names of the inferred parameters, in column order."""
        return tuple(self.particles.columns)

    @property
    def n_steps(self) -> int:
        """Number of steps, step 0 (the prior) included."""
        return len(self.temperatures)

    @property
    def evaluations_total(self) -> int:
        """Likelihood evaluations (parameter sets scored) in all."""
        return int(self.evaluations.sum())

    def to_frame(self) -> pd.DataFrame:
        """Particles with their ``weight`` and ``loglik`` columns."""
        return self.particles.assign(weight=self.weights, loglik=self.loglik)

    def history(self) -> pd.DataFrame:
        """One row per step: temperature, log evidence increment, ESS, acceptance, moves, scale,
        evaluations."""
        return pd.DataFrame(
            {
                "temperature": self.temperatures,
                "log_evidence_increment": self.log_evidence_increments,
                "ess": self.ess,
                "acceptance_rate": self.acceptance_rates,
                "moves": self.moves,
                "scale": self.scales,
                "evaluations": self.evaluations,
            },
            index=pd.RangeIndex(self.n_steps, name="step"),
        )


@dataclass
class _TemperedState:
    """The population after a complete step (equally weighted) and the history so far."""

    step: int
    particles: np.ndarray
    loglik: np.ndarray
    temperatures: np.ndarray
    log_evidence_increments: np.ndarray
    ess: np.ndarray
    acceptance_rates: np.ndarray
    moves: np.ndarray
    scales: np.ndarray
    evaluations: np.ndarray

    @property
    def temperature(self) -> float:
        return float(self.temperatures[-1])


_TEMPERED_ARRAYS = (
    "particles",
    "loglik",
    "temperatures",
    "log_evidence_increments",
    "ess",
    "acceptance_rates",
    "moves",
    "scales",
    "evaluations",
)


def next_temperature(loglik: np.ndarray, temperature: float, target_ess: float) -> float:
    """The next temperature of an equally weighted population, by bisection on the ESS.

    Returns the largest ``b`` in ``(temperature, 1]`` (to a resolution of ``2^-60``) at which the
    incremental weights ``exp((b - temperature) * loglik)`` keep an effective sample size of
    ``target_ess`` times the number of particles of positive likelihood (particles with
    ``loglik = -inf`` have weight 0 at every ``b > temperature``). That ESS falls as ``b`` rises.

    Parameters
    ----------
    loglik : ndarray, shape (n,)
        Log likelihoods of the particles; -inf allowed, at least one finite.
    temperature : float
        The current temperature, in [0, 1).
    target_ess : float
        In (0, 1).
    """
    loglik = np.asarray(loglik, dtype=float)
    alive = loglik[np.isfinite(loglik)]
    if alive.size == 0:
        raise ValueError("next_temperature: every particle has log likelihood -inf")
    if not 0 <= temperature < 1:
        raise ValueError(f"next_temperature: temperature must lie in [0, 1), got {temperature}")
    _check_fraction("target_ess", target_ess)

    def ess_share(delta: float) -> float:
        w = np.exp(delta * (alive - alive.max()))
        return float(w.sum() ** 2 / np.sum(w**2)) / alive.size

    low, high = 0.0, 1.0 - temperature
    if ess_share(high) >= target_ess:
        return 1.0
    for _ in range(_BISECTIONS):
        middle = 0.5 * (low + high)
        if ess_share(middle) >= target_ess:
            low = middle
        else:
            high = middle
    return temperature + (low if low > 0 else high)


def tempered_smc(
    loglik: Callable[[dict[str, np.ndarray]], np.ndarray],
    priors: Mapping[str, Any],
    *,
    population_size: int = 1000,
    seed: Seed = None,
    target_ess: float = 0.5,
    target_acceptance: float = 0.3,
    min_jump: float = 1.0,
    max_moves: int = 20,
    max_steps: int = 500,
    checkpoint: str | os.PathLike | None = None,
    progress: bool | None = None,
    identity: Mapping[str, Any] | None = None,
) -> TemperedResult:
    """Sample the posterior and estimate the evidence by likelihood-tempered SMC.

    The population moves from the prior to the posterior through ``prior * L^beta`` as the
    temperature ``beta`` rises from 0 to 1, each step as far as keeps ``target_ess`` of the
    population's effective size (see the module docstring for the algorithm and its sources).

    Parameters
    ----------
    loglik : callable
        ``loglik(theta) -> (n,) array``: the log likelihood of the data under each of ``n``
        parameter sets, set ``i`` being ``theta[name][i]``. Batched: it receives a whole population
        at once. It must be deterministic (an exact likelihood); it may return -inf (impossible
        data), never NaN or +inf. It is only called inside the priors' support.
    priors : mapping of str to frozen scipy.stats continuous distribution
        One prior per parameter (as for :func:`abc_smc`); the support may be bounded.
    population_size : int
        Particles.
    seed : int, SeedSequence or None
        Root of all randomness: step ``t`` resamples with the stream ``(*key, t, 0)`` and draws
        its ``m``-th move with ``(*key, t, m + 1)`` (step 0 samples the prior with ``(0, 0)``), so
        a resumed run repeats an uninterrupted one. None draws fresh entropy, recorded.
    target_ess : float
        Share of the population's effective size each tempering step keeps, in (0, 1).
    target_acceptance : float
        Metropolis acceptance rate the proposal scale is tuned towards, in (0, 1).
    min_jump : float
        Moves continue until 90% of particles have an expected squared jump (summed over the moves,
        in units of the population covariance) of ``min_jump`` per parameter; 1 means about one
        posterior standard deviation.
    max_moves : int
        Most Metropolis moves per step (at least 1).
    max_steps : int
        Most tempering steps, step 0 included; RuntimeError if the temperature has not reached 1
        by then (a checkpointed run can be resumed with a larger value).
    checkpoint : path or None
        A ``.npz`` file rewritten atomically after each step; if it exists the run resumes from
        it, bit for bit as if uninterrupted. The priors, population size, target ESS, target
        acceptance, min_jump and max_moves must match (else ValueError), as must ``seed`` if given.
    progress : bool or None
        A tqdm bar over the temperature on stderr; None: when stderr is a terminal and ``CI`` is
        unset.
    identity : mapping, optional
        JSON-ready description of what ``loglik`` is the likelihood of (the data, window and
        model, or their hashes), stored in the checkpoint: a checkpoint written for other data
        is refused rather than resumed.

    Returns
    -------
    TemperedResult
    """
    space = _Priors(priors)
    _check_population(population_size)
    _check_fraction("target_ess", target_ess)
    _check_fraction("target_acceptance", target_acceptance)
    if not min_jump >= 0:
        raise ValueError(f"min_jump must be >= 0, got {min_jump}")
    for name, value in (("max_moves", max_moves), ("max_steps", max_steps)):
        if int(value) != value or value < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {value}")
    config = {
        "parameters": list(space.names),
        "priors": space.describe(),
        "population_size": int(population_size),
        "target_ess": float(target_ess),
        "target_acceptance": float(target_acceptance),
        "min_jump": float(min_jump),
        "max_moves": int(max_moves),
        "moves": f"independent Student-t (df {_PROPOSAL_DF:g}) alternating with random walk",
        "identity": dict(identity or {}),
    }
    root = seed_sequence(seed)
    store = Checkpoint(
        None if checkpoint is None else Path(checkpoint),
        _TEMPERED_FORMAT,
        "a tempered-SMC",
        config,
    )
    loaded = store.load(_TEMPERED_ARRAYS, seed, root)
    state = None
    if loaded is not None:
        state, root = _tempered_state(*loaded[:2]), loaded[2]
    sampler = _Tempering(
        loglik, space, population_size, target_ess, target_acceptance, min_jump, max_moves, root
    )
    with _tempering_progress_bar(progress, state) as bar:
        if state is None:
            state = sampler.initial()
            _save_tempered(store, root, state)
        while state.temperature < 1.0:
            if state.step + 1 >= max_steps:
                raise RuntimeError(
                    f"tempered_smc: the temperature is {state.temperature:.3g} after {max_steps} "
                    "steps; raise max_steps (a checkpointed run resumes) or lower target_ess"
                )
            following = sampler.step(state)
            bar.update(following.temperature - state.temperature)
            bar.set_postfix(step=following.step, acceptance=f"{following.acceptance_rates[-1]:.2f}")
            state = following
            _save_tempered(store, root, state)
    n = len(state.particles)
    return TemperedResult(
        particles=space.frame(state.particles),
        weights=np.full(n, 1.0 / n),
        loglik=state.loglik,
        log_evidence=float(state.log_evidence_increments.sum()),
        temperatures=state.temperatures,
        log_evidence_increments=state.log_evidence_increments,
        ess=state.ess,
        acceptance_rates=state.acceptance_rates,
        moves=state.moves,
        scales=state.scales,
        evaluations=state.evaluations,
        seed_entropy=plain_entropy(root),
        seed_spawn_key=tuple(root.spawn_key),
    )


class _Tempering:
    """Runs one tempering step at a time; holds what every step shares."""

    def __init__(
        self,
        loglik: Callable[[dict[str, np.ndarray]], np.ndarray],
        space: _Priors,
        population_size: int,
        target_ess: float,
        target_acceptance: float,
        min_jump: float,
        max_moves: int,
        root: np.random.SeedSequence,
    ):
        self.loglik = loglik
        self.space = space
        self.n = int(population_size)
        self.target_ess = target_ess
        self.target_acceptance = target_acceptance
        self.min_jump = min_jump
        self.max_moves = max_moves
        self.root = root

    def initial(self) -> _TemperedState:
        """Step 0: a sample of the prior and its log likelihoods."""
        particles = self.space.sample(_rng(self.root, 0, 0), self.n)
        loglik = self.call_loglik(particles)
        if not np.isfinite(loglik).any():
            raise ValueError(
                f"loglik is -inf for all {self.n} prior draws: the data are impossible under the "
                "whole prior sample; check the likelihood and the priors"
            )
        return _TemperedState(
            step=0,
            particles=particles,
            loglik=loglik,
            temperatures=np.array([0.0]),
            log_evidence_increments=np.array([0.0]),
            ess=np.array([float(self.n)]),
            acceptance_rates=np.array([np.nan]),
            moves=np.array([0]),
            scales=np.array([2.38 / math.sqrt(self.space.dimension)]),
            evaluations=np.array([self.n]),
        )

    def step(self, previous: _TemperedState) -> _TemperedState:
        """Reweight to the next temperature, resample, and move until the particles decorrelate."""
        t = previous.step + 1
        beta = next_temperature(previous.loglik, previous.temperature, self.target_ess)
        finite = np.isfinite(previous.loglik)
        log_increment = np.where(
            finite, (beta - previous.temperature) * np.where(finite, previous.loglik, 0.0), -np.inf
        )
        log_mean_increment = float(logsumexp(log_increment) - math.log(self.n))
        weights = np.exp(log_increment - log_increment.max())
        weights /= weights.sum()
        free = self.space.to_free(previous.particles)
        kernel = _GaussianKernel.fit(free, weights, 1.0)
        proposal = _StudentProposal(np.average(free, axis=0, weights=weights), kernel)
        index = resample(_rng(self.root, t, 0), weights, self.n, "systematic")
        particles, loglik, rates, scale, evaluations = self.move(
            previous.particles[index],
            previous.loglik[index],
            beta,
            proposal,
            previous.scales[-1],
            t,
        )

        def history(name: str, value: float) -> np.ndarray:
            return np.append(getattr(previous, name), value)

        return _TemperedState(
            step=t,
            particles=particles,
            loglik=loglik,
            temperatures=history("temperatures", beta),
            log_evidence_increments=history("log_evidence_increments", log_mean_increment),
            ess=history("ess", effective_sample_size(weights)),
            acceptance_rates=history("acceptance_rates", float(np.mean(rates))),
            moves=history("moves", len(rates)).astype(int),
            scales=history("scales", scale),
            evaluations=history("evaluations", evaluations).astype(int),
        )

    def move(
        self,
        particles: np.ndarray,
        loglik: np.ndarray,
        beta: float,
        proposal: _StudentProposal,
        scale: float,
        t: int,
    ) -> tuple[np.ndarray, np.ndarray, list[float], float, int]:
        """Metropolis-Hastings moves targeting ``prior * L^beta``, repeated until 90% of the
        particles have an expected squared (whitened) jump of ``min_jump`` per parameter.

        Moves alternate, starting with an independence move (a draw from ``proposal``: the
        duplicates that resampling made scatter at once) followed by a random-walk move (its
        scale tuned towards ``target_acceptance``: particles where the proposal is thin still
        move). Each kind leaves the tempered posterior invariant, so their cycle does too.

        Returns the moved particles, their log likelihoods, each move's acceptance rate, the
        adapted scale, and the number of likelihood evaluations.
        """
        kernel = proposal.kernel
        free = self.space.to_free(particles)
        log_prior = self.space.log_density(particles) + self.space.from_free(free)[1]
        jumped = np.zeros(len(particles))
        threshold = self.min_jump * self.space.dimension
        rates: list[float] = []
        evaluations = 0
        for m in range(self.max_moves):
            rng = _rng(self.root, t, m + 1)
            independent = m % 2 == 0
            if independent:
                proposals_free = proposal.draw(rng, len(particles))
                log_q_ratio = proposal.log_density(free) - proposal.log_density(proposals_free)
            else:
                proposals_free = kernel.perturb(rng, free, scale)
                log_q_ratio = np.zeros(len(particles))
            proposals, log_jacobian = self.space.from_free(proposals_free)
            proposal_prior = self.space.log_density(proposals) + log_jacobian
            inside = np.isfinite(proposal_prior)
            proposal_loglik = np.full(len(particles), -np.inf)
            if inside.any():
                proposal_loglik[inside] = self.call_loglik(proposals[inside])
                evaluations += int(inside.sum())
            # Resampled particles have finite log likelihoods (zero weight otherwise), so the
            # ratio is -inf, never NaN, where the proposal is impossible or outside the support.
            log_ratio = beta * (proposal_loglik - loglik) + proposal_prior - log_prior + log_q_ratio
            accept = np.log(rng.uniform(size=len(particles))) < log_ratio
            squared_jump = np.sum(kernel.whiten(proposals_free - free) ** 2, axis=1)
            jumped += np.exp(np.minimum(log_ratio, 0.0)) * squared_jump
            particles = np.where(accept[:, None], proposals, particles)
            free = np.where(accept[:, None], proposals_free, free)
            loglik = np.where(accept, proposal_loglik, loglik)
            log_prior = np.where(accept, proposal_prior, log_prior)
            rate = float(accept.mean())
            rates.append(rate)
            if not independent:
                scale *= math.exp(rate - self.target_acceptance)
            if np.quantile(jumped, _UNMOVED_SHARE) >= threshold:
                break
        return particles, loglik, rates, scale, evaluations

    def call_loglik(self, particles: np.ndarray) -> np.ndarray:
        """Call ``loglik`` on a batch and check what it returns."""
        values = np.asarray(self.loglik(self.space.batch(particles)), dtype=float)
        if values.shape != (len(particles),):
            raise ValueError(
                f"loglik returned shape {values.shape} for a batch of {len(particles)} parameter "
                f"sets; expected ({len(particles)},), one log likelihood per set"
            )
        bad = np.isnan(values) | (values == np.inf)
        if bad.any():
            row = int(np.argmax(bad))
            theta = {name: float(particles[row, i]) for i, name in enumerate(self.space.names)}
            raise ValueError(
                f"loglik returned {values[row]} for parameters {theta}; expected a finite log "
                "likelihood or -inf where the data are impossible"
            )
        return values


def _check_fraction(name: str, value: float) -> None:
    if not 0 < value < 1:
        raise ValueError(f"{name} must lie strictly between 0 and 1, got {value}")


@contextmanager
def _tempering_progress_bar(progress: bool | None, state: _TemperedState | None) -> Iterator[tqdm]:
    """A tqdm bar over the temperature, 0 to 1 (disabled unless wanted)."""
    bar = tqdm(
        total=1.0,
        initial=0.0 if state is None else state.temperature,
        desc="tempered SMC",
        bar_format="{desc}: {percentage:3.0f}%|{bar}| temperature {n:.3g} [{elapsed}{postfix}]",
        disable=not show_progress(progress),
        file=sys.stderr,
    )
    with bar:
        yield bar


def _save_tempered(store: Checkpoint, root: np.random.SeedSequence, state: _TemperedState) -> None:
    """Checkpoint a complete tempering step."""
    arrays = {name: getattr(state, name) for name in _TEMPERED_ARRAYS}
    store.save(root, {"step": state.step}, arrays)


def _tempered_state(header: dict, arrays: dict[str, np.ndarray]) -> _TemperedState:
    """Rebuild a tempering step from its checkpoint."""
    return _TemperedState(step=header["step"], **arrays)
