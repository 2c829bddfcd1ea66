"""One world of a scenario as a Mesa model that Mesa's SolaraViz can rebuild on Reset.

SolaraViz rebuilds the model as ``type(model)(**flat_keywords)`` from its sliders. Two
things stop :class:`escalation.EscalationModel` from surviving that: a parameter slider
arrives as its own keyword (``militia_attack_rate=0.4``), which the constructor rejects;
and Mesa 3.5 also passes back ``scenario=`` holding its own
``mesa.experimental.scenarios.Scenario``, which the constructor reads as the name of an
escalation scenario and fails to load. :class:`OneWorld` takes the escalation scenario as
``spec``, drops Mesa's ``scenario`` and turns every other keyword into a parameter
override.
"""

from __future__ import annotations

import pandas as pd

import escalation
from escalation.model.ladder import Rung
from escalation.model.parameters import PARAMETERS

#: Steps on a parameter slider between the ends of its declared range.
SLIDER_STEPS = 100
DEFAULT_SEED = 2021


class OneWorld(escalation.EscalationModel):
    """One world of ``spec`` (an escalation Scenario) with parameter overrides as keywords."""

    def __init__(self, spec=None, seed: int = DEFAULT_SEED, scenario=None, **kwargs):
        # ``scenario`` is Mesa's own scenario object (Mesa >= 3.5), not an escalation one.
        # The overrides must be named ``kwargs``: Mesa 3.3 takes any other name for a
        # required parameter.
        del scenario
        super().__init__(spec, n_worlds=1, seed=int(seed), parameters=kwargs)


def model_params(spec) -> dict:
    """SolaraViz's ``model_params``: the scenario (fixed), a seed and its calibrated parameters."""
    informed = spec.calibrated_until(spec.end)
    names = [n for n in informed if n in spec.parameters] or ["militia_attack_rate"]
    sliders = {
        name: {
            "type": "SliderFloat",
            "label": f"{name} ({PARAMETERS[name].unit})",
            "value": float(spec.parameters[name]),
            "min": PARAMETERS[name].low,
            "max": PARAMETERS[name].high,
            "step": (PARAMETERS[name].high - PARAMETERS[name].low) / SLIDER_STEPS,
        }
        for name in names
    }
    seed = {"type": "SliderInt", "label": "Seed", "value": DEFAULT_SEED, "min": 0, "max": 9999}
    return {"spec": spec, "seed": {**seed, "step": 1}, **sliders}


def today(model: escalation.EscalationModel) -> dict | None:
    """The world's last simulated day: date, ladder rung and state (None before the first)."""
    if model.day == 0:
        return None
    rung = Rung(int(model.state["ladder"][0]))
    return {
        "date": model.dates[model.day - 1],
        "day": model.day,
        "rung": f"{rung.value}: {rung.label}",
        "escalation_index": float(model.state["escalation_index"][0]),
        "red_line_credibility": float(model.state["red_line_credibility"][0]),
        "iraqi_pressure": float(model.state["iraqi_pressure"][0]),
    }


EVENT_COLUMNS = ["actor", "group", "event_type", "target", "location", "us_killed", "notes"]


def events_today(model) -> pd.DataFrame:
    """The events of the world's last simulated day."""
    log = model.event_log()
    return log.loc[log["day"] == model.day - 1, EVENT_COLUMNS].reset_index(drop=True)


def history(model) -> pd.DataFrame:
    """Date, escalation index and ladder rung of every day so far."""
    frame = model.datacollector.get_model_vars_dataframe()
    return frame.assign(date=pd.to_datetime(model.dates[: len(frame)]))
