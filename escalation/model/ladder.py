"""How far up it went: the escalation index and ladder, for simulated and observed days alike.

The Goldstein scale saturates at -10 (:mod:`escalation.events.schema`), so "how escalated is
this day" is measured two ways here:

- the *escalation index*: a decaying sum of the severity of recent events (half-life
  :data:`INDEX_HALFLIFE` days), in severity points;
- the *ladder*: a rung from calm to open war, in the spirit of Kahn's escalation ladder
  (Kahn 1965, *On Escalation: Metaphors and Scenarios*), defined by what happened in
  the trailing days (:func:`ladder_rung`). Each rung names a qualitative step the
  seed articles discuss: harassment ("ant bites"), casualties, reprisal (a strike
  round), the old red line ("the killing of an American"), a campaign, open war.

Both are computed by the same functions from daily counts, so the model's daily record
and an observed event log (:func:`daily_record`, from
:func:`escalation.forecasting.daily_counts`) are measured alike.
"""

from __future__ import annotations

import enum
import math

import numpy as np
import pandas as pd

from escalation.events.counts import daily_counts, daily_severity

INDEX_HALFLIFE = 7.0
#: Days of history the ladder looks back over (harassment uses the shorter window).
LADDER_WINDOW = 30
ACTIVITY_WINDOW = 14


class Rung(enum.IntEnum):
    """Rungs of the escalation ladder, lowest first."""

    CALM = 0  # no hostile act in the last 14 days
    HARASSMENT = 1  # militia attacks in the last 14 days, nobody hurt in the last 30
    CASUALTIES = 2  # Americans injured, or anyone killed by militia attacks, in 30 days
    REPRISAL = 3  # a US strike round or return fire in the last 30 days
    LETHAL_EXCHANGE = 4  # an American killed, or two US strike rounds, in 30 days
    CAMPAIGN = 5  # three or more US strike rounds in 30 days
    OPEN_WAR = 6  # five or more strike rounds, or three or more Americans killed, in 30 days

    @property
    def label(self) -> str:
        return self.name.replace("_", " ").lower()


def ladder_rung(attacks14, harm30, responses30, rounds30, killed30) -> np.ndarray:
    """The ladder rung (int8 array) from trailing-window counts.

    ``attacks14``: militia attacks in the last 14 days; ``harm30``: Americans injured plus
    anyone killed by militia attacks in 30 days; ``responses30``: US strike rounds plus
    return fire in 30 days; ``rounds30``: US strike rounds in 30 days; ``killed30``:
    Americans killed in 30 days.
    """
    rounds30, killed30 = np.asarray(rounds30), np.asarray(killed30)
    rung = np.array(np.asarray(attacks14) > 0, dtype=np.int8)  # CALM or HARASSMENT
    # Higher rungs overwrite lower ones.
    rung[np.asarray(harm30) > 0] = Rung.CASUALTIES
    rung[np.asarray(responses30) > 0] = Rung.REPRISAL
    rung[(killed30 > 0) | (rounds30 >= 2)] = Rung.LETHAL_EXCHANGE
    rung[rounds30 >= 3] = Rung.CAMPAIGN
    rung[(rounds30 >= 5) | (killed30 >= 3)] = Rung.OPEN_WAR
    return rung


def index_decay(halflife: float = INDEX_HALFLIFE) -> float:
    """Daily decay factor of the escalation index."""
    return math.exp(-math.log(2.0) / halflife)


class RollingSum:
    """Trailing-window sums of daily counts for many worlds, updated one day at a time."""

    def __init__(self, n_worlds: int, window: int):
        self.window = window
        self.buffer = np.zeros((window, n_worlds))
        self.total = np.zeros(n_worlds)
        self.day = 0

    def push(self, today: np.ndarray) -> np.ndarray:
        """Add today's counts, drop those older than the window, return the sums."""
        slot = self.day % self.window
        self.total += today - self.buffer[slot]
        self.buffer[slot] = today
        self.day += 1
        return self.total


class Ladder:
    """The ladder and escalation index, advanced day by day from daily counts."""

    def __init__(self, n_worlds: int):
        self.attacks = RollingSum(n_worlds, ACTIVITY_WINDOW)
        self.harm = RollingSum(n_worlds, LADDER_WINDOW)
        self.responses = RollingSum(n_worlds, LADDER_WINDOW)
        self.rounds = RollingSum(n_worlds, LADDER_WINDOW)
        self.killed = RollingSum(n_worlds, LADDER_WINDOW)
        self.index = np.zeros(n_worlds)
        self.decay = index_decay()

    def advance(
        self,
        attacks: np.ndarray,
        harm: np.ndarray,
        responses: np.ndarray,
        rounds: np.ndarray,
        killed: np.ndarray,
        day_severity: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Push one day's counts; return (rung, escalation index)."""
        self.index = self.index * self.decay + day_severity
        rung = ladder_rung(
            self.attacks.push(attacks),
            self.harm.push(harm),
            self.responses.push(responses),
            self.rounds.push(rounds),
            self.killed.push(killed),
        )
        return rung, self.index


def daily_record(events: pd.DataFrame, start, days: int) -> pd.DataFrame:
    """The ladder rung and escalation index of an observed event log, day by day."""
    counts = daily_counts(events, start, days)
    counts["severity"] = daily_severity(events, start, days)
    rounds = counts["us_strike_rounds"]
    responses = rounds + counts["return_fire"]
    ladder = Ladder(1)
    rows = []
    for d in range(days):
        rung, index = ladder.advance(
            counts["militia_attacks"][d : d + 1],
            counts["harm"][d : d + 1],
            responses[d : d + 1],
            rounds[d : d + 1],
            counts["us_killed"][d : d + 1],
            counts["severity"][d : d + 1],
        )
        rows.append((int(rung[0]), float(index[0])))
    out = pd.DataFrame(rows, columns=["ladder", "escalation_index"])
    out.insert(0, "date", pd.date_range(pd.Timestamp(start).normalize(), periods=days, freq="D"))
    return out
