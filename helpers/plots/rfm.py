"""Drawing for RFM; the numbers come from :mod:`helpers.analysis.segments.rfm`
(:class:`~helpers.analysis.segments.rfm.RFMResult`), the words from the report catalog.

Axes-level: each function takes ``ax=None`` (then draws on ``plt.gca()``) and returns the Axes.
Nothing here calls ``plt.show()`` or ``savefig()``.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from helpers.core.errors import ParameterError
from helpers.display.format import fmt
from helpers.display.labels import value_text
from helpers.display.text import t

__all__ = ["plot_rfm_segments", "plot_rf_heatmap"]


def _frame(data, attr: str, columns: list[str], what: str) -> pd.DataFrame:
    frame = getattr(data, attr, data)
    if not isinstance(frame, pd.DataFrame):
        raise ParameterError(
            f"{what} needs an RFMResult or its `{attr}` DataFrame, but a {type(data).__name__} was passed."
        )
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ParameterError(
            f"{what} needs the columns {columns}, but {missing} are missing; "
            f"columns found: {list(frame.columns)}."
        )
    return frame


def plot_rfm_segments(data, *, ax=None, **kwargs):
    """Horizontal bars per segment: share of buyers next to share of revenue.

    Parameters
    ----------
    data : RFMResult or DataFrame
        ``RFMResult.segments`` (``segment``, ``share_users``, ``share_revenue``), drawn in its
        order, first segment on top.
    ax : matplotlib Axes, optional
    **kwargs
        Passed to ``ax.barh``.

    Returns
    -------
    matplotlib Axes
    """
    seg = _frame(
        data, "segments", ["segment", "share_users", "share_revenue"], "plot_rfm_segments"
    )
    ax = ax if ax is not None else plt.gca()
    pos = np.arange(len(seg))[::-1]
    h = 0.4
    ax.barh(
        pos + h / 2, seg["share_users"].fillna(0), h, label=t("personas.plot.rfm.buyers"), **kwargs
    )
    ax.barh(
        pos - h / 2,
        seg["share_revenue"].fillna(0),
        h,
        label=t("personas.plot.rfm.revenue"),
        **kwargs,
    )
    ax.set_yticks(pos)
    ax.set_yticklabels([value_text(str(s)) for s in seg["segment"]])
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: fmt(v, "share", digits=0)))
    ax.set_xlabel(t("personas.plot.rfm.share"))
    ax.set_title(t("personas.plot.rfm.segments.title"))
    ax.legend(loc="lower right")
    return ax


def plot_rf_heatmap(
    data, *, value: str = "users", ax=None, cmap: str = "Blues", annotate: bool = True, **kwargs
):
    """Recency x frequency score grid as a heatmap (recency 5 = most recent on top).

    Parameters
    ----------
    data : RFMResult or DataFrame
        ``RFMResult.grid`` (tidy: ``r_score``, ``f_score`` and the value column).
    value : {"users", "mean_monetary"}
        What the colour shows.
    ax : matplotlib Axes, optional
    cmap : str
    annotate : bool
        Write the value in each cell.
    **kwargs
        Passed to ``ax.imshow``.

    Returns
    -------
    matplotlib Axes
    """
    if value not in ("users", "mean_monetary"):
        raise ParameterError(
            f"The value for `value` must be one of ['users', 'mean_monetary'], but {value!r} was passed."
        )
    grid = _frame(data, "grid", ["r_score", "f_score", value], "plot_rf_heatmap")
    m = grid.pivot(index="r_score", columns="f_score", values=value).sort_index(ascending=False)
    ax = ax if ax is not None else plt.gca()
    im = ax.imshow(m.to_numpy(dtype="float64"), cmap=cmap, aspect="auto", **kwargs)
    ax.set_xticks(range(m.shape[1]))
    ax.set_xticklabels(m.columns)
    ax.set_yticks(range(m.shape[0]))
    ax.set_yticklabels(m.index)
    ax.set_xlabel(t("personas.plot.rfm.frequency_score"))
    ax.set_ylabel(t("personas.plot.rfm.recency_score"))
    ax.set_title(t(f"personas.plot.rfm.grid.{value}"))
    ax.figure.colorbar(im, ax=ax)
    if annotate:
        vmax = np.nanmax(m.to_numpy(dtype="float64")) if m.notna().any().any() else 0
        for i in range(m.shape[0]):
            for j in range(m.shape[1]):
                v = m.iat[i, j]
                if pd.notna(v):
                    ax.text(
                        j,
                        i,
                        fmt(v, "count" if value == "users" else "money", digits=0),
                        ha="center",
                        va="center",
                        fontsize=8,
                        color="white" if vmax and v > vmax / 2 else "black",
                    )
    return ax
