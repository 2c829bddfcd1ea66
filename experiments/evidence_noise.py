"""How much does the 2021 log evidence move with the calibration's seed? Against the in-run error.

``experiments/mechanisms.py`` gives each row's log evidence with a Monte Carlo error taken
from the two tempered-SMC runs of one calibration (the sd of their estimates over sqrt(2)).
Two estimates make a poor sd, and the shipped posterior's evidence moved by more than that
error between calibration seeds. This script calibrates the full model and the model without
chosen mechanisms on all of 2021 with ``--seeds`` seeds each (400 particles, two runs, as the
table), and reports for each model the mean log evidence, its sd across seeds and the mean of
the in-run errors; and for each mechanism its gain (full minus without) per seed, with the
seeds' mean and its standard error. The gain is taken seed by seed: a model and its
mechanism-less twin calibrated with the same seed share their random streams.

Writes ``evidence_noise.csv`` (one row per model and seed) to ``--out``.

    python experiments/evidence_noise.py --seeds 5
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from escalation.cli.scripts import add_out_option, add_seed_option
from escalation.events.io import load_events
from escalation.inference.calibration import calibrate
from escalation.model.scenario import Scenario
from experiments.mechanisms import MECHANISMS, YEAR, without
from experiments.saved import saved_row, slug

#: The rows measured by default: the mechanisms whose gains in the table are within a few units.
DEFAULT_ROWS = (
    "campaign regimes",
    "deterrence by the red line",
    "geography (Syria's own share; crackdowns reach Iraq only)",
)


def main(argv: list[str] | None = None) -> pd.DataFrame:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="calibration seeds per model")
    parser.add_argument("--population", type=int, default=None, help="particles per run")
    parser.add_argument("--mechanisms", nargs="*", default=list(DEFAULT_ROWS))
    parser.add_argument("--workers", type=int, default=2)
    add_seed_option(parser, default=1)
    add_out_option(parser, "results/evidence_noise")
    args = parser.parse_args(argv)
    out = args.out or Path("results/evidence_noise")
    out.mkdir(parents=True, exist_ok=True)
    by_name = {m.name: m for m in MECHANISMS if m.in_full_model}
    unknown = [name for name in args.mechanisms if name not in by_name]
    if unknown:
        parser.error(f"--mechanisms: unknown {unknown}; choose from {sorted(by_name)}")
    base = Scenario.load("baseline_2021")
    models = {"full model": base} | {
        by_name[name].row: without(base, by_name[name]) for name in args.mechanisms
    }
    observed = load_events()
    began = time.perf_counter()
    executor = ProcessPoolExecutor(args.workers) if args.workers > 1 else None
    rows = []
    try:
        for label, scenario in models.items():
            for k in range(args.seeds):
                seed = args.seed + 1000 * k
                settings = {"scenario": scenario.sha256(), "seed": seed, "pop": args.population}

                def measure(scenario=scenario, seed=seed) -> dict[str, float]:
                    posterior = calibrate(
                        observed,
                        scenario,
                        *YEAR,
                        progress=False,
                        seed=seed,
                        population_size=args.population,
                        executor=executor,
                    )
                    d = posterior.diagnostics
                    return {
                        "log_evidence": float(d["log_evidence"]),
                        "in_run_error": float(d["log_evidence_mc_sd"]) / np.sqrt(2),
                    }

                row = saved_row(out / "rows" / f"{slug(label)}-{seed}.json", settings, measure)
                rows.append({"model": label, "seed": seed, **row})
                print(f"{label}, seed {seed}: {row['log_evidence']:.2f}", flush=True)
    finally:
        if executor is not None:
            executor.shutdown()
    table = pd.DataFrame(rows)
    table.to_csv(out / "evidence_noise.csv", index=False)
    print(summary(table).round(2).to_string())
    print(f"\n{time.perf_counter() - began:.0f} s; wrote {out}")
    return table


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per model: mean log evidence, its sd across seeds, the mean in-run error; per mechanism
    (a row other than the full model): the mean gain over seeds and its standard error."""
    wide = table.pivot(index="seed", columns="model", values="log_evidence")
    result = pd.DataFrame(
        {
            "mean": wide.mean(),
            "sd_across_seeds": wide.std(ddof=1),
            "mean_in_run_error": table.groupby("model")["in_run_error"].mean(),
        }
    )
    gains = -wide.sub(wide["full model"], axis=0)  # full minus without, seed by seed
    result["gain"] = gains.mean()
    result["gain_error"] = gains.std(ddof=1) / np.sqrt(len(wide))
    result.loc["full model", ["gain", "gain_error"]] = np.nan
    return result


if __name__ == "__main__":
    main()
