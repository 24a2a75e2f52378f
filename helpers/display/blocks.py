"""The pieces a report section is made of, besides tables: sentences, notes, lists, boxes.

Each block holds text that already went through :func:`helpers.display.text.t` (or values of
the data) and renders itself with ``_repr_html_``; the HTML of every block is escaped here, so
no section builds markup by hand.

* :class:`Paragraph`: a sentence or two.
* :class:`Note`: what a section shows in place of an analysis the data cannot support (it says
  what is missing and what it would add), or a remark that needs attention.
* :class:`Unavailable`: stands in for a result the data cannot support (no buyers, one month of
  history): it shows as a note of what the section needs, and sections fed with it say the same.
* :class:`Bullets`: a list of sentences.
* :class:`Facts`: short "label value" pairs on one line (a header, a summary).
* :class:`Links`: links to files beside the report (the artifacts a team downloads).
* :class:`Callout`: a box with a verdict and its reasons (a decision, a data-quality status).
* :class:`Heading`: a small heading inside a section.
* :class:`Stack`: blocks one under the other (a section that shows several things).
* :class:`Details`: supporting tables and diagnostics, collapsed under a one-line summary; the
  analyst opens them, the reader of the brief is not held up by them.
* :class:`Kpi`, :class:`Brief`: the first screen of a report: a few KPI cards with their change,
  the findings, and what to do. The HTML renderer moves the brief to the top of the page.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

__all__ = [
    "Paragraph",
    "Note",
    "Unavailable",
    "Bullets",
    "Facts",
    "Links",
    "Callout",
    "Heading",
    "Stack",
    "Details",
    "Kpi",
    "Brief",
    "to_html",
]

_NOTE_STYLE = {
    "missing": "color:#6b5a1e;background:#fcf8e3;border-left:3px solid #d4a72c;padding:6px 10px",
    "warning": "color:#7d1a12;background:#fdecea;border-left:3px solid #b42318;padding:6px 10px",
    "info": "color:#1f3a5f;background:#eef4fb;border-left:3px solid #0969da;padding:6px 10px",
}
_CALLOUT_COLOUR = {"good": "#1a7f37", "bad": "#b42318", "warning": "#9a6700", "neutral": "#57606a"}


def to_html(obj) -> str:
    """HTML of a block, a table or anything with ``_repr_html_``; text is escaped."""
    if obj is None:
        return ""
    if hasattr(obj, "_repr_html_"):
        return obj._repr_html_() or ""
    return f"<p>{html.escape(str(obj))}</p>"


@dataclass
class Paragraph:
    """A sentence or two of prose."""

    text: str

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(self.text)}</p>"


@dataclass
class Note:
    """A sentence shown in place of an analysis the data cannot support, or a remark.

    ``kind`` is ``missing`` (the data lacks something: say what, and what it would add),
    ``warning`` (a result must not be read as it stands) or ``info``.

    Examples
    --------
    >>> Note("No users table.")._repr_html_().startswith("<p class='pk-note-missing'")
    True
    """

    text: str
    kind: str = "missing"

    def __post_init__(self):
        if self.kind not in _NOTE_STYLE:
            raise ValueError(
                f"The value for `kind` must be one of {list(_NOTE_STYLE)}, but "
                f"{self.kind!r} was passed."
            )

    def _repr_html_(self) -> str:
        return (
            f"<p class='pk-note-{self.kind}' style='{_NOTE_STYLE[self.kind]}'>"
            f"{html.escape(self.text)}</p>"
        )


@dataclass
class Unavailable:
    """A result the data cannot support, in place of the model or table a section would show.

    ``needs`` says in the report's language what the section needs (more history, buyers, a
    source); ``detail`` is the model's own reason, kept for the analyst and shown after it in
    English reports. It is falsy, and a section handed one returns one (see
    ``ReportContext.attempt``), so a chain of sections degrades together with one note each.

    Examples
    --------
    >>> u = Unavailable("Needs two months of history.", detail="one month read")
    >>> bool(u), "pk-note-missing" in u._repr_html_(), bool(u.risk_)
    (False, True, False)
    """

    needs: str
    detail: str = ""
    show_detail: bool = False

    def __bool__(self) -> bool:
        return False

    def __getattr__(self, name: str):
        # ``risk.risk_`` of an unavailable model is unavailable too, so the sections fed with
        # it say so instead of failing; private and dunder names stay real lookups
        if name.startswith("_"):
            raise AttributeError(name)
        return Unavailable(self.needs, self.detail, self.show_detail)

    @property
    def text(self) -> str:
        if self.show_detail and self.detail:
            return f"{self.needs} ({self.detail.rstrip('.')}.)"
        return self.needs

    def _repr_html_(self) -> str:
        return Note(self.text)._repr_html_()


@dataclass
class Bullets:
    """A list of sentences, with an optional lead-in sentence."""

    items: Sequence[str]
    lead: str | None = None

    def _repr_html_(self) -> str:
        lead = f"<p>{html.escape(self.lead)}</p>" if self.lead else ""
        items = "".join(f"<li>{html.escape(str(i))}</li>" for i in self.items)
        return f"{lead}<ul>{items}</ul>" if self.items else lead


@dataclass
class Facts:
    """Short "label value" pairs shown on one line (labels and values already formatted)."""

    pairs: Sequence[tuple[str, str]]

    def _repr_html_(self) -> str:
        cells = "".join(
            f"<span style='margin-right:1.4em'><b>{html.escape(str(k))}</b> "
            f"{html.escape(str(v))}</span>"
            for k, v in self.pairs
        )
        return f"<div class='pk-facts' style='font-size:0.9em;color:#444'>{cells}</div>"


@dataclass
class Links:
    """Links to files beside the report, e.g. ``("Persona 1", "artifacts/at_risk_persona_1.csv")``.

    Only relative paths are linked (a report is opened from a folder, offline).

    Examples
    --------
    >>> Links([("Persona 1", "artifacts/p1.csv")])._repr_html_()
    "<ul class='pk-links'><li><a href='artifacts/p1.csv'>Persona 1</a></li></ul>"
    """

    items: Sequence[tuple[str, str]]
    lead: str | None = None

    def __post_init__(self):
        for _, href in self.items:
            if "://" in href or href.startswith(("/", "\\")):
                raise ValueError(
                    f"A link must be a relative path such as 'artifacts/x.csv', but "
                    f"{href!r} was passed."
                )

    def _repr_html_(self) -> str:
        lead = f"<p>{html.escape(self.lead)}</p>" if self.lead else ""
        items = "".join(
            f"<li><a href='{html.escape(href, quote=True)}'>{html.escape(text)}</a></li>"
            for text, href in self.items
        )
        return f"{lead}<ul class='pk-links'>{items}</ul>" if self.items else lead


@dataclass
class Callout:
    """A box with a verdict and the sentences behind it (a decision, a status).

    ``tone`` is ``good``, ``bad``, ``warning`` or ``neutral`` and sets the colour of the edge.
    """

    title: str
    lines: Sequence[str] = ()
    tone: str = "neutral"

    def __post_init__(self):
        if self.tone not in _CALLOUT_COLOUR:
            raise ValueError(
                f"The value for `tone` must be one of {list(_CALLOUT_COLOUR)}, but "
                f"{self.tone!r} was passed."
            )

    def _repr_html_(self) -> str:
        colour = _CALLOUT_COLOUR[self.tone]
        lines = "".join(f"<li>{html.escape(str(x))}</li>" for x in self.lines)
        body = f"<ul style='margin:4px 0 0 0'>{lines}</ul>" if self.lines else ""
        return (
            f"<div class='pk-callout pk-{self.tone}' style='border-left:4px solid {colour};"
            f"padding:6px 12px;margin:6px 0;background:#f6f8fa'>"
            f"<b style='color:{colour}'>{html.escape(self.title)}</b>{body}</div>"
        )


@dataclass
class Heading:
    """A small heading inside a section (the notebook's markdown holds the section titles)."""

    text: str

    def _repr_html_(self) -> str:
        return f"<h4>{html.escape(self.text)}</h4>"


@dataclass
class Stack:
    """Blocks and tables one under the other."""

    parts: list = field(default_factory=list)

    @classmethod
    def of(cls, *parts) -> Stack:
        """A stack of the given parts (``None`` parts are left out)."""
        return cls([p for p in parts if p is not None])

    def extend(self, parts: Iterable) -> Stack:
        """A new stack with ``parts`` added at the end."""
        return Stack([*self.parts, *(p for p in parts if p is not None)])

    def _repr_html_(self) -> str:
        return "\n".join(to_html(p) for p in self.parts)


@dataclass
class Details:
    """Supporting material collapsed under a one-line ``summary`` (``<details>``).

    Examples
    --------
    >>> Details("All segments (12 rows)", Paragraph("x"))._repr_html_()[:42]
    "<details class='pk-details'><summary>All s"
    """

    summary: str
    body: object = None
    open: bool = False

    def _repr_html_(self) -> str:
        attr = " open" if self.open else ""
        return (
            f"<details class='pk-details'{attr}><summary>{html.escape(self.summary)}</summary>"
            f"<div style='margin:4px 0 8px 14px'>{to_html(self.body)}</div></details>"
        )


_KPI_TONE = {"good": "#1a7f37", "bad": "#b42318", "neutral": "#57606a"}


@dataclass
class Kpi:
    """One KPI card: a label, the formatted value, its change and the population it counts.

    ``tone`` colours the change (``good``, ``bad``, ``neutral``); all texts come formatted.
    """

    label: str
    value: str
    change: str = ""
    tone: str = "neutral"
    note: str = ""

    def __post_init__(self):
        if self.tone not in _KPI_TONE:
            raise ValueError(
                f"The value for `tone` must be one of {list(_KPI_TONE)}, but "
                f"{self.tone!r} was passed."
            )

    def _repr_html_(self) -> str:
        change = (
            f"<div style='color:{_KPI_TONE[self.tone]};font-size:13px'>"
            f"{html.escape(self.change)}</div>"
            if self.change
            else ""
        )
        note = (
            f"<div style='color:#57606a;font-size:11px;margin-top:2px'>{html.escape(self.note)}</div>"
            if self.note
            else ""
        )
        return (
            "<div class='pk-kpi' style='flex:1 1 0;min-width:140px;max-width:260px;"
            "padding:8px 12px;border:1px solid #d0d7de;border-radius:6px;background:#fff'>"
            f"<div style='color:#57606a;font-size:12px'>{html.escape(self.label)}</div>"
            f"<div style='font-size:22px;font-weight:600'>{html.escape(self.value)}</div>"
            f"{change}{note}</div>"
        )


@dataclass
class Brief:
    """The first screen of a report: KPI cards, the findings, and what to do.

    ``findings`` and ``actions`` are sentences; ``links`` are (text, relative path) pairs to the
    artifacts a team acts on. The HTML renderer moves the cell that shows a brief to the top.
    """

    title: str
    cards: Sequence[Kpi] = ()
    findings: Sequence[str] = ()
    findings_title: str = ""
    actions: Sequence[str] = ()
    actions_title: str = ""
    links: Sequence[tuple[str, str]] = ()

    def _repr_html_(self) -> str:
        cards = "".join(c._repr_html_() for c in self.cards)
        parts = [f"<h2 class='pk-brief-title'>{html.escape(self.title)}</h2>"]
        if cards:
            parts.append(
                "<div class='pk-kpis' style='display:flex;flex-wrap:wrap;gap:10px;"
                f"margin-bottom:8px'>{cards}</div>"
            )
        for title, lines, tag in (
            (self.findings_title, self.findings, "ul"),
            (self.actions_title, self.actions, "ol"),
        ):
            if lines:
                head = f"<div class='pk-caption'>{html.escape(title)}</div>" if title else ""
                items = "".join(f"<li>{html.escape(str(x))}</li>" for x in lines)
                parts.append(f"{head}<{tag} style='margin:2px 0 8px 0'>{items}</{tag}>")
        if self.links:
            parts.append(Links(list(self.links))._repr_html_())
        return (
            "<div class='pk-brief' style='border:1px solid #d0d7de;border-radius:8px;"
            "padding:10px 16px;margin:8px 0 14px 0;background:#f6f8fa'>"
            + "".join(parts)
            + "</div>"
        )
