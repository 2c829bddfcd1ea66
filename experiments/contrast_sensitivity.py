"""Which uncalibrated belief parameters drive the policy contrasts? Sobol indices of differences.

The contrasts (:data:`CONTRASTS`: the Trump line at killing against no retaliation, and each
against the 2021 baseline; front-group claims against the baseline) are paired differences,
world by world under common random numbers: world i runs with the same parameters and random
streams in both scenarios. This varies the belief parameters no record calibrates
(:data:`FACTORS`: the weight of the militias' prior belief, how hard they aim to miss under a
line at harm, how far a credible line steers them from drones), each between the 5% and 95%
quantiles of its prior (or over its valid range if it has none), with every calibrated parameter
fixed at the shipped posterior's median (so posterior spread is no part of the variance), and
measures how much of the variance of each contrast each factor explains: first-order (S1) and
total-order (ST) Sobol indices with Saltelli's scheme and bootstrap 95% intervals, as
``experiments/sensitivity.py`` computes them for the levels.

The militias' prior means (the retaliation policies' ``prior_answered`` option) and the line's
``clarity`` are options of a scenario's policy, one value for all its worlds, so they cannot
vary world by world inside one design; :func:`option_sweep` moves them one at a time instead
and reports the contrast at each value, with its Monte Carlo standard error.

Writes to ``--out`` (default ``docs/``): ``contrast_sobol.csv`` (contrast, output, parameter,
S1, S1_conf, ST, ST_conf, the bounds), ``contrast_options.csv`` (the sweep) and
``contrast_sobol.png``. Needs SALib (``pip install 'escalation[sensitivity]'``).

    python experiments/contrast_sensitivity.py --quick          # N = 32, 4 replicates
    python experiments/contrast_sensitivity.py --base 256 --replicates 16
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

# Run as a script from anywhere: the repository root on the path, as the tests have it.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from escalation.cli.scripts import add_out_option, add_seed_option  # noqa: E402
from escalation.ensemble import posterior_path, run_ensemble  # noqa: E402
from escalation.inference.posterior import Posterior  # noqa: E402
from escalation.model.parameters import PARAMETERS  # noqa: E402
from escalation.model.scenario import Scenario  # noqa: E402
from experiments.sensitivity import (  # noqa: E402
    bar_chart,
    indices_table,
    print_indices,
    replicated,
    saltelli_design,
    set_means,
)

#: The uncalibrated, belief-related parameters varied together.
FACTORS = ("belief_prior_strength", "aim_to_miss", "caution")
#: Contrasts: (scenario, reference); the output is scenario minus reference.
CONTRASTS = (
    ("trump_red_line", "no_retaliation"),
    ("trump_red_line", "baseline_2021"),
    ("baseline_2021", "no_retaliation"),
    # Deniability: every attack claimed by a front, counted at half (claim_doubt 0.5).
    ("front_claims", "baseline_2021"),
)
#: Output name -> column of ``EnsembleResult.worlds`` whose paired difference is analysed.
OUTPUTS = {
    "militia attacks (reported)": "militia_attacks",
    "militia attacks made": "militia_attacks_true",
    "Americans killed": "us_killed",
}
#: The option sweep: (scenario, option of its US retaliation policy, values).
OPTION_SWEEP = (
    ("trump_red_line", "prior_answered", (0.25, 0.5, 0.75, 0.95)),
    ("trump_red_line", "clarity", (0.25, 0.5, 1.0)),
    ("no_retaliation", "prior_answered", (0.0, 0.05, 0.25, 0.5)),
)


def factor_bounds(names=FACTORS) -> dict[str, tuple[float, float]]:
    """The 5% and 95% quantiles of each parameter's declared prior (within its valid range),
    or its valid range if it declares none."""
    bounds = {}
    for name in names:
        declared = PARAMETERS[name]
        if declared.prior is None:
            bounds[name] = (float(declared.low), float(declared.high))
        else:
            prior = declared.prior.within(declared.low, declared.high)
            low, high = prior.ppf([0.05, 0.95])
            bounds[name] = (float(low), float(high))
    return bounds


def at_posterior_median(name: str | Scenario) -> Scenario:
    """The scenario with each calibrated parameter it does not pin itself fixed at the median
    of the posterior it names (so its worlds draw nothing from the posterior)."""
    scenario = Scenario.coerce(name)
    if scenario.posterior is None:
        return scenario
    point = Posterior.load(posterior_path(scenario.posterior)).point("median")
    return scenario.with_parameters(**{k: v for k, v in point.items() if k not in scenario.pinned})


def contrast_outputs(
    sets: np.ndarray, names: list[str], replicates: int, seed, contrasts=CONTRASTS
) -> dict[tuple[str, str], dict[str, np.ndarray]]:
    """Per contrast, per output: the mean paired difference of each parameter set's worlds.

    Every scenario runs the same worlds (same seed, same per-world parameters), so the
    difference of world i is taken under common random numbers.
    """
    parameters = replicated(sets, names, replicates)
    scenarios = {name for pair in contrasts for name in pair}
    worlds = {
        name: run_ensemble(
            at_posterior_median(name),
            len(sets) * replicates,
            seed=seed,
            keep_events=False,
            parameters=parameters,
        ).worlds
        for name in sorted(scenarios)
    }
    return {
        (a, b): {
            output: set_means(
                (worlds[a][column] - worlds[b][column]).to_numpy(dtype=float), replicates
            )
            for output, column in OUTPUTS.items()
        }
        for a, b in contrasts
    }


def contrast_sobol(n_base: int, replicates: int, seed=None) -> pd.DataFrame:
    """Sobol indices of each contrast's outputs to :data:`FACTORS` (see the module docstring).

    Returns one row per contrast, output and factor: ``contrast``, ``output``, ``parameter``,
    ``S1``, ``S1_conf``, ``ST``, ``ST_conf``, ``low``, ``high``, and the contrast's mean and
    standard deviation over the design (``mean``, ``sd``).
    """
    problem, sets = saltelli_design(factor_bounds(), n_base, seed)
    outputs = contrast_outputs(sets, problem["names"], replicates, seed)
    frames = []
    for (a, b), values in outputs.items():
        table = indices_table(problem, values, seed)
        table.insert(0, "contrast", f"{a} - {b}")
        table["mean"] = table["output"].map(lambda o, v=values: float(np.mean(v[o])))
        table["sd"] = table["output"].map(lambda o, v=values: float(np.std(v[o], ddof=1)))
        frames.append(table)
    return pd.concat(frames, ignore_index=True)


def option_sweep(n_worlds: int, seed=None, sweep=OPTION_SWEEP) -> pd.DataFrame:
    """The Trump line minus no retaliation as one policy option moves, the others at their
    scenario's values; calibrated parameters at the posterior median, belief parameters at
    their defaults; paired world by world. One row per option value and output: ``scenario``,
    ``option``, ``value``, ``output``, ``difference``, ``mcse``."""
    (a, b) = CONTRASTS[0]
    base = {name: at_posterior_median(name) for name in (a, b)}
    rows = []
    for scenario, option, values in sweep:
        for value in values:
            runs = dict(base)
            choice = base[scenario].policy("US", "retaliation")
            runs[scenario] = base[scenario].with_policy(
                "US", "retaliation", choice.name, **{**choice.options, option: value}
            )
            worlds = {
                name: run_ensemble(s, n_worlds, seed=seed, keep_events=False).worlds
                for name, s in runs.items()
            }
            for output, column in OUTPUTS.items():
                d = (worlds[a][column] - worlds[b][column]).to_numpy(dtype=float)
                rows.append(
                    {
                        "scenario": scenario,
                        "option": option,
                        "value": value,
                        "output": f"{a} - {b}: {output}",
                        "difference": d.mean(),
                        "mcse": d.std(ddof=1) / np.sqrt(len(d)),
                    }
                )
    return pd.DataFrame(rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=int, default=256, help="Saltelli base N, a power of 2")
    parser.add_argument("--replicates", type=int, default=16, help="worlds per parameter set")
    parser.add_argument("--sweep-worlds", type=int, default=1000, help="worlds per sweep run")
    add_seed_option(parser)
    add_out_option(parser, "docs")
    parser.add_argument("--quick", action="store_true", help="N = 32, 4 replicates, 100 worlds")
    args = parser.parse_args(argv)
    if args.quick:
        args.base, args.replicates, args.sweep_worlds = 32, 4, 100
    out = args.out or Path("docs")
    try:
        table = contrast_sobol(args.base, args.replicates, seed=args.seed)
    except ImportError as exc:
        print(f"contrast_sensitivity: {exc}", file=sys.stderr)
        return 2
    d = len(FACTORS)
    design = (
        f"Sobol indices of paired contrasts over {args.base} x {d + 2} parameter sets x "
        f"{args.replicates} replicates, seed {args.seed}; calibrated parameters at the "
        "posterior median"
    )
    print(design)
    for contrast, rows in table.groupby("contrast", sort=False):
        print()
        print(f"== {contrast}")
        for output, group in rows.groupby("output", sort=False):
            mean, sd = group["mean"].iloc[0], group["sd"].iloc[0]
            print(f"{output}: mean {mean:+.3f}, sd over the design {sd:.3f}")
        print_indices(rows.drop(columns=["contrast", "mean", "sd"]))
    sweep = option_sweep(args.sweep_worlds, seed=args.seed)
    print()
    print("Options, one at a time (difference +- Monte Carlo s.e.):")
    print(sweep.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "contrast_sobol.csv", index=False)
    sweep.to_csv(out / "contrast_options.csv", index=False)
    shown = table[table["contrast"] == "{} - {}".format(*CONTRASTS[0])]
    fig = bar_chart(shown.drop(columns="contrast"), title=f"{CONTRASTS[0][0]} - {CONTRASTS[0][1]}")
    fig.savefig(out / "contrast_sobol.png", dpi=150)
    plt.close(fig)
    print()
    print(
        f"wrote {out / 'contrast_sobol.csv'}, {out / 'contrast_options.csv'}, "
        f"{out / 'contrast_sobol.png'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
