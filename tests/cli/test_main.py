"""The ``escalation`` command, called in-process with tiny runs, and once as the console script."""

import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from escalation.cli.main import main
from escalation.cli.scripts import scenario_script
from escalation.ensemble import EnsembleResult
from escalation.events.io import load_events
from escalation.inference.posterior import Posterior
from escalation.model.scenario import list_scenarios
from tests.helpers import BUILT_IN, DATA


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


def test_a_scenario_file_without_a_name_runs_under_the_file_name(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "spring.toml", 'extends = "baseline_2021"\nend = 2021-01-10\n')
    assert main(["run", "spring.toml", "--worlds", "4", "--keep", "statistics"]) == 0
    assert "spring: 4 worlds" in capsys.readouterr().out
    assert (tmp_path / "results" / "spring" / "worlds.csv").exists()
    assert not (tmp_path / "results" / "baseline_2021").exists()


def test_run_resumes_from_its_checkpoint(tmp_path, capsys):
    toml = write(
        tmp_path / "spring.toml", 'name = "spring"\nextends = "baseline_2021"\nend = 2021-03-31\n'
    )
    first = ["run", toml, "--worlds", "20", "--seed", "4", "--keep", "summaries"]
    chunked = ["--checkpoint", str(tmp_path / "c"), "--chunk-size", "8"]
    assert main([*first, "--out", str(tmp_path / "a"), *chunked]) == 0
    # 20 worlds in chunks of 8: three chunk files, each saved as it ended.
    assert len(list((tmp_path / "c").glob("chunk_*.npz"))) == 3
    # The rerun finds every chunk on disk and writes the same worlds; a run in one chunk too.
    assert main([*first, "--out", str(tmp_path / "b"), "--checkpoint", str(tmp_path / "c")]) == 0
    assert main([*first, "--out", str(tmp_path / "one")]) == 0
    for other in ("b", "one"):
        pd.testing.assert_frame_equal(
            pd.read_csv(tmp_path / "a" / "worlds.csv"), pd.read_csv(tmp_path / other / "worlds.csv")
        )
    capsys.readouterr()


def test_a_checkpoint_that_cannot_be_used_is_one_line_and_exit_code_2(tmp_path, capsys):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x", encoding="utf-8")
    assert main(["run", "baseline_2021", "--worlds", "5", "--checkpoint", str(not_a_folder)]) == 2
    assert "is a folder, found a file" in capsys.readouterr().err
    missing = tmp_path / "absent" / "calibration.npz"
    abc = ["calibrate", "--method", "abc", "--budget", "200", "--population", "100"]
    code = main([*abc, "--checkpoint", str(missing)])
    assert code == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and "Traceback" not in err


def write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


def write_bytes(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


BAD_INPUT = {
    "unknown scenario": (lambda d: ["run", "no_such_scenario"], ["no_such_scenario"]),
    "population of one": (
        lambda d: ["calibrate", "--population", "1"],
        ["--population", "at least 2"],
    ),
    "ABC budget below the population": (
        lambda d: ["calibrate", "--method", "abc", "--budget", "200"],
        ["--budget 200", "1000 particles"],
    ),
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
    "name outside results": (
        lambda d: ["run", write(d / "up.toml", 'name = "../../x"\nextends = "baseline_2021"\n')],
        ["up.toml", "key 'name'", "'../../x'", "folder under results/"],
    ),
    "scenario file not UTF-8": (
        lambda d: ["run", write_bytes(d / "latin.toml", "name = 'café'\n".encode("latin-1"))],
        ["latin.toml", "not UTF-8 text"],
    ),
    "prior outside the range": (
        lambda d: [
            "calibrate",
            "--scenario",
            write(
                d / "far.toml",
                'extends = "baseline_2021"\n[priors.militia_attack_rate]\n'
                'dist = "uniform"\nloc = 10\nscale = 5\n',
            ),
            "--population",
            "20",
            "--runs",
            "1",
        ],
        ["far.toml", "priors.militia_attack_rate", "no probability in [0, 5]"],
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
    "output folder is a file": (
        lambda d: ["run", "baseline_2021", "--out", write(d / "taken", "x")],
        ["--out", "taken", "is a file"],
    ),
    "window ends before it starts": (
        lambda d: ["calibrate", "--start", "2021-06-01", "--end", "2021-05-01"],
        ["--end 2021-05-01 is before --start 2021-06-01"],
    ),
    "same scenario twice": (
        lambda d: ["compare", "no_retaliation", "no_retaliation", "--worlds", "2"],
        ["repeated: no_retaliation"],
    ),
    "scenario over another window than the baseline": (
        lambda d: (
            ["compare", "no_retaliation", "--baseline", "period_2019_20", "--worlds", "2"]
            + ["--out", str(d / "out")]
        ),
        ["'no_retaliation' covers 2021-01-01 to 2021-12-31", "'period_2019_20' covers 2019-12-27"],
    ),
    "another scenario under the baseline's name": (
        lambda d: [
            "compare",
            write(d / "edited.toml", 'name = "baseline_2021"\nextends = "trump_red_line"\n'),
            "--worlds",
            "2",
            "--out",
            str(d / "out"),
        ],
        ["edited.toml: key 'name'", "give it a name of its own"],
    ),
    "a port out of range": (lambda d: ["dashboard", "--port", "99999"], ["--port", "65535"]),
    "a forecast of more than ten years": (
        lambda d: ["forecast", "--start", "2021-07-01", "--days", "100000"],
        ["--days", "from 1 to 3650", "100000"],
    ),
    "a forecast whose history no shipped record covers, without --events": (
        lambda d: ["forecast", "--start", "2020-06-01", "--days", "7"],
        ["forecast from 2020-06-01", "no shipped record covers 2020-05-31", "--events FILE"],
    ),
    "events given as a folder": (
        lambda d: ["forecast", "--start", "2021-07-01", "--days", "7", "--events", str(d)],
        ["a folder; expected an events CSV file"],
    ),
    "calibration over a window no shipped record covers, without --events": (
        lambda d: [
            "calibrate",
            "--scenario",
            write(
                d / "later.toml",
                'name = "later"\nextends = "baseline_2021"\nstart = 2024-01-01\nend = 2024-06-30\n',
            ),
        ],
        ["no shipped record covers later's window (2024-01-01 to 2024-06-30)", "--events"],
    ),
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


@pytest.mark.slow
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


@pytest.mark.slow
def test_calibrate_with_a_tiny_budget_saves_the_posterior(tmp_path, capsys):
    out = tmp_path / "posterior"
    argv = ["calibrate", "--method", "abc", "--budget", "300", "--population", "50", "--seed", "4"]
    assert main([*argv, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "militia_attack_rate" in printed
    posterior = Posterior.load(out)
    assert len(posterior.samples) == 50
    assert (out / "posterior.png").stat().st_size > 0


def test_calibrate_by_the_likelihood_reports_the_evidence(tmp_path, capsys):
    out = tmp_path / "posterior"
    window = ["--start", "2021-06-01", "--end", "2021-07-31"]
    argv = ["calibrate", *window, "--population", "40", "--runs", "1", "--seed", "4"]
    assert main([*argv, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "likelihood: log evidence" in printed
    posterior = Posterior.load(out)
    assert posterior.log_evidence is not None and math.isfinite(posterior.log_evidence)
    assert main(["calibrate", "--budget", "300", "--out", str(tmp_path / "x")]) == 2
    assert "--budget: applies to --method abc" in capsys.readouterr().err


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
    captured = capsys.readouterr()
    printed = captured.out
    assert "american_killed" in printed
    # The shipped posterior saw all of 2021: said in one line, not as a Python warning.
    assert "note: forecast from 2021-07-01" in captured.err and "UserWarning" not in captured.err
    assert "pass --look-ahead" in captured.err  # the CLI's flag, not the library's argument
    assert main([*argv[:-1], str(tmp_path / "ahead"), "--look-ahead"]) == 0
    assert "note:" not in capsys.readouterr().err
    weekly = pd.read_csv(out / "forecast_weekly.csv")
    assert set(weekly["series"]) >= {"militia_attacks"}
    assert len(weekly[weekly["series"] == "militia_attacks"]) == 2
    assert (out / "forecast.png").stat().st_size > 0


@pytest.mark.parametrize(
    ("source", "start", "periods"),
    [
        ("period_2019_20", "2020-01-20", ["2019_2020"]),
        ("baseline_2021", "2022-03-01", [2021, 2022]),
    ],
)
def test_forecast_without_events_replays_the_shipped_records_of_its_history(
    source, start, periods, tmp_path, capsys
):
    # Winter 2019-20 replays its own record (it replayed 2021's, and found nothing before
    # 2020); a history running into 2022 replays 2021 and 2022's first two months (it stopped
    # at 2021's last event and took January-February 2022 as quiet).
    argv = ["forecast", "--source", source, "--start", start, "--days", "7", "--worlds", "4"]
    assert main([*argv, "--out", str(tmp_path / "out")]) == 0
    record = pd.concat([load_events(period) for period in periods])
    before = int((record["date"] < pd.Timestamp(start)).sum())
    assert f"({before} observed events before it replayed)" in capsys.readouterr().out


@pytest.mark.slow
def test_console_script_lists_scenarios():
    script = Path(sys.executable).with_name("escalation")
    script = str(script) if script.exists() else shutil.which("escalation")
    if script is None:
        pytest.skip("the escalation console script is not installed")
    done = subprocess.run([script, "scenarios"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert all(name in done.stdout for name in BUILT_IN)


# == the rough edges =============================================================================
HEADER_ONLY = "date,actor,event_type,country,location,source\n"


def one_error_line(capsys) -> str:
    """The single ``escalation: error:`` line on stderr, after checking there is only that."""
    captured = capsys.readouterr()
    lines = [line for line in captured.err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("escalation: error: "), captured.err
    assert "Traceback" not in captured.err + captured.out
    return lines[0]


@pytest.mark.parametrize(
    "command",
    [
        ["calibrate", "--method", "abc", "--budget", "300", "--population", "50"],
        ["forecast", "--start", "2021-07-01", "--days", "7", "--worlds", "10"],
    ],
    ids=["calibrate", "forecast"],
)
def test_header_only_events_file_exits_2_and_writes_nothing(command, tmp_path, capsys):
    events = write(tmp_path / "empty.csv", HEADER_ONLY)
    out = tmp_path / "out"
    argv = [*command, "--events", events, "--out", str(out), "--checkpoint", str(tmp_path / "c")]
    if command[0] == "forecast":
        argv = argv[:-2]
    assert main(argv) == 2
    line = one_error_line(capsys)
    assert "empty.csv" in line and "no events" in line
    assert not out.exists() and not (tmp_path / "c").exists()


def test_events_outside_the_window_exit_2_naming_the_span(tmp_path, capsys):
    out = tmp_path / "out"
    argv = ["forecast", "--events", str(DATA / "observed_events.csv"), "--start", "2020-01-01"]
    assert main([*argv, "--days", "7", "--worlds", "10", "--out", str(out)]) == 2
    line = one_error_line(capsys)
    assert "observed_events.csv" in line and "no events" in line and "covers 2021" in line
    # Dates as dates, and what the events were wanted for.
    assert "to 2019-12-31 (a forecast from 2020-01-01 replays the events before it)" in line
    assert not out.exists()


def test_ctrl_c_is_one_line_and_exit_130(monkeypatch, capsys):
    import escalation.cli.main as cli

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "run_ensemble", interrupted)
    assert main(["run", "baseline_2021", "--worlds", "5"]) == 130
    captured = capsys.readouterr()
    assert captured.err.strip().splitlines() == [
        "escalation: interrupted; a run given --checkpoint resumes from it when run again with "
        "the same arguments"
    ]


def test_a_missing_posterior_folder_is_named_as_a_folder(tmp_path, capsys):
    missing = f"{tmp_path / 'no_posterior'}/"
    argv = ["forecast", "--source", missing, "--start", "2021-07-01", "--days", "7"]
    assert main([*argv, "--worlds", "5", "--out", str(tmp_path / "out")]) == 2
    line = one_error_line(capsys)
    assert "no_posterior/: no such folder; expected a posterior folder" in line


ARGUMENT_ERRORS = {
    "negative seed": (["run", "baseline_2021", "--seed", "-1"], "non-negative integer, found -1"),
    "seed not a number": (
        ["run", "baseline_2021", "--seed", "x1"],
        "non-negative integer, found 'x1'",
    ),
    "no worlds": (["compare", "no_retaliation", "--worlds", "0"], "positive integer, found 0"),
    "negative days": (
        ["forecast", "--start", "2021-07-01", "--days", "-3"],
        "number of days from 1 to 3650, found -3",
    ),
}


@pytest.mark.parametrize("case", list(ARGUMENT_ERRORS))
def test_argument_errors_name_the_argument_and_what_was_expected(case, capsys):
    argv, expected = ARGUMENT_ERRORS[case]
    assert main(argv) == 2
    assert f"{argv[-2]}: expected a {expected}" in one_error_line(capsys)


def test_a_bug_is_not_reported_as_bad_input(monkeypatch, tmp_path):
    import escalation.cli.main as cli

    def broken(*args, **kwargs):
        raise ValueError("a bug, not the user's input")

    monkeypatch.setattr(cli, "run_ensemble", broken)
    with pytest.raises(ValueError, match="a bug"):
        main(["run", "baseline_2021", "--worlds", "5", "--out", str(tmp_path / "x")])


def run_folder(tmp_path, name, *extra) -> tuple[Path, str]:
    out = tmp_path / name
    argv = ["run", "trump_red_line", "--worlds", "20", "--seed", "3", "--out", str(out), *extra]
    assert main(argv) == 0
    return out, argv


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.iterdir())


@pytest.mark.slow
def test_no_events_writes_no_events_and_less(tmp_path, capsys):
    full, _ = run_folder(tmp_path, "full")
    lean, _ = run_folder(tmp_path, "lean", "--no-events")
    printed = capsys.readouterr().out
    assert (full / "events.csv").exists() and not (lean / "events.csv").exists()
    assert folder_bytes(lean) < folder_bytes(full) / 2
    # The same worlds, whatever is kept: the summaries agree to the last digit.
    pd.testing.assert_frame_equal(
        pd.read_csv(full / "summary.csv"), pd.read_csv(lean / "summary.csv")
    )
    assert EnsembleResult.load(lean).events is None
    assert "keeping summaries" in printed


def test_keep_statistics_writes_only_statistics_and_summary(tmp_path, capsys):
    out, _ = run_folder(tmp_path, "stats", "--keep", "statistics")
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "summary.csv", "worlds.csv"]
    assert (
        "wrote " + str(out) + ": manifest.json, summary.csv, worlds.csv" in capsys.readouterr().out
    )


def test_wrote_lists_only_this_runs_files_and_names_stale_ones(tmp_path, capsys):
    out = tmp_path / "again"
    out.mkdir()
    (out / "events.csv").write_text("left from an earlier run\n", encoding="utf-8")
    run_folder(tmp_path, "again", "--no-events")
    lines = capsys.readouterr().out.splitlines()
    wrote = next(line for line in lines if line.startswith(f"wrote {out}:"))
    listed = wrote.split(": ", 1)[1].split(", ")
    assert "events.csv" not in listed and "summary.csv" in listed and "worlds.csv" in listed
    assert all((out / name).exists() for name in listed)
    stale = next(line for line in lines if "did not write" in line)
    assert stale.endswith("events.csv")


def test_run_prints_the_observed_2021_value_beside_each_quantity(tmp_path, capsys):
    out = tmp_path / "base"
    assert main(["run", "baseline_2021", "--worlds", "10", "--seed", "1", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    header = next(line for line in printed.splitlines() if line.startswith("quantity"))
    assert header.split()[-1] == "observed"
    summary = pd.read_csv(out / "summary.csv").set_index("quantity")
    observed_attacks = pd.read_csv(DATA.parent.parent / "escalation" / "data" / "events_2021.csv")
    militia = observed_attacks["actor"] == "militia"
    attack = observed_attacks["event_type"].isin(
        ["rocket_attack", "drone_attack", "ied_attack", "other_attack", "interception_only"]
    )
    on_the_pm = observed_attacks["target"].str.contains("Iraqi PM", na=False)  # outside the model
    assert summary.loc["militia_attacks", "observed"] == (militia & attack & ~on_the_pm).sum()
    assert summary.loc["P(Baghdad demands withdrawal)", "observed"] == 0.0  # none in 2021


@pytest.mark.slow
def test_compare_baseline_is_the_run_with_the_same_worlds_and_seed(tmp_path, capsys):
    assert (
        main(
            ["run", "baseline_2021", "--worlds", "20", "--seed", "9", "--out", str(tmp_path / "r")]
        )
        == 0
    )
    argv = [
        "compare",
        "no_retaliation",
        "--worlds",
        "20",
        "--seed",
        "9",
        "--out",
        str(tmp_path / "c"),
    ]
    assert main(argv) == 0
    assert "1 world per draw" in capsys.readouterr().out
    run = pd.read_csv(tmp_path / "r" / "summary.csv").set_index("quantity")["estimate"]
    table = pd.read_csv(tmp_path / "c" / "comparison.csv")
    base = table[table["scenario"] == "baseline_2021"].set_index("quantity")["estimate"]
    assert base["militia attacks"] == run["militia_attacks"]
    assert base["US strike rounds"] == run["us_strike_rounds"]
    assert base["P(an American killed)"] == run["P(at least one American killed)"]
    argv[-1] = str(tmp_path / "c10")
    assert main([*argv, "--worlds-per-draw", "10"]) == 0
    assert "10 consecutive worlds share each posterior draw" in capsys.readouterr().out


def test_events_takes_an_acled_export_and_says_so(tmp_path, capsys):
    acled = DATA / "acled_sample.csv"
    out = tmp_path / "fc"
    argv = ["forecast", "--events", str(acled), "--start", "2021-07-01", "--days", "7"]
    assert main([*argv, "--worlds", "10", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert f"reading {acled} as an ACLED export" in captured.err
    # The six ACLED rows before 1 July 2021 (4 April, 30 May, 27-29 June) are the history.
    assert "(6 observed events before it replayed)" in captured.out
    assert (out / "forecast_weekly.csv").exists()
    assert main([*argv, "--format", "acled", "--worlds", "10", "--out", str(out)]) == 0
    assert "as an ACLED export" not in capsys.readouterr().err  # said only when guessed


def test_an_acled_export_read_as_canonical_points_to_format_acled(capsys):
    argv = ["calibrate", "--events", str(DATA / "acled_sample.csv"), "--format", "canonical"]
    assert main(argv) == 2
    line = one_error_line(capsys)
    assert "acled_sample.csv" in line and "--format acled" in line


def test_a_report_piped_into_a_reader_that_stops_early_still_writes_the_files(tmp_path):
    """``escalation run ... | head -1``: the reader goes after one line; the run still writes
    its files and exits 0 (before, the broken pipe stopped it before any file, exit 1)."""
    code = "import sys; from escalation.cli.main import main; sys.exit(main(sys.argv[1:]))"
    argv = ["run", "baseline_2021", "--worlds", "3", "--keep", "summaries"]
    out = tmp_path / "out"
    with subprocess.Popen(
        [sys.executable, "-c", code, *argv, "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},  # each line reaches the reader as printed
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        assert process.stdout.readline().startswith(b"baseline_2021: 3 worlds")
        process.stdout.close()  # the reader is gone
        error = process.stderr.read().decode()
        assert process.wait(timeout=300) == 0, error
    assert (out / "summary.csv").is_file() and (out / "manifest.json").is_file()
    assert "Traceback" not in error and "BrokenPipe" not in error


@pytest.mark.parametrize("worlds", ["1", "3"])
def test_a_scenario_script_compares_its_scenario_with_the_baseline(worlds, tmp_path, capsys):
    # One world is accepted, as by `escalation compare`: its Monte Carlo errors print n/a.
    out = tmp_path / "script"
    argv = ["--worlds", worlds, "--seed", "4", "--out", str(out)]
    assert scenario_script("no_retaliation", argv, doc="Would restraint save lives?") == 0
    printed = capsys.readouterr().out
    assert printed.startswith("Would restraint save lives?")
    table = pd.read_csv(out / "comparison.csv")
    assert set(table["scenario"]) == {"baseline_2021", "no_retaliation"}
    rounds = table[
        (table["quantity"] == "US strike rounds") & (table["scenario"] != "baseline_2021")
    ]
    assert rounds["estimate"].tolist() == [0.0]  # no retaliation: no rounds, by construction
    attacks = table[
        (table["quantity"] == "militia attacks") & (table["scenario"] != "baseline_2021")
    ]
    assert attacks["difference_mcse"].isna().tolist() == [worlds == "1"]  # none from one pair
