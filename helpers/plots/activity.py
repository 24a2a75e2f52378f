"""Activity drawings: DAU/WAU/MAU, stickiness, power users, lifecycle, retention, drivers.

Each function draws a result of :mod:`helpers.analysis.activity` on one Axes and returns it; nothing
here computes a measure (STYLE.md rule 9), calls ``plt.show()`` or saves a file. Every word on a
chart comes from the catalog (:func:`helpers.display.text.t`).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import Patch
from matplotlib.ticker import PercentFormatter

from helpers.analysis.activity.lifecycle import LifecycleCounts
from helpers.analysis.activity.profile import AttributeProfile
from helpers.analysis.activity.retention import KMRetention, RetentionMatrix
from helpers.analysis.activity.rolling import RollingActive
from helpers.analysis.activity.stickiness import PowerUserCurve, StickinessBuckets
from helpers.display.format import fmt
from helpers.display.text import t, tn

__all__ = [
    "plot_active_users",
    "plot_stickiness",
    "plot_power_users",
    "plot_lifecycle",
    "plot_retention_heatmap",
    "plot_retention_curve",
    "plot_km_retention",
    "plot_attribute_index",
    "plot_attribute_section",
    "plot_drivers",
    "plot_stickiness_buckets",
    "behaviour_label",
]

_LIFECYCLE_COLOURS = {
    "new": "#0072B2",
    "returning": "#009E73",
    "resurrecting": "#E69F00",
    "dormant": "#D55E00",
}


def _axes(ax, figsize=(7.5, 4.0)):
    return ax if ax is not None else plt.subplots(figsize=figsize)[1]


def _period_label(d, period: str) -> str:
    """A period's start as a tick label: the date of a week, the ``YYYY-MM`` of a month."""
    return fmt(pd.Timestamp(d), "date") if period == "week" else pd.Timestamp(d).strftime("%Y-%m")


def behaviour_label(event, threshold, first_days: int) -> str:
    """The words for a retention-driver behaviour: an event done at least ``threshold`` times in
    the first ``first_days`` days, or a 0/1 attribute's name (``threshold`` missing).

    >>> behaviour_label("share", 2, 7), behaviour_label("joined_community", float("nan"), 7)
    ('share at least 2 times in the first 7 days', 'joined_community')
    """
    if pd.isna(threshold):
        return str(event)
    return tn("activity.drivers.behaviour", int(threshold), event=event, days=first_days)


def plot_active_users(result: RollingActive, *, ax=None, **kwargs):
    """DAU, WAU and MAU lines from :func:`helpers.analysis.activity.rolling.rolling_active`.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    d = result.daily
    for col, w in zip(("mau", "wau", "dau"), result.windows[::-1]):
        label = tn("activity.plot.window", w, name=t(f"activity.plot.{col}"))
        ax.plot(d["day"], d[col], label=label, **kwargs)
    ax.set_ylim(bottom=0)
    ax.set_xlabel(t("activity.plot.day_axis"))
    ax.set_ylabel(t("activity.plot.active_users_axis"))
    ax.set_title(t("activity.plot.active_users_title"))
    ax.legend(loc="upper left")
    ax.figure.autofmt_xdate()
    return ax


def plot_stickiness(result: RollingActive, *, ax=None, **kwargs):
    """DAU/MAU and WAU/MAU per day from :func:`helpers.analysis.activity.rolling.rolling_active`."""
    ax = _axes(ax)
    d = result.daily
    ax.plot(d["day"], d["dau_mau"], label=t("activity.plot.dau_mau"), **kwargs)
    ax.plot(d["day"], d["wau_mau"], label=t("activity.plot.wau_mau"), **kwargs)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylim(0, 1)
    ax.set_xlabel(t("activity.plot.day_axis"))
    ax.set_ylabel(t("activity.plot.stickiness_axis"))
    ax.set_title(t("activity.plot.stickiness_title"))
    ax.legend(loc="upper left")
    ax.figure.autofmt_xdate()
    return ax


def plot_power_users(result: PowerUserCurve, *, ax=None, **kwargs):
    """Power-user curve (L28 histogram) from
    :func:`helpers.analysis.activity.stickiness.power_user_curve`."""
    ax = _axes(ax)
    h = result.histogram
    ax.bar(h["active_days"], h["share"], width=0.8, color="#0072B2", **kwargs)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    n = result.window_days
    ax.set_xlabel(t("activity.plot.power_axis", days=n, as_of=result.as_of))
    ax.set_ylabel(t("activity.plot.power_share_axis"))
    ax.set_title(t("activity.plot.power_title", days=n))
    return ax


def plot_stickiness_buckets(result: StickinessBuckets, *, ax=None, **kwargs):
    """Stacked shares of active-day buckets per month from ``stickiness_over_time``."""
    ax = _axes(ax)
    wide = result.buckets.pivot_table(
        index="month", columns="bucket", values="share", observed=False
    ).fillna(0)
    bottom = np.zeros(len(wide))
    labels = [_period_label(m, "month") for m in wide.index]
    for col in wide.columns:
        label = t("activity.plot.bucket_legend", bucket=col)
        ax.bar(labels, wide[col].to_numpy(), bottom=bottom, label=label, **kwargs)
        bottom += wide[col].to_numpy()
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel(t("activity.plot.month_axis"))
    ax.set_ylabel(t("activity.plot.buckets_axis"))
    ax.set_title(t("activity.plot.buckets_title"))
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return ax


def plot_lifecycle(result: LifecycleCounts, *, ax=None, quick_ratio: bool = True, **kwargs):
    """Lifecycle bars (dormant below zero) with the quick ratio on a twin axis.

    A period cut by the end of the data (``complete`` False) is drawn hatched and pale, and has
    no quick ratio: with fewer days it holds fewer users and would read as a drop.
    """
    ax = _axes(ax)
    p = result.periods
    x = np.arange(len(p))
    pos = np.zeros(len(p))
    partial = ~p["complete"].to_numpy(bool) if "complete" in p else np.zeros(len(p), bool)

    def bars(values, bottom, colour, label):
        # complete periods solid, a partial one hatched and pale
        for cut, style in ((~partial, {}), (partial, {"hatch": "//", "alpha": 0.45})):
            if cut.any():
                ax.bar(
                    x[cut],
                    values[cut],
                    bottom=bottom[cut],
                    color=colour,
                    label=label,
                    **style,
                    **kwargs,
                )
                label = None  # one legend entry per state

    for state in ("returning", "resurrecting", "new"):
        label = t(f"activity.plot.state.{state}")
        bars(p[state].to_numpy(), pos.copy(), _LIFECYCLE_COLOURS[state], label)
        pos += p[state].to_numpy()
    dormant = t("activity.plot.state.dormant")
    bars(p["dormant"].to_numpy(), np.zeros(len(p)), _LIFECYCLE_COLOURS["dormant"], dormant)

    ax.axhline(0, color="black", linewidth=0.8)
    period = result.period
    labels_all = [_period_label(d, period) for d in p["period_start"]]
    step = max(1, int(np.ceil(len(x) / 14)))  # at most ~14 readable tick labels
    ax.set_xticks(x[::step], labels_all[::step], rotation=45, ha="right")
    ax.set_xlabel(t(f"activity.plot.period_axis.{period}"))
    ax.set_ylabel(t("activity.plot.lifecycle_axis"))
    ax.set_title(t(f"activity.plot.lifecycle_title.{period}"))
    handles, labels = ax.get_legend_handles_labels()
    if partial.any():
        handles.append(Patch(facecolor="white", edgecolor="grey", hatch="//"))
        labels.append(t(f"activity.plot.partial.{period}"))
    if quick_ratio:
        ax2 = ax.twinx()
        ratio = t("activity.plot.quick_ratio")
        (line,) = ax2.plot(
            x, p["quick_ratio"].where(~partial), color="black", marker="o", label=ratio
        )
        ax2.axhline(1, color="grey", linestyle=":", linewidth=0.8)
        ax2.set_ylabel(ratio)
        ax2.set_ylim(bottom=0)
        handles, labels = handles + [line], labels + [ratio]
    ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.08, 1.0), fontsize="small")
    return ax


def plot_retention_heatmap(
    result: RetentionMatrix, *, ax=None, cmap="Blues", annotate: bool = True, **kwargs
):
    """Cohort x period retention heatmap; incomplete cells (NaN) are left blank."""
    ax = _axes(ax, figsize=(8, 5))
    rates = result.rates.set_index("cohort_start")
    data = np.ma.masked_invalid(rates.to_numpy(dtype=float))
    im = ax.imshow(data, aspect="auto", cmap=cmap, vmin=0, vmax=1, **kwargs)
    cohort = result.cohort
    ax.set_xticks(range(rates.shape[1]), [str(c) for c in rates.columns])
    every = max(1, int(np.ceil(rates.shape[0] / 20)))  # at most ~20 readable cohort labels
    ax.set_yticks(
        range(0, rates.shape[0], every),
        [_period_label(d, cohort) for d in rates.index[::every]],
    )
    if annotate and data.size <= 400:
        for i in range(data.shape[0]):
            for j in range(data.shape[1]):
                if not np.ma.is_masked(data[i, j]):
                    v = float(data[i, j])
                    ax.text(
                        j,
                        i,
                        fmt(v, "share", digits=0),
                        ha="center",
                        va="center",
                        fontsize=7,
                        color="white" if v > 0.6 else "black",
                    )
    ax.set_xlabel(t(f"activity.plot.since_start.{cohort}"))
    ax.set_ylabel(t(f"activity.plot.cohort_axis.{cohort}"))
    ax.set_title(t(f"activity.plot.heatmap_title.{cohort}"))
    ax.figure.colorbar(
        im, ax=ax, label=t("activity.plot.retained_axis"), format=PercentFormatter(1.0)
    )
    return ax


def plot_retention_curve(result: RetentionMatrix, *, ax=None, label=None, **kwargs):
    """Cohort-size-weighted mean retention curve with its Wilson 95 % band."""
    ax = _axes(ax)
    m = result.mean_curve
    (line,) = ax.plot(
        m["period"], m["rate"], marker="o", label=label or t("activity.plot.mean_curve"), **kwargs
    )
    ax.fill_between(m["period"], m["ci_low"], m["ci_high"], alpha=0.2, color=line.get_color())
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(t(f"activity.plot.since_start.{result.cohort}"))
    ax.set_ylabel(t("activity.plot.retained_share_axis"))
    ax.set_title(t("activity.plot.mean_curve_title"))
    ax.legend(loc="upper right")
    return ax


def plot_km_retention(result: KMRetention, *, ax=None, label=None, **kwargs):
    """Kaplan-Meier retention curve (step) with its 95 % band from ``km_retention``."""
    ax = _axes(ax)
    c = result.curve
    (line,) = ax.step(
        c["period"],
        c["retention"],
        where="post",
        label=label or t("activity.plot.km_curve"),
        **kwargs,
    )
    ax.fill_between(
        c["period"], c["ci_low"], c["ci_high"], step="post", alpha=0.2, color=line.get_color()
    )
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(t(f"activity.plot.since_start.{result.cohort}"))
    ax.set_ylabel(t("activity.plot.km_axis"))
    ax.set_title(t("activity.plot.km_title"))
    ax.legend(loc="upper right")
    return ax


def plot_attribute_index(
    result: AttributeProfile, *, attribute: str | None = None, ax=None, **kwargs
):
    """Horizontal bars of the over/under-representation index (100 = same as all users)."""
    ax = _axes(ax)
    p = result.profile
    if attribute is not None:
        p = p[p["attribute"] == attribute]
        labels = list(p["value"])
    else:
        labels = [
            t("activity.plot.attribute_value", attribute=a, value=v)
            for a, v in zip(p["attribute"], p["value"])
        ]
    colours = np.where(p["index"] >= 100, "#0072B2", "#D55E00")
    y = np.arange(len(p))
    ax.barh(y, p["index"] - 100, left=100, color=colours, **kwargs)
    ax.axvline(100, color="black", linewidth=0.8)
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlabel(t("activity.plot.index_axis"))
    ax.set_ylabel(attribute or t("activity.plot.attribute_axis"))
    ax.set_title(
        t("activity.plot.who_by_title", attribute=attribute)
        if attribute
        else t("activity.plot.who_title")
    )
    return ax


def _bar_lengths(rate, low, high) -> np.ndarray:
    """Error-bar lengths below and above ``rate``; a bound that rounding puts a hair past the
    rate (a Wilson bound of a 0% or 100% rate) is a bar of length 0, not a negative one.

    >>> _bar_lengths(np.array([0.0, 0.5]), np.array([1e-17, 0.4]), np.array([0.2, 0.6])).round(2)
    array([[0. , 0.1],
           [0.2, 0.1]])
    """
    rate, low, high = (np.asarray(v, dtype=float) for v in (rate, low, high))
    return np.clip(np.vstack([rate - low, high - rate]), 0.0, None)


def plot_drivers(result, *, top: int = 15, ax=None, **kwargs):
    """Dot plot of day-N retention of doers vs non-doers per behaviour (Wilson 95 % bars)."""
    ax = _axes(ax, figsize=(8, 0.4 * min(top, len(result.drivers)) + 1.5))
    d = result.drivers.dropna(subset=["score"]).head(top)
    y = np.arange(len(d))
    ax.errorbar(
        d["rate_doers"],
        y,
        xerr=_bar_lengths(d["rate_doers"], d["ci_low_doers"], d["ci_high_doers"]),
        fmt="o",
        color="#0072B2",
        label=t("activity.plot.did_it"),
        **kwargs,
    )
    ax.errorbar(
        d["rate_non_doers"],
        y + 0.25,
        xerr=_bar_lengths(d["rate_non_doers"], d["ci_low_non_doers"], d["ci_high_non_doers"]),
        fmt="s",
        color="#999999",
        label=t("activity.plot.did_not"),
        **kwargs,
    )
    labels = []
    for ev, k, strongest, score in zip(d["event"], d["threshold"], d["strongest"], d["score"]):
        tick = t(
            "activity.plot.driver_tick",
            behaviour=behaviour_label(ev, k, result.first_days),
            score=score,
        )
        labels.append(t("activity.plot.strongest", label=tick) if strongest else tick)
    ax.set_yticks(y + 0.125, labels)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel(t("activity.plot.drivers_axis", day=result.retention_day))
    ax.set_ylabel(t("activity.plot.behaviour_axis"))
    ax.set_title(t("activity.plot.drivers_title"))
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))  # outside: the dots fill the axes
    return ax


def plot_attribute_section(profile, *, ax=None):
    """The attribute-index chart of ``sections.active_users.attribute_section``; nothing for
    the note it shows without a users table."""
    if not isinstance(profile, AttributeProfile):
        return None
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 0.28 * len(profile.profile) + 1.5))
    return plot_attribute_index(profile, ax=ax)
