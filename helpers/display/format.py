"""Numbers as a report shows them: one function per kind of value, one missing mark.

Every number a report prints goes through :func:`fmt` with a *kind*: a count is a whole number
with thousands separators, a share is a percentage, money carries the configured currency, a
p-value below 0.001 reads "< 0.001". Sections and renderers name the kind; they never round or
format a number themselves. The kinds:

========== ========================================= ==================
kind       for                                       example
========== ========================================= ==================
count      users, rows, events (whole numbers)       ``12,345``
number     means, rates, anything else               ``3.14``, ``1,235``
share      a fraction shown as a percentage          ``12.3%``
change     a relative change (fraction), signed      ``+20.8%``
pct        a change already in percent, signed       ``+20.8%``
pp         a difference of two shares, signed        ``+1.2 pts``
money      an amount in the project currency         ``¥12,345.60``
month      a calendar month (``2026-10``)                ``2026-10``, ``2026年10月``
pvalue     a p-value                                 ``0.012``, ``< 0.001``
ratio      hazard ratios, lifts as multiples         ``0.52``
score      a 0..1 model score (AUC, silhouette)      ``0.937``
days       durations in days                         ``18``, ``3.5``
date       dates and instants (as given)             ``2026-10-31``
bool       yes/no flags                              ``yes``
event      an event name from the data               ``add to cart``, ``加入购物车``
text       anything else, shown as is                ``checkout_v2``
========== ========================================= ==================

The report language's locale (:func:`helpers.display.messages.locale`) decides the symbols,
through Babel: money is ``¥12,345.60`` in Chinese and ``CN¥12,345.60`` in English (CLDR's
unambiguous symbol), a month ``2026年10月`` in Chinese. In sentences (:func:`helpers.display.text.t`
passes ``prose=True``) Chinese reads large counts and amounts the Chinese way, ``1.2万`` and
``¥3.4亿``; tables keep every digit.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from collections.abc import Callable

import numpy as np
import pandas as pd
from babel.dates import format_date, format_skeleton
from babel.numbers import (
    format_compact_currency,
    format_compact_decimal,
    format_currency,
    get_decimal_symbol,
    get_group_symbol,
)

from helpers.display.messages import has, language, locale, word

__all__ = [
    "MISSING",
    "KINDS",
    "fmt",
    "is_missing",
    "set_currency",
    "currency",
    "set_timezone",
    "timezone",
    "date_axis_formats",
]

#: The one mark for a value that is missing or undefined, in every table and sentence.
MISSING = "–"

_settings: dict[str, str | None] = {"currency": None, "timezone": None}


def set_currency(code: str | None) -> None:
    """Set the ISO currency code money is shown with (``None``: a plain amount).

    ``helpers.report.context.start`` calls it from the config's ``currency`` key.
    """
    _settings["currency"] = code.upper() if code else None


def currency() -> str | None:
    """The ISO currency code money is shown with, or ``None``."""
    return _settings["currency"]


def set_timezone(name: str | None) -> None:
    """Set the business timezone instants are shown in (``None``: as given).

    ``helpers.report.context.start`` calls it from the config's ``timezone`` key.
    """
    _settings["timezone"] = name or None


def timezone() -> str | None:
    """The business timezone instants are shown in, or ``None``."""
    return _settings["timezone"]


def is_missing(value) -> bool:
    """True for None, NaN, NaT and pandas' NA.

    Examples
    --------
    >>> is_missing(None), is_missing(float("nan")), is_missing(pd.NaT), is_missing(0)
    (True, True, True, False)
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, (float, np.floating)):
        return math.isnan(value)
    try:
        return bool(pd.isna(value)) if np.ndim(value) == 0 else False
    except (TypeError, ValueError):
        return False


#: From this size on, a sentence in a language that counts in 万 reads ``1.2万``.
_COMPACT_FROM = 10_000
_COMPACT_LANGUAGES = frozenset({"zh"})


def _grouped(x: float, decimals: int) -> str:
    text = f"{x:,.{decimals}f}"
    loc = locale()
    group, point = get_group_symbol(loc), get_decimal_symbol(loc)
    if (group, point) != (",", "."):
        text = text.replace(",", "\0").replace(".", point).replace("\0", group)
    return text


def _compact(x: float) -> str | None:
    """``1.2万``, ``3.4亿`` in a sentence of a language that counts so; else None."""
    if language() not in _COMPACT_LANGUAGES or abs(x) < _COMPACT_FROM:
        return None
    return format_compact_decimal(x, locale=locale(), fraction_digits=1)


def _count(x) -> str:
    x = float(x)
    if x != round(x):  # a mean of counts: keep one decimal rather than hide it
        return _grouped(x, 1)
    return _grouped(x, 0)


def _number(x, digits: int | None = None) -> str:
    x = float(x)
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    if digits is not None:
        return _grouped(x, digits)
    a = abs(x)
    if a >= 100:
        return _grouped(x, 0)
    if a >= 10:
        return _grouped(x, 1)
    if a >= 1 or a == 0:
        return _grouped(x, 2)
    return f"{x:.2g}" if a >= 1e-4 else f"{x:.1e}"


def _share(x, digits: int | None = None) -> str:
    x = float(x)
    d = 1 if digits is None else digits
    if x != 0 and abs(x) < 0.5 * 10 ** (-d - 2):
        return ("< " if x > 0 else "> −") + f"{10 ** (-d):.{d}f}%"
    return f"{100 * x:.{d}f}%"


def _signed(x: float, d: int) -> str:
    """``x`` with a sign and ``d`` decimals; a value that rounds to zero has no sign."""
    text = f"{x:+.{d}f}"
    return text[1:] if float(text) == 0 else text


def _change(x, digits: int | None = None) -> str:
    d = 1 if digits is None else digits
    return _signed(100 * float(x), d) + "%"


def _pct(x, digits: int | None = None) -> str:
    d = 1 if digits is None else digits
    return _signed(float(x), d) + "%"


def _pp(x, digits: int | None = None) -> str:
    d = 1 if digits is None else digits
    return word("format.pp").format(value=_signed(100 * float(x), d))


def _money(x, digits: int | None = None, prose: bool = False) -> str:
    x = float(x)
    d = 2 if digits is None else digits
    code = _settings["currency"]
    compact = prose and _compact(x) is not None
    if code is None:
        return _compact(x) if compact else ("−" if x < 0 else "") + _grouped(abs(x), d)
    if compact:
        text = format_compact_currency(x, code, locale=locale(), fraction_digits=1)
        return "−" + text[1:] if text.startswith("-") else text
    pattern = "¤#,##0" + ("." + "0" * d if d > 0 else "")
    text = format_currency(x, code, format=pattern, locale=locale(), currency_digits=False)
    return "−" + text[1:] if text.startswith("-") else text


def _month(x, digits: int | None = None) -> str:
    """A month (``"2026-10"``, a date or a pandas Period) as the language writes it."""
    if isinstance(x, pd.Period):
        x = x.start_time
    if isinstance(x, str):
        try:
            x = dt.date.fromisoformat(x[:7] + "-01")
        except ValueError:
            return x
    if isinstance(x, dt.datetime | pd.Timestamp):
        x = x.date()
    if language() == "en":
        return f"{x.year:04d}-{x.month:02d}"
    return format_skeleton("yMMM", x, locale=locale())


def _pvalue(p, digits: int | None = None) -> str:
    p = float(p)
    if p < 0.001:
        return "< 0.001"
    return f"{p:.{3 if digits is None else digits}f}"


def _ratio(x, digits: int | None = None) -> str:
    return _number(x, 2 if digits is None else digits)


def _score(x, digits: int | None = None) -> str:
    return _number(x, 3 if digits is None else digits)


def _days(x, digits: int | None = None) -> str:
    x = float(x)
    if math.isinf(x):
        return word("format.not_reached")
    if digits is not None:
        return _grouped(x, digits)
    return _grouped(x, 0) if abs(x) >= 10 or x == round(x) else _grouped(x, 1)


#: Date-axis tick formats of matplotlib's ConciseDateFormatter per language (None: its
#: defaults, English month names): years, months, days, hours, minutes, seconds.
_DATE_AXIS = {
    "zh": {
        "formats": ["%Y年", "%-m月", "%-d日", "%H:%M", "%H:%M", "%S.%f"],
        "zero_formats": ["", "%Y年", "%-m月", "%-m月%-d日", "%H:%M", "%H:%M"],
        "offset_formats": ["", "%Y年", "%Y年%-m月", "%Y年%-m月%-d日", "%Y年%-m月%-d日", ""],
    }
}


def date_axis_formats() -> dict:
    """Keyword arguments for ``matplotlib.dates.ConciseDateFormatter`` in the report language
    (empty for English: its defaults).

    >>> date_axis_formats()
    {}
    """
    return dict(_DATE_AXIS.get(language(), {}))


def _date(x, digits: int | None = None, prose: bool = False) -> str:
    """A date as ``2026-10-31`` (in a Chinese sentence ``2026年10月31日``); an instant (a
    timezone-aware time) in the business timezone, named: ``2025-11-01 00:09 Asia/Shanghai``
    (in Chinese ``北京时间``)."""
    if isinstance(x, pd.Timestamp):
        x = x.to_pydatetime()
    if isinstance(x, str) and prose and language() != "en":
        try:
            x = dt.date.fromisoformat(x)
        except ValueError:
            return x
    if isinstance(x, dt.datetime) and x.tzinfo is not None:
        zone = _settings["timezone"]
        if zone:
            x = pd.Timestamp(x).tz_convert(zone).to_pydatetime()
        return f"{x:%Y-%m-%d %H:%M} {_zone_name(zone or x.tzname())}"
    if isinstance(x, dt.datetime):
        if x.hour == x.minute == x.second == 0 and x.microsecond == 0:
            x = x.date()
        else:
            return x.strftime("%Y-%m-%d %H:%M")
    if isinstance(x, dt.date):
        if prose and language() != "en":
            return format_date(x, "long", locale=locale())
        return x.isoformat()
    return str(x)


def _zone_name(zone: str) -> str:
    """A timezone as the report language names it (``tz.<IANA name>``), else its IANA name."""
    return word(f"tz.{zone}") if has(f"tz.{zone}") else zone


def _event(x, digits: int | None = None) -> str:
    """An event name from the data: in English words (``add to cart``), elsewhere as logged."""
    if language() == "en":
        return str(x).replace("_", " ")
    key = f"value.{x}"  # the kit's own events (order, other) have a name in each language
    return word(key) if has(key) else str(x)


def _bool(x, digits: int | None = None) -> str:
    return word("format.yes") if bool(x) else word("format.no")


def _text(x, digits: int | None = None) -> str:
    if isinstance(x, pd.Interval):  # a bin: "16–27", not pandas' "(15.999, 27.0]"
        return f"{round(float(x.left), 2):g}–{round(float(x.right), 2):g}"
    if isinstance(x, (float, np.floating)):
        return _number(x, digits)
    if isinstance(x, (bool, np.bool_)):
        return _bool(x)
    if isinstance(x, numbers.Integral):
        return _count(x)
    return str(x)


_FORMATTERS: dict[str, Callable] = {
    "count": lambda x, d=None: _count(x),
    "number": _number,
    "share": _share,
    "change": _change,
    "pct": _pct,
    "pp": _pp,
    "money": _money,
    "month": _month,
    "pvalue": _pvalue,
    "ratio": _ratio,
    "score": _score,
    "days": _days,
    "date": _date,
    "bool": _bool,
    "event": _event,
    "text": _text,
}

#: The kinds :func:`fmt` knows.
KINDS = tuple(_FORMATTERS)


def fmt(value, kind: str = "number", *, digits: int | None = None, prose: bool = False) -> str:
    """Format one value for a report.

    Parameters
    ----------
    value
        A number, date, flag or text; None and NaN show as :data:`MISSING`.
    kind : str
        One of :data:`KINDS` (see the module docs).
    digits : int, optional
        Decimals, where the kind's default does not fit.
    prose : bool
        The value stands in a sentence: in Chinese, counts and amounts of 10,000 and more read
        ``1.2万`` (tables keep every digit).

    Examples
    --------
    >>> fmt(352.0, "count"), fmt(0.1234, "share"), fmt(0.208, "change"), fmt(0.0004, "pvalue")
    ('352', '12.3%', '+20.8%', '< 0.001')
    >>> fmt(float("nan"), "share"), fmt(0.0123, "pp"), fmt(3.14159), fmt(True, "bool")
    ('–', '+1.2 pts', '3.14', 'yes')
    """
    if kind not in _FORMATTERS:
        raise ValueError(
            f"The value for `kind` must be one of {list(KINDS)}, but {kind!r} was passed."
        )
    if is_missing(value):
        return MISSING
    try:
        if prose and kind == "count":  # users, orders: 1.2万; a statistic keeps its digits
            compact = _compact(float(value))
            if compact is not None:
                return compact
        if kind == "money":
            return _money(value, digits, prose)
        if kind == "date":
            return _date(value, digits, prose)
        return _FORMATTERS[kind](value, digits)
    except (TypeError, ValueError):
        return str(value)
