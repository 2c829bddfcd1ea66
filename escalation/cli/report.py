"""Text tables, figures and the "wrote" line of the ``escalation`` command and its scripts.

The numbers come from :mod:`escalation.compare` and :mod:`escalation.ensemble`; this module
only lays them out. Comparison figures show the paired differences (scenario minus baseline,
world by world under common random numbers) with their Monte Carlo intervals, the fan charts
of two scenarios differ in colour and in hatching and line style (so they stay apart in
greyscale), and weekly fan charts draw whole weeks only, the days of a final partial week
marked rather than drawn as a week with a median near zero.
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Literal

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from tqdm.auto import tqdm

from escalation import plotting
from escalation.compare import BASELINE, QUANTITIES
from escalation.ensemble import EnsembleResult

#: Colour of the baseline in comparison figures (Okabe & Ito 2008 sky blue, which no actor uses).
BASELINE_COLOR = "#56B4E9"
#: Colour of the scenario drawn over it (Okabe & Ito 2008 vermillion: dark where the sky blue
#: is light, so the two stay apart in greyscale too).
SCENARIO_COLOR = "#D55E00"
#: Hatching and median line style of the baseline and the scenario fans.
_LOOK: dict[str, tuple[str, Literal["--", "-"]]] = {
    "baseline": ("////", "--"),
    "scenario": ("\\\\\\\\", "-"),
}
#: Outputs above this many bytes earn a note of their total size.
LARGE_OUTPUT_BYTES = 100_000_000
#: The note that explains the columns of :func:`format_table`.
_COMPARISON_NOTE = (
    "MC s.e.: Monte Carlo standard error (more worlds shrink it). vs baseline: mean of the "
    "paired per-world\ndifferences, scenario - baseline (same seed, world by world), and its "
    "MC s.e. posterior 5-95%: spread across\nposterior draws of the per-draw mean, net of "
    "Monte Carlo noise (n/a: no parameter draws, or too few\nworlds per draw to tell the draws "
    "apart: one world per draw, an event too rare, a spread no larger\nthan the noise)."
)
_SUMMARY_NOTE = (
    "mcse: Monte Carlo standard error of the estimate; q05, q50, q95: quantiles across worlds; "
    "n: worlds the\nestimate rests on."
)


# == text ========================================================================================
def text_table(
    header: Sequence[str], rows: Sequence[Sequence[str] | None], left: Iterable[int] = (0,)
) -> str:
    """Rows of strings as aligned text under a ruled header; ``None`` rows are blank lines.

    Columns whose index is in ``left`` are left-aligned, the others (numbers) right-aligned.
    """
    left = set(left)
    filled = [r for r in rows if r is not None]
    widths = [max(len(h), *(len(r[i]) for r in filled)) for i, h in enumerate(header)]

    def fmt(cells: Sequence[str]) -> str:
        pairs = enumerate(zip(cells, widths, strict=True))
        return "  ".join(c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in pairs).rstrip()

    lines = [fmt(header), "  ".join("-" * w for w in widths)]
    lines += ["" if r is None else fmt(r) for r in rows]
    return "\n".join(lines)


def format_table(table: pd.DataFrame, baseline: str = BASELINE) -> str:
    """A comparison table as aligned text, grouped by quantity, with a note on its columns."""
    order = {q.name: i for i, q in enumerate(QUANTITIES)}
    rows = table.assign(_q=table["quantity"].map(order)).sort_values("_q", kind="stable")
    header = [
        "quantity",
        "scenario",
        "estimate",
        "MC s.e.",
        "vs baseline",
        "MC s.e.",
        "posterior 5-95%",
        "difference: posterior 5-95%",
    ]
    if "observed" in table.columns:
        header.append("observed")
    cells = []
    for _, row in rows.iterrows():
        digits = 3 if row["unit"] == "probability" else 2
        is_base = row["scenario"] == baseline
        line = [
            row["quantity"],
            row["scenario"],
            _number(row["estimate"], digits),
            _number(row["mcse"], digits),
            "" if is_base else _number(row["difference"], digits, signed=True),
            "" if is_base else _number(row["difference_mcse"], digits),
            _band(row["posterior_q05"], row["posterior_q95"], digits),
            ""
            if is_base
            else _band(row["difference_posterior_q05"], row["difference_posterior_q95"], digits),
        ]
        if "observed" in table.columns:
            line.append(_number(row["observed"], digits) if is_base else "")
        cells.append(line)
    grouped: list[list[str] | None] = []
    previous = None
    for line in cells:  # one block per quantity, its name on the first row only
        if previous is not None and line[0] != previous:
            grouped.append(None)
        grouped.append(line if line[0] != previous else [""] + line[1:])
        previous = line[0]
    return text_table(header, grouped, left=(0, 1)) + "\n\n" + _COMPARISON_NOTE


def _number(x: float | None, digits: int, signed: bool = False) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{x:+.{digits}f}" if signed else f"{x:.{digits}f}"


def _band(lo: float, hi: float, digits: int) -> str:
    if math.isnan(lo) or math.isnan(hi):
        return "n/a"
    return f"[{lo:.{digits}f}, {hi:.{digits}f}]"


def summary_text(summary: pd.DataFrame, observed: Mapping[str, float] | None = None) -> str:
    """An ensemble summary as text, every estimate with its error, ``observed`` beside them."""
    if observed is not None:
        summary = summary.assign(observed=summary["quantity"].map(observed))
    note = _SUMMARY_NOTE + ("\nobserved: the 2021 record over the same window." if observed else "")
    return f"{summary}\n\n{note}"


def design_line(worlds_per_draw: int) -> str:
    """How worlds share posterior draws, and what that means for the posterior 5-95% column."""
    if worlds_per_draw == 1:
        return (
            "Each world draws its own parameters from the posterior (1 world per draw, as "
            "'escalation run' does): posterior 5-95% rests only on worlds that happened to "
            "draw the same particle; --worlds-per-draw 10 gives it several worlds per draw."
        )
    return (
        f"{worlds_per_draw} consecutive worlds share each posterior draw "
        "(--worlds-per-draw), so the spread across draws is told from Monte Carlo noise."
    )


# == writing =====================================================================================
def progress_enabled() -> bool:
    """The package's progress rule: a bar when stderr is a terminal and ``CI`` is unset."""
    return sys.stderr.isatty() and not os.environ.get("CI")


def write_outputs(steps: Sequence[tuple[str, Callable[[], list[Path]]]]) -> list[Path]:
    """Run the named writing steps in order, with a progress bar on stderr; the paths written."""
    written: list[Path] = []
    bar = tqdm(steps, desc="writing", unit="step", disable=not progress_enabled(), file=sys.stderr)
    for name, step in bar:
        bar.set_postfix_str(name)
        written += step()
    return written


def saved_files(directory: Path) -> list[Path]:
    """The files :meth:`EnsembleResult.save` wrote to ``directory``, read from its manifest."""
    record = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    return [directory / name for name in record.get("outputs", {})] + [directory / "manifest.json"]


def wrote(out: Path, written: Iterable[Path], large_hint: str = "") -> str:
    """The closing lines: what this run wrote to ``out``, its size when large, and stale files.

    Only files in ``written`` are listed; other files in ``out`` (left by earlier runs) are
    named apart so they are not mistaken for this run's output.
    """
    paths = sorted({Path(p) for p in written})
    names = [str(p.relative_to(out)) if p.is_relative_to(out) else str(p) for p in paths]
    lines = [f"wrote {out}: {', '.join(names)}"]
    total = sum(p.stat().st_size for p in paths)
    if total > LARGE_OUTPUT_BYTES:
        lines.append(f"{total / 1e6:,.0f} MB in all" + (f"; {large_hint}" if large_hint else ""))
    stale = sorted(p.name for p in out.iterdir() if p not in paths) if out.is_dir() else []
    if stale:
        lines.append(f"{out} also holds files this run did not write: {', '.join(stale)}")
    return "\n".join(lines)


# == figures =====================================================================================
def _save(fig: Figure, path: Path) -> Path:
    fig.savefig(path, dpi=150)
    plt.close(fig)
    return path


def run_figures(result: EnsembleResult, out: Path, observed: pd.DataFrame | None) -> list[Path]:
    """Figures of one ensemble, as far as what it kept allows; the paths written.

    Always the escalation index fan chart; with per-world days kept also weekly attacks (whole
    weeks), the ladder heat map and one world's timeline. ``observed`` events are overlaid.
    """
    written = []
    fig, ax = plt.subplots(figsize=(9, 4), layout="constrained")
    plotting.fan_chart(
        result, "escalation_index", ax=ax, observed=observed, label=result.scenario.name
    )
    written.append(_save(fig, out / "escalation_index.png"))
    if result.daily_worlds is None:
        return written
    fig, ax = plt.subplots(figsize=(9, 4), layout="constrained")
    weekly_fan(result, ax, label=result.scenario.name, observed=observed)
    written.append(_save(fig, out / "attacks_weekly.png"))
    fig, ax = plt.subplots(figsize=(9, 3.4), layout="constrained")
    plotting.ladder_heatmap(result, ax=ax, observed=observed)
    written.append(_save(fig, out / "ladder.png"))
    if result.events is not None:
        fig, ax = plt.subplots(figsize=(9, 4.5), layout="constrained")
        plotting.timeline(result.events, ax=ax, observed=observed, world=0)
        written.append(_save(fig, out / "timeline.png"))
    return written


def weekly_fan(
    result: EnsembleResult,
    ax: Axes,
    label: str,
    observed: pd.DataFrame | None = None,
    color: str | None = None,
    variable: str = "militia_attacks",
) -> Axes:
    """Weekly fan chart of a count over whole weeks; the days of a final partial week marked.

    A partial last week (365 days are 52 weeks and a day) would be drawn as a week whose
    median is near zero; it is left out and shaded instead, so every drawn week is seven days.
    """
    if result.daily_worlds is None:
        raise ValueError("weekly fan charts need per-world days: run with keep_events=True")
    days = result.daily_worlds[variable].shape[0]
    whole = 7 * (days // 7) or days
    rows = result.daily[result.daily["variable"] == variable].sort_values("date")
    plotting.fan_chart(
        rows.iloc[:whole],
        variable,
        ax=ax,
        observed=observed,
        label=label,
        color=color,
        weekly=True,
        worlds=result.daily_worlds[variable][:whole],
    )
    marked = any(patch.get_gid() == "partial_week" for patch in ax.patches)
    if whole < days and not marked:
        first = mdates.date2num(pd.Timestamp(result.scenario.start))
        ax.axvspan(
            first + whole,
            first + days,
            color="0.85",
            hatch="..",
            label=f"last {days - whole} day(s): a partial week, not drawn",
            gid="partial_week",
        )
        ax.set_xlim(right=first + days)
    return ax


def _distinguish(ax: Axes, label: str, look: str) -> None:
    """Hatch the bands and set the median's line style of the fan labelled ``label``."""
    hatch, style = _LOOK[look]
    for band in ax.collections:
        if str(band.get_label()).startswith(f"{label}: middle"):
            band.set_hatch(hatch)
    for line in ax.lines:
        if line.get_label() == f"{label}: median":
            line.set_linestyle(style)


def _difference_rows(table: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """Per scenario and quantity: the paired difference and its 95% Monte Carlo interval.

    Differences of probabilities are clipped to what they can be, [-p, 1 - p] for a
    baseline probability p, so both probabilities stay in [0, 1].
    """
    base = table[table["scenario"] == baseline].set_index("quantity")
    rows = table[table["scenario"] != baseline]
    half = 1.96 * rows["difference_mcse"]
    lo, hi = rows["difference"] - half, rows["difference"] + half
    p = rows["quantity"].map(base["estimate"])
    probability = rows["unit"] == "probability"
    lo = lo.where(~probability, np.maximum(lo, -p))
    hi = hi.where(~probability, np.minimum(hi, 1 - p))
    return pd.DataFrame(
        {
            "scenario": rows["scenario"],
            "quantity": rows["quantity"],
            "unit": rows["unit"],
            "estimate": rows["difference"],
            "lo": lo,
            "hi": hi,
        }
    )


def _estimate_rows(table: pd.DataFrame) -> pd.DataFrame:
    """Estimates with their 95% Monte Carlo intervals, probabilities clipped to [0, 1]."""
    half = 1.96 * table["mcse"]
    lo, hi = table["estimate"] - half, table["estimate"] + half
    probability = table["unit"] == "probability"
    return table.assign(
        lo=lo.where(~probability, lo.clip(lower=0.0)),
        hi=hi.where(~probability, hi.clip(upper=1.0)),
    )


def comparison_panels(
    table: pd.DataFrame, baseline: str, quantities: Sequence[str], title: str
) -> Figure:
    """One panel per quantity: each scenario's paired difference from the baseline.

    Each bar is the mean over worlds of scenario minus baseline, world by world under
    common random numbers, +- 1.96 standard errors of those paired differences. With no
    scenario but the baseline, its estimates are drawn instead (+- 1.96 MC s.e.).
    """
    paired = (table["scenario"] != baseline).any()
    shown = _difference_rows(table, baseline) if paired else _estimate_rows(table)
    ncols = 3
    nrows = math.ceil(len(quantities) / ncols)
    scenarios = shown["scenario"].nunique()
    height = max(2.2, 0.35 * scenarios + 1.2)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(15, height * nrows), layout="constrained", squeeze=False
    )
    for ax, quantity in zip(axes.ravel(), quantities, strict=False):
        highlight = None if paired else baseline
        plotting.scenario_comparison(shown, ax=ax, metric=quantity, baseline=highlight)
        ax.set_title("", loc="left")
        ax.xaxis.set_major_locator(MaxNLocator(5))
        if paired:
            ax.axvline(0.0, color="black", lw=0.8, zorder=1)
            ax.set_xlabel(f"{quantity}: scenario - {baseline}")
    for ax in axes.ravel()[len(quantities) :]:
        ax.set_visible(False)
    fig.suptitle(title)
    return fig


def comparison_title(baseline: str, worlds: int, paired: bool) -> str:
    """The title of :func:`comparison_panels`, saying what the bars are."""
    if paired:
        return (
            f"Paired differences from {baseline} ({worlds} worlds, same seed, world by world): "
            "mean +- 1.96 Monte Carlo standard errors"
        )
    return f"{baseline} ({worlds} worlds): estimate +- 1.96 Monte Carlo standard errors"


def comparison_figures(
    results: Mapping[str, EnsembleResult],
    table: pd.DataFrame,
    out: Path | str,
    baseline: str = BASELINE,
    observed: pd.DataFrame | None = None,
) -> list[Path]:
    """Write the comparison figures of results run with one seed to ``out``; the paths written.

    ``comparison.png``: every scenario's paired difference from the baseline on the main
    quantities; with per-world days kept (``keep_events=True``) also ``attacks_weekly.png``
    and ``escalation_index.png`` (fan charts of each scenario over the baseline, observed
    overlaid when ``observed`` is given) and ``ladder.png`` (a ladder heat map per scenario).
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    metrics = [q.name for q in QUANTITIES if q.name != "Americans killed"]
    base = results[baseline]
    title = comparison_title(baseline, base.n_worlds, len(results) > 1)
    written = [_save(comparison_panels(table, baseline, metrics, title), out / "comparison.png")]
    if any(r.daily_worlds is None for r in results.values()):
        return written
    others = [n for n in results if n != baseline] or [baseline]
    for variable, name in (
        ("militia_attacks", "attacks_weekly.png"),
        ("escalation_index", "escalation_index.png"),
    ):
        fig, axes = plt.subplots(
            len(others),
            1,
            figsize=(9, 3.4 * len(others)),
            layout="constrained",
            squeeze=False,
            sharex=True,
        )
        for ax, other in zip(axes[:, 0], others, strict=True):
            drawn = [(baseline, BASELINE_COLOR, "baseline")] if other != baseline else []
            drawn.append((other, SCENARIO_COLOR, "scenario"))
            for label, color, look in drawn:
                shown_observed = observed if label == other else None
                if variable == "militia_attacks":
                    weekly_fan(results[label], ax, label, shown_observed, color)
                else:
                    plotting.fan_chart(
                        results[label],
                        variable,
                        ax=ax,
                        label=label,
                        color=color,
                        observed=shown_observed,
                    )
                _distinguish(ax, label, look)
            # Each call fixes the y range to its own bands; fit both, legend in two columns.
            ax.autoscale(enable=True, axis="y")
            ax.set_ylim(bottom=0)
            ax.legend(
                loc="lower left", bbox_to_anchor=(0, 1.0), ncol=2, fontsize="small", frameon=False
            )
        written.append(_save(fig, out / name))

    shown = [baseline] + [n for n in results if n != baseline]
    fig, axes = plt.subplots(
        len(shown),
        1,
        figsize=(9, 2.9 * len(shown)),
        layout="constrained",
        squeeze=False,
        sharex=True,
    )
    for ax, name in zip(axes[:, 0], shown, strict=True):
        plotting.ladder_heatmap(
            results[name], ax=ax, observed=observed if name == baseline else None
        )
        ax.set_title(f"{name}: share of worlds on each rung")
    written.append(_save(fig, out / "ladder.png"))
    return written
