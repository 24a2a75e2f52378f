"""Load a project: sources -> staged -> cleaned tables + ``user_day``, cached as Parquet.

The cache lives under ``cache_dir/<key>/``, where the key hashes the validated config, the
source files' paths, sizes and modification times, and :data:`CLEANING_VERSION`. Six notebooks
therefore clean the data once. Builds are guarded by a file lock, so parallel notebooks never
build the same cache twice.

Monthly refresh: when the event or order sources gain files (a glob matches a new export, a new
partition lands) and every file an earlier cache read is unchanged (same path, size and
modification time), the new cache **extends** that one instead of cleaning the whole history
again (:mod:`helpers.data.incremental` decides, :mod:`helpers.data.cache_build` builds):

* the new cache folder starts as hard links to the earlier one's files (no copy; each version
  stays whole, so a notebook still reading the old one is not disturbed, and
  :func:`prune_caches` removes old versions as before);
* only the new files are read. Their distinct event rows are stored as this build's parts
  (:mod:`helpers.data.parts`); a row equal to one an earlier build stored (a duplicate across two
  files) only adds its copies to it, so duplicates stay exact across files;
* identities: the map is remade from the identities table and the id pairs of every build's
  rows; the rows of earlier builds whose anonymous id now maps differently are stitched again
  (their part rewritten), the others are kept (:mod:`helpers.data.event_build`);
* orders are cleaned again from every build's staged rows (Parquet), so a repeated order id is
  caught across files; the small tables (users, identities, assignments, campaigns, feedback) are read
  again in full, or reused when their files are the same;
* ``user_day`` is reduced again only for the (user, day) keys whose kept rows changed;
* the event ledger adds the new rows' counts (and those of repeated copies and re-stitched
  rows) to the last build's: the numbers aggregating every stored row gives. ``meta.json``
  lists every build (``builds``: its kind, the reason, the files it read, the rows it added to
  each source's ledger), and ``build.log`` holds the build's log.

A changed or removed event or order file, another config or cleaning version, a source that is
an engine table, a warehouse engine, or ``rebuild=True`` makes a full build; the log's first
line says why, naming the file. An incremental build equals a full build of the same files
(``tests/data/test_incremental.py``).

Examples
--------
>>> from helpers.data.pipeline import load_project
>>> project = load_project("data/sample/persona.yaml")        # doctest: +SKIP
>>> project.latest_complete_month()                           # doctest: +SKIP
'2026-10'
>>> project.user_day.count().execute() > 0                    # doctest: +SKIP
True
>>> project.meta["build"]["kind"], project.meta["build"]["reason"]   # doctest: +SKIP
('incremental', 'extends cache 3f2a...: every event and order file it read is unchanged; ...')
"""

from __future__ import annotations

import calendar
import contextlib
import datetime as _dt
import fcntl
import hashlib
import json
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import ibis
import pandas as pd

from helpers.core import schema
from helpers.core.config import Config, load_config
from helpers.core.errors import DataError
from helpers.data import cache_build, engine, event_cleaning, incremental, parts, sources, storage
from helpers.data.audit import Audit
from helpers.data.cleaning_rules import effective_bounds, utc_bound

# 11: events kept in parts per build (incremental builds); 10: orders from purchase_events; 9: default valid range 1990-01-01 .. the day after the build; 8: offsets per value, NaN amounts
CLEANING_VERSION = "11"
TABLES = tuple(schema.TABLES)  # every canonical table, in schema order


def fingerprint(cfg: Config) -> str:
    """Hash of the validated config, the source files' size/mtime and the cleaning version."""
    payload = {
        "config": cfg.digest(),
        "files": sources.source_signature(cfg),
        "cleaning": CLEANING_VERSION,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:20]


@dataclass
class Project:
    """A project's cleaned data, opened from the cache.

    Attributes
    ----------
    config : Config
    con : ibis connection (the configured engine: DuckDB, Spark or a warehouse)
    tables : dict of ibis.Table or None
        Cleaned ``events``, ``orders``, ``users``, ``identities``, ``assignments``.
    user_day : ibis.Table
    audit : Audit
        Ledger and checks per source, and of the whole (:class:`helpers.data.audit.Audit`).
    daily_volume : pandas.DataFrame
    fingerprint : str
    """

    config: Config
    con: object
    tables: dict
    user_day: ibis.Table
    audit: Audit
    daily_volume: pd.DataFrame
    fingerprint: str
    cache_path: Path
    build_seconds: float | None = None
    meta: dict = field(default_factory=dict)

    @property
    def data_start(self) -> _dt.date:
        return _dt.date.fromisoformat(self.meta["data_start"])

    @property
    def data_end(self) -> _dt.date:
        return _dt.date.fromisoformat(self.meta["data_end"])

    @property
    def event_names(self) -> list[str]:
        return list(self.meta.get("event_names", []))

    def has(self, table: str) -> bool:
        return self.tables.get(table) is not None

    def latest_complete_month(self) -> str:
        """The last calendar month whose last day is covered by the data (``YYYY-MM``)."""
        end = self.data_end
        last = calendar.monthrange(end.year, end.month)[1]
        if end.day == last:
            return f"{end.year:04d}-{end.month:02d}"
        first = end.replace(day=1) - _dt.timedelta(days=1)
        return f"{first.year:04d}-{first.month:02d}"

    def dropped_events(self) -> ibis.Table | None:
        """The event rows the cleaning dropped: each distinct row once, with ``drop_reason``
        and ``copies`` (how many times it was in the source; a kept row's extra copies are the
        ``duplicate`` drops). None without an event source.

        Examples
        --------
        >>> project.dropped_events().group_by("drop_reason").aggregate(rows=_.copies.sum())  # doctest: +SKIP
        """
        stored = storage.CacheStore(self.con, self.cache_path, self.fingerprint).open("events")
        if stored is None or "drop_reason" not in stored.columns:
            return None
        dups = stored.filter(stored.drop_reason.isnull() & (stored.copies > 1))
        dups = dups.mutate(drop_reason=ibis.literal("duplicate"), copies=dups.copies - 1)
        return ibis.union(stored.filter(stored.drop_reason.notnull()), dups, distinct=False)

    def users_frame(self) -> pd.DataFrame | None:
        """The cleaned users table as pandas (one row per user), or None."""
        t = self.tables.get("users")
        return None if t is None else t.drop(schema.SOURCE).execute()


def build_memory_limit(cfg: Config) -> str:
    """DuckDB memory cap for a cache build without a configured ``engine.memory_limit``.

    Four times the size of the source files, at least 1 GB and at most 60% of the machine's
    memory. DuckDB spills beyond the cap. Measured: 21M events (0.17 GB of files) build in the
    same time under the 1 GB floor and peak at 1.25 GB RSS instead of 4.5 GB uncapped; 127M
    events (1.1 GB of files) run out of memory under 1 GB and need the larger cap.
    """
    import psutil

    files_gb = sum(f.get("size", 0) for f in sources.source_signature(cfg)) / 1e9
    ram_gb = psutil.virtual_memory().total / 1e9
    return f"{max(1.0, min(0.6 * ram_gb, 4 * files_gb)):.1f}GB"


def _connect(cfg: Config, spill: Path | None = None, *, building: bool = False):
    """The configured engine (``engine:``); a DuckDB file path resolves against the config.

    While building the cache, DuckDB without a configured ``memory_limit`` gets
    :func:`build_memory_limit` and spills beyond it.
    """
    db = cfg.engine.database
    eng = cfg.engine
    if building and eng.kind == "duckdb" and eng.memory_limit is None:
        eng = eng.model_copy(update={"memory_limit": build_memory_limit(cfg)})
    return engine.connect(
        eng,
        database=str(cfg.resolve(db)) if db else None,
        temp_directory=str(spill) if spill else None,
    )


ENGINE_ERROR_MODULES = {"duckdb", "_duckdb", "pyspark", "py4j"}


def _build_or_explain(
    cfg: Config, folder: Path, *, progress: bool = False, rebuild: bool = False
) -> dict:
    """:func:`build_cache`, with the engine's own read errors re-said as a DataError.

    Text sources are parsed lazily, in the first pass over the rows, so a malformed line deep
    in a CSV (a row with too many columns, say) surfaces there; the message names the config
    and the files and keeps the engine's line number and the offending line.
    """
    try:
        return build_cache(cfg, folder, progress=progress, rebuild=rebuild)
    except Exception as e:  # noqa: BLE001 - re-raised unchanged unless the engine raised it
        if type(e).__module__.split(".")[0] not in ENGINE_ERROR_MODULES:
            raise
        files = [
            f"{s['source']}: {s['path']}" for s in sources.source_signature(cfg) if "path" in s
        ]
        detail = " | ".join(line.strip() for line in str(e).strip().splitlines()[:3])
        raise DataError(
            f"{cfg.config_path}: the engine could not read the sources while building the cache: "
            f"{detail}. Files read: {'; '.join(files[:8])}"
        ) from None
    finally:
        shutil.rmtree(folder.with_name(folder.name + ".building"), ignore_errors=True)


def _caches(base: Path, *, but: str) -> list[Path]:
    """The finished cache folders of ``base`` other than ``but``, most recently used first."""

    def used(p: Path) -> float:
        try:
            return (p / "meta.json").stat().st_mtime
        except FileNotFoundError:
            return float("-inf")

    found = [
        p
        for p in base.iterdir()
        if p.is_dir()
        and _CACHE_NAME.match(p.name)
        and p.name != but
        and (p / "meta.json").exists()
    ]
    return sorted(found, key=used, reverse=True)


def _bounds_moved(con, cfg: Config, plan: incremental.BuildPlan, bounds) -> str | None:
    """Why the base cannot be extended because the valid time range moved (without
    ``audit.valid_until`` it ends the day after the build) over rows it holds, else None."""
    before = plan.base_meta["manifest"]["bounds"]
    now = [str(b) for b in bounds]
    moved = 0
    for old, new in zip(before, now):
        if old == new:
            continue
        lo, hi = sorted(_dt.date.fromisoformat(d) for d in (old, new))
        a, b = (ibis.literal(utc_bound(d, cfg.timezone), type=engine.TS_UTC) for d in (lo, hi))
        for name, col in (("events", schema.EVENT_TIME), ("staged_orders", schema.ORDER_TIME)):
            files = parts.list_parts(plan.base / f"{name}.parquet")
            if files:
                t = storage.read_parquet(con, files)
                moved += int(t.filter((t[col] >= a) & (t[col] < b)).count().execute())
    if not moved:
        return None
    return (
        f"the valid time range moved from {before[0]}..{before[1]} to {now[0]}..{now[1]} (set "
        f"`audit.valid_until` to keep it fixed) and {moved:,} rows of earlier files fall "
        "between the two, so their fate changes"
    )


def build_cache(
    cfg: Config, folder: Path, *, progress: bool = False, rebuild: bool = False
) -> dict:
    """Read, clean and reduce every source into ``folder`` (Parquet + audit.json + meta.json):
    in full, or extending an earlier cache of ``cache_dir`` (see the module docs)."""
    t0 = time.perf_counter()
    tmp = folder.with_name(folder.name + ".building")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    log: list[str] = []

    def say(m):
        line = f"[persona-kit {time.perf_counter() - t0:6.1f}s] {m}"
        log.append(line)
        if progress:
            print(line, flush=True)

    bounds = effective_bounds(cfg)
    current = incremental.manifest(cfg, sources.source_signature(cfg), CLEANING_VERSION, bounds)
    con = _connect(cfg, tmp / "spill", building=True)
    plan = incremental.plan_build(
        cfg,
        current,
        _caches(folder.parent, but=folder.name),
        in_files=engine.backend_name(con) in engine.FILE_BACKENDS,
        rebuild=rebuild,
    )
    with _base_lock(plan.base):  # a base being read is not pruned meanwhile
        if plan.incremental and not (plan.base / "meta.json").exists():
            plan = plan.full(f"the cache it would extend ({plan.base.name}) was just removed")
        if plan.incremental:
            moved = _bounds_moved(con, cfg, plan, bounds)
            plan = plan.full(moved) if moved else plan
        say(f"{plan.kind} build: {plan.reason}")
        meta = cache_build.build(cfg, con, tmp, plan, tables=TABLES, say=say, t0=t0)
    meta["manifest"] = current
    engine.close(con)
    say(f"cache ready in {meta['build_seconds']:.1f} s: {folder}")
    (tmp / "meta.json").write_text(json.dumps(meta, indent=1))
    (tmp / "build.log").write_text("\n".join(log) + "\n")
    if folder.exists():
        shutil.rmtree(folder)
    tmp.rename(folder)
    removed = prune_caches(folder.parent, keep=KEEP_CACHES)
    if removed:
        say(
            f"removed {len(removed)} older cache(s) of {folder.parent}: "
            f"{', '.join(p.name for p in removed)} (the {KEEP_CACHES} most recently used stay)"
        )
        with open(folder / "build.log", "a") as f:
            f.write(log[-1] + "\n")
    return meta


@contextlib.contextmanager
def _base_lock(base: Path | None):
    """A shared hold on a cache's lock: :func:`prune_caches` skips a cache held so."""
    if base is None:
        yield
        return
    with open(base.parent / f".{base.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


#: Cache folders kept under ``cache_dir``: each change of the data or the cleaning settings
#: builds a new one; older ones beyond these are removed after a build.
KEEP_CACHES = 3
_CACHE_NAME = re.compile(r"^[0-9a-f]{20}$")


def prune_caches(base: Path, *, keep: int = KEEP_CACHES) -> list[Path]:
    """Remove the cache folders of ``base`` beyond the ``keep`` most recently used ones (a
    folder's ``meta.json`` is touched each time it is opened); returns the removed folders.

    Only folders named like a cache key and holding a ``meta.json`` are considered, and a folder
    whose lock another process holds (a build of it under way) is left alone.
    """
    caches = [
        p
        for p in base.iterdir()
        if p.is_dir() and _CACHE_NAME.match(p.name) and (p / "meta.json").exists()
    ]

    def used(p: Path) -> float:
        try:
            return (p / "meta.json").stat().st_mtime
        except FileNotFoundError:  # removed meanwhile by another build's pruning
            return float("-inf")

    caches.sort(key=used, reverse=True)
    removed = []
    for old in caches[keep:]:
        lock_path = base / f".{old.name}.lock"
        with open(lock_path, "w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue
            shutil.rmtree(old, ignore_errors=True)
        # the lock file stays: a process waiting on it must lock the same file as a newcomer
        removed.append(old)
    return removed


def load_project(
    config: Config | str | Path, *, rebuild: bool = False, progress: bool = False
) -> Project:
    """Open a project's cleaned data, building the cache if it is missing or stale.

    Parameters
    ----------
    config : Config or path
        A loaded config, or the path of a ``persona.yaml``.
    rebuild : bool
        Build the cache even if a current one exists.
    progress : bool
        Print one line per build step.

    Returns
    -------
    Project
    """
    cfg = config if isinstance(config, Config) else load_config(config)
    key = fingerprint(cfg)
    base = cfg.cache_path
    base.mkdir(parents=True, exist_ok=True)
    folder = base / key
    built = None
    with open(base / f".{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if rebuild or not (folder / "meta.json").exists():
                meta = _build_or_explain(cfg, folder, progress=progress, rebuild=rebuild)
                built = meta["build_seconds"]
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    con = _connect(cfg)
    store = storage.CacheStore(con, folder, key)
    meta = json.loads((folder / "meta.json").read_text())
    try:
        os.utime(folder / "meta.json")  # used now: the cache pruning keeps the recent ones
    except OSError:  # a read-only cache is still a cache
        pass
    # (the kept events do not depend on the copies a later build added: read without them)
    tables = {name: store.open(name, extra_copies=False) for name in TABLES}
    if tables["events"] is not None:
        tables["events"] = event_cleaning.kept_events(tables["events"])
    ud = store.open("user_day")
    audit = Audit.from_json(json.loads((folder / "audit.json").read_text()))
    vol = pd.read_parquet(folder / "daily_volume.parquet")
    return Project(
        config=cfg,
        con=con,
        tables=tables,
        user_day=ud,
        audit=audit,
        daily_volume=vol,
        fingerprint=key,
        cache_path=folder,
        build_seconds=built,
        meta=meta,
    )
