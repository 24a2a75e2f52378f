"""Scale benchmark: the kit's pipeline out of core on DuckDB (memory-limited) and on local Spark.

For each size it generates (or reuses) a sample under ``benchmarks/out/`` and runs, in a child
process per run: ingestion + cleaning + ``user_day`` (``load_project`` with a fresh cache) and the
active-user aggregates a review needs (DAU/WAU/MAU per day of the last complete month, and 12
months of calendar MAU). It prints wall time, raw events per second and peak RSS of the whole
process tree (Python plus Spark's JVM, sampled every 0.2 s).

    # DuckDB with a 4 GB memory limit at ~20M and ~100M events (cost growth 20M -> 100M)
    python benchmarks/bench_scale.py duckdb --users 175000 --memory-limit 4GB
    python benchmarks/bench_scale.py duckdb --users 175000 --replicate 5   # ~100M from the 20M sample
    # local Spark beside DuckDB on the same ~5M events (Spark's overhead)
    python benchmarks/bench_scale.py both --users 45000
    python benchmarks/bench_scale.py both --users 2000 --quick        # smoke run

Results are appended to ``benchmarks/out/scale_results.jsonl``. Big samples take several GB of
disk: delete ``benchmarks/out/sample_*`` when done. Not part of ``make test``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"


def _peak_rss_sampler(stop: threading.Event, peak: list) -> None:
    import psutil

    me = psutil.Process()
    while not stop.is_set():
        total = 0
        for p in [me, *me.children(recursive=True)]:
            try:
                total += p.memory_info().rss
            except psutil.Error:
                pass
        peak[0] = max(peak[0], total)
        stop.wait(0.2)


def child(config: str) -> None:
    """One run in this process: build the project from scratch, then the active-user aggregates."""
    import pandas as pd

    from helpers.analysis.activity.rolling import monthly_active, rolling_active
    from helpers.core.config import load_config
    from helpers.data.pipeline import load_project

    stop, peak = threading.Event(), [0]
    sampler = threading.Thread(target=_peak_rss_sampler, args=(stop, peak), daemon=True)
    sampler.start()
    cfg = load_config(config)
    shutil.rmtree(cfg.cache_path, ignore_errors=True)
    t0 = time.perf_counter()
    project = load_project(cfg, progress=True)
    t_build = time.perf_counter() - t0
    month = project.latest_complete_month()
    start = pd.Timestamp(f"{month}-01").date()
    end = (pd.Timestamp(start) + pd.offsets.MonthEnd(0)).date()
    daily = rolling_active(project.user_day, start=start, end=end).daily
    monthly = monthly_active(project.user_day, month=month, history=12).monthly
    seconds = time.perf_counter() - t0
    stop.set()
    sampler.join()
    raw_events = sum(s.rows_in for s in project.audit.sources.values() if s.table == "events")
    print(
        "RESULT "
        + json.dumps(
            {
                "engine": cfg.engine.kind,
                "memory_limit": cfg.engine.memory_limit,
                "raw_events": int(raw_events),
                "user_day_rows": int(project.audit.to_json()["user_day"]["rows"]),
                "build_seconds": round(t_build, 1),
                "aggregate_seconds": round(seconds - t_build, 1),
                "seconds": round(seconds, 1),
                "peak_rss_mb": round(peak[0] / 2**20),
                "mau": int(monthly["mau"].iloc[-1]),
                "dau_last": int(daily["dau"].iloc[-1]),
                "month": month,
            }
        )
    )


def sample_dir(users: int, months: int, seed: int) -> Path:
    """The sample for these arguments (shared with bench_user_day.py), generated if missing."""
    data = OUT / f"sample_{users}u_{months}m_s{seed}"
    if not (data / "persona.yaml").exists():
        from helpers.sample.generator import generate_sample

        t0 = time.perf_counter()
        generate_sample(data, users=users, months=months, seed=seed)
        print(f"generated {data} in {time.perf_counter() - t0:.1f} s", flush=True)
    return data


def replicate(src: Path, copies: int) -> Path:
    """A ``copies``-times larger log: id-disjoint copies of a sample (ids suffixed ``_k``).

    Same files, formats and per-user behaviour, ``copies`` times the users and rows, so the
    sizes compare like for like; writing it takes minutes where generating as many users
    takes about an hour on two cores. Benchmark data preparation only (plain DuckDB).
    """
    import duckdb

    dst = OUT / f"{src.name}_x{copies}"
    if (dst / "persona.yaml").exists():
        return dst
    t0 = time.perf_counter()
    (dst / "web_events").mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")

    def sfx(col):
        return f"CASE WHEN {col} IS NULL THEN NULL ELSE {col} || '_' || k END AS {col}"

    def copies_of(select_from: str, id_cols: list[str], other: str) -> str:
        ids = ", ".join(sfx(c) for c in id_cols)
        return f"SELECT {ids}, {other} FROM {select_from}, range({copies}) r(k)"

    jobs = [
        (
            "app_events.csv.gz",
            f"read_csv('{src}/app_events.csv.gz', all_varchar=true)",
            ["uid", "session"],
            "ts_ms, action, device",
            "(FORMAT csv, HEADER, COMPRESSION gzip)",
        ),
        (
            "orders.parquet",
            f"read_parquet('{src}/orders.parquet')",
            ["order_id", "uid"],
            "paid_at, total",
            "(FORMAT parquet)",
        ),
        (
            "users.csv",
            f"read_csv('{src}/users.csv', all_varchar=true)",
            ["id"],
            "created_at, age, gender, city, channel, platform, plan, joined_community",
            "(FORMAT csv, HEADER)",
        ),
        (
            "identities.csv",
            f"read_csv('{src}/identities.csv', all_varchar=true)",
            ["anonymous_id", "user_id"],
            "1 AS _x",
            "(FORMAT csv, HEADER)",
        ),
        (
            "assignments.csv",
            f"read_csv('{src}/assignments.csv', all_varchar=true)",
            ["user_id"],
            "experiment, variant, assigned_at",
            "(FORMAT csv, HEADER)",
        ),
    ]
    for name, rel, ids, other, fmt in jobs:
        q = copies_of(rel, ids, other)
        if name == "identities.csv":
            q = f"SELECT anonymous_id, user_id FROM ({q})"
        con.execute(f"COPY ({q}) TO '{dst / name}' {fmt}")
    for i, part in enumerate(sorted((src / "web_events").glob("*.parquet"))):
        q = copies_of(f"read_parquet('{part}')", ["anon_id", "member_id"], "time, event, page")
        con.execute(
            f"COPY ({q}) TO '{dst / 'web_events' / f'part-{i:04d}.parquet'}' (FORMAT parquet)"
        )
    con.close()
    (dst / "persona.yaml").write_text(
        (src / "persona.yaml")
        .read_text()
        .replace("name: Sample shop", f"name: Sample shop x{copies}")
    )
    print(
        f"replicated {src.name} x{copies} into {dst} in {time.perf_counter() - t0:.1f} s",
        flush=True,
    )
    return dst


def engine_config(data: Path, which: str, memory_limit: str | None) -> str:
    """A copy of the sample's persona.yaml with ``engine:`` set and its own cache folder."""
    import yaml

    raw = yaml.safe_load((data / "persona.yaml").read_text())
    if which == "duckdb":
        raw["engine"] = {
            "kind": "duckdb",
            **({"memory_limit": memory_limit} if memory_limit else {}),
        }
    else:
        raw["engine"] = {
            "kind": "spark",
            "master": "local[2]",
            "conf": {"spark.driver.memory": "6g", "spark.sql.shuffle.partitions": "8"},
        }
    tag = f"{which}{memory_limit or ''}"
    raw["cache_dir"] = str(OUT / f"cache_{data.name}_{tag}")
    path = data / f"persona_{tag}.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return str(path)


def run_child(config: str) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", config], capture_output=True, text=True, cwd=ROOT
    )
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            res = json.loads(line[7:])
            import yaml

            shutil.rmtree(
                yaml.safe_load(Path(config).read_text())["cache_dir"], ignore_errors=True
            )
            return res
    raise SystemExit(f"run of {config} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-4000:]}")


def line(r: dict) -> str:
    name = r["engine"] + (f" (memory_limit {r['memory_limit']})" if r.get("memory_limit") else "")
    return (
        f"{name:<28} {r['raw_events']:>13,} events  {r['seconds']:8.1f} s  "
        f"(build {r['build_seconds']:.1f} + aggregates {r['aggregate_seconds']:.1f})  "
        f"{r['raw_events'] / r['seconds']:>11,.0f} events/s  peak RSS {r['peak_rss_mb']:>6,} MB"
    )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("engines", nargs="?", default="duckdb", choices=["duckdb", "spark", "both"])
    ap.add_argument(
        "--users",
        type=int,
        nargs="+",
        default=[700_000, 3_500_000],
        help="sample sizes in users (700k ~ 20M events, 3.5M ~ 100M, 175k ~ 5M)",
    )
    ap.add_argument("--months", type=int, default=12)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--memory-limit", default="4GB", help="DuckDB memory_limit (spills to disk beyond it)"
    )
    ap.add_argument("--quick", action="store_true", help="smoke run: 2 months")
    ap.add_argument(
        "--replicate",
        type=int,
        default=1,
        help="run on K id-disjoint copies of each sample (e.g. 700k users x5 ~ 100M events)",
    )
    ap.add_argument("--child")
    args = ap.parse_args()
    if args.child:
        child(args.child)
        return
    months = 2 if args.quick else args.months
    engines = ["duckdb", "spark"] if args.engines == "both" else [args.engines]
    results = []
    for users in args.users:
        data = sample_dir(users, months, args.seed)
        if args.replicate > 1:
            data = replicate(data, args.replicate)
        for which in engines:
            r = run_child(
                engine_config(data, which, args.memory_limit if which == "duckdb" else None)
            )
            r["users"] = users * args.replicate
            results.append(r)
            print(line(r), flush=True)
            with open(OUT / "scale_results.jsonl", "a") as f:
                f.write(json.dumps(r) + "\n")
    duck = [r for r in results if r["engine"] == "duckdb"]
    if len(duck) >= 2:
        a, b = duck[0], duck[-1]
        ev, tm = b["raw_events"] / a["raw_events"], b["seconds"] / a["seconds"]
        print(
            f"growth : {ev:.2f}x the events took {tm:.2f}x the time (linear = {ev:.2f}x); "
            f"peak RSS {a['peak_rss_mb']:,} -> {b['peak_rss_mb']:,} MB"
        )
    spark = [r for r in results if r["engine"] == "spark"]
    for s in spark:
        d = next((r for r in duck if r["users"] == s["users"]), None)
        if d:
            same = (d["user_day_rows"], d["mau"], d["dau_last"]) == (
                s["user_day_rows"],
                s["mau"],
                s["dau_last"],
            )
            print(
                f"spark  : {s['seconds'] / d['seconds']:.1f}x DuckDB's time and {s['peak_rss_mb'] / d['peak_rss_mb']:.1f}x "
                f"its peak RSS on the same {s['raw_events']:,} events; same user_day rows, MAU and DAU: "
                f"{'yes' if same else 'NO'}"
            )


if __name__ == "__main__":
    main()
