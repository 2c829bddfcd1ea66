"""calibrate(): end to end on canonical data, reproducible, resumable, recovering known truths."""

from __future__ import annotations

import dataclasses
import datetime as dt
import warnings
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd
import pytest

from escalation.ensemble import posterior_draws, posterior_path, run_ensemble, simulate_statistics
from escalation.errors import ScenarioError
from escalation.events.io import load_events
from escalation.events.schema import COLUMNS
from escalation.events.statistics import summary_statistics
from escalation.inference.calibration import (
    calibrate,
    calibration_scenario,
    calibration_window,
    posterior_predictive,
    predictive_statistics,
    priors,
)
from escalation.inference.posterior import Posterior, prior_sd
from escalation.model.model import EscalationModel
from escalation.model.scenario import Scenario

TINY = {"method": "abc", "budget": 500, "population_size": 100, "progress": False}


def _recovery_scenario(end: dt.date) -> Scenario:
    text = (
        'name = "recovery"\nextends = "baseline_2021"\nposterior = ""\n'
        f"end = {end.isoformat()}\n"
        'calibrate = ["militia_attack_rate", "drone_share", "us_response_threshold"]\n'
    )
    return Scenario.from_toml(text, origin="<recovery>")


def _synthetic(scenario: Scenario, truth: dict, seed: int) -> pd.DataFrame:
    """One simulated world's events, as an observed canonical log."""
    model = EscalationModel(scenario, 1, seed=seed, parameters=truth).run()
    return model.event_log()[list(COLUMNS)]


def test_calibrate_on_a_slice_of_the_builtin_data():
    observed = load_events()
    first_half = observed[observed["date"] < "2021-04-01"]
    post = calibrate(first_half, start="2021-01-01", end="2021-03-31", seed=1, **TINY)
    # Every calibrated parameter but the factors of entries after March (26 July 2021, 2022).
    left_out = {"post_agreement_rate", "post_agreement_non_ied", "ied_report_2022"}
    scenario = Scenario.load("baseline_2021")
    expected = [name for name in scenario.calibrate if name not in left_out]
    assert list(post.samples.columns) == expected + ["weight"]
    assert post.samples["weight"].sum() == pytest.approx(1.0)
    assert post.base_scenario.start == dt.date(2021, 1, 1)
    assert post.base_scenario.end == dt.date(2021, 3, 31)
    assert post.base_scenario.posterior is None
    for name, prior in priors(post.base_scenario).items():
        low, high = prior.support()
        assert post.samples[name].between(low, high).all()
    assert post.diagnostics["simulations_total"] <= TINY["budget"]


def test_window_defaults_to_the_span_of_the_observed_dates(tmp_path):
    observed = load_events()
    path = tmp_path / "events.csv"
    sliced = observed[(observed["date"] >= "2021-06-01") & (observed["date"] <= "2021-07-31")]
    sliced.assign(date=sliced["date"].dt.strftime("%Y-%m-%d")).to_csv(path, index=False)
    post = calibrate(str(path), seed=2, **TINY)
    assert post.base_scenario.start == sliced["date"].min().date()
    assert post.base_scenario.end == sliced["date"].max().date()


def test_a_window_past_the_record_is_refused_or_warned_of():
    """The 2021 record's last event is on 27 December 2021: a window of 2025 holds nothing
    observed, and one to the end of 2022 would score 369 days past it as quiet ones."""
    observed = load_events()
    with pytest.raises(ValueError, match="starts after the record's last event"):
        calibration_window(observed, "2025-06-01", "2025-07-01")
    with pytest.warns(UserWarning, match="2021-12-27, 369 days before its end"):
        assert calibration_window(observed, "2021-01-01", "2022-12-31")[1] == dt.date(2022, 12, 31)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a window within the record: no warning
        calibration_window(observed, "2021-01-01", "2021-12-31")


@pytest.mark.slow
def test_same_seed_same_posterior_whatever_the_executor():
    observed = load_events()
    observed = observed[observed["date"] < "2021-03-01"]
    a = calibrate(observed, start="2021-01-01", end="2021-02-28", seed=5, **TINY)
    with ProcessPoolExecutor(2) as pool:
        b = calibrate(observed, start="2021-01-01", end="2021-02-28", seed=5, executor=pool, **TINY)
    pd.testing.assert_frame_equal(a.samples, b.samples)
    c = calibrate(observed, start="2021-01-01", end="2021-02-28", seed=6, **TINY)
    assert not a.samples.equals(c.samples)


def test_an_interrupted_run_resumes_to_the_same_posterior(tmp_path, monkeypatch):
    import escalation.inference.calibration as calibration

    observed = load_events()
    observed = observed[observed["date"] < "2021-03-01"]
    args = dict(start="2021-01-01", end="2021-02-28", seed=7, **TINY)
    straight = calibrate(observed, **args)

    real = calibration.simulate_statistics
    calls = {"n": 0}

    def interrupted(*a, **k):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(*a, **k)

    path = tmp_path / "abc.npz"
    monkeypatch.setattr(calibration, "simulate_statistics", interrupted)
    with pytest.raises(KeyboardInterrupt):
        calibrate(observed, checkpoint=path, **args)
    assert path.exists()
    monkeypatch.setattr(calibration, "simulate_statistics", real)
    resumed = calibrate(observed, checkpoint=path, **args)
    pd.testing.assert_frame_equal(resumed.samples, straight.samples)


@pytest.mark.parametrize("method", ["likelihood", "abc"])
def test_an_unseeded_run_is_taken_up_by_an_unseeded_call(tmp_path, method):
    """calibrate's default seed is None: a rerun with the same checkpoint continues the run
    from the seed it recorded instead of refusing it for another seed."""
    observed = load_events()
    january = observed[observed["date"] < "2021-02-01"]
    args = dict(start="2021-01-01", end="2021-01-31", method=method)
    abc = {key: value for key, value in TINY.items() if key not in ("method", "progress")}
    small = abc if method == "abc" else dict(population_size=20, runs=2, max_moves=1)
    path = tmp_path / "january"
    first = calibrate(january, checkpoint=path, progress=False, **small, **args)
    again = calibrate(january, checkpoint=path, progress=False, **small, **args)
    pd.testing.assert_frame_equal(again.samples, first.samples)


def test_a_checkpoint_of_other_data_is_refused_not_resumed(tmp_path):
    observed = load_events()
    january = observed[observed["date"] < "2021-02-01"]
    args = dict(start="2021-01-01", end="2021-01-31", seed=1)
    small = dict(population_size=20, runs=1, max_moves=1, progress=False)
    path = tmp_path / "january"
    calibrate(january, checkpoint=path, **small, **args)
    with pytest.raises(ValueError, match="identity"):
        calibrate(january.iloc[1:], checkpoint=path, **small, **args)
    abc = tmp_path / "abc.npz"
    calibrate(january, checkpoint=abc, **TINY, **args)
    other = Scenario.load("trump_red_line")
    with pytest.raises(ValueError, match="identity"):
        calibrate(january, other, checkpoint=abc, **TINY, **args)


def test_scenario_without_calibrated_parameters_is_refused():
    scenario = Scenario.from_toml(
        'name = "none"\nextends = "baseline_2021"\ncalibrate = []\n', origin="<none>"
    )
    with pytest.raises(ScenarioError, match="calibrate"):
        calibration_scenario(scenario, dt.date(2021, 1, 1), dt.date(2021, 2, 1))


def test_calibration_leaves_out_the_timeline_factors_its_window_cannot_inform():
    """baseline_2021's post_agreement_rate and post_agreement_non_ied act from 26 July 2021
    and ied_report_2022 from 1 January 2022, only through the timeline: a window ending before an
    entry leaves its factor out (so the shipped 2021 posterior does not sample the 2022 factor),
    one reaching it keeps it. A factor that policies also read is kept whatever the dates."""
    base = Scenario.load("baseline_2021")
    start = dt.date(2021, 1, 1)
    windows = {
        dt.date(2021, 6, 30): {"post_agreement_rate", "post_agreement_non_ied", "ied_report_2022"},
        dt.date(2021, 12, 31): {"ied_report_2022"},
        dt.date(2022, 3, 31): set(),
    }
    for end, left_out in windows.items():
        kept = calibration_scenario(base, start, end).calibrate
        assert set(base.calibrate) - set(kept) == left_out, end
        assert list(kept) == [n for n in base.calibrate if n not in left_out]
    later = base.to_toml() + (
        "\n[[timeline]]\ndate = 2022-06-01\n"
        'multiply = { militia_attack_rate = "campaign_intensity" }\n'
    )
    read_by_policies = Scenario.from_toml(later, origin="<later>")
    assert "campaign_intensity" in calibration_scenario(read_by_policies, start, end).calibrate
    only_2022 = dataclasses.replace(base, calibrate=("ied_report_2022",))
    with pytest.raises(
        ScenarioError, match=r"ied_report_2022 act only through timeline .*2021-12-31"
    ):
        calibration_scenario(only_2022, start, dt.date(2021, 12, 31))


def test_the_shipped_posterior_samples_what_a_2021_calibration_of_the_baseline_samples():
    """baseline_2021 draws from posterior_2021: it must hold the parameters a calibration of the
    baseline on 2021 samples, no more and no fewer (a parameter added to the baseline's list
    that 2021 informs needs the posterior shipped again: experiments/calibrate_2021.py --ship)."""
    shipped = Posterior.load(posterior_path("posterior_2021"))
    baseline = Scenario.load("baseline_2021")
    year = calibration_scenario(baseline, dt.date(2021, 1, 1), dt.date(2021, 12, 31))
    assert shipped.parameter_names == year.calibrate
    assert shipped.base_scenario.calibrate == year.calibrate


def test_statistics_are_computed_alike_for_observed_and_simulated(tmp_path):
    """A simulated world's log, written as a canonical CSV and read back as observed data,
    gives the statistics calibration computed for that world while simulating."""
    scenario = _recovery_scenario(dt.date(2021, 6, 30))
    parameters = {"militia_attack_rate": np.full(6, 0.4), "drone_share": np.full(6, 0.2)}
    result = run_ensemble(scenario, 6, seed=3, parameters=parameters, progress=False)
    simulated = simulate_statistics(scenario, parameters, seed=3)
    # The comparison means something only if the worlds hold rounds, deaths and injuries.
    assert (result.worlds[["us_strike_rounds", "us_killed", "us_injured"]].sum() > 0).all()
    for world in range(6):
        log = result.events[result.events["world"] == world][list(COLUMNS)]
        path = tmp_path / f"world{world}.csv"
        log.assign(date=log["date"].dt.strftime("%Y-%m-%d")).to_csv(path, index=False)
        observed = summary_statistics(load_events(path), scenario.start, scenario.end)
        pd.testing.assert_series_equal(
            observed.iloc[0], simulated.loc[world], check_names=False, rtol=1e-12
        )


def test_posterior_predictive_table():
    """Every row set against statistics simulated independently from the same draws."""
    observed = load_events()
    observed = observed[observed["date"] < "2021-03-01"]
    post = calibrate(observed, start="2021-01-01", end="2021-02-28", seed=8, **TINY)
    n = 60
    table = posterior_predictive(post, observed, n_worlds=n, seed=1).set_index("statistic")
    # The same draws (world i, seed 1), run as one batched model rather than in chunks.
    base = post.base_scenario
    draws = posterior_draws(post, 1, np.arange(n))
    model = EscalationModel(base, n, seed=1, parameters=draws, record_daily=False).run()
    simulated = predictive_statistics(
        summary_statistics(model.event_log(), base.start, base.end, worlds=np.arange(n))
    )
    actual = predictive_statistics(summary_statistics(observed, base.start, base.end)).iloc[0]
    assert "attacks_busy_day_share" in table.index
    assert list(table.index) == list(simulated.columns)
    np.testing.assert_allclose(table["observed"], actual.to_numpy(dtype=float))
    for name, row in table.iterrows():
        values = simulated[name].dropna().to_numpy(dtype=float)
        assert len(values) > 0, name
        q05, q50, q95 = np.quantile(values, [0.05, 0.5, 0.95])
        assert (row["q05"], row["q50"], row["q95"]) == pytest.approx((q05, q50, q95)), name
        assert row["p_below"] == pytest.approx(np.mean(values < row["observed"])), name
        assert row["inside90"] == (q05 <= row["observed"] <= q95), name
    # The draws differ from world to world: the bands are not those of a single parameter set.
    assert len(np.unique(draws["militia_attack_rate"])) > 1
    assert table["inside90"].any() and (table["q95"] > table["q05"]).any()


@pytest.mark.slow
def test_a_dask_cluster_gives_the_same_posterior_as_serial(dask_cluster):
    observed = load_events()
    observed = observed[observed["date"] < "2021-02-01"]
    args = dict(
        start="2021-01-01", end="2021-01-31", seed=9, budget=200, population_size=40, method="abc"
    )
    serial = calibrate(observed, progress=False, **args)
    distributed = calibrate(observed, executor=dask_cluster, progress=False, **args)
    pd.testing.assert_frame_equal(distributed.samples, serial.samples)
    assert distributed.diagnostics["simulations"] == serial.diagnostics["simulations"]
    assert serial.diagnostics["generations"] >= 2  # proposals, not only prior draws, went out


@pytest.mark.slow
@pytest.mark.statistical
def test_parameter_recovery_covers_the_truth_and_contracts():
    """Simulation-based calibration in miniature (Talts et al. 2018), by the exact likelihood.

    Four synthetic years from known parameters. The truth should lie inside the 90% credible
    interval most of the time: with 4 datasets x 3 parameters and a nominal 90% rate, at least
    8 of 12 (fewer has probability below 0.5%). Coverage alone is passed by a calibrator that
    returns the prior, so the posterior must also contract: mean contraction (1 - posterior
    variance / prior variance) at least 0.5, where the prior scores 0.
    """
    scenario = _recovery_scenario(dt.date(2021, 12, 31))
    prior_sds = {name: prior_sd(p) for name, p in priors(scenario).items()}
    truths = [
        {"militia_attack_rate": 0.25, "drone_share": 0.15, "us_response_threshold": 10.0},
        {"militia_attack_rate": 0.45, "drone_share": 0.25, "us_response_threshold": 20.0},
        {"militia_attack_rate": 0.35, "drone_share": 0.10, "us_response_threshold": 6.0},
        {"militia_attack_rate": 0.20, "drone_share": 0.30, "us_response_threshold": 15.0},
    ]
    inside, contraction = 0, []
    for i, truth in enumerate(truths):
        observed = _synthetic(scenario, truth, seed=100 + i)
        post = calibrate(
            observed,
            scenario=scenario,
            start=scenario.start,
            end=scenario.end,
            seed=200 + i,
            population_size=200,
            runs=1,
            max_moves=8,
            progress=False,
        )
        summary = post.summary()
        for name, value in truth.items():
            inside += bool(summary.loc[name, "q05"] <= value <= summary.loc[name, "q95"])
            contraction.append(1 - (summary.loc[name, "sd"] / prior_sds[name]) ** 2)
    assert inside >= 8
    assert np.mean(contraction) >= 0.5


@pytest.mark.slow
@pytest.mark.statistical
def test_abc_and_the_likelihood_agree_where_both_apply():
    """On one synthetic year, the two methods' posterior means lie within 2 posterior sd.

    The sd is the larger of the two (ABC's, at this budget): ABC on summary statistics can only
    be less precise than the exact likelihood, so the test asks for agreement, not equal width.
    """
    scenario = _recovery_scenario(dt.date(2021, 12, 31))
    observed = _synthetic(scenario, {"militia_attack_rate": 0.3, "drone_share": 0.2}, seed=5)
    common = dict(scenario=scenario, start=scenario.start, end=scenario.end, progress=False)
    exact = calibrate(observed, seed=1, population_size=200, runs=1, **common).summary()
    abc = calibrate(
        observed, seed=1, method="abc", budget=20_000, population_size=500, **common
    ).summary()
    for name in ("militia_attack_rate", "drone_share"):
        sd = max(exact.loc[name, "sd"], abc.loc[name, "sd"])
        assert abs(exact.loc[name, "mean"] - abc.loc[name, "mean"]) < 2 * sd, name
