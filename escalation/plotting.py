"""Figures: fan charts, event rasters, ladder heat maps, posteriors, forecasts and scenarios.

Every function draws on the Axes it is given (``ax=``, or ``axes=`` where it needs several)
or, when none is given, makes a new figure through :func:`matplotlib.pyplot.subplots`, and
returns what it drew on; none calls ``plt.show``. Nothing is changed globally: fonts, grid
and spines come from :func:`style`, applied only while a function draws, and each actor
keeps one colour everywhere (:data:`ACTOR_COLORS`, from the colour-blind-safe palette of
Okabe & Ito 2008, "Color Universal Design"). Time axes are labelled by month.

Plot functions take ``ax=None`` and return the Axes, as pyABC's do (``pyabc/visualization``).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Mapping, Sequence

import matplotlib as mpl
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from numpy.typing import ArrayLike

from escalation.events.counts import (
    MILITIA,
    daily_counts,
    known_counts,
    modelled_attacks,
    strike_round_starts,
    weekly_sums,
)
from escalation.events.schema import MILITIA_ATTACKS, Actor, EventType
from escalation.forecasting import Forecast
from escalation.model.ladder import Rung, daily_record
from escalation.model.model import COUNT_SERIES
from escalation.model.parameters import PARAMETERS
from escalation.model.sites import SITE_PERSONNEL, sites_of
from escalation.montecarlo import QUANTILES
from escalation.scoring import PIT_BINS, pit_chisquare, pit_coverage, score

__all__ = [
    "ACTOR_COLORS",
    "VARIABLE_LABELS",
    "attacks_on_personnel",
    "fan_chart",
    "forecast_vs_observed",
    "ladder_heatmap",
    "posterior",
    "scenario_comparison",
    "style",
    "timeline",
]

#: One colour per actor (Okabe & Ito 2008 palette; grey for unattributed and context rows).
ACTOR_COLORS = {
    Actor.MILITIA.value: "#D55E00",
    Actor.US.value: "#0072B2",
    Actor.ISRAEL.value: "#009E73",
    Actor.IRAQI_GOVERNMENT.value: "#CC79A7",
    Actor.IRAN.value: "#E69F00",
    Actor.UNKNOWN.value: "#7F7F7F",
    Actor.NONE.value: "#A6A6A6",
}
_NEUTRAL = "#404040"
#: Colour of the variables that belong to no single actor (escalation index, ladder).
_SYSTEM = "#5E3C99"

#: Axis labels of the daily variables of an ensemble (``EnsembleResult.daily``).
VARIABLE_LABELS = {
    "escalation_index": "Escalation index (decaying severity)",
    "ladder": "Escalation ladder rung",
    "iraqi_pressure": "Iraqi pressure to expel US forces",
    "militia_resolve": "Militia attack rate (x baseline)",
    "red_line_credibility": "Credibility of the US red line (0-1)",
    "campaign": "Chance the militias are in a campaign (0-1)",
    "militia_attacks": "Militia attacks",
    "militia_attacks_true": "Militia attacks made, reported or not",
    "rocket_attack": "Militia rocket attacks",
    "drone_attack": "Militia drone attacks",
    "ied_attack": "Militia IED attacks",
    "other_attack": "Other militia attacks",
    "interception_only": "Militia attacks intercepted",
    "us_strike_rounds": "US strike rounds",
    "us_strike_sites": "Sites hit by US airstrikes",
    "return_fire": "US return fire",
    "israeli_strikes": "Israeli airstrikes",
    "us_killed": "Americans killed",
    "us_injured": "Americans injured",
}
#: Whose colour a variable is drawn in.
_VARIABLE_ACTOR = {
    **{name: Actor.MILITIA.value for name in COUNT_SERIES},
    "militia_resolve": Actor.MILITIA.value,
    "campaign": Actor.MILITIA.value,
    "us_strike_rounds": Actor.US.value,
    "us_strike_sites": Actor.US.value,
    "return_fire": Actor.US.value,
    "red_line_credibility": Actor.US.value,
    "us_killed": Actor.US.value,
    "us_injured": Actor.US.value,
    "israeli_strikes": Actor.ISRAEL.value,
    "iraqi_pressure": Actor.IRAQI_GOVERNMENT.value,
}
_QUANTILE_COLUMNS = ("q05", "q25", "q50", "q75", "q95")

#: Rows of the event raster, top to bottom: militia attacks, state strikes, political acts.
_ROWS = {
    **{
        (Actor.MILITIA.value, t.value): f"Militia {name}"
        for t, name in zip(
            MILITIA_ATTACKS,
            ("rocket attack", "drone attack", "IED attack", "attack, other", "attack, intercepted"),
            strict=True,
        )
    },
    (Actor.MILITIA.value, EventType.POLITICAL_ACTION.value): "Militia vow of revenge",
    (Actor.US.value, EventType.AIRSTRIKE.value): "US airstrike",
    (Actor.US.value, EventType.RETURN_FIRE.value): "US return fire",
    (Actor.ISRAEL.value, EventType.AIRSTRIKE.value): "Israeli airstrike",
    (Actor.UNKNOWN.value, EventType.AIRSTRIKE.value): "Unattributed airstrike",
    (Actor.IRAQI_GOVERNMENT.value, EventType.POLITICAL_ACTION.value): "Iraqi govt. political act",
    (Actor.US.value, EventType.POLITICAL_ACTION.value): "US political act",
    (Actor.IRAN.value, EventType.POLITICAL_ACTION.value): "Iranian political act",
}
_RC = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "axes.grid": True,
    "grid.color": "#E0E0E0",
    "grid.linewidth": 0.6,
    "axes.axisbelow": True,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#606060",
    "axes.titlelocation": "left",
    "savefig.dpi": 150,
}


@contextlib.contextmanager
def style():
    """The shared look (fonts, light grid, no top/right spines), for a ``with`` block only."""
    with mpl.rc_context(_RC):
        yield


# == fan charts ==================================================================================
@style()
def fan_chart(
    daily,
    variable,
    ax=None,
    observed=None,
    label=None,
    color=None,
    weekly=False,
    worlds=None,
    show_mean=False,
):
    """Quantile bands of one daily variable across worlds, with what was observed.

    The middle 90% (5-95%) of worlds is the light band, the middle 50% the darker one, the
    median the line; ``show_mean`` adds the mean, dashed.

    Parameters
    ----------
    daily : pandas.DataFrame or EnsembleResult
        Long table with columns ``date``, ``variable``, ``mean``, ``q05``... ``q95``
        (``EnsembleResult.daily``), or a result holding one (its ``daily_worlds`` then
        serves as ``worlds``).
    variable : str
        The variable to draw, e.g. ``"escalation_index"`` or ``"militia_attacks"``.
    observed : pandas.Series or pandas.DataFrame, optional
        Observed values: a Series indexed by date; a frame with ``date`` and a column named
        ``variable`` or ``value``; or canonical events (with ``event_type``), whose daily
        counts (:func:`escalation.forecasting.daily_counts`) or ladder and escalation index
        (:func:`escalation.model.ladder.daily_record`) are taken.
    label : str, optional
        Name of the simulated series in the legend (default "Simulated").
    color : color, optional
        Default: the colour of the actor the variable belongs to.
    weekly : bool
        Weekly totals of a count variable, weeks counted from the first date (the last week
        may be partial). Quantiles of daily counts do not add up to quantiles of weekly
        counts, so this needs each world's daily counts: ``worlds``, shape
        ``(days, n_worlds)`` (``EnsembleResult.daily_worlds[variable]``). The weekly sum of
        every world is taken first, then quantiles across worlds. Observed days missing from
        a Series count zero.
    worlds : numpy.ndarray, optional
        Per-world daily values ``(days, n_worlds)``, needed when ``weekly``.
    show_mean : bool
        Draw the mean across worlds as a dashed line.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if hasattr(daily, "daily") and not isinstance(daily, pd.DataFrame):
        if worlds is None and weekly and daily.daily_worlds is not None:
            worlds = daily.daily_worlds.get(variable)
        daily = daily.daily
    rows = _variable_rows(daily, variable)
    dates = pd.DatetimeIndex(rows["date"]).normalize()
    ax = _axes(ax, (8, 3.5))
    color = color or ACTOR_COLORS.get(_VARIABLE_ACTOR.get(variable), _SYSTEM)
    label = label or "Simulated"
    name = VARIABLE_LABELS.get(variable, variable.replace("_", " ").capitalize())
    series = None if observed is None else _observed_series(observed, variable, dates)
    if weekly:
        samples = _weekly_samples(variable, worlds, len(dates))
        edges = _weekly_fan(ax, dates[0], len(dates), samples, color, label, show_mean)
        if series is not None:
            _observed_weeks(ax, dates[0], len(dates), weekly_sums(series.fillna(0).to_numpy()))
        ax.set_ylabel(f"{name} per week")
    else:
        edges = np.append(dates.to_numpy(), (dates[-1] + pd.Timedelta(days=1)).to_datetime64())
        quantiles = rows.loc[:, list(_QUANTILE_COLUMNS)].to_numpy(dtype=float).T
        mean = rows["mean"].to_numpy(dtype=float) if show_mean else None
        _bands(ax, edges, quantiles, mean, color, label)
        if series is not None:
            ax.step(
                edges,
                np.append(series, series.iloc[-1]),
                where="post",
                color="black",
                lw=1.0,
                label="Observed",
                zorder=4,
            )
        ax.set_ylabel(f"{name} per day" if variable in COUNT_SERIES else name)
    if variable == "ladder":
        ax.set_yticks([r.value for r in Rung], [_rung_label(r) for r in Rung])
        ax.set_ylim(-0.3, max(r.value for r in Rung) + 0.3)
    else:
        ax.set_ylim(bottom=0)
    ax.set_xlim(edges[0], edges[-1])
    _month_axis(ax)
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=3)
    return ax


def _variable_rows(daily: pd.DataFrame, variable: str) -> pd.DataFrame:
    missing = [
        c for c in ("date", "variable", "mean", *_QUANTILE_COLUMNS) if c not in daily.columns
    ]
    if missing:
        raise ValueError(
            f"daily lacks column(s) {missing}; expected the long table of EnsembleResult.daily "
            "(date, variable, mean, q05, q25, q50, q75, q95)"
        )
    rows = daily.loc[daily["variable"] == variable].sort_values("date")
    if rows.empty:
        found = sorted(pd.unique(daily["variable"]).astype(str))
        raise ValueError(f"daily has no rows for variable {variable!r}; found {found}")
    steps = np.diff(pd.DatetimeIndex(rows["date"]).normalize().to_numpy())
    if (steps != np.timedelta64(1, "D")).any():
        raise ValueError(f"daily rows of {variable!r} must be consecutive days, one row per day")
    return rows


def _weekly_samples(variable: str, worlds, days: int) -> np.ndarray:
    """Weekly totals per world, shape ``(n_worlds, weeks)``, from daily values ``(days, n)``."""
    if variable not in COUNT_SERIES:
        raise ValueError(
            f"weekly=True sums daily counts; {variable!r} is not a count "
            f"(counts: {', '.join(COUNT_SERIES)})"
        )
    if worlds is None:
        raise ValueError(
            "weekly=True needs each world's daily counts: pass worlds= "
            "(EnsembleResult.daily_worlds[variable], shape (days, n_worlds), kept by "
            "run_ensemble(keep_events=True)), since quantiles of daily counts do not add up "
            "to quantiles of weekly counts"
        )
    worlds = np.asarray(worlds)
    if worlds.ndim != 2 or worlds.shape[0] != days:
        raise ValueError(f"worlds has shape {worlds.shape}, expected ({days}, n_worlds)")
    return weekly_sums(worlds.T)


def _weekly_fan(ax, start, days, samples, color, label, show_mean) -> np.ndarray:
    """Draw weekly quantile bands of ``samples`` (n_worlds, weeks); return the week edges."""
    edges = _week_edges(start, days)
    quantiles = np.quantile(samples, QUANTILES, axis=0)
    _bands(ax, edges, quantiles, samples.mean(axis=0) if show_mean else None, color, label)
    return edges


def _bands(ax, edges, quantiles, mean, color, label):
    """5-95% and 25-75% bands, median and optional mean, each value held from one edge to the next.

    ``quantiles`` has shape (5, k) for the levels 5, 25, 50, 75, 95%; ``edges`` has k + 1 dates.
    """
    held = np.concatenate([quantiles, quantiles[:, -1:]], axis=1)
    q05, q25, q50, q75, q95 = held
    ax.fill_between(
        edges,
        q05,
        q95,
        step="post",
        color=color,
        alpha=0.2,
        lw=0,
        label=f"{label}: middle 90% of worlds",
        gid="band90",
    )
    ax.fill_between(
        edges,
        q25,
        q75,
        step="post",
        color=color,
        alpha=0.4,
        lw=0,
        label=f"{label}: middle 50% of worlds",
        gid="band50",
    )
    ax.step(edges, q50, where="post", color=color, lw=1.5, label=f"{label}: median", gid="median")
    if mean is not None:
        ax.step(
            edges,
            np.append(mean, mean[-1]),
            where="post",
            color=color,
            lw=1.0,
            ls="--",
            label=f"{label}: mean",
            gid="mean",
        )


def _week_edges(start, days) -> np.ndarray:
    """Dates where weeks counted from ``start`` begin, and the day after the last one."""
    starts = pd.Timestamp(start) + pd.to_timedelta(np.arange(0, days, 7), "D")
    return starts.append(
        pd.DatetimeIndex([pd.Timestamp(start) + pd.Timedelta(days=days)])
    ).to_numpy()


def _observed_weeks(ax, start, days, counts) -> None:
    """Observed weekly counts as black dots at mid-week, over a fan chart."""
    ax.plot(
        _week_middles(start, days), counts, "o", color="black", ms=3.5, label="Observed", zorder=4
    )


def _week_middles(start, days) -> np.ndarray:
    edges = pd.DatetimeIndex(_week_edges(start, days))
    return (edges[:-1] + (edges[1:] - edges[:-1]) / 2).to_numpy()


def _observed_series(observed, variable: str, dates: pd.DatetimeIndex) -> pd.Series:
    """Observed values of ``variable`` on ``dates`` (NaN where the input gives none)."""
    if isinstance(observed, pd.DataFrame) and "event_type" in observed.columns:
        start, days = dates[0], len(dates)
        counts = daily_counts(observed, start, days)
        if variable in counts:
            values = counts[variable]
        elif variable in ("ladder", "escalation_index"):
            values = daily_record(observed, start, days)[variable].to_numpy()
        else:
            raise ValueError(
                f"cannot derive observed {variable!r} from events (only "
                f"{', '.join([*counts, 'ladder', 'escalation_index'])}); pass a Series by date"
            )
        return pd.Series(values, index=dates, dtype=float)
    if isinstance(observed, pd.DataFrame):
        column = variable if variable in observed.columns else "value"
        if "date" not in observed.columns or column not in observed.columns:
            raise ValueError(
                f"observed frame has columns {list(observed.columns)}; expected 'date' and "
                f"'{variable}' or 'value', or canonical events"
            )
        observed = pd.Series(observed[column].to_numpy(), index=observed["date"])
    if not isinstance(observed, pd.Series):
        raise TypeError(
            "observed must be a Series indexed by date or a DataFrame, "
            f"got {type(observed).__name__}"
        )
    index = pd.DatetimeIndex(pd.to_datetime(observed.index)).normalize()
    if index.has_duplicates:
        raise ValueError(f"observed has several values on {index[index.duplicated()][0].date()}")
    series = pd.Series(pd.to_numeric(observed.to_numpy(), errors="coerce"), index=index)
    return series.reindex(dates).astype(float)


# == event raster ================================================================================
def attacks_on_personnel(events: pd.DataFrame) -> np.ndarray:
    """Mask of militia attacks that crossed the 2021 red line: attacks on US personnel.

    An attack counts when it injured or killed Americans or its site has US personnel
    (:func:`escalation.model.sites.site_index`, the model's own definition), among the attacks the
    model simulates (:func:`escalation.events.counts.modelled_attacks`); intercepted attacks
    count too, as the 2021 line did not depend on casualties (Gulf International Forum, July
    2021, "U.S.-Iran Clashes in Syria and Iraq").
    """
    hurt = (known_counts(events, "us_injured") > 0) | (known_counts(events, "us_killed") > 0)
    return modelled_attacks(events) & (hurt | SITE_PERSONNEL[sites_of(events)])


@style()
def timeline(events, ax=None, observed=None, world=None):
    """Event raster: one row per actor and event type, one marker per event, by date.

    Observed events are filled markers, the simulated world's open markers, on two lanes of
    each row; triangles mark militia attacks on US personnel (:func:`attacks_on_personnel`),
    which crossed the 2021 red line; vertical lines mark the first day of each US strike round
    (solid: observed, dashed: simulated).

    Parameters
    ----------
    events : pandas.DataFrame or None
        Canonical events. With a ``world`` column (``EnsembleResult.events``) only ``world``
        is drawn, as simulated; without one the frame is drawn as one log.
    observed : pandas.DataFrame, optional
        Observed canonical events (``escalation.events.io.load_events()``).
    world : int, optional
        Simulated world to draw (default: the lowest world id in ``events``).

    Returns
    -------
    matplotlib.axes.Axes
    """
    layers = []
    if observed is not None:
        layers.append(("Observed", _check_events(observed, "observed"), True))
    if events is not None:
        events = _check_events(events, "events")
        if "world" in events.columns:
            if world is None:
                world = int(events["world"].min()) if len(events) else 0
            world = int(world)
            events = events.loc[events["world"] == world]
            layers.append(
                (
                    f"Simulated world {world}" + ("" if len(events) else " (no events)"),
                    events,
                    False,
                )
            )
        else:
            layers.append(("Events", events, observed is None))
    if not layers:
        raise ValueError("timeline needs events, observed events, or both")
    keys = pd.concat([layer[["actor", "event_type"]].astype(str) for _, layer, _ in layers])
    present = set(map(tuple, keys.drop_duplicates().to_numpy()))
    rows = [k for k in _ROWS if k in present] + sorted(present - set(_ROWS))
    row_of = {k: i for i, k in enumerate(rows)}
    ax = _axes(ax, (9, 1.2 + 0.32 * len(rows)))
    lane = 0.18 if len(layers) == 2 else 0.0
    handles = []
    for i, (name, frame, filled) in enumerate(layers):
        offset = lane if i == 0 else -lane
        y = np.array(
            [
                row_of[k]
                for k in zip(
                    frame["actor"].astype(str), frame["event_type"].astype(str), strict=True
                )
            ]
        )
        y = len(rows) - 1 - y + offset
        x = pd.to_datetime(frame["date"]).to_numpy()
        colors = np.array([ACTOR_COLORS.get(a, _NEUTRAL) for a in frame["actor"].astype(str)])
        crossing = attacks_on_personnel(frame)
        for mask, marker, size in ((~crossing, "o", 22), (crossing, "^", 34)):
            if mask.any():
                face = colors[mask] if filled else "none"
                ax.scatter(
                    x[mask],
                    y[mask],
                    s=size,
                    marker=marker,
                    facecolors=face,
                    edgecolors=colors[mask],
                    linewidths=0.9,
                    zorder=3,
                )
        for day in strike_round_starts(frame):
            ax.axvline(
                day,
                color=ACTOR_COLORS[Actor.US.value],
                lw=1.0,
                alpha=0.6,
                ls="-" if filled else "--",
                zorder=1,
            )
        handles.append(
            Line2D(
                [],
                [],
                ls="none",
                marker="o",
                color=_NEUTRAL,
                markerfacecolor=_NEUTRAL if filled else "none",
                label=name,
            )
        )
    handles += [
        Line2D(
            [],
            [],
            ls="none",
            marker="^",
            color=ACTOR_COLORS[Actor.MILITIA.value],
            markerfacecolor="none",
            label="Attack on US personnel (crosses the red line)",
        ),
        Line2D(
            [],
            [],
            color=ACTOR_COLORS[Actor.US.value],
            alpha=0.6,
            label="US strike round begins" + (" (dashed: simulated)" if lane else ""),
        ),
    ]
    dates = pd.to_datetime(pd.concat([layer["date"] for _, layer, _ in layers]))
    if len(dates):  # whole months, from the first event's to the last one's
        first, last = dates.min().to_period("M"), dates.max().to_period("M")
        ax.set_xlim(first.start_time, last.end_time.normalize() + pd.Timedelta(days=1))
    ax.set_yticks(np.arange(len(rows))[::-1], [_row_label(k) for k in rows])
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.grid(False, axis="y")
    ax.tick_params(axis="y", length=0)
    _month_axis(ax)
    ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0, 1.0), ncol=2)
    return ax


def _check_events(events, name: str) -> pd.DataFrame:
    if not isinstance(events, pd.DataFrame):
        raise TypeError(
            f"{name} must be a DataFrame of canonical events, got {type(events).__name__}"
        )
    missing = [c for c in ("date", "actor", "event_type") if c not in events.columns]
    if missing:
        raise ValueError(
            f"{name} lacks column(s) {missing}; expected canonical events "
            "(escalation.events.schema.COLUMNS)"
        )
    return events


def _row_label(key) -> str:
    actor, event_type = key
    if key in _ROWS:
        return _ROWS[key]
    if actor == Actor.NONE.value:
        return f"{event_type.replace('_', ' ').capitalize()} (no actor)"
    return f"{actor}: {event_type.replace('_', ' ')}"


# == ladder heat map =============================================================================
@style()
def ladder_heatmap(ladder, ax=None, start=None, observed=None):
    """Share of worlds on each rung of the escalation ladder, day by day.

    Parameters
    ----------
    ladder : numpy.ndarray or EnsembleResult
        Rungs ``(days, n_worlds)`` (``EnsembleResult.daily_worlds["ladder"]``) or a result
        that kept them (``keep_events=True``).
    start : date-like, optional
        First day of an array; without it the x axis counts days. Taken from the result.
    observed : pandas.Series or pandas.DataFrame, optional
        The observed ladder, drawn as a line: canonical events, a frame from
        :func:`escalation.model.ladder.daily_record`, or a Series of rungs by date.

    Returns
    -------
    matplotlib.axes.Axes
        Its first collection is the mesh; ``get_array()`` holds the shares, rungs by days.
    """
    if hasattr(ladder, "daily_worlds"):
        if not ladder.daily_worlds or "ladder" not in ladder.daily_worlds:
            raise ValueError("the ensemble kept no per-world days: run it with keep_events=True")
        start = ladder.scenario.start if start is None else start
        ladder = ladder.daily_worlds["ladder"]
    ladder = np.asarray(ladder)
    rungs = [r.value for r in Rung]
    if ladder.ndim != 2 or ladder.size == 0:
        raise ValueError(f"ladder has shape {ladder.shape}, expected (days, n_worlds)")
    if not np.isin(ladder, rungs).all():
        bad = ladder[~np.isin(ladder, rungs)].ravel()[0]
        raise ValueError(f"ladder holds {bad.item()!r}; expected rungs {rungs[0]}..{rungs[-1]}")
    days = ladder.shape[0]
    shares = np.stack([(ladder == r).mean(axis=1) for r in rungs])
    if start is None:
        x = np.arange(days + 1) - 0.5
        dates = None
    else:
        dates = pd.date_range(pd.Timestamp(start).normalize(), periods=days + 1, freq="D")
        x = dates.to_numpy()
    ax = _axes(ax, (9, 3.2))
    mesh = ax.pcolormesh(
        x, np.arange(len(rungs) + 1) - 0.5, shares, cmap="Blues", vmin=0, vmax=1, shading="flat"
    )
    ax.figure.colorbar(mesh, ax=ax, label="Share of worlds", pad=0.01, fraction=0.04)
    if observed is not None:
        if dates is None:
            raise ValueError("observed needs dates: pass start= with an array of rungs")
        series = _observed_series(observed, "ladder", dates[:-1])
        ax.step(
            dates.to_numpy(),
            np.append(series, series.iloc[-1]),
            where="post",
            color="black",
            lw=1.2,
            label="Observed rung",
        )
        ax.legend(loc="upper left")
    ax.set_yticks(rungs, [_rung_label(r) for r in Rung])
    ax.set_ylabel("Escalation ladder rung")
    ax.grid(False)
    if dates is None:
        ax.set_xlabel("Day")
    else:
        _month_axis(ax)
    return ax


def _rung_label(rung: Rung) -> str:
    return f"{rung.value} {rung.label}"


# == posterior ===================================================================================
@style()
def posterior(samples, axes=None, parameters=None, prior=None, bins=20):
    """Weighted marginals on the diagonal, pairwise weighted 2-D histograms below.

    Parameters
    ----------
    samples : pandas.DataFrame or Posterior
        One column per parameter plus ``weight`` (:attr:`.Posterior.samples`).
    axes : array of Axes, optional
        A ``(k, k)`` grid for ``k`` parameters; axes above the diagonal are hidden.
    parameters : list of str, optional
        Parameters to draw, in order (default: all).
    prior : mapping or True, optional
        Prior densities to overlay on the diagonal: parameter -> frozen ``scipy.stats``
        distribution or :class:`escalation.model.parameters.Prior`; True takes each parameter's
        declared prior (:data:`escalation.model.parameters.PARAMETERS`).
    bins : int
        Histogram bins per parameter.

    Returns
    -------
    numpy.ndarray of Axes, shape ``(k, k)``
    """
    if hasattr(samples, "samples") and not isinstance(samples, pd.DataFrame):
        samples = samples.samples
    if not isinstance(samples, pd.DataFrame) or "weight" not in samples.columns:
        raise ValueError("samples must be a DataFrame with one column per parameter and 'weight'")
    names = list(parameters) if parameters is not None else [c for c in samples if c != "weight"]
    unknown = [n for n in names if n not in samples.columns or n == "weight"]
    if unknown or not names:
        raise ValueError(f"parameters {unknown or names} not in samples columns {list(samples)}")
    weights = samples["weight"].to_numpy(dtype=float)
    if (weights < 0).any() or not weights.sum() > 0:
        raise ValueError("sample weights must be >= 0 with a positive sum")
    weights = weights / weights.sum()
    priors = _priors(prior, names, PARAMETERS)
    k = len(names)
    if axes is None:
        fig, axes = plt.subplots(
            k, k, figsize=(1.9 * k + 0.8, 1.9 * k + 0.6), squeeze=False, layout="constrained"
        )
        ess = 1.0 / np.sum(weights**2)
        fig.suptitle(f"Posterior: {len(samples)} weighted samples (effective size {ess:.0f})")
    axes = np.asarray(axes, dtype=object).reshape(k, k) if np.size(axes) == k * k else None
    if axes is None:
        raise ValueError(f"axes must hold {k} x {k} Axes for {k} parameters")
    edges = {n: np.histogram_bin_edges(samples[n].to_numpy(dtype=float), bins) for n in names}
    for i, row in enumerate(names):
        for j, column in enumerate(names):
            ax = axes[i, j]
            x = samples[column].to_numpy(dtype=float)
            if j > i:
                ax.set_visible(False)
                continue
            if i == j:
                ax.hist(
                    x,
                    bins=edges[column],
                    weights=weights,
                    density=True,
                    color=_NEUTRAL,
                    alpha=0.55,
                    histtype="stepfilled",
                    label="Posterior",
                )
                if column in priors:
                    grid = np.linspace(edges[column][0], edges[column][-1], 200)
                    ax.plot(
                        grid,
                        priors[column].pdf(grid),
                        color=ACTOR_COLORS["US"],
                        lw=1.2,
                        ls="--",
                        label="Prior",
                    )
                ax.set_yticks([])
                ax.grid(False)
            else:
                y = samples[row].to_numpy(dtype=float)
                ax.hist2d(
                    x,
                    y,
                    bins=[edges[column], edges[row]],
                    weights=weights,
                    cmap="Greys",
                    cmin=1e-12,
                )
                ax.set_ylim(edges[row][0], edges[row][-1])
            ax.set_xlim(edges[column][0], edges[column][-1])
            ax.set_xlabel(_parameter_label(column, PARAMETERS) if i == k - 1 else "")
            ax.set_ylabel(_parameter_label(row, PARAMETERS) if j == 0 and i > 0 else "")
            if i < k - 1:
                ax.tick_params(labelbottom=False)
            if 0 < j < i:
                ax.tick_params(labelleft=False)
    if priors:
        axes[0, 0].legend(loc="upper right")
    return axes


def _priors(prior, names, declared) -> dict:
    if prior is None:
        return {}
    if prior is True:
        prior = {n: declared[n].prior for n in names if n in declared and declared[n].prior}
    out = {}
    for name, dist in prior.items():
        if name in names:
            dist = dist.frozen() if hasattr(dist, "frozen") else dist
            if not callable(getattr(dist, "pdf", None)):
                raise TypeError(
                    f"prior for {name!r} has no pdf(); expected a scipy.stats "
                    "distribution or an escalation.model.parameters.Prior"
                )
            out[name] = dist
    return out


def _parameter_label(name: str, declared) -> str:
    unit = declared[name].unit if name in declared else ""
    return f"{name}\n({unit})" if unit else name


# == forecasts ===================================================================================
@style()
def forecast_vs_observed(forecasts, observed, axes=None, name=MILITIA):
    """One panel per forecasting method: weekly fan chart with the observed weekly counts.

    Each panel's title gives the method's mean CRPS over weeks and the share of weeks whose
    observed count fell inside the 90% band (:func:`escalation.scoring.score`); all panels
    share the y axis.

    Parameters
    ----------
    forecasts : list of Forecast or dict of str to Forecast
        Forecasts (a dict names the panels by its keys).
    observed : pandas.DataFrame
        Observed canonical events covering the forecast windows.
    axes : sequence of Axes, optional
        At least one per forecast.
    name : str
        Series to draw (scores are always of militia attacks).

    Returns
    -------
    numpy.ndarray of Axes, one per forecast
    """
    items = (
        list(forecasts.items())
        if isinstance(forecasts, dict)
        else [(f.method, f) for f in forecasts]
    )
    if not items or not all(isinstance(f, Forecast) for _, f in items):
        raise TypeError("forecasts must be a non-empty list or dict of Forecast")
    n = len(items)
    created = axes is None
    if created:
        ncols = min(n, 2)
        nrows = math.ceil(n / ncols)
        fig, grid = plt.subplots(
            nrows,
            ncols,
            figsize=(5.2 * ncols, 3.2 * nrows),
            sharey=True,
            squeeze=False,
            layout="constrained",
        )
        for extra in grid.ravel()[n:]:
            extra.set_visible(False)
        axes = grid.ravel()[:n]
    axes = np.asarray(axes, dtype=object).ravel()
    if len(axes) < n:
        raise ValueError(f"axes holds {len(axes)} Axes for {n} forecasts")
    axes = axes[:n]
    label = VARIABLE_LABELS.get(name, name.replace("_", " ").capitalize())
    top = 0.0
    for ax, (title, forecast) in zip(axes, items, strict=True):
        samples = forecast.weekly(name)
        edges = _weekly_fan(
            ax,
            forecast.start,
            forecast.days,
            samples,
            ACTOR_COLORS.get(_VARIABLE_ACTOR.get(name), _SYSTEM),
            "Forecast",
            show_mean=False,
        )
        counts = weekly_sums(daily_counts(observed, forecast.start, forecast.days)[name])
        _observed_weeks(ax, forecast.start, forecast.days, counts)
        top = max(top, np.quantile(samples, QUANTILES[-1], axis=0).max(), counts.max())
        scores = score(forecast, observed)
        covered = round(scores["coverage90"] * scores["n_weeks"])
        ax.set_title(
            f"{title}\nmean CRPS {scores['crps']:.2f}; observed inside the 90% band "
            f"in {covered} of {scores['n_weeks']} weeks"
        )
        spec = ax.get_subplotspec()
        ax.set_ylabel(f"{label} per week" if spec is None or spec.is_first_col() else "")
        ax.set_xlim(edges[0], edges[-1])
        _month_axis(ax)
    for ax in axes:
        ax.set_ylim(0, top * 1.08 + 0.5)
    handles, labels = axes[0].get_legend_handles_labels()
    if created:
        axes[0].figure.legend(handles, labels, loc="outside lower center", ncol=len(labels))
    else:
        axes[0].legend(loc="upper right")
    return axes


# == scenarios ===================================================================================
@style()
def scenario_comparison(table, ax=None, metric=None, baseline=None):
    """Dot-and-interval plot of one quantity across scenarios, the baseline highlighted.

    Parameters
    ----------
    table : pandas.DataFrame
        Columns ``scenario``, ``quantity``, ``estimate`` and either ``lo`` and ``hi`` (drawn
        as given) or ``mcse`` (drawn as estimate +- 1.96 MCSE: the Monte Carlo uncertainty of
        the estimate, not the spread across worlds); ``unit`` is used if present. Such a
        table stacks :meth:`EnsembleResult.summary` tables with a ``scenario`` column.
    metric : str, optional
        The ``quantity`` to compare; needed when the table holds several.
    baseline : str, optional
        The scenario to highlight (default: the first whose name starts with "baseline").

    Returns
    -------
    matplotlib.axes.Axes
    """
    missing = [c for c in ("scenario", "quantity", "estimate") if c not in table.columns]
    if missing or not ({"lo", "hi"} <= set(table.columns) or "mcse" in table.columns):
        raise ValueError(
            f"table has columns {list(table.columns)}; expected scenario, quantity, estimate "
            "and mcse (or lo and hi)"
        )
    quantities = list(pd.unique(table["quantity"]))
    if metric is None:
        if len(quantities) != 1:
            raise ValueError(f"table holds several quantities, pick one with metric=: {quantities}")
        metric = quantities[0]
    rows = table.loc[table["quantity"] == metric]
    if rows.empty:
        raise ValueError(f"no rows for metric {metric!r}; quantities: {quantities}")
    if rows["scenario"].duplicated().any():
        raise ValueError(f"metric {metric!r} has several rows for one scenario")
    estimate = rows["estimate"].to_numpy(dtype=float)
    if {"lo", "hi"} <= set(rows.columns):
        lo, hi = rows["lo"].to_numpy(dtype=float), rows["hi"].to_numpy(dtype=float)
        interval = "Bars: interval from lo to hi"
    else:
        half = 1.96 * rows["mcse"].to_numpy(dtype=float)
        lo, hi = estimate - half, estimate + half
        interval = "Bars: estimate \u00b1 1.96 Monte Carlo standard errors"
    names = rows["scenario"].astype(str).tolist()
    if baseline is None:
        baseline = next((s for s in names if s.startswith("baseline")), None)
    elif baseline not in names:
        raise ValueError(f"baseline {baseline!r} is not among the scenarios {names}")
    y = np.arange(len(names))[::-1]
    ax = _axes(ax, (7, 0.9 + 0.4 * len(names)))
    base = np.array([s == baseline for s in names])
    colors = np.where(base, ACTOR_COLORS[Actor.US.value], _NEUTRAL)
    ax.hlines(y, lo, hi, colors=colors, lw=2.0, alpha=0.7)
    ax.scatter(estimate, y, color=colors, s=30, zorder=3)
    if base.any():
        ax.axvline(estimate[base][0], color=ACTOR_COLORS[Actor.US.value], lw=0.8, ls=":", zorder=1)
    ax.set_yticks(y, names)
    for tick, is_base in zip(ax.get_yticklabels(), base, strict=True):
        if is_base:
            tick.set_fontweight("bold")
            tick.set_color(ACTOR_COLORS[Actor.US.value])
    ax.set_ylim(-0.6, len(names) - 0.4)
    ax.grid(False, axis="y")
    unit = rows["unit"].iloc[0] if "unit" in rows.columns else ""
    name = VARIABLE_LABELS.get(metric, metric)
    ax.set_xlabel(f"{name} ({unit})" if unit and unit != "probability" else name)
    ax.set_title(
        interval + (f"; {baseline} highlighted" if base.any() else ""),
        fontsize="small",
        color="#606060",
    )
    return ax


# == calibration checks ==========================================================================
@style()
def predictive_check(table, ax=None):
    """Observed statistics against their posterior predictive 90% bands, one row per statistic.

    ``table`` is :func:`escalation.inference.calibration.posterior_predictive`'s output. Each row is
    scaled by its own band (0 at q05, 1 at q95) so statistics of different units share an
    axis; the observed value is a dot, filled when inside the band, open when outside.

    Returns
    -------
    matplotlib.axes.Axes
    """
    missing = [c for c in ("statistic", "observed", "q05", "q50", "q95") if c not in table.columns]
    if missing:
        raise ValueError(f"table lacks columns {missing}; expected posterior_predictive's output")
    width = (table["q95"] - table["q05"]).to_numpy(dtype=float)
    width = np.where(width > 0, width, 1.0)

    def scaled(column):
        return (table[column].to_numpy(dtype=float) - table["q05"].to_numpy(dtype=float)) / width

    y = np.arange(len(table))[::-1]
    ax = _axes(ax, (7, 1.0 + 0.28 * len(table)))
    ax.hlines(y, 0.0, 1.0, colors=_NEUTRAL, lw=4, alpha=0.35, label="90% predictive band")
    ax.scatter(scaled("q50"), y, marker="|", color=_NEUTRAL, s=60, label="predictive median")
    observed = scaled("observed")
    # Inside the band as posterior_predictive decides it, also when the band has no width.
    values = table["observed"].to_numpy(dtype=float)
    inside = (table["q05"].to_numpy(dtype=float) <= values) & (
        values <= table["q95"].to_numpy(dtype=float)
    )
    color = ACTOR_COLORS[Actor.MILITIA.value]
    ax.scatter(observed[inside], y[inside], color=color, s=28, zorder=3, label="observed (inside)")
    ax.scatter(
        observed[~inside],
        y[~inside],
        facecolors="none",
        edgecolors=color,
        s=28,
        zorder=3,
        label="observed (outside)",
    )
    ax.set_yticks(y, table["statistic"].astype(str).tolist())
    ax.set_xlabel("Position within the 90% predictive band (0 = 5th, 1 = 95th percentile)")
    ax.set_title(
        f"Posterior predictive check: {int(inside.sum())} of {len(table)} observed "
        "statistics inside their band",
        fontsize="small",
    )
    ax.legend(
        loc="lower center", bbox_to_anchor=(0.5, 1.04), ncol=2, fontsize="small", frameon=False
    )
    ax.grid(False, axis="y")
    return ax


# == shared helpers ==============================================================================
def _axes(ax, figsize):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def _month_axis(ax) -> None:
    """Ticks at month starts labelled "Jan", "Feb"... with the year where it changes."""
    locator = mdates.AutoDateLocator(minticks=2, maxticks={mdates.MONTHLY: 14})
    formatter = mdates.ConciseDateFormatter(
        locator,
        formats=["%Y", "%b", "%d %b", "%H:%M", "%H:%M", "%S.%f"],
        zero_formats=["", "%b\n%Y", "%d %b", "%H:%M", "%H:%M", "%S.%f"],
        offset_formats=["", "%Y", "%Y", "%d %b %Y", "%d %b %Y", "%d %b %Y %H:%M"],
    )
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(formatter)


# == forecast calibration: PIT and reliability ===================================================
__all__ += ["pit_histogram", "reliability_diagram"]

#: Nominal levels of the central intervals in :func:`reliability_diagram`: 10% to 90%.
RELIABILITY_LEVELS = tuple(np.round(np.arange(0.1, 1.0, 0.1), 1))


@style()
def pit_histogram(
    pit_values: ArrayLike, bins: int = PIT_BINS, ax: Axes | None = None, label: str | None = None
) -> Axes:
    """Histogram of PIT values as a density, with the uniform reference line at 1.

    ``pit_values`` are randomised PITs of count forecasts
    (:func:`escalation.scoring.randomized_pit`; Czado, Gneiting & Held 2009). A calibrated
    forecaster gives a flat histogram; a U shape says its intervals are too narrow, a hump
    too wide, a slope that it is biased. The title gives the chi-square test of uniformity
    (:func:`escalation.scoring.pit_chisquare`).

    Returns
    -------
    matplotlib.axes.Axes
    """
    values = np.asarray(pit_values, dtype=float).ravel()
    test = pit_chisquare(values, bins)
    ax = _axes(ax, (4, 3))
    color = ACTOR_COLORS[Actor.MILITIA.value]
    ax.hist(values, bins=bins, range=(0, 1), density=True, color=color, alpha=0.7, ec="white")
    ax.axhline(1.0, color=_NEUTRAL, lw=1.2, ls="--", label="uniform")
    ax.set_xlim(0, 1)
    ax.set_xlabel("PIT")
    ax.set_ylabel("Density")
    prefix = f"{label}\n" if label else ""
    ax.set_title(
        f"{prefix}chi2 = {test.statistic:.1f}, p = {test.p_value:.2g} (n = {test.n})",
        fontsize="small",
    )
    return ax


@style()
def reliability_diagram(
    pit_values: Mapping[str, ArrayLike] | ArrayLike,
    levels: Sequence[float] = RELIABILITY_LEVELS,
    ax: Axes | None = None,
) -> Axes:
    """Observed frequency inside central prediction intervals against their nominal level.

    ``pit_values`` are randomised PITs, or a mapping of method name to them (one line each).
    A week lies inside the central ``p`` interval when its PIT falls in
    [(1 - p) / 2, (1 + p) / 2] (:func:`escalation.scoring.pit_coverage`), which is exact for
    counts. Points on the diagonal are calibrated; below it, intervals too narrow.

    Returns
    -------
    matplotlib.axes.Axes
    """
    series = dict(pit_values) if isinstance(pit_values, Mapping) else {"": pit_values}
    nominal = np.asarray(levels, dtype=float)
    ax = _axes(ax, (4.5, 4))
    ax.plot([0, 1], [0, 1], color=_NEUTRAL, lw=1, ls="--", label="calibrated")
    for name, values in series.items():
        ax.plot(nominal, pit_coverage(values, nominal), marker="o", ms=4, label=name or None)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_aspect("equal")
    ax.set_xlabel("Nominal level of the central interval")
    ax.set_ylabel("Observed frequency inside")
    ax.legend(loc="upper left", fontsize="small", frameon=False)
    return ax
