"""The month's action plan: one row per action a team can assign, ranked, with its owner.

A persona that drives no action is decoration, and an action without an owner is a wish. The
plan gathers the actions the review's evidence supports, each with why (the evidence and the
report it comes from), the audience and its size, the revenue at stake, the expected impact where
the kit can estimate one (with the assumption stated) and the owner from ``owners:`` in
``persona.yaml``:

* ``persona``: each persona's playbook action, aimed at its users who can still be saved (high
  churn risk, recently active; ``at_risk_persona_<n>.csv``);
* ``experiment``: ship → roll the winning variant out; invalid → fix the experiment, with the
  diagnosis (the arm with fewer users than its split expects);
* ``churn_driver``: a user attribute a team can change (a 0/1 program such as joining the
  community) whose Cox hazard ratio is below 1 with its whole interval;
* ``retention_driver``: an early behaviour that goes with day-28 retention (the doers' retention
  interval lies above the non-doers'): guide this month's new users to it;
* ``migration``: a persona that lost most of last month's members (not active this month): win
  them back (``winback_persona_<n>.csv``);
* ``campaign``: each campaign read out against its holdout this month
  (:mod:`helpers.analysis.campaigns.readout`): scale it, run it again (keep) or stop it; one
  that could not be read out gets a holdout or its split checked first. Its owner is the
  campaign's own (the log's) when it has one.

Ranked by revenue at stake, then by users; no action appears twice for the same persona. The
words come from the report catalog through ``text`` (``helpers.display.text.t``), so this module
holds no English. Written as ``artifacts/actions.csv`` (:data:`ACTION_COLUMNS`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = [
    "ACTION_COLUMNS",
    "persona_actions",
    "experiment_actions",
    "churn_driver_actions",
    "retention_driver_actions",
    "migration_actions",
    "lapsed_actions",
    "campaign_actions",
    "pain_point_actions",
    "PAIN_COLUMNS",
    "action_plan",
    "owner_of",
    "under_logged_arm",
    "fix_diagnosis",
]

Text = Callable[..., str]

#: The columns of ``artifacts/actions.csv``.
ACTION_COLUMNS = (
    "priority",
    "source",
    "persona",
    "action",
    "why",
    "users",
    "revenue_at_stake",
    "expected_impact",
    "owner",
    "audience_file",
)


def _row(source: str, **values) -> dict:
    row = dict.fromkeys(ACTION_COLUMNS, None)
    row.update(source=source, **values)
    return row


def persona_actions(actions, *, save_rate: float, recoverable_days: int, text: Text) -> list[dict]:
    """One row per persona of an :class:`helpers.analysis.actions.ActionList`: its playbook
    action for its users who can still be saved; impact = revenue at stake x ``save_rate``."""
    rows = []
    for r in actions.table.to_dict("records"):
        users = int(r.get("at_risk_users") or 0)
        stake = r.get("at_risk_revenue_30d")
        stake = float(stake) if stake is not None and np.isfinite(stake) else None
        name = text("review.plan.persona", persona=int(r["persona"]), name=r["name"])
        why = text(
            "review.plan.persona.why",
            users=users,
            days=recoverable_days,
            share=r.get("user_share"),
        )
        rows.append(
            _row(
                "persona",
                persona=name,
                action=r["action_text"],
                why=why,
                users=users,
                revenue_at_stake=stake,
                expected_impact=text("review.plan.impact", value=stake * save_rate, rate=save_rate)
                if stake
                else "",
                audience_file=r.get("at_risk_csv") or "",
            )
        )
    return rows


def under_logged_arm(record: Mapping) -> tuple[str, int, float] | None:
    """``(variant, users, expected)`` of the arm furthest below what its split expects, from a
    readout record's user counts.

    The expected size of each arm is taken from the arm that is fullest for its share (the
    split's shares: the record's ``design_split``, else ``settings.split``, else equal), on the
    assumption that a
    sample-ratio mismatch comes from rows missing in one arm, not from rows added to the
    others; so an arm that lost 20% of its rows shows 20% missing.

    >>> rec = {"metrics": {"converted": {"control": {"n": 300}, "treatment": {"n": 240}}},
    ...        "settings": {"primary": ["converted"]}}
    >>> under_logged_arm(rec)
    ('treatment', 240, 300.0)
    """
    metrics = record.get("metrics") or {}
    primary = (record.get("settings") or {}).get("primary") or list(metrics)[:1]
    arms = metrics.get(primary[0]) if primary else None
    if not arms:
        return None
    n = {v: int(a.get("n") or 0) for v, a in arms.items()}
    design = record.get("design_split") or {}  # {variant: share}, as the readout recorded it
    split = (record.get("settings") or {}).get("split") or []
    if set(design) == set(n):
        shares = dict(design)
    elif len(split) == len(n):
        shares = dict(zip(sorted(n), split))
    else:
        shares = dict.fromkeys(n, 1 / max(len(n), 1))
    shares = {v: float(x) for v, x in shares.items() if float(x) > 0}
    if len(shares) < 2:
        return None
    whole = max(n[v] / shares[v] for v in shares)
    gaps = {v: n[v] - shares[v] * whole for v in shares}
    worst = min(gaps, key=gaps.get)
    return (worst, n[worst], shares[worst] * whole) if gaps[worst] < 0 else None


def fix_diagnosis(record: Mapping, *, text: Text) -> str:
    """What to fix in an invalid readout, in words: its under-logged arm (users against what
    its split expects, the share missing), else a pointer to its failed health checks."""
    arm = under_logged_arm(record)
    if not arm:
        return text("review.plan.fix.checks")
    return text(
        "review.plan.fix.arm",
        arm=arm[0],
        users=arm[1],
        expected=arm[2],
        missing=1 - arm[1] / arm[2],
    )


def experiment_actions(
    records: list[Mapping], *, text: Text, arms: pd.DataFrame | None = None
) -> list[dict]:
    """Roll out a shipped variant; fix an invalid experiment, with its diagnosis.

    ``arms`` (:func:`helpers.analysis.attribution.arm_attribution` of the month) prices a roll
    out: the revenue at stake is what the control arm's users would have added this month at the
    winning arm's rate (control users x the difference of revenue per user)."""
    rows = []
    for rec in records:
        name, decision = rec.get("experiment"), str(rec.get("decision") or "")
        audience = sum(
            int(a.get("n") or 0)
            for a in (next(iter((rec.get("metrics") or {}).values()), {}) or {}).values()
        )
        reasons = "; ".join(rec.get("reasons") or [])
        if decision.startswith("ship"):
            variant = decision.removeprefix("ship").strip() or "treatment"
            stake, impact = None, ""
            if arms is not None and len(arms):
                hit = arms[(arms["experiment"] == name) & (arms["variant"] == variant)]
                if len(hit):
                    a = hit.iloc[0]
                    diff = float(a["revenue_per_user"] - a["control_revenue_per_user"])
                    if diff > 0:
                        stake = diff * int(a["control_users"])
                        impact = text(
                            "review.plan.ship.impact",
                            value=stake,
                            users=int(a["control_users"]),
                            per_user=diff,
                        )
            rows.append(
                _row(
                    "experiment",
                    persona=text("review.plan.everyone"),
                    action=text("review.plan.ship", experiment=name, variant=variant),
                    why=text("review.plan.ship.why", reasons=reasons, experiment=name),
                    users=audience,
                    revenue_at_stake=stake,
                    expected_impact=impact,
                )
            )
        elif decision == "invalid":
            failed = [
                c["sentence"]
                for c in rec.get("health_checks") or []
                if c.get("status") in ("fail", "failed")
            ]
            diagnosis = fix_diagnosis(rec, text=text)
            rows.append(
                _row(
                    "experiment",
                    persona=text("review.plan.everyone"),
                    action=text("review.plan.fix", experiment=name, diagnosis=diagnosis),
                    why=text("review.plan.fix.why", checks=" ".join(failed), experiment=name),
                    users=audience,
                )
            )
    return rows


def churn_driver_actions(
    drivers: pd.DataFrame | None, *, text: Text, label: Callable
) -> list[dict]:
    """A protective user attribute a team can change (``kind == "attribute"``, whole 95%
    interval below 1): bring more users into it. ``label`` names a column in words."""
    if drivers is None or len(drivers) == 0 or "kind" not in drivers.columns:
        return []
    levers = drivers[(drivers["kind"] == "attribute") & (drivers["hr_upper"] < 1)]
    return [
        _row(
            "churn_driver",
            persona=text("review.plan.everyone"),
            action=text("review.plan.lever", attribute=label(r["covariate"])),
            why=text(
                "review.plan.lever.why",
                attribute=label(r["covariate"]),
                hr=r["hr"],
                lo=r["hr_lower"],
                hi=r["hr_upper"],
            ),
        )
        for r in levers.sort_values("hr").to_dict("records")
    ]


def retention_driver_actions(
    drivers: pd.DataFrame | None,
    *,
    new_users: int | None,
    first_days: int,
    retention_day: int,
    text: Text,
    label: Callable,
    limit: int = 2,
    exclude: Sequence[str] = (),
) -> list[dict]:
    """Guide new users to an early behaviour that goes with retention: the ``limit`` best-scored
    event behaviours (one per event) whose doers' 95% retention interval lies wholly above the
    non-doers'.

    ``drivers`` is ``artifacts/retention_drivers.csv`` (``02_active_users``); ``label(event,
    threshold)`` words a behaviour. Correlation, not causation: the action says to test it."""
    need = {"event", "threshold", "ci_low_doers", "ci_high_non_doers", "rate_doers"}
    if drivers is None or len(drivers) == 0 or not need <= set(drivers.columns):
        return []
    d = drivers[drivers["threshold"].notna() & ~drivers["event"].isin(list(exclude))]
    d = d[d["ci_low_doers"] > d["ci_high_non_doers"]]
    if "score" in d.columns:  # the drivers' own ranking: the correlation of doing and staying
        d = d.sort_values("score", ascending=False, kind="stable")
    d = d.drop_duplicates("event").head(limit)
    rows = []
    for r in d.to_dict("records"):
        behaviour = label(r["event"], r["threshold"])
        rows.append(
            _row(
                "retention_driver",
                persona=text("review.plan.new_users"),
                action=text("review.plan.driver", behaviour=behaviour),
                why=text(
                    "review.plan.driver.why",
                    behaviour=behaviour,
                    day=retention_day,
                    doers=r["rate_doers"],
                    others=r["rate_non_doers"],
                ),
                users=new_users,
            )
        )
    return rows


def migration_actions(
    lost: pd.DataFrame | None, *, text: Text, save_rate: float = 0.1, min_share: float = 0.5
) -> list[dict]:
    """Win back a persona's members who left: one row per persona of last month of which at
    least ``min_share`` were not active this month.

    ``lost``: ``persona``, ``name``, ``members`` (last month), ``gone`` (not active this month),
    ``revenue_prev`` (their revenue last month: what a month of them is worth), ``file``;
    impact = that revenue x ``save_rate`` (the share assumed won back)."""
    if lost is None or len(lost) == 0:
        return []
    rows = []
    for r in lost.to_dict("records"):
        members, gone = int(r["members"]), int(r["gone"])
        if not members or gone / members < min_share:
            continue
        rows.append(
            _row(
                "migration",
                persona=text("review.plan.persona", persona=int(r["persona"]), name=r["name"]),
                action=text("review.plan.winback", name=r["name"]),
                why=text(
                    "review.plan.winback.why",
                    gone=gone,
                    members=members,
                    share=gone / members,
                ),
                users=gone,
                revenue_at_stake=float(r["revenue_prev"]) if r.get("revenue_prev") else None,
                expected_impact=text(
                    "review.plan.winback.impact",
                    value=r["revenue_prev"] * save_rate,
                    rate=save_rate,
                )
                if r.get("revenue_prev")
                else "",
                audience_file=r.get("file") or "",
            )
        )
    return rows


def lapsed_actions(
    churn_risk: pd.DataFrame | None, *, text: Text, save_rate: float = 0.1, days: int = 7
) -> list[dict]:
    """Win back each persona's high-risk users who have already lapsed (``status`` lapsed in
    ``churn_risk.csv``: not active for more than ``days`` days): they are gone, so no save
    campaign reaches them, but what they spent is what a win-back can bring back. Revenue at
    stake = their revenue per 30 days (``expected_revenue_30d``); impact = x ``save_rate``."""
    need = {"status", "persona", "persona_name", "expected_revenue_30d"}
    if churn_risk is None or len(churn_risk) == 0 or not need <= set(churn_risk.columns):
        return []
    lapsed = churn_risk[(churn_risk["status"] == "lapsed") & churn_risk["persona"].notna()]
    rows = []
    for p, g in lapsed.groupby("persona", sort=True):
        value = float(g["expected_revenue_30d"].sum())
        if value <= 0:
            continue
        name = str(g["persona_name"].iloc[0])
        rows.append(
            _row(
                "migration",
                persona=text("review.plan.persona", persona=int(p), name=name),
                action=text("review.plan.lapsed", name=name),
                why=text("review.plan.lapsed.why", users=len(g), days=days, value=value),
                users=len(g),
                revenue_at_stake=value,
                expected_impact=text(
                    "review.plan.winback.impact", value=value * save_rate, rate=save_rate
                ),
                audience_file=f"lapsed_persona_{int(p)}.csv",
            )
        )
    return rows


def campaign_actions(
    review,
    *,
    text: Text,
    audience: Callable,
    reason: Callable,
    holdout_share: float = 0.1,
    min_lift: float = 0.02,
) -> list[dict]:
    """One row per campaign of a :class:`helpers.analysis.campaigns.readout.CampaignReview`:
    its decision as an action. Scale: ``users`` is last time's audience and the impact the
    users brought back at the measured lift; revenue at stake is the revenue lift per user x
    the audience when that lift's interval lies above 0. ``audience(readout)`` names the
    audience, ``reason(readout)`` says why a campaign was not read out."""
    rows = []
    for r in getattr(review, "campaigns", []) or []:
        users = int(r.treat_users + r.holdout_users)
        owner = str(getattr(r.info, "owner", "") or "") or None
        base = dict(persona=audience(r), users=users, owner=owner)
        if r.decision == "not_read":
            key = {
                "srm": "campaigns.plan.srm",
                "no_holdout": "campaigns.plan.no_holdout",
                "too_small": "campaigns.plan.too_small",
                "unmatched": "campaigns.plan.unmatched",
            }.get(r.status, "campaigns.plan.later")
            rows.append(
                _row(
                    "campaign",
                    action=text(key, campaign=r.name, share=holdout_share),
                    why=text("campaigns.plan.why.not_read", reason=reason(r)),
                    **base,
                )
            )
            continue
        m, rev = r.metric("reactivation"), r.metric("revenue_per_user")
        why = text(
            "campaigns.plan.why",
            treat=m["treat_mean"],
            holdout=m["holdout_mean"],
            lift=m["lift_abs"],
            low=m["ci_low"],
            high=m["ci_high"],
            users=users,
        )
        stake, impact = None, ""
        if r.decision == "scale":
            action = text(
                "campaigns.plan.scale", campaign=r.name, audience=audience(r), share=holdout_share
            )
            if float(rev.get("ci_low", float("nan"))) > 0:
                stake = float(rev["lift_abs"]) * users
            impact = text(
                "campaigns.plan.impact",
                users=round(m["lift_abs"] * users),
                lift=m["lift_abs"],
                audience=users,
            )
        elif r.decision == "keep" and r.reason == "revenue":
            action = text("campaigns.plan.keep_revenue", campaign=r.name, drop=-rev["lift_abs"])
        elif r.decision == "keep":
            action = text("campaigns.plan.keep", campaign=r.name, mde=r.mde)
        else:
            action = text(
                "campaigns.plan.stop", campaign=r.name, high=m["ci_high"], min_lift=min_lift
            )
        rows.append(
            _row(
                "campaign",
                action=action,
                why=why,
                revenue_at_stake=stake,
                expected_impact=impact,
                **base,
            )
        )
    return rows


#: The columns of ``artifacts/pain_findings.csv`` (``05_pain_points``): one row per pain point
#: found (a funnel step, an event users leave on, a feature a persona rates poorly).
PAIN_COLUMNS = (
    "kind",
    "segment_kind",
    "segment",
    "topic",
    "users",
    "metric",
    "owner",
    "sentence",
    "action",
)


def pain_point_actions(findings: pd.DataFrame | None, *, text: Text) -> list[dict]:
    """One row per pain point of ``pain_findings.csv`` (``source = pain_point``): its action,
    the sentence that found it as the why, the users it hurts and its owner. The audience is
    the persona, the platform's users, or everyone."""
    if findings is None or findings.empty:
        return []
    rows = []
    for f in findings.to_dict("records"):
        kind = str(f.get("segment_kind") or "all")
        segment = str(f.get("segment") or "")
        if kind == "persona":
            audience = segment
        elif kind == "platform":
            audience = text("review.plan.platform_users", platform=segment)
        else:
            audience = text("review.plan.everyone")
        users = pd.to_numeric(pd.Series([f.get("users")]), errors="coerce").iloc[0]
        rows.append(
            _row(
                "pain_point",
                persona=audience,
                action=str(f.get("action") or ""),
                why=str(f.get("sentence") or ""),
                users=None if pd.isna(users) else int(users),
                owner=str(f.get("owner") or "") or None,
            )
        )
    return [r for r in rows if r["action"]]


def owner_of(row: Mapping, owners: Mapping | None, persona_number=None) -> str:
    """The owner of an action: ``owners`` by persona number or name, else by source, else ''.

    >>> owner_of({"source": "persona", "persona": "2. Deal hunters"}, {"2": "Growth", "persona": "CRM"}, 2)
    'Growth'
    >>> owner_of({"source": "experiment", "persona": "everyone"}, {"experiment": "Product"})
    'Product'
    >>> owner_of({"source": "persona", "persona": "2. Deal hunters"}, {"Deal hunters": "CRM"}, 2)
    'CRM'
    """
    owners = {str(k): str(v) for k, v in (owners or {}).items()}
    label = str(row.get("persona") or "")
    name = label.split(". ", 1)[1] if persona_number is not None and ". " in label else label
    for key in (persona_number, name, label, row.get("source")):
        if key is not None and str(key) in owners:
            return owners[str(key)]
    return ""


def action_plan(rows: list[dict], *, owners: Mapping | None = None) -> pd.DataFrame:
    """The rows ranked by revenue at stake then users (priority 1 first), each action once per
    audience, with its owner.

    >>> plan = action_plan([
    ...     {"source": "persona", "persona": "1. A", "action": "x", "users": 5, "revenue_at_stake": 10.0},
    ...     {"source": "persona", "persona": "2. B", "action": "y", "users": 9, "revenue_at_stake": 50.0},
    ...     {"source": "persona", "persona": "2. B", "action": "y", "users": 9, "revenue_at_stake": 50.0},
    ...     {"source": "experiment", "persona": "everyone", "action": "z", "users": 100}],
    ...     owners={"experiment": "Product"})
    >>> plan[["priority", "persona", "action", "owner"]].values.tolist()
    [[1, '2. B', 'y', ''], [2, '1. A', 'x', ''], [3, 'everyone', 'z', 'Product']]
    """
    df = pd.DataFrame(
        [{**dict.fromkeys(ACTION_COLUMNS), **r} for r in rows], columns=ACTION_COLUMNS
    )
    if df.empty:
        return df
    df = df.drop_duplicates(subset=["persona", "action"], keep="first")
    stake = pd.to_numeric(df["revenue_at_stake"], errors="coerce").fillna(0.0)
    users = pd.to_numeric(df["users"], errors="coerce").fillna(0)
    df = df.assign(_s=stake, _u=users).sort_values(["_s", "_u"], ascending=False, kind="stable")
    df = df.drop(columns=["_s", "_u"]).reset_index(drop=True)
    df["priority"] = np.arange(1, len(df) + 1)
    df["users"] = pd.to_numeric(df["users"], errors="coerce").round().astype("Int64")
    df["revenue_at_stake"] = pd.to_numeric(df["revenue_at_stake"], errors="coerce").round(2)
    numbers = [
        int(str(p).split(".", 1)[0]) if str(p).split(".", 1)[0].isdigit() else None
        for p in df["persona"]
    ]
    df["owner"] = [
        r.get("owner") or owner_of(r, owners, n) for r, n in zip(df.to_dict("records"), numbers)
    ]
    df["expected_impact"] = df["expected_impact"].fillna("")
    df["audience_file"] = df["audience_file"].fillna("")
    return df[list(ACTION_COLUMNS)]
