"""Small exports shaped unlike the sample (issue 19's acceptance): each is cut from one small
generated sample, so what each toy holds is known in advance.

- ``events_purchase``: a clickstream with no orders table; orders are ``purchase`` events with
  a ``price`` column (``purchase_events: [purchase]``);
- ``orders_two_months``: a CRM export of the last two months of orders and nothing else;
- ``one_month_assignments``: one month of events, with the experiment assignments;
- ``events_no_users``: events and orders, no users table;
- ``users_blank``: a users table whose attribute columns are all empty (with the experiment
  assignments, so its review has every kind of report);
- ``taobao_nine_days``: nine days of a headerless export in the layout of the public Taobao
  user-behaviour data (user, item, category, behaviour, epoch seconds), purchases as ``buy``
  rows without a price.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from helpers.sample.generator import generate_sample

BASE_USERS = 600
BASE_MONTHS = 3  # 2025-11 .. 2026-01 (the generator's default end)

HEADER = "name: {name}\ntimezone: Asia/Shanghai\ncurrency: CNY\ncache_dir: cache\n"
APP = (
    "    - {{path: app_events.csv, time_format: epoch_ms,"
    " columns: {{user_id: uid, event_time: ts_ms, event_name: action, platform: device,"
    " session_id: session{extra}}}}}\n"
)
ORDERS = (
    "  orders: {path: orders.csv, columns: {user_id: uid, order_time: paid_at, amount: total}}\n"
)
USERS = "  users: {path: users.csv, columns: {user_id: id, signup_time: created_at}}\n"
ASSIGN = "  assignments: {path: assignments.csv}\n"
TAIL = (
    'audit: {valid_from: "2025-11-01", valid_until: "2026-02-01"}\n'
    "activity:\n  passive_events: [push_received, email_open]\npersonas:\n  coupon_event: coupon_view\n"
)

TOYS = (
    "events_purchase",
    "orders_two_months",
    "one_month_assignments",
    "events_no_users",
    "users_blank",
    "taobao_nine_days",
)


def base_sample(folder: Path) -> Path:
    """The generated sample every toy is cut from (600 users, three months, seed 3)."""
    if not (folder / "persona.yaml").exists():
        generate_sample(folder, users=BASE_USERS, months=BASE_MONTHS, seed=3)
    return folder


def _frames(base: Path) -> dict[str, pd.DataFrame]:
    orders = pd.read_parquet(base / "orders.parquet")
    orders["paid_at"] = orders["paid_at"].dt.strftime("%Y-%m-%dT%H:%M:%S%z")
    return {
        "events": pd.read_csv(base / "app_events.csv.gz"),
        "orders": orders,
        "users": pd.read_csv(base / "users.csv"),
        "assignments": pd.read_csv(base / "assignments.csv"),
    }


def write_toy(kind: str, base: Path, out: Path) -> Path:
    """Write toy ``kind`` into ``out`` and return its config path."""
    f = _frames(base)
    out.mkdir(parents=True, exist_ok=True)
    ev, orders = f["events"], f["orders"]
    body = HEADER.format(name=kind) + "sources:\n"
    if kind == "events_purchase":
        ms = pd.to_datetime(orders["paid_at"], utc=True).astype("int64") // 1_000_000
        buys = pd.DataFrame(
            {
                "uid": orders["uid"],
                "ts_ms": ms,
                "action": "purchase",
                "device": None,
                "session": None,
                "price": orders["total"],
            }
        )
        ev = ev.assign(price=float("nan"))
        pd.concat([ev, buys], ignore_index=True).to_csv(out / "app_events.csv", index=False)
        f["users"].to_csv(out / "users.csv", index=False)
        body += "  events:\n" + APP.format(extra=", revenue: price") + USERS
        body += "purchase_events: [purchase]\n"
    elif kind == "orders_two_months":
        local = pd.to_datetime(orders["paid_at"], utc=True).dt.tz_convert("Asia/Shanghai")
        orders[local >= "2025-12-01"].to_csv(out / "orders.csv", index=False)
        body += ORDERS
    elif kind == "one_month_assignments":
        local = pd.to_datetime(ev["ts_ms"], unit="ms", utc=True).dt.tz_convert("Asia/Shanghai")
        ev[local >= "2026-01-01"].to_csv(out / "app_events.csv", index=False)
        f["assignments"].to_csv(out / "assignments.csv", index=False)
        body += "  events:\n" + APP.format(extra="") + ASSIGN
    elif kind == "events_no_users":
        ev.to_csv(out / "app_events.csv", index=False)
        orders.to_csv(out / "orders.csv", index=False)
        body += "  events:\n" + APP.format(extra="") + ORDERS
    elif kind == "users_blank":
        ev.to_csv(out / "app_events.csv", index=False)
        orders.to_csv(out / "orders.csv", index=False)
        users = f["users"]
        blank = users[["id", "created_at"]].copy()
        for c in users.columns.drop(["id", "created_at"]):
            blank[c] = None
        blank.to_csv(out / "users.csv", index=False)
        f["assignments"].to_csv(out / "assignments.csv", index=False)
        body += "  events:\n" + APP.format(extra="") + ORDERS + USERS + ASSIGN
    elif kind == "taobao_nine_days":
        seconds = pd.to_datetime(orders["paid_at"], utc=True).astype("int64") // 1_000_000_000
        rows = pd.concat(
            [
                pd.DataFrame({"u": ev["uid"], "b": ev["action"], "ts": ev["ts_ms"] // 1000}),
                pd.DataFrame({"u": orders["uid"], "b": "buy", "ts": seconds}),
            ],
            ignore_index=True,
        )
        local = pd.to_datetime(rows["ts"], unit="s", utc=True).dt.tz_convert("Asia/Shanghai")
        rows = rows[local >= "2026-01-23"]  # 2026-01-23 .. 2026-01-31
        rows.insert(1, "item", rows.index % 9973)
        rows.insert(2, "category", rows.index % 97)
        rows.to_csv(out / "taobao.csv", index=False, header=False)
        body += (
            "  events:\n    - {path: taobao.csv, header: false,"
            " names: [user, item, category, behaviour, ts], time_format: epoch_s,"
            " columns: {user_id: user, event_name: behaviour, event_time: ts}}\n"
            "purchase_events: [buy]\n"
        )
    else:
        raise ValueError(f"unknown toy {kind!r}; known: {', '.join(TOYS)}")
    (out / "persona.yaml").write_text(body + TAIL, encoding="utf-8")
    return out / "persona.yaml"
