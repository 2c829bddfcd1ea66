"""Tests of EscalationModel: Mesa wiring, event log, reproducibility, batching, invariants."""

import dataclasses
import datetime as dt
from types import MappingProxyType

import mesa
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalation.errors import ScenarioError
from escalation.events.counts import daily_counts
from escalation.events.schema import COLUMNS, MILITIA_ATTACKS, Actor, EventType
from escalation.model.agents import (
    GROUPS,
    MAX_DAILY_ATTACKS,
    Iran,
    IraqiGovernment,
    Israel,
    Militia,
    UnitedStates,
)
from escalation.model.model import COUNT_SERIES, STATE_VARIABLES, EscalationModel
from escalation.model.parameters import PARAMETERS
from escalation.model.policies import (
    PROPORTIONAL_MAX_SITES,
    RED_LINE_MAX_SITES,
    Disproportionate,
)
from escalation.model.scenario import Scenario, TimelineEntry
from escalation.model.streams import MAX_EVENTS
from tests.helpers import shortened

BASELINE = Scenario.load("baseline_2021")
ATTACK_TYPES = [t.value for t in MILITIA_ATTACKS]
#: The only site without US personnel (escalation.model.agents.SITES): attacks there cross no line.
NO_PERSONNEL = "logistics convoy"


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
    assert frame.shape == (365, len(STATE_VARIABLES))
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


@pytest.mark.slow
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


@pytest.mark.slow
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


#: A busy 120 days in which every parameter shows: frequent attacks with many drones, talks
#: alive throughout but fragile, a low US threshold, Israeli strikes, crackdowns and Baghdad
#: close to demanding withdrawal.
BUSY = shortened(
    120,
    BASELINE.with_policy(
        "Iran", "patronage", "restraint_while_talks", talks="alive"
    ).with_parameters(
        militia_attack_rate=1.0,
        drone_share=0.4,
        us_response_threshold=4.0,
        israel_strike_prob=0.5,
        unclaimed_dead_named=0.5,  # so that the blame of Israel's strikes reaches the militias
        talks_fragility=0.3,
        crackdown_rate=0.01,
        withdrawal_threshold=3.0,
        pressure_per_attack=0.1,
        us_iraq_share=0.5,
    ),
)
#: Values for parameters whose effect half and one and a half times the default hide.
SPREAD = {
    "lethality": (0.05, 0.15, 0.3),
    "grievance_halflife": (2.0, 10.0, 60.0),
    "talks_fragility": (0.02, 0.06, 0.2),
    "denial_credibility": (0.1, 0.5, 0.9),
    "us_iraq_share": (0.1, 0.5, 0.9),
    "us_presence": (0.2, 0.6, 1.0),
    "injury_prob": (0.05, 0.2, 0.5),
    "arrest_trigger_gain": (-5.0, 0.0, 5.0),
    "aim_to_miss": (0.0, 0.5, 1.0),
    "ied_report_2022": (0.2, 0.5, 1.0),
}


#: Parameters that act only through a timeline entry, with a busy window where one does.
def _from_day_60(parameter: str, factor: str) -> Scenario:
    """The busy window with ``parameter`` multiplied by the factor ``factor`` from day 60."""
    entry = TimelineEntry(
        BUSY.start + dt.timedelta(days=60), multiply=MappingProxyType({parameter: factor})
    )
    return dataclasses.replace(BUSY, timeline=(entry,))


#: Factors read only through a timeline entry, with the busy window carrying one.
BY_TIMELINE = {
    "post_agreement_rate": _from_day_60("militia_attack_rate", "post_agreement_rate"),
    "post_agreement_non_ied": _from_day_60("non_ied_factor", "post_agreement_non_ied"),
    "ied_report_2022": _from_day_60("ied_report_prob", "ied_report_2022"),
}

#: Parameters of a policy other than the baseline's, with the busy window under that policy:
#: linear revenge, and the US ground interdiction (which acts only while US forces hold the
#: crossing).
BY_POLICY = {
    **dict.fromkeys(
        ("revenge_gain", "revenge_halflife"), BUSY.with_policy("militia", "reprisal", "revenge")
    ),
    **dict.fromkeys(
        ("interdiction_transfer_cut", "interdiction_clash_factor"),
        BUSY.with_policy("US", "interdiction", "border_interdiction"),
    ),
    # Attacks aim to miss only under a line drawn at harm.
    "aim_to_miss": BUSY.with_policy("US", "retaliation", "red_line", line="injury"),
}


def three_values(name: str) -> tuple[float, float, float]:
    """Three distinct in-range values of a parameter, one per world."""
    if name in SPREAD:
        return SPREAD[name]
    declared, default = PARAMETERS[name], BUSY.parameters[name]
    if default == 0:
        return tuple(declared.low + f * (declared.high - declared.low) for f in (0.1, 0.2, 0.3))
    return (0.5 * default, default, min(1.5 * default, declared.high))


def world_record(model: EscalationModel, world: int) -> tuple:
    """Everything one world of a run produced: its events and its daily state and counts."""
    log = plain(model.event_log())
    events = log[log["world"] == world + model.first_world].drop(columns=["world"])
    column = world if model.n_worlds > 1 else 0
    daily = {
        k: v[:, column].tobytes() for k, v in {**model.daily_state, **model.daily_counts}.items()
    }
    return events.reset_index(drop=True).to_csv(), daily


@pytest.mark.slow
@pytest.mark.parametrize("name", list(PARAMETERS))
def test_every_parameter_reaches_each_world_its_own_value(name):
    """Three worlds, three values: world i of the batch is the one-world run of world i with
    value i, and some world would have run otherwise with another world's value (so a value
    sent to the wrong world shows)."""
    values = three_values(name)
    assert len(set(values)) == 3
    busy = BY_TIMELINE.get(name) or BY_POLICY.get(name, BUSY)
    batch = EscalationModel(busy, n_worlds=3, seed=3, parameters={name: list(values)}).run()
    matters = False
    for i, value in enumerate(values):
        alone = EscalationModel(busy, seed=3, first_world=i, parameters={name: value}).run()
        assert world_record(batch, i) == world_record(alone, 0), f"world {i}"
        if not matters:
            other = values[(i + 1) % 3]
            swapped = EscalationModel(busy, seed=3, first_world=i, parameters={name: other}).run()
            matters = world_record(swapped, 0) != world_record(alone, 0)
    assert matters, f"{name} changes nothing in the busy window: the test would be vacuous"


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


def test_the_most_events_a_world_can_have_in_a_day_fit_its_event_draws():
    """Attacks capped per group, the largest strike round any policy option allows, and one
    Israeli strike: never more events than the streams hold per world and day."""
    largest_round = max(
        RED_LINE_MAX_SITES, PROPORTIONAL_MAX_SITES, Disproportionate.options["sites"].high
    )
    assert len(GROUPS) * MAX_DAILY_ATTACKS + largest_round + 1 <= MAX_EVENTS


def test_the_daily_attack_cap_is_never_reached_at_the_calibrated_rates():
    model = EscalationModel(BASELINE, n_worlds=200, seed=17, record_daily=True).run()
    assert model.daily_counts["militia_attacks"].max() < MAX_DAILY_ATTACKS
    np.testing.assert_array_equal(model.truncated_attack_days, 0)


def test_truncations_of_the_daily_attacks_are_counted_at_extreme_parameters():
    """At extreme in-range rates revenge runs away and the cap binds: each truncation is a
    group-day at the cap, so a world's truncations never exceed its days at the cap times the
    number of groups."""
    parameters = {"militia_attack_rate": 4.3, "revenge_gain": 3.35, "fighters_per_site": 48.9}
    runaway = shortened(60).with_policy("militia", "reprisal", "revenge")  # linear, unbounded
    model = EscalationModel(runaway, n_worlds=20, seed=0, parameters=parameters).run()
    truncated = model.truncated_attack_days
    assert truncated.sum() > 0
    attacks = model.daily_counts["militia_attacks"]
    assert attacks.max() <= len(GROUPS) * MAX_DAILY_ATTACKS
    days_at_cap = (attacks >= MAX_DAILY_ATTACKS).sum(axis=0)
    assert np.all(truncated <= len(GROUPS) * days_at_cap)


# -- red-line credibility, as militias read it ----------------------------------------------------
def _first_day(line: str, answered: float, unanswered: float) -> EscalationModel:
    """1 January 2021 (no talks, no revenge, no crackdown, full presence) under a red line at
    ``line`` with clarity 0.8, the militias' belief set to Beta(answered, unanswered)."""
    scenario = BASELINE.with_policy("US", "retaliation", "red_line", line=line, clarity=0.8)
    model = EscalationModel(
        scenario,
        seed=1,
        militia_attack_rate=0.5,
        deterrence=0.5,
        aim_to_miss=0.6,
        injury_prob=0.2,
        lethality=0.01,
    )
    model.us.memory.answered[:] = answered
    model.us.memory.unanswered[:] = unanswered
    model.step()
    return model


def test_a_line_at_personnel_lowers_attack_rates_by_credibility_times_clarity():
    """Each group's rate is base x share x (1 - deterrence x credibility x clarity). With base
    0.5, deterrence 0.5, belief Beta(1, 1) (credibility 0.5), clarity 0.8: Kata'ib Hezbollah
    (share 0.6) attacks at 0.6 x 0.5 x 0.8 a day; attacks do not aim to miss."""
    model = _first_day("personnel", 1.0, 1.0)
    expected = 0.5 * (1.0 - 0.5 * 0.5 * 0.8)
    assert model.militias[0].rate[0] == pytest.approx(0.6 * expected, rel=1e-12)
    assert model.militias[1].rate[0] == pytest.approx(0.4 * expected, rel=1e-12)
    np.testing.assert_array_equal(model.militias[0].harm, 1.0)


@pytest.mark.parametrize("line", ["injury", "killed"])
def test_a_line_at_harm_leaves_rates_alone_and_makes_attacks_aim_to_miss(line):
    """Under a line at injury or killing the rate is not deterred (0.6 x 0.5 for Kata'ib
    Hezbollah), and the chance that an attack on personnel harms is multiplied by
    1 - aim_to_miss x credibility x clarity = 1 - 0.6 x 0.75 x 0.8 (belief Beta(3, 1))."""
    model = _first_day(line, 3.0, 1.0)
    assert model.militias[0].rate[0] == pytest.approx(0.6 * 0.5, rel=1e-12)
    harm = 1.0 - 0.6 * 0.75 * 0.8
    np.testing.assert_allclose(model.militias[0].harm, harm)
    site = 0  # Ain al-Asad: US personnel
    np.testing.assert_allclose(model.militias[0].exposure(site, np.arange(1)), harm)


@pytest.mark.parametrize("factor", [1.0, 0.25, 3.0])
def test_the_non_ied_factor_scales_every_attack_but_the_convoy_ied(factor):
    """Each weapon's intensity on 1 January is rate x P(weapon): by hand, Kata'ib Hezbollah's
    rate 0.6 x 0.5 = 0.3 (a line at injury does not deter the rate) times the default shares
    (drone 0.15; of the rest, IED 0.45; of the rest again, other 0.03) gives rocket
    0.3 x 0.85 x 0.55 x 0.97, drone 0.3 x 0.15, IED 0.3 x 0.85 x 0.45 and other
    0.3 x 0.85 x 0.55 x 0.03; non_ied_factor multiplies all but the IED. Drones untilted
    (caution 0) and one theatre, so nothing else moves the mix."""
    scenario = BASELINE.with_policy("US", "retaliation", "red_line", line="injury").with_policy(
        "militia", "geography", "one_theatre"
    )
    model = EscalationModel(
        scenario, seed=1, militia_attack_rate=0.5, caution=0.0, non_ied_factor=factor
    )
    model.step()
    group = model.militias[0]
    expected = 0.3 * np.array(
        [0.85 * 0.55 * 0.97 * factor, 0.15 * factor, 0.85 * 0.45, 0.85 * 0.55 * 0.03 * factor]
    )
    np.testing.assert_allclose(group.rate[0] * group.attack_mix[0], expected, rtol=1e-12)
    assert group.rate[0] == pytest.approx(expected.sum(), rel=1e-12)


def test_no_retaliation_starts_with_little_credit_and_the_trump_line_with_its_record():
    """Day one's red_line_credibility is the policy's prior mean: 0.05 for a line never
    enforced, 0.75 for the Trump line (2 of 2 killings answered), 0.5 for the 2021 line."""
    for name, prior in (("no_retaliation", 0.05), ("trump_red_line", 0.75), ("baseline_2021", 0.5)):
        model = EscalationModel(Scenario.load(name), n_worlds=3, seed=2)
        np.testing.assert_allclose(model.us.memory.credibility, prior)


# -- what Mesa's SolaraViz needs ------------------------------------------------------------------
SOLARA_PARAMS = {
    "scenario": "trump_red_line",
    "n_worlds": 1,
    "seed": 5,
    "militia_attack_rate": 0.4,
    "deterrence": 0.5,
}


def test_the_model_is_re_created_from_flat_keywords_as_solaraviz_does():
    """SolaraViz builds the model as ``model.__class__(**model_params)``; finding no Mesa
    scenario on it (``model.scenario`` is None), its reset passes the keywords unchanged."""
    first = EscalationModel(**SOLARA_PARAMS)
    assert first.scenario is None
    again = first.__class__(**SOLARA_PARAMS)
    for model in (first, again):
        for _ in range(40):
            model.step()
    assert again.spec.name == "trump_red_line"
    assert again.p.militia_attack_rate == 0.4 and again.p.deterrence == 0.5
    pd.testing.assert_frame_equal(plain(first.event_log()), plain(again.event_log()))


def test_solaraviz_reset_keeps_the_chosen_scenario_and_sliders():
    """Mesa's own reset code (Mesa 3.5 with solara installed): the keywords it rebuilds the
    model from are the model parameters, the scenario the user chose among them."""
    solara_viz = pytest.importorskip("mesa.visualization.solara_viz")
    model = EscalationModel(**SOLARA_PARAMS)
    if hasattr(solara_viz, "_build_model_init_kwargs"):  # Mesa 3.5: scenarios of its own
        solara_viz._check_model_params(model, SOLARA_PARAMS)
        kwargs = solara_viz._build_model_init_kwargs(
            model, SOLARA_PARAMS, add_scenario_when_empty=True, require_model_accepts_scenario=True
        )
    else:  # Mesa 3.3 checks the constructor against the sliders and passes them back as they are
        solara_viz._check_model_params(type(model).__init__, SOLARA_PARAMS)
        kwargs = dict(SOLARA_PARAMS)
    assert kwargs == SOLARA_PARAMS
    again = type(model)(**kwargs)
    again.step()
    assert again.spec.name == "trump_red_line" and again.p.militia_attack_rate == 0.4


def test_a_mesa_scenario_stands_for_the_baseline_with_its_parameters():
    scenarios = pytest.importorskip("mesa.experimental.scenarios", reason="Mesa < 3.5")
    model = EscalationModel(scenario=scenarios.Scenario(militia_attack_rate=0.7), seed=2)
    assert model.spec.name == "baseline_2021" and model.p.militia_attack_rate == 0.7
    model.step()


def test_flat_keywords_are_checked_like_any_parameter():
    with pytest.raises(ScenarioError, match=r"'militia_attack_rate'.*\[0, 5\]"):
        EscalationModel(shortened(3), seed=1, militia_attack_rate=9.0)
    with pytest.raises(ScenarioError, match="unknown parameter 'bogus'"):
        EscalationModel(shortened(3), seed=1, bogus=1.0)
    with pytest.raises(ScenarioError, match="'deterrence' is given twice"):
        EscalationModel(shortened(3), seed=1, parameters={"deterrence": 0.1}, deterrence=0.2)
    with pytest.raises(ScenarioError, match="expected a Scenario"):
        EscalationModel(scenario=3.5)


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


@pytest.mark.statistical
def test_trump_red_line_means_fewer_strike_rounds():
    """Only a killing crosses the old line: far fewer rounds (300 worlds each, margin 5 SE)."""
    base = EscalationModel(BASELINE, n_worlds=300, seed=31, record_daily=True).run()
    trump = EscalationModel("trump_red_line", n_worlds=300, seed=31).run()
    b = base.daily_counts["us_strike_rounds"].sum(axis=0).astype(float)
    t = trump.daily_counts["us_strike_rounds"].sum(axis=0).astype(float)
    se = np.sqrt(b.var(ddof=1) / len(b) + t.var(ddof=1) / len(t))
    assert b.mean() - t.mean() > 5 * se
