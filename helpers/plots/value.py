"""Drawing for the customer value models; the numbers come from :mod:`helpers.analysis.value`
(:mod:`~helpers.analysis.value.diagnostics`, :mod:`~helpers.analysis.value.bgnbd`), the words
from the report catalog.

Axes-level: each function takes ``ax=None`` (then draws on ``plt.gca()``) and returns the Axes.
Nothing here calls ``plt.show()`` or ``savefig()``.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from helpers.core.errors import ParameterError
from helpers.display.text import t


def _require(frame: pd.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ParameterError(
            f"{what} needs the columns {columns}, but {missing} are missing; "
            f"columns found: {list(frame.columns)}."
        )


def _paired_bars(ax, labels, left, right, names, **kwargs):
    pos = np.arange(len(labels))
    width = 0.4
    ax.bar(pos - width / 2, left, width, label=names[0], **kwargs)
    ax.bar(pos + width / 2, right, width, label=names[1], **kwargs)
    ax.set_xticks(pos)
    ax.set_xticklabels(labels)
    ax.legend()
    return ax


def plot_period_transactions(data: pd.DataFrame, *, ax=None, **kwargs):
    """Customers by repeat purchases in calibration: actual vs the BG/NBD expectation.

    Parameters
    ----------
    data : DataFrame
        The output of :func:`helpers.analysis.value.diagnostics.period_transactions` (index = bucket,
        ``n_actual``, ``n_expected``).
    ax : matplotlib Axes, optional
    **kwargs
        Passed to ``ax.bar``.

    Returns
    -------
    matplotlib Axes
    """
    _require(data, ["n_actual", "n_expected"], "plot_period_transactions")
    ax = ax if ax is not None else plt.gca()
    _paired_bars(
        ax,
        [str(i) for i in data.index],
        data["n_actual"],
        data["n_expected"],
        (t("personas.plot.value.actual"), t("personas.plot.value.model")),
        **kwargs,
    )
    ax.set_xlabel(t("personas.plot.value.period.x"))
    ax.set_ylabel(t("personas.plot.value.customers"))
    ax.set_title(t("personas.plot.value.period.title"))
    return ax


def plot_holdout_check(data: pd.DataFrame, *, ax=None, **kwargs):
    """Mean holdout purchases by calibration frequency: actual vs predicted.

    Parameters
    ----------
    data : DataFrame
        The output of :func:`helpers.analysis.value.diagnostics.holdout_check`; the ``all`` row is left out of the
        bars and its totals go into the title.
    ax : matplotlib Axes, optional
    **kwargs
        Passed to ``ax.bar``.

    Returns
    -------
    matplotlib Axes
    """
    _require(data, ["actual_mean", "predicted_mean"], "plot_holdout_check")
    ax = ax if ax is not None else plt.gca()
    buckets = data.drop(index="all", errors="ignore")
    _paired_bars(
        ax,
        [str(i) for i in buckets.index],
        buckets["actual_mean"],
        buckets["predicted_mean"],
        (t("personas.plot.value.actual"), t("personas.plot.value.predicted")),
        **kwargs,
    )
    ax.set_xlabel(t("personas.plot.value.holdout.x"))
    ax.set_ylabel(t("personas.plot.value.holdout.y"))
    title = t("personas.plot.value.holdout.title")
    if "all" in data.index and {"actual_total", "predicted_total"} <= set(data.columns):
        title += "\n" + t(
            "personas.plot.value.holdout.totals",
            actual=data.loc["all", "actual_total"],
            predicted=data.loc["all", "predicted_total"],
        )
    ax.set_title(title)
    return ax


def plot_probability_alive(p_alive, *, bins: int = 20, ax=None, **kwargs):
    """Histogram of P(alive) across customers.

    Parameters
    ----------
    p_alive : array-like or Series
        From :meth:`helpers.analysis.value.bgnbd.BetaGeoModel.probability_alive`.
    bins : int, default 20
        Equal-width bins on [0, 1].
    ax : matplotlib Axes, optional
    **kwargs
        Passed to ``ax.hist``.

    Returns
    -------
    matplotlib Axes
    """
    values = np.asarray(p_alive, dtype=float)
    if values.size and (np.nanmin(values) < 0 or np.nanmax(values) > 1):
        raise ParameterError(
            "plot_probability_alive needs probabilities in [0, 1], got values "
            f"from {np.nanmin(values):.3g} to {np.nanmax(values):.3g}."
        )
    ax = ax if ax is not None else plt.gca()
    ax.hist(values[np.isfinite(values)], bins=np.linspace(0, 1, bins + 1), **kwargs)
    ax.set_xlim(0, 1)
    ax.set_xlabel(t("personas.plot.value.alive.x"))
    ax.set_ylabel(t("personas.plot.value.customers"))
    ax.set_title(t("personas.plot.value.alive.title"))
    return ax
