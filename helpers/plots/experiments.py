"""Drawing for A/B readouts (axes-level): lifts with intervals, segment effects, assignments.

Each function draws what :mod:`helpers.analysis.experiments` computed; none computes statistics.
Titles and axis labels are messages of the report language (``ab.plot.*``); metric names are
shown as given unless ``labels`` maps them to words.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from helpers.core import schema as S
from helpers.core.errors import ParameterError
from helpers.display.format import date_axis_formats, fmt
from helpers.display.text import t

__all__ = [
    "plot_lifts",
    "plot_segment_effects",
    "plot_cumulative_assignments",
    "plot_cumulative_lift",
]

_LIFT_COLUMNS = {
    "relative": ("lift_rel", "ci_rel_low", "ci_rel_high"),
    "absolute": ("lift_abs", "ci_abs_low", "ci_abs_high"),
}


def _ax(ax):
    return ax if ax is not None else plt.gca()


def plot_lifts(
    results, *, scale: str = "relative", labels: Mapping | None = None, ax=None, **kwargs
):
    """Forest plot: the lift of each metric (and treatment variant) with its interval.

    Parameters
    ----------
    results : Readout or DataFrame
        ``Readout`` or its ``results`` table.
    scale : {"relative", "absolute"}
    labels : mapping, optional
        Metric name -> the words shown for it (default: the names).
    ax : matplotlib Axes, optional
    **kwargs
        Passed to ``Axes.errorbar``.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> ax = plot_lifts(readout)  # doctest: +SKIP
    """
    if scale not in _LIFT_COLUMNS:
        raise ParameterError(
            f"The value for `scale` must be one of {list(_LIFT_COLUMNS)}, "
            f"but {scale!r} was passed."
        )
    table = getattr(results, "results", results)
    control = getattr(results, "control", "control")
    labels = labels or {}
    lift, lo, hi = _LIFT_COLUMNS[scale]
    t_ = table.dropna(subset=[lift]).reset_index(drop=True)
    ax = _ax(ax)
    y = np.arange(len(t_))[::-1]
    err = np.vstack([t_[lift] - t_[lo], t_[hi] - t_[lift]])
    kwargs.setdefault("fmt", "o")
    kwargs.setdefault("capsize", 3)
    ax.errorbar(t_[lift], y, xerr=err, **kwargs)
    ax.axvline(0, color="grey", linewidth=1, linestyle="--")
    multi = t_["variant"].nunique() > 1
    names = [str(labels.get(m, m)) for m in t_["metric"]]
    ticks = [
        t("ab.plot.metric_variant", metric=n, variant=v) if multi else n
        for n, v in zip(names, t_["variant"])
    ]
    ax.set_yticks(y, ticks)
    ax.set_xlabel(t("ab.plot.lifts_xlabel", scale=t(f"ab.scale.{scale}"), control=control))
    ax.set_title(t("ab.plot.lifts_title", control=control))
    if scale == "relative":
        ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: fmt(v, "change", digits=0)))
    return ax


def plot_segment_effects(effects, *, label: str | None = None, ax=None, **kwargs):
    """Per-segment lifts with intervals; the title carries Cochran's Q p-value.

    Parameters
    ----------
    effects : SegmentEffects or DataFrame
        ``segment_effects`` result or its ``table`` (``segment, lift, ci_low, ci_high``).
    label : str, optional
        The metric in words for the title (default: its name).

    Returns
    -------
    matplotlib.axes.Axes
    """
    table = getattr(effects, "table", effects)
    t_ = table.reset_index(drop=True)
    ax = _ax(ax)
    y = np.arange(len(t_))[::-1]
    err = np.vstack([t_["lift"] - t_["ci_low"], t_["ci_high"] - t_["lift"]])
    kwargs.setdefault("fmt", "s")
    kwargs.setdefault("capsize", 3)
    ax.errorbar(t_["lift"], y, xerr=np.abs(err), **kwargs)
    ax.axvline(0, color="grey", linewidth=1, linestyle="--")
    ax.set_yticks(y, [str(s) for s in t_["segment"]])
    ax.set_xlabel(t("ab.plot.segments_xlabel"))
    if hasattr(effects, "q_p_value"):
        metric = label or effects.metric
        ax.set_title(t("ab.plot.segments_title", metric=metric, p=effects.q_p_value))
    return ax


def plot_cumulative_assignments(
    assignments_df: pd.DataFrame,
    *,
    experiment: str | None = None,
    time_col: str = S.ASSIGNED_AT,
    freq: str = "D",
    ax=None,
    **kwargs,
):
    """Cumulative users assigned per variant over time (a widening gap hints at SRM).

    Each user counts once, at their first assignment. ``assignments_df`` is the per-user
    assignments table (an aggregate, so pandas).

    Returns
    -------
    matplotlib.axes.Axes
    """
    a = assignments_df
    if experiment is not None:
        a = a[a[S.EXPERIMENT] == experiment]
    for col in (S.USER_ID, S.VARIANT, time_col):
        if col not in a.columns:
            raise ParameterError(
                f"`assignments_df` needs a column {col!r}; found {list(a.columns)}."
            )
    first = a.sort_values(time_col).drop_duplicates(S.USER_ID)
    times = pd.to_datetime(first[time_col])
    period = times.dt.tz_localize(None) if times.dt.tz is not None else times
    counts = (
        first.assign(_t=period.dt.floor(freq))
        .groupby(["_t", S.VARIANT])
        .size()
        .unstack(fill_value=0)
        .sort_index()
        .cumsum()
    )
    ax = _ax(ax)
    for variant in counts.columns:
        ax.plot(counts.index, counts[variant], label=str(variant), **kwargs)
    ax.set_ylabel(t("ab.plot.assignments_ylabel"))
    ax.set_xlabel(
        t("ab.plot.assignments_xlabel")
        if freq == "D"
        else t("ab.plot.assignments_xlabel_period", freq=freq)
    )
    ax.set_title(
        t("ab.plot.assignments_title_of", experiment=experiment)
        if experiment
        else t("ab.plot.assignments_title")
    )
    locator = mdates.AutoDateLocator(maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, **date_axis_formats()))
    ax.legend(title=t("ab.plot.variant"))
    return ax


def plot_cumulative_lift(timeline, *, label: str | None = None, ax=None, **kwargs):
    """The cumulative relative lift by day since the start, with its interval (shaded), one line
    per treatment variant; the dashed line is no change.

    Parameters
    ----------
    timeline : CumulativeLift
        :func:`helpers.analysis.experiments.timeline.cumulative_lift` result.
    label : str, optional
        The metric in words for the title (default: its name).

    Returns
    -------
    matplotlib.axes.Axes
    """
    table = timeline.table.dropna(subset=["lift"])
    ax = _ax(ax)
    for variant, g in table.groupby("variant", sort=True):
        line = ax.plot(g["day_index"], g["lift"], label=str(variant), **kwargs)[0]
        ax.fill_between(
            g["day_index"], g["ci_low"], g["ci_high"], color=line.get_color(), alpha=0.18
        )
    ax.axhline(0, color="grey", linewidth=1, linestyle="--")
    # the first days' intervals are wide: the axis fits the days with a tenth of the final users
    last = table.groupby("variant")[["n_control", "n_treatment"]].transform("max")
    settled = table[
        (table["n_control"] >= 0.1 * last["n_control"])
        & (table["n_treatment"] >= 0.1 * last["n_treatment"])
    ]
    if len(settled):
        lo, hi = min(settled["ci_low"].min(), 0.0), max(settled["ci_high"].max(), 0.0)
        pad = 0.08 * (hi - lo) if hi > lo else 0.05
        ax.set_ylim(lo - pad, hi + pad)
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: fmt(v, "change", digits=0)))
    ax.set_xlabel(t("ab.plot.timeline_xlabel", start=timeline.start))
    ax.set_ylabel(t("ab.plot.timeline_ylabel", control=timeline.control))
    ax.set_title(t("ab.plot.timeline_title", metric=label or timeline.metric))
    if table["variant"].nunique() > 1:
        ax.legend(title=t("ab.plot.variant"))
    return ax
