"""Churn drawings: Kaplan-Meier curves, hazard-ratio forest plot, risk calibration, P(alive).

Each function draws a fitted result of :mod:`helpers.analysis.churn` on one Axes and returns it;
every word on a chart comes from the catalog (:mod:`helpers.display.catalog.churn`). The names of
groupings and Cox covariates are decided here once (:func:`group_name`, :func:`covariate_label`)
and shared with the tables of :mod:`helpers.sections.churn`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter, NullLocator

from helpers.analysis.churn.covariates import early_feature, level_of
from helpers.display.format import fmt
from helpers.display.labels import is_labelled, label, value_text
from helpers.display.messages import has
from helpers.display.text import t
from helpers.plots.value import plot_probability_alive

__all__ = [
    "group_name",
    "covariate_label",
    "plot_km",
    "plot_km_section",
    "plot_hazard_ratios",
    "plot_cox_section",
    "plot_calibration",
    "plot_palive_section",
]

_QUARTILE_SUFFIX = "__q4"  # CoxModel's name of a covariate stratified by quartile
#: Most curves drawn with their confidence bands; more bands would hide each other.
MAX_BANDS = 5
_HR_TICKS = (
    0.05,
    0.1,
    0.2,
    0.3,
    0.5,
    0.7,
    1.0,
    1.5,
    2.0,
    3.0,
    5.0,
    10.0,
    20.0,
)  # hazard-ratio axis


def group_name(column: str | None) -> str:
    """What a grouping column is called in a report: ``persona_name`` -> "Persona".

    Examples
    --------
    >>> group_name("rfm_segment"), group_name("channel"), group_name(None)
    ('RFM segment', 'Channel', 'All users')
    """
    if column is None:
        return t("churn.group.all")
    if has(f"churn.group.{column}"):
        return t(f"churn.group.{column}")
    return label(column) if is_labelled(column) else str(column)


def covariate_label(
    name: str, reference_levels: Mapping[str, str] | None = None, binary: Collection[str] = ()
) -> str:
    """What a Cox covariate is called in a report.

    Early-window counts are named in words, a level of a one-hot attribute (one of
    ``reference_levels``) as "attribute: level (vs. reference level)", a 0/1 attribute (one of
    ``binary``) with "(yes vs. no)", a covariate stratified by quartile with
    "(quartiles)"; any other covariate (a binary attribute of the users table) shows its column
    label when the catalogs have one, else its name, a value of the data.

    Examples
    --------
    >>> covariate_label("orders_first_7d"), covariate_label("channel_social", {"channel": "x"})
    ('Orders in the first 7 days', 'Channel: social (vs. x)')
    >>> covariate_label("joined_community"), covariate_label("orders_first_7d__q4")
    ('Joined the community', 'Orders in the first 7 days (quartiles)')
    >>> covariate_label("joined_community", binary=["joined_community"])
    'Joined the community (yes vs. no)'
    """
    if name.endswith(_QUARTILE_SUFFIX):
        inner = covariate_label(name[: -len(_QUARTILE_SUFFIX)], reference_levels)
        return t("churn.covariate.quartile", name=inner)
    early = early_feature(name)
    if early is not None:
        feature, days = early
        return t(f"churn.covariate.{feature}", days=days)
    split = level_of(name, reference_levels or {})
    if split is not None:
        attribute, level = split
        return t(
            "churn.covariate.level_vs",
            attribute=group_name(attribute),
            level=level,
            reference=str(reference_levels[attribute]),
        )
    text = label(name) if is_labelled(name) else name
    return t("churn.covariate.binary", name=text) if name in binary else text


def _axes(ax):
    return ax if ax is not None else plt.subplots(figsize=(7, 4.5))[1]


def _x_label(result) -> str:
    start = getattr(result, "life_start_", None)
    return (
        t(f"churn.plot.km.x.{start}")
        if start in ("signup", "first_activity")
        else t("churn.plot.km.x")
    )


def _km_title(result) -> str:
    if not result.group_col_:
        return t("churn.plot.km.title_all")
    if len(result.logrank_):
        return t(
            "churn.plot.km.title_p",
            group=group_name(result.group_col_),
            p=float(result.logrank_["p"].iloc[0]),
        )
    return t("churn.plot.km.title", group=group_name(result.group_col_))


def plot_km(result, *, ax=None, at_risk: bool = True, ci: bool | None = None, **kwargs):
    """Kaplan-Meier survival curves per group with (1 - alpha) bands and an at-risk table.

    The legend stands beside the chart, never on the curves; the at-risk table is a strip of
    its own under the x axis (one row per group, in the group's colour, counts at the x ticks),
    so its numbers and names cannot run into the axis or each other. Beyond the palette's
    colours, curves are dashed.

    Parameters
    ----------
    result : KaplanMeierByGroup
        A fitted result (``fitters_``, ``at_risk``).
    ax : matplotlib Axes, optional
    at_risk : bool, default True
        Add the table of lives at risk under the chart.
    ci : bool, optional
        Shade the confidence band of each curve (default: when there are at most
        :data:`MAX_BANDS` curves; more bands would hide each other).
    **kwargs
        Passed to ``KaplanMeierFitter.plot_survival_function``.

    Returns
    -------
    matplotlib.axes.Axes
        The chart (the at-risk strip is a second Axes of the same figure).
    """
    ax = _axes(ax)
    fitters = result.fitters_
    ci = len(fitters) <= MAX_BANDS if ci is None else ci
    palette = plt.rcParams["axes.prop_cycle"].by_key().get("color") or ["C0"]
    colors = {}
    for i, (g, kmf) in enumerate(fitters.items()):
        style = {"color": palette[i % len(palette)]}
        if i >= len(palette):
            style["linestyle"] = "--"
        kmf.plot_survival_function(
            ax=ax, ci_show=ci, label=value_text(str(g)), **{**style, **kwargs}
        )
        colors[g] = style["color"]
    ax.set_xlabel(_x_label(result))
    ax.set_ylabel(t("churn.plot.km.y"))
    ax.set_ylim(0, 1.02)
    ax.set_xlim(left=0)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt(v, "share", digits=0)))
    ax.set_title(_km_title(result), loc="left")
    if fitters:
        ax.legend(
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            frameon=False,
            title=group_name(result.group_col_) if result.group_col_ else None,
        )
    if at_risk and fitters:
        _at_risk_strip(result, ax, colors)
    return ax


def _at_risk_strip(result, ax, colors: dict) -> None:
    """The lives at risk at each x tick, one row per group, in a strip under ``ax`` (from the
    first tick after 0 with delayed entry: nobody is followed on day 0 then)."""
    from mpl_toolkits.axes_grid1 import make_axes_locatable

    lo, hi = ax.get_xlim()
    ticks = [x for x in ax.get_xticks() if lo <= x <= hi]
    if getattr(result, "delayed_entry_", False):
        ticks = [x for x in ticks if x > 0]
    counts = result.at_risk(ticks)
    n = len(counts)
    strip = make_axes_locatable(ax).append_axes("bottom", size=0.24 * (n + 1), pad=0.75, sharex=ax)
    strip.set_ylim(n - 0.5, -1.3)
    for i, (_, row) in enumerate(counts.iterrows()):
        for x, v in zip(ticks, row):
            strip.text(x, i, fmt(v, "count"), ha="center", va="center", fontsize=8)
    strip.set_yticks(range(n), [value_text(str(g)) for g in counts.index], fontsize=8)
    for tick, g in zip(strip.get_yticklabels(), counts.index):
        tick.set_color(colors.get(g, "black"))
    strip.text(
        0.0,
        -1.1,
        t("churn.plot.at_risk"),
        transform=strip.get_yaxis_transform(),
        ha="right",
        va="center",
        fontsize=8,
        fontweight="bold",
    )
    # the counts at x = 0 are centred on the axis: the names keep clear of them
    strip.tick_params(axis="y", length=0, pad=22)
    strip.tick_params(axis="x", length=0, labelbottom=False)
    strip.grid(False)
    for side in strip.spines.values():
        side.set_visible(False)
    strip.set_xlim(lo, hi)


def plot_km_section(result, *, ax=None, **kwargs):
    """``plot_km`` for a fitted result, on a figure sized for its groups (legend beside, at-risk
    strip under it) when no ``ax`` is given; nothing for a note (a group the data cannot offer)."""
    if not hasattr(result, "fitters_"):
        return None
    if ax is None:
        n = len(result.fitters_)
        ax = plt.subplots(figsize=(10, 4.8 + 0.24 * (n + 1)))[1]
    return plot_km(result, ax=ax, **kwargs)


def _hr_ticks(lo: float, hi: float) -> list[float]:
    """Plain hazard-ratio ticks covering ``[lo, hi]``: those inside and one on each side.

    >>> _hr_ticks(0.58, 1.0), _hr_ticks(0.9, 1.1)
    ([0.5, 0.7, 1.0], [0.7, 1.0, 1.5])
    """
    inside = {v for v in _HR_TICKS if lo <= v <= hi}
    below = max((v for v in _HR_TICKS if v <= lo), default=_HR_TICKS[0])
    above = min((v for v in _HR_TICKS if v >= hi), default=_HR_TICKS[-1])
    return sorted(inside | {below, above})


def _hr_text(v: float, _=None) -> str:
    return fmt(v, "ratio", digits=0 if float(v).is_integer() else (1 if v >= 0.1 else 2))


def plot_hazard_ratios(
    result, *, reference_levels: Mapping[str, str] | None = None, ax=None, **kwargs
):
    """Forest plot of a fitted :class:`CoxModel`: hazard ratio and its CI per covariate.

    The x axis is logarithmic with plain tick labels (0.5, 0.7, 1, 1.5, 2; never "6×10⁻¹"), 1
    always among them; a level of a one-hot attribute is named with its reference ("Channel:
    social (vs. organic)").

    Parameters
    ----------
    result : CoxModel
    reference_levels : mapping, optional
        Attribute -> reference level of the one-hot attributes, to name their levels.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    hr = result.hazard_ratios_.sort_values("hr").reset_index(drop=True)
    y = np.arange(len(hr))
    mid, low, high = (hr[c].to_numpy(float) for c in ("hr", "hr_lower", "hr_upper"))
    ax.errorbar(
        mid,
        y,
        xerr=np.vstack([mid - low, high - mid]),
        fmt=kwargs.pop("fmt", "o"),
        capsize=3,
        **kwargs,
    )
    ax.axvline(1.0, color="grey", linestyle="--", linewidth=1)
    ax.set_xscale("log")
    values = np.r_[hr["hr_lower"].to_numpy(float), hr["hr_upper"].to_numpy(float), 1.0]
    values = values[np.isfinite(values) & (values > 0)]
    ticks = _hr_ticks(float(values.min()), float(values.max()))
    lo, hi = min(values.min(), ticks[0]), max(values.max(), ticks[-1])
    ax.set_xlim(lo / 1.08, hi * 1.08)
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FuncFormatter(_hr_text))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_minor_formatter(NullFormatter())
    binary = getattr(result, "protect", None) or ()
    ax.set_yticks(y, [covariate_label(c, reference_levels, binary) for c in hr["covariate"]])
    ax.set_ylim(-0.7, len(hr) - 0.3)
    ax.set_xlabel(t("churn.plot.hr.x"))
    ax.set_title(t("churn.plot.hr.title"), loc="left")
    return ax


def plot_cox_section(readout, *, ax=None, **kwargs):
    """``plot_hazard_ratios`` of a :class:`~helpers.analysis.churn.cox.CoxReadout`, with its
    attribute levels named."""
    return plot_hazard_ratios(
        readout.model, reference_levels=readout.reference_levels, ax=ax, **kwargs
    )


def plot_calibration(result, *, ax=None, **kwargs):
    """Back-test calibration of a fitted :class:`ChurnRiskModel`: predicted vs observed by decile.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    cal = result.calibration_
    ax.plot(
        cal["mean_predicted"], cal["observed_rate"], marker=kwargs.pop("marker", "o"), **kwargs
    )
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel(t("churn.plot.cal.x"))
    ax.set_ylabel(t("churn.plot.cal.y"))
    ax.set_title(t("churn.plot.cal.title", auc=result.backtest_.auc))
    return ax


def plot_palive_section(check, *, ax=None):
    """P(alive) histogram of a :class:`~helpers.analysis.churn.palive.PAliveCheck`; nothing when
    BG/NBD was not fitted."""
    if getattr(check, "users", None) is None:
        return None
    return plot_probability_alive(check.users["p_alive"], ax=ax)
