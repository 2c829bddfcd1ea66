"""Score identity: is the replay likelihood the density of what the simulator generates?

If ``escalation.loglik(theta; data)`` is the true log-density of the simulator's output, its
gradient at the parameters the data were simulated from has mean zero over datasets:
``E_{data ~ theta*}[d/d theta_i loglik(theta*; data)] = 0`` for every parameter ``i`` (the
first Bartlett identity). A simulated fact lost or coded differently when the simulated log is
read back by replay, or a decision scored with a probability other than the one simulation
draws with, breaks it for the parameters involved. This diagnostic simulates ``K`` years at
``theta*`` (one world each), takes each year's score by central finite differences of
:func:`escalation.loglik` (step ``1e-4`` of each value), and reports per parameter the
z-statistic of the mean score, ``mean / (sd / sqrt(K))``: ``|z| > 4`` flags a mismatch.
With ``--by-actor`` the same per actor, to localise it.

Simulation-based calibration (``experiments/sbc.py``) needs hours to show a mismatch; this
needs seconds, so ``tests/inference/test_score_identity.py`` runs it on every change. With
``--across-prior`` the scores of each 50 years are saved under ``--out`` as they are taken, and
a rerun with the same settings reads them back, so an interrupted run resumes.

    python experiments/score_identity.py                 # theta* = baseline_2021's values
    python experiments/score_identity.py --prior-draws 5 # also at 5 draws from the prior
    python experiments/score_identity.py --across-prior 400  # 400 years, each its own draw
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd

from escalation.cli.scripts import add_out_option
from escalation.events.schema import COLUMNS
from escalation.inference.calibration import calibration_scenario, priors
from escalation.inference.likelihood import loglik
from escalation.model.model import SCORED_ACTORS, EscalationModel
from escalation.model.parameters import PARAMETERS
from escalation.model.scenario import Scenario
from escalation.runtime import Seed, seed_sequence
from experiments.saved import saved_row

#: Relative step of the central differences.
STEP = 1e-4
#: |z| above which a parameter's mean score flags a mismatch.
FLAG = 4.0
#: Synthetic years whose scores across the prior are saved together (one file).
CHUNK = 50


def simulated_years(
    scenario: Scenario, parameters: Mapping[str, float], years: int, seed: Seed
) -> list[pd.DataFrame]:
    """``years`` independent simulated windows at ``parameters``, each a canonical events frame.

    One world per year; each world's event log, without the ``world`` and ``day`` columns, is
    what :func:`escalation.loglik` reads as an observed record.
    """
    model = EscalationModel(
        scenario, years, seed=seed, parameters=dict(parameters), record_daily=False
    )
    log = model.run().event_log()
    world = log["world"].to_numpy()
    return [log.loc[world == w, list(COLUMNS)].reset_index(drop=True) for w in range(years)]


def scores(
    scenario: Scenario,
    truth: Mapping[str, float],
    names: Sequence[str],
    years: Sequence[pd.DataFrame],
    step: float = STEP,
) -> dict[str, pd.DataFrame]:
    """Per actor (and ``"total"``): a ``(len(years), len(names))`` table of scores at ``truth``.

    The score of parameter ``i`` on one year is ``(l(theta + h e_i) - l(theta - h e_i)) / 2h``
    with ``h = step x theta_i`` (kept inside the parameter's range), all ``2 x len(names)``
    perturbed sets replayed together in one :func:`escalation.loglik` call per year.
    """
    names = list(names)
    base = {name: float(value) for name, value in truth.items()}
    sets = pd.DataFrame([base] * (2 * len(names)))
    h = np.array([_step(name, base[name], step) for name in names])
    for i, name in enumerate(names):
        sets.loc[2 * i, name] = base[name] + h[i]
        sets.loc[2 * i + 1, name] = base[name] - h[i]
    out: dict[str, list[np.ndarray]] = {actor: [] for actor in (*SCORED_ACTORS, "total")}
    for year in years:
        table = cast(  # by="actor": a DataFrame, one column per actor
            pd.DataFrame,
            loglik(sets, year, scenario.start, scenario.end, by="actor", scenario=scenario),
        )
        table["total"] = table.sum(axis=1)
        for actor, column in table.items():
            values = column.to_numpy()
            out[str(actor)].append((values[0::2] - values[1::2]) / (2 * h))
    return {actor: pd.DataFrame(rows, columns=names) for actor, rows in out.items()}


def z_statistics(table: pd.DataFrame) -> pd.Series:
    """Per column: the mean score over datasets in units of its standard error.

    A score that is the same on every dataset has z 0 if it is zero (a parameter the record
    does not depend on) and infinite otherwise (a sure mismatch).
    """
    sd = table.std(axis=0, ddof=1).to_numpy()
    mean = table.mean(axis=0).to_numpy()
    constant = np.select([mean > 0, mean < 0], [np.inf, -np.inf], 0.0)
    z = np.divide(mean * np.sqrt(len(table)), sd, out=constant, where=sd > 0)
    return pd.Series(z, index=table.columns)


def score_identity(
    scenario: Scenario | str = "baseline_2021",
    truth: Mapping[str, float] | None = None,
    years: int = 40,
    seed: Seed = 0,
    names: Sequence[str] | None = None,
) -> pd.DataFrame:
    """z-statistics of the mean score, one row per parameter, one column per actor and total.

    ``truth`` defaults to the scenario's own values of its calibrated parameters (``names``,
    default the scenario's ``calibrate`` list); the scenario is taken without its posterior,
    so every simulated year has exactly ``truth``.
    """
    spec = without_posterior(scenario)
    names = list(names if names is not None else spec.calibrate)
    values = {name: float(spec.parameters[name]) for name in names}
    values.update(truth or {})
    data = simulated_years(spec, values, years, seed)
    table = scores(spec, values, names, data)
    return pd.DataFrame({actor: z_statistics(t) for actor, t in table.items()})


def prior_year(
    spec: Scenario, seed: int, k: int, fixed: Mapping[str, float] | None = None
) -> tuple[dict[str, float], pd.DataFrame]:
    """Synthetic year ``k`` of :func:`prior_scores`: its truth, a draw from the calibrated
    parameters' priors (``fixed`` values replace their draws), and the year simulated at it."""
    rng = np.random.default_rng(seed_sequence([seed, k]))
    truth = {name: float(p.rvs(random_state=rng)) for name, p in priors(spec).items()}
    truth.update(fixed or {})
    return truth, simulated_years(spec, truth, 1, seed=[seed, k, 1])[0]


def prior_scores(
    scenario: Scenario | str,
    years: Iterable[int],
    seed: int,
    names: Sequence[str] | None = None,
    fixed: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Scores across the prior: the synthetic years numbered ``years``, each simulated at its
    own truth (:func:`prior_year`), each year's score of ``names`` (default: every calibrated
    parameter) taken at its truth.

    Where :func:`score_identity` checks the likelihood at one parameter set, this checks it over
    the region calibration explores (what simulation-based calibration needs). Returns the
    table of total scores, one row per year.
    """
    spec = without_posterior(scenario)
    names = list(names if names is not None else spec.calibrate)
    rows = []
    for k in years:
        truth, year = prior_year(spec, seed, k, fixed)
        rows.append(scores(spec, truth, names, [year])["total"])
    return pd.concat(rows, ignore_index=True)


def saved_prior_scores(
    out: Path,
    scenario: Scenario | str,
    years: int,
    seed: int,
    names: Sequence[str] | None = None,
    fixed: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """:func:`prior_scores` of years ``0 .. years - 1``, each :data:`CHUNK` years saved under
    ``out`` as they are scored, so a rerun with the same settings reads them back."""
    spec = without_posterior(scenario)
    chunks = [
        _saved_chunk(out, spec, range(first, min(first + CHUNK, years)), seed, names, fixed)
        for first in range(0, years, CHUNK)
    ]
    return pd.concat(chunks, ignore_index=True)


def _saved_chunk(
    out: Path,
    spec: Scenario,
    years: range,
    seed: int,
    names: Sequence[str] | None,
    fixed: Mapping[str, float] | None,
) -> pd.DataFrame:
    """One chunk of :func:`saved_prior_scores`, under the settings its scores depend on."""
    settings = {
        "years": [years.start, years.stop],
        "seed": seed,
        "names": names,
        "fixed": dict(fixed or {}),
        "step": STEP,
        "scenario_sha256": spec.sha256(),
    }
    columns = saved_row(
        out / f"years-{years.start:04d}.json",
        settings,
        lambda: prior_scores(spec, years, seed, names, fixed).to_dict(orient="list"),
    )
    return pd.DataFrame(columns)


def flagged(z: pd.Series) -> str:
    """The parameters whose mean score flags a mismatch (``|z|`` above :data:`FLAG`)."""
    return f"flagged (|z| > {FLAG:g}): {', '.join(z.index[z.abs() > FLAG]) or 'none'}"


def without_posterior(scenario: Scenario | str) -> Scenario:
    """The scenario over its own window, its posterior dropped: every world has its values."""
    spec = Scenario.coerce(scenario)
    return calibration_scenario(spec, spec.start, spec.end)


def _step(name: str, value: float, relative: float) -> float:
    """A central-difference step for ``name`` at ``value`` that stays inside its range."""
    spec = PARAMETERS[name]
    h = relative * max(abs(value), 1e-3)
    room = min(value - spec.low, spec.high - value)
    if room <= 0:
        raise ValueError(f"{name}: {value} is on the edge of its range; no central difference")
    return min(h, room / 2)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=200, help="simulated years per theta*")
    parser.add_argument("--prior-draws", type=int, default=0, help="also at draws from the prior")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--by-actor", action="store_true", help="z per actor as well")
    parser.add_argument(
        "--across-prior",
        type=int,
        default=0,
        help="instead: this many years, each at its own prior draw (prior_scores)",
    )
    add_out_option(parser, "results/score_identity")
    args = parser.parse_args(argv)
    spec = without_posterior("baseline_2021")
    if args.across_prior:
        began = time.perf_counter()
        out = (args.out or Path("results/score_identity")) / "across_prior"
        table = saved_prior_scores(out, spec, args.across_prior, args.seed)
        z_across = z_statistics(table)
        seconds = time.perf_counter() - began
        print(f"{args.across_prior} years, each at its own prior draw, {seconds:.0f} s")
        print(z_across.round(2).to_string())
        print(
            f"largest |z| {z_across.abs().max():.2f} ({z_across.abs().idxmax()}); "
            f"{flagged(z_across)}"
        )
        return
    truths = [{name: float(spec.parameters[name]) for name in spec.calibrate}]
    rng = np.random.default_rng(args.seed)
    prior = priors(spec)
    truths += [
        {name: float(p.rvs(random_state=rng)) for name, p in prior.items()}
        for _ in range(args.prior_draws)
    ]
    for i, truth in enumerate(truths):
        began = time.perf_counter()
        z = score_identity(spec, truth, args.years, seed=[args.seed, i])
        label = "baseline_2021 values" if i == 0 else f"prior draw {i}"
        print(f"\n== theta* = {label} ({args.years} years, {time.perf_counter() - began:.0f} s)")
        shown = z if args.by_actor else z[["total"]]
        print(pd.concat([pd.Series(truth, name="theta*"), shown.round(2)], axis=1).to_string())
        print(flagged(z["total"]))


if __name__ == "__main__":
    main()
