"""Drawings of the monthly persona review: the migration matrix and persona sizes month over month.

The numbers come from :mod:`helpers.analysis.segments.migration` (:class:`~helpers.analysis.segments.migration.Migration`,
:class:`~helpers.analysis.segments.migration.MonthComparison`); these functions only draw them.
"""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np

from helpers.analysis.segments.migration import GONE, NEW
from helpers.core.errors import ParameterError
from helpers.display.format import fmt
from helpers.display.text import t

__all__ = ["plot_migration", "plot_persona_change"]


def _note(note, ax, figsize):
    """Draw a Note's sentence instead of a chart (an input of the review is missing)."""
    ax = ax if ax is not None else plt.subplots(figsize=figsize)[1]
    ax.text(
        0.5,
        0.5,
        textwrap.fill(str(note.text), 70),
        ha="center",
        va="center",
        fontsize=10,
        color="#8a6d3b",
        transform=ax.transAxes,
    )
    ax.set_axis_off()
    return ax


def _short(text: str, width: int = 28) -> str:
    text = str(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def _label(p, names) -> str:
    if str(p) == NEW:
        return t("review.plot.new")
    if str(p) == GONE:
        return t("review.plot.gone")
    return t("review.persona", persona=p, name=names.get(p, p))


def _month(key: str, month: str) -> str:
    return t(f"review.plot.{key}", month=month) if month else t(f"review.plot.{key}_plain")


def plot_migration(
    migration,
    *,
    ax=None,
    normalize: str = "row",
    cmap: str = "Blues",
    annotate: bool = True,
    **kwargs,
):
    """Heatmap of the migration matrix: last month's personas (rows, plus new) to this month's
    (columns, plus not active), coloured by the share of the row and annotated with user counts.

    Parameters
    ----------
    migration : Migration or MonthComparison
        (a :class:`helpers.display.blocks.Note` is drawn as its sentence).
    ax : matplotlib Axes, optional
    normalize : {"row", "none"}
        Colour by share of the row (where last month's users went) or by raw counts.
    cmap : str
    annotate : bool
        Write the user count in each cell.
    **kwargs
        Passed to ``Axes.imshow``.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if normalize not in ("row", "none"):
        raise ParameterError(
            f"The value for `normalize` must be one of ['row', 'none'], but {normalize!r} was passed."
        )
    if hasattr(migration, "text") and not hasattr(migration, "table"):
        return _note(migration, ax, (8, 2))
    migration = getattr(migration, "migration", migration)
    if not hasattr(migration, "matrix"):
        raise ParameterError(
            "plot_migration needs a helpers.analysis.segments.migration.Migration (migration_matrix() or "
            f"compare_months().migration); a {type(migration).__name__} was passed."
        )
    m = migration.matrix
    counts = m.to_numpy(dtype=float)
    tot = counts.sum(axis=1, keepdims=True)
    values = (
        np.divide(counts, tot, out=np.zeros_like(counts), where=tot > 0)
        if normalize == "row"
        else counts
    )
    ax = (
        ax
        if ax is not None
        else plt.subplots(figsize=(1.3 * m.shape[1] + 3, 0.6 * m.shape[0] + 2))[1]
    )
    im = ax.imshow(values, cmap=cmap, aspect="auto", **kwargs)
    ax.set_xticks(range(m.shape[1]))
    ax.set_xticklabels(
        [_short(_label(c, migration.names)) for c in m.columns], rotation=30, ha="right"
    )
    ax.set_yticks(range(m.shape[0]))
    ax.set_yticklabels([_short(_label(r, migration.names_prev)) for r in m.index])
    if annotate:
        vmax = np.nanmax(values) if values.size else 0
        for i in range(counts.shape[0]):
            for j in range(counts.shape[1]):
                dark = vmax and values[i, j] > 0.6 * vmax
                ax.text(
                    j,
                    i,
                    fmt(counts[i, j], "count"),
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if dark else "black",
                )
    ax.set_xlabel(_month("this_month", migration.month))
    ax.set_ylabel(_month("last_month", migration.previous_month))
    ax.set_title(
        t(
            "review.plot.migration.title_row"
            if normalize == "row"
            else "review.plot.migration.title"
        )
    )
    ax.grid(False)
    ax.figure.colorbar(im, ax=ax, fraction=0.04, pad=0.02)
    return ax


def plot_persona_change(comparison, *, ax=None, **kwargs):
    """Horizontal bars per persona: users last month next to users this month.

    Parameters
    ----------
    comparison : MonthComparison or its ``table``
        Needs ``persona``, ``name``, ``users_prev``, ``users`` (a Note is drawn as its sentence).
    ax : matplotlib Axes, optional
    **kwargs
        Passed to ``Axes.barh``.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if hasattr(comparison, "text") and not hasattr(comparison, "table"):
        return _note(comparison, ax, (8, 2))
    tab = getattr(comparison, "table", comparison)
    missing = [
        c
        for c in ("persona", "name", "users_prev", "users")
        if c not in getattr(tab, "columns", [])
    ]
    if missing:
        raise ParameterError(
            f"plot_persona_change needs the columns persona, name, users_prev, users; "
            f"{missing} are missing."
        )
    ax = ax if ax is not None else plt.subplots(figsize=(9, 0.5 * len(tab) + 1.5))[1]
    y = np.arange(len(tab))[::-1]
    prev_label = _month("last_month", getattr(comparison, "previous_month", ""))
    cur_label = _month("this_month", getattr(comparison, "month", ""))
    ax.barh(y + 0.2, tab["users_prev"], height=0.4, color="#BBBBBB", label=prev_label, **kwargs)
    ax.barh(y - 0.2, tab["users"], height=0.4, color="#0072B2", label=cur_label, **kwargs)
    ax.set_yticks(y)
    ax.set_yticklabels(
        [
            _short(t("review.persona", persona=p, name=n), 44)
            for p, n in zip(tab["persona"], tab["name"])
        ]
    )
    ax.set_xlabel(t("review.plot.sizes.x"))
    ax.set_title(t("review.plot.sizes.title"))
    ax.legend(loc="lower right")
    return ax
