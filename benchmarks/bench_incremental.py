"""Benchmark: the monthly refresh. A full cache build of 11 months, an incremental build adding
the 12th, and a full build of all 12, in one run, on a sample split into monthly files.

Generates (or reuses, the same folder as ``bench_user_day.py``) a sample, splits its exports
into one file per calendar month (UTC) as a monthly export would land them
(``app_events_2026-01.csv.gz``..., ``web_events/2026-01.parquet``..., ``orders_2026-01.parquet``...)
and holds the last month's files back. Each build runs in its own child process, so peak
memory (max RSS) is measured separately:

1. ``full 11``: a fresh cache of the first 11 months (and the rows dated outside the window,
   which land in their own months' files);
2. ``incremental``: the 12th month's files land beside them; ``load_project`` extends the cache;
3. ``full 12``: a fresh cache of all the files, in another cache folder.

It prints each build's time, events per second (the incremental build's new rows per second),
CPU time and peak RSS, the ratio incremental / full 12 (the target is at most 0.2), and checks
that the incremental build equals the full one: ``user_day`` row by row and column by column,
and every source's ledger.

    python benchmarks/bench_incremental.py                  # 172k users, ~21M raw events
    python benchmarks/bench_incremental.py --users 20000    # ~2.5M, a quick run
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"


def split_monthly(sample: Path, out: Path) -> list[Path]:
    """The sample's event and order exports as one file per UTC month in ``out`` (text kept as
    text), its small tables copied, and a ``persona.yaml`` whose sources are globs over them;
    returns the files of the last month of the window (moved to ``out/later``)."""
    import duckdb
    import yaml

    shutil.rmtree(out, ignore_errors=True)
    (out / "web_events").mkdir(parents=True)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    work = out / "_split"
    jobs = [
        (
            f"SELECT *, strftime(make_timestamp(TRY_CAST(ts_ms AS BIGINT) * 1000), '%Y-%m') AS m "
            f"FROM read_csv('{sample / 'app_events.csv.gz'}', all_varchar = true)",
            "(FORMAT csv, HEADER, COMPRESSION gzip, PARTITION_BY (m))",
            "csv.gz",
            lambda m: out / f"app_events_{m}.csv.gz",
        ),
        (
            f"SELECT *, substr(time, 1, 7) AS m FROM read_parquet('{sample / 'web_events'}/*.parquet')",
            "(FORMAT parquet, PARTITION_BY (m))",
            "parquet",
            lambda m: out / "web_events" / f"{m}.parquet",
        ),
        (
            f"SELECT *, strftime(paid_at, '%Y-%m') AS m FROM read_parquet('{sample / 'orders.parquet'}')",
            "(FORMAT parquet, PARTITION_BY (m))",
            "parquet",
            lambda m: out / f"orders_{m}.parquet",
        ),
    ]
    for query, options, ext, target in jobs:
        shutil.rmtree(work, ignore_errors=True)
        con.execute(f"COPY ({query}) TO '{work}' {options}")
        for part in sorted(work.iterdir()):
            files = sorted(part.glob(f"*.{ext}"))
            assert len(files) == 1, files
            files[0].rename(target(part.name.split("=", 1)[1]))
    shutil.rmtree(work, ignore_errors=True)
    con.close()
    for name in ("users.csv", "identities.csv", "assignments.csv", "campaigns.csv"):
        if (sample / name).exists():
            shutil.copy(sample / name, out / name)
    raw = yaml.safe_load((sample / "persona.yaml").read_text())
    raw["sources"]["events"][0]["path"] = "app_events_*.csv.gz"
    raw["sources"]["events"][1]["path"] = "web_events/*.parquet"
    raw["sources"]["orders"]["path"] = "orders_*.parquet"
    for table in ("users", "identities", "assignments", "campaigns"):
        if table in raw["sources"] and not (out / Path(raw["sources"][table]["path"])).exists():
            del raw["sources"][table]
    raw["cache_dir"] = "cache"
    (out / "persona.yaml").write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True))
    last = json.loads((sample / "truth.json").read_text())["latest_complete_month"]
    later = out / "later"
    later.mkdir()
    held = [
        out / f"app_events_{last}.csv.gz",
        out / "web_events" / f"{last}.parquet",
        out / f"orders_{last}.parquet",
    ]
    for f in held:
        f.rename(later / f"{f.parent.name}__{f.name}")
    return held


def build(config: str, out: str) -> dict:
    from helpers.data.pipeline import load_project

    t0 = time.perf_counter()
    project = load_project(config)
    seconds = time.perf_counter() - t0
    b = project.meta["build"]
    events = {k for k, s in project.audit.sources.items() if s.table == "events"}
    shutil.copyfile(project.cache_path / "user_day.parquet", out)
    Path(out).with_suffix(".audit.json").write_text(
        json.dumps(project.audit.to_json()["sources"], sort_keys=True)
    )
    return {
        "seconds": seconds,
        "kind": b["kind"],
        "reason": b["reason"],
        "rows_read": sum(b["rows"][k]["rows_in"] for k in events),
        "raw_events": sum(project.audit.sources[k].rows_in for k in events),
        "stitching": b["stitching"],
        "user_day": b["user_day"],
    }


def run_child(*args: str) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True, cwd=ROOT
    )
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise SystemExit(f"child {args} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")


def prepare(users: int, months: int, seed: int) -> dict:
    """Generate (or reuse) the sample and split it; in a child, so the parent stays small (a
    child's peak RSS starts at its parent's)."""
    sample = OUT / f"sample_{users}u_{months}m_s{seed}"
    out = {}
    if not (sample / "persona.yaml").exists():
        from helpers.sample.generator import generate_sample

        t0 = time.perf_counter()
        generate_sample(sample, users=users, months=months, seed=seed)
        out["generated"] = f"generated {sample} in {time.perf_counter() - t0:.1f} s"
    monthly = OUT / f"monthly_{users}u_{months}m_s{seed}"
    t0 = time.perf_counter()
    held = split_monthly(sample, monthly)
    out["split"] = f"split into monthly files in {time.perf_counter() - t0:.1f} s: {monthly}"
    out["monthly"], out["held"] = str(monthly), [str(p) for p in held]
    return out


def same(x, y) -> bool:
    """Equal, floats to 1e-12 relative (sums of money differ in the last bits with the order
    the engine adds them in)."""
    if isinstance(x, dict) and isinstance(y, dict):
        return x.keys() == y.keys() and all(same(x[k], y[k]) for k in x)
    if isinstance(x, list) and isinstance(y, list):
        return len(x) == len(y) and all(same(a, b) for a, b in zip(x, y))
    if isinstance(x, float) or isinstance(y, float):
        return math.isclose(x, y, rel_tol=1e-12, abs_tol=1e-9)
    return x == y


def same_ledgers(a: Path, b: Path) -> str:
    """'' when the two ledgers are equal (money to 1e-12 relative), else the sources that differ."""
    x, y = (json.loads(p.read_text()) for p in (a, b))
    bad = sorted(k for k in set(x) | set(y) if not same(x.get(k), y.get(k)))
    return f"ledgers differ: {bad}" if bad else ""


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--users", type=int, default=172_000, help="sample users (172k: ~21M events)")
    ap.add_argument("--months", type=int, default=12)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--child", action="store_true")
    ap.add_argument("--config")
    ap.add_argument("--out")
    args = ap.parse_args()
    if args.child:
        if args.config is None:
            res = prepare(args.users, args.months, args.seed)
        else:
            res = build(args.config, args.out)
        use = resource.getrusage(resource.RUSAGE_SELF)
        res["peak_rss_mb"] = use.ru_maxrss / 1024
        res["cpu_seconds"] = use.ru_utime + use.ru_stime
        print("RESULT " + json.dumps(res))
        return
    prep = run_child(
        "--users", str(args.users), "--months", str(args.months), "--seed", str(args.seed)
    )
    for key in ("generated", "split"):
        if key in prep:
            print(prep[key])
    monthly, held = Path(prep["monthly"]), [Path(p) for p in prep["held"]]
    config = monthly / "persona.yaml"
    runs = {}
    runs["full 11"] = run_child("--config", str(config), "--out", str(OUT / "inc_full11.parquet"))
    for f in held:  # the 12th month lands
        (monthly / "later" / f"{f.parent.name}__{f.name}").rename(f)
    runs["incremental"] = run_child(
        "--config", str(config), "--out", str(OUT / "inc_incremental.parquet")
    )
    fresh = monthly / "persona_full.yaml"
    fresh.write_text(config.read_text().replace("cache_dir: cache", "cache_dir: cache_full"))
    shutil.rmtree(monthly / "cache_full", ignore_errors=True)
    runs["full 12"] = run_child("--config", str(fresh), "--out", str(OUT / "inc_full12.parquet"))
    for name, r in runs.items():
        n = r["rows_read"]
        print(
            f"{name:12s}: {r['seconds']:7.1f} s  {n / r['seconds']:10,.0f} events/s  peak RSS "
            f"{r['peak_rss_mb']:6.0f} MB  {r['cpu_seconds']:5.0f} CPU-s   ({r['kind']} build, "
            f"{n:,} raw events read of {r['raw_events']:,})"
        )
    inc, full = runs["incremental"], runs["full 12"]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine     : {os.cpu_count()} cores, load average {load} (1, 5, 15 min) at the end")
    print(f"incremental : {inc['reason']}")
    print(f"              {inc['stitching']}; user_day: {inc['user_day']}")
    ratio = inc["seconds"] / full["seconds"]
    print(
        f"ratio       : incremental / full 12 = {ratio:.3f} (target <= 0.2: "
        f"{'met' if ratio <= 0.2 else 'NOT met'}); CPU {inc['cpu_seconds'] / full['cpu_seconds']:.3f}"
    )
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_user_day import compare

    diff = compare(OUT / "inc_incremental.parquet", OUT / "inc_full12.parquet") or same_ledgers(
        OUT / "inc_incremental.audit.json", OUT / "inc_full12.audit.json"
    )
    print(
        "check       : incremental equals full 12 in user_day and every ledger: "
        f"{'yes' if not diff else 'NO: ' + diff}"
    )
    if inc["kind"] != "incremental" or diff:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
