"""Tests of the escalation ladder, the escalation index and their inputs, against hand counts."""

import math

import numpy as np
import pandas as pd
import pytest

from escalation.model.ladder import (
    INDEX_HALFLIFE,
    Ladder,
    RollingSum,
    Rung,
    daily_record,
    index_decay,
    ladder_rung,
)
from tests.helpers import DAY_ZERO, TINY, events_by_day


# -- ladder rungs ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "attacks14, harm30, responses30, rounds30, killed30, rung",
    [
        (0, 0, 0, 0, 0, Rung.CALM),
        (1, 0, 0, 0, 0, Rung.HARASSMENT),
        (5, 1, 0, 0, 0, Rung.CASUALTIES),
        (0, 2, 0, 0, 0, Rung.CASUALTIES),  # harm 30 days ago still counts, no recent attack
        (3, 0, 1, 0, 0, Rung.REPRISAL),  # return fire only
        (3, 0, 1, 1, 0, Rung.REPRISAL),  # one strike round
        (3, 1, 0, 0, 1, Rung.LETHAL_EXCHANGE),  # an American killed
        (3, 0, 2, 2, 0, Rung.LETHAL_EXCHANGE),  # two strike rounds
        (3, 0, 3, 3, 0, Rung.CAMPAIGN),
        (3, 0, 4, 4, 2, Rung.CAMPAIGN),
        (3, 0, 5, 5, 0, Rung.OPEN_WAR),
        (3, 3, 0, 0, 3, Rung.OPEN_WAR),  # three Americans killed, no answer
    ],
)
def test_ladder_rung_hand_cases(attacks14, harm30, responses30, rounds30, killed30, rung):
    got = ladder_rung(attacks14, harm30, responses30, rounds30, killed30)
    assert got.dtype == np.int8
    assert int(got) == rung


def test_ladder_rung_is_elementwise():
    got = ladder_rung([0, 1, 1, 1], [0, 0, 1, 0], [0, 0, 0, 3], [0, 0, 0, 3], [0, 0, 0, 0])
    np.testing.assert_array_equal(got, [0, 1, 2, 5])


def test_rung_labels():
    assert [r.label for r in Rung][:2] == ["calm", "harassment"]
    assert Rung.LETHAL_EXCHANGE.label == "lethal exchange"
    assert [int(r) for r in Rung] == list(range(7))


# -- rolling sums and the index ---------------------------------------------------------------
def test_rolling_sum_hand_case():
    rolling = RollingSum(n_worlds=2, window=3)
    pushed = [[1, 10], [2, 0], [3, 0], [4, 0], [0, 0], [0, 5]]
    expected = [[1, 10], [3, 10], [6, 10], [9, 0], [7, 0], [4, 5]]
    for today, total in zip(pushed, expected, strict=True):
        np.testing.assert_array_equal(rolling.push(np.array(today, float)), total)


def test_index_decay_halves_in_a_halflife():
    assert index_decay() ** INDEX_HALFLIFE == pytest.approx(0.5)
    assert index_decay(2.0) == pytest.approx(math.sqrt(0.5))


def test_ladder_advance_decays_the_index():
    ladder = Ladder(1)
    q = index_decay()
    zero = np.zeros(1)
    _, index = ladder.advance(zero, zero, zero, zero, zero, np.array([10.0]))
    assert index[0] == pytest.approx(10.0)
    for day in range(1, 4):
        rung, index = ladder.advance(zero, zero, zero, zero, zero, zero)
        assert index[0] == pytest.approx(10.0 * q**day)
        assert rung[0] == Rung.CALM


# -- an observed log, by hand -------------------------------------------------------------------
def test_daily_record_of_a_tiny_log():
    record = daily_record(events_by_day(TINY), DAY_ZERO, 12)
    assert list(record.columns) == ["date", "ladder", "escalation_index"]
    assert record["date"].iloc[0] == DAY_ZERO and record["date"].iloc[-1] == pd.Timestamp(
        "2021-01-12"
    )
    # harassment; casualties (2 injured); reprisal (round on day 3, same round on day 4);
    # lethal exchange from day 10 (second round within 30 days).
    assert record["ladder"].tolist() == [1, 2, 2, 3, 3, 3, 3, 3, 3, 3, 4, 4]
    q = 0.5 ** (1 / 7)
    severity = [3, 8, 0, 10, 6, 9, 1, 0, 0, 0, 6, 0]
    index, expected = 0.0, []
    for s in severity:
        index = index * q + s
        expected.append(index)
    np.testing.assert_allclose(record["escalation_index"], expected, rtol=1e-12)


def test_ladder_windows_expire():
    """One attack on day 0: harassment for 14 days (today and 13 before), then calm;
    one American killed on day 0: a lethal exchange for 30 days, then harassment is over too."""
    attack = daily_record(events_by_day([(0, "militia", "rocket_attack", 0, 0, 0)]), DAY_ZERO, 20)
    assert attack["ladder"].tolist() == [1] * 14 + [0] * 6
    killing = daily_record(events_by_day([(0, "militia", "rocket_attack", 1, 0, 0)]), DAY_ZERO, 32)
    assert killing["ladder"].tolist() == [4] * 30 + [0] * 2


def test_three_americans_killed_is_open_war_and_return_fire_is_a_reprisal():
    log = events_by_day(
        [
            (0, "militia", "drone_attack", 3, 0, 0),
            (40, "militia", "rocket_attack", 0, 0, 0),
            (40, "US", "return_fire", None, None, None),
        ]
    )
    record = daily_record(log, DAY_ZERO, 45)
    assert record["ladder"].iloc[0] == Rung.OPEN_WAR
    assert record["ladder"].iloc[40] == Rung.REPRISAL
