"""Out-of-sample skill: fit on January-June 2021, forecast July-December, score against baselines.

The model is calibrated on the first half of 2021 only (the exact likelihood over 1 January -
30 June); that history is replayed into the agents' memories and the second half is forecast
with parameters drawn from the first-half posterior. Four statistical baselines are fitted on
the same history: Poisson, negative binomial, Conflictology (resampling recent weeks, as the
ViEWS benchmark) and a Hawkes process with cross-excitation from US strike rounds. All five
forecasts of weekly
militia attacks are scored against what was observed in July-December with CRPS, the
ignorance score, 90% interval coverage and the interval score
(:func:`escalation.scoring.score`); the US strike round, which all five forecast, by the
weekly Brier score and by each method's probability of at least one round in the half-year.
Nothing here looks at the second half before scoring.

Writes ``scores.csv``, ``weekly_quantiles.csv`` and ``forecasts.png`` to ``--out``.

    python experiments/validate_2021.py --quick    # small populations and ensemble, about a minute
    python experiments/validate_2021.py            # the full run, a few minutes
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402

from escalation import plotting  # noqa: E402
from escalation.baselines import Conflictology, Hawkes, NegativeBinomial, Poisson  # noqa: E402
from escalation.cli.scripts import add_out_option, add_seed_option
from escalation.events.counts import STRIKE_ROUNDS, daily_counts
from escalation.events.io import load_events
from escalation.forecasting import forecast
from escalation.inference.calibration import calibrate
from escalation.scoring import score  # noqa: E402

FIT_START, FIT_END, FORECAST_START, FORECAST_DAYS = "2021-01-01", "2021-06-30", "2021-07-01", 184


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--population", type=int, default=None, help="particles per run")
    parser.add_argument("--worlds", type=int, default=4000, help="worlds per forecast")
    add_seed_option(parser)
    parser.add_argument("--workers", type=int, default=2)
    add_out_option(parser, "results/validate_2021")
    parser.add_argument("--quick", action="store_true", help="100 particles, 1,000 worlds")
    args = parser.parse_args(argv)
    if args.quick:
        args.population, args.worlds = 100, 1000
    out = args.out or Path("results/validate_2021")
    out.mkdir(parents=True, exist_ok=True)

    observed = load_events()
    history = observed[observed["date"] <= FIT_END]
    began = time.perf_counter()
    executor = ProcessPoolExecutor(args.workers) if args.workers > 1 else None
    try:
        post = calibrate(
            history,
            start=FIT_START,
            end=FIT_END,
            population_size=args.population,
            seed=args.seed,
            executor=executor,
        )
        model = forecast(
            post,
            history,
            FORECAST_START,
            FORECAST_DAYS,
            n_worlds=args.worlds,
            seed=args.seed + 1,
            executor=executor,
        )
    finally:
        if executor is not None:
            executor.shutdown()
    forecasts = {"Escalation model": model}
    for baseline in (Poisson(), NegativeBinomial(), Conflictology(), Hawkes()):
        fitted = baseline.fit(history, start=FIT_START, end=FIT_END)
        forecasts[baseline.name] = fitted.forecast(
            FORECAST_START, FORECAST_DAYS, args.worlds, seed=args.seed + 2
        )

    rounds = int(daily_counts(observed, FORECAST_START, FORECAST_DAYS)[STRIKE_ROUNDS].sum())
    table = pd.DataFrame(
        [
            {
                "method": name,
                **score(f, observed),
                "rounds_forecast": f.series(STRIKE_ROUNDS).sum(axis=1).mean(),
                "p_round_horizon": f.probabilities.get("us_strike_round", float("nan")),
            }
            for name, f in forecasts.items()
        ]
    ).set_index("method")
    table.to_csv(out / "scores.csv")
    quantiles = pd.concat({name: f.quantiles() for name, f in forecasts.items()}, names=["method"])
    quantiles.to_csv(out / "weekly_quantiles.csv")
    axes = plotting.forecast_vs_observed(forecasts, observed)
    axes[0].figure.savefig(out / "forecasts.png", dpi=110, bbox_inches="tight")

    seconds = time.perf_counter() - began
    print(
        f"Fit on {FIT_START}..{FIT_END} (exact likelihood, log evidence "
        f"{post.log_evidence:.2f}), forecast {FORECAST_DAYS} days from {FORECAST_START}, "
        f"{args.worlds} worlds per method; {seconds:.0f} s.\n"
    )
    columns = [
        "crps",
        "ignorance",
        "coverage90",
        "interval_score",
        "mean_forecast",
        "mean_observed",
        "round_brier",
        "round_probability",
        "rounds_forecast",
        "p_round_horizon",
    ]
    print(table[columns].round(3).to_string())
    print(f"US strike rounds observed in the {FORECAST_DAYS} days: {rounds}.")
    (out / "scores.md").write_text(_markdown(table[columns]), encoding="utf-8")
    best = table["crps"].idxmin()
    model_crps = table.loc["Escalation model", "crps"]
    others = table.drop(index="Escalation model")["crps"]
    print(
        f"\nLowest CRPS: {best}. Model CRPS {model_crps:.3f} against the best baseline "
        f"{others.min():.3f} ({others.idxmin()}): "
        f"{100 * (others.min() - model_crps) / others.min():+.1f}%."
    )
    print(f"wrote {out}")
    return table


def _markdown(table: pd.DataFrame) -> str:
    """The scores as a Markdown table (for the README)."""
    header = "| method | " + " | ".join(table.columns) + " |"
    rule = "|---" * (len(table.columns) + 1) + "|"
    rows = [
        f"| {name} | " + " | ".join(f"{v:.3f}" for v in row) + " |"
        for name, row in table.iterrows()
    ]
    return "\n".join([header, rule, *rows]) + "\n"


if __name__ == "__main__":
    main()
