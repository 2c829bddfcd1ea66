"""The posterior of a calibration: a weighted sample of parameter values and the scenario they fit.

A :class:`Posterior` holds the final population of an SMC run (ABC or likelihood-tempered; one
column per calibrated parameter plus ``weight``), the base scenario whose other settings stay
fixed, the run's diagnostics and its provenance manifest. It summarises the sample with weighted
statistics and the contraction from the prior, turns a point estimate into a runnable scenario,
draws parameter sets for posterior-predictive ensembles, pools independent runs and checks their
agreement (evidence Monte Carlo error, R-hat), exports to ArviZ, and saves to and loads from a
plain directory (CSV + JSON, no pickle).
"""

from __future__ import annotations

import copy
import json
import math
import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import logsumexp

from escalation.errors import ScenarioError
from escalation.inference.smc import (
    ABCResult,
    TemperedResult,
    effective_sample_size,
    weighted_quantile,
)
from escalation.model.parameters import (
    PARAMETERS,
    REMOVED_PARAMETERS,
    TruncatedPrior,
    declared_name,
    unknown_parameter,
)
from escalation.model.scenario import Scenario
from escalation.provenance import verify_manifest, with_outputs
from escalation.runtime import Seed, seed_sequence

__all__ = ["POINTS", "Posterior", "between_runs", "prior_sd", "scenario_priors"]

#: Point estimates :meth:`Posterior.scenario` accepts.
POINTS = ("median", "mean")
SAMPLES_FILE = "samples.csv"
METADATA_FILE = "posterior.json"
_FORMAT = "escalation-posterior/1"


def _plain(value):
    """``value`` as JSON-ready Python data; non-finite floats become None (JSON has no inf/NaN)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return _plain(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"{value!r} ({type(value).__name__}) cannot be stored as JSON")


class Posterior:
    """A weighted posterior sample with the scenario it calibrates.

    Parameters
    ----------
    samples : DataFrame
        One column per calibrated parameter plus ``weight`` (non-negative, normalised on entry).
    base_scenario : Scenario-like
        Any object with ``with_parameters(**values)`` and ``to_toml()``; if it has a
        ``parameters`` mapping, every sample column must name one of its parameters.
    diagnostics, manifest : dict, optional
        Run diagnostics and provenance (:func:`escalation.provenance.manifest`), stored as
        JSON-ready data: numpy values become Python ones, non-finite floats become None.
    priors : mapping of str to frozen scipy.stats distribution, optional
        The priors the sample was drawn under, for :meth:`summary`'s prior sd and contraction.
        Default: the base scenario's, as calibration truncates them (:func:`scenario_priors`);
        these are also what :meth:`load` restores, since explicit priors are not saved.
    """

    def __init__(
        self,
        samples: pd.DataFrame,
        base_scenario: Any,
        diagnostics: Mapping[str, Any] | None = None,
        manifest: Mapping[str, Any] | None = None,
        priors: Mapping[str, Any] | None = None,
    ) -> None:
        self._samples = _check_samples(samples)
        for method in ("with_parameters", "to_toml"):
            if not callable(getattr(base_scenario, method, None)):
                raise TypeError(
                    f"base_scenario {base_scenario!r} has no {method}() method; expected a "
                    "Scenario (escalation.model.scenario.Scenario) or an object with its interface"
                )
        known = getattr(base_scenario, "parameters", None)
        if isinstance(known, Mapping):
            unknown = [name for name in self.parameter_names if name not in known]
            removed = [name for name in unknown if name in REMOVED_PARAMETERS]
            if removed:
                raise ValueError(f"posterior samples: {unknown_parameter(removed[0])}")
            if unknown:
                raise ValueError(
                    f"posterior parameters {unknown} are not parameters of the base scenario "
                    f"(which has {sorted(known)})"
                )
        self._base = base_scenario
        self._diagnostics = _plain(diagnostics or {})
        self._manifest = _plain(manifest or {})
        self._priors = dict(
            scenario_priors(base_scenario, self.parameter_names) if priors is None else priors
        )

    @classmethod
    def from_abc(
        cls, result: ABCResult, base_scenario: Any, manifest: Mapping[str, Any] | None = None
    ) -> Posterior:
        """The posterior of an ABC-SMC run; its history and stopping reason go to diagnostics."""
        samples = result.particles.assign(weight=result.weights)
        diagnostics = {
            "method": "ABC-SMC",
            "stop_reason": str(result.stop_reason),
            "generations": result.n_generations,
            "epsilons": result.epsilons,
            "simulations": result.simulations,
            "acceptance_rates": result.acceptance_rates,
            "ess": result.ess,
            "simulations_total": result.simulations_total,
            "observed": result.observed,
            "scales": result.scales,
            "seed_entropy": result.seed_entropy,
            "seed_spawn_key": result.seed_spawn_key,
        }
        return cls(samples, base_scenario, diagnostics, manifest)

    @classmethod
    def from_tempered(
        cls,
        result: TemperedResult,
        base_scenario: Any,
        manifest: Mapping[str, Any] | None = None,
    ) -> Posterior:
        """The posterior of a likelihood-tempered SMC run; its evidence, temperature schedule,
        ESS, acceptance rates and moves per step go to diagnostics."""
        samples = result.particles.assign(weight=result.weights)
        diagnostics = {
            "method": "tempered-SMC",
            "log_evidence": result.log_evidence,
            "steps": result.n_steps,
            "temperatures": result.temperatures,
            "log_evidence_increments": result.log_evidence_increments,
            "ess": result.ess,
            "acceptance_rates": result.acceptance_rates,
            "moves": result.moves,
            "scales": result.scales,
            "evaluations": result.evaluations,
            "evaluations_total": result.evaluations_total,
            "seed_entropy": result.seed_entropy,
            "seed_spawn_key": result.seed_spawn_key,
        }
        return cls(samples, base_scenario, diagnostics, manifest)

    @classmethod
    def pool(
        cls, runs: Sequence[Posterior], manifest: Mapping[str, Any] | None = None
    ) -> Posterior:
        """Independent runs of one calibration pooled into one posterior, with their agreement.

        Each run gets an equal share of the weight. The diagnostics hold each run's own under
        ``runs``, the number of rows of each under ``run_sizes`` (the chains of
        :meth:`to_arviz`), and :func:`between_runs`: R-hat per parameter and, when the runs
        estimated it, the pooled log evidence and its Monte Carlo error. The manifest defaults to
        the first run's.
        """
        _check_runs(runs)
        first = runs[0]
        samples = pd.concat(
            [run._samples.assign(weight=run.weights / len(runs)) for run in runs],
            ignore_index=True,
        )
        diagnostics = {
            "method": f"{len(runs)} pooled runs",
            "run_sizes": [len(run._samples) for run in runs],
            **between_runs(runs),
            "runs": [run._diagnostics for run in runs],
        }
        return cls(
            samples,
            first.base_scenario,
            diagnostics,
            first._manifest if manifest is None else manifest,
            first._priors,
        )

    @property
    def samples(self) -> pd.DataFrame:
        """The weighted sample (a copy): parameter columns and ``weight``, summing to 1."""
        return self._samples.copy()

    @property
    def parameter_names(self) -> tuple[str, ...]:
        """The calibrated parameters, in column order."""
        return tuple(c for c in self._samples.columns if c != "weight")

    @property
    def weights(self) -> np.ndarray:
        """Normalised weights, in row order."""
        return self._samples["weight"].to_numpy(copy=True)

    @property
    def base_scenario(self) -> Scenario:
        """The scenario whose parameters the posterior replaces."""
        return self._base

    @property
    def diagnostics(self) -> dict:
        """The run's diagnostics (a copy), as JSON-ready data."""
        return copy.deepcopy(self._diagnostics)

    @property
    def manifest(self) -> dict:
        """The provenance manifest (a copy)."""
        return copy.deepcopy(self._manifest)

    @property
    def priors(self) -> dict[str, Any]:
        """The priors known for the calibrated parameters (a parameter may have none)."""
        return dict(self._priors)

    @property
    def log_evidence(self) -> float | None:
        """The estimated log marginal likelihood, or None if the method gives none (ABC)."""
        value = self._diagnostics.get("log_evidence")
        return None if value is None else float(value)

    @property
    def ess(self) -> float:
        """Kish effective sample size of the weights, ``(sum w)^2 / sum w^2``."""
        return effective_sample_size(self.weights)

    def point(self, point: str = "median") -> dict[str, float]:
        """A point estimate per parameter: its weighted marginal ``"median"`` or ``"mean"``."""
        if point not in POINTS:
            raise ValueError(f"unknown point {point!r}; choose one of {POINTS}")
        w = self.weights
        if point == "mean":
            return {n: float(np.sum(w * self._samples[n].to_numpy())) for n in self.parameter_names}
        return {
            n: float(weighted_quantile(self._samples[n].to_numpy(), w, 0.5))
            for n in self.parameter_names
        }

    def scenario(self, point: str = "median") -> Scenario:
        """The base scenario with the calibrated parameters set to a point estimate."""
        return self._base.with_parameters(**self.point(point))

    def sample_parameters(self, n: int, seed: Seed = None) -> pd.DataFrame:
        """``n`` parameter sets drawn with replacement by weight (for posterior predictives).

        ``seed`` follows the package's seed rule (:func:`escalation.runtime.seed_sequence`).
        """
        if int(n) != n or n < 0:
            raise ValueError(f"n must be a non-negative integer, got {n}")
        rng = np.random.default_rng(seed_sequence(seed))
        rows = rng.choice(len(self._samples), size=int(n), p=self.weights)
        return self._samples.loc[:, list(self.parameter_names)].iloc[rows].reset_index(drop=True)

    def summary(self) -> pd.DataFrame:
        """Per parameter: weighted mean, sd, median, 5% and 95% quantiles, the sample's ESS, the
        prior's sd and the contraction ``1 - posterior variance / prior variance``.

        The sd uses the normalised weights without small-sample correction; quantiles follow
        :func:`escalation.inference.smc.weighted_quantile`; the prior sd is exact
        (:func:`prior_sd`). Contraction near 1 means the data pin the parameter down; near 0 (or
        below) that they say little about it beyond the prior. Both are NaN for a parameter
        whose prior is unknown.
        """
        w = self.weights
        rows = {}
        for name in self.parameter_names:
            x = self._samples[name].to_numpy()
            mean = np.sum(w * x)
            sd = np.sqrt(np.sum(w * (x - mean) ** 2))
            q05, median, q95 = weighted_quantile(x, w, [0.05, 0.5, 0.95])
            before = prior_sd(self._priors[name]) if name in self._priors else math.nan
            rows[name] = {
                "mean": mean,
                "sd": sd,
                "median": median,
                "q05": q05,
                "q95": q95,
                "ess": self.ess,
                "prior_sd": before,
                "contraction": 1.0 - (sd / before) ** 2,
            }
        frame = pd.DataFrame.from_dict(rows, orient="index")
        frame.index.name = "parameter"
        return frame

    def to_arviz(self, seed: int = 0) -> Any:
        """The sample as an ``arviz.InferenceData`` (needs the ``arviz`` extra).

        Each pooled run (:meth:`pool`) is a chain, else the sample is one chain. ArviZ has no
        weights: a chain whose weights are equal is passed as it is; otherwise, or when the runs
        differ in size, each chain is drawn by weight (with replacement, from ``seed``) to the size
        of the smallest. Scalar diagnostics (method, log evidence and its Monte Carlo error) go
        to the InferenceData's ``attrs``.
        """
        try:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", "ArviZ is undergoing", FutureWarning)
                import arviz
        except ImportError as error:
            raise ImportError(
                'Posterior.to_arviz needs ArviZ: pip install "escalation[arviz]"'
            ) from error
        rng = np.random.default_rng(seed)
        chains = np.split(np.arange(len(self._samples)), np.cumsum(self._run_sizes())[:-1])
        draws = min(len(rows) for rows in chains)
        picked = [self._chain_rows(rows, draws, rng) for rows in chains]
        posterior = {
            name: np.stack([self._samples[name].to_numpy()[rows] for rows in picked])
            for name in self.parameter_names
        }
        attrs = {
            key: self._diagnostics[key]
            for key in ("method", "log_evidence", "log_evidence_mc_sd")
            if self._diagnostics.get(key) is not None
        }
        return arviz.from_dict(posterior=posterior, attrs=attrs)

    def _run_sizes(self) -> list[int]:
        """Rows per pooled run, or all rows as one run."""
        sizes = self._diagnostics.get("run_sizes")
        return list(sizes) if sizes else [len(self._samples)]

    def _chain_rows(self, rows: np.ndarray, draws: int, rng: np.random.Generator) -> np.ndarray:
        """``draws`` rows of one chain: as they are if equally weighted and as many, else drawn
        by weight."""
        w = self.weights[rows]
        if len(rows) == draws and np.allclose(w, w[0], rtol=1e-12, atol=0.0):
            return rows
        return rng.choice(rows, size=draws, p=w / w.sum())

    def save(self, path: str | os.PathLike) -> Path:
        """Write to directory ``path`` (created if needed): ``samples.csv`` and ``posterior.json``.

        ``posterior.json`` holds the base scenario as TOML text, the diagnostics, and the manifest
        with an ``outputs`` section hashing ``samples.csv`` (checked by :meth:`load`).
        """
        directory = Path(path)
        directory.mkdir(parents=True, exist_ok=True)
        self._samples.to_csv(directory / SAMPLES_FILE, index=False)
        metadata = {
            "format": _FORMAT,
            "scenario_toml": self._base.to_toml(),
            "diagnostics": self._diagnostics,
            "manifest": with_outputs(self._manifest, directory, [SAMPLES_FILE]),
        }
        text = json.dumps(metadata, indent=2, allow_nan=False)
        (directory / METADATA_FILE).write_text(text + "\n", encoding="utf-8")
        return directory

    @classmethod
    def load(
        cls, path: str | os.PathLike, scenario_loader: Callable[..., object] | None = None
    ) -> Posterior:
        """Read a posterior written by :meth:`save`.

        ``scenario_loader(text, origin=...)`` rebuilds the base scenario from its TOML text; by
        default :meth:`~escalation.model.scenario.Scenario.from_toml`. Warns if ``samples.csv``
        changed
        since it was saved.
        """
        directory = Path(path)
        metadata_path = directory / METADATA_FILE
        try:
            metadata = json.loads(metadata_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise FileNotFoundError(
                f"{metadata_path} not found: {directory} is not a saved posterior"
            ) from None
        except json.JSONDecodeError as error:
            raise ValueError(f"{metadata_path}: invalid JSON ({error})") from error
        if not isinstance(metadata, dict) or metadata.get("format") != _FORMAT:
            found = metadata.get("format") if isinstance(metadata, dict) else type(metadata)
            raise ValueError(f"{metadata_path}: format is {found!r}, expected {_FORMAT!r}")
        missing = {"scenario_toml", "diagnostics", "manifest"} - set(metadata)
        if missing:
            raise ValueError(f"{metadata_path}: missing fields {sorted(missing)}")
        if verify_manifest(metadata["manifest"], directory):
            warnings.warn(
                f"{directory / SAMPLES_FILE} differs from the file saved with this posterior "
                "(its SHA-256 no longer matches the manifest)",
                UserWarning,
                stacklevel=2,
            )
        samples = _read_samples(directory / SAMPLES_FILE)
        if scenario_loader is None:
            scenario_loader = Scenario.from_toml
        base = scenario_loader(metadata["scenario_toml"], origin=f"{metadata_path}:scenario_toml")
        return cls(samples, base, metadata["diagnostics"], metadata["manifest"])

    def __repr__(self) -> str:
        return (
            f"Posterior({len(self._samples)} samples, ESS {self.ess:.0f}, "
            f"parameters {list(self.parameter_names)})"
        )


def scenario_priors(scenario: Any, names: Sequence[str]) -> dict[str, Any]:
    """The priors of parameters ``names`` as calibration uses them: the scenario's prior
    (its override or the declared one) truncated to the parameter's valid range (for one
    period's copy in a pooled calibration, the range of the parameter it copies).

    A parameter without a prior, or a scenario-like object without a ``prior`` method, is left
    out.
    """
    prior_of = getattr(scenario, "prior", None)
    if not callable(prior_of):
        return {}
    found = {}
    for name in names:
        try:
            prior = prior_of(name)
        except ScenarioError:  # declared without a prior and not overridden
            continue
        parameter = PARAMETERS.get(declared_name(name))
        found[name] = (
            prior.frozen() if parameter is None else prior.within(parameter.low, parameter.high)
        )
    return found


def prior_sd(prior: Any) -> float:
    """Standard deviation of a prior: scipy's own for a frozen distribution, by quadrature of the
    underlying density over the range for a :class:`~escalation.model.parameters.TruncatedPrior`.
    """
    if isinstance(prior, TruncatedPrior):
        bounds = {"lb": prior.low, "ub": prior.high, "conditional": True}
        mean = prior.frozen.expect(lambda x: x, **bounds)
        return float(math.sqrt(prior.frozen.expect(lambda x: (x - mean) ** 2, **bounds)))
    return float(prior.std())


def between_runs(runs: Sequence[Posterior]) -> dict[str, Any]:
    """How well independent runs of one calibration agree.

    Returns
    -------
    dict
        ``rhat``: per parameter, the Gelman-Rubin potential scale reduction factor with each
        run's weighted sample as a chain (Gelman & Rubin 1992, "Inference from iterative
        simulation using multiple sequences", Statistical Science 7:457): within-run variance
        ``W`` (weighted, times ``n / (n - 1)``), between-run variance ``B / n`` of the weighted
        means, ``n`` the mean Kish ESS, ``sqrt(((n - 1) / n W + B / n) / W)``; values above
        about 1.01 say the runs disagree. No split: SMC particles have no order. ``rhat_method``
        names this. When every run has a log evidence: ``log_evidence_runs``; ``log_evidence``,
        the log of the mean evidence (the mean of unbiased evidence estimates is unbiased);
        ``log_evidence_mc_sd``, the sd of the runs' log evidences (one run's Monte Carlo
        error); and ``log_evidence_spread``, the largest minus the smallest.
    """
    _check_runs(runs)
    sizes = np.array([run.ess for run in runs])
    n = float(sizes.mean())
    rhat = {}
    for name in runs[0].parameter_names:
        moments = np.array(
            [_weighted_moments(run._samples[name].to_numpy(), run.weights) for run in runs]
        )
        within = float(np.mean(moments[:, 1] * sizes / (sizes - 1)))
        between = float(np.var(moments[:, 0], ddof=1))
        pooled = (n - 1) / n * within + between
        rhat[name] = math.sqrt(pooled / within) if within > 0 else math.nan
    result: dict[str, Any] = {
        "rhat": rhat,
        "rhat_method": "Gelman-Rubin, each run's weighted sample a chain, n = mean Kish ESS",
    }
    evidences = [run.log_evidence for run in runs]
    if all(e is not None for e in evidences):
        values = np.array(evidences, dtype=float)
        result.update(
            log_evidence_runs=values.tolist(),
            log_evidence=float(logsumexp(values) - math.log(len(values))),
            log_evidence_mc_sd=float(np.std(values, ddof=1)),
            log_evidence_spread=float(values.max() - values.min()),
        )
    return result


def _weighted_moments(x: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """Weighted mean and variance (normalised weights, no correction)."""
    mean = float(np.sum(w * x))
    return mean, float(np.sum(w * (x - mean) ** 2))


def _check_runs(runs: Sequence[Posterior]) -> None:
    """Runs to compare or pool: at least two, same parameters, same base scenario."""
    if len(runs) < 2:
        raise ValueError(f"runs: need at least two independent runs, got {len(runs)}")
    first = runs[0]
    for index, run in enumerate(runs[1:], start=1):
        if run.parameter_names != first.parameter_names:
            raise ValueError(
                f"runs[{index}] has parameters {list(run.parameter_names)}; runs[0] has "
                f"{list(first.parameter_names)}"
            )
        if run.base_scenario.to_toml() != first.base_scenario.to_toml():
            raise ValueError(f"runs[{index}] calibrates a different base scenario from runs[0]")
        if run.ess <= 1:
            raise ValueError(f"runs[{index}] has an effective sample size of 1 or less")
    if first.ess <= 1:
        raise ValueError("runs[0] has an effective sample size of 1 or less")


def _read_samples(path: Path) -> pd.DataFrame:
    """Read ``samples.csv`` exactly: every cell through Python's correctly rounded ``float``,
    whatever the pandas version's own parser does with the last digit."""
    text = pd.read_csv(path, dtype=str, keep_default_na=False)
    try:
        return text.apply(lambda column: column.map(float).astype(float))
    except ValueError as error:
        raise ValueError(f"{path}: every cell must be a number ({error})") from error


def _check_samples(samples: pd.DataFrame) -> pd.DataFrame:
    """Validate a weighted sample; return a copy with float columns and normalised weights."""
    if not isinstance(samples, pd.DataFrame):
        raise TypeError(f"samples must be a pandas DataFrame, got {type(samples).__name__}")
    if "weight" not in samples.columns:
        raise ValueError(
            f"samples has no 'weight' column (columns: {list(samples.columns)}); "
            "expected one column per parameter plus 'weight'"
        )
    if len(samples.columns) < 2 or len(samples) == 0:
        raise ValueError(
            f"samples must have at least one parameter column and one row; "
            f"got columns {list(samples.columns)} and {len(samples)} rows"
        )
    if not all(isinstance(c, str) for c in samples.columns) or samples.columns.duplicated().any():
        raise ValueError(f"sample columns must be unique strings, got {list(samples.columns)}")
    try:
        values = samples.astype(float)
    except (TypeError, ValueError) as error:
        raise ValueError(f"samples must be numeric: {error}") from error
    bad = [c for c in values.columns if not np.isfinite(values[c]).all()]
    if bad:
        raise ValueError(f"samples columns {bad} contain NaN or infinite values")
    weights = values["weight"]
    if (weights < 0).any() or not weights.sum() > 0:
        raise ValueError("sample weights must be >= 0 with a positive sum")
    return values.assign(weight=weights / weights.sum()).reset_index(drop=True)
