"""Churn drawings: Kaplan-Meier curves, hazard-ratio forest plot, risk calibration, P(alive).

Each function draws a fitted result of :mod:`helpers.analysis.churn` on one Axes and returns it;
every word on a chart comes from the catalog (:mod:`helpers.display.catalog.churn`). The names of
groupings and Cox covariates are decided here once (:func:`group_name`, :func:`covariate_label`)
and shared with the tables of :mod:`helpers.sections.churn`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

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
_HR_TICKS = (0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0)  # hazard-ratio axis
_LEGEND_INSIDE = 6  # more curves than this: the legend goes beside the chart


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


def covariate_label(name: str, reference_levels: Mapping[str, str] | None = None) -> str:
    """What a Cox covariate is called in a report.

    Early-window counts are named in words, a level of a one-hot attribute (one of
    ``reference_levels``) as "attribute: level", a covariate stratified by quartile with
    "(quartiles)"; any other covariate (a binary attribute of the users table) shows its column
    label when the catalogs have one, else its name, a value of the data.

    Examples
    --------
    >>> covariate_label("orders_first_7d"), covariate_label("channel_social", {"channel": "x"})
    ('Orders in the first 7 days', 'Channel: social')
    >>> covariate_label("joined_community"), covariate_label("orders_first_7d__q4")
    ('Joined the community', 'Orders in the first 7 days (quartiles)')
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
        return t("churn.covariate.level", attribute=group_name(attribute), level=level)
    return label(name) if is_labelled(name) else name


def _axes(ax):
    return ax if ax is not None else plt.subplots(figsize=(7, 4.5))[1]


def plot_km(result, *, ax=None, at_risk: bool = True, ci: bool = True, **kwargs):
    """Kaplan-Meier survival curves per group with (1 - alpha) bands and at-risk counts.

    Parameters
    ----------
    result : KaplanMeierByGroup
        A fitted result (``fitters_``).
    ax : matplotlib Axes, optional
    at_risk : bool, default True
        Add the number of users at risk under the x axis
        (``lifelines.plotting.add_at_risk_counts``).
    ci : bool, default True
        Shade the confidence band of each curve.
    **kwargs
        Passed to ``KaplanMeierFitter.plot_survival_function``.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    fitters = list(result.fitters_.values())
    for kmf in fitters:
        kmf.plot_survival_function(ax=ax, ci_show=ci, **kwargs)
    ax.set_xlabel(t("churn.plot.km.x"))
    ax.set_ylabel(t("churn.plot.km.y"))
    ax.set_ylim(0, 1.02)
    if not result.group_col_:
        title = t("churn.plot.km.title_all")
    elif len(result.logrank_):
        title = t(
            "churn.plot.km.title_p",
            group=group_name(result.group_col_),
            p=float(result.logrank_["p"].iloc[0]),
        )
    else:
        title = t("churn.plot.km.title", group=group_name(result.group_col_))
    ax.set_title(title)
    if len(fitters) > _LEGEND_INSIDE:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    if at_risk and fitters:
        # lifelines is imported when a chart is drawn, not by every notebook
        from lifelines.plotting import add_at_risk_counts

        add_at_risk_counts(*fitters, ax=ax, rows_to_show=["At risk"])
        for extra in ax.figure.axes:  # lifelines draws the table as the tick labels of a twin
            texts = [x.get_text() for x in extra.get_xticklabels()]
            if texts and "At risk" in texts[0]:
                extra.set_xticks(extra.get_xticks())
                extra.set_xticklabels([_at_risk_words(x) for x in texts], ha="right")
    legend = ax.get_legend()
    if legend is not None:
        for text in legend.get_texts():
            text.set_text(value_text(text.get_text()))
    return ax


def _at_risk_words(text: str) -> str:
    """A tick label of lifelines' at-risk table in the report language (its row name is
    English, its group names are the kit's)."""
    out = []
    for line in text.split("\n"):
        row = _AT_RISK_ROW.match(line)
        if line.strip() == "At risk":
            line = t("churn.plot.at_risk")
        elif row:
            line = f"{row['pad']}{value_text(row['name'])}{row['gap']}{row['n']}"
        out.append(line)
    return "\n".join(out)


#: A row of lifelines' condensed at-risk table: a group's name, then its count.
_AT_RISK_ROW = re.compile(r"^(?P<pad>\s*)(?P<name>\S.*?)(?P<gap>\s+)(?P<n>\d+)$")


def plot_km_section(result, *, ax=None, **kwargs):
    """``plot_km`` for a fitted result; nothing for a note (a group the data cannot offer)."""
    if not hasattr(result, "fitters_"):
        return None
    return plot_km(result, ax=ax, **kwargs)


def plot_hazard_ratios(
    result, *, reference_levels: Mapping[str, str] | None = None, ax=None, **kwargs
):
    """Forest plot of a fitted :class:`CoxModel`: hazard ratio and its CI per covariate (log x).

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
    err = [hr["hr"] - hr["hr_lower"], hr["hr_upper"] - hr["hr"]]
    ax.errorbar(hr["hr"], y, xerr=err, fmt=kwargs.pop("fmt", "o"), capsize=3, **kwargs)
    ax.axvline(1.0, color="grey", linestyle="--", linewidth=1)
    ax.set_xscale("log")
    lo, hi = ax.get_xlim()
    ax.xaxis.set_major_locator(FixedLocator([v for v in _HR_TICKS if lo <= v <= hi]))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt(v, "ratio", digits=1)))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_yticks(y, [covariate_label(c, reference_levels) for c in hr["covariate"]])
    ax.set_xlabel(t("churn.plot.hr.x"))
    ax.set_title(t("churn.plot.hr.title"))
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
