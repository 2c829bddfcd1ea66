"""Summary statistics of event logs, observed or simulated.

:func:`summarize` and :func:`summary_statistics` reduce a log to what calibration compares.

Observed and simulated logs go through the same code: a simulated log is a canonical log plus an
integer ``world`` column (and ``day``, 0 = the window's first day); an observed log has no
``world`` column and is treated as world 0.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence

import numpy as np
import pandas as pd

from escalation.errors import EventDataError
from escalation.events.counts import outside_model_rows, starts_new_round
from escalation.events.io import CHOICES, as_text, show_value
from escalation.events.schema import (
    ACTORS,
    EVENT_TYPES,
    MILITIA_ATTACKS,
    Actor,
    EventType,
    severity,
)
from escalation.runtime import DateLike

#: The episode statistics of :func:`summary_statistics` (Abrahams et al. 2020, "Mostly
#: Deterred"), which ensemble and comparison tables carry under the same names.
EPISODE_STATISTICS = (
    "episodes",
    "episode_length_mean",
    "quiet_mean",
    "unanswered_share",
    "chain_length_max",
    "chain_length_mean",
    "strike_lag_mean",
)
#: How far back (days) the trigger of a strike round is looked for.
TRIGGER_LOOKBACK_DAYS = 30
_TYPE_CODE = {t: code for code, t in enumerate(EVENT_TYPES)}
_ACTOR_CODE = {a: code for code, a in enumerate(ACTORS)}
# Lookup tables: is the event type (actor) with this code a militia attack (strike, striker)?
_IS_ATTACK = np.isin(np.arange(len(EVENT_TYPES)), [_TYPE_CODE[t] for t in MILITIA_ATTACKS])
_IS_STRIKE = np.isin(
    np.arange(len(EVENT_TYPES)),
    [_TYPE_CODE[EventType.AIRSTRIKE], _TYPE_CODE[EventType.RETURN_FIRE]],
)
_IS_STRIKER = np.isin(
    np.arange(len(ACTORS)), [_ACTOR_CODE[a] for a in (Actor.US, Actor.ISRAEL, Actor.UNKNOWN)]
)
_CASUALTIES = ("us_killed", "us_injured", "others_killed")
# Sides of an act-day in a retaliation chain (bit flags; BOTH = MILITIA | STATE).
_MILITIA_SIDE, _STATE_SIDE, _BOTH_SIDES = 1, 2, 3


@dataclasses.dataclass(frozen=True)
class _Log:
    """The in-window events of a batch of worlds as arrays, sorted by (world, day)."""

    world_ids: np.ndarray
    start: pd.Timestamp
    n_days: int
    months: tuple[str, ...]
    world: np.ndarray  # index into world_ids
    day: np.ndarray  # 0 = start
    month: np.ndarray  # index into months
    actor: np.ndarray  # code into escalation.events.schema.ACTORS
    etype: np.ndarray  # code into escalation.events.schema.EVENT_TYPES
    us_killed: np.ndarray  # float, NaN = unknown
    us_injured: np.ndarray
    others_killed: np.ndarray
    outside_model: np.ndarray  # bool: target outside the model (counts.OUTSIDE_MODEL_TARGET)

    def keys(self, mask, reach: int = 0) -> np.ndarray:
        """Sorted (world, day) integer keys of the rows in ``mask``.

        Worlds are ``n_days + reach`` apart, so ``key .. key + reach`` stays in one world.
        """
        return self.world[mask] * (self.n_days + reach) + self.day[mask]

    def is_(self, actor: Actor, event_type: EventType) -> np.ndarray:
        return (self.actor == _ACTOR_CODE[actor]) & (self.etype == _TYPE_CODE[event_type])

    @functools.cached_property
    def militia_attack_row(self) -> np.ndarray:
        """Militia attack rows, whatever their target."""
        return (self.actor == _ACTOR_CODE[Actor.MILITIA]) & _IS_ATTACK[self.etype]

    @functools.cached_property
    def militia_attack(self) -> np.ndarray:
        """The militia attacks the model simulates (``counts.modelled_attacks``)."""
        return self.militia_attack_row & ~self.outside_model

    @functools.cached_property
    def unmodelled_attack(self) -> np.ndarray:
        """Militia attacks on targets outside the model, left out of every attack statistic."""
        return self.militia_attack_row & self.outside_model

    @functools.cached_property
    def state_strike(self) -> np.ndarray:
        return _IS_STRIKER[self.actor] & _IS_STRIKE[self.etype]

    @functools.cached_property
    def us_response(self) -> np.ndarray:
        return (self.actor == _ACTOR_CODE[Actor.US]) & _IS_STRIKE[self.etype]


def _codes(series: pd.Series, values: Sequence[str], column: str) -> np.ndarray:
    """Integer codes of ``series`` in ``values``; unknown values raise EventDataError."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    # Enum members are matched by their value (they hash unlike plain strings).
    lookup = pd.Index(list(values)).get_indexer(pd.Index([str(u) for u in uniques]))
    mapped = np.append(lookup, -1)[codes]  # code -1 (missing) maps to -1
    bad = np.flatnonzero(mapped < 0)
    if bad.size:
        raise EventDataError(
            f"event log, row {series.index[bad[0]]}, column '{column}': found "
            f"{show_value(as_text(series.iloc[bad[:1]])[0])}, expected one of {', '.join(values)}"
        )
    return mapped.astype(np.int8)


def _world_ids(raw: np.ndarray, worlds, has_world: bool) -> np.ndarray:
    if worlds is None:
        return np.unique(raw) if has_world else np.zeros(1, dtype=np.int64)
    if isinstance(worlds, (int, np.integer)):
        return np.arange(int(worlds), dtype=np.int64)
    return np.unique(np.asarray(worlds, dtype=np.int64))


def _prepare(events: pd.DataFrame, start, end, worlds) -> _Log:
    """Arrays of the events in [start, end] (whole days, both ends included)."""
    missing = [c for c in ("date", "actor", "event_type", *_CASUALTIES) if c not in events]
    if missing:
        raise EventDataError(
            f"event log: missing column '{missing[0]}'; summaries need date, actor, "
            f"event_type and {', '.join(_CASUALTIES)}"
        )
    dates = events["date"]
    if not pd.api.types.is_datetime64_any_dtype(dates.dtype):
        dates = pd.to_datetime(dates, format="%Y-%m-%d")
    days = dates.to_numpy().astype("datetime64[D]")
    if np.isnat(days).any():
        raise EventDataError("event log, column 'date': found a missing date, expected a date")
    if start is None or end is None:
        if days.size == 0:
            raise ValueError("cannot infer the window of an empty log: pass start and end")
        start = days.min() if start is None else start
        end = days.max() if end is None else end
    first = np.datetime64(pd.Timestamp(start).normalize().date(), "D")
    last = np.datetime64(pd.Timestamp(end).normalize().date(), "D")
    if last < first:
        raise ValueError(f"end ({last}) is before start ({first})")

    has_world = "world" in events
    if has_world and not pd.api.types.is_integer_dtype(events["world"].dtype):
        raise EventDataError(
            f"event log, column 'world': found dtype {events['world'].dtype}, expected integers"
        )
    raw_world = (
        events["world"].to_numpy(dtype=np.int64) if has_world else np.zeros(len(events), np.int64)
    )
    ids = _world_ids(raw_world, worlds, has_world)
    index = np.searchsorted(ids, raw_world)
    known = index < ids.size
    known[known] = ids[index[known]] == raw_world[known]
    if not known.all():
        raise ValueError(f"world {raw_world[~known][0]} is in the log but not in worlds={worlds}")

    day = (days - first).astype(np.int64)
    n_days = int((last - first).astype(np.int64)) + 1
    rows = np.flatnonzero((day >= 0) & (day < n_days))
    key = index[rows] * n_days + day[rows]
    if key.size and (key[1:] < key[:-1]).any():  # simulated logs usually come sorted
        rows = rows[np.argsort(key, kind="stable")]
    day = day[rows]
    month0 = first.astype("datetime64[M]")
    n_months = int((last.astype("datetime64[M]") - month0).astype(np.int64)) + 1
    counts = {c: events[c].to_numpy(dtype=float, na_value=np.nan)[rows] for c in _CASUALTIES}
    outside = outside_model_rows(events)[rows]
    return _Log(
        world_ids=ids,
        start=pd.Timestamp(first),
        n_days=n_days,
        months=tuple(str(month0 + np.timedelta64(m, "M")) for m in range(n_months)),
        world=index[rows],
        day=day,
        month=((first + day.astype("timedelta64[D]")).astype("datetime64[M]") - month0).astype(
            np.int64
        ),
        actor=_codes(events["actor"], CHOICES["actor"], "actor")[rows],
        etype=_codes(events["event_type"], CHOICES["event_type"], "event_type")[rows],
        **counts,
        outside_model=outside,
    )


def _group_starts(keys: np.ndarray) -> np.ndarray:
    """Positions where a new value starts in a sorted array."""
    return np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if keys.size else keys[:0]


def _group_ends(starts: np.ndarray, size: int) -> np.ndarray:
    """Last positions of the groups starting at ``starts`` in an array of ``size``."""
    return np.r_[starts[1:], size][: starts.size] - 1


def _mean_by(groups: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Mean of the non-NaN ``values`` per group 0..n-1; NaN for groups without any."""
    ok = ~np.isnan(values)
    total = np.bincount(groups[ok], weights=values[ok], minlength=n)
    count = np.bincount(groups[ok], minlength=n)
    return np.divide(total, count, out=np.full(n, np.nan), where=count > 0)


def _max_by(groups: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Max of ``values`` per group 0..n-1 (``groups`` sorted); NaN for empty groups."""
    out = np.full(n, np.nan)
    starts = _group_starts(groups)
    if starts.size:
        out[groups[starts]] = np.maximum.reduceat(values, starts)
    return out


def _strike_rounds(log: _Log) -> dict[str, np.ndarray]:
    """US strike rounds and their triggers (see :func:`summarize` for the definitions)."""
    strike = log.is_(Actor.US, EventType.AIRSTRIKE)
    world, day = log.world[strike], log.day[strike]
    new = np.ones(world.size, dtype=bool)
    new[1:] = (world[1:] != world[:-1]) | starts_new_round(day[1:] - day[:-1])
    starts = np.flatnonzero(new)
    ends = _group_ends(starts, world.size)
    first, round_world = day[starts], world[starts]

    attack = log.militia_attack
    hurt = severity(
        log.etype[attack], log.us_killed[attack], log.us_injured[attack], log.others_killed[attack]
    )
    keys = log.keys(attack)
    lag = np.full(first.size, np.nan)
    if keys.size:
        day_starts = _group_starts(keys)
        day_keys, day_worst = keys[day_starts], np.maximum.reduceat(hurt, day_starts)
        # The attack days in [r - 30, r] of each round, as columns of a padded matrix.
        round_key = round_world * log.n_days + first
        low = np.maximum(round_key - TRIGGER_LOOKBACK_DAYS, round_world * log.n_days)
        lo = np.searchsorted(day_keys, low)
        hi = np.searchsorted(day_keys, round_key, side="right")
        candidate = lo[:, None] + np.arange(max(int((hi - lo).max(initial=0)), 1))
        inside = candidate < hi[:, None]
        candidate = np.minimum(candidate, day_keys.size - 1)
        worst = np.where(inside, day_worst[candidate], -np.inf)
        found = inside[:, 0]
        # argmax over reversed columns: the latest of the most severe days.
        pick = worst.shape[1] - 1 - np.argmax(worst[:, ::-1], axis=1)
        trigger = day_keys[candidate[np.arange(first.size), pick]]
        lag[found] = (round_key - trigger)[found]
    return {
        "world": round_world,
        "first": first,
        "last": day[ends],
        "sites": ends - starts + 1,
        "trigger": first - lag,
        "lag": lag,
    }


def _episodes(log: _Log, gap: int) -> dict[str, np.ndarray]:
    """Episodes of hostile acts, their retaliation chains, and the quiet times between."""
    hostile = log.militia_attack | log.state_strike
    side = np.where(log.militia_attack[hostile], _MILITIA_SIDE, _STATE_SIDE)
    keys = log.keys(hostile)
    starts = _group_starts(keys)
    act_world, act_day = log.world[hostile][starts], log.day[hostile][starts]
    acts = np.diff(np.r_[starts, keys.size])
    sides = np.bitwise_or.reduceat(side, starts) if starts.size else side[:0]

    new = np.ones(starts.size, dtype=bool)
    new[1:] = (act_world[1:] != act_world[:-1]) | (act_day[1:] - act_day[:-1] > gap)
    first = np.flatnonzero(new)
    last = _group_ends(first, starts.size)
    episode = np.cumsum(new) - 1
    # A chain continues while the side changes; a day when both sides act always continues it.
    turn = np.zeros(starts.size, dtype=bool)
    turn[1:] = ~new[1:] & (
        (sides[1:] != sides[:-1]) | (sides[1:] == _BOTH_SIDES) | (sides[:-1] == _BOTH_SIDES)
    )
    chain_starts = np.flatnonzero(~turn)
    chain_length = np.diff(np.r_[chain_starts, starts.size])
    chain_episode = episode[chain_starts]
    longest = (
        np.maximum.reduceat(chain_length, _group_starts(chain_episode))
        if first.size
        else np.zeros(0, dtype=np.int64)
    )

    ep_world = act_world[first]
    following = ep_world[1:] == ep_world[:-1]
    return {
        "world": ep_world,
        "first": act_day[first],
        "last": act_day[last],
        "acts": np.add.reduceat(acts, first) if first.size else acts[:0],
        "chain": np.asarray(longest, dtype=np.int64),
        "quiet_world": ep_world[1:][following],
        "quiet": (act_day[first][1:] - act_day[last][:-1] - 1)[following],
    }


def _israeli_strike_worlds(log: _Log) -> np.ndarray:
    """The world of each Israeli strike: one per world and day with Israeli airstrikes.

    The model strikes at most once a day (the Israel agent), and one night's wave on several
    sites is one strike however many rows the record gives it (the 13 January 2021 wave: three
    rows, ``docs/data.md`` rule 3), so observed and simulated counts mean the same thing.
    """
    strike = log.is_(Actor.ISRAEL, EventType.AIRSTRIKE)
    return log.world[strike][_group_starts(log.keys(strike))]


def _unanswered(log: _Log, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Provocations per world and how many were not answered within ``window`` days."""
    attack = log.militia_attack
    provoked = log.keys(attack, reach=window)
    answers = log.keys(log.us_response, reach=window)
    at = np.searchsorted(answers, provoked)
    answered = at < answers.size
    answered[answered] = answers[at[answered]] <= provoked[answered] + window
    n = log.world_ids.size
    world = log.world[attack]
    return np.bincount(world, minlength=n), np.bincount(world[~answered], minlength=n)


@dataclasses.dataclass(frozen=True)
class _Analysis:
    log: _Log
    rounds: dict[str, np.ndarray]
    episodes: dict[str, np.ndarray]
    statistics: pd.DataFrame


def _analyse(log: _Log, gap: int, window: int, breaks: Sequence[int] = ()) -> _Analysis:
    if gap < 0 or window < 0:
        raise ValueError(f"gap and window must be >= 0 days, got gap={gap}, window={window}")
    n = log.world_ids.size
    attack = log.militia_attack

    def count(mask):
        return np.bincount(log.world[mask], minlength=n)

    stats: dict[str, np.ndarray] = {"attacks_total": count(attack)}
    for event_type in MILITIA_ATTACKS:
        stats[f"attacks_{event_type.value}"] = count(attack & (log.etype == _TYPE_CODE[event_type]))
    n_months = len(log.months)
    by_month = np.bincount(
        log.world[attack] * n_months + log.month[attack], minlength=n * n_months
    ).reshape(n, n_months)
    for m, label in enumerate(log.months):
        stats[f"attacks_month_{label}"] = by_month[:, m]
    by_day = np.bincount(
        log.world[attack] * log.n_days + log.day[attack], minlength=n * log.n_days
    ).reshape(n, log.n_days)
    by_week = np.add.reduceat(by_day, np.arange(0, log.n_days, 7), axis=1)
    n_weeks = by_week.shape[1]
    stats["attacks_weekly_sd"] = by_week.std(axis=1, ddof=1) if n_weeks > 1 else np.full(n, np.nan)
    stats["attacks_busy_day_share"] = (by_day >= 2).mean(axis=1)
    if breaks:
        edges = [0, *breaks, log.n_days]
        for first, stop in zip(edges[:-1], edges[1:], strict=True):
            label = (log.start + pd.Timedelta(days=first)).date().isoformat()
            stats[f"attacks_daily_rate_from_{label}"] = by_day[:, first:stop].mean(axis=1)
    stats["attacks_outside_model"] = count(log.unmodelled_attack)

    rounds = _strike_rounds(log)
    stats["strike_rounds"] = np.bincount(rounds["world"], minlength=n)
    stats["return_fire"] = count(log.is_(Actor.US, EventType.RETURN_FIRE))
    stats["strike_lag_mean"] = _mean_by(rounds["world"], rounds["lag"], n)
    for column in _CASUALTIES:
        stats[column] = np.bincount(
            log.world, weights=np.nan_to_num(getattr(log, column)), minlength=n
        )
    stats["israeli_strikes"] = np.bincount(_israeli_strike_worlds(log), minlength=n)

    episodes = _episodes(log, gap)
    length = (episodes["last"] - episodes["first"] + 1).astype(float)
    stats["episodes"] = np.bincount(episodes["world"], minlength=n)
    stats["episode_length_mean"] = _mean_by(episodes["world"], length, n)
    stats["quiet_mean"] = _mean_by(episodes["quiet_world"], episodes["quiet"].astype(float), n)
    provocations, unanswered = _unanswered(log, window)
    stats["unanswered_share"] = np.divide(
        unanswered, provocations, out=np.full(n, np.nan), where=provocations > 0
    )
    chain = episodes["chain"].astype(float)
    stats["chain_length_max"] = _max_by(episodes["world"], chain, n)
    stats["chain_length_mean"] = _mean_by(episodes["world"], chain, n)
    table = pd.DataFrame(stats, index=pd.Index(log.world_ids, name="world"), dtype=float)
    return _Analysis(log, rounds, episodes, table)


def summary_statistics(
    events: pd.DataFrame,
    start: DateLike,
    end: DateLike,
    gap: int = 7,
    window: int = 14,
    worlds: int | Sequence[int] | None = None,
    breaks: Sequence[DateLike] = (),
) -> pd.DataFrame:
    """The scalar summary statistics of every world in a log, vectorized over worlds.

    These are the calibration targets; each is defined in :func:`summarize`, whose
    ``statistics`` is the row of this table for its single world.

    Parameters
    ----------
    events : pandas.DataFrame
        A canonical log (as from :func:`load_events` or :func:`validate_events`) or a
        simulated one; needs ``date``, ``actor``, ``event_type``, ``us_killed``,
        ``us_injured`` and ``others_killed``, plus an integer ``world`` column for
        several worlds (no ``world`` column: one world, id 0). Rows outside
        [start, end] are ignored.
    start, end : date-like
        First and last day of the window (both included).
    gap : int
        Days allowed between consecutive act days of one episode.
    window : int
        Days after a militia attack within which a US response answers it.
    worlds : int or sequence of int, optional
        The worlds to report: a count ``n`` (ids 0..n-1) or the ids. Worlds without
        events get a row too. Default: the worlds present in ``events``.
    breaks : sequence of date-like
        Days on which a regime starts (a scenario's timeline entries that change the model,
        such as the 26 July 2021 agreement): with any inside the window, the table also has
        ``attacks_daily_rate_from_<YYYY-MM-DD>``, the militia attacks per day from the
        window's start and from each break to the next. Breaks outside the window are ignored.

    Returns
    -------
    pandas.DataFrame
        Index ``world`` (sorted ids), float columns: ``attacks_total``,
        ``attacks_<type>`` for each militia attack type, ``attacks_month_<YYYY-MM>`` for
        each calendar month touching the window, ``attacks_weekly_sd``,
        ``attacks_busy_day_share`` (share of the window's days with two or more attacks),
        ``attacks_outside_model``,
        ``strike_rounds``, ``return_fire``, ``strike_lag_mean``, ``us_killed``,
        ``us_injured``, ``others_killed``, ``israeli_strikes``, ``episodes``,
        ``episode_length_mean``, ``quiet_mean``, ``unanswered_share``,
        ``chain_length_max``, ``chain_length_mean``; NaN where undefined.
    """
    log = _prepare(events, start, end, worlds)
    return _analyse(log, gap, window, _break_days(log, breaks)).statistics


def _break_days(log: _Log, breaks: Sequence[DateLike]) -> list[int]:
    """The days (from the window's start) of the breaks inside the window, sorted, unique."""
    days = {(pd.Timestamp(b).normalize() - log.start).days for b in breaks}
    return sorted(d for d in days if 0 < d < log.n_days)


@dataclasses.dataclass(frozen=True)
class Summary:
    """Tables and statistics of one event log (see :func:`summarize`)."""

    start: pd.Timestamp
    end: pd.Timestamp
    weekly: pd.DataFrame
    monthly: pd.DataFrame
    strike_rounds: pd.DataFrame
    casualties: pd.DataFrame
    israeli_strikes: int
    episodes: pd.DataFrame
    statistics: pd.Series

    def __repr__(self) -> str:
        """The tables in full (weekly counts by reference only), readable with ``print``."""
        number = "{:.4g}".format
        parts = [
            f"Summary of {self.start.date()} to {self.end.date()} "
            f"({len(self.weekly)} weeks in .weekly, {len(self.episodes)} episodes in .episodes)",
            "Monthly counts:\n" + self.monthly.to_string(),
            "US strike rounds:\n" + self.strike_rounds.to_string(index=False),
            "Casualties:\n" + self.casualties.to_string(),
            f"Israeli strikes: {self.israeli_strikes}",
            "Militia attacks outside the model (left out of the statistics): "
            f"{int(self.statistics['attacks_outside_model'])}",
            "Statistics:\n" + self.statistics.to_string(float_format=number),
        ]
        return "\n\n".join(parts)


def summarize(
    events: pd.DataFrame,
    start: DateLike | None = None,
    end: DateLike | None = None,
    gap: int = 7,
    window: int = 14,
) -> Summary:
    """Summarize one event log: counts, strike rounds, casualties, episodes, statistics.

    Only events from ``start`` to ``end`` (whole days, both included) count; day d is
    d days after ``start``. Definitions:

    * **Militia attack**: a row with actor ``militia`` and a type in
      ``escalation.events.schema.MILITIA_ATTACKS`` (rocket, drone, IED, other attack,
      interception only) whose target is one the model simulates
      (``escalation.events.counts.modelled_attacks``). An attack on an Iraqi leader or state
      institution (``escalation.events.counts.OUTSIDE_MODEL_TARGET``: the 7 November 2021
      drones on the prime minister's residence) is left out of every statistic and counted
      apart as ``attacks_outside_model``.
    * **US strike round**: US ``airstrike`` rows taken in date order; an airstrike
      within 2 days of the previous one joins its round (the three sites struck on
      27 June 2021 are one round). US ``return_fire`` rows are counted apart.
    * **Strike lag**: the trigger of a round that starts on day r is the most severe
      militia attack (``escalation.events.severity``; unknown counts add nothing) on
      days r-30 .. r, the latest one on ties; lag = r - trigger day; NaN if none.
    * **Israeli strikes**: days with ``airstrike`` rows by actor ``Israel`` (attributed or
      not), one per day however many sites were hit: the model's Israel strikes at most once
      a day, and the record gives a wave on several sites one row per site (the 13 January
      2021 wave is three rows, one strike). Strikes by unknown aircraft are not counted.
    * **Hostile acts**: militia attacks, plus ``airstrike`` and ``return_fire`` rows by
      the US, Israel or an unknown actor (the state side).
    * **Episode** (episode statistics as the project's design guide specifies them,
      after Abrahams et al. 2020, "Mostly Deterred"): a maximal run of days with
      hostile acts, each act day at most ``gap`` days after the previous one. Length =
      last day - first day + 1; quiet time = the days strictly between consecutive
      episodes (none before the first or after the last).
    * **Provocation**: a militia attack on day d. It is answered if a US airstrike or
      return fire falls on a day in [d, d + ``window``]. Unanswered share = unanswered
      / provocations, NaN without provocations.
    * **Retaliation chain**: within an episode, each act day's side is militia, state
      or both. A chain is a maximal run of consecutive act days in which the side
      changes from each day to the next (a day when both sides act continues any
      chain); its length is the number of changes + 1, so a lone attack is 1 and
      militia -> US -> militia is 3. An episode's chain length is its longest chain.

    Parameters
    ----------
    events : pandas.DataFrame
        A canonical log, or a simulated log of a single world.
    start, end : date-like, optional
        The window; default the first and last event dates. Pass them for simulated
        logs, whose window does not end at an event.
    gap, window : int
        As in :func:`summary_statistics`.

    Returns
    -------
    Summary
        ``weekly``: rows of every type counted (any actor, attacks outside the model
        included) per week, week k = days
        [7k, 7k+7) (the last week may be partial), with its first date; ``monthly``:
        the same per calendar month; ``strike_rounds``: one row per round (first and
        last date, sites = airstrike rows, trigger date, lag in days);
        ``casualties``: totals of ``us_killed``, ``us_injured``, ``others_killed``
        over all rows (unknown counted as 0) with the number of rows where the count
        is unknown; ``israeli_strikes``; ``episodes``: one row per episode (start, end,
        length in days, hostile acts, chain length); ``statistics``: the row of
        :func:`summary_statistics` for this world.
    """
    log = _prepare(events, start, end, worlds=None)
    if log.world_ids.size != 1:
        raise ValueError(
            f"summarize takes one world; the log has {log.world_ids.size}: select one or "
            "use summary_statistics"
        )
    result = _analyse(log, gap, window)
    dates = log.start + pd.to_timedelta(np.arange(log.n_days), unit="D")
    types = list(CHOICES["event_type"])

    def table(groups, n_groups):
        counts = np.bincount(groups * len(types) + log.etype, minlength=n_groups * len(types))
        return pd.DataFrame(counts.reshape(n_groups, len(types)), columns=types)

    n_weeks = -(-log.n_days // 7)
    weekly = table(log.day // 7, n_weeks)
    weekly.insert(0, "week_start", dates[::7])
    weekly.index.name = "week"
    monthly = table(log.month, len(log.months)).set_axis(pd.Index(log.months, name="month"), axis=0)

    def on(days):
        return log.start + pd.to_timedelta(np.asarray(days, dtype=float), unit="D")

    rounds = result.rounds
    strike_rounds = pd.DataFrame(
        {
            "first_date": on(rounds["first"]),
            "last_date": on(rounds["last"]),
            "sites": rounds["sites"],
            "trigger_date": on(rounds["trigger"]),
            "lag_days": rounds["lag"],
        }
    )
    casualties = pd.DataFrame(
        {
            "total": [int(np.nansum(getattr(log, c))) for c in _CASUALTIES],
            "rows_unknown": [int(np.isnan(getattr(log, c)).sum()) for c in _CASUALTIES],
        },
        index=pd.Index(_CASUALTIES, name="count"),
    )
    episodes = result.episodes
    episode_table = pd.DataFrame(
        {
            "start": on(episodes["first"]),
            "end": on(episodes["last"]),
            "length_days": episodes["last"] - episodes["first"] + 1,
            "acts": episodes["acts"],
            "chain_length": episodes["chain"],
        }
    )
    return Summary(
        start=log.start,
        end=log.start + pd.Timedelta(days=log.n_days - 1),
        weekly=weekly,
        monthly=monthly,
        strike_rounds=strike_rounds,
        casualties=casualties,
        israeli_strikes=_israeli_strike_worlds(log).size,
        episodes=episode_table,
        statistics=result.statistics.iloc[0],
    )
