"""Rolling-origin validation: every method forecasts from many origins and is scored alike.

At each origin (by default the first of every month once three months of history exist)
every method sees only the events before the origin: the model is recalibrated on them and
forecasts from a posterior over that history (:func:`escalation.calibrate`, then
:func:`escalation.forecast`), and each baseline (:mod:`escalation.baselines`) is refitted on
the same history. Each method forecasts the longest horizon once; a horizon H is scored on
the forecast's first H days, week by week, so every method is scored on the same weeks.
This is the evaluation on a rolling forecasting origin of Tashman 2000 ("Out-of-sample tests
of forecasting accuracy: an analysis and review", *International Journal of Forecasting*
16(4)), scored as forecasters score count forecasts: CRPS, logarithmic score, 90% coverage,
interval score, randomised PIT (Czado, Gneiting & Held 2009, "Predictive model assessment
for count data", *Biometrics* 65(4)) and Diebold-Mariano tests (see :mod:`escalation.scoring`).

Usage::

    table = validate(observed, end="2022-12-31", seed=1)
    mean_scores(table); dm_tests(table); pit_tests(table)
"""

from __future__ import annotations

import dataclasses
import math
import os
import zlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from escalation.baselines import (
    Baseline,
    Conflictology,
    Hawkes,
    NegativeBinomial,
    Poisson,
    history_window,
)
from escalation.events.counts import MILITIA, STRIKE_ROUNDS, as_day
from escalation.events.io import validate_events
from escalation.forecasting import METHOD, Forecast, forecast
from escalation.inference.calibration import calibrate
from escalation.inference.posterior import Posterior
from escalation.model.scenario import Scenario
from escalation.runtime import (
    Checkpoint,
    DateLike,
    ExecutorLike,
    Seed,
    frame_arrays,
    frame_from_arrays,
    frame_sha256,
    progress_bar,
    seed_sequence,
)
from escalation.scoring import PIT_BINS, diebold_mariano, pit_chisquare, weekly_scores

#: Horizons in days: four and eight weeks.
HORIZONS = (28, 56)
#: Months of history before the first default origin.
MIN_HISTORY_MONTHS = 3
#: Scores averaged by :func:`mean_scores` (``covered`` becomes ``coverage90``): the weekly
#: attack counts', then the weekly US strike round's (a yes/no event, :func:`.weekly_scores`).
SCORES = (
    "crps",
    "log_score",
    "ignorance",
    "interval_score",
    "covered",
    "round_brier",
    "round_log_score",
)

#: Fits a posterior to ``(history, start, end, seed)``: the events before an origin, the
#: calibration window and a seed.
Calibrator: TypeAlias = Callable[
    [pd.DataFrame, pd.Timestamp, pd.Timestamp, np.random.SeedSequence], Posterior
]
#: Forecasts ``(history, history_start, origin, days, n_worlds, seed)``.
Method: TypeAlias = Callable[
    [pd.DataFrame, pd.Timestamp, pd.Timestamp, int, int, np.random.SeedSequence], Forecast
]


def calibrator(executor: ExecutorLike = None, **options: Any) -> Calibrator:
    """A :data:`Calibrator` running :func:`escalation.calibrate` with these settings.

    ``options`` go to :func:`escalation.calibrate` as they are (``method``, ``scenario``,
    ``population_size``, ``runs``, ``budget`` for ABC...). The default is :func:`calibrate`'s
    own, the calibration the shipped posterior and simulation-based calibration use (the exact
    likelihood, two runs of 400 particles, side by side on an ``executor`` of two workers):
    smaller populations bias the red line's threshold width (``experiments/sbc.py``). A
    validation's checkpoint records the settings, and refuses to resume under others.
    """
    return _Calibration({"method": "likelihood", **options}, executor)


@dataclasses.dataclass(frozen=True, eq=False)
class _Calibration:
    """:func:`escalation.calibrate` with ``settings`` (made by :func:`calibrator`)."""

    settings: dict[str, Any]
    executor: ExecutorLike = None

    def __call__(
        self, history: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, seed
    ) -> Posterior:
        return calibrate(
            history,
            start=start,
            end=end,
            seed=seed,
            executor=self.executor,
            progress=False,
            **self.settings,
        )

    def recorded(self) -> dict[str, Any]:
        """The settings as a checkpoint keeps them: a scenario by its TOML (a refusal quotes
        the lines that changed), any other object that is not a number, string or bool by its
        ``repr``."""
        return {name: _recorded(value) for name, value in sorted(self.settings.items())}


def _recorded(value: Any) -> Any:
    if isinstance(value, Scenario):
        return value.to_toml()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return repr(value)


@dataclasses.dataclass(frozen=True)
class ModelMethod:
    """The model: recalibrated on the history before the origin, then forecast from there."""

    calibrate: Calibrator = dataclasses.field(default_factory=calibrator)
    executor: ExecutorLike = None

    def __call__(
        self,
        history: pd.DataFrame,
        first: pd.Timestamp,
        origin: pd.Timestamp,
        days: int,
        n_worlds: int,
        seed: np.random.SeedSequence,
    ) -> Forecast:
        """Calibrate on ``first``..the day before ``origin``, forecast ``days`` days."""
        calibration_seed, forecast_seed = seed.spawn(2)
        posterior = self.calibrate(history, first, origin - pd.Timedelta(days=1), calibration_seed)
        return forecast(
            posterior,
            history,
            origin,
            days,
            n_worlds=n_worlds,
            seed=forecast_seed,
            executor=self.executor,
            progress=False,
        )


@dataclasses.dataclass(frozen=True)
class BaselineMethod:
    """A baseline refitted at each origin on ``first``..the day before the origin."""

    factory: Callable[[], Baseline]

    def __call__(
        self,
        history: pd.DataFrame,
        first: pd.Timestamp,
        origin: pd.Timestamp,
        days: int,
        n_worlds: int,
        seed: np.random.SeedSequence,
    ) -> Forecast:
        """Fit a fresh baseline on the history window and forecast ``days`` days."""
        fitted = self.factory().fit(history, start=first, end=origin - pd.Timedelta(days=1))
        return fitted.forecast(origin, days, n_worlds, seed=seed)


def default_methods(
    calibrate: Calibrator | None = None, executor: ExecutorLike = None
) -> dict[str, Method]:
    """The model and the four baselines, by the names the table uses."""
    return {
        METHOD: ModelMethod(calibrate or calibrator(executor=executor), executor),
        "Poisson": BaselineMethod(Poisson),
        "Negative binomial": BaselineMethod(NegativeBinomial),
        "Conflictology": BaselineMethod(Conflictology),
        "Hawkes": BaselineMethod(Hawkes),
    }


def monthly_origins(
    start: DateLike,
    end: DateLike,
    horizon: int = max(HORIZONS),
    min_history_months: int = MIN_HISTORY_MONTHS,
) -> pd.DatetimeIndex:
    """First days of months from ``start`` + ``min_history_months`` whose ``horizon`` days
    end by ``end``."""
    first = as_day(start) + pd.DateOffset(months=min_history_months)
    last = as_day(end) - pd.Timedelta(days=horizon - 1)
    return pd.date_range(first, last, freq="MS")


def validate(
    observed: pd.DataFrame,
    origins: Sequence[DateLike] | pd.DatetimeIndex | None = None,
    horizons: Sequence[int] = HORIZONS,
    methods: Mapping[str, Method] | Sequence[str] | None = None,
    n_worlds: int = 1000,
    seed: Seed = None,
    calibrate: Calibrator | None = None,
    start: DateLike | None = None,
    end: DateLike | None = None,
    executor: ExecutorLike = None,
    progress: bool | None = None,
    checkpoint: str | os.PathLike | None = None,
) -> pd.DataFrame:
    """Rolling-origin validation of the model and the baselines on ``observed`` events.

    Parameters
    ----------
    observed : pandas.DataFrame
        Canonical events covering ``start``..``end`` (days without rows count zero).
    origins : sequence of date-like, optional
        Forecast origins; default :func:`monthly_origins` (the first of every month after
        three months of history whose longest horizon ends by ``end``).
    horizons : sequence of int
        Horizons in days (default 28 and 56); each is scored on the forecast's first days.
    methods : mapping of name to Method, or sequence of names, optional
        The methods; names select among :func:`default_methods` (default: all of them).
    n_worlds : int
        Worlds per forecast.
    seed : int or SeedSequence, optional
        Each (origin, method) draws from its own child of it, keyed by the origin's index and
        the method's name, so adding a method changes no other's forecasts.
    calibrate : Calibrator, optional
        How the model is recalibrated at each origin; default :func:`calibrator` (the exact
        likelihood).
    start, end : date-like, optional
        The observed span: default 1 January of the first event's year to the last event.
    executor : Executor or dask Client, optional
        Where the model's worlds run.
    checkpoint : path, optional
        A ``.npz`` file rewritten atomically after each origin. If it exists, the origins it
        holds are not run again: an interrupted validation resumes at its first unfinished
        origin and returns the table an uninterrupted one returns. The observed events and
        span, origins, horizons, methods' names, worlds and (if given) seed must be those it was
        written with (else ValueError), and so must the model's calibration settings when
        :func:`calibrator` made its calibrator (one of your own cannot be checked).

    Returns
    -------
    pandas.DataFrame
        One row per (origin, horizon, week, method): origin, horizon, lead (week 1, 2...),
        week_start, method, observed, mean_forecast, lower, upper, covered, crps, ignorance,
        log_score, interval_score, pit_lower, pit_upper, rounds_observed, round_probability,
        round_brier, round_log_score (see :func:`escalation.scoring.weekly_scores`) and pit (the
        randomised PIT, drawn once per week so the horizons share it).
    """
    observed = validate_events(observed)
    first, last = _span(observed, start, end)
    horizons = _check_horizons(horizons)
    days = max(horizons)
    origin_index = (
        monthly_origins(first, last, days) if origins is None else _check_origins(origins)
    )
    if len(origin_index) == 0:
        raise ValueError(f"no origin between {first.date()} and {last.date()} leaves {days} days")
    for origin in origin_index:
        if origin <= first or origin + pd.Timedelta(days=days - 1) > last:
            raise ValueError(
                f"origin {origin.date()}: needs history from {first.date()} and {days} observed "
                f"days before {last.date()}"
            )
    chosen = _methods(methods, calibrate, executor)
    root = seed_sequence(seed)
    store = _validation_checkpoint(
        checkpoint, observed, (first, last), origin_index, horizons, chosen, n_worlds
    )
    frames, root = _resume(store, seed, root)
    done = frames[0]["origin"].nunique() if frames else 0
    with progress_bar(len(origin_index), "origins", "origin", progress, initial=done) as bar:
        for i, origin in enumerate(origin_index):
            if i < done:
                continue
            history = observed[observed["date"] < origin]
            for name, method in chosen.items():
                result = method(history, first, origin, days, n_worlds, _child(root, i, name))
                pit_draws = np.random.default_rng(_child(root, i, "PIT " + name))
                frames.append(
                    _score_horizons(
                        result, observed, horizons, pit_draws.random(_weeks(days))
                    ).assign(origin=origin, method=name)
                )
            if store.path is not None:  # the rows so far, saved: only when checkpointing
                frames = [pd.concat(frames, ignore_index=True)]
                _save(store, root, frames[0])
            bar.update()
    table = pd.concat(frames, ignore_index=True)
    first_columns = ["origin", "horizon", "lead", "week_start", "method"]
    return table[first_columns + [c for c in table.columns if c not in first_columns]]


def mean_scores(table: pd.DataFrame) -> pd.DataFrame:
    """Scores averaged over origins and weeks, per horizon and method.

    Columns crps, log_score, ignorance, interval_score, coverage90 (share of weeks inside
    the central 90% interval), round_brier and round_log_score (the weekly US strike round),
    round_probability (its mean forecast probability) and round_frequency (the share of the
    weeks with one observed: a calibrated forecaster's mean probability is near it),
    n_origins and n_weeks.
    """
    table = table.assign(round_frequency=table["rounds_observed"] > 0)
    columns = [*SCORES, "round_probability", "round_frequency"]
    grouped = table.groupby(["horizon", "method"], sort=True)
    means = grouped[columns].mean().rename(columns={"covered": "coverage90"})
    means["n_origins"] = grouped["origin"].nunique()
    means["n_weeks"] = grouped.size()
    return means


def dm_tests(table: pd.DataFrame, reference: str = METHOD, score: str = "crps") -> pd.DataFrame:
    """Diebold-Mariano tests of ``reference`` against every other method, per horizon.

    The losses (``score`` per week) are ordered by origin and week; the autocovariances are
    summed to lag ``weeks - 1``, ``weeks`` the horizon in weeks, which covers the correlation
    between weeks of one forecast and between overlapping windows of consecutive origins.
    A negative mean difference says the reference scores better.

    Returns
    -------
    pandas.DataFrame
        Indexed by (horizon, method), columns mean_difference, statistic, p_value, n.
    """
    if reference not in set(table["method"]):
        raise ValueError(f"reference method {reference!r} not in the table")
    losses = table.pivot_table(
        index=["horizon", "origin", "lead"], columns="method", values=score, aggfunc="first"
    ).sort_index()
    rows = {}
    for horizon in losses.index.unique(level="horizon"):
        block = losses.xs(horizon, level="horizon")
        for method in block.columns.drop(reference):
            test = diebold_mariano(
                block[reference].to_numpy(), block[method].to_numpy(), _weeks(int(horizon))
            )
            rows[(horizon, method)] = {
                "mean_difference": test.mean_difference,
                "statistic": test.statistic,
                "p_value": test.p_value,
                "n": test.n,
            }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis(["horizon", "method"])


def pit_tests(table: pd.DataFrame, bins: int = PIT_BINS) -> pd.DataFrame:
    """Chi-square tests of uniformity of the randomised PIT, per horizon and method.

    Returns
    -------
    pandas.DataFrame
        Indexed by (horizon, method), columns chi2, p_value, bins, n.
    """
    rows = {
        key: pit_chisquare(group["pit"].to_numpy(), bins)._asdict()
        for key, group in table.groupby(["horizon", "method"], sort=True)
    }
    frame = pd.DataFrame.from_dict(rows, orient="index").rename(columns={"statistic": "chi2"})
    return frame.rename_axis(["horizon", "method"])


def _score_horizons(
    result: Forecast, observed: pd.DataFrame, horizons: Sequence[int], uniforms: np.ndarray
) -> pd.DataFrame:
    """Weekly scores of the forecast's first H days for each horizon H, with the PIT."""
    frames = []
    for horizon in horizons:
        scored = {
            name: series[:, :horizon]
            for name, series in result.daily.items()
            if name in (MILITIA, STRIKE_ROUNDS)
        }
        window = Forecast(result.method, result.start, horizon, scored)
        weeks = weekly_scores(window, observed).reset_index()
        draws = uniforms[: len(weeks)]
        weeks["pit"] = weeks["pit_lower"] + draws * (weeks["pit_upper"] - weeks["pit_lower"])
        frames.append(weeks.assign(horizon=horizon, lead=np.arange(1, len(weeks) + 1)))
    return pd.concat(frames, ignore_index=True)


def _weeks(days: int) -> int:
    """Weeks in a forecast of ``days`` days (the last may be partial)."""
    return math.ceil(days / 7)


_CHECKPOINT_FORMAT = "escalation-validation-2"


def _validation_checkpoint(
    path, observed, span, origins, horizons, methods: Mapping[str, Method], n_worlds
) -> Checkpoint:
    """The checkpoint of one validation: what must match for a file to be resumed (a model
    method's calibration settings too, when :func:`calibrator` made its calibrator)."""
    config = {
        "observed_sha256": frame_sha256(observed),
        "span": [day.date().isoformat() for day in span],
        "origins": [origin.date().isoformat() for origin in origins],
        "horizons": [int(h) for h in horizons],
        "methods": list(methods),
        "n_worlds": int(n_worlds),
        "calibration": {
            name: method.calibrate.recorded()
            if isinstance(method.calibrate, _Calibration)
            else "a custom calibrator (not checked)"
            for name, method in methods.items()
            if isinstance(method, ModelMethod)
        },
    }
    return Checkpoint(
        None if path is None else Path(path), _CHECKPOINT_FORMAT, "a validation", config
    )


def _resume(
    store: Checkpoint, seed: Seed, root: np.random.SeedSequence
) -> tuple[list[pd.DataFrame], np.random.SeedSequence]:
    """The scored rows of the origins a checkpoint holds (none without one), and the root seed."""
    loaded = store.load(None, seed, root)
    if loaded is None:
        return [], root
    header, arrays, root = loaded
    return [frame_from_arrays(header["table"], arrays, "table")], root


def _save(store: Checkpoint, root: np.random.SeedSequence, table: pd.DataFrame) -> None:
    """Write the rows scored so far."""
    description, arrays = frame_arrays(table, "table")
    store.save(root, {"table": description}, arrays)


def _child(root: np.random.SeedSequence, origin: int, name: str) -> np.random.SeedSequence:
    """The seed of one origin and method: the root's entropy with a key of both."""
    key = (*root.spawn_key, origin, zlib.crc32(name.encode()))
    return np.random.SeedSequence(root.entropy, spawn_key=key)


def _methods(methods, calibrate, executor) -> dict[str, Method]:
    defaults = default_methods(calibrate, executor)
    if methods is None:
        return defaults
    if isinstance(methods, Mapping):
        if not methods:
            raise ValueError("methods is empty")
        return dict(methods)
    if isinstance(methods, str):
        methods = [methods]
    unknown = [name for name in methods if name not in defaults]
    if unknown or not methods:
        raise ValueError(f"methods: unknown {unknown}, expected some of {sorted(defaults)}")
    return {name: defaults[name] for name in methods}


def _span(observed: pd.DataFrame, start, end) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day of the observed span, as :func:`.baselines.history_window` reads it."""
    first, days = history_window(observed, start, end)
    return first, first + pd.Timedelta(days=days - 1)


def _check_horizons(horizons: Sequence[int]) -> list[int]:
    values = list(horizons)
    if not values or any(
        isinstance(h, bool) or not isinstance(h, int | np.integer) or h < 1 for h in values
    ):
        raise ValueError(f"horizons must be positive whole numbers of days, found {horizons!r}")
    return sorted({int(h) for h in values})


def _check_origins(origins: Sequence[DateLike] | pd.DatetimeIndex) -> pd.DatetimeIndex:
    days = pd.DatetimeIndex([as_day(o) for o in origins])
    if days.has_duplicates:
        raise ValueError("origins must be distinct days")
    return days.sort_values()
