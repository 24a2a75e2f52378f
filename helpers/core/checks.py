"""Checks and coercions every helper applies to its inputs, written once.

Each helper validates what it is given where it enters (STYLE.md rule 11): a date parameter, a
month, a count of days, an option among a few, the columns a table must have. The functions here
do that with one wording, so an analyst reads the same sentence whichever helper failed: it names
the parameter (or the table and its columns), what was expected and what was found.

:func:`numeric_text_to_numbers` is the one place where user attributes read from CSV as text
("35", "0") become numbers, so rules such as ``age < 25`` and numeric profiles work.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Collection, Iterable

import numpy as np
import pandas as pd

from helpers.core.errors import DataError, ParameterError

__all__ = [
    "as_date",
    "as_month",
    "require_columns",
    "positive_int",
    "one_of",
    "numeric_text",
    "numeric_text_to_numbers",
]

_SHOWN_COLUMNS = 12  # columns listed in a DataError; wide tables are cut with "..."


def as_date(value, name: str = "as_of") -> dt.date:
    """A ``datetime.date`` from a date, a datetime, a pandas Timestamp or ISO text.

    Parameters
    ----------
    value : date, datetime, Timestamp or str
        The parameter's value. A datetime keeps its own calendar day (no timezone conversion).
    name : str
        The parameter's name, used in the error message.

    Returns
    -------
    datetime.date

    Raises
    ------
    ParameterError
        When ``value`` is not a date; the message names ``name`` and shows ``value``.

    Examples
    --------
    >>> as_date("2024-06-30"), as_date(pd.Timestamp("2024-06-30 23:59"), "at")
    (datetime.date(2024, 6, 30), datetime.date(2024, 6, 30))
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        ts = pd.Timestamp(value)
        if ts is pd.NaT:  # None, NaN and "" parse as NaT, which is no date
            raise ValueError(value)
        return ts.date()
    except (ValueError, TypeError):
        raise ParameterError(
            f"The parameter `{name}` must be a date such as '2024-06-30' (a date, a Timestamp or "
            f"ISO text), but {value!r} was passed."
        ) from None


def as_month(value, name: str = "month") -> dt.date:
    """The first day of a month given as ``'YYYY-MM'``, a date in it or a Timestamp.

    Raises
    ------
    ParameterError
        When ``value`` is neither a month nor a date; the message names ``name``.

    Examples
    --------
    >>> as_month("2024-06"), as_month("2024-06-30")
    (datetime.date(2024, 6, 1), datetime.date(2024, 6, 1))
    """
    text = value + "-01" if isinstance(value, str) and len(value) == 7 else value
    try:
        return as_date(text, name).replace(day=1)
    except ParameterError:
        raise ParameterError(
            f"The parameter `{name}` must be a month such as '2024-06' (or a date in it), but "
            f"{value!r} was passed."
        ) from None


def require_columns(table, columns: Iterable[str], what: str) -> None:
    """Raise a DataError unless ``table`` has every one of ``columns``.

    Parameters
    ----------
    table : pandas.DataFrame or ibis.Table
        Anything with a ``columns`` attribute.
    columns : iterable of str
        The columns the caller needs.
    what : str
        How the message names the table, as the subject of a sentence (``"user_day"``,
        ``"The users table"``, ``"`assignments`"``).

    Raises
    ------
    DataError
        Naming the missing columns, the columns needed and (the first 12 of) those found.

    Examples
    --------
    >>> require_columns(pd.DataFrame(columns=["user_id", "day"]), ["user_id", "day"], "user_day")
    >>> require_columns(pd.DataFrame(columns=["user_id"]), ["user_id", "day"], "user_day")
    Traceback (most recent call last):
    ...
    helpers.core.errors.DataError: user_day needs the column(s) ['day'] (expected at least ['user_id', 'day']), but it has ['user_id'].
    """
    columns = list(columns)
    have = list(table.columns)
    missing = [c for c in columns if c not in have]
    if missing:
        more = " ..." if len(have) > _SHOWN_COLUMNS else ""
        raise DataError(
            f"{what} needs the column(s) {missing} (expected at least {columns}), "
            f"but it has {have[:_SHOWN_COLUMNS]}{more}."
        )


def positive_int(value, name: str, *, unit: str | None = None) -> int:
    """``value`` as an ``int`` when it is a whole number >= 1 (bools are refused).

    Parameters
    ----------
    value : int
    name : str
        The parameter's name, used in the error message.
    unit : str, optional
        What the number counts (``"days"``), for the message.

    Raises
    ------
    ParameterError
        When ``value`` is not an integer >= 1; the message names ``name``.

    Examples
    --------
    >>> positive_int(np.int64(30), "inactive_days", unit="days")
    30
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        of = f" number of {unit}" if unit else ""
        raise ParameterError(
            f"The parameter `{name}` must be a positive integer{of}, but {value!r} was passed."
        )
    return int(value)


def one_of(value, allowed: Collection, name: str):
    """``value`` when it is one of ``allowed``, else a ParameterError listing the choices.

    Examples
    --------
    >>> one_of("week", ("week", "month"), "period")
    'week'
    """
    if value not in allowed:
        raise ParameterError(
            f"The value for `{name}` must be one of {list(allowed)}, but {value!r} was passed."
        )
    return value


def numeric_text(col: pd.Series) -> pd.Series:
    """A text column whose every non-missing value parses as a number, as numbers.

    Any other column (numeric already, dates, text with a word in it, or no value at all) is
    returned as it is. Text is object, string or categorical-of-text dtype.

    Examples
    --------
    >>> numeric_text(pd.Series(["35", None, "41.5"])).tolist()
    [35.0, nan, 41.5]
    >>> numeric_text(pd.Series(["35", "n/a"])).tolist()
    ['35', 'n/a']
    """
    if not (pd.api.types.is_object_dtype(col) or pd.api.types.is_string_dtype(col)):
        return col
    n_values = col.notna().sum()
    if n_values == 0:
        return col
    num = pd.to_numeric(col, errors="coerce")
    return num if num.notna().sum() == n_values else col


def numeric_text_to_numbers(df: pd.DataFrame, *, skip: Iterable[str] = ()) -> pd.DataFrame:
    """A copy of ``df`` with numeric-looking text columns as numbers (see :func:`numeric_text`).

    CSV exports deliver attributes such as ``age`` or ``joined_community`` as text; as numbers,
    rules like ``age < 25``, numeric profiles and 0/1 drivers work.

    Parameters
    ----------
    df : pandas.DataFrame
        Not modified.
    skip : iterable of str
        Columns left as they are whatever they hold (ids: ``user_id`` "0042" stays text).

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> users = pd.DataFrame({"user_id": ["1", "2"], "age": ["35", "41"], "city": ["Oslo", "Rome"]})
    >>> numeric_text_to_numbers(users, skip=["user_id"]).dtypes.astype(str).tolist()
    ['object', 'int64', 'object']
    """
    skip = set(skip)
    out = df.copy()
    for c in out.columns:
        if c not in skip:
            out[c] = numeric_text(out[c])
    return out


def jsonable(value):
    """A plain JSON value: numpy scalars become Python, dates ISO text, NaN/inf None; dicts and
    lists recursively; anything else its ``str``. The one converter behind every JSON artifact.

    >>> import numpy as np, datetime as dt
    >>> jsonable({"n": np.int64(3), "p": float("nan"), "d": dt.date(2026, 1, 2), "x": [np.float64(0.5)]})
    {'n': 3, 'p': None, 'd': '2026-01-02', 'x': [0.5]}
    """
    import datetime as _dt

    if hasattr(value, "item") and callable(value.item) and not isinstance(value, (list, dict)):
        try:
            value = value.item()
        except (TypeError, ValueError):
            pass
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)
