"""State the pages share in one browser session: the scenarios on offer and the one picked.

Solara keeps a module-level reactive value apart for every browser session.
"""

from __future__ import annotations

from pathlib import PurePath

import solara

import escalation

#: Scenarios uploaded as TOML in this session, by name; they join the built-in ones.
uploaded: solara.Reactive[dict[str, escalation.Scenario]] = solara.reactive({})
#: Name of the scenario the Scenario page shows.
chosen = solara.reactive("baseline_2021")


def scenario_names() -> list[str]:
    """Built-in scenario names, then the uploaded ones (an upload may replace a built-in)."""
    builtin = escalation.list_scenarios()
    return builtin + [name for name in uploaded.value if name not in builtin]


def scenario(name: str):
    """The uploaded scenario of that name, else the built-in one."""
    return uploaded.value.get(name) or escalation.Scenario.load(name)


def add_upload(filename: str, data: bytes):
    """Parse an uploaded scenario TOML, offer it and pick it; raises ScenarioError if invalid.
    A file that sets no ``name`` is named after the file, as ``escalation run FILE`` names it."""
    loaded = escalation.Scenario.from_toml(
        data.decode("utf-8"), origin=filename, default_name=PurePath(filename).stem
    )
    uploaded.value = {**uploaded.value, loaded.name: loaded}
    chosen.value = loaded.name
    return loaded
