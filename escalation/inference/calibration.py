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
from pathlib import Path

import numpy as np
import pandas as pd

from escalation.ensemble import posterior_draws, simulate_statistics
from escalation.errors import ScenarioError
from escalation.events.io import load_events, validate_events
from escalation.events.statistics import summary_statistics
from escalation.inference.posterior import Posterior
from escalation.inference.smc import abc_smc
from escalation.model.parameters import PARAMETERS
from escalation.model.scenario import Scenario
from escalation.provenance import manifest
from escalation.runtime import DateLike, ExecutorLike, Seed, seed_sequence

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


def calibration_statistics(table: pd.DataFrame) -> pd.DataFrame:
    """The columns of a :func:`summary_statistics` table that calibration matches, in order."""
    months = sorted(c for c in table.columns if c.startswith("attacks_month_"))
    return table[list(STATISTICS) + months]


def calibration_window(observed: pd.DataFrame, start=None, end=None) -> tuple[dt.date, dt.date]:
    """The window: the given ends, or the span of the observed dates."""
    dates = pd.to_datetime(observed["date"])
    start = pd.Timestamp(start if start is not None else dates.min()).date()
    end = pd.Timestamp(end if end is not None else dates.max()).date()
    if end < start:
        raise ValueError(f"calibration window ends ({end}) before it starts ({start})")
    return start, end


def calibration_scenario(scenario=None, start=None, end=None) -> Scenario:
    """The scenario to calibrate: its window set, any posterior it names dropped."""
    if scenario is None:
        scenario = Scenario.load("baseline_2021")
    elif not isinstance(scenario, Scenario):
        scenario = Scenario.load(scenario)
    if not scenario.calibrate:
        raise ScenarioError(f"{scenario.origin}: key 'calibrate': no parameters to calibrate")
    return dataclasses.replace(scenario, start=start, end=end, posterior=None)


def priors(scenario: Scenario) -> dict:
    """The calibrated parameters' priors, truncated to their valid ranges."""
    return {
        name: scenario.prior(name).within(PARAMETERS[name].low, PARAMETERS[name].high)
        for name in scenario.calibrate
    }


def calibrate(
    observed: pd.DataFrame | str | Path,
    scenario: Scenario | str | Path | None = None,
    start: DateLike | None = None,
    end: DateLike | None = None,
    budget: int = 200_000,
    seed: Seed = None,
    checkpoint: str | Path | None = None,
    executor: ExecutorLike = None,
    progress: bool | None = None,
    population_size: int = DEFAULT_POPULATION,
    min_epsilon: float = 0.0,
    max_generations: int = 30,
) -> Posterior:
    """Infer the scenario's calibrated parameters from ``observed`` by ABC-SMC.

    Parameters
    ----------
    observed : DataFrame or path
        Events in the canonical schema (the built-in 2021 data, a user's file, a slice).
    scenario : Scenario, name or path, optional
        Declares which parameters are calibrated and their priors; default ``baseline_2021``.
    start, end : date-like, optional
        The window; default the span of the observed dates. Simulated worlds cover it too.
    budget : int
        Simulated worlds across all generations; the run stops there or at ``min_epsilon``.
    seed : int or SeedSequence, optional
    checkpoint : path, optional
        Each generation is saved there; calling again with the same path resumes.
    executor : None, Executor or dask.distributed.Client
        Where batches run; the posterior does not depend on it.
    progress : bool, optional
        Progress bar over generations (default: when stderr is a terminal, CI unset).
    population_size : int
        Accepted particles per generation.
    """
    observed = _events(observed)
    start, end = calibration_window(observed, start, end)
    base = calibration_scenario(scenario, start, end)
    target = calibration_statistics(summary_statistics(observed, start, end))
    columns = list(target.columns)

    root = seed_sequence(seed)  # fresh entropy, when unseeded, is recorded in the manifest

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
    )
    record = manifest(
        scenario=base,
        seed=root,
        n_worlds=result.simulations_total,
        statistics=columns,
        window=[start.isoformat(), end.isoformat()],
        observed_rows=len(observed),
    )
    return Posterior.from_abc(result, base, record)


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
    draws = posterior_draws(posterior, seed, np.arange(n_worlds))
    simulated = calibration_statistics(simulate_statistics(base, draws, seed, executor=executor))
    actual = calibration_statistics(summary_statistics(observed, base.start, base.end)).iloc[0]
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
