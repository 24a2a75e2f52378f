"""Whether a cache build can extend an earlier cache, and what it must read: the build plan.

A cache records what it was built from (``meta.json``, key ``manifest``): the cache layout, the
config's digest (and a hash per top-level key, to name what changed), the cleaning version,
the valid time range it cut, and every source file with its size and modification time. When
the files change, :func:`plan_build` compares them with the manifests of the caches beside it:

* the same config, cleaning version and layout, and every event and order file of an earlier
  cache still there unchanged (same path, size and modification time): an **incremental**
  build on the cache holding the most of them. Only the new event and order files are read;
  the small tables (users, identities, assignments, campaigns...) are read again in full, so
  they may change freely (a users snapshot replaced each month is the common case).
* anything else (no earlier cache, a config or cleaning change, an event or order file changed
  or removed, a source that is an engine table, a warehouse engine, ``rebuild=True``): a
  **full** build, and :attr:`BuildPlan.reason` says why in one sentence naming the file, key or
  version.

Examples
--------
>>> p = BuildPlan("full", "first build: no earlier cache in /tmp/cache")
>>> p.incremental, p.number
(False, 0)
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from helpers.core.config import Config

__all__ = [
    "LAYOUT",
    "INCREMENTAL_TABLES",
    "BuildPlan",
    "manifest",
    "plan_build",
    "changed_files",
]

#: The cache's layout (events kept in parts per build, staged orders and identity pairs kept):
#: a cache of another layout is never extended.
LAYOUT = 2
#: The tables whose sources are read file by file: only their new files are read by an
#: incremental build. Every other table is small and read again in full.
INCREMENTAL_TABLES = ("events", "orders")


@dataclass(frozen=True)
class BuildPlan:
    """What a cache build does: ``kind`` ``full`` or ``incremental``, ``reason`` (one
    sentence), the cache folder it extends (``base``, with its ``base_meta``), the new files
    of each event and order source (``new_files``: source label -> paths) and the small tables
    whose files are the base's (``unchanged``: their cleaned table and ledger are reused)."""

    kind: str
    reason: str
    base: Path | None = None
    base_meta: dict = field(default_factory=dict)
    new_files: dict[str, list[Path]] = field(default_factory=dict)
    unchanged: tuple[str, ...] = ()

    @property
    def incremental(self) -> bool:
        return self.kind == "incremental"

    @property
    def number(self) -> int:
        """This build's number: 0 for a full build, one more than its base's otherwise."""
        if not self.incremental:
            return 0
        return int(self.base_meta.get("build", {}).get("number", 0)) + 1

    def full(self, reason: str) -> BuildPlan:
        """The same build made full, for ``reason``."""
        return BuildPlan("full", reason)


def _key_hashes(cfg: Config) -> dict[str, str]:
    dump = cfg.model_dump(mode="json", exclude={"config_path"})
    return {
        k: hashlib.sha256(json.dumps(v, sort_keys=True).encode()).hexdigest()[:12]
        for k, v in dump.items()
    }


def manifest(cfg: Config, signature: list[dict], cleaning: str, bounds) -> dict:
    """What a cache is built from, as ``meta.json`` keeps it under ``manifest``."""
    return {
        "layout": LAYOUT,
        "config": cfg.digest(),
        "config_keys": _key_hashes(cfg),
        "cleaning": cleaning,
        "bounds": [str(b) for b in bounds],
        "files": signature,
    }


def _files(sig: list[dict]) -> dict[str, dict]:
    """The files of the event and order sources, by path."""
    return {f["path"]: f for f in sig if "path" in f and f["table"] in INCREMENTAL_TABLES}


def changed_files(old: list[dict], new: list[dict]) -> str | None:
    """The first event or order file of ``old`` that ``new`` no longer has unchanged, as a
    sentence (None when every one is there with the same size and modification time).

    Examples
    --------
    >>> a = {"table": "events", "source": "app", "path": "/d/app_01.csv", "size": 10, "mtime_ns": 1}
    >>> changed_files([a], [a, {**a, "path": "/d/app_02.csv"}]) is None
    True
    >>> changed_files([a], [{**a, "size": 12}])
    "file /d/app_01.csv of source 'app' changed since the last build (10 -> 12 bytes)"
    >>> changed_files([a], [])
    "file /d/app_01.csv of source 'app' was removed since the last build"
    """
    now = _files(new)
    for path, f in _files(old).items():
        g = now.get(path)
        if g is None:
            return f"file {path} of source '{f['source']}' was removed since the last build"
        if g["size"] != f["size"]:
            return (
                f"file {path} of source '{f['source']}' changed since the last build "
                f"({f['size']:,} -> {g['size']:,} bytes)"
            )
        if g["mtime_ns"] != f["mtime_ns"]:
            return (
                f"file {path} of source '{f['source']}' changed since the last build (same "
                "size, a new modification time)"
            )
    return None


def _read_meta(folder: Path) -> dict | None:
    try:
        return json.loads((folder / "meta.json").read_text())
    except (OSError, ValueError):
        return None


def _config_change(old: dict, new: dict) -> str:
    keys = sorted(
        k
        for k in set(old.get("config_keys", {})) | set(new["config_keys"])
        if old.get("config_keys", {}).get(k) != new["config_keys"].get(k)
    )
    named = f" (changed: {', '.join(f'`{k}`' for k in keys)})" if keys else ""
    return f"the config changed since the last build{named}"


def plan_build(
    cfg: Config,
    current: dict,
    caches: list[Path],
    *,
    in_files: bool,
    rebuild: bool = False,
) -> BuildPlan:
    """How to build the cache whose manifest is ``current`` (:func:`manifest`), given the other
    cache folders of the project's ``cache_dir`` (``caches``, most recently used first).

    Returns
    -------
    BuildPlan
        Incremental on the compatible cache holding the most event and order files, else full
        with the reason taken from the most recently used cache.
    """
    if rebuild:
        return BuildPlan("full", "a rebuild was asked for (rebuild=True)")
    if not in_files:
        return BuildPlan(
            "full",
            f"the {cfg.engine.kind} engine keeps the cache as tables in the warehouse, which "
            "are built in full",
        )
    tables = [(t, label) for t, label, src in cfg.source_items() if src.table is not None]
    if tables:
        t, label = tables[0]
        return BuildPlan(
            "full",
            f"source '{label}' ({t}) is an engine table (`table:`), which has no files to "
            "compare with the last build",
        )
    metas = [(c, m) for c in caches if (m := _read_meta(c)) is not None]
    if not metas:
        return BuildPlan("full", f"first build: no earlier cache in {cfg.cache_path}")
    same = [
        (c, m)
        for c, m in metas
        if (mf := m.get("manifest") or {}).get("layout") == LAYOUT
        and mf.get("config") == current["config"]
        and mf.get("cleaning") == current["cleaning"]
    ]
    if not same:
        last_dir, last = metas[0]
        mf = last.get("manifest") or {}
        if mf.get("layout") != LAYOUT:
            return BuildPlan(
                "full",
                f"the last cache ({last_dir.name}) was written by an earlier version of "
                "persona-kit, in another layout",
            )
        if mf.get("cleaning") != current["cleaning"]:
            return BuildPlan(
                "full",
                f"the cleaning version changed from {mf.get('cleaning')} to "
                f"{current['cleaning']} since the last build",
            )
        return BuildPlan("full", _config_change(mf, current))
    usable = [
        (c, m) for c, m in same if changed_files(m["manifest"]["files"], current["files"]) is None
    ]
    if not usable:
        return BuildPlan("full", changed_files(same[0][1]["manifest"]["files"], current["files"]))
    base, meta = max(usable, key=lambda cm: len(_files(cm[1]["manifest"]["files"])))
    old = _files(meta["manifest"]["files"])
    new_files: dict[str, list[Path]] = {}
    for path, f in _files(current["files"]).items():
        if path not in old:
            new_files.setdefault(f["source"], []).append(Path(path))
    n = sum(len(v) for v in new_files.values())
    named = [f"{k}: {p.name}" for k, v in new_files.items() for p in v]
    what = (
        f"{n} new file(s) ({'; '.join(named[:4])}{'; ...' if n > 4 else ''})"
        if n
        else "no new event or order file (only the small tables changed)"
    )

    def of(sig, table):
        return [f for f in sig if f["table"] == table]

    small = {t for t, _, _ in cfg.source_items() if t not in INCREMENTAL_TABLES}
    unchanged = tuple(
        t
        for t in sorted(small)
        if of(meta["manifest"]["files"], t) == of(current["files"], t)
        and (base / f"{t}.parquet").exists()
    )
    return BuildPlan(
        "incremental",
        f"extends cache {base.name}: every event and order file it read is unchanged; {what}",
        base=base,
        base_meta=meta,
        new_files=new_files,
        unchanged=unchanged,
    )
