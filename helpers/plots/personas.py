"""Drawing for personas; the numbers come from :mod:`helpers.analysis.segments.personas`
(:class:`~helpers.analysis.segments.personas.PersonaModel`, its
:class:`~helpers.analysis.segments.personas.Projection`), the words from the report catalog.

Axes-level: each function takes ``ax=None`` (then draws on ``plt.gca()``) and returns the Axes.
Nothing here calls ``plt.show()`` or ``savefig()``.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from helpers.analysis.features import SHARE_PREFIX
from helpers.analysis.segments.personas import Projection
from helpers.core.errors import ParameterError
from helpers.display.format import fmt
from helpers.display.labels import is_labelled, label
from helpers.display.text import t

__all__ = [
    "plot_persona_profiles",
    "plot_persona_projection",
    "plot_k_selection",
    "plot_persona_sizes",
]


def _names(model) -> dict:
    return {c.persona: c.name for c in getattr(model, "cards_", [])}


def _persona(p, names: dict) -> str:
    return t("personas.plot.persona", persona=p, name=names[p]) if p in names else str(p)


def _feature(col) -> str:
    name = str(col)
    if name.startswith(SHARE_PREFIX):
        return t("personas.plot.profiles.share", event=name[len(SHARE_PREFIX) :])
    return label(name) if is_labelled(name) else name


def _need(model, attr: str, what: str):
    value = getattr(model, attr, None)
    if value is None:
        raise ParameterError(
            f"{what} needs a fitted PersonaModel (attribute `{attr}`), but a "
            f"{type(model).__name__} without it was passed."
        )
    return value


def plot_persona_profiles(
    model, *, ax=None, cmap: str = "RdBu_r", annotate: bool = True, **kwargs
):
    """Heatmap of personas x clustering features: mean standardized value (0 = everyone's mean).

    Parameters
    ----------
    model : PersonaModel (fitted) or DataFrame
        ``model.profiles_`` (persona x feature) is drawn; a DataFrame is drawn as it is.
    ax : matplotlib Axes, optional
    cmap : str
        A diverging colormap centred on 0.
    annotate : bool
        Write the value in each cell.
    **kwargs
        Passed to ``ax.imshow``.

    Returns
    -------
    matplotlib Axes
    """
    prof = (
        model
        if isinstance(model, pd.DataFrame)
        else _need(model, "profiles_", "plot_persona_profiles")
    )
    names = {} if isinstance(model, pd.DataFrame) else _names(model)
    ax = ax if ax is not None else plt.gca()
    vals = prof.to_numpy(dtype=float)
    lim = max(float(np.nanmax(np.abs(vals))) if vals.size else 1.0, 0.5)
    im = ax.imshow(vals, aspect="auto", cmap=cmap, vmin=-lim, vmax=lim, **kwargs)
    ax.set_xticks(range(prof.shape[1]))
    ax.set_xticklabels([_feature(c) for c in prof.columns], rotation=45, ha="right")
    ax.set_yticks(range(prof.shape[0]))
    ax.set_yticklabels([_persona(p, names) for p in prof.index])
    if annotate:
        for i in range(vals.shape[0]):
            for j in range(vals.shape[1]):
                ax.text(
                    j,
                    i,
                    fmt(vals[i, j], "number", digits=1),
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if abs(vals[i, j]) > 0.6 * lim else "black",
                )
    ax.figure.colorbar(im, ax=ax, label=t("personas.plot.profiles.colorbar"))
    ax.set_title(t("personas.plot.profiles.title"))
    return ax


def plot_persona_projection(
    projection: Projection, *, ax=None, s: float = 6, alpha: float = 0.5, **kwargs
):
    """Users on the first two principal components of the clustering matrix, coloured by persona.

    Parameters
    ----------
    projection : Projection
        :meth:`helpers.analysis.segments.personas.PersonaModel.projection` (a sample of the
        fitted users and the share of variance each component explains).
    ax : matplotlib Axes, optional
    s, alpha, **kwargs
        Passed to ``ax.scatter``.

    Returns
    -------
    matplotlib Axes
    """
    if not isinstance(projection, Projection):
        raise ParameterError(
            "plot_persona_projection needs a Projection (PersonaModel.projection(features)), "
            f"but a {type(projection).__name__} was passed."
        )
    points, names = projection.points, projection.names
    ax = ax if ax is not None else plt.gca()
    for p in sorted(points["persona"].unique()):
        sel = points["persona"] == p
        ax.scatter(
            points.loc[sel, "pc1"],
            points.loc[sel, "pc2"],
            s=s,
            alpha=alpha,
            label=_persona(p, names),
            **kwargs,
        )
    ev = projection.explained
    ax.set_xlabel(t("personas.plot.projection.axis", n=1, share=ev[0]))
    ax.set_ylabel(t("personas.plot.projection.axis", n=2, share=ev[1]) if len(ev) > 1 else "PC2")
    ax.set_title(t("personas.plot.projection.title", users=len(points)))
    ax.legend(loc="best", fontsize=7, markerscale=2)
    return ax


def plot_k_selection(data, *, ax=None, **kwargs):
    """Silhouette and stability against k; the chosen k marked.

    Parameters
    ----------
    data : PersonaModel, KSelection or DataFrame
        The k-selection table (``k``, ``silhouette``, ``stability``, optional ``chosen``).
    ax : matplotlib Axes, optional
    **kwargs
        Passed to ``ax.plot``.

    Returns
    -------
    matplotlib Axes
    """
    table = data
    if not isinstance(table, pd.DataFrame):
        sel = getattr(data, "selection_", data)
        table = getattr(sel, "table", None)
    if not isinstance(table, pd.DataFrame):
        raise ParameterError(
            "plot_k_selection needs a k-selection table (k, silhouette, stability): pass a "
            "PersonaModel fitted with k chosen, a KSelection or its table; "
            f"a {type(data).__name__} was passed."
        )
    missing = [c for c in ("k", "silhouette", "stability") if c not in table.columns]
    if missing:
        raise ParameterError(
            f"plot_k_selection needs the columns k, silhouette, stability; {missing} are missing."
        )
    ax = ax if ax is not None else plt.gca()
    if table.empty:
        ax.text(
            0.5,
            0.5,
            t("personas.plot.k.empty"),
            ha="center",
            va="center",
            transform=ax.transAxes,
        )
        ax.set_axis_off()
        return ax
    ax.plot(
        table["k"],
        table["silhouette"],
        marker="o",
        label=t("personas.plot.k.silhouette"),
        **kwargs,
    )
    ax.set_xlabel(t("personas.plot.k.x"))
    ax.set_ylabel(t("personas.plot.k.silhouette"))
    ax2 = ax.twinx()
    ax2.plot(
        table["k"],
        table["stability"],
        marker="s",
        color="tab:orange",
        label=t("personas.plot.k.stability"),
        **kwargs,
    )
    ax2.set_ylabel(t("personas.plot.k.stability_axis"))
    ax2.set_ylim(min(0.0, float(table["stability"].min())), 1.05)
    if "chosen" in table.columns and table["chosen"].any():
        k = int(table.loc[table["chosen"], "k"].iloc[0])
        ax.axvline(k, color="grey", linestyle="--", linewidth=1)
        ax.annotate(
            t("personas.plot.k.chosen", k=k),
            (k, float(table.loc[table["k"] == k, "silhouette"].iloc[0])),
            textcoords="offset points",
            xytext=(6, 6),
            fontsize=8,
        )
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, loc="lower right")
    ax.set_xticks(list(table["k"]))
    ax.set_title(t("personas.plot.k.title"))
    return ax


def plot_persona_sizes(data, *, ax=None, **kwargs):
    """Horizontal bars per persona: share of active users next to share of revenue.

    Parameters
    ----------
    data : PersonaModel, PersonaCards or DataFrame
        Cards table (``persona``, ``name``, ``user_share``, ``revenue_share``).
    ax : matplotlib Axes, optional
    **kwargs
        Passed to ``ax.barh``.

    Returns
    -------
    matplotlib Axes
    """
    if isinstance(data, pd.DataFrame):
        table = data
    elif hasattr(data, "persona_cards"):
        table = data.persona_cards().table
    elif hasattr(data, "table"):
        table = data.table
    else:
        raise ParameterError(
            f"plot_persona_sizes needs a PersonaModel, PersonaCards or their table; a "
            f"{type(data).__name__} was passed."
        )
    ax = ax if ax is not None else plt.gca()
    pos = np.arange(len(table))[::-1]
    h = 0.4
    ax.barh(
        pos + h / 2,
        table["user_share"].fillna(0),
        h,
        label=t("personas.plot.sizes.users"),
        **kwargs,
    )
    ax.barh(
        pos - h / 2,
        table["revenue_share"].astype(float).fillna(0),
        h,
        label=t("personas.plot.sizes.revenue"),
        **kwargs,
    )
    ax.set_yticks(pos)
    ax.set_yticklabels([_persona(p, {p: n}) for p, n in zip(table["persona"], table["name"])])
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: fmt(v, "share", digits=0)))
    ax.set_xlabel(t("personas.plot.sizes.x"))
    ax.set_title(t("personas.plot.sizes.title"))
    ax.legend(loc="lower right")
    return ax
