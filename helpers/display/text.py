"""The one keyed function every user-visible string goes through: :func:`t`.

A report never writes an English sentence itself: it names a message by key and passes the
values, ``t("churn.at_risk", users=1947, share=0.24)``, and the catalog of the report language
(:mod:`helpers.display.messages`) holds the text, ``"{users:count} users ({share:share}) are at
high risk"``. A value's format spec may name a kind of :mod:`helpers.display.format` (``count``,
``share``, ``money``, ``pvalue``, ``event``...) or ``column`` (a column name shown as its label), optionally with decimals (``{x:share.0}``), so numbers in
sentences follow the same rules as numbers in tables; an ordinary spec (``{x:.2f}``) works too.
"""

from __future__ import annotations

import re
import string

from helpers.display.format import KINDS, fmt
from helpers.display.labels import is_labelled, label
from helpers.display.messages import language, word

__all__ = ["t", "tn", "join_words", "join_clauses", "join_sentences", "SPEC_KINDS"]

#: What a field's format spec may name: a kind of :mod:`helpers.display.format`, or ``column``.
SPEC_KINDS = (*KINDS, "column")


class _Formatter(string.Formatter):
    def format_field(self, value, format_spec):
        kind, _, digits = format_spec.partition(".")
        if kind.endswith("+") and kind[:-1] in KINDS:  # "{x:money+}": a change, signed
            text = fmt(value, kind[:-1], digits=int(digits) if digits else None, prose=True)
            positive = isinstance(value, (int, float)) and value > 0
            return f"+{text}" if positive and not text.startswith("+") else text
        if kind == "column":  # a column's name -> its label; a column of the data keeps its name
            return label(value) if is_labelled(value) else str(value)
        if kind in KINDS:
            return fmt(value, kind, digits=int(digits) if digits else None, prose=True)
        return super().format_field(value, format_spec)


_FORMATTER = _Formatter()

#: A space between two CJK characters (ideographs, CJK and full-width punctuation): Chinese
#: sets none, but a message's space around a field ("{month} 关键指标") leaves one when the
#: field holds Chinese ("2026年10月 关键指标"). Spaces next to Latin letters and digits stay.
_CJK = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef"
_CJK_SPACE = re.compile(f"(?<=[{_CJK}]) (?=[{_CJK}])")


def t(key: str, /, **values) -> str:
    """The text of message ``key`` in the report language, with ``values`` filled in.

    Raises
    ------
    KeyError
        When no catalog has the key (a missing message is a bug, never silent).

    Examples
    --------
    >>> t("format.yes")
    'yes'
    >>> t("table.more_rows.other", n=1234, file="churn_risk.csv")
    '1,234 more rows in artifacts/churn_risk.csv.'
    """
    text = _FORMATTER.vformat(word(key), (), values)
    return _CJK_SPACE.sub("", text) if language() == "zh" else text


def tn(key: str, n, /, **values) -> str:
    """Like :func:`t` for a sentence about ``n`` things: message ``<key>.one`` when ``n`` is 1,
    else ``<key>.other``; ``n`` is passed on as a value.

    Examples
    --------
    >>> tn("table.more_rows", 1, file="a.csv"), tn("table.more_rows", 2, file="a.csv")
    ('1 more row in artifacts/a.csv.', '2 more rows in artifacts/a.csv.')
    """
    return t(f"{key}.{'one' if n == 1 else 'other'}", n=n, **values)


def join_words(items) -> str:
    """Names in a list inside a sentence: ``a, b, c`` in English, ``a、b、c`` in Chinese.

    Examples
    --------
    >>> join_words(["app_events", "web_events"])
    'app_events, web_events'
    """
    return word("list.sep").join(str(i) for i in items)


def join_sentences(items) -> str:
    """Whole sentences one after the other: a space between them in English, none in Chinese
    (its full stop "。" already separates them). Empty items are left out.

    >>> join_sentences(["It rose.", "", "Most of it is the arm."])
    'It rose. Most of it is the arm.'
    """
    sep = "" if language() == "zh" else " "
    return sep.join(str(i).strip() for i in items if i and str(i).strip())


def join_clauses(items) -> str:
    """Clauses in a row inside a sentence: ``a; b`` in English, ``a；b`` in Chinese.

    >>> join_clauses(["ship treatment", "health checks passed"])
    'ship treatment; health checks passed'
    """
    return word("list.clause_sep").join(str(i) for i in items)
