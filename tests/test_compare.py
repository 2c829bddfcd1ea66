"""Scenario comparison: paired differences by hand, posterior bands, common random numbers."""

import dataclasses
import datetime as dt
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from escalation.cli.report import format_table
from escalation.compare import (
    COLUMNS,
    QUANTITIES,
    compare_results,
    compare_scenarios,
    observed_for,
    observed_period,
    observed_quantities,
    paired_comparison,
    run_scenarios,
)
from escalation.ensemble import EnsembleResult
from escalation.errors import ScenarioError
from escalation.events.io import load_events
from escalation.inference.posterior import Posterior
from escalation.model.scenario import Scenario


def worlds_table(militia_attacks, us_killed=None, max_rung=None, ids=None):
    """A minimal worlds table with the columns the compared quantities read (by default no
    American killed and every world on rung 1)."""
    n = len(militia_attacks)
    us_killed = np.zeros(n, dtype=int) if us_killed is None else us_killed
    max_rung = np.ones(n, dtype=int) if max_rung is None else max_rung
    return pd.DataFrame(
        {
            "world": np.arange(n) if ids is None else ids,
            "militia_attacks": militia_attacks,
            "us_strike_rounds": np.zeros(n, dtype=int),
            "israeli_strikes": np.zeros(n, dtype=int),
            "us_killed": us_killed,
            "max_rung": max_rung,
            "withdrawal_demanded": np.zeros(n, dtype=bool),
        }
    )


def row(table, quantity):
    return table.set_index("quantity").loc[quantity]


def test_paired_difference_and_its_standard_error_by_hand():
    scenario = worlds_table([1, 2, 3, 4], us_killed=[0, 2, 0, 1], max_rung=[3, 4, 5, 2])
    baseline = worlds_table([1, 1, 2, 2])
    table = paired_comparison(scenario, baseline)
    attacks = row(table, "militia attacks")
    # Estimate: mean 2.5, sd of (1, 2, 3, 4) = sqrt(5/3), s.e. sqrt(5/3) / 2.
    assert attacks["estimate"] == pytest.approx(2.5)
    assert attacks["mcse"] == pytest.approx(math.sqrt(5 / 3) / 2)
    # Paired differences (0, 1, 1, 2): mean 1, sd sqrt(2/3), s.e. sqrt(2/3) / 2 = 0.408; two
    # independent samples would give sqrt(5/3 / 4 + 1/3 / 4) = 0.707.
    assert attacks["difference"] == pytest.approx(1.0)
    assert attacks["difference_mcse"] == pytest.approx(math.sqrt(2 / 3) / 2)
    killed = row(table, "P(an American killed)")
    assert killed["estimate"] == pytest.approx(0.5)
    assert killed["difference_mcse"] == pytest.approx(math.sqrt(1 / 3) / 2)
    assert row(table, "Americans killed")["estimate"] == pytest.approx(0.75)
    assert row(table, "P(reach rung 4: lethal exchange)")["estimate"] == pytest.approx(0.5)
    assert row(table, "P(reach rung 3: reprisal)")["estimate"] == pytest.approx(0.75)
    assert list(table["quantity"]) == [q.name for q in QUANTITIES]
    assert table["n"].tolist() == [4] * len(QUANTITIES)


def test_worlds_are_paired_by_id_not_by_row():
    scenario = worlds_table([1, 2, 3, 4])
    baseline = worlds_table([2, 2, 1, 1], ids=[3, 2, 1, 0])  # worlds 0..3 hold 1, 1, 2, 2
    attacks = row(paired_comparison(scenario, baseline), "militia attacks")
    assert attacks["difference_mcse"] == pytest.approx(math.sqrt(2 / 3) / 2)


def test_mismatched_worlds_are_refused():
    with pytest.raises(ValueError, match="same seed"):
        paired_comparison(worlds_table([1, 2, 3, 4]), worlds_table([1, 2, 3, 4], ids=[0, 1, 2, 5]))


def band(values, draws):
    """The militia-attack posterior band of a scenario against an all-zero baseline."""
    n = len(values)
    parameters = {"militia_attack_rate": np.asarray(draws, dtype=float)}
    table = paired_comparison(worlds_table(values), worlds_table([0] * n), parameters, parameters)
    attacks = row(table, "militia attacks")
    return attacks["posterior_q05"], attacks["posterior_q95"], attacks


def test_posterior_band_removes_the_monte_carlo_noise_by_hand():
    # Draws A (worlds 0, 2) and B (worlds 4, 6): means 1 and 5, overall 3. Within-draw
    # variance s2 = (1 + 1 + 1 + 1) / (4 - 2) = 2; variance of the means over worlds 4, of
    # which J s2 / N = 2 x 2 / 4 = 1 is noise: deviations scale by sqrt(3/4), to 3 -+ sqrt(3).
    q05, q95, attacks = band([0, 2, 4, 6], [0.1, 0.1, 0.2, 0.2])
    assert q05 == pytest.approx(3 - math.sqrt(3))
    assert q95 == pytest.approx(3 + math.sqrt(3))
    assert attacks["difference_posterior_q05"] == pytest.approx(3 - math.sqrt(3))


def test_posterior_band_weights_each_draw_by_its_worlds():
    # Draw A holds world 0 (value 0), draw B worlds 1-3 (4, 5, 6): means 0 and 5, overall 3.75;
    # s2 = 2 / 2 = 1; variance of the means over worlds (3.75^2 + 3 x 1.25^2) / 4 = 4.6875,
    # noise 2 x 1 / 4 = 0.5; scale sqrt(4.1875 / 4.6875). Over worlds (a, b, b, b) the 5%
    # quantile lies 0.15 of the way from a to b, the 95% quantile is b.
    scale = math.sqrt(4.1875 / 4.6875)
    a, b = 3.75 - scale * 3.75, 3.75 + scale * 1.25
    q05, q95, _ = band([0, 4, 5, 6], [0.1, 0.2, 0.2, 0.2])
    assert q05 == pytest.approx(a + 0.15 * (b - a))
    assert q95 == pytest.approx(b)


@pytest.mark.parametrize(
    "values", [[0, 4, 1, 3], [0, 4, 2, 3]], ids=["equal draw means", "means within the noise"]
)
def test_no_band_when_the_draws_explain_nothing(values):
    # Draws A (worlds 0, 1) and B (worlds 2, 3). Means 2 and 2: no spread between the draws.
    # Means 2 and 2.5, overall 2.25: the variance of the means over worlds, 0.0625, is less than
    # the noise J s2 / N = 2 x 4.25 / 4 (s2 = (4 + 4 + 0.25 + 0.25) / 2), so tau^2 = 0. Either
    # way every deviation scales to 0 and the band would be the estimate with no width, [2, 2]
    # or [2.25, 2.25]: reported as unknown.
    q05, q95, attacks = band(values, [0.1, 0.1, 0.2, 0.2])
    assert attacks["estimate"] == pytest.approx(np.mean(values))
    assert math.isnan(q05) and math.isnan(q95)


def test_no_band_for_an_event_too_rare_for_the_worlds_per_draw():
    # 21 draws of two worlds; only one draw's worlds see the event (3 each): the overall mean is
    # 6 / 42, and 40 of 42 worlds (95.2%) sit in draws whose mean is 0, so both quantiles fall
    # on the zeros, a band [0, 0] that leaves out the estimate: reported as unknown.
    q05, q95, attacks = band([0] * 40 + [3, 3], [0.01 * (k // 2 + 1) for k in range(42)])
    assert attacks["estimate"] == pytest.approx(6 / 42)
    assert math.isnan(q05) and math.isnan(q95)


def test_posterior_band_needs_two_worlds_in_some_draw():
    q05, q95, _ = band([0, 4, 1, 3], [0.1, 0.2, 0.3, 0.4])
    assert math.isnan(q05) and math.isnan(q95)


@pytest.mark.parametrize(
    "parameters",
    [None, {}, {"lethality": 0.02}, {"lethality": np.full(4, 0.02)}],
    ids=["none", "empty", "scalar", "constant"],
)
def test_no_band_without_varying_draws(parameters):
    table = paired_comparison(worlds_table([1, 2, 3, 4]), worlds_table([1, 1, 2, 2]), parameters)
    assert table["posterior_q05"].isna().all()
    assert table["posterior_q95"].isna().all()


def test_tiny_real_comparison_has_the_columns_and_a_zero_self_difference():
    twin = dataclasses.replace(Scenario.load("trump_red_line"), name="trump_again")
    table = compare_scenarios(
        [twin, "no_retaliation"], 40, seed=5, baseline="trump_red_line", progress=False
    )
    assert list(table.columns) == list(COLUMNS)
    assert list(pd.unique(table["scenario"])) == ["trump_red_line", "trump_again", "no_retaliation"]
    again = table[table["scenario"] == "trump_again"]
    assert (again["difference"] == 0).all()
    assert (again["difference_mcse"] == 0).all()
    rounds = table[table["quantity"] == "US strike rounds"].set_index("scenario")
    assert rounds.loc["no_retaliation", "estimate"] == 0
    text = format_table(table, "trump_red_line")
    assert all(q.name in text for q in QUANTITIES)


def test_scenarios_over_another_window_than_the_baseline_are_refused():
    with pytest.raises(
        ScenarioError,
        match=r"'no_retaliation' covers 2021-01-01 to 2021-12-31 \(365 days\) but the baseline "
        r"'period_2019_20' covers 2019-12-27 to 2020-03-31 \(96 days\)",
    ):
        run_scenarios(["no_retaliation"], 2, seed=1, baseline="period_2019_20", progress=False)


def test_results_over_another_window_than_the_baseline_are_refused():
    base = Scenario.load("baseline_2021")
    spring = dataclasses.replace(base, name="spring", end=dt.date(2021, 3, 31))
    results = {
        s.name: EnsembleResult(s, 4, worlds_table([1, 2, 3, 4]), pd.DataFrame())
        for s in (base, spring)
    }
    with pytest.raises(ValueError, match=r"'spring' covers 2021-01-01 to 2021-03-31 \(90 days\)"):
        compare_results(results, "baseline_2021")


def test_the_baseline_given_again_as_a_copy_of_its_file_is_run_once(tmp_path):
    base = Scenario.load("trump_red_line")
    copy = Path(shutil.copy(base.origin, tmp_path / "copy.toml"))
    results = run_scenarios([copy, "no_retaliation"], 2, seed=1, baseline=base, progress=False)
    assert list(results) == ["trump_red_line", "no_retaliation"]


def test_another_scenario_under_the_baseline_name_is_refused(tmp_path):
    edited = tmp_path / "edited.toml"
    edited.write_text(
        'name = "baseline_2021"\nextends = "baseline_2021"\n\n[parameters]\n'
        "militia_attack_rate = 0.2\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError, match="edited.toml: key 'name': 'baseline_2021' is the"):
        run_scenarios([edited], 2, seed=1, progress=False)


@pytest.mark.statistical
def test_shared_posterior_gives_each_world_the_same_draw_in_every_scenario(tmp_path):
    base = Scenario.load("baseline_2021")
    samples = pd.DataFrame({"militia_attack_rate": [0.1, 0.3, 0.6], "weight": [1.0, 1.0, 1.0]})
    Posterior(samples, base).save(tmp_path / "posterior")
    calibrated = tmp_path / "calibrated.toml"
    calibrated.write_text(
        f'name = "calibrated"\nextends = "baseline_2021"\nend = 2021-03-31\n'
        f'posterior = "{(tmp_path / "posterior").as_posix()}"\n',
        encoding="utf-8",
    )
    restrained = tmp_path / "restrained.toml"
    restrained.write_text(
        'name = "restrained"\nextends = "calibrated.toml"\n\n[policies.US]\n'
        'retaliation = "no_retaliation"\n',
        encoding="utf-8",
    )
    pinned = tmp_path / "pinned.toml"
    pinned.write_text(
        'name = "pinned"\nextends = "calibrated.toml"\n\n[parameters]\nmilitia_attack_rate = 0.2\n',
        encoding="utf-8",
    )
    results = run_scenarios(
        [restrained, pinned], 90, seed=11, baseline=calibrated, progress=False, worlds_per_draw=15
    )
    assert "militia_attack_rate" not in results.pop("pinned").parameters
    drawn = [r.parameters["militia_attack_rate"] for r in results.values()]
    np.testing.assert_array_equal(drawn[0], drawn[1])
    assert set(drawn[0]) <= {0.1, 0.3, 0.6} and len(set(drawn[0])) > 1
    # Six draws, each shared by 15 consecutive worlds.
    np.testing.assert_array_equal(drawn[0], np.repeat(drawn[0][::15], 15))
    attacks = row(
        compare_results(results, "calibrated").query("scenario == 'calibrated'"), "militia attacks"
    )
    # Three quite different attack rates: the spread across draws dwarfs the Monte Carlo error.
    assert attacks["posterior_q95"] - attacks["posterior_q05"] > 10 * attacks["mcse"]


def test_observed_quantities_count_the_2021_record():
    events = load_events()
    values = observed_quantities(events, "2021-01-01", "2021-12-31")
    militia = events["actor"] == "militia"
    attack = events["event_type"].isin(
        ["rocket_attack", "drone_attack", "ied_attack", "other_attack", "interception_only"]
    )
    on_the_pm = events["target"].str.contains("Iraqi PM", na=False)  # outside the model
    assert values["militia attacks"] == (militia & attack & ~on_the_pm).sum()
    israeli = (events["actor"] == "Israel") & (events["event_type"] == "airstrike")
    assert values["Israeli strikes"] == events.loc[israeli, "date"].nunique()  # one a day
    assert values["P(an American killed)"] == float(events["us_killed"].fillna(0).sum() > 0)
    assert values["P(Baghdad demands withdrawal)"] == 0.0  # Baghdad made no demand in 2021


def test_the_winter_record_holds_baghdads_demand_that_us_forces_leave():
    # Iraq's parliament voted on 5 January 2020 to expel foreign troops (AP, 2020-01-05, "Iraq
    # parliament votes to expel US military"): the winter's record is a world where Baghdad
    # demanded withdrawal, a week before it is not.
    winter = load_events("2019_2020")
    assert (
        observed_quantities(winter, "2019-12-27", "2020-03-31")["P(Baghdad demands withdrawal)"]
        == 1.0
    )
    assert (
        observed_quantities(winter, "2019-12-27", "2020-01-04")["P(Baghdad demands withdrawal)"]
        == 0.0
    )


def test_the_trump_line_does_not_bring_more_reported_attacks_than_no_retaliation():
    """Common random numbers, 300 worlds each: the line at killing no longer deters less than
    no line (it did: +9.8 attacks a year when every policy started fully credible). Its
    militias shift from drones to convoy IEDs, of which fewer are reported; they kill fewer
    Americans, aiming to miss."""
    results = run_scenarios(["trump_red_line", "no_retaliation"], 300, seed=11)
    trump, none = results["trump_red_line"].worlds, results["no_retaliation"].worlds
    difference = (trump["militia_attacks"] - none["militia_attacks"]).to_numpy(float)
    mcse = difference.std(ddof=1) / np.sqrt(len(difference))
    assert difference.mean() + 2 * mcse < 0
    assert trump["drone_attack"].mean() < none["drone_attack"].mean()
    assert trump["us_killed"].mean() < none["us_killed"].mean()


def test_the_observed_record_is_the_shipped_period_that_covers_the_window():
    assert observed_period(Scenario.load("baseline_2021")) == "2021"
    assert observed_period(Scenario.load("period_2019_20")) == "2019_2020"
    both = dataclasses.replace(Scenario.load("baseline_2021"), end=dt.date(2022, 6, 30))
    assert observed_period(both) is None and observed_for(both) is None
    winter = observed_for(Scenario.load("period_2019_20"))
    assert winter is not None and winter["date"].min() == pd.Timestamp("2019-12-27")


def test_one_scenario_not_in_a_list_is_one_scenario():
    """compare_scenarios("no_retaliation", ...) once iterated over the name's letters."""
    short = dataclasses.replace(Scenario.load("baseline_2021"), end=dt.date(2021, 1, 31))
    other = dataclasses.replace(short, name="short_other", posterior=None)
    results = run_scenarios(other, 3, seed=1, baseline=dataclasses.replace(short, posterior=None))
    assert list(results) == ["baseline_2021", "short_other"]
