"""Calibration: a posterior over the model's parameters from an observed event sequence.

:func:`calibrate` wires the generic ABC-SMC engine (:mod:`escalation.inference.smc`) to the model:
each generation's proposals are simulated as one batch of worlds, world i with the
i-th proposal (:func:`escalation.ensemble.simulate_statistics`), and compared with the
observed sequence through the same summary statistics
(:func:`escalation.events.statistics.summary_statistics`): counts by type and month, strike
rounds and their lags, casualties, Israeli strikes, and episode statistics in the
manner of Abrahams et al. (2020). Which parameters are calibrated, and their priors,
come from the scenario (``calibrate`` and ``[priors]``; defaults in
:mod:`escalation.model.parameters`), truncated to each parameter's valid range.

:func:`posterior_predictive` checks the result: it simulates worlds with parameters drawn
from the posterior and sets the observed statistics against the predictive bands.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import warnings
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, Literal, NamedTuple, TypeAlias

import numpy as np
import pandas as pd

from escalation.ensemble import posterior_draws, simulate_statistics
from escalation.errors import ScenarioError
from escalation.events.counts import QUIET_HISTORY_DAYS
from escalation.events.io import load_events, validate_events
from escalation.events.statistics import summary_statistics
from escalation.inference.likelihood import ReplayLikelihood
from escalation.inference.posterior import Posterior
from escalation.inference.smc import TemperedResult, abc_smc, tempered_smc
from escalation.model.parameters import PARAMETERS, declared_name
from escalation.model.scenario import Scenario
from escalation.provenance import manifest
from escalation.runtime import (
    DateLike,
    ExecutorLike,
    Seed,
    checkpoint_seed,
    frame_sha256,
    seed_sequence,
)

#: Statistics matched in calibration (besides the monthly attack counts, whose names depend
#: on the window). Left out: ``others_killed`` (dominated by the disputed fighter tolls of
#: strikes: the Pentagon's one against the Syrian Observatory's 22 on 26 February 2021)
#: and ``chain_length_mean``, which mirrors ``chain_length_max``.
STATISTICS = (
    "attacks_total",
    "attacks_rocket_attack",
    "attacks_drone_attack",
    "attacks_ied_attack",
    "attacks_other_attack",
    "attacks_interception_only",
    "attacks_weekly_sd",
    "strike_rounds",
    "return_fire",
    "strike_lag_mean",
    "us_killed",
    "us_injured",
    "israeli_strikes",
    "episodes",
    "episode_length_mean",
    "quiet_mean",
    "unanswered_share",
    "chain_length_max",
)
DEFAULT_POPULATION = 1000
#: Particles per run of likelihood-tempered SMC: with two runs pooled, about 1,000 draws.
LIKELIHOOD_POPULATION = 400
#: Most Metropolis-Hastings moves per tempering step (independence and random-walk moves in
#: turn): simulation-based calibration at this setting (one run of 400) finds the posteriors
#: calibrated but for the US threshold width, too wide when the true line is sharp
#: (``experiments/sbc.py``, ``docs/sbc_summary.csv``).
LIKELIHOOD_MAX_MOVES = 8


def calibration_statistics(table: pd.DataFrame) -> pd.DataFrame:
    """The columns of a :func:`summary_statistics` table that calibration matches, in order."""
    months = sorted(c for c in table.columns if c.startswith("attacks_month_"))
    return table[list(STATISTICS) + months]


def predictive_statistics(table: pd.DataFrame) -> pd.DataFrame:
    """The columns a posterior predictive check compares: the calibration targets, the share
    of days with two or more attacks, and the daily attack rate in each regime of the
    scenario's timeline (:attr:`~escalation.model.scenario.Scenario.regime_starts`).

    Issue 12: the check "covers every statistic, including the weekly spread, the share of
    days with two or more attacks, June and July, and the rate before and after 26 July"."""
    regimes = sorted(c for c in table.columns if c.startswith("attacks_daily_rate_from_"))
    extra = table[["attacks_busy_day_share", *regimes]]
    return pd.concat([calibration_statistics(table), extra], axis=1)


def calibration_window(observed: pd.DataFrame, start=None, end=None) -> tuple[dt.date, dt.date]:
    """The window: the given ends, or the span of the observed dates.

    Every day of the window is scored, a day without events as a quiet day: a window that
    starts after the record's last event is refused, and one that runs more than
    :data:`~escalation.events.counts.QUIET_HISTORY_DAYS` past it is warned of (the record
    probably stops there).
    """
    dates = pd.to_datetime(observed["date"])
    start = pd.Timestamp(start if start is not None else dates.min()).date()
    end = pd.Timestamp(end if end is not None else dates.max()).date()
    if end < start:
        raise ValueError(f"calibration window ends ({end}) before it starts ({start})")
    if len(dates):
        last = dates.max().date()
        if start > last:
            raise ValueError(
                f"calibration window {start} to {end} starts after the record's last event "
                f"({last}): nothing in it was observed; give a record that covers the window"
            )
        if (end - last).days > QUIET_HISTORY_DAYS:
            warnings.warn(
                f"calibration window {start} to {end}: the record's last event is on {last}, "
                f"{(end - last).days} days before its end; those days are scored as days without "
                "any event. If the record simply stops there, end the window on its last day",
                UserWarning,
                stacklevel=3,
            )
    return start, end


def calibration_scenario(scenario=None, start=None, end=None) -> Scenario:
    """The scenario to calibrate: its window set, any posterior it names dropped, and the
    timeline factors no entry dated on or before the window's end applies left out
    (:meth:`Scenario.informed_until`)."""
    if scenario is None:
        scenario = Scenario.load("baseline_2021")
    elif not isinstance(scenario, Scenario):
        scenario = Scenario.load(scenario)
    if not scenario.calibrate:
        raise ScenarioError(f"{scenario.origin}: key 'calibrate': no parameters to calibrate")
    scenario = dataclasses.replace(scenario, start=start, end=end, posterior=None)
    return scenario.informed_until(scenario.end)


def priors(scenario: Any) -> dict:
    """The calibrated parameters' priors, truncated to their valid ranges (``scenario``: a
    Scenario, or any object with its ``calibrate`` and ``prior``)."""
    return {
        name: scenario.prior(name).within(*_range(declared_name(name)))
        for name in scenario.calibrate
    }


def _range(name: str) -> tuple[float, float]:
    """The valid range of a declared parameter."""
    return PARAMETERS[name].low, PARAMETERS[name].high


def calibrate(
    observed: pd.DataFrame | str | Path,
    scenario: Scenario | str | Path | None = None,
    start: DateLike | None = None,
    end: DateLike | None = None,
    budget: int | None = None,
    seed: Seed = None,
    checkpoint: str | Path | None = None,
    executor: ExecutorLike = None,
    progress: bool | None = None,
    population_size: int | None = None,
    min_epsilon: float = 0.0,
    max_generations: int = 30,
    *,
    method: Literal["likelihood", "abc"] = "likelihood",
    runs: int = 2,
    max_moves: int | None = None,
) -> Posterior:
    """Infer the scenario's calibrated parameters from ``observed``: a posterior, not a point.

    ``method="likelihood"`` (the default) samples the exact posterior by likelihood-tempered
    SMC on the record's likelihood by replay (:func:`escalation.loglik`), in ``runs``
    independent runs pooled into one posterior whose diagnostics hold the log evidence, its
    Monte Carlo error across the runs and the R-hat between them. ``method="abc"`` matches
    summary statistics by ABC-SMC (for statistics that have no likelihood, and as a
    cross-check); ``budget``, ``min_epsilon`` and ``max_generations`` are its settings.

    Parameters
    ----------
    observed : DataFrame or path
        Events in the canonical schema (the built-in 2021 data, a user's file, a slice).
    scenario : Scenario, name or path, optional
        Declares which parameters are calibrated and their priors; default ``baseline_2021``.
    start, end : date-like, optional
        The window; default the span of the observed dates. Simulated worlds cover it too.
    budget : int, optional
        ABC: simulated worlds across all generations (default 200,000); the run stops there
        or at ``min_epsilon``.
    seed : int or SeedSequence, optional
    checkpoint : path, optional
        Each generation is saved there; calling again with the same path resumes.
    executor : None, Executor or dask.distributed.Client
        Where batches run; the posterior does not depend on it.
    progress : bool, optional
        Progress bar over generations (default: when stderr is a terminal, CI unset).
    population_size : int, optional
        Particles per run (likelihood, default :data:`LIKELIHOOD_POPULATION`) or accepted per
        generation (ABC, default :data:`DEFAULT_POPULATION`).
    method : {"likelihood", "abc"}
    runs : int
        Likelihood: independent runs (each with its own stream of the seed), at least 1; two
        or more give the evidence's Monte Carlo error and R-hat.
    max_moves : int, optional
        Likelihood: most Metropolis moves per tempering step (default
        :data:`LIKELIHOOD_MAX_MOVES`); fewer is faster and mixes less.
    """
    if method == "likelihood":
        if budget is not None:
            raise ValueError("budget: applies to method='abc' (the likelihood needs no budget)")
        return _calibrate_by_likelihood(
            observed, scenario, start, end, seed, checkpoint, executor, progress,
            population_size or LIKELIHOOD_POPULATION, runs, max_moves or LIKELIHOOD_MAX_MOVES,
        )  # fmt: skip
    if method != "abc":
        raise ValueError(f"method: expected 'likelihood' or 'abc', found {method!r}")
    budget = 200_000 if budget is None else budget
    population_size = population_size or DEFAULT_POPULATION
    observed = _events(observed)
    start, end = calibration_window(observed, start, end)
    base = calibration_scenario(scenario, start, end)
    target = calibration_statistics(summary_statistics(observed, start, end))
    columns = list(target.columns)

    # Fresh entropy, when unseeded, is recorded in the manifest (and the checkpoint, whence an
    # interrupted unseeded run resumes).
    root = _resumed_root(seed, checkpoint, parent=False)

    def simulate(theta, batch_seed):
        table = simulate_statistics(base, theta, batch_seed, executor=executor)
        return calibration_statistics(table)[columns].to_numpy(dtype=float)

    result = abc_smc(
        simulate,
        priors(base),
        target.iloc[0].to_numpy(dtype=float),
        population_size=population_size,
        budget=budget,
        seed=root,
        min_epsilon=min_epsilon,
        max_generations=max_generations,
        checkpoint=checkpoint,
        progress=progress,
        identity={"scenario_toml": base.to_toml()},
    )
    record = manifest(
        scenario=base,
        seed=root,
        seeded=seed is not None,
        n_worlds=result.simulations_total,
        statistics=columns,
        window=[start.isoformat(), end.isoformat()],
        observed_rows=len(observed),
    )
    return Posterior.from_abc(result, base, record)


def _calibrate_by_likelihood(
    observed: pd.DataFrame | str | Path,
    scenario: Scenario | str | Path | None,
    start: DateLike | None,
    end: DateLike | None,
    seed: Seed,
    checkpoint: str | Path | None,
    executor: ExecutorLike,
    progress: bool | None,
    population_size: int,
    runs: int,
    max_moves: int,
) -> Posterior:
    """Likelihood-tempered SMC on the exact likelihood by replay, ``runs`` times, pooled."""
    events = _events(observed)
    first, last = calibration_window(events, start, end)
    base = calibration_scenario(scenario, first, last)
    # A Scenario holds read-only mappings, which do not pickle: runs get its TOML text.
    setup = partial(_replay_setup, base.to_toml(), events)
    settings = TemperedSettings(population_size, runs, max_moves)
    return tempered_posterior(
        setup, base, settings, seed, checkpoint, executor, progress,
        window=[first.isoformat(), last.isoformat()],
        observed_rows=len(events),
        observed_sha256=frame_sha256(events),
    )  # fmt: skip


class TemperedSettings(NamedTuple):
    """Settings of likelihood-tempered calibration: particles per run, independent runs (at
    least 1) and most Metropolis moves per tempering step."""

    population_size: int = LIKELIHOOD_POPULATION
    runs: int = 2
    max_moves: int = LIKELIHOOD_MAX_MOVES


#: Builds, inside the worker that runs it, a batched log-likelihood and its priors.
Setup: TypeAlias = Callable[[], tuple[Callable[[dict[str, np.ndarray]], np.ndarray], dict]]


def tempered_posterior(
    setup: Setup,
    base: Any,
    settings: TemperedSettings,
    seed: Seed,
    checkpoint: str | Path | None,
    executor: ExecutorLike,
    progress: bool | None,
    **record: Any,
) -> Posterior:
    """Independent runs of likelihood-tempered SMC on ``setup``'s likelihood, pooled.

    What :func:`calibrate` and :func:`~escalation.inference.pooled.calibrate_pooled` share:
    each run draws from its own stream of ``seed`` and checkpoints to ``checkpoint.runK``;
    ``setup`` (picklable, so runs can go to an ``executor``) builds the likelihood and priors
    where the run executes. The posterior's base is ``base`` (a Scenario, or any object with
    its interface); its manifest holds ``record`` besides the runs' settings, and the
    checkpoints hold ``record`` and the base's TOML, so one written for other data or another
    scenario is refused, quoting what changed.
    """
    runs = int(settings.runs)
    if runs < 1 or runs != settings.runs:
        raise ValueError(f"runs: expected a positive integer, found {settings.runs!r}")
    root = _resumed_root(seed, None if checkpoint is None else f"{checkpoint}.run0", parent=True)
    identity = {"scenario_toml": base.to_toml(), **json.loads(json.dumps(record, default=str))}
    tasks = [
        partial(
            _tempered_run,
            setup,
            settings.population_size,
            settings.max_moves,
            run_seed,
            None if checkpoint is None else f"{checkpoint}.run{run}",
            progress if executor is None else False,
            identity,
        )
        for run, run_seed in enumerate(_children(root, runs))
    ]
    # Runs are independent: with an executor they run side by side, each in one worker (a
    # replay's cost is mostly per day, not per world, so splitting a population gains little).
    if executor is None:
        results = [task() for task in tasks]
    else:
        results = [future.result() for future in [executor.submit(task) for task in tasks]]
    posteriors = [Posterior.from_tempered(result, base) for result in results]
    provenance = manifest(
        scenario=base,
        seed=root,
        seeded=seed is not None,
        method="likelihood",
        runs=runs,
        population_size=settings.population_size,
        likelihood_evaluations=sum(p.diagnostics["evaluations_total"] for p in posteriors),
        **record,
    )
    return Posterior.pool(posteriors, provenance) if len(posteriors) > 1 else posteriors[0]


def _resumed_root(seed: Seed, written: str | Path | None, parent: bool) -> np.random.SeedSequence:
    """The run's root seed: ``seed``'s; or, unseeded, the one an interrupted run left in its
    checkpoint ``written`` (a run's own root is a child of the call's when ``parent``), so
    that resuming an unseeded calibration continues it rather than refusing it."""
    if seed is not None or written is None:
        return seed_sequence(seed)
    stored = checkpoint_seed(written)
    if stored is None:
        return seed_sequence(seed)
    key = tuple(stored.spawn_key)
    return np.random.SeedSequence(stored.entropy, spawn_key=key[:-1] if parent else key)


def _children(root: np.random.SeedSequence, n: int) -> list[np.random.SeedSequence]:
    """The first ``n`` children ``root.spawn`` gives a fresh root, without spawning from it
    (spawning changes the caller's object, so a second call with it would differ)."""
    key = tuple(root.spawn_key)
    return [np.random.SeedSequence(root.entropy, spawn_key=(*key, i)) for i in range(n)]


def _replay_setup(scenario_toml: str, events: pd.DataFrame) -> tuple[ReplayLikelihood, dict]:
    """The record's likelihood by replay under the scenario, and the scenario's priors."""
    base = Scenario.from_toml(scenario_toml, origin="calibration")
    return ReplayLikelihood(events, base), priors(base)


def _tempered_run(
    setup: Setup,
    population_size: int,
    max_moves: int,
    seed: np.random.SeedSequence,
    checkpoint: str | None,
    progress: bool | None,
    identity: dict,
) -> TemperedResult:
    """One run of likelihood-tempered SMC on the likelihood ``setup`` builds."""
    likelihood, prior = setup()
    return tempered_smc(
        likelihood,
        prior,
        population_size=population_size,
        seed=seed,
        max_moves=max_moves,
        checkpoint=checkpoint,
        progress=progress,
        identity=identity,
    )


def posterior_predictive(
    posterior: Posterior,
    observed: pd.DataFrame | str | Path,
    n_worlds: int = 1000,
    seed: Seed = None,
    executor: ExecutorLike = None,
) -> pd.DataFrame:
    """Observed statistics against the posterior predictive distribution.

    Simulates ``n_worlds`` worlds, each with parameters drawn from the posterior, over the
    posterior's window, and returns one row per statistic: the observed value, the
    predictive 5/50/95% quantiles, the share of worlds below the observed value
    (``p_below``; a posterior predictive p-value) and whether the observed value lies in
    the 90% band.
    """
    observed = _events(observed)
    base = posterior.base_scenario
    seed = seed_sequence(seed)  # draws and worlds from one root, also when seed is None
    draws = posterior_draws(posterior, seed, np.arange(n_worlds))
    simulated = predictive_statistics(simulate_statistics(base, draws, seed, executor=executor))
    actual = predictive_statistics(
        summary_statistics(observed, base.start, base.end, breaks=base.regime_starts)
    ).iloc[0]
    rows = []
    for name in simulated.columns:
        values = simulated[name].to_numpy(dtype=float)
        values = values[~np.isnan(values)]
        obs = float(actual[name])
        if len(values) == 0:
            rows.append((name, obs, np.nan, np.nan, np.nan, np.nan, False))
            continue
        q05, q50, q95 = np.quantile(values, [0.05, 0.5, 0.95])
        rows.append(
            (name, obs, q05, q50, q95, float(np.mean(values < obs)), bool(q05 <= obs <= q95))
        )
    return pd.DataFrame(
        rows, columns=["statistic", "observed", "q05", "q50", "q95", "p_below", "inside90"]
    )


def _events(observed) -> pd.DataFrame:
    if isinstance(observed, pd.DataFrame):
        return validate_events(observed)
    return load_events(observed)
