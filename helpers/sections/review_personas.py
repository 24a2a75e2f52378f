"""The personas part of the ``07_persona_review`` notebook: this month's personas against last
month's (sizes, shares, drift, who moved where) and the action list with its at-risk users.

The numbers come from :mod:`helpers.analysis.segments.migration` and
:mod:`helpers.analysis.actions`; this module words and arranges them, and writes each persona's
at-risk users to ``artifacts/at_risk_persona_<n>.csv``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from helpers.analysis import action_plan as plan_mod
from helpers.analysis import actions as actions_mod
from helpers.analysis.actions import ActionList
from helpers.analysis.segments.migration import GONE, NEW, MonthComparison, compare_months
from helpers.analysis.segments.naming import fallback_name
from helpers.core import schema as s
from helpers.display.blocks import Bullets, Heading, Links, Note, Paragraph, Stack
from helpers.display.labels import label
from helpers.display.registry import renders
from helpers.display.table import Table
from helpers.display.text import t
from helpers.plots.activity import behaviour_label
from helpers.sections.review_campaigns import audience_label, not_read_reason

__all__ = [
    "persona_comparison",
    "FlowSummary",
    "flow_summary",
    "action_list",
    "write_action_csvs",
    "ActionPlan",
    "action_plan",
]


def _persona(number, name) -> str:
    """``1. Name`` (a persona without a name gets the fallback name)."""
    return t("review.persona", persona=number, name=name or fallback_name(number, text=t))


# --- personas this month vs last -------------------------------------------------------------------
def persona_comparison(previous, current, **match_options) -> MonthComparison | Note:
    """:func:`helpers.analysis.segments.migration.compare_months`, or a Note when either month has
    no personas.

    Parameters
    ----------
    previous, current : helpers.analysis.segments.snapshot.PersonaSnapshot or None
        From :func:`helpers.analysis.segments.snapshot.read_snapshot` of last month's and this
        month's artifacts.
    **match_options
        Passed to :func:`helpers.analysis.segments.matching.match_personas` (when this month was
        not matched yet).
    """
    if current is None:
        return Note(t("review.comparison.no_current"))
    if previous is None:
        return Note(t("review.comparison.no_previous"))
    return compare_months(previous, current, text=t, **match_options)


@renders(MonthComparison)
def _comparison(c: MonthComparison) -> Table:
    tab = c.table
    kept = tab["status"] == "kept"
    df = pd.DataFrame(
        {
            "persona": [_persona(p, n) for p, n in zip(tab["persona"], tab["name"])],
            "status": [t(f"review.status.{x}") for x in tab["status"]],
            "users_last_month": tab["users_prev"].to_numpy(),
            "users": tab["users"].to_numpy(),
            "share_revenue_last_month": tab["revenue_share_prev"].to_numpy(),
            "share_revenue": tab["revenue_share"].to_numpy(),
            "centre_shift_sd": tab["centroid_shift"].to_numpy(),
            "members_stayed": tab["stayed_share"].to_numpy(),
            "persona_drifted": [bool(d) if k else None for d, k in zip(tab["drifted"], kept)],
        }
    )
    how = "review.comparison.aligned" if c.aligned else "review.comparison.matched_here"
    return Table(
        df,
        caption=t("review.comparison.caption", month=c.month, previous_month=c.previous_month),
        note=t(how, previous_month=c.previous_month),
        digits={"centre_shift_sd": 2},
        max_rows=max(len(df), 20),
    )


@dataclass
class FlowSummary:
    """The migration in words: totals and biggest moves, and the personas that changed."""

    sentences: list = field(default_factory=list)
    changes: list = field(default_factory=list)


def _flow(r) -> str:
    if str(r["from"]) == NEW:
        to = _persona(r["to"], r["to_name"])
        return t("review.flows.joined", users=r["users"], to=to, share=r["share_of_to"])
    frm = _persona(r["from"], r["from_name"])
    if str(r["to"]) == GONE:
        return t("review.flows.left", users=r["users"], source=frm, share=r["share_of_from"])
    to = _persona(r["to"], r["to_name"])
    return t("review.flows.moved", users=r["users"], source=frm, to=to, share=r["share_of_from"])


def flow_summary(comparison, *, n: int = 5) -> FlowSummary | Note:
    """The totals, the ``n`` biggest moves between personas, the largest inflow of new users, the
    largest loss to inactivity, and the new, gone or drifted personas, in words (a Note as is)."""
    if isinstance(comparison, Note):
        return comparison
    mig = comparison.migration
    sentences = [t("review.flows.totals", **asdict(mig.totals()))]
    sentences += [_flow(r) for _, r in mig.top_flows(n, between_personas=True).iterrows()]
    sentences += [_flow(r) for _, r in mig.largest_arrivals_and_losses().iterrows()]
    changes = []
    for r in comparison.table.itertuples(index=False):
        who = _persona(r.persona, r.name)
        if r.status == "new":
            changes.append(t("review.changes.new", persona=who, users=r.users))
        elif r.status == "gone":
            changes.append(t("review.changes.gone", persona=who, users=r.users_prev))
        elif bool(r.drifted):
            changes.append(
                t(
                    "review.changes.drifted",
                    persona=who,
                    shift=r.centroid_shift,
                    stayed=r.stayed_share,
                )
            )
    return FlowSummary(sentences, changes)


@renders(FlowSummary)
def _flows(f: FlowSummary) -> Stack:
    changed = Bullets(f.changes) if f.changes else Paragraph(t("review.changes.none"))
    return Stack.of(
        Heading(t("review.flows.heading")),
        Bullets(f.sentences),
        Heading(t("review.changes.heading")),
        changed,
    )


# --- the action list -------------------------------------------------------------------------------
def action_list(cards, churn_risk: pd.DataFrame | None) -> ActionList | Note:
    """:func:`helpers.analysis.actions.action_list`, or a Note when there are no personas."""
    result = actions_mod.action_list(cards, churn_risk)
    return Note(t("review.actions.none")) if result is None else result


@renders(ActionList)
def _actions(a: ActionList) -> Stack:
    tab = a.table
    df = pd.DataFrame(
        {
            "persona": [_persona(p, n) for p, n in zip(tab[s.PERSONA], tab["name"])],
            "recommended_action": tab["action_text"].to_numpy(),
            "users": tab["users"].to_numpy(),
            "share_users": tab["user_share"].to_numpy(),
            "share_revenue": tab["revenue_share"].to_numpy(),
            "persona_clv_total": tab["clv_total"].to_numpy(),
            "persona_at_risk_users": tab["at_risk_users"].to_numpy(),
            "at_risk_revenue_30d": tab["at_risk_revenue_30d"].to_numpy(),
        }
    )
    note = (
        t("review.actions.at_risk", users=a.at_risk_users)
        if a.has_risk
        else t("review.actions.no_risk")
    )
    table = Table(
        df,
        note=note,
        digits={"persona_clv_total": 0, "at_risk_revenue_30d": 0},
        max_rows=max(len(df), 20),
    )
    with_risk = tab[tab["at_risk_users"] > 0]
    links = Links(
        [
            (
                t("review.actions.link", persona=_persona(p, n), users=u),
                f"artifacts/{actions_mod.at_risk_file(p)}",
            )
            for p, n, u in zip(with_risk[s.PERSONA], with_risk["name"], with_risk["at_risk_users"])
        ],
        lead=t("review.actions.links_lead"),
    )
    return Stack.of(table, links if a.has_risk else None)


def write_action_csvs(ctx, actions) -> list[Path]:
    """Write one ``artifacts/at_risk_persona_<n>.csv`` per persona with at-risk users (nothing
    for a Note).

    Lists left by an earlier run of the month for personas without at-risk users now are
    removed, so every such CSV in ``artifacts/`` belongs to this action list.
    """
    if not isinstance(actions, ActionList):
        return []
    paths = [
        ctx.write_csv(rows.reset_index(drop=True), actions_mod.at_risk_file(persona))
        for persona, rows in actions.at_risk.groupby(s.PERSONA, sort=True)
    ]
    folder = getattr(ctx, "artifacts", None)
    if folder is not None:
        for old in Path(folder).glob("at_risk_persona_*.csv"):
            if old not in paths:
                old.unlink()
    return paths


# --- the action plan (artifacts/actions.csv) ---------------------------------------------------
@dataclass
class ActionPlan:
    """The month's ranked action plan (``artifacts/actions.csv``, :data:`ACTION_COLUMNS`)."""

    plan: pd.DataFrame


def action_plan(
    ctx,
    actions,
    experiments: list[dict],
    drivers: pd.DataFrame | None,
    *,
    arms: pd.DataFrame | None = None,
    retention: pd.DataFrame | None = None,
    new_users: int | None = None,
    lost: pd.DataFrame | None = None,
    churn_risk: pd.DataFrame | None = None,
    campaigns=None,
    pain: pd.DataFrame | None = None,
) -> ActionPlan:
    """The month's action plan (:mod:`helpers.analysis.action_plan`), written to
    ``artifacts/actions.csv`` with its owners from ``owners:``.

    ``arms`` prices a roll-out (:func:`helpers.analysis.attribution.arm_attribution`);
    ``retention`` is ``retention_drivers.csv`` of ``02_active_users`` (its ``first_days`` and
    ``retention_day`` columns say the windows); ``lost`` the personas' lost members
    (:func:`helpers.sections.review_kpis.lost_members`); ``churn_risk`` is ``churn_risk.csv``
    (its lapsed high-risk users get a win-back action per persona, ``lapsed_persona_<n>.csv``);
    ``campaigns`` the month's campaign readouts
    (:func:`helpers.sections.review_campaigns.campaign_section`): keep, scale or stop each;
    ``pain`` is ``pain_findings.csv`` of ``05_pain_points``: each pain point becomes an action
    (``source = pain_point``)."""
    cfg = ctx.config
    rows = []
    if isinstance(actions, ActionList):
        rows += plan_mod.persona_actions(
            actions,
            save_rate=cfg.actions.save_rate,
            recoverable_days=cfg.churn.recoverable_days,
            text=t,
        )
    rows += plan_mod.experiment_actions(experiments, text=t, arms=arms)
    rows += plan_mod.churn_driver_actions(drivers, text=t, label=label)
    if retention is not None and len(retention) and "first_days" in retention.columns:
        rows += plan_mod.retention_driver_actions(
            retention,
            new_users=new_users,
            first_days=int(retention["first_days"].iloc[0]),
            retention_day=int(retention["retention_day"].iloc[0]),
            text=t,
            label=lambda e, k: behaviour_label(e, k, int(retention["first_days"].iloc[0])),
            exclude=[s.ORDER_EVENT, *cfg.purchase_events],
        )
    rows += plan_mod.migration_actions(lost, text=t, save_rate=cfg.actions.save_rate)
    lapsed = plan_mod.lapsed_actions(
        churn_risk, text=t, save_rate=cfg.actions.save_rate, days=cfg.churn.recoverable_days
    )
    for row in lapsed:  # each persona's lapsed high-risk users, most valuable first
        number = int(row["audience_file"].removeprefix("lapsed_persona_").removesuffix(".csv"))
        users = churn_risk[
            (churn_risk["status"] == "lapsed") & (churn_risk["persona"] == number)
        ].sort_values("expected_revenue_30d", ascending=False, kind="stable")
        ctx.write_csv(users.reset_index(drop=True), row["audience_file"].removesuffix(".csv"))
    rows += lapsed
    rows += plan_mod.pain_point_actions(pain, text=t)
    review = getattr(campaigns, "review", None)
    if review is not None:
        rows += plan_mod.campaign_actions(
            review,
            text=t,
            audience=audience_label,
            reason=not_read_reason,
            holdout_share=cfg.campaigns.holdout,
            min_lift=cfg.campaigns.min_lift,
        )
    plan = plan_mod.action_plan(rows, owners=cfg.owners)
    ctx.write_csv(plan, "actions")
    return ActionPlan(plan)


@renders(ActionPlan)
def _plan(a: ActionPlan) -> Stack | Note:
    plan = a.plan
    if plan.empty:
        return Note(t("review.actions.none"))
    shown = plan.assign(source=[t(f"review.plan.source.{x}") for x in plan["source"]])
    files = plan[plan["audience_file"] != ""]
    links = Links(
        [
            (
                t(
                    "review.actions.link_winback" if src == "migration" else "review.actions.link",
                    persona=p,
                    users=u,
                ),
                f"artifacts/{f}",
            )
            for p, u, f, src in zip(
                files["persona"], files["users"], files["audience_file"], files["source"]
            )
        ],
        lead=t("review.actions.links_lead"),
    )
    return Stack.of(
        Table(
            shown.drop(columns=["audience_file"]),
            caption=t("review.plan.caption"),
            digits={"revenue_at_stake": 0},
            max_rows=max(len(shown), 1),
            artifact="actions.csv",
            collapse=False,  # the list a team acts on stays open
        ),
        links if len(files) else None,
    )
