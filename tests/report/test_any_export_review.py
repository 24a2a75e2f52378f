"""The whole review on exports shaped unlike the sample (issue 19's acceptance).

Five toys cut from one generated sample (see :mod:`tests.report.toys`): a clickstream whose
orders are ``purchase`` events, two months of orders alone, one month of events with the
experiment assignments, events without a users table, and users whose attributes are all
empty; and a sixth, nine days of a headerless export in the Taobao layout with ``buy`` rows. Every review exits 0 with every notebook ok (``07_persona_review`` included); each
section the data cannot support shows the sentence saying what it needs; the ledger balances.
The toy with every kind of report is also run in Chinese: only the words change.

The runs go two at a time, as ``persona-kit run`` processes (one notebook each), so both cores
stay busy while a review waits on its notebooks' order.
"""

from __future__ import annotations

import html as _html
import json
import math
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

from helpers.data.audit import PURCHASE_EVENTS_SOURCE
from helpers.data.pipeline import load_project
from helpers.display.labels import label
from helpers.display.messages import set_language
from helpers.display.text import join_words, t
from tests.report.toys import TOYS, base_sample, write_toy

pytestmark = pytest.mark.notebook

MONTH = "2026-01"  # the toys' latest complete month (the sample ends on 2026-01-31)
CLI = Path(sys.executable).with_name("persona-kit")


def _run(config: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run(
        [str(CLI), "run", "--config", str(config), "--out", str(out), "--jobs", "1", *extra],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
    )


@pytest.fixture(scope="module")
def toys(tmp_path_factory):
    """{toy: (config, reports folder, completed process)}, plus ``users_blank_zh``."""
    root = tmp_path_factory.mktemp("toys")
    base = base_sample(root / "base")
    configs = {k: write_toy(k, base, root / k) for k in TOYS}
    jobs = {k: (c, root / k / "reports", ()) for k, c in configs.items()}
    jobs["users_blank_zh"] = (
        configs["users_blank"],
        root / "users_blank" / "reports_zh",
        ("-p", "language", "zh"),
    )
    # the zh run shares its toy's cache: build each cache before two runs could race for it
    for config in configs.values():
        load_project(config)
    with ThreadPoolExecutor(2) as pool:
        done = {k: pool.submit(_run, c, out, *extra) for k, (c, out, extra) in jobs.items()}
        return {k: (jobs[k][0], jobs[k][1], f.result()) for k, f in done.items()}


def _statuses(out: Path, month: str = MONTH) -> dict[str, str]:
    manifest = json.loads((out / month / "manifest.json").read_text())
    return {name: e["status"] for name, e in manifest["reports"].items()}


def _page(out: Path, name: str) -> str:
    return _html.unescape((out / MONTH / f"{name}.html").read_text(encoding="utf-8"))


def _says(page: str, key: str, **values) -> bool:
    # a note's sentence, up to its first placeholder (the page fills it in)
    text = t(key, **values) if values else t(key)
    return text.split("{")[0].strip() in page


@pytest.mark.parametrize("toy", TOYS)
def test_every_notebook_runs_ok_and_the_ledger_balances(toys, toy):
    config, out, proc = toys[toy]
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    statuses = _statuses(out)
    expected = {
        "01_data_audit",
        "02_active_users",
        "03_personas",
        "04_churn",
        "05_pain_points",
    }
    expected.add("07_persona_review")
    assert {n for n, s in statuses.items() if s == "ok"} >= expected, statuses
    assert all(s in ("ok", "skipped") for s in statuses.values()), statuses
    audit = load_project(config).audit
    assert all(s.balanced for s in audit.sources.values()), audit.to_json()["sources"]


def _base_frames(toys):
    config = toys["events_purchase"][0]
    base = config.parents[1] / "base"
    orders = pd.read_parquet(base / "orders.parquet")
    local = orders["paid_at"].dt.tz_convert("Asia/Shanghai")
    return orders[(local >= "2025-11-01") & (local < "2026-02-01")]


def test_purchase_events_become_the_orders(toys):
    config, out, _ = toys["events_purchase"]
    project = load_project(config)
    orders = _base_frames(toys)  # the orders the purchase events were made of, in the window
    s = project.audit.sources[PURCHASE_EVENTS_SOURCE]
    assert (s.table, s.rows_in, s.rows_kept) == ("orders", len(orders), len(orders))
    assert s.checks.unknown_amount == 0  # every purchase event has its price
    assert project.audit.totals()[0] == sum(
        x.rows_in for k, x in project.audit.sources.items() if k != PURCHASE_EVENTS_SOURCE
    )  # a purchase event is read once, not again as an order
    kept = project.tables["orders"].execute()
    assert kept["amount"].sum() == pytest.approx(orders["total"].sum())
    # each purchase is counted once in the daily table: as an order, not also as an event
    ud = project.user_day.execute()
    # (a purchase event with a negative price is a refund: counted as one, not as an event)
    refunds = int((orders["total"] < 0).sum())
    assert refunds > 0 and int(ud["refunds"].sum()) == refunds
    assert int(ud["orders"].sum()) == len(orders) - refunds
    assert ud["revenue"].sum() == pytest.approx(orders.loc[orders["total"] >= 0, "total"].sum())
    assert int(ud["events"].sum()) == project.audit.sources["app_events"].rows_kept - refunds
    assert "ev_purchase" not in ud.columns
    # so the buyers get RFM segments, and no note says they are missing
    rfm = pd.read_csv(out / MONTH / "artifacts" / "rfm.csv")
    assert rfm["user_id"].nunique() == orders["uid"].nunique()
    assert not _says(_page(out, "03_personas"), "personas.needs.rfm")


def test_two_months_of_orders_say_what_events_and_users_would_add(toys):
    _, out, proc = toys["orders_two_months"]
    statuses = _statuses(out)
    assert statuses["06_ab_readout"] == "skipped"  # an orders-only export has no assignments
    assert t("runner.skip.no_assignments") in proc.stdout
    assert _says(_page(out, "01_data_audit"), "audit.events.none")
    assert _says(_page(out, "01_data_audit"), "audit.users.none")
    assert _says(_page(out, "02_active_users"), "activity.profile.no_users")


def test_one_month_of_events_says_what_history_each_model_needs(toys):
    _, out, _ = toys["one_month_assignments"]
    statuses = _statuses(out)
    assert statuses["ab_checkout_v2"] == statuses["ab_onboarding_tips"] == "ok"
    personas = _page(out, "03_personas")
    assert _says(personas, "personas.needs.rfm")  # no orders: no buyers to score
    churn = _page(out, "04_churn")
    for key in ("churn.needs.cox", "churn.needs.risk", "churn.needs.stake", "churn.needs.at_risk"):
        assert _says(churn, key), key
    # the artifact the next month reads is there, with its columns and no row
    risk = pd.read_csv(out / MONTH / "artifacts" / "churn_risk.csv")
    assert len(risk) == 0 and "churn_risk_30d" in risk.columns
    personas_csv = pd.read_csv(out / MONTH / "artifacts" / "personas.csv")
    assert len(personas_csv) > 0  # personas built on behaviour alone


def test_events_without_users_say_what_a_users_table_would_add(toys):
    _, out, _ = toys["events_no_users"]
    assert _says(_page(out, "01_data_audit"), "audit.users.none")
    assert _says(_page(out, "02_active_users"), "activity.profile.no_users")
    assert "churn_risk_30d" in pd.read_csv(out / MONTH / "artifacts" / "churn_risk.csv")


def test_users_with_every_attribute_empty_are_profiled_by_behaviour(toys):
    _, out, _ = toys["users_blank"]
    names = ["age", "gender", "city", "channel", "platform", "plan", "joined_community"]
    columns = join_words(label(c) for c in names)
    page = _page(out, "02_active_users")
    assert _says(page, "activity.profile.attributes_empty", columns=columns)


def test_nine_days_of_a_headerless_export_review_the_partial_month(toys):
    config, out, _ = toys["taobao_nine_days"]
    project = load_project(config)
    assert (project.data_start.isoformat(), project.data_end.isoformat()) == (
        "2026-01-23",
        "2026-01-31",
    )
    orders = _base_frames(toys)
    local = orders["paid_at"].dt.tz_convert("Asia/Shanghai")
    buys = int((local >= "2026-01-23").sum())
    s = project.audit.sources[PURCHASE_EVENTS_SOURCE]
    assert s.rows_kept == s.checks.unknown_amount == buys  # "buy" rows carry no price
    assert t("audit.check.unknown_amount") in _page(out, "01_data_audit")
    churn = _page(out, "04_churn")
    for key in ("churn.needs.survival", "churn.needs.cox", "churn.needs.risk"):
        assert _says(churn, key), key
    rfm = pd.read_csv(out / MONTH / "artifacts" / "rfm.csv")
    assert rfm["user_id"].nunique() == orders.loc[local >= "2026-01-23", "uid"].nunique()


# --- the same review in Chinese: only the words change ----------------------------------------------
def _numbers(value):
    """Every number in a JSON value, in order (words dropped)."""
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, (int, float)):
        return [float(value)]
    if isinstance(value, dict):
        return [n for k in sorted(value) for n in _numbers(value[k])]
    if isinstance(value, list):
        return [n for v in value for n in _numbers(v)]
    return []


def _same(a: list[float], b: list[float]) -> bool:
    return len(a) == len(b) and all(
        (math.isnan(x) and math.isnan(y)) or math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9)
        for x, y in zip(a, b, strict=True)
    )


def test_only_the_words_change_in_chinese(toys):
    _, en_out, _ = toys["users_blank"]
    _, zh_out, proc = toys["users_blank_zh"]
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert _statuses(zh_out) == _statuses(en_out)
    en_dir, zh_dir = en_out / MONTH / "artifacts", zh_out / MONTH / "artifacts"
    csvs = sorted(p.relative_to(en_dir) for p in en_dir.rglob("*.csv"))
    jsons = sorted(p.relative_to(en_dir) for p in en_dir.rglob("*.json"))
    expected = {"active_users", "churn_risk", "lifecycle", "personas", "retention", "rfm"}
    assert {p.stem for p in csvs} >= expected and len(jsons) >= 5
    assert sorted(p.relative_to(zh_dir) for p in zh_dir.rglob("*.csv")) == csvs
    for rel in csvs:
        en, zh = pd.read_csv(en_dir / rel), pd.read_csv(zh_dir / rel)
        assert en.shape == zh.shape and list(en.columns) == list(zh.columns), rel
        num = en.select_dtypes("number").columns
        assert list(zh.select_dtypes("number").columns) == list(num), rel
        pd.testing.assert_frame_equal(en[num], zh[num], check_exact=False, rtol=1e-9)
    for rel in jsons:
        en = json.loads((en_dir / rel).read_text(encoding="utf-8"))
        zh = json.loads((zh_dir / rel).read_text(encoding="utf-8"))
        assert _same(_numbers(en), _numbers(zh)), rel
    page = (zh_out / MONTH / "02_active_users.html").read_text(encoding="utf-8")
    set_language("zh")
    try:
        names = ["age", "gender", "city", "channel", "platform", "plan", "joined_community"]
        columns = join_words(label(c) for c in names)  # 年龄、性别、城市...
        assert _says(_html.unescape(page), "activity.profile.attributes_empty", columns=columns)
    finally:
        set_language("en")
