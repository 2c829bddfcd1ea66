"""The ``escalation`` command: run, calibrate, forecast and compare scenarios from a terminal.

::

    escalation scenarios
    escalation run NAME|FILE.toml [--worlds N] [--seed S] [--out DIR] [--executor KIND]
    escalation calibrate [--events FILE] [--scenario NAME|FILE] [--start D] [--end D] ...
    escalation forecast [--events FILE] --start D --days N [--source NAME|FILE|POSTERIOR_DIR]
    escalation compare A B ... [--worlds N] [--seed S] [--out DIR]

Every command prints what it found and where it wrote its tables and figures. Bad input (an
unknown scenario, a bad scenario or event file, an unknown parameter, a bad date) ends with
exit code 2 and one line on stderr, ``escalation: error: ...``, naming the file and field.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import sys
import textwrap
from pathlib import Path

import pandas as pd

from escalation.errors import EventDataError, ScenarioError

DEFAULT_WORLDS = 2000
DEFAULT_SEED = 2021
QUICK_WORLDS = 200
EXECUTORS = ("serial", "processes", "dask")


class UsageError(Exception):
    """Bad command-line arguments (raised instead of argparse's print-and-exit)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        command = self.prog.removeprefix("escalation").strip()
        raise UsageError(f"{command}: {message}" if command else message)


def main(argv=None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); returns the exit code."""
    import matplotlib

    matplotlib.use("Agg")  # figures go to files; never open a window
    parser = _parser()
    try:
        args = parser.parse_args(argv)
        return args.command(args)
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else 0
    except (UsageError, ScenarioError, EventDataError, ValueError) as exc:
        return _fail(str(exc))
    except FileNotFoundError as exc:
        return _fail(f"{exc.filename}: no such file or folder" if exc.filename else str(exc))
    except ImportError as exc:
        return _fail(str(exc))
    except BrokenPipeError:  # output piped into a command that stopped reading (head)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _fail(message: str) -> int:
    line = "; ".join(part.strip() for part in message.splitlines() if part.strip())
    print(f"escalation: error: {line}", file=sys.stderr)
    return 2


# == arguments ===================================================================================
def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not at least 1")
    return value


def _parser() -> argparse.ArgumentParser:
    from escalation import __version__

    parser = _Parser(
        prog="escalation",
        description="Simulate escalation between US forces, Iran-backed militias, Israel and "
        "the Iraqi government, calibrated on 2021.",
    )
    parser.add_argument("--version", action="version", version=f"escalation {__version__}")
    sub = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    p = sub.add_parser("scenarios", help="list the built-in scenarios")
    p.set_defaults(command=_scenarios)

    p = sub.add_parser("run", help="run a scenario's ensemble; print and save its summary")
    p.add_argument("scenario", metavar="NAME|FILE.toml", help="built-in name or scenario file")
    _add_worlds(p)
    p.add_argument(
        "--executor",
        choices=EXECUTORS,
        default="serial",
        help="where chunks of worlds run (default serial)",
    )
    p.add_argument(
        "--workers",
        type=_positive,
        default=None,
        help="processes or Dask workers (default: the number of CPUs)",
    )
    p.set_defaults(command=_run)

    p = sub.add_parser("calibrate", help="infer the calibrated parameters by ABC-SMC")
    p.add_argument(
        "--events",
        type=Path,
        default=None,
        help="canonical event CSV (default: the built-in 2021 data)",
    )
    p.add_argument(
        "--scenario",
        default="baseline_2021",
        help="scenario declaring what is calibrated (default baseline_2021)",
    )
    p.add_argument("--start", type=_date, default=None, help="first day (default: first event)")
    p.add_argument("--end", type=_date, default=None, help="last day (default: last event)")
    p.add_argument(
        "--budget", type=_positive, default=200_000, help="simulated worlds in all (default 200000)"
    )
    p.add_argument(
        "--population", type=_positive, default=None, help="particles per generation (default 1000)"
    )
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed (default 2021)")
    p.add_argument(
        "--checkpoint",
        type=Path,
        default=None,
        help="save each generation here; resume from it when it exists",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder for the posterior (default results/posterior_<scenario>)",
    )
    p.set_defaults(command=_calibrate)

    p = sub.add_parser("forecast", help="forecast the weeks after --start from the history before")
    p.add_argument(
        "--events",
        type=Path,
        default=None,
        help="canonical event CSV (default: the built-in 2021 data)",
    )
    p.add_argument("--start", type=_date, required=True, help="first forecast day")
    p.add_argument("--days", type=_positive, required=True, help="horizon in days")
    p.add_argument(
        "--source",
        default="baseline_2021",
        help="scenario name or file, or a saved posterior folder",
    )
    p.add_argument("--worlds", type=_positive, default=DEFAULT_WORLDS, help="worlds (default 2000)")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed (default 2021)")
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder for tables and figure (default results/forecast_<start>)",
    )
    p.set_defaults(command=_forecast)

    p = sub.add_parser("compare", help="compare scenarios against a baseline with one seed")
    p.add_argument("scenarios", nargs="+", metavar="NAME|FILE.toml")
    p.add_argument(
        "--baseline",
        default="baseline_2021",
        help="what differences are taken against (default baseline_2021)",
    )
    _add_worlds(p)
    p.set_defaults(command=_compare)
    return parser


def _add_worlds(p):
    p.add_argument(
        "--worlds",
        type=_positive,
        default=None,
        help=f"worlds (default {DEFAULT_WORLDS}; {QUICK_WORLDS} with --quick)",
    )
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed (default 2021)")
    p.add_argument("--out", type=Path, default=None, help="output folder (default under results/)")
    p.add_argument("--quick", action="store_true", help=f"a fast run of {QUICK_WORLDS} worlds")


def _n_worlds(args) -> int:
    return args.worlds or (QUICK_WORLDS if args.quick else DEFAULT_WORLDS)


# == commands ====================================================================================
def _scenarios(args) -> int:
    from escalation.model.scenario import describe_scenarios

    described = describe_scenarios()
    width = max(map(len, described))
    for name, line in described.items():
        text = textwrap.fill(
            line,
            width=100,
            initial_indent=f"{name:<{width}}  ",
            subsequent_indent=" " * (width + 2),
        )
        print(text)
    return 0


def _run(args) -> int:
    from escalation.ensemble import run_ensemble
    from escalation.model.scenario import Scenario

    scenario = Scenario.load(args.scenario)
    n_worlds = _n_worlds(args)
    out = args.out or Path("results") / scenario.name
    with _executor(args.executor, args.workers) as executor:
        result = run_ensemble(
            scenario, n_worlds, seed=args.seed, executor=executor, progress=None, keep_events=True
        )
    summary = result.summary()
    print(
        f"{scenario.name}: {n_worlds} worlds, seed {args.seed}, {scenario.start} to {scenario.end}"
    )
    print()
    print(_summary_text(summary))
    result.save(out)
    summary.to_csv(out / "summary.csv", index=False)
    _run_figures(result, out)
    print()
    print(f"wrote {out}: {', '.join(sorted(p.name for p in out.iterdir()))}")
    return 0


def _summary_text(summary: pd.DataFrame) -> str:
    from escalation.compare import text_table

    def number(x):
        return "" if pd.isna(x) else f"{x:.4g}"

    columns = ["estimate", "mcse", "q05", "q50", "q95"]
    rows = [
        [row["quantity"], *(number(row[c]) for c in columns), str(row["n"]), row["unit"]]
        for _, row in summary.iterrows()
    ]
    header = ["quantity", "estimate", "MC s.e.", "q05", "q50", "q95", "n", "unit"]
    return text_table(header, rows, left=(0, 7)) + (
        "\n\nMC s.e.: Monte Carlo standard error of the estimate; q05, q50, q95: quantiles "
        "across worlds; n: worlds the estimate rests on."
    )


def _run_figures(result, out: Path) -> list[Path]:
    """Fan charts of the escalation index and weekly attacks, the ladder, a timeline."""
    import matplotlib.pyplot as plt

    from escalation import plotting
    from escalation.compare import observed_for

    scenario = result.scenario
    observed = observed_for(scenario)
    if observed is not None:
        days = pd.to_datetime(observed["date"])
        observed = observed.loc[
            (days >= pd.Timestamp(scenario.start)) & (days <= pd.Timestamp(scenario.end))
        ]
    written = []

    def save(fig, name):
        fig.savefig(out / name, dpi=150)
        plt.close(fig)
        written.append(out / name)

    for variable, name, weekly in (
        ("escalation_index", "escalation_index.png", False),
        ("militia_attacks", "attacks_weekly.png", True),
    ):
        fig, ax = plt.subplots(figsize=(9, 4), layout="constrained")
        plotting.fan_chart(
            result, variable, ax=ax, observed=observed, label=scenario.name, weekly=weekly
        )
        save(fig, name)
    fig, ax = plt.subplots(figsize=(9, 3.4), layout="constrained")
    plotting.ladder_heatmap(result, ax=ax, observed=observed)
    save(fig, "ladder.png")
    fig, ax = plt.subplots(figsize=(9, 4.5), layout="constrained")
    plotting.timeline(result.events, ax=ax, observed=observed, world=0)
    save(fig, "timeline.png")
    return written


@contextlib.contextmanager
def _executor(kind: str, workers):
    if kind == "serial":
        yield None
    elif kind == "processes":
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=workers or os.cpu_count()) as pool:
            yield pool
    else:
        from escalation.ensemble import dask_client

        client = dask_client(n_workers=workers or os.cpu_count() or 1)
        try:
            yield client
        finally:
            client.close()
            client.cluster.close()


def _calibrate(args) -> int:
    import matplotlib.pyplot as plt

    from escalation import plotting
    from escalation.events.io import load_events
    from escalation.inference.calibration import DEFAULT_POPULATION, calibrate
    from escalation.model.scenario import Scenario

    scenario = Scenario.load(args.scenario)
    events = load_events(args.events)
    out = args.out or Path("results") / f"posterior_{scenario.name}"
    posterior = calibrate(
        events,
        scenario,
        start=args.start,
        end=args.end,
        budget=args.budget,
        seed=args.seed,
        checkpoint=args.checkpoint,
        progress=None,
        population_size=args.population or DEFAULT_POPULATION,
    )
    diagnostics = posterior.diagnostics
    print(
        f"{scenario.name}: {len(posterior.samples)} particles, effective sample size "
        f"{posterior.ess:.0f}, {diagnostics.get('generations', '?')} generations, "
        f"{diagnostics.get('simulations_total', '?')} simulated worlds "
        f"(stopped: {diagnostics.get('stop_reason', '?')})"
    )
    print()
    with pd.option_context("display.width", 120, "display.max_columns", 20):
        print(posterior.summary().to_string(float_format=lambda x: f"{x:.4g}"))
    posterior.save(out)
    axes = plotting.posterior(
        posterior, prior={name: scenario.prior(name) for name in posterior.parameter_names}
    )
    figure = axes.ravel()[0].figure
    figure.savefig(out / "posterior.png", dpi=120)
    plt.close(figure)
    print()
    print(f"wrote {out}: samples.csv, posterior.json, posterior.png")
    return 0


def _forecast(args) -> int:
    import matplotlib.pyplot as plt

    from escalation import plotting
    from escalation.compare import OBSERVED_WINDOW
    from escalation.events.io import load_events

    try:
        from escalation.forecasting import forecast
    except ImportError as exc:
        raise ImportError(f"forecasting is not available in this version ({exc})") from None

    events = load_events(args.events)
    start = pd.Timestamp(args.start)
    source = _forecast_source(args.source)
    history = events.loc[events["date"] < start].reset_index(drop=True)
    result = forecast(source, history, start, args.days, n_worlds=args.worlds, seed=args.seed)
    out = args.out or Path("results") / f"forecast_{args.start.isoformat()}"
    out.mkdir(parents=True, exist_ok=True)
    tables = []
    for name in ("militia_attacks", "us_strike_rounds"):
        if name in result.daily:
            table = result.quantiles(name)
            table.columns = [f"q{round(q * 100):02d}" for q in table.columns]
            table = table.reset_index()
            table.insert(0, "series", name)
            tables.append(table)
    weekly = pd.concat(tables, ignore_index=True)
    probabilities = pd.DataFrame(
        {"event": list(result.probabilities), "probability": list(result.probabilities.values())}
    )
    print(
        f"{result.method} from {args.source}: {result.n_worlds} worlds, {args.days} days from "
        f"{args.start} ({len(history)} observed events before it replayed)"
    )
    print()
    print("Weekly counts, quantiles across worlds:")
    print(weekly.to_string(index=False, float_format=lambda x: f"{x:.3g}"))
    print()
    print("Probabilities over the horizon:")
    print(probabilities.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    weekly.to_csv(out / "forecast_weekly.csv", index=False)
    probabilities.to_csv(out / "forecast_probabilities.csv", index=False)

    covered_until = OBSERVED_WINDOW[1] if args.events is None else events["date"].max().date()
    figure, ax = plt.subplots(figsize=(8, 4), layout="constrained")
    if result.end.date() <= covered_until:
        plotting.forecast_vs_observed([result], events, axes=[ax])
    else:
        result.plot(ax=ax)
    figure.savefig(out / "forecast.png", dpi=150)
    plt.close(figure)
    print()
    print(f"wrote {out}: forecast_weekly.csv, forecast_probabilities.csv, forecast.png")
    return 0


def _forecast_source(text: str):
    """A saved posterior folder, or a scenario name or file (loaded to check it)."""
    from escalation.model.scenario import Scenario

    path = Path(text)
    if path.is_dir():
        from escalation.inference.posterior import Posterior

        return Posterior.load(path)
    return Scenario.load(text)


def _compare(args) -> int:
    from escalation.compare import (
        compare_results,
        comparison_figures,
        format_table,
        observed_for,
        run_scenarios,
    )
    from escalation.model.scenario import Scenario

    n_worlds = _n_worlds(args)
    baseline = Scenario.load(args.baseline)
    results = run_scenarios(
        args.scenarios, n_worlds, seed=args.seed, baseline=baseline, progress=None, keep_events=True
    )
    table = compare_results(results, baseline.name)
    out = args.out or Path("results") / "compare"
    print(
        f"{len(results)} scenarios, {n_worlds} worlds each, seed {args.seed}, against "
        f"{baseline.name}"
    )
    print()
    print(format_table(table, baseline.name))
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "comparison.csv", index=False)
    written = comparison_figures(results, table, out, baseline.name, observed_for(baseline))
    print()
    print(f"wrote {out}: comparison.csv, {', '.join(p.name for p in written)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
