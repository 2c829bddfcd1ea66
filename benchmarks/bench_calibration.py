"""The 2021 calibration by the exact likelihood against ABC-SMC, measured side by side.

Calibrates ``baseline_2021`` on the full 2021 record twice in one run, on the same process
pool (``--workers``, both cores by default): by likelihood-tempered SMC on the exact likelihood
(the default: two independent runs pooled) and by ABC-SMC at its default budget (200,000
simulated worlds). Reports each method's wall time and the posterior contraction of every
calibrated parameter (1 - posterior variance / prior variance), and their ratios.

Targets (the likelihood issue): the likelihood calibration at most 30 s on this 2-core machine,
and at least 10x faster than ABC-SMC at equal or better contraction.

    python benchmarks/bench_calibration.py
    python benchmarks/bench_calibration.py --budget 50000 --workers 1
"""

from __future__ import annotations

import argparse
import platform
import time
from concurrent.futures import ProcessPoolExecutor

import pandas as pd

from escalation.cli.scripts import add_seed_option
from escalation.events.io import load_events
from escalation.inference.calibration import calibrate


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=200_000, help="ABC's simulated worlds")
    parser.add_argument("--workers", type=int, default=2)
    add_seed_option(parser, default=1)
    args = parser.parse_args(argv)
    observed = load_events()
    executor = ProcessPoolExecutor(args.workers) if args.workers > 1 else None
    timings, contraction, ess = {}, {}, {}
    try:
        for method, options in (("likelihood", {}), ("abc", {"budget": args.budget})):
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
            timings[method] = time.perf_counter() - began
            contraction[method] = post.summary()["contraction"]
            ess[method] = post.ess
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


if __name__ == "__main__":
    main()
