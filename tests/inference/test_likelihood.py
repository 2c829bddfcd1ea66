"""The exact likelihood by replay, against hand computation and brute-force enumeration."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import escalation
from escalation.events.schema import COLUMNS
from escalation.model.likelihood import (
    MAX_ORDER_DELAY,
    PendingOrders,
    delay_pmf,
    polya_aeppli_pmf,
    reported_count_log_likelihood,
)
from escalation.model.parameters import PARAMETERS as DECLARED
from escalation.model.scenario import Scenario

#: A week of hand-made history: a rocket on Ain al-Asad (day 0), a US strike round (day 2),
#: two convoy IEDs with unknown casualties (day 4).
ROWS = [
    ("2021-03-01", "militia", "rocket_attack", "Iraq", "Ain al-Asad air base", "US forces", 0),
    ("2021-03-03", "US", "airstrike", "Syria", "Albu Kamal", "KH facilities", 2),
    ("2021-03-05", "militia", "ied_attack", "Iraq", "Dhi Qar", "coalition logistics convoy", None),
    ("2021-03-05", "militia", "ied_attack", "Iraq", "Babil", "coalition logistics convoy", None),
]
PARAMETERS = dict(
    militia_attack_rate=0.4,
    drone_share=0.2,
    ied_share=0.5,
    other_share=0.1,
    interception_rocket=0.3,
    lethality=0.05,
    injury_prob=0.1,
    other_casualty_prob=0.02,
    us_presence=1.0,
    deterrence=0.0,
    caution=0.0,
    crackdown_effect=0.0,
    drawdown_calm=0.0,
    return_fire_prob=0.4,
    us_lag_mean=3.0,
    ied_report_prob=0.4,
    ied_batch_mean=2.5,
)


def _history(table: list[tuple] = ROWS) -> pd.DataFrame:
    rows = []
    for date, actor, etype, country, location, target, casualty in table:
        known = "" if casualty is None else 0
        killed = "" if casualty is None else casualty if actor == "US" else 0
        rows.append(
            {
                "date": date,
                "actor": actor,
                "group": "",
                "target": target,
                "event_type": etype,
                "country": country,
                "location": location,
                "projectiles": "",
                "us_killed": known,
                "us_injured": known,
                "others_killed": killed,
                "attribution_confirmed": "yes",
                "source": "hand-made test history",
                "confidence": "high",
                "notes": "",
            }
        )
    return escalation.validate_events(pd.DataFrame(rows, columns=list(COLUMNS)))


def _scenario(reporting: str = "full_reporting") -> Scenario:
    base = (
        Scenario.load("baseline_2021")
        .with_policy("militia", "reporting", reporting)
        .with_policy("US", "retaliation", "tit_for_tat")
        .with_policy("militia", "reprisal", "none")
        .with_policy("militia", "campaigns", "none")
        .with_policy("Israel", "interdiction", "none")
        .with_policy("Iraqi government", "sovereignty", "acquiescence")
        .with_policy("Iraqi government", "crackdown", "none")
        .with_policy("Iran", "patronage", "full_push")
        # One theatre: the weapon mix is the shares' alone, and an attack's country follows the
        # site weights (the two-theatre law has its own hand test, tests/model/test_geography.py).
        .with_policy("militia", "geography", "one_theatre")
        .with_parameters(**PARAMETERS)
    )
    return dataclasses.replace(
        base, start=dt.date(2021, 3, 1), end=dt.date(2021, 3, 6), posterior=None
    )


#: Share of the rocket site weights on Iraqi sites (escalation/model/sites.py: Ain al-Asad 0.25,
#: Erbil 0.10, the embassy 0.20, Baghdad airport 0.20, Balad 0.10; al-Omar 0.10 and Conoco 0.05
#: in Syria): the chance that a rocket attack is in Iraq under one theatre. Convoy IEDs are all
#: in Iraq.
ROCKET_IN_IRAQ = 0.85


def test_loglik_of_a_hand_made_week_by_hand():
    p = PARAMETERS
    rate = p["militia_attack_rate"]
    rocket = (1 - p["drone_share"]) * (1 - p["ied_share"]) * (1 - p["other_share"])
    ied = (1 - p["drone_share"]) * p["ied_share"]
    militia = (
        stats.poisson.logpmf(1, rate)
        + math.log(rocket * (1 - p["interception_rocket"]))
        + math.log(ROCKET_IN_IRAQ)
        + math.log(1 - p["lethality"])
        + math.log(1 - p["injury_prob"])
        + math.log(1 - p["other_casualty_prob"])
        + 4 * stats.poisson.logpmf(0, rate)
        + stats.poisson.logpmf(2, rate)
        + 2 * math.log(ied)  # casualties unknown: not scored
    )
    # Tit-for-tat orders on day 0 for sure; the round comes after 1 + Poisson(lag - 1) days,
    # here two: quiet on day 1, the round on day 2.
    us = stats.poisson.logpmf(1, p["us_lag_mean"] - 1)
    by_actor = escalation.loglik(_scenario(), _history(), by="actor")
    assert by_actor.loc[0, "militia"] == pytest.approx(militia, abs=1e-9)
    assert by_actor.loc[0, "US"] == pytest.approx(us, abs=1e-6)
    assert by_actor.loc[0, ["Israel", "Iraqi government", "Iran"]].abs().max() < 1e-6
    total = escalation.loglik(_scenario(), _history())
    assert total[0] == pytest.approx(militia + us, abs=1e-6)


def test_rounds_two_days_apart_are_two_orders_each_scored():
    """The model can strike again two days after a round (an order the day after, due the next
    day): the second round is an order of its own and its delay is scored, although the
    statistics count both days as one round (``strike_round_starts``). Before the fix the
    second day was read as the same round and left out of the likelihood."""
    rows = [
        ("2021-03-01", "militia", "rocket_attack", "Iraq", "Ain al-Asad air base", "US forces", 0),
        ("2021-03-02", "US", "airstrike", "Syria", "Albu Kamal", "KH facilities", 0),
        ("2021-03-03", "militia", "rocket_attack", "Iraq", "Ain al-Asad air base", "US forces", 0),
        ("2021-03-04", "US", "airstrike", "Syria", "Albu Kamal", "KH facilities", 0),
    ]
    history = _history(rows)
    # Tit-for-tat orders on days 0 and 2 for sure; each round comes after one day, the chance
    # that 1 + Poisson(lag - 1) is 1.
    us = 2 * stats.poisson.logpmf(0, PARAMETERS["us_lag_mean"] - 1)
    by_actor = escalation.loglik(_scenario(), history, by="actor")
    assert by_actor.loc[0, "US"] == pytest.approx(us, abs=1e-6)


def test_the_number_of_sites_of_a_round_is_scored_against_the_site_law():
    """Under the red line a round of 3 sites against one of 1, all else equal (sites in Syria,
    no dead): the likelihood differs by log P(3) - log P(1) = log(0.2**2 / 0.8**2) = -log 16
    at us_extra_site_prob 0.2, and nowhere but in the US's term."""
    attack = ("2021-03-01", "militia", "rocket_attack", "Iraq", "Ain al-Asad air base", "US forces")
    site = ("2021-03-03", "US", "airstrike", "Syria", "Albu Kamal", "KH facilities", 0)
    scenario = (
        _scenario()
        .with_policy("US", "retaliation", "red_line")
        .with_parameters(us_extra_site_prob=0.2)
    )
    one, three = (
        escalation.loglik(scenario, _history([(*attack, 0), *[site] * k]), by="actor")
        for k in (1, 3)
    )
    difference = (three - one).loc[0]
    assert difference["US"] == pytest.approx(-math.log(16.0), abs=1e-9)
    assert difference.drop("US").abs().max() < 1e-9


def test_batched_reporting_of_the_hand_made_week_by_hand():
    """The same week with convoy IEDs reported in batches: the other attacks are Poisson in
    rate x (1 - q), the IEDs Pólya-Aeppli (b = rate q r / m batches of size mean m, so
    P(0) = exp(-b), P(2) = exp(-b) (b (1 - c) c + b**2 (1 - c)**2 / 2) with c = 1 - 1 / m),
    and the rocket's weapon is scored against the mix without IEDs."""
    p = PARAMETERS
    rate = p["militia_attack_rate"]
    q = (1 - p["drone_share"]) * p["ied_share"]
    rocket = (1 - p["drone_share"]) * (1 - p["ied_share"]) * (1 - p["other_share"])
    m, r = p["ied_batch_mean"], p["ied_report_prob"]
    batches, c = rate * q * r / m, 1 - 1 / m
    others = rate * (1 - q)
    militia = (
        stats.poisson.logpmf(1, others)
        - batches
        + math.log(rocket * (1 - p["interception_rocket"]) / (1 - q))
        + math.log(ROCKET_IN_IRAQ)
        + math.log(1 - p["lethality"])
        + math.log(1 - p["injury_prob"])
        + math.log(1 - p["other_casualty_prob"])
        + 4 * (-others - batches)
        - others
        - batches
        + math.log(batches * (1 - c) * c + batches**2 * (1 - c) ** 2 / 2)
    )
    by_actor = escalation.loglik(_scenario("batched_reporting"), _history(), by="actor")
    assert by_actor.loc[0, "militia"] == pytest.approx(militia, abs=1e-9)


def test_breakdowns_add_up_and_sets_are_independent():
    history = _history()
    sets = pd.DataFrame(
        {"militia_attack_rate": [0.2, 0.4, 0.8], "us_lag_mean": [2.0, 3.0, 9.0], "weight": 1.0}
    )
    scenario = _scenario()
    together = escalation.loglik(sets, history, scenario=scenario)
    one_by_one = [
        escalation.loglik(scenario.with_parameters(**row), history)[0]
        for row in sets.drop(columns="weight").to_dict("records")
    ]
    np.testing.assert_allclose(together, one_by_one, rtol=0, atol=1e-9)
    by_day = escalation.loglik(sets, history, scenario=scenario, by="day")
    assert list(by_day.index) == list(pd.date_range("2021-03-01", "2021-03-06"))
    np.testing.assert_allclose(by_day.sum().to_numpy(), together, atol=1e-9)
    by_actor = escalation.loglik(sets, history, scenario=scenario, by="actor")
    np.testing.assert_allclose(by_actor.sum(axis=1).to_numpy(), together, atol=1e-9)


def test_the_likelihood_prefers_the_rate_that_made_the_data():
    """On a year simulated at a known attack rate, the likelihood peaks near that rate."""
    truth = 0.5
    scenario = Scenario.load("baseline_2021").with_parameters(militia_attack_rate=truth)
    scenario = dataclasses.replace(scenario, posterior=None)
    world = escalation.EscalationModel(scenario, 1, seed=3).run().event_log()
    grid = np.linspace(0.2, 1.0, 41)
    values = escalation.loglik({"militia_attack_rate": grid}, world, scenario=scenario)
    assert abs(grid[np.argmax(values)] - truth) <= 0.1


def _brute_force(orders: np.ndarray, pmf: np.ndarray, struck: list[bool]) -> float:
    """P(strike pattern) by enumerating every order day and delay (the hidden paths)."""
    days = len(struck)
    # Delays past the window all leave the pattern alike: one lumped choice, "late".
    weights = np.append(pmf[:days], pmf[days:].sum())
    total = 0.0
    # A path: the days on which an idle world orders, each with its delay.
    for n_orders in range(days + 1):
        for order_days in itertools.combinations(range(days), n_orders):
            for delays in itertools.product(range(1, days + 2), repeat=n_orders):
                prob, pending, pattern, ok = 1.0, None, [], True
                chosen = dict(zip(order_days, delays, strict=True))
                for t in range(days):
                    if pending == t:  # due today: strikes, then idle
                        pattern.append(True)
                        pending = None
                        if t in chosen:
                            ok = False  # no order on a strike day
                        continue
                    pattern.append(False)
                    if pending is None:
                        if t in chosen:
                            prob *= orders[t] * weights[chosen[t] - 1]
                            pending = t + chosen[t]
                        else:
                            prob *= 1 - orders[t]
                    elif t in chosen:
                        ok = False  # no order while one is pending
                if ok and pattern == struck:
                    total += prob
    return total


def test_pending_orders_filter_equals_enumeration_of_every_path():
    rng = np.random.default_rng(5)
    orders = rng.uniform(0.05, 0.6, size=7)
    lag = 2.5
    pmf = delay_pmf(np.array([lag]))[0]
    for struck in ([False] * 7, [False, False, True, False, False, True, False]):
        book = PendingOrders(1, lag)
        logp = sum(book.observe(orders[t], struck[t])[0] for t in range(7))
        assert math.exp(logp) == pytest.approx(_brute_force(orders, pmf, struck), rel=1e-9)


def test_pending_orders_draw_inverts_the_filtered_order_book():
    """After one day with a sure order and delays of 1 + Poisson(2), the round falls due
    d days on with P(d) = Poisson(2) at d - 1; a draw says how many days from tomorrow (the
    first day not observed): 0 below e**-2 = 0.135, 1 below 3 e**-2 = 0.406, 2 below 5 e**-2 =
    0.677. A day with no order leaves the book idle (-1), and a day a round struck clears it."""
    book = PendingOrders(4, 3.0)
    book.observe(np.ones(4), False, sites=np.array([2, 2, 3, 1]))
    u = np.array([0.1, 0.2, 0.5, 0.999])
    expected_last = stats.poisson.ppf(0.999, 2.0)  # the inverse CDF read by a loop, by hand
    days, sites = book.draw(u)
    np.testing.assert_array_equal(days, [0, 1, 2, expected_last])
    np.testing.assert_array_equal(sites, [2, 2, 3, 1])
    idle = PendingOrders(2, 3.0)
    idle.observe(np.zeros(2), False)
    np.testing.assert_array_equal(idle.draw(np.array([0.0, 0.99]))[0], [-1, -1])
    book.observe(np.zeros(4), True)
    days, sites = book.draw(u)
    np.testing.assert_array_equal(days, [-1, -1, -1, -1])
    np.testing.assert_array_equal(sites, [0, 0, 0, 0])
    # Half the worlds ordered: the first half of the unit interval is idle.
    half = PendingOrders(2, 1.0)
    half.observe(np.full(2, 0.5), False)
    np.testing.assert_array_equal(half.draw(np.array([0.49, 0.51]))[0], [-1, 0])
    np.testing.assert_allclose(half.pending_probability(), 0.5)
    # Lag 1: the round is due the next day; a day without it rules it out, and the half of the
    # belief left idle orders again with chance 0.5: pending (0.5 * 0.5) / (0.5 + 0) = 0.5 still.
    half.observe(np.full(2, 0.5), False)
    np.testing.assert_allclose(half.pending_probability(), 0.5)
    half.observe(np.zeros(2), True)
    np.testing.assert_array_equal(half.pending_probability(), 0.0)


def test_pending_orders_draw_after_the_ring_wraps_conditions_on_the_quiet_days():
    """70 quiet days (the ring of 61 slots wraps), a sure order of 5 sites on day 70, then three
    days without a strike: the round falls due D = 4 + k days after the order with chance
    P(D = 4 + k) / P(D > 3) under D = 1 + Poisson(5), i.e. k days after the first day not
    observed. Orders of other sizes on other days mix by their chances."""
    lag = 6.0
    book = PendingOrders(3, lag)  # three worlds alike, one uniform each
    for _ in range(70):
        book.observe(np.zeros(3), False, sites=np.ones(3))
    book.observe(np.ones(3), False, sites=np.full(3, 5))
    for _ in range(3):
        book.observe(np.zeros(3), False, sites=np.ones(3))
    delay = stats.poisson(lag - 1.0)  # D - 1
    survive = delay.sf(2)  # P(D > 3)
    cdf = np.cumsum(delay.pmf(np.arange(3, 40))) / survive  # k = 0, 1, ...
    for k in (0, 3, 9):
        below, above = (cdf[k - 1] if k else 0.0), cdf[k]
        days, sites = book.draw(np.array([below + 1e-9, (below + above) / 2, above - 1e-9]))
        np.testing.assert_array_equal(days, [k, k, k])
        np.testing.assert_array_equal(sites, [5, 5, 5])
    # A 1-site and a 3-site order that may both fall due on the same day: the drawn round's
    # size is their mean weighted by chance, rounded. Delays 1 + Poisson(1): P(1) = P(2) = 1/e.
    mixed = PendingOrders(1, 2.0)
    mixed.observe(np.array([0.5]), False, sites=np.array([1]))  # day 0: half the worlds order
    mixed.observe(np.array([1.0]), False, sites=np.array([3]))  # day 1: no round; the rest do
    # Due on day 2, the first day not observed: 0.5/e from each order, so a mean size of 2,
    # and the day holds (1/e) / (0.5 (1 - 1/e) + 0.5) = 0.45 of the belief: u = 0.01 draws it.
    days, sites = mixed.draw(np.array([0.01]))
    assert days[0] == 0 and sites[0] == 2


def test_delay_law_matches_the_simulation_rule():
    pmf = delay_pmf(np.array([1.0, 4.0]))
    assert pmf.shape == (2, MAX_ORDER_DELAY)
    np.testing.assert_allclose(pmf.sum(axis=1), 1.0)
    assert pmf[0, 0] == pytest.approx(1.0)  # lag 1: always the next day
    assert pmf[1, 2] == pytest.approx(stats.poisson.pmf(2, 3.0))


def _shifted_filter(orders, struck, lag):
    """The order-book filter written plainly: shift the whole belief each day, renormalise."""
    pmf = delay_pmf(np.array([lag]))[0]
    belief = np.zeros(1 + MAX_ORDER_DELAY)
    belief[0] = 1.0
    total = 0.0
    for order, hit in zip(orders, struck, strict=True):
        if hit is None:
            belief[:] = 0.0
            belief[0] = 1.0
            continue
        if hit:
            total += math.log(belief[1])
            belief[:] = 0.0
            belief[0] = 1.0
            continue
        total += math.log(1.0 - belief[1])
        new = np.zeros_like(belief)
        new[0] = belief[0] * (1.0 - order)
        new[1:-1] = belief[2:]
        new[1:] += belief[0] * order * pmf
        belief = new / new.sum()
    return total


def test_pending_orders_filter_over_many_months_equals_the_plain_filter():
    # 200 days wrap the filter's ring of slots three times; strikes and a no-news day included.
    # The last world orders often with long delays, so that its order book goes months with a
    # round due any day that never comes: precision must hold as that belief's mass shrinks.
    rng = np.random.default_rng(11)
    days = 200
    orders = rng.uniform(0.0, 0.2, size=(days, 4))
    orders[:, 3] = 0.28
    struck: list[bool | None] = [False] * days
    struck[40], struck[41], struck[130] = True, None, True
    lags = np.array([1.0, 6.5, 25.0, 11.4])
    book = PendingOrders(4, lags)
    logp = sum(book.observe(orders[t], struck[t]) for t in range(days))
    for w, lag in enumerate(lags):
        expected = _shifted_filter(orders[:, w], struck, lag)
        assert logp[w] == pytest.approx(expected, rel=0.0, abs=1e-10)


def test_the_default_crackdown_rate_is_the_2021_records_maximum_likelihood():
    """2021 had one crackdown (26 May, the arrest of Qasim Muslih); the default rate is the one
    under which the replayed record is likeliest (within a grid step), not eight times it."""
    rates = np.geomspace(1e-4, 4e-3, 33)  # steps of 12%
    table = escalation.loglik({"crackdown_rate": rates}, escalation.load_events(), by="actor")
    best = rates[np.argmax(table["Iraqi government"].to_numpy())]
    default = DECLARED["crackdown_rate"].default
    assert best / 1.25 <= default <= best * 1.25


def test_a_simulated_2021_has_about_the_one_crackdown_of_the_record():
    worlds = 1000
    events = escalation.run_ensemble("baseline_2021", worlds, seed=11).events
    baghdad = events[events["actor"] == "Iraqi government"]
    crackdowns = baghdad["notes"].astype(str).str.startswith("crackdown").sum() / worlds
    assert 0.6 <= crackdowns <= 1.4  # Monte Carlo error about 0.03


def test_daily_counts_alone_score_a_poisson_count_a_day_by_hand():
    # The hand-made week with full reporting and no campaigns: every day's count is Poisson at the
    # constant rate (no reprisal, full push), whatever the weapons: 1, 0, 0, 0, 2, 0 attacks.
    by_day = escalation.loglik(_scenario(), _history(), by="counts")
    expected = stats.poisson.logpmf([1, 0, 0, 0, 2, 0], PARAMETERS["militia_attack_rate"])
    np.testing.assert_allclose(by_day[0].to_numpy(), expected, rtol=1e-12)


def test_reported_count_law_is_the_convolution_of_others_and_batched_ieds():
    others, batches, cont = 0.7, np.array([0.3]), np.array([0.6])
    pmf = polya_aeppli_pmf(6, batches, cont)[0]
    for count in range(5):
        by_hand = sum(stats.poisson.pmf(count - i, others) * pmf[i] for i in range(count + 1))
        value = reported_count_log_likelihood(count, np.array([others]), batches, cont)[0]
        assert value == pytest.approx(math.log(by_hand), rel=1e-10)


def test_parameter_sets_of_one_number_each_are_one_set_and_unequal_lengths_are_named():
    one = escalation.loglik({"militia_attack_rate": 0.3}, _history(), scenario=_scenario())
    same = escalation.loglik({"militia_attack_rate": [0.3]}, _history(), scenario=_scenario())
    np.testing.assert_array_equal(one, same)
    with pytest.raises(ValueError, match="militia_attack_rate 2, drone_share 3"):
        escalation.loglik(
            {"militia_attack_rate": [0.3, 0.4], "drone_share": [0.1, 0.2, 0.3]}, _history()
        )
