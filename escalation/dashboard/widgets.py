"""Small pieces several pages use: scenario picker and upload, run settings, task status."""

from __future__ import annotations

import solara

import escalation
from escalation.dashboard import state


@solara.component
def ScenarioUpload():
    """Drop a scenario TOML: it is validated, offered beside the built-in ones and picked."""
    loaded, set_loaded = solara.use_state("")
    problem, set_problem = solara.use_state("")

    def on_file(info):
        try:
            scenario = state.add_upload(info["name"], info["data"])
        except (escalation.ScenarioError, UnicodeDecodeError) as exc:
            set_loaded("")
            set_problem(str(exc))
        else:
            set_loaded(f"loaded {scenario.name} from {info['name']}")
            set_problem("")

    solara.FileDrop(label="Drop a scenario TOML here", on_file=on_file, lazy=False)
    if loaded:
        solara.Success(loaded, dense=True)
    if problem:
        solara.Error(problem, dense=True)


@solara.component
def RunSettings(worlds, seed, max_worlds: int = 5000):
    """Number of worlds and the seed (the same seed gives the same worlds)."""
    solara.SliderInt(f"Worlds: {worlds.value}", value=worlds, min=10, max=max_worlds, step=10)
    solara.InputInt("Seed", value=seed)


@solara.component
def TaskStatus(task, running: str):
    """A progress bar while ``task`` runs, its error if it failed."""
    if task.pending:
        solara.Text(running)
        solara.ProgressLinear(True)
    elif task.error:
        solara.Error(f"{type(task.exception).__name__}: {task.exception}")
