"""The month's manifest: what ran, with which inputs, how it went (``<month>/manifest.json``).

The runner writes it after every notebook; the index pages and the next run read it (a report
whose inputs did not change is not run again).
"""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path
from typing import Any

from helpers.core.io import write_atomic

__all__ = [
    "MANIFEST_FILE",
    "read_manifest",
    "write_manifest",
    "locked",
    "month_dirs",
    "jsonable_params",
]

MANIFEST_FILE = "manifest.json"


def read_manifest(month_dir: str | Path) -> dict:
    """``<month_dir>/manifest.json`` as a dict (empty when missing or unreadable)."""
    path = Path(month_dir) / MANIFEST_FILE
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return {}


def write_manifest(month_dir: str | Path, manifest: dict) -> Path:
    """Write ``manifest.json`` atomically."""
    return write_atomic(
        Path(month_dir) / MANIFEST_FILE,
        json.dumps(manifest, indent=2, ensure_ascii=False, default=str),
    )


@contextlib.contextmanager
def locked(month_dir: str | Path):
    """Hold the month's lock (``<month_dir>/.manifest.lock``) while reading, merging and
    writing its manifest, so two runs into the same folder keep each other's reports."""
    path = Path(month_dir) / ".manifest.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as fh:
        try:
            import fcntl
        except ImportError:  # Windows: no advisory locks; runs into one folder must not overlap
            yield
            return
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def month_dirs(out_root: str | Path) -> list[Path]:
    """The ``YYYY-MM`` folders under ``out_root`` that hold a manifest, oldest first."""
    out_root = Path(out_root)
    if not out_root.is_dir():
        return []
    return sorted(
        p
        for p in out_root.iterdir()
        if p.is_dir() and re.fullmatch(r"\d{4}-\d{2}", p.name) and (p / MANIFEST_FILE).exists()
    )


def jsonable_params(params: dict[str, Any]) -> dict[str, Any]:
    """Parameters as JSON values (for the manifest and the header).

    >>> jsonable_params({"k": 3, "since": __import__("datetime").date(2026, 1, 2)})
    {'k': 3, 'since': '2026-01-02'}
    """
    return json.loads(json.dumps(params, default=str))
