"""Tests of EscalationModel: Mesa wiring, event log, reproducibility, batching, invariants."""

import dataclasses
import datetime as dt

import mesa
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalation.errors import ScenarioError
from escalation.events.counts import daily_counts
from escalation.events.schema import COLUMNS, MILITIA_ATTACKS, Actor, EventType
from escalation.model.agents import Iran, IraqiGovernment, Israel, Militia, UnitedStates
from escalation.model.model import COUNT_SERIES, STATE_VARIABLES, EscalationModel
from escalation.model.parameters import PARAMETERS
from escalation.model.scenario import Scenario

BASELINE = Scenario.load("baseline_2021")
ATTACK_TYPES = [t.value for t in MILITIA_ATTACKS]
#: The only site without US personnel (escalation.model.agents.SITES): attacks there cross no line.
NO_PERSONNEL = "logistics convoy"


def shortened(days: int, scenario: Scenario = BASELINE) -> Scenario:
    return dataclasses.replace(scenario, end=scenario.start + dt.timedelta(days=days - 1))


def plain(log: pd.DataFrame) -> pd.DataFrame:
    """An event log with categorical columns as plain strings and a fresh index.

    Each model builds its own text vocabularies in the order values first occur, so
    categories differ between batches even where every value is the same.
    """
    out = log.reset_index(drop=True).copy()
    for column in out.columns:
        if isinstance(out[column].dtype, pd.CategoricalDtype):
            out[column] = out[column].astype(str)
    return out


@pytest.fixture(scope="module")
def year():
    """One world through 2021 under the baseline."""
    return EscalationModel(n_worlds=1, seed=2021).run()


@pytest.fixture(scope="module")
def ensemble():
    """Fifty worlds through 2021 under the baseline."""
    return EscalationModel(BASELINE, n_worlds=50, seed=7).run()


# -- Mesa wiring and the event log ------------------------------------------------------------
def test_agents_are_mesa_agents_registered_in_daily_order(year):
    agents = list(year.agents)
    assert len(agents) == 6
    assert all(isinstance(a, mesa.Agent) for a in agents)
    assert [type(a) for a in agents] == [
        Iran,
        Militia,
        Militia,
        Israel,
        UnitedStates,
        IraqiGovernment,
    ]
    assert {a.group.name for a in agents if isinstance(a, Militia)} == {
        "Kata'ib Hezbollah",
        "Kata'ib Sayyid al-Shuhada",
    }
    assert year.steps == 365 and not year.running


def test_event_log_is_canonical(year):
    log = year.event_log()
    assert list(log.columns) == list(COLUMNS) + ["world", "day"]
    assert len(log) > 0
    assert set(log["actor"].astype(str)) <= {a.value for a in Actor}
    assert set(log["event_type"].astype(str)) <= {t.value for t in EventType}
    assert set(log["attribution_confirmed"].astype(str)) <= {"yes", "no"}
    assert (log["world"] == 0).all()
    assert log["day"].between(0, 364).all()
    assert (log["date"] == pd.Timestamp("2021-01-01") + pd.to_timedelta(log["day"], "D")).all()
    assert log["day"].is_monotonic_increasing
    for column in ("projectiles", "us_killed", "us_injured", "others_killed"):
        assert (log[column] >= 0).all()
    assert (log["source"].astype(str) == "simulated: baseline_2021").all()


def test_datacollector_records_the_state_every_day(year):
    frame = year.datacollector.get_model_vars_dataframe()
    assert frame.shape == (365, 5)
    assert set(frame.columns) == set(STATE_VARIABLES)
    for name in STATE_VARIABLES:
        np.testing.assert_allclose(frame[name], year.daily_state[name][:, 0], rtol=1e-6)


def test_daily_counts_agree_with_the_event_log(ensemble):
    """The per-day tallies and the event buffer are two records of the same events."""
    log = ensemble.event_log()
    n, days = ensemble.n_worlds, ensemble.days

    def per_day(mask, weights=None):
        out = np.zeros((days, n))
        w = None if weights is None else log.loc[mask, weights].to_numpy()
        np.add.at(
            out,
            (log.loc[mask, "day"].to_numpy(), log.loc[mask, "world"].to_numpy()),
            1 if w is None else w,
        )
        return out

    actor = log["actor"].astype(str)
    etype = log["event_type"].astype(str)
    attacks = (actor == "militia") & etype.isin(ATTACK_TYPES)
    c = ensemble.daily_counts
    np.testing.assert_array_equal(c["militia_attacks"], per_day(attacks))
    for name in ATTACK_TYPES:
        np.testing.assert_array_equal(c[name], per_day(attacks & (etype == name)))
    np.testing.assert_array_equal(
        c["us_strike_sites"], per_day((actor == "US") & (etype == "airstrike"))
    )
    np.testing.assert_array_equal(
        c["return_fire"], per_day((actor == "US") & (etype == "return_fire"))
    )
    np.testing.assert_array_equal(c["israeli_strikes"], per_day(actor == "Israel"))
    np.testing.assert_array_equal(c["us_killed"], per_day(attacks, "us_killed"))
    np.testing.assert_array_equal(c["us_injured"], per_day(attacks, "us_injured"))
    rounds = c["us_strike_rounds"]
    assert set(np.unique(rounds)) <= {0, 1} and rounds.sum() > 0
    # Strike rounds follow the one rule observed logs are counted by.
    for world in range(n):
        observed = daily_counts(log[log["world"] == world], BASELINE.start, days)
        np.testing.assert_array_equal(rounds[:, world], observed["us_strike_rounds"])


def test_daily_frame(ensemble):
    frame = ensemble.daily_frame()
    assert len(frame) == 365 * 50
    assert list(frame.columns) == ["date", "world", *STATE_VARIABLES, *COUNT_SERIES]
    assert frame["world"].iloc[:3].tolist() == [0, 1, 2]
    with pytest.raises(ValueError, match="record_daily"):
        EscalationModel(shortened(3), seed=1, record_daily=False).run().daily_frame()


def test_n_worlds_must_be_positive():
    with pytest.raises(ValueError, match="n_worlds"):
        EscalationModel(n_worlds=0, seed=1)


def test_extra_steps_do_nothing():
    model = EscalationModel(shortened(5), seed=3).run()
    before = len(model.event_log())
    model.step()
    assert model.day == 5 and len(model.event_log()) == before and not model.running


# -- reproducibility and batching ----------------------------------------------------------------
def test_same_seed_same_log_other_seed_other_log():
    a = EscalationModel(n_worlds=3, seed=11).run().event_log()
    b = EscalationModel(n_worlds=3, seed=np.random.SeedSequence(11)).run().event_log()
    c = EscalationModel(n_worlds=3, seed=12).run().event_log()
    pd.testing.assert_frame_equal(a, b)
    assert not plain(a).equals(plain(c))


def test_world_is_the_same_whatever_the_batch():
    """Worlds 0..19 of one 20-world run are exactly the 20 one-world runs with first_world=i."""
    batch = EscalationModel(BASELINE, n_worlds=20, seed=99).run()
    log = batch.event_log()
    for i in range(20):
        alone = EscalationModel(BASELINE, n_worlds=1, seed=99, first_world=i).run()
        pd.testing.assert_frame_equal(plain(log[log["world"] == i]), plain(alone.event_log()))
        for name, values in {**batch.daily_state, **batch.daily_counts}.items():
            source = alone.daily_state if name in alone.daily_state else alone.daily_counts
            np.testing.assert_array_equal(values[:, i], source[name][:, 0], err_msg=name)


def test_a_chunk_of_worlds_is_the_same_chunk_in_a_bigger_batch():
    scenario = shortened(120)
    whole = plain(EscalationModel(scenario, n_worlds=12, seed=5).run().event_log())
    chunk = plain(EscalationModel(scenario, n_worlds=4, seed=5, first_world=8).run().event_log())
    pd.testing.assert_frame_equal(whole[whole["world"] >= 8].reset_index(drop=True), chunk)


@pytest.mark.statistical
def test_batch_and_separate_runs_agree_in_distribution():
    """Mean militia attacks over 30 days: a 400-world batch and 400 one-world runs with other
    seeds agree within 4 Monte Carlo standard errors of their difference."""
    scenario = shortened(30)
    batch = EscalationModel(scenario, n_worlds=400, seed=2024).run()
    batched = batch.daily_counts["militia_attacks"].sum(axis=0).astype(float)
    single = np.array(
        [
            EscalationModel(scenario, n_worlds=1, seed=10_000 + s)
            .run()
            .daily_counts["militia_attacks"]
            .sum()
            for s in range(400)
        ],
        dtype=float,
    )
    se = np.sqrt(batched.var(ddof=1) / 400 + single.var(ddof=1) / 400)
    assert abs(batched.mean() - single.mean()) < 4 * se
    assert batched.mean() > 1.0  # the comparison is about something


# -- parameters per world ----------------------------------------------------------------------
def test_per_world_attack_rate():
    model = EscalationModel(
        shortened(120), n_worlds=2, seed=4, parameters={"militia_attack_rate": [0.0, 1.0]}
    ).run()
    attacks = model.daily_counts["militia_attacks"].sum(axis=0)
    assert attacks[0] == 0 and attacks[1] > 0
    log = model.event_log()
    assert not ((log["world"] == 0) & (log["actor"].astype(str) == "militia")).any()


@pytest.mark.parametrize(
    "name",
    list(PARAMETERS),
)
def test_every_parameter_accepts_a_per_world_array(name):
    """A per-world array holding the scalar's value in every world gives the scalar's run."""
    scenario = shortened(30)
    value = scenario.parameters[name]
    scalar = EscalationModel(scenario, n_worlds=4, seed=3, parameters={name: value}).run()
    array = EscalationModel(scenario, n_worlds=4, seed=3, parameters={name: [value] * 4}).run()
    assert (scalar.event_log()["actor"].astype(str) == "militia").any()
    pd.testing.assert_frame_equal(plain(scalar.event_log()), plain(array.event_log()))


@pytest.mark.parametrize(
    "parameters, fragments",
    [
        ({"militia_attack_rate": [0.1, 9.0]}, ["'militia_attack_rate'", "[0, 5]"]),
        ({"lethality": -0.1}, ["'lethality'", "[0, 0.5]"]),
        ({"deterrence": float("nan")}, ["'deterrence'", "valid range"]),
        ({"militia_attack_rate": [0.1, 0.2, 0.3]}, ["'militia_attack_rate'", "(3,)", "(2,)"]),
        ({"militia_attack_rate": [[0.1, 0.2]]}, ["'militia_attack_rate'", "shape"]),
        ({"bogus": 1.0}, ["unknown parameter 'bogus'"]),
    ],
)
def test_bad_parameters_raise_scenario_errors_naming_them(parameters, fragments):
    with pytest.raises(ScenarioError) as info:
        EscalationModel(shortened(3), n_worlds=2, seed=1, parameters=parameters)
    for fragment in fragments:
        assert fragment in str(info.value)


# -- invariants -----------------------------------------------------------------------------------


def parameter_values():
    return st.fixed_dictionaries({name: st.floats(p.low, p.high) for name, p in PARAMETERS.items()})


def airstrike_rounds_follow_provocations(log: pd.DataFrame) -> bool:
    """Each day of US airstrikes has a militia attack on personnel after the previous one."""
    actor = log["actor"].astype(str)
    provocations = log[(actor == "militia") & (log["location"].astype(str) != NO_PERSONNEL)]
    strikes = log[(actor == "US") & (log["event_type"].astype(str) == "airstrike")]
    for world, days in strikes.groupby("world")["day"]:
        crossed = provocations.loc[provocations["world"] == world, "day"].to_numpy()
        previous = -1
        for day in np.unique(days):
            if not np.any((crossed > previous) & (crossed < day)):
                return False
            previous = day
    return True


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parameters=parameter_values(), seed=st.integers(0, 2**32 - 1), days=st.integers(30, 60))
def test_invariants(parameters, seed, days):
    model = EscalationModel(shortened(days), n_worlds=12, seed=seed, parameters=parameters).run()
    for name, counts in model.daily_counts.items():
        assert counts.min() >= 0, name
    state = model.daily_state
    assert np.all((state["red_line_credibility"] >= 0) & (state["red_line_credibility"] <= 1))
    assert set(np.unique(state["ladder"])) <= set(range(7))
    for name in ("escalation_index", "iraqi_pressure", "militia_resolve"):
        assert state[name].min() >= 0, name
    log = model.event_log()
    for column in ("projectiles", "us_killed", "us_injured", "others_killed"):
        assert (log[column] >= 0).all()
    actor = log["actor"].astype(str)
    assert (log.loc[actor == "Israel", "attribution_confirmed"].astype(str) == "no").all()
    assert airstrike_rounds_follow_provocations(log)


def test_no_strike_before_the_first_provocation(ensemble):
    """Under the personnel red line, no world sees a US airstrike before (or on the day of)
    its first militia attack on a site with US personnel."""
    log = ensemble.event_log()
    actor = log["actor"].astype(str)
    personnel = log[(actor == "militia") & (log["location"].astype(str) != NO_PERSONNEL)]
    first_attack = personnel.groupby("world")["day"].min()
    strikes = log[(actor == "US") & (log["event_type"].astype(str) == "airstrike")]
    first_strike = strikes.groupby("world")["day"].min()
    assert len(first_strike) > 0
    for world, day in first_strike.items():
        assert world in first_attack.index and day > first_attack[world]
    assert airstrike_rounds_follow_provocations(log)


def test_killed_line_strikes_only_after_a_killing():
    model = EscalationModel("trump_red_line", n_worlds=200, seed=8).run()
    log = model.event_log()
    actor = log["actor"].astype(str)
    killings = log[(actor == "militia") & (log["us_killed"] > 0)].groupby("world")["day"].min()
    strikes = log[(actor == "US") & (log["event_type"].astype(str) == "airstrike")]
    first_strike = strikes.groupby("world")["day"].min()
    assert len(first_strike) > 0
    for world, day in first_strike.items():
        assert world in killings.index and day > killings[world]


def test_in_range_parameters_never_overflow_the_event_streams():
    parameters = {
        "militia_attack_rate": 4.3,
        "revenge_gain": 3.35,
        "fighters_per_site": 48.9,
    }
    EscalationModel(shortened(60), n_worlds=20, seed=0, parameters=parameters).run()


# -- what one simulated 2021 produces ---------------------------------------------------------
def test_a_simulated_2021_has_every_kind_of_event(ensemble):
    log = ensemble.event_log()
    actor = log["actor"].astype(str)
    etype = log["event_type"].astype(str)
    attacks = log[(actor == "militia") & etype.isin(ATTACK_TYPES)]
    assert set(attacks["event_type"].astype(str)) == set(ATTACK_TYPES)
    assert (attacks.groupby("world")["event_type"].nunique() >= 2).all()
    assert ((actor == "US") & (etype == "airstrike")).any()
    assert ensemble.daily_counts["us_strike_rounds"].sum() > 0
    assert ((actor == "US") & (etype == "return_fire")).any()
    assert ((actor == "Israel") & (etype == "airstrike")).any()
    assert ((actor == "Iraqi government") & (etype == "political_action")).any()
    assert (log["attribution_confirmed"].astype(str) == "yes").any()


def test_trump_red_line_means_fewer_strike_rounds():
    """Only a killing crosses the old line: far fewer rounds (300 worlds each, margin 5 SE)."""
    base = EscalationModel(BASELINE, n_worlds=300, seed=31, record_daily=True).run()
    trump = EscalationModel("trump_red_line", n_worlds=300, seed=31).run()
    b = base.daily_counts["us_strike_rounds"].sum(axis=0).astype(float)
    t = trump.daily_counts["us_strike_rounds"].sum(axis=0).astype(float)
    se = np.sqrt(b.var(ddof=1) / len(b) + t.var(ddof=1) / len(t))
    assert b.mean() - t.mean() > 5 * se
