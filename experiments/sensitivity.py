"""Which calibrated parameters drive the model's answers? Global (Sobol) sensitivity analysis.

Varies the parameters ``baseline_2021`` calibrates over 2021 (its ``calibrate`` list but the
2022 record's reporting factor, which no day of 2021 reads) together over
their prior ranges, each between the 5% and 95% quantiles of its prior (truncated to its
valid range), and measures how much of the variance of four outputs over 2021 each explains:
militia attacks, US strike rounds, P(an American killed) and P(reach rung 4: lethal
exchange). First-order indices (S1) give a parameter's share alone; total-order indices (ST)
add its interactions. Estimated by Sobol's method with Saltelli's sampling scheme (Saltelli
et al. 2010, "Variance based sensitivity analysis of model output", Computer Physics
Communications 181; SALib's ``sample.sobol`` and ``analyze.sobol``), with bootstrap 95%
confidence intervals.

All N x (D + 2) parameter sets (D parameters; first and total order only) are simulated as
one batch of worlds (``run_ensemble(..., parameters=...)``), each set in ``--replicates``
worlds whose outputs are averaged (so the two probabilities are shares of those worlds).
The Monte Carlo noise left after averaging is variance no parameter explains: it lowers the
S1 and widens the interval of every index; more replicates shrink it.

Writes to ``--out``: ``sobol_indices.csv`` (output, parameter, S1, S1_conf, ST, ST_conf,
the bounds) and ``sobol_indices.png`` (bars of S1 and ST with their intervals). Needs SALib
(``pip install 'escalation[sensitivity]'``).

    python experiments/sensitivity.py --quick            # N = 64, 8 replicates: seconds
    python experiments/sensitivity.py --base 2048 --replicates 16
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from escalation.cli.scripts import add_out_option, add_seed_option
from escalation.ensemble import run_ensemble  # noqa: E402
from escalation.model.parameters import PARAMETERS
from escalation.model.scenario import Scenario
from escalation.plotting import style  # noqa: E402

#: Output name -> per-world value from ``EnsembleResult.worlds``.
OUTPUTS = {
    "militia attacks": lambda w: w["militia_attacks"].to_numpy(dtype=float),
    "US strike rounds": lambda w: w["us_strike_rounds"].to_numpy(dtype=float),
    "P(an American killed)": lambda w: (w["us_killed"] > 0).to_numpy(dtype=float),
    "P(reach rung 4: lethal exchange)": lambda w: (w["max_rung"] >= 4).to_numpy(dtype=float),
}


def prior_bounds(scenario: Scenario) -> dict[str, tuple[float, float]]:
    """The 5% and 95% quantiles of each calibrated parameter's prior, within its valid range
    (those the scenario's window can inform: a factor of a later timeline entry changes nothing)."""
    bounds = {}
    for name in scenario.calibrated_until(scenario.end):
        declared = PARAMETERS[name]
        low, high = scenario.prior(name).within(declared.low, declared.high).ppf([0.05, 0.95])
        bounds[name] = (float(low), float(high))
    return bounds


def salib():
    """SALib's Sobol sampler and analyser (``(sample, analyze)`` modules), or an ImportError
    saying how to install them."""
    try:
        from SALib.analyze import sobol as analyze
        from SALib.sample import sobol as sample
    except ImportError:
        raise ImportError(
            "sensitivity analysis needs SALib: pip install 'escalation[sensitivity]'"
        ) from None
    return sample, analyze


def saltelli_design(bounds: dict[str, tuple[float, float]], n_base: int, seed=None):
    """The SALib problem over ``bounds`` and its N x (D + 2) parameter sets (first and total
    order only), as Sobol' sequences scrambled by ``seed``: ``(problem, sets)``."""
    sample, _ = salib()
    names = list(bounds)
    problem = {"num_vars": len(names), "names": names, "bounds": [bounds[n] for n in names]}
    # Sobol' sequences (scrambled by the seed) sample the unit cube more evenly than random
    # draws; calc_second_order=False keeps N x (D + 2) sets.
    return problem, sample.sample(problem, n_base, calc_second_order=False, seed=seed)


def indices_table(problem: dict, outputs: dict[str, np.ndarray], seed=None) -> pd.DataFrame:
    """Sobol indices of each output (one value per parameter set of the design).

    One row per output and parameter: ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` (bootstrap 95%
    half-widths), ``low``, ``high`` (the parameter's range).
    """
    _, analyze = salib()
    names = problem["names"]
    frames = []
    for output, y in outputs.items():
        indices = analyze.analyze(problem, y, calc_second_order=False, seed=seed)
        frame = pd.DataFrame(
            {k: indices[k] for k in ("S1", "S1_conf", "ST", "ST_conf")}, index=names
        )
        frame.insert(0, "output", output)
        frames.append(frame)
    table = pd.concat(frames).rename_axis("parameter").reset_index()
    bounds = dict(zip(names, problem["bounds"], strict=True))
    table["low"] = table["parameter"].map(lambda n: bounds[n][0])
    table["high"] = table["parameter"].map(lambda n: bounds[n][1])
    return table


def replicated(sets: np.ndarray, names: list[str], replicates: int) -> dict[str, np.ndarray]:
    """Per-world parameter arrays: each parameter set repeated in ``replicates`` worlds."""
    worlds_per_set = np.repeat(sets, replicates, axis=0)
    return {name: worlds_per_set[:, i] for i, name in enumerate(names)}


def set_means(values: np.ndarray, replicates: int) -> np.ndarray:
    """The mean over each parameter set's ``replicates`` consecutive worlds."""
    return values.reshape(-1, replicates).mean(axis=1)


def sobol_indices(scenario, n_base: int, replicates: int, seed=None) -> pd.DataFrame:
    """Sobol indices of :data:`OUTPUTS` to the scenario's calibrated parameters.

    Parameters
    ----------
    scenario : Scenario or str
        Its ``calibrate`` list names the parameters (those its window can inform,
        :meth:`Scenario.calibrated_until`); any posterior it names is not drawn from (the sampled
        values override it).
    n_base : int
        Saltelli base sample size N (a power of 2); N x (D + 2) parameter sets are run.
    replicates : int
        Worlds per parameter set, averaged.
    seed : int, optional
        Seeds both the Sobol sequence's scrambling and the worlds.

    Returns
    -------
    pandas.DataFrame
        One row per output and parameter: ``S1``, ``S1_conf``, ``ST``, ``ST_conf``,
        ``low``, ``high``.
    """
    scenario = scenario if isinstance(scenario, Scenario) else Scenario.load(scenario)
    problem, sets = saltelli_design(prior_bounds(scenario), n_base, seed)
    parameters = replicated(sets, problem["names"], replicates)
    result = run_ensemble(
        scenario, len(sets) * replicates, seed=seed, keep_events=False, parameters=parameters
    )
    outputs = {
        output: set_means(value(result.worlds), replicates) for output, value in OUTPUTS.items()
    }
    return indices_table(problem, outputs, seed)


@style()
def bar_chart(table: pd.DataFrame, title: str = ""):
    """One panel per output: S1 and ST per parameter with 95% bootstrap intervals."""
    outputs = list(pd.unique(table["output"]))
    fig, axes = plt.subplots(
        1, len(outputs), figsize=(4.2 * len(outputs), 4.6), sharey=True, layout="constrained"
    )
    names = list(pd.unique(table["parameter"]))
    y = np.arange(len(names))[::-1]
    for ax, output in zip(np.atleast_1d(axes), outputs, strict=True):
        rows = table[table["output"] == output].set_index("parameter").loc[names]
        for offset, index, color in ((0.18, "S1", "#0072B2"), (-0.18, "ST", "#D55E00")):
            ax.barh(
                y + offset,
                rows[index],
                height=0.34,
                xerr=rows[f"{index}_conf"],
                color=color,
                label=index,
                error_kw={"lw": 0.8, "ecolor": "#404040"},
            )
        ax.axvline(0, color="#606060", lw=0.8)
        ax.set_title(output)
        ax.set_xlabel("Sobol index")
    axes = np.atleast_1d(axes)
    axes[0].set_yticks(y, names)
    axes[0].legend(loc="lower right")
    fig.suptitle(f"{title}; lines: 95% bootstrap intervals" if title else "")
    return fig


def print_indices(table: pd.DataFrame) -> None:
    """Each output's indices, parameters by decreasing ST."""
    with pd.option_context("display.width", 120, "display.max_rows", 200):
        for output, rows in table.groupby("output", sort=False):
            print()
            print(output)
            shown = rows.drop(columns="output").sort_values("ST", ascending=False)
            print(shown.to_string(index=False, float_format=lambda x: f"{x:.3f}"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="baseline_2021", help="calibrate list and policies")
    parser.add_argument("--base", type=int, default=512, help="Saltelli base N, a power of 2")
    parser.add_argument("--replicates", type=int, default=8, help="worlds per parameter set")
    add_seed_option(parser)
    add_out_option(parser, "results/sensitivity")
    parser.add_argument("--quick", action="store_true", help="N = 64, 8 replicates")
    args = parser.parse_args(argv)
    if args.quick:
        args.base, args.replicates = 64, 8
    out = args.out or Path("results/sensitivity")
    try:
        table = sobol_indices(args.scenario, args.base, args.replicates, seed=args.seed)
    except ImportError as exc:
        print(f"sensitivity: {exc}", file=sys.stderr)
        return 2
    d = table["parameter"].nunique()
    design = (
        f"Sobol indices over {args.base} x {d + 2} parameter sets x {args.replicates} "
        f"replicates = {args.base * (d + 2) * args.replicates} worlds, seed {args.seed}"
    )
    print(design)
    print_indices(table)
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "sobol_indices.csv", index=False)
    fig = bar_chart(table, title=f"{args.scenario}: {design}")
    fig.savefig(out / "sobol_indices.png", dpi=150)
    plt.close(fig)
    print()
    print(f"wrote {out / 'sobol_indices.csv'}, {out / 'sobol_indices.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
