"""Text columns of a source as the kit reads them: ids and names trimmed, empty text NULL.

Ids get two more repairs, both because exports spell the same id differently:

* the null spellings of tools and databases (``NULL``, ``\\N``, ``None``, ``nan``, ``N/A``,
  case-insensitive) are NULL, so the cleaning drops their rows as ``null_user_id`` (or
  ``null_key``) and counts them, instead of treating ``"NULL"`` as one very active user;
* the float spelling of an integer id (``5.0``, written by a tool that stored the column as
  floats because of a missing value) is the integer id (``5``), so a buyer is one user, not two.

Leading zeros (``007`` against ``7``) are not removed: they may be part of an id. The audit counts
the orphan ids that match a users id once zeros are dropped and names the likely cause.
"""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dt

from helpers.core import schema
from helpers.data import engine

__all__ = ["ID_COLUMNS", "NULL_ID_SPELLINGS", "text_value", "identifier"]

#: The canonical columns holding ids.
ID_COLUMNS = frozenset({schema.USER_ID, schema.ANONYMOUS_ID, schema.ORDER_ID})

#: Spellings of a missing id (compared lower-cased, after trimming).
NULL_ID_SPELLINGS = ("null", "\\n", "none", "nan", "n/a", "na", "nil", "undefined")

FLOAT_INTEGER = r"^-?[0-9]+\.0+$"


def text_value(value: ibis.Value, *, keep_raw: bool = False) -> ibis.Value:
    """Trimmed text; empty text is NULL (CSV exports write missing values as '').

    ``keep_raw`` keeps surrounding whitespace (event names: the audit counts such variants).
    """
    text = value.cast("string")
    trimmed = engine.strip_text(text)
    if keep_raw:
        return ibis.ifelse(trimmed == "", ibis.null(dt.string), text)
    return trimmed.nullif("")


def identifier(value: ibis.Value) -> ibis.Value:
    """An id as text: trimmed, its null spellings NULL and ``5.0`` read as ``5``.

    Examples
    --------
    >>> import pandas as pd
    >>> t = ibis.memtable(pd.DataFrame({"id": [" 5.0", "NULL", "\\\\N", "007", "a.0", "N/A", ""]}))
    >>> t.select(id=identifier(t.id)).execute()["id"].tolist()
    ['5', None, None, '007', 'a.0', None, None]
    """
    text = text_value(value)
    text = ibis.ifelse(text.lower().isin(NULL_ID_SPELLINGS), ibis.null(dt.string), text)
    return ibis.ifelse(text.re_search(FLOAT_INTEGER), text.re_replace(r"\.0+$", ""), text)
