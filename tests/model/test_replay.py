"""Replay: observed rows become the day records the agents consume, and the agents act on them.

Hand-made tiny histories; every expectation is read off the rules stated in
``escalation/model/replay.py`` (groups matched by name, sites by
``escalation/model/sites.py`` as tests/model/test_sites.py checks, arrests as crackdowns,
Israeli and unattributed strikes together) and worked out by hand below. forecast() relies
on this replay (tests/test_forecasting.py).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from escalation.events.io import load_events, validate_events
from escalation.events.schema import COLUMNS, EVENT_TYPES, EventType
from escalation.model.agents import GROUPS, SITES
from escalation.model.model import EscalationModel
from escalation.model.parameters import PARAMETERS
from escalation.model.policies import halflife_factor
from escalation.model.replay import (
    NO_GROUP,
    ObservedDays,
    acknowledged_losses,
    group_index,
    named_group,
)
from escalation.model.scenario import Scenario

START = pd.Timestamp("2021-03-01")
#: Day 0 of the histories replayed into the ``baseline_to_february`` scenario (its first day).
JANUARY = pd.Timestamp("2021-01-01")
SITE = {site.name: i for i, site in enumerate(SITES)}
KH, KSS = 0, 1
ROCKET, DRONE, IED, INTERCEPTED = (
    EVENT_TYPES.index(t)
    for t in (
        EventType.ROCKET_ATTACK,
        EventType.DRONE_ATTACK,
        EventType.IED_ATTACK,
        EventType.INTERCEPTION_ONLY,
    )
)


def row(
    day,
    actor,
    event_type,
    *,
    start=START,
    group="",
    target="",
    country="Iraq",
    location="",
    **extra,
):
    """One canonical row ``day`` days after ``start``; counts default to unknown (empty)."""
    record = dict.fromkeys(COLUMNS, "")
    record.update(
        date=(start + pd.Timedelta(days=day)).strftime("%Y-%m-%d"),
        actor=actor,
        event_type=event_type,
        group=group,
        target=target,
        country=country,
        location=location or "somewhere",
        source="test fixture",
    )
    record.update({k: str(v) for k, v in extra.items()})
    return record


#: Four observed days (day 0 = 1 March 2021), with a row before and one after the window.
HISTORY = validate_events(
    pd.DataFrame(
        [
            row(-1, "militia", "rocket_attack", location="Ain al-Asad"),  # before the window
            # day 0: two attacks on personnel, one not an attack, nothing else
            row(0, "militia", "rocket_attack", group="Kata'ib Hezbollah",
                location="Ain al-Asad", target="US forces", us_injured=2, us_killed=0),
            row(0, "militia", "drone_attack", group="Qasim al-Jabbarin",
                location="Erbil airport", target="coalition forces", us_killed=1),
            row(0, "militia", "political_action", group="Kata'ib Hezbollah",
                location="Baghdad", target="statement"),
            # day 1: a US round of two sites (Iraq and Syria), return fire, two other strikes
            row(1, "US", "airstrike", group="Kata'ib Hezbollah", target="KH facilities",
                location="al-Qa'im", others_killed=3),
            row(1, "US", "airstrike", group="Kata'ib Sayyid al-Shuhada", target="KSS depot",
                country="Syria", location="Albu Kamal"),
            row(1, "US", "return_fire", country="Syria", location="al-Mayadin"),
            row(1, "Israel", "airstrike", group="Kata'ib Sayyid al-Shuhada",
                country="Syria", location="Albu Kamal", others_killed=2),
            row(1, "unknown", "airstrike", country="Syria", location="al-Bukamal"),
            # day 2: an arrest (a crackdown) and a condemnation (not one)
            row(2, "Iraqi government", "political_action", target="militia members",
                location="Baghdad", notes="Security forces arrest KH members"),
            row(2, "Iraqi government", "political_action", target="US strikes",
                location="Baghdad", notes="Condemns the strikes"),
            # day 3: a raid named in the target; a convoy IED; an intercepted drone
            row(3, "Iraqi government", "political_action", target="Raid on a militia HQ",
                location="Baghdad"),
            row(3, "militia", "ied_attack", target="coalition logistics convoy",
                location="Diwaniyah province"),
            row(3, "militia", "interception_only", group="Kata'ib Sayyid al-Shuhada",
                location="Baghdad", target="Camp Victory"),
            row(4, "militia", "rocket_attack", location="Ain al-Asad"),  # after the window
        ]
    )
)  # fmt: skip
DAYS = 4


@pytest.fixture(scope="module")
def observed():
    return ObservedDays.from_events(HISTORY, START, DAYS)


# ----- names to groups --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("group", "modelled"),
    [
        ("Kata'ib Hezbollah", "Kata'ib Hezbollah"),
        ("Saraya Awliya al-Dam", "Kata'ib Hezbollah"),
        ("Kata'ib Sayyid al-Shuhada", "Kata'ib Sayyid al-Shuhada"),
        ("kataib sayyid al-shuhada (KSS)", "Kata'ib Sayyid al-Shuhada"),  # spelling varies
        ("Qasim al-Jabbarin", "Kata'ib Sayyid al-Shuhada"),  # a KSS front
        ("Harakat Hezbollah al-Nujaba", "Kata'ib Hezbollah"),  # unmodelled: the larger group
        ("", "Kata'ib Hezbollah"),
    ],
)
def test_an_observed_group_maps_to_its_modelled_militia(group, modelled):
    assert GROUPS[group_index(group)].name == modelled


# ----- the day records -----------------------------------------------------------------------


def test_the_window_holds_one_record_per_day_and_drops_rows_outside(observed):
    assert len(observed) == DAYS
    attacks = [sum(len(observed[d].attacks[g]["site"]) for g in (KH, KSS)) for d in range(DAYS)]
    # day 0: rocket and drone (the statement is no attack); day 3: IED and interception
    assert attacks == [2, 0, 0, 2]


def test_attacks_keep_site_type_and_casualties_per_group(observed):
    day0 = observed[0].attacks
    np.testing.assert_array_equal(day0[KH]["site"], [SITE["Ain al-Asad air base"]])
    np.testing.assert_array_equal(day0[KH]["etype"], [ROCKET])
    np.testing.assert_array_equal(day0[KH]["injured"], [2])
    np.testing.assert_array_equal(day0[KH]["killed"], [0])
    np.testing.assert_array_equal(day0[KSS]["site"], [SITE["Erbil airport"]])
    np.testing.assert_array_equal(day0[KSS]["etype"], [DRONE])
    np.testing.assert_array_equal(day0[KSS]["killed"], [1])
    np.testing.assert_array_equal(day0[KSS]["injured"], [0])  # unknown counts as none
    day3 = observed[3].attacks
    np.testing.assert_array_equal(day3[KH]["site"], [SITE["logistics convoy"]])  # no group: KH
    np.testing.assert_array_equal(day3[KH]["etype"], [IED])
    np.testing.assert_array_equal(day3[KSS]["site"], [SITE["Baghdad airport"]])
    np.testing.assert_array_equal(day3[KSS]["etype"], [INTERCEPTED])


def test_us_strikes_are_sites_by_group_and_country_and_return_fire_is_not_one(observed):
    strikes = observed[1].us_strikes
    np.testing.assert_array_equal(strikes["group"], [KH, KSS])
    np.testing.assert_array_equal(strikes["in_iraq"], [True, False])
    np.testing.assert_array_equal(strikes["killed"], [3, 0])  # the fighters killed
    for day in (0, 2, 3):
        assert len(observed[day].us_strikes["group"]) == 0


def test_israeli_and_unattributed_strikes_are_replayed_together(observed):
    strikes = observed[1].israeli_strikes
    np.testing.assert_array_equal(strikes["group"], [KSS, KH])  # unnamed: the larger group
    np.testing.assert_array_equal(strikes["killed"], [2, 0])
    assert all(len(observed[d].israeli_strikes["group"]) == 0 for d in (0, 2, 3))


def test_arrests_and_raids_are_crackdowns_and_condemnations_are_not(observed):
    # day 2: "arrest" in the notes; day 3: "Raid" in the target; day 2's condemnation alone
    # would not count, nor would a militia's political action (day 0).
    assert [observed[d].crackdown for d in range(DAYS)] == [False, False, True, True]
    condemnation = HISTORY[HISTORY["notes"] == "Condemns the strikes"]
    assert not ObservedDays.from_events(condemnation, START, DAYS)[2].crackdown


# ----- the agents on replayed days ----------------------------------------------------------


@pytest.fixture(scope="module")
def scenario():
    return dataclasses.replace(
        Scenario.load("baseline_2021"),
        start=START.date(),
        end=(START + pd.Timedelta(days=9)).date(),
        posterior=None,
    )


def replayed_model(scenario, history, days):
    """A model of three worlds stepped through ``days`` replayed days."""
    model = EscalationModel(scenario, n_worlds=3, seed=5, history=history, replay_days=days)
    for _ in range(days):
        model.step()
    return model


def test_every_world_records_the_observed_counts_on_replayed_days(scenario):
    counts = replayed_model(scenario, HISTORY, DAYS).daily_counts
    expected = {
        "militia_attacks": [2, 0, 0, 2],
        "rocket_attack": [1, 0, 0, 0],
        "drone_attack": [1, 0, 0, 0],
        "ied_attack": [0, 0, 0, 1],
        "interception_only": [0, 0, 0, 1],
        "us_killed": [1, 0, 0, 0],
        "us_injured": [2, 0, 0, 0],
        "us_strike_rounds": [0, 1, 0, 0],
        "us_strike_sites": [0, 2, 0, 0],
        "israeli_strikes": [0, 1, 0, 0],  # one Israeli strike; unknown aircraft are not Israel
    }
    for name, per_day in expected.items():
        np.testing.assert_array_equal(
            counts[name][:DAYS], np.repeat(np.array(per_day)[:, None], 3, axis=1), err_msg=name
        )


def test_baghdads_pressure_and_crackdown_follow_the_replayed_days(scenario):
    p = scenario.parameters
    decay = float(halflife_factor(p["pressure_halflife"]))
    # Day 0: two attacks in Iraq; day 1: one US site in Iraq, no attack.
    model = replayed_model(scenario, HISTORY, 2)
    expected = 2 * p["pressure_per_attack"] * decay + p["pressure_per_strike"]
    np.testing.assert_allclose(model.iraq.pressure, expected)
    # The day-2 arrest starts a 30-day crackdown; the day-3 raid falls inside it.
    model = replayed_model(scenario, HISTORY, 3)
    np.testing.assert_array_equal(model.iraq.crackdown_days, 30)
    model.step()
    np.testing.assert_array_equal(model.iraq.crackdown_days, 29)


def test_an_empty_history_replays_quiet_days_that_leave_every_memory_as_it_started(scenario):
    empty = HISTORY.iloc[:0]
    model = replayed_model(scenario, empty, 6)
    fresh = EscalationModel(scenario, n_worlds=3, seed=5)
    np.testing.assert_array_equal(model.iraq.pressure, fresh.iraq.pressure)
    np.testing.assert_array_equal(model.us.memory.credibility, fresh.us.memory.credibility)
    np.testing.assert_array_equal(model.us.memory.grievance, fresh.us.memory.grievance)
    for replayed, new in zip(model.militias, fresh.militias, strict=True):
        np.testing.assert_array_equal(replayed.revenge, new.revenge)
    for counts in model.daily_counts.values():
        assert not counts[:6].any()
    assert model.event_log().empty


def test_replay_covers_the_first_replay_days_within_the_window(scenario):
    """Rows from day ``replay_days`` on are not replayed, and replay stops at the window's end."""
    model = EscalationModel(scenario, n_worlds=3, seed=5, history=HISTORY, replay_days=2)
    assert len(model.observed) == 2
    assert model.observed[1].us_strikes["group"].tolist() == [KH, KSS]
    long = EscalationModel(scenario, n_worlds=3, seed=5, history=HISTORY, replay_days=50)
    assert len(long.observed) == scenario.days == 10


def test_a_replayed_israeli_wave_counts_one_strike_like_a_simulated_one(scenario):
    """The 13 January 2021 wave on three sites is one strike, as the model writes one a day."""
    wave = validate_events(
        pd.DataFrame(
            [row(1, "Israel", "airstrike", country="Syria", location=place)
             for place in ("Deir ez-Zor", "Albu Kamal desert", "al-Mayadin desert")]
        )
    )  # fmt: skip
    counts = replayed_model(scenario, wave, 3).daily_counts["israeli_strikes"]
    np.testing.assert_array_equal(counts[:3], np.repeat([[0], [1], [0]], 3, axis=1))


def test_losses_in_the_history_become_revenge(baseline_to_february):
    """Under linear revenge the stock is the fighters killed, decaying."""
    linear = baseline_to_february.with_policy("militia", "reprisal", "revenge")
    history = validate_events(
        pd.DataFrame(
            [
                row(4, "US", "airstrike", start=JANUARY, group="Kata'ib Sayyid al-Shuhada",
                    target="KSS facilities", country="Syria", location="Albu Kamal",
                    others_killed=10),
            ]
        )
    )  # fmt: skip
    model = EscalationModel(linear, n_worlds=3, seed=1, history=history, replay_days=5)
    for _ in range(6):
        model.step()
    # Day 4 (5 January) is the strike; on day 5 the militia folds in the losses: 0 * decay + 10.
    np.testing.assert_allclose(model.militias[1].revenge, 10.0)
    np.testing.assert_allclose(model.militias[0].revenge, 0.0)
    model.step()
    decay = halflife_factor(baseline_to_february.parameters["revenge_halflife"])
    np.testing.assert_allclose(model.militias[1].revenge, 10.0 * decay)


def test_replayed_crossings_and_strikes_update_the_militias_belief(baseline_to_february):
    """Rockets on Ain al-Asad on days 1-3 wait for an answer; replayed to day 16, the crossings of
    days 1 and 2 have gone unanswered for 14 days (ANSWER_WINDOW_DAYS): Beta(2, 2) -> Beta(2, 4).
    With a strike round on day 5, all three are answered: Beta(3, 2), and nothing counts later."""
    strength = PARAMETERS["belief_prior_strength"].default
    a0 = b0 = strength / 2  # the 2021 line's prior mean is 0.5
    rows = [
        row(day, "militia", "rocket_attack", start=JANUARY, target="US forces",
            location="Ain al-Asad air base")
        for day in (1, 2, 3)
    ]  # fmt: skip
    history = validate_events(pd.DataFrame(rows))
    model = EscalationModel(
        baseline_to_february, n_worlds=2, seed=1, history=history, replay_days=17
    )
    for _ in range(17):
        model.step()
    np.testing.assert_allclose(model.us.memory.unanswered, b0 + 2)
    np.testing.assert_allclose(model.us.memory.credibility, a0 / (a0 + b0 + 2))
    rows.append(
        row(5, "US", "airstrike", start=JANUARY, group="Kata'ib Hezbollah",
            target="KH facilities", location="al-Qa'im", others_killed=1)
    )  # fmt: skip
    history = validate_events(pd.DataFrame(rows))
    model = EscalationModel(
        baseline_to_february, n_worlds=2, seed=1, history=history, replay_days=20
    )
    for _ in range(20):
        model.step()
    np.testing.assert_allclose(model.us.memory.answered, a0 + 1)
    np.testing.assert_allclose(model.us.memory.unanswered, b0)
    np.testing.assert_allclose(model.us.memory.credibility, (a0 + 1) / (a0 + b0 + 1))
    np.testing.assert_allclose(model.us.memory.grievance, 0.0)
    # The strike on Iraqi soil raised Baghdad's pressure by pressure_per_strike (decayed from
    # day 5 to day 19).
    pressure_decay = halflife_factor(baseline_to_february.parameters["pressure_halflife"])
    assert (
        model.iraq.pressure[0]
        >= baseline_to_february.parameters["pressure_per_strike"] * pressure_decay**14
    )


def test_replayed_days_leave_no_simulated_events(baseline_to_february):
    history = load_events()
    model = EscalationModel(
        baseline_to_february, n_worlds=4, seed=3, history=history, replay_days=31
    ).run()
    log = model.event_log()
    assert log["date"].min() >= pd.Timestamp("2021-02-01")


def test_an_attack_on_the_iraqi_prime_minister_is_not_replayed_as_a_crossing(scenario):
    """The 7 November 2021 drones on PM al-Kadhimi's residence (in the Green Zone, like the US
    embassy) are outside the model: no attack is replayed, no red line crossed."""
    history = validate_events(
        pd.DataFrame(
            [
                row(0, "militia", "drone_attack",
                    target="Iraqi PM Kadhimi's residence (Green Zone)",
                    location="Baghdad Green Zone (PM residence)", us_killed=0, us_injured=0,
                    others_killed=0),
            ]
        )
    )  # fmt: skip
    observed = ObservedDays.from_events(history, START, 1)
    assert all(len(observed[0].attacks[g]["site"]) == 0 for g in range(len(GROUPS)))
    model = replayed_model(scenario, history, 2)
    assert not model.us.memory.waiting.any()  # no crossing awaits an answer
    np.testing.assert_array_equal(model.daily_counts["militia_attacks"][:2], 0)


def test_the_2021_record_replays_no_attack_on_7_november(baseline_to_february):
    events = load_events()
    day = (pd.Timestamp("2021-11-07") - JANUARY).days
    observed = ObservedDays.from_events(events, JANUARY, day + 1)
    assert all(len(observed[day].attacks[g]["site"]) == 0 for g in range(len(GROUPS)))


# ----- whose dead feed revenge -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("group", "named"),
    [
        ("Kata'ib Hezbollah", KH),
        ("Kataib Hezbollah", KH),  # spelling varies
        ("Ashab al-Kahf", KH),  # a KH front
        ("IRGC Quds Force; Kata'ib Hezbollah / PMF", KH),
        ("Kata'ib Hezbollah; Kata'ib Sayyid al-Shuhada", KSS),
        ("Qasim al-Jabbarin", KSS),
        ("IRGC-affiliated groups (Fatemiyoun)", NO_GROUP),
        ("Harakat Hezbollah al-Nujaba", NO_GROUP),
        ("", NO_GROUP),
    ],
)
def test_a_strike_names_the_group_whose_fighters_died_or_none(group, named):
    assert named_group(group) == named


def test_only_a_named_groups_dead_under_a_blamed_strike_are_acknowledged_losses():
    strikes = validate_events(
        pd.DataFrame(
            [
                row(0, "US", "airstrike", group="Kata'ib Sayyid al-Shuhada", others_killed=4),
                row(0, "Israel", "airstrike", group="Kata'ib Hezbollah", others_killed=3),
                # unknown aircraft: nobody is blamed
                row(0, "unknown", "airstrike", group="Kata'ib Hezbollah", others_killed=12),
                # Syrian soldiers and unnamed fighters (13 January 2021, Deir ez-Zor)
                row(0, "Israel", "airstrike", target="Syrian army 137th brigade positions",
                    others_killed=16),
                row(0, "US", "airstrike", group="IRGC-affiliated groups (Fatemiyoun)",
                    others_killed=5),
                row(0, "US", "airstrike", group="Kata'ib Hezbollah"),  # toll unknown
                row(0, "militia", "rocket_attack", group="Kata'ib Hezbollah", others_killed=1),
            ]
        )
    )  # fmt: skip
    np.testing.assert_array_equal(acknowledged_losses(strikes), [4, 3, 0, 0, 0, 0, 0])


def test_the_january_2021_strikes_feed_no_revenge(baseline_to_february):
    """Unknown aircraft (12 January) and the 13 January wave on Syrian soldiers and fighters of
    no named group: no group acknowledged these dead, so no revenge follows."""
    days = (pd.Timestamp("2021-01-20") - JANUARY).days
    model = EscalationModel(
        baseline_to_february, n_worlds=2, seed=1, history=load_events(), replay_days=days
    )
    for _ in range(days):
        model.step()
    for militia in model.militias:
        np.testing.assert_array_equal(militia.revenge, 0.0)


def test_an_israeli_strike_on_a_named_group_feeds_revenge_as_far_as_it_blames_the_us(
    baseline_to_february,
):
    p = baseline_to_february.parameters
    linear = baseline_to_february.with_policy("militia", "reprisal", "revenge")
    belief = p["blame_us_share"] * (1 - p["denial_credibility"])
    for actor, expected in (("Israel", 10 * belief), ("unknown", 0.0)):
        history = validate_events(
            pd.DataFrame(
                [row(2, actor, "airstrike", start=JANUARY, group="Kata'ib Sayyid al-Shuhada",
                     country="Syria", location="Albu Kamal", others_killed=10)]
            )
        )  # fmt: skip
        model = EscalationModel(linear, n_worlds=2, seed=1, history=history, replay_days=4)
        for _ in range(4):  # the strike on day 2 is folded into revenge on day 3
            model.step()
        np.testing.assert_allclose(model.militias[KSS].revenge, expected, err_msg=actor)
        np.testing.assert_array_equal(model.militias[KH].revenge, 0.0)


def test_the_5_january_2020_vote_to_expel_us_forces_is_a_withdrawal_demand():
    """The one demand in the records: parliament's resolution to "end the presence of foreign
    troops"; nothing Baghdad did in 2021 is one."""
    winter = load_events("2019_2020")
    start = pd.Timestamp("2019-12-27")
    observed = ObservedDays.from_events(winter, start, 96)
    demands = [start + pd.Timedelta(days=d) for d in range(96) if observed[d].withdrawal_demand]
    assert demands == [pd.Timestamp("2020-01-05")]
    year = ObservedDays.from_events(load_events(), JANUARY, 365)
    assert not any(year[d].withdrawal_demand for d in range(365))


#: An American killed at Ain al-Asad on 1 January 2021: a crossing every red line answers.
KILLING_ON_JANUARY_FIRST = validate_events(
    pd.DataFrame(
        [row(0, "militia", "rocket_attack", start=JANUARY, target="US forces",
             location="Ain al-Asad air base", us_killed=1)]
    )
)  # fmt: skip


def assert_shares_within_5_sigma(observed: np.ndarray, expected: np.ndarray, n: int) -> None:
    """Shares of ``n`` worlds against their chances, each within 5 binomial standard errors."""
    tolerance = 5 * np.sqrt(expected * (1 - expected) / n)
    np.testing.assert_array_less(np.abs(observed - expected), tolerance)


@pytest.mark.statistical
def test_a_round_ordered_before_the_origin_is_carried_into_the_forecast(baseline_to_february):
    """An American killed on 1 January is always answered (the red line's rule): replaying that
    day alone leaves every world's round pending, due after 1 + Poisson(us_lag_mean - 1) days.
    The first simulated strikes must fall on those days, from 2 January on; a forecast that
    dropped the order book would strike on 2 January nowhere, and only after a new order."""
    n, lag = 20_000, 3.0
    model = EscalationModel(
        baseline_to_february,
        n_worlds=n,
        seed=3,
        history=KILLING_ON_JANUARY_FIRST,
        replay_days=1,
        parameters={"us_lag_mean": lag},
    )
    for _ in range(8):
        model.step()
    rounds = model.daily_counts["us_strike_rounds"][1:8]  # 2-8 January
    struck = rounds.any(axis=0)
    first = np.where(struck, rounds.argmax(axis=0) + 1, 0)  # delay in days, 0: not yet
    expected = stats.poisson.pmf(np.arange(7), lag - 1.0)  # P(delay = 1 .. 7)
    observed = np.bincount(first[struck], minlength=8)[1:8] / n
    assert_shares_within_5_sigma(observed, expected, n)


@pytest.mark.statistical
def test_a_carried_round_keeps_the_size_it_was_ordered_at():
    """Under the line at "an American killed", a killing is answered by a five-site round
    (KILLING_ROUND_SITES). Killed on 1 January, nothing on 2-3 January, the forecast from 4
    January carries that round: due after D = 1 + Poisson(us_lag_mean - 1) days given D > 2,
    and five sites wherever it lands, though a round ordered on the quiet last day would
    have had one."""
    scenario = dataclasses.replace(
        Scenario.load("trump_red_line"), end=dt.date(2021, 1, 31), posterior=None
    )
    n, lag = 20_000, 5.0
    model = EscalationModel(
        scenario, n_worlds=n, seed=4, history=KILLING_ON_JANUARY_FIRST, replay_days=3,
        parameters={"us_lag_mean": lag},
    )  # fmt: skip
    for _ in range(12):
        model.step()
    sites = model.daily_counts["us_strike_sites"][3:12]  # 4-12 January
    struck = sites.any(axis=0)
    first = sites.argmax(axis=0)
    np.testing.assert_array_equal(sites[first[struck], np.flatnonzero(struck)], 5)
    delay = stats.poisson(lag - 1.0)  # D - 1, given D > 2
    expected = delay.pmf(np.arange(2, 11)) / delay.sf(1)
    observed = np.bincount(first[struck], minlength=9)[:9] / n
    assert_shares_within_5_sigma(observed, expected, n)


def israeli_strikes_simulated(
    scenario: Scenario, named: float
) -> tuple[EscalationModel, pd.DataFrame]:
    """Two months of 200 worlds in which Israel strikes often and the US never does (so the
    militias' only losses are Israel's), under linear revenge, with the given naming chance."""
    busy = (
        scenario.with_policy("militia", "reprisal", "revenge")
        .with_policy("US", "retaliation", "no_retaliation")
        .with_parameters(israel_strike_prob=0.5, unclaimed_dead_named=named)
    )
    model = EscalationModel(busy, n_worlds=200, seed=5).run()
    log = model.event_log()
    return model, log[(log["actor"] == "Israel") & (log["event_type"] == "airstrike")]


def test_simulated_israeli_dead_feed_revenge_only_when_their_group_names_them(
    baseline_to_february,
):
    """Issue 12: losses a group does not acknowledge feed no revenge. Simulation draws whether
    the group names its dead (unclaimed_dead_named) and logs an unnamed strike with no group,
    so a replay of the simulated log reads it as the record is read."""
    unnamed, strikes = israeli_strikes_simulated(baseline_to_february, 0.0)
    assert len(strikes) > 100 and strikes["others_killed"].sum() > 0
    assert (strikes["group"] == "").all()
    assert (acknowledged_losses(strikes) == 0).all()
    for militia in unnamed.militias:
        np.testing.assert_array_equal(militia.revenge, 0.0)

    named, strikes = israeli_strikes_simulated(baseline_to_february, 1.0)
    assert strikes["group"].isin([g.name for g in GROUPS]).all()
    np.testing.assert_array_equal(acknowledged_losses(strikes), strikes["others_killed"])
    assert max(militia.revenge.max() for militia in named.militias) > 0

    _, strikes = israeli_strikes_simulated(baseline_to_february, 0.5)
    share = (strikes["group"] != "").mean()
    assert stats.binomtest(int((strikes["group"] != "").sum()), len(strikes), 0.5).pvalue > 1e-3
    assert 0.0 < share < 1.0
    replay_reads = acknowledged_losses(strikes)
    np.testing.assert_array_equal(
        replay_reads, np.where(strikes["group"] != "", strikes["others_killed"], 0)
    )
