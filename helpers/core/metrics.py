"""Headline numbers a report records for the month's index and the archive.

A :class:`Metric` is one number with its label and its display text, both already in the report
language (``helpers.report.context.ReportContext.record`` makes them through the display layer).
Each notebook writes its own file ``artifacts/metrics/<name>.json``, so notebooks running in
parallel never clash; the runner merges them into ``artifacts/metrics.json``:
``{report: {key: {"value", "label", "kind", "display", "note"}}}``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helpers.core.checks import jsonable
from helpers.core.errors import ParameterError
from helpers.core.io import write_atomic

__all__ = [
    "METRICS_DIR",
    "METRICS_FILE",
    "Metric",
    "record_metric",
    "metrics_path",
    "read_metrics",
    "merge_metrics",
]

METRICS_DIR = "metrics"
METRICS_FILE = "metrics.json"


@dataclass(frozen=True)
class Metric:
    """One recorded headline number.

    Attributes
    ----------
    key : str
        Identifier within its report (``"mau"``).
    value : number, str or None
        The number as recorded (JSON-safe).
    label : str
        What the number is, for people (``"Monthly active users"``).
    kind : str
        How it is formatted (a kind of ``helpers.display.format``: ``count``, ``share``...).
    display : str
        The value as shown (``"8,106"``).
    note : str
        An optional remark shown next to it.
    """

    key: str
    value: Any
    label: str
    kind: str = "number"
    display: str = ""
    note: str = ""

    def to_json(self) -> dict:
        """The metric as stored in the metrics files (without its key)."""
        return {
            "value": self.value,
            "label": self.label,
            "kind": self.kind,
            "display": self.display,
            "note": self.note,
        }

    @classmethod
    def from_json(cls, key: str, data: dict) -> Metric:
        """A metric from its stored form (older files without ``kind`` read as numbers)."""
        return cls(
            key=key,
            value=data.get("value"),
            label=str(data.get("label") or key),
            kind=str(data.get("kind") or "number"),
            display=str(
                data.get("display") if data.get("display") is not None else data.get("value")
            ),
            note=str(data.get("note") or ""),
        )


def record_metric(
    out_dir: str | Path,
    notebook: str,
    key: str,
    value: Any,
    *,
    label: str,
    display: str,
    kind: str = "number",
    note: str = "",
) -> Path:
    """Record one headline number into ``<out_dir>/artifacts/metrics/<notebook>.json``.

    Parameters
    ----------
    out_dir : str or Path
        The month's report folder.
    notebook : str
        Output name of the report (``helpers.report.params.output_name``).
    key : str
        Identifier of the number (``"mau"``); recording a key again replaces it.
    value : number, str or None
        The number (numpy scalars are fine).
    label, display : str
        What the number is and how it reads, in the report language.
    kind : str
        How the value is formatted (kept so a later page can format it again).
    note : str
        Optional remark shown next to it.

    Returns
    -------
    Path
        The metrics file.

    Examples
    --------
    >>> import tempfile
    >>> p = record_metric(tempfile.mkdtemp(), "02_active_users", "mau", 1234, label="MAU",
    ...                   display="1,234", kind="count")
    >>> read_metrics(p)["mau"].display
    '1,234'
    """
    if not key or not isinstance(key, str):
        raise ParameterError(
            f"The metric `key` must be a non-empty string, but {key!r} was passed."
        )
    path = metrics_path(out_dir, notebook)
    metrics = read_metrics(path)
    metrics[key] = Metric(
        key=key, value=jsonable(value), label=label or key, kind=kind, display=display, note=note
    )
    _write(path, metrics)
    return path


def _write(path: Path, metrics: dict[str, Metric]) -> None:
    data = {k: m.to_json() for k, m in metrics.items()}
    write_atomic(path, json.dumps(data, indent=2, ensure_ascii=False))


def metrics_path(out_dir: str | Path, notebook: str) -> Path:
    """Where one report's headline numbers live: ``<out_dir>/artifacts/metrics/<notebook>.json``."""
    return Path(out_dir) / "artifacts" / METRICS_DIR / f"{notebook}.json"


def read_metrics(path: str | Path) -> dict[str, Metric]:
    """The metrics recorded in one JSON file, by key (empty when the file is missing)."""
    path = Path(path)
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return {}
    return {k: Metric.from_json(k, v) for k, v in data.items() if isinstance(v, dict)}


def merge_metrics(artifacts: str | Path) -> dict[str, dict[str, Metric]]:
    """Merge ``artifacts/metrics/*.json`` into ``artifacts/metrics.json``, keyed by report.

    Returns
    -------
    dict
        ``{report: {key: Metric}}``.
    """
    artifacts = Path(artifacts)
    merged = {p.stem: read_metrics(p) for p in sorted((artifacts / METRICS_DIR).glob("*.json"))}
    data = {name: {k: m.to_json() for k, m in ms.items()} for name, ms in merged.items()}
    write_atomic(artifacts / METRICS_FILE, json.dumps(data, indent=2, ensure_ascii=False))
    return merged


def read_merged(path: str | Path) -> dict[str, dict[str, Metric]]:
    """``artifacts/metrics.json`` as ``{report: {key: Metric}}`` (empty when missing)."""
    path = Path(path)
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return {}
    return {
        name: {k: Metric.from_json(k, v) for k, v in ms.items() if isinstance(v, dict)}
        for name, ms in data.items()
        if isinstance(ms, dict)
    }
