"""escalation: attacks and reprisals between US forces, Iran-backed militias, Israel and Baghdad.

An agent-based model (Mesa) whose actors follow policies drawn from reporting on the 2021
exchanges, run as batches of worlds in lockstep, calibrated on the observed 2021 sequence
and scored against statistical baselines.

Public names and submodules are loaded on first use (PEP 562, as scientific-python SPEC 1
asks), so ``import escalation`` stays cheap and does not import Mesa (which sets the
multiprocessing start method) until a model is needed. No name is both a function and a
module: ``escalation.forecast`` is the function, ``escalation.forecasting`` its module.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: Public name -> the module that defines it.
_PUBLIC = {
    "EventDataError": "escalation.errors",
    "ScenarioError": "escalation.errors",
    "EventType": "escalation.events.schema",
    "Actor": "escalation.events.schema",
    "load_events": "escalation.events.io",
    "validate_events": "escalation.events.io",
    "load_acled": "escalation.events.acled",
    "AcledRowsSetAside": "escalation.events.acled",
    "summarize": "escalation.events.statistics",
    "summary_statistics": "escalation.events.statistics",
    "Scenario": "escalation.model.scenario",
    "list_scenarios": "escalation.model.scenario",
    "EscalationModel": "escalation.model.model",
    "Rung": "escalation.model.ladder",
    "run_ensemble": "escalation.ensemble",
    "EnsembleResult": "escalation.ensemble",
    "calibrate": "escalation.inference.calibration",
    "calibrate_pooled": "escalation.inference.pooled",
    "loglik": "escalation.inference.likelihood",
    "posterior_predictive": "escalation.inference.calibration",
    "Posterior": "escalation.inference.posterior",
    "forecast": "escalation.forecasting",
    "Forecast": "escalation.forecasting",
    "score": "escalation.scoring",
    "compare_scenarios": "escalation.compare",
    "validate": "escalation.validation",
}

#: Submodules reachable as attributes of the package, imported on first use.
_SUBMODULES = (
    "baselines",
    "cli",
    "compare",
    "ensemble",
    "errors",
    "events",
    "forecasting",
    "inference",
    "model",
    "plotting",
    "provenance",
    "scoring",
    "validation",
)

__all__ = sorted(_PUBLIC) + ["__version__"]


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        value = getattr(importlib.import_module(_PUBLIC[name]), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"escalation.{name}")
    else:
        raise AttributeError(f"module 'escalation' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(__all__) | set(_SUBMODULES))
