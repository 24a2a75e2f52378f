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
  community) whose Cox hazard ratio is below 1 with its whole interval.

Ranked by revenue at stake, then by users; no action appears twice for the same persona. The
words come from the report catalog through ``text`` (``helpers.display.text.t``), so this module
holds no English. Written as ``artifacts/actions.csv`` (:data:`ACTION_COLUMNS`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

__all__ = [
    "ACTION_COLUMNS",
    "persona_actions",
    "experiment_actions",
    "churn_driver_actions",
    "action_plan",
    "owner_of",
    "under_logged_arm",
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
        stake = r.get("at_risk_revenue_90d")
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
    """``(variant, users, expected)`` of the arm furthest below its expected share (equal
    shares unless the record's settings give ``split``), from a readout record's user counts.

    >>> rec = {"metrics": {"converted": {"control": {"n": 300}, "treatment": {"n": 240}}},
    ...        "settings": {"primary": ["converted"]}}
    >>> under_logged_arm(rec)
    ('treatment', 240, 270.0)
    """
    metrics = record.get("metrics") or {}
    primary = (record.get("settings") or {}).get("primary") or list(metrics)[:1]
    arms = metrics.get(primary[0]) if primary else None
    if not arms:
        return None
    n = {v: int(a.get("n") or 0) for v, a in arms.items()}
    total = sum(n.values())
    split = (record.get("settings") or {}).get("split") or []
    shares = (
        dict(zip(sorted(n), split))
        if len(split) == len(n)
        else dict.fromkeys(n, 1 / max(len(n), 1))
    )
    gaps = {v: n[v] - shares[v] * total for v in n}
    worst = min(gaps, key=gaps.get)
    return (worst, n[worst], shares[worst] * total) if gaps[worst] < 0 else None


def experiment_actions(records: list[Mapping], *, text: Text) -> list[dict]:
    """Roll out a shipped variant; fix an invalid experiment, with its diagnosis."""
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
            rows.append(
                _row(
                    "experiment",
                    persona=text("review.plan.everyone"),
                    action=text("review.plan.ship", experiment=name, variant=variant),
                    why=text("review.plan.ship.why", reasons=reasons, experiment=name),
                    users=audience,
                )
            )
        elif decision == "invalid":
            failed = [
                c["sentence"]
                for c in rec.get("health_checks") or []
                if c.get("status") in ("fail", "failed")
            ]
            arm = under_logged_arm(rec)
            diagnosis = (
                text(
                    "review.plan.fix.arm",
                    arm=arm[0],
                    users=arm[1],
                    expected=arm[2],
                    missing=1 - arm[1] / arm[2],
                )
                if arm
                else text("review.plan.fix.checks")
            )
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
    df["owner"] = [owner_of(r, owners, n) for r, n in zip(df.to_dict("records"), numbers)]
    df["expected_impact"] = df["expected_impact"].fillna("")
    df["audience_file"] = df["audience_file"].fillna("")
    return df[list(ACTION_COLUMNS)]
