"""Vows of revenge in replay and simulation: which losses feed them, how replay scores them, and
what a simulated vow leaves in the event log (the policies' arithmetic is in test_policies)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from escalation.events.io import load_events, validate_events
from escalation.events.schema import COLUMNS
from escalation.model.model import EscalationModel
from escalation.model.replay import ObservedDays

JANUARY = pd.Timestamp("2021-01-01")
KH, KSS = 0, 1
#: Day of the hand-made strike; the militia weighs its losses (and vows) on the next day.
STRIKE_DAY = 2


def row(day: int, actor: str, event_type: str, **fields: object) -> dict:
    """One canonical row ``day`` days into 2021; counts unknown unless given."""
    record = dict.fromkeys(COLUMNS, "")
    record.update(
        date=(JANUARY + pd.Timedelta(days=day)).strftime("%Y-%m-%d"),
        actor=actor,
        event_type=event_type,
        country="Syria",
        location="Albu Kamal",
        source="test fixture",
    )
    record.update({k: str(v) for k, v in fields.items()})
    return record


def strike(actor: str = "US", killed: int = 4) -> dict:
    return row(STRIKE_DAY, actor, "airstrike", group="Kata'ib Sayyid al-Shuhada",
               others_killed=killed)  # fmt: skip


def vow(day: int = STRIKE_DAY, group: str = "Kata'ib Sayyid al-Shuhada") -> dict:
    return row(day, "militia", "political_action", group=group, country="Iraq",
               location="Baghdad", notes="The group named its dead and vowed revenge.")  # fmt: skip


def history(*rows: dict) -> pd.DataFrame:
    return validate_events(pd.DataFrame(list(rows)))


def militia_loglik(scenario, events: pd.DataFrame, days: int, **parameters) -> np.ndarray:
    """Per replayed day, the militia's log-likelihood in one world."""
    model = EscalationModel(
        scenario, seed=1, history=events, replay_days=days, score=True, parameters=parameters
    )
    for _ in range(days):
        model.step()
    return model.log_likelihood["militia"][:, 0]


# -- which day a recorded vow is read --------------------------------------------------------------
def test_the_june_2021_vow_is_read_the_day_after_the_strikes_by_kss():
    """The PMF's vow of 28 June 2021 (the day of the strikes that killed four KSS fighters) is
    KSS's, read on 29 June when the militia weighs those losses; there is no other 2021 vow."""
    days = ObservedDays.from_events(load_events(), "2021-01-01", 365)
    read = np.array([record.vows for record in days])
    june_29 = (pd.Timestamp("2021-06-29") - JANUARY).days
    assert read.sum() == 1 and read[june_29, KSS]


def test_the_2019_2020_vows_are_kata_ib_hezbollahs():
    """KH vowed after the 29 December 2019 strikes and after the 3 January 2020 strike; each is
    read the day after its losses (30 December, 4 January)."""
    start = pd.Timestamp("2019-12-27")
    days = ObservedDays.from_events(load_events("2019_2020"), start, 96)
    read = np.array([record.vows for record in days])
    expected = [(pd.Timestamp(d) - start).days for d in ("2019-12-30", "2020-01-04")]
    assert list(np.flatnonzero(read[:, KH])) == expected
    assert not read[:, KSS].any()


@pytest.mark.parametrize("vow_day, read_day", [(STRIKE_DAY, STRIKE_DAY + 1), (STRIKE_DAY + 1, 3)])
def test_a_vow_of_the_day_of_the_losses_or_the_next_answers_them(vow_day, read_day):
    days = ObservedDays.from_events(history(strike(), vow(vow_day)), JANUARY, 8)
    read = np.array([record.vows for record in days])
    assert list(np.flatnonzero(read[:, KSS])) == [read_day] and not read[:, KH].any()


def test_a_vow_by_a_group_the_model_does_not_hold_is_not_read():
    """Asa'ib Ahl al-Haq vowed revenge on 3 January 2020; it is not a modelled group."""
    days = ObservedDays.from_events(history(strike(), vow(group="Asa'ib Ahl al-Haq")), JANUARY, 8)
    assert not np.array([record.vows for record in days]).any()


# -- scoring ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("reprisal", ["none", "revenge"])
def test_replay_scores_the_vow_by_the_formula(baseline_to_february, reprisal):
    """Four acknowledged dead, vow_rate 0.3: the vow's chance is p = 1 - e^-1.2 = 0.6988. Under a
    policy whose attacks do not follow vows, the day after the strike scores log p with the vow
    and log(1 - p) without it, and every other day the same."""
    scenario = baseline_to_february.with_policy("militia", "reprisal", reprisal)
    with_vow = militia_loglik(scenario, history(strike(), vow()), 6, vow_rate=0.3)
    without = militia_loglik(scenario, history(strike()), 6, vow_rate=0.3)
    p = 1.0 - math.exp(-0.3 * 4)
    expected = np.zeros(6)
    expected[STRIKE_DAY + 1] = math.log(p) - math.log(1.0 - p)
    np.testing.assert_allclose(with_vow - without, expected, atol=1e-12)


def test_no_losses_no_vow_term(baseline_to_february):
    """Without losses nothing about vows is scored: vow_rate changes no day's score."""
    events = history(row(1, "militia", "rocket_attack", location="Ain al-Asad", country="Iraq"))
    low = militia_loglik(baseline_to_february, events, 6, vow_rate=0.1)
    high = militia_loglik(baseline_to_february, events, 6, vow_rate=3.0)
    np.testing.assert_array_equal(low, high)


def test_under_vows_the_boost_follows_the_recorded_vow(baseline_to_february):
    """Replayed under ``vows``: the vow is forced into every world, the stock is 1 on the day it
    is read and decays by vow_halflife after, and the rate is multiplied by 1 + vow_boost."""
    model = EscalationModel(
        baseline_to_february, n_worlds=2, seed=1, history=history(strike(), vow()), replay_days=6,
        parameters={"vow_boost": 1.2, "vow_halflife": 2.0, "vow_cap": 5.0},
    )  # fmt: skip
    for _ in range(STRIKE_DAY + 2):
        model.step()
    np.testing.assert_allclose(model.militias[KSS].revenge, 1.0)
    np.testing.assert_array_equal(model.militias[KH].revenge, 0.0)
    model.step()
    np.testing.assert_allclose(model.militias[KSS].revenge, 0.5**0.5)


# -- unacknowledged losses, and simulated vows -----------------------------------------------------
def vows_in_log(scenario, actor: str) -> tuple[pd.DataFrame, np.ndarray]:
    """Replay a strike on KSS by ``actor`` (10 dead), then simulate the next days with vows all
    but certain for any acknowledged loss (vow_rate 5): the simulated vows, and KSS's stock."""
    model = EscalationModel(
        scenario, n_worlds=3, seed=1, history=history(strike(actor, killed=10)),
        replay_days=STRIKE_DAY + 1, parameters={"vow_rate": 5.0},
    )  # fmt: skip
    for _ in range(STRIKE_DAY + 2):
        model.step()
    log = model.event_log()
    vows = log[(log["actor"] == "militia") & (log["event_type"] == "political_action")]
    return vows, model.militias[KSS].revenge


def test_a_simulated_vow_is_a_political_action_of_the_group(baseline_to_february):
    """A US strike's dead are acknowledged: the simulated day after, KSS vows in every world
    (chance 1 - e^-50), writes a row, and its stock is one vow."""
    vows, stock = vows_in_log(baseline_to_february, "US")
    assert sorted(vows["world"]) == [0, 1, 2]
    assert set(vows["group"]) == {"Kata'ib Sayyid al-Shuhada"}
    assert (vows["date"] == JANUARY + pd.Timedelta(days=STRIKE_DAY + 1)).all()
    np.testing.assert_allclose(stock, 1.0)


def test_unacknowledged_losses_trigger_no_vow(baseline_to_february):
    """Ten dead by unknown aircraft are nobody's doing: no vow, however ready the group."""
    vows, stock = vows_in_log(baseline_to_february, "unknown")
    assert vows.empty
    np.testing.assert_array_equal(stock, 0.0)
