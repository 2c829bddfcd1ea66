"""The built-in scenarios: each loads, runs, cites its article, and does what it says."""

import dataclasses
import datetime as dt
import functools

import numpy as np
import pytest
from conftest import BUILT_IN

from escalation.ensemble import run_ensemble
from escalation.events.schema import Actor, EventType
from escalation.model.model import EscalationModel
from escalation.model.scenario import Scenario, list_scenarios

#: Outlets of the seed articles, as the project cites them (README, "Sources").
OUTLETS = (
    "Gulf International Forum",
    "Newsweek",
    "wire-based report",
    "US network news report",
    "report of 17-18 August 2023",
)
WORLDS = 1000
SEED = 2021


def test_the_built_ins_are_all_there():
    assert tuple(list_scenarios()) == BUILT_IN


@pytest.mark.parametrize("name", BUILT_IN)
def test_loads_and_runs_a_short_window(name):
    scenario = Scenario.load(name)
    short = dataclasses.replace(scenario, end=scenario.start + dt.timedelta(days=59))
    result = run_ensemble(short, 20, seed=1, keep_events=False, progress=False)
    assert len(result.worlds) == 20
    assert (result.worlds["militia_attacks"] >= 0).all()


@pytest.mark.parametrize("name", BUILT_IN)
def test_description_cites_an_article_with_a_quote(name):
    description = Scenario.load(name).description
    assert any(outlet in description for outlet in OUTLETS), description
    assert "2021" in description or "2023" in description
    assert description.count('"') >= 2


@pytest.fixture(scope="module")
def baseline():
    return run_ensemble("baseline_2021", WORLDS, seed=SEED, keep_events=False, progress=False)


@functools.cache
def run(name):
    return run_ensemble(name, WORLDS, seed=SEED, keep_events=False, progress=False)


def test_no_retaliation_never_strikes_or_returns_fire(baseline):
    result = run_ensemble("no_retaliation", 300, seed=SEED, progress=False)
    us_kinetic = (result.events["actor"] == Actor.US.value) & result.events["event_type"].isin(
        [EventType.AIRSTRIKE.value, EventType.RETURN_FIRE.value]
    )
    assert not us_kinetic.any()
    assert (result.worlds[["us_strike_rounds", "us_strike_sites", "return_fire"]] == 0).all().all()
    # The same worlds under the 2021 policy do strike and return fire.
    assert baseline.worlds["us_strike_rounds"].sum() > 0
    assert baseline.worlds["return_fire"].sum() > 0


def test_disproportionate_rounds_hit_five_sites():
    w = run_ensemble(
        "disproportionate_response", 200, seed=SEED, keep_events=False, progress=False
    ).worlds
    assert w["us_strike_rounds"].sum() > 0
    # Every order strikes five sites; strike days at most ROUND_GAP_DAYS apart count as one
    # round (escalation.events.counts.starts_new_round), so a round may hold several orders.
    np.testing.assert_array_equal(w["us_strike_sites"] % 5, 0)
    assert np.all(w["us_strike_sites"] >= 5 * w["us_strike_rounds"])


def test_talks_never_alive_when_collapsed():
    collapsed = EscalationModel("talks_collapse", n_worlds=50, seed=SEED)
    baseline = EscalationModel("baseline_2021", n_worlds=50, seed=SEED)
    alive_days = 0
    while collapsed.running:
        collapsed.step()
        baseline.step()
        assert not collapsed.iran.talks_alive.any()
        alive_days += bool(baseline.iran.talks_alive.any())
    assert alive_days > 60  # the 2021 rounds did run in the baseline


@pytest.mark.statistical
@pytest.mark.parametrize(
    ("name", "columns", "sign"),
    [
        ("us_withdrawal", ("us_killed", "us_injured"), -1),
        ("israel_campaign", ("israeli_strikes",), +1),
        ("talks_collapse", ("militia_attacks",), +1),
        ("baghdad_crackdown", ("militia_attacks",), -1),
        ("border_closure_2023", ("militia_attacks",), +1),
        ("border_closure_2023", ("us_strike_rounds",), +1),
        ("border_closure_2023", ("israeli_strikes",), +1),
    ],
)
def test_scenario_moves_its_quantity_the_stated_way(baseline, name, columns, sign):
    """Paired over the same 1,000 worlds (same seed); the mean difference must exceed 4 s.e."""
    scenario = run(name).worlds.sort_values("world")
    base = baseline.worlds.sort_values("world")
    diff = (
        scenario[list(columns)].sum(axis=1).to_numpy() - base[list(columns)].sum(axis=1).to_numpy()
    )
    se = diff.std(ddof=1) / np.sqrt(len(diff))
    assert sign * diff.mean() > 4 * se, (diff.mean(), se)
