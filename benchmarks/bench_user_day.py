"""Benchmark: load + clean + user_day with the kit (ibis on DuckDB) vs plain pandas, same run.

Generates (or reuses) a sample large enough to hold about ``--events`` raw events, then runs each
implementation in its own child process so peak memory (max RSS) is measured separately, and
prints both times, the ratio, events per second and peak RSS.

    python benchmarks/bench_user_day.py --users 172000          # ~21M raw events
    python benchmarks/bench_user_day.py --users 20000            # ~2.4M, a quick run
    python benchmarks/bench_user_day.py --floor                  # also time the necessary steps alone

The pandas baseline performs the same reduction the kit does for the sample's sources: read the
app CSV.gz and web Parquet, map columns, parse times (epoch ms; naive UTC text), drop
out-of-range rows and exact duplicates per source, stitch anonymous ids (identities + rows with
both ids), standardize names, clean orders (time range, order-id duplicates, refunds apart) and
group by (user_id, business day) into the full ``user_day``: events, active events, orders,
revenue, refunds and one count column per event name (the 60 most frequent, the rest in
``ev_other``). Both sides write their ``user_day`` to Parquet; the parent compares the two
tables row by row and column by column (integers exactly, revenue to 1e-9 relative).

The kit's time is ``load_project`` from nothing: it also writes the audit (every ledger and
check of the data-audit report) and every cleaned table to its cache, which the baseline does
not. The baseline's time is therefore printed twice: to ``user_day`` in memory, and with the
same files written (cleaned events, cleaned orders and ``user_day`` as Parquet). Each child also
reports its CPU time (user + system), steadier than wall time on a shared machine.

``--floor`` adds a third child that times the steps no build caching the cleaned events can skip,
one query each on the build's engine settings: parse the event sources, write them, group each
source into its distinct rows, reduce those to ``user_day`` (see :func:`floor`). Their sum is a
lower bound for the kit's build on this machine, and pandas' time over that sum is the best ratio
any DuckDB build could reach here.
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


def kit(config: str, out: str) -> dict:
    import shutil

    from helpers.core.config import load_config
    from helpers.data.pipeline import load_project

    cfg = load_config(config)
    shutil.rmtree(cfg.cache_path, ignore_errors=True)
    t0 = time.perf_counter()
    project = load_project(cfg)
    seconds = time.perf_counter() - t0
    raw_events = sum(s.rows_in for s in project.audit.sources.values() if s.table == "events")
    shutil.copyfile(project.cache_path / "user_day.parquet", out)
    return {"seconds": seconds, "raw_events": int(raw_events)}


def pandas_baseline(config: str, out: str) -> dict:
    import glob
    import os
    import tempfile

    import pandas as pd

    from helpers.core.config import load_config
    from helpers.core.schema import event_count_column

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
        out_df = pd.DataFrame(
            {
                "source": src.name,
                "user_id": df[m["user_id"]] if "user_id" in m else None,
                "anonymous_id": df[m["anonymous_id"]] if "anonymous_id" in m else None,
                "event_name": df[m["event_name"]],
            }
        )
        if src.time_format == "epoch_ms":
            out_df["event_time"] = pd.to_datetime(
                pd.to_numeric(df[m["event_time"]]), unit="ms", utc=True
            )
        else:
            out_df["event_time"] = (
                pd.to_datetime(df[m["event_time"]])
                .dt.tz_localize(src.timezone or tz)
                .dt.tz_convert("UTC")
            )
        for extra in ("platform", "session_id"):
            out_df[extra] = df[m[extra]] if extra in m else None
        frames.append(out_df)
    ev = pd.concat(frames, ignore_index=True)
    del frames
    ev = ev[(ev.event_time >= lo) & (ev.event_time < hi)]
    ev = ev.drop_duplicates()
    ident = pd.read_csv(cfg.resolve(cfg.sources.identities.path), dtype=str)
    pairs = pd.concat(
        [
            ident[["anonymous_id", "user_id"]],
            ev.loc[ev.user_id.notna() & ev.anonymous_id.notna(), ["anonymous_id", "user_id"]],
        ]
    )
    idmap = pairs.groupby("anonymous_id")["user_id"].min()
    ev["user_id"] = ev["user_id"].fillna(ev["anonymous_id"].map(idmap))
    ev = ev[ev.user_id.notna()].copy()
    ev["event_name"] = ev["event_name"].str.strip().str.lower()
    ev["day"] = ev["event_time"].dt.tz_convert(tz).dt.date
    ev["active"] = ~ev["event_name"].isin(passive)
    om = cfg.sources.orders.columns
    orders = pd.read_parquet(cfg.resolve(cfg.sources.orders.path))
    orders = pd.DataFrame(
        {
            "user_id": orders[om["user_id"]].astype(str),
            "order_time": pd.to_datetime(orders[om["order_time"]], utc=True),
            "amount": orders[om["amount"]].astype(float),
            "order_id": orders["order_id"],
        }
    )
    orders = orders[(orders.order_time >= lo) & (orders.order_time < hi)]
    orders = orders.sort_values(["order_time", "amount", "user_id"]).drop_duplicates("order_id")
    orders["day"] = orders["order_time"].dt.tz_convert(tz).dt.date
    buy = orders[orders.amount >= 0]
    # the count columns: the 60 most frequent names (ties by name), the rest in ev_other
    freq = ev["event_name"].value_counts().rename_axis("name").reset_index(name="n")
    top = freq.sort_values(["n", "name"], ascending=[False, True])["name"].head(60)
    top = [n for n in top if n != "order"]
    column = pd.Series({n: event_count_column(n) for n in top})
    ev["col"] = ev["event_name"].map(column).fillna(event_count_column("other"))
    keys = ["user_id", "day"]
    a = ev.groupby(keys).agg(events=("event_name", "size"), active_events=("active", "sum"))
    per_name = ev.groupby([*keys, "col"]).size().unstack("col", fill_value=0)
    b = buy.groupby(keys).agg(orders=("amount", "size"), revenue=("amount", "sum"))
    r = orders[orders.amount < 0].groupby(keys).size().rename("refunds")
    ud = a.join(per_name).join(b, how="outer").join(r, how="outer").fillna(0)
    ud["events"] += ud["orders"]
    ud["active_events"] += ud["orders"]
    ud[event_count_column("order")] = ud["orders"]
    for c in [event_count_column(n) for n in top] + [event_count_column("other")]:
        if c not in ud:  # a name never seen among the kept events still has its column
            ud[c] = 0
    ud = ud.reset_index()
    reduce_seconds = time.perf_counter() - t0
    with tempfile.TemporaryDirectory(
        dir=os.path.dirname(out)
    ) as tmp:  # the same files the kit caches
        ev.drop(columns=["active", "col"]).to_parquet(f"{tmp}/events.parquet", index=False)
        orders.to_parquet(f"{tmp}/orders.parquet", index=False)
        ud.to_parquet(f"{tmp}/user_day.parquet", index=False)
        seconds = time.perf_counter() - t0
    ud.to_parquet(out, index=False)
    return {"seconds": seconds, "reduce_seconds": reduce_seconds}


def floor(config: str, out: str) -> dict:
    """The kit's necessary steps one by one, each a query of its own on the build's engine settings.

    Each step adds one thing to the one before, so the differences are the cost of that thing:
    ``read`` parses every mapped column of every event source; ``write`` also writes the mapped
    rows to Parquet (no cleaning); ``dedup`` groups each source into its distinct rows first (the
    exact duplicates); ``user_day`` reduces that file to ``user_day``. No plan that caches the
    cleaned events can skip these, so their sum bounds the kit's build from below.
    """
    import tempfile

    import ibis

    from helpers.core.config import load_config
    from helpers.data import engine, event_cleaning, sources, storage, userday
    from helpers.data.pipeline import _connect

    cfg = load_config(config)
    times = {}
    with tempfile.TemporaryDirectory(dir=str(Path(out).parent)) as tmp:
        con = _connect(cfg, Path(tmp) / "spill", building=True)

        def parts():
            mapped = sources.read_table(con, cfg, "events", deferred={}, parts=True)
            return [
                m.table.drop(*[c for c in m.table.columns if c.startswith(sources.BAD_PREFIX)])
                for m in mapped
            ]

        def timed(name, fn):
            t0 = time.perf_counter()
            fn()
            times[name] = time.perf_counter() - t0

        every = ibis.union(*parts(), distinct=False)
        timed(
            "read",
            lambda: every.aggregate(**{f"m_{c}": every[c].max() for c in every.columns}).execute(),
        )
        timed(
            "write",
            lambda: storage.write_parquet(
                con, ibis.union(*parts(), distinct=False), f"{tmp}/mapped.parquet"
            ),
        )
        grouped = [event_cleaning.distinct_rows(t) for t in parts()]  # the kit's own grouping
        timed(
            "dedup",
            lambda: storage.write_parquet(
                con, ibis.union(*grouped, distinct=False), f"{tmp}/distinct.parquet"
            ),
        )
        distinct = storage.read_parquet(con, f"{tmp}/distinct.parquet")
        distinct = distinct.mutate(
            day=engine.local_day(distinct.event_time, cfg.timezone),
            event_name=event_cleaning.standard_event_name(distinct.event_name),
        )
        timed(
            "user_day",
            lambda: storage.write_parquet(
                con,
                userday.build_user_day(distinct, None, activity=cfg.activity),
                f"{tmp}/user_day.parquet",
            ),
        )
        engine.close(con)
    return times


def compare(kit_path: str, pandas_path: str) -> str:
    """'' when the two user_day tables are equal in every row and column, else what differs."""
    import numpy as np
    import pandas as pd

    k = pd.read_parquet(kit_path)
    p = pd.read_parquet(pandas_path)
    k["day"] = pd.to_datetime(k["day"])
    p["day"] = pd.to_datetime(p["day"])
    if len(k) != len(p):
        return f"row counts differ: kit {len(k):,}, pandas {len(p):,}"
    if set(k.columns) != set(p.columns):
        return f"columns differ: kit only {sorted(set(k.columns) - set(p.columns))}, pandas only {sorted(set(p.columns) - set(k.columns))}"
    k = k.sort_values(["user_id", "day"]).reset_index(drop=True)
    p = p.sort_values(["user_id", "day"]).reset_index(drop=True)[k.columns]
    bad = []
    for c in k.columns:
        if c == "revenue":
            ok = np.allclose(k[c].to_numpy(float), p[c].to_numpy(float), rtol=1e-9, atol=1e-9)
        elif c in ("user_id", "day"):
            ok = bool((k[c] == p[c]).all())
        else:
            ok = bool((k[c].to_numpy("int64") == p[c].to_numpy("int64")).all())
        if not ok:
            bad.append(c)
    return f"columns differ: {bad}" if bad else ""


def child(which: str, config: str, out: str) -> None:
    res = {"kit": kit, "pandas": pandas_baseline, "floor": floor}[which](config, out)
    use = resource.getrusage(resource.RUSAGE_SELF)
    res["peak_rss_mb"] = use.ru_maxrss / 1024
    res["cpu_seconds"] = use.ru_utime + use.ru_stime  # the whole child, its setup included
    print("RESULT " + json.dumps(res))


def run_child(which: str, config: str, out: Path) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", which, "--config", config, "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise SystemExit(f"{which} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--users", type=int, default=172_000, help="sample users (172k gives about 21M raw events)"
    )
    ap.add_argument("--months", type=int, default=12)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--skip-pandas", action="store_true")
    ap.add_argument("--child", choices=["kit", "pandas", "floor"])
    ap.add_argument(
        "--floor",
        action="store_true",
        help="also time the kit's necessary steps one by one (read, write, dedup, user_day)",
    )
    ap.add_argument("--config")
    ap.add_argument("--out")
    args = ap.parse_args()
    if args.child:
        child(args.child, args.config, args.out)
        return
    data = OUT / f"sample_{args.users}u_{args.months}m_s{args.seed}"
    if not (data / "persona.yaml").exists():
        from helpers.sample.generator import generate_sample

        t0 = time.perf_counter()
        generate_sample(data, users=args.users, months=args.months, seed=args.seed)
        print(f"generated {data} in {time.perf_counter() - t0:.1f} s")
    config = str(data / "persona.yaml")
    k = run_child("kit", config, OUT / "user_day_kit.parquet")
    n = k["raw_events"]
    print(
        f"kit    : {k['seconds']:8.1f} s  {n / k['seconds']:12,.0f} events/s  peak RSS {k['peak_rss_mb']:6.0f} MB"
        f"   ({n:,} raw events; audit + every cleaned table + user_day written; {k['cpu_seconds']:.0f} CPU-s)"
    )
    if args.floor:
        f = run_child("floor", config, OUT / "user_day_floor.parquet")
        print(
            "floor  : the necessary steps alone, each one query (the differences are each step's cost):"
        )
        steps = [
            ("read", "parse every mapped column of the event sources"),
            ("write", "read + write the mapped rows as Parquet"),
            ("dedup", "read + distinct rows per source + write"),
            ("user_day", "user_day from the distinct rows"),
        ]
        for name, what in steps:
            print(f"         {name:9s}{f[name]:8.1f} s   {what}")
        lower = f["dedup"] + f["user_day"]
        print(
            f"         sum of dedup and user_day {lower:.1f} s: the kit's build is {k['seconds'] / lower:.2f}x that"
        )
    if args.skip_pandas:
        return
    p = run_child("pandas", config, OUT / "user_day_pandas.parquet")
    print(
        f"pandas : {p['reduce_seconds']:8.1f} s  {n / p['reduce_seconds']:12,.0f} events/s  peak RSS {p['peak_rss_mb']:6.0f} MB"
        f"   (to user_day in memory; {p['cpu_seconds']:.0f} CPU-s with the files written)"
    )
    print(
        f"pandas : {p['seconds']:8.1f} s  {n / p['seconds']:12,.0f} events/s  {'':>20}   "
        f"(with cleaned events, orders and user_day written as Parquet, as the kit does)"
    )
    print(
        f"ratio  : kit is {p['reduce_seconds'] / k['seconds']:.1f}x faster than pandas' reduction alone, "
        f"{p['seconds'] / k['seconds']:.1f}x with the same files written; "
        f"{k['peak_rss_mb'] / p['peak_rss_mb']:.2f}x its peak memory"
    )
    if args.floor:
        print(
            f"bound  : the necessary steps alone would be {p['reduce_seconds'] / lower:.1f}x faster than pandas' "
            f"reduction, {p['seconds'] / lower:.1f}x with the same files written (the best any DuckDB build caching the cleaned events could do here)"
        )
    diff = compare(OUT / "user_day_kit.parquet", OUT / "user_day_pandas.parquet")
    print(
        f"check  : user_day identical in every row and column: {'yes' if not diff else 'NO: ' + diff}"
    )
    if diff:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
