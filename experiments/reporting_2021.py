"""What the reporting layer adds to the likelihood of the 2021 record (issue 12, mechanism 1).

Compares ``baseline_2021`` with its militia ``reporting`` policy ``batched_reporting`` (convoy
IEDs thinned and posted in Pólya-Aeppli batches) against ``full_reporting`` (every attack
reported on its day, the model before the layer):

1. the exact log-likelihood of the 2021 record (:func:`escalation.loglik`, by actor) at the
   shipped posterior's mean, the reporting parameters at their posterior or default values;
2. the militia count term alone: the log probability of each day's total number of reported
   attacks (for batched reporting, the Poisson count of other attacks convolved with the
   Pólya-Aeppli IED count), comparable with the iid baselines of issue 12 (negative binomial
   -198.5, constant Poisson -221.1, which score daily counts only);
3. with ``--calibrate``, the log evidence of each from quick likelihood-tempered SMC runs
   (population 200, at most 6 moves, one run per seed), mean and spread over ``--seeds``.

    python experiments/reporting_2021.py                  # 1 and 2, about 15 s
    python experiments/reporting_2021.py --calibrate --seeds 1 2    # a few minutes
"""

from __future__ import annotations

import argparse
import dataclasses

import numpy as np

import escalation
from escalation.ensemble import posterior_path
from escalation.events.io import load_events
from escalation.inference.posterior import Posterior
from escalation.model.agents import GROUPS
from escalation.model.likelihood import log_poisson, log_polya_aeppli
from escalation.model.model import EscalationModel
from escalation.model.scenario import Scenario

POLICIES = ("full_reporting", "batched_reporting")


def scenario_with(policy: str) -> Scenario:
    """``baseline_2021`` under a reporting policy, without its posterior; ``ied_batch_mean``
    calibrated only where it is read."""
    base = Scenario.coerce("baseline_2021").with_policy("militia", "reporting", policy)
    calibrate = tuple(
        name for name in base.calibrate if policy == "batched_reporting" or name != "ied_batch_mean"
    )
    if policy == "batched_reporting" and "ied_batch_mean" not in calibrate:
        calibrate += ("ied_batch_mean",)
    return dataclasses.replace(base, posterior=None, calibrate=calibrate)


def posterior_mean() -> dict[str, float]:
    """The weighted mean of the shipped 2021 posterior, per calibrated parameter."""
    samples = Posterior.load(posterior_path("posterior_2021")).samples
    weights = samples.pop("weight").to_numpy()
    return {name: float(np.average(samples[name], weights=weights)) for name in samples}


def daily_count_term(scenario: Scenario, parameters: dict[str, float], events) -> float:
    """Sum over 2021's days of log P(the day's total number of reported militia attacks)."""
    model = EscalationModel(
        scenario, seed=0, parameters=parameters, history=events, replay_days=scenario.days
    )
    militia = model.militias[0]
    total = 0.0
    for day in range(scenario.days):
        model.step()
        rate = sum(m.rate for m in model.militias)
        ied_rate = rate * militia.weapon_probabilities(militia.perceived, np.arange(1))[:, 2]
        attacks = sum(len(model.observed[day].attacks[g]["site"]) for g in range(len(GROUPS)))
        batches = militia.reporting.ied_observation(
            ied_rate, model.p.ied_report_prob, model.p.ied_batch_mean
        )
        splits = [
            log_poisson(attacks - i, rate - ied_rate) + log_polya_aeppli(i, *batches)
            for i in range(attacks + 1)
        ]
        total += float(np.logaddexp.reduce(np.concatenate(splits)))
    return total


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calibrate", action="store_true", help="also the log evidence")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1], help="calibration seeds")
    args = parser.parse_args(argv)
    events = load_events()
    mean = posterior_mean()
    print("At the shipped posterior mean:")
    for policy in POLICIES:
        scenario = scenario_with(policy)
        by_actor = escalation.loglik(
            {k: [v] for k, v in mean.items()}, events, by="actor", scenario=scenario
        )
        counts = daily_count_term(scenario, mean, events)
        print(
            f"  {policy:18s} total {by_actor.sum(axis=1).iloc[0]:8.2f}  militia "
            f"{by_actor['militia'].iloc[0]:8.2f}  daily-count term {counts:8.2f}"
        )
    if not args.calibrate:
        return
    print("Log evidence (population 200, max 6 moves, one run per seed):")
    for policy in POLICIES:
        values = [
            escalation.calibrate(
                events,
                scenario_with(policy),
                start="2021-01-01",
                end="2021-12-31",
                seed=seed,
                runs=1,
                population_size=200,
                max_moves=6,
                progress=False,
            ).log_evidence
            for seed in args.seeds
        ]
        spread = f" +- {np.std(values, ddof=1):.2f}" if len(values) > 1 else ""
        print(f"  {policy:18s} {np.mean(values):8.2f}{spread}  (seeds {args.seeds}: {values})")


if __name__ == "__main__":
    main()
