"""The agent-based model: parameters, scenarios, policies, agents, streams, the Mesa model.

Submodules: :mod:`.parameters` (every parameter, declared once with unit, range, prior and
source), :mod:`.scenario` (TOML scenarios), :mod:`.policies` (one class per policy),
:mod:`.agents` (the five actors), :mod:`.sites` (where militias attack, and what counts as
an attack on US personnel), :mod:`.streams` (named per-world random draws),
:mod:`.ladder` (escalation index and ladder), :mod:`.eventlog`, :mod:`.replay` (observed
history forced into the agents) and :mod:`.model` (:class:`~.model.EscalationModel`).
Importing this package does not import Mesa; :mod:`.model` and :mod:`.agents` do.
"""
