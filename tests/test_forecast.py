"""forecast(): observed history replayed into the agents' memories, then simulated."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import pytest

from escalation.ensemble import run_ensemble
from escalation.events.io import load_events, validate_events
from escalation.events.schema import COLUMNS, MILITIA_ATTACKS
from escalation.forecasting import SERIES, Forecast, forecast
from escalation.inference.posterior import Posterior
from escalation.model.model import EscalationModel
from escalation.model.policies import halflife_factor
from escalation.model.scenario import Scenario


def _events(rows):
    """Canonical rows from (date, actor, group, target, type, country, location, others_killed)."""
    records = []
    for date, actor, group, target, etype, country, location, others in rows:
        record = dict.fromkeys(COLUMNS, "")
        record.update(
            date=date,
            actor=actor,
            group=group,
            target=target,
            event_type=etype,
            country=country,
            location=location,
            source="test fixture",
            others_killed="" if others is None else str(others),
        )
        records.append(record)
    return validate_events(pd.DataFrame(records, columns=COLUMNS))


@pytest.fixture(scope="module")
def short():
    return dataclasses.replace(
        Scenario.load("baseline_2021"), end=dt.date(2021, 2, 28), posterior=None
    )


def test_losses_in_the_history_become_revenge(short):
    history = _events(
        [
            (
                "2021-01-05",
                "US",
                "Kata'ib Sayyid al-Shuhada",
                "KSS facilities",
                "airstrike",
                "Syria",
                "Albu Kamal",
                10,
            ),
        ]
    )
    model = EscalationModel(short, n_worlds=3, seed=1, history=history, replay_days=5)
    for _ in range(6):
        model.step()
    # Day 4 (5 January) is the strike; on day 5 the militia folds in the losses: 0 * decay + 10.
    np.testing.assert_allclose(model.militias[1].revenge, 10.0)
    np.testing.assert_allclose(model.militias[0].revenge, 0.0)
    model.step()
    decay = halflife_factor(short.parameters["revenge_halflife"])
    np.testing.assert_allclose(model.militias[1].revenge, 10.0 * decay)


def test_unanswered_crossings_cost_credibility_and_a_strike_restores_it(short):
    decay = short.parameters["credibility_decay"]
    rows = [
        (
            f"2021-01-0{d}",
            "militia",
            "",
            "US forces",
            "rocket_attack",
            "Iraq",
            "Ain al-Asad air base",
            None,
        )
        for d in (2, 3, 4)
    ]
    model = EscalationModel(short, n_worlds=2, seed=1, history=_events(rows), replay_days=6)
    for _ in range(5):
        model.step()
    np.testing.assert_allclose(model.us.memory.credibility, (1 - decay) ** 3)
    rows.append(
        (
            "2021-01-06",
            "US",
            "Kata'ib Hezbollah",
            "KH facilities",
            "airstrike",
            "Iraq",
            "al-Qa'im",
            1,
        )
    )
    model = EscalationModel(short, n_worlds=2, seed=1, history=_events(rows), replay_days=7)
    for _ in range(7):
        model.step()
    np.testing.assert_allclose(model.us.memory.credibility, 1.0)
    np.testing.assert_allclose(model.us.memory.grievance, 0.0)
    # The strike on Iraqi soil raised Baghdad's pressure by pressure_per_strike (decayed one day).
    pressure_decay = halflife_factor(short.parameters["pressure_halflife"])
    assert model.iraq.pressure[0] >= short.parameters["pressure_per_strike"] * pressure_decay


def test_replayed_days_leave_no_simulated_events(short):
    history = load_events()
    model = EscalationModel(short, n_worlds=4, seed=3, history=history, replay_days=31).run()
    log = model.event_log()
    assert log["date"].min() >= pd.Timestamp("2021-02-01")


def test_forecast_shapes_and_probabilities():
    history = load_events()
    f = forecast(
        "baseline_2021",
        history[history["date"] < "2021-07-01"],
        "2021-07-01",
        30,
        n_worlds=50,
        seed=4,
    )
    assert isinstance(f, Forecast)
    assert f.start == pd.Timestamp("2021-07-01") and f.days == 30 and f.n_worlds == 50
    assert f.extra["replayed_days"] == 181
    series = f.series()
    assert series.shape == (50, 30)
    # Weeks from 1 July: four full weeks and a final two days.
    weeks = np.concatenate([series[:, :28].reshape(50, 4, 7).sum(axis=2), series[:, 28:].sum(
        axis=1, keepdims=True)], axis=1)  # fmt: skip
    np.testing.assert_array_equal(f.weekly(), weeks)
    np.testing.assert_array_equal(
        series, sum(f.daily[t.value] for t in MILITIA_ATTACKS)
    )  # the total is the sum of the attack types
    # Probabilities are shares of worlds in which the event happens inside the horizon.
    assert f.probability("american_killed") == np.mean(f.daily["us_killed"].sum(axis=1) > 0)
    rounds = f.daily["us_strike_rounds"].sum(axis=1)
    assert f.probability("us_strike_round") == np.mean(rounds > 0)
    assert 0 < f.probability("us_strike_round") < 1
    again = forecast(
        "baseline_2021",
        history[history["date"] < "2021-07-01"],
        "2021-07-01",
        30,
        n_worlds=50,
        seed=4,
    )
    np.testing.assert_array_equal(f.series(), again.series())


def _forward_run(start: str, days: int, n_worlds: int, seed: int):
    """The baseline scenario run forward from ``start`` for ``days`` days, nothing replayed."""
    first = pd.Timestamp(start).date()
    window = dataclasses.replace(
        Scenario.load("baseline_2021"), start=first, end=first + dt.timedelta(days=days - 1)
    )
    return run_ensemble(window, n_worlds, seed=seed, progress=False)


def test_forecast_from_the_scenario_start_is_a_forward_run():
    """With nothing to replay, a forecast is the scenario's own worlds: same draws, same counts."""
    f = forecast("baseline_2021", None, "2021-01-01", 45, n_worlds=30, seed=1)
    run = _forward_run("2021-01-01", 45, 30, seed=1)
    assert f.extra["replayed_days"] == 0
    for name in SERIES:
        np.testing.assert_array_equal(f.daily[name], run.daily_worlds[name].T, err_msg=name)
    for event in ("american_killed", "us_strike_round", "withdrawal_demanded"):
        assert f.probability(event) == run.probability(event)
    assert f.series().sum() > 0 and f.probability("us_strike_round") > 0


def test_forecast_with_empty_history_starts_fresh():
    empty = pd.DataFrame(columns=list(COLUMNS))
    f = forecast("baseline_2021", empty, "2021-03-01", 14, n_worlds=20, seed=1)
    run = _forward_run("2021-03-01", 14, 20, seed=1)
    for name in SERIES:
        np.testing.assert_array_equal(f.daily[name], run.daily_worlds[name].T, err_msg=name)


def test_forecast_from_a_posterior_draws_parameters_per_world(short):
    samples = pd.DataFrame({"militia_attack_rate": [0.0, 3.0], "weight": [0.5, 0.5]})
    post = Posterior(samples, short)
    f = forecast(post, None, "2021-02-01", 28, n_worlds=40, seed=2)
    totals = f.series().sum(axis=1)
    # Worlds drew rate 0 (no attacks at all) or 3 per day (dozens in four weeks).
    assert set(np.unique(totals > 0)) == {False, True}
    assert totals[totals > 0].min() > 20
