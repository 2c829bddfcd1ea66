"""The Forecast page: the weeks after a date, from the shipped posterior and an events file.

The uploaded events (the canonical CSV or an ACLED export) before the start date are
replayed into the agents' memories; from the start date on every world is simulated with
parameters drawn from the posterior calibrated on 2021.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pandas as pd
import solara
import solara.lab

import escalation
from escalation.dashboard import charts
from escalation.dashboard.widgets import RunSettings, TaskStatus
from escalation.ensemble import posterior_path

POSTERIOR = "posterior_2021"
FORMATS = {"canonical": escalation.load_events, "ACLED": escalation.load_acled}


def read_events(filename: str, data: bytes, kind: str) -> pd.DataFrame:
    """Events from an uploaded file, read by the loader of its format."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / Path(filename).name
        path.write_bytes(data)
        return FORMATS[kind](path)


@solara.lab.task
def run(events: pd.DataFrame, start: dt.date, days: int, worlds: int, seed: int):
    """Forecast from the shipped posterior; the forecast and its chart."""
    posterior = escalation.Posterior.load(posterior_path(POSTERIOR))
    history = events[events["date"] < pd.Timestamp(start)].reset_index(drop=True)
    result = escalation.forecast(posterior, history, start, days, n_worlds=worlds, seed=seed)
    observed = events if events["date"].max() >= result.end else None
    return result, charts.forecast_figure(result, observed)


@solara.component
def Page():
    events, set_events = solara.use_state(None)
    source, set_source = solara.use_state("")
    problem, set_problem = solara.use_state("")
    kind = solara.use_reactive("canonical")
    start = solara.use_reactive("2021-07-01")
    days = solara.use_reactive(28)
    worlds = solara.use_reactive(500)
    seed = solara.use_reactive(2021)

    def take(frame, name):
        set_events(frame)
        set_source(
            f"{name}: {len(frame)} events, {frame['date'].min():%Y-%m-%d} to "
            f"{frame['date'].max():%Y-%m-%d}"
        )
        set_problem("")

    def on_file(info):
        try:
            take(read_events(info["name"], info["data"], kind.value), info["name"])
        except (escalation.EventDataError, ValueError, UnicodeDecodeError) as exc:
            set_problem(str(exc))

    def start_forecast():
        try:
            first = dt.date.fromisoformat(start.value)
        except ValueError:
            set_problem(f"start {start.value!r} is not a date (YYYY-MM-DD)")
            return
        set_problem("")
        run(events, first, days.value, worlds.value, seed.value)

    with solara.Sidebar():
        solara.ToggleButtonsSingle(value=kind, values=list(FORMATS))
        solara.FileDrop(label="Drop an events file here (CSV)", on_file=on_file, lazy=False)
        solara.Button(
            "Use the built-in 2021 record",
            on_click=lambda: take(escalation.load_events(), "built-in 2021 record"),
            text=True,
        )
        solara.InputText("First forecast day (YYYY-MM-DD)", value=start)
        solara.SliderInt(f"Days: {days.value}", value=days, min=7, max=120, step=7)
        RunSettings(worlds, seed, max_worlds=5000)
        solara.Button(
            "Forecast",
            color="primary",
            on_click=start_forecast,
            disabled=run.pending or events is None,
        )
    with solara.Column():
        solara.Text(source or "Upload the events up to the forecast's start (canonical or ACLED).")
        if problem:
            solara.Error(problem)
        TaskStatus(run, f"Forecasting {days.value} days in {worlds.value} worlds...")
        if run.finished and run.value is not None:
            result, figure = run.value
            solara.FigureMatplotlib(figure, format="png", dependencies=[figure])
            probabilities = pd.DataFrame(
                {
                    "event": list(result.probabilities),
                    "probability": list(result.probabilities.values()),
                }
            )
            solara.DataFrame(probabilities.round(3))
