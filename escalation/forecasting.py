"""The :class:`Forecast` type shared by the model and the baselines, and daily counts of events.

Every method (the agent-based model and the baselines in :mod:`escalation.baselines`) returns a
:class:`Forecast`: simulated daily counts for many worlds from a common start date. Forecasts are
scored on weekly counts of militia attacks, as the ViEWS forecasting competitions score conflict
forecasts (Hegre et al. 2019, "ViEWS: A political violence early-warning system", *Journal of
Peace Research* 56(2); Vesco et al. 2022, "United they stand: findings from an escalation
prediction competition", *International Interactions* 48(4)); see :mod:`escalation.scoring`.

Weeks are counted from the forecast's start: week ``k`` holds days ``[7k, 7k + 7)``. When the
horizon is not a whole number of weeks, the final week is partial (fewer than seven days) and
is kept, so every forecast day is scored exactly once.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from escalation.events import MILITIA_ATTACKS, Actor, EventType, severity

#: The scored series: militia attacks of any type (``actor == "militia"``).
MILITIA = "militia_attacks"
#: US strike rounds, each counted once, on its first day.
STRIKE_ROUNDS = "us_strike_rounds"
#: Airstrikes at most this many days after the previous US airstrike belong to the same round.
ROUND_GAP_DAYS = 2
DEFAULT_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
_LABELS = {MILITIA: "Militia attacks", STRIKE_ROUNDS: "US strike rounds"}


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


def strike_round_starts(events: pd.DataFrame) -> pd.DatetimeIndex:
    """First days of US strike rounds: US airstrikes chained by gaps of at most two days.

    A new round starts at a US ``airstrike`` more than :data:`ROUND_GAP_DAYS` days after the
    previous one (several sites struck on one night, as on 27 June 2021, are one round).
    """
    _check_columns(events)
    strikes = (events["actor"] == Actor.US.value) & (
        events["event_type"] == EventType.AIRSTRIKE.value
    )
    days = pd.DatetimeIndex(pd.to_datetime(events.loc[strikes, "date"])).normalize()
    days = days.unique().sort_values()
    if len(days) == 0:
        return days
    gaps = np.diff(days.to_numpy()) > np.timedelta64(ROUND_GAP_DAYS, "D")
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
    _check_columns(events)
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
        Integer arrays of shape ``(days,)``: ``"militia_attacks"`` (rows with actor ``militia``
        and a type in :data:`escalation.events.MILITIA_ATTACKS`, one attack per row), one series
        per militia attack type (``"rocket_attack"``, ...), ``"us_strike_rounds"`` (rounds
        counted on their first day, so a round that began before ``start`` is not counted),
        ``"return_fire"`` (US return fire), ``"us_killed"`` (Americans killed), ``"harm"``
        (Americans injured or killed and others killed by militia attacks). Unknown counts
        add nothing. Days without rows count zero: the frame is taken to cover the window.
    """
    start, days = as_day(start), _check_days(days)
    offsets, inside = day_offsets(events, start, days)
    militia = (events["actor"] == Actor.MILITIA.value).to_numpy()
    event_type = events["event_type"].to_numpy()

    def count(mask: np.ndarray, weights=None) -> np.ndarray:
        keep = mask & inside
        w = None if weights is None else np.asarray(weights, dtype=float)[keep]
        return np.bincount(offsets[keep].astype(np.int64), weights=w, minlength=days).astype(
            np.int64
        )

    counts_as_attack = militia & np.isin(event_type, [t.value for t in MILITIA_ATTACKS])
    counts = {MILITIA: count(counts_as_attack)}
    for attack in MILITIA_ATTACKS:
        counts[attack.value] = count(militia & (event_type == attack.value))
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
    days = _check_days(days)
    offsets, inside = day_offsets(events, start, days)
    killed, injured, others = (known_counts(events, c) for c in CASUALTIES)
    weights = severity(events["event_type"].astype(str).to_numpy(), killed, injured, others)
    return np.bincount(offsets[inside].astype(np.int64), weights=weights[inside], minlength=days)


@dataclasses.dataclass(eq=False, repr=False)
class Forecast:
    """Simulated daily counts for many worlds from one method, from a common start date.

    Parameters
    ----------
    method : str
        Name of the method ("model", "Poisson", "Conflictology", "Hawkes", ...).
    start : date-like
        First forecast day; stored as a midnight :class:`pandas.Timestamp`.
    days : int
        Horizon in days.
    daily : dict of str to numpy.ndarray
        Series name -> non-negative integer array of shape ``(n_worlds, days)``. Must hold
        ``"militia_attacks"`` (the scored quantity); may hold per-type series
        (``"rocket_attack"``, ...) and ``"us_strike_rounds"``.
    probabilities : dict of str to float, optional
        Probabilities of events over the horizon, e.g. ``"american_killed"``,
        ``"us_strike_round"``, ``"withdrawal_demanded"``.
    extra : dict, optional
        Free metadata (fitted parameters, seed, scenario name...).
    """

    method: str
    start: pd.Timestamp
    days: int
    daily: dict[str, np.ndarray]
    probabilities: dict[str, float] = dataclasses.field(default_factory=dict)
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        self.start = as_day(self.start)
        self.days = _check_days(self.days)
        if MILITIA not in self.daily:
            raise ValueError(
                f"Forecast {self.method!r}: daily must hold {MILITIA!r}, found {sorted(self.daily)}"
            )
        self.daily = {name: np.asarray(series) for name, series in self.daily.items()}
        n_worlds = self.daily[MILITIA].shape[0] if self.daily[MILITIA].ndim == 2 else None
        for name, series in self.daily.items():
            if series.ndim != 2 or series.shape != (n_worlds, self.days) or n_worlds == 0:
                raise ValueError(
                    f"Forecast {self.method!r}: daily[{name!r}] has shape {series.shape}, "
                    f"expected (n_worlds, {self.days}) with the same n_worlds >= 1 for every series"
                )
            if series.dtype.kind not in "iu" or (series.size and series.min() < 0):
                raise ValueError(
                    f"Forecast {self.method!r}: daily[{name!r}] must hold non-negative integers, "
                    f"found dtype {series.dtype} with minimum {series.min()}"
                )
        for name, p in self.probabilities.items():
            if not 0.0 <= p <= 1.0:
                raise ValueError(
                    f"Forecast {self.method!r}: probability {name!r} is {p}, expected 0..1"
                )

    def __repr__(self) -> str:
        return (
            f"Forecast(method={self.method!r}, start={self.start.date()}, days={self.days}, "
            f"n_worlds={self.n_worlds}, series={sorted(self.daily)})"
        )

    @property
    def n_worlds(self) -> int:
        """Number of simulated worlds."""
        return self.daily[MILITIA].shape[0]

    @property
    def end(self) -> pd.Timestamp:
        """Last forecast day."""
        return self.start + pd.Timedelta(days=self.days - 1)

    @property
    def week_starts(self) -> pd.DatetimeIndex:
        """First day of each week counted from :attr:`start` (the last week may be partial)."""
        return pd.DatetimeIndex(self.start + pd.to_timedelta(np.arange(0, self.days, 7), "D"))

    def series(self, name: str = MILITIA) -> np.ndarray:
        """Daily counts of one series, shape ``(n_worlds, days)``."""
        if name not in self.daily:
            raise KeyError(f"Forecast {self.method!r} has no series {name!r}: {sorted(self.daily)}")
        return self.daily[name]

    def weekly(self, name: str = MILITIA) -> np.ndarray:
        """Weekly counts, shape ``(n_worlds, n_weeks)``; the last week may be partial."""
        return weekly_sums(self.series(name))

    def quantiles(
        self, name: str = MILITIA, q=DEFAULT_QUANTILES, weekly: bool = True
    ) -> pd.DataFrame:
        """Quantiles over worlds per week (or per day when ``weekly=False``).

        Sample quantiles with numpy's default (linear) interpolation; rows are week starts (or
        days), columns the levels ``q``.
        """
        counts = self.weekly(name) if weekly else self.series(name)
        index = (
            self.week_starts
            if weekly
            else pd.date_range(self.start, periods=self.days, freq="D", name="date")
        )
        index = index.rename("week_start" if weekly else "date")
        values = np.quantile(counts, np.asarray(q, dtype=float), axis=0)
        return pd.DataFrame(values.T, index=index, columns=list(q))

    def probability(self, name: str) -> float:
        """The forecast probability of a named event over the horizon."""
        if name not in self.probabilities:
            raise KeyError(
                f"Forecast {self.method!r} has no probability {name!r}: "
                f"{sorted(self.probabilities)}"
            )
        return self.probabilities[name]

    def to_frame(self) -> pd.DataFrame:
        """Weekly counts as a tidy long table with columns world, week_start, series, count."""
        weeks = self.week_starts
        frames = []
        for name in self.daily:
            counts = self.weekly(name)
            frames.append(
                pd.DataFrame(
                    {
                        "world": np.repeat(np.arange(self.n_worlds), len(weeks)),
                        "week_start": np.tile(weeks.to_numpy(), self.n_worlds),
                        "series": name,
                        "count": counts.ravel().astype(np.int64),
                    }
                )
            )
        return pd.concat(frames, ignore_index=True)

    def plot(self, observed: pd.DataFrame | None = None, ax=None, name: str = MILITIA):
        """Fan chart of weekly counts: 5-95% and 25-75% bands and the median, week by week.

        Each week is drawn as a step spanning its days, so a final partial week shows as a
        narrower step (its counts cover fewer days).

        Parameters
        ----------
        observed : pandas.DataFrame, optional
            Canonical events; their weekly counts over the forecast window are drawn as points
            at the middle of each week.
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure is created when omitted.
        name : str
            Series to draw.

        Returns
        -------
        matplotlib.axes.Axes
        """
        import matplotlib.dates as mdates

        if ax is None:
            import matplotlib.pyplot as plt

            _, ax = plt.subplots(figsize=(8, 4), layout="constrained")
        quantiles = self.quantiles(name)
        edges = self.week_starts.append(pd.DatetimeIndex([self.end + pd.Timedelta(days=1)]))

        def steps(column):  # one value per edge, the last repeated, for step="post"
            values = quantiles[column].to_numpy()
            return np.append(values, values[-1])

        x = edges.to_numpy()
        for low, high, alpha in ((0.05, 0.95, 0.25), (0.25, 0.75, 0.45)):
            ax.fill_between(
                x,
                steps(low),
                steps(high),
                step="post",
                alpha=alpha,
                color="C0",
                lw=0,
                label=f"{low:.0%}-{high:.0%}",
            )
        ax.step(x, steps(0.5), where="post", color="C0", lw=1.5, label=f"{self.method} median")
        if observed is not None:
            counts = weekly_sums(daily_counts(observed, self.start, self.days)[name])
            middles = (edges[:-1] + (edges[1:] - edges[:-1]) / 2).to_numpy()
            ax.plot(middles, counts, "o", color="black", ms=4, label="observed")
        label = _LABELS.get(name, name.replace("_", " ").capitalize())
        ax.set_ylabel(f"{label} per week")
        ax.set_title(f"{self.method}: {self.n_worlds} worlds from {self.start.date()}")
        ax.set_ylim(bottom=0)
        locator = mdates.AutoDateLocator()
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        ax.legend(loc="best", frameon=False)
        return ax


def _check_days(days) -> int:
    if isinstance(days, bool) or not isinstance(days, int | np.integer) or days < 1:
        raise ValueError(f"days must be a positive integer, found {days!r}")
    return int(days)


def _check_columns(events: pd.DataFrame) -> None:
    missing = [c for c in ("date", "actor", "event_type") if c not in events.columns]
    if missing:
        raise ValueError(
            f"events frame lacks column(s) {missing}; expected the canonical columns "
            "(see escalation.events.COLUMNS)"
        )


__all__ = [
    "DEFAULT_QUANTILES",
    "MILITIA",
    "STRIKE_ROUNDS",
    "Forecast",
    "as_day",
    "daily_counts",
    "strike_round_starts",
    "weekly_sums",
]
