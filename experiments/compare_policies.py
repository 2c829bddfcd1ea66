"""Every built-in scenario against baseline_2021: which policy changes what, and by how much?

Runs the built-in scenarios (escalation/data/scenarios/) over the baseline's window, 2021 (all
but period_2019_20, another winter, whose worlds cannot be paired with 2021's), and the
baseline with one seed, so world i is the same world in each (common random numbers), and
compares them on P(an American killed), militia attacks, US strike rounds, the ladder rungs
reached and Baghdad's demand for withdrawal (:func:`escalation.compare.compare_results`).
Prints, per scenario, each quantity's estimate with the paired difference from the baseline
and its Monte Carlo standard error; writes to ``--out`` the whole table (``compare_policies.csv``:
estimates, Monte Carlo standard errors, paired differences and posterior bands) and one
figure (``compare_policies.png``: each scenario's paired difference from the baseline, per
quantity, +- 1.96 Monte Carlo standard errors of the per-world differences).

Then the policy contrasts that are not against the baseline (:data:`CONTRASTS`: the Trump line
at killing against no retaliation at all), with the same worlds, each quantity's paired
difference and its Monte Carlo standard error, plus the attacks made (reported or not), since
a shift between weapons reported at different rates moves the two apart; written to
``policy_contrasts.csv``.

    python experiments/compare_policies.py --quick        # 200 worlds per scenario, seconds
    python experiments/compare_policies.py --worlds 20000
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from escalation.cli.report import comparison_panels, comparison_title, design_line, text_table
from escalation.cli.scripts import (
    add_out_option,
    add_seed_option,
    add_worlds_options,
    add_worlds_per_draw_option,
    n_worlds,
)
from escalation.compare import (  # noqa: E402
    BASELINE,
    compare_results,
    paired_comparison,
    run_scenarios,
)
from escalation.model.scenario import Scenario, list_scenarios

#: The quantities shown (table column order, figure panel order), with short table headers.
SHOWN = {
    "P(an American killed)": "P(American killed)",
    "militia attacks": "militia attacks",
    "US strike rounds": "US strike rounds",
    "P(reach rung 4: lethal exchange)": "P(rung >= 4)",
    "P(reach rung 5: campaign)": "P(rung >= 5)",
    "P(Baghdad demands withdrawal)": "P(withdrawal demanded)",
}

#: Contrasts between two scenarios other than the baseline: (scenario, reference).
CONTRASTS = (("trump_red_line", "no_retaliation"),)
#: The row of the contrast table for the attacks made, reported or not.
TRUE_ATTACKS = "militia attacks made (reported or not)"


def policy_contrasts(results, contrasts=CONTRASTS):
    """Paired differences ``scenario - reference`` of each contrast, world by world.

    Rows as :func:`escalation.compare.paired_comparison` gives them, with ``scenario`` and
    ``reference`` columns, and one more row per contrast for the attacks made, reported or not
    (the same arithmetic on ``militia_attacks_true``).
    """
    frames = []
    for scenario, reference in contrasts:
        a, b = results[scenario], results[reference]
        table = compare_results({reference: b, scenario: a}, reference)
        table = table[table["scenario"] == scenario]
        true = paired_comparison(_made(a.worlds), _made(b.worlds))
        true = true[true["quantity"] == "militia attacks"].assign(
            scenario=scenario, quantity=TRUE_ATTACKS
        )
        frames += [table.assign(reference=reference), true.assign(reference=reference)]
    return pd.concat(frames, ignore_index=True)


def over_the_baseline_window(baseline: str = BASELINE) -> list[str]:
    """The built-in scenarios covering the baseline's window: those it can be compared with."""
    base = Scenario.load(baseline)
    scenarios = map(Scenario.load, list_scenarios())
    return [s.name for s in scenarios if (s.start, s.end) == (base.start, base.end)]


def _made(worlds):
    """A worlds table whose ``militia_attacks`` are the attacks made, reported or not."""
    return worlds.assign(militia_attacks=worlds["militia_attacks_true"])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_worlds_options(parser, "worlds per scenario")
    add_seed_option(parser)
    add_worlds_per_draw_option(parser)
    add_out_option(parser, "results/compare_policies")
    args = parser.parse_args(argv)
    worlds = n_worlds(args)
    out = args.out or Path("results/compare_policies")

    results = run_scenarios(
        over_the_baseline_window(),
        worlds,
        seed=args.seed,
        baseline=BASELINE,
        worlds_per_draw=args.worlds_per_draw,
    )
    table = compare_results(results, BASELINE)
    print(f"{len(results)} scenarios, {worlds} worlds each, seed {args.seed}")
    print(design_line(args.worlds_per_draw))
    print("Baseline: estimate. Others: estimate (paired difference from the baseline +- its")
    print("Monte Carlo standard error).")
    print()
    print(text_table(["scenario", *SHOWN.values()], _cells(table), left=(0,)))
    contrasts = policy_contrasts(results)
    print()
    print("Policy contrasts: scenario - reference, paired world by world (+- Monte Carlo s.e.).")
    header = ["scenario - reference", "quantity", "difference"]
    print(text_table(header, _contrast_cells(contrasts)))

    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "compare_policies.csv", index=False)
    contrasts.to_csv(out / "policy_contrasts.csv", index=False)
    fig = comparison_panels(table, BASELINE, list(SHOWN), comparison_title(BASELINE, worlds, True))
    fig.savefig(out / "compare_policies.png", dpi=150)
    plt.close(fig)
    print()
    print(
        f"wrote {out / 'compare_policies.csv'}, {out / 'policy_contrasts.csv'}, "
        f"{out / 'compare_policies.png'}"
    )
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


def _contrast_cells(contrasts) -> list[list[str]]:
    """One row per contrast and quantity: the paired difference +- its standard error."""
    rows = []
    for row in contrasts.itertuples():
        digits = 3 if row.unit == "probability" else 2
        rows.append(
            [
                f"{row.scenario} - {row.reference}",
                row.quantity,
                f"{row.difference:+.{digits}f} +- {row.difference_mcse:.{digits}f}",
            ]
        )
    return rows


if __name__ == "__main__":
    raise SystemExit(main())
