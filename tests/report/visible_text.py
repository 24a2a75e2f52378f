"""What a reader sees on a rendered page, and the runs of English words in it."""

from __future__ import annotations

import re
from html.parser import HTMLParser

#: Elements whose text is not prose: code, file names and identifiers are shown in these.
_SKIP = {"script", "style", "code", "pre", "kbd", "samp", "title"}
#: A word of English: letters only (identifiers with _ . / digits are not words).
_WORD = re.compile(r"^[A-Za-z][a-z]*[,.;:!?)]?$|^\(?[A-Za-z][a-z]*$")


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in _SKIP:
            self.depth += 1
        if tag in ("p", "div", "td", "th", "li", "br", "h1", "h2", "h3", "h4", "tr", "span"):
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in _SKIP and self.depth:
            self.depth -= 1
        if tag in ("p", "div", "td", "th", "li", "h1", "h2", "h3", "h4", "tr"):
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.depth:
            self.parts.append(data)


def visible_text(html: str) -> str:
    """The text of a page outside code, scripts and styles, cells on lines of their own."""
    parser = _Text()
    parser.feed(html)
    return "".join(parser.parts)


def english_runs(text: str, *, min_words: int = 5, allowed: frozenset = frozenset()) -> list[str]:
    """Runs of ``min_words`` or more English words in a row (an identifier from the data, a
    name in ``allowed``, a number or any Chinese ends a run).

    Examples
    --------
    >>> english_runs("活跃用户 8,106 人 (users active in the last 28 days)")
    ['(users active in the last']
    >>> english_runs("数据源 app_events 共 12 行 ok then")
    []
    >>> english_runs("事件 add_to_cart 与 view_item 的占比")
    []
    """
    runs = []
    for line in text.splitlines():
        run: list[str] = []
        for token in line.split() + [""]:
            if token and _WORD.match(token) and token.strip("(),.;:!?") not in allowed:
                run.append(token)
                continue
            if len(run) >= min_words:
                runs.append(" ".join(run))
            run = []
    return runs
