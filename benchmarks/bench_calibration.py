"""The 2021 calibration by the exact likelihood against ABC-SMC, measured side by side.

Calibrates ``baseline_2021`` on the full 2021 record twice in one run, on the same process
pool (``--workers``, both cores by default): by likelihood-tempered SMC on the exact likelihood
(the default: two independent runs pooled) and by ABC-SMC at its default budget (200,000
simulated worlds). Reports each method's wall time and the posterior contraction of every
calibrated parameter (1 - posterior variance / prior variance), and their ratios.

Targets (the likelihood issue): the likelihood calibration at most 30 s on this 2-core machine,
and at least 10x faster than ABC-SMC at equal or better contraction. "Faster at equal
contraction" is measured directly too: ABC-SMC is run a second time with the budget scaled so
that its wall time is at least ``--times`` (10) times the likelihood's, and its contraction
compared with the likelihood's. If ABC given ten times the time still contracts less, the
likelihood reaches ABC's contraction at least ten times faster. ``--times 0`` skips that run.

    python benchmarks/bench_calibration.py
    python benchmarks/bench_calibration.py --budget 50000 --workers 1
"""

from __future__ import annotations

import argparse
import math
import platform
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Literal

import pandas as pd

from escalation.cli.scripts import add_seed_option
from escalation.events.io import load_events
from escalation.inference.calibration import calibrate


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=200_000, help="ABC's simulated worlds")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--times",
        type=float,
        default=10.0,
        help="ABC's second run: this multiple of the likelihood's wall time (0: skip it)",
    )
    add_seed_option(parser, default=1)
    args = parser.parse_args(argv)
    observed = load_events()
    executor = ProcessPoolExecutor(args.workers) if args.workers > 1 else None
    timings, contraction, ess = {}, {}, {}

    def run(label: str, method: Literal["likelihood", "abc"], **options) -> None:
        began = time.perf_counter()
        post = calibrate(
            observed,
            start="2021-01-01",
            end="2021-12-31",
            seed=args.seed,
            executor=executor,
            progress=False,
            method=method,
            **options,
        )
        timings[label] = time.perf_counter() - began
        contraction[label] = post.summary()["contraction"]
        ess[label] = post.ess

    try:
        run("likelihood", "likelihood")
        run("abc", "abc", budget=args.budget)
        # ABC's cost is its simulated worlds: scale the budget to the wanted wall time (5% over).
        longer = (
            math.ceil(
                args.budget * args.times * timings["likelihood"] / timings["abc"] * 1.05 / 1000
            )
            * 1000
        )
        if args.times > 0:
            run("abc_longer", "abc", budget=longer)
    finally:
        if executor is not None:
            executor.shutdown()
    print(
        f"calibration benchmark on {platform.node()} (Python {platform.python_version()}, "
        f"{args.workers} worker process(es)); ABC budget {args.budget:,} worlds"
    )
    table = pd.DataFrame(contraction)
    print(table.round(3).to_string())
    print(
        f"\nwall time: likelihood {timings['likelihood']:.1f} s (target <= 30 s), "
        f"ABC-SMC {timings['abc']:.1f} s; ABC / likelihood = "
        f"{timings['abc'] / timings['likelihood']:.1f}x (target >= 10x)"
    )
    print(
        f"effective sample size of the pooled weighted sample: likelihood "
        f"{ess['likelihood']:.0f}, ABC {ess['abc']:.0f} (a small one makes contraction look larger)"
    )
    print(
        f"mean contraction: likelihood {table['likelihood'].mean():.2f}, ABC "
        f"{table['abc'].mean():.2f}; the likelihood contracts at least as much on "
        f"{int((table['likelihood'] >= table['abc']).sum())} of {len(table)} parameters"
    )
    if "abc_longer" in timings:
        times = timings["abc_longer"] / timings["likelihood"]
        better = table["likelihood"].mean() >= table["abc_longer"].mean()
        print(
            f"\nABC-SMC at {longer:,} worlds: {timings['abc_longer']:.1f} s, {times:.1f}x the "
            f"likelihood's wall time; effective sample size {ess['abc_longer']:.0f}; mean "
            f"contraction {table['abc_longer'].mean():.2f} against the likelihood's "
            f"{table['likelihood'].mean():.2f} (the likelihood at least as much on "
            f"{int((table['likelihood'] >= table['abc_longer']).sum())} of {len(table)}).\n"
            f"At equal contraction the likelihood is "
            + (f"at least {times:.1f}x faster" if better else "not shown to be faster by that")
            + f" (target >= {args.times:g}x)"
        )


if __name__ == "__main__":
    main()
