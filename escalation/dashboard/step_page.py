"""The Step page: Mesa's SolaraViz on one world of the chosen scenario, day by day."""

from __future__ import annotations

import solara
from mesa.visualization import SolaraViz

from escalation.dashboard import charts, state, stepping


def DayCard(model):
    """The day just simulated: date, ladder rung and the state of the world."""
    day = stepping.today(model)
    with solara.Card("Today") as card, solara.Column(gap="4px"):
        if day is None:
            solara.Text(f"{model.spec.name}: press Step or play to begin on {model.dates[0]}.")
        else:
            solara.Text(f"Day {day['day']}: {day['date']:%A %d %B %Y}")
            solara.Text(f"Ladder rung {day['rung']}", classes=["ladder-rung"])
            solara.Text(
                f"Escalation index {day['escalation_index']:.1f}; red-line credibility "
                f"{day['red_line_credibility']:.2f}; Baghdad's pressure {day['iraqi_pressure']:.2f}"
            )
    return card


def EventsToday(model):
    """The events of the day just simulated."""
    with solara.Card("The day's events") as card:
        events = stepping.events_today(model) if model.day else None
        if events is None or events.empty:
            solara.Text("No events.")
        else:
            solara.DataFrame(events, items_per_page=10)
    return card


def LadderChart(model):
    """Escalation index and ladder rung so far."""
    with solara.Card("Escalation so far") as card:
        solara.FigureMatplotlib(charts.ladder_figure(stepping.history(model)), format="png")
    return card


@solara.component
def Page():
    spec = solara.use_memo(
        lambda: state.scenario(state.chosen.value), [state.chosen.value, state.uploaded.value]
    )
    model = solara.use_memo(
        lambda: solara.reactive(stepping.OneWorld(spec, seed=stepping.DEFAULT_SEED)), [spec]
    )
    SolaraViz(
        model,
        components=[(DayCard, 0), (EventsToday, 0), (LadderChart, 0)],
        model_params=stepping.model_params(spec),
        name=f"Step: {spec.name}",
    ).key(spec.name)
