"""Text and figures of the command: summaries printed whole, the wrote line, fan charts."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from escalation.cli import report  # noqa: E402
from escalation.ensemble import EnsembleResult, run_ensemble  # noqa: E402
from escalation.events.io import load_events  # noqa: E402
from escalation.events.statistics import summarize  # noqa: E402
from escalation.model.scenario import Scenario  # noqa: E402


@pytest.fixture(scope="module")
def ten_days() -> EnsembleResult:
    """Ten days of five worlds: a week and a partial week of three days."""
    scenario = Scenario.load("baseline_2021")
    short = Scenario.from_toml(
        scenario.to_toml().replace("end = 2021-12-31", "end = 2021-01-10"), origin="ten_days"
    )
    return run_ensemble(short, 5, seed=2, progress=False)


def test_printed_summary_shows_every_quantity_estimate_and_error(ten_days):
    summary = ten_days.summary()
    assert isinstance(summary, pd.DataFrame)
    text = repr(summary)
    assert "..." not in text
    lines = text.splitlines()
    assert lines[0].split() == list(summary.columns)
    assert len(lines) == len(summary) + 1
    for line, (_, row) in zip(lines[1:], summary.iterrows(), strict=True):
        assert line.startswith(row["quantity"])
        values = row[["estimate", "mcse", "q05", "q50", "q95"]].astype(float)
        expected = [f"{v:.4g}" for v in values if not math.isnan(v)] + [str(row["n"])]
        cells = line[len(row["quantity"]) :].split()
        assert cells[: len(expected)] == expected  # blanks for what is undefined
        assert line.endswith(row["unit"])
    assert str(summary) == text
    # Still a DataFrame to index: a slice keeps the readable repr.
    assert repr(summary.iloc[:2]).splitlines()[1].startswith(summary["quantity"].iloc[0])


def test_wrote_lists_what_was_written_and_notes_a_large_total(tmp_path):
    small = tmp_path / "a.csv"
    small.write_text("x\n", encoding="utf-8")
    big = tmp_path / "b.npz"
    with open(big, "wb") as handle:
        handle.truncate(report.LARGE_OUTPUT_BYTES + 1)  # sparse: no disk used
    assert report.wrote(tmp_path, [small]) == f"wrote {tmp_path}: a.csv\n{tmp_path} also holds " + (
        "files this run did not write: b.npz"
    )
    text = report.wrote(tmp_path, [big, small], large_hint="try less")
    assert text.splitlines() == [f"wrote {tmp_path}: a.csv, b.npz", "100 MB in all; try less"]


def test_progress_follows_the_package_rule(monkeypatch):
    monkeypatch.setattr("sys.stderr.isatty", lambda: True, raising=False)
    monkeypatch.setenv("CI", "1")
    assert not report.progress_enabled()
    monkeypatch.delenv("CI")
    assert report.progress_enabled()


def test_write_outputs_runs_every_step_in_order(tmp_path):
    steps = [(name, lambda name=name: [tmp_path / name]) for name in ("one", "two", "three")]
    assert report.write_outputs(steps) == [tmp_path / n for n in ("one", "two", "three")]


def test_weekly_fan_draws_whole_weeks_and_marks_the_partial_one(ten_days):
    fig, ax = plt.subplots()
    report.weekly_fan(ten_days, ax, label="ten")
    median = next(line for line in ax.lines if line.get_label() == "ten: median")
    weekly = ten_days.daily_worlds["militia_attacks"][:7].sum(axis=0)
    # One whole week (its median held to the end), no three-day week.
    np.testing.assert_array_equal(median.get_ydata(), [np.median(weekly)] * 2)
    marks = [p for p in ax.patches if p.get_gid() == "partial_week"]
    assert len(marks) == 1 and "3 day(s)" in marks[0].get_label()
    report.weekly_fan(ten_days, ax, label="again")  # a second fan does not mark it twice
    assert sum(p.get_gid() == "partial_week" for p in ax.patches) == 1
    plt.close(fig)


def comparison_table(rows) -> pd.DataFrame:
    names = ["scenario", "quantity", "unit", "estimate", "mcse", "difference", "difference_mcse"]
    return pd.DataFrame(rows, columns=names)


def test_paired_intervals_of_probabilities_stay_within_what_they_can_be():
    table = comparison_table(
        [
            ("base", "P(x)", "probability", 0.05, 0.02, 0.0, 0.0),
            ("high", "P(x)", "probability", 0.98, 0.02, 0.93, 0.05),
            ("low", "P(x)", "probability", 0.01, 0.01, -0.04, 0.03),
            ("base", "attacks", "attacks per world", 10.0, 1.0, 0.0, 0.0),
            ("more", "attacks", "attacks per world", 40.0, 2.0, 30.0, 20.0),
        ]
    )
    rows = report._difference_rows(table, "base").set_index(["scenario", "quantity"])
    # 0.93 +- 1.96 x 0.05 would reach 1.028; a probability of 0.05 can rise by 0.95 at most.
    assert rows.loc[("high", "P(x)"), "hi"] == pytest.approx(0.95)
    assert rows.loc[("high", "P(x)"), "lo"] == pytest.approx(0.93 - 0.098)
    # -0.04 - 0.0588 would fall below -0.05: it can fall by the baseline's 0.05 at most.
    assert rows.loc[("low", "P(x)"), "lo"] == pytest.approx(-0.05)
    # Counts are not clipped.
    assert rows.loc[("more", "attacks"), "lo"] == pytest.approx(30.0 - 39.2)
    estimates = report._estimate_rows(table).set_index(["scenario", "quantity"])
    assert estimates.loc[("high", "P(x)"), "hi"] == 1.0
    assert estimates.loc[("low", "P(x)"), "lo"] == 0.0


def test_comparison_fans_differ_in_hatch_and_line_style(ten_days, tmp_path):
    other = EnsembleResult(**{**ten_days.__dict__, "scenario": ten_days.scenario})
    results = {"baseline_2021": ten_days, "other": other}
    table = comparison_table(
        [("baseline_2021", q.name, q.unit, 1.0, 0.1, 0.0, 0.0) for q in report.QUANTITIES]
        + [("other", q.name, q.unit, 1.0, 0.1, 0.0, 0.0) for q in report.QUANTITIES]
    )
    captured = {}
    real_save = report._save

    def keep(fig, path: Path) -> Path:
        captured[path.name] = [
            (c.get_label(), c.get_hatch()) for c in fig.axes[0].collections if c.get_hatch()
        ] + [(line.get_label(), line.get_linestyle()) for line in fig.axes[0].lines]
        return real_save(fig, path)

    report._save = keep
    try:
        written = report.comparison_figures(results, table, tmp_path, "baseline_2021")
    finally:
        report._save = real_save
    assert {p.name for p in written} == {
        "comparison.png",
        "attacks_weekly.png",
        "escalation_index.png",
        "ladder.png",
    }
    looks = dict(captured["escalation_index.png"])
    assert looks["baseline_2021: middle 90% of worlds"] != looks["other: middle 90% of worlds"]
    assert looks["baseline_2021: median"] == "--" and looks["other: median"] == "-"


def test_printed_event_summary_shows_every_statistic_and_table():
    summary = summarize(load_events())
    text = repr(summary)
    assert "..." not in text
    for name, value in summary.statistics.items():
        line = next(line for line in text.splitlines() if line.split()[:1] == [name])
        assert line.split()[1] == ("NaN" if math.isnan(value) else f"{value:.4g}")
    for first in summary.strike_rounds["first_date"]:
        assert str(pd.Timestamp(first).date()) in text
    assert f"Israeli strikes: {summary.israeli_strikes}" in text
