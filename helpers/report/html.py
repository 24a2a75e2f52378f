"""Self-contained, offline HTML of an executed notebook.

Reports are rendered in-process with nbconvert's ``HTMLExporter`` and the kit's ``persona``
template (``helpers/report/templates/persona``): JupyterLab's look with its CSS inlined, images
embedded, HTML outputs sanitized (:mod:`helpers.report.sanitize`), and none of the CDN scripts of
the stock template (require.js, MathJax, mermaid). The month index and the archive are
:mod:`helpers.report.index`.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import nbformat
import pandas as pd
from nbconvert import HTMLExporter
from nbconvert.preprocessors import TagRemovePreprocessor

from helpers.core.io import write_atomic
from helpers.display.format import fmt
from helpers.display.messages import html_lang, translate
from helpers.display.text import t
from helpers.report.index import duration_text
from helpers.report.sanitize import sanitize_fragment, strip_remote_resources

__all__ = [
    "CSS",
    "TEMPLATES_DIR",
    "HIDDEN_CELL_TAGS",
    "notebook_title",
    "translate_markdown",
    "header_html",
    "brief_first",
    "contents_html",
    "render_notebook_html",
]

TEMPLATES_DIR = Path(__file__).parent / "templates"
TEMPLATE_NAME = "persona"
HIDDEN_CELL_TAGS = frozenset({"parameters", "injected-parameters"})
PAPERMILL_ERROR_TAG = "papermill-error-cell-tag"
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)

#: The report's own CSS: the header, and the display layer's tables, captions and notes (wide
#: tables scroll inside the page instead of running off it).
CSS = """
.pk-header{font-family:-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
  max-width:1100px;margin:16px auto 8px auto;padding:12px 16px;border:1px solid #d0d7de;
  border-radius:6px;background:#f6f8fa;color:#24292f;font-size:13px}
.pk-header h1{font-size:20px;margin:0 0 4px 0}
.pk-header .pk-line{color:#24292f}
.pk-header .k{color:#57606a}
.pk-header summary{color:#57606a;cursor:pointer;margin-top:4px}
.pk-contents{font-size:13px;margin:4px 0 10px 0;line-height:1.8}
.pk-contents a{text-decoration:none}
details.pk-details>summary{cursor:pointer;color:#0969da;margin:6px 0}
.pk-header table{border-collapse:collapse;margin-top:4px}
.pk-header td{padding:2px 14px 2px 0;vertical-align:top;border:none}
.pk-header td.k{color:#57606a;white-space:nowrap}
.pk-header code{background:#eaeef2;padding:0 4px;border-radius:3px}
.pk-failed{color:#b42318;font-weight:bold}
.pk-table-wrap{overflow-x:auto;max-width:100%;margin:4px 0 10px 0}
table.pk-table{border-collapse:collapse;font-size:13px;margin:0}
body .jp-RenderedHTMLCommon table.pk-table th,body .jp-RenderedHTMLCommon table.pk-table td{
  padding:4px 10px;border-bottom:1px solid #d0d7de;text-align:left;vertical-align:top}
body .jp-RenderedHTMLCommon table.pk-table thead th{background:#f6f8fa;white-space:nowrap}
body .jp-RenderedHTMLCommon table.pk-table td.num{text-align:right;white-space:nowrap;
  font-variant-numeric:tabular-nums}
table.pk-table th.pk-value{font-weight:600}
.pk-caption{margin:8px 0 2px 0;font-weight:600}
.pk-note{color:#57606a;font-size:12px;margin:2px 0 10px 0}
.jp-OutputArea-output{overflow-x:auto;max-width:100%}
"""


def notebook_title(nb, default: str) -> str:
    """Text of the first markdown heading of ``nb``, else ``default``."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = _HEADING.search(cell.source)
            if match:
                return match.group(1).strip()
    return default


def header_html(info: dict) -> str:
    """The header block at the top of a rendered report: the title, one line saying which month
    and data it reads, and the run's details (parameters, when, kit version) collapsed.

    ``info`` keys (all optional): title, project, month, as_of, data_window, parameters (dict),
    started_at, duration_s, kit_version, status, error.
    """
    esc = html.escape
    params = info.get("parameters") or {}
    param_text = ", ".join(
        f"<code>{esc(str(k))} = {esc(repr(v))}</code>" for k, v in params.items()
    ) or esc(t("report.header.no_parameters"))
    started = info.get("started_at", "")
    run = t(
        "report.header.run_value",
        started=fmt(pd.Timestamp(started), "date") if started else "",
        took=duration_text(info.get("duration_s")),
    )
    facts = [
        (t("header.project"), str(info.get("project", ""))),
        (t("header.month"), fmt(info.get("month", ""), "month")),
        (t("header.as_of"), str(info.get("as_of", ""))),
        (t("header.data_window"), str(info.get("data_window", ""))),
    ]
    line = " · ".join(
        f"<span class='k'>{esc(k)}</span> {esc(v)}" for k, v in facts if v not in ("", "None")
    )
    rows = [
        (t("report.header.parameters"), param_text),
        (t("report.header.run"), esc(run)),
        (t("report.header.kit"), f"persona-kit {esc(str(info.get('kit_version', '')))}"),
    ]
    body = "".join(f"<tr><td class='k'>{esc(k)}</td><td>{v}</td></tr>" for k, v in rows)
    failed = ""
    if info.get("status") == "failed":
        failed = (
            f"<p><b>{esc(t('report.header.status'))}</b> "
            f"<span class='pk-failed'>{esc(t('report.header.failed'))}</span> "
            f"{esc(str(info.get('error', '')))} {esc(t('report.header.failed_hint'))}</p>"
        )
    return (
        f"<header class='pk-header'><h1>{esc(str(info.get('title', '')))}</h1>"
        f"<div class='pk-line'>{line}</div>{failed}"
        f"<details><summary>{esc(t('report.header.details'))}</summary>"
        f"<table>{body}</table></details></header>"
    )


#: Placeholder of the contents list, filled with links to the report's sections after export.
CONTENTS_MARK = "PK-CONTENTS-PLACEHOLDER"
_H2 = re.compile(r'<h2 id="([^"]+)"[^>]*>(.*?)</h2>', re.DOTALL)
_TAGS = re.compile(r"<[^>]+>")


def _has_brief(cell) -> bool:
    return cell.cell_type == "code" and any(
        "pk-brief" in str(o.get("data", {}).get("text/html", "")) for o in cell.get("outputs", [])
    )


def brief_first(nb, title: str):
    """The page reads top-down: the cell that shows the report's brief (KPI cards, findings,
    what to do) moves up to follow the introduction, and a contents list follows it.

    The notebook's own title heading is dropped (the header shows it); in JupyterLab the brief
    stays where the analyst computed it."""
    cells = list(nb.cells)
    first_md = next((i for i, c in enumerate(cells) if c.cell_type == "markdown"), None)
    if first_md is not None:
        lines = cells[first_md].source.split("\n")
        if lines and _HEADING.match(lines[0]) and _HEADING.match(lines[0]).group(1) == title:
            cells[first_md].source = "\n".join(lines[1:]).lstrip("\n")
    at = 0 if first_md is None else first_md + 1
    brief = next((i for i, c in enumerate(cells) if _has_brief(c)), None)
    if brief is not None and brief >= at:
        cells.insert(at, cells.pop(brief))
        at += 1
    cells.insert(at, nbformat.v4.new_markdown_cell(CONTENTS_MARK))
    nb.cells = cells
    return nb


def contents_html(body: str) -> str:
    """Links to the report's sections (its ``##`` headings), on one line."""
    links = []
    for anchor, inner in _H2.findall(body):
        text = html.unescape(_TAGS.sub("", inner)).replace("¶", "").strip()
        if text:
            links.append(f"<a href='#{html.escape(anchor, quote=True)}'>{html.escape(text)}</a>")
    if len(links) < 2:
        return ""
    return (
        f"<div class='pk-contents'><b>{html.escape(t('report.contents'))}</b> "
        + " · ".join(links)
        + "</div>"
    )


def translate_markdown(nb):
    """Each markdown cell with a message key (``metadata.persona_kit.key``) in the report
    language. A cell whose English differs from the catalog's (an analyst edited their copy)
    keeps its own text."""
    for cell in nb.cells:
        key = (
            cell.metadata.get("persona_kit", {}).get("key")
            if cell.cell_type == "markdown"
            else None
        )
        if key:
            cell.source = translate(key, cell.source)
    return nb


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
    where = t("report.error.where", cell=failing) if failing else ""
    first = True
    for cell in nb.cells:
        if cell.cell_type == "markdown" and PAPERMILL_ERROR_TAG in cell.metadata.get("tags", []):
            cell.source = (
                t("report.error.banner", where=where) if first else t("report.error.next_cell")
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
    ipynb_path = Path(ipynb_path)
    html_path = Path(html_path) if html_path else ipynb_path.with_suffix(".html")
    nb = _plain_error_banners(translate_markdown(nbformat.read(ipynb_path, as_version=4)))
    info = dict(header or {})
    info.setdefault("title", notebook_title(nb, ipynb_path.stem))
    nb = brief_first(nb, info["title"])

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
    # nbconvert's language_code takes only ISO 639-1 codes; the page names the locale (zh-CN)
    body = body.replace('<html lang="en">', f'<html lang="{html_lang()}">', 1)
    body = re.sub(rf"<p>\s*{CONTENTS_MARK}\s*</p>", lambda _: contents_html(body), body, count=1)
    write_atomic(html_path, strip_remote_resources(body))
    return html_path
