"""escalation: attacks and reprisals between US forces, Iran-backed militias, Israel and Baghdad.

An agent-based model (Mesa) whose actors follow policies drawn from reporting on the 2021
exchanges, run as batches of worlds in lockstep, calibrated on the observed 2021 sequence
and scored against statistical baselines.

The public names below are loaded on first use (PEP 562), so ``import escalation`` stays
cheap and does not import Mesa (which sets the multiprocessing start method) until a model
is needed.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_PUBLIC = {
    "EventDataError": "escalation.errors",
    "ScenarioError": "escalation.errors",
    "EventType": "escalation.events",
    "Actor": "escalation.events",
    "load_events": "escalation.observed",
    "load_acled": "escalation.observed",
    "validate_events": "escalation.observed",
    "summarize": "escalation.observed",
    "summary_statistics": "escalation.observed",
    "Scenario": "escalation.scenario",
    "list_scenarios": "escalation.scenario",
    "EscalationModel": "escalation.model",
    "run_ensemble": "escalation.ensemble",
    "EnsembleResult": "escalation.ensemble",
    "calibrate": "escalation.calibration",
    "posterior_predictive": "escalation.calibration",
    "Posterior": "escalation.posterior",
    "forecast": "escalation.forecast",
    "Forecast": "escalation.forecasting",
    "score": "escalation.scoring",
    "compare_scenarios": "escalation.compare",
}

__all__ = sorted(_PUBLIC) + ["__version__"]


def __getattr__(name: str):
    if name in _PUBLIC:
        value = getattr(importlib.import_module(_PUBLIC[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'escalation' has no attribute {name!r}")


def __dir__():
    return __all__
