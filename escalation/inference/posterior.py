"""The posterior of a calibration: a weighted sample of parameter values and the scenario they fit.

A :class:`Posterior` holds the final ABC-SMC population (one column per calibrated parameter plus
``weight``), the base scenario whose other settings stay fixed, the run's diagnostics and its
provenance manifest. It summarises the sample with weighted statistics, turns a point estimate into
a runnable scenario, draws parameter sets for posterior-predictive ensembles, and saves to and loads
from a plain directory (CSV + JSON, no pickle).
"""

from __future__ import annotations

import copy
import json
import math
import os
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from escalation.inference.smc import ABCResult, weighted_quantile
from escalation.model.scenario import Scenario
from escalation.provenance import verify_manifest, with_outputs

__all__ = ["POINTS", "Posterior"]

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
    """

    def __init__(self, samples: pd.DataFrame, base_scenario, diagnostics=None, manifest=None):
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
            if unknown:
                raise ValueError(
                    f"posterior parameters {unknown} are not parameters of the base scenario "
                    f"(which has {sorted(known)})"
                )
        self._base = base_scenario
        self._diagnostics = _plain(diagnostics or {})
        self._manifest = _plain(manifest or {})

    @classmethod
    def from_abc(cls, result: ABCResult, base_scenario, manifest=None) -> Posterior:
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
    def base_scenario(self):
        """The scenario whose parameters the posterior replaces."""
        return self._base

    @property
    def diagnostics(self) -> dict:
        return copy.deepcopy(self._diagnostics)

    @property
    def manifest(self) -> dict:
        return copy.deepcopy(self._manifest)

    @property
    def ess(self) -> float:
        """Kish effective sample size of the weights, ``(sum w)^2 / sum w^2``."""
        return float(1.0 / np.sum(self.weights**2))

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

    def scenario(self, point: str = "median"):
        """The base scenario with the calibrated parameters set to a point estimate."""
        return self._base.with_parameters(**self.point(point))

    def sample_parameters(self, n: int, seed=None) -> pd.DataFrame:
        """``n`` parameter sets drawn with replacement by weight (for posterior predictives).

        ``seed`` is anything :func:`numpy.random.default_rng` accepts.
        """
        if int(n) != n or n < 0:
            raise ValueError(f"n must be a non-negative integer, got {n}")
        rng = np.random.default_rng(seed)
        rows = rng.choice(len(self._samples), size=int(n), p=self.weights)
        return self._samples.loc[:, list(self.parameter_names)].iloc[rows].reset_index(drop=True)

    def summary(self) -> pd.DataFrame:
        """Per parameter: weighted mean, sd, median, 5% and 95% quantiles, and the sample's ESS.

        The sd uses the normalised weights without small-sample correction; quantiles follow
        :func:`escalation.inference.smc.weighted_quantile`.
        """
        w = self.weights
        rows = {}
        for name in self.parameter_names:
            x = self._samples[name].to_numpy()
            mean = np.sum(w * x)
            q05, median, q95 = weighted_quantile(x, w, [0.05, 0.5, 0.95])
            rows[name] = {
                "mean": mean,
                "sd": np.sqrt(np.sum(w * (x - mean) ** 2)),
                "median": median,
                "q05": q05,
                "q95": q95,
                "ess": self.ess,
            }
        frame = pd.DataFrame.from_dict(rows, orient="index")
        frame.index.name = "parameter"
        return frame

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
