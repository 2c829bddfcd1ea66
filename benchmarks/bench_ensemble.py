"""Throughput and memory of ensembles, measured side by side in one run.

Measures, in this process and one after another so machine load affects all alike:

1. world-years per second of ``baseline_2021`` run as one batched model of 10,000 worlds;
2. the same model run one world at a time (``n_worlds=1``, repeated), and the ratio of the two;
3. ``run_ensemble`` of 10,000 worlds with its defaults (one process; events, per-world summaries
   and daily quantiles included), the best of ``--repeats`` calls like the batched model;
4. peak resident memory of ``run_ensemble`` over 1,000,000 worlds with ``keep_events=False``,
   in a fresh subprocess (its peak is what ``getrusage`` reports for the child).

Targets (issues 4 and 12, on a 2-core machine): ratio >= 100x; 10,000 world-years in <= 2 s,
batched and through ``run_ensemble``; the million world-years under 2 GiB peak.

    python benchmarks/bench_ensemble.py                 # everything (the million takes minutes)
    python benchmarks/bench_ensemble.py --million 100000 # a smaller memory run
    python benchmarks/bench_ensemble.py --million 0      # no memory run
"""

from __future__ import annotations

import argparse
import platform
import resource
import subprocess
import sys
import time

import numpy as np

from escalation.ensemble import run_ensemble
from escalation.model.model import EscalationModel
from escalation.model.scenario import Scenario

_MEMORY_SCRIPT = """
import resource, sys, time
from escalation.ensemble import run_ensemble
if __name__ == "__main__":
    began = time.perf_counter()
    result = run_ensemble("baseline_2021", {n}, seed=1, chunk_size={chunk}, keep_events=False,
                          progress=False)
    seconds = time.perf_counter() - began
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(len(result.worlds), seconds, peak)
"""


def batched(scenario, n_worlds: int, repeats: int) -> float:
    """Best seconds of ``repeats`` runs of one batched model of ``n_worlds`` worlds."""
    best = np.inf
    for r in range(repeats):
        began = time.perf_counter()
        EscalationModel(scenario, n_worlds, seed=r, record_daily=True).run()
        best = min(best, time.perf_counter() - began)
    return best


def one_at_a_time(scenario, n_runs: int) -> float:
    """Seconds per world-year of single-world models, run one after another."""
    began = time.perf_counter()
    for r in range(n_runs):
        EscalationModel(scenario, 1, seed=r).run()
    return (time.perf_counter() - began) / n_runs


def ensemble(scenario, n_worlds: int, repeats: int) -> float:
    """Best seconds of ``repeats`` calls of ``run_ensemble`` as users make them (defaults)."""
    best = np.inf
    for _ in range(repeats):
        began = time.perf_counter()
        run_ensemble(scenario, n_worlds, seed=1, progress=False)
        best = min(best, time.perf_counter() - began)
    return best


def memory(n_worlds: int, chunk: int) -> tuple[float, float]:
    """(seconds, peak MiB) of a keep_events=False ensemble in a fresh subprocess."""
    script = _MEMORY_SCRIPT.format(n=n_worlds, chunk=chunk)
    out = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True)
    worlds, seconds, peak_kib = out.stdout.split()
    assert int(worlds) == n_worlds
    return float(seconds), float(peak_kib) / 1024.0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worlds", type=int, default=10_000)
    parser.add_argument("--singles", type=int, default=100, help="single-world runs to time")
    parser.add_argument(
        "--million", type=int, default=1_000_000, help="worlds for the memory run (0: skip it)"
    )
    parser.add_argument("--chunk", type=int, default=10_000, help="chunk size of the memory run")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    scenario = Scenario.load("baseline_2021")
    years = scenario.days / 365.0
    batch_s = batched(scenario, args.worlds, args.repeats)
    single_s = one_at_a_time(scenario, args.singles)
    ensemble_s = ensemble(scenario, args.worlds, args.repeats)
    mem_s, mem_mib = memory(args.million, args.chunk) if args.million else (np.nan, np.nan)

    rows = [
        (
            f"batched model, {args.worlds:,} worlds",
            f"{batch_s:.2f} s",
            args.worlds * years / batch_s,
        ),
        (
            f"one world at a time (x{args.singles})",
            f"{single_s * 1000:.1f} ms/world",
            years / single_s,
        ),
        (
            f"run_ensemble, {args.worlds:,} worlds",
            f"{ensemble_s:.2f} s",
            args.worlds * years / ensemble_s,
        ),
    ]
    if args.million:
        rows.append(
            (
                f"run_ensemble, {args.million:,} worlds, keep_events=False",
                f"{mem_s:.1f} s",
                args.million * years / mem_s,
            )
        )
    print(
        f"escalation ensemble benchmark on {platform.node()} "
        f"({platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}, {_cores()} cores)\n"
    )
    print(f"{'measurement':<52} {'time':>14} {'world-years/s':>14}")
    for name, seconds, rate in rows:
        print(f"{name:<52} {seconds:>14} {rate:>14,.0f}")
    ratio = single_s * args.worlds / batch_s
    own_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nbatched / one-at-a-time throughput ratio: {ratio:.0f}x (target >= 100x)")
    print(f"10,000 world-years batched: {batch_s * 10_000 / args.worlds:.2f} s (target <= 2 s)")
    print(
        f"10,000 world-years, run_ensemble: {ensemble_s * 10_000 / args.worlds:.2f} s "
        "(target <= 2 s)"
    )
    if args.million:
        print(
            f"peak memory, {args.million:,} worlds keep_events=False: {mem_mib:,.0f} MiB "
            "(target < 2048 MiB)"
        )
    print(f"(this process's own peak: {own_peak:,.0f} MiB)")


def _cores() -> int | None:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


if __name__ == "__main__":
    main()
