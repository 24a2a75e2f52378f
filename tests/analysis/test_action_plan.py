"""The action plan (issue 20): roll-outs and fixes from experiment readouts, levers from the Cox
model, each action once, ranked by revenue at stake, owners from config. Hand-made inputs."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.analysis import action_plan as plan
from helpers.display.labels import label
from helpers.display.text import t


def readout(name, decision, n, failed=()):
    return {
        "experiment": name,
        "decision": decision,
        "reasons": [f"{name}: reason"],
        "settings": {"primary": ["converted"]},
        # the status a readout record writes for a failed check (helpers.analysis.experiments)
        "health_checks": [{"check": c, "status": "fail", "sentence": s} for c, s in failed],
        "metrics": {"converted": {v: {"n": k} for v, k in n.items()}},
    }


def test_a_shipped_variant_is_rolled_out_and_an_invalid_test_is_fixed_with_its_diagnosis():
    rows = plan.experiment_actions(
        [
            readout("checkout_v2", "ship treatment", {"control": 500, "treatment": 520}),
            readout(
                "onboarding_tips",
                "invalid",
                {"control": 600, "treatment": 400},
                failed=[("srm", "Users per variant (control 600, treatment 400).")],
            ),
            readout("search_v3", "keep running", {"control": 50, "treatment": 50}),
        ],
        text=t,
    )
    assert [r["action"] for r in rows] == [
        "Roll out treatment of checkout_v2 to everyone.",
        # split 50/50, control is whole with 600: treatment expects 600 and has 400, 1/3 missing
        "Fix onboarding_tips before reading it: the treatment arm has 400 users where its split "
        "expects 600 (33.3% missing); check how that arm's assignments are logged.",
    ]
    assert rows[0]["users"] == 1020 and rows[1]["users"] == 1000
    assert rows[1]["why"] == (
        "A health check failed: Users per variant (control 600, treatment 400). (the "
        "onboarding_tips readout)."
    )
    assert {r["source"] for r in rows} == {"experiment"}


def test_only_a_protective_attribute_is_a_lever():
    drivers = pd.DataFrame(
        {
            "covariate": ["joined_community", "active_days_first_7d", "plan_plus", "push_opt_in"],
            "kind": ["attribute", "behaviour", "other", "attribute"],
            "hr": [0.515, 0.7, 0.8, 0.9],
            "hr_lower": [0.44, 0.6, 0.7, 0.75],
            "hr_upper": [0.603, 0.8, 0.9, 1.08],  # push_opt_in's interval crosses 1
            "p": [1e-9, 1e-4, 1e-3, 0.3],
        }
    )
    rows = plan.churn_driver_actions(drivers, text=t, label=label)
    assert len(rows) == 1
    attr = label("joined_community")
    assert rows[0]["action"] == f"Raise the share of users with “{attr}”: invite more users to it."
    assert rows[0]["why"].startswith(f"Users with “{attr}” churn at 0.52× the rate of others")
    assert "0.44–0.60" in rows[0]["why"]
    assert plan.churn_driver_actions(None, text=t, label=label) == []


def test_the_plan_is_ranked_by_revenue_at_stake_with_owners_and_each_action_once():
    coupons = plan._row(
        "persona", persona="2. Deal hunters", action="Coupons", users=40, revenue_at_stake=300.0
    )
    rows = [
        plan._row(
            "persona", persona="1. Power users", action="Beta", users=10, revenue_at_stake=900.0
        ),
        coupons,
        dict(coupons),  # the same action for the same persona: kept once
        plan._row("experiment", persona="everyone", action="Roll out", users=1000),
        plan._row("churn_driver", persona="everyone", action="Community", users=None),
    ]
    out = plan.action_plan(
        rows, owners={"2": "CRM team", "experiment": "Product", "persona": "Growth"}
    )
    # the columns issue 20 specifies for actions.csv, in its order
    assert (
        list(out.columns)
        == list(plan.ACTION_COLUMNS)
        == [
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
        ]
    )
    assert out["action"].tolist() == ["Beta", "Coupons", "Roll out", "Community"]
    assert out["priority"].tolist() == [1, 2, 3, 4]
    # by persona number first, then by source; none given: blank
    assert out["owner"].tolist() == ["Growth", "CRM team", "Product", ""]
    assert not out.duplicated(["persona", "action"]).any()


def test_owners_keyed_by_a_yaml_number_are_read(tmp_path):
    from helpers.core.config import load_config

    (tmp_path / "persona.yaml").write_text(
        "name: Toy\nsources:\n  orders: {path: orders.csv}\nowners: {2: CRM team, experiment: Product}\n"
        "actions: {save_rate: 0.25}\n"
    )
    cfg = load_config(tmp_path / "persona.yaml")
    assert cfg.owners == {"2": "CRM team", "experiment": "Product"}
    assert cfg.actions.save_rate == 0.25
    row = {"source": "persona", "persona": "2. Deal hunters"}
    assert plan.owner_of(row, cfg.owners, 2) == "CRM team"


def test_the_under_logged_arm_follows_an_unequal_split():
    # split 50/25/25 in sorted variant order; control and treatment_a are whole (1,000 users
    # implied), treatment_b expects 250 and has 150: 40% missing
    rec = {
        "metrics": {
            "converted": {
                "control": {"n": 500},
                "treatment_a": {"n": 250},
                "treatment_b": {"n": 150},
            }
        },
        "settings": {"primary": ["converted"], "split": [0.5, 0.25, 0.25]},
    }
    assert plan.under_logged_arm(rec) == ("treatment_b", 150, 250.0)
    # a balanced readout has no under-logged arm
    rec["metrics"]["converted"]["treatment_b"]["n"] = 250
    assert plan.under_logged_arm(rec) is None


def test_the_under_logged_arm_reads_the_recorded_design_split():
    # 2:1 split recorded by the readout: control whole at 600 implies 900; treatment expects 300
    rec = {
        "metrics": {"converted": {"control": {"n": 600}, "treatment": {"n": 240}}},
        "design_split": {"control": 2 / 3, "treatment": 1 / 3},
    }
    arm, users, expected = plan.under_logged_arm(rec)
    assert (arm, users) == ("treatment", 240) and expected == pytest.approx(300.0)


def test_lapsed_high_risk_users_get_a_win_back_action_per_persona():
    risk = pd.DataFrame(
        {
            "user_id": list("abcde"),
            "persona": [1, 1, 2, 2, None],
            "persona_name": ["Regulars", "Regulars", "Browsers", "Browsers", None],
            "status": ["lapsed", "recoverable", "lapsed", "lapsed", "lapsed"],
            "expected_revenue_30d": [30.0, 99.0, 0.0, 0.0, 50.0],
        }
    )
    rows = plan.lapsed_actions(risk, text=t, save_rate=0.1, days=7)
    # persona 1: only "a" lapsed (30 per 30 days); persona 2 lapsed users spent nothing; "e" has
    # no persona
    assert len(rows) == 1
    (row,) = rows
    assert (row["source"], row["persona"], row["users"]) == ("migration", "1. Regulars", 1)
    assert row["revenue_at_stake"] == 30.0 and row["audience_file"] == "lapsed_persona_1.csv"
    assert row["action"] == "Win back the high-risk Regulars who have already lapsed."
    assert "3 a month back if 10.0% of them return" in row["expected_impact"]  # 30 x 0.1
