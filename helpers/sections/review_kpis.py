"""The numbers behind the monthly review's first screen: one reconciled active-user count, why
the KPIs moved, and the personas that lost their members.

* :func:`active_counts` - the month's active users, and the other counts of the same users the
  reports show (28-day MAU, users scored for churn, personas, users-table rows), reconciled.
* :func:`kpi_attribution` - the change in active users and revenue per active user split by
  persona (size versus rate) and by experiment arm (:mod:`helpers.analysis.attribution`).
* :func:`lost_members` - last month's members of each persona not active this month (the
  migration actions and their ``winback_persona_<n>.csv``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from helpers.analysis import attribution as attr
from helpers.analysis.experiments.health import INVALID
from helpers.core import schema as S
from helpers.core.time import month_bounds
from helpers.display.blocks import Details, Paragraph, Stack
from helpers.display.format import is_missing
from helpers.display.registry import renders
from helpers.display.table import Table
from helpers.display.text import join_clauses, join_sentences, t

__all__ = [
    "ActiveCounts",
    "active_counts",
    "reconcile_sentence",
    "KpiAttribution",
    "kpi_attribution",
    "attribution_sentences",
    "lost_members",
    "write_winback_csvs",
    "assignments",
    "new_users",
    "recoverable",
]


# --- one count per definition ----------------------------------------------------------------------
@dataclass(frozen=True)
class ActiveCounts:
    """The month's active users and the other counts of them the reports show.

    ``calendar`` (an active day in the calendar month) is the review's figure; ``mau`` the
    users active in the ``mau_days`` days to as_of (02's MAU); ``scored`` those active in the
    ``risk_days`` days to as_of (04 scores them for churn); ``personas`` the users clustered
    (03); ``in_users_table`` the month's actives with a users-table row (None without one)."""

    month: str
    as_of: object
    calendar: int
    mau: int
    mau_days: int
    scored: int
    risk_days: int
    personas: int | None = None
    in_users_table: int | None = None


def _active_in(user_day, first, last) -> int:
    t_ = user_day.filter(
        (user_day[S.DAY] >= first) & (user_day[S.DAY] <= last) & (user_day[S.UD_ACTIVE_EVENTS] > 0)
    )
    return int(t_[S.USER_ID].nunique().execute())


def active_counts(
    user_day,
    *,
    month: str,
    mau_days: int = 28,
    risk_days: int = 30,
    personas: pd.DataFrame | None = None,
    users: pd.DataFrame | None = None,
    month_users: pd.DataFrame | None = None,
) -> ActiveCounts:
    """Count the month's active users under each definition the reports use (engine counts)."""
    first, last = month_bounds(month)
    mu = month_users if month_users is not None else attr.month_users(user_day, month=month)
    in_table = None
    if users is not None and S.USER_ID in users.columns:
        in_table = int(mu[S.USER_ID].isin(set(users[S.USER_ID].astype(str))).sum())
    return ActiveCounts(
        month=month,
        as_of=last,
        calendar=len(mu),
        mau=_active_in(user_day, last - dt.timedelta(days=mau_days - 1), last),
        mau_days=mau_days,
        scored=_active_in(user_day, last - dt.timedelta(days=risk_days - 1), last),
        risk_days=risk_days,
        personas=None if personas is None else int(personas[S.USER_ID].nunique()),
        in_users_table=in_table,
    )


def reconcile_sentence(c: ActiveCounts) -> str:
    """The month's figure and how each other count of the same users differs from it."""
    parts = [
        t("review.reconcile.mau", n=c.mau, days=c.mau_days, as_of=c.as_of),
        t("review.reconcile.scored", n=c.scored, days=c.risk_days, as_of=c.as_of),
    ]
    if c.personas is not None:
        parts.append(t("review.reconcile.personas", n=c.personas))
    if c.in_users_table is not None:
        parts.append(
            t(
                "review.reconcile.users_table",
                n=c.in_users_table,
                missing=c.calendar - c.in_users_table,
            )
        )
    return t("review.reconcile.sentence", n=c.calendar, month=c.month, others=join_clauses(parts))


@renders(ActiveCounts)
def _counts(c: ActiveCounts) -> Paragraph:
    return Paragraph(reconcile_sentence(c))


# --- KPI attribution ---------------------------------------------------------------------------------
@dataclass
class KpiAttribution:
    """Why active users and revenue per active user moved (:func:`kpi_attribution`)."""

    personas: attr.PersonaAttribution
    arms: pd.DataFrame
    names: dict = field(default_factory=dict)
    month: str = ""
    previous_month: str = ""
    invalid: tuple = ()

    def persona_label(self, persona) -> str:
        if int(persona) == attr.NO_PERSONA:
            return t("review.attr.no_persona")
        name = self.names.get(int(persona))
        return t("review.persona", persona=int(persona), name=name) if name else str(persona)

    @property
    def revenue_change(self) -> float:
        return self.personas.revenue - self.personas.revenue_prev

    def valid_arms(self) -> pd.DataFrame:
        return self.arms[~self.arms["experiment"].isin(self.invalid)]


def kpi_attribution(
    users_now: pd.DataFrame,
    users_prev: pd.DataFrame,
    personas_now,
    personas_prev,
    *,
    assignments: pd.DataFrame | None,
    prev_end,
    readouts: list[dict] = (),
    month: str = "",
    previous_month: str = "",
) -> KpiAttribution:
    """The change split by persona and by experiment arm.

    The arms' part of the change is this month's extra revenue minus last month's (an arm
    assigned only this month had none before); invalid experiments are left out (their arms
    are not comparable)."""
    a_now = getattr(personas_now, "assignments", None)
    a_prev = getattr(personas_prev, "assignments", None)
    names = {}
    for snap in (personas_prev, personas_now):
        names.update({int(k): v for k, v in (getattr(snap, "names", None) or {}).items()})
    pa = attr.persona_attribution(users_now, users_prev, a_now, a_prev)
    now = attr.arm_attribution(assignments, users_now)
    before = attr.arm_attribution(_assigned_by(assignments, prev_end), users_prev)
    keys = ["experiment", "variant"]
    arms = now.merge(
        before[keys + ["extra_revenue"]].rename(columns={"extra_revenue": "extra_revenue_prev"}),
        on=keys,
        how="left",
    )
    arms["extra_revenue_prev"] = pd.to_numeric(arms["extra_revenue_prev"], errors="coerce").fillna(
        0.0
    )
    arms["extra_change"] = arms["extra_revenue"] - arms["extra_revenue_prev"]
    invalid = tuple(r.get("experiment") for r in readouts if r.get("decision") == INVALID)
    return KpiAttribution(pa, arms, names, month, previous_month, invalid)


def _assigned_by(assignments: pd.DataFrame | None, day) -> pd.DataFrame | None:
    if assignments is None or "assigned_day" not in assignments.columns:
        return assignments
    days = pd.to_datetime(assignments["assigned_day"])
    return assignments[days <= pd.Timestamp(day)]


def attribution_sentences(a: KpiAttribution) -> list[str]:
    """The ARPU change by size and rate, its largest persona, and each valid arm's part."""
    pa = a.personas
    if is_missing(pa.arpu_prev) or is_missing(pa.arpu) or pa.active_prev == 0:
        return [t("review.attr.no_previous", previous_month=a.previous_month)]
    out = [
        t(
            "review.attr.arpu",
            prev=pa.arpu_prev,
            now=pa.arpu,
            change=pa.arpu_change,
            rate=pa.rate_effect,
            size=pa.size_effect,
            previous_month=a.previous_month,
        )
    ]
    top = pa.table.iloc[0] if len(pa.table) else None
    if top is not None:
        out.append(
            t(
                "review.attr.top_persona",
                persona=a.persona_label(top[S.PERSONA]),
                effect=top["effect"],
                rpu_prev=top["rpu_prev"],
                rpu=top["rpu"],
                users_prev=int(top["users_prev"]),
                users=int(top["users"]),
            )
        )
    grew = pa.table.sort_values("users_change", key=abs, ascending=False).iloc[0]
    out.append(
        t(
            "review.attr.active",
            change=pa.active - pa.active_prev,
            persona=a.persona_label(grew[S.PERSONA]),
            persona_change=int(grew["users_change"]),
        )
    )
    for r in a.valid_arms().to_dict("records"):
        out.append(
            t(
                "review.attr.arm",
                experiment=r["experiment"],
                variant=r["variant"],
                extra=r["extra_change"],
                low=r["ci_low"] - r["extra_revenue_prev"],
                high=r["ci_high"] - r["extra_revenue_prev"],
                total=a.revenue_change,
            )
        )
    for name in a.invalid:
        out.append(t("review.attr.invalid", experiment=name))
    return out


_PERSONA_COLUMNS = {
    "persona": "persona",
    "users_prev": "attr_users_prev",
    "users": "attr_users",
    "users_change": "attr_users_change",
    "rpu_prev": "attr_rpu_prev",
    "rpu": "attr_rpu",
    "size_effect": "attr_size",
    "rate_effect": "attr_rate",
    "effect": "attr_effect",
}
_ARM_COLUMNS = {
    "experiment": "attr_experiment",
    "variant": "attr_variant",
    "users": "attr_arm_users",
    "control_users": "attr_control_users",
    "revenue_per_user": "attr_arm_rpu",
    "control_revenue_per_user": "attr_control_rpu",
    "extra_revenue": "attr_extra",
    "ci_low": "attr_extra_low",
    "ci_high": "attr_extra_high",
    "extra_change": "attr_extra_change",
}


@renders(KpiAttribution)
def _attribution(a: KpiAttribution) -> Stack:
    pa = a.personas
    table = pa.table.assign(persona=[a.persona_label(p) for p in pa.table[S.PERSONA]])
    table = table[list(_PERSONA_COLUMNS)].rename(columns=_PERSONA_COLUMNS)
    arms = a.arms[list(_ARM_COLUMNS)].rename(columns=_ARM_COLUMNS)
    return Stack.of(
        Paragraph(join_sentences(attribution_sentences(a))),
        Details(
            t("review.attr.details"),
            Stack.of(
                Table(
                    table,
                    caption=t(
                        "review.attr.caption", month=a.month, previous_month=a.previous_month
                    ),
                    max_rows=len(table) or 1,
                ),
                Table(
                    arms,
                    caption=t("review.attr.arms_caption"),
                    digits={
                        c: 0
                        for c in (
                            "attr_extra",
                            "attr_extra_low",
                            "attr_extra_high",
                            "attr_extra_change",
                        )
                    },
                )
                if len(arms)
                else None,
            ),
        ),
    )


# --- personas that lost their members -------------------------------------------------------------
def lost_members(personas_prev, users_now: pd.DataFrame, users_prev: pd.DataFrame) -> pd.DataFrame:
    """Per persona of last month: ``persona, name, members, gone`` (not active this month),
    ``revenue_prev`` (the gone members' revenue last month), and the gone users (``users``)."""
    cols = ["persona", "name", "members", "gone", "revenue_prev", "users", "file"]
    assign = getattr(personas_prev, "assignments", None)
    if assign is None or len(assign) == 0:
        return pd.DataFrame(columns=cols)
    names = {int(k): v for k, v in (getattr(personas_prev, "names", None) or {}).items()}
    active = set(users_now[S.USER_ID].astype(str))
    rev = users_prev.set_index(S.USER_ID)[attr.REVENUE]
    rows = []
    for p, g in assign.groupby(S.PERSONA, sort=True):
        ids = g[S.USER_ID].astype(str)
        gone = ids[~ids.isin(active)]
        rows.append(
            {
                "persona": int(p),
                "name": names.get(int(p), str(p)),
                "members": len(ids),
                "gone": len(gone),
                "revenue_prev": float(gone.map(rev).fillna(0.0).sum()),
                "users": gone.tolist(),
                "file": f"winback_persona_{int(p)}.csv" if len(gone) else "",
            }
        )
    return pd.DataFrame(rows, columns=cols)


def write_winback_csvs(
    ctx, lost: pd.DataFrame, users_prev: pd.DataFrame, *, min_share: float = 0.5
):
    """``winback_persona_<n>.csv`` (user_id, persona, persona_name, revenue_last_month) for each
    persona that lost at least ``min_share`` of its members; returns ``lost`` without the ids."""
    rev = users_prev.set_index(S.USER_ID)[attr.REVENUE]
    keep = []
    for r in lost.to_dict("records"):
        if r["members"] and r["gone"] / r["members"] >= min_share and r["file"]:
            ids = pd.Series(r["users"], dtype=str)
            df = pd.DataFrame(
                {
                    S.USER_ID: ids,
                    S.PERSONA: r["persona"],
                    "persona_name": r["name"],
                    "revenue_last_month": ids.map(rev).fillna(0.0).round(2),
                }
            ).sort_values("revenue_last_month", ascending=False, kind="stable")
            ctx.write_csv(df, r["file"].removesuffix(".csv"))
            keep.append(r["file"])
    out = lost.drop(columns=["users"])
    out["file"] = [f if f in keep else "" for f in out["file"]]
    return out


# --- inputs of the review -------------------------------------------------------------------------
def assignments(project) -> pd.DataFrame | None:
    """The project's experiment assignments (``user_id, experiment, variant``, and
    ``assigned_day`` when known) as a frame, or None without an assignments source."""
    table = (getattr(project, "tables", None) or {}).get("assignments")
    if table is None:
        return None
    cols = [c for c in (S.USER_ID, "experiment", "variant", "assigned_day") if c in table.columns]
    return table.select(*cols).execute()


def new_users(user_day, *, month: str) -> int:
    """Users whose first active day falls in ``month`` (engine count)."""
    first, last = month_bounds(month)
    act = user_day.filter(user_day[S.UD_ACTIVE_EVENTS] > 0)
    firsts = act.group_by(S.USER_ID).aggregate(_first=act[S.DAY].min())
    return int(firsts.filter((firsts._first >= first) & (firsts._first <= last)).count().execute())


def recoverable(churn_risk: pd.DataFrame | None) -> int | None:
    """Users of ``churn_risk.csv`` whose status is ``recoverable`` (None without the list)."""
    if churn_risk is None or "status" not in churn_risk.columns:
        return None
    return int((churn_risk["status"] == "recoverable").sum())
