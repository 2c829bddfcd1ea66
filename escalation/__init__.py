"""escalation: attacks and reprisals between US forces, Iran-backed militias, Israel and Baghdad.

An agent-based model (Mesa) whose actors follow policies drawn from reporting on the 2021
exchanges, run as batches of worlds in lockstep, calibrated on the observed 2021 sequence.
"""

__version__ = "0.1.0"
