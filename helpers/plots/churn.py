"""Churn drawings: Kaplan-Meier curves, hazard-ratio forest plot, risk calibration.

Each function draws a fitted result from :mod:`helpers.analysis.churn.survival` and :mod:`helpers.analysis.churn.risk` on one Axes and returns it.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["plot_km", "plot_hazard_ratios", "plot_calibration"]


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
    ax.set_xlabel("days since the start of life")
    ax.set_ylabel("share still active (not churned)")
    ax.set_ylim(0, 1.02)
    title = "Survival by " + result.group_col_ if result.group_col_ else "Survival"
    if len(result.logrank_):
        from helpers.analysis.churn.survival import p_text

        title += f" (log-rank p {p_text(result.logrank_['p'].iloc[0])})"
    ax.set_title(title)
    if at_risk and fitters:
        from lifelines.plotting import add_at_risk_counts

        add_at_risk_counts(*fitters, ax=ax, rows_to_show=["At risk"])
    return ax


def plot_hazard_ratios(result, *, ax=None, **kwargs):
    """Forest plot of a fitted :class:`CoxModel`: hazard ratio and its CI per covariate (log x).

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
    ax.set_yticks(y, hr["covariate"])
    ax.set_xlabel("hazard ratio of churn (log scale; < 1 = longer lives)")
    ax.set_title("Cox model: hazard ratios with 95% intervals")
    return ax


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
    ax.set_xlabel("mean predicted churn risk (decile)")
    ax.set_ylabel("observed churn rate")
    auc = result.backtest_["auc"].iloc[0]
    ax.set_title(f"Back-test calibration (ROC AUC {auc:.2f})")
    return ax


def plot_km_section(result, *, ax=None):
    """``plot_km`` for a fitted result; nothing for a note (a group the data cannot offer)."""
    if not hasattr(result, "fitters_"):
        return None
    return plot_km(result, ax=ax)


def plot_palive_section(view, *, ax=None):
    """P(alive) histogram of a ``churn_review.PAliveView``; nothing when BG/NBD was not fitted."""
    if getattr(view, "users", None) is None:
        return None
    from helpers.plots.value import plot_probability_alive

    return plot_probability_alive(view.users["p_alive"], ax=ax)
