"""helpers.display.format: every kind on hand-picked values, and the one missing mark."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from helpers.display import format as F
from helpers.display.messages import set_language


@pytest.mark.parametrize(
    "value, kind, expected",
    [
        (352.0, "count", "352"),
        (np.int64(1234567), "count", "1,234,567"),
        (12.5, "count", "12.5"),  # a mean of counts keeps its decimal instead of hiding it
        (0.1234, "share", "12.3%"),
        (1.0, "share", "100.0%"),
        (0.00001, "share", "< 0.1%"),
        (0.208, "change", "+20.8%"),
        (-0.05, "change", "-5.0%"),
        (20.83, "pct", "+20.8%"),
        (-0.02, "pct", "0.0%"),  # rounds to zero: no sign
        (-0.0002, "change", "0.0%"),
        (pd.Interval(15.999, 27.0), "text", "16–27"),
        (0.0123, "pp", "+1.2 pts"),
        (0.0004, "pvalue", "< 0.001"),
        (0.0, "pvalue", "< 0.001"),
        (0.04321, "pvalue", "0.043"),
        (1.0, "pvalue", "1.000"),
        (0.515, "ratio", "0.52"),
        (0.93712, "score", "0.937"),
        (18.0, "days", "18"),
        (3.5, "days", "3.5"),
        (float("inf"), "days", "not reached"),
        (dt.date(2026, 10, 31), "date", "2026-10-31"),
        (pd.Timestamp("2026-10-31 16:09:52"), "date", "2026-10-31 16:09"),
        (pd.Timestamp("2026-10-31"), "date", "2026-10-31"),
        (True, "bool", "yes"),
        (np.bool_(False), "bool", "no"),
        ("checkout_v2", "text", "checkout_v2"),
        (1234.5678, "number", "1,235"),
        (12.345, "number", "12.3"),
        (3.14159, "number", "3.14"),
        (0.01234, "number", "0.012"),
    ],
)
def test_each_kind_formats_as_documented(value, kind, expected):
    assert F.fmt(value, kind) == expected


@pytest.mark.parametrize("missing", [None, float("nan"), np.nan, pd.NaT, pd.NA])
@pytest.mark.parametrize("kind", F.KINDS)
def test_one_missing_mark_for_every_kind(missing, kind):
    assert F.fmt(missing, kind) == F.MISSING == "–"


def test_money_carries_the_configured_currency():
    try:
        F.set_currency(None)
        assert F.fmt(12345.6, "money") == "12,345.60"
        F.set_currency("CNY")  # English: CLDR's unambiguous symbol
        assert F.fmt(12345.6, "money") == "CN¥12,345.60"
        assert F.fmt(-3.5, "money") == "−CN¥3.50"
        assert F.fmt(12345.6, "money", prose=True) == "CN¥12,345.60"  # English keeps digits
        F.set_currency("CHF")
        assert F.fmt(10, "money") == "CHF10.00"
    finally:
        F.set_currency(None)


def test_chinese_money_large_figures_and_months():
    try:
        set_language("zh")
        F.set_currency("CNY")
        assert F.fmt(12345.6, "money") == "¥12,345.60"  # tables keep every digit
        assert F.fmt(-3.5, "money") == "−¥3.50"
        assert F.fmt(12345.6, "money", prose=True) == "¥1.2万"
        assert F.fmt(340_000_000, "count", prose=True) == "3.4亿"
        assert F.fmt(9_999, "count", prose=True) == "9,999"  # below 1万: every digit
        assert F.fmt(12_345, "count") == "12,345"
        assert F.fmt("2026-10", "month") == "2026年10月"
        assert F.fmt(0.1234, "share") == "12.3%"
        assert F.fmt(True, "bool") == "是"
        F.set_currency(None)
        assert F.fmt(12345.6, "money", prose=True) == "1.2万"
    finally:
        set_language("en")
        F.set_currency(None)
    assert F.fmt("2026-10", "month") == "2026-10"  # English keeps its format


def test_instants_show_in_the_business_timezone_named():
    utc = pd.Timestamp("2025-10-31T16:09:52", tz="UTC")
    try:
        F.set_timezone("Asia/Shanghai")
        assert F.fmt(utc, "date") == "2025-11-01 00:09 Asia/Shanghai"
        F.set_timezone(None)
        assert F.fmt(utc, "date") == "2025-10-31 16:09 UTC"
    finally:
        F.set_timezone(None)
    assert F.fmt(pd.Timestamp("2025-10-31"), "date") == "2025-10-31"  # a date stays a date


def test_digits_override_the_kind_default():
    assert F.fmt(0.12345, "share", digits=2) == "12.35%"
    assert F.fmt(2.0, "number", digits=0) == "2"


def test_unknown_kind_is_one_sentence():
    with pytest.raises(ValueError, match=r"`kind` must be one of \[.*'count'.*\], but 'percent'"):
        F.fmt(1, "percent")
