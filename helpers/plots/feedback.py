"""Drawing for user feedback; the numbers come from :mod:`helpers.analysis.feedback`, the words
from the report catalog (``feedback.*``).

* :func:`segment_label`, :func:`topic_label`: how a segment (a persona: ``3. Deal hunters``) and
  a topic (its configured label in the report language) are named, in charts and sections alike;
* :func:`plot_nps_by_segment`: NPS per persona with its 95% interval;
* :func:`plot_pain_matrix`: the pain-point matrix as a heat map of rating gaps.

Axes-level: each function takes ``ax=None`` (then draws on a new figure) and returns the Axes.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from helpers.analysis.feedback.frame import ALL
from helpers.analysis.segments.naming import fallback_name
from helpers.core.config_pain import TopicConfig
from helpers.display.format import fmt
from helpers.display.labels import value_text
from helpers.display.messages import language
from helpers.display.text import t

__all__ = ["segment_label", "topic_label", "plot_nps_by_segment", "plot_pain_matrix"]


def _persona_number(segment) -> int | None:
    if isinstance(segment, bool):
        return None
    if isinstance(segment, int | np.integer):
        return int(segment)
    if isinstance(segment, float | np.floating) and float(segment).is_integer():
        return int(segment)
    text = str(segment).strip()
    return int(text) if text.isdigit() else None


def segment_label(segment, names: Mapping | None = None) -> str:
    """A segment as reports name it: :data:`ALL` -> "All respondents", a persona number ->
    ``3. Deal hunters`` (its name from ``names``, else the fallback name), anything else as it
    is.

    >>> segment_label(3, {3: "Deal hunters"}), segment_label("all"), segment_label("ios")
    ('3. Deal hunters', 'All respondents', 'ios')
    """
    if isinstance(segment, str) and segment == ALL:
        return t("feedback.all")
    number = _persona_number(segment)
    if number is None:
        return value_text(str(segment))
    names = {str(k): v for k, v in (names or {}).items()}
    name = names.get(str(number)) or fallback_name(number, text=t)
    return t("review.persona", persona=number, name=name)


def topic_label(topic, topics: Mapping[str, TopicConfig] | None = None) -> str:
    """A topic in the report language: its ``labels`` entry, else its key (a category as is).

    >>> topic_label("优惠券", {"优惠券": TopicConfig(keywords=["券"], labels={"en": "Coupons"})})
    'Coupons'
    """
    cfg = (topics or {}).get(str(topic))
    return cfg.label(language(), str(topic)) if cfg is not None else str(topic)


def _axes(ax, size=(7, 4)):
    return ax if ax is not None else plt.subplots(figsize=size)[1]


def plot_nps_by_segment(by_segment: pd.DataFrame, *, names: Mapping | None = None, ax=None):
    """NPS of each segment with its 95% interval, the all-respondents NPS as a dashed line.

    Parameters
    ----------
    by_segment : DataFrame
        :func:`helpers.analysis.feedback.scores.feedback_by_segment`.
    names : mapping, optional
        Persona number -> name.

    Returns
    -------
    matplotlib Axes
    """
    ax = _axes(ax)
    rows = by_segment[(by_segment["segment"] != ALL) & (by_segment["nps_responses"] > 0)]
    rows = rows.iloc[::-1]
    y = np.arange(len(rows))
    mid = rows["nps"].to_numpy(float)
    lo, hi = rows["nps_ci_low"].to_numpy(float), rows["nps_ci_high"].to_numpy(float)
    small = rows["small"].to_numpy(bool)
    for mask, colour in ((~small, "#0969da"), (small, "#8c959f")):
        if mask.any():
            ax.errorbar(
                mid[mask],
                y[mask],
                xerr=np.vstack([mid[mask] - lo[mask], hi[mask] - mid[mask]]),
                fmt="o",
                capsize=3,
                color=colour,
            )
    overall = by_segment[by_segment["segment"] == ALL]
    if len(overall) and np.isfinite(overall["nps"].iloc[0]):
        value = float(overall["nps"].iloc[0])
        ax.axvline(value, color="grey", linestyle="--", linewidth=1)
        ax.text(value, len(rows) - 0.4, t("feedback.plot.nps.all", nps=value), fontsize=8)
    labels = [
        t("feedback.small_mark", segment=segment_label(seg, names))
        if is_small
        else segment_label(seg, names)
        for seg, is_small in zip(rows["segment"], small)
    ]
    ax.set_yticks(y, labels)
    ax.set_ylim(-0.7, len(rows) + 0.1)
    ax.set_xlabel(t("feedback.plot.nps.axis"))
    ax.set_title(t("feedback.plot.nps.title"), loc="left")
    return ax


def plot_pain_matrix(
    pain: pd.DataFrame,
    *,
    names: Mapping | None = None,
    topics: Mapping[str, TopicConfig] | None = None,
    ax=None,
    cmap: str = "RdBu_r",
):
    """The pain-point matrix: rating gap (points below the segment's other feedback) per
    segment and topic, red where the topic is rated worse; cells not ranked (too few mentions)
    are blank, each segment's top pain point is boxed.

    Parameters
    ----------
    pain : DataFrame
        :func:`helpers.analysis.feedback.pain.pain_points`.
    names : mapping, optional
        Persona number -> name.
    topics : mapping, optional
        ``config.feedback.topics`` (the topics' labels).

    Returns
    -------
    matplotlib Axes
    """
    segs = list(dict.fromkeys(pain["segment"]))
    tops = list(dict.fromkeys(pain["topic"]))
    ax = _axes(ax, (1.6 + 1.3 * max(len(tops), 1), 1.2 + 0.5 * max(len(segs), 1)))
    column = "rating_gap" if (pain["measure"] == "rating").all() else "complaint_gap"
    grid = np.full((len(segs), len(tops)), np.nan)
    for r in pain.itertuples(index=False):
        if r.eligible:
            grid[segs.index(r.segment), tops.index(r.topic)] = getattr(r, column)
    finite = grid[np.isfinite(grid)]
    span = float(np.abs(finite).max()) if finite.size else 1.0
    image = ax.imshow(grid, cmap=cmap, vmin=-span, vmax=span, aspect="auto")
    kind = "number" if column == "rating_gap" else "pp"
    for i in range(len(segs)):
        for j in range(len(tops)):
            if np.isfinite(grid[i, j]):
                ax.text(
                    j, i, fmt(grid[i, j], kind, digits=1), ha="center", va="center", fontsize=8
                )
    for r in pain[pain["top"]].itertuples(index=False):
        i, j = segs.index(r.segment), tops.index(r.topic)
        ax.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, lw=2, ec="black"))
    ax.set_xticks(
        range(len(tops)), [topic_label(x, topics) for x in tops], rotation=30, ha="right"
    )
    ax.set_yticks(range(len(segs)), [segment_label(x, names) for x in segs])
    bar = ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    bar.set_label(
        t(f"feedback.plot.matrix.colorbar.{'rating' if kind == 'number' else 'complaint'}")
    )
    ax.set_title(t("feedback.plot.matrix.title"), loc="left")
    return ax
