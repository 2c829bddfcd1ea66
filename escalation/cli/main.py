"""The ``escalation`` command: run, calibrate, forecast and compare scenarios from a terminal.

::

    escalation scenarios
    escalation run NAME|FILE.toml [--worlds N] [--seed S] [--out DIR] [--keep WHAT | --no-events]
    escalation calibrate [--events FILE] [--format F] [--scenario NAME|FILE] [--start D] [--end D]
    escalation forecast [--events FILE] [--format F] --start D --days N [--source NAME|FILE|DIR]
    escalation compare A B ... [--worlds N] [--seed S] [--worlds-per-draw K] [--out DIR]

Every command prints what it found and where it wrote its tables and figures, listing only
the files this run wrote. Input is checked before anything is computed or written. Bad
input (an unknown scenario, a bad scenario or event file, an event file without events in
the window, an unknown parameter, a bad date or number) ends with exit code 2 and one line on
stderr, ``escalation: error: ...``, naming the file, field or argument; any other error is a
bug and shows its traceback.

``run``, ``calibrate``, ``forecast`` and ``compare`` take ``--executor serial|processes|dask``,
``--workers N`` and ``--scheduler ADDRESS`` (default ``$DASK_SCHEDULER_ADDRESS``) to run on a
process pool, a local Dask cluster or a running Dask cluster elsewhere, with the same numbers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd

from escalation import __version__, plotting
from escalation.cli import report, scripts
from escalation.cli.inputs import events_in, read_events
from escalation.cli.scripts import (
    Parser,
    UsageError,
    add_events_options,
    add_executor_options,
    add_out_option,
    add_seed_option,
    add_worlds_options,
    add_worlds_per_draw_option,
    check_out,
    n_worlds,
    positive_number,
    user_errors,
)
from escalation.compare import (
    compare_results,
    observed_for,
    observed_period,
    observed_quantities,
    observed_summary,
    run_scenarios,
)
from escalation.ensemble import EnsembleResult, run_ensemble
from escalation.errors import EventDataError, ScenarioError
from escalation.events.io import load_record, shipped_through
from escalation.forecasting import LOOK_AHEAD, forecast
from escalation.inference.calibration import DEFAULT_POPULATION, LIKELIHOOD_POPULATION, calibrate
from escalation.inference.posterior import Posterior
from escalation.model.scenario import Scenario, describe_scenarios
from escalation.provenance import with_outputs

#: What ``run --keep`` keeps: everything; per-world summaries and daily quantiles; or the
#: per-world statistics and the summary table only.
KEEP = ("events", "summaries", "statistics")
_BUILT_IN_EVENTS = "the shipped records"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); returns the exit code."""
    matplotlib.use("Agg")  # figures go to files; never open a window
    parser = _parser()

    def command() -> int:
        args = parser.parse_args(argv)
        result: int = args.command(args)
        return result

    return user_errors(
        command,
        resumable="; a run given --checkpoint resumes from it when run again with the same "
        "arguments",
    )


# == arguments ===================================================================================
def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date (YYYY-MM-DD), found {text!r}") from None


def _parser() -> argparse.ArgumentParser:
    parser = Parser(
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
    add_worlds_options(p)
    add_seed_option(p)
    add_out_option(p, "results/NAME")
    keep = p.add_mutually_exclusive_group()
    keep.add_argument(
        "--keep",
        choices=KEEP,
        default="events",
        help="what to keep and write: events (every world's events and days, default), "
        "summaries (per-world summaries and daily quantiles), statistics (per-world "
        "statistics and the summary table only)",
    )
    keep.add_argument(
        "--no-events",
        dest="keep",
        action="store_const",
        const="summaries",
        help="same as --keep summaries: no events.csv or per-world days",
    )
    p.add_argument(
        "--checkpoint",
        type=Path,
        default=None,
        metavar="DIR",
        help="save each chunk of worlds here; resume from it when it exists",
    )
    p.add_argument(
        "--chunk-size",
        type=positive_number,
        default=None,
        metavar="N",
        help="worlds per chunk (default 10000, fewer to spread over --workers); the "
        "numbers are the same whatever the size, and with --checkpoint each chunk is saved "
        "as it ends",
    )
    add_executor_options(p)
    p.set_defaults(command=_run)

    p = sub.add_parser(
        "calibrate", help="infer the calibrated parameters (exact likelihood, or ABC-SMC)"
    )
    add_events_options(p)
    p.add_argument(
        "--scenario",
        default="baseline_2021",
        help="scenario declaring what is calibrated (default baseline_2021)",
    )
    p.add_argument("--start", type=_date, default=None, help="first day (default: first event)")
    p.add_argument("--end", type=_date, default=None, help="last day (default: last event)")
    p.add_argument(
        "--method",
        choices=("likelihood", "abc"),
        default="likelihood",
        help="likelihood-tempered SMC on the exact likelihood (default) or ABC-SMC",
    )
    p.add_argument(
        "--budget",
        type=positive_number,
        default=None,
        help="ABC: simulated worlds in all (default 200000)",
    )
    p.add_argument(
        "--runs",
        type=positive_number,
        default=2,
        help="likelihood: independent runs pooled (default 2: evidence error and R-hat)",
    )
    p.add_argument(
        "--population",
        type=scripts.population_number,
        default=None,
        help=f"particles per run (likelihood, default {LIKELIHOOD_POPULATION}) or per "
        f"generation (ABC, default {DEFAULT_POPULATION})",
    )
    add_seed_option(p)
    p.add_argument(
        "--checkpoint",
        type=Path,
        default=None,
        help="save each generation here; resume from it when it exists",
    )
    add_out_option(p, "results/posterior_SCENARIO")
    add_executor_options(p)
    p.set_defaults(command=_calibrate)

    p = sub.add_parser("forecast", help="forecast the weeks after --start from the history before")
    add_events_options(p)
    p.add_argument("--start", type=_date, required=True, help="first forecast day")
    p.add_argument(
        "--days", type=scripts.horizon_days, required=True, help="horizon in days (at most 3650)"
    )
    p.add_argument(
        "--source",
        default="baseline_2021",
        help="scenario name or file, or a saved posterior folder",
    )
    p.add_argument(
        "--look-ahead",
        action="store_true",
        help="a projection that knows what was to come: the whole timeline, and a posterior "
        "calibrated past --start, without a note (default: only what was public on --start)",
    )
    add_worlds_options(p)
    add_seed_option(p)
    add_out_option(p, "results/forecast_START")
    add_executor_options(p)
    p.set_defaults(command=_forecast)

    p = sub.add_parser("compare", help="compare scenarios against a baseline with one seed")
    p.add_argument("scenarios", nargs="+", metavar="NAME|FILE.toml")
    p.add_argument(
        "--baseline",
        default="baseline_2021",
        help="what differences are taken against (default baseline_2021)",
    )
    add_worlds_options(p, "worlds per scenario")
    add_seed_option(p)
    add_worlds_per_draw_option(p)
    add_out_option(p, "results/compare")
    add_executor_options(p)
    p.set_defaults(command=_compare)

    p = sub.add_parser("dashboard", help="serve the browser dashboard on this machine")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument(
        "--port", type=scripts.port_number, default=8765, help="port to listen on (default 8765)"
    )
    p.add_argument("--open", action="store_true", help="open the page in a browser")
    p.set_defaults(command=_dashboard)
    return parser


# == commands ====================================================================================
def _dashboard(args: argparse.Namespace) -> int:
    try:  # the dashboard is an optional extra: importing it says how to install it
        from escalation import dashboard
    except ImportError as exc:
        raise UsageError(str(exc)) from None
    return dashboard.serve(args.host, args.port, open_browser=args.open)


def _scenarios(args: argparse.Namespace) -> int:
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


def _run(args: argparse.Namespace) -> int:
    scenario = Scenario.load(args.scenario)
    out = check_out(args.out or Path("results") / scenario.name)
    worlds = n_worlds(args)
    with scripts.executor(args) as executor:
        result = run_ensemble(
            scenario,
            worlds,
            seed=args.seed,
            executor=executor,
            progress=None,
            keep_events=args.keep == "events",
            checkpoint=args.checkpoint,
            chunk_size=args.chunk_size,
        )
    events = observed_for(scenario)
    observed = None if events is None else observed_summary(events, scenario)
    summary = result.summary()
    print(
        f"{scenario.name}: {worlds} worlds, seed {args.seed}, {scenario.start} to "
        f"{scenario.end}, keeping {args.keep}"
    )
    print()
    print(report.summary_text(summary, observed))
    if observed is not None:
        summary = summary.assign(observed=summary["quantity"].map(observed))
    steps = _run_steps(result, summary, out, args.keep, _within(events, scenario))
    print()
    hint = "--no-events leaves out every world's events and days"
    print(report.wrote(out, report.write_outputs(steps), large_hint=hint))
    return 0


def _run_steps(
    result: EnsembleResult,
    summary: pd.DataFrame,
    out: Path,
    keep: str,
    observed: pd.DataFrame | None,
) -> list[tuple[str, Callable[[], list[Path]]]]:
    """The writing steps of ``run``: the result as far as ``keep`` says, the summary, figures."""

    def save_summary() -> list[Path]:
        summary.to_csv(out / "summary.csv", index=False)
        return [out / "summary.csv"]

    if keep == "statistics":
        return [("statistics", lambda: _save_statistics(result, out)), ("summary", save_summary)]
    return [
        ("result", lambda: report.saved_files(result.save(out))),
        ("summary", save_summary),
        ("figures", lambda: report.run_figures(result, out, observed)),
    ]


def _save_statistics(result: EnsembleResult, out: Path) -> list[Path]:
    """Write only the per-world statistics and a manifest of the run (``--keep statistics``)."""
    out.mkdir(parents=True, exist_ok=True)
    result.worlds.to_csv(out / "worlds.csv", index=False)
    record = with_outputs(result.manifest, out, ["worlds.csv"])
    (out / "manifest.json").write_text(json.dumps(record, indent=2, default=str), "utf-8")
    return [out / "worlds.csv", out / "manifest.json"]


def _within(events: pd.DataFrame | None, scenario: Scenario) -> pd.DataFrame | None:
    """The observed events inside the scenario's window (None stays None)."""
    if events is None:
        return None
    days = events["date"]
    inside = (days >= pd.Timestamp(scenario.start)) & (days <= pd.Timestamp(scenario.end))
    return events.loc[inside]


def _origin(path: Path | None) -> str:
    return _BUILT_IN_EVENTS if path is None else str(path)


def _record_for(args: argparse.Namespace, scenario: Scenario) -> pd.DataFrame:
    """The events of ``--events``, or without it the shipped record that covers the scenario's
    window (:func:`escalation.compare.observed_for`): ``period_2019_20`` is calibrated on
    the winter 2019-20 record, not on 2021's."""
    if args.events is not None:
        return read_events(args.events, args.format)
    events = observed_for(scenario)
    if events is None:
        raise UsageError(
            f"calibrate: no shipped record covers {scenario.name}'s window ({scenario.start} to "
            f"{scenario.end}); give the observed events with --events FILE"
        )
    return events


def _calibrate(args: argparse.Namespace) -> int:
    scenario = Scenario.load(args.scenario)
    if args.start and args.end and args.end < args.start:
        raise UsageError(f"calibrate: --end {args.end} is before --start {args.start}")
    events = _record_for(args, scenario)
    events_in(events, args.start, args.end, _origin(args.events))
    out = check_out(args.out or Path("results") / f"posterior_{scenario.name}")
    if args.budget is not None and args.method != "abc":
        raise UsageError("--budget: applies to --method abc")
    if args.method == "abc":
        population = args.population or DEFAULT_POPULATION
        if args.budget is not None and args.budget < population:
            raise UsageError(
                f"--budget {args.budget}: at least the population ({population} particles) "
                "must be simulated; raise --budget or lower --population"
            )
    with scripts.executor(args) as executor, scripts.warnings_as_notes():
        posterior = calibrate(
            events,
            scenario,
            start=args.start,
            end=args.end,
            budget=args.budget,
            seed=args.seed,
            checkpoint=args.checkpoint,
            executor=executor,
            progress=None,
            population_size=args.population,
            method=args.method,
            **({"runs": args.runs} if args.method == "likelihood" else {}),
        )
    d = posterior.diagnostics
    if args.method == "abc":
        how = (
            f"{d.get('generations', '?')} generations, {d.get('simulations_total', '?')} "
            f"simulated worlds (stopped: {d.get('stop_reason', '?')})"
        )
    else:
        how = (
            f"log evidence {d['log_evidence']:.2f}"
            + (
                f" (+- {d['log_evidence_mc_sd']:.2f} across runs)"
                if "log_evidence_mc_sd" in d
                else ""
            )
            + f", largest R-hat {max(d.get('rhat', {}).values(), default=float('nan')):.3f}"
        )
    print(
        f"{scenario.name}: {len(posterior.samples)} particles, effective sample size "
        f"{posterior.ess:.0f}, seed {args.seed}, {args.method}: {how}"
    )
    print()
    with pd.option_context("display.width", 120, "display.max_columns", 20):
        print(posterior.summary().to_string(float_format=lambda x: f"{x:.4g}"))

    def save_posterior() -> list[Path]:
        posterior.save(out)
        return [out / "samples.csv", out / "posterior.json"]

    def save_figure() -> list[Path]:
        prior = {name: scenario.prior(name) for name in posterior.parameter_names}
        figure = plotting.posterior(posterior, prior=prior).ravel()[0].figure
        figure.savefig(out / "posterior.png", dpi=120)
        plt.close(figure)
        return [out / "posterior.png"]

    written = report.write_outputs([("posterior", save_posterior), ("figure", save_figure)])
    print()
    print(report.wrote(out, written))
    return 0


def _forecast(args: argparse.Namespace) -> int:
    start = pd.Timestamp(args.start)
    source = _forecast_source(args.source)
    events, covered_until = _forecast_record(args, source)
    history = events_in(
        events,
        None,
        start - pd.Timedelta(days=1),
        _origin(args.events),
        why=f"a forecast from {start.date()} replays the events before it",
    )
    out = check_out(args.out or Path("results") / f"forecast_{args.start.isoformat()}")
    worlds = n_worlds(args)
    # A posterior calibrated past the origin is said in one line, in the CLI's words.
    with (
        scripts.executor(args) as executor,
        scripts.warnings_as_notes({LOOK_AHEAD: "--look-ahead"}),
    ):
        result = forecast(
            source,
            history,
            start,
            args.days,
            n_worlds=worlds,
            seed=args.seed,
            executor=executor,
            look_ahead=args.look_ahead,
        )
    tables = []
    for name in ("militia_attacks", "us_strike_rounds"):
        if name in result.daily:
            table = result.quantiles(name)
            table.columns = [f"q{round(float(q) * 100):02d}" for q in table.columns]
            table = table.reset_index()
            table.insert(0, "series", name)
            tables.append(table)
    weekly = pd.concat(tables, ignore_index=True)
    probabilities = pd.DataFrame(
        {"event": list(result.probabilities), "probability": list(result.probabilities.values())}
    )
    print(
        f"{result.method} from {args.source}: {result.n_worlds} worlds, seed {args.seed}, "
        f"{args.days} days from {args.start} ({len(history)} observed events before it replayed)"
    )
    print()
    print("Weekly counts, quantiles across worlds:")
    print(weekly.to_string(index=False, float_format=lambda x: f"{x:.3g}"))
    print()
    print("Probabilities over the horizon:")
    print(probabilities.to_string(index=False, float_format=lambda x: f"{x:.3f}"))

    def save_tables() -> list[Path]:
        out.mkdir(parents=True, exist_ok=True)
        weekly.to_csv(out / "forecast_weekly.csv", index=False)
        probabilities.to_csv(out / "forecast_probabilities.csv", index=False)
        return [out / "forecast_weekly.csv", out / "forecast_probabilities.csv"]

    def save_figure() -> list[Path]:
        figure, ax = plt.subplots(figsize=(8, 4), layout="constrained")
        if result.end.date() <= covered_until:
            plotting.forecast_vs_observed([result], events, axes=[ax])
        else:
            result.plot(ax=ax)
        figure.savefig(out / "forecast.png", dpi=150)
        plt.close(figure)
        return [out / "forecast.png"]

    written = report.write_outputs([("tables", save_tables), ("figure", save_figure)])
    print()
    print(report.wrote(out, written))
    return 0


def _forecast_record(
    args: argparse.Namespace, source: Posterior | Scenario
) -> tuple[pd.DataFrame, dt.date]:
    """The events of ``--events``, or without it the shipped records covering the replayed
    history (from the source's scenario start to the day before ``--start``) and, as far as
    they reach, the forecast's days; with the last day they cover (what the figure can show
    observed). A history from 2021 into 2022 reads both years; one no record covers is refused."""
    if args.events is not None:
        events = read_events(args.events, args.format)
        return events, events["date"].max().date()
    scenario = source.scenario() if isinstance(source, Posterior) else source
    before = args.start - dt.timedelta(days=1)
    first = min(scenario.start, before)
    last = args.start + dt.timedelta(days=args.days - 1)
    through = shipped_through(first)
    until = before if through is None else max(before, min(last, through))
    try:
        return load_record(first, until), until
    except EventDataError as error:
        raise EventDataError(
            f"forecast from {args.start} replays the days before it: {error}; give the "
            "observed events with --events FILE"
        ) from None


def _forecast_source(text: str) -> Posterior | Scenario:
    """A saved posterior folder, or a scenario name or file (loaded to check it)."""
    path = Path(text)
    if path.is_dir():
        return Posterior.load(path)
    if text.endswith(("/", "\\")):  # meant as a folder, and there is none
        raise ScenarioError(
            f"--source {text}: no such folder; expected a posterior folder (as written by "
            "`escalation calibrate --out`), a scenario's TOML file or a built-in scenario's name"
        )
    return Scenario.load(text)


def _compare(args: argparse.Namespace) -> int:
    worlds = n_worlds(args)
    baseline = Scenario.load(args.baseline)
    out = check_out(args.out or Path("results") / "compare")
    with scripts.executor(args) as executor:
        results = run_scenarios(
            args.scenarios,
            worlds,
            seed=args.seed,
            baseline=baseline,
            executor=executor,
            progress=None,
            keep_events=True,
            worlds_per_draw=args.worlds_per_draw,
        )
    table = compare_results(results, baseline.name)
    observed = observed_for(baseline)
    if observed is not None:
        values = observed_quantities(observed, baseline.start, baseline.end)
        table["observed"] = table["quantity"].map(values)
    print(
        f"{len(results)} scenarios, {worlds} worlds each, seed {args.seed}, against "
        f"{baseline.name}"
        + (f" (observed: the {observed_period(baseline)} record)" if observed is not None else "")
    )
    print(report.design_line(args.worlds_per_draw))
    print()
    print(report.format_table(table, baseline.name))

    def save_table() -> list[Path]:
        out.mkdir(parents=True, exist_ok=True)
        table.to_csv(out / "comparison.csv", index=False)
        return [out / "comparison.csv"]

    def save_figures() -> list[Path]:
        return report.comparison_figures(results, table, out, baseline.name, observed)

    written = report.write_outputs([("table", save_table), ("figures", save_figures)])
    print()
    print(report.wrote(out, written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
