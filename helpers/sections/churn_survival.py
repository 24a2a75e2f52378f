"""What the survival curves of ``04_churn`` show: Kaplan-Meier by persona, RFM segment and the
attributes of the users table, with who the curves count (re-exported by
:mod:`helpers.sections.churn`).

A persona or an RFM segment is taken at the first month end each user's life was running
(:mod:`helpers.analysis.churn.landmarks`) and the life is counted from that day on (delayed
entry); an attribute known from signup counts every life from its start.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.analysis.churn.kaplan_meier import KaplanMeierByGroup
from helpers.analysis.churn.landmarks import delayed_entry
from helpers.display.blocks import Details, Paragraph, Stack, Unavailable
from helpers.display.format import fmt
from helpers.display.labels import value_text
from helpers.display.registry import renders
from helpers.display.table import Table
from helpers.display.text import t, tn
from helpers.plots.churn import group_name

__all__ = ["km_by"]

#: Where a grouping comes from when it is missing (message keys of churn.km.source.*).
_GROUP_SOURCES = {"persona_name": "personas", "persona": "personas", "rfm_segment": "rfm"}


def km_by(
    surv_g: pd.DataFrame, column: str, *, labels: pd.DataFrame | None = None, times=(30, 90, 180)
):
    """Kaplan-Meier by ``column``, or an Unavailable note naming the source that would provide it
    (or the history, when no life was followed for ``min(times)`` days).

    A grouping of ``labels`` (:func:`~helpers.analysis.churn.landmarks.labels_at_landmarks`:
    persona, RFM segment) is taken from there, each user from the first month end at which
    they had it, with delayed entry (:func:`~helpers.analysis.churn.landmarks.delayed_entry`);
    any other comes from ``surv_g`` and counts every life from its start.

    >>> km_by(pd.DataFrame({"duration_days": [3], "event": [1]}), "rfm_segment").text[:28]
    'No survival by RFM segment: '
    """
    if labels is not None and column in labels.columns:
        if not labels.attrs.get("landmarks") or labels[column].notna().sum() == 0:
            if column in ("persona", "persona_name") and labels.attrs.get("landmarks"):
                where = t("churn.km.source.cards")
                return Unavailable(t("churn.km.missing", group=group_name(column), source=where))
            if labels.attrs.get("landmarks"):
                return Unavailable(t("churn.km.empty", group=group_name(column)))
            return Unavailable(t("churn.needs.survival"))
        surv_g = delayed_entry(surv_g, labels, column)
    if column in surv_g.columns and surv_g[column].notna().sum() == 0:
        return Unavailable(t("churn.km.empty", group=group_name(column)))
    if column not in surv_g.columns:
        source = _GROUP_SOURCES.get(column)
        where = (
            t(f"churn.km.source.{source}") if source else t("churn.km.source.users", column=column)
        )
        return Unavailable(t("churn.km.missing", group=group_name(column), source=where))
    if "duration_days" in surv_g.columns and surv_g["duration_days"].max() < min(times):
        # no life was followed as long as the first day the table reports: a curve would
        # carry its last value forward and show a share "still active" nobody observed
        return Unavailable(t("churn.needs.survival"))
    return KaplanMeierByGroup(times=times).fit(surv_g, column)


def _median_text(median: float, low: float, high: float) -> str:
    if np.isinf(median):
        return fmt(median, "days")
    if np.isinf(high):
        return t("churn.km.median_open", median=median, low=low)
    return t("churn.km.median", median=median, low=low, high=high)


def _population(km: KaplanMeierByGroup, name: str) -> str:
    """Which lives the curves count, and from when (one sentence)."""
    if km.delayed_entry_ and km.landmarks_:
        return t(
            "churn.km.population.landmark",
            group=name,
            first=km.landmarks_[0],
            last=km.landmarks_[-1],
        )
    if km.group_col_:
        return t("churn.km.population.all", group=name)
    return t("churn.km.population.everyone")


def _cut_notes(km: KaplanMeierByGroup, name: str) -> list:
    s = km.summary_
    late = s[s["followed_from"] > 0]
    sep = t("churn.list_separator")
    return [
        t(
            "churn.km.followed_from",
            n=km.min_at_risk,
            groups=sep.join(
                t("churn.km.followed_day", group=value_text(str(g)), day=d)
                for g, d in zip(late["group"], late["followed_from"])
            ),
        )
        if len(late)
        else None,
        t(
            "churn.km.too_few",
            n=km.min_at_risk,
            groups=sep.join(value_text(str(g)) for g in km.too_few_),
        )
        if km.too_few_
        else None,
    ]


@renders(KaplanMeierByGroup)
def kaplan_meier(km: KaplanMeierByGroup) -> Stack:
    """Who the curves count, median lifetimes and survival at fixed days per group, the
    log-rank tests, what was left out."""
    s = km.summary_
    name = group_name(km.group_col_)
    headline = (
        t("churn.km.headline", group=name, users=int(s["users"].sum()))
        if km.group_col_
        else t("churn.km.headline_all", users=int(s["users"].sum()))
    )
    test = None
    if len(km.logrank_):
        p = float(km.logrank_["p"].iloc[0])
        test = t("churn.km.differ" if p < km.alpha else "churn.km.no_difference", p=p)
    at = {f"S_{d}d": t("churn.km.survival_at", days=d) for d in km.times}
    table = pd.DataFrame(
        {
            name: s["group"].astype(str),
            "users": s["users"],
            "lives_churned": s["churned"],
            "median_lifetime": [
                _median_text(m, lo, hi)
                for m, lo, hi in zip(s["median_days"], s["median_lower"], s["median_upper"])
            ],
        }
    )
    for col, header in at.items():
        table[header] = s[col].to_numpy()
    left_out = [
        t("churn.km.not_reached") if np.isinf(s["median_days"]).any() else None,
        *_cut_notes(km, name),
        tn("churn.km.too_recent", km.n_dropped_) if km.n_dropped_ else None,
        tn("churn.km.no_group", km.n_missing_group_, group=name) if km.n_missing_group_ else None,
    ]
    parts = [
        Paragraph(" ".join(x for x in (headline, _population(km, name), test) if x)),
        Table(
            table,
            kinds={h: "share" for h in at.values()},
            value_columns=[name, *at.values()],
            caption=t("churn.km.caption", group=name),
            note=" ".join(x for x in left_out if x) or None,
        ),
    ]
    if len(km.pairwise_):
        pw = km.pairwise_
        pairs = pd.DataFrame(
            {
                "logrank_group_a": pw["group_a"],
                "logrank_group_b": pw["group_b"],
                "logrank_statistic": pw["test_statistic"],
                "p_value": pw["p"],
                "p_holm": pw["p_holm"],
                "logrank_significant": pw["significant"].astype(bool),
            }
        )
        parts.append(
            Details(
                t("churn.km.pairwise_summary", n=len(pairs)),
                Table(pairs, caption=t("churn.km.pairwise_caption", n=len(pairs))),
            )
        )
    return Stack(parts)
