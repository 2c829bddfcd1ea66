"""EventBuffer: numbers and arrays laid out per event, the log sorted by world, day, order added."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from escalation.events.schema import COLUMNS, Actor, EventType
from escalation.model.eventlog import EventBuffer


def _buffer(days: list[int]) -> EventBuffer:
    """Three batches of events on ``days``, mixing per-event arrays and single numbers."""
    buffer = EventBuffer()
    buffer.add(
        [2, 0], days[0], Actor.MILITIA, EventType.ROCKET_ATTACK, projectiles=np.array([3, 5])
    )
    buffer.add([0], days[1], Actor.US, EventType.AIRSTRIKE, projectiles=7, us_killed=1)
    buffer.add(
        np.array([0, 2]), days[2], Actor.MILITIA, EventType.DRONE_ATTACK, projectiles=[11, 13]
    )
    return buffer


@pytest.mark.parametrize("days", [[1, 1, 4], [4, 1, 1]], ids=["day order", "out of day order"])
def test_frame_sorts_by_world_day_then_order_added(days):
    """Worked by hand: rows added (world, day, projectiles) are (2, d0, 3), (0, d0, 5),
    (0, d1, 7), (0, d2, 11), (2, d2, 13); sorted by world, day and the order added."""
    frame = _buffer(days).frame(dt.date(2021, 1, 1), world_offset=100)
    rows = sorted(
        [(2, days[0], 0, 3), (0, days[0], 1, 5), (0, days[1], 2, 7)]
        + [(0, days[2], 3, 11), (2, days[2], 4, 13)]
    )
    assert frame["world"].tolist() == [100 + r[0] for r in rows]
    assert frame["day"].tolist() == [r[1] for r in rows]
    assert frame["projectiles"].tolist() == [r[3] for r in rows]
    assert list(frame.columns) == [*COLUMNS, "world", "day"]
    killed = dict(zip(frame["projectiles"], frame["us_killed"], strict=True))
    assert killed == {3: 0, 5: 0, 7: 1, 11: 0, 13: 0}
    assert (frame["date"] - frame["date"].iloc[0]).dt.days.tolist() == [
        r[1] - rows[0][1] for r in rows
    ]


def test_empty_buffer_gives_empty_log_with_the_columns():
    frame = EventBuffer().frame(dt.date(2021, 1, 1))
    assert len(frame) == 0
    assert list(frame.columns) == [*COLUMNS, "world", "day"]
