"""Compare scenarios with common random numbers: estimates, paired differences, posterior bands.

Every scenario is run with the same seed, so world i draws the same random numbers and, when
the scenarios share a posterior, the same parameter draw in each
(:func:`escalation.ensemble.posterior_draws`). The difference a policy makes is then
estimated world by world, and its Monte Carlo standard error comes from the spread of the
paired differences, which is far smaller than that of two independent runs when the
scenarios differ in one rule only (common random numbers; Glasserman & Yao 1992,
"Some guidelines and guarantees for common random numbers", Management Science 38).

Two kinds of uncertainty are reported apart. The Monte Carlo standard error (``mcse``)
says how far more worlds would move an estimate. The posterior band (``posterior_q05``,
``posterior_q95``) says how much the answer depends on which calibrated parameters are
true: worlds are grouped by their drawn parameter vector, the quantity is averaged within
each draw, and the band is the 5-95% range of those per-draw means across worlds (each
draw counting by its worlds, as draws are made by posterior weight). A per-draw mean over
a few worlds also carries Monte Carlo noise, which would widen the band, so the deviations
of the per-draw means from the overall mean are scaled down to the spread that is not noise
(a one-way random-effects, method-of-moments correction; the noise is estimated from the
spread within draws). The band therefore needs several worlds per draw: :func:`run_scenarios`
gives each posterior draw ``worlds_per_draw`` worlds. The default is one, as in
:func:`escalation.ensemble.run_ensemble`, so a comparison's baseline is the very run
``run_ensemble`` makes with the same seed; the band then rests only on worlds that happen to
draw the same posterior particle, so ask for several worlds per draw when it matters. It is
NaN when no parameter varies across worlds (no posterior, or every calibrated parameter
pinned), no draw has two worlds, or the band collapses to one value (the draws not told
apart from Monte Carlo noise).

Numbers only: the text tables and figures are :mod:`escalation.cli.report`'s.
"""

from __future__ import annotations

import dataclasses
import math
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from escalation.ensemble import EnsembleResult, run_ensemble
from escalation.errors import ScenarioError
from escalation.events.counts import daily_counts, day_offsets
from escalation.events.io import PERIODS, load_events
from escalation.events.schema import MILITIA_ATTACKS, Actor, EventType
from escalation.events.statistics import EPISODE_STATISTICS, summary_statistics
from escalation.model.ladder import Rung, daily_record
from escalation.model.replay import withdrawal_demands
from escalation.model.scenario import Scenario
from escalation.runtime import ExecutorLike, Seed, seed_sequence

BASELINE = "baseline_2021"
#: Window of the built-in observed data read by default (``escalation/data/events_2021.csv``).
OBSERVED_WINDOW = (PERIODS["2021"].start, PERIODS["2021"].end)
COLUMNS = (
    "scenario",
    "quantity",
    "unit",
    "estimate",
    "mcse",
    "difference",
    "difference_mcse",
    "posterior_q05",
    "posterior_q95",
    "difference_posterior_q05",
    "difference_posterior_q95",
    "n",
)


@dataclasses.dataclass(frozen=True)
class Quantity:
    """A quantity compared across scenarios: the mean over worlds of a per-world value."""

    name: str
    unit: str
    value: Callable[[pd.DataFrame], np.ndarray]


def _total(column: str) -> Callable[[pd.DataFrame], np.ndarray]:
    def value(worlds: pd.DataFrame) -> np.ndarray:
        return worlds[column].to_numpy(dtype=float)

    return value


def _indicator(column: str, at_least) -> Callable[[pd.DataFrame], np.ndarray]:
    def value(worlds: pd.DataFrame) -> np.ndarray:
        x = worlds[column].to_numpy(dtype=float)
        return np.where(np.isnan(x), np.nan, (x >= at_least).astype(float))

    return value


#: What :func:`compare_scenarios` reports, in order.
QUANTITIES = (
    Quantity("P(an American killed)", "probability", _indicator("us_killed", 1)),
    Quantity("militia attacks", "attacks per world", _total("militia_attacks")),
    Quantity("US strike rounds", "rounds per world", _total("us_strike_rounds")),
    Quantity("Israeli strikes", "strikes per world", _total("israeli_strikes")),
    *(
        Quantity(f"P(reach rung {r.value}: {r.label})", "probability", _indicator("max_rung", r))
        for r in Rung
        if r >= Rung.REPRISAL
    ),
    Quantity("P(Baghdad demands withdrawal)", "probability", _total("withdrawal_demanded")),
    Quantity("Americans killed", "killed per world", _total("us_killed")),
)


# == arithmetic ==================================================================================
def paired_comparison(worlds, base_worlds, parameters=None, base_parameters=None) -> pd.DataFrame:
    """Estimates and paired differences of :data:`QUANTITIES` for one scenario against a baseline.

    Parameters
    ----------
    worlds, base_worlds : pandas.DataFrame
        Per-world summaries (``EnsembleResult.worlds``) of the scenario and the baseline, run
        with the same seed: the same ``world`` ids, paired by id.
    parameters, base_parameters : mapping of str to array, optional
        Per-world parameter values indexed by world id (``EnsembleResult.parameters``);
        only arrays that vary across worlds define draws.

    Returns
    -------
    pandas.DataFrame
        One row per quantity: ``quantity``, ``unit``, ``estimate`` (mean over worlds),
        ``mcse`` (sd / sqrt(n), sd with n - 1), ``difference`` (mean of the paired
        differences scenario - baseline), ``difference_mcse`` (their sd / sqrt(n)),
        ``posterior_q05``/``posterior_q95`` (5-95% range across posterior draws of the
        per-draw mean, net of Monte Carlo noise, see :func:`_draw_band`; NaN without draws),
        the same for the difference, and ``n``.
    """
    worlds, base_worlds = _paired(worlds, base_worlds)
    ids = worlds["world"].to_numpy()
    draws = _draws(parameters, ids)
    both = _draws({**_prefixed(base_parameters, "base:"), **_prefixed(parameters, "")}, ids)
    rows = []
    for quantity in QUANTITIES:
        x = quantity.value(worlds)
        d = x - quantity.value(base_worlds)
        band, difference_band = _draw_band(x, draws), _draw_band(d, both)
        rows.append(
            {
                "quantity": quantity.name,
                "unit": quantity.unit,
                "estimate": _mean(x),
                "mcse": _mcse(x),
                "difference": _mean(d),
                "difference_mcse": _mcse(d),
                "posterior_q05": band[0],
                "posterior_q95": band[1],
                "difference_posterior_q05": difference_band[0],
                "difference_posterior_q95": difference_band[1],
                "n": int(np.sum(~np.isnan(x))),
            }
        )
    return pd.DataFrame(rows, columns=list(COLUMNS[1:]))


def _paired(worlds: pd.DataFrame, base_worlds: pd.DataFrame):
    worlds = worlds.sort_values("world", ignore_index=True)
    base_worlds = base_worlds.sort_values("world", ignore_index=True)
    if not np.array_equal(worlds["world"].to_numpy(), base_worlds["world"].to_numpy()):
        raise ValueError(
            f"the worlds tables hold different world ids ({len(worlds)} and {len(base_worlds)} "
            "worlds); paired differences need both scenarios run with the same seed and "
            "number of worlds"
        )
    return worlds, base_worlds


def _mean(x: np.ndarray) -> float:
    x = x[~np.isnan(x)]
    return float(x.mean()) if len(x) else math.nan


def _mcse(x: np.ndarray) -> float:
    x = x[~np.isnan(x)]
    return float(x.std(ddof=1) / math.sqrt(len(x))) if len(x) > 1 else math.nan


def _prefixed(parameters, prefix: str) -> dict:
    return {prefix + k: v for k, v in (parameters or {}).items()}


def _draws(parameters, ids: np.ndarray) -> np.ndarray | None:
    """The per-world parameter vectors ``(n, k)`` of the parameters that vary, or None."""
    columns = []
    for value in (parameters or {}).values():
        value = np.asarray(value, dtype=float)
        if value.ndim == 1:
            column = value[ids]
            if not np.all(column == column[0]):
                columns.append(column)
    return np.column_stack(columns) if columns else None


def _draw_band(x: np.ndarray, draws: np.ndarray | None) -> tuple[float, float]:
    """5% and 95% quantiles, over worlds, of the per-draw mean of ``x``, net of Monte Carlo noise.

    With J draws over N worlds, per-draw means m_j and overall mean mu, the variance of the
    means (over worlds) is V = tau^2 + J s^2 / N, where s^2 is the pooled variance within
    draws and tau^2 the variance of the true per-draw means. Deviations m_j - mu are scaled
    by sqrt(tau^2 / V) before the quantiles are taken.

    NaN when the band collapses to one value: the worlds per draw were too few to tell the
    draws apart, and a zero-width band would claim a certainty they do not give. Either the
    spread of the per-draw means is no larger than the Monte Carlo noise (tau^2 estimated at
    0, every deviation scaled to nothing: a band [mu, mu]), or a rare event (the top rung)
    happens in no world of more than 95% of the draws and both quantiles fall on those zeros.
    """
    keep = ~np.isnan(x)
    if draws is None or not keep.any():
        return math.nan, math.nan
    x = x[keep]
    _, group = np.unique(draws[keep], axis=0, return_inverse=True)
    group = group.ravel()
    counts = np.bincount(group)
    n, j = len(x), len(counts)
    if n <= j:
        return math.nan, math.nan
    means = np.bincount(group, weights=x) / counts
    mu = x.mean()
    within = np.sum((x - means[group]) ** 2) / (n - j)
    between = np.mean((means[group] - mu) ** 2)
    tau2 = max(0.0, between - j * within / n)
    scale = math.sqrt(tau2 / between) if between > 0 else 0.0
    q05, q95 = np.quantile(mu + scale * (means[group] - mu), [0.05, 0.95])
    if q05 == q95:
        return math.nan, math.nan
    return float(q05), float(q95)


# == running =====================================================================================
def run_scenarios(
    names_or_scenarios,
    n_worlds: int,
    seed=None,
    executor=None,
    baseline=BASELINE,
    progress=None,
    keep_events: bool = False,
    worlds_per_draw: int = 1,
) -> dict[str, EnsembleResult]:
    """Run the baseline and each scenario with one seed; results by scenario name, baseline first.

    The baseline given again (the same :meth:`~escalation.model.scenario.Scenario.sha256`) is
    not run twice. A :class:`~escalation.errors.ScenarioError` refuses, before any run, another
    scenario under the baseline's name (its results would be filed under the baseline's) and
    a scenario over another window than the baseline's (world i would cover other days in
    each, so paired differences would mean nothing). ``keep_events=True`` keeps the
    per-world days that fan charts and ladder heat maps need. A scenario that names a
    posterior gets one draw per ``worlds_per_draw`` consecutive worlds (draw k for worlds
    k x worlds_per_draw ...), made as :func:`escalation.ensemble.posterior_draws` makes them,
    so scenarios sharing a posterior share each world's draw; parameters a scenario pins
    keep their values. A single scenario (a name, path or Scenario, not in a list) is one
    scenario, not a sequence of letters.
    """
    if isinstance(names_or_scenarios, str | os.PathLike | Scenario):
        names_or_scenarios = [names_or_scenarios]
    base = Scenario.coerce(baseline)
    scenarios = [base] + [
        s for s in map(Scenario.coerce, names_or_scenarios) if not _is_baseline(s, base)
    ]
    names = [s.name for s in scenarios]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ScenarioError(f"scenario names must be unique; repeated: {', '.join(duplicated)}")
    _check_windows(scenarios)
    if worlds_per_draw < 1:
        raise ValueError(f"worlds_per_draw must be at least 1, got {worlds_per_draw}")
    root = seed_sequence(seed)
    if progress is None:
        progress = sys.stderr.isatty() and not os.environ.get("CI")
    results = {}
    for scenario in tqdm(scenarios, desc="scenarios", disable=not progress, file=sys.stderr):
        results[scenario.name] = run_ensemble(
            scenario,
            n_worlds,
            seed=root,
            executor=executor,
            progress=False,
            keep_events=keep_events,
            worlds_per_draw=worlds_per_draw,
        )
    return results


def _is_baseline(scenario: Scenario, base: Scenario) -> bool:
    """Whether ``scenario`` is the baseline itself; a ScenarioError if it only has its name."""
    if scenario.name != base.name:
        return False
    if scenario.sha256() != base.sha256():
        raise ScenarioError(
            f"{scenario.origin}: key 'name': {scenario.name!r} is the baseline's name, but the "
            f"scenario differs from the baseline ({base.origin}); give it a name of its own"
        )
    return True


def _check_windows(scenarios: Sequence[Scenario]) -> None:
    """A ScenarioError unless every scenario covers the first's (the baseline's) window."""
    base = scenarios[0]
    for scenario in scenarios[1:]:
        if (scenario.start, scenario.end) != (base.start, base.end):
            raise ScenarioError(
                f"scenario {scenario.name!r} covers {_window(scenario)} but the baseline "
                f"{base.name!r} covers {_window(base)}; paired differences need one window: "
                "compare scenarios against a baseline with the same start and end"
            )


def _window(scenario: Scenario) -> str:
    return f"{scenario.start} to {scenario.end} ({scenario.days} days)"


def compare_results(results: Mapping[str, EnsembleResult], baseline=BASELINE) -> pd.DataFrame:
    """The tidy comparison table of results run with one seed (see :func:`paired_comparison`).

    Results over another window than the baseline's are refused, as by :func:`run_scenarios`.
    """
    name = baseline.name if isinstance(baseline, Scenario) else str(baseline)
    if name not in results:
        name = Scenario.coerce(baseline).name
    if name not in results:
        raise ValueError(f"no result for the baseline {name!r}; have {', '.join(results)}")
    base = results[name]
    order = [name] + [n for n in results if n != name]
    _check_windows([results[n].scenario for n in order])
    frames = []
    for scenario in order:
        result = results[scenario]
        table = paired_comparison(result.worlds, base.worlds, result.parameters, base.parameters)
        table.insert(0, "scenario", scenario)
        frames.append(table)
    return pd.concat(frames, ignore_index=True)


def compare_scenarios(
    names_or_scenarios: Sequence[Scenario | str | Path],
    n_worlds: int,
    seed: Seed = None,
    executor: ExecutorLike = None,
    baseline: Scenario | str | Path = BASELINE,
    progress: bool | None = None,
    worlds_per_draw: int = 1,
) -> pd.DataFrame:
    """Run scenarios and the baseline with common random numbers and compare them.

    Parameters
    ----------
    names_or_scenarios : iterable of Scenario or str
        Built-in names, TOML paths or :class:`~escalation.model.scenario.Scenario` objects
        (a single one, not in a list, is taken as one scenario).
    n_worlds : int
        Worlds per scenario.
    seed : int or SeedSequence, optional
        One seed for all: world i is the same world in every scenario.
    executor : None, Executor or dask.distributed.Client
        Where chunks run (:func:`escalation.ensemble.run_ensemble`).
    baseline : Scenario or str
        What differences are taken against.
    progress : bool, optional
        A progress bar over scenarios; default on when stderr is a terminal and CI unset.
    worlds_per_draw : int
        Worlds sharing each posterior draw (see :func:`run_scenarios`), so the posterior
        band can be told from Monte Carlo noise.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COLUMNS`: one row per scenario (the baseline first) and quantity
        (:data:`QUANTITIES`).
    """
    results = run_scenarios(
        names_or_scenarios,
        n_worlds,
        seed,
        executor,
        baseline,
        progress,
        worlds_per_draw=worlds_per_draw,
    )
    return compare_results(results, next(iter(results)))


# == observed values =============================================================================


def observed_world(events: pd.DataFrame, start, end) -> pd.DataFrame:
    """An observed event log over a window as one row of an ensemble's ``worlds`` table.

    The columns are those of :attr:`EnsembleResult.worlds`, counted from the record as the
    model counts them in a simulated world (:func:`~escalation.events.counts.daily_counts`,
    :func:`~escalation.events.statistics.summary_statistics`, the ladder of
    :func:`~escalation.model.ladder.daily_record`, Baghdad's demand for withdrawal as replay
    reads it, :func:`~escalation.model.replay.withdrawal_demands`). The attacks nobody
    reported are not in the record, so ``militia_attacks_true`` is NaN.
    """
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    days = (end - start).days + 1
    stats = summary_statistics(events, start, end).iloc[0]
    killed_days = np.flatnonzero(daily_counts(events, start, days)["us_killed"] > 0)
    offsets, inside = day_offsets(events, start, days)
    us_airstrike = (events["actor"] == Actor.US.value) & (
        events["event_type"] == EventType.AIRSTRIKE.value
    )
    row = {
        "world": 0,
        **{t.value: stats[f"attacks_{t.value}"] for t in MILITIA_ATTACKS},
        "militia_attacks": stats["attacks_total"],
        "militia_attacks_true": math.nan,  # the record holds reported attacks only
        "us_strike_rounds": stats["strike_rounds"],
        "us_strike_sites": float(np.sum(us_airstrike.to_numpy() & inside)),
        "return_fire": stats["return_fire"],
        "israeli_strikes": stats["israeli_strikes"],
        "us_killed": stats["us_killed"],
        "us_injured": stats["us_injured"],
        "others_killed": stats["others_killed"],
        "first_us_death_day": float(killed_days[0]) if len(killed_days) else math.nan,
        "max_rung": daily_record(events, start, days)["ladder"].max(),
        "withdrawal_demanded": bool(np.any(withdrawal_demands(events) & inside)),
        **{column: stats[column] for column in EPISODE_STATISTICS},
    }
    return pd.DataFrame([row])


def observed_quantities(events: pd.DataFrame, start, end) -> dict[str, float]:
    """:data:`QUANTITIES` of an observed event log over a window, as one world."""
    world = observed_world(events, start, end)
    return {q.name: float(q.value(world)[0]) for q in QUANTITIES}


def observed_summary(events: pd.DataFrame, scenario: Scenario) -> dict[str, float]:
    """The quantities of :meth:`EnsembleResult.summary`, observed over the scenario's window.

    The record is summarised as a one-world ensemble, so each value is defined exactly as
    its simulated estimate.
    """
    world = observed_world(events, scenario.start, scenario.end)
    one = EnsembleResult(scenario, 1, world, pd.DataFrame())
    values = dict(zip(one.summary()["quantity"], one.summary()["estimate"], strict=True))
    return {name: float(v) for name, v in values.items()}


def observed_period(scenario: Scenario) -> str | None:
    """The shipped record (a key of :data:`~escalation.events.io.PERIODS`) whose period covers
    the scenario's window, or None (``docs/data.md`` describes each)."""
    covering = (
        name
        for name, period in PERIODS.items()
        if period.start <= scenario.start and scenario.end <= period.end
    )
    return next(covering, None)


def observed_for(scenario: Scenario) -> pd.DataFrame | None:
    """The shipped observed events of :func:`observed_period`, or None when none covers the
    scenario's window."""
    period = observed_period(scenario)
    return None if period is None else load_events(period)
