"""The first screen of the monthly review: the three things to know this month, and the brief
(KPI cards, findings, what to do).

* :func:`three_things` - the largest KPI change and what drove it, the most important persona
  movement, each experiment's decision: one sentence each, with its numbers.
* :func:`brief` - the review's first screen; ``artifacts/review.json`` keeps the three things and
  the top actions for the month index.

The numbers come from :mod:`helpers.sections.review_kpis`.
"""

from __future__ import annotations

import pandas as pd

from helpers.analysis import action_plan as plan_mod
from helpers.analysis.experiments.health import INVALID
from helpers.analysis.kpis import KpiReview
from helpers.core import schema as S
from helpers.display.blocks import Brief, Kpi
from helpers.display.format import fmt, is_missing
from helpers.display.labels import value_text
from helpers.display.text import join_sentences, t
from helpers.sections.ab_readout import metric_label
from helpers.sections.persona_review import MonthQuality, decision_text, lift_text, quality_card
from helpers.sections.review_campaigns import campaign_things
from helpers.sections.review_kpis import ActiveCounts, KpiAttribution, reconcile_sentence

__all__ = [
    "three_things",
    "brief",
    "action_sentences",
    "experiment_diagnoses",
    "REVIEW_FILE",
]

#: The review's first screen for the month index: ``three_things`` and ``actions`` (sentences).
REVIEW_FILE = "review.json"


def experiment_diagnoses(readouts: list[dict]) -> dict:
    """experiment -> the diagnosis of an invalid readout in words (its under-logged arm)."""
    return {
        r.get("experiment", ""): plan_mod.fix_diagnosis(r, text=t)
        for r in readouts
        if r.get("decision") == INVALID
    }


# --- three things and the brief -------------------------------------------------------------------
def _kpi_thing(kpis: KpiReview, a: KpiAttribution | None) -> str | None:
    tab = kpis.table.set_index("kpi")
    cands = [
        k
        for k in ("revenue_per_active_user", "active_users")
        if k in tab.index and not is_missing(tab.loc[k, "change_pct"])
    ]
    if not cands:
        return None
    k = max(cands, key=lambda x: abs(tab.loc[x, "change_pct"]))
    row = tab.loc[k]
    direction = "up" if row["change"] >= 0 else "down"
    head = t(
        f"review.thing.{k}.{direction}",
        value=row["value"],
        previous=row["previous"],
        change=abs(row["change_pct"]),
        previous_month=kpis.previous_month,
    )
    return join_sentences([head, _driver(k, a)])


def _driver(kpi: str, a: KpiAttribution | None) -> str:
    if a is None or len(a.personas.table) == 0:
        return ""
    pa = a.personas
    if kpi == "revenue_per_active_user":
        arms = a.valid_arms()
        total = a.revenue_change
        if len(arms) and total:
            best = arms.loc[arms["extra_change"].abs().idxmax()]
            if best["extra_change"] * total > 0 and abs(best["extra_change"]) >= 0.25 * abs(total):
                return t(
                    "review.thing.driver.arm",
                    experiment=best["experiment"],
                    variant=best["variant"],
                    extra=best["extra_change"],
                    total=total,
                    share=best["extra_change"] / total,
                )
        top = pa.table.iloc[0]
        part = "rate" if abs(top["rate_effect"]) >= abs(top["size_effect"]) else "size"
        return t(
            f"review.thing.driver.{part}",
            persona=a.persona_label(top[S.PERSONA]),
            effect=top["effect"],
            change=pa.arpu_change,
            rpu_prev=top["rpu_prev"],
            rpu=top["rpu"],
        )
    grew = pa.table.sort_values("users_change", key=abs, ascending=False).iloc[0]
    return t(
        "review.thing.driver.users",
        persona=a.persona_label(grew[S.PERSONA]),
        change=int(grew["users_change"]),
    )


def _movement_thing(lost: pd.DataFrame | None, month: str) -> str | None:
    if lost is None or len(lost) == 0:
        return None
    df = lost[lost["members"] > 0].assign(share=lambda d: d["gone"] / d["members"])
    if df.empty:
        return None
    r = df.sort_values(["share", "gone"], ascending=False).iloc[0]
    return t(
        "review.thing.movement",
        persona=t("review.persona", persona=int(r["persona"]), name=r["name"]),
        share=r["share"],
        members=int(r["members"]),
        gone=int(r["gone"]),
        month=month,
    )


def _experiment_thing(readouts: list[dict], diagnoses: dict, campaigns=None) -> str | None:
    parts = []
    for r in readouts:
        name, decision = r.get("experiment", ""), str(r.get("decision") or "")
        if decision == INVALID:
            parts.append(
                t(
                    "review.thing.experiment.invalid",
                    experiment=name,
                    diagnosis=diagnoses.get(name, ""),
                )
            )
            continue
        lift = ""
        control = r.get("control")
        for metric in ((r.get("settings") or {}).get("primary") or [])[:1]:
            for variant, res in ((r.get("metrics") or {}).get(metric) or {}).items():
                if variant != control and isinstance(res, dict) and "lift" in res:
                    lift = lift_text(metric_label(metric), variant, res)
                    break
        parts.append(
            t(
                "review.thing.experiment",
                experiment=name,
                decision=decision_text(decision),
                lift=lift,
            )
            if lift
            else t(
                "review.thing.experiment.plain", experiment=name, decision=decision_text(decision)
            )
        )
    parts += campaign_things(campaigns)
    return join_sentences(parts) if parts else None


def three_things(
    kpis: KpiReview,
    attribution: KpiAttribution | None,
    lost: pd.DataFrame | None,
    readouts: list[dict],
    *,
    month: str,
    diagnoses: dict | None = None,
    campaigns=None,
) -> list[str]:
    """The three things to know this month, each one sentence with its numbers (fewer when
    the month lacks one: no previous month, no personas last month, no experiment). The third
    is what was tried: the experiments' decisions, then each campaign read out against its
    holdout (``campaigns``: :func:`helpers.sections.review_campaigns.campaign_section`)."""
    things = [
        _kpi_thing(kpis, attribution),
        _movement_thing(lost, month),
        _experiment_thing(readouts, diagnoses or {}, campaigns),
    ]
    return [x for x in things if x]


_GOOD_UP = {
    "active_users": True,
    "stickiness": True,
    "quick_ratio": True,
    "revenue_per_active_user": True,
    "churn_risk_share": False,
}
_KIND = {
    "active_users": "count",
    "stickiness": "share",
    "quick_ratio": "ratio",
    "revenue_per_active_user": "money",
    "churn_risk_share": "share",
}


def _card(kpis: KpiReview, key: str, note: str = "") -> Kpi:
    row = kpis.table.set_index("kpi").loc[key]
    value = fmt(row["value"], _KIND[key])
    if row["unit"] == "points":
        change = row["change"]
        text = fmt(change, "pp") if not is_missing(change) else ""
    else:
        change = row["change_pct"]
        text = fmt(change, "change") if not is_missing(change) else ""
    tone = "neutral"
    if text and not is_missing(change) and abs(change) >= 0.0005:  # shown as 0.0: neutral
        tone = "good" if (change > 0) == _GOOD_UP[key] else "bad"
    if text:
        text = t("review.card.change", change=text, previous_month=kpis.previous_month)
    return Kpi(t(f"review.kpi.{key}"), value, text, tone, note)


def action_sentences(plan: pd.DataFrame | None, n: int = 3) -> list[str]:
    """The top ``n`` actions of the plan in one line each: what, for whom, how many, who owns it."""
    if plan is None or len(plan) == 0:
        return []
    out = []
    for r in plan.head(n).to_dict("records"):
        owner = value_text(r["owner"]) if r.get("owner") else t("review.brief.no_owner")
        users = r.get("users")
        out.append(
            t(
                "review.brief.action",
                action=str(r["action"]).rstrip("."),
                persona=r["persona"],
                users=users if users is not None and not is_missing(users) else 0,
                owner=owner,
            )
        )
    return out


def brief(
    ctx,
    *,
    kpis: KpiReview,
    counts: ActiveCounts | None,
    things: list[str],
    plan: pd.DataFrame | None,
    quality=None,
    recoverable: int | None = None,
) -> Brief:
    """The review's first screen; also writes ``artifacts/review.json`` for the month index."""
    note = t("review.card.calendar_note") if counts is not None else ""
    cards = [
        _card(kpis, "active_users", note),
        _card(kpis, "revenue_per_active_user"),
        _card(kpis, "stickiness"),
    ]
    if recoverable is not None:
        stake = None
        if plan is not None and len(plan):
            persona_rows = plan[plan["source"] == "persona"]
            stake = pd.to_numeric(persona_rows["revenue_at_stake"], errors="coerce").sum()
        cards.append(
            Kpi(
                t("review.card.recoverable"),
                fmt(recoverable, "count"),
                t("review.card.recoverable_note", stake=stake) if stake else "",
                "neutral",
            )
        )
    if isinstance(quality, MonthQuality):
        tone = {"good": "good", "poor": "bad"}.get(quality.status, "neutral")
        cards.append(
            Kpi(
                t("review.card.quality"),
                t(f"review.quality.status.{quality.status}"),
                quality_card(quality),
                tone,
            )
        )
    actions = action_sentences(plan)
    ctx.write_json(
        {
            "month": ctx.month,
            "active_users": reconcile_sentence(counts) if counts is not None else "",
            "three_things": list(things),
            "actions": actions,
        },
        REVIEW_FILE,
    )
    return Brief(
        t("review.brief.title", month=ctx.month),
        cards=cards,
        findings=things,
        findings_title=t("review.brief.things"),
        actions=actions,
        actions_title=t("review.brief.actions"),
        links=[(t("review.brief.plan_link"), "artifacts/actions.csv")] if actions else [],
    )
