"""Every built-in scenario against baseline_2021: which policy changes what, and by how much?

Runs all built-in scenarios (escalation/data/scenarios/) and the baseline with one seed, so
world i is the same world in each (common random numbers), and compares them on
P(an American killed), militia attacks, US strike rounds, the ladder rungs reached and
Baghdad's demand for withdrawal (:func:`escalation.compare.compare_results`). Prints, per
scenario, each quantity's estimate with the paired difference from the baseline and its
Monte Carlo standard error; writes to ``--out`` the whole table (``compare_policies.csv``:
estimates, Monte Carlo standard errors, paired differences and posterior bands) and one
figure (``compare_policies.png``: each quantity across scenarios with 1.96 Monte Carlo
standard errors).

    python experiments/compare_policies.py --quick        # 200 worlds per scenario, seconds
    python experiments/compare_policies.py --worlds 20000
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from escalation import plotting  # noqa: E402
from escalation.compare import BASELINE, compare_results, run_scenarios, text_table  # noqa: E402
from escalation.model.scenario import list_scenarios

#: The quantities shown (table column order, figure panel order), with short table headers.
SHOWN = {
    "P(an American killed)": "P(American killed)",
    "militia attacks": "militia attacks",
    "US strike rounds": "US strike rounds",
    "P(reach rung 4: lethal exchange)": "P(rung >= 4)",
    "P(reach rung 5: campaign)": "P(rung >= 5)",
    "P(Baghdad demands withdrawal)": "P(withdrawal demanded)",
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worlds", type=int, default=None, help="worlds per scenario (2000)")
    parser.add_argument("--seed", type=int, default=2021, help="seed shared by all scenarios")
    parser.add_argument("--out", type=Path, default=Path("results/compare_policies"))
    parser.add_argument("--quick", action="store_true", help="200 worlds per scenario")
    args = parser.parse_args(argv)
    n_worlds = args.worlds or (200 if args.quick else 2000)

    results = run_scenarios(list_scenarios(), n_worlds, seed=args.seed, baseline=BASELINE)
    table = compare_results(results, BASELINE)
    print(f"{len(results)} scenarios, {n_worlds} worlds each, seed {args.seed}")
    print("Baseline: estimate. Others: estimate (paired difference from the baseline +- its")
    print("Monte Carlo standard error).")
    print()
    print(text_table(["scenario", *SHOWN.values()], _cells(table), left=(0,)))

    args.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out / "compare_policies.csv", index=False)
    ncols = 3
    nrows = math.ceil(len(SHOWN) / ncols)
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(15, 0.32 * len(results) * nrows + 1.6 * nrows),
        layout="constrained",
        squeeze=False,
    )
    for ax, quantity in zip(axes.ravel(), SHOWN, strict=True):
        plotting.scenario_comparison(table, ax=ax, metric=quantity, baseline=BASELINE)
        ax.set_title("", loc="left")
    fig.suptitle(
        f"Scenarios against {BASELINE}, {n_worlds} worlds each, same seed: "
        "estimate +- 1.96 Monte Carlo standard errors"
    )
    fig.savefig(args.out / "compare_policies.png", dpi=150)
    plt.close(fig)
    print()
    print(f"wrote {args.out / 'compare_policies.csv'}, {args.out / 'compare_policies.png'}")
    return 0


def _cells(table) -> list[list[str]]:
    """One row per scenario: the baseline's estimates, the others' with paired differences."""
    rows = []
    for scenario, group in table.groupby("scenario", sort=False):
        by = group.set_index("quantity")
        cells = [scenario]
        for quantity in SHOWN:
            row = by.loc[quantity]
            digits = 3 if row["unit"] == "probability" else 1
            text = f"{row['estimate']:.{digits}f}"
            if scenario != BASELINE:
                text += f" ({row['difference']:+.{digits}f} +- {row['difference_mcse']:.{digits}f})"
            cells.append(text)
        rows.append(cells)
    return rows


if __name__ == "__main__":
    raise SystemExit(main())
