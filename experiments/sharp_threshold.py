"""A sharp US red line: is the likelihood right there, and how many particles does SMC need?

Simulation-based calibration (``experiments/sbc.py``) with one run of 150 particles per
dataset rejected the uniformity of ``us_threshold_width``'s ranks (with 400 it does not, but
they still lean to 0): the posterior places a sharp line (small true width) wider than it is.
Two checks tell a wrong likelihood from a sampler short of particles:

1. the score check of ``experiments/score_identity.py`` at a sharp line: ``--years`` synthetic
   years, each from its own prior draw with ``us_threshold_width`` set to ``--width``; the mean
   score of the width is zero within its error if the likelihood is the simulator's density;
2. one such year calibrated at several budgets (particles, most moves a step): if the width's
   posterior moves as the budget grows, the small budget was not enough. The year is the first
   with at least ``--rounds`` US strike rows: the width matters where the line is often reached.

The score check (in chunks of years) and each budget's posterior are saved under ``--out`` as
they finish, and a rerun with the same settings reads them back, so an interrupted run resumes.

    python experiments/sharp_threshold.py               # width 0.05: about 8 minutes
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from escalation.cli.scripts import add_out_option, add_seed_option
from escalation.model.scenario import Scenario
from escalation.runtime import frame_sha256
from experiments.saved import saved_row
from experiments.sbc import calibrate_year
from experiments.score_identity import (
    prior_year,
    saved_prior_scores,
    without_posterior,
    z_statistics,
)

NAME = "us_threshold_width"
#: (particles, most moves a step): the SBC's, the shipped runs', and two larger ones.
BUDGETS = ((150, 8), (400, 8), (600, 20), (2000, 40))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=float, default=0.05, help="the true width")
    parser.add_argument("--years", type=int, default=400, help="synthetic years, score check")
    parser.add_argument("--rounds", type=int, default=15, help="US strike rows of the year")
    add_seed_option(parser, default=99)
    add_out_option(parser, "results/sharp_threshold")
    args = parser.parse_args(argv)
    out = args.out or Path("results/sharp_threshold")
    spec = without_posterior("baseline_2021")
    fixed = {NAME: args.width}
    began = time.perf_counter()
    table = saved_prior_scores(out / "score_check", spec, args.years, args.seed, [NAME], fixed)
    z = z_statistics(table)[NAME]
    print(f"score check, width {args.width}, {args.years} years: z = {z:.2f} (|z| > 4 flags)")

    k, year = busy_year(spec, args.seed, args.years, args.rounds, fixed)
    print(f"year {k}, {us_rows(year)} US strike rows; the width's posterior:")
    for particles, moves in BUDGETS:
        row = saved_budget(out / "budgets", year, spec, args.seed, particles, moves)
        print(
            f"  {particles:5d} particles, {moves:2d} moves: mean {row['mean']:.3f} "
            f"(90%: {row['q05']:.3f}-{row['q95']:.3f}), {row['seconds']:.0f} s"
        )
    print(f"{time.perf_counter() - began:.0f} s")


def busy_year(
    spec: Scenario, seed: int, years: int, rounds: int, fixed: Mapping[str, float]
) -> tuple[int, pd.DataFrame]:
    """The number of the first of the score check's years with at least ``rounds`` US strike
    rows, and that year: simulated again (a fraction of a second a year), since the score check
    saves only the scores."""
    for k in range(years):
        _, year = prior_year(spec, seed, k, fixed)
        if us_rows(year) >= rounds:
            return k, year
    raise SystemExit(f"no year with at least {rounds} US strike rows; lower --rounds")


def us_rows(year: pd.DataFrame) -> int:
    """The year's US strike rows."""
    return int((year["actor"] == "US").sum())


def saved_budget(
    out: Path, year: pd.DataFrame, spec: Scenario, seed: int, particles: int, moves: int
) -> dict[str, float]:
    """:func:`width_posterior`, or the one saved under ``out`` by a run with the same settings."""
    settings = {
        "particles": particles,
        "moves": moves,
        "seed": seed,
        "scenario_sha256": spec.sha256(),
        "observed_sha256": frame_sha256(year),
    }
    return saved_row(
        out / f"{particles}-{moves}.json",
        settings,
        lambda: width_posterior(year, spec, seed, particles, moves),
    )


def width_posterior(
    year: pd.DataFrame, spec: Scenario, seed: int, particles: int, moves: int
) -> dict[str, float]:
    """The width's posterior mean and 90% interval from one calibration of ``year`` at this
    budget, and the seconds it took (what the budget costs)."""
    started = time.perf_counter()
    row = calibrate_year(year, spec, seed, particles, moves).summary().loc[NAME]
    return {
        "mean": float(row["mean"]),
        "q05": float(row["q05"]),
        "q95": float(row["q95"]),
        "seconds": time.perf_counter() - started,
    }


if __name__ == "__main__":
    main()
