"""Campaign audiences and readouts on hand-computed toys."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import ibis
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from helpers.analysis import action_plan as plan_mod
from helpers.analysis.campaigns.audience import (
    audience_rows,
    holdout_groups,
    select_audience,
)
from helpers.analysis.campaigns.readout import (
    campaign_outcomes,
    campaign_review,
    campaigns_in_month,
    read_campaign,
)
from helpers.core.errors import DataError, ParameterError
from helpers.data.campaigns import CampaignInfo, Contacts, normalise_groups

D = dt.date


def test_holdout_share_is_within_binomial_tolerance_and_stable():
    ids = [f"u{i:06d}" for i in range(20_000)]
    groups = holdout_groups(ids, "spring_sale", 0.1)
    held = int((groups == "holdout").sum())
    # 20,000 x 0.1 = 2,000 expected, sd = sqrt(20,000 x 0.1 x 0.9) = 42.4: within 3 sd
    assert abs(held - 2_000) <= 3 * np.sqrt(20_000 * 0.1 * 0.9)
    # the same users, in another order, get the same groups; another campaign other users
    again = holdout_groups(list(reversed(ids)), "spring_sale", 0.1)[::-1]
    assert (again == groups).all()
    other = holdout_groups(ids, "autumn_sale", 0.1)
    both = int(((groups == "holdout") & (other == "holdout")).sum())
    assert abs(both - 200) <= 3 * np.sqrt(20_000 * 0.01 * 0.99)  # independent: 1% of users


def test_holdout_share_must_be_a_share():
    with pytest.raises(ParameterError, match="between 0 and 1"):
        holdout_groups(["a"], "x", 1.5)


def _personas():
    return pd.DataFrame(
        {
            "user_id": ["a", "b", "c", "d", "e"],
            "persona": [1, 1, 2, 2, 2],
            "persona_name": ["One", "One", "Two", "Two", "Two"],
            "tag_deal_seeker": [1, 0, 1, 1, 0],
            "tag_new_user": [0, 1, 1, 0, 0],
        }
    )


def _churn():
    return pd.DataFrame(
        {
            "user_id": ["a", "c", "d", "e"],
            "churn_risk_30d": [0.9, 0.8, 0.2, 0.95],
            "status": ["recoverable", "recoverable", "not_at_risk", "lapsed"],
        }
    )


def test_select_audience_intersects_tag_persona_and_risk():
    p, c = _personas(), _churn()
    assert select_audience(p, c, tag="deal_seeker")["user_id"].tolist() == ["a", "c", "d"]
    assert select_audience(p, c, persona=2)["user_id"].tolist() == ["c", "d", "e"]
    assert select_audience(p, c, at_risk=True)["user_id"].tolist() == ["a", "c"]
    assert select_audience(p, c, at_risk=True, persona=2)["user_id"].tolist() == ["c"]
    assert select_audience(p, c, tag="deal_seeker", persona=2)["user_id"].tolist() == ["c", "d"]
    with pytest.raises(ParameterError, match="no such tag; the tags are"):
        select_audience(p, c, tag="whale", month="2026-09")
    with pytest.raises(ParameterError, match="has no persona 7"):
        select_audience(p, c, persona=7, month="2026-09")
    with pytest.raises(ParameterError, match="--at-risk needs the churn report"):
        select_audience(p, None, at_risk=True, month="2026-09")


def test_audience_rows_carry_tags_risk_and_group():
    rows = select_audience(_personas(), _churn(), tag="deal_seeker")
    out = audience_rows(rows, _churn(), campaign="c1", holdout=0.5)
    assert list(out.columns) == ["user_id", "persona", "tags", "churn_risk_30d", "group"]
    assert out["tags"].tolist() == ["deal_seeker", "deal_seeker;new_user", "deal_seeker"]
    assert out["churn_risk_30d"].tolist() == [0.9, 0.8, 0.2]
    assert out["group"].tolist() == holdout_groups(["a", "c", "d"], "c1", 0.5).tolist()


def test_group_words_are_normalised_and_unknown_ones_named():
    assert normalise_groups(
        pd.Series(["Treatment", "CONTROL", "holdout", ""]), where="f"
    ).tolist() == [
        "treat",
        "holdout",
        "holdout",
        "treat",
    ]
    with pytest.raises(DataError, match="'maybe' was found in 2 row"):
        normalise_groups(pd.Series(["treat", "maybe", "maybe"]), where="source `campaigns`")


# --- readout ---------------------------------------------------------------------------------
def _user_day():
    """Treat t1..t4, holdout h1..h4; the window is 2026-10-01..2026-10-31."""
    rows = [
        # treat: t1, t2, t3 active in the window; t4 only before it (not counted)
        ("t1", D(2026, 10, 2), 3, 1, 20.0),
        ("t1", D(2026, 10, 9), 2, 0, 0.0),
        ("t2", D(2026, 10, 31), 1, 0, 0.0),
        ("t3", D(2026, 10, 15), 4, 1, 10.0),
        ("t4", D(2026, 9, 30), 5, 1, 99.0),
        # holdout: h1 active in the window; h2 only after it; h3 a passive day (no active event)
        ("h1", D(2026, 10, 5), 2, 0, 0.0),
        ("h2", D(2026, 11, 1), 2, 1, 50.0),
        ("h3", D(2026, 10, 7), 0, 0, 0.0),
    ]
    df = pd.DataFrame(rows, columns=["user_id", "day", "active_events", "orders", "revenue"])
    return ibis.memtable(df)


def _contacts(holdout_share=None, groups=None):
    users = ["t1", "t2", "t3", "t4", "h1", "h2", "h3", "h4"]
    groups = groups or ["treat"] * 4 + ["holdout"] * 4
    frame = pd.DataFrame(
        {"user_id": users, "campaign": "winback", "sent_day": D(2026, 10, 1), "group": groups}
    )
    info = {"winback": CampaignInfo("winback", "log", D(2026, 10, 1), holdout_share=holdout_share)}
    return Contacts(frame, info)


def test_outcomes_count_only_the_window():
    out = campaign_outcomes(
        _user_day(), pd.Series(["t1", "t4", "h2", "h3", "zz"]), D(2026, 10, 1), D(2026, 10, 31)
    ).set_index("user_id")
    assert out["active"].to_dict() == {"t1": 1, "t4": 0, "h2": 0, "h3": 0, "zz": 0}
    assert out["buyer"].to_dict() == {"t1": 1, "t4": 0, "h2": 0, "h3": 0, "zz": 0}
    assert out.loc["t1", "revenue"] == 20.0


def test_readout_equals_the_hand_computed_intervals():
    r = read_campaign("winback", _contacts(), _user_day(), month="2026-10")
    assert (r.status, r.treat_users, r.holdout_users) == ("read", 4, 4)
    m = r.metric("reactivation")
    assert (m["treat_mean"], m["holdout_mean"]) == (0.75, 0.25)
    # the p-value is Welch's: var = 0.75 x 0.25 / 4 twice = 0.09375; se = 0.306186; df = 6
    se = np.sqrt(2 * 0.75 * 0.25 / 4)
    assert m["lift_abs"] == pytest.approx(0.5)
    assert m["p_value"] == pytest.approx(2 * stats.t.sf(0.5 / se, 6))
    # the interval is Newcombe's: Wilson of 3/4 and of 1/4 (z = 1.96) combined,
    # 0.5 - sqrt((0.75 - 0.3006)^2 + (0.6994 - 0.25)^2) and 0.5 + sqrt((0.9544 - 0.75)^2 + ...)
    z = stats.norm.ppf(0.975)

    def wilson(x, n):
        p, c = x / n, z * z / n
        mid, half = (p + c / 2) / (1 + c), z * np.sqrt(p * (1 - p) / n + c / (4 * n)) / (1 + c)
        return mid - half, mid + half

    (l1, u1), (l2, u2) = wilson(3, 4), wilson(1, 4)
    low = 0.5 - np.sqrt((0.75 - l1) ** 2 + (u2 - 0.25) ** 2)
    high = 0.5 + np.sqrt((u1 - 0.75) ** 2 + (0.25 - l2) ** 2)
    assert (m["ci_low"], m["ci_high"]) == (pytest.approx(low), pytest.approx(high))
    assert (round(low, 4), round(high, 4)) == (-0.1355, 0.7891)  # statsmodels' "newcomb"
    conv = r.metric("conversion")  # t1 and t3 bought in the window; no holdout user did
    assert (conv["treat_mean"], conv["holdout_mean"]) == (0.5, 0.0)
    rev = r.metric("revenue_per_user")  # (20 + 10) / 4 against 0
    assert rev["lift_abs"] == pytest.approx(7.5)
    # positive, but the interval includes 0: run it again with a holdout
    assert r.decision == "keep"
    table = campaign_review(_contacts(), _user_day(), month="2026-10").table()
    assert table["metric"].tolist() == ["reactivation", "conversion", "revenue_per_user"]
    assert table.loc[0, "lift_abs"] == pytest.approx(0.5)


def test_a_campaign_without_holdout_or_with_a_broken_split_is_not_read():
    none = read_campaign("winback", _contacts(groups=["treat"] * 8), _user_day(), month="2026-10")
    assert (none.status, none.decision, none.treat_users) == ("no_holdout", "not_read", 8)
    # 4 of 8 held out where 1% was planned: chi-square p < 0.001
    srm = read_campaign("winback", _contacts(holdout_share=0.01), _user_day(), month="2026-10")
    assert (srm.status, srm.decision) == ("srm", "not_read")
    assert srm.srm_p < 0.001
    ok = read_campaign("winback", _contacts(holdout_share=0.5), _user_day(), month="2026-10")
    assert ok.status == "read" and ok.srm_p == pytest.approx(1.0)


def test_campaigns_are_read_in_the_month_they_were_sent():
    c = _contacts()
    assert campaigns_in_month(c, "2026-10") == ["winback"]
    assert campaigns_in_month(c, "2026-11") == []
    assert campaigns_in_month(c, "2026-11", readout_months=2) == ["winback"]
    assert campaigns_in_month(c, "2026-09") == []


def test_decisions_become_action_rows_with_the_campaign_owner():
    r = read_campaign("winback", _contacts(), _user_day(), month="2026-10")
    r.info.owner = "CRM team"
    rows = plan_mod.campaign_actions(
        type("R", (), {"campaigns": [r]})(),
        text=lambda key, **kw: key,
        audience=lambda readout: "at-risk users",
        reason=lambda readout: "",
    )
    plan = plan_mod.action_plan(rows, owners={"campaign": "Growth"})
    assert plan[["source", "action", "owner", "users"]].values.tolist() == [
        ["campaign", "campaigns.plan.keep", "CRM team", 8]
    ]
    r.info.owner = ""
    plan = plan_mod.action_plan(
        plan_mod.campaign_actions(
            type("R", (), {"campaigns": [r]})(),
            text=lambda k, **kw: k,
            audience=lambda x: "a",
            reason=lambda x: "",
        ),
        owners={"campaign": "Growth"},
    )
    assert plan["owner"].tolist() == ["Growth"]


# --- decisions, statuses and the contacts reader ------------------------------------------------
def _many(treat_active, holdout_active, *, n=100, treat_revenue=0.0, holdout_revenue=0.0):
    """n treat and n holdout users; the first `*_active` of each group active on 2026-10-05
    with that revenue each; every user also has a row on 2026-09-01 (the data knows them)."""
    rows, groups = [], {}
    for g, k, rev in (("t", treat_active, treat_revenue), ("h", holdout_active, holdout_revenue)):
        for i in range(n):
            u = f"{g}{i:03d}"
            groups[u] = "treat" if g == "t" else "holdout"
            rows.append((u, D(2026, 9, 1), 1, 0, 0.0))
            if i < k:
                rows.append((u, D(2026, 10, 5), 1, int(rev > 0), rev))
    ud = ibis.memtable(
        pd.DataFrame(rows, columns=["user_id", "day", "active_events", "orders", "revenue"])
    )
    frame = pd.DataFrame(
        {
            "user_id": list(groups),
            "campaign": "c",
            "sent_day": D(2026, 10, 1),
            "group": list(groups.values()),
        }
    )
    return ud, Contacts(frame, {"c": CampaignInfo("c", "source", D(2026, 10, 1))})


def test_scale_keep_and_stop_follow_the_interval():
    ud, c = _many(60, 20)  # +40 pts, the interval well above 0
    r = read_campaign("c", c, ud, month="2026-10", planned_share=0.5)
    assert (r.status, r.decision, r.planned_from) == ("read", "scale", "config")
    assert r.metric("reactivation")["ci_low"] > 0 and r.srm_p == pytest.approx(1.0)
    ud, c = _many(20, 40)  # -20 pts: even the top of the interval is below +2 pts
    r = read_campaign("c", c, ud, month="2026-10", min_lift=0.02)
    assert (r.decision, r.metric("reactivation")["ci_high"] < 0.02) == ("stop", True)
    ud, c = _many(31, 30)  # +1 pt, interval about +/-13 pts: cannot tell yet
    assert read_campaign("c", c, ud, month="2026-10").decision == "keep"
    # more users back, but each spends less: keep, with that reason
    ud, c = _many(60, 20, treat_revenue=1.0, holdout_revenue=40.0)
    r = read_campaign("c", c, ud, month="2026-10")
    assert (r.decision, r.reason) == ("keep", "revenue")


def test_statuses_of_campaigns_that_cannot_be_read():
    ud, c = _many(60, 20)
    # the planned share (the log's or the configured one) checks the split: 50/50 is not 10%
    r = read_campaign("c", c, ud, month="2026-10", planned_share=0.1)
    assert (r.status, r.decision) == ("srm", "not_read") and r.srm_p < 0.001
    # ids the data does not know: the CRM mapped another id
    c.frame["user_id"] = "crm-" + c.frame["user_id"]
    r = read_campaign("c", c, ud, month="2026-10")
    assert (r.status, r.known_share, r.example_unknown) == ("unmatched", 0.0, "crm-t000")
    # sent on the 25th and the data ends on the 31st: 7 days, two weeks needed
    ud, c = _many(60, 20)
    c.info["c"].sent_day = D(2026, 10, 25)
    r = read_campaign("c", c, ud, month="2026-10", min_window_days=14)
    assert r.status == "too_early"
    # ... so it is first read out in the month after
    assert campaigns_in_month(c, "2026-10", min_window_days=14) == []
    assert campaigns_in_month(c, "2026-11", min_window_days=14) == ["c"]
    # one held-out user is too few
    small = _contacts(groups=["treat"] * 7 + ["holdout"])
    assert read_campaign("winback", small, _user_day(), month="2026-10").status == "too_small"


def test_contacts_reader_notes_problems_and_reads_the_rest(tmp_path):
    from helpers.core.config import CampaignsConfig
    from helpers.data.campaigns import campaign_contacts

    audience = tmp_path / "aud.csv"
    pd.DataFrame({"user_id": ["a", "b", "c"], "group": ["treat", "treat", "holdout"]}).to_csv(
        audience, index=False
    )
    log = tmp_path / "campaigns.jsonl"
    log.write_text(
        '{"campaign": "x", "sent_on": "2026-10-01", "file": "gone.csv"}\n'
        "not json\n"
        '{"campaign": "x", "sent_on": "2026-10-02", "file": "aud.csv", "holdout_share": 0.3}\n'
        '{"campaign": "y", "sent_on": "2026-10-03", "file": "missing.csv"}\n'
    )
    crm = pd.DataFrame(
        {
            "user_id": ["p", "p", "q", "r", "r"],
            "campaign": "z",
            "sent_day": [D(2026, 10, 5), D(2026, 10, 5), None, D(2026, 10, 6), D(2026, 10, 6)],
            "group": ["treat", "holdout", "holdout", "treat", "treat"],
        }
    )
    cfg = SimpleNamespace(campaigns=CampaignsConfig(), resolve=lambda p: tmp_path / p)
    project = SimpleNamespace(config=cfg, tables={"campaigns": ibis.memtable(crm)})
    c = campaign_contacts(project)
    # the last line of a campaign wins; a bad line and a missing file are noted, not fatal
    assert c.info["x"].sent_day == D(2026, 10, 2) and c.info["x"].holdout_share == 0.3
    codes = [code for code, _ in c.issues]
    assert codes.count("bad_log_line") == 1 and ("missing_file" in codes)
    assert "y" not in c.info
    # the CRM's z: p in both groups is left out (noted); q's empty send time takes z's first
    z = c.frame[c.frame["campaign"] == "z"].set_index("user_id")
    assert sorted(z.index) == ["q", "r"] and z.loc["q", "sent_day"] == D(2026, 10, 5)
    assert ("both_groups", {"campaign": "z", "users": 1}) in c.issues
