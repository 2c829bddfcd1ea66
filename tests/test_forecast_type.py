"""Tests of the Forecast type and of daily counts of observed events."""

import datetime

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from conftest import canonical
from matplotlib.figure import Figure

from escalation.events.counts import daily_counts, strike_round_starts, weekly_sums
from escalation.forecasting import Forecast


def forecast(daily, start="2021-07-01", **kwargs):
    daily = {name: np.asarray(v, dtype=np.int64) for name, v in daily.items()}
    days = next(iter(daily.values())).shape[1]
    return Forecast("test", start, days, daily, **kwargs)


# ----- daily counts of observed events -------------------------------------------------------


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


# ----- the Forecast type ---------------------------------------------------------------------


def test_weekly_sums_keep_a_final_partial_week():
    daily = np.arange(10).reshape(1, 10)
    np.testing.assert_array_equal(weekly_sums(daily), [[0 + 1 + 2 + 3 + 4 + 5 + 6, 7 + 8 + 9]])


def test_weekly_counts_and_week_starts_count_from_the_start():
    daily = np.array([[1, 0, 0, 0, 0, 0, 2, 3, 0, 0, 0, 0, 0, 0, 4], [0] * 14 + [5]])
    f = forecast({"militia_attacks": daily}, start=pd.Timestamp("2021-07-01 15:30"))
    assert f.start == pd.Timestamp("2021-07-01")
    assert (f.days, f.n_worlds) == (15, 2)
    np.testing.assert_array_equal(f.weekly(), [[3, 3, 4], [0, 0, 5]])
    assert list(f.week_starts) == list(pd.to_datetime(["2021-07-01", "2021-07-08", "2021-07-15"]))
    assert f.end == pd.Timestamp("2021-07-15")


def test_start_accepts_a_date():
    f = forecast({"militia_attacks": [[0] * 7]}, start=datetime.date(2021, 7, 1))
    assert f.start == pd.Timestamp("2021-07-01")


def test_quantiles_over_worlds_per_week():
    # Five worlds with weekly totals 0, 1, 2, 3, 4 in week 0 and 10..50 in week 1.
    daily = np.zeros((5, 14), dtype=np.int64)
    daily[:, 0] = np.arange(5)
    daily[:, 7] = 10 * np.arange(1, 6)
    table = forecast({"militia_attacks": daily}).quantiles(q=(0.25, 0.5, 1.0))
    assert list(table.columns) == [0.25, 0.5, 1.0]
    assert table.index.name == "week_start"
    np.testing.assert_allclose(table.to_numpy(), [[1, 2, 4], [20, 30, 50]])
    by_day = forecast({"militia_attacks": daily}).quantiles(q=(0.5,), weekly=False)
    assert len(by_day) == 14
    assert by_day.iloc[7, 0] == 30


def test_to_frame_is_a_tidy_table_of_weekly_counts():
    daily = {
        "militia_attacks": [[1, 1, 0, 0, 0, 0, 0, 2], [0, 0, 0, 0, 0, 0, 0, 0]],
        "us_strike_rounds": [[0, 0, 0, 0, 0, 0, 1, 0], [1, 0, 0, 0, 0, 0, 0, 0]],
    }
    table = forecast(daily).to_frame()
    assert list(table.columns) == ["world", "week_start", "series", "count"]
    assert len(table) == 2 * 2 * 2  # series x worlds x weeks
    row = table[
        (table.series == "militia_attacks")
        & (table.world == 0)
        & (table.week_start == pd.Timestamp("2021-07-08"))
    ]
    assert row["count"].tolist() == [2]
    assert table.groupby("series")["count"].sum().to_dict() == {
        "militia_attacks": 4,
        "us_strike_rounds": 2,
    }


def test_probability_returns_the_stored_value_and_names_what_is_missing():
    f = forecast({"militia_attacks": [[0] * 7]}, probabilities={"american_killed": 0.2})
    assert f.probability("american_killed") == 0.2
    with pytest.raises(KeyError, match="american_killed"):
        f.probability("withdrawal_demanded")


@pytest.mark.parametrize(
    ("daily", "message"),
    [
        ({"rocket_attack": np.zeros((2, 7), dtype=int)}, "militia_attacks"),
        ({"militia_attacks": np.zeros((2, 6), dtype=int)}, "shape"),
        ({"militia_attacks": np.zeros(7, dtype=int)}, "shape"),
        ({"militia_attacks": np.zeros((2, 7)), "x": np.zeros((2, 7), dtype=int)}, "integers"),
        ({"militia_attacks": -np.ones((2, 7), dtype=int)}, "non-negative"),
        (
            {"militia_attacks": np.zeros((2, 7), dtype=int), "x": np.zeros((3, 7), dtype=int)},
            "same n_worlds",
        ),
    ],
)
def test_forecast_rejects_malformed_series(daily, message):
    with pytest.raises(ValueError, match=message):
        Forecast("bad", "2021-07-01", 7, daily)


def test_forecast_rejects_a_probability_outside_zero_one():
    with pytest.raises(ValueError, match="american_killed"):
        forecast({"militia_attacks": [[0] * 7]}, probabilities={"american_killed": 1.5})


def test_plot_draws_bands_median_and_observed_weekly_counts():
    daily = np.zeros((3, 10), dtype=np.int64)
    daily[:, 0] = [1, 2, 3]
    f = forecast({"militia_attacks": daily})
    observed = canonical([("2021-07-02", "militia", "rocket_attack")] * 4)
    ax = Figure().subplots()
    assert f.plot(observed=observed, ax=ax) is ax
    assert ax.get_ylabel() == "Militia attacks per week"
    assert len(ax.collections) == 2  # the 5-95% and 25-75% bands
    median, points = ax.get_lines()
    # Steps over the week edges 1 July, 8 July and 11 July (the end of the partial week).
    np.testing.assert_array_equal(median.get_ydata(), [2, 0, 0])
    np.testing.assert_array_equal(points.get_ydata(), [4, 0])
    middles = pd.to_datetime(["2021-07-04 12:00", "2021-07-09 12:00"])
    np.testing.assert_array_equal(points.get_xdata(), middles.to_numpy())


def test_plot_creates_a_figure_when_no_axes_is_given():
    import matplotlib.pyplot as plt

    ax = forecast({"militia_attacks": [[0] * 7]}).plot(name="militia_attacks")
    try:
        assert ax.figure is not None
        assert ax.get_lines()[0].get_ydata().tolist() == [0, 0]
    finally:
        plt.close(ax.figure)
