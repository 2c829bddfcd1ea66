"""Daily counts of events, weekly sums and strike rounds: the one definition of each.

Observed logs and simulated logs are counted by the same functions, so a statistic means the
same thing on the record and on the model. A US strike round is a run of US airstrikes with gaps
of at most :data:`ROUND_GAP_DAYS` days (several sites struck on one night, as on 27 June 2021,
are one round: US network news report, 28 June 2021).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from escalation.events.schema import MILITIA_ATTACKS, Actor, EventType, severity

#: The scored series: militia attacks of any type (``actor == "militia"``).
MILITIA = "militia_attacks"
#: US strike rounds, each counted once, on its first day.
STRIKE_ROUNDS = "us_strike_rounds"
#: Airstrikes at most this many days after the previous US airstrike belong to the same round.
ROUND_GAP_DAYS = 2
#: Targets of militia attacks outside the modelled process. The model simulates attacks on US and
#: coalition forces, diplomats and supply convoys (:mod:`escalation.model.sites`); an attack on an
#: Iraqi leader or state institution, such as the 7 November 2021 drones on PM al-Kadhimi's
#: residence, is none of these: it crosses no US red line and is left out of every modelled
#: attack series (``docs/data.md``, coding rule 10), and counted apart.
OUTSIDE_MODEL_TARGET = re.compile(
    r"(?i)\biraqi (?:pm|prime minister|president|speaker|parliament|government)\b"
)


def outside_model(targets: pd.Series) -> np.ndarray:
    """Whether each target is one of :data:`OUTSIDE_MODEL_TARGET` (an empty target is not).

    The regular expression runs once per distinct target, so long simulated logs stay cheap.
    """
    codes, uniques = pd.factorize(targets)  # a missing target has code -1: not outside
    hit = np.array([OUTSIDE_MODEL_TARGET.search(str(t)) is not None for t in uniques], dtype=bool)
    return np.append(hit, False)[codes]


def modelled_attacks(events: pd.DataFrame) -> np.ndarray:
    """Mask of the militia attacks the model simulates: the one definition of an observed attack.

    A row counts when its actor is ``militia``, its type is one of
    :data:`~escalation.events.schema.MILITIA_ATTACKS`, and its target is not outside the model
    (:data:`OUTSIDE_MODEL_TARGET`; :func:`unmodelled_attacks` gives the rows left out).
    """
    return _militia_attack_rows(events) & ~outside_model_rows(events)


def unmodelled_attacks(events: pd.DataFrame) -> np.ndarray:
    """Mask of the militia attacks left out of the modelled series (on an outside target)."""
    return _militia_attack_rows(events) & outside_model_rows(events)


def _militia_attack_rows(events: pd.DataFrame) -> np.ndarray:
    """Rows with actor ``militia`` and a type in ``MILITIA_ATTACKS``, whatever the target."""
    check_columns(events)
    militia = events["actor"].astype(str).to_numpy() == Actor.MILITIA.value
    return militia & np.isin(events["event_type"].astype(str), [t.value for t in MILITIA_ATTACKS])


#: Days without any event beyond which a record is probably incomplete rather than quiet (a
#: forecast's history before its origin, a calibration window after the record's last event):
#: the longest gap between rows of the 2021-22 record is 44 days.
QUIET_HISTORY_DAYS = 120


def without_types(events: pd.DataFrame, types: Sequence[str]) -> pd.DataFrame:
    """The events whose ``event_type`` is none of ``types``: the record a forecast of the other
    attacks (:meth:`escalation.forecasting.Forecast.excluding`) is counted and scored against."""
    check_columns(events)
    return events[~events["event_type"].astype(str).isin(types)]


def outside_model_rows(events: pd.DataFrame) -> np.ndarray:
    """Whether each row's target is outside the model (no ``target`` column: none is)."""
    if "target" not in events.columns:
        return np.zeros(len(events), dtype=bool)
    return outside_model(events["target"])


def as_day(date) -> pd.Timestamp:
    """A date (``datetime.date``, string, Timestamp) as a midnight :class:`pandas.Timestamp`."""
    day = pd.Timestamp(date)
    if pd.isna(day):
        raise ValueError(f"expected a date, found {date!r}")
    return day.normalize()


def weekly_sums(daily: np.ndarray) -> np.ndarray:
    """Sum daily counts over weeks along the last axis; a final partial week is kept.

    ``daily`` of shape ``(..., days)`` gives ``(..., ceil(days / 7))``.
    """
    daily = np.asarray(daily)
    return np.add.reduceat(daily, np.arange(0, daily.shape[-1], 7), axis=-1)


def starts_new_round(gap_days: np.ndarray | int) -> np.ndarray:
    """Whether a US airstrike ``gap_days`` after the previous one starts a new strike round.

    The one rule behind every count of strike rounds (observed logs, simulated logs and the
    model's daily record): a gap of more than :data:`ROUND_GAP_DAYS` days starts a round.
    """
    return np.asarray(gap_days) > ROUND_GAP_DAYS


def strike_round_starts(events: pd.DataFrame) -> pd.DatetimeIndex:
    """First days of US strike rounds: US airstrikes chained by gaps of at most two days.

    A new round starts at a US ``airstrike`` more than :data:`ROUND_GAP_DAYS` days after the
    previous one (several sites struck on one night, as on 27 June 2021, are one round).
    """
    check_columns(events)
    strikes = (events["actor"] == Actor.US.value) & (
        events["event_type"] == EventType.AIRSTRIKE.value
    )
    days = pd.DatetimeIndex(pd.to_datetime(events.loc[strikes, "date"])).normalize()
    days = days.unique().sort_values()
    if len(days) == 0:
        return days
    gaps = starts_new_round(np.diff(days.to_numpy()) // np.timedelta64(1, "D"))
    return days[np.concatenate([[True], gaps])]


#: The casualty count columns, in the order :func:`escalation.events.severity` takes them.
CASUALTIES = ("us_killed", "us_injured", "others_killed")


def known_counts(events: pd.DataFrame, column: str) -> np.ndarray:
    """A count column as floats, an unknown (empty) count or a missing column as zero."""
    if column not in events.columns:
        return np.zeros(len(events))
    return pd.to_numeric(events[column], errors="coerce").fillna(0).to_numpy(dtype=float)


def day_offsets(events: pd.DataFrame, start, days: int):
    """Each event's day counted from ``start``, and whether it falls inside the window."""
    check_columns(events)
    offsets = (pd.to_datetime(events["date"]).dt.normalize() - as_day(start)).dt.days.to_numpy()
    return offsets, (offsets >= 0) & (offsets < days)


def daily_counts(events: pd.DataFrame, start, days: int) -> dict[str, np.ndarray]:
    """Daily counts of observed events over ``days`` days from ``start``.

    Parameters
    ----------
    events : pandas.DataFrame
        Canonical events (at least the ``date``, ``actor`` and ``event_type`` columns).
    start : date-like
        First day of the window.
    days : int
        Length of the window in days.

    Returns
    -------
    dict of str to numpy.ndarray
        Integer arrays of shape ``(days,)``: ``"militia_attacks"`` (the attacks the model
        simulates, :func:`modelled_attacks`, one per row), one series per militia attack type
        (``"rocket_attack"``, ...), ``"us_strike_rounds"`` (rounds
        counted on their first day, so a round that began before ``start`` is not counted),
        ``"return_fire"`` (US return fire), ``"us_killed"`` (Americans killed), ``"harm"``
        (Americans injured or killed and others killed by militia attacks). Unknown counts
        add nothing. Days without rows count zero: the frame is taken to cover the window.
    """
    start, days = as_day(start), check_days(days)
    offsets, inside = day_offsets(events, start, days)
    event_type = events["event_type"].astype(str).to_numpy()

    def count(mask: np.ndarray, weights=None) -> np.ndarray:
        keep = mask & inside
        w = None if weights is None else np.asarray(weights, dtype=float)[keep]
        return np.bincount(offsets[keep].astype(np.int64), weights=w, minlength=days).astype(
            np.int64
        )

    counts_as_attack = modelled_attacks(events)
    counts = {MILITIA: count(counts_as_attack)}
    for attack in MILITIA_ATTACKS:
        counts[attack.value] = count(counts_as_attack & (event_type == attack.value))
    round_offsets = (strike_round_starts(events) - start).days.to_numpy()
    kept = round_offsets[(round_offsets >= 0) & (round_offsets < days)]
    counts[STRIKE_ROUNDS] = np.bincount(kept.astype(np.int64), minlength=days)
    us = (events["actor"] == Actor.US.value).to_numpy()
    counts["return_fire"] = count(us & (event_type == EventType.RETURN_FIRE.value))
    killed, injured, others = (known_counts(events, c) for c in CASUALTIES)
    counts["us_killed"] = count(np.ones(len(events), dtype=bool), killed)
    counts["harm"] = count(counts_as_attack, injured + killed + others)
    return counts


def daily_severity(events: pd.DataFrame, start, days: int) -> np.ndarray:
    """Summed :func:`escalation.events.severity` of the events of each day of the window."""
    days = check_days(days)
    offsets, inside = day_offsets(events, start, days)
    killed, injured, others = (known_counts(events, c) for c in CASUALTIES)
    weights = severity(events["event_type"].astype(str).to_numpy(), killed, injured, others)
    return np.bincount(offsets[inside].astype(np.int64), weights=weights[inside], minlength=days)


def check_days(days) -> int:
    if isinstance(days, bool) or not isinstance(days, int | np.integer) or days < 1:
        raise ValueError(f"days must be a positive integer, found {days!r}")
    return int(days)


def check_columns(events: pd.DataFrame) -> None:
    missing = [c for c in ("date", "actor", "event_type") if c not in events.columns]
    if missing:
        raise ValueError(
            f"events frame lacks column(s) {missing}; expected the canonical columns "
            "(see escalation.events.schema.COLUMNS)"
        )
