"""Which early behaviours go with retention (Amplitude Compass style): correlation, not cause."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import ibis
import numpy as np
import pandas as pd

from helpers.analysis.activity import _base as B
from helpers.analysis.activity.intervals import wilson_interval
from helpers.core import schema as S
from helpers.core.checks import as_date
from helpers.core.errors import DataError

__all__ = ["retention_drivers", "RetentionDrivers", "behaviour_id"]


@dataclass(frozen=True, eq=False)
class RetentionDrivers:
    """Early behaviours ranked by how strongly they go with retention (:func:`retention_drivers`).

    Attributes
    ----------
    drivers : DataFrame
        behaviour (an id: :func:`behaviour_id`, or the attribute's name), event (the event, or
        the attribute), threshold (NaN for an attribute), doers, share_doers, retained_doers,
        rate_doers, ci_low_doers, ci_high_doers, non_doers, retained_non_doers,
        rate_non_doers, ci_low_non_doers, ci_high_non_doers, difference, score, strongest;
        best score first.
    cohort_start, cohort_end, as_of : date
    first_days, retention_day, retention_width : int
    thresholds : tuple of int
    users : int
        Users in the cohort.
    retained : int
        Of them, retained.
    """

    drivers: pd.DataFrame
    cohort_start: dt.date
    cohort_end: dt.date
    as_of: dt.date
    first_days: int
    retention_day: int
    retention_width: int
    thresholds: tuple[int, ...]
    users: int
    retained: int

    @property
    def base_rate(self) -> float:
        """Share of the cohort retained (NaN for an empty cohort)."""
        return self.retained / self.users if self.users else float("nan")


def behaviour_id(event: str, threshold: int) -> str:
    """The id of the behaviour "did ``event`` at least ``threshold`` times early on".

    >>> behaviour_id("share", 2)
    'share>=2'
    """
    return f"{event}>={int(threshold)}"


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
) -> RetentionDrivers:
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
    RetentionDrivers
    """
    cohort_start, cohort_end = (
        as_date(cohort_start, "cohort_start"),
        as_date(cohort_end, "cohort_end"),
    )
    as_of = as_date(as_of, "as_of")
    ev_cols = B.event_columns(user_day)
    if events is not None:
        cols = [S.event_count_column(e) for e in events]
        missing = [c for c in cols if c not in ev_cols]
        if missing:
            raise DataError(
                f"`events`: user_day has no column {missing[0]!r}; expected one of {ev_cols[:10]}."
            )
    else:
        cols = ev_cols
    t = B.with_ed(user_day)
    B.check_user_day(user_day)
    t = t.filter(t[B.ED] <= B.ed(as_of))
    first = (
        t.filter(t[S.UD_ACTIVE_EVENTS] > 0).group_by(S.USER_ID).aggregate(_f=ibis._[B.ED].min())
    )
    last_f = min(B.ed(cohort_end), B.ed(as_of) - int(retention_day) - int(retention_width) + 1)
    first = first.filter((first["_f"] >= B.ed(cohort_start)) & (first["_f"] <= last_f))
    j = t.join(first, S.USER_ID)
    off = j[B.ED] - j["_f"]
    early = (off >= 0) & (off < int(first_days))
    late = (
        (off >= int(retention_day))
        & (off < int(retention_day) + int(retention_width))
        & (j[S.UD_ACTIVE_EVENTS] > 0)
    )
    per_user = B.execute(
        j.group_by(S.USER_ID).aggregate(
            retained=late.cast("int64").max(), **{c: early.ifelse(j[c], 0).sum() for c in cols}
        )
    )
    per_user = per_user.fillna(0)
    flags, meta = {}, []
    for c in cols:
        event = c[len(S.EVENT_COUNT_PREFIX) :]
        for k in thresholds:
            name = behaviour_id(event, k)
            flags[name] = per_user[c].to_numpy() >= int(k)
            meta.append((name, event, int(k)))
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
    return RetentionDrivers(
        drivers=df,
        cohort_start=cohort_start,
        cohort_end=cohort_end,
        as_of=as_of,
        first_days=int(first_days),
        retention_day=int(retention_day),
        retention_width=int(retention_width),
        thresholds=tuple(int(k) for k in thresholds),
        users=n,
        retained=int(y.sum()),
    )
