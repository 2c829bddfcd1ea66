"""Scenario validation on winter 2019-20: does the earlier red line's period forecast its record?

Two forecasts of weekly militia attacks, scored as the rolling validation scores
(:func:`escalation.validate`: CRPS, log score, 90% coverage, interval score, week by week):

- from the record up to 3 January 2020 (the Soleimani strike), the eight weeks from 4 January;
- from mid-February (origin 15 February), to the end of March (46 days, the last week partial).

Methods, each seeing only the record before the origin:

- ``Model, pooled``: ``period_2019_20`` (the US answers only an American killed) with its
  posterior from :func:`escalation.calibrate_pooled` on the winter record up to the day before
  the origin pooled with the whole 2021 record. The behaviour is thus learnt mostly from 2021,
  a later year: the forecast uses no information from the winter weeks it forecasts, but it
  does use a year that had not happened (a scenario check, not a forecast anyone could have
  made then).
- ``Model, winter alone``: the same scenario calibrated on the winter record before the origin
  only (eight days at the first origin: the prior does most of the work).
- ``Poisson`` and ``Negative binomial``: fitted on the same days (:mod:`escalation.baselines`).

Writes ``docs/validation_2019_20.csv`` (one row per origin, week and method) and
``docs/figures/validation_2019_20.png``, and prints mean scores per origin and method.

    python experiments/validate_2019_20.py              # the shipped calibration, two workers
    python experiments/validate_2019_20.py --population 200 --runs 1   # the earlier, smaller one
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext
from pathlib import Path
from typing import cast

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from escalation import plotting  # noqa: E402
from escalation.baselines import NegativeBinomial, Poisson  # noqa: E402
from escalation.events.io import PERIODS, load_events  # noqa: E402
from escalation.inference.calibration import LIKELIHOOD_MAX_MOVES, TemperedSettings  # noqa: E402
from escalation.inference.pooled import calibrate_pooled, period_posterior  # noqa: E402
from escalation.inference.posterior import Posterior  # noqa: E402
from escalation.model.scenario import Scenario  # noqa: E402
from escalation.validation import (  # noqa: E402
    BaselineMethod,
    Method,
    ModelMethod,
    calibrator,
    mean_scores,
    validate,
)

SCENARIO = "period_2019_20"
#: Forecast origins and horizons in days: eight weeks after the Soleimani strike; March.
ORIGINS = {"2020-01-04": 56, "2020-02-15": 46}
POOLED = "Model, pooled with 2021"
ALONE = "Model, winter alone"


def pooled_calibrator(settings: TemperedSettings, record_2021: pd.DataFrame, executor=None):
    """A calibrator for :class:`~escalation.validation.ModelMethod`: the winter record before
    the origin pooled with 2021, the posterior seen from the winter period."""

    def fit(
        history: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, seed: np.random.SeedSequence
    ) -> Posterior:
        winter = dataclasses.replace(
            Scenario.load(SCENARIO), start=start.date(), end=end.date(), posterior=None
        )
        periods: dict[str, tuple[pd.DataFrame, Scenario | str]] = {
            "2019_2020": (history, winter),
            "2021": (record_2021, "baseline_2021"),
        }
        pooled = calibrate_pooled(
            periods, seed=seed, progress=False, settings=settings, executor=executor
        )
        return period_posterior(pooled, "2019_2020")

    return fit


def run(population: int, worlds: int, seed: int, runs: int = 2, executor=None) -> pd.DataFrame:
    """Every method at both origins; the weekly scores, one row per origin, week and method.

    ``runs`` independent runs of ``population`` particles per calibration (the shipped
    calibration's two of 400 by default), side by side on ``executor``.
    """
    winter = load_events("2019_2020")
    first, last = PERIODS["2019_2020"].start, PERIODS["2019_2020"].end
    settings = TemperedSettings(population, runs, LIKELIHOOD_MAX_MOVES)
    methods: dict[str, Method] = {
        POOLED: ModelMethod(pooled_calibrator(settings, load_events("2021"), executor)),
        ALONE: ModelMethod(
            calibrator(executor, scenario=SCENARIO, population_size=population, runs=runs)
        ),
        "Poisson": BaselineMethod(Poisson),
        "Negative binomial": BaselineMethod(NegativeBinomial),
    }
    seeds = np.random.SeedSequence(seed).spawn(len(ORIGINS))
    frames = [
        validate(
            winter, [origin], [days], methods, worlds, seeds[i], start=first, end=last
        )
        for i, (origin, days) in enumerate(ORIGINS.items())
    ]  # fmt: skip
    return pd.concat(frames, ignore_index=True)


def origin_day(origin: object) -> datetime.date:
    """The day of a key of ``table.groupby("origin")``: the column holds Timestamps."""
    return pd.Timestamp(cast(pd.Timestamp, origin)).date()


def plot(table: pd.DataFrame, path: Path) -> None:
    """One panel per origin: each method's weekly 90% interval and mean, the observed counts."""
    with plotting.style():
        fig, axes = plt.subplots(1, len(ORIGINS), figsize=(11, 5), layout="constrained")
        methods = list(dict.fromkeys(table["method"]))
        width = 6.0 / (len(methods) + 1)
        for ax, (origin, rows) in zip(axes, table.groupby("origin"), strict=True):
            for k, method in enumerate(methods):
                own = rows[rows["method"] == method]
                x = own["week_start"] + pd.to_timedelta(0.5 + width * (k + 0.5), unit="D")
                mean = own["mean_forecast"].to_numpy()
                error = [mean - own["lower"].to_numpy(), own["upper"].to_numpy() - mean]
                crps = own["crps"].mean()
                ax.errorbar(x, mean, yerr=error, fmt="o", ms=3, capsize=2,
                            label=f"{method} (CRPS {crps:.2f})")  # fmt: skip
            observed = rows.drop_duplicates("week_start")
            ax.hlines(observed["observed"], observed["week_start"],
                      observed["week_start"] + pd.Timedelta(days=7), color="black",
                      linewidth=2, zorder=5, label="observed (week)")  # fmt: skip
            ax.set_title(f"Forecast from {origin_day(origin)}", fontsize="medium")
            ax.set_ylabel("militia attacks per week (90% interval, mean)")
            ax.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(0, -0.18), ncol=2)
            ax.tick_params(axis="x", labelrotation=30)
        fig.suptitle("Winter 2019-20: period_2019_20 (line at an American killed) vs baselines")
        fig.savefig(path, dpi=110)
        plt.close(fig)


def main(argv: Sequence[str] | None = None) -> pd.DataFrame:
    """Run, write the table and figure, print the mean scores; returns the weekly table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--population", type=int, default=400, help="particles per run")
    parser.add_argument("--runs", type=int, default=2, help="calibration runs, side by side")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worlds", type=int, default=1000, help="worlds per forecast")
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--out", default="docs/validation_2019_20.csv")
    parser.add_argument("--figure", default="docs/figures/validation_2019_20.png")
    args = parser.parse_args(argv)
    with ProcessPoolExecutor(args.workers) if args.workers > 1 else nullcontext() as executor:
        table = run(args.population, args.worlds, args.seed, args.runs, executor)
    table.to_csv(args.out, index=False, float_format="%.6g")
    plot(table, Path(args.figure))
    by_origin = {origin_day(o): mean_scores(g) for o, g in table.groupby("origin")}
    scores = pd.concat(by_origin, names=["origin"])
    with pd.option_context("display.width", 160):
        print(scores.round(3).to_string())
    print(f"wrote {args.out} and {args.figure}")
    return table


if __name__ == "__main__":
    main()
