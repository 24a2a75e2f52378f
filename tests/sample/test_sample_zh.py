"""The Chinese sample (``language="zh"``): the same users, behaviour and numbers as the English
one for the same seed, under Chinese event names, attribute values and app-log header, and it
loads end to end through the data layer (Chinese column names and event names included).

The expected numbers are those of the English sample with ``users=600, months=3, seed=7``.
"""

import gzip
import json

import pandas as pd
import pyarrow.dataset as ds
import pytest
from click.testing import CliRunner

from helpers.cli import main
from helpers.core.config import load_config
from helpers.data.pipeline import load_project
from helpers.sample.generator import generate_sample

N_USERS, MONTHS, SEED = 600, 3, 7

# the Chinese name of every event the English sample writes
ZH_EVENTS = {
    "session_start": "启动应用",
    "view_item": "浏览商品",
    "search": "搜索",
    "add_to_cart": "加入购物车",
    "checkout_start": "提交订单",
    "wishlist": "收藏",
    "coupon_view": "领取优惠券",
    "share": "分享",
    "review": "发表评价",
    "push_received": "收到推送",
    "email_open": "打开邮件",
}
# the beta feature launched in the last month and the failed checkouts' exit event (app log only)
ZH_BETA = {"live_stream": "观看直播", "payment_failed": "支付失败"}
ZH_ALL_EVENTS = {**ZH_EVENTS, **ZH_BETA}
# the app log's devices (truth.json names the funnel's platforms by them)
ZH_DEVICES = {"android": "Android", "ios": "iOS"}
ZH_VALUES = {
    "gender": {"female": "女", "male": "男", "other": "其他"},
    "city": {
        "Shanghai": "上海",
        "Beijing": "北京",
        "Shenzhen": "深圳",
        "Guangzhou": "广州",
        "Hangzhou": "杭州",
        "Chengdu": "成都",
        "Wuhan": "武汉",
        "Nanjing": "南京",
        "Xi'an": "西安",
        "Chongqing": "重庆",
    },
    "channel": {
        "organic": "自然流量",
        "search_ads": "搜索广告",
        "social": "抖音广告",
        "referral": "微信分享",
        "app_store": "应用商店",
    },
    "platform": {"ios": "iOS", "android": "Android", "web": "Web"},
    "plan": {"free": "免费版", "plus": "会员"},
}


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    base = tmp_path_factory.mktemp("zh")
    en = generate_sample(base / "en", users=N_USERS, months=MONTHS, seed=SEED)
    zh = generate_sample(base / "zh", users=N_USERS, months=MONTHS, seed=SEED, language="zh")
    return base, en, zh


def _rounded(value):
    """``value`` with every float rounded to 6 decimals (for sums computed in parallel)."""
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return round(value, 6) if isinstance(value, float) else value


def _to_english(value):
    """``value`` (from truth.json) with every Chinese event name replaced by the English one."""
    back = {v: k for k, v in {**ZH_ALL_EVENTS, **ZH_DEVICES}.items()}
    if isinstance(value, dict):
        return {_to_english(k): _to_english(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_english(v) for v in value]
    if isinstance(value, str) and value.strip() in back:
        return value.replace(value.strip(), back[value.strip()])
    return value


def test_planted_truths_equal_the_english_sample(samples):
    base, en, zh = samples
    # the planted numbers, known from the English sample of the same seed
    for truth in (en, zh):
        assert truth["personas"]["users"] == {
            "power_user": 48,
            "steady_regular": 143,
            "deal_hunter": 119,
            "casual_browser": 170,
            "trialist": 120,
        }
        assert truth["churn"]["hazard_ratio"] == 0.5
        assert truth["churn"]["community_users"] == 199
        assert (truth["churn"]["churned_users"], truth["churn"]["resurrected_users"]) == (271, 8)
        cv2 = truth["experiments"]["checkout_v2"]
        assert cv2["n"] == {"control": 159, "treatment": 159}
        assert cv2["relative_lift_conversion"] == 0.274596
        assert cv2["observed"]["z"] == 2.293
        assert truth["counts"]["orders_rows"] == 431 and truth["counts"]["buyers"] == 209
        assert truth["counts"]["monthly_active_users"] == {
            "2025-11": 124,
            "2025-12": 313,
            "2026-01": 478,  # 472 + 6 brought back by the planted campaign
        }
        assert truth["counts"]["events_written"] == 33072
        assert truth["campaign"]["audience"] == 14 and truth["campaign"]["reactivated_users"] == 6
        assert truth["beta_feature"]["users"] == 165
        assert truth["funnel"]["drop"]["users"] == 60 and truth["feedback"]["responders"] > 0
    # everything else too, once the event names are read back in English; the variant
    # spellings differ (Chinese has no case), their counts do not
    en_json = json.loads((base / "en" / "truth.json").read_text())
    zh_raw = json.loads((base / "zh" / "truth.json").read_text(encoding="utf-8"))
    # the feedback (comments, topics) is the same in every language but the topics' events; a
    # topic's name may be an event's Chinese name (搜索), so it is compared apart
    en_feedback, zh_feedback = en_json.pop("feedback"), zh_raw.pop("feedback")
    zh_feedback["pain_point"]["event"] = _to_english(zh_feedback["pain_point"]["event"])
    for topic in zh_feedback["topics"].values():
        topic["events"] = _to_english(topic["events"])
    assert zh_feedback == en_feedback
    zh_json = _to_english(zh_raw)
    for src in ("app_events", "web_events"):
        assert len(zh_json["defects"][src].pop("event_name_variants")) > 0
        en_json["defects"][src].pop("event_name_variants")
    assert zh_json == en_json
    variants = [zh["defects"][src]["event_name_variant"] for src in ("app_events", "web_events")]
    assert variants == [81, 44]
    assert zh["passive_events"] == ["收到推送", "打开邮件"]
    assert (en["beta_feature"]["event"], zh["beta_feature"]["event"]) == (
        "live_stream",
        "观看直播",
    )
    assert zh["campaign"]["name"] == en["campaign"]["name"] == "winback_deal_hunters_2025_12"


def test_orders_assignments_and_web_ids_are_the_same_files(samples):
    base = samples[0]
    for name in (
        "orders.parquet",
        "assignments.csv",
        "identities.csv",
        "campaigns.csv",
        "feedback.csv",
    ):
        assert (base / "en" / name).read_bytes() == (base / "zh" / name).read_bytes(), name
    orders = pd.read_parquet(base / "zh" / "orders.parquet")
    assert round(orders.total.sum(), 2) == 22814.76


def test_events_use_only_the_chinese_names(samples):
    base = samples[0]
    with gzip.open(base / "zh" / "app_events.csv.gz", "rt", encoding="utf-8") as fh:
        assert fh.readline().strip() == '"用户ID","事件","时间","设备","会话"'
    app = pd.read_csv(base / "zh" / "app_events.csv.gz", dtype=str, keep_default_na=False)
    web = ds.dataset(base / "zh" / "web_events").to_table().to_pandas()
    en_app = pd.read_csv(base / "en" / "app_events.csv.gz", dtype=str, keep_default_na=False)
    en_web = ds.dataset(base / "en" / "web_events").to_table().to_pandas()
    for zh_names, en_names, beta in (
        (app["事件"], en_app["action"], set(ZH_BETA.values())),
        (web["event"], en_web["event"], set()),
    ):
        assert set(zh_names.str.strip()) == set(ZH_EVENTS.values()) | beta
        # row for row the same event, in Chinese
        expected = en_names.str.strip().str.lower().map(ZH_ALL_EVENTS)
        assert (zh_names.str.strip() == expected).all()
        # the planted variants differ in surrounding spaces only, on the same rows
        zh_variant = zh_names != zh_names.str.strip()
        assert (zh_variant == (en_names != en_names.str.strip().str.lower())).all()
        assert zh_variant.sum() > 0
    assert set(app["设备"]) == {"iOS", "Android"}
    assert (app["时间"] == en_app["ts_ms"]).all() and (app["会话"] == en_app["session"]).all()


def test_users_have_chinese_attribute_values(samples):
    base, _, truth = samples
    en = pd.read_csv(base / "en" / "users.csv", dtype=str, keep_default_na=False)
    zh = pd.read_csv(base / "zh" / "users.csv", dtype=str, keep_default_na=False)
    assert list(zh.columns) == list(en.columns) and len(zh) == truth["counts"]["users_rows"] == 604
    for col, names in ZH_VALUES.items():
        assert (zh[col] == en[col].map(names)).all(), col
    assert set(zh.city) == set(ZH_VALUES["city"].values())
    for col in ("id", "created_at", "age", "joined_community"):
        assert (zh[col] == en[col]).all(), col


def test_persona_yaml_is_chinese(samples):
    base = samples[0]
    cfg = load_config(base / "zh" / "persona.yaml")
    assert (cfg.name, cfg.language, cfg.currency, cfg.timezone) == (
        "示例商城",
        "zh",
        "CNY",
        "Asia/Shanghai",
    )
    assert cfg.activity.passive_events == ["收到推送", "打开邮件"]
    assert cfg.sources.events[0].columns == {
        "user_id": "用户ID",
        "event_time": "时间",
        "event_name": "事件",
        "platform": "设备",
        "session_id": "会话",
    }
    en = load_config(base / "en" / "persona.yaml")
    assert (en.name, en.language, en.activity.passive_events) == (
        "Sample shop",
        "en",
        ["push_received", "email_open"],
    )


def test_loads_end_to_end_with_the_same_numbers(samples):
    """The Chinese header is mapped, the Chinese names counted: the cleaned tables, the audit
    and ``user_day`` hold the English sample's numbers under the Chinese names."""
    base, _, truth = samples
    en, zh = load_project(base / "en" / "persona.yaml"), load_project(base / "zh" / "persona.yaml")
    events = zh.tables["events"]
    assert {"user_id", "event_time", "event_name", "platform", "session_id"} <= set(events.columns)
    counts = events.group_by("event_name").aggregate(n=events.count()).execute()
    assert set(counts.event_name) == set(ZH_ALL_EVENTS.values())
    app = events.filter(events.source == "app_events")
    assert int(app.count().execute()) == truth["defects"]["app_events"]["rows_kept"] == 20_994
    assert set(app.platform.value_counts().execute().platform) == {"iOS", "Android"}
    audits = [en.audit.to_json(), _to_english(zh.audit.to_json())]
    variants = [a["sources"]["app_events"]["checks"].pop("event_name_variants") for a in audits]
    assert sum(variants[1].values()) == sum(variants[0].values()) == 81
    for audit in audits:
        audit["sources"]["web_events"]["checks"].pop("event_name_variants")
    # sums of money may differ in the last bit (DuckDB adds in parallel, in any order)
    assert _rounded(audits[0]) == _rounded(audits[1])

    en_ud = en.user_day.execute().sort_values(["user_id", "day"], ignore_index=True)
    zh_ud = zh.user_day.execute().sort_values(["user_id", "day"], ignore_index=True)
    assert "ev_浏览商品" in zh_ud.columns and "ev_view_item" not in zh_ud.columns
    back = {f"ev_{v}": f"ev_{k}" for k, v in ZH_ALL_EVENTS.items()}
    zh_ud = zh_ud.rename(columns=back)[list(en_ud.columns)]
    pd.testing.assert_frame_equal(zh_ud, en_ud)
    # 332 of them the beta feature's, 285 the failed checkouts' (45 baseline failures, 60 x 4)
    assert int(zh_ud.active_events.sum()) == 27_506
    assert int(zh_ud["ev_live_stream"].sum()) == 332 == truth["beta_feature"]["events"]
    drop = truth["funnel"]["drop"]
    assert int(zh_ud["ev_payment_failed"].sum()) == drop["baseline_events"] + drop["users"] == 105
    users = zh.users_frame()
    assert len(users) == N_USERS and set(users.city) == set(ZH_VALUES["city"].values())


def test_cli_sample_language(tmp_path):
    runner = CliRunner()
    res = runner.invoke(
        main,
        ["sample", "--out", str(tmp_path / "s"), "--users", "200", "--months", "2"]
        + ["--language", "zh"],
    )
    assert res.exit_code == 0, res.output
    assert "language: zh" in (tmp_path / "s" / "persona.yaml").read_text(encoding="utf-8")
    bad = runner.invoke(main, ["sample", "--out", str(tmp_path / "x"), "--language", "fr"])
    assert bad.exit_code == 2 and "'fr' is not one of 'en', 'zh'" in bad.output
