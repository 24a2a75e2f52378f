"""The month index (``<month>/index.html``) and the archive of every month (``index.html``).

Both pages are built from the manifests and the recorded headline numbers, and every word on
them comes from the catalog (:func:`helpers.display.text.t`).
"""

from __future__ import annotations

import datetime as dt
import html
import json
from pathlib import Path

import pandas as pd

from helpers.core.io import write_atomic
from helpers.core.metrics import METRICS_FILE, Metric, read_merged
from helpers.display.format import MISSING, fmt
from helpers.display.messages import has, html_lang, word
from helpers.display.text import join_words, t, tn
from helpers.report.manifest import month_dirs, read_manifest

__all__ = [
    "INDEX_CSS",
    "status_label",
    "report_title",
    "duration_text",
    "render_month_index",
    "render_archive_index",
]

INDEX_CSS = """
body{font-family:-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
  color:#24292f;max-width:1150px;margin:24px auto;padding:0 16px;font-size:14px}
h1{font-size:22px;margin-bottom:4px} .sub{color:#57606a;margin-bottom:16px}
.wrap{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;width:100%} th,td{border-bottom:1px solid #d0d7de;
  padding:6px 8px;text-align:left;vertical-align:top} th{background:#f6f8fa}
td.num{text-align:right;white-space:nowrap} .ok{color:#1a7f37} .failed{color:#b42318;font-weight:bold}
.skipped,.unchanged{color:#6e7781} ul.m{margin:0;padding-left:0;list-style:none}
ul.m li{white-space:normal} td.ok,td.failed{white-space:nowrap} .v{font-weight:600} .note{color:#6e7781;font-size:12px}
a{color:#0969da}
.lead{border:1px solid #d0d7de;border-radius:8px;background:#f6f8fa;padding:10px 16px;
  margin:0 0 16px 0} .lead h2{font-size:18px;margin:2px 0 6px 0} .lead b{display:block;margin-top:6px}
.lead ul,.lead ol{margin:4px 0 6px 0}
"""

#: The report the month index leads with, and the artifact holding its first screen.
REVIEW_REPORT = "07_persona_review"
REVIEW_FILE = "review.json"


def duration_text(seconds: float | None) -> str:
    """How long a report took, for people.

    >>> duration_text(4.25), duration_text(125), duration_text(None)
    ('4.2 s', '2 min 05 s', '–')
    """
    if seconds is None:
        return MISSING
    seconds = float(seconds)
    if seconds < 60:
        return t("index.duration.seconds", s=f"{seconds:.1f}")
    return t("index.duration.minutes", m=int(seconds // 60), s=f"{seconds % 60:02.0f}")


def status_label(entry: dict) -> str:
    """How a report's status reads on the index: ok / failed / skipped: reason / unchanged.

    >>> status_label({"status": "skipped", "reason": "no assignments"})
    'skipped: no assignments'
    """
    status = entry.get("status", "")
    if status == "ok" and entry.get("last_run") == "unchanged":
        return t("index.status.unchanged")
    said = t(f"index.status.{status}") if status in ("ok", "failed", "skipped") else status
    if status in ("skipped", "failed") and entry.get("reason"):
        return t("index.status.with_reason", status=said, reason=entry["reason"])
    return said


def report_title(name: str) -> str:
    """A report's title in the report language: ``03_personas`` -> "Personas",
    ``ab_checkout_v2`` -> "A/B readout: checkout_v2"; an unknown (custom) notebook keeps its name.

    >>> report_title("03_personas"), report_title("ab_checkout_v2"), report_title("99_mine")
    ('Personas', 'A/B readout: checkout_v2', '99_mine')
    """
    if has(f"index.report.{name}"):
        return t(f"index.report.{name}")
    if name.startswith("ab_"):
        return t("index.report.ab", experiment=name[3:])
    return name


def _metrics_list(metrics: dict[str, Metric], limit: int | None = None) -> str:
    items = list(metrics.values())[:limit] if limit else list(metrics.values())
    if not items:
        return ""
    lis = []
    for m in items:
        note = f" <span class='note'>{html.escape(m.note)}</span>" if m.note else ""
        lis.append(
            f"<li>{html.escape(m.label)}{html.escape(word('index.label_sep'))}"
            f"<span class='v'>{html.escape(m.display)}</span>"
            f"{note}</li>"
        )
    return f"<ul class='m'>{''.join(lis)}</ul>"


def _page(title: str, subtitle: str, table: str) -> str:
    return (
        f"<!DOCTYPE html>\n<html lang='{html_lang()}'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1.0'>"
        f"<title>{html.escape(title)}</title><style>{INDEX_CSS}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><div class='sub'>{subtitle}</div>"
        f"<div class='wrap'>{table}</div></body></html>\n"
    )


def _head(*keys: str) -> str:
    return "<thead><tr>" + "".join(f"<th>{html.escape(t(k))}</th>" for k in keys) + "</tr></thead>"


def _instant(text: str) -> str:
    """An ISO instant of a manifest in the business timezone, named (as given if unreadable)."""
    try:
        return fmt(pd.Timestamp(text), "date") if text else ""
    except ValueError:
        return str(text)


def _lead(month_dir: Path, manifest: dict) -> str:
    """The monthly review's three things and first actions, linked, above the list of reports."""
    path = month_dir / "artifacts" / REVIEW_FILE
    if not path.exists():
        return ""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, OSError):
        return ""
    esc = html.escape
    entry = (manifest.get("reports") or {}).get(REVIEW_REPORT) or {}
    target = entry.get("html") or f"{REVIEW_REPORT}.html"
    things = "".join(f"<li>{esc(str(x))}</li>" for x in data.get("three_things") or [])
    actions = "".join(f"<li>{esc(str(x))}</li>" for x in data.get("actions") or [])
    parts = [f"<h2><a href='{esc(target)}'>{esc(report_title(REVIEW_REPORT))}</a></h2>"]
    if data.get("active_users"):
        parts.append(f"<div class='note'>{esc(str(data['active_users']))}</div>")
    if things:
        parts.append(f"<b>{esc(t('index.lead.things'))}</b><ul>{things}</ul>")
    if actions:
        link = f" <a href='artifacts/actions.csv'>{esc(t('index.lead.plan'))}</a>"
        parts.append(f"<b>{esc(t('index.lead.actions'))}{link}</b><ol>{actions}</ol>")
    return f"<div class='lead'>{''.join(parts)}</div>"


def render_month_index(month_dir: str | Path) -> Path:
    """Write ``<month_dir>/index.html``: one row per report with status, duration, numbers, links.

    Reads ``manifest.json`` (written by the runner) and ``artifacts/metrics.json``.
    """
    month_dir = Path(month_dir)
    manifest = read_manifest(month_dir)
    metrics = read_merged(month_dir / "artifacts" / METRICS_FILE)
    esc = html.escape
    rows = []
    reports = manifest.get("reports") or {}
    # the monthly review first, then the reports it draws on
    order = sorted(reports, key=lambda n: n != REVIEW_REPORT)
    for name in order:
        entry = reports[name]
        status = entry.get("status", "")
        css = "unchanged" if entry.get("last_run") == "unchanged" else status
        links = []
        for kind in ("html", "ipynb"):
            target = entry.get(kind)
            if target and (month_dir / target).exists():
                links.append(f"<a href='{esc(target)}'>{esc(t(f'index.link.{kind}'))}</a>")
        took = (
            duration_text(entry.get("duration_s")) if entry.get("duration_s") is not None else ""
        )
        rows.append(
            f"<tr><td>{esc(report_title(name))} <span class='note'>{esc(name)}</span></td>"
            f"<td class='{esc(css)}'>{esc(status_label(entry))}</td>"
            f"<td class='num'>{esc(took)}</td>"
            f"<td>{_metrics_list(metrics.get(name, {}))}</td><td>{' &middot; '.join(links)}</td></tr>"
        )
    table = (
        "<table>"
        + _head(
            "index.col.report",
            "index.col.status",
            "index.col.duration",
            "index.col.numbers",
            "index.col.files",
        )
        + "<tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )
    month = manifest.get("month", month_dir.name)
    subtitle = esc(
        t(
            "index.month.subtitle",
            project=manifest.get("project", ""),
            as_of=manifest.get("as_of", ""),
            window=manifest.get("data_window", ""),
            updated=_instant(manifest.get("updated_at", "")),
            version=manifest.get("kit_version", ""),
        )
    )
    subtitle += f" &middot; <a href='../index.html'>{esc(t('index.month.all_months'))}</a>"
    return write_atomic(
        month_dir / "index.html",
        _page(t("index.month.title", month=month), subtitle, _lead(month_dir, manifest) + table),
    )


def render_archive_index(out_root: str | Path, *, metrics_per_report: int = 2) -> Path:
    """Write ``<out_root>/index.html``: every month found, newest first, with status and numbers."""
    out_root = Path(out_root)
    esc = html.escape
    rows, project = [], ""
    for month_dir in reversed(month_dirs(out_root)):
        manifest = read_manifest(month_dir)
        project = project or manifest.get("project", "")
        reports = manifest.get("reports") or {}
        counts: dict[str, int] = {}
        for entry in reports.values():
            counts[entry.get("status", "?")] = counts.get(entry.get("status", "?"), 0) + 1
        failed = [n for n, e in reports.items() if e.get("status") == "failed"]
        status = join_words(
            t(
                "index.archive.count",
                n=n,
                status=t(f"index.status.{s}") if s in ("ok", "failed", "skipped") else s,
            )
            for s, n in counts.items()
        )
        if failed:
            status += t("index.archive.failed_names", names=join_words(failed))
        css = "failed" if failed else "ok"
        metrics = read_merged(month_dir / "artifacts" / METRICS_FILE)
        numbers = "".join(_metrics_list(m, metrics_per_report) for m in metrics.values())
        rows.append(
            f"<tr><td><a href='{esc(month_dir.name)}/index.html'>"
            f"{esc(fmt(month_dir.name, 'month'))}</a>"
            f"</td><td class='{css}'>{esc(status)}</td><td>{numbers}</td>"
            f"<td>{esc(_instant(manifest.get('updated_at', '')))}</td></tr>"
        )
    table = (
        "<table>"
        + _head("index.col.month", "index.col.reports", "index.col.numbers", "index.col.updated")
        + "<tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )
    subtitle = esc(
        t(
            "index.archive.subtitle",
            project=project,
            months=tn("index.archive.months", len(rows)),
            rebuilt=fmt(pd.Timestamp(dt.datetime.now(dt.UTC)), "date"),
        )
    )
    return write_atomic(out_root / "index.html", _page(t("index.archive.title"), subtitle, table))
