"""Headline numbers of a toy month counted by hand."""

import datetime as dt

import ibis
import numpy as np
import pandas as pd
import pytest

from helpers.analysis.activity.headline import headline
from helpers.analysis.activity.lifecycle import lifecycle
from helpers.analysis.activity.rolling import monthly_active, rolling_active


def toy_user_day():
    rows = [  # user, day, view, push(passive), order
        ("a", "2026-01-30", 2, 0, 0),
        ("a", "2026-02-02", 0, 1, 0),
        ("a", "2026-02-03", 1, 0, 1),
        ("b", "2026-02-03", 0, 2, 0),
        ("c", "2026-02-10", 3, 0, 0),
        ("c", "2026-02-28", 1, 0, 0),
    ]
    df = pd.DataFrame(rows, columns=["user_id", "day", "ev_view", "ev_push", "ev_order"])
    df["day"] = pd.to_datetime(df["day"]).dt.date
    df["events"] = df.ev_view + df.ev_push + df.ev_order
    df["active_events"] = df.ev_view + df.ev_order
    df["orders"] = df.ev_order
    df["revenue"] = df.ev_order * 10.0
    df["refunds"] = 0
    return ibis.memtable(df)


def test_headline_on_toy_month():
    ud = toy_user_day()
    start, as_of = dt.date(2026, 2, 1), dt.date(2026, 2, 28)
    rolling = rolling_active(ud, start=dt.date(2026, 1, 1), end=as_of)
    monthly = monthly_active(ud, month="2026-02")
    lc = lifecycle(ud, period="month", start=dt.date(2026, 1, 1), end=as_of)
    h = headline(rolling, monthly, lc, month_start=start, as_of=as_of)
    # active days in Feb: a on 3rd, c on 10th and 28th -> DAU sum 3 over 28 days
    assert h.dau_avg == pytest.approx(3 / 28)
    # WAU on 02-28: only c; MAU (28 days, 02-01..02-28): a and c
    assert h.wau == 1 and h.mau == 2
    # calendar MAU: Jan {a}, Feb {a, c} -> +100%
    assert h.mau_calendar == 2 and h.mau_change_pct == pytest.approx(100.0)
    # Feb lifecycle: a returning, c new, nobody dormant -> quick ratio undefined (inf or nan)
    assert not np.isfinite(h.quick_ratio) or h.quick_ratio > 1e6
    # stickiness: mean DAU/MAU over Feb; on 02-28 WAU/MAU = 1/2
    assert h.wau_mau == pytest.approx(0.5)
    assert (h.as_of, h.wau_days, h.mau_days) == (as_of, 7, 28)
