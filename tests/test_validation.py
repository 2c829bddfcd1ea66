"""Tests of rolling-origin validation: same weeks for every method, no look-ahead, determinism."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import escalation
import escalation.validation
from escalation.baselines import Poisson
from escalation.events.counts import MILITIA, STRIKE_ROUNDS, daily_counts, weekly_sums
from escalation.forecasting import METHOD, Forecast
from escalation.inference.posterior import Posterior
from escalation.scoring import diebold_mariano, pit_chisquare
from escalation.validation import (
    BaselineMethod,
    ModelMethod,
    calibrator,
    dm_tests,
    mean_scores,
    monthly_origins,
    pit_tests,
    validate,
)
from tests.helpers import canonical

START = pd.Timestamp("2021-01-01")
#: Attacks on days of 2021 (offsets from 1 January), bursts and quiet spells.
ATTACK_DAYS = [3, 4, 4, 20, 41, 42, 42, 43, 70, 95, 96, 120, 121, 121, 150, 180, 181, 200, 230]
EVENTS = canonical(
    [(START + pd.Timedelta(d, "D"), "militia", "rocket_attack") for d in ATTACK_DAYS]
    + [(START + pd.Timedelta(d, "D"), "US", "airstrike") for d in (44, 122, 161, 162)]
).assign(country="Iraq", location="Ain al-Asad", source="synthetic test data")
END = "2021-09-30"
ORIGINS = ["2021-06-01", "2021-07-01"]


class Oracle:
    """A method that knows the future: every world is the observed daily series."""

    def __call__(self, history, first, origin, days, n_worlds, seed):
        observed = daily_counts(EVENTS, origin, days)
        daily = {name: np.tile(observed[name], (n_worlds, 1)) for name in (MILITIA, STRIKE_ROUNDS)}
        return Forecast("Oracle", origin, days, daily)


class Spy:
    """A Poisson baseline that records the history each call saw."""

    def __init__(self):
        self.calls = []

    def __call__(self, history, first, origin, days, n_worlds, seed):
        self.calls.append((history["date"].max(), first, origin))
        model = Poisson().fit(history, start=first, end=origin - pd.Timedelta(days=1))
        return model.forecast(origin, days, n_worlds, seed=seed)


#: Cheap baselines (Hawkes's fit takes seconds) for the tests that validate repeatedly.
QUICK = ("Poisson", "Negative binomial", "Conflictology")


def baselines_table(seed=3, methods=QUICK):
    return validate(EVENTS, ORIGINS, methods=methods, n_worlds=200, seed=seed, end=END)


@pytest.fixture(scope="module")
def all_baselines():
    return baselines_table(methods=(*QUICK, "Hawkes"))


def test_every_method_is_scored_on_the_same_weeks_against_the_observed_counts(all_baselines):
    table = all_baselines
    # 2 origins x 4 methods x (4 + 8) weeks.
    assert len(table) == 2 * 4 * 12
    keys = table.groupby("method")[["origin", "horizon", "week_start"]].apply(
        lambda g: tuple(map(tuple, g.sort_values(["origin", "horizon", "week_start"]).values))
    )
    assert keys.nunique() == 1
    june = table[(table["origin"] == "2021-06-01") & (table["horizon"] == 56)]
    expected = weekly_sums(daily_counts(EVENTS, "2021-06-01", 56)[MILITIA])
    for _, rows in june.groupby("method"):
        np.testing.assert_array_equal(rows.sort_values("lead")["observed"], expected)
    # The 4-week horizon scores the first four weeks of the same forecast.
    first_weeks = table[(table["horizon"] == 56) & (table["lead"] <= 4)].drop(columns="horizon")
    four = table[table["horizon"] == 28].drop(columns="horizon")
    pd.testing.assert_frame_equal(
        first_weeks.sort_values(["origin", "method", "lead"]).reset_index(drop=True),
        four.sort_values(["origin", "method", "lead"]).reset_index(drop=True),
    )
    assert table["pit"].between(table["pit_lower"], table["pit_upper"]).all()


def test_same_seed_same_table_and_methods_do_not_disturb_each_other(all_baselines):
    together = baselines_table()
    pd.testing.assert_frame_equal(together, baselines_table())
    pd.testing.assert_frame_equal(
        together.reset_index(drop=True),
        all_baselines[all_baselines["method"] != "Hawkes"].reset_index(drop=True),
    )
    alone = baselines_table(methods=["Poisson"])
    pd.testing.assert_frame_equal(
        alone.reset_index(drop=True),
        together[together["method"] == "Poisson"].reset_index(drop=True),
    )
    assert not baselines_table(seed=4)["crps"].equals(together["crps"])


def test_methods_see_only_the_history_before_each_origin():
    spy = Spy()
    validate(EVENTS, methods={"Spy": spy}, n_worlds=10, seed=1, end=END)
    origins = [origin for _, _, origin in spy.calls]
    assert origins == list(monthly_origins(START, END))  # April..August
    for last_event, first, origin in spy.calls:
        assert last_event < origin and first == START


def test_a_forecaster_that_knows_the_future_scores_perfectly():
    table = validate(EVENTS, ORIGINS, methods={"Oracle": Oracle()}, n_worlds=5, seed=0, end=END)
    assert (table["crps"] == 0).all() and table["covered"].all()
    assert (table["interval_score"] == 0).all()
    # All five worlds hit the count: log score -ln((5 + 1) / (5 + K + 1)), K the count.
    k = table["observed"]
    np.testing.assert_allclose(table["log_score"], -np.log(6 / (6 + k)))
    # The strike round: certain and right every week, the smoothed log score -ln(6 / 7).
    assert (table["round_brier"] == 0).all()
    np.testing.assert_allclose(table["round_log_score"], -np.log(6 / 7))
    # One round (11-12 June) in the weeks scored from 1 June, counted in its week only.
    june = table[table["origin"] == "2021-06-01"]
    rounds = june.set_index(["horizon", "lead"])["rounds_observed"]
    assert rounds[(56, 2)] == 1 and rounds.sum() == 2  # once in each horizon
    assert table[table["origin"] == "2021-07-01"]["rounds_observed"].sum() == 0


class Coin:
    """Every other world strikes on the first day of every week: p = 1/2 each week."""

    def __call__(self, history, first, origin, days, n_worlds, seed):
        rounds = np.zeros((n_worlds, days), dtype=np.int64)
        rounds[::2, ::7] = 1
        daily = {MILITIA: np.zeros((n_worlds, days), dtype=np.int64), STRIKE_ROUNDS: rounds}
        return Forecast("Coin", origin, days, daily)


def test_a_coin_is_scored_a_quarter_a_week_whatever_happens():
    table = validate(EVENTS, ORIGINS, methods={"Coin": Coin()}, n_worlds=10, seed=0, end=END)
    assert (table["round_probability"] == 0.5).all() and (table["round_brier"] == 0.25).all()
    # Laplace's rule over yes and no: 5 of 10 worlds, p = (5 + 1) / (10 + 2) either way.
    np.testing.assert_allclose(table["round_log_score"], np.log(2))


def test_baselines_forecast_the_strike_round_and_are_scored_on_it(all_baselines):
    # Every shipped baseline simulates US strike rounds (escalation.baselines): none is NaN,
    # and the summary averages the weekly scores and counts the weeks that held a round.
    table = all_baselines
    assert table[["round_probability", "round_brier"]].notna().all().all()
    means = mean_scores(table)
    poisson = table[(table["method"] == "Poisson") & (table["horizon"] == 56)]
    assert means.loc[(56, "Poisson"), "round_brier"] == pytest.approx(poisson["round_brier"].mean())
    assert means.loc[(56, "Poisson"), "round_frequency"] == pytest.approx(1 / 16)
    brier = dm_tests(table, reference="Conflictology", score="round_brier")
    assert brier.loc[(56, "Poisson"), "n"] == 16
    assert brier.loc[(56, "Poisson"), "mean_difference"] == pytest.approx(
        means.loc[(56, "Conflictology"), "round_brier"] - means.loc[(56, "Poisson"), "round_brier"]
    )


def test_the_model_is_recalibrated_through_the_pluggable_calibrator():
    built_in = Posterior.load(Path(escalation.__file__).parent / "data" / "posterior_2021")
    windows = []

    def calibrator(history, start, end, seed):
        windows.append((start, end, history["date"].max()))
        return built_in

    methods = {METHOD: ModelMethod(calibrator), "Poisson": BaselineMethod(Poisson)}
    table = validate(EVENTS, ["2021-07-01"], methods=methods, n_worlds=20, seed=5, end=END)
    assert windows == [(START, pd.Timestamp("2021-06-30"), pd.Timestamp("2021-06-30"))]
    assert set(table["method"]) == {METHOD, "Poisson"}
    tests = dm_tests(table)
    assert list(tests.index) == [(28, "Poisson"), (56, "Poisson")]


def test_summaries_by_hand():
    rows = []
    for origin, crps_model, crps_other, pit in [
        ("2021-04-01", 1.0, 2.0, 0.05),
        ("2021-05-01", 2.0, 2.5, 0.55),
        ("2021-06-01", 0.5, 2.0, 0.95),
    ]:
        for method, crps in ((METHOD, crps_model), ("Poisson", crps_other)):
            rows.append(
                dict(
                    origin=pd.Timestamp(origin),
                    horizon=7,
                    lead=1,
                    method=method,
                    crps=crps,
                    log_score=crps,
                    ignorance=crps,
                    interval_score=crps,
                    covered=crps < 2,
                    pit=pit,
                    rounds_observed=int(origin == "2021-05-01"),
                    round_probability=0.5,
                    round_brier=0.25,
                    round_log_score=crps,
                )
            )
    table = pd.DataFrame(rows)
    means = mean_scores(table)
    assert means.loc[(7, METHOD), "crps"] == pytest.approx(3.5 / 3)
    assert means.loc[(7, METHOD), "round_frequency"] == pytest.approx(1 / 3)
    assert means.loc[(7, "Poisson"), "round_brier"] == pytest.approx(0.25)
    assert means.loc[(7, "Poisson"), "coverage90"] == 0
    assert means.loc[(7, METHOD), "n_origins"] == 3
    dm = dm_tests(table).loc[(7, "Poisson")]
    expected = diebold_mariano([1.0, 2.0, 0.5], [2.0, 2.5, 2.0], horizon=1)
    assert dm["p_value"] == pytest.approx(expected.p_value)
    assert dm["mean_difference"] == pytest.approx(-1.0)
    chi = pit_tests(table, bins=2).loc[(7, METHOD)]
    assert chi["chi2"] == pytest.approx(pit_chisquare([0.05, 0.55, 0.95], bins=2).statistic)


class Interrupted(Exception):
    """Stands for a user's Ctrl-C in the middle of a validation."""


class StopsAt:
    """A Poisson baseline that is interrupted at one origin."""

    def __init__(self, origin):
        self.origin = pd.Timestamp(origin)

    def __call__(self, history, first, origin, days, n_worlds, seed):
        if origin == self.origin:
            raise Interrupted
        return BaselineMethod(Poisson)(history, first, origin, days, n_worlds, seed)


def test_an_interrupted_validation_resumes_to_the_uninterrupted_table(tmp_path):
    path = tmp_path / "validation.npz"
    origins = ["2021-05-01", *ORIGINS]

    def run(method, n_worlds=50, **options):
        methods = {"Poisson": method}
        return validate(EVENTS, origins, methods=methods, n_worlds=n_worlds, end=END, **options)

    uninterrupted = run(BaselineMethod(Poisson), seed=8)
    with pytest.raises(Interrupted):
        run(StopsAt("2021-07-01"), seed=8, checkpoint=path)
    # Two origins were saved; resuming runs only the third (no seed: the file's is taken).
    resumed = run(StopsAt("2021-06-01"), checkpoint=path)
    pd.testing.assert_frame_equal(resumed, uninterrupted)
    # A finished checkpoint returns its table without running anything.
    pd.testing.assert_frame_equal(run(StopsAt("2021-05-01"), checkpoint=path), uninterrupted)
    with pytest.raises(ValueError, match="n_worlds"):
        run(BaselineMethod(Poisson), n_worlds=60, checkpoint=path)
    with pytest.raises(ValueError, match="seed"):
        run(BaselineMethod(Poisson), seed=9, checkpoint=path)
    with pytest.raises(ValueError, match="span"):
        run(BaselineMethod(Poisson), checkpoint=path, start="2020-12-01")


def test_a_checkpoint_refuses_other_calibration_settings(tmp_path, monkeypatch):
    """The model's calibration settings are part of what a checkpoint checks (calibration here
    returns the shipped posterior at once, so the settings change nothing but the check)."""
    built_in = Posterior.load(Path(escalation.__file__).parent / "data" / "posterior_2021")
    fits = []
    monkeypatch.setattr(
        escalation.validation,
        "calibrate",
        lambda *args, **settings: fits.append(settings) or built_in,
    )
    path = tmp_path / "validation.npz"

    def run(**settings):
        methods = {METHOD: ModelMethod(calibrator(**settings))}
        return validate(
            EVENTS, ["2021-07-01"], methods=methods, n_worlds=10, seed=2, end=END, checkpoint=path
        )

    with pytest.warns(UserWarning, match="not an out-of-sample forecast"):
        first = run(population_size=50)
    assert fits[0]["population_size"] == 50
    pd.testing.assert_frame_equal(run(population_size=50), first)  # resumed: no new fit
    assert len(fits) == 1
    with pytest.raises(ValueError, match="population_size"):
        run(population_size=60)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="origin 2021-09-01"):
        validate(EVENTS, ["2021-09-01"], methods=["Poisson"], end=END)
    with pytest.raises(ValueError, match="unknown"):
        validate(EVENTS, ORIGINS, methods=["ARIMA"], end=END)
    with pytest.raises(ValueError, match="horizons"):
        validate(EVENTS, ORIGINS, horizons=(0,), methods=["Poisson"], end=END)
    with pytest.raises(ValueError, match="reference"):
        dm_tests(baselines_table(methods=["Poisson"]))


def test_public_name():
    assert escalation.validate is validate


# ----- figures -------------------------------------------------------------------------------


def test_pit_histogram_draws_densities_around_the_uniform_line():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    pit = np.array([0.05, 0.05, 0.15, 0.95])  # bins of width 0.5: 3 and 1 of 4 values
    ax = escalation.plotting.pit_histogram(pit, bins=2)
    heights = [patch.get_height() for patch in ax.patches]
    np.testing.assert_allclose(heights, [3 / 4 / 0.5, 1 / 4 / 0.5])
    assert [tuple(line.get_ydata()) for line in ax.lines] == [(1.0, 1.0)]
    assert "chi2 = 1.0" in ax.get_title(loc="left")  # the shared style titles on the left
    matplotlib.pyplot.close(ax.figure)


def test_reliability_diagram_plots_the_coverage_of_each_level():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    pit = np.array([0.5, 0.02, 0.7, 0.96])
    ax = escalation.plotting.reliability_diagram({"a": pit}, levels=[0.5, 0.9])
    diagonal, line = ax.lines
    np.testing.assert_allclose(line.get_xydata(), [[0.5, 0.5], [0.9, 0.5]])
    assert line.get_label() == "a"
    matplotlib.pyplot.close(ax.figure)
