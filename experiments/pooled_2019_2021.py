"""Does pooling the winter 2019-20 record with 2021 identify the behaviour better than 2021 alone?

Calibrates by the exact likelihood (likelihood-tempered SMC at the shipped settings, two runs
of 400 particles, unless ``--population``/``--runs`` say otherwise): 2021 alone
(``baseline_2021``), 2019-20 alone (``period_2019_20``), the two pooled
(:func:`escalation.calibrate_pooled`: behaviour shared, base rates per period), and, with
``--with-2022``, the three records 2019-20, 2021 and 2022 pooled. For each shared parameter it
reports the contraction ``1 - posterior variance / prior variance`` of each fit, and for each
fit the log evidence. ``log Z(pooled) - log Z(2021 alone) - log Z(2019-20 alone)`` is the log
Bayes factor of one shared behaviour against each period having its own (base rates are per
period in both).

The 2022 period is built here, not shipped: ``baseline_2021`` over 2022 with its 2021 timeline
dropped and no talks (an assumption: the model has no schedule of the 2022 Vienna rounds), the
line at personnel as in 2021.

Writes ``docs/pooled_contraction.csv`` (one row per parameter and fit: prior sd, posterior mean
and sd, contraction; and one row per fit with its log evidence) and prints the table. Each fit
is saved to ``--saved`` as it finishes, and a rerun with the same settings reads it back, so an
interrupted run resumes at its first missing fit.

    python experiments/pooled_2019_2021.py        # about 2.5 minutes of one core
    python experiments/pooled_2019_2021.py --with-2022 --population 150 --runs 1
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path

import pandas as pd

import escalation
from escalation.inference.calibration import (
    LIKELIHOOD_MAX_MOVES,
    LIKELIHOOD_POPULATION,
    TemperedSettings,
)
from escalation.model.scenario import Scenario
from escalation.runtime import frame_sha256
from experiments.saved import saved_row, slug

#: The behavioural parameters the issue asks about: revenge (the vow), deterrence and the US
#: response (threshold, width, lag, grievance memory, return fire).
BEHAVIOURAL = (
    "vow_rate",
    "vow_halflife",
    "deterrence",
    "us_response_threshold",
    "us_threshold_width",
    "us_lag_mean",
    "grievance_halflife",
    "return_fire_prob",
)
#: The periods of one fit: each one's record (a shipped period's name) and scenario.
Records = Mapping[str, tuple[str, Scenario | str]]
PERIOD_2022 = """
name = "period_2022"
description = "2022 under baseline_2021's policies (built by experiments/pooled_2019_2021.py)."
extends = "baseline_2021"
start = 2022-01-01
end = 2022-12-31
posterior = ""
timeline = []
calibrate = [%s]

[policies.Iran]
patronage = { name = "restraint_while_talks", talks = "collapsed" }
"""


def period_2022() -> Scenario:
    """The 2022 period's scenario (see the module docstring)."""
    base = Scenario.load("period_2019_20")  # the same list: no talks, no 2021 agreement
    names = ", ".join(f'"{name}"' for name in base.calibrate)
    return Scenario.from_toml(PERIOD_2022 % names, origin="<period_2022>")


def fits(settings: TemperedSettings, seed: int, with_2022: bool, saved: Path) -> dict[str, dict]:
    """What the table needs of each calibration compared (:func:`fit_summary`), by label, each
    timed and saved under ``saved`` (a rerun with the same settings reads it back)."""
    periods = {"2019_2020": ("2019_2020", "period_2019_20"), "2021": ("2021", "baseline_2021")}
    options = dict(progress=False, population_size=settings.population_size, runs=settings.runs)
    jobs: dict[str, tuple[Records, Callable[[], escalation.Posterior]]] = {
        "2021 alone": (
            {"2021": periods["2021"]},
            lambda: escalation.calibrate(*periods["2021"], seed=seed, **options),
        ),
        "2019-20 alone": (
            {"2019_2020": periods["2019_2020"]},
            lambda: escalation.calibrate(*periods["2019_2020"], seed=seed, **options),
        ),
        "2019-20 + 2021 pooled": (
            periods,
            lambda: escalation.calibrate_pooled(
                periods, seed=seed, progress=False, settings=settings
            ),
        ),
    }
    if with_2022:
        everything = periods | {"2022": ("2022", period_2022())}
        jobs["2019-20 + 2021 + 2022 pooled"] = (
            everything,
            lambda: escalation.calibrate_pooled(
                everything, seed=seed, progress=False, settings=settings
            ),
        )
    done = {}
    for label, (records, job) in jobs.items():
        done[label] = saved_row(
            saved / f"{slug(label)}.json",
            {"seed": seed, **settings._asdict(), "periods": period_hashes(records)},
            partial(fit_summary, job),
        )
        print(f"{label}: {done[label]['seconds']:.0f} s", flush=True)
    return done


def period_hashes(records: Records) -> dict[str, dict[str, str]]:
    """Per period of a fit: the SHA-256 of its scenario and of its observed record."""
    return {
        period: {
            "scenario_sha256": Scenario.coerce(scenario).sha256(),
            "observed_sha256": frame_sha256(escalation.load_events(data)),
        }
        for period, (data, scenario) in records.items()
    }


def fit_summary(job: Callable[[], escalation.Posterior]) -> dict:
    """Run one calibration; per parameter its prior sd, posterior mean and sd and contraction,
    its log evidence with the Monte Carlo sd, and the seconds it took."""
    began = time.perf_counter()
    posterior = job()
    summary = posterior.summary()[["prior_sd", "mean", "sd", "contraction"]]
    return {
        "parameters": summary.to_dict(orient="index"),
        "log_evidence": posterior.log_evidence,
        "log_evidence_mc_sd": posterior.diagnostics.get("log_evidence_mc_sd"),
        "seconds": time.perf_counter() - began,
    }


def contraction_table(fits: dict[str, dict]) -> pd.DataFrame:
    """One row per (fit, parameter) for the parameters 2021 alone calibrates, and one evidence
    row per fit."""
    shared = list(fits["2021 alone"]["parameters"])
    rows = []
    for label, fit in fits.items():
        summary = fit["parameters"]
        for name in shared:
            if name in summary:
                row = summary[name]
                rows.append(
                    {
                        "fit": label,
                        "parameter": name,
                        "behavioural": name in BEHAVIOURAL,
                        "prior_sd": row["prior_sd"],
                        "mean": row["mean"],
                        "sd": row["sd"],
                        "contraction": row["contraction"],
                    }
                )
        rows.append(
            {
                "fit": label,
                "parameter": "log_evidence",
                "mean": fit["log_evidence"],
                "sd": fit["log_evidence_mc_sd"],
            }
        )
    return pd.DataFrame(rows)


def main(argv: Sequence[str] | None = None) -> pd.DataFrame:
    """Run the calibrations, write the table, print the comparison; returns the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2019)
    parser.add_argument("--out", default="docs/pooled_contraction.csv")
    parser.add_argument("--with-2022", action="store_true", help="pool the 2022 record too")
    parser.add_argument("--population", type=int, default=LIKELIHOOD_POPULATION)
    parser.add_argument("--runs", type=int, default=2, help="independent runs per fit")
    parser.add_argument(
        "--saved",
        type=Path,
        default=Path("results/pooled_2019_2021"),
        help="folder of the saved fits a rerun reads back (default %(default)s)",
    )
    args = parser.parse_args(argv)
    settings = TemperedSettings(args.population, args.runs, LIKELIHOOD_MAX_MOVES)
    table = contraction_table(fits(settings, args.seed, args.with_2022, args.saved))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out, index=False, float_format="%.6g")

    wide = table[table["parameter"] != "log_evidence"].pivot(
        index="parameter", columns="fit", values="contraction"
    )
    order = list(dict.fromkeys(table["fit"]))
    wide = wide[[c for c in order if c in wide.columns]]
    with pd.option_context("display.width", 200, "display.max_columns", 10):
        print(wide.round(3).to_string())
        behaviour = wide.loc[[n for n in BEHAVIOURAL if n in wide.index]]
        print("\nmean contraction, behavioural parameters:")
        print(behaviour.mean().round(3).to_string())
    evidence = table[table["parameter"] == "log_evidence"].set_index("fit")["mean"]
    print("\nlog evidence:")
    print(evidence.round(2).to_string())
    factor = evidence["2019-20 + 2021 pooled"] - evidence["2021 alone"] - evidence["2019-20 alone"]
    print(f"log Bayes factor, shared behaviour against each period's own: {factor:.2f}")
    print(f"wrote {out}")
    return table


if __name__ == "__main__":
    main()
