"""Simulation-based calibration of the 2021 likelihood calibration.

Talts, Betancourt, Simpson, Vehtari & Gelman 2018, "Validating Bayesian inference algorithms
with simulation-based calibration" (arXiv:1804.06788): draw a parameter set from the priors of
``baseline_2021``'s calibrated parameters, simulate one 2021 from it, calibrate on that year
exactly as on the record (likelihood-tempered SMC on the exact likelihood by replay), and take
the rank of the truth among ``L`` draws from the posterior. If the inference is calibrated,
every parameter's ranks are uniform on ``0..L``: a chi-square test per parameter, rejected at
the 1% level after a Bonferroni correction over the parameters, says where they are not. Also
per (dataset, parameter): whether the 90% interval covers the truth, the posterior contraction
``1 - var_post / var_prior`` and the z-score ``(mean_post - truth) / sd_post``, plotted against
each other in the manner of Betancourt ("Calibrating model-based inferences and decisions",
arXiv:1803.08393): contraction near 1 with small z is a parameter the data identify.

Each dataset is one task (one process each with ``--workers``); finished datasets are kept in
``--out`` as they complete, so an interrupted run resumes where it stopped. Writes
``sbc.csv`` (one row per dataset and parameter), ``sbc_summary.csv`` (per parameter: chi-square,
p-value, coverage, mean contraction) and, with ``--figures``, ``docs/figures/sbc_ranks.png`` and
``docs/figures/sbc_zscore_contraction.png``.

    python experiments/sbc.py --quick               # 8 datasets, small populations
    python experiments/sbc.py --figures             # 200 datasets (about an hour on 2 cores)
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy import stats  # noqa: E402

from escalation.cli.scripts import add_out_option, add_seed_option  # noqa: E402
from escalation.events.schema import COLUMNS  # noqa: E402
from escalation.inference.calibration import (  # noqa: E402
    calibrate,
    calibration_scenario,
    priors,
)
from escalation.inference.posterior import prior_sd  # noqa: E402
from escalation.model.model import EscalationModel  # noqa: E402
from escalation.provenance import git_commit  # noqa: E402
from escalation.runtime import seed_sequence  # noqa: E402
from experiments.saved import write_whole  # noqa: E402

FIGURES = Path(__file__).resolve().parents[1] / "docs" / "figures"
#: Posterior draws the truth is ranked among (ranks 0..L; bins of the histogram: L + 1 = 10 x 10).
RANK_DRAWS = 99
BINS = 10


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=200)
    parser.add_argument("--population", type=int, default=400, help="particles per dataset")
    parser.add_argument("--moves", type=int, default=8, help="most moves per tempering step")
    add_seed_option(parser, default=11)
    parser.add_argument("--workers", type=int, default=2)
    add_out_option(parser, "results/sbc")
    parser.add_argument("--quick", action="store_true", help="8 datasets, 80 particles")
    parser.add_argument("--figures", action="store_true", help="write the docs figures")
    args = parser.parse_args(argv)
    if args.quick:
        args.datasets, args.population, args.moves = 8, 80, 5
    out = args.out or Path("results/sbc")
    (out / "datasets").mkdir(parents=True, exist_ok=True)
    settings = {
        "seed": args.seed,
        "population": args.population,
        "moves": args.moves,
        "scenario_sha256": sbc_scenario().sha256(),  # the model's defaults and calibrated list
        "git_commit": git_commit(),  # the simulator's code (None outside a git checkout)
    }
    kept = out / "settings.json"
    if kept.exists():
        old = json.loads(kept.read_text(encoding="utf-8"))
        differences = [
            f"{k} {old.get(k)!r} -> {v!r}" for k, v in settings.items() if old.get(k) != v
        ]
        if differences:
            parser.error(
                f"{out} holds datasets calibrated with other settings ({', '.join(differences)});"
                " use another --out or delete it"
            )
    elif any((out / "datasets").iterdir()):
        parser.error(f"{out} holds datasets of unknown settings; use another --out or delete it")
    write_whole(kept, json.dumps(settings))

    began = time.perf_counter()
    todo = [k for k in range(args.datasets) if not (out / "datasets" / f"{k:04d}.csv").exists()]
    task = dict(seed=args.seed, population=args.population, moves=args.moves, out=out)
    if args.workers > 1:
        with ProcessPoolExecutor(args.workers) as pool:
            for _ in pool.map(_dataset, todo, [task] * len(todo)):
                pass
    else:
        for k in todo:
            _dataset(k, task)
    names = set(sbc_scenario().calibrate)
    rows = pd.concat(
        [_read_dataset(out, k, names) for k in range(args.datasets)], ignore_index=True
    )
    rows.to_csv(out / "sbc.csv", index=False)
    summary = summarize(rows)
    summary.to_csv(out / "sbc_summary.csv")
    print(f"{args.datasets} datasets in {time.perf_counter() - began:.0f} s")
    print(summary.round(3).to_string())
    rejected = summary["rejected"].sum()
    print(
        f"\ncoverage of the 90% intervals: {rows['covered'].mean():.1%} of "
        f"{len(rows)} (dataset, parameter) pairs; mean contraction "
        f"{rows['contraction'].mean():.2f}; {rejected} of {len(summary)} parameters' ranks "
        "rejected as uniform (1% level, Bonferroni)"
    )
    if args.figures:
        figures(rows, FIGURES)


def sbc_scenario():
    """The scenario each synthetic 2021 is drawn from and calibrated by."""
    return calibration_scenario(
        "baseline_2021", pd.Timestamp("2021-01-01").date(), pd.Timestamp("2021-12-31").date()
    )


def _read_dataset(out: Path, k: int, names: set[str]) -> pd.DataFrame:
    """Dataset ``k``'s rows, one per calibrated parameter ``names`` (else the file is named)."""
    path = out / "datasets" / f"{k:04d}.csv"
    rows = pd.read_csv(path)
    if len(rows) != len(names) or set(rows["parameter"]) != names:
        raise SystemExit(
            f"{path}: {len(rows)} rows, expected one for each of the {len(names)} calibrated "
            "parameters; delete it to redo it"
        )
    return rows


def _dataset(k: int, task: dict) -> None:
    """Simulate one synthetic 2021 from a prior draw, calibrate on it, rank the truth."""
    scenario = sbc_scenario()
    prior = priors(scenario)
    root = seed_sequence([task["seed"], k])
    truth_seed, world_seed, calibration_seed, rank_seed = root.spawn(4)
    rng = np.random.default_rng(truth_seed)
    truth = {name: float(p.rvs(random_state=rng)) for name, p in prior.items()}
    year = EscalationModel(scenario, 1, seed=world_seed, parameters=truth, record_daily=False)
    observed = year.run().event_log()[list(COLUMNS)]
    post = calibrate_year(observed, scenario, calibration_seed, task["population"], task["moves"])
    draws = post.sample_parameters(RANK_DRAWS, seed=rank_seed)
    summary = post.summary()
    rows = []
    for name, value in truth.items():
        sd = summary.loc[name, "sd"]
        rows.append(
            {
                "dataset": k,
                "parameter": name,
                "truth": value,
                "rank": int((draws[name].to_numpy() < value).sum()),
                "covered": bool(summary.loc[name, "q05"] <= value <= summary.loc[name, "q95"]),
                "contraction": 1.0 - (sd / prior_sd(prior[name])) ** 2,
                "z": (summary.loc[name, "mean"] - value) / sd if sd > 0 else np.nan,
                "attacks": int((observed["actor"] == "militia").sum()),
            }
        )
    write_whole(task["out"] / "datasets" / f"{k:04d}.csv", pd.DataFrame(rows).to_csv(index=False))


def calibrate_year(observed: pd.DataFrame, scenario, seed, population: int, moves: int):
    """One tempered-SMC run of ``population`` particles and at most ``moves`` moves a step on
    ``observed`` over the scenario's window: how each synthetic year is calibrated here.

    A synthetic year is whole by construction: months without events after its last one were
    simulated quiet, not cut off, so the library's warning about a record that stops early
    (one in each worker's output, naming a year that did not stop) is silenced for these years
    (here and in ``sharp_threshold.py``, which calibrates its years with this function)."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=r"calibration window .* the record's last event", category=UserWarning
        )
        return calibrate(
            observed,
            scenario,
            start=scenario.start,
            end=scenario.end,
            seed=seed,
            population_size=population,
            runs=1,
            max_moves=moves,
            progress=False,
        )


def summarize(rows: pd.DataFrame) -> pd.DataFrame:
    """Per parameter: the ranks' chi-square against uniform, coverage and mean contraction."""
    n_parameters = rows["parameter"].nunique()
    out = {}
    for name, group in rows.groupby("parameter", sort=False):
        counts = np.bincount(group["rank"] * BINS // (RANK_DRAWS + 1), minlength=BINS)
        chi2, p = stats.chisquare(counts)
        out[name] = {
            "datasets": len(group),
            "chi2": chi2,
            "p_value": p,
            "rejected": p < 0.01 / n_parameters,
            "coverage90": group["covered"].mean(),
            "contraction": group["contraction"].mean(),
            "mean_abs_z": group["z"].abs().mean(),
        }
    return pd.DataFrame.from_dict(out, orient="index")


def figures(rows: pd.DataFrame, folder: Path) -> None:
    """The rank histograms, and z-score against contraction, per parameter."""
    names = list(dict.fromkeys(rows["parameter"]))
    cols = 4
    fig, axes = plt.subplots(
        -(-len(names) // cols), cols, figsize=(12, 2.2 * -(-len(names) // cols)),
        layout="constrained",
    )  # fmt: skip
    n = rows["dataset"].nunique()
    band = stats.binom.ppf([0.005, 0.995], n, 1 / BINS)
    for ax, name in zip(axes.flat, names, strict=False):
        ranks = rows.loc[rows["parameter"] == name, "rank"]
        ax.hist(ranks, bins=np.linspace(0, RANK_DRAWS + 1, BINS + 1), color="0.55")
        ax.axhspan(*band, color="C0", alpha=0.15, lw=0)
        ax.set_title(name, fontsize="small")
        ax.set_yticks([])
    for ax in axes.flat[len(names) :]:
        ax.set_visible(False)
    fig.suptitle(
        f"SBC ranks of the truth among {RANK_DRAWS} posterior draws, {n} synthetic 2021s "
        "(band: 99% range of a uniform bin)"
    )
    folder.mkdir(parents=True, exist_ok=True)
    fig.savefig(folder / "sbc_ranks.png", dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 5), layout="constrained")
    for i, name in enumerate(names):
        group = rows[rows["parameter"] == name]
        ax.scatter(group["contraction"], group["z"], s=6, color=f"C{i % 10}", label=name)
    ax.set_xlabel("posterior contraction (1 - posterior var / prior var)")
    ax.set_ylabel("z-score of the truth")
    ax.set_xlim(-0.5, 1.0)
    ax.axhline(0, color="0.5", lw=0.8)
    ax.legend(fontsize="x-small", ncol=2, loc="upper left")
    ax.set_title("What 2021-sized records identify: contraction near 1, |z| small")
    fig.savefig(folder / "sbc_zscore_contraction.png", dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main()
