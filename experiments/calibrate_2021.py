"""Calibrate baseline_2021 on the observed 2021 sequence and regenerate the shipped posterior.

Runs likelihood-tempered SMC on the exact likelihood by replay (:func:`escalation.calibrate`,
two independent runs pooled; ``--method abc`` for ABC-SMC instead) on the built-in 2021 events
over 1 January to 31 December 2021, then checks the result by posterior predictive simulation:
every
calibration statistic, observed, against its predictive 90% band, and the weekly militia
attacks against their predictive fan. Writes to ``--out``: the posterior (samples.csv,
posterior.json), ``posterior_summary.csv``, ``predictive_check.csv``, ``posterior.png``,
``predictive_weekly.png`` and ``predictive_statistics.png``. With ``--ship`` the posterior
also replaces the one shipped in ``escalation/data/posterior_2021`` (what
``baseline_2021`` draws its parameters from).

    python experiments/calibrate_2021.py --quick          # 100 particles a run, a minute or less
    python experiments/calibrate_2021.py --ship           # the defaults, about a minute
"""

from __future__ import annotations

import argparse
import shutil
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

from escalation import plotting  # noqa: E402
from escalation.cli.scripts import add_out_option, add_seed_option
from escalation.ensemble import posterior_draws, run_ensemble  # noqa: E402
from escalation.events.io import load_events
from escalation.inference.calibration import calibrate, posterior_predictive

SHIPPED = Path(__file__).resolve().parents[1] / "escalation" / "data" / "posterior_2021"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--method", choices=("likelihood", "abc"), default="likelihood")
    parser.add_argument("--budget", type=int, default=None, help="ABC: simulated worlds in all")
    parser.add_argument("--population", type=int, default=None, help="particles (per run)")
    add_seed_option(parser)
    parser.add_argument("--workers", type=int, default=2, help="processes (1: this process only)")
    add_out_option(parser, "results/calibrate_2021")
    parser.add_argument("--checkpoint", default=None, help="resume file for an interrupted run")
    parser.add_argument("--quick", action="store_true", help="a small population (and budget)")
    parser.add_argument("--ship", action="store_true", help="replace the shipped posterior")
    args = parser.parse_args(argv)
    if args.quick:
        args.population = 100 if args.method == "likelihood" else 300
        args.budget = 6_000 if args.method == "abc" else None
    out = args.out or Path("results/calibrate_2021")
    out.mkdir(parents=True, exist_ok=True)
    observed = load_events()

    executor = ProcessPoolExecutor(args.workers) if args.workers > 1 else None
    try:
        began = time.perf_counter()
        post = calibrate(
            observed,
            start="2021-01-01",
            end="2021-12-31",
            budget=args.budget,
            method=args.method,
            seed=args.seed,
            population_size=args.population,
            executor=executor,
            checkpoint=args.checkpoint,
        )
        seconds = time.perf_counter() - began
        check = posterior_predictive(
            post, observed, n_worlds=1000, seed=args.seed + 1, executor=executor
        )
        draws = posterior_draws(post, args.seed + 2, np.arange(1000))
        fan = run_ensemble(
            post.base_scenario, 1000, seed=args.seed + 2, parameters=draws, executor=executor
        )
    finally:
        if executor is not None:
            executor.shutdown()

    post.save(out)
    summary = post.summary()
    summary.to_csv(out / "posterior_summary.csv")
    check.to_csv(out / "predictive_check.csv", index=False)
    print(f"calibrated in {seconds:.1f} s by {args.method}; {_diagnostics(post)}")
    print(summary.round(4).to_string())
    inside = check["inside90"].mean()
    print(
        f"\nposterior predictive: {check['inside90'].sum()} of {len(check)} observed statistics "
        f"({inside:.0%}) inside their 90% predictive band"
    )
    print(check.round(3).to_string(index=False))

    _figures(post, check, fan, observed, out)
    if args.ship:
        SHIPPED.mkdir(parents=True, exist_ok=True)
        for name in ("samples.csv", "posterior.json"):
            shutil.copy2(out / name, SHIPPED / name)
        print(f"shipped to {SHIPPED}")
    print(f"wrote {out}")


def _diagnostics(post) -> str:
    d = post.diagnostics
    if "simulations_total" in d:
        return (
            f"{d['simulations_total']} simulated worlds, {d['generations']} generations, "
            f"stop: {d['stop_reason']}"
        )
    rhat = max(d.get("rhat", {}).values(), default=float("nan"))
    return (
        f"log evidence {d['log_evidence']:.2f} (Monte Carlo error "
        f"{d.get('log_evidence_mc_sd', float('nan')):.2f} across runs), largest R-hat {rhat:.3f}"
    )


def _figures(post, check, fan, observed, out: Path):
    import matplotlib.pyplot as plt

    axes = plotting.posterior(post, prior=True)
    axes.flat[0].figure.savefig(out / "posterior.png", dpi=110, bbox_inches="tight")
    plt.close(axes.flat[0].figure)

    ax = plotting.fan_chart(
        fan,
        "militia_attacks",
        observed=observed,
        weekly=True,
        label="Posterior predictive",
    )
    ax.figure.savefig(out / "predictive_weekly.png", dpi=110, bbox_inches="tight")
    plt.close(ax.figure)

    ax = plotting.predictive_check(check)
    ax.figure.savefig(out / "predictive_statistics.png", dpi=110, bbox_inches="tight")
    plt.close(ax.figure)


if __name__ == "__main__":
    main()
