"""The planted feedback, pain point, android checkout drop and detractor churn hazard
(helpers.sample.feedback, helpers.sample.checkout_drop), recounted with plain pandas straight
from the written files of the session's small sample (2,500 users, 12 months, seed 7) and
checked against ``truth.json``: who answers and how, the review month's NPS population per
persona, the deal hunters' coupon complaints in both languages, the android funnel measured
independently, and the detractors' hazard ratio on the true lives."""

import json
import math

import numpy as np
import pandas as pd
import pytest

from helpers.core.config import load_config
from helpers.sample.generator import generate_sample
from tests.planted import raw_events, true_first_lives

NPS_GROUP = pd.cut(range(11), [-1, 6, 8, 10], labels=["detractor", "passive", "promoter"])


@pytest.fixture(scope="module")
def files(small_sample):
    """The feedback export, the planted truth per user, and the cleaned events of the review
    month (app and stitched web rows of real users, standard names; purchases as ``order``)."""
    out = small_sample
    truth = json.loads((out / "truth.json").read_text())
    tz, month = truth["timezone"], truth["latest_complete_month"]
    fb = pd.read_csv(out / "feedback.csv", dtype={"member_id": str, "comment": str})
    fb["stars"], fb["nps_score"] = fb.stars.astype("Int64"), fb.nps_score.astype("Int64")
    tu = pd.read_csv(out / "truth_users.csv.gz", keep_default_na=False).set_index("user_id")
    raw = raw_events(out)
    orders = raw["orders"]
    events = pd.concat(
        [raw["events"], pd.DataFrame({"uid": orders.uid, "t": orders.paid_at, "name": "order"})],
        ignore_index=True,
    )
    events["t"] = events.t.astype("datetime64[ms, UTC]")
    events["month"] = events.t.dt.tz_convert(tz).dt.strftime("%Y-%m")
    fb["month"] = fb.submitted_at.str[:7]
    return {
        "truth": truth,
        "feedback": fb,
        "tu": tu,
        "review": events[events.month == month],
        "month": month,
    }


def test_the_feedback_export_and_its_mapping(small_sample, files):
    fb, truth = files["feedback"], files["truth"]["feedback"]
    assert list(fb.columns[:6]) == [
        "member_id",
        "submitted_at",
        "stars",
        "nps_score",
        "source",
        "comment",
    ]
    assert fb.submitted_at.str.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d").all()
    assert fb.stars.dropna().between(1, 5).all() and fb.nps_score.dropna().between(0, 10).all()
    assert (fb.stars.notna() | fb.nps_score.notna()).all()
    assert fb.stars.isna().sum() > 0 and fb.nps_score.isna().sum() > 0  # NPS-only, rating-only
    assert fb.comment.isna().mean() > 0.5  # empty for many rows
    kinds = truth["rows_by_kind"]
    assert fb.source.value_counts().to_dict() == {
        "app_survey": kinds["onboarding_survey"] + kinds["monthly_survey"],
        "customer_service": kinds["customer_service"],
        "app_store": kinds["app_store"],
    }
    assert (len(fb), fb.stars.notna().sum(), fb.nps_score.notna().sum()) == (
        truth["rows"],
        truth["rows_with_stars"],
        truth["rows_with_nps"],
    )
    assert fb.comment.notna().sum() == truth["rows_with_comment"]
    cfg = load_config(small_sample / "persona.yaml")
    assert cfg.sources.feedback.path == "feedback.csv"
    assert cfg.sources.feedback.columns == {
        "user_id": "member_id",
        "feedback_time": "submitted_at",
        "rating": "stars",
        "nps": "nps_score",
        "channel": "source",
        "text": "comment",
    }
    assert cfg.funnels["checkout"].steps == files["truth"]["funnel"]["steps"]
    assert cfg.funnels["checkout"].window_days == 7
    assert list(cfg.feedback.topics) == list(truth["topics"]) == ["优惠券", "支付", "物流", "搜索"]
    assert cfg.feedback.topics["优惠券"].events == ["coupon_view"]
    assert cfg.owners["pain_point"] == "Product team"


def test_responders_answer_from_their_fixed_nps_group(files):
    fb, tu, truth = files["feedback"], files["tu"], files["truth"]["feedback"]
    responders = set(tu.index[tu.feedback_responder == 1])
    # every responder answers (the onboarding survey), nobody else writes feedback
    assert set(fb.member_id) == responders and len(responders) == truth["responders"]
    n = len(tu)
    assert abs(len(responders) / n - truth["responder_share"]) < 4 * math.sqrt(0.3 * 0.7 / n)
    assert set(tu.nps_group[tu.feedback_responder == 1]) == {"promoter", "passive", "detractor"}
    assert (tu.nps_group[tu.feedback_responder == 0] == "").all()
    # every NPS answer is in the responder's group; the first answer is on the signup day
    nps = fb.dropna(subset=["nps_score"])
    group = NPS_GROUP[nps.nps_score.astype(int).to_numpy()].astype(str)
    assert (group == tu.nps_group.reindex(nps.member_id).to_numpy()).all()
    # the onboarding survey: an app survey with NPS and stars on the signup day, for everyone
    signup = tu.signup_day.reindex(fb.member_id).to_numpy()
    onboarding = fb[(fb.submitted_at.str[:10] == signup) & (fb.source == "app_survey")]
    assert onboarding.member_id.is_unique and set(onboarding.member_id) == responders
    assert onboarding.nps_score.notna().all() and onboarding.stars.notna().all()


def test_review_month_nps_answers_are_its_active_responders(files):
    """Each responder active in the review month answers the NPS question exactly once in it,
    so the month's answers per planted persona are the truth's population values."""
    fb, tu, month, ev = files["feedback"], files["tu"], files["month"], files["review"]
    review = files["truth"]["feedback"]["review_month"]
    assert review["month"] == month
    passive = files["truth"]["passive_events"]
    active = set(ev.uid[~ev.name.isin(passive)])
    answers = fb[(fb.month == month) & fb.nps_score.notna()]
    assert answers.member_id.is_unique
    assert set(answers.member_id) == active & set(tu.index[tu.feedback_responder == 1])
    answers = answers.assign(persona=tu.persona.reindex(answers.member_id).to_numpy())
    answers["group"] = NPS_GROUP[answers.nps_score.astype(int).to_numpy()].astype(str)
    for persona, g in answers.groupby("persona"):
        planted = review["by_persona"][persona]
        share = g.group.value_counts(normalize=True)
        assert len(g) == planted["responders"] > 10
        assert share.get("promoter", 0) == pytest.approx(planted["promoter_share"], abs=1e-6)
        assert share.get("detractor", 0) == pytest.approx(planted["detractor_share"], abs=1e-6)
        nps = 100 * (share.get("promoter", 0) - share.get("detractor", 0))
        assert nps == pytest.approx(planted["nps_points"], abs=1e-3)
    # the personas' NPS order as planted: power users and regulars happy, the others less so
    points = {p: review["by_persona"][p]["nps_points"] for p in review["by_persona"]}
    assert min(points["power_user"], points["steady_regular"]) > max(
        points["deal_hunter"], points["trialist"], points["casual_browser"]
    )


def test_deal_hunters_rate_coupon_comments_lowest_in_both_languages(files):
    fb, tu, truth = files["feedback"], files["tu"], files["truth"]
    topics = truth["feedback"]["topics"]
    pain = truth["feedback"]["pain_point"]
    c = fb.dropna(subset=["comment"]).copy()
    low = c.comment.str.lower()
    hits = pd.DataFrame(
        {
            t: low.apply(lambda s, k=v["keywords"]: any(w in s for w in k))
            for t, v in topics.items()
        }
    )
    assert hits.sum(axis=1).max() == 1  # a comment names at most one topic
    c["topic"] = hits.idxmax(axis=1).where(hits.any(axis=1), "none")
    c["persona"] = tu.persona.reindex(c.member_id).to_numpy()
    rated = c.dropna(subset=["stars"])
    cells = rated.groupby(["persona", "topic"]).stars.agg(["mean", "size"])
    cells = cells[cells["size"] >= 20]
    coupon = rated[(rated.persona == "deal_hunter") & (rated.topic == "优惠券")]
    # the pain point: the lowest-rated (persona, topic) cell, at the planted mean
    assert cells["mean"].idxmin() == ("deal_hunter", "优惠券")
    assert len(coupon) == pain["rated_rows"] > 30
    assert coupon.stars.mean() == pytest.approx(pain["observed_mean_stars"], abs=1e-4)
    sd = math.sqrt(np.dot(np.arange(1, 6) ** 2, pain["stars_p"]) - pain["mean_stars"] ** 2)
    assert abs(coupon.stars.mean() - pain["mean_stars"]) < 4 * sd / math.sqrt(len(coupon))
    # their other comments, and the other personas' coupon comments, rate normally
    assert cells.loc["deal_hunter"].drop("优惠券")["mean"].min() > coupon.stars.mean() + 0.7
    others = rated[(rated.persona != "deal_hunter") & (rated.topic == "优惠券")]
    assert others.stars.mean() > coupon.stars.mean() + 1.0
    # in both languages: Chinese and English coupon complaints from deal hunters
    english = coupon.comment.str.contains(r"[a-z]")
    assert (~english).sum() == pain["rated_rows_zh"] > 0
    assert english.sum() == pain["rated_rows_en"] > 0
    assert coupon.comment.isin(["优惠券用不了", "满减券领了不能用"]).any()
    assert coupon.comment.str.contains("coupon").any()
    # deal hunters use coupons most: the largest coupon_view share, planted and in the events
    shares = {p: v["coupon_view_share"] for p, v in truth["feedback"]["by_persona"].items()}
    assert max(shares, key=shares.get) == pain["persona"] == "deal_hunter"
    ev = files["review"]
    used = (ev.name == pain["event"]).groupby(tu.persona.reindex(ev.uid).to_numpy()).mean()
    assert (
        used.idxmax() == "deal_hunter" and used["deal_hunter"] > 3 * used.drop("deal_hunter").max()
    )
    # topics besides coupons for everyone: the matrix has competition
    assert (c.groupby("persona").topic.nunique() == 5).all()


def _funnel(ev: pd.DataFrame, steps, window_days: int) -> pd.Series:
    """Each entering user's furthest step: a plain-pandas reading of the funnel semantics."""
    att = ev[ev.name == steps[0]][["uid", "t"]].drop_duplicates().rename(columns={"t": "t1"})
    att["prev"], att["k"] = att.t1, 1
    for k, step in enumerate(steps[1:], start=2):
        cand = ev[ev.name == step][["uid", "t"]].sort_values("t").rename(columns={"t": "tk"})
        live = att[att.k == k - 1].sort_values("prev")
        # the earliest event of the step at or after the previous step's time
        m = pd.merge_asof(live, cand, left_on="prev", right_on="tk", by="uid", direction="forward")
        m = m[m.tk.notna() & (m.tk <= m.t1 + pd.Timedelta(days=window_days))]
        att = att.merge(m[["uid", "t1", "tk"]], on=["uid", "t1"], how="left")
        hit = att.tk.notna()
        att.loc[hit, "k"], att.loc[hit, "prev"] = k, att.loc[hit, "tk"]
        att = att.drop(columns="tk")
    return att.groupby("uid").k.max()


def test_android_checkout_drop_measured_from_the_files(files):
    ev, funnel = files["review"], files["truth"]["funnel"]
    steps = funnel["steps"]
    furthest = _funnel(ev, steps, funnel["window_days"])
    device = ev.dropna(subset=["device"]).groupby("uid").device.agg(lambda s: s.mode().iloc[0])
    platform = device.reindex(furthest.index).fillna("no_app_events")
    for seg in ("android", "ios", "no_app_events"):
        reached = furthest[platform == seg]
        assert [int((reached >= k).sum()) for k in range(1, 5)] == funnel["users"][seg], seg
    conv = funnel["conversion_from_previous"]
    drop = funnel["checkout_to_order"]
    # lower on android by the stated gap; checkout_start -> order is android's largest drop
    assert drop["android"] == conv["android"][2] and drop["ios"] == conv["ios"][2]
    assert drop["gap_points"] == pytest.approx(100 * (drop["ios"] - drop["android"]), abs=1e-3)
    assert drop["planted_drop_points"] > 5
    assert min(conv["android"]) == conv["android"][2]
    largest = funnel["largest_drop"]["android"]
    assert (largest["from"], largest["to"]) == ("checkout_start", "order")
    assert largest["margin_points"] == pytest.approx(
        100 * (sorted(conv["android"])[1] - conv["android"][2]), abs=1e-3
    )
    # without the planted rows the platforms convert alike (the device is drawn at random)
    natural = funnel["conversion_from_previous_without_plant"]
    assert drop["without_plant"] == natural["android"][2]
    assert abs(natural["android"][2] - natural["ios"][2]) < abs(drop["gap_points"]) / 100
    # each picked user's session ends with the exit event, right after a checkout_start
    exit_event = funnel["drop"]["exit_event"]
    app = ev.dropna(subset=["session"]).sort_values(["session", "t"], kind="stable")
    last = app.groupby("session").tail(2)
    pairs = last.groupby("session").name.agg(tuple)
    ended = pairs[pairs == ("checkout_start", exit_event)]
    ended_android = app[app.session.isin(ended.index)].drop_duplicates("session").device
    assert (ended_android == "android").sum() >= funnel["drop"]["users"] > 10
    assert set(app[app.name == exit_event].device) == {"android", "ios"}  # the baseline


def test_detractors_churn_at_the_planted_hazard_ratio(files):
    from lifelines import CoxPHFitter

    tu, truth = files["tu"], files["truth"]
    dc = truth["feedback"]["detractor_churn"]
    level = np.where(tu.feedback_responder == 0, "no_feedback", "other_responder")
    level = np.where(tu.nps_group == "detractor", "detractor", level)
    assert pd.Series(level).value_counts().to_dict() == dc["users"]
    df = true_first_lives(tu, truth).assign(
        detractor=(level == "detractor").astype(int),
        other_responder=(level == "other_responder").astype(int),
    )
    cph = CoxPHFitter().fit(df, "T", "E", strata=["persona"])
    ci = np.exp(cph.confidence_intervals_)
    for covariate, hr in (
        ("detractor", dc["hazard_ratio"]),
        ("other_responder", dc["hazard_ratio_other_responder"]),
        ("community", truth["churn"]["hazard_ratio"]),
    ):
        lo, hi = ci.loc[covariate]
        assert lo <= hr <= hi, (covariate, lo, hi)
    assert ci.loc["detractor"].iloc[0] > 1.2  # detected


def test_same_seed_same_feedback_and_a_one_month_sample(tmp_path):
    a = generate_sample(tmp_path / "a", users=300, months=2, seed=3)
    b = generate_sample(tmp_path / "b", users=300, months=2, seed=3)
    assert a == b
    assert (tmp_path / "a" / "feedback.csv").read_bytes() == (
        tmp_path / "b" / "feedback.csv"
    ).read_bytes()
    one = generate_sample(tmp_path / "one", users=200, months=1, seed=3)
    assert one["feedback"]["rows_by_kind"]["monthly_survey"] == 0  # no later month
    assert (
        one["feedback"]["rows_by_kind"]["onboarding_survey"] == one["feedback"]["responders"] > 0
    )
    assert one["funnel"]["users"]["all"][0] > 0
