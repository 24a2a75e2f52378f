"""Drawing for personas; the numbers come from ``helpers.analysis.segments.personas`` (:class:`PersonaModel`).

Axes-level: each function takes ``ax=None`` (then draws on ``plt.gca()``) and returns the Axes.
Nothing here calls ``plt.show()`` or ``savefig()``.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from helpers.core.errors import ParameterError

__all__ = [
    "plot_persona_profiles",
    "plot_persona_projection",
    "plot_k_selection",
    "plot_persona_sizes",
]


def _names(model) -> dict:
    return {c["persona"]: c["name"] for c in getattr(model, "cards_", [])}


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
    ax.set_xticklabels(
        [str(c).replace("share_", "% ") for c in prof.columns], rotation=45, ha="right"
    )
    ax.set_yticks(range(prof.shape[0]))
    ax.set_yticklabels([f"{p}. {names[p]}" if p in names else str(p) for p in prof.index])
    if annotate:
        for i in range(vals.shape[0]):
            for j in range(vals.shape[1]):
                ax.text(
                    j,
                    i,
                    f"{vals[i, j]:.1f}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if abs(vals[i, j]) > 0.6 * lim else "black",
                )
    ax.figure.colorbar(im, ax=ax, label="mean standardized value")
    ax.set_title("Persona profiles (standardized feature means)")
    return ax


def plot_persona_projection(
    model,
    features: pd.DataFrame,
    *,
    sample_size: int = 3000,
    random_state: int = 0,
    ax=None,
    s: float = 6,
    alpha: float = 0.5,
    **kwargs,
):
    """Users on the first two principal components of the clustering matrix, coloured by persona.

    Parameters
    ----------
    model : PersonaModel (fitted)
    features : DataFrame
        The rows the model was fitted on (their persona is ``model.labels_``).
    sample_size : int
        Users drawn (at random, ``random_state``) to keep the plot readable.
    ax : matplotlib Axes, optional
    s, alpha, **kwargs
        Passed to ``ax.scatter``.

    Returns
    -------
    matplotlib Axes
    """
    from sklearn.decomposition import PCA

    labels = np.asarray(_need(model, "labels_", "plot_persona_projection"))
    if len(features) != len(labels):
        raise ParameterError(
            f"plot_persona_projection needs the {len(labels)} rows the model was fitted "
            f"on, but `features` has {len(features)} rows."
        )
    Z = model.transform(features).to_numpy()
    rng = np.random.default_rng(random_state)
    idx = (
        np.sort(rng.choice(len(Z), sample_size, replace=False))
        if len(Z) > sample_size
        else np.arange(len(Z))
    )
    pca = PCA(n_components=min(2, Z.shape[1]), random_state=random_state).fit(Z[idx])
    P = pca.transform(Z[idx])
    if P.shape[1] == 1:
        P = np.column_stack([P[:, 0], np.zeros(len(P))])
    ax = ax if ax is not None else plt.gca()
    names = _names(model)
    for p in sorted(np.unique(labels)):
        sel = labels[idx] == p
        ax.scatter(
            P[sel, 0], P[sel, 1], s=s, alpha=alpha, label=f"{p}. {names.get(p, p)}", **kwargs
        )
    ev = pca.explained_variance_ratio_
    ax.set_xlabel(f"PC1 ({ev[0]:.0%} of variance)")
    ax.set_ylabel(f"PC2 ({ev[1]:.0%} of variance)" if len(ev) > 1 else "PC2")
    ax.set_title(f"Personas on two principal components ({len(idx):,} users)")
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
            "k was set by parameter: no selection to show",
            ha="center",
            va="center",
            transform=ax.transAxes,
        )
        ax.set_axis_off()
        return ax
    ax.plot(table["k"], table["silhouette"], marker="o", label="silhouette", **kwargs)
    ax.set_xlabel("number of personas k")
    ax.set_ylabel("silhouette")
    ax2 = ax.twinx()
    ax2.plot(
        table["k"],
        table["stability"],
        marker="s",
        color="tab:orange",
        label="stability (ARI)",
        **kwargs,
    )
    ax2.set_ylabel("stability (mean adjusted Rand)")
    ax2.set_ylim(min(0.0, float(table["stability"].min())), 1.05)
    if "chosen" in table.columns and table["chosen"].any():
        k = int(table.loc[table["chosen"], "k"].iloc[0])
        ax.axvline(k, color="grey", linestyle="--", linewidth=1)
        ax.annotate(
            f"chosen k = {k}",
            (k, float(table.loc[table["k"] == k, "silhouette"].iloc[0])),
            textcoords="offset points",
            xytext=(6, 6),
            fontsize=8,
        )
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, loc="lower right")
    ax.set_xticks(list(table["k"]))
    ax.set_title("Choosing the number of personas")
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
    ax.barh(pos + h / 2, table["user_share"].fillna(0), h, label="share of active users", **kwargs)
    ax.barh(
        pos - h / 2,
        table["revenue_share"].astype(float).fillna(0),
        h,
        label="share of revenue",
        **kwargs,
    )
    ax.set_yticks(pos)
    ax.set_yticklabels([f"{p}. {n}" for p, n in zip(table["persona"], table["name"])])
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.set_xlabel("share")
    ax.set_title("Personas: users and revenue")
    ax.legend(loc="lower right")
    return ax
