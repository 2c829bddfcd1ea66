"""Forecasts from an observed history: replay what happened, then simulate what follows.

:func:`forecast` answers "given what has happened up to today, what happens in the next
weeks?". The observed events before ``start`` are replayed into the agents' memories
(:mod:`escalation.replay`): recent losses and vows of revenge, the red line's
credibility after unanswered crossings, Baghdad's pressure, crackdowns and the talks'
schedule. From ``start`` on, every world is simulated, with parameters drawn world by
world from a posterior (or fixed by a scenario). The result is a
:class:`~escalation.forecasting.Forecast`, the type the statistical baselines of
:mod:`escalation.baselines` return too, so all are scored alike
(:func:`escalation.scoring.score`).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from escalation.ensemble import posterior_draws, run_ensemble
from escalation.events import COLUMNS
from escalation.forecasting import Forecast, as_day
from escalation.observed import validate_events
from escalation.posterior import Posterior
from escalation.scenario import Scenario
from escalation.streams import seed_sequence

#: Series a model forecast carries (daily counts per world).
SERIES = (
    "militia_attacks",
    "rocket_attack",
    "drone_attack",
    "ied_attack",
    "other_attack",
    "interception_only",
    "us_strike_rounds",
    "israeli_strikes",
    "us_killed",
)
METHOD = "Escalation model"


def forecast(
    source, history, start, days: int, n_worlds: int = 2000, seed=None, executor=None, progress=None
) -> Forecast:
    """Forecast ``days`` days from ``start`` given the observed ``history``.

    Parameters
    ----------
    source : Posterior, Scenario or str
        A posterior (parameters drawn from it world by world, over its base scenario's
        policies) or a scenario (a built-in name or TOML path; its own posterior, if it
        names one, is drawn from).
    history : DataFrame
        Observed events in the canonical schema; those before ``start`` are replayed from
        the first one's date. May be empty.
    start : date-like
        First forecast day.
    days : int
        Horizon in days.
    """
    start = as_day(start)
    if int(days) < 1:
        raise ValueError(f"days must be at least 1, got {days}")
    seed = seed_sequence(seed)
    scenario, parameters = _source(source, n_worlds, seed)
    history = _history(history, start)
    # Replay from the scenario's (or posterior window's) start, or the first event if earlier.
    first = min(
        [start]
        + ([history["date"].min()] if len(history) else [])
        + ([pd.Timestamp(scenario.start)] if pd.Timestamp(scenario.start) < start else [])
    )
    replay_days = int((start - first).days)
    window = dataclasses.replace(
        scenario, start=first.date(), end=(start + pd.Timedelta(days=int(days) - 1)).date()
    )
    result = run_ensemble(
        window,
        n_worlds,
        seed=seed,
        executor=executor,
        progress=progress,
        keep_events=True,
        parameters=parameters,
        history=history,
        replay_days=replay_days,
    )
    daily = {
        name: np.ascontiguousarray(result.daily_worlds[name][replay_days:].T.astype(np.int64))
        for name in SERIES
    }
    w = result.worlds
    probabilities = {
        "american_killed": float(np.mean(daily["us_killed"].sum(axis=1) > 0)),
        "us_strike_round": float(np.mean(daily["us_strike_rounds"].sum(axis=1) > 0)),
        "withdrawal_demanded": float(np.mean(w["withdrawal_demanded"])),
    }
    return Forecast(
        METHOD,
        start,
        int(days),
        daily,
        probabilities,
        extra={
            "scenario": scenario.name,
            "replayed_days": replay_days,
            "history_start": str(first.date()),
        },
    )


def _source(source, n_worlds, seed):
    """The scenario to simulate and per-world parameters (None: the scenario's own)."""
    if isinstance(source, Posterior):
        base = dataclasses.replace(source.base_scenario, posterior=None)
        return base, posterior_draws(source, seed, np.arange(n_worlds))
    scenario = source if isinstance(source, Scenario) else Scenario.load(source)
    return scenario, None


def _history(history, start) -> pd.DataFrame:
    if history is None or len(history) == 0:
        empty = pd.DataFrame({c: pd.Series([], dtype=object) for c in COLUMNS})
        empty["date"] = pd.to_datetime(empty["date"])
        return empty
    history = validate_events(history)
    return history[history["date"] < start].reset_index(drop=True)
