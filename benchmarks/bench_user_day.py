"""Benchmark: load + clean + user_day with the kit (ibis on DuckDB) vs plain pandas, same run.

Generates (or reuses) a sample large enough to hold about ``--events`` raw events, then runs each
implementation in its own child process so peak memory (max RSS) is measured separately, and
prints both times, the ratio, events per second and peak RSS.

    python benchmarks/bench_user_day.py --users 700000          # ~20M events
    python benchmarks/bench_user_day.py --users 20000 --quick    # smoke run

The pandas baseline performs the same reduction the kit does for the sample's sources: read the
app CSV.gz and web Parquet, map columns, parse times (epoch ms; naive UTC text), drop
out-of-range rows and exact duplicates, stitch anonymous ids (identities + rows with both ids),
standardize names, add orders, and group by (user_id, business day) into event/active/order
counts and revenue. Its user_day is checked against the kit's (row count and column sums).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"


def kit(config: str) -> dict:
    import shutil

    from helpers.config import load_config
    from helpers.pipeline import load_project

    cfg = load_config(config)
    shutil.rmtree(cfg.cache_path, ignore_errors=True)
    t0 = time.perf_counter()
    project = load_project(cfg)
    ud = project.user_day
    sums = ud.aggregate(rows=ud.count(), events=ud.events.sum(), active=ud.active_events.sum(),
                        orders=ud.orders.sum(), revenue=ud.revenue.sum()).execute().iloc[0]
    seconds = time.perf_counter() - t0
    raw_events = sum(s["rows_in"] for s in project.audit["sources"].values() if s["table"] == "events")
    return {"seconds": seconds, "raw_events": int(raw_events), "user_day_rows": int(sums["rows"]),
            "events": int(sums["events"]), "active_events": int(sums["active"]), "orders": int(sums["orders"]),
            "revenue": round(float(sums["revenue"]), 2)}


def pandas_baseline(config: str) -> dict:
    import glob

    import pandas as pd

    from helpers.config import load_config

    cfg = load_config(config)
    tz = cfg.timezone
    passive = set(cfg.activity.passive_events)
    t0 = time.perf_counter()
    lo = pd.Timestamp(str(cfg.audit.valid_from), tz=tz).tz_convert("UTC")
    hi = pd.Timestamp(str(cfg.audit.valid_until), tz=tz).tz_convert("UTC")
    frames = []
    for src in cfg.sources.events:
        files = sorted(glob.glob(str(cfg.resolve(src.path))))
        m = src.columns
        if files[0].endswith(".parquet"):
            df = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
        else:
            df = pd.concat([pd.read_csv(f, dtype=str) for f in files], ignore_index=True)
        out = pd.DataFrame({"source": src.name,
                            "user_id": df[m["user_id"]] if "user_id" in m else None,
                            "anonymous_id": df[m["anonymous_id"]] if "anonymous_id" in m else None,
                            "event_name": df[m["event_name"]]})
        if src.time_format == "epoch_ms":
            out["event_time"] = pd.to_datetime(pd.to_numeric(df[m["event_time"]]), unit="ms", utc=True)
        else:
            out["event_time"] = pd.to_datetime(df[m["event_time"]]).dt.tz_localize(src.timezone or tz).dt.tz_convert("UTC")
        for extra in ("platform", "session_id"):
            out[extra] = df[m[extra]] if extra in m else None
        frames.append(out)
    ev = pd.concat(frames, ignore_index=True)
    del frames
    ev = ev[(ev.event_time >= lo) & (ev.event_time < hi)]
    ev = ev.drop_duplicates()
    ident = pd.read_csv(cfg.resolve(cfg.sources.identities.path), dtype=str)
    pairs = pd.concat([ident[["anonymous_id", "user_id"]],
                       ev.loc[ev.user_id.notna() & ev.anonymous_id.notna(), ["anonymous_id", "user_id"]]])
    idmap = pairs.groupby("anonymous_id")["user_id"].min()
    ev["user_id"] = ev["user_id"].fillna(ev["anonymous_id"].map(idmap))
    ev = ev[ev.user_id.notna()]
    ev["event_name"] = ev["event_name"].str.strip().str.lower()
    ev["day"] = ev["event_time"].dt.tz_convert(tz).dt.date
    ev["active"] = ~ev["event_name"].isin(passive)
    om = cfg.sources.orders.columns
    orders = pd.read_parquet(cfg.resolve(cfg.sources.orders.path))
    orders = pd.DataFrame({"user_id": orders[om["user_id"]].astype(str),
                           "order_time": pd.to_datetime(orders[om["order_time"]], utc=True),
                           "amount": orders[om["amount"]].astype(float), "order_id": orders["order_id"]})
    orders = orders[(orders.order_time >= lo) & (orders.order_time < hi)].drop_duplicates("order_id")
    orders["day"] = orders["order_time"].dt.tz_convert(tz).dt.date
    buy = orders[orders.amount >= 0]
    a = ev.groupby(["user_id", "day"]).agg(events=("event_name", "size"), active_events=("active", "sum"))
    b = buy.groupby(["user_id", "day"]).agg(orders=("amount", "size"), revenue=("amount", "sum"))
    ud = a.join(b, how="outer").fillna(0)
    ud["events"] += ud["orders"]
    ud["active_events"] += ud["orders"]
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "user_day_rows": int(len(ud)), "events": int(ud["events"].sum()),
            "active_events": int(ud["active_events"].sum()), "orders": int(ud["orders"].sum()),
            "revenue": round(float(ud["revenue"].sum()), 2)}


def child(which: str, config: str) -> None:
    res = kit(config) if which == "kit" else pandas_baseline(config)
    res["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("RESULT " + json.dumps(res))


def run_child(which: str, config: str) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", which, "--config", config],
                          capture_output=True, text=True, cwd=ROOT)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise SystemExit(f"{which} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--users", type=int, default=700_000, help="sample users (700k gives about 20M events)")
    ap.add_argument("--months", type=int, default=12)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--skip-pandas", action="store_true")
    ap.add_argument("--child", choices=["kit", "pandas"])
    ap.add_argument("--config")
    args = ap.parse_args()
    if args.child:
        child(args.child, args.config)
        return
    data = OUT / f"sample_{args.users}u_{args.months}m_s{args.seed}"
    if not (data / "persona.yaml").exists():
        from helpers.sample import generate_sample

        t0 = time.perf_counter()
        generate_sample(data, users=args.users, months=args.months, seed=args.seed)
        print(f"generated {data} in {time.perf_counter() - t0:.1f} s")
    config = str(data / "persona.yaml")
    k = run_child("kit", config)
    print(f"kit    : {k['seconds']:8.1f} s  {k['raw_events'] / k['seconds']:12,.0f} events/s  "
          f"peak RSS {k['peak_rss_mb']:8.0f} MB   ({k['raw_events']:,} raw events, {k['user_day_rows']:,} user_day rows)")
    if args.skip_pandas:
        return
    p = run_child("pandas", config)
    print(f"pandas : {p['seconds']:8.1f} s  {k['raw_events'] / p['seconds']:12,.0f} events/s  "
          f"peak RSS {p['peak_rss_mb']:8.0f} MB   ({p['user_day_rows']:,} user_day rows)")
    print(f"ratio  : kit is {p['seconds'] / k['seconds']:.1f}x faster than pandas, "
          f"using {k['peak_rss_mb'] / p['peak_rss_mb']:.2f}x its peak memory")
    same = all(k[c] == p[c] for c in ("user_day_rows", "events", "active_events", "orders")) and \
        abs(k["revenue"] - p["revenue"]) < 0.01 * max(1, abs(k["revenue"])) / 100
    print(f"check  : user_day identical in rows and column sums: {'yes' if same else 'NO'} "
          f"(kit {k['user_day_rows']:,}/{k['events']:,}/{k['orders']:,}, pandas {p['user_day_rows']:,}/{p['events']:,}/{p['orders']:,})")


if __name__ == "__main__":
    main()
