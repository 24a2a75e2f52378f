"""The user feature table: one row per user known at ``as_of``, computed from ``user_day``.

Every reduction over ``user_day`` rows is an ibis expression (one aggregation per table); pandas
only sees the per-user results. :func:`feature_dictionary` says which entry of the data
dictionary defines each column (:data:`FEATURE_COLUMNS`, or a family: an event share, a user
attribute); the definitions themselves are report text (``helpers.sections.personas``).

BTYD columns (``frequency``, ``recency``, ``T``, ``monetary_value``) follow lifetimes'
``summary_data_from_transaction_data`` with daily resolution (DESIGN.md): a purchase day is a
``user_day`` row with ``orders > 0`` and ``day <= as_of`` (a zero-amount free order counts;
refunds are already excluded from ``orders``/``revenue`` in ``user_day``).

``new_features_28`` counts the *new* events a user did in the last 28 days: an event is new at
``as_of`` when its first day in ``user_day`` is more than :data:`NEW_EVENT_WARMUP_DAYS` - 1 days
after the data's first day (it was absent from the first four weeks of data, so it is not an
event the product always had) and at most :data:`NEW_EVENT_MAX_AGE_DAYS` - 1 days before
``as_of`` (launched within the last eight weeks). Passive events never count.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import ibis
import numpy as np
import pandas as pd

from helpers.core import schema as s
from helpers.core.checks import as_date, numeric_text_to_numbers, require_columns
from helpers.core.errors import DataError, ParameterError

__all__ = [
    "to_frame",
    "FEATURE_COLUMNS",
    "NEW_FEATURES_28",
    "NEW_EVENT_WARMUP_DAYS",
    "NEW_EVENT_MAX_AGE_DAYS",
    "new_events",
    "SHARE_ENTRY",
    "ATTRIBUTE_ENTRY",
    "btyd_summary",
    "user_features",
    "FeatureDictionary",
    "feature_dictionary",
]

EVENTS_PER_ACTIVE_DAY_28 = "events_per_active_day_28"
AOV = "aov"
NEW_FEATURES_28 = "new_features_28"
#: An event first seen in the data's first 28 days is not new: it was there from the start.
NEW_EVENT_WARMUP_DAYS = 28
#: An event stays new for 56 days from its first day (``as_of`` - 55 .. ``as_of``).
NEW_EVENT_MAX_AGE_DAYS = 56
SHARE_PREFIX = "share_"

#: Every column the feature table always has, in its order (besides ``share_<event>`` columns
#: and the users table's signup time and attributes): the data dictionary's own entries.
FEATURE_COLUMNS: tuple[str, ...] = (
    s.USER_ID,
    s.FIRST_ACTIVE,
    s.LAST_ACTIVE,
    s.DAYS_SINCE_ACTIVE,
    s.ACTIVE_DAYS_7,
    s.ACTIVE_DAYS_28,
    s.ACTIVE_DAYS_90,
    s.EVENTS_28,
    EVENTS_PER_ACTIVE_DAY_28,
    NEW_FEATURES_28,
    s.TENURE_DAYS,
    s.UD_ORDERS,
    s.UD_REVENUE,
    AOV,
    s.FREQUENCY,
    s.RECENCY,
    s.T,
    s.MONETARY_VALUE,
    s.RECENCY_DAYS,
)
#: Dictionary entries of the column families: an event share, an attribute of the users table.
SHARE_ENTRY, ATTRIBUTE_ENTRY = "share_of_event", "attribute"

_BTYD_COLUMNS = [s.FREQUENCY, s.RECENCY, s.T, s.MONETARY_VALUE, s.RECENCY_DAYS]


# --- small edges ---------------------------------------------------------------------------------
def to_frame(expr: ibis.Table) -> pd.DataFrame:
    """The result of ``expr`` as pandas, converted column by column through Arrow.

    Why not ``expr.execute()``: ibis' DuckDB backend turns every column that holds a NULL into
    Python objects (``to_pylist``) before typing it, about 1 s per million-row result and
    column set (41 s of one churn report at a million users), with a Python object per value in
    memory. Here Arrow converts every column to numpy directly and ibis' own pandas typing
    follows, so the result equals ``execute()`` except that an integer column holding NULLs
    comes back as float64 with NaN (not object with None) and a timestamp keeps Arrow's unit.
    Backend-neutral: ``to_pyarrow`` is ibis API on every backend.

    Examples
    --------
    >>> t = ibis.memtable(pd.DataFrame({"user_id": ["a", "b"], "n": [1, 3]}))
    >>> to_frame(t.group_by("user_id").aggregate(big=t.n.sum(where=t.n > 2)).order_by("user_id"))
      user_id  big
    0       a  NaN
    1       b  3.0
    """
    import pyarrow.types as pat
    from ibis.formats.pandas import PandasData

    table = expr.to_pyarrow()
    df = pd.DataFrame(
        {
            name: (
                col.to_pylist()
                if pat.is_nested(col.type) or pat.is_dictionary(col.type)
                else col.to_pandas()
            )
            for name, col in zip(table.column_names, table.columns)
        }
    )
    return PandasData.convert_table(df, expr.schema())


def as_table(user_day) -> ibis.Table:
    """``user_day`` as an ibis table: a table as it is, a pandas frame as a memtable."""
    if isinstance(user_day, ibis.Table):
        return user_day
    if isinstance(user_day, pd.DataFrame):
        return ibis.memtable(user_day)
    raise ParameterError(
        "`user_day` must be an ibis table (or a pandas DataFrame of per-user-day rows), "
        f"but a {type(user_day).__name__} was passed."
    )


# --- BTYD summary --------------------------------------------------------------------------------
def btyd_summary(user_day, *, as_of) -> pd.DataFrame:
    """BTYD summary per buyer, as lifetimes' ``summary_data_from_transaction_data`` (days).

    Parameters
    ----------
    user_day : ibis.Table
        The ``user_day`` table (``docs/internals.md``): at least ``user_id``, ``day``,
        ``orders`` and ``revenue``.
    as_of : date or str
        Observation end (inclusive): purchases after it are ignored.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``user_id`` (sorted), one row per user with a purchase day up to ``as_of``,
        float columns ``frequency`` (purchase days after the first), ``recency`` (days first ->
        last purchase day), ``T`` (days first purchase day -> as_of), ``monetary_value`` (mean
        ``revenue`` of the repeat purchase days, 0 when frequency is 0) and ``recency_days``
        (days last purchase day -> as_of).

    Notes
    -----
    One ibis aggregation; ``revenue`` of the first purchase day is taken with ``argmin`` over
    ``day`` (one row per user and day), so the repeat-day mean is ``(total - first) / frequency``.

    Examples
    --------
    >>> import ibis, pandas as pd
    >>> ud = ibis.memtable(pd.DataFrame({
    ...     "user_id": ["a", "a", "a"], "day": pd.to_datetime(["2024-01-01", "2024-01-05", "2024-01-09"]).date,
    ...     "orders": [1, 1, 2], "revenue": [10.0, 0.0, 30.0]}))
    >>> btyd_summary(ud, as_of="2024-01-31").loc["a", ["frequency", "recency", "T", "monetary_value"]].tolist()
    [2.0, 8.0, 30.0, 15.0]
    """
    t = as_table(user_day)
    require_columns(t, [s.USER_ID, s.DAY, s.UD_ORDERS, s.UD_REVENUE], "user_day")
    out = to_frame(_btyd_expr(t, as_date(as_of, "as_of")))
    out = out.set_index(s.USER_ID).sort_index()
    out = out[_BTYD_COLUMNS].astype("float64")
    out.index = out.index.astype(str)
    return out


def _btyd_expr(t: ibis.Table, end_date: dt.date) -> ibis.Table:
    """Engine expression of :func:`btyd_summary`: ``user_id`` and the float BTYD columns."""
    end = ibis.date(end_date)
    p = t.filter((t[s.UD_ORDERS] > 0) & (t[s.DAY] <= end))
    revenue = p[s.UD_REVENUE].fill_null(0).cast("float64")
    first, last = p[s.DAY].min(), p[s.DAY].max()
    n_days = p[s.DAY].count()
    freq = n_days - 1
    repeat_revenue = revenue.sum() - revenue.argmin(p[s.DAY])
    return p.group_by(p[s.USER_ID].cast("string").name(s.USER_ID)).aggregate(
        **{
            s.FREQUENCY: freq.cast("float64"),
            s.RECENCY: last.delta(first, unit="day").cast("float64"),
            s.T: end.delta(first, unit="day").cast("float64"),
            s.MONETARY_VALUE: ibis.ifelse(freq > 0, repeat_revenue / freq.cast("float64"), 0.0),
            s.RECENCY_DAYS: end.delta(last, unit="day").cast("float64"),
        }
    )


# --- feature table -------------------------------------------------------------------------------
def _event_columns(t: ibis.Table, event_names, passive_events) -> list[str]:
    passive = {s.event_count_column(e) for e in (passive_events or ())}
    if event_names is None:
        cols = [c for c in t.columns if c.startswith(s.EVENT_COUNT_PREFIX)]
    else:
        cols = [s.event_count_column(e) for e in event_names]
        missing = [c for c in cols if c not in t.columns]
        if missing:
            have = [c for c in t.columns if c.startswith(s.EVENT_COUNT_PREFIX)]
            raise DataError(
                f"user_day has no column {missing[0]!r} for event_names; expected one ev_<name> "
                f"column per requested event, found {have[:12]}."
            )
    return [c for c in cols if c not in passive]


def _new_event_columns(t: ibis.Table, end_date: dt.date, passive_events) -> list[str]:
    """The ``ev_`` columns of the events new at ``end_date`` (module docs), in table order."""
    cols = _event_columns(t, None, passive_events)
    if not cols:
        return []
    u = t.filter(t[s.DAY] <= ibis.date(end_date))
    firsts = u.aggregate(
        _first_day=u[s.DAY].min(),
        **{"_first_" + c: u[s.DAY].min(where=u[c] > 0) for c in cols},
    ).execute()
    if firsts.empty or pd.isna(firsts.loc[0, "_first_day"]):
        return []
    start = pd.Timestamp(firsts.loc[0, "_first_day"])
    warm = start + pd.Timedelta(days=NEW_EVENT_WARMUP_DAYS)
    oldest = pd.Timestamp(end_date) - pd.Timedelta(days=NEW_EVENT_MAX_AGE_DAYS - 1)
    out = []
    for c in cols:
        first = firsts.loc[0, "_first_" + c]
        if pd.notna(first) and pd.Timestamp(first) >= max(warm, oldest):
            out.append(c)
    return out


def new_events(user_day, *, as_of, passive_events: Sequence[str] = ()) -> list[str]:
    """The events new at ``as_of``: first seen after the data's first 28 days, and within the
    56 days ending at ``as_of`` (the module docs); as their ``user_day`` names (``ev_``
    dropped). Passive events are never new.

    Examples
    --------
    >>> import ibis, pandas as pd
    >>> days = pd.to_datetime(["2024-01-01", "2024-02-10", "2024-03-01"]).date
    >>> ud = ibis.memtable(pd.DataFrame({"user_id": ["a"] * 3, "day": days,
    ...     "ev_view": [1, 1, 1], "ev_live": [0, 1, 0], "ev_quiz": [0, 0, 2]}))
    >>> new_events(ud, as_of="2024-03-31")
    ['live', 'quiz']
    >>> new_events(ud, as_of="2024-04-10")  # live's first day is now more than 55 days ago
    ['quiz']
    """
    t = as_table(user_day)
    require_columns(t, [s.USER_ID, s.DAY], "user_day")
    cols = _new_event_columns(t, as_date(as_of, "as_of"), passive_events)
    return [c[len(s.EVENT_COUNT_PREFIX) :] for c in cols]


def _signup_days(users: pd.DataFrame, timezone: str | None) -> pd.Series:
    ts = pd.to_datetime(users[s.SIGNUP_TIME], errors="coerce")
    if getattr(ts.dt, "tz", None) is not None:
        if timezone:
            ts = ts.dt.tz_convert(timezone)
        ts = ts.dt.tz_localize(None)
    return ts.dt.normalize()


def _counts(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A count column as int64, 0 where the engine had no row (a NULL sum)."""
    return frame[column].fillna(0).to_numpy().astype("int64")


def _plain_text(users: pd.DataFrame, head: int = 1000) -> list[str]:
    """Text columns that are not numeric text, told by their first ``head`` values.

    :func:`~helpers.core.checks.numeric_text_to_numbers` keeps a text column as it is as soon as
    one value does not parse, so a column with such a value among its first rows can be skipped
    without parsing the rest (14.6 s of one personas report at a million users): the result is
    the same.
    """
    out = []
    for c in users.columns:
        col = users[c]
        if not (pd.api.types.is_object_dtype(col) or pd.api.types.is_string_dtype(col)):
            continue
        first = col.iloc[:head].dropna()
        if len(first) and pd.to_numeric(first, errors="coerce").isna().any():
            out.append(c)
    return out


def _check_users(users: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(users, pd.DataFrame):
        raise ParameterError(
            f"`users` must be a pandas DataFrame or None, but a {type(users).__name__} was passed."
        )
    require_columns(users, [s.USER_ID], "The users table")
    # `source` is cleaning bookkeeping (which configured source a row came from), not an attribute
    users = users.drop(columns=[s.SOURCE], errors="ignore")
    # CSV attributes often arrive as text ("35", "0"); numbers make rules like `age < 25` work
    users = numeric_text_to_numbers(users, skip=[s.USER_ID, s.SIGNUP_TIME, *_plain_text(users)])
    users[s.USER_ID] = users[s.USER_ID].astype(str)
    dup = users[s.USER_ID][users[s.USER_ID].duplicated()]
    if len(dup):
        raise DataError(
            f"users table has duplicated 'user_id' values (e.g. {dup.iloc[0]!r}); expected one row "
            "per user (the audit deduplicates users)."
        )
    return users


def user_features(
    user_day,
    *,
    as_of,
    users: pd.DataFrame | None = None,
    event_names: Sequence[str] | None = None,
    passive_events: Sequence[str] = (),
    timezone: str | None = None,
    new_features: bool = True,
) -> pd.DataFrame:
    """The user feature table: one row per user known at ``as_of``.

    Parameters
    ----------
    user_day : ibis.Table
        The ``user_day`` table (``docs/internals.md``).
    as_of : date or str
        Last day of the reviewed period (inclusive); rows after it are ignored.
    users : pandas.DataFrame, optional
        The cleaned users table (``user_id``, optional ``signup_time``, attribute columns).
        Users with ``signup_time`` on or before ``as_of`` are included even without activity;
        every other column (except the cleaning bookkeeping column ``source``) is copied as an
        attribute; a text attribute whose values all parse as numbers ("35", "0") becomes numeric.
        None: no attributes, no signup.
    event_names : list of str, optional
        Events to compute ``share_<event>`` for; default: every ``ev_`` column of ``user_day``.
    passive_events : list of str
        Events that do not make a user active (config ``activity.passive_events``): no share column.
    timezone : str, optional
        Business timezone used to turn a timezone-aware ``signup_time`` into a day; None keeps
        the timestamp's own timezone.
    new_features : bool, default True
        False leaves ``new_features_28`` out of the table, and the scan of the whole history
        that finds the new events (:func:`new_events`) with it: for callers that do not read it
        (the landmark labels of the churn report compute the table eleven times).

    Returns
    -------
    pandas.DataFrame
        One row per user (sorted by ``user_id``, RangeIndex): :data:`FEATURE_COLUMNS`, then
        ``share_<event>`` per event, then the users table's columns. ``new_features_28``
        counts the distinct new events (:func:`new_events`) the user did in the last 28 days.
        Non-buyers have ``orders`` 0, ``revenue`` 0 and empty (NaN) ``aov``, BTYD columns and
        ``recency_days``. Without ``new_features``, ``new_features_28`` is left out.

    Examples
    --------
    >>> import ibis, pandas as pd
    >>> ud = ibis.memtable(pd.DataFrame({
    ...     "user_id": ["a", "a"], "day": pd.to_datetime(["2024-01-01", "2024-01-30"]).date,
    ...     "events": [3, 1], "active_events": [3, 1], "orders": [0, 1], "revenue": [0.0, 5.0],
    ...     "refunds": [0, 0], "ev_view": [3, 0], "ev_order": [0, 1]}))
    >>> f = user_features(ud, as_of="2024-01-31")
    >>> f.loc[0, ["active_days_7", "active_days_28", "days_since_active", "tenure_days", "share_view"]].astype(float).tolist()
    [1.0, 1.0, 1.0, 30.0, 0.75]
    """
    t = as_table(user_day)
    require_columns(
        t, [s.USER_ID, s.DAY, s.UD_ACTIVE_EVENTS, s.UD_ORDERS, s.UD_REVENUE], "user_day"
    )
    end_date = as_date(as_of, "as_of")
    end = ibis.date(end_date)
    ev_cols = _event_columns(t, event_names, passive_events)

    def since(days: int):
        return ibis.date(end_date - dt.timedelta(days=days - 1))

    u = t.filter(t[s.DAY] <= end)
    active = u[s.UD_ACTIVE_EVENTS] > 0
    day = u[s.DAY]
    aggs = {
        s.FIRST_ACTIVE: day.min(where=active),
        s.LAST_ACTIVE: day.max(where=active),
        s.ACTIVE_DAYS_7: day.count(where=active & (day >= since(7))),
        s.ACTIVE_DAYS_28: day.count(where=active & (day >= since(28))),
        s.ACTIVE_DAYS_90: day.count(where=active & (day >= since(90))),
        s.EVENTS_28: u[s.UD_ACTIVE_EVENTS].sum(where=day >= since(28)),
        s.UD_ORDERS: u[s.UD_ORDERS].sum(),
        s.UD_REVENUE: u[s.UD_REVENUE].cast("float64").sum(),
        "_active_events_90": u[s.UD_ACTIVE_EVENTS].sum(where=day >= since(90)),
    }
    for c in ev_cols:
        aggs["_90_" + c] = u[c].sum(where=day >= since(90))
    new_cols = _new_event_columns(t, end_date, passive_events) if new_features else []
    for c in new_cols:
        aggs["_28_" + c] = u[c].sum(where=day >= since(28))
    # one engine query: the activity aggregates and the BTYD columns of the buyers beside them
    # (Arrow to pandas, :func:`to_frame`); pandas then only derives and orders
    grouped = u.group_by(u[s.USER_ID].cast("string").name(s.USER_ID)).aggregate(**aggs)
    btyd = _btyd_expr(t, end_date)
    joined = grouped.left_join(btyd, grouped[s.USER_ID] == btyd[s.USER_ID]).select(
        grouped, *[btyd[c] for c in _BTYD_COLUMNS]
    )
    per_user = to_frame(joined)
    per_user[s.USER_ID] = per_user[s.USER_ID].astype(str)

    signup = None
    if users is not None:
        users = _check_users(users)
        clash = [
            c
            for c in users.columns
            if c not in (s.USER_ID, s.SIGNUP_TIME)
            and (
                c in aggs
                or c in _BTYD_COLUMNS
                or c in FEATURE_COLUMNS
                or c.startswith(SHARE_PREFIX)
            )
        ]
        if clash:
            raise DataError(
                f"users table column {clash[0]!r} has the name of a computed feature; rename it in "
                "the users source mapping (e.g. to 'user_" + clash[0] + "')."
            )
        signup = _signup_days(users, timezone) if s.SIGNUP_TIME in users.columns else None
        known = (
            users[s.USER_ID]
            if signup is None
            else users.loc[signup <= pd.Timestamp(end_date), s.USER_ID]
        )
        extra = pd.DataFrame({s.USER_ID: known[~known.isin(per_user[s.USER_ID])]})
        per_user = pd.concat([per_user, extra], ignore_index=True)

    def count(c: str) -> np.ndarray:
        return _counts(per_user, c)

    end_ts = pd.Timestamp(end_date)
    first_active = pd.to_datetime(per_user[s.FIRST_ACTIVE]).astype("datetime64[ns]")
    last_active = pd.to_datetime(per_user[s.LAST_ACTIVE]).astype("datetime64[ns]")
    # every column built first, then one frame: assigning column by column fragments the frame
    cols: dict[str, object] = {
        s.USER_ID: per_user[s.USER_ID].to_numpy(),
        s.FIRST_ACTIVE: first_active.to_numpy(),
        s.LAST_ACTIVE: last_active.to_numpy(),
        s.DAYS_SINCE_ACTIVE: (end_ts - last_active).dt.days.astype("float64").to_numpy(),
    }
    for c in (s.ACTIVE_DAYS_7, s.ACTIVE_DAYS_28, s.ACTIVE_DAYS_90, s.EVENTS_28):
        cols[c] = count(c)
    days_28 = cols[s.ACTIVE_DAYS_28]
    cols[EVENTS_PER_ACTIVE_DAY_28] = np.where(
        days_28 > 0, cols[s.EVENTS_28] / np.where(days_28 > 0, days_28, 1), 0.0
    )
    if new_features:
        cols[NEW_FEATURES_28] = (
            sum((count("_28_" + c) > 0).astype("int64") for c in new_cols)
            if new_cols
            else np.zeros(len(per_user), dtype="int64")
        )
    start = first_active.to_numpy()
    if signup is not None:
        by_user = pd.Series(signup.values, index=users[s.USER_ID].values)
        signed = pd.to_datetime(per_user[s.USER_ID].map(by_user)).astype("datetime64[ns]")
        start = np.fmin(start, signed.to_numpy())  # the earlier of the two; NaT when both are
    cols[s.TENURE_DAYS] = (end_ts - pd.DatetimeIndex(start)).days.to_numpy().astype("float64")
    orders = count(s.UD_ORDERS)
    revenue = per_user[s.UD_REVENUE].fillna(0.0).to_numpy().astype("float64")
    cols[s.UD_ORDERS] = orders
    cols[s.UD_REVENUE] = revenue
    with np.errstate(divide="ignore", invalid="ignore"):
        cols[AOV] = np.where(orders > 0, revenue / np.where(orders > 0, orders, 1), np.nan)
    for c in _BTYD_COLUMNS:
        cols[c] = per_user[c].to_numpy().astype("float64")

    denom = count("_active_events_90").astype("float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        for c in ev_cols:
            share = np.where(denom > 0, count("_90_" + c) / np.where(denom > 0, denom, 1), 0.0)
            cols[SHARE_PREFIX + c[len(s.EVENT_COUNT_PREFIX) :]] = share
    f = pd.DataFrame(cols)

    if users is not None:
        f = f.merge(users, on=s.USER_ID, how="left")
    if not f[s.USER_ID].is_monotonic_increasing:
        f = f.sort_values(s.USER_ID, kind="mergesort")
    return f.reset_index(drop=True)


@dataclass
class FeatureDictionary:
    """Which dictionary entry defines each column of a feature table (:func:`feature_dictionary`).

    Attributes
    ----------
    table : DataFrame
        One row per column, in the table's order: ``column`` and ``entry`` (the column itself
        when it is one of :data:`FEATURE_COLUMNS` or ``signup_time``, else :data:`SHARE_ENTRY`
        for ``share_<event>`` or :data:`ATTRIBUTE_ENTRY` for a users-table attribute).
    """

    table: pd.DataFrame


def feature_dictionary(features: pd.DataFrame) -> FeatureDictionary:
    """The data dictionary of a feature table: the entry that defines each column.

    Examples
    --------
    >>> feature_dictionary(pd.DataFrame(columns=["user_id", "share_view", "city"])).table["entry"].tolist()
    ['user_id', 'share_of_event', 'attribute']
    """
    rows = []
    for c in features.columns:
        if c in FEATURE_COLUMNS or c == s.SIGNUP_TIME:
            entry = c
        elif str(c).startswith(SHARE_PREFIX):
            entry = SHARE_ENTRY
        else:
            entry = ATTRIBUTE_ENTRY
        rows.append({"column": c, "entry": entry})
    return FeatureDictionary(pd.DataFrame(rows, columns=["column", "entry"]))
