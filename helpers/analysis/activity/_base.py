"""What every activity measure shares: epoch days, period indexes, the active-row filter and the
signup day of a user. Private to :mod:`helpers.analysis.activity`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np
import pandas as pd

from helpers.core import schema as S
from helpers.core.checks import require_columns
from helpers.core.errors import DataError

EPOCH = dt.date(1970, 1, 1)
EPOCH_TS = pd.Timestamp(EPOCH)  # for vectorised epoch-day -> datetime64 conversions
FIRST_MONDAY_ED = 4  # 1970-01-05, a Monday, is epoch day 4
ED = "_ed"  # epoch-day column added internally
P = "_p"  # period-index column added internally


def ed(d: dt.date) -> int:
    """Epoch day of ``d``.

    >>> ed(dt.date(1970, 1, 5))
    4
    """
    return (d - EPOCH).days


def from_ed(e) -> dt.date:
    """The date of epoch day ``e``.

    >>> from_ed(4)
    datetime.date(1970, 1, 5)
    """
    return EPOCH + dt.timedelta(days=int(e))


def check_user_day(user_day, extra: Iterable[str] = ()) -> None:
    require_columns(user_day, [S.USER_ID, S.DAY, S.UD_ACTIVE_EVENTS, *extra], "user_day")


def event_columns(user_day) -> list[str]:
    return [c for c in user_day.columns if c.startswith(S.EVENT_COUNT_PREFIX)]


def with_ed(user_day):
    return user_day.mutate(**{ED: user_day[S.DAY].epoch_days()})


def active(user_day):
    """Active rows of user_day with the epoch day added."""
    check_user_day(user_day)
    t = with_ed(user_day)
    return t.filter(t[S.UD_ACTIVE_EVENTS] > 0)


def period_expr(t, period: str):
    """Integer period index of each row (weeks from Monday 1970-01-05; months year*12+m-1)."""
    if period == "week":
        return (t[ED] - FIRST_MONDAY_ED) // 7
    return t[S.DAY].year() * 12 + t[S.DAY].month() - 1


def period_of(d: dt.date, period: str) -> int:
    """Period index of the day ``d``.

    >>> period_of(dt.date(2024, 1, 31), "month"), period_of(dt.date(1970, 1, 11), "week")
    (24288, 0)
    """
    if period == "week":
        return (ed(d) - FIRST_MONDAY_ED) // 7
    return d.year * 12 + d.month - 1


def period_start(p: int, period: str) -> dt.date:
    """First day of period ``p``.

    >>> period_start(24288, "month")
    datetime.date(2024, 1, 1)
    """
    if period == "week":
        return from_ed(FIRST_MONDAY_ED + 7 * int(p))
    return dt.date(int(p) // 12, int(p) % 12 + 1, 1)


def period_end(p: int, period: str) -> dt.date:
    """Last day of period ``p``."""
    return period_start(int(p) + 1, period) - dt.timedelta(days=1)


def execute(expr) -> pd.DataFrame:
    return expr.execute()


def signup_days(users: pd.DataFrame, tz: str | None) -> pd.Series:
    """signup day (business-timezone date) per user_id, from the users table (pandas, per user)."""
    if users is None or S.SIGNUP_TIME not in users.columns:
        raise DataError(
            f"The signup basis needs a users table with a `{S.SIGNUP_TIME}` column; "
            f"found columns {None if users is None else list(users.columns)[:8]}."
        )
    ts = pd.to_datetime(users[S.SIGNUP_TIME])
    if ts.dt.tz is None:
        ts = ts.dt.tz_localize("UTC")
    if tz:
        ts = ts.dt.tz_convert(tz)
    days = ts.dt.tz_localize(None).dt.normalize()
    out = pd.Series(days.values, index=users[S.USER_ID].astype(str).values, name="signup_day")
    return out[out.notna()]


def signup_periods(users, tz, period) -> pd.DataFrame:
    """user_id and ``_sp``, the period index of each user's signup day."""
    sd = signup_days(users, tz)
    if period == "week":
        p = (sd.to_numpy("datetime64[D]").astype("int64") - FIRST_MONDAY_ED) // 7
    else:
        p = sd.dt.year.to_numpy() * 12 + sd.dt.month.to_numpy() - 1
    return pd.DataFrame({S.USER_ID: sd.index.astype(str), "_sp": np.asarray(p, dtype="int64")})
