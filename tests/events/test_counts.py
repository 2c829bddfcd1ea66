"""Daily counts, strike rounds and weekly sums of observed events, against hand counts."""

import numpy as np
import pandas as pd
import pytest

from escalation.events.counts import (
    daily_counts,
    daily_severity,
    modelled_attacks,
    strike_round_starts,
    unmodelled_attacks,
    weekly_sums,
)
from escalation.events.io import load_events
from tests.helpers import DAY_ZERO, TINY, canonical, events_by_day


def test_daily_counts_count_militia_attacks_by_type_inside_the_window():
    events = canonical(
        [
            ("2021-06-30", "militia", "rocket_attack"),  # before the window
            ("2021-07-01", "militia", "rocket_attack"),
            ("2021-07-01", "militia", "drone_attack"),
            ("2021-07-03", "militia", "interception_only"),
            ("2021-07-03", "militia", "political_action"),  # not an attack
            ("2021-07-03", "unknown", "rocket_attack"),  # not a militia row
            ("2021-07-04", "Israel", "airstrike"),
            ("2021-07-05", "militia", "ied_attack"),  # after the window
        ]
    )
    counts = daily_counts(events, "2021-07-01", 4)
    np.testing.assert_array_equal(counts["militia_attacks"], [2, 0, 1, 0])
    np.testing.assert_array_equal(counts["rocket_attack"], [1, 0, 0, 0])
    np.testing.assert_array_equal(counts["drone_attack"], [1, 0, 0, 0])
    np.testing.assert_array_equal(counts["interception_only"], [0, 0, 1, 0])
    np.testing.assert_array_equal(counts["ied_attack"], [0, 0, 0, 0])
    np.testing.assert_array_equal(counts["other_attack"], [0, 0, 0, 0])
    np.testing.assert_array_equal(counts["us_strike_rounds"], [0, 0, 0, 0])


def test_strike_rounds_chain_airstrikes_at_most_two_days_apart():
    events = canonical(
        [
            ("2021-02-25", "US", "airstrike"),
            ("2021-06-27", "US", "airstrike"),
            ("2021-06-27", "US", "airstrike"),  # a second site, same night
            ("2021-06-29", "US", "airstrike"),  # two days later: same round
            ("2021-07-01", "US", "airstrike"),  # chained: same round
            ("2021-07-04", "US", "airstrike"),  # three days later: new round
            ("2021-07-05", "Israel", "airstrike"),
            ("2021-07-06", "US", "return_fire"),
        ]
    )
    starts = strike_round_starts(events)
    assert list(starts) == list(pd.to_datetime(["2021-02-25", "2021-06-27", "2021-07-04"]))
    # The 27 June round began before the window: only the 4 July round counts.
    counts = daily_counts(events, "2021-06-28", 10)
    np.testing.assert_array_equal(counts["us_strike_rounds"], [0] * 6 + [1] + [0] * 3)


def test_daily_counts_reject_a_frame_without_the_canonical_columns():
    with pytest.raises(ValueError, match="event_type"):
        daily_counts(pd.DataFrame({"date": [], "actor": []}), "2021-07-01", 7)


def test_daily_counts_of_a_tiny_log():
    counts = daily_counts(events_by_day(TINY), DAY_ZERO, 12)
    np.testing.assert_array_equal(np.flatnonzero(counts["militia_attacks"]), [0, 1, 6])
    np.testing.assert_array_equal(counts["harm"], [0, 2] + [0] * 10)
    np.testing.assert_array_equal(np.flatnonzero(counts["us_strike_rounds"]), [3, 10])
    np.testing.assert_array_equal(counts["return_fire"], np.zeros(12))
    np.testing.assert_array_equal(counts["us_killed"], np.zeros(12))
    expected_severity = np.zeros(12)
    expected_severity[[0, 1, 3, 4, 5, 6, 10]] = [3, 8, 10, 6, 9, 1, 6]
    np.testing.assert_array_equal(
        daily_severity(events_by_day(TINY), DAY_ZERO, 12), expected_severity
    )


def test_weekly_sums_keep_a_final_partial_week():
    daily = np.arange(10).reshape(1, 10)
    np.testing.assert_array_equal(weekly_sums(daily), [[0 + 1 + 2 + 3 + 4 + 5 + 6, 7 + 8 + 9]])


#: The 7 November 2021 drones on the Iraqi prime minister's residence, as events_2021.csv has them.
PM_RESIDENCE = {
    "target": "Iraqi PM Kadhimi's residence (Green Zone)",
    "location": "Baghdad Green Zone (PM residence)",
}


def test_an_attack_on_the_iraqi_prime_minister_is_outside_the_modelled_attacks():
    events = canonical(
        [
            ("2021-11-07", "militia", "drone_attack"),
            ("2021-11-07", "militia", "rocket_attack"),
            ("2021-11-08", "militia", "drone_attack"),
        ]
    )
    events.loc[0, list(PM_RESIDENCE)] = list(PM_RESIDENCE.values())
    events.loc[1, "target"] = "US embassy (Green Zone)"  # the embassy is still an attack
    np.testing.assert_array_equal(modelled_attacks(events), [False, True, True])
    np.testing.assert_array_equal(unmodelled_attacks(events), [True, False, False])
    counts = daily_counts(events, "2021-11-07", 2)
    np.testing.assert_array_equal(counts["militia_attacks"], [1, 1])
    np.testing.assert_array_equal(counts["drone_attack"], [0, 1])
    np.testing.assert_array_equal(counts["harm"], [0, 0])


def test_the_2021_record_leaves_out_only_the_attack_on_the_prime_minister():
    events = load_events()
    left_out = events[unmodelled_attacks(events)]
    assert left_out["date"].dt.strftime("%Y-%m-%d").tolist() == ["2021-11-07"]
    assert left_out["target"].str.contains("Kadhimi").all()
