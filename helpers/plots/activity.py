"""Activity drawings: DAU/WAU/MAU, stickiness, power users, lifecycle, retention, drivers.

Each function draws a result of :mod:`helpers.analysis.activity` on one Axes and returns it; nothing
here computes a measure (STYLE.md rule 9), calls ``plt.show()`` or saves a file.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import PercentFormatter

__all__ = [
    "plot_active_users",
    "plot_stickiness",
    "plot_power_users",
    "plot_lifecycle",
    "plot_retention_heatmap",
    "plot_retention_curve",
    "plot_km_retention",
    "plot_attribute_index",
    "plot_drivers",
    "plot_stickiness_buckets",
]

_LIFECYCLE_COLOURS = {
    "new": "#0072B2",
    "returning": "#009E73",
    "resurrecting": "#E69F00",
    "dormant": "#D55E00",
}


def _axes(ax, figsize=(7.5, 4.0)):
    return ax if ax is not None else plt.subplots(figsize=figsize)[1]


def plot_active_users(result, *, ax=None, **kwargs):
    """DAU, WAU and MAU lines from :func:`helpers.analysis.activity.rolling_active`.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    d = result.daily
    w = result.params.get("windows", (1, 7, 28))
    for col, label in zip(
        ("mau", "wau", "dau"), (f"MAU ({w[2]} days)", f"WAU ({w[1]} days)", f"DAU ({w[0]} day)")
    ):
        ax.plot(d["day"], d[col], label=label, **kwargs)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("day (business timezone)")
    ax.set_ylabel("active users (distinct)")
    ax.set_title("Daily, weekly and monthly active users")
    ax.legend(loc="upper left")
    ax.figure.autofmt_xdate()
    return ax


def plot_stickiness(result, *, ax=None, **kwargs):
    """DAU/MAU and WAU/MAU per day from :func:`helpers.analysis.activity.rolling_active`."""
    ax = _axes(ax)
    d = result.daily
    ax.plot(d["day"], d["dau_mau"], label="DAU / MAU", **kwargs)
    ax.plot(d["day"], d["wau_mau"], label="WAU / MAU", **kwargs)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylim(0, 1)
    ax.set_xlabel("day (business timezone)")
    ax.set_ylabel("stickiness (% of MAU)")
    ax.set_title("Stickiness")
    ax.legend(loc="upper left")
    ax.figure.autofmt_xdate()
    return ax


def plot_power_users(result, *, ax=None, **kwargs):
    """Power-user curve (L28 histogram) from :func:`helpers.analysis.activity.power_user_curve`."""
    ax = _axes(ax)
    h = result.histogram
    ax.bar(h["active_days"], h["share"], width=0.8, color="#0072B2", **kwargs)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    n = result.params.get("window_days", len(h))
    ax.set_xlabel(f"active days in the {n} days to {result.params.get('as_of', '')}")
    ax.set_ylabel("share of active users (%)")
    ax.set_title(f"Power-user curve (L{n})")
    return ax


def plot_stickiness_buckets(result, *, ax=None, **kwargs):
    """Stacked shares of active-day buckets per month from ``stickiness_over_time``."""
    ax = _axes(ax)
    wide = result.buckets.pivot_table(
        index="month", columns="bucket", values="share", observed=False
    ).fillna(0)
    bottom = np.zeros(len(wide))
    labels = [f"{m:%Y-%m}" for m in wide.index]
    for col in wide.columns:
        ax.bar(labels, wide[col].to_numpy(), bottom=bottom, label=f"{col} days", **kwargs)
        bottom += wide[col].to_numpy()
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("month")
    ax.set_ylabel("share of the month's active users (%)")
    ax.set_title("Active days per month")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return ax


def plot_lifecycle(result, *, ax=None, quick_ratio: bool = True, **kwargs):
    """Lifecycle bars (dormant below zero) with the quick ratio on a twin axis.

    A period cut by the end of the data (``complete`` False) is drawn hatched and pale, and has
    no quick ratio: with fewer days it holds fewer users and would read as a drop.
    """
    ax = _axes(ax)
    p = result.periods
    x = np.arange(len(p))
    pos = np.zeros(len(p))
    partial = ~p["complete"].to_numpy(bool) if "complete" in p else np.zeros(len(p), bool)

    def bars(
        values, bottom, colour, label
    ):  # complete periods solid, a partial one hatched and pale
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
        bars(p[state].to_numpy(), pos.copy(), _LIFECYCLE_COLOURS[state], state)
        pos += p[state].to_numpy()
    bars(p["dormant"].to_numpy(), np.zeros(len(p)), _LIFECYCLE_COLOURS["dormant"], "dormant")

    ax.axhline(0, color="black", linewidth=0.8)
    period = result.params.get("period", "period")
    labels_all = [f"{d:%Y-%m-%d}" if period == "week" else f"{d:%Y-%m}" for d in p["period_start"]]
    step = max(1, int(np.ceil(len(x) / 14)))  # at most ~14 readable tick labels
    ax.set_xticks(x[::step], labels_all[::step], rotation=45, ha="right")
    ax.set_xlabel(f"{period} (start)")
    ax.set_ylabel("users (dormant below zero)")
    ax.set_title(f"Lifecycle per {period}")
    handles, labels = ax.get_legend_handles_labels()
    if partial.any():
        from matplotlib.patches import Patch

        handles.append(Patch(facecolor="white", edgecolor="grey", hatch="//"))
        labels.append(f"partial {period} (the data ends in it)")
    if quick_ratio:
        ax2 = ax.twinx()
        (line,) = ax2.plot(
            x, p["quick_ratio"].where(~partial), color="black", marker="o", label="quick ratio"
        )
        ax2.axhline(1, color="grey", linestyle=":", linewidth=0.8)
        ax2.set_ylabel("quick ratio")
        ax2.set_ylim(bottom=0)
        handles, labels = handles + [line], labels + ["quick ratio"]
    ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.08, 1.0), fontsize="small")
    return ax


def plot_retention_heatmap(result, *, ax=None, cmap="Blues", annotate: bool = True, **kwargs):
    """Cohort x period retention heatmap; incomplete cells (NaN) are left blank."""
    ax = _axes(ax, figsize=(8, 5))
    rates = result.rates.set_index("cohort_start")
    data = np.ma.masked_invalid(rates.to_numpy(dtype=float))
    im = ax.imshow(data, aspect="auto", cmap=cmap, vmin=0, vmax=1, **kwargs)
    cohort = result.params.get("cohort", "period")
    ax.set_xticks(range(rates.shape[1]), [str(c) for c in rates.columns])
    every = max(1, int(np.ceil(rates.shape[0] / 20)))  # at most ~20 readable cohort labels
    ax.set_yticks(
        range(0, rates.shape[0], every),
        [f"{d:%Y-%m-%d}" if cohort == "week" else f"{d:%Y-%m}" for d in rates.index[::every]],
    )
    if annotate and data.size <= 400:
        for i in range(data.shape[0]):
            for j in range(data.shape[1]):
                if not np.ma.is_masked(data[i, j]):
                    v = float(data[i, j])
                    ax.text(
                        j,
                        i,
                        f"{v:.0%}",
                        ha="center",
                        va="center",
                        fontsize=7,
                        color="white" if v > 0.6 else "black",
                    )
    ax.set_xlabel(f"{cohort}s since cohort start")
    ax.set_ylabel(f"cohort ({cohort} start)")
    ax.set_title(f"{cohort.capitalize()}ly retention by cohort (blank = period not over)")
    ax.figure.colorbar(im, ax=ax, label="retained (%)", format=PercentFormatter(1.0))
    return ax


def plot_retention_curve(result, *, ax=None, label=None, **kwargs):
    """Cohort-size-weighted mean retention curve with its Wilson 95 % band."""
    ax = _axes(ax)
    m = result.mean_curve
    (line,) = ax.plot(m["period"], m["rate"], marker="o", label=label or "weighted mean", **kwargs)
    ax.fill_between(m["period"], m["ci_low"], m["ci_high"], alpha=0.2, color=line.get_color())
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylim(0, 1.02)
    cohort = result.params.get("cohort", "period")
    ax.set_xlabel(f"{cohort}s since cohort start")
    ax.set_ylabel("retained (% of cohort)")
    ax.set_title("Mean retention curve (complete cohorts)")
    ax.legend(loc="upper right")
    return ax


def plot_km_retention(result, *, ax=None, label=None, **kwargs):
    """Kaplan-Meier retention curve (step) with its 95 % band from ``km_retention``."""
    ax = _axes(ax)
    c = result.curve
    (line,) = ax.step(
        c["period"], c["retention"], where="post", label=label or "Kaplan-Meier", **kwargs
    )
    ax.fill_between(
        c["period"], c["ci_low"], c["ci_high"], step="post", alpha=0.2, color=line.get_color()
    )
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylim(0, 1.02)
    cohort = result.params.get("cohort", "period")
    ax.set_xlabel(f"{cohort}s since cohort start")
    ax.set_ylabel("active in this period or later (%)")
    ax.set_title("Retention, Kaplan-Meier (open periods censored)")
    ax.legend(loc="upper right")
    return ax


def plot_attribute_index(result, *, attribute: str | None = None, ax=None, **kwargs):
    """Horizontal bars of the over/under-representation index (100 = same as all users)."""
    ax = _axes(ax)
    p = result.profile
    if attribute is not None:
        p = p[p["attribute"] == attribute]
    labels = p["value"] if attribute is not None else p["attribute"] + ": " + p["value"]
    colours = np.where(p["index"] >= 100, "#0072B2", "#D55E00")
    y = np.arange(len(p))
    ax.barh(y, p["index"] - 100, left=100, color=colours, **kwargs)
    ax.axvline(100, color="black", linewidth=0.8)
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlabel("index: 100 x share among active / share among all users")
    ax.set_ylabel(attribute or "attribute: value")
    ax.set_title(f"Who is active{' by ' + attribute if attribute else ''}")
    return ax


def plot_drivers(result, *, top: int = 15, ax=None, **kwargs):
    """Dot plot of day-N retention of doers vs non-doers per behaviour (Wilson 95 % bars)."""
    ax = _axes(ax, figsize=(8, 0.4 * min(top, len(result.drivers)) + 1.5))
    d = result.drivers.dropna(subset=["score"]).head(top)
    y = np.arange(len(d))
    ax.errorbar(
        d["rate_doers"],
        y,
        xerr=[d["rate_doers"] - d["ci_low_doers"], d["ci_high_doers"] - d["rate_doers"]],
        fmt="o",
        color="#0072B2",
        label="did it",
        **kwargs,
    )
    ax.errorbar(
        d["rate_non_doers"],
        y + 0.25,
        xerr=[
            d["rate_non_doers"] - d["ci_low_non_doers"],
            d["ci_high_non_doers"] - d["rate_non_doers"],
        ],
        fmt="s",
        color="#999999",
        label="did not",
        **kwargs,
    )
    labels = [
        ("★ " if s else "") + f"{b} (r = {sc:.2f})"
        for b, s, sc in zip(d["behaviour"], d["strongest"], d["score"])
    ]
    ax.set_yticks(y + 0.125, labels)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    day = result.params.get("retention_day", "N")
    ax.set_xlabel(f"retained on day {day} (% of users, 95 % interval)")
    ax.set_ylabel("early behaviour")
    ax.set_title("Retention drivers (correlation, not causation)")
    ax.legend(loc="lower right")
    return ax


def plot_attribute_section(profile, *, ax=None):
    """The attribute-index chart of ``active_review.attribute_section``; nothing for a Note."""
    if not hasattr(profile, "profile"):
        return None
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 0.28 * len(profile.profile) + 1.5))
    return plot_attribute_index(profile, ax=ax)
