"""Tests of the Forecast type on handmade series, and of forecast(): observed history replayed
into the agents' memories, then simulated (the replay itself is tested in
tests/model/test_replay.py)."""

import dataclasses
import datetime
import warnings

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from escalation.ensemble import run_ensemble  # noqa: E402
from escalation.events.io import load_events  # noqa: E402
from escalation.events.schema import COLUMNS, MILITIA_ATTACKS  # noqa: E402
from escalation.forecasting import SERIES, Forecast, forecast  # noqa: E402
from escalation.inference.posterior import Posterior  # noqa: E402
from escalation.model.scenario import Scenario  # noqa: E402
from tests.helpers import canonical  # noqa: E402


def forecast_of(daily, start="2021-07-01", **kwargs):
    """A Forecast of handmade daily counts, one array of (worlds, days) per series."""
    daily = {name: np.asarray(v, dtype=np.int64) for name, v in daily.items()}
    days = next(iter(daily.values())).shape[1]
    return Forecast("test", start, days, daily, **kwargs)


# ----- the Forecast type ---------------------------------------------------------------------


def test_weekly_counts_and_week_starts_count_from_the_start():
    daily = np.array([[1, 0, 0, 0, 0, 0, 2, 3, 0, 0, 0, 0, 0, 0, 4], [0] * 14 + [5]])
    f = forecast_of({"militia_attacks": daily}, start=pd.Timestamp("2021-07-01 15:30"))
    assert f.start == pd.Timestamp("2021-07-01")
    assert (f.days, f.n_worlds) == (15, 2)
    np.testing.assert_array_equal(f.weekly(), [[3, 3, 4], [0, 0, 5]])
    assert list(f.week_starts) == list(pd.to_datetime(["2021-07-01", "2021-07-08", "2021-07-15"]))
    assert f.end == pd.Timestamp("2021-07-15")


def test_excluding_a_type_takes_its_attacks_out_of_the_scored_series():
    """Two worlds, three days: 3 attacks of which 2 IEDs -> 1 other than IEDs, and so on."""
    f = forecast_of(
        {
            "militia_attacks": [[3, 0, 1], [2, 2, 0]],
            "ied_attack": [[2, 0, 0], [0, 1, 0]],
            "rocket_attack": [[1, 0, 1], [2, 1, 0]],
        },
        probabilities={"american_killed": 0.1},
    )
    other = f.excluding("ied_attack")
    np.testing.assert_array_equal(other.series(), [[1, 0, 1], [2, 1, 0]])
    assert other.probabilities == {}  # they were about all attacks
    assert other.extra["excluded_types"] == other.excluded_types == ("ied_attack",)
    assert f.excluded_types == ()
    np.testing.assert_array_equal(f.series(), [[3, 0, 1], [2, 2, 0]])  # the original is kept
    with pytest.raises(KeyError, match="no series 'drone_attack'"):
        f.excluding("drone_attack")


def test_start_accepts_a_date():
    f = forecast_of({"militia_attacks": [[0] * 7]}, start=datetime.date(2021, 7, 1))
    assert f.start == pd.Timestamp("2021-07-01")


def test_quantiles_over_worlds_per_week():
    # Five worlds with weekly totals 0, 1, 2, 3, 4 in week 0 and 10..50 in week 1.
    daily = np.zeros((5, 14), dtype=np.int64)
    daily[:, 0] = np.arange(5)
    daily[:, 7] = 10 * np.arange(1, 6)
    table = forecast_of({"militia_attacks": daily}).quantiles(q=(0.25, 0.5, 1.0))
    assert list(table.columns) == [0.25, 0.5, 1.0]
    assert table.index.name == "week_start"
    np.testing.assert_allclose(table.to_numpy(), [[1, 2, 4], [20, 30, 50]])
    by_day = forecast_of({"militia_attacks": daily}).quantiles(q=(0.5,), weekly=False)
    assert len(by_day) == 14
    assert by_day.iloc[7, 0] == 30


def test_to_frame_is_a_tidy_table_of_weekly_counts():
    daily = {
        "militia_attacks": [[1, 1, 0, 0, 0, 0, 0, 2], [0, 0, 0, 0, 0, 0, 0, 0]],
        "us_strike_rounds": [[0, 0, 0, 0, 0, 0, 1, 0], [1, 0, 0, 0, 0, 0, 0, 0]],
    }
    table = forecast_of(daily).to_frame()
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
    f = forecast_of({"militia_attacks": [[0] * 7]}, probabilities={"american_killed": 0.2})
    assert f.probability("american_killed") == 0.2
    with pytest.raises(KeyError, match="american_killed"):
        f.probability("withdrawal_demanded")


def test_events_a_daily_series_tells_are_the_share_of_worlds_where_it_is_ever_positive():
    """Four worlds: rounds in worlds 0 and 2 (0.5), a killing in world 3 (0.25); a probability
    given outright is kept, and the caller's dict is not touched."""
    daily = {
        "militia_attacks": [[1, 0], [0, 0], [2, 1], [0, 3]],
        "us_strike_rounds": [[0, 1], [0, 0], [2, 0], [0, 0]],
        "us_killed": [[0, 0], [0, 0], [0, 0], [0, 1]],
    }
    f = forecast_of(daily)
    assert f.probabilities == {"us_strike_round": 0.5, "american_killed": 0.25}
    given = {"us_strike_round": 0.9}
    assert forecast_of(daily, probabilities=given).probability("us_strike_round") == 0.9
    assert given == {"us_strike_round": 0.9}
    assert forecast_of({"militia_attacks": [[1, 0]]}).probabilities == {}


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
        forecast_of({"militia_attacks": [[0] * 7]}, probabilities={"american_killed": 1.5})


def test_plot_draws_bands_median_and_observed_weekly_counts():
    daily = np.zeros((3, 10), dtype=np.int64)
    daily[:, 0] = [1, 2, 3]
    f = forecast_of({"militia_attacks": daily})
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

    ax = forecast_of({"militia_attacks": [[0] * 7]}).plot(name="militia_attacks")
    try:
        assert ax.figure is not None
        assert ax.get_lines()[0].get_ydata().tolist() == [0, 0]
    finally:
        plt.close(ax.figure)


# ----- forecast() ----------------------------------------------------------------------------


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
        Scenario.load("baseline_2021"), start=first, end=first + datetime.timedelta(days=days - 1)
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


def test_an_unseeded_forecast_records_the_entropy_that_gives_it_again():
    fresh = forecast("baseline_2021", None, "2021-01-01", 30, n_worlds=20, look_ahead=True)
    assert fresh.extra["seeded"] is False
    entropy = fresh.extra["seed_entropy"]
    again = forecast("baseline_2021", None, "2021-01-01", 30, 20, seed=entropy, look_ahead=True)
    assert again.extra["seeded"] is True
    for name in SERIES:
        np.testing.assert_array_equal(fresh.daily[name], again.daily[name], err_msg=name)


def test_a_forecast_inside_its_posteriors_window_says_it_is_not_out_of_sample():
    """The shipped posterior was calibrated on all of 2021: a forecast from 1 July has seen the
    months it forecasts through its parameters, and says so unless look_ahead says it is meant."""
    history = load_events()
    history = history[history["date"] < "2021-07-01"]
    with pytest.warns(UserWarning, match="up to 2021-12-31, after the origin"):
        f = forecast("baseline_2021", history, "2021-07-01", 7, n_worlds=5, seed=1)
    assert f.extra["calibrated_through"] == "2021-12-31"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        forecast("baseline_2021", history, "2021-07-01", 7, n_worlds=5, seed=1, look_ahead=True)
        f = forecast("baseline_2021", load_events(), "2022-01-01", 7, n_worlds=5, seed=1)
    assert f.extra["calibrated_through"] == "2021-12-31"


def test_a_history_that_stops_long_before_the_origin_is_said_to():
    """The 2021 record stops on 31 December: a forecast from June 2022 on it alone replays five
    months as days without events, and says so."""
    with pytest.warns(UserWarning, match="last event is on 2021-12-27, 156 days before"):
        forecast("baseline_2021", load_events(), "2022-06-01", 7, n_worlds=5, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = pd.concat([load_events("2021"), load_events("2022")], ignore_index=True)
        forecast("baseline_2021", history, "2022-06-01", 7, n_worlds=5, seed=1)


def test_a_withdrawal_demand_in_the_history_is_not_a_forecast_one():
    """Iraq's parliament voted on 5 January 2020 for US forces to leave: replayed, that demand is
    Baghdad's, and a forecast from February counts only demands inside its horizon (none can
    follow: a demand is made once)."""
    record = load_events("2019-20")
    f = forecast("period_2019_20", record, "2020-02-01", 14, n_worlds=20, seed=2)
    assert f.probability("withdrawal_demanded") == 0.0


def test_a_forecast_leaves_out_what_was_not_yet_known():
    """From 1 July 2021, the 26 July agreement (rate x post_agreement_rate) is not yet known: the
    forecast is that of the scenario without it, unless look_ahead asks for the whole timeline."""
    base = dataclasses.replace(Scenario.load("baseline_2021"), posterior=None)
    surge = base.with_parameters(post_agreement_rate=5.0)
    without = dataclasses.replace(
        surge, timeline=tuple(e for e in surge.timeline if e.date != datetime.date(2021, 7, 26))
    )
    options = dict(n_worlds=200, seed=3)
    default = forecast(surge, None, "2021-07-01", 56, **options)
    reference = forecast(without, None, "2021-07-01", 56, **options)
    ahead = forecast(surge, None, "2021-07-01", 56, look_ahead=True, **options)
    for name in SERIES:
        np.testing.assert_array_equal(default.daily[name], reference.daily[name], err_msg=name)
    assert default.extra["left_out"] == [
        "2021-07-26: Biden and Kadhimi agree to end the US combat mission in Iraq by 31 December "
        "2021",
        "Vienna talks after 2021-07-01: schedule not yet public",
    ]
    assert ahead.extra["left_out"] == []
    # Five times the rate from 26 July: many more attacks in the weeks after it.
    late = slice(25, 56)
    assert ahead.series()[:, late].sum() > 2 * default.series()[:, late].sum()


def test_a_forecast_does_not_know_the_talks_pause_ahead():
    """From 1 May 2021 the talks are on and their 20 June pause not yet public: without look-ahead
    they run on (Iran's restraint holds), the forecast of the scenario whose patronage holds the
    schedule of 1 May. With look-ahead the talks pause after 20 June, so the worlds agree to 20
    June and then, with Iran's push unrestrained, have more militia attacks."""
    base = dataclasses.replace(Scenario.load("baseline_2021"), posterior=None)
    # Without the 26 July agreement (also unknown on 1 May), the talks are the only difference.
    scenario = dataclasses.replace(
        base, timeline=tuple(e for e in base.timeline if e.date != datetime.date(2021, 7, 26))
    )
    held = scenario.with_policy(
        "Iran", "patronage", "restraint_while_talks", talks="2021", known_on="2021-05-01"
    )
    options = dict(n_worlds=200, seed=5)
    default = forecast(scenario, None, "2021-05-01", 91, **options)
    reference = forecast(held, None, "2021-05-01", 91, look_ahead=True, **options)
    ahead = forecast(scenario, None, "2021-05-01", 91, look_ahead=True, **options)
    assert default.extra["left_out"] == ["Vienna talks after 2021-05-01: schedule not yet public"]
    assert ahead.extra["left_out"] == []
    paused = 51  # 21 June, the first day of the pause, is day 51 from 1 May
    for name in SERIES:
        np.testing.assert_array_equal(default.daily[name], reference.daily[name], err_msg=name)
        np.testing.assert_array_equal(
            default.daily[name][:, :paused], ahead.daily[name][:, :paused], err_msg=name
        )
    assert ahead.series()[:, paused:].sum() > 1.1 * default.series()[:, paused:].sum()


def test_forecast_with_empty_history_starts_fresh():
    empty = pd.DataFrame(columns=list(COLUMNS))
    f = forecast("baseline_2021", empty, "2021-03-01", 14, n_worlds=20, seed=1)
    run = _forward_run("2021-03-01", 14, 20, seed=1)
    for name in SERIES:
        np.testing.assert_array_equal(f.daily[name], run.daily_worlds[name].T, err_msg=name)


def test_forecast_from_a_posterior_draws_parameters_per_world(baseline_to_february):
    samples = pd.DataFrame({"militia_attack_rate": [0.0, 3.0], "weight": [0.5, 0.5]})
    post = Posterior(samples, baseline_to_february)
    f = forecast(post, None, "2021-02-01", 28, n_worlds=40, seed=2)
    totals = f.series().sum(axis=1)
    # Worlds drew rate 0 (no attacks at all) or 3 per day (dozens in four weeks).
    assert set(np.unique(totals > 0)) == {False, True}
    assert totals[totals > 0].min() > 20
