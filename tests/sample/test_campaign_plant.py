"""The planted CRM campaign and beta feature (helpers.sample.plants), recounted with plain pandas
straight from the written files of the session's small sample (2,500 users, 12 months, seed 7):
the CRM export, who was in the audience and why, the holdout, the reactivation lift against the
truth, and a beta event that starts on its launch day."""

import json
import math

import numpy as np
import pandas as pd
import pytest

from helpers.core.config import load_config
from tests.planted import raw_events


@pytest.fixture(scope="module")
def plant(small_sample):
    """The files, and each user's active local days (non-passive events, app and stitched web,
    and purchases), as the kit counts activity."""
    out = small_sample
    truth = json.loads((out / "truth.json").read_text())
    tz = truth["timezone"]
    lo, hi = pd.Timestamp(truth["valid_from"], tz=tz), pd.Timestamp(truth["valid_until"], tz=tz)
    raw = raw_events(out)
    events, orders = raw["events"][["uid", "t", "name"]], raw["orders"]
    events = events[(events.t >= lo) & (events.t < hi)]
    active = pd.concat(
        [
            events[~events.name.isin(truth["passive_events"])][["uid", "t"]],
            pd.DataFrame({"uid": orders.uid, "t": orders.paid_at.astype("datetime64[ns, UTC]")}),
        ]
    )
    active["day"] = active.t.dt.tz_convert(tz).dt.tz_localize(None).dt.normalize()
    events["day"] = events.t.dt.tz_convert(tz).dt.tz_localize(None).dt.normalize()
    return {
        "truth": truth,
        "campaigns": pd.read_csv(out / "campaigns.csv", dtype=str),
        "truth_users": pd.read_csv(out / "truth_users.csv.gz", keep_default_na=False),
        "events": events,
        "active_days": active[["uid", "day"]].drop_duplicates(),
        "app": raw["app"],
        "web": raw["web"],
    }


def test_crm_export_and_its_mapping(small_sample, plant):
    c, truth = plant["campaigns"], plant["truth"]
    camp = truth["campaign"]
    assert list(c.columns) == ["member_id", "campaign_name", "send_time", "arm"]
    assert set(c.campaign_name) == {camp["name"]} == {"winback_deal_hunters_2026_09"}
    assert (camp["audience_month"], camp["readout_month"], camp["sent_on"]) == (
        "2026-09",
        "2026-10",
        "2026-10-01",
    )
    assert c.member_id.is_unique and len(c) == camp["audience"] > 50
    assert c.arm.value_counts().to_dict() == {"treat": camp["treat"], "holdout": camp["holdout"]}
    # local text, on the send day, between 10:00 and 12:00
    assert c.send_time.str.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d").all()
    assert (c.send_time.str[:10] == camp["sent_on"]).all()
    assert c.send_time.str[11:].between("10:00:00", "11:59:59").all()
    cfg = load_config(small_sample / "persona.yaml")
    assert cfg.sources.campaigns.path == "campaigns.csv"
    assert cfg.sources.campaigns.columns == {
        "user_id": "member_id",
        "campaign": "campaign_name",
        "sent_at": "send_time",
        "group": "arm",
    }


def test_audience_is_the_at_risk_deal_hunters(plant):
    """Exactly the deal hunters last active (before the send) 10 to 59 days before 2026-09-30."""
    c, tu, days = plant["campaigns"], plant["truth_users"], plant["active_days"]
    end_m = pd.Timestamp("2026-09-30")
    last = days[days.day <= end_m].groupby("uid").day.max()
    gap = (end_m - last).dt.days
    at_risk = set(gap.index[(gap >= 10) & (gap <= 59)])
    hunters = set(tu.user_id[tu.persona == "deal_hunter"])
    assert set(c.member_id) == at_risk & hunters
    assert len(at_risk - hunters) > 0  # other personas at risk too, not contacted


def test_holdout_share_and_no_planted_visit_for_the_holdout(plant):
    c, tu, camp = plant["campaigns"], plant["truth_users"], plant["truth"]["campaign"]
    n = len(c)
    share = (c.arm == "holdout").mean()
    assert abs(share - 0.10) <= 3 * math.sqrt(0.10 * 0.90 / n)
    assert camp["holdout_share"] == 0.1 and camp["q"] == 0.35
    arms = tu.set_index("user_id").campaign_arm
    assert (arms.loc[c.member_id].to_numpy() == c.arm.to_numpy()).all()
    assert (arms != "").sum() == n
    visited = tu[tu.campaign_visit_day != ""]
    assert len(visited) == camp["reactivated_users"] > 0
    assert set(visited.campaign_arm) == {"treat"}
    # each planted visit: 2+ events with a coupon view, within 14 days of the send
    ev = plant["events"]
    on_visit = ev.merge(
        visited.assign(day=pd.to_datetime(visited.campaign_visit_day))[["user_id", "day"]],
        left_on=["uid", "day"],
        right_on=["user_id", "day"],
    )
    per_visit = on_visit.groupby("uid").name.agg(["size", lambda s: (s == "coupon_view").any()])
    assert len(per_visit) == len(visited)
    assert (per_visit["size"] >= 2).all() and per_visit.iloc[:, 1].all()
    visit = pd.to_datetime(visited.campaign_visit_day)
    assert visit.between(pd.Timestamp("2026-10-01"), pd.Timestamp("2026-10-14")).all()


def test_reactivation_lift_read_from_the_files(plant):
    camp, days = plant["truth"]["campaign"], plant["active_days"]
    active_r = set(days.uid[days.day >= pd.Timestamp(camp["sent_on"])])
    c = plant["campaigns"].assign(active=lambda d: d.member_id.isin(active_r))
    rate = c.groupby("arm").active.mean()
    n = c.arm.value_counts()
    # exact: the holdout is active as it naturally is, the treated arm also by the planted visits
    assert rate["holdout"] == pytest.approx(camp["naturally_active_share_holdout"], abs=1e-6)
    assert rate["treat"] == pytest.approx(
        camp["naturally_active_share_treat"] + camp["reactivated_users"] / camp["treat"],
        abs=1e-6,
    )
    natural = (
        camp["naturally_active_share_treat"] * camp["treat"]
        + camp["naturally_active_share_holdout"] * camp["holdout"]
    ) / camp["audience"]
    assert camp["reactivation_lift"] == pytest.approx(0.35 * (1 - natural), abs=1e-6)
    # the realised difference is within 3 standard errors of the planted lift
    diff = rate["treat"] - rate["holdout"]
    se = math.sqrt(sum(rate[a] * (1 - rate[a]) / n[a] for a in ("treat", "holdout")))
    assert abs(diff - camp["reactivation_lift"]) <= 3 * se
    assert camp["reactivation_lift"] > 0.25


def test_beta_feature_starts_on_its_launch_day(plant):
    beta, truth = plant["truth"]["beta_feature"], plant["truth"]
    assert (beta["event"], beta["launched_on"]) == ("live_stream", "2026-10-05")
    assert beta["event"] not in truth["passive_events"]
    ev = plant["events"]
    used = ev[ev.name == beta["event"]]
    assert len(used) == beta["events"] and used.uid.nunique() == beta["users"] > 0
    assert used.day.min() >= pd.Timestamp(beta["launched_on"])
    assert not plant["web"].event.str.strip().eq(beta["event"]).any()  # an in-app feature
    # 1-3 uses per user, all on one day that is an active day with the user's other events
    per_user = used.groupby("uid").agg(n=("day", "size"), days=("day", "nunique"))
    assert per_user.n.between(1, 3).all() and (per_user.days == 1).all()
    others = ev[ev.name != beta["event"]][["uid", "day"]].drop_duplicates()
    assert len(used[["uid", "day"]].drop_duplicates().merge(others)) == beta["users"]
    mau = truth["counts"]["monthly_active_users"]["2026-10"]
    assert beta["share_of_month_actives"] == pytest.approx(beta["users"] / mau, abs=1e-6)
    # about 30% of the users active on or after the launch day
    days = plant["active_days"]
    eligible = days.uid[days.day >= pd.Timestamp(beta["launched_on"])].nunique()
    assert abs(beta["users"] / eligible - 0.30) <= 3 * math.sqrt(0.3 * 0.7 / eligible)
    assert np.isin(used.uid.unique(), days.uid[days.day >= "2026-10-05"]).all()


def test_plants_are_reproducible_and_need_an_audience_month(small_sample, plant, tmp_path):
    from helpers.sample.generator import generate_sample

    again = generate_sample(tmp_path / "again", users=2500, months=12, seed=7)
    assert again["campaign"] == plant["truth"]["campaign"]
    assert again["beta_feature"] == plant["truth"]["beta_feature"]
    for name in ("campaigns.csv", "app_events.csv.gz", "truth_users.csv.gz"):
        assert (tmp_path / "again" / name).read_bytes() == (small_sample / name).read_bytes()
    # one month: no month before it to pick an audience in, so no campaign and no export
    one = generate_sample(tmp_path / "one", users=200, months=1, seed=7)
    assert one["campaign"] is None and not (tmp_path / "one" / "campaigns.csv").exists()
    assert "campaigns:" not in (tmp_path / "one" / "persona.yaml").read_text()
    assert one["beta_feature"]["launched_on"] == "2025-11-05" and one["beta_feature"]["users"] > 0
