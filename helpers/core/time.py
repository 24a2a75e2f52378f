"""Months and days of the review: ``YYYY-MM`` checked, month bounds, ranges and shifts.

Every date here is a calendar date in the business timezone (see ``docs/internals.md``, Time).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

from helpers.core.errors import ParameterError

__all__ = ["parse_month", "month_bounds", "shift_month", "month_range", "check_month_in_data"]

_MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_month(month: str, *, parameter: str = "month") -> str:
    """Check that ``month`` is ``YYYY-MM`` and return it.

    Raises
    ------
    ParameterError
        Naming ``parameter``, with an example of a valid value.

    Examples
    --------
    >>> parse_month("2026-10")
    '2026-10'
    """
    if not isinstance(month, str) or not _MONTH_RE.match(month.strip()):
        raise ParameterError(
            f"The parameter `{parameter}` must be a month written YYYY-MM, "
            f"e.g. '2026-10', but {month!r} was passed."
        )
    return month.strip()


def month_bounds(month: str) -> tuple[dt.date, dt.date]:
    """First and last day of ``month`` (``YYYY-MM``).

    Examples
    --------
    >>> month_bounds("2024-02")
    (datetime.date(2024, 2, 1), datetime.date(2024, 2, 29))
    """
    year, mon = (int(x) for x in parse_month(month).split("-"))
    return dt.date(year, mon, 1), dt.date(year, mon, calendar.monthrange(year, mon)[1])


def shift_month(month: str, delta: int) -> str:
    """The month ``delta`` months after ``month`` (before, when negative).

    Examples
    --------
    >>> shift_month("2026-01", -1), shift_month("2026-11", 2)
    ('2025-12', '2027-01')
    """
    year, mon = (int(x) for x in month.split("-"))
    index = year * 12 + (mon - 1) + delta
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_range(spec: str, *, parameter: str = "months") -> list[str]:
    """Months of a range ``"2026-05..2026-10"`` (both ends included), in order.

    Examples
    --------
    >>> month_range("2025-11..2026-02")
    ['2025-11', '2025-12', '2026-01', '2026-02']
    """
    parts = spec.split("..") if isinstance(spec, str) else []
    if len(parts) != 2:
        raise ParameterError(
            f"The parameter `{parameter}` must be a range FIRST..LAST of YYYY-MM "
            f"months, e.g. '2026-05..2026-10', but {spec!r} was passed."
        )
    first = parse_month(parts[0], parameter=parameter)
    last = parse_month(parts[1], parameter=parameter)
    if last < first:
        raise ParameterError(
            f"The parameter `{parameter}` must go forward in time, e.g. "
            f"'{last}..{first}', but {spec!r} was passed."
        )
    months = [first]
    while months[-1] != last:
        months.append(shift_month(months[-1], 1))
    return months


def check_month_in_data(
    month: str, data_start: dt.date | None, data_end: dt.date | None, *, parameter: str = "month"
) -> None:
    """Raise a :class:`ParameterError` when ``month`` does not overlap the data window."""
    first, last = month_bounds(month)
    if data_start is None or data_end is None:
        return
    if last < data_start or first > data_end:
        raise ParameterError(
            f"The parameter `{parameter}` must be a month inside the data window "
            f"{data_start.isoformat()} .. {data_end.isoformat()} (e.g. "
            f"'{data_end.isoformat()[:7]}'), but {month!r} was passed."
        )
