"""The few library names the dashboard needs beyond ``escalation``'s top-level API.

Kept in one module so that, when these are re-exported from ``escalation``, only this
file changes.
"""

from escalation.ensemble import posterior_path
from escalation.metrics import Rung
from escalation.parameters import PARAMETERS
from escalation.plotting import fan_chart

__all__ = ["PARAMETERS", "Rung", "fan_chart", "posterior_path"]
