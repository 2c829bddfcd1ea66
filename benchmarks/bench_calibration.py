"""Wall time of calibrating baseline_2021 on the full 2021 sequence with the default budget.

Target (issue 5): at most 120 s on a 2-core machine for ``calibrate`` with its default budget
(200,000 simulated worlds). Runs the batches on a process pool of ``--workers`` processes
(both cores by default) and reports seconds, worlds simulated, generations and throughput.

    python benchmarks/bench_calibration.py
    python benchmarks/bench_calibration.py --budget 50000 --workers 1
"""

from __future__ import annotations

import argparse
import platform
import time
from concurrent.futures import ProcessPoolExecutor

from escalation.cli.scripts import add_seed_option
from escalation.events.io import load_events
from escalation.inference.calibration import calibrate


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=200_000)
    parser.add_argument("--workers", type=int, default=2)
    add_seed_option(parser, default=1)
    args = parser.parse_args(argv)
    observed = load_events()
    executor = ProcessPoolExecutor(args.workers) if args.workers > 1 else None
    try:
        began = time.perf_counter()
        post = calibrate(
            observed,
            start="2021-01-01",
            end="2021-12-31",
            budget=args.budget,
            seed=args.seed,
            executor=executor,
            progress=False,
        )
        seconds = time.perf_counter() - began
    finally:
        if executor is not None:
            executor.shutdown()
    d = post.diagnostics
    print(
        f"calibration benchmark on {platform.node()} (Python {platform.python_version()}, "
        f"{args.workers} worker process(es))"
    )
    print(
        f"budget {args.budget:,}: {seconds:.1f} s, {d['simulations_total']:,} worlds simulated "
        f"({d['simulations_total'] / seconds:,.0f} world-years/s), {d['generations']} generations, "
        f"stop: {d['stop_reason']}, final epsilon {d['epsilons'][-1]:.2f} (target <= 120 s)"
    )


if __name__ == "__main__":
    main()
