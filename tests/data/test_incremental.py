"""Incremental cache builds (issue 18): a cache of 10 months extended with the 11th, then with the
12th, equals a full build of the same files, in ``user_day``, the ledger of every source and the
cleaned events.

The generated sample is split into one file per UTC month (``app_events_2026-01.csv.gz``,
``web_events/2026-01.parquet``, ``orders/2026-01.parquet``); the 11th and the 12th month's
files land after a first build, the 12th with four planted facts whose effect is known in
advance:

* an app event row of month 11 repeated in month 12's file: one more ``duplicate`` than the
  generator planted (truth.json), though the two copies are in different files;
* an order of month 11 repeated in month 12's file: one ``duplicate_order_id`` (the generator
  plants none);
* two visitor ids (anonymous only, never stitched in months 1-11) get a user in month 12, one
  through a new identities file, one through a month-12 web row carrying both ids: their rows
  of earlier months are stitched, so ``unstitched_anonymous`` falls by exactly their rows;
* an identities-listed anonymous id is seen in month 12 with a smaller user id: the map takes
  the smaller id, so every earlier row of that anonymous id moves to that user.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from pathlib import Path

import ibis
import pandas as pd
import pytest
import yaml

from helpers.data.month_ledger import month_ledger
from helpers.data.pipeline import load_project

V_USER_1, V_USER_2 = "u000001", "u000002"  # the users two visitors turn out to be


def split_monthly(sample: Path, out: Path) -> dict:
    """The sample's app, web and order exports as one file per UTC month (text kept as text),
    the other files copied, and a config reading them through globs."""
    out.mkdir(parents=True)
    for f in sample.iterdir():
        if f.is_file() and f.suffix in (".csv", ".yaml") and f.name != "truth.json":
            shutil.copy(f, out / f.name)
    (out / "identities.csv").rename(out / "identities_1.csv")
    raw = yaml.safe_load((sample / "persona.yaml").read_text())
    app_src, web_src = raw["sources"]["events"]
    app = pd.read_csv(sample / app_src["path"], dtype=str, keep_default_na=False)
    ms = pd.to_numeric(app[app_src["columns"]["event_time"]], errors="coerce")
    month = pd.to_datetime(ms, unit="ms", utc=True).dt.strftime("%Y-%m")
    for m, g in app.groupby(month):
        g.to_csv(out / f"app_events_{m}.csv.gz", index=False)
    web = pd.concat(pd.read_parquet(p) for p in sorted((sample / "web_events").glob("*.parquet")))
    (out / "web_events").mkdir()
    for m, g in web.groupby(web[web_src["columns"]["event_time"]].str[:7]):
        g.to_parquet(out / "web_events" / f"{m}.parquet", index=False)
    orders = pd.read_parquet(sample / raw["sources"]["orders"]["path"])
    (out / "orders").mkdir()
    for m, g in orders.groupby(
        orders[raw["sources"]["orders"]["columns"]["order_time"]].dt.strftime("%Y-%m")
    ):
        g.to_parquet(out / "orders" / f"{m}.parquet", index=False)
    app_src["path"] = "app_events_*.csv.gz"
    raw["sources"]["orders"]["path"] = "orders/*.parquet"
    raw["sources"]["identities"]["path"] = "identities_*.csv"
    raw["cache_dir"] = "cache"
    (out / "persona.yaml").write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True))
    return raw


def _visitors(web: pd.DataFrame, listed: set) -> list[str]:
    """Anonymous ids that never carry a member id and are not in the identities file."""
    logged = set(web.loc[web.member_id.notna(), "anon_id"])
    anon = web[web.member_id.isna() & ~web.anon_id.isin(logged | listed)]
    return sorted(anon.anon_id.unique())


@pytest.fixture(scope="module")
def monthly(small_sample, tmp_path_factory):
    """(folder, facts): the split sample, its 11th and 12th months held back in ``later/`` (the
    12th with the planted rows), and what they should do (see the module docs)."""
    d = tmp_path_factory.mktemp("monthly") / "m"
    split_monthly(small_sample, d)
    truth = json.loads((small_sample / "truth.json").read_text())
    last = truth["latest_complete_month"]
    prev = (pd.Period(last, "M") - 1).strftime("%Y-%m")
    later = d / "later"
    later.mkdir()
    month_11 = [
        d / f"app_events_{prev}.csv.gz",
        d / "web_events" / f"{prev}.parquet",
        d / "orders" / f"{prev}.parquet",
    ]
    # 1. an app row of month 11, repeated in month 12's file (its text appears once before)
    app11 = pd.read_csv(d / f"app_events_{prev}.csv.gz", dtype=str, keep_default_na=False)
    once = app11[~app11.duplicated(keep=False) & (app11.uid != "")]
    app12 = pd.read_csv(d / f"app_events_{last}.csv.gz", dtype=str, keep_default_na=False)
    pd.concat([app12, once.iloc[[0]]]).to_csv(later / f"app_events_{last}.csv.gz", index=False)
    app12_dups = len(app12) - len(app12.drop_duplicates())  # copies within the month's file
    (d / f"app_events_{last}.csv.gz").unlink()
    # 2. an order of month 11 repeated in month 12's file
    o11 = pd.read_parquet(d / "orders" / f"{prev}.parquet")
    o12 = pd.read_parquet(d / "orders" / f"{last}.parquet")
    pd.concat([o12, o11.iloc[[0]]]).to_parquet(later / "orders.parquet", index=False)
    (d / "orders" / f"{last}.parquet").unlink()
    # 3. two visitors get a user; 4. a listed anonymous id gets a smaller user id
    web = pd.concat(pd.read_parquet(p) for p in sorted((d / "web_events").glob("*.parquet")))
    ids = pd.read_csv(d / "identities_1.csv", dtype=str)
    v1, v2 = _visitors(web, set(ids.anonymous_id))[:2]
    listed = ids[ids.user_id > "u000100"].drop_duplicates("anonymous_id", keep=False)
    logged = set(web.loc[web.member_id.notna(), "anon_id"])
    earlier = set(web.loc[web.time < last, "anon_id"])  # with rows before month 12
    listed = listed[listed.anonymous_id.isin(earlier - logged)]  # and anonymous rows only
    a3, x3 = listed.anonymous_id.iloc[0], listed.user_id.iloc[0]
    pd.DataFrame({"anonymous_id": [v1], "user_id": [V_USER_1]}).to_csv(
        later / "identities_2.csv", index=False
    )
    w12 = pd.read_parquet(d / "web_events" / f"{last}.parquet")
    t = f"{last}-15 12:00:00.000"
    extra = pd.DataFrame(
        {
            "anon_id": [v2, a3],
            "member_id": [V_USER_2, "u000000"],
            "time": [t, t],
            "event": ["view_item", "view_item"],
            "page": ["/", "/"],
        }
    )
    pd.concat([w12, extra[w12.columns]]).to_parquet(later / "web.parquet", index=False)
    (d / "web_events" / f"{last}.parquet").unlink()
    key = ["anon_id", "member_id", "time", "event"]
    rows = {a: len(web[web.anon_id == a].drop_duplicates(key)) for a in (v1, v2)}
    for f in month_11:
        f.rename(later / f"11_{f.parent.name}_{f.name}")
    facts = {
        "truth": truth,
        "last": last,
        "v1": v1,
        "v2": v2,
        "visitor_rows": rows,
        "a3": a3,
        "x3": x3,
        "a3_rows": len(web[web.anon_id == a3].drop_duplicates(key)),
        "app12_rows": len(app12) + 1,
        "app12_duplicates": app12_dups + 1,
        "land_11": [(later / f"11_{f.parent.name}_{f.name}", f) for f in month_11],
        "land": [
            (later / f"app_events_{last}.csv.gz", d / f"app_events_{last}.csv.gz"),
            (later / "orders.parquet", d / "orders" / f"{last}.parquet"),
            (later / "identities_2.csv", d / "identities_2.csv"),
            (later / "web.parquet", d / "web_events" / f"{last}.parquet"),
        ],
    }
    return d, facts


@pytest.fixture(scope="module")
def built(monthly):
    """(incremental project of 12 months, its base of 11, full project) on the same files: a
    full build of 10 months, extended with the 11th, then with the 12th."""
    d, facts = monthly
    load_project(d / "persona.yaml")
    for src, dst in facts["land_11"]:
        shutil.move(src, dst)
    base = load_project(d / "persona.yaml")
    for src, dst in facts["land"]:
        shutil.move(src, dst)
    inc = load_project(d / "persona.yaml")
    raw = yaml.safe_load((d / "persona.yaml").read_text())
    raw["cache_dir"] = "cache_full"
    (d / "full.yaml").write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True))
    full = load_project(d / "full.yaml")
    return inc, base, full


def _sorted(t) -> pd.DataFrame:
    df = t.execute()
    cols = sorted(df.columns)
    return df[cols].sort_values(cols).reset_index(drop=True)


def _same(x, y) -> bool:
    """Equal, floats to 1e-12 relative: sums of money differ in the last bits with the order
    the engine adds them in."""
    if isinstance(x, dict) and isinstance(y, dict):
        return x.keys() == y.keys() and all(_same(x[k], y[k]) for k in x)
    if isinstance(x, list) and isinstance(y, list):
        return len(x) == len(y) and all(_same(a, b) for a, b in zip(x, y))
    if isinstance(x, float) or isinstance(y, float):
        return math.isclose(x, y, rel_tol=1e-12, abs_tol=1e-9)
    return x == y


def test_the_second_build_extends_the_first_and_shares_its_files(built, monthly):
    inc, base, full = built
    b = inc.meta["build"]
    assert (b["kind"], b["number"], b["base"]) == ("incremental", 2, base.fingerprint)
    assert b["reason"].startswith(f"extends cache {base.fingerprint}: every event and order file")
    assert "3 new file(s)" in b["reason"]  # (identities are re-read, not counted)
    assert full.meta["build"]["kind"] == "full" and full.meta["build"]["reason"].startswith(
        "first build"
    )
    assert [x["kind"] for x in inc.meta["builds"]] == ["full", "incremental", "incremental"]
    # the first build's rows are the same file in both versions: a hard link, not a copy
    part = "events.parquet/b000.id.parquet"
    assert os.stat(inc.cache_path / part).st_ino == os.stat(base.cache_path / part).st_ino
    log = (inc.cache_path / "build.log").read_text().splitlines()
    assert log[0].endswith(f"incremental build: {b['reason']}")
    assert any("re-stitched" in line for line in log)


def test_incremental_equals_full_in_user_day_events_and_ledger(built):
    inc, _, full = built
    a, b = _sorted(inc.user_day), _sorted(full.user_day)
    assert len(a) > 10_000
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    pd.testing.assert_frame_equal(
        _sorted(inc.tables["events"]), _sorted(full.tables["events"]), check_exact=True
    )
    pd.testing.assert_frame_equal(
        _sorted(inc.dropped_events()), _sorted(full.dropped_events()), check_exact=True
    )
    x, y = inc.audit.to_json(), full.audit.to_json()
    for key in ("sources", "identities", "orphans", "user_day", "event_names", "quality"):
        assert _same(x[key], y[key]), key
    assert all(s.balanced for s in inc.audit.sources.values())
    for name in ("orders", "users"):
        pd.testing.assert_frame_equal(_sorted(inc.tables[name]), _sorted(full.tables[name]))
    assert inc.meta["data_end"] == full.meta["data_end"]
    month = full.latest_complete_month()
    assert month_ledger(inc, month).to_json() == month_ledger(full, month).to_json()


def test_the_planted_facts_hold_after_the_incremental_build(built, monthly):
    inc, base, _ = built
    _, facts = monthly
    truth = facts["truth"]["defects"]
    app, web = inc.audit.sources["app_events"], inc.audit.sources["web_events"]
    # a duplicate across two files is one more duplicate than the generator planted
    assert app.dropped["duplicate"] == truth["app_events"]["duplicate"] + 1
    assert inc.audit.sources["orders"].dropped["duplicate_order_id"] == 1
    # the visitors' rows of earlier months are stitched now, to the user they turned out to be
    n1, n2 = facts["visitor_rows"][facts["v1"]], facts["visitor_rows"][facts["v2"]]
    assert (
        web.dropped["unstitched_anonymous"]
        == truth["web_events"]["unstitched_anonymous"] - n1 - n2
    )
    ev = inc.tables["events"]
    for anon, user, n in ((facts["v1"], V_USER_1, n1), (facts["v2"], V_USER_2, n2 + 1)):
        got = ev.filter(ev.anonymous_id == anon).group_by("user_id").aggregate(n=ibis._.count())
        assert got.execute().set_index("user_id")["n"].to_dict() == {user: n}
    # every row of the listed id moved to the smaller user id seen in month 12
    a3 = ev.filter(ev.anonymous_id == facts["a3"]).execute()
    assert set(a3.user_id) == {"u000000"} and len(a3) == facts["a3_rows"] + 1
    old = base.tables["events"]
    assert set(old.filter(old.anonymous_id == facts["a3"]).execute().user_id) == {facts["x3"]}
    # what the build added to the ledger, in meta.json: the rows of month 12's app file
    rows = inc.meta["build"]["rows"]["app_events"]
    assert rows["rows_in"] == facts["app12_rows"]
    assert rows["dropped"]["duplicate"] == facts["app12_duplicates"]


def test_a_changed_identities_file_alone_stitches_again(built, monthly):
    """No new event or order file, a new identities snapshot: v1's pair is withdrawn, so its
    rows are unstitched again; the events are not read."""
    inc, _, _ = built
    d, facts = monthly
    (d / "identities_2.csv").write_text("anonymous_id,user_id\n")
    p = load_project(d / "persona.yaml")
    b = p.meta["build"]
    assert b["kind"] == "incremental" and b["files"] == {}
    assert b["reason"].endswith("no new event or order file (only the small tables changed)")
    assert b["stitching"].startswith("identities: 1 anonymous id(s) map differently now")
    truth = facts["truth"]["defects"]["web_events"]["unstitched_anonymous"]
    web = p.audit.sources["web_events"]
    assert web.dropped["unstitched_anonymous"] == truth - facts["visitor_rows"][facts["v2"]]
    assert web.rows_in == inc.audit.sources["web_events"].rows_in
    raw = yaml.safe_load((d / "persona.yaml").read_text())
    raw["cache_dir"] = "cache_full_2"
    (d / "full_2.yaml").write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True))
    full = load_project(d / "full_2.yaml")
    pd.testing.assert_frame_equal(_sorted(p.user_day), _sorted(full.user_day), check_exact=True)
    assert _same(p.audit.to_json()["sources"], full.audit.to_json()["sources"])


def test_a_changed_old_file_rebuilds_in_full_and_says_which(built, monthly):
    inc, _, _ = built
    d, facts = monthly
    prev = (pd.Period(facts["last"], "M") - 2).strftime("%Y-%m")
    path = d / f"app_events_{prev}.csv.gz"
    before = inc.audit.sources["app_events"].rows_in
    old_size = path.stat().st_size
    rows = pd.read_csv(path, dtype=str, keep_default_na=False)
    rows.iloc[1:].to_csv(path, index=False)  # the export of that month, re-sent one row short
    p = load_project(d / "persona.yaml")
    b = p.meta["build"]
    assert b["kind"] == "full" and b["number"] == 0
    assert b["reason"] == (
        f"file {path.resolve()} of source 'app_events' changed since the last build "
        f"({old_size:,} -> {path.stat().st_size:,} bytes)"
    )
    assert (
        (p.cache_path / "build.log")
        .read_text()
        .splitlines()[0]
        .endswith(f"full build: {b['reason']}")
    )
    assert p.audit.sources["app_events"].rows_in == before - 1
    # and a removed one
    path.unlink()
    q = load_project(d / "persona.yaml")
    assert q.meta["build"]["reason"] == (
        f"file {path.resolve()} of source 'app_events' was removed since the last build"
    )
    assert q.audit.sources["app_events"].rows_in == before - len(rows)


@pytest.mark.spark
def test_incremental_on_spark_equals_a_full_build(tmp_path):
    """The same monthly refresh on local Spark (parts are folders of part files there): 3
    months, then the 4th, equal to DuckDB's full build of the 4 months."""
    from helpers.sample.generator import generate_sample

    from .test_spark import SPARK_ENGINE, _frame, assert_same_frames

    sample = tmp_path / "sample"
    generate_sample(sample, users=300, months=4, seed=11)
    d = tmp_path / "m"
    split_monthly(sample, d)
    last = json.loads((sample / "truth.json").read_text())["latest_complete_month"]
    held = [d / f"app_events_{last}.csv.gz", d / "web_events" / f"{last}.parquet"]
    held.append(d / "orders" / f"{last}.parquet")
    for f in held:
        f.rename(tmp_path / f"{f.parent.name}_{f.name}")
    spark_cfg = d / "spark.yaml"
    spark_cfg.write_text((d / "persona.yaml").read_text() + SPARK_ENGINE)
    first = load_project(spark_cfg)
    for f in held:
        (tmp_path / f"{f.parent.name}_{f.name}").rename(f)
    inc = load_project(spark_cfg)
    full = load_project(d / "persona.yaml")  # DuckDB, another cache key: a full build
    assert (inc.meta["build"]["kind"], inc.meta["build"]["base"]) == (
        "incremental",
        first.fingerprint,
    )
    assert full.meta["build"]["kind"] == "full"
    assert (inc.cache_path / "events.parquet" / "b001.id.parquet").is_dir()  # Spark's folders
    assert_same_frames(_frame(inc.user_day), _frame(full.user_day))
    x, y = inc.audit.to_json(), full.audit.to_json()
    for key in ("sources", "identities", "orphans", "user_day", "event_names"):
        assert _same(x[key], y[key]), key


def _build_twice(d: Path, first: dict, second: dict, config: str):
    """Build with the files of ``first``, add those of ``second``, build again; and a full
    build of all of them in another cache folder."""
    for name, text in first.items():
        (d / name).write_text(text)
    (d / "persona.yaml").write_text(config.format(cache="cache"))
    base = load_project(d / "persona.yaml")
    for name, text in second.items():
        (d / name).write_text(text)
    inc = load_project(d / "persona.yaml")
    (d / "full.yaml").write_text(config.format(cache="cache_full"))
    return base, inc, load_project(d / "full.yaml")


def test_an_earlier_order_in_a_new_file_replaces_the_kept_one(tmp_path):
    """Orders only (a CRM export): order o2 arrives again in the new file, an hour earlier and
    with another amount; the earliest row of an order id is the one kept, so the new row
    replaces the row the first build kept, in the ledger and in user_day."""
    header = "order_id,user_id,order_time,amount\n"
    base, inc, full = _build_twice(
        tmp_path,
        {"orders_1.csv": header + "o1,u1,2026-01-05 10:00:00,10\no2,u2,2026-01-06 10:00:00,20\n"},
        {"orders_2.csv": header + "o3,u1,2026-02-01 10:00:00,30\no2,u2,2026-01-06 09:00:00,25\n"},
        "name: Toy\ntimezone: UTC\ncache_dir: {cache}\nsources:\n  orders: {{path: orders_*.csv}}\n",
    )
    assert inc.meta["build"]["kind"] == "incremental"
    assert base.audit.sources["orders"].dropped["duplicate_order_id"] == 0
    assert inc.audit.sources["orders"].dropped["duplicate_order_id"] == 1
    ud = _sorted(inc.user_day)
    got = {(r.user_id, str(r.day)[:10]): (r.orders, r.revenue) for r in ud.itertuples()}
    assert got == {
        ("u1", "2026-01-05"): (1, 10.0),
        ("u2", "2026-01-06"): (1, 25.0),  # the earlier row of o2, from the new file
        ("u1", "2026-02-01"): (1, 30.0),
    }
    pd.testing.assert_frame_equal(ud, _sorted(full.user_day), check_exact=True)
    assert _same(inc.audit.to_json()["sources"], full.audit.to_json()["sources"])


def test_purchase_events_of_a_new_file_become_orders(tmp_path):
    """Events only, purchases named by ``purchase_events``: the orders are made again from the
    kept events of every build; a purchase in the new file is one more order."""
    header = "user_id,event_time,event_name,revenue\n"
    base, inc, full = _build_twice(
        tmp_path,
        {
            "ev_1.csv": header
            + "u1,2026-01-05 10:00:00,view_item,\nu1,2026-01-05 10:05:00,purchase,12.5\n"
        },
        {
            "ev_2.csv": header
            + "u2,2026-01-07 08:00:00,purchase,7\nu1,2026-01-05 10:05:00,purchase,12.5\n"
        },
        "name: Toy\ntimezone: UTC\ncache_dir: {cache}\npurchase_events: [purchase]\n"
        "sources:\n  events: [{{name: app, path: ev_*.csv}}]\n",
    )
    assert inc.meta["build"]["kind"] == "incremental"
    # the repeated purchase in ev_2.csv is a duplicate across files: one order, not two
    assert inc.audit.sources["app"].dropped["duplicate"] == 1
    assert inc.audit.sources["purchase_events"].rows_kept == 2
    ud = _sorted(inc.user_day)
    got = {(r.user_id, str(r.day)[:10]): (r.events, r.orders, r.revenue) for r in ud.itertuples()}
    assert got == {("u1", "2026-01-05"): (2, 1, 12.5), ("u2", "2026-01-07"): (1, 1, 7.0)}
    pd.testing.assert_frame_equal(ud, _sorted(full.user_day), check_exact=True)
    assert _same(inc.audit.to_json()["sources"], full.audit.to_json()["sources"])
