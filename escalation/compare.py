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
gives each posterior draw ``worlds_per_draw`` worlds (10 by default). It is NaN when no
parameter varies across worlds (no posterior, or every calibrated parameter pinned) or no
draw has two worlds.

:func:`scenario_script` is the body of every script in ``scenarios/``: it runs one scenario
against the baseline, prints the table and writes figures and CSV tables.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import math
import os
import sys
import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from escalation.ensemble import EnsembleResult, run_ensemble
from escalation.model.ladder import Rung
from escalation.model.scenario import Scenario
from escalation.model.streams import seed_sequence

BASELINE = "baseline_2021"
#: Worlds in a ``--quick`` run of a scenario script.
QUICK_WORLDS = 200
#: Colour of the baseline in comparison figures (Okabe & Ito 2008 sky blue, which no actor uses).
BASELINE_COLOR = "#56B4E9"
#: Window of the built-in observed data (``escalation/data/events_2021.csv``).
OBSERVED_WINDOW = (dt.date(2021, 1, 1), dt.date(2021, 12, 31))
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
    worlds_per_draw: int = 10,
) -> dict[str, EnsembleResult]:
    """Run the baseline and each scenario with one seed; results by scenario name, baseline first.

    A scenario named like the baseline is not run twice. ``keep_events=True`` keeps the
    per-world days that fan charts and ladder heat maps need. A scenario that names a
    posterior gets one draw per ``worlds_per_draw`` consecutive worlds (draw k for worlds
    k x worlds_per_draw ...), made as :func:`escalation.ensemble.posterior_draws` makes them,
    so scenarios sharing a posterior share each world's draw; parameters a scenario pins
    keep their values.
    """
    base = Scenario.coerce(baseline)
    scenarios = [base] + [
        s for s in map(Scenario.coerce, names_or_scenarios) if s.name != base.name
    ]
    names = [s.name for s in scenarios]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ValueError(f"scenario names must be unique; repeated: {', '.join(duplicated)}")
    if worlds_per_draw < 1:
        raise ValueError(f"worlds_per_draw must be at least 1, got {worlds_per_draw}")
    root = seed_sequence(seed)
    from tqdm.auto import tqdm

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


def compare_results(results: Mapping[str, EnsembleResult], baseline=BASELINE) -> pd.DataFrame:
    """The tidy comparison table of results run with one seed (see :func:`paired_comparison`)."""
    name = baseline.name if isinstance(baseline, Scenario) else str(baseline)
    if name not in results:
        name = Scenario.coerce(baseline).name
    if name not in results:
        raise ValueError(f"no result for the baseline {name!r}; have {', '.join(results)}")
    base = results[name]
    order = [name] + [n for n in results if n != name]
    frames = []
    for scenario in order:
        result = results[scenario]
        table = paired_comparison(result.worlds, base.worlds, result.parameters, base.parameters)
        table.insert(0, "scenario", scenario)
        frames.append(table)
    return pd.concat(frames, ignore_index=True)


def compare_scenarios(
    names_or_scenarios,
    n_worlds: int,
    seed=None,
    executor=None,
    baseline=BASELINE,
    progress=None,
    worlds_per_draw: int = 10,
) -> pd.DataFrame:
    """Run scenarios and the baseline with common random numbers and compare them.

    Parameters
    ----------
    names_or_scenarios : iterable of Scenario or str
        Built-in names, TOML paths or :class:`~escalation.model.scenario.Scenario` objects.
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
def observed_quantities(events: pd.DataFrame, start, end) -> dict[str, float]:
    """:data:`QUANTITIES` of an observed event log over a window, as one world.

    Baghdad's demand for withdrawal is not coded in the event data, so it is NaN.
    """
    from escalation.events.statistics import summary_statistics
    from escalation.model.ladder import daily_record

    start, end = pd.Timestamp(start), pd.Timestamp(end)
    stats = summary_statistics(events, start, end).iloc[0]
    ladder = daily_record(events, start, (end - start).days + 1)["ladder"]
    world = pd.DataFrame(
        {
            "world": [0],
            "militia_attacks": [stats["attacks_total"]],
            "us_strike_rounds": [stats["strike_rounds"]],
            "israeli_strikes": [stats["israeli_strikes"]],
            "us_killed": [stats["us_killed"]],
            "max_rung": [ladder.max()],
            "withdrawal_demanded": [math.nan],
        }
    )
    return {q.name: float(q.value(world)[0]) for q in QUANTITIES}


def observed_for(scenario: Scenario) -> pd.DataFrame | None:
    """The built-in observed events when the scenario's window lies in 2021, else None."""
    if OBSERVED_WINDOW[0] <= scenario.start and scenario.end <= OBSERVED_WINDOW[1]:
        from escalation.events.io import load_events

        return load_events()
    return None


# == printing ====================================================================================
def format_table(table: pd.DataFrame, baseline=BASELINE) -> str:
    """A comparison table as aligned text, grouped by quantity, with a note on its columns."""
    order = {q.name: i for i, q in enumerate(QUANTITIES)}
    rows = table.assign(_q=table["quantity"].map(order)).sort_values("_q", kind="stable")
    header = [
        "quantity",
        "scenario",
        "estimate",
        "MC s.e.",
        "vs baseline",
        "MC s.e.",
        "posterior 5-95%",
        "difference: posterior 5-95%",
    ]
    if "observed" in table.columns:
        header.append("observed")
    cells = []
    for _, row in rows.iterrows():
        digits = 3 if row["unit"] == "probability" else 2
        is_base = row["scenario"] == baseline
        line = [
            row["quantity"],
            row["scenario"],
            _number(row["estimate"], digits),
            _number(row["mcse"], digits),
            "" if is_base else _number(row["difference"], digits, signed=True),
            "" if is_base else _number(row["difference_mcse"], digits),
            _band(row["posterior_q05"], row["posterior_q95"], digits),
            ""
            if is_base
            else _band(row["difference_posterior_q05"], row["difference_posterior_q95"], digits),
        ]
        if "observed" in table.columns:
            line.append(_number(row["observed"], digits) if is_base else "")
        cells.append(line)
    grouped, previous = [], None
    for line in cells:  # one block per quantity, its name on the first row only
        if previous is not None and line[0] != previous:
            grouped.append(None)
        grouped.append(line if line[0] != previous else [""] + line[1:])
        previous = line[0]
    lines = text_table(header, grouped, left=(0, 1))
    note = (
        "MC s.e.: Monte Carlo standard error (more worlds shrink it). vs baseline: mean of the "
        "paired per-world\ndifferences, scenario - baseline (same seed, world by world), and its "
        "MC s.e. posterior 5-95%: spread across\nposterior draws of the per-draw mean, net of "
        "Monte Carlo noise (n/a: no parameter draws)."
    )
    return lines + "\n\n" + note


def text_table(header, rows, left=(0,)) -> str:
    """Rows of strings as aligned text under a ruled header; ``None`` rows are blank lines.

    Columns whose index is in ``left`` are left-aligned, the others (numbers) right-aligned.
    """
    filled = [r for r in rows if r is not None]
    widths = [max(len(h), *(len(r[i]) for r in filled)) for i, h in enumerate(header)]

    def fmt(cells):
        pairs = enumerate(zip(cells, widths, strict=True))
        return "  ".join(c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in pairs).rstrip()

    lines = [fmt(header), "  ".join("-" * w for w in widths)]
    lines += ["" if r is None else fmt(r) for r in rows]
    return "\n".join(lines)


def _number(x, digits: int, signed: bool = False) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{x:+.{digits}f}" if signed else f"{x:.{digits}f}"


def _band(lo, hi, digits: int) -> str:
    if math.isnan(lo) or math.isnan(hi):
        return "n/a"
    return f"[{lo:.{digits}f}, {hi:.{digits}f}]"


# == figures =====================================================================================
def comparison_figures(
    results: Mapping[str, EnsembleResult],
    table: pd.DataFrame,
    out,
    baseline=BASELINE,
    observed=None,
) -> list[Path]:
    """Write the comparison figures of results run with one seed to ``out``; the paths written.

    ``comparison.png``: every scenario against the baseline on the main quantities;
    with per-world days kept (``keep_events=True``) also ``attacks_weekly.png`` and
    ``escalation_index.png`` (fan charts of each scenario over the baseline, observed
    weekly attacks overlaid when ``observed`` is given) and ``ladder.png`` (a ladder heat
    map per scenario).
    """
    import matplotlib.pyplot as plt

    from escalation import plotting

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []

    def save(fig, name):
        path = out / name
        fig.savefig(path, dpi=150)
        plt.close(fig)
        written.append(path)

    metrics = [q.name for q in QUANTITIES if q.name != "Americans killed"]
    ncols = 3
    nrows = math.ceil(len(metrics) / ncols)
    height = max(2.2, 0.35 * len(results) + 1.2)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(15, height * nrows), layout="constrained", squeeze=False
    )
    for ax, metric in zip(axes.ravel(), metrics, strict=False):
        plotting.scenario_comparison(table, ax=ax, metric=metric, baseline=baseline)
        ax.set_title("", loc="left")
    for ax in axes.ravel()[len(metrics) :]:
        ax.set_visible(False)
    fig.suptitle(f"Scenarios against {baseline}: estimate +- 1.96 Monte Carlo standard errors")
    save(fig, "comparison.png")

    if any(r.daily_worlds is None for r in results.values()):
        return written
    base = results[baseline]
    others = [n for n in results if n != baseline] or [baseline]
    for variable, name, weekly in (
        ("militia_attacks", "attacks_weekly.png", True),
        ("escalation_index", "escalation_index.png", False),
    ):
        fig, axes = plt.subplots(
            len(others),
            1,
            figsize=(9, 3.4 * len(others)),
            layout="constrained",
            squeeze=False,
            sharex=True,
        )
        for ax, other in zip(axes[:, 0], others, strict=True):
            if other != baseline:
                plotting.fan_chart(
                    base, variable, ax=ax, label=baseline, color=BASELINE_COLOR, weekly=weekly
                )
            plotting.fan_chart(
                results[other],
                variable,
                ax=ax,
                label=other,
                weekly=weekly,
                observed=observed,
            )
            # Each call fixes the y range to its own bands; fit both, legend in two columns.
            ax.autoscale(enable=True, axis="y")
            ax.set_ylim(bottom=0)
            ax.legend(
                loc="lower left", bbox_to_anchor=(0, 1.0), ncol=2, fontsize="small", frameon=False
            )
        save(fig, name)

    shown = [baseline] + [n for n in results if n != baseline]
    fig, axes = plt.subplots(
        len(shown),
        1,
        figsize=(9, 2.9 * len(shown)),
        layout="constrained",
        squeeze=False,
        sharex=True,
    )
    for ax, name in zip(axes[:, 0], shown, strict=True):
        plotting.ladder_heatmap(
            results[name], ax=ax, observed=observed if name == baseline else None
        )
        ax.set_title(f"{name}: share of worlds on each rung")
    save(fig, "ladder.png")
    return written


# == scenario scripts ============================================================================
def scenario_script(name: str, argv=None, doc: str | None = None) -> int:
    """Run one scenario against the baseline, print the findings, write figures and tables.

    The body of every script in ``scenarios/``. Options: ``--worlds N`` (default 2000),
    ``--seed S`` (default 2021), ``--out DIR`` (default ``results/<name>``), ``--quick``
    (200 worlds). Writes ``comparison.csv``, ``summary_<scenario>.csv`` for each scenario
    and the figures of :func:`comparison_figures`. Returns the exit code.
    """
    import matplotlib

    matplotlib.use("Agg")
    parser = argparse.ArgumentParser(
        prog=f"{Path(str(name)).stem}.py",
        description=doc,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--worlds",
        type=int,
        default=None,
        help=f"worlds per scenario (default 2000; {QUICK_WORLDS} with --quick)",
    )
    parser.add_argument("--seed", type=int, default=2021, help="seed shared by all scenarios")
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output folder (default results/NAME)",
    )
    parser.add_argument("--quick", action="store_true", help=f"a fast run of {QUICK_WORLDS} worlds")
    args = parser.parse_args(argv)
    n_worlds = args.worlds or (QUICK_WORLDS if args.quick else 2000)
    if n_worlds < 2:
        parser.error("--worlds must be at least 2")

    scenario = Scenario.load(name)
    out = args.out or Path("results") / scenario.name
    results = run_scenarios([scenario], n_worlds, seed=args.seed, keep_events=True)
    table = compare_results(results, BASELINE)
    observed = observed_for(scenario)
    if observed is not None:
        values = observed_quantities(observed, scenario.start, scenario.end)
        table["observed"] = table["quantity"].map(values)
    if doc:
        print(doc.strip().splitlines()[0])
    print(textwrap.fill(f"{scenario.name}: {scenario.description}", width=100))
    print(
        f"{n_worlds} worlds per scenario, seed {args.seed}, {scenario.start} to {scenario.end}"
        + (" (observed: the 2021 record)" if observed is not None else "")
    )
    print()
    print(format_table(table, BASELINE))

    out.mkdir(parents=True, exist_ok=True)
    written = [out / "comparison.csv"]
    table.to_csv(written[0], index=False)
    for scenario_name, result in results.items():
        path = out / f"summary_{scenario_name}.csv"
        result.summary().to_csv(path, index=False)
        written.append(path)
    written += comparison_figures(results, table, out, BASELINE, observed)
    print()
    print("wrote " + ", ".join(str(p) for p in written))
    return 0
