"""The Compare page: scenarios against a baseline under common random numbers.

Every scenario runs with the same seed, so world i meets the same chance events in each,
and a policy's effect is estimated world by world: the paired difference, its 95% Monte
Carlo interval and, when the scenarios draw from a posterior, the 5-95% posterior band.
"""

from __future__ import annotations

import pandas as pd
import solara
import solara.lab

import escalation
from escalation.dashboard import charts, state
from escalation.dashboard.widgets import RunSettings, ScenarioUpload, TaskStatus


@solara.lab.task
def compare(scenarios, baseline, worlds: int, seed: int):
    """Run the baseline and the scenarios with one seed; the comparison table."""
    return escalation.compare_scenarios(
        scenarios, worlds, seed=seed, baseline=baseline, progress=False
    )


def readable(table: pd.DataFrame) -> pd.DataFrame:
    """The comparison table with differences shown as estimate and 95% interval."""
    half = charts.Z95 * table["difference_mcse"]
    return pd.DataFrame(
        {
            "scenario": table["scenario"],
            "quantity": table["quantity"],
            "estimate": table["estimate"].round(3),
            "difference": table["difference"].round(3),
            "95% interval": [
                f"{lo:.3f} to {hi:.3f}"
                for lo, hi in zip(
                    table["difference"] - half, table["difference"] + half, strict=True
                )
            ],
            "posterior 5-95%": [
                "" if pd.isna(lo) else f"{lo:.3f} to {hi:.3f}"
                for lo, hi in zip(
                    table["difference_posterior_q05"],
                    table["difference_posterior_q95"],
                    strict=True,
                )
            ],
        }
    )


@solara.component
def Page():
    names = state.scenario_names()
    baseline = solara.use_reactive("baseline_2021")
    chosen = solara.use_reactive(["trump_red_line", "no_retaliation"])
    worlds = solara.use_reactive(100)
    seed = solara.use_reactive(2021)

    def start():
        scenarios = [state.scenario(n) for n in chosen.value if n != baseline.value]
        compare(scenarios, state.scenario(baseline.value), worlds.value, seed.value)

    with solara.Sidebar():
        solara.Select("Baseline", values=names, value=baseline)
        solara.SelectMultiple("Scenarios", values=chosen, all_values=names)
        ScenarioUpload()
        RunSettings(worlds, seed, max_worlds=2000)
        solara.Button(
            "Compare",
            color="primary",
            on_click=start,
            disabled=compare.pending or not [n for n in chosen.value if n != baseline.value],
        )
    with solara.Column():
        solara.Text(
            "Each scenario runs the same worlds as the baseline (same seed), so differences "
            "are paired world by world."
        )
        TaskStatus(
            compare, f"Running {len(chosen.value) + 1} scenarios, {worlds.value} worlds each..."
        )
        if compare.finished and compare.value is not None:
            Differences(compare.value)


@solara.component
def Differences(table: pd.DataFrame):
    """Chart of one quantity's paired differences, and the whole table."""
    quantity = solara.use_reactive(table["quantity"].iloc[0])
    baseline = table["scenario"].iloc[0]
    figure = solara.use_memo(
        lambda: charts.differences_figure(table, quantity.value, baseline), [table, quantity.value]
    )
    solara.Select("Quantity", values=list(pd.unique(table["quantity"])), value=quantity)
    solara.FigureMatplotlib(figure, format="png", dependencies=[figure])
    solara.DataFrame(readable(table), items_per_page=20)
