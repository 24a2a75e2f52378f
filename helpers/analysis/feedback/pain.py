"""The pain-point matrix: per segment and topic, how much the segment uses the topic's feature
and how it rates the feedback that mentions it.

**Usage** (:func:`event_usage`, from ``user_day`` in the engine): of a segment's active users in
the window (an active event on some day), the share who did the event (``users_share``) and
how often its doers did it (``events_per_user``). A topic with several events takes the one its
segment uses most. The **usage index** is the segment's share over the share of all users in
the segments (1 = as much as everyone; 2 = twice as many of them use it).

**Satisfaction gap**: the mean rating of the segment's other feedback (its rated responses that
do not mention the topic) minus the mean rating of its feedback that mentions the topic, in
rating points; positive = the topic is rated worse. Its 95% interval is Welch's. Without any
rating in the frame the gap is the complaint rate of the topic's mentions minus that of the
other feedback (``measure = "complaint"``), with a normal interval.

**Pain score** = usage index x gap: a feature the segment uses heavily *and* rates poorly
against its own other feedback ranks first, so a segment that rates everything low is not
mistaken for one with a pain point. A topic without events (or whose events the usage does not
have) gets a usage index of 1: it ranks by its gap alone. A row is ranked only when the segment
is not ``small`` (``min_responses``), the topic has at least ``min_mentions`` mentions and the
other feedback at least as many scored responses. The segment's **top pain point** is its
best-ranked row whose gap is clear: positive score and the gap's 95% interval wholly above 0
(a topic rated a tenth of a point below the rest is noise, not an action); a segment where no
ranked row is clear has none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import ibis
import numpy as np
import pandas as pd
from scipy import stats

from helpers.analysis.features import as_table
from helpers.analysis.feedback.frame import (
    ALL,
    segment_order,
    segmented,
)
from helpers.core import schema as s
from helpers.core.checks import as_date, require_columns
from helpers.core.config_pain import FeedbackConfig, TopicConfig
from helpers.core.errors import ParameterError

__all__ = ["USAGE_COLUMNS", "PAIN_COLUMNS", "event_usage", "pain_points"]

#: The columns of :func:`event_usage`.
USAGE_COLUMNS = (
    "segment",
    "event_name",
    "active_users",
    "users",
    "users_share",
    "events",
    "events_per_user",
)
#: The columns of :func:`pain_points` (``pain_points.csv``).
PAIN_COLUMNS = (
    "segment",
    "topic",
    "events",
    "event_name",
    "feature_users",
    "users_share",
    "all_users_share",
    "usage_index",
    "events_per_user",
    "mentions",
    "mention_users",
    "topic_rating",
    "other_rating",
    "rating_gap",
    "topic_complaint_rate",
    "other_complaint_rate",
    "complaint_gap",
    "measure",
    "gap_ci_low",
    "gap_ci_high",
    "score",
    "eligible",
    "rank",
    "top",
)


def _segment_frame(segments, column: str) -> pd.DataFrame:
    if isinstance(segments, pd.DataFrame):
        require_columns(segments, [s.USER_ID, column], "The segments table")
        pairs = segments[[s.USER_ID, column]].set_axis(["user", "segment"], axis=1)
    elif isinstance(segments, pd.Series):
        pairs = pd.DataFrame({"user": segments.index, "segment": segments.to_numpy()})
    elif isinstance(segments, Mapping):
        pairs = pd.DataFrame({"user": list(segments), "segment": list(segments.values())})
    else:
        raise ParameterError(
            "`segments` must map users to segments: a Series indexed by user_id, a dict, or a "
            f"DataFrame with user_id and {column!r}, but a {type(segments).__name__} was passed."
        )
    pairs = pairs.dropna().drop_duplicates("user")
    return pairs.assign(user=pairs["user"].astype(str))


def event_usage(
    user_day,
    segments,
    events: Sequence[str],
    start,
    end,
    *,
    column: str = s.PERSONA,
) -> pd.DataFrame:
    """How much each segment's active users use each event between ``start`` and ``end``.

    Parameters
    ----------
    user_day : ibis.Table
        The kit's ``user_day`` (``user_id``, ``day``, ``active_events``, ``ev_<event>`` counts).
    segments : Series, dict or DataFrame, or None
        ``user_id -> segment`` (``personas.csv``: ``user_id`` and ``column``). ``None``: only
        the :data:`ALL` rows, over every active user.
    events : sequence of str
        Event names (``ev_<name>`` columns; see :func:`helpers.core.schema.event_count_column`).
    start, end : date or str
        The window of local days, both included (the review month).

    Returns
    -------
    DataFrame
        :data:`USAGE_COLUMNS`, one row per segment (:data:`ALL` first: every active user with a
        segment) and event: ``active_users`` (users with an active event in the window),
        ``users`` (of them, those who did the event), ``users_share`` (``users /
        active_users``), ``events`` (their events) and ``events_per_user`` (events per user who
        did it). An event ``user_day`` has no column for is left null and listed in
        ``attrs["missing_events"]``.

    Notes
    -----
    Two ibis aggregations (per user, then per segment); only one row per segment reaches pandas.

    Examples
    --------
    >>> import datetime as dt
    >>> ud = pd.DataFrame({"user_id": ["a", "a", "b", "c"], "day": [dt.date(2026, 10, d) for d in (1, 2, 1, 3)],
    ...                    "active_events": [2, 1, 1, 1], "ev_coupon_view": [2, 1, 0, 1]})
    >>> u = event_usage(ud, {"a": 1, "b": 1, "c": 2}, ["coupon_view"], "2026-10-01", "2026-10-31")
    >>> u[["segment", "active_users", "users", "users_share", "events_per_user"]].values.tolist()
    [['all', 3, 2, 0.6666666666666666, 2.0], [1, 2, 1, 0.5, 3.0], [2, 1, 1, 1.0, 1.0]]
    """
    t = as_table(user_day)
    require_columns(t, [s.USER_ID, s.DAY], "user_day")
    lo, hi = as_date(start, "start"), as_date(end, "end")
    if hi < lo:
        raise ParameterError(f"`end` ({hi}) must not be before `start` ({lo}).")
    w = t.filter((t[s.DAY] >= ibis.date(lo)) & (t[s.DAY] <= ibis.date(hi)))
    activity = s.UD_ACTIVE_EVENTS if s.UD_ACTIVE_EVENTS in t.columns else s.UD_EVENTS
    if activity in t.columns:
        w = w.filter(w[activity].fill_null(0) > 0)
    names = list(dict.fromkeys(str(e) for e in events))
    present = {e: s.event_count_column(e) for e in names if s.event_count_column(e) in t.columns}
    keys = {e: f"_n{i}" for i, e in enumerate(present)}
    per_user = w.group_by(w[s.USER_ID].cast("string").name("_user")).aggregate(
        _days=w.count(), **{keys[e]: w[present[e]].fill_null(0).sum() for e in present}
    )

    def sums(x: ibis.Table) -> dict:
        out = {"active_users": x.count()}
        for k in keys.values():
            out[f"u{k}"] = (x[k] > 0).sum()
            out[f"e{k}"] = x[k].sum()
        return out

    back: dict[str, object] = {ALL: ALL}
    if segments is None:
        parts = [per_user.aggregate(**sums(per_user)).execute().assign(segment=ALL)]
    else:
        pairs = _segment_frame(segments, column)
        back.update(zip(pairs["segment"].astype(str), pairs["segment"]))
        mt = ibis.memtable(
            pairs.astype(str).rename(columns={"user": "_seg_user", "segment": "_seg"})
        )
        j = per_user.join(mt, per_user["_user"] == mt["_seg_user"])
        parts = [
            j.aggregate(**sums(j)).execute().assign(segment=ALL),
            j.group_by("_seg").aggregate(**sums(j)).execute().rename(columns={"_seg": "segment"}),
        ]
    per_segment = pd.concat(parts, ignore_index=True)
    per_segment["segment"] = per_segment["segment"].map(lambda v: back.get(str(v), v))
    rows = []
    for seg in segment_order(per_segment["segment"].tolist()):
        r = per_segment[per_segment["segment"] == seg].iloc[0]
        active = int(r["active_users"] or 0)
        for e in names:
            if e in keys:
                users, n = int(r[f"u{keys[e]}"] or 0), float(r[f"e{keys[e]}"] or 0)
                share = users / active if active else np.nan
                per = n / users if users else np.nan
            else:
                users, n, share, per = None, None, np.nan, np.nan
            rows.append((seg, e, active, users, share, n, per))
    out = pd.DataFrame(rows, columns=list(USAGE_COLUMNS))
    out["segment"] = out["segment"].astype(object)
    out.attrs["missing_events"] = [e for e in names if e not in keys]
    return out


def _welch(a: pd.Series, b: pd.Series) -> tuple[float, float]:
    """95% Welch interval of ``mean(b) - mean(a)``."""
    a, b = a.dropna().astype(float), b.dropna().astype(float)
    if len(a) < 2 or len(b) < 2:
        return np.nan, np.nan
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = np.sqrt(va + vb)
    diff = b.mean() - a.mean()
    if se == 0:
        return diff, diff
    dof = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    half = float(stats.t.ppf(0.975, dof)) * se
    return diff - half, diff + half


def _proportion_gap(a: pd.Series, b: pd.Series) -> tuple[float, float]:
    """95% normal interval of ``mean(a) - mean(b)`` for two sets of 0/1 flags."""
    a, b = a.dropna().astype(float), b.dropna().astype(float)
    if not len(a) or not len(b):
        return np.nan, np.nan
    pa, pb = a.mean(), b.mean()
    half = 1.959964 * np.sqrt(pa * (1 - pa) / len(a) + pb * (1 - pb) / len(b))
    return pa - pb - half, pa - pb + half


def _usage_of(usage: pd.DataFrame | None, seg, events: list[str]) -> dict:
    none = dict(
        event_name=None,
        feature_users=np.nan,
        users_share=np.nan,
        all_users_share=np.nan,
        events_per_user=np.nan,
    )
    if usage is None or not events or usage.empty:
        return {**none, "usage_index": np.nan}
    u = usage[usage["event_name"].isin(events) & usage["users_share"].notna()]
    mine = u[u["segment"].astype(str) == str(seg)]
    if mine.empty:
        return {**none, "usage_index": np.nan}
    best = mine.sort_values(["users_share", "event_name"], ascending=[False, True]).iloc[0]
    every = u[(u["segment"].astype(str) == ALL) & (u["event_name"] == best["event_name"])]
    all_share = float(every["users_share"].iloc[0]) if len(every) else np.nan
    share = float(best["users_share"])
    index = share / all_share if all_share and np.isfinite(all_share) else np.nan
    users = best["users"] if "users" in best else np.nan
    return dict(
        event_name=best["event_name"],
        feature_users=float(users) if users is not None and pd.notna(users) else np.nan,
        users_share=share,
        all_users_share=all_share,
        events_per_user=float(best["events_per_user"]) if "events_per_user" in best else np.nan,
        usage_index=index,
    )


def pain_points(
    feedback: pd.DataFrame,
    mentions: pd.DataFrame,
    segments=None,
    *,
    usage: pd.DataFrame | None = None,
    topics: Mapping[str, TopicConfig] | None = None,
    settings: FeedbackConfig | None = None,
    column: str = s.PERSONA,
    min_mentions: int = 10,
) -> pd.DataFrame:
    """The pain-point matrix: one row per segment and topic, ranked within each segment.

    Parameters
    ----------
    feedback : DataFrame
        The feedback rows :func:`~helpers.analysis.feedback.topics.topic_mentions` read.
    mentions : DataFrame
        Their topic mentions (``response``, ``topic``).
    segments : optional
        ``user_id -> segment``; ``None``: one segment, :data:`ALL`, ranked on its own (its
        usage index is 1). Responses of users without a segment are left out.
    usage : DataFrame, optional
        :func:`event_usage` (``segment``, ``event_name``, ``users_share``, ``events_per_user``)
        for the topics' events, with the :data:`ALL` rows the usage index divides by.
    topics : mapping, optional
        ``config.feedback.topics``: each topic's ``events`` (its order is the matrix's).
    settings : FeedbackConfig
        ``complaint_rating``, ``complaint_categories``, ``min_responses``.
    min_mentions : int
        Mentions a topic needs in a segment to be ranked there.

    Returns
    -------
    DataFrame
        :data:`PAIN_COLUMNS` (module docs): usage (``event_name`` used, ``feature_users`` (the
        segment's users who did it), ``users_share``,
        ``all_users_share``, ``usage_index``, ``events_per_user``), the topic's ``mentions``
        and ``mention_users``, ``topic_rating`` vs ``other_rating`` and their ``rating_gap``,
        the complaint rates and ``complaint_gap``, the ``measure`` of the gap (``rating`` or
        ``complaint``) with its 95% interval, ``score``, ``eligible``, ``rank`` (1 = the
        segment's worst, null when not ranked) and ``top`` (the segment's top pain point: its
        best-ranked row with a clear gap, module docs).
    """
    settings = settings or FeedbackConfig()
    fb = segmented(feedback, segments, settings, column=column)
    measure = "rating" if fb[s.RATING].notna().any() else "complaint"
    topics = dict(topics or {})
    names = list(topics) + sorted({str(x) for x in mentions["topic"]} - set(topics), key=str)
    segs = (
        [ALL]
        if segments is None
        else [x for x in segment_order(fb["segment"].tolist()) if x != ALL]
    )
    by_topic = {name: set(mentions.loc[mentions["topic"] == name, "response"]) for name in names}
    rows = []
    for seg in segs:
        mine = fb if seg == ALL else fb[fb["segment"] == seg]
        small = len(mine) < settings.min_responses
        for name in names:
            hit = mine.index.isin(list(by_topic[name]))
            on, off = mine[hit], mine[~hit]
            events = list(topics[name].events) if name in topics else []
            use = _usage_of(usage, seg, events)
            r_on, r_off = on[s.RATING].mean(), off[s.RATING].mean()
            c_on, c_off = on["complaint"].dropna(), off["complaint"].dropna()
            rate_on = float(c_on.astype(float).mean()) if len(c_on) else np.nan
            rate_off = float(c_off.astype(float).mean()) if len(c_off) else np.nan
            if measure == "rating":
                gap = r_off - r_on
                lo, hi = _welch(on[s.RATING], off[s.RATING])
                scored_off = int(off[s.RATING].notna().sum())
            else:
                gap = rate_on - rate_off
                lo, hi = _proportion_gap(c_on, c_off)
                scored_off = len(c_off)
            index = use["usage_index"] if np.isfinite(use["usage_index"]) else 1.0
            eligible = bool(
                not small
                and len(on) >= min_mentions
                and scored_off >= min_mentions
                and np.isfinite(gap)
            )
            rows.append(
                {
                    "segment": seg,
                    "topic": name,
                    "events": ", ".join(events),
                    **use,
                    "mentions": len(on),
                    "mention_users": int(on[s.USER_ID].nunique()),
                    "topic_rating": r_on,
                    "other_rating": r_off,
                    "rating_gap": r_off - r_on,
                    "topic_complaint_rate": rate_on,
                    "other_complaint_rate": rate_off,
                    "complaint_gap": rate_on - rate_off,
                    "measure": measure,
                    "gap_ci_low": lo,
                    "gap_ci_high": hi,
                    "score": index * gap if np.isfinite(gap) else np.nan,
                    "eligible": eligible,
                }
            )
    out = pd.DataFrame(rows, columns=[c for c in PAIN_COLUMNS if c not in ("rank", "top")])
    out["rank"] = pd.array([pd.NA] * len(out), dtype="Int64")
    for seg in segs:
        ranked = out[(out["segment"] == seg) & out["eligible"]]
        ranked = ranked.assign(_t=ranked["topic"].astype(str)).sort_values(
            ["score", "mentions", "_t"], ascending=[False, False, True], kind="stable"
        )
        out.loc[ranked.index, "rank"] = np.arange(1, len(ranked) + 1)
    clear = out["eligible"] & (out["score"] > 0) & (out["gap_ci_low"] > 0)
    out["top"] = False
    for seg in segs:
        mine = out[(out["segment"] == seg) & clear]
        if len(mine):
            out.loc[mine["rank"].astype(float).idxmin(), "top"] = True
    out["segment"] = out["segment"].astype(object)
    return out[list(PAIN_COLUMNS)]
