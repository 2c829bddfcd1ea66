"""Rolling-origin validation over 2021 and 2022: the model against four baselines, scored alike.

Origins on the first of every month from April 2021 (three months of history) to the last
that leaves eight observed weeks. At each origin every method sees only the events before it:
the model is recalibrated on them by the exact likelihood (one tempered-SMC run, see
:func:`escalation.validation.calibrator`) and forecasts from its posterior, the Poisson,
negative binomial, Conflictology and Hawkes baselines are refitted on the same days. Each
forecasts 8 weeks; the 4-week horizon is scored on the first four. Scores per week: CRPS,
log score (nats, add-one smoothing), 90% coverage and interval score; randomised PIT
histograms with a chi-square test of uniformity and a reliability diagram; Diebold-Mariano
tests of the model against each baseline on weekly CRPS (see :mod:`escalation.validation`).
The US strike round, which every method forecasts, is scored as a weekly yes/no event: the
mean forecast probability against the share of weeks with one, the Brier and log scores, and a
Diebold-Mariano test on the weekly Brier score.

Each origin's calibration is the shipped posterior's: two runs of 400 particles, side by side
on the two workers (``--population`` and ``--runs`` change it). ``--method abc`` recalibrates by
ABC-SMC with ``--budget`` worlds instead. Nothing is tuned on the scores.

The model's and the baselines' forecasts are Monte Carlo (calibration particles, simulated
worlds), so a p-value near a threshold can move with the seed: ``--replicate-seeds`` runs the
whole validation again with each further seed (in ``--out``'s ``seed_<n>/``) and writes
``seeds.csv`` and ``seeds.md``: each run's mean CRPS and Diebold-Mariano p-values, and those of
the weekly CRPS averaged over all the runs (one test with less Monte Carlo noise, not a choice
among seeds).

An interrupted run resumes: each origin's scores are checkpointed to ``--out``'s
``validation.npz`` (:func:`escalation.validate`'s ``checkpoint``), and a rerun with the same
settings starts at the first unfinished origin. Delete the file to start afresh.

Writes to ``--out``: ``weekly_scores.csv`` (one row per origin, horizon, week and method),
``summary.csv`` and ``summary.md`` (mean scores, Diebold-Mariano p-values, PIT chi-square),
and the figures ``validation_pit.png`` and ``validation_reliability.png`` (to
``docs/figures`` in a full run).

    python experiments/validate_rolling.py --quick    # every third origin, small populations
    python experiments/validate_rolling.py            # all origins
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import cast

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

import escalation  # noqa: E402
from escalation import plotting  # noqa: E402
from escalation.events.io import load_events  # noqa: E402
from escalation.validation import (  # noqa: E402
    HORIZONS,
    METHOD,
    calibrator,
    dm_tests,
    mean_scores,
    monthly_origins,
    pit_tests,
    validate,
)

DATA = Path(escalation.__file__).parent / "data"
START = "2021-01-01"


def observed_events() -> tuple[pd.DataFrame, str]:
    """2021's events and, when the file is there, 2022's; with the last day they cover."""
    frames = [load_events()]
    end = "2021-12-31"
    if (DATA / "events_2022.csv").exists():
        frames.append(load_events(DATA / "events_2022.csv"))
        end = "2022-12-31"
    events = pd.concat(frames, ignore_index=True).sort_values("date", kind="stable")
    return events.reset_index(drop=True), end


def summary_table(table: pd.DataFrame) -> pd.DataFrame:
    """Mean scores with the DM p-values (model against the method, on the weekly CRPS of
    attacks and on the weekly Brier score of the US strike round) and PIT chi-square."""
    summary = mean_scores(table)
    dm = dm_tests(table)[["mean_difference", "p_value"]].rename(
        columns={"mean_difference": "dm_crps_difference", "p_value": "dm_p_value"}
    )
    dm_round = dm_tests(table, score="round_brier")[["mean_difference", "p_value"]].rename(
        columns={"mean_difference": "dm_brier_difference", "p_value": "dm_brier_p_value"}
    )
    pit = pit_tests(table)[["chi2", "p_value"]].rename(
        columns={"chi2": "pit_chi2", "p_value": "pit_p_value"}
    )
    return summary.join(dm).join(dm_round).join(pit)


def seed_table(tables: dict[int, pd.DataFrame]) -> pd.DataFrame:
    """Per run (one per seed) and for the weekly CRPS averaged over the runs: each method's mean
    CRPS and the Diebold-Mariano p-value of the model against it, per horizon."""
    keys = ["origin", "horizon", "lead", "method"]
    averaged = pd.concat(tables.values()).groupby(keys, as_index=False)[["crps"]].mean()
    runs: dict[str, pd.DataFrame] = {f"seed {seed}": table for seed, table in tables.items()}
    runs[f"weekly CRPS averaged over the {len(tables)} seeds"] = averaged
    rows = []
    for label, table in runs.items():
        crps = table.groupby(["horizon", "method"])["crps"].mean()
        for key, p_value in dm_tests(table)["p_value"].items():
            horizon, method = cast(tuple[int, str], key)  # dm_tests' (horizon, method) index
            rows.append(
                {
                    "seeds": label,
                    "horizon": horizon,
                    "method": method,
                    "model_crps": crps[(horizon, METHOD)],
                    "crps": crps[(horizon, method)],
                    "dm_p_value": p_value,
                }
            )
    return pd.DataFrame(rows)


def seed_markdown(seeds: pd.DataFrame) -> str:
    """:func:`seed_table` as a Markdown table: the model's CRPS, then each baseline's CRPS and
    the p-value of the model against it."""
    methods = list(dict.fromkeys(seeds["method"]))
    header = "| seeds | horizon | model CRPS | " + " | ".join(f"{m} CRPS (DM p)" for m in methods)
    lines = [header + " |", "|---|---|---" + "|---" * len(methods) + "|"]
    for key, rows in seeds.groupby(["seeds", "horizon"], sort=False):
        label, horizon = cast(tuple[str, int], key)  # seed_table's seeds and horizon
        by_method = rows.set_index("method")
        cells = [
            f"{by_method.loc[m, 'crps']:.3f} ({by_method.loc[m, 'dm_p_value']:.3f})"
            for m in methods
        ]
        model = rows["model_crps"].iloc[0]
        lines.append(
            f"| {label} | {horizon // 7} weeks | {model:.3f} | " + " | ".join(cells) + " |"
        )
    return "\n".join(lines) + "\n"


def plot_pit(table: pd.DataFrame, path: Path) -> None:
    """Randomised PIT histograms: one row per horizon, one column per method."""
    methods = list(dict.fromkeys(table["method"]))
    horizons = sorted(table["horizon"].unique())
    fig, axes = plt.subplots(
        len(horizons),
        len(methods),
        figsize=(3.2 * len(methods), 2.8 * len(horizons)),
        layout="constrained",
        squeeze=False,
        sharey=True,
    )
    for row, horizon in zip(axes, horizons, strict=True):
        for ax, method in zip(row, methods, strict=True):
            rows = table[(table["horizon"] == horizon) & (table["method"] == method)]
            plotting.pit_histogram(rows["pit"], ax=ax, label=f"{method}, {horizon // 7} weeks")
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_reliability(table: pd.DataFrame, path: Path) -> None:
    """Reliability diagrams, one panel per horizon."""
    horizons = sorted(table["horizon"].unique())
    fig, axes = plt.subplots(1, len(horizons), figsize=(4.5 * len(horizons), 4.2), squeeze=False)
    for ax, horizon in zip(axes[0], horizons, strict=True):
        rows = table[table["horizon"] == horizon]
        pits = {method: group["pit"] for method, group in rows.groupby("method", sort=False)}
        plotting.reliability_diagram(pits, ax=ax)
        ax.set_title(f"{horizon // 7}-week horizon", fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


#: The summary's columns in the README's tables: the weekly attack counts, the strike round.
ATTACK_COLUMNS = (
    "crps",
    "log_score",
    "coverage90",
    "interval_score",
    "dm_p_value",
    "pit_chi2",
    "pit_p_value",
)
ROUND_COLUMNS = (
    "round_probability",
    "round_frequency",
    "round_brier",
    "round_log_score",
    "dm_brier_p_value",
)


def markdown(summary: pd.DataFrame) -> str:
    """The summary as two Markdown tables (for the README): attacks, then the strike round."""
    return _markdown(summary, ATTACK_COLUMNS) + "\n" + _markdown(summary, ROUND_COLUMNS)


def _markdown(summary: pd.DataFrame, columns: Sequence[str]) -> str:
    header = "| horizon | method | " + " | ".join(columns) + " |"
    rule = "|---|---" + "|---" * len(columns) + "|"
    lines = [header, rule]
    for key, row in summary[list(columns)].iterrows():
        horizon, method = cast(tuple[int, str], key)  # mean_scores' (horizon, method) index
        cells = ["" if pd.isna(v) else f"{v:.3g}" for v in row]
        lines.append(f"| {horizon // 7} weeks | {method} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> pd.DataFrame:
    """Run the validation and write its tables and figures; returns the summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--method", choices=("likelihood", "abc"), default="likelihood")
    parser.add_argument("--budget", type=int, default=3_000, help="ABC budget per origin")
    parser.add_argument("--population", type=int, default=None, help="particles per run")
    parser.add_argument("--runs", type=int, default=None, help="likelihood runs per origin")
    parser.add_argument("--worlds", type=int, default=1000, help="worlds per forecast")
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument(
        "--replicate-seeds",
        type=int,
        nargs="*",
        default=[],
        help="run the validation again with each of these seeds and test the averaged scores",
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default="results/validate_rolling")
    parser.add_argument("--figures", default="docs/figures", help="where the figures go")
    parser.add_argument(
        "--quick", action="store_true", help="every third origin, 100 particles, 200 worlds"
    )
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    figures = out if args.quick else Path(args.figures)
    figures.mkdir(parents=True, exist_ok=True)
    if args.quick:
        args.budget, args.population, args.worlds = 500, 100, 200
    settings: dict = {"method": args.method}
    if args.population:
        settings["population_size"] = args.population
    if args.runs:
        settings["runs"] = args.runs
    if args.method == "abc":
        settings["budget"] = args.budget

    observed, end = observed_events()
    origins = monthly_origins(START, end, max(HORIZONS))
    if args.quick:
        origins = origins[::3]
    began = time.perf_counter()
    executor = ProcessPoolExecutor(args.workers) if args.workers > 1 else None
    try:
        fit = calibrator(executor=executor, **settings)
        tables = {}
        for seed in [args.seed, *args.replicate_seeds]:
            place = out if seed == args.seed else out / f"seed_{seed}"
            place.mkdir(parents=True, exist_ok=True)
            tables[seed] = validate(
                observed,
                origins,
                n_worlds=args.worlds,
                seed=seed,
                calibrate=fit,
                start=START,
                end=end,
                executor=executor,
                checkpoint=place / "validation.npz",
            )
            if seed != args.seed:
                tables[seed].to_csv(place / "weekly_scores.csv", index=False)
        table = tables[args.seed]
    finally:
        if executor is not None:
            executor.shutdown()
    seconds = time.perf_counter() - began

    table.to_csv(out / "weekly_scores.csv", index=False)
    summary = summary_table(table)
    summary.to_csv(out / "summary.csv")
    (out / "summary.md").write_text(markdown(summary), encoding="utf-8")
    plot_pit(table, figures / "validation_pit.png")
    plot_reliability(table, figures / "validation_reliability.png")
    print(
        f"{len(origins)} origins {origins[0].date()}..{origins[-1].date()}, horizons "
        f"{list(HORIZONS)} days, calibration {settings} per origin, {args.worlds} worlds "
        f"per forecast; {seconds:.0f} s.\n"
    )
    with pd.option_context("display.width", 160):
        print(summary.round(3).to_string())
    if args.replicate_seeds:
        seeds = seed_table(tables)
        seeds.to_csv(out / "seeds.csv", index=False)
        (out / "seeds.md").write_text(seed_markdown(seeds), encoding="utf-8")
        print("\n" + seed_markdown(seeds))
    print(f"wrote {out} and figures to {figures}")
    return summary


if __name__ == "__main__":
    main()
