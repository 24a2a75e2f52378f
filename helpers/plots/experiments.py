"""Drawing for A/B readouts (axes-level): lifts with intervals, segment effects, assignments.

Each function draws what :mod:`helpers.analysis.experiments.readout` computed; none computes statistics.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from helpers.core import schema as S
from helpers.core.errors import ParameterError

__all__ = ["plot_lifts", "plot_segment_effects", "plot_cumulative_assignments"]

_LIFT_COLUMNS = {
    "relative": ("lift_rel", "ci_rel_low", "ci_rel_high"),
    "absolute": ("lift_abs", "ci_abs_low", "ci_abs_high"),
}


def _ax(ax):
    return ax if ax is not None else plt.gca()


def plot_lifts(results, *, scale: str = "relative", ax=None, **kwargs):
    """Forest plot: the lift of each metric (and treatment variant) with its interval.

    Parameters
    ----------
    results : Readout or DataFrame
        ``Readout`` or its ``results`` table.
    scale : {"relative", "absolute"}
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
    lift, lo, hi = _LIFT_COLUMNS[scale]
    t = table.dropna(subset=[lift]).reset_index(drop=True)
    ax = _ax(ax)
    y = np.arange(len(t))[::-1]
    err = np.vstack([t[lift] - t[lo], t[hi] - t[lift]])
    kwargs.setdefault("fmt", "o")
    kwargs.setdefault("capsize", 3)
    ax.errorbar(t[lift], y, xerr=err, **kwargs)
    ax.axvline(0, color="grey", linewidth=1, linestyle="--")
    multi = t["variant"].nunique() > 1
    labels = [f"{m} ({v})" if multi else str(m) for m, v in zip(t["metric"], t["variant"])]
    ax.set_yticks(y, labels)
    ax.set_xlabel(f"{scale} lift vs control, with interval")
    ax.set_title("Lift of each metric over control")
    if scale == "relative":
        ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:+.0%}"))
    return ax


def plot_segment_effects(effects, *, ax=None, **kwargs):
    """Per-segment lifts with intervals; the title carries Cochran's Q p-value.

    Parameters
    ----------
    effects : SegmentEffects or DataFrame
        ``segment_effects`` result or its ``table`` (``segment, lift, ci_low, ci_high``).

    Returns
    -------
    matplotlib.axes.Axes
    """
    table = getattr(effects, "table", effects)
    t = table.reset_index(drop=True)
    ax = _ax(ax)
    y = np.arange(len(t))[::-1]
    err = np.vstack([t["lift"] - t["ci_low"], t["ci_high"] - t["lift"]])
    kwargs.setdefault("fmt", "s")
    kwargs.setdefault("capsize", 3)
    ax.errorbar(t["lift"], y, xerr=np.abs(err), **kwargs)
    ax.axvline(0, color="grey", linewidth=1, linestyle="--")
    ax.set_yticks(y, [str(s) for s in t["segment"]])
    ax.set_xlabel("lift vs control by segment, with interval")
    if hasattr(effects, "q_p_value"):
        ax.set_title(f"{effects.metric}: heterogeneity p = {effects.q_p_value:.3g}")
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
    t = pd.to_datetime(first[time_col])
    period = t.dt.tz_localize(None) if t.dt.tz is not None else t
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
    ax.set_ylabel("users assigned (cumulative)")
    ax.set_xlabel("assignment date" if freq == "D" else f"assignment period ({freq})")
    ax.set_title(
        "Users assigned per variant over time" + (f": {experiment}" if experiment else "")
    )
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.legend(title="variant")
    return ax
