"""Forecasts: the :class:`Forecast` type every method returns, and :func:`forecast` for the model.

:func:`forecast` answers "given what has happened up to today, what happens in the next
weeks?". The observed events before ``start`` are replayed into the agents' memories
(:mod:`escalation.model.replay`): recent losses and vows of revenge, the red line's credibility
after unanswered crossings, Baghdad's pressure, crackdowns and the talks' schedule. From
``start`` on, every world is simulated, with parameters drawn world by world from a posterior
(or fixed by a scenario).

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
import datetime
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from escalation.ensemble import posterior_draws, posterior_path, run_ensemble
from escalation.events.counts import (
    MILITIA,
    QUIET_HISTORY_DAYS,
    STRIKE_ROUNDS,
    as_day,
    check_days,
    daily_counts,
    weekly_sums,
)
from escalation.events.io import validate_events
from escalation.events.schema import COLUMNS
from escalation.inference.posterior import Posterior
from escalation.model.agents import WITHDRAWAL_DEMAND_NOTE
from escalation.model.scenario import Scenario
from escalation.montecarlo import QUANTILES
from escalation.runtime import DateLike, ExecutorLike, Seed, plain_entropy, seed_sequence

_LABELS = {MILITIA: "Militia attacks", STRIKE_ROUNDS: "US strike rounds"}
#: How the warnings name the argument that says a forecast may know what was to come (the
#: command line names its own flag in its place).
LOOK_AHEAD = "look_ahead=True"
#: Events over the horizon and the daily series that tells each: it happened in a world where
#: the series is ever above zero.
EVENT_SERIES = {"us_strike_round": STRIKE_ROUNDS, "american_killed": "us_killed"}


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
        Probabilities of events over the horizon, e.g. ``"withdrawal_demanded"``. Those a
        daily series tells (:data:`EVENT_SERIES`: ``"us_strike_round"``, ``"american_killed"``)
        are the share of worlds where the series is ever above zero, unless given.
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
        self.days = check_days(self.days)
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
        self.probabilities = dict(self.probabilities)
        for event, name in EVENT_SERIES.items():
            if name in self.daily and event not in self.probabilities:
                self.probabilities[event] = float(np.mean(self.daily[name].any(axis=1)))
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

    def excluding(self, *types: str) -> Forecast:
        """The forecast with attacks of the given types (``"ied_attack"``, ...) taken out of the
        scored militia series, for scoring attacks other than those types (issue 12: "for all
        militia attacks and for attacks other than IEDs").

        The types are recorded in ``extra["excluded_types"]`` (:attr:`excluded_types`), and
        :func:`escalation.scoring.score` takes events of those types out of the observed record
        too, so the forecast is scored against the attacks it forecasts; pass the whole record.
        Needs the per-type series, which model forecasts hold; a baseline fitted to all
        attacks has none (fit it on the record without those types instead, and score it
        against that record).
        """
        missing = [t for t in types if t not in self.daily]
        if missing:
            raise KeyError(
                f"Forecast {self.method!r} has no series {missing[0]!r} to take out of "
                f"{MILITIA!r}: {sorted(self.daily)}"
            )
        kept = self.daily[MILITIA] - sum((self.daily[t] for t in types), np.zeros((), np.int64))
        daily = {MILITIA: kept.astype(self.daily[MILITIA].dtype)}
        extra = {**self.extra, "excluded_types": tuple(types)}
        return dataclasses.replace(self, daily=daily, probabilities={}, extra=extra)

    @property
    def excluded_types(self) -> tuple[str, ...]:
        """Attack types taken out of the scored series by :meth:`excluding` (none: ``()``)."""
        return tuple(self.extra.get("excluded_types", ()))

    def series(self, name: str = MILITIA) -> np.ndarray:
        """Daily counts of one series, shape ``(n_worlds, days)``."""
        if name not in self.daily:
            raise KeyError(f"Forecast {self.method!r} has no series {name!r}: {sorted(self.daily)}")
        return self.daily[name]

    def weekly(self, name: str = MILITIA) -> np.ndarray:
        """Weekly counts, shape ``(n_worlds, n_weeks)``; the last week may be partial."""
        return weekly_sums(self.series(name))

    def quantiles(
        self, name: str = MILITIA, q: Sequence[float] = QUANTILES, weekly: bool = True
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

    def plot(
        self, observed: pd.DataFrame | None = None, ax: Axes | None = None, name: str = MILITIA
    ) -> Axes:
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
        if ax is None:
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
            left, right = edges[:-1].to_numpy(), edges[1:].to_numpy()
            middles = left + (right - left) / 2
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


#: Series a model forecast carries (daily counts per world).
SERIES = (
    "militia_attacks",
    "rocket_attack",
    "drone_attack",
    "ied_attack",
    "other_attack",
    "interception_only",
    "us_strike_rounds",
    "israeli_strikes",
    "us_killed",
)
METHOD = "Escalation model"


def forecast(
    source: Posterior | Scenario | str | Path,
    history: pd.DataFrame | None,
    start: DateLike,
    days: int,
    n_worlds: int = 2000,
    seed: Seed = None,
    executor: ExecutorLike = None,
    progress: bool | None = None,
    look_ahead: bool = False,
) -> Forecast:
    """Forecast ``days`` days from ``start`` given the observed ``history``.

    Parameters
    ----------
    source : Posterior, Scenario or str
        A posterior (parameters drawn from it world by world, over its base scenario's
        policies) or a scenario (a built-in name or TOML path; its own posterior, if it
        names one, is drawn from).
    history : DataFrame
        Observed events in the canonical schema; those before ``start`` are replayed from
        the first one's date (or the scenario's start, if earlier) into the agents' memories,
        and the states the record hides are drawn world by world from their filters at
        ``start``: a campaign under way, and a US strike round ordered and not yet struck.
        Empty or None: a fresh run from ``start``, the same worlds as the scenario run from
        that day.
    start : date-like
        First forecast day.
    days : int
        Horizon in days.
    seed : int, sequence of ints or SeedSequence, optional
        None draws fresh entropy. ``extra["seed_entropy"]`` records the seed's entropy (and
        ``extra["seeded"]`` whether one was given): passed as ``seed``, it gives the same
        forecast again.
    look_ahead : bool
        False (the default, as a forecast is scored): a UserWarning if the parameters come
        from a posterior calibrated on data past ``start`` (``extra["calibrated_through"]``
        says how far; the shipped ``posterior_2021`` reaches 31 December 2021), and one if the
        history's last event is more than :data:`QUIET_HISTORY_DAYS` before ``start`` (the gap
        is replayed as days without events); the scenario's
        timeline entries not yet
        public on ``start`` (:meth:`Scenario.known_on`; for 2021, the 26 July agreement to end
        the US combat mission) and the part of the Vienna talks schedule not yet public (from 1
        July 2021, the 29 November resumption) are left out, and ``extra["left_out"]`` names them
        (:meth:`Scenario.left_out_on`; entries after the forecast's last day are not named).
        True keeps the whole timeline and schedule: a projection that knows what was to come.
    """
    start = as_day(start)
    if int(days) < 1:
        raise ValueError(f"days must be at least 1, got {days}")
    seeded = seed is not None  # unseeded: fresh entropy, and the result says so
    seed = seed_sequence(seed)
    scenario, parameters = _source(source, n_worlds, seed)
    calibrated_through = _calibrated_through(source, scenario)
    left_out: tuple[str, ...] = ()
    if not look_ahead:
        last = (start + pd.Timedelta(days=int(days) - 1)).date()
        left_out = scenario.left_out_on(start.date(), until=last)
        scenario = scenario.known_on(start.date())
        if calibrated_through is not None and calibrated_through >= start.date():
            warnings.warn(
                f"forecast from {start.date()}: its parameters come from a posterior calibrated "
                f"on data up to {calibrated_through}, after the origin, so it is not an "
                "out-of-sample forecast; calibrate on the history before the origin "
                f"(escalation.calibrate) for one, or pass {LOOK_AHEAD} to say it is meant",
                UserWarning,
                stacklevel=2,
            )
    history = _history(history, start)
    # Replay from the scenario's (or posterior window's) start, or the first event if earlier;
    # with nothing to replay, the forecast is a fresh run from ``start`` (the same worlds).
    first = (
        min([start, history["date"].min(), pd.Timestamp(scenario.start)]) if len(history) else start
    )
    replay_days = int((start - first).days)
    if len(history) and (start - history["date"].max()).days > QUIET_HISTORY_DAYS:
        warnings.warn(
            f"forecast from {start.date()}: the history's last event is on "
            f"{history['date'].max().date()}, {(start - history['date'].max()).days} days "
            "before; those days are replayed as days without any event. If the record simply "
            "stops there, start the forecast after its last day",
            UserWarning,
            stacklevel=2,
        )
    window = dataclasses.replace(
        scenario, start=first.date(), end=(start + pd.Timedelta(days=int(days) - 1)).date()
    )
    result = run_ensemble(
        window,
        n_worlds,
        seed=seed,
        executor=executor,
        progress=progress,
        keep_events=True,
        parameters=parameters,
        history=history,
        replay_days=replay_days,
    )
    assert result.daily_worlds is not None  # kept: keep_events=True
    daily = {
        name: np.ascontiguousarray(result.daily_worlds[name][replay_days:].T.astype(np.int64))
        for name in SERIES
    }
    # Within the horizon, as the other two: a demand in the replayed history is not a forecast
    # (and, made once, it is not made again).
    events = result.events
    assert events is not None  # kept: keep_events=True
    demands = events[(events["notes"] == WITHDRAWAL_DEMAND_NOTE) & (events["day"] >= replay_days)]
    probabilities = {"withdrawal_demanded": demands["world"].nunique() / n_worlds}
    return Forecast(
        METHOD,
        start,
        int(days),
        daily,
        probabilities,
        extra={
            "scenario": scenario.name,
            "replayed_days": replay_days,
            "history_start": str(first.date()),
            "seeded": seeded,
            "seed_entropy": plain_entropy(seed),
            "left_out": list(left_out),
            "calibrated_through": None if calibrated_through is None else str(calibrated_through),
        },
    )


def _source(source, n_worlds, seed):
    """The scenario to simulate and per-world parameters (None: the scenario's own)."""
    if isinstance(source, Posterior):
        base = dataclasses.replace(source.base_scenario, posterior=None)
        return base, posterior_draws(source, seed, np.arange(n_worlds))
    scenario = source if isinstance(source, Scenario) else Scenario.load(source)
    return scenario, None


def _calibrated_through(source, scenario: Scenario) -> datetime.date | None:
    """The last day of data behind the forecast's parameters: the end of its posterior's
    calibration window (its base scenario's end), or None without a posterior."""
    if isinstance(source, Posterior):
        return source.base_scenario.end
    if scenario.posterior:
        return Posterior.load(posterior_path(scenario.posterior)).base_scenario.end
    return None


def _history(history, start) -> pd.DataFrame:
    if history is None or len(history) == 0:
        empty = pd.DataFrame({c: pd.Series([], dtype=object) for c in COLUMNS})
        empty["date"] = pd.to_datetime(empty["date"])
        return empty
    history = validate_events(history)
    return history[history["date"] < start].reset_index(drop=True)
