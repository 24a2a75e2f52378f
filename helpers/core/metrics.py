"""Headline numbers a report records for the month's index and the archive.

Each notebook writes its own file ``artifacts/metrics/<name>.json``, so notebooks running in
parallel never clash; the runner merges them into ``artifacts/metrics.json``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from helpers.core.checks import jsonable
from helpers.core.errors import ParameterError
from helpers.core.io import write_atomic

__all__ = [
    "METRICS_DIR",
    "METRICS_FILE",
    "record_metric",
    "metrics_path",
    "read_metrics",
    "merge_metrics",
]

METRICS_DIR = "metrics"
METRICS_FILE = "metrics.json"


def _format(value: Any, fmt: str) -> str:
    if value is None:
        return "n/a"
    try:
        return fmt.format(value)
    except (ValueError, TypeError, IndexError, KeyError):
        return str(value)


def record_metric(
    out_dir: str | Path,
    notebook: str,
    key: str,
    value: Any,
    *,
    label: str = "",
    fmt: str = "{:,.0f}",
    note: str = "",
) -> Path:
    """Record one headline number into ``<out_dir>/artifacts/metrics/<notebook>.json``.

    Each notebook writes its own file, so notebooks running in parallel never clash; the runner
    merges them into ``artifacts/metrics.json`` for the index page.

    Parameters
    ----------
    out_dir : str or Path
        The month's report folder.
    notebook : str
        Output name of the report (see :func:`output_name`).
    key : str
        Identifier of the number (``"mau"``); recording a key again replaces it.
    value : number, str or None
        The number (numpy scalars are fine).
    label : str
        What the number is, for people (``"Monthly active users"``).
    fmt : str
        ``str.format`` pattern for display, e.g. ``"{:.1%}"``.
    note : str
        Optional remark shown next to it.

    Returns
    -------
    Path
        The metrics file.

    Examples
    --------
    >>> import tempfile
    >>> p = record_metric(tempfile.mkdtemp(), "02_active_users", "mau", 1234, label="MAU")
    >>> json.loads(p.read_text())["mau"]["display"]
    '1,234'
    """
    if not key or not isinstance(key, str):
        raise ParameterError(
            f"The metric `key` must be a non-empty string, but {key!r} was passed."
        )
    path = metrics_path(out_dir, notebook)
    metrics = read_metrics(path)
    plain = jsonable(value)
    metrics[key] = {
        "value": plain,
        "label": label or key,
        "fmt": fmt,
        "note": note,
        "display": _format(plain, fmt),
    }
    write_atomic(path, json.dumps(metrics, indent=2, ensure_ascii=False))
    return path


def metrics_path(out_dir: str | Path, notebook: str) -> Path:
    """Where one report's headline numbers live: ``<out_dir>/artifacts/metrics/<notebook>.json``."""
    return Path(out_dir) / "artifacts" / METRICS_DIR / f"{notebook}.json"


def read_metrics(path: str | Path) -> dict:
    """The metrics recorded in one JSON file (an empty dict when the file is missing)."""
    path = Path(path)
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return {}


def merge_metrics(artifacts: str | Path) -> dict:
    """Merge ``artifacts/metrics/*.json`` into ``artifacts/metrics.json``, keyed by notebook.

    Returns
    -------
    dict
        ``{notebook: {key: {"value", "label", "fmt", "note", "display"}}}``.
    """
    artifacts = Path(artifacts)
    merged = {p.stem: read_metrics(p) for p in sorted((artifacts / METRICS_DIR).glob("*.json"))}
    write_atomic(artifacts / METRICS_FILE, json.dumps(merged, indent=2, ensure_ascii=False))
    return merged
