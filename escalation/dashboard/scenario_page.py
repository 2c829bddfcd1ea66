"""The Scenario page: pick or upload a scenario, move its parameters, run an ensemble.

Sliders span each parameter's declared valid range. A parameter left where the scenario
put it keeps the scenario's behaviour (drawn world by world from the scenario's posterior
when it names one); a moved slider pins the value in every world.
"""

from __future__ import annotations

import pandas as pd
import solara
import solara.lab

import escalation
from escalation.dashboard import charts, state
from escalation.dashboard.widgets import RunSettings, ScenarioUpload, TaskStatus
from escalation.model.parameters import PARAMETERS

SLIDER_STEPS = 100


@solara.lab.task
def run(scenario, worlds: int, seed: int):
    """Run the ensemble in a thread and draw its fan charts against the 2021 record."""
    result = escalation.run_ensemble(scenario, worlds, seed=seed, progress=False)
    observed = charts.observed_within(escalation.load_events(), scenario)
    return result, charts.ensemble_figure(result, observed)


@solara.component
def ParameterSlider(name: str, value: float, on_value):
    declared = PARAMETERS[name]
    solara.SliderFloat(
        f"{name} ({declared.unit})",
        value=value,
        on_value=on_value,
        min=declared.low,
        max=declared.high,
        step=(declared.high - declared.low) / SLIDER_STEPS,
        thumb_label=False,
    )


@solara.component
def ParameterSliders(scenario, moved: dict, set_moved):
    """One slider per parameter: calibrated ones open, the others folded away."""

    def slider(name):
        def on_value(value):
            set_moved({**moved, name: value})

        ParameterSlider(name, moved.get(name, scenario.parameters[name]), on_value)

    # Those the scenario's window can inform (a factor of a later timeline entry is not drawn).
    calibrated = [n for n in scenario.calibrated_until(scenario.end) if n in scenario.parameters]
    others = [n for n in scenario.parameters if n not in calibrated]
    if calibrated:
        with solara.Details("Calibrated parameters", expand=True):
            if scenario.posterior:
                solara.Text(
                    f"Drawn from the posterior '{scenario.posterior}' in each world "
                    "until you move their slider."
                )
            for name in calibrated:
                slider(name)
    with solara.Details("Other parameters", expand=not calibrated):
        for name in others:
            slider(name)
    if moved:
        solara.Button("Restore the scenario's values", on_click=lambda: set_moved({}), text=True)


@solara.component
def Page():
    moved, set_moved = solara.use_state({})
    worlds = solara.use_reactive(200)
    seed = solara.use_reactive(2021)
    scenario = solara.use_memo(
        lambda: state.scenario(state.chosen.value), [state.chosen.value, state.uploaded.value]
    )

    def choose(name):
        set_moved({})
        state.chosen.value = name

    with solara.Sidebar():
        solara.Select(
            "Scenario", values=state.scenario_names(), value=state.chosen.value, on_value=choose
        )
        ScenarioUpload()
        RunSettings(worlds, seed)
        solara.Button(
            "Run ensemble",
            color="primary",
            on_click=lambda: run(scenario.with_parameters(**moved), worlds.value, seed.value),
            disabled=run.pending,
        )
    with solara.Column():
        solara.Text(scenario.description)
        TaskStatus(run, f"Running {worlds.value} worlds of {scenario.name}...")
        if run.finished and run.value is not None:
            result, figure = run.value
            solara.FigureMatplotlib(figure, format="png", dependencies=[figure])
            # A plain DataFrame: Solara's table refuses subclasses such as SummaryTable.
            solara.DataFrame(pd.DataFrame(result.summary()).round(4), items_per_page=10)
        with solara.Card("Parameters"):
            ParameterSliders(scenario, moved, set_moved)
