"""Sanitizing what a report shows: an allowlist for HTML outputs and no remote resources.

nbconvert's own ``clean_html`` keeps only bleach's inline tags, so with ``sanitize_html=True``
every heading, paragraph and table header of a report would show as escaped text. The
allowlist here keeps the structure reports need and nothing that runs. A last pass removes any
``<script src="http...">``, ``<link href="http...">`` or ``@import`` of another host, so a report
opens offline exactly as it looked on the build machine.
"""

from __future__ import annotations

import re

import bleach
from bleach.css_sanitizer import CSSSanitizer

__all__ = [
    "SAFE_TAGS",
    "SAFE_ATTRIBUTES",
    "SAFE_CSS_PROPERTIES",
    "sanitize_fragment",
    "strip_remote_resources",
]

_REMOTE_SCRIPT = re.compile(
    r"<script\b[^>]*\bsrc\s*=\s*[\"']?\s*(?:https?:)?//[^>]*>.*?</script\s*>",
    re.IGNORECASE | re.DOTALL,
)
_REMOTE_LINK = re.compile(r"<link\b[^>]*\bhref\s*=\s*[\"']?\s*(?:https?:)?//[^>]*>", re.IGNORECASE)
_CSS_IMPORT = re.compile(r"@import\s+url\(\s*[\"']?(?:https?:)?//[^)]*\)\s*;?", re.IGNORECASE)

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
        "flex",
        "flex-wrap",
        "float",
        "gap",
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
        "overflow-x",
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
    text = fragment.decode() if isinstance(fragment, bytes) else str(fragment)
    return bleach.clean(
        text,
        tags=SAFE_TAGS,
        attributes=SAFE_ATTRIBUTES,
        protocols={"http", "https", "mailto", "data"},
        css_sanitizer=CSSSanitizer(allowed_css_properties=SAFE_CSS_PROPERTIES),
    )


def strip_remote_resources(text: str) -> str:
    """Remove ``<script src>``/``<link href>``/``@import`` that point to another host."""
    text = _REMOTE_SCRIPT.sub("", text)
    text = _REMOTE_LINK.sub("", text)
    return _CSS_IMPORT.sub("", text)
