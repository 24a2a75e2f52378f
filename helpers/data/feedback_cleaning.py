"""Clean the feedback source (``sources.feedback``): ratings, NPS answers, complaints and comments.

Each dropped row has one reason, applied in this order: ``missing_time``, ``time_out_of_range``
(the audit's valid range, as for orders), ``null_user_id``, ``invalid_score`` (a rating outside
1-5 or an NPS answer outside 0-10, or NaN), ``empty_feedback`` (no rating, NPS answer, category
or text: nothing to read) and ``duplicate`` (an exact copy of an earlier row). Kept rows gain
``day``, the local date of ``feedback_time``.
"""

from __future__ import annotations

import ibis

from helpers.core import schema
from helpers.core.config import Config
from helpers.data import engine
from helpers.data.cleaning_rules import ledger, time_flags

__all__ = ["clean_feedback", "RATING_RANGE", "NPS_RANGE"]

RATING_RANGE = (1.0, 5.0)
NPS_RANGE = (0.0, 10.0)


def _out_of(value: ibis.Value, bounds: tuple[float, float]) -> ibis.BooleanValue:
    lo, hi = bounds
    value = value.cast("float64")
    nan = value.isnan().fill_null(False)
    return nan | (value.notnull() & ((value < lo) | (value > hi))).fill_null(False)


def clean_feedback(t: ibis.Table, cfg: Config):
    """The cleaned feedback table (an ibis expression) and its ledger, keyed by source label.

    >>> import pandas as pd
    >>> from helpers.core.config import Config
    >>> cfg = Config(sources={"orders": {"path": "o.csv"}})
    >>> raw = ibis.memtable(pd.DataFrame({
    ...     "source": "fb", "user_id": ["u1", "u1", None, "u2", "u3", "u4"],
    ...     "feedback_time": pd.to_datetime(["2026-10-01 02:00"] * 6, utc=True),
    ...     "rating": [5.0, 5.0, 4.0, 7.0, None, None], "nps": [None] * 6,
    ...     "category": [None] * 6, "text": [None, None, None, None, None, "slow"],
    ...     "channel": [None] * 6}))
    >>> kept, led = clean_feedback(raw, cfg)
    >>> led["fb"].dropped, led["fb"].rows_kept
    ({'missing_time': 0, 'time_out_of_range': 0, 'null_user_id': 1, 'invalid_score': 1, \
'empty_feedback': 1, 'duplicate': 1}, 2)
    """
    src = t[schema.SOURCE].min().execute()
    missing, before, after = time_flags(t, schema.FEEDBACK_TIME, cfg)
    invalid = _out_of(t[schema.RATING], RATING_RANGE) | _out_of(t[schema.NPS], NPS_RANGE)
    t = t.mutate(**{c: t[c].cast("string") for c in (schema.CATEGORY, schema.TEXT)})
    empty = (
        t[schema.RATING].isnull()
        & t[schema.NPS].isnull()
        & t[schema.CATEGORY].isnull()
        & t[schema.TEXT].isnull()
    )
    flagged = t.mutate(
        _missing=missing,
        _oor=before | after,
        _nouser=t[schema.USER_ID].isnull(),
        _invalid=invalid,
        _empty=empty,
    )
    m, o, u, i = flagged._missing, flagged._oor, flagged._nouser, flagged._invalid
    counts = flagged.aggregate(
        rows_in=flagged.count(),
        missing_time=m.sum(),
        time_out_of_range=(~m & o).sum(),
        null_user_id=(~m & ~o & u).sum(),
        invalid_score=(~m & ~o & ~u & i).sum(),
        empty_feedback=(~m & ~o & ~u & ~i & flagged._empty).sum(),
    ).execute()
    n = {k: int(v or 0) for k, v in counts.iloc[0].items()}
    ok = flagged.filter(~m & ~o & ~u & ~i & ~flagged._empty).drop(
        "_missing", "_oor", "_nouser", "_invalid", "_empty"
    )
    n_ok = int(ok.count().execute())
    kept = ok.distinct()
    n_kept = int(kept.count().execute())
    kept = kept.mutate(**{schema.DAY: engine.local_day(kept[schema.FEEDBACK_TIME], cfg.timezone)})
    rows_in = n.pop("rows_in")
    dropped = {**n, "duplicate": n_ok - n_kept}
    return kept, {src: ledger("feedback", rows_in, dropped)}
