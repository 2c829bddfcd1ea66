"""Pooled calibration: one posterior from several observed periods at once.

One year of record cannot separate the mechanisms: the 2021 record holds two US strike rounds,
too few to tell revenge from deterrence. Neighbouring periods (December 2019 - March 2020 under
the earlier red line, 2022) are further draws from the same behaviour under other
circumstances. :func:`calibrate_pooled` calibrates several periods together: each period is an
observed record with its own scenario (its dates, timeline and red-line policy); the
behavioural parameters (revenge and vows, deterrence, the US response's threshold, width and
lag, campaigns...) are shared, and the base rates (:data:`PER_PERIOD`) are the period's own,
each period getting a copy named ``name[period]`` (``militia_attack_rate[2019_2020]``).

The periods' records are independent given the parameters (each replay starts afresh on its
first day), so the pooled log-likelihood is the sum of each period's
(:class:`~escalation.inference.likelihood.ReplayLikelihood`, the likelihood of
:func:`escalation.loglik`) at the shared values and its own copies. It is sampled by the same
likelihood-tempered SMC as a single period
(:func:`~escalation.inference.calibration.tempered_posterior`), which reports the log evidence
of the pooled records. The posterior's base
is a :class:`PooledScenario`; :func:`period_posterior` turns it into one period's posterior
over that period's own scenario, for forecasts and ensembles.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from escalation.errors import ScenarioError
from escalation.events.io import load_events, validate_events
from escalation.inference.calibration import (
    TemperedSettings,
    priors,
    tempered_posterior,
)
from escalation.inference.likelihood import ReplayLikelihood
from escalation.inference.posterior import Posterior
from escalation.model.parameters import PARAMETERS, Prior, declared_name, period_copy
from escalation.model.scenario import Scenario
from escalation.runtime import ExecutorLike, Seed, frame_sha256

__all__ = [
    "PER_PERIOD",
    "PooledLikelihood",
    "PooledScenario",
    "calibrate_pooled",
    "period_posterior",
]

#: Parameters each period has its own copy of, by default: the militias' base attack rate and
#: weapon mix, the convoy IEDs' batching, and Israel's base strike chance, which change with a
#: period's circumstances (forces present, campaigns under way, reporting). An assumption: the
#: issue asks for base rates per period and behaviour shared, and these are the base rates.
PER_PERIOD = (
    "militia_attack_rate",
    "drone_share",
    "ied_share",
    "other_share",
    "ied_batch_mean",
    "israel_strike_prob",
)
_FORMAT = "escalation-pooled-scenario/1"


@dataclass(frozen=True)
class PooledScenario:
    """Several periods' scenarios calibrated together, with the parameter names that join them.

    ``periods`` pairs each period's name with its scenario (in calibration order);
    ``per_period`` names the declared parameters each period has its own copy of. A parameter
    some period calibrates and ``per_period`` does not name is shared: one value, used by every
    period that calibrates it (a period that does not keeps its scenario's value).
    """

    periods: tuple[tuple[str, Scenario], ...]
    per_period: tuple[str, ...] = PER_PERIOD

    @property
    def name(self) -> str:
        """``pooled(period, ...)``."""
        return f"pooled({', '.join(self.period_names)})"

    @property
    def period_names(self) -> tuple[str, ...]:
        """The periods, in order."""
        return tuple(name for name, _ in self.periods)

    @property
    def calibrate(self) -> tuple[str, ...]:
        """The calibrated names: the shared parameters, then each period's copies."""
        copies = [
            period_copy(name, period)
            for period, scenario in self.periods
            for name in scenario.calibrate
            if name in self.per_period
        ]
        return self.shared + tuple(copies)

    @property
    def shared(self) -> tuple[str, ...]:
        """The shared parameters, in the order the periods first calibrate them."""
        names = [n for _, s in self.periods for n in s.calibrate if n not in self.per_period]
        return tuple(dict.fromkeys(names))

    @property
    def parameters(self) -> Mapping[str, float]:
        """Current value of each calibrated name (a shared one: its first period's)."""
        return MappingProxyType(
            {n: self._scenario_of(n).parameters[declared_name(n)] for n in self.calibrate}
        )

    def period(self, name: str) -> Scenario:
        """The scenario of period ``name``."""
        for period, scenario in self.periods:
            if period == name:
                return scenario
        raise KeyError(f"period {name!r}: expected one of {', '.join(self.period_names)}")

    def prior(self, name: str) -> Prior:
        """The prior of a calibrated name: its (first) period scenario's for the parameter."""
        return self._scenario_of(name).prior(declared_name(name))

    def split(self, values: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
        """Each period's parameter values from values of the calibrated names: the shared ones
        for every period calibrating them, and the period's own copies under the plain names."""
        routes: dict[str, dict[str, Any]] = {period: {} for period in self.period_names}
        for name, value in values.items():
            if name not in self.parameters:
                raise KeyError(f"{name!r} is not calibrated by {self.name}")
            for period, scenario in self.periods:
                if _informs(name, period, scenario):
                    routes[period][declared_name(name)] = value
        return routes

    def with_parameters(self, **values: float) -> PooledScenario:
        """A copy whose periods' scenarios have these calibrated names set (and pinned)."""
        routes = self.split(values)
        periods = tuple((p, s.with_parameters(**routes[p])) for p, s in self.periods)
        return replace(self, periods=periods)

    def to_toml(self) -> str:
        """A TOML document holding each period's scenario as TOML text (:meth:`from_toml`)."""
        lines = [
            f"format = {json.dumps(_FORMAT)}",
            f"per_period = {json.dumps(list(self.per_period))}",
        ]
        for period, scenario in self.periods:
            text = json.dumps(scenario.to_toml(), ensure_ascii=False)  # a TOML basic string
            lines += ["", "[[period]]", f"name = {json.dumps(period)}", f"scenario = {text}"]
        return "\n".join(lines) + "\n"

    @classmethod
    def from_toml(cls, text: str, origin: str = "<string>") -> PooledScenario:
        """Read :meth:`to_toml`'s document (``Posterior.load(path, PooledScenario.from_toml)``)."""
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise ScenarioError(f"{origin}: not valid TOML: {error}") from None
        if raw.get("format") != _FORMAT:
            raise ScenarioError(f"{origin}: key 'format': expected {_FORMAT!r}")
        periods = tuple(
            (entry["name"], Scenario.from_toml(entry["scenario"], f"{origin}: {entry['name']}"))
            for entry in raw.get("period", [])
        )
        return cls(periods, tuple(raw["per_period"]))

    def _scenario_of(self, name: str) -> Scenario:
        """The first period scenario calibrating ``name``."""
        for period, scenario in self.periods:
            if _informs(name, period, scenario):
                return scenario
        raise KeyError(f"{name!r} is not calibrated by {self.name}")


class PooledLikelihood:
    """The pooled records' log-likelihood: the sum over periods of each record's, by replay.

    Called with arrays of the calibrated names (one value per parameter set), it returns one
    log-likelihood per set, as :func:`~escalation.inference.smc.tempered_smc` expects.
    """

    def __init__(self, pooled: PooledScenario, events: Mapping[str, pd.DataFrame]) -> None:
        self.pooled = pooled
        self.records = {
            period: ReplayLikelihood(events[period], scenario)
            for period, scenario in pooled.periods
        }

    def __call__(self, parameters: Mapping[str, np.ndarray]) -> np.ndarray:
        """``(n_sets,)`` pooled log-likelihoods."""
        return self.by_period(parameters).sum(axis=1).to_numpy()

    def by_period(self, parameters: Mapping[str, np.ndarray]) -> pd.DataFrame:
        """One row per parameter set, one column per period: each record's log-likelihood."""
        n = len(next(iter(parameters.values())))
        routes = self.pooled.split(parameters)
        return pd.DataFrame(
            {p: record.table(routes[p], n).sum(axis=(0, 1)) for p, record in self.records.items()}
        )


def calibrate_pooled(
    periods: Mapping[str, tuple[pd.DataFrame | str | Path, Scenario | str | Path]],
    per_period: Sequence[str] = PER_PERIOD,
    shared: Sequence[str] | None = None,
    seed: Seed = None,
    checkpoint: str | Path | None = None,
    executor: ExecutorLike = None,
    progress: bool | None = None,
    settings: TemperedSettings | None = None,
) -> Posterior:
    """Calibrate several periods at once: behaviour shared, base rates each period's own.

    Parameters
    ----------
    periods : mapping of period name to (observed events, scenario)
        Each period's record (a DataFrame in the canonical schema, a file or a shipped period's
        name for :func:`escalation.load_events`) and its scenario (a Scenario, a built-in name or
        a TOML path), whose dates are the window replayed and scored and whose ``calibrate``
        list names what the period informs. At least one period; windows must not overlap.
    per_period : sequence of str
        Declared parameters each period calibrating them gets its own copy of, named
        ``name[period]`` (default :data:`PER_PERIOD`).
    shared : sequence of str, optional
        The shared parameters, if you want them checked: they must be exactly the calibrated
        parameters not in ``per_period``, and none may be in both.
    seed, checkpoint, executor, progress
        As for :func:`escalation.calibrate`.
    settings : TemperedSettings, optional
        Particles per run, runs, most moves per step (default: :func:`escalation.calibrate`'s).

    Returns
    -------
    Posterior
        Over the calibrated names (:attr:`PooledScenario.calibrate`), with the pooled records'
        log evidence in its diagnostics; its base scenario is the :class:`PooledScenario`.
    """
    pooled = pooled_scenario(periods, per_period, shared)
    events = {period: _period_events(periods[period][0], period) for period in pooled.period_names}
    toml = {period: scenario.to_toml() for period, scenario in pooled.periods}
    setup = partial(_pooled_setup, toml, tuple(pooled.per_period), events)
    return tempered_posterior(
        setup, pooled, settings or TemperedSettings(), seed, checkpoint, executor, progress,
        periods={p: [s.start.isoformat(), s.end.isoformat()] for p, s in pooled.periods},
        observed_rows={period: len(frame) for period, frame in events.items()},
        observed_sha256={period: frame_sha256(frame) for period, frame in events.items()},
    )  # fmt: skip


def pooled_scenario(
    periods: Mapping[str, Any],
    per_period: Sequence[str] = PER_PERIOD,
    shared: Sequence[str] | None = None,
) -> PooledScenario:
    """The :class:`PooledScenario` of :func:`calibrate_pooled`'s arguments, checked: every
    period has a scenario with parameters to calibrate, names are plain, windows do not
    overlap, shared priors agree, and ``shared`` and ``per_period`` do not overlap."""
    if not isinstance(periods, Mapping) or not periods:
        raise ValueError("periods: expected a mapping {period name: (events, scenario)}")
    _check_names("per_period", per_period)
    checked = tuple(
        (_period_name(name), _period_scenario(name, value)) for name, value in periods.items()
    )
    pooled = PooledScenario(checked, tuple(per_period))
    _check_windows(pooled)
    _check_shared_priors(pooled)
    if shared is not None:
        _check_shared(pooled, shared)
    return pooled


def period_posterior(posterior: Posterior, period: str) -> Posterior:
    """Period ``period``'s view of a pooled posterior: its shared parameters and its own copies
    under their plain names, over the period's scenario (for :func:`escalation.forecast` and
    ensembles). The weights and diagnostics are the pooled posterior's."""
    pooled = posterior.base_scenario
    if not isinstance(pooled, PooledScenario):
        raise TypeError("posterior: expected the posterior of calibrate_pooled")
    scenario = pooled.period(period)
    columns = {
        name: declared_name(name)
        for name in posterior.parameter_names
        if _informs(name, period, scenario)
    }
    samples = posterior.samples[[*columns, "weight"]].rename(columns=columns)
    return Posterior(samples, scenario, posterior.diagnostics, posterior.manifest)


def _pooled_setup(
    period_toml: Mapping[str, str], per_period: tuple[str, ...], events: Mapping[str, pd.DataFrame]
) -> tuple[PooledLikelihood, dict]:
    """The pooled likelihood and priors, built where a calibration run executes."""
    periods = tuple((p, Scenario.from_toml(t, f"period {p}")) for p, t in period_toml.items())
    pooled = PooledScenario(periods, per_period)
    return PooledLikelihood(pooled, events), priors(pooled)


def _informs(name: str, period: str, scenario: Scenario) -> bool:
    """Whether calibrated name ``name`` sets a parameter of ``period``: a shared parameter the
    period's scenario calibrates, or the period's own copy of one."""
    plain = declared_name(name)
    return plain in scenario.calibrate and name in (plain, period_copy(plain, period))


def _period_name(name: object) -> str:
    """A period name that can sit inside ``parameter[period]``."""
    if not isinstance(name, str) or not name or any(c in name for c in "[]\"' "):
        raise ValueError(
            f"periods: period name {name!r}: expected a non-empty string without brackets, "
            "quotes or spaces (it names parameter copies such as militia_attack_rate[2021])"
        )
    return name


def _period_scenario(name: str, value: object) -> Scenario:
    """The scenario of a period's ``(events, scenario)`` pair, with parameters to calibrate
    (those its window can inform, :meth:`Scenario.informed_until`)."""
    if not isinstance(value, tuple | list) or len(value) != 2 or value[1] is None:
        raise ValueError(
            f"periods[{name!r}]: expected a pair (observed events, scenario); the period has "
            "no scenario (each period is a scenario with its own dates and policies)"
        )
    scenario = Scenario.coerce(value[1])
    if not scenario.calibrate:
        raise ScenarioError(
            f"periods[{name!r}]: scenario {scenario.name} ({scenario.origin}) calibrates nothing; "
            "expected a 'calibrate' list"
        )
    try:
        informed = scenario.informed_until(scenario.end)
    except ScenarioError as error:
        raise ScenarioError(f"periods[{name!r}]: {error}") from None
    return replace(informed, posterior=None)


def _period_events(events: pd.DataFrame | str | Path, period: str) -> pd.DataFrame:
    """A period's record, checked."""
    if isinstance(events, pd.DataFrame):
        return validate_events(events, origin=f"periods[{period!r}] events")
    return load_events(events)


def _check_names(argument: str, names: Sequence[str]) -> None:
    """Declared parameter names, each once."""
    if isinstance(names, str):
        raise ValueError(f"{argument}: expected a sequence of parameter names, not a string")
    unknown = [n for n in names if n not in PARAMETERS]
    if unknown:
        raise ValueError(f"{argument}: unknown parameters {unknown}; expected declared ones")
    repeated = sorted({n for n in names if list(names).count(n) > 1})
    if repeated:
        raise ValueError(f"{argument}: parameters named more than once: {repeated}")


def _check_shared(pooled: PooledScenario, shared: Sequence[str]) -> None:
    """``shared`` names exactly the calibrated parameters not copied per period."""
    _check_names("shared", shared)
    both = sorted(set(shared) & set(pooled.per_period))
    if both:
        raise ValueError(
            f"shared and per_period overlap: {both} cannot be both shared and each period's own"
        )
    if set(shared) != set(pooled.shared):
        missing = sorted(set(pooled.shared) - set(shared))
        extra = sorted(set(shared) - set(pooled.shared))
        raise ValueError(
            f"shared: expected the calibrated parameters not in per_period; missing {missing}, "
            f"not calibrated by any period {extra}"
        )


def _check_windows(pooled: PooledScenario) -> None:
    """No two periods' windows overlap (their records would be counted twice)."""
    ordered = sorted(pooled.periods, key=lambda item: item[1].start)
    for (a, first), (b, second) in zip(ordered, ordered[1:], strict=False):
        if second.start <= first.end:
            raise ValueError(
                f"periods {a!r} ({first.start}..{first.end}) and {b!r} ({second.start}.."
                f"{second.end}) overlap; expected disjoint windows"
            )


def _check_shared_priors(pooled: PooledScenario) -> None:
    """A shared parameter has one prior: every period calibrating it must give the same."""
    for name in pooled.shared:
        found = {p: s.prior(name) for p, s in pooled.periods if name in s.calibrate}
        if len(set(map(repr, found.values()))) > 1:
            raise ScenarioError(
                f"shared parameter {name!r} has different priors in the periods' scenarios "
                f"({found}); expected one prior, or list it in per_period"
            )
