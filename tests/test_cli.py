"""The ``escalation`` command, called in-process with tiny runs, and once as the console script."""

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import BUILT_IN

from escalation.cli.main import main
from escalation.ensemble import EnsembleResult
from escalation.inference.posterior import Posterior
from escalation.model.scenario import list_scenarios


def test_scenarios_lists_all_nine(capsys):
    assert main(["scenarios"]) == 0
    out = capsys.readouterr().out
    listed = {line.split()[0] for line in out.splitlines() if line and not line.startswith(" ")}
    assert listed == set(BUILT_IN) == set(list_scenarios())


def test_run_writes_tables_figures_and_the_result(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", "trump_red_line", "--worlds", "20", "--seed", "3", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "P(at least one American killed)" in printed and "militia_attacks" in printed
    assert str(out) in printed
    for name in (
        "summary.csv",
        "daily.csv",
        "worlds.csv",
        "events.csv",
        "manifest.json",
        "escalation_index.png",
        "attacks_weekly.png",
        "ladder.png",
        "timeline.png",
    ):
        assert (out / name).stat().st_size > 0, name
    result = EnsembleResult.load(out)
    assert result.n_worlds == 20 and result.scenario.name == "trump_red_line"
    summary = pd.read_csv(out / "summary.csv")
    assert set(summary.columns) >= {"quantity", "estimate", "mcse"}


def test_run_accepts_a_scenario_file(tmp_path, capsys):
    toml = tmp_path / "spring.toml"
    toml.write_text('name = "spring"\nextends = "baseline_2021"\nend = 2021-03-31\n', "utf-8")
    assert main(["run", str(toml), "--worlds", "20", "--out", str(tmp_path / "out")]) == 0
    assert "spring: 20 worlds" in capsys.readouterr().out
    assert len(pd.read_csv(tmp_path / "out" / "daily.csv")["date"].unique()) == 90


def write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


BAD_INPUT = {
    "unknown scenario": (lambda d: ["run", "no_such_scenario"], ["no_such_scenario"]),
    "bad TOML": (
        lambda d: ["run", write(d / "broken.toml", 'name = "x" =\n')],
        ["broken.toml", "not valid TOML"],
    ),
    "unknown parameter": (
        lambda d: [
            "run",
            write(
                d / "typo.toml",
                'name = "x"\nextends = "baseline_2021"\n[parameters]\nlethalty = 0.1\n',
            ),
        ],
        ["typo.toml", "parameters.lethalty", "unknown parameter"],
    ),
    "parameter out of range": (
        lambda d: [
            "run",
            write(
                d / "big.toml",
                'name = "x"\nextends = "baseline_2021"\n[parameters]\nlethality = 3\n',
            ),
        ],
        ["big.toml", "parameters.lethality", "outside the valid range"],
    ),
    "missing scenario file": (lambda d: ["run", str(d / "absent.toml")], ["absent.toml"]),
    "bad events file": (
        lambda d: [
            "calibrate",
            "--events",
            write(
                d / "events.csv",
                "date,actor,event_type,country,location,source\n"
                "2021-01-05,martians,rocket_attack,Iraq,Erbil,test\n",
            ),
        ],
        ["events.csv", "line 2", "actor", "martians"],
    ),
    "missing events file": (
        lambda d: [
            "forecast",
            "--events",
            str(d / "none.csv"),
            "--start",
            "2021-07-01",
            "--days",
            "7",
        ],
        ["none.csv"],
    ),
    "bad date": (
        lambda d: ["forecast", "--start", "2021-02-30", "--days", "7"],
        ["--start", "2021-02-30"],
    ),
    "bad number": (lambda d: ["run", "baseline_2021", "--worlds", "many"], ["--worlds", "many"]),
    "unknown scenario to compare": (lambda d: ["compare", "nowhere"], ["nowhere"]),
}


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_exits_2_with_one_line(case, tmp_path, capsys):
    argv, expected = BAD_INPUT[case]
    assert main(argv(tmp_path)) == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("escalation: error: ")
    assert "Traceback" not in captured.err + captured.out
    for fragment in expected:
        assert fragment in lines[0], (fragment, lines[0])


def test_compare_two_scenarios(tmp_path, capsys):
    out = tmp_path / "compare"
    argv = ["compare", "no_retaliation", "us_withdrawal", "--worlds", "20", "--out", str(out)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "no_retaliation" in printed and "vs baseline" in printed
    table = pd.read_csv(out / "comparison.csv")
    assert list(pd.unique(table["scenario"])) == [
        "baseline_2021",
        "no_retaliation",
        "us_withdrawal",
    ]
    for name in ("comparison.png", "attacks_weekly.png", "escalation_index.png", "ladder.png"):
        assert (out / name).stat().st_size > 0, name


def test_calibrate_with_a_tiny_budget_saves_the_posterior(tmp_path, capsys):
    out = tmp_path / "posterior"
    argv = ["calibrate", "--budget", "300", "--population", "50", "--seed", "4", "--out", str(out)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "militia_attack_rate" in printed
    posterior = Posterior.load(out)
    assert len(posterior.samples) == 50
    assert (out / "posterior.png").stat().st_size > 0


def test_forecast_prints_weekly_quantiles(tmp_path, capsys):
    pytest.importorskip("escalation.forecasting")
    out = tmp_path / "forecast"
    argv = [
        "forecast",
        "--start",
        "2021-07-01",
        "--days",
        "14",
        "--worlds",
        "20",
        "--out",
        str(out),
    ]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "american_killed" in printed
    weekly = pd.read_csv(out / "forecast_weekly.csv")
    assert set(weekly["series"]) >= {"militia_attacks"}
    assert len(weekly[weekly["series"] == "militia_attacks"]) == 2
    assert (out / "forecast.png").stat().st_size > 0


def test_console_script_lists_scenarios():
    script = Path(sys.executable).with_name("escalation")
    script = str(script) if script.exists() else shutil.which("escalation")
    if script is None:
        pytest.skip("the escalation console script is not installed")
    done = subprocess.run([script, "scenarios"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert all(name in done.stdout for name in BUILT_IN)
