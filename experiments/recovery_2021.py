"""Parameter recovery: can calibration find parameters we know?

In the manner of simulation-based calibration (Talts et al. 2018, "Validating Bayesian
inference algorithms with simulation-based calibration"): draw "true" parameter sets from the
priors of baseline_2021's calibrated parameters, simulate one 2021 from each, calibrate on that
synthetic year exactly as on the real one, and count how often each truth falls inside its 90%
credible interval. A calibrated inference covers the truth about 90% of the time; much less
means overconfident posteriors, much more means the ABC tolerance is still wide. Also reports
the rank of each truth within its posterior (uniform ranks = calibrated).

Writes ``recovery.csv`` (one row per dataset and parameter) and ``coverage.csv`` to ``--out``.

    python experiments/recovery_2021.py --quick     # 3 datasets, small budgets
    python experiments/recovery_2021.py             # 12 datasets, 40,000 worlds each
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from escalation.cli.scripts import add_out_option, add_seed_option
from escalation.events.schema import COLUMNS
from escalation.inference.calibration import calibrate, calibration_scenario, priors
from escalation.model.model import EscalationModel


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=12)
    parser.add_argument("--budget", type=int, default=40_000)
    parser.add_argument("--population", type=int, default=500)
    add_seed_option(parser, default=7)
    parser.add_argument("--workers", type=int, default=2)
    add_out_option(parser, "results/recovery_2021")
    parser.add_argument("--quick", action="store_true", help="3 datasets, budget 5,000")
    args = parser.parse_args(argv)
    if args.quick:
        args.datasets, args.budget, args.population = 3, 5_000, 250
    out = args.out or Path("results/recovery_2021")
    out.mkdir(parents=True, exist_ok=True)

    scenario = calibration_scenario(
        "baseline_2021", pd.Timestamp("2021-01-01").date(), pd.Timestamp("2021-12-31").date()
    )
    prior = priors(scenario)
    rng = np.random.default_rng(args.seed)
    rows = []
    began = time.perf_counter()
    executor = ProcessPoolExecutor(args.workers) if args.workers > 1 else None
    try:
        for k in range(args.datasets):
            truth = {name: float(p.rvs(random_state=rng)) for name, p in prior.items()}
            year = EscalationModel(scenario, 1, seed=args.seed * 1000 + k, parameters=truth).run()
            observed = year.event_log()[list(COLUMNS)]
            post = calibrate(
                observed,
                scenario=scenario,
                start=scenario.start,
                end=scenario.end,
                budget=args.budget,
                population_size=args.population,
                seed=args.seed * 1000 + k,
                executor=executor,
                progress=False,
            )
            summary = post.summary()
            samples = post.samples
            for name, value in truth.items():
                rank = float(np.sum(samples["weight"] * (samples[name] < value)))
                rows.append(
                    {
                        "dataset": k,
                        "parameter": name,
                        "truth": value,
                        "q05": summary.loc[name, "q05"],
                        "median": summary.loc[name, "median"],
                        "q95": summary.loc[name, "q95"],
                        "rank": rank,
                        "inside90": bool(
                            summary.loc[name, "q05"] <= value <= summary.loc[name, "q95"]
                        ),
                    }
                )
            print(
                f"dataset {k + 1}/{args.datasets}: "
                f"{sum(r['inside90'] for r in rows[-len(truth) :])}"
                f" of {len(truth)} truths inside their 90% intervals "
                f"({time.perf_counter() - began:.0f} s)"
            )
    finally:
        if executor is not None:
            executor.shutdown()

    table = pd.DataFrame(rows)
    table.to_csv(out / "recovery.csv", index=False)
    coverage = table.groupby("parameter").agg(
        coverage90=("inside90", "mean"), mean_rank=("rank", "mean")
    )
    coverage.to_csv(out / "coverage.csv")
    rate = table["inside90"].mean()
    n = len(table)
    se = np.sqrt(0.9 * 0.1 / n)
    print(
        f"\ncoverage of the 90% credible intervals: {rate:.1%} over {n} (dataset, parameter) "
        f"pairs (nominal 90%, +-{1.96 * se:.1%} at 95% if calibrated); "
        f"mean rank {table['rank'].mean():.2f} (0.5 if unbiased)"
    )
    print(coverage.round(2).to_string())
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
