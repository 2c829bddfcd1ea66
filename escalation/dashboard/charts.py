"""Matplotlib figures the pages show, built without pyplot so tasks may draw in threads."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from escalation.model.ladder import Rung
from escalation.plotting import fan_chart

#: Two-sided 95% normal quantile: intervals are estimate +- this many standard errors.
Z95 = 1.96


def observed_within(events: pd.DataFrame, scenario) -> pd.DataFrame | None:
    """The observed events when some fall in the scenario's window, else None."""
    dates = events["date"]
    inside = (dates >= pd.Timestamp(scenario.start)) & (dates <= pd.Timestamp(scenario.end))
    return events if inside.any() else None


def ensemble_figure(result, observed=None) -> Figure:
    """Fan charts of weekly militia attacks and the daily escalation index, with the record."""
    figure = Figure(figsize=(9, 6.5), layout="constrained")
    top, bottom = figure.subplots(2, 1, sharex=True)
    fan_chart(result, "militia_attacks", ax=top, observed=observed, weekly=True)
    fan_chart(result, "escalation_index", ax=bottom, observed=observed)
    figure.suptitle(f"{result.scenario.name}: {result.n_worlds} worlds")
    return figure


def differences_figure(table: pd.DataFrame, quantity: str, baseline: str) -> Figure:
    """Paired differences from the baseline of one quantity: 95% Monte Carlo interval and,
    where defined, the 5-95% posterior band."""
    rows = table[(table["quantity"] == quantity) & (table["scenario"] != baseline)]
    figure = Figure(figsize=(8, 1.4 + 0.5 * len(rows)), layout="constrained")
    ax = figure.subplots()
    y = np.arange(len(rows))[::-1]
    diff = rows["difference"].to_numpy(float)
    half = Z95 * rows["difference_mcse"].to_numpy(float)
    band_lo = rows["difference_posterior_q05"].to_numpy(float)
    band_hi = rows["difference_posterior_q95"].to_numpy(float)
    ax.hlines(y, band_lo, band_hi, color="#bbbbbb", lw=7, label="posterior 5-95%")
    ax.errorbar(diff, y, xerr=half, fmt="o", color="#0072B2", capsize=3, label="95% interval")
    ax.axvline(0.0, color="black", lw=0.8)
    ax.set_yticks(y, rows["scenario"].tolist())
    ax.set_ylim(-0.7, len(rows) - 0.3)
    unit = rows["unit"].iloc[0] if len(rows) else ""
    ax.set_xlabel(f"difference from {baseline} ({unit})")
    ax.set_title(quantity, loc="left")
    ax.legend(loc="lower right", fontsize="small")
    return figure


def forecast_figure(result, observed=None) -> Figure:
    """The forecast's weekly fan of militia attacks, with observed weeks where known."""
    figure = Figure(figsize=(9, 4), layout="constrained")
    ax = figure.subplots()
    result.plot(observed=observed, ax=ax)
    ax.set_title(f"{result.method}: {result.n_worlds} worlds from {result.start.date()}")
    return figure


def ladder_figure(history: pd.DataFrame) -> Figure:
    """Escalation index and ladder rung of one world, day by day so far."""
    figure = Figure(figsize=(7, 3), layout="constrained")
    ax = figure.subplots()
    if len(history):
        ax.plot(history["date"], history["escalation_index"], color="#D55E00", label="index")
        rung = ax.twinx()
        rung.step(history["date"], history["ladder"], where="post", color="#555555", lw=1)
        rung.set_ylabel("ladder rung")
        rung.set_ylim(-0.3, max(Rung) + 0.3)
    ax.set_ylabel("escalation index")
    ax.set_ylim(bottom=0)
    figure.autofmt_xdate()
    return figure
