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

    python experiments/sharp_threshold.py               # width 0.05: about 8 minutes
"""

from __future__ import annotations

import argparse
import time

from escalation.cli.scripts import add_seed_option
from experiments.sbc import calibrate_year
from experiments.score_identity import prior_scores, without_posterior, z_statistics

NAME = "us_threshold_width"
#: (particles, most moves a step): the SBC's, the shipped runs', and two larger ones.
BUDGETS = ((150, 8), (400, 8), (600, 20), (2000, 40))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=float, default=0.05, help="the true width")
    parser.add_argument("--years", type=int, default=400, help="synthetic years, score check")
    parser.add_argument("--rounds", type=int, default=15, help="US strike rows of the year")
    add_seed_option(parser, default=99)
    args = parser.parse_args(argv)
    spec = without_posterior("baseline_2021")
    began = time.perf_counter()
    table, years = prior_scores(spec, args.years, args.seed, [NAME], {NAME: args.width})
    z = z_statistics(table)[NAME]
    print(f"score check, width {args.width}, {args.years} years: z = {z:.2f} (|z| > 4 flags)")

    rounds = [int((year["actor"] == "US").sum()) for year in years]
    k = next((k for k, n in enumerate(rounds) if n >= args.rounds), None)
    if k is None:
        raise SystemExit(f"no year with at least {args.rounds} US strike rows; lower --rounds")
    year = years[k]
    print(f"year {k}, {rounds[k]} US strike rows; the width's posterior:")
    for particles, moves in BUDGETS:
        started = time.perf_counter()
        posterior = calibrate_year(year, spec, args.seed, particles, moves)
        row = posterior.summary().loc[NAME]
        print(
            f"  {particles:5d} particles, {moves:2d} moves: mean {row['mean']:.3f} "
            f"(90%: {row['q05']:.3f}-{row['q95']:.3f}), {time.perf_counter() - started:.0f} s"
        )
    print(f"{time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
