"""Self-contained, offline HTML: executed notebooks, the month index and the archive index.

Reports are rendered in-process with nbconvert's ``HTMLExporter`` and the kit's ``persona``
template (``helpers/report/templates/persona``): JupyterLab's look with its CSS inlined, images
embedded, HTML outputs sanitized, and none of the CDN scripts of the stock template (require.js,
MathJax, mermaid). A last pass removes any ``<script src="http...">`` or
``<link href="http...">`` that an output might still carry, so a report opens from a USB stick
or an e-mail attachment exactly as it looked on the build machine.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from pathlib import Path
from typing import Any

from helpers.core.io import write_atomic
from helpers.core.metrics import METRICS_FILE, read_merged

TEMPLATES_DIR = Path(__file__).parent / "templates"
TEMPLATE_NAME = "persona"
MANIFEST_FILE = "manifest.json"
HIDDEN_CELL_TAGS = frozenset({"parameters", "injected-parameters"})
PAPERMILL_ERROR_TAG = "papermill-error-cell-tag"

_REMOTE_SCRIPT = re.compile(
    r"<script\b[^>]*\bsrc\s*=\s*[\"']?\s*(?:https?:)?//[^>]*>.*?</script\s*>",
    re.IGNORECASE | re.DOTALL,
)
_REMOTE_LINK = re.compile(r"<link\b[^>]*\bhref\s*=\s*[\"']?\s*(?:https?:)?//[^>]*>", re.IGNORECASE)
_CSS_IMPORT = re.compile(r"@import\s+url\(\s*[\"']?(?:https?:)?//[^)]*\)\s*;?", re.IGNORECASE)
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)

CSS = """
.pk-header{font-family:-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
  max-width:1100px;margin:16px auto 8px auto;padding:12px 16px;border:1px solid #d0d7de;
  border-radius:6px;background:#f6f8fa;color:#24292f;font-size:13px}
.pk-header h1{font-size:20px;margin:0 0 6px 0}
.pk-header table{border-collapse:collapse;margin-top:4px}
.pk-header td{padding:2px 14px 2px 0;vertical-align:top;border:none}
.pk-header td.k{color:#57606a;white-space:nowrap}
.pk-header code{background:#eaeef2;padding:0 4px;border-radius:3px}
.pk-failed{color:#b42318;font-weight:bold}
"""

INDEX_CSS = """
body{font-family:-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
  color:#24292f;max-width:1150px;margin:24px auto;padding:0 16px;font-size:14px}
h1{font-size:22px;margin-bottom:4px} .sub{color:#57606a;margin-bottom:16px}
table{border-collapse:collapse;width:100%} th,td{border-bottom:1px solid #d0d7de;
  padding:6px 8px;text-align:left;vertical-align:top} th{background:#f6f8fa}
td.num{text-align:right;white-space:nowrap} .ok{color:#1a7f37} .failed{color:#b42318;font-weight:bold}
.skipped,.unchanged{color:#6e7781} ul.m{margin:0;padding-left:0;list-style:none}
ul.m li{white-space:nowrap} .v{font-weight:600} .note{color:#6e7781;font-size:12px}
a{color:#0969da}
"""


# --- sanitizing ----------------------------------------------------------------------------------
# nbconvert's own `clean_html` keeps only bleach's inline tags, so with sanitize_html=True every
# heading, paragraph and table header of a report shows as escaped text. This allowlist keeps
# document structure, tables, images and inline styles, and still escapes scripts, iframes,
# forms and event-handler attributes.
SAFE_TAGS = frozenset(
    {
        "a",
        "abbr",
        "b",
        "blockquote",
        "br",
        "caption",
        "cite",
        "code",
        "col",
        "colgroup",
        "dd",
        "del",
        "details",
        "div",
        "dl",
        "dt",
        "em",
        "figcaption",
        "figure",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "img",
        "ins",
        "kbd",
        "li",
        "mark",
        "ol",
        "p",
        "pre",
        "q",
        "s",
        "samp",
        "small",
        "span",
        "strong",
        "style",
        "sub",
        "summary",
        "sup",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "u",
        "ul",
    }
)
SAFE_ATTRIBUTES = {
    "*": ["class", "id", "style", "title", "align", "lang", "dir"],
    "a": ["href", "name", "target", "rel"],
    "img": ["src", "alt", "width", "height"],
    "td": ["colspan", "rowspan"],
    "th": ["colspan", "rowspan", "scope"],
    "ol": ["start", "type"],
    "col": ["span"],
    "colgroup": ["span"],
}
SAFE_CSS_PROPERTIES = frozenset(
    {
        "background-color",
        "border",
        "border-bottom",
        "border-collapse",
        "border-color",
        "border-left",
        "border-radius",
        "border-right",
        "border-spacing",
        "border-top",
        "color",
        "display",
        "float",
        "font",
        "font-family",
        "font-size",
        "font-style",
        "font-variant",
        "font-weight",
        "height",
        "letter-spacing",
        "line-height",
        "margin",
        "margin-bottom",
        "margin-left",
        "margin-right",
        "margin-top",
        "max-height",
        "max-width",
        "min-width",
        "opacity",
        "overflow",
        "padding",
        "padding-bottom",
        "padding-left",
        "padding-right",
        "padding-top",
        "text-align",
        "text-decoration",
        "text-indent",
        "text-transform",
        "vertical-align",
        "white-space",
        "width",
        "word-break",
    }
)


def sanitize_fragment(fragment) -> str:
    """Sanitize an HTML fragment from a notebook (markdown, outputs) with :data:`SAFE_TAGS`.

    Examples
    --------
    >>> sanitize_fragment('<h2>Title</h2><script>alert(1)</script>')
    '<h2>Title</h2>&lt;script&gt;alert(1)&lt;/script&gt;'
    """
    import bleach
    from bleach.css_sanitizer import CSSSanitizer

    text = fragment.decode() if isinstance(fragment, bytes) else str(fragment)
    return bleach.clean(
        text,
        tags=SAFE_TAGS,
        attributes=SAFE_ATTRIBUTES,
        protocols={"http", "https", "mailto", "data"},
        css_sanitizer=CSSSanitizer(allowed_css_properties=SAFE_CSS_PROPERTIES),
    )


# --- one report ----------------------------------------------------------------------------------
def notebook_title(nb, default: str) -> str:
    """Text of the first markdown heading of ``nb``, else ``default``."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = _HEADING.search(cell.source)
            if match:
                return match.group(1).strip()
    return default


def strip_remote_resources(text: str) -> str:
    """Remove ``<script src>``/``<link href>``/``@import`` that point to another host."""
    text = _REMOTE_SCRIPT.sub("", text)
    text = _REMOTE_LINK.sub("", text)
    return _CSS_IMPORT.sub("", text)


def _fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    seconds = float(seconds)
    if seconds < 60:
        return f"{seconds:.1f} s"
    return f"{int(seconds // 60)} min {seconds % 60:02.0f} s"


def header_html(info: dict) -> str:
    """The header block at the top of a rendered report.

    ``info`` keys (all optional): title, project, month, as_of, data_window, parameters (dict),
    started_at, duration_s, kit_version, status, error.
    """
    esc = html.escape
    params = info.get("parameters") or {}
    param_text = (
        ", ".join(f"<code>{esc(str(k))} = {esc(repr(v))}</code>" for k, v in params.items())
        or "none"
    )
    rows = [
        ("Project", esc(str(info.get("project", "")))),
        ("Month", esc(str(info.get("month", "")))),
        ("as of", esc(str(info.get("as_of", "")))),
        ("Data window", esc(str(info.get("data_window", "")))),
        ("Parameters", param_text),
        (
            "Run",
            f"{esc(str(info.get('started_at', '')))} &middot; took "
            f"{esc(_fmt_duration(info.get('duration_s')))}",
        ),
        ("Kit", f"persona-kit {esc(str(info.get('kit_version', '')))}"),
    ]
    if info.get("status") == "failed":
        rows.append(
            (
                "Status",
                f"<span class='pk-failed'>failed</span> "
                f"{esc(str(info.get('error', '')))} (see the cell with the error "
                "below)",
            )
        )
    body = "".join(f"<tr><td class='k'>{k}</td><td>{v}</td></tr>" for k, v in rows)
    return (
        f"<header class='pk-header'><h1>{esc(str(info.get('title', 'Report')))}</h1>"
        f"<table>{body}</table></header>"
    )


def _plain_error_banners(nb):
    """Papermill's error banners are raw HTML that the sanitizer mangles: say it in markdown."""
    failing = next(
        (
            c.get("execution_count")
            for c in nb.cells
            if c.cell_type == "code"
            and any(o.get("output_type") == "error" for o in c.get("outputs", []))
        ),
        None,
    )
    where = f" at cell In [{failing}]" if failing else ""
    first = True
    for cell in nb.cells:
        if cell.cell_type == "markdown" and PAPERMILL_ERROR_TAG in cell.metadata.get("tags", []):
            cell.source = (
                f"**This report stopped with an error{where}.** The error is shown "
                "below; the cells after it did not run."
                if first
                else "**The error happened in the next cell:**"
            )
            first = False
    return nb


def render_notebook_html(
    ipynb_path: str | Path,
    html_path: str | Path | None = None,
    *,
    with_code: bool = False,
    header: dict | None = None,
) -> Path:
    """Render an executed notebook to one self-contained, offline HTML file.

    Parameters
    ----------
    ipynb_path : str or Path
        The executed notebook (a partial one from a failed run is fine: its error shows).
    html_path : str or Path, optional
        Where to write; default: beside the notebook with ``.html``.
    with_code : bool
        Show code cells. Hidden by default; error outputs are shown either way. The
        ``parameters``/``injected-parameters`` cells are always left out (the header lists the
        parameter values).
    header : dict, optional
        Fields for :func:`header_html`; ``title`` defaults to the first markdown heading.

    Returns
    -------
    Path
        The HTML file.
    """
    import nbformat
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    ipynb_path = Path(ipynb_path)
    html_path = Path(html_path) if html_path else ipynb_path.with_suffix(".html")
    nb = _plain_error_banners(nbformat.read(ipynb_path, as_version=4))
    info = dict(header or {})
    info.setdefault("title", notebook_title(nb, ipynb_path.stem))

    exporter = HTMLExporter(
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(TEMPLATES_DIR)],
        exclude_input=not with_code,
        exclude_input_prompt=not with_code,
        exclude_output_prompt=not with_code,
        embed_images=True,
        sanitize_html=True,
        filters={"clean_html": sanitize_fragment},
    )
    exporter.register_preprocessor(
        TagRemovePreprocessor(remove_cell_tags=set(HIDDEN_CELL_TAGS), enabled=True), enabled=True
    )
    resources = {
        "persona_header": header_html(info),
        "persona_css": CSS,
        "metadata": {"name": info["title"]},
    }
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    write_atomic(html_path, strip_remote_resources(body))
    return html_path


# --- index pages ---------------------------------------------------------------------------------
def read_manifest(month_dir: str | Path) -> dict:
    """``<month_dir>/manifest.json`` as a dict (empty when missing or unreadable)."""
    path = Path(month_dir) / MANIFEST_FILE
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return {}


def status_label(entry: dict) -> str:
    """How a report's status reads on the index: ok / failed / skipped: reason / unchanged."""
    status = entry.get("status", "")
    if status == "ok" and entry.get("last_run") == "unchanged":
        return "ok (unchanged, not re-run)"
    if status in ("skipped", "failed") and entry.get("reason"):
        return f"{status}: {entry['reason']}"
    return status


def _metrics_list(metrics: dict, limit: int | None = None) -> str:
    items = list(metrics.items())[:limit] if limit else list(metrics.items())
    if not items:
        return ""
    lis = []
    for _, m in items:
        note = f" <span class='note'>{html.escape(m.note)}</span>" if m.note else ""
        lis.append(
            f"<li>{html.escape(m.label)}: <span class='v'>{html.escape(m.display)}</span>"
            f"{note}</li>"
        )
    return f"<ul class='m'>{''.join(lis)}</ul>"


def _page(title: str, subtitle: str, table: str) -> str:
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1.0'>"
        f"<title>{html.escape(title)}</title><style>{INDEX_CSS}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><div class='sub'>{subtitle}</div>{table}</body></html>\n"
    )


def render_month_index(month_dir: str | Path) -> Path:
    """Write ``<month_dir>/index.html``: one row per report with status, duration, numbers, links.

    Reads ``manifest.json`` (written by the runner) and ``artifacts/metrics.json``.
    """
    month_dir = Path(month_dir)
    manifest = read_manifest(month_dir)
    metrics = read_merged(month_dir / "artifacts" / METRICS_FILE)
    esc = html.escape
    rows = []
    for name, entry in (manifest.get("reports") or {}).items():
        status = entry.get("status", "")
        css = "unchanged" if entry.get("last_run") == "unchanged" else status
        links = []
        for kind in ("html", "ipynb"):
            target = entry.get(kind)
            if target and (month_dir / target).exists():
                links.append(
                    f"<a href='{esc(target)}'>{kind.upper() if kind == 'html' else '.ipynb'}</a>"
                )
        rows.append(
            f"<tr><td>{esc(name)}</td><td class='{esc(css)}'>{esc(status_label(entry))}</td>"
            f"<td class='num'>{esc(_fmt_duration(entry.get('duration_s')) if entry.get('duration_s') is not None else '')}</td>"
            f"<td>{_metrics_list(metrics.get(name, {}))}</td><td>{' &middot; '.join(links)}</td></tr>"
        )
    table = (
        "<table><thead><tr><th>report</th><th>status</th><th>duration</th>"
        "<th>headline numbers</th><th>files</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )
    month = manifest.get("month", month_dir.name)
    subtitle = (
        f"{esc(str(manifest.get('project', '')))} &middot; as of "
        f"{esc(str(manifest.get('as_of', '')))} &middot; data window "
        f"{esc(str(manifest.get('data_window', '')))} &middot; updated "
        f"{esc(str(manifest.get('updated_at', '')))} &middot; persona-kit "
        f"{esc(str(manifest.get('kit_version', '')))} &middot; "
        f"<a href='../index.html'>all months</a>"
    )
    return write_atomic(
        month_dir / "index.html", _page(f"Persona review {month}", subtitle, table)
    )


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
        status = ", ".join(f"{n} {s}" for s, n in counts.items())
        if failed:
            status += " (" + ", ".join(failed) + ")"
        css = "failed" if failed else "ok"
        metrics = read_merged(month_dir / "artifacts" / METRICS_FILE)
        numbers = "".join(_metrics_list(m, metrics_per_report) for m in metrics.values())
        rows.append(
            f"<tr><td><a href='{esc(month_dir.name)}/index.html'>{esc(month_dir.name)}</a>"
            f"</td><td class='{css}'>{esc(status)}</td><td>{numbers}</td>"
            f"<td>{esc(str(manifest.get('updated_at', '')))}</td></tr>"
        )
    table = (
        "<table><thead><tr><th>month</th><th>reports</th><th>headline numbers</th>"
        "<th>updated</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
    )
    subtitle = esc(
        f"{project} · {len(rows)} month(s) · rebuilt "
        f"{dt.datetime.now().astimezone().isoformat(timespec='seconds')}"
    )
    return write_atomic(out_root / "index.html", _page("Persona reviews", subtitle, table))


def write_manifest(month_dir: str | Path, manifest: dict) -> Path:
    """Write ``manifest.json`` atomically."""
    return write_atomic(
        Path(month_dir) / MANIFEST_FILE,
        json.dumps(manifest, indent=2, ensure_ascii=False, default=str),
    )


def jsonable_params(params: dict[str, Any]) -> dict[str, Any]:
    """Parameters as JSON values (for the manifest and the header)."""
    return json.loads(json.dumps(params, default=str))
