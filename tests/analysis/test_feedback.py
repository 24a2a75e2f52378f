"""helpers.analysis.feedback on hand-worked toys: NPS and its interval (with a published variance),
the satisfaction t-interval, CSAT and complaint rates, jieba topic matching in Chinese and
English, each user's latest NPS category at as_of, feature usage from user_day in DuckDB, and
the pain-point ranking on a toy whose answer is known."""

from __future__ import annotations

import datetime as dt

import ibis
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from helpers.analysis.feedback.frame import complaint_flags, segment_of
from helpers.analysis.feedback.pain import event_usage, pain_points
from helpers.analysis.feedback.review import review_feedback
from helpers.analysis.feedback.scores import (
    feedback_by_segment,
    feedback_trend,
    lowest_nps,
    mean_interval,
    nps_interval,
)
from helpers.analysis.feedback.topics import TopicMatcher, pick_quotes, topic_mentions
from helpers.analysis.feedback.users import user_nps
from helpers.core.config_pain import FeedbackConfig
from helpers.core.errors import DataError, NotEnoughData
from helpers.data import engine

Z = 1.959963984540054


def _fb(n, **cols) -> pd.DataFrame:
    base = {
        "user_id": [f"u{i}" for i in range(n)],
        "feedback_time": pd.Timestamp("2026-10-10 02:00", tz="UTC"),
        "day": dt.date(2026, 10, 10),
    }
    return pd.DataFrame({**base, **cols})


# --- NPS -----------------------------------------------------------------------------------------
def test_nps_interval_matches_the_published_multinomial_variance():
    # whuber's answer on Cross Validated ("How can I calculate margin of error in a NPS
    # result?"): with 1/2 promoters, 1/3 passives and 1/6 detractors the NPS is 1/3 and the
    # variance of one answer 5/9. With 600 answers: SE = 100 * sqrt(5/9/600) = 3.0429 points.
    se = 100 * np.sqrt(5 / 9 / 600)
    nps, low, high = nps_interval(300, 100, 600)
    assert nps == pytest.approx(100 / 3)
    assert (low, high) == pytest.approx((100 / 3 - Z * se, 100 / 3 + Z * se))
    assert (low, high) == pytest.approx((27.3694, 39.2973), abs=1e-4)
    # the same from raw answers: 9-10 promoters, 7-8 passives, 0-6 detractors
    fb = _fb(600, nps=[10] * 150 + [9] * 150 + [8] * 100 + [7] * 100 + [6] * 50 + [0] * 50)
    row = feedback_by_segment(fb).iloc[0]
    assert (row["promoters"], row["passives"], row["detractors"]) == pytest.approx(
        (0.5, 1 / 3, 1 / 6)
    )
    assert (row["nps"], row["nps_ci_low"], row["nps_ci_high"]) == pytest.approx((nps, low, high))


def test_nps_of_a_small_hand_case():
    # 10 answers: 4 promoters, 3 passives, 3 detractors: NPS 10; variance per answer
    # 0.4 + 0.3 - 0.1^2 = 0.69; half width 1.96 * 100 * sqrt(0.069) = 51.48 points
    nps, low, high = nps_interval(4, 3, 10)
    assert nps == pytest.approx(10.0)
    assert high - nps == pytest.approx(Z * 100 * np.sqrt(0.069))
    assert (low, high) == pytest.approx((-41.48, 61.48), abs=0.01)
    assert nps_interval(10, 0, 10)[1:] == (100.0, 100.0)  # no spread: the point itself


# --- satisfaction, CSAT, complaints ------------------------------------------------------------
def test_satisfaction_t_interval_and_csat_wilson():
    # ratings 1..5: mean 3, sd sqrt(2.5), t(0.975, 4) = 2.776445 -> 3 ± 1.96324
    mean, low, high = mean_interval([1, 2, 3, 4, 5])
    assert (mean, low, high) == pytest.approx((3.0, 1.03676, 4.96324), abs=1e-5)
    row = feedback_by_segment(_fb(5, rating=[1, 2, 3, 4, 5])).iloc[0]
    assert (row["satisfaction"], row["satisfaction_ci_low"]) == pytest.approx(
        (3.0, 1.03676), abs=1e-5
    )
    # CSAT 2 of 5 rated 4-5; Wilson by hand: centre (0.4 + z²/10) / (1 + z²/5), half width
    # z sqrt(0.4*0.6/5 + z²/100) / (1 + z²/5)
    d = 1 + Z**2 / 5
    centre, half = (0.4 + Z**2 / 10) / d, Z * np.sqrt(0.048 + Z**2 / 100) / d
    assert row["csat"] == 0.4
    assert (row["csat_ci_low"], row["csat_ci_high"]) == pytest.approx(
        (centre - half, centre + half)
    )
    assert (row["csat_ci_low"], row["csat_ci_high"]) == pytest.approx((0.1176, 0.7693), abs=1e-4)


def test_complaint_rate_reads_ratings_and_categories_and_skips_what_cannot_say():
    fb = _fb(
        7,
        rating=[1, 2, 3, None, None, 5, None],
        nps=[None, None, None, None, None, None, 3],
        category=[None, None, None, " Complaint ", "praise", "投诉", None],
    )
    flags = complaint_flags(fb, complaint_rating=2, complaint_categories=["complaint", "投诉"])
    assert flags.tolist() == [True, True, False, True, False, True, pd.NA]
    row = feedback_by_segment(fb).iloc[0]
    # 6 responses can say (the NPS-only one cannot), 4 are complaints
    assert (row["complaint_base"], row["complaints"], row["complaint_rate"]) == (6, 4, 4 / 6)
    stricter = feedback_by_segment(fb, settings=FeedbackConfig(complaint_rating=1)).iloc[0]
    assert stricter["complaints"] == 3


def test_segments_small_groups_and_unmapped_users():
    fb = _fb(6, rating=[5, 4, 1, 2, 3, 3])
    seg = {"u0": 1, "u1": 1, "u2": 2, "u3": 2, "u4": 2}
    t = feedback_by_segment(fb, seg, settings=FeedbackConfig(min_responses=3))
    assert t["segment"].tolist() == ["all", 1, 2]
    assert t["responses"].tolist() == [5, 2, 3]  # u5 has no segment: left out, even of all
    assert t["small"].tolist() == [False, True, False]
    assert t["satisfaction"].tolist() == pytest.approx([3.0, 4.5, 2.0])
    assert t.attrs["unmapped"] == 1
    with pytest.raises(DataError, match="two segments"):
        segment_of(fb, pd.DataFrame({"user_id": ["u0", "u0"], "persona": [1, 2]}))


def test_lowest_nps_against_the_other_personas_pooled():
    # persona 1: 20 P / 50 D of 100 (NPS -30); personas 2 and 3: 50 P / 20 D of 100 (NPS 30).
    # gap -60; variance 0.61/100 + 0.61/200 -> half width 1.96 * 100 * sqrt(0.00915) = 18.75
    nps = [10] * 20 + [8] * 30 + [0] * 50 + ([10] * 50 + [8] * 30 + [0] * 20) * 2
    fb = _fb(300, nps=nps)
    seg = {f"u{i}": 1 + i // 100 for i in range(300)}
    low = lowest_nps(feedback_by_segment(fb, seg))
    assert low.segment == 1 and low.others_nps == pytest.approx(30.0)
    assert low.difference == pytest.approx(-60.0)
    half = Z * 100 * np.sqrt(0.61 / 100 + 0.61 / 200)
    assert (low.difference_low, low.difference_high) == pytest.approx((-60 - half, -60 + half))
    assert low.separated
    # 10 answers each: persona 1 at NPS 0 is within the noise of the others
    few = _fb(30, nps=[10] * 3 + [8] * 4 + [0] * 3 + ([10] * 4 + [8] * 4 + [0] * 2) * 2)
    low = lowest_nps(
        feedback_by_segment(
            few,
            {f"u{i}": 1 + i // 10 for i in range(30)},
            settings=FeedbackConfig(min_responses=5),
        )
    )
    assert low.segment == 1 and not low.separated


def test_trend_counts_each_month_by_its_local_day():
    fb = pd.DataFrame(
        {
            "user_id": ["a", "b", "c", "d"],
            "feedback_time": pd.to_datetime(
                ["2026-09-30 17:00", "2026-09-10 02:00", "2026-10-02 02:00", "2026-10-03 02:00"],
                utc=True,
            ),
            # 17:00 UTC on 30 Sep is 1 Oct in Shanghai: the local day decides
            "day": [
                dt.date(2026, 10, 1),
                dt.date(2026, 9, 10),
                dt.date(2026, 10, 2),
                dt.date(2026, 10, 3),
            ],
            "nps": [10, 0, 10, 7],
        }
    )
    tr = feedback_trend(fb, month="2026-10", months=2)
    assert tr["month"].tolist() == ["2026-08", "2026-09", "2026-10"]
    assert tr["responses"].tolist() == [0, 1, 3]
    assert tr["nps"].tolist()[1:] == pytest.approx([-100.0, 200 / 3])


# --- each user's latest NPS category ---------------------------------------------------------------
def test_latest_nps_category_per_user_at_as_of():
    t = pd.to_datetime
    fb = pd.DataFrame(
        [
            ("u1", t("2026-10-01 02:00", utc=True), dt.date(2026, 10, 1), 3.0),
            ("u1", t("2026-10-20 02:00", utc=True), dt.date(2026, 10, 20), 9.0),
            ("u2", t("2026-10-05 02:00", utc=True), dt.date(2026, 10, 5), 8.0),
            ("u2", t("2026-11-02 02:00", utc=True), dt.date(2026, 11, 2), 0.0),  # after as_of
            ("u3", t("2026-10-07 04:00", utc=True), dt.date(2026, 10, 7), 9.0),  # a tie: the
            ("u3", t("2026-10-07 04:00", utc=True), dt.date(2026, 10, 7), 5.0),  # lower counts
            ("u4", t("2026-10-08 02:00", utc=True), dt.date(2026, 10, 8), None),  # no NPS
            # 17:00 UTC on 31 Oct is 1 Nov locally: not known at as_of 31 Oct
            ("u5", t("2026-10-31 17:00", utc=True), dt.date(2026, 11, 1), 10.0),
        ],
        columns=["user_id", "feedback_time", "day", "nps"],
    )
    got = user_nps(fb, as_of="2026-10-31")
    assert got[["user_id", "nps", "nps_category", "detractor"]].values.tolist() == [
        ["u1", 9.0, "promoter", False],
        ["u2", 8.0, "passive", False],
        ["u3", 5.0, "detractor", True],
    ]
    early = user_nps(fb, as_of=dt.date(2026, 10, 10))
    assert dict(zip(early["user_id"], early["nps_category"])) == {
        "u1": "detractor",
        "u2": "passive",
        "u3": "detractor",
    }


# --- topics ----------------------------------------------------------------------------------------
TOPICS = {
    "优惠券": ["优惠券", "券", "满减", "coupon"],
    "支付": ["支付", "付款", "payment"],
    "物流": ["物流", "promo code", "delivery"],
}


@pytest.mark.parametrize(
    "text, topics",
    [
        ("优惠券到结算时就失效了", ["优惠券"]),
        ("领券中心打不开", ["优惠券"]),  # 券 inside the token 领券
        ("满减规则太复杂，优惠券老是用不了", ["优惠券"]),
        ("支付宝一直提示网络错误", []),  # 支付 is not 支付宝
        ("付款的时候卡住了，物流也慢", ["支付", "物流"]),
        ("Two COUPONS expired; payment failed.", ["优惠券", "支付"]),  # plural, upper case
        ("coupons?", ["优惠券"]),
        ("couponing is not a word", []),  # a word is a word, not a prefix
        ("the promo code did not work", ["物流"]),  # several words in a row
        ("promo, code", ["物流"]),
        ("很好用", []),
    ],
)
def test_keyword_topics_in_chinese_and_english(text, topics):
    assert TopicMatcher(TOPICS).match(text) == topics


def test_multi_character_keywords_stay_one_token():
    m = TopicMatcher({"x": ["满减", "付不了"]})
    assert m.tokens("用不了满减券") == ["用", "不了", "满减", "券"]
    assert "付不了" in m.tokens("付不了款")


def test_topics_come_from_the_category_when_there_is_one():
    fb = _fb(4, category=["Coupon", "物流", "complaint", None], text=["支付失败"] * 4)
    m = topic_mentions(fb, {"优惠券": ["优惠券", "coupon"]})
    assert m.attrs["source"] == "category"
    # "Coupon" names the configured topic, 物流 is a topic of its own, a complaint is none
    assert m.values.tolist() == [[0, "优惠券"], [1, "物流"]]
    text = topic_mentions(fb, {"支付": ["支付"]}, source="text")
    assert text["response"].tolist() == [0, 1, 2, 3]


def test_quotes_are_short_low_rated_and_deterministic():
    fb = pd.DataFrame(
        {
            "text": ["ok", "x" * 300, "券不能用", "Coupon expired 13912345678", "券不能用", "好"],
            "rating": [1, 1, 2, 1, 1, 1],
        }
    )
    q = pick_quotes(fb, n=3, max_chars=40)
    # "ok" and "好" are too short; the phone number is masked; the long text is cut
    assert q == ["券不能用", "Coupon expired •••", "x" * 39 + "…"]


# --- usage from user_day (DuckDB) --------------------------------------------------------------------
def test_event_usage_from_user_day_in_duckdb():
    d = dt.date
    ud = pd.DataFrame(
        [
            # user, day, active_events, ev_coupon_view, ev_checkout_start
            ("a", d(2026, 9, 30), 5, 5, 0),  # before the window
            ("a", d(2026, 10, 1), 2, 2, 0),
            ("a", d(2026, 10, 2), 1, 1, 0),
            ("b", d(2026, 10, 3), 1, 0, 1),
            ("c", d(2026, 10, 5), 0, 3, 0),  # passive events only: not active
            ("d", d(2026, 10, 6), 3, 1, 2),
            ("d", d(2026, 11, 1), 4, 4, 0),  # after the window
            ("e", d(2026, 10, 7), 1, 1, 0),  # no segment
        ],
        columns=["user_id", "day", "active_events", "ev_coupon_view", "ev_checkout_start"],
    )
    con = engine.connect()
    table = con.create_table("feedback_toy_user_day", ibis.memtable(ud))
    seg = pd.DataFrame({"user_id": ["a", "b", "c", "d"], "persona": [1, 1, 2, 2]})
    u = event_usage(
        table, seg, ["coupon_view", "checkout_start", "share_click"], "2026-10-01", "2026-10-31"
    )
    got = {(r.segment, r.event_name): r for r in u.itertuples(index=False)}
    assert u["segment"].tolist()[::3] == ["all", 1, 2]
    all_c = got[("all", "coupon_view")]  # active: a, b, d; coupon: a (3 events), d (1)
    assert (all_c.active_users, all_c.users, all_c.events) == (3, 2, 4)
    assert (all_c.users_share, all_c.events_per_user) == pytest.approx((2 / 3, 2.0))
    p1 = got[(1, "coupon_view")]
    assert (p1.active_users, p1.users, p1.users_share, p1.events_per_user) == (2, 1, 0.5, 3.0)
    p2 = got[(2, "checkout_start")]  # c is not active: d alone
    assert (p2.active_users, p2.users, p2.users_share, p2.events_per_user) == (1, 1, 1.0, 2.0)
    assert np.isnan(got[(1, "share_click")].users_share)
    assert u.attrs["missing_events"] == ["share_click"]
    everyone = event_usage(table, None, ["coupon_view"], "2026-10-01", "2026-10-31")
    assert everyone[["segment", "active_users", "users"]].values.tolist() == [["all", 4, 3]]
    con.disconnect()


# --- the pain-point matrix ------------------------------------------------------------------------
def _pain_toy():
    """Persona 1 (48 responses): 12 coupon comments rated 1,3,... (mean 2), 12 payment comments
    rated 3,5 (mean 4), 24 others rated 4,5 (mean 4.5). Persona 2 (48): 12 coupon (4,5: 4.5),
    12 delivery (2,4: 3.0), 12 payment (2,3: 2.5), 12 others (4,5: 4.5). Persona 3: 5 responses."""
    rows = []

    def add(persona, text, ratings, times):
        for i in range(times):
            rows.append((persona, text, ratings[i % len(ratings)]))

    add(1, "优惠券用不了", [1, 3], 12)
    add(1, "payment failed", [3, 5], 12)
    add(1, "很好用", [4, 5], 24)
    add(2, "great coupon deals", [4, 5], 12)
    add(2, "物流太慢了", [2, 4], 12)
    add(2, "支付一直失败", [2, 3], 12)
    add(2, "很好用", [4, 5], 12)
    add(3, "优惠券用不了", [1], 5)
    fb = pd.DataFrame(rows, columns=["persona", "text", "rating"])
    fb["user_id"] = [f"u{i}" for i in range(len(fb))]
    fb["feedback_time"] = pd.Timestamp("2026-10-10 02:00", tz="UTC")
    fb["day"] = dt.date(2026, 10, 10)
    seg = fb[["user_id", "persona"]]
    usage = pd.DataFrame(
        [
            ("all", "coupon_view", 0.5, 2.0),
            ("all", "checkout_start", 0.5, 1.0),
            (1, "coupon_view", 0.8, 4.0),
            (1, "checkout_start", 0.5, 1.0),
            (2, "coupon_view", 0.2, 1.0),
            (2, "checkout_start", 0.25, 1.0),
        ],
        columns=["segment", "event_name", "users_share", "events_per_user"],
    )
    settings = FeedbackConfig(
        min_responses=30,
        topics={
            "优惠券": {"keywords": ["优惠券", "券", "coupon"], "events": ["coupon_view"]},
            "支付": {"keywords": ["支付", "payment"], "events": ["checkout_start"]},
            "物流": {"keywords": ["物流", "delivery"]},
        },
    )
    return fb.drop(columns="persona"), seg, usage, settings


def test_pain_points_rank_heavy_use_times_rating_gap():
    fb, seg, usage, settings = _pain_toy()
    mentions = topic_mentions(fb, settings.topics)
    pain = pain_points(fb, mentions, seg, usage=usage, topics=settings.topics, settings=settings)
    row = {(r.segment, r.topic): r for r in pain.itertuples(index=False)}
    # persona 1, coupons: other feedback (12 x 4 + 24 x 4.5) / 36 = 4.333 vs 2.0 -> gap 2.333;
    # usage 0.8 / 0.5 = 1.6 -> score 3.733
    c1 = row[(1, "优惠券")]
    assert (c1.topic_rating, c1.other_rating) == pytest.approx((2.0, 156 / 36))
    assert (c1.usage_index, c1.score) == pytest.approx((1.6, 1.6 * (156 / 36 - 2)))
    assert c1.rank == 1 and c1.top
    # Welch's interval of the gap, against scipy's
    ratings1 = fb.loc[seg["persona"] == 1, "rating"].to_numpy()
    is_coupon = fb.loc[seg["persona"] == 1, "text"].eq("优惠券用不了").to_numpy()
    ci = stats.ttest_ind(
        ratings1[~is_coupon], ratings1[is_coupon], equal_var=False
    ).confidence_interval()
    assert (c1.gap_ci_low, c1.gap_ci_high) == pytest.approx((ci.low, ci.high))
    # persona 1, payment: 4.0 vs (24 + 108) / 36 = 3.667: rated better, index 1 -> score -0.333
    assert row[(1, "支付")].score == pytest.approx(-1 / 3) and row[(1, "支付")].rank == 2
    assert not row[(1, "物流")].eligible  # never mentioned
    # persona 2: payment has the larger gap (4.0 - 2.5 = 1.5) but half the average use
    # (0.25 / 0.5) -> 0.75; delivery has no events, index 1, gap 3.833 - 3.0 -> 0.833 ranks first
    p2 = {r.topic: r for r in pain[pain["segment"] == 2].itertuples(index=False)}
    assert p2["支付"].rating_gap == pytest.approx(1.5) and p2["支付"].score == pytest.approx(0.75)
    assert np.isnan(p2["物流"].usage_index) and p2["物流"].score == pytest.approx(138 / 36 - 3)
    assert (p2["物流"].rank, p2["支付"].rank, p2["优惠券"].rank) == (1, 2, 3)
    assert p2["优惠券"].score == pytest.approx(0.4 * (120 / 36 - 4.5))
    # persona 3 has 5 responses: small, never ranked
    assert pain.loc[pain["segment"] == 3, "rank"].isna().all()
    assert pain.loc[pain["top"], ["segment", "topic"]].values.tolist() == [
        [1, "优惠券"],
        [2, "物流"],
    ]


def test_pain_points_need_min_mentions():
    fb, seg, usage, settings = _pain_toy()
    mentions = topic_mentions(fb, settings.topics)
    pain = pain_points(
        fb, mentions, seg, usage=usage, topics=settings.topics, settings=settings, min_mentions=13
    )
    assert not pain["eligible"].any() and not pain["top"].any()
    # the same threshold from persona.yaml (feedback.min_mentions) reaches the review
    strict = settings.model_copy(update={"min_mentions": 13})
    r = review_feedback(fb, month="2026-10", segments=seg, settings=strict, usage=usage)
    assert r.min_mentions == 13 and r.top_pain_points.empty
    assert review_feedback(fb, month="2026-10", segments=seg, settings=settings).min_mentions == 10


def test_review_feedback_puts_it_together_and_needs_the_month():
    fb, seg, usage, settings = _pain_toy()
    r = review_feedback(fb, month="2026-10", segments=seg, settings=settings, usage=usage)
    assert r.responses == 101 and r.unmapped == 0 and r.topic_source == "text"
    assert r.top_pain_points["topic"].tolist() == ["优惠券", "物流"]
    assert r.no_topic == 36  # the "很好用" comments of personas 1 and 2
    with pytest.raises(NotEnoughData, match="no response in 2026-09"):
        review_feedback(fb, month="2026-09", segments=seg, settings=settings)


def test_a_gap_within_the_noise_is_ranked_but_not_named():
    # 10 coupon comments rated 1 and 5 in turn (mean 3, sd 2.1) against 30 others rated 3 and 4
    # (mean 3.5): gap 0.5, Welch half width about 1.5 -> rank 1, but no top pain point
    fb = _fb(40, text=["优惠券用不了"] * 10 + ["很好用"] * 30, rating=[1, 5] * 5 + [3, 4] * 15)
    topics = {"优惠券": {"keywords": ["优惠券"]}}
    settings = FeedbackConfig(min_responses=30, topics=topics)
    pain = pain_points(
        fb, topic_mentions(fb, settings.topics), topics=settings.topics, settings=settings
    )
    row = pain.iloc[0]
    assert row["segment"] == "all" and row["rank"] == 1 and row["score"] == pytest.approx(0.5)
    assert row["gap_ci_low"] < 0 < row["gap_ci_high"] and not row["top"]
