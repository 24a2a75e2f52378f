"""Who counts as active and everything that follows from it, computed from ``user_day``.

Every reduction over ``user_day`` rows is an ibis expression (backend-neutral, no SQL strings);
only per-day, per-period, per-cohort and per-user aggregates come back as pandas. Nothing here
reads the clock: every measure that depends on "now" takes an explicit ``as_of`` (a date in the
business timezone, the last day of the reviewed month).

Conventions shared by every function (docs/internals.md):

* a user is *active* on a day when ``active_events > 0`` (orders count);
* days are business-timezone dates; weeks start on Monday; months are calendar months;
* a window of ``n`` days "ending" on ``d`` is ``[d - n + 1, d]`` (both ends included);
* periods are numbered by an integer index so that "the previous period" is ``index - 1``:
  weeks count from Monday 1970-01-05, months are ``year * 12 + month - 1``.

Results are small objects with tidy DataFrames, the parameters and row counts they were
computed from, and a ``_repr_html_`` so a notebook cell is just ``result``.

Examples
--------
>>> from helpers.data.pipeline import load_project                       # doctest: +SKIP
>>> ud = load_project("data/sample/persona.yaml").user_day          # doctest: +SKIP
>>> rolling_active(ud, start="2026-09-01", end="2026-09-30")        # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import ibis
import numpy as np
import pandas as pd
from scipy import stats

from helpers.core import schema as S
from helpers.core.checks import as_date, as_month, one_of, require_columns
from helpers.core.errors import DataError, ParameterError

__all__ = [
    "apply_definition",
    "definition_sensitivity",
    "rolling_active",
    "monthly_active",
    "power_user_curve",
    "stickiness_over_time",
    "lifecycle",
    "retention_matrix",
    "km_retention",
    "wilson_interval",
    "attribute_profile",
    "active_behaviour",
    "retention_drivers",
    "active_users_snapshot",
    "ActivityResult",
]

_EPOCH = dt.date(1970, 1, 1)
_FIRST_MONDAY_ED = 4  # 1970-01-05, a Monday, is epoch day 4
_ED = "_ed"  # epoch-day column added internally
_P = "_p"  # period-index column added internally
LIFECYCLE_STATES = ("new", "returning", "resurrecting", "dormant")


# ------------------------------------------------------------------------------------------------
# result object
# ------------------------------------------------------------------------------------------------
@dataclass
class ActivityResult:
    """An activity analysis: tidy tables, the parameters used and row counts, self-displaying.

    Attributes
    ----------
    title : str
        One-sentence heading shown above the tables.
    tables : dict of str to DataFrame
        The tidy results; each is also reachable as an attribute (``result.daily``).
    params : dict
        The parameters the analysis was computed with.
    counts : dict
        Row / user counts the analysis rests on (for the record and the report).
    display : dict of str to {"head", "tail", "hide"}
        How a long table shows in the notebook (every table stays whole in ``tables``). By
        default a table over time (first column a day, period or cohort) shows its latest rows
        and any other table its first rows: ranked tables are sorted best first.
    """

    title: str
    tables: dict[str, pd.DataFrame]
    params: dict = field(default_factory=dict)
    counts: dict = field(default_factory=dict)
    display: dict = field(default_factory=dict)

    def __getattr__(self, name):
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(name)

    def __dir__(self):
        return [*super().__dir__(), *self.tables]

    def _repr_html_(self, max_rows: int = 30) -> str:
        parts = [f"<h4>{html.escape(self.title)}</h4>"]
        if self.params:
            p = ", ".join(f"{k}={v}" for k, v in self.params.items())
            parts.append(f"<p><small>parameters: {html.escape(p)}</small></p>")
        if self.counts:
            c = ", ".join(
                f"{k}: {v:,}" if isinstance(v, (int, np.integer)) else f"{k}: {v}"
                for k, v in self.counts.items()
            )
            parts.append(f"<p><small>{html.escape(c)}</small></p>")
        for name, df in self.tables.items():
            how = self.display.get(name) or _default_display(df)
            if how == "hide":
                continue
            shown = (
                df
                if len(df) <= max_rows
                else (df.tail(max_rows) if how == "tail" else df.head(max_rows))
            )
            note = (
                ""
                if len(df) <= max_rows
                else f" ({'latest' if how == 'tail' else 'first'} {max_rows} of {len(df):,} rows)"
            )
            parts.append(f"<p><b>{html.escape(name)}</b>{note}</p>")
            parts.append(shown.round(3).to_html(index=False, na_rep="", escape=True))
        return "\n".join(parts)


TIME_COLUMNS = ("day", "date", "period", "period_start", "month", "week", "cohort", "cohort_start")


def _default_display(df: pd.DataFrame) -> str:
    """'tail' (latest rows) for a table over time, 'head' (first rows) for any other."""
    if not len(df.columns):
        return "head"
    first = df.columns[0]
    temporal = (
        str(first) in TIME_COLUMNS
        or pd.api.types.is_datetime64_any_dtype(df[first])
        or (df[first].dtype == object and len(df) and isinstance(df[first].iloc[0], dt.date))
    )
    return "tail" if temporal else "head"


# ------------------------------------------------------------------------------------------------
# small utilities: validation, dates, periods
# ------------------------------------------------------------------------------------------------
def _ed(d: dt.date) -> int:
    return (d - _EPOCH).days


def _from_ed(ed) -> dt.date:
    return _EPOCH + dt.timedelta(days=int(ed))


def _check_user_day(user_day, extra: Iterable[str] = ()) -> None:
    require_columns(user_day, [S.USER_ID, S.DAY, S.UD_ACTIVE_EVENTS, *extra], "user_day")


def _event_columns(user_day) -> list[str]:
    return [c for c in user_day.columns if c.startswith(S.EVENT_COUNT_PREFIX)]


def _with_ed(user_day):
    return user_day.mutate(**{_ED: user_day[S.DAY].epoch_days()})


def _active(user_day):
    """Active rows of user_day with the epoch day added."""
    _check_user_day(user_day)
    t = _with_ed(user_day)
    return t.filter(t[S.UD_ACTIVE_EVENTS] > 0)


def _period_expr(t, period: str):
    """Integer period index of each row (weeks from Monday 1970-01-05; months year*12+m-1)."""
    if period == "week":
        return (t[_ED] - _FIRST_MONDAY_ED) // 7
    return t[S.DAY].year() * 12 + t[S.DAY].month() - 1


def _period_of(d: dt.date, period: str) -> int:
    if period == "week":
        return (_ed(d) - _FIRST_MONDAY_ED) // 7
    return d.year * 12 + d.month - 1


def _period_start(p: int, period: str) -> dt.date:
    if period == "week":
        return _from_ed(_FIRST_MONDAY_ED + 7 * int(p))
    return dt.date(int(p) // 12, int(p) % 12 + 1, 1)


def _period_end(p: int, period: str) -> dt.date:
    return _period_start(int(p) + 1, period) - dt.timedelta(days=1)


def _execute(expr) -> pd.DataFrame:
    return expr.execute()


def _signup_days(users: pd.DataFrame, tz: str | None) -> pd.Series:
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


# ------------------------------------------------------------------------------------------------
# 1. definition of active
# ------------------------------------------------------------------------------------------------
def apply_definition(
    user_day,
    *,
    active_events: Sequence[str] | None = None,
    passive_events: Sequence[str] | None = None,
    min_events: int = 1,
):
    """Re-derive ``active_events`` from the ``ev_`` columns under another definition of active.

    Parameters
    ----------
    user_day : ibis Table
        The user_day table (docs/internals.md).
    active_events : list of str, optional
        Event names that make a user active (``ev_<name>`` must exist). Orders count only if
        ``"order"`` is listed. Takes precedence over ``passive_events``.
    passive_events : list of str, optional
        Event names that do *not* make a user active; every other ``ev_`` column does.
    min_events : int, default 1
        A day counts as active when the re-derived count is at least this; days below keep
        ``active_events = 0`` so the rule "active when ``active_events > 0``" still holds.
        With neither list given the existing ``active_events`` is thresholded.

    Returns
    -------
    ibis Table
        ``user_day`` with ``active_events`` replaced; the input is not changed.

    Examples
    --------
    >>> apply_definition(ud, passive_events=["push_received", "email_sent"])  # doctest: +SKIP
    """
    _check_user_day(user_day)
    if int(min_events) < 1:
        raise ParameterError(f"`min_events` must be at least 1, but {min_events!r} was passed.")
    ev_cols = _event_columns(user_day)
    if active_events is not None:
        names = [S.event_count_column(e) for e in active_events]
    elif passive_events is not None:
        drop = {S.event_count_column(e) for e in passive_events}
        names = [c for c in ev_cols if c not in drop]
    else:
        names = None
    if names is not None:
        missing = [n for n in names if n not in ev_cols]
        if missing:
            raise DataError(
                f"user_day has no column {missing[0]!r} for the event named in the definition; "
                f"expected one of {ev_cols[:10]}."
            )
        count = sum((user_day[n] for n in names), ibis.literal(0)) if names else ibis.literal(0)
    else:
        count = user_day[S.UD_ACTIVE_EVENTS]
    new = (count >= int(min_events)).ifelse(count, 0).cast("int64")
    return user_day.mutate(**{S.UD_ACTIVE_EVENTS: new})


def definition_sensitivity(
    user_day,
    *,
    as_of,
    min_active_days: Sequence[int] = (1, 2, 4, 8),
    event_columns: Sequence[str] | None = None,
    passive_events: Sequence[str] = (),
    window_days: int = 28,
) -> ActivityResult:
    """How MAU and the active base move when the definition of active changes.

    Variants (one row each): the chosen definition (``active_events > 0`` on at least one day of
    the ``window_days`` window ending ``as_of``); at least ``k`` active days in the window for
    each ``k`` in ``min_active_days``; and, for each counted event, the chosen definition with
    that event removed (a day stays active if ``active_events - ev_<event> > 0``).

    Parameters
    ----------
    user_day : ibis Table
    as_of : date or str
        Last day of the window.
    min_active_days : sequence of int
    event_columns : list of str, optional
        Event names to remove one at a time; default every ``ev_`` column except passive ones.
    passive_events : list of str
        Events that never counted (removing them changes nothing, so they are skipped).
    window_days : int, default 28

    Returns
    -------
    ActivityResult
        ``variants``: definition, mau, change_vs_chosen, change_pct, active_user_days (active
        user-days in the window), ever_active (users active on any day up to ``as_of``).
    """
    as_of = as_date(as_of, "as_of")
    _check_user_day(user_day)
    ev_cols = _event_columns(user_day)
    passive = {S.event_count_column(e) for e in passive_events}
    if event_columns is None:
        removable = [c for c in ev_cols if c not in passive]
    else:
        removable = [S.event_count_column(e) for e in event_columns]
        missing = [c for c in removable if c not in ev_cols]
        if missing:
            raise DataError(
                f"`event_columns`: user_day has no column {missing[0]!r}; "
                f"expected one of {ev_cols[:10]}."
            )
    t = _with_ed(user_day)
    t = t.filter(t[_ED] <= _ed(as_of))
    in_win = t[_ED] >= _ed(as_of) - window_days + 1
    conds = {"chosen": t[S.UD_ACTIVE_EVENTS] > 0}
    for c in removable:
        conds[f"without {c[len(S.EVENT_COUNT_PREFIX) :]}"] = (t[S.UD_ACTIVE_EVENTS] - t[c]) > 0
    keys = {name: f"v{i}" for i, name in enumerate(conds)}
    per_user = t.group_by(S.USER_ID).aggregate(
        **{f"{keys[n]}_d": (c & in_win).cast("int64").sum() for n, c in conds.items()},
        **{f"{keys[n]}_e": c.cast("int64").max() for n, c in conds.items()},
    )
    aggs = {}
    for k in keys.values():
        aggs[f"{k}_mau"] = (per_user[f"{k}_d"] >= 1).cast("int64").sum()
        aggs[f"{k}_days"] = per_user[f"{k}_d"].sum()
        aggs[f"{k}_ever"] = per_user[f"{k}_e"].sum()
    for m in min_active_days:
        aggs[f"min{m}_mau"] = (per_user[f"{keys['chosen']}_d"] >= int(m)).cast("int64").sum()
    row = _execute(per_user.aggregate(**aggs)).iloc[0].fillna(0)
    k0 = keys["chosen"]
    rows = [
        {
            "definition": "chosen: active_events > 0",
            "mau": row[f"{k0}_mau"],
            "active_user_days": row[f"{k0}_days"],
            "ever_active": row[f"{k0}_ever"],
        }
    ]
    for m in min_active_days:
        if int(m) == 1:
            continue
        rows.append(
            {
                "definition": f">= {m} active days in {window_days}",
                "mau": row[f"min{m}_mau"],
                "active_user_days": np.nan,
                "ever_active": np.nan,
            }
        )
    for n, k in keys.items():
        if n == "chosen":
            continue
        rows.append(
            {
                "definition": n,
                "mau": row[f"{k}_mau"],
                "active_user_days": row[f"{k}_days"],
                "ever_active": row[f"{k}_ever"],
            }
        )
    df = pd.DataFrame(rows)
    base = float(row[f"{k0}_mau"])
    df["mau"] = df["mau"].astype("int64")
    df["change_vs_chosen"] = df["mau"] - int(base)
    df["change_pct"] = 100.0 * df["change_vs_chosen"] / base if base else np.nan
    df = df[
        ["definition", "mau", "change_vs_chosen", "change_pct", "active_user_days", "ever_active"]
    ]
    return ActivityResult(
        f"MAU ({window_days} days to {as_of}) under {len(df)} definitions of active",
        {"variants": df},
        params={"as_of": as_of, "window_days": window_days},
        counts={"mau_chosen": int(base)},
    )


# ------------------------------------------------------------------------------------------------
# 2. rolling DAU / WAU / MAU and calendar-month actives
# ------------------------------------------------------------------------------------------------
def _sliding_distinct(active_days, lo: int, hi: int, w: int) -> np.ndarray:
    """Exact distinct active users in the ``w``-day window ending on each epoch day lo..hi.

    Each active (user, day ``a``) covers the window ends ``[a, min(a + w, next) - 1]`` where
    ``next`` is the user's next active day; these intervals are disjoint per user, so a +1/-1
    difference array (aggregated per day in the engine) and a cumulative sum count each user
    once per window.
    """
    t = active_days.filter(active_days[_ED] >= lo - w + 1)
    stop = ibis.least(t[_ED] + w, t["_next"].fill_null(t[_ED] + w))
    plus = t.group_by(d=t[_ED]).aggregate(n=t.count())
    minus = t.mutate(d=stop).group_by("d").aggregate(n=-ibis._.count())
    delta = _execute(plus.union(minus).group_by("d").aggregate(n=ibis._.n.sum()))
    arr = np.zeros(hi - (lo - w + 1) + 2, dtype="int64")
    idx = delta["d"].to_numpy(dtype="int64") - (lo - w + 1)
    keep = idx < len(arr)
    np.add.at(arr, idx[keep], delta["n"].to_numpy(dtype="int64")[keep])
    return np.cumsum(arr)[w - 1 : w - 1 + hi - lo + 1]


def rolling_active(user_day, *, start, end, windows: Sequence[int] = (1, 7, 28)) -> ActivityResult:
    """DAU, WAU and MAU per day (distinct users active in the window *ending* that day).

    Parameters
    ----------
    user_day : ibis Table
    start, end : date or str
        First and last day reported (both included). Windows reach back before ``start``.
    windows : three increasing ints, default (1, 7, 28)
        Window lengths in days reported as ``dau``, ``wau`` and ``mau``.

    Returns
    -------
    ActivityResult
        ``daily``: day, dau, wau, mau, dau_mau, wau_mau (stickiness ratios; NaN when mau is 0).

    Examples
    --------
    >>> rolling_active(ud, start="2026-09-01", end="2026-09-30").daily.head()  # doctest: +SKIP
    """
    start, end = as_date(start, "start"), as_date(end, "end")
    if end < start:
        raise ParameterError(f"`end` ({end}) must not be before `start` ({start}).")
    windows = tuple(int(w) for w in windows)
    if len(windows) != 3 or not (0 < windows[0] < windows[1] < windows[2]):
        raise ParameterError(
            f"`windows` must be three increasing day counts such as (1, 7, 28), but "
            f"{windows!r} was passed."
        )
    lo, hi = _ed(start), _ed(end)
    act = _active(user_day)
    act = act.filter(act[_ED] <= hi).select(S.USER_ID, _ED).distinct()
    act = act.mutate(_next=act[_ED].lead().over(group_by=S.USER_ID, order_by=_ED))
    days = [_from_ed(e) for e in range(lo, hi + 1)]
    out = pd.DataFrame({S.DAY: pd.to_datetime(days)})
    for name, w in zip(("dau", "wau", "mau"), windows):
        out[name] = _sliding_distinct(act, lo, hi, w)
    mau = out["mau"].where(out["mau"] > 0)
    out["dau_mau"] = out["dau"] / mau
    out["wau_mau"] = out["wau"] / mau
    return ActivityResult(
        f"Daily, {windows[1]}-day and {windows[2]}-day active users, {start} to {end}",
        {"daily": out},
        params={"start": start, "end": end, "windows": windows},
        counts={"days": len(out)},
    )


def monthly_active(user_day, *, month, history: int = 12) -> ActivityResult:
    """Calendar-month active users for ``month`` and the ``history - 1`` months before it.

    Parameters
    ----------
    user_day : ibis Table
    month : str 'YYYY-MM' or date
        The reviewed month (the last row).
    history : int, default 12
        Number of months reported.

    Returns
    -------
    ActivityResult
        ``monthly``: month (first day), mau, change (vs previous month), change_pct.
        ``result.counts['mau']`` is the reviewed month's count.
    """
    m0 = as_month(month, "month")
    p_hi = _period_of(m0, "month")
    p_lo = p_hi - int(history)  # one extra month for the first change
    act = _active(user_day)
    act = act.mutate(**{_P: _period_expr(act, "month")})
    act = act.filter((act[_P] >= p_lo) & (act[_P] <= p_hi))
    got = _execute(act.group_by(_P).aggregate(mau=act[S.USER_ID].nunique()))
    s = got.set_index(_P)["mau"].reindex(range(p_lo, p_hi + 1), fill_value=0).astype("int64")
    df = pd.DataFrame(
        {
            "month": pd.to_datetime([_period_start(p, "month") for p in s.index]),
            "mau": s.to_numpy(),
        }
    )
    df["change"] = df["mau"].diff()
    df["change_pct"] = 100.0 * df["change"] / df["mau"].shift().where(lambda x: x > 0)
    df = df.iloc[1:].reset_index(drop=True)
    last = df.iloc[-1]
    return ActivityResult(
        f"{int(last['mau']):,} users active in {m0:%Y-%m} "
        f"({last['change']:+,.0f} vs the month before)",
        {"monthly": df},
        params={"month": f"{m0:%Y-%m}", "history": history},
        counts={"mau": int(last["mau"])},
    )


# ------------------------------------------------------------------------------------------------
# 3. power-user curve and stickiness over time
# ------------------------------------------------------------------------------------------------
def _active_days_histogram(user_day, lo: int, hi: int) -> pd.DataFrame:
    n = hi - lo + 1
    act = _active(user_day)
    act = act.filter((act[_ED] >= lo) & (act[_ED] <= hi))
    per_user = act.group_by(S.USER_ID).aggregate(active_days=act[_ED].nunique())
    got = _execute(per_user.group_by("active_days").aggregate(users=per_user.count()))
    users = got.set_index("active_days")["users"].reindex(range(1, n + 1), fill_value=0)
    df = pd.DataFrame({"active_days": np.arange(1, n + 1), "users": users.to_numpy("int64")})
    total = df["users"].sum()
    df["share"] = df["users"] / total if total else np.nan
    df["cum_share"] = df["share"].cumsum()
    df["share_at_least"] = df["share"][::-1].cumsum()[::-1]
    return df


def power_user_curve(user_day, *, as_of, window_days: int = 28) -> ActivityResult:
    """Histogram of active days per active user in the window ending ``as_of`` (the L28 curve).

    Returns
    -------
    ActivityResult
        ``histogram``: active_days (1..window_days), users, share, cum_share (share with at most
        that many days), share_at_least; ``l7``: the same over the 7 days ending ``as_of``.
    """
    as_of = as_date(as_of, "as_of")
    hi = _ed(as_of)
    hist = _active_days_histogram(user_day, hi - int(window_days) + 1, hi)
    l7 = _active_days_histogram(user_day, hi - 6, hi)
    n = int(hist["users"].sum())
    mean = float((hist["active_days"] * hist["users"]).sum() / n) if n else np.nan
    return ActivityResult(
        f"{n:,} users active in the {window_days} days to {as_of}: "
        f"{mean:.1f} active days on average",
        {"histogram": hist, "l7": l7},
        params={"as_of": as_of, "window_days": window_days},
        counts={"active_users": n, "active_users_7": int(l7["users"].sum())},
    )


def _bucket_labels(edges: Sequence[int]) -> list[str]:
    labels = []
    for a, b in zip(edges, [*edges[1:], None]):
        labels.append(f"{a}+" if b is None else (f"{a}" if b == a + 1 else f"{a}-{b - 1}"))
    return labels


def stickiness_over_time(
    user_day, *, as_of, months: int = 6, buckets: Sequence[int] = (1, 2, 4, 8, 15)
) -> ActivityResult:
    """Share of each month's active users by number of active days in that month.

    The last month is the one containing ``as_of`` (only days up to ``as_of``).

    Parameters
    ----------
    buckets : increasing ints starting at 1
        Lower edges of the active-day buckets: (1, 2, 4, 8, 15) -> "1", "2-3", "4-7", "8-14",
        "15+".

    Returns
    -------
    ActivityResult
        ``buckets``: month, bucket, users, share (shares sum to 1 within a month).
    """
    as_of = as_date(as_of, "as_of")
    edges = [int(b) for b in buckets]
    if not edges or edges[0] != 1 or any(b <= a for a, b in zip(edges, edges[1:])):
        raise ParameterError(
            f"`buckets` must be increasing and start at 1, such as "
            f"(1, 2, 4, 8, 15), but {tuple(buckets)!r} was passed."
        )
    labels = _bucket_labels(edges)
    p_hi = _period_of(as_of, "month")
    p_lo = p_hi - int(months) + 1
    act = _active(user_day)
    act = act.filter(act[_ED] <= _ed(as_of)).mutate(**{_P: _period_expr(act, "month")})
    act = act.filter(act[_P] >= p_lo)
    per = act.group_by([S.USER_ID, _P]).aggregate(days=act[_ED].nunique())
    bucket = ibis.cases(
        *[(per.days >= e, i) for i, e in reversed(list(enumerate(edges)))], else_=0
    )
    per = per.mutate(bucket=bucket)
    got = _execute(per.group_by([_P, "bucket"]).aggregate(users=per.count()))
    full = pd.MultiIndex.from_product(
        [range(p_lo, p_hi + 1), range(len(edges))], names=[_P, "bucket"]
    )
    got = got.set_index([_P, "bucket"])["users"].reindex(full, fill_value=0).reset_index()
    got["month"] = pd.to_datetime([_period_start(p, "month") for p in got[_P]])
    got["bucket"] = pd.Categorical(
        [labels[i] for i in got["bucket"]], categories=labels, ordered=True
    )
    tot = got.groupby(_P)["users"].transform("sum")
    got["share"] = got["users"] / tot.where(tot > 0)
    df = got[["month", "bucket", "users", "share"]].reset_index(drop=True)
    return ActivityResult(
        f"Active users by active days per month, {months} months to {as_of:%Y-%m}",
        {"buckets": df},
        params={"as_of": as_of, "months": months, "buckets": tuple(edges)},
        counts={"rows": len(df)},
    )


# ------------------------------------------------------------------------------------------------
# 4. lifecycle
# ------------------------------------------------------------------------------------------------
def _signup_periods(users, tz, period):
    sd = _signup_days(users, tz)
    if period == "week":
        p = (sd.to_numpy("datetime64[D]").astype("int64") - _FIRST_MONDAY_ED) // 7
    else:
        p = sd.dt.year.to_numpy() * 12 + sd.dt.month.to_numpy() - 1
    return pd.DataFrame({S.USER_ID: sd.index.astype(str), "_sp": np.asarray(p, dtype="int64")})


def _lifecycle_rows(user_day, *, period, last_day, users=None, tz=None, new_basis):
    """Per (user, active period): status, and the dormant transitions, as ibis expressions."""
    act = _active(user_day)
    act = act.filter(act[_ED] <= _ed(last_day)).mutate(**{_P: _period_expr(act, period)})
    ap = act.select(S.USER_ID, _P).distinct()
    w = ibis.window(group_by=S.USER_ID, order_by=_P)
    ap = ap.mutate(
        _prev=ap[_P].lag().over(w),
        _next=ap[_P].lead().over(w),
        _first=ap[_P].min().over(group_by=S.USER_ID),
    )
    if new_basis == "signup":
        sp = ibis.memtable(_signup_periods(users, tz, period))
        ap = ap.left_join(sp, S.USER_ID).drop(f"{S.USER_ID}_right")
        new_p = ibis.least(ap["_sp"].fill_null(ap["_first"]), ap["_first"])
    else:
        new_p = ap["_first"]
    status = ibis.cases(
        (ap["_prev"] == ap[_P] - 1, "returning"), (ap[_P] == new_p, "new"), else_="resurrecting"
    )
    ap = ap.mutate(status=status)
    dormant = ap.filter(ap["_next"].isnull() | (ap["_next"] != ap[_P] + 1))
    dormant = dormant.mutate(**{_P: dormant[_P] + 1, "status": ibis.literal("dormant")})
    return ap.select(S.USER_ID, _P, "status"), dormant.select(S.USER_ID, _P, "status")


def lifecycle(
    user_day,
    *,
    period: str = "week",
    start,
    end,
    users: pd.DataFrame | None = None,
    new_basis: str = "first_activity",
    tz: str | None = None,
) -> ActivityResult:
    """PostHog/Amplitude-style lifecycle: new, returning, resurrecting and dormant per period.

    Every active user of a period is exactly one of

    * **new**: this is the user's first active period (``new_basis="first_activity"``), or the
      user signed up in this period (``new_basis="signup"``);
    * **returning**: active in the previous period too (checked first, so a user active in the
      previous period is never new);
    * **resurrecting**: not active in the previous period, active in some earlier one.

    **dormant** users were active in the previous period and not in this one; they are reported
    as a negative number for plotting. The identities ``active = new + returning +
    resurrecting`` and ``-dormant = active_prev - returning`` hold exactly.

    Under ``new_basis="signup"`` a user who signed up in an earlier period and is active for
    the first time now is counted as **resurrecting** (PostHog's convention: the user was
    acquired earlier and is coming back to life); a user whose first activity precedes the
    signup period (stitched pre-signup activity) is new at that first activity; users absent
    from ``users`` or without a ``signup_time`` fall back to first activity.

    Parameters
    ----------
    user_day : ibis Table
    period : {"week", "month"}
        Weeks start on Monday.
    start, end : date or str
        Periods containing ``start`` to the one containing ``end`` are reported; activity after
        ``end`` is ignored (a period cut by ``end`` is partial) and activity before ``start``
        decides the states of the first period.
    users : DataFrame, optional
        Needs ``user_id`` and ``signup_time`` for ``new_basis="signup"``.
    new_basis : {"first_activity", "signup"}
    tz : str, optional
        Business timezone used to turn ``signup_time`` into a signup day.

    Returns
    -------
    ActivityResult
        ``periods``: period_start, active, new, returning, resurrecting, dormant (<= 0),
        active_prev, quick_ratio = (new + resurrecting) / |dormant| (NaN when nobody went
        dormant), complete (False for a period cut by ``end``: fewer days, fewer users, so
        not comparable with the others).
    """
    period = one_of(period, ("week", "month"), "period")
    new_basis = one_of(new_basis, ("first_activity", "signup"), "new_basis")
    start, end = as_date(start, "start"), as_date(end, "end")
    p_lo, p_hi = _period_of(start, period), _period_of(end, period)
    ap, dormant = _lifecycle_rows(
        user_day, period=period, last_day=end, users=users, tz=tz, new_basis=new_basis
    )
    both = ap.union(dormant)
    both = both.filter((both[_P] >= p_lo - 1) & (both[_P] <= p_hi))
    got = _execute(both.group_by([_P, "status"]).aggregate(users=both.count()))
    wide = got.pivot_table(index=_P, columns="status", values="users", aggfunc="sum")
    wide = (
        wide.reindex(index=range(p_lo - 1, p_hi + 1), columns=list(LIFECYCLE_STATES))
        .fillna(0)
        .astype("int64")
    )
    wide["active"] = wide["new"] + wide["returning"] + wide["resurrecting"]
    wide["active_prev"] = wide["active"].shift(1)
    wide = wide.loc[p_lo:].copy()
    wide["active_prev"] = wide["active_prev"].astype("int64")
    wide["dormant"] = -wide["dormant"]
    wide["quick_ratio"] = (wide["new"] + wide["resurrecting"]) / (-wide["dormant"]).where(
        wide["dormant"] < 0
    )
    wide.insert(0, "period_start", pd.to_datetime([_period_start(p, period) for p in wide.index]))
    wide["complete"] = [_period_end(p, period) <= end for p in wide.index]
    df = wide[
        [
            "period_start",
            "active",
            "new",
            "returning",
            "resurrecting",
            "dormant",
            "active_prev",
            "quick_ratio",
            "complete",
        ]
    ].reset_index(drop=True)
    df.columns.name = None
    return ActivityResult(
        f"Lifecycle per {period} ({new_basis.replace('_', ' ')} basis), "
        f"{_period_start(p_lo, period)} to {_period_end(p_hi, period)}",
        {"periods": df},
        params={"period": period, "start": start, "end": end, "new_basis": new_basis},
        counts={"periods": len(df)},
    )


# ------------------------------------------------------------------------------------------------
# 5. retention
# ------------------------------------------------------------------------------------------------
def wilson_interval(successes, n, *, alpha: float = 0.05):
    """Wilson score interval for a binomial proportion (vectorised; NaN where ``n == 0``).

    ``(p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)`` with ``z`` the ``1 - alpha/2``
    normal quantile; equal to statsmodels ``proportion_confint(method="wilson")``.

    Returns
    -------
    (low, high) : arrays of float
    """
    k = np.asarray(successes, dtype="float64")
    n = np.asarray(n, dtype="float64")
    z = stats.norm.ppf(1 - alpha / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    bad = ~(n > 0)
    low, high = np.where(bad, np.nan, centre - half), np.where(bad, np.nan, centre + half)
    return np.clip(low, 0, 1), np.clip(high, 0, 1)


def _active_periods(user_day, period, as_of):
    act = _active(user_day)
    act = act.filter(act[_ED] <= _ed(as_of)).mutate(**{_P: _period_expr(act, period)})
    return act.select(S.USER_ID, _P).distinct()


def _user_cohorts(user_day, *, period, as_of, users, tz, cohort_basis):
    """Per-user (pandas) cohort period and last active period; ``_last`` NaN if never active."""
    ap = _active_periods(user_day, period, as_of)
    per_user = _execute(ap.group_by(S.USER_ID).aggregate(_first=ap[_P].min(), _last=ap[_P].max()))
    if cohort_basis == "signup":
        sp = _signup_periods(users, tz, period)
        sp = sp[sp["_sp"] <= _period_of(as_of, period)]
        df = sp.merge(per_user, on=S.USER_ID, how="left").rename(columns={"_sp": "_c"})
    else:
        df = per_user.rename(columns={"_first": "_c"}).assign(_first=lambda d: d["_c"])
    return df, ap


def retention_matrix(
    user_day,
    *,
    cohort: str = "week",
    as_of,
    users: pd.DataFrame | None = None,
    cohort_basis: str = "first_activity",
    kind: str = "first_time",
    criterion: str = "on",
    max_periods: int = 12,
    min_cohort_size: int = 30,
    tz: str | None = None,
) -> ActivityResult:
    """Cohort x period retention counts and rates with Wilson intervals, open periods masked.

    Cohorts (Mixpanel's two kinds):

    * ``kind="first_time"``: each user belongs to one cohort, the period of their signup
      (``cohort_basis="signup"``, needs ``users`` with ``signup_time``; signed-up users who were
      never active count in the cohort size) or of their first activity;
    * ``kind="recurring"``: a user belongs to the cohort of *every* period they were active in
      (``cohort_basis`` is then ignored), so period 0 is always 100 %.

    Retained at period ``k`` (``criterion``): ``"on"`` = active in cohort period + ``k``;
    ``"on_or_after"`` = active in that period or any later one up to ``as_of`` (unbounded
    retention). Activity before the cohort period is ignored.

    A cell is *complete* when its period ends on or before ``as_of``; incomplete cells keep the
    count observed so far but have ``rate``/``ci_*`` NaN. Cohorts smaller than
    ``min_cohort_size`` are flagged. ``mean_curve`` pools complete cells: sum retained / sum
    cohort size (a cohort-size-weighted mean of the rates) with a Wilson interval on the pooled
    counts.

    Returns
    -------
    ActivityResult
        ``cells`` (tidy): cohort_start, period, cohort_size, retained, rate, ci_low, ci_high,
        complete, small_cohort; ``rates``: the cohort x period pivot of ``rate``;
        ``mean_curve``: period, cohorts, cohort_size, retained, rate, ci_low, ci_high.
    """
    cohort = one_of(cohort, ("week", "month"), "cohort")
    cohort_basis = one_of(cohort_basis, ("first_activity", "signup"), "cohort_basis")
    kind = one_of(kind, ("first_time", "recurring"), "kind")
    criterion = one_of(criterion, ("on", "on_or_after"), "criterion")
    as_of = as_date(as_of, "as_of")
    K = int(max_periods)
    if kind == "recurring":
        ap = _active_periods(user_day, cohort, as_of)
        b = ap.view()
        if criterion == "on":
            j = ap.join(
                b, (ap[S.USER_ID] == b[S.USER_ID]) & (b[_P] >= ap[_P]) & (b[_P] <= ap[_P] + K)
            )
            j = j.select(_c=ap[_P], _k=b[_P] - ap[_P])
            cnt = _execute(j.group_by(["_c", "_k"]).aggregate(n=j.count()))
        else:
            last = ap.group_by(S.USER_ID).aggregate(_last=ap[_P].max())
            j = ap.join(last, S.USER_ID)
            j = j.select(_c=j[_P], _k=j["_last"] - j[_P])
            cnt = _execute(j.group_by(["_c", "_k"]).aggregate(n=j.count()))
        sizes = (
            cnt[cnt["_k"] == 0].set_index("_c")["n"]
            if criterion == "on"
            else cnt.groupby("_c")["n"].sum()
        )
        n_users = None
    else:
        uc, ap = _user_cohorts(
            user_day, period=cohort, as_of=as_of, users=users, tz=tz, cohort_basis=cohort_basis
        )
        sizes = uc.groupby("_c").size()
        n_users = len(uc)
        if criterion == "on":
            cm = ibis.memtable(uc[[S.USER_ID, "_c"]])
            j = ap.join(cm, S.USER_ID)
            j = j.select(_c=j["_c"], _k=j[_P] - j["_c"])
            j = j.filter((j["_k"] >= 0) & (j["_k"] <= K))
            cnt = _execute(j.group_by(["_c", "_k"]).aggregate(n=j.count()))
        else:
            lived = uc.dropna(subset=["_last"])
            lived = lived.assign(_k=(lived["_last"] - lived["_c"]).astype("int64"))
            cnt = lived[lived["_k"] >= 0].groupby(["_c", "_k"]).size().rename("n").reset_index()
    # assemble the full grid (pandas, per cohort x period)
    cohorts = sorted(int(c) for c in sizes.index)
    grid = pd.MultiIndex.from_product([cohorts, range(K + 1)], names=["_c", "_k"])
    if criterion == "on_or_after":
        # retained at k = users whose last active period is k or later: a reverse cumsum
        full_k = cnt.groupby(["_c", "_k"])["n"].sum()
        cnt = pd.DataFrame({"n": full_k}).reset_index()
        cnt["_k"] = cnt["_k"].clip(upper=K + 1)
        s = cnt.groupby(["_c", "_k"])["n"].sum().unstack(fill_value=0)
        s = s.reindex(columns=range(K + 2), fill_value=0)
        s = s.iloc[:, ::-1].cumsum(axis=1).iloc[:, ::-1].iloc[:, : K + 1]
        retained = s.stack().reindex(grid, fill_value=0)
    else:
        retained = cnt.set_index(["_c", "_k"])["n"].reindex(grid, fill_value=0)
    cells = retained.rename("retained").reset_index()
    cells["cohort_size"] = cells["_c"].map(sizes).astype("int64")
    cells["retained"] = cells["retained"].astype("int64")
    ends = {c + k: _period_end(c + k, cohort) for c in cohorts for k in range(K + 1)}
    cells["complete"] = [ends[c + k] <= as_of for c, k in zip(cells["_c"], cells["_k"])]
    rate = cells["retained"] / cells["cohort_size"].where(cells["cohort_size"] > 0)
    lo, hi = wilson_interval(cells["retained"], cells["cohort_size"])
    cells["rate"] = rate.where(cells["complete"])
    cells["ci_low"] = pd.Series(lo).where(cells["complete"])
    cells["ci_high"] = pd.Series(hi).where(cells["complete"])
    cells["small_cohort"] = cells["cohort_size"] < int(min_cohort_size)
    cells["cohort_start"] = pd.to_datetime([_period_start(c, cohort) for c in cells["_c"]])
    cells = cells.rename(columns={"_k": "period"})
    cells = cells[
        [
            "cohort_start",
            "period",
            "cohort_size",
            "retained",
            "rate",
            "ci_low",
            "ci_high",
            "complete",
            "small_cohort",
        ]
    ]
    rates = cells.pivot(index="cohort_start", columns="period", values="rate")
    rates.columns.name = "period"
    done = cells[cells["complete"]]
    mean = (
        done.groupby("period")
        .agg(
            cohorts=("cohort_size", "size"),
            cohort_size=("cohort_size", "sum"),
            retained=("retained", "sum"),
        )
        .reset_index()
    )
    mean["rate"] = mean["retained"] / mean["cohort_size"].where(mean["cohort_size"] > 0)
    mean["ci_low"], mean["ci_high"] = wilson_interval(mean["retained"], mean["cohort_size"])
    counts = {"cohorts": len(cohorts), "small_cohorts": int((sizes < min_cohort_size).sum())}
    if n_users is not None:
        counts["users"] = int(n_users)
    return ActivityResult(
        f"{cohort.capitalize()}ly retention ({kind.replace('_', '-')}, {criterion.replace('_', ' ')},"
        f" {cohort_basis.replace('_', ' ')} cohorts) as of {as_of}",
        {"cells": cells, "rates": rates.reset_index(), "mean_curve": mean},
        params={
            "cohort": cohort,
            "as_of": as_of,
            "cohort_basis": cohort_basis,
            "kind": kind,
            "criterion": criterion,
            "max_periods": K,
            "min_cohort_size": min_cohort_size,
        },
        counts=counts,
        display={"cells": "hide"},
    )  # one row per cohort x period: the rates matrix shows them


def km_retention(
    user_day,
    *,
    cohort: str = "week",
    as_of,
    users: pd.DataFrame | None = None,
    cohort_basis: str = "first_activity",
    max_periods: int = 12,
    tz: str | None = None,
) -> ActivityResult:
    """Kaplan-Meier "on or after" retention, pooling all cohorts without dropping young ones.

    Each user's lifetime is the number of periods from the cohort period to the last active
    period, inclusive (0 for signed-up users never active after signup). The user has *churned*
    (event) when the first period after the lifetime has ended by ``as_of`` with no activity;
    when that period is still open the user is *censored*. ``retention`` at period ``k`` is the
    Kaplan-Meier survival ``S(k) = P(lifetime > k)``, which estimates the share active in period
    ``k`` or later, the same quantity as ``retention_matrix(criterion="on_or_after")``.

    Returns
    -------
    ActivityResult
        ``curve``: period, retention, ci_low, ci_high (lifelines' 95 % interval), at_risk,
        churned, censored.
    """
    from lifelines import KaplanMeierFitter

    cohort = one_of(cohort, ("week", "month"), "cohort")
    cohort_basis = one_of(cohort_basis, ("first_activity", "signup"), "cohort_basis")
    as_of = as_date(as_of, "as_of")
    uc, _ = _user_cohorts(
        user_day, period=cohort, as_of=as_of, users=users, tz=tz, cohort_basis=cohort_basis
    )
    if uc.empty:
        raise DataError(
            f"No user has a {cohort_basis.replace('_', ' ')} cohort on or before "
            f"as_of={as_of}; check `as_of` and user_day."
        )
    life = (uc["_last"] - uc["_c"] + 1).fillna(0).clip(lower=0).astype("int64")
    first_absent = uc["_c"].astype("int64") + life
    ended = {p: _period_end(p, cohort) <= as_of for p in first_absent.unique()}
    event = first_absent.map(ended).astype(bool)
    km = KaplanMeierFitter().fit(
        life, event_observed=event, timeline=np.arange(0, int(max_periods) + 1)
    )
    sf = km.survival_function_.iloc[:, 0]
    ci = km.confidence_interval_survival_function_
    table = km.event_table.reindex(np.arange(0, int(max_periods) + 1))
    curve = pd.DataFrame(
        {
            "period": np.arange(0, int(max_periods) + 1),
            "retention": sf.to_numpy(),
            "ci_low": ci.iloc[:, 0].to_numpy(),
            "ci_high": ci.iloc[:, 1].to_numpy(),
        }
    )
    at_risk = [(life >= t).sum() for t in curve["period"]]
    curve["at_risk"] = np.asarray(at_risk, dtype="int64")
    curve["churned"] = [int(((life == t) & event).sum()) for t in curve["period"]]
    curve["censored"] = [int(((life == t) & ~event).sum()) for t in curve["period"]]
    del table
    return ActivityResult(
        f"Kaplan-Meier {cohort}ly retention of {len(uc):,} users "
        f"({int((~event).sum()):,} censored) as of {as_of}",
        {"curve": curve},
        params={
            "cohort": cohort,
            "as_of": as_of,
            "cohort_basis": cohort_basis,
            "max_periods": max_periods,
        },
        counts={"users": len(uc), "censored": int((~event).sum())},
    )


# ------------------------------------------------------------------------------------------------
# 6. who the actives are and what they do
# ------------------------------------------------------------------------------------------------
def attribute_profile(
    active_users,
    all_users: pd.DataFrame,
    *,
    attributes: Sequence[str],
    max_levels: int = 12,
    bins: int = 5,
) -> ActivityResult:
    """Share of each attribute value among active users vs all users, and the index.

    ``index = 100 * share_active / share_all``: above 100 the value is over-represented among
    actives. Missing values are their own level, ``"(missing)"``. Numeric attributes with more
    than ``max_levels`` distinct values are cut into ``bins`` quantile bins of ``all_users``.

    Parameters
    ----------
    active_users : DataFrame with ``user_id``, or an iterable of user ids
    all_users : DataFrame
        The users table (``user_id`` + attributes).
    attributes : list of str
        Columns of ``all_users`` to profile.

    Returns
    -------
    ActivityResult
        ``profile``: attribute, value, n_active, n_all, share_active, share_all, index.
    """
    require_columns(all_users, [S.USER_ID], "`all_users`")
    require_columns(all_users, attributes, "The users table (for `attributes`)")
    if isinstance(active_users, pd.DataFrame):
        ids = set(active_users[S.USER_ID].astype(str))
    else:
        ids = {str(u) for u in active_users}
    users = all_users.drop_duplicates(S.USER_ID)
    is_active = users[S.USER_ID].astype(str).isin(ids)
    rows = []
    for a in attributes:
        col = users[a]
        if pd.api.types.is_numeric_dtype(col) and col.nunique() > max_levels:
            col = pd.qcut(col, q=bins, duplicates="drop").astype(str).where(col.notna())
        col = col.astype(object).where(col.notna(), "(missing)").astype(str)
        n_all = col.value_counts()
        n_act = col[is_active.to_numpy()].value_counts().reindex(n_all.index, fill_value=0)
        part = pd.DataFrame(
            {
                "attribute": a,
                "value": n_all.index,
                "n_active": n_act.to_numpy(),
                "n_all": n_all.to_numpy(),
            }
        )
        part["share_active"] = part["n_active"] / max(int(is_active.sum()), 1)
        part["share_all"] = part["n_all"] / len(users)
        rows.append(part.sort_values("value", kind="stable"))
    df = (
        pd.concat(rows, ignore_index=True)
        if rows
        else pd.DataFrame(
            columns=["attribute", "value", "n_active", "n_all", "share_active", "share_all"]
        )
    )
    df["index"] = 100.0 * df["share_active"] / df["share_all"]
    return ActivityResult(
        f"Who the {int(is_active.sum()):,} active users are, against all {len(users):,} users",
        {"profile": df},
        params={"attributes": list(attributes)},
        counts={"active_users": int(is_active.sum()), "all_users": len(users)},
    )


def active_behaviour(user_day, *, as_of, window_days: int = 28) -> ActivityResult:
    """What active users do in the window ending ``as_of``.

    Returns
    -------
    ActivityResult
        ``summary``: active_users, active_user_days, events_per_active_day (all events on
        active days / active user-days), purchasers, purchase_rate (share of active users with
        an order in the window), revenue_per_active_user; ``event_mix``: event, events, share
        (of all ``ev_`` counts on active days).
    """
    as_of = as_date(as_of, "as_of")
    _check_user_day(user_day, [S.UD_EVENTS, S.UD_ORDERS, S.UD_REVENUE])
    hi = _ed(as_of)
    act = _active(user_day)
    act = act.filter((act[_ED] >= hi - int(window_days) + 1) & (act[_ED] <= hi))
    ev_cols = _event_columns(user_day)
    per_user = act.group_by(S.USER_ID).aggregate(
        days=act.count(),
        events=act[S.UD_EVENTS].sum(),
        orders=act[S.UD_ORDERS].sum(),
        revenue=act[S.UD_REVENUE].sum(),
        **{c: act[c].sum() for c in ev_cols},
    )
    agg = per_user.aggregate(
        active_users=per_user.count(),
        active_user_days=per_user["days"].sum(),
        events=per_user["events"].sum(),
        purchasers=(per_user["orders"] > 0).cast("int64").sum(),
        revenue=per_user["revenue"].sum(),
        **{c: per_user[c].sum() for c in ev_cols},
    )
    row = _execute(agg).iloc[0].fillna(0)
    n, d = int(row["active_users"]), int(row["active_user_days"])
    summary = pd.DataFrame(
        [
            {
                "active_users": n,
                "active_user_days": d,
                "events_per_active_day": row["events"] / d if d else np.nan,
                "purchasers": int(row["purchasers"]),
                "purchase_rate": row["purchasers"] / n if n else np.nan,
                "revenue_per_active_user": row["revenue"] / n if n else np.nan,
            }
        ]
    )
    mix = pd.DataFrame(
        {
            "event": [c[len(S.EVENT_COUNT_PREFIX) :] for c in ev_cols],
            "events": [int(row[c]) for c in ev_cols],
        }
    )
    tot = mix["events"].sum()
    mix["share"] = mix["events"] / tot if tot else np.nan
    mix = mix.sort_values("events", ascending=False, kind="stable").reset_index(drop=True)
    return ActivityResult(
        f"What the {n:,} active users did in the {window_days} days to {as_of}",
        {"summary": summary, "event_mix": mix},
        params={"as_of": as_of, "window_days": window_days},
        counts={"active_users": n},
    )


# ------------------------------------------------------------------------------------------------
# 7. retention drivers
# ------------------------------------------------------------------------------------------------
def retention_drivers(
    user_day,
    *,
    cohort_start,
    cohort_end,
    as_of,
    first_days: int = 7,
    retention_day: int = 28,
    retention_width: int = 7,
    thresholds: Sequence[int] = (1, 2, 3, 5),
    events: Sequence[str] | None = None,
    attributes: pd.DataFrame | None = None,
) -> ActivityResult:
    """Which early behaviours go with retention (Amplitude Compass style).

    Day 0 is a user's first active day (over all data up to ``as_of``). The cohort is users
    whose day 0 lies in ``[cohort_start, cohort_end]`` and whose outcome window has ended by
    ``as_of`` (day 0 + ``retention_day`` + ``retention_width`` - 1 <= as_of). A user is
    *retained* when active on some day in ``[retention_day, retention_day + retention_width -
    1]`` after day 0 (default: days 28 to 34). A behaviour is "did event E at least k times on
    days 0 .. ``first_days`` - 1" (all rows count, not only active days), for each ``ev_``
    column (or ``events``) and each k in ``thresholds``; binary columns of ``attributes``
    (user_id + 0/1 or bool columns, e.g. ``joined_community``) are behaviours too.

    The score is the phi (Pearson) correlation between doing and retaining; behaviours are
    ranked by it and the strongest is flagged. Correlation, not causation.

    Returns
    -------
    ActivityResult
        ``drivers``: behaviour, event, threshold, doers, share_doers, retained_doers,
        rate_doers, ci_low_doers, ci_high_doers, non_doers, retained_non_doers, rate_non_doers,
        ci_low_non_doers, ci_high_non_doers, difference, score, strongest.
    """
    cohort_start, cohort_end = (
        as_date(cohort_start, "cohort_start"),
        as_date(cohort_end, "cohort_end"),
    )
    as_of = as_date(as_of, "as_of")
    ev_cols = _event_columns(user_day)
    if events is not None:
        cols = [S.event_count_column(e) for e in events]
        missing = [c for c in cols if c not in ev_cols]
        if missing:
            raise DataError(
                f"`events`: user_day has no column {missing[0]!r}; expected one of {ev_cols[:10]}."
            )
    else:
        cols = ev_cols
    t = _with_ed(user_day)
    _check_user_day(user_day)
    t = t.filter(t[_ED] <= _ed(as_of))
    first = t.filter(t[S.UD_ACTIVE_EVENTS] > 0).group_by(S.USER_ID).aggregate(_f=ibis._[_ED].min())
    last_f = min(_ed(cohort_end), _ed(as_of) - int(retention_day) - int(retention_width) + 1)
    first = first.filter((first["_f"] >= _ed(cohort_start)) & (first["_f"] <= last_f))
    j = t.join(first, S.USER_ID)
    off = j[_ED] - j["_f"]
    early = (off >= 0) & (off < int(first_days))
    late = (
        (off >= int(retention_day))
        & (off < int(retention_day) + int(retention_width))
        & (j[S.UD_ACTIVE_EVENTS] > 0)
    )
    per_user = _execute(
        j.group_by(S.USER_ID).aggregate(
            retained=late.cast("int64").max(), **{c: early.ifelse(j[c], 0).sum() for c in cols}
        )
    )
    per_user = per_user.fillna(0)
    flags, meta = {}, []
    for c in cols:
        for k in thresholds:
            name = f"{c[len(S.EVENT_COUNT_PREFIX) :]} >= {k} in first {first_days} days"
            flags[name] = per_user[c].to_numpy() >= int(k)
            meta.append((name, c[len(S.EVENT_COUNT_PREFIX) :], int(k)))
    if attributes is not None:
        if S.USER_ID not in attributes.columns:
            raise DataError(
                f"`attributes` needs a `{S.USER_ID}` column and 0/1 columns; found "
                f"{list(attributes.columns)[:8]}."
            )
        att = attributes.drop_duplicates(S.USER_ID).set_index(S.USER_ID)
        att.index = att.index.astype(str)
        for a in att.columns:
            vals = att[a].reindex(per_user[S.USER_ID].astype(str))
            flags[a] = (vals.fillna(0).astype(float) > 0).to_numpy()
            meta.append((a, a, np.nan))
    y = per_user["retained"].to_numpy() > 0
    n = len(y)
    rows = []
    for (name, ev, k), x in zip(meta, flags.values()):
        d, nd = int(x.sum()), int((~x).sum())
        rd, rn = int((x & y).sum()), int((~x & y).sum())
        rows.append(
            {
                "behaviour": name,
                "event": ev,
                "threshold": k,
                "doers": d,
                "share_doers": d / n if n else np.nan,
                "retained_doers": rd,
                "non_doers": nd,
                "retained_non_doers": rn,
            }
        )
    df = pd.DataFrame(
        rows,
        columns=[
            "behaviour",
            "event",
            "threshold",
            "doers",
            "share_doers",
            "retained_doers",
            "non_doers",
            "retained_non_doers",
        ],
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        df["rate_doers"] = df["retained_doers"] / df["doers"].where(df["doers"] > 0)
        df["rate_non_doers"] = df["retained_non_doers"] / df["non_doers"].where(
            df["non_doers"] > 0
        )
        df["ci_low_doers"], df["ci_high_doers"] = wilson_interval(
            df["retained_doers"], df["doers"]
        )
        df["ci_low_non_doers"], df["ci_high_non_doers"] = wilson_interval(
            df["retained_non_doers"], df["non_doers"]
        )
        df["difference"] = df["rate_doers"] - df["rate_non_doers"]
        r1 = df["retained_doers"] + df["retained_non_doers"]
        r0 = n - r1
        num = (
            df["retained_doers"] * (df["non_doers"] - df["retained_non_doers"])
            - (df["doers"] - df["retained_doers"]) * df["retained_non_doers"]
        )
        den = np.sqrt(df["doers"] * df["non_doers"] * r1 * r0)
        df["score"] = num / den.where(den > 0)
    df = df.sort_values("score", ascending=False, na_position="last", kind="stable")
    df = df.reset_index(drop=True)
    df["strongest"] = False
    if len(df) and pd.notna(df.loc[0, "score"]):
        df.loc[0, "strongest"] = True
    df = df[
        [
            "behaviour",
            "event",
            "threshold",
            "doers",
            "share_doers",
            "retained_doers",
            "rate_doers",
            "ci_low_doers",
            "ci_high_doers",
            "non_doers",
            "retained_non_doers",
            "rate_non_doers",
            "ci_low_non_doers",
            "ci_high_non_doers",
            "difference",
            "score",
            "strongest",
        ]
    ]
    base = float(y.mean()) if n else np.nan
    top = f"; strongest: {df.loc[0, 'behaviour']}" if len(df) and df.loc[0, "strongest"] else ""
    return ActivityResult(
        f"Day-{retention_day} retention of {n:,} users first active {cohort_start} to "
        f"{cohort_end}: {base:.1%}{top}",
        {"drivers": df},
        params={
            "cohort_start": cohort_start,
            "cohort_end": cohort_end,
            "as_of": as_of,
            "first_days": first_days,
            "retention_day": retention_day,
            "retention_width": retention_width,
            "thresholds": tuple(thresholds),
        },
        counts={"users": n, "retained": int(y.sum())},
    )


# ------------------------------------------------------------------------------------------------
# 8. per-user snapshot
# ------------------------------------------------------------------------------------------------
def active_users_snapshot(user_day, *, as_of, month_start=None) -> pd.DataFrame:
    """One row per user active on some day up to ``as_of``: the artifact ``active_users.csv``.

    Parameters
    ----------
    as_of : date or str
        Last day of the reviewed month.
    month_start : date or str, optional
        First day of the reviewed month (default: the first day of ``as_of``'s month).

    Returns
    -------
    DataFrame
        user_id, is_active (active in [month_start, as_of]), active_days_7, active_days_28
        (windows ending ``as_of``), first_active, last_active, lifecycle_state: one of new,
        returning, resurrecting (as in ``lifecycle(period="month")`` on the first-activity basis),
        dormant (active the month before, not this month) or inactive (neither month).
    """
    as_of = as_date(as_of, "as_of")
    month_start = (
        as_of.replace(day=1) if month_start is None else as_date(month_start, "month_start")
    )
    prev_start = (month_start - dt.timedelta(days=1)).replace(day=1)
    hi, ms, ps = _ed(as_of), _ed(month_start), _ed(prev_start)
    act = _active(user_day)
    act = act.filter(act[_ED] <= hi).select(S.USER_ID, _ED).distinct()
    e = act[_ED]
    per_user = _execute(
        act.group_by(S.USER_ID).aggregate(
            first=e.min(),
            last=e.max(),
            **{
                S.ACTIVE_DAYS_7: (e >= hi - 6).cast("int64").sum(),
                S.ACTIVE_DAYS_28: (e >= hi - 27).cast("int64").sum(),
            },
            _now=(e >= ms).cast("int64").max(),
            _prev=((e >= ps) & (e < ms)).cast("int64").max(),
        )
    )
    now, prev = per_user["_now"] > 0, per_user["_prev"] > 0
    new = per_user["first"] >= ms
    state = np.select(
        [now & new, now & prev, now, prev],
        ["new", "returning", "resurrecting", "dormant"],
        default="inactive",
    )
    out = pd.DataFrame(
        {
            S.USER_ID: per_user[S.USER_ID].astype(str),
            "is_active": now.to_numpy(),
            S.ACTIVE_DAYS_7: per_user[S.ACTIVE_DAYS_7].astype("int64"),
            S.ACTIVE_DAYS_28: per_user[S.ACTIVE_DAYS_28].astype("int64"),
            S.FIRST_ACTIVE: pd.to_datetime(per_user["first"].map(_from_ed)),
            S.LAST_ACTIVE: pd.to_datetime(per_user["last"].map(_from_ed)),
            "lifecycle_state": state,
        }
    )
    return out.sort_values(S.USER_ID, kind="stable").reset_index(drop=True)
