"""Does the 2021-2022 record support a second regime from the end of the US combat mission?

The 26 July 2021 agreement set 31 December 2021 as the end of the US combat mission in Iraq
(Reuters via Hurriyet Daily News, 2021-07-27, "Biden, Kadhimi seal agreement to end US combat
mission in Iraq"). ``baseline_2021`` multiplies the militias' attack rate by
``post_agreement_rate`` from the agreement, and their attacks other than convoy IEDs by
``post_agreement_non_ied`` (the table gives both posterior means), and carries nothing at the
mission's end; in the rolling validation (README) it over-forecast 2022 at most origins after
January. This experiment measures in sample whether the record of 2021 and 2022 supports a
second multiplier from 1 January 2022: the baseline over both years is calibrated by the
likelihood (two runs, as :func:`escalation.calibrate` does by default) with that multiplier
fixed at each of ``--factors`` (1: no second regime), and the log evidence of each is reported
with its Monte Carlo error. The baseline calibrates the 2022 record's own chance of reporting a
convoy IED (``ied_report_2022``) alongside. With ``--parameter ied_report_2022`` that factor is
fixed at each of ``--factors`` instead (1: 2021's reporting), and a last row has it calibrated,
as the baseline does: what the record says about its own coverage (``docs/data.md``, 2022, known
gaps: three convoy IEDs with dates in 2022 against 38 in 2021). A difference of a few units is
strong evidence (Kass & Raftery 1995, "Bayes factors", JASA 90:773).

The behavioural break is a fixed grid, an exploratory measurement: it was suggested by the 2022
forecasts, so it cannot be tested on them; a held-out test needs a later record. Writes
``end_of_mission.csv`` to ``--out`` (the evidence gain is against the first row, factor 1 by
default). Each calibration's row is saved to ``--out``'s ``rows/`` as it finishes, and a rerun
with the same settings reads it back, so an interrupted run resumes at its first missing row.

    python experiments/end_of_mission.py --quick   # 100 particles a run
    python experiments/end_of_mission.py
    python experiments/end_of_mission.py --parameter ied_report_2022 --factors 1 0.5 0.2 0.05
"""

from __future__ import annotations

import argparse
import math
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

import pandas as pd

from escalation.cli.scripts import add_out_option, add_seed_option
from escalation.events.io import load_events
from escalation.inference.calibration import LIKELIHOOD_POPULATION, calibrate
from escalation.model.scenario import Scenario
from escalation.runtime import frame_sha256
from experiments.saved import saved_row, slug

WINDOW = ("2021-01-01", "2022-12-31")
#: The timeline entry of a behavioural break at the end of the combat mission, its factor filled
#: in per run.
MISSION_ENDS = """
[[timeline]]
date = 2022-01-01
announced = 2021-07-26
event = "the US combat mission in Iraq ends (agreed on 26 July 2021 for 31 December 2021)"
kind = "agreement"
multiply = {{ militia_attack_rate = {factor!r} }}
source = "Reuters via Hurriyet Daily News, 2021-07-27 (Biden, Kadhimi seal agreement to end US \
combat mission in Iraq)"
"""
FACTOR_ON = ("militia_attack_rate", "ied_report_2022")


def with_second_regime(base: Scenario, factor: float | None, parameter: str) -> Scenario:
    """``base`` with the factor on ``parameter`` from 1 January 2022 fixed at ``factor``: a
    timeline entry multiplying the attack rate, or ``ied_report_2022`` pinned and no longer
    calibrated. ``None`` (reporting only) keeps the factor calibrated, as the baseline has it."""
    if parameter == "ied_report_2022":
        if factor is None:
            return base
        fixed = base.with_parameters(ied_report_2022=float(factor))
        calibrate = tuple(name for name in base.calibrate if name != "ied_report_2022")
        return replace(fixed, calibrate=calibrate)
    if factor is None:
        raise TypeError(f"a factor on {parameter} must be a number, not None")
    if factor == 1.0:
        return base
    toml = base.to_toml() + MISSION_ENDS.format(factor=float(factor))
    return Scenario.from_toml(toml, origin=f"{base.origin} + {parameter} x {factor:g} from 2022")


def row_name(parameter: str, factor: float | None) -> str:
    """The table's label of one calibration."""
    if factor is None:
        return f"{parameter} calibrated"
    if parameter == "ied_report_2022":
        return f"ied_report_2022 = {factor:g}"
    return f"{parameter} x {factor:g} from 2022"


def evidence_row(
    path: Path,
    observed: pd.DataFrame,
    scenario: Scenario,
    factor: float | None,
    seed: int,
    population: int,
    executor: ProcessPoolExecutor,
) -> dict[str, float]:
    """One calibration over :data:`WINDOW`: its log evidence with its Monte Carlo error, and the
    posterior means of the attack rate, the agreement's factors and the 2022 reporting factor
    (``factor`` where it is fixed); or the row a run with the same settings saved at ``path``."""

    def measure() -> dict[str, float]:
        posterior = calibrate(
            observed,
            scenario,
            *WINDOW,
            seed=seed,
            executor=executor,
            progress=False,
            population_size=population,
        )
        diagnostics = posterior.diagnostics
        means = posterior.summary()["mean"]
        return {
            "log_evidence": diagnostics["log_evidence"],
            "log_evidence_mc_error": diagnostics["log_evidence_mc_sd"] / math.sqrt(2),
            "militia_attack_rate": means["militia_attack_rate"],
            "post_agreement_rate": means["post_agreement_rate"],
            "post_agreement_non_ied": means["post_agreement_non_ied"],
            "ied_report_2022": means.get("ied_report_2022", factor),
        }

    settings = {
        "population": population,
        "seed": seed,
        "scenario_sha256": scenario.sha256(),
        "observed_sha256": frame_sha256(observed),
    }
    return saved_row(path, settings, measure)


def main(argv: list[str] | None = None) -> pd.DataFrame:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--factors",
        type=float,
        nargs="+",
        default=[1.0, 0.6, 0.35, 0.2],
        help="multipliers on the parameter from 1 January 2022 (1: none)",
    )
    parser.add_argument(
        "--parameter",
        choices=FACTOR_ON,
        default="militia_attack_rate",
        help="what the factors fix: a multiplier on the attack rate (the end of the combat "
        "mission) or the 2022 record's chance of reporting a convoy IED relative to 2021's",
    )
    parser.add_argument("--population", type=int, default=None, help="particles per run")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="100 particles a run")
    add_seed_option(parser, default=1)
    add_out_option(parser, "results/end_of_mission")
    args = parser.parse_args(argv)
    if args.quick:
        args.population = 100
    out = args.out or Path("results/end_of_mission")
    out.mkdir(parents=True, exist_ok=True)
    observed = pd.concat([load_events("2021"), load_events("2022")], ignore_index=True)
    base = Scenario.load("baseline_2021")
    population = args.population or LIKELIHOOD_POPULATION
    rows = {}
    began = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as executor:
        factors: list[float | None] = list(args.factors)
        if args.parameter == "ied_report_2022":
            factors.append(None)  # calibrated, as in the baseline
        for factor in factors:
            name = row_name(args.parameter, factor)
            scenario = with_second_regime(base, factor, args.parameter)
            path = out / "rows" / f"{slug(name)}.json"
            rows[name] = evidence_row(
                path, observed, scenario, factor, args.seed, population, executor
            )
    table = pd.DataFrame.from_dict(rows, orient="index")
    table["evidence_gain"] = table["log_evidence"] - table["log_evidence"].iloc[0]
    table.to_csv(out / "end_of_mission.csv")
    print(
        f"{len(factors)} calibrations on {WINDOW[0]}..{WINDOW[1]} "
        f"({len(observed)} events), {time.perf_counter() - began:.0f} s"
    )
    print(table.round(3).to_string())
    return table


if __name__ == "__main__":
    main()
