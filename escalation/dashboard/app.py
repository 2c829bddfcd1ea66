"""The dashboard's Solara app: one page per question, served by ``escalation.dashboard.serve``."""

from __future__ import annotations

import solara
import solara.lab

from escalation.dashboard import compare_page, forecast_page, scenario_page, step_page


@solara.component
def Navigation(labels: list[str], index, on_index):
    """Tabs named by the pages' labels (Solara's own tabs show their paths)."""
    with solara.AppBar():
        with solara.lab.Tabs(value=index, on_value=on_index, align="center"):
            for label in labels:
                solara.lab.Tab(label)


@solara.component
def Layout(children=[]):  # noqa: B006 (Solara's signature for layouts)
    route, all_routes = solara.use_route()
    router = solara.use_router()
    paths = [solara.resolve_path(r, level=0) for r in all_routes]

    def go(index):
        router.push(paths[index])

    solara.Title("escalation")
    navigation = Navigation(
        [r.label for r in all_routes], all_routes.index(route) if route else None, go
    )
    return solara.AppLayout(children=[navigation, *children], title="escalation")


#: The root route's layout is every page's layout.
routes = [
    solara.Route(path="/", component=scenario_page.Page, label="Scenario", layout=Layout),
    solara.Route(path="compare", component=compare_page.Page, label="Compare"),
    solara.Route(path="step", component=step_page.Page, label="Step"),
    solara.Route(path="forecast", component=forecast_page.Page, label="Forecast"),
]
