"""Exceptions raised on bad input, so callers can tell data problems from bugs.

Both derive from :class:`ValueError`: code that already catches ``ValueError``
keeps working, and code that wants to report a bad file or scenario precisely
can catch the narrower class.
"""


class EventDataError(ValueError):
    """An event file or frame breaks the canonical schema (message names file, line, column)."""


class ScenarioError(ValueError):
    """A scenario file or object is invalid (message names the field and what was expected)."""


class CheckpointError(ValueError):
    """A checkpoint cannot be resumed or written: not a checkpoint, another kind or format, made
    by another configuration or seed, or its folder missing (message names the file and why)."""
