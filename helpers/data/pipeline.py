"""Load a project: sources -> staged -> cleaned tables + ``user_day``, cached as Parquet.

The cache lives under ``cache_dir/<key>/``, where the key hashes the validated config, the
source files' paths, sizes and modification times, and :data:`CLEANING_VERSION`. Six notebooks
therefore clean the data once; a changed file or config builds a new cache. Builds are guarded
by a file lock, so parallel notebooks never build the same cache twice.

Examples
--------
>>> from helpers.data.pipeline import load_project
>>> project = load_project("data/sample/persona.yaml")        # doctest: +SKIP
>>> project.latest_complete_month()                           # doctest: +SKIP
'2026-10'
>>> project.user_day.count().execute() > 0                    # doctest: +SKIP
True
"""

from __future__ import annotations

import calendar
import dataclasses
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

from helpers import __version__
from helpers.core import schema
from helpers.core.config import Config, load_config
from helpers.core.errors import DataError
from helpers.data import (
    activity_checks,
    cleaning,
    engine,
    event_cleaning,
    sources,
    storage,
    userday,
)
from helpers.data.audit import Audit, UserDaySpan

# 10: orders from purchase_events; 9: default valid range 1990-01-01 .. the day after the build; 8: offsets per value, NaN amounts
CLEANING_VERSION = "10"
TABLES = ("events", "orders", "users", "identities", "assignments", "campaigns")


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


def _stage(con, cfg: Config, folder: Path, store: storage.CacheStore):
    """Mapped tables. Small ones are stored and checked now; events stay lazy (the cleaning
    reads the raw files once, grouping them); the returned function raises on the counts of
    their values that did not parse."""
    staged = {}
    checks = {}
    for table in TABLES:
        deferred: dict = {}
        if table == "events":  # read once, by the cleaning (see event_cleaning.clean_events)
            staged[table] = (
                sources.read_table(con, cfg, table, deferred=deferred, parts=True) or None
            )
            checks[table] = deferred
            continue
        t = sources.read_table(con, cfg, table, stage_dir=None, deferred=deferred)
        if t is None:
            staged[table] = t
            checks[table] = deferred
            continue
        staged[table] = sources.check_deferred(store.write(t, f"staged_{table}"), deferred)
    return staged, (lambda counts: sources.raise_deferred(counts, checks.get("events", {})))


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


def _build_or_explain(cfg: Config, folder: Path, *, progress: bool = False) -> dict:
    """:func:`build_cache`, with the engine's own read errors re-said as a DataError.

    Text sources are parsed lazily, in the first pass over the rows, so a malformed line deep
    in a CSV (a row with too many columns, say) surfaces there; the message names the config
    and the files and keeps the engine's line number and the offending line.
    """
    try:
        return build_cache(cfg, folder, progress=progress)
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


def build_cache(cfg: Config, folder: Path, *, progress: bool = False) -> dict:
    """Read, clean and reduce every source into ``folder`` (Parquet + audit.json + meta.json)."""
    t0 = time.perf_counter()
    tmp = folder.with_name(folder.name + ".building")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    con = _connect(cfg, tmp / "spill", building=True)
    store = storage.CacheStore(con, tmp, folder.name)
    say = (
        (lambda m: print(f"[persona-kit {time.perf_counter() - t0:6.1f}s] {m}", flush=True))
        if progress
        else (lambda m: None)
    )
    say(f"reading sources of {cfg.config_path}")
    staged, check_events = _stage(con, cfg, tmp, store)
    say("cleaning")

    def materialize(expr, name):
        # the distinct event rows are stored once, under their final name
        # (see event_cleaning.kept_events)
        return store.write(expr, "events" if name == "events" else f"work_{name}")

    cleaned = cleaning.clean(staged, cfg, materialize=materialize, check_events=check_events)
    stored = {
        name: t if name == "events" else store.write(t, name)
        for name, t in cleaned.tables.items()
        if t is not None
    }
    events, orders = stored.get("events"), stored.get("orders")
    say("writing cleaned tables done; building user_day")
    # purchase events became orders: counted once, as orders (the `order` event)
    activity_events = (
        events.filter(~events[schema.EVENT_NAME].isin(list(cfg.purchase_events)).fill_null(False))
        if events is not None and cfg.purchase_events and orders is not None
        else events
    )
    names = userday.event_name_counts(activity_events)
    ud = userday.build_user_day(
        activity_events,
        orders,
        activity=cfg.activity,
        event_names=list(names[schema.EVENT_NAME][: userday.MAX_EVENT_COLUMNS]),
    )
    udt = store.write(ud, "user_day")
    span = (
        udt.aggregate(
            a=udt[schema.DAY].min(),
            b=udt[schema.DAY].max(),
            n=udt.count(),
            users=udt[schema.USER_ID].nunique(),
        )
        .execute()
        .iloc[0]
    )
    if int(span["n"]) == 0:
        raise DataError(
            f"{cfg.config_path}: no rows are left after cleaning; see the audit "
            f"(ledger: {json.dumps({k: v.dropped for k, v in cleaned.audit.sources.items()})})"
        )
    say("daily volume")
    vol = activity_checks.daily_volume(
        activity_events, orders, threshold=cfg.audit.spike_threshold
    )
    vol.to_parquet(tmp / "daily_volume.parquet", index=False)
    audit = dataclasses.replace(
        cleaned.audit,
        orphans=activity_checks.orphan_checks(
            udt, stored.get("users"), events=events is not None, orders=orders is not None
        ),
        user_day=UserDaySpan(
            rows=int(span["n"]),
            users=int(span["users"]),
            first_day=str(pd.Timestamp(span["a"]).date()),
            last_day=str(pd.Timestamp(span["b"]).date()),
        ),
        event_names={r[schema.EVENT_NAME]: int(r["rows"]) for _, r in names.iterrows()},
        volume_flags=activity_checks.volume_flags(vol),
    )
    (tmp / "audit.json").write_text(json.dumps(audit.to_json(), indent=1))
    meta = {
        "data_start": audit.user_day.first_day,
        "data_end": audit.user_day.last_day,
        "event_names": list(names[schema.EVENT_NAME]),
        "kit_version": __version__,
        "build_seconds": round(time.perf_counter() - t0, 3),
        "tables": [k for k, v in cleaned.tables.items() if v is not None],
    }
    (tmp / "meta.json").write_text(json.dumps(meta, indent=1))
    for name in [*(f"staged_{t}" for t in TABLES), "work_idmap", "work_purchase_orders"]:
        store.drop(name)
    for p in tmp.glob("raw_*.parquet"):
        shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink()
    shutil.rmtree(tmp / "spill", ignore_errors=True)
    engine.close(con)
    if folder.exists():
        shutil.rmtree(folder)
    tmp.rename(folder)
    say(f"cache ready in {meta['build_seconds']:.1f} s: {folder}")
    removed = prune_caches(folder.parent, keep=KEEP_CACHES)
    if removed:
        say(
            f"removed {len(removed)} older cache(s) of {folder.parent}: "
            f"{', '.join(p.name for p in removed)} (the {KEEP_CACHES} most recently used stay)"
        )
    return meta


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
                built = _build_or_explain(cfg, folder, progress=progress)["build_seconds"]
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    con = _connect(cfg)
    store = storage.CacheStore(con, folder, key)
    meta = json.loads((folder / "meta.json").read_text())
    try:
        os.utime(folder / "meta.json")  # used now: the cache pruning keeps the recent ones
    except OSError:  # a read-only cache is still a cache
        pass
    tables = {name: store.open(name) for name in TABLES}
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
