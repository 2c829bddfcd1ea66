"""Tests of escalation.plotting: each figure draws what its inputs say, on tiny handmade inputs."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.collections as mcoll  # noqa: E402
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import scipy.stats  # noqa: E402

from escalation import plotting  # noqa: E402
from escalation.forecasting import Forecast
from escalation.model.ladder import Rung

START = pd.Timestamp("2021-01-01")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def make_daily(variable="escalation_index", days=4):
    """A long daily table as EnsembleResult.daily makes, with distinct hand-picked quantiles."""
    base = np.arange(days, dtype=float)
    return pd.DataFrame(
        {
            "date": pd.date_range(START, periods=days, freq="D"),
            "variable": variable,
            "mean": 3.0 + base,
            "q05": 1.0 + base,
            "q25": 2.0 + base,
            "q50": 3.0 + base,
            "q75": 4.0 + base,
            "q95": 6.0 + 2 * base,
        }
    )


def event(date, actor, event_type, target="", us_injured=0, us_killed=0, world=None):
    row = {
        "date": pd.Timestamp(date),
        "actor": actor,
        "event_type": event_type,
        "target": target,
        "us_injured": us_injured,
        "us_killed": us_killed,
    }
    if world is not None:
        row["world"] = world
    return row


def band(ax, gid):
    return next(c for c in ax.collections if c.get_gid() == gid)


def line(ax, label):
    return next(artist for artist in ax.lines if artist.get_label() == label)


# == fan_chart ===================================================================================
def test_fan_chart_bands_span_the_given_quantiles_day_by_day():
    daily = pd.concat([make_daily(), make_daily("ladder").assign(q95=99.0)])
    ax = plotting.fan_chart(daily, "escalation_index")
    outer = band(ax, "band90").get_paths()[0]
    rows = make_daily()
    for _, row in rows.iterrows():
        middle = mdates.date2num(row["date"] + pd.Timedelta(hours=12))
        assert outer.contains_point((middle, row["q95"] - 0.01))
        assert not outer.contains_point((middle, row["q95"] + 0.01))
        assert outer.contains_point((middle, row["q05"] + 0.01))
        assert not outer.contains_point((middle, row["q05"] - 0.01))
    inner = band(ax, "band50").get_paths()[0]
    middle = mdates.date2num(START + pd.Timedelta(hours=12))
    assert inner.contains_point((middle, 3.99)) and not inner.contains_point((middle, 4.01))
    # The median is held over each day: four days, five edges.
    np.testing.assert_array_equal(line(ax, "Simulated: median").get_ydata(), [3, 4, 5, 6, 6])
    assert ax.get_ylabel() == "Escalation index (decaying severity)"


def test_fan_chart_draws_an_observed_series_and_the_mean_on_request():
    observed = pd.Series([0.0, 7.0], index=pd.to_datetime(["2021-01-01", "2021-01-03"]))
    ax = plotting.fan_chart(
        make_daily(), "escalation_index", observed=observed, show_mean=True, label="Baseline"
    )
    # Days not in the Series stay missing; the last value is held to the end of its day.
    np.testing.assert_array_equal(line(ax, "Observed").get_ydata(), [0, np.nan, 7, np.nan, np.nan])
    np.testing.assert_array_equal(line(ax, "Baseline: mean").get_ydata(), [3, 4, 5, 6, 6])


def test_fan_chart_weekly_takes_quantiles_of_each_worlds_weekly_sum():
    # World j has j attacks every day, for 10 days: weeks of 7 and 3 days.
    worlds = np.tile(np.arange(5), (10, 1))
    daily = make_daily("militia_attacks", days=10)
    ax = plotting.fan_chart(daily, "militia_attacks", weekly=True, worlds=worlds)
    # Weekly sums per world: 7j and 3j, j = 0..4; median world j = 2.
    np.testing.assert_array_equal(line(ax, "Simulated: median").get_ydata(), [14, 6, 6])
    assert ax.get_ylabel() == "Militia attacks per week"
    outer = band(ax, "band90").get_paths()[0]
    week0 = mdates.date2num(START + pd.Timedelta(days=3))
    q95 = np.quantile(7 * np.arange(5), 0.95)  # 26.6
    assert outer.contains_point((week0, q95 - 0.1)) and not outer.contains_point((week0, q95 + 0.1))


def test_fan_chart_weekly_counts_observed_events_per_week():
    worlds = np.zeros((10, 3), dtype=int)
    observed = pd.DataFrame(
        [
            event("2021-01-02", "militia", "rocket_attack"),
            event("2021-01-02", "militia", "ied_attack"),
            event("2021-01-09", "militia", "drone_attack"),
            event("2021-01-09", "US", "airstrike"),  # not a militia attack
            event("2021-02-01", "militia", "rocket_attack"),  # outside the window
        ]
    )
    ax = plotting.fan_chart(
        make_daily("militia_attacks", days=10),
        "militia_attacks",
        observed=observed,
        weekly=True,
        worlds=worlds,
    )
    np.testing.assert_array_equal(line(ax, "Observed").get_ydata(), [2, 1])


def test_fan_chart_weekly_refuses_to_add_quantiles():
    daily = make_daily("militia_attacks", days=10)
    with pytest.raises(ValueError, match="worlds="):
        plotting.fan_chart(daily, "militia_attacks", weekly=True)
    with pytest.raises(ValueError, match="not a count"):
        plotting.fan_chart(make_daily(), "escalation_index", weekly=True, worlds=np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"expected \(10, n_worlds\)"):
        plotting.fan_chart(daily, "militia_attacks", weekly=True, worlds=np.zeros((9, 2)))


def test_fan_chart_names_missing_variables_and_columns():
    with pytest.raises(ValueError, match="no rows for variable 'ladder'.*escalation_index"):
        plotting.fan_chart(make_daily(), "ladder")
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['q95'\]"):
        plotting.fan_chart(make_daily().drop(columns="q95"), "escalation_index")


def test_fan_chart_labels_time_by_month():
    days = 70
    ax = plotting.fan_chart(make_daily(days=days), "escalation_index")
    ax.figure.canvas.draw()
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert "Feb" in labels and "Mar" in labels


# == timeline ====================================================================================
SIMULATED = pd.DataFrame(
    [
        event("2021-01-03", "militia", "rocket_attack", "US embassy", world=0),
        event("2021-01-04", "militia", "ied_attack", "coalition logistics convoy", world=0),
        event("2021-01-06", "US", "airstrike", "militia facilities", world=0),
        event("2021-01-05", "Israel", "airstrike", "militia convoy", world=1),
        event("2021-01-07", "militia", "drone_attack", "US forces", world=1),
    ]
)
OBSERVED = pd.DataFrame(
    [
        event("2021-01-02", "Iraqi government", "political_action", "US strikes on Iraqi soil"),
        event("2021-01-02", "militia", "rocket_attack", "Ain al-Asad air base"),
        event("2021-01-10", "US", "airstrike", "KH facility"),
        event("2021-01-11", "US", "airstrike", "KH facility"),  # same round (within two days)
        event("2021-01-20", "US", "airstrike", "KH facility"),  # a second round
        event("2021-01-21", "none", "context", ""),
    ]
)


def marker_count(ax):
    return sum(len(c.get_offsets()) for c in ax.collections if isinstance(c, mcoll.PathCollection))


def strike_lines(ax, style):
    return [ln for ln in ax.lines if ln.get_linestyle() == style and len(set(ln.get_xdata())) == 1]


def test_timeline_one_marker_per_event_and_rows_in_canonical_order():
    ax = plotting.timeline(SIMULATED, observed=OBSERVED)
    assert marker_count(ax) == 3 + len(OBSERVED)  # world 0 (the default) and every observed row
    labels = [t.get_text() for t in ax.get_yticklabels()]
    # Rows read top to bottom in the canonical order.
    assert labels == [
        "Militia rocket attack",
        "Militia IED attack",
        "US airstrike",
        "Iraqi govt. political act",
        "Context (no actor)",
    ]
    # Observed US strike rounds: 10 Jan (two days, one round) and 20 Jan; simulated: 6 Jan.
    assert sorted(pd.Timestamp(ln.get_xdata()[0]).day for ln in strike_lines(ax, "-")) == [10, 20]
    assert [pd.Timestamp(ln.get_xdata()[0]).day for ln in strike_lines(ax, "--")] == [6]


def test_timeline_draws_the_chosen_world_alone():
    ax = plotting.timeline(SIMULATED, world=1)
    assert marker_count(ax) == 2
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "Militia drone attack",
        "Israeli airstrike",
    ]


def test_timeline_marks_attacks_on_personnel_as_triangles():
    ax = plotting.timeline(SIMULATED.loc[SIMULATED["world"] == 0])
    triangles = [
        c for c in ax.collections if len(c.get_offsets()) and len(c.get_paths()[0].vertices) < 6
    ]
    # Of world 0's events only the rocket attack on the embassy crosses the red line.
    assert sum(len(c.get_offsets()) for c in triangles) == 1


def test_attacks_on_personnel_are_militia_attacks_on_us_targets_or_hurting_americans():
    events = pd.DataFrame(
        [
            event("2021-01-01", "militia", "rocket_attack", "US embassy (Green Zone)"),
            event("2021-01-01", "militia", "drone_attack", "Balad air base (US contractors)"),
            event("2021-01-01", "militia", "interception_only", "Camp Victory at Baghdad airport"),
            event("2021-01-01", "militia", "ied_attack", "coalition logistics convoy"),
            event(
                "2021-01-01", "militia", "ied_attack", "coalition logistics convoy", us_injured=1
            ),
            event("2021-01-01", "militia", "drone_attack", "Iraqi PM Kadhimi's residence"),
            event("2021-01-01", "US", "airstrike", "US forces"),  # not a militia attack
            event("2021-01-01", "militia", "political_action", "US embassy"),  # not an attack
        ]
    )
    np.testing.assert_array_equal(
        plotting.attacks_on_personnel(events), [True, True, True, False, True, False, False, False]
    )


def test_timeline_needs_events():
    with pytest.raises(ValueError, match="needs events"):
        plotting.timeline(None)
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['event_type'\]"):
        plotting.timeline(SIMULATED.drop(columns="event_type"))


# == ladder_heatmap ==============================================================================
def test_ladder_heatmap_shares_of_worlds_per_rung_sum_to_one_per_day():
    ladder = np.array([[0, 0, 0, 0], [1, 1, 3, 6], [2, 3, 3, 3]])  # 3 days, 4 worlds
    ax = plotting.ladder_heatmap(ladder, start=START)
    shares = np.asarray(ax.collections[0].get_array()).reshape(len(Rung), 3)
    np.testing.assert_allclose(shares.sum(axis=0), 1.0)
    np.testing.assert_allclose(shares[:, 1], [0, 0.5, 0, 0.25, 0, 0, 0.25])
    np.testing.assert_allclose(shares[:, 2], [0, 0, 0.25, 0.75, 0, 0, 0])
    assert [t.get_text() for t in ax.get_yticklabels()] == [f"{r.value} {r.label}" for r in Rung]
    colorbar = ax.figure.axes[-1]
    assert colorbar.get_ylabel() == "Share of worlds"


def test_ladder_heatmap_overlays_the_observed_ladder():
    observed = pd.Series([0, 1, 3], index=pd.date_range(START, periods=3))
    ax = plotting.ladder_heatmap(np.zeros((3, 2), dtype=int), start=START, observed=observed)
    np.testing.assert_array_equal(line(ax, "Observed rung").get_ydata(), [0, 1, 3, 3])


def test_ladder_heatmap_rejects_values_off_the_ladder():
    with pytest.raises(ValueError, match="ladder holds 7"):
        plotting.ladder_heatmap(np.array([[0, 7]]))


# == posterior ===================================================================================
def samples(n=50, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "b": rng.gamma(2.0, size=n),
            "c": rng.uniform(size=n),
            "weight": rng.uniform(size=n),
        }
    )


def test_posterior_draws_a_corner_grid():
    axes = plotting.posterior(samples())
    assert axes.shape == (3, 3)
    visible = np.array([[ax.get_visible() for ax in row] for row in axes])
    np.testing.assert_array_equal(visible, np.tril(np.ones((3, 3), dtype=bool)))
    assert axes[2, 0].get_xlabel() == "a" and axes[2, 0].get_ylabel() == "c"
    # Below the diagonal: weighted 2-D histograms holding all the (normalised) weight.
    counts = np.ma.masked_invalid(axes[1, 0].collections[0].get_array())
    assert counts.sum() == pytest.approx(1.0)


def test_posterior_marginals_are_weighted_densities():
    # Two values weighted 3:1 in two bins of width 0.5: densities 1.5 and 0.5.
    frame = pd.DataFrame({"a": [0.0, 1.0], "weight": [3.0, 1.0]})
    axes = plotting.posterior(frame, bins=2)
    heights = set(np.round(axes[0, 0].patches[0].get_xy()[:, 1], 12))
    assert heights == {0.0, 1.5, 0.5}


def test_posterior_overlays_priors_and_accepts_axes():
    fig, given = plt.subplots(2, 2)
    prior = {"a": scipy.stats.norm(0, 1)}
    axes = plotting.posterior(samples(), axes=given, parameters=["a", "b"], prior=prior)
    assert axes[0, 0] is given[0, 0]
    density = line(axes[0, 0], "Prior")
    np.testing.assert_allclose(density.get_ydata(), scipy.stats.norm.pdf(density.get_xdata()))
    assert not any(ln.get_label() == "Prior" for ln in axes[1, 1].lines)
    with pytest.raises(ValueError, match="3 x 3 Axes for 3 parameters"):
        plotting.posterior(samples(), axes=given, parameters=["a", "b", "c"])
    with pytest.raises(ValueError, match="'weight'"):
        plotting.posterior(samples().drop(columns="weight"))


# == forecast_vs_observed ========================================================================
def forecast(method, level):
    daily = np.full((3, 14), level, dtype=np.int64)
    return Forecast(method, START, 14, {"militia_attacks": daily})


def test_forecast_vs_observed_one_panel_per_method_with_shared_y():
    observed = pd.DataFrame(
        [
            event("2021-01-02", "militia", "rocket_attack"),
            event("2021-01-12", "militia", "drone_attack"),
            event("2021-01-12", "militia", "drone_attack"),
        ]
    )
    axes = plotting.forecast_vs_observed(
        {"Low": forecast("x", 0), "High": forecast("y", 2)}, observed
    )
    assert len(axes) == 2
    assert [ax.get_title(loc="left").splitlines()[0] for ax in axes] == ["Low", "High"]
    assert axes[0].get_ylim() == axes[1].get_ylim()
    assert axes[0].get_ylim()[1] >= 14  # the High forecast's weekly count, 7 days x 2
    for ax in axes:
        np.testing.assert_array_equal(line(ax, "Observed").get_ydata(), [1, 2])
    np.testing.assert_array_equal(line(axes[1], "Forecast: median").get_ydata(), [14, 14, 14])


def test_forecast_vs_observed_uses_given_axes():
    fig, given = plt.subplots(1, 3)
    axes = plotting.forecast_vs_observed(
        [forecast("Poisson", 1)],
        pd.DataFrame([event("2021-01-02", "militia", "rocket_attack")]),
        axes=given,
    )
    assert len(axes) == 1 and axes[0] is given[0]
    with pytest.raises(ValueError, match="1 Axes for 2 forecasts"):
        plotting.forecast_vs_observed(
            [forecast("a", 1), forecast("b", 1)],
            pd.DataFrame([event("2021-01-02", "militia", "rocket_attack")]),
            axes=given[:1],
        )


# == scenario_comparison =========================================================================
TABLE = pd.DataFrame(
    {
        "scenario": ["baseline_2021", "trump_red_line", "no_retaliation", "baseline_2021"],
        "quantity": ["militia_attacks", "militia_attacks", "militia_attacks", "us_killed"],
        "estimate": [70.0, 62.0, 80.0, 0.4],
        "mcse": [0.5, 1.0, 0.5, 0.04],
        "unit": "events per world",
    }
)


def test_scenario_comparison_draws_estimates_and_intervals_with_baseline_first():
    ax = plotting.scenario_comparison(TABLE, metric="militia_attacks")
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["baseline_2021", "trump_red_line", "no_retaliation"]
    dots = ax.collections[1].get_offsets()
    np.testing.assert_allclose(np.asarray(dots)[:, 0], [70, 62, 80])
    segments = ax.collections[0].get_segments()
    np.testing.assert_allclose(
        [s[:, 0] for s in segments],
        [[70 - 0.98, 70 + 0.98], [62 - 1.96, 62 + 1.96], [80 - 0.98, 80 + 0.98]],
    )
    bold = [t.get_text() for t in ax.get_yticklabels() if t.get_fontweight() == "bold"]
    assert bold == ["baseline_2021"]
    assert ax.get_xlabel() == "Militia attacks (events per world)"


def test_scenario_comparison_uses_lo_hi_and_a_given_ax():
    table = pd.DataFrame(
        {
            "scenario": ["s1", "s2"],
            "quantity": "q",
            "estimate": [1.0, 2.0],
            "lo": [0.0, 1.5],
            "hi": [3.0, 2.5],
        }
    )
    fig, given = plt.subplots()
    ax = plotting.scenario_comparison(table, ax=given)
    assert ax is given
    np.testing.assert_allclose(
        [s[:, 0] for s in ax.collections[0].get_segments()], [[0, 3], [1.5, 2.5]]
    )
    with pytest.raises(ValueError, match="pick one with metric="):
        plotting.scenario_comparison(TABLE)
    with pytest.raises(ValueError, match="baseline 's3' is not among"):
        plotting.scenario_comparison(table, baseline="s3")


# == shared ======================================================================================
def test_functions_draw_on_a_given_ax_and_leave_global_style_alone():
    before = dict(matplotlib.rcParams)
    fig, given = plt.subplots()
    assert plotting.fan_chart(make_daily(), "escalation_index", ax=given) is given
    fig, given = plt.subplots()
    assert plotting.timeline(SIMULATED, ax=given) is given
    fig, given = plt.subplots()
    assert plotting.ladder_heatmap(np.zeros((2, 2), dtype=int), ax=given) is given
    assert dict(matplotlib.rcParams) == before
    with plotting.style():
        assert matplotlib.rcParams["axes.spines.top"] is False
    assert dict(matplotlib.rcParams) == before


# == predictive_check ============================================================================
PREDICTIVE = pd.DataFrame(
    {
        "statistic": ["attacks_total", "strike_rounds", "us_killed", "episodes"],
        "observed": [5.0, 12.0, 1.0, 3.0],
        "q05": [0.0, 2.0, 2.0, 3.0],
        "q50": [4.0, 3.0, 5.0, 3.0],
        "q95": [10.0, 6.0, 10.0, 3.0],
    }
).assign(inside90=lambda t: (t["q05"] <= t["observed"]) & (t["observed"] <= t["q95"]))


def scatter(ax, label):
    return next(c for c in ax.collections if c.get_label() == label)


def test_predictive_check_scales_each_row_by_its_band():
    ax = plotting.predictive_check(PREDICTIVE)
    # Rows read top to bottom in table order.
    row_of = {t.get_text(): y for t, y in zip(ax.get_yticklabels(), ax.get_yticks(), strict=True)}
    assert [row_of[s] for s in PREDICTIVE["statistic"]] == [3, 2, 1, 0]
    # Position in the band: (value - q05) / (q95 - q05); a band of width zero counts as 1.
    # attacks_total (5 - 0) / 10; strike_rounds (12 - 2) / 4; us_killed (1 - 2) / 8; episodes 0.
    inside = np.asarray(scatter(ax, "observed (inside)").get_offsets())
    outside = np.asarray(scatter(ax, "observed (outside)").get_offsets())
    np.testing.assert_allclose(inside, [[0.5, 3], [0.0, 0]])
    np.testing.assert_allclose(outside, [[2.5, 2], [-0.125, 1]])
    medians = np.asarray(scatter(ax, "predictive median").get_offsets())
    np.testing.assert_allclose(medians, [[0.4, 3], [0.25, 2], [0.375, 1], [0.0, 0]])
    band = scatter(ax, "90% predictive band").get_segments()
    np.testing.assert_allclose([s[:, 0] for s in band], [[0, 1]] * 4)
    assert "2 of 4 observed statistics inside their band" in ax.get_title(loc="left")


def test_predictive_check_draws_on_a_given_ax_and_names_missing_columns():
    fig, given = plt.subplots()
    assert plotting.predictive_check(PREDICTIVE, ax=given) is given
    with pytest.raises(ValueError, match=r"lacks columns \['q95'\]"):
        plotting.predictive_check(PREDICTIVE.drop(columns="q95"))


def test_predictive_check_fills_exactly_the_rows_posterior_predictive_calls_inside():
    table = PREDICTIVE.copy()
    table.loc[3, ["observed", "q05", "q50", "q95"]] = [0.5, 0.0, 0.0, 0.0]
    table["inside90"] = (table["q05"] <= table["observed"]) & (table["observed"] <= table["q95"])
    ax = plotting.predictive_check(table)
    filled_rows = np.asarray(scatter(ax, "observed (inside)").get_offsets())[:, 1]
    rows = np.arange(len(table))[::-1]
    assert sorted(filled_rows) == sorted(rows[table["inside90"].to_numpy()])
