"""Drawing for the data audit."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.ticker import FuncFormatter, NullFormatter

from helpers.core import schema
from helpers.display.format import fmt
from helpers.display.text import t

FLAG_STYLE = {"spike": ("^", "#d62728"), "drop": ("v", "#ff7f0e"), "gap": ("x", "#000000")}


def plot_daily_volume(volume: pd.DataFrame, *, ax=None, log: bool = True):
    """Rows per business day per source, with flagged days marked.

    Parameters
    ----------
    volume : DataFrame
        :func:`helpers.data.activity_checks.daily_volume` output: source, day, rows, flag.
    ax : matplotlib Axes, optional
    log : bool
        Log-scale y axis (sources of very different size share one chart).

    Returns
    -------
    Axes
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 3.6))
    for src, g in volume.groupby(schema.SOURCE):
        days = pd.to_datetime(g[schema.DAY])
        ax.plot(days, g["rows"].clip(lower=0.8), lw=1, label=src)
        for flag, (marker, color) in FLAG_STYLE.items():
            f = g[g["flag"] == flag]
            if len(f):
                ax.scatter(
                    pd.to_datetime(f[schema.DAY]),
                    f["rows"].clip(lower=0.8),
                    marker=marker,
                    color=color,
                    s=36,
                    zorder=3,
                    label=t("audit.plot.flag_label", flag=t(f"audit.flag.{flag}"), source=src),
                )
    if log:
        ax.set_yscale("log")
        # plain numbers (1,000), not the log formatter's mathtext (text is never mathtext here)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt(v, "count")))
        ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_title(t("audit.plot.title"))
    ax.set_xlabel(t("audit.plot.x"))
    ax.set_ylabel(t("audit.plot.y_log" if log else "audit.plot.y"))
    ax.legend(fontsize=8, ncol=3, loc="lower center")
    return ax
