"""Column labels and kinds: what a table header says and how its values are formatted.

A column is labelled from the catalogs' ``COLUMNS`` (one dictionary for the whole kit, merged
from :mod:`helpers.display.catalog`), or, for the families of columns named after the data, by
a pattern: ``share_<event>``, ``ev_<event>``, ``tag_<name>``, ``pre_<metric>``. A column the
catalogs do not know is a bug: :func:`label` raises in strict mode (the tests), and otherwise
falls back to the name in words, so a report on unforeseen data still renders.
"""

from __future__ import annotations

import os
import re

import pandas as pd

from helpers.core import schema
from helpers.display.messages import columns, has, word

__all__ = ["label", "kind_of", "is_labelled", "STRICT_ENV"]

#: Set to 1 (the tests do) to make an unknown column an error instead of a fallback label.
STRICT_ENV = "PERSONA_KIT_STRICT_LABELS"

# (regex on the column name, message key, kind): families of columns named after the data
_PATTERNS = [
    (re.compile(r"^share_(?P<name>.+)$"), "col.pattern.share_of", "share"),
    (
        re.compile(rf"^{re.escape(schema.EVENT_COUNT_PREFIX)}(?P<name>.+)$"),
        "col.pattern.events_of",
        "count",
    ),
    (re.compile(r"^tag_(?P<name>.+)$"), "col.pattern.tag", "count"),
    (re.compile(r"^pre_(?P<name>.+)$"), "col.pattern.pre", "number"),
]


def _pattern(col: str):
    for rx, key, kind in _PATTERNS:
        m = rx.match(col)
        if m:
            return key, m.group("name"), kind
    return None


def is_labelled(col) -> bool:
    """Whether ``col`` has a label in the catalogs or by a pattern.

    Examples
    --------
    >>> is_labelled("users"), is_labelled("share_view_item"), is_labelled("no_such_thing")
    (True, True, False)
    """
    return str(col) in columns() or _pattern(str(col)) is not None


def label(col) -> str:
    """The header of column ``col`` in the report language.

    Examples
    --------
    >>> label("users"), label("share_view_item")
    ('Users', 'Share of view_item events')
    """
    name = str(col)
    known = columns()
    if name in known:
        return word(f"col.{name}")
    hit = _pattern(name)
    if hit:
        key, inner, _ = hit
        return word(key).format(name=value_text(inner))  # one plain field: a name
    if os.environ.get(STRICT_ENV) == "1":
        raise KeyError(
            f"The column {name!r} has no label: add it to COLUMNS in a module of "
            "helpers/display/catalog/."
        )
    return name.replace("_", " ").strip().capitalize()


def value_text(value: str) -> str:
    """A text cell in the report language: a value the kit wrote in English (an RFM segment,
    a default tag's description; the messages ``value.<text>``) translated, anything else (data
    values, names) as it is.

    Examples
    --------
    >>> value_text("Champions"), value_text("add_to_cart")
    ('Champions', 'add_to_cart')
    """
    key = f"value.{value}"
    return word(key) if has(key) else value


def kind_of(col, values: pd.Series | None = None) -> str:
    """How the values of column ``col`` are formatted (see :mod:`helpers.display.format`).

    The catalogs decide for known columns; otherwise the dtype does (whole numbers are counts,
    other numbers numbers, dates dates, flags yes/no, anything else text).

    Examples
    --------
    >>> kind_of("users"), kind_of("p_value"), kind_of("x", pd.Series([1.5]))
    ('count', 'pvalue', 'number')
    """
    if col is not None:
        name = str(col)
        known = columns()
        if name in known:
            return known[name][1]
        hit = _pattern(name)
        if hit:
            return hit[2]
    if values is None:
        return "text"
    if pd.api.types.is_bool_dtype(values):
        return "bool"
    if pd.api.types.is_integer_dtype(values):
        return "count"
    if pd.api.types.is_float_dtype(values):
        return "number"
    if pd.api.types.is_datetime64_any_dtype(values):
        return "date"
    return "text"
