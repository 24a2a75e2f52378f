"""Tag health: which tags drive no action, fire for almost no one or nearly everyone, or drift.

A tag earns its place when a team acts on its users. :func:`check_tag_health` reads the
coverage of each tag (share of the month's active users) in the review month and in earlier
months (:func:`tag_coverage`, from each month's flags: :func:`month_flags`) and returns one row
per warning (:class:`TagHealth`):

- ``no_action``: the tag has no ``action`` or no ``owner`` (``detail``: ``action``, ``owner``
  or ``action_owner``): a tag that drives no action is decoration;
- ``no_users``: in the review month the tag fires for fewer than ``min_share`` of the active
  users (``detail``: ``never`` when it fired for no one in any month read, ``stopped`` when it
  fired for no one this month but did earlier, ``few`` when it fired for some, below the floor);
- ``nearly_everyone``: it fires for more than ``max_share`` of them: it tells no one apart;
- ``drift``: its share moved, between an earlier month and the review month, by more than
  ``drift`` times the earlier share *and* by at least ``min_drift_points`` (an earlier share of
  0 rising to ``min_drift_points`` or more counts). Of the earlier months that qualify, the one
  with the largest move is named (the latest on a tie); ``detail`` is ``up`` or ``down``. A tag
  flagged ``no_users`` is not flagged ``drift`` too (its ``stopped`` row names the earlier share).

Each month's population is the users active in it, tagged on the feature table at the month's
last day (as ``03_personas`` tags them: :func:`~helpers.analysis.segments.clustering.active_in_month`
of :func:`~helpers.analysis.features.user_features`), so ``quantile`` rules are relative to
each month's own actives.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from helpers.analysis.features import NEW_FEATURES_28, SHARE_PREFIX, user_features
from helpers.analysis.segments.clustering import active_in_month
from helpers.analysis.segments.tags import evaluate_tags
from helpers.core.errors import ParameterError
from helpers.core.rules import TAG_PREFIX, Tag, check_rule, columns_used, parse_tags
from helpers.core.schema import EVENT_COUNT_PREFIX, SIGNUP_TIME, USER_ID
from helpers.core.time import month_bounds, parse_month, shift_month

__all__ = [
    "CHECKS",
    "month_flags",
    "tag_coverage",
    "TagHealth",
    "check_tag_health",
    "tag_health",
]

#: The checks, in the order their warnings are listed (the most severe first).
CHECKS = ("no_users", "nearly_everyone", "drift", "no_action")

_COVERAGE_COLUMNS = ["tag", "month", "users", "active_users", "share"]
_WARNING_COLUMNS = [
    "tag",
    "check",
    "detail",
    "month",
    "users",
    "share",
    "previous_month",
    "previous_share",
    "action",
    "owner",
    "channel",
]


def month_flags(
    user_day,
    *,
    month: str,
    tags: Iterable[Mapping[str, Any] | Tag],
    users: pd.DataFrame | None = None,
    passive_events: Sequence[str] = (),
    timezone: str | None = None,
) -> pd.DataFrame:
    """The tags of the users active in ``month``, on the feature table at the month's last day.

    Returns :func:`~helpers.analysis.segments.tags.evaluate_tags` of those users: one 0/1
    column ``tag_<name>`` per tag, one row per active user (none when no one was active).

    Examples
    --------
    >>> import ibis, pandas as pd
    >>> ud = ibis.memtable(pd.DataFrame({"user_id": ["a", "b"],
    ...     "day": pd.to_datetime(["2024-01-03", "2024-02-02"]).date, "active_events": [1, 1],
    ...     "orders": [1, 0], "revenue": [5.0, 0.0], "ev_view": [1, 1]}))
    >>> month_flags(ud, month="2024-02", tags=[{"name": "buyer", "layer": "value",
    ...     "rule": "orders >= 1"}])["tag_buyer"].tolist()
    [0]
    """
    start, end = month_bounds(month)
    # only the event shares the rules read: each earlier month's feature table is built again,
    # and every other share column would be computed and moved to pandas for nothing
    used = {c for tag in parse_tags(tags) for c in columns_used(check_rule(tag))}
    columns = set(getattr(user_day, "columns", ()))
    events = [
        c.removeprefix(SHARE_PREFIX)
        for c in sorted(used)
        if c.startswith(SHARE_PREFIX)
        and EVENT_COUNT_PREFIX + c.removeprefix(SHARE_PREFIX) in columns
    ]
    if users is not None:  # and only the attributes they read (besides id and signup time)
        users = users[[c for c in users.columns if c in (USER_ID, SIGNUP_TIME) or c in used]]
    features = user_features(
        user_day,
        as_of=end,
        users=users,
        event_names=events,
        passive_events=passive_events,
        timezone=timezone,
        new_features=NEW_FEATURES_28 in used,
    )
    return evaluate_tags(active_in_month(features, month_start=start), tags)


def tag_coverage(flags_by_month: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Coverage of each tag per month: one row per tag and month with ``users`` (tagged),
    ``active_users`` (the month's population) and ``share``; months sorted, tags in the order
    of the latest month's columns. A month without an active user is left out.

    Examples
    --------
    >>> cov = tag_coverage({"2024-02": pd.DataFrame({"tag_a": [1, 0, 0, 0]}),
    ...                     "2024-01": pd.DataFrame({"tag_a": [1, 1]})})
    >>> cov[["month", "users", "share"]].values.tolist()
    [['2024-01', 2, 1.0], ['2024-02', 1, 0.25]]
    """
    frames = []
    order: list[str] = []
    for month in sorted(flags_by_month):
        flags = flags_by_month[month]
        cols = [str(c) for c in flags.columns if str(c).startswith(TAG_PREFIX)]
        names = [c[len(TAG_PREFIX) :] for c in cols]
        order = names
        n = len(flags)
        if not n:
            continue
        users = flags[cols].fillna(0).astype(bool).sum(axis=0).to_numpy().astype("int64")
        frames.append(
            pd.DataFrame(
                {
                    "tag": names,
                    "month": month,
                    "users": users,
                    "active_users": n,
                    "share": users / n,
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=_COVERAGE_COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    rank = {name: i for i, name in enumerate(order)}
    out["_r"] = out["tag"].map(rank).fillna(len(rank))
    out = out.sort_values(["_r", "month"], kind="mergesort").drop(columns="_r")
    return out[_COVERAGE_COLUMNS].reset_index(drop=True)


@dataclass
class TagHealth:
    """The tag-health warnings of a review month (:func:`check_tag_health`).

    Attributes
    ----------
    warnings : DataFrame
        One row per warning, in :data:`CHECKS` order then tag order: ``tag``, ``check``,
        ``detail``, ``month`` (the review month), ``users`` and ``share`` (that month),
        ``previous_month`` and ``previous_share`` (the earlier month compared: the drift's
        month, the month before for ``no_users``; empty when none), ``action``, ``owner``,
        ``channel``.
    coverage : DataFrame
        :func:`tag_coverage` over the months read.
    month : str
        The review month.
    months : list of str
        The months with active users that were read, oldest first.
    min_share, max_share, drift, min_drift_points : float
        The thresholds used (``tag_health:`` of the config).
    """

    warnings: pd.DataFrame
    coverage: pd.DataFrame
    month: str
    months: list[str]
    min_share: float
    max_share: float
    drift: float
    min_drift_points: float

    @property
    def shares(self) -> pd.DataFrame:
        """The coverage as tags x months of shares (tags in their order, months oldest first)."""
        if self.coverage.empty:
            return pd.DataFrame()
        wide = self.coverage.pivot(index="tag", columns="month", values="share")
        return wide.loc[list(dict.fromkeys(self.coverage["tag"])), self.months]

    def __repr__(self) -> str:
        return f"TagHealth({self.month}: {len(self.warnings)} warnings over {len(self.months)} months)"


def _largest_moves(share: pd.Series, earlier: pd.DataFrame, *, drift: float, points: float):
    """Per tag with a qualifying move: (earlier month, earlier share) of the largest move, the
    latest month on a tie."""
    if earlier.shape[1] == 0:
        return {}
    prev = earlier.to_numpy(dtype="float64")
    move = np.abs(share.to_numpy(dtype="float64")[:, None] - prev)
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(move) & (move > drift * prev) & (move >= points - 1e-12)
    latest_first = np.where(ok, move, -np.inf)[:, ::-1]
    best = prev.shape[1] - 1 - latest_first.argmax(axis=1)
    return {
        name: (earlier.columns[best[i]], float(prev[i, best[i]]))
        for i, name in enumerate(share.index)
        if ok[i].any()
    }


def check_tag_health(
    coverage: pd.DataFrame,
    tags: Iterable[Mapping[str, Any] | Tag],
    *,
    month: str,
    min_share: float = 0.005,
    max_share: float = 0.95,
    drift: float = 0.5,
    min_drift_points: float = 0.02,
) -> TagHealth:
    """The warnings of the module docs for ``month``, from a :func:`tag_coverage` table.

    Parameters
    ----------
    coverage : DataFrame
        ``tag``, ``month``, ``users``, ``share`` per tag and month (:func:`tag_coverage`).
    tags : list of dict or Tag
        The tag rules (their ``action``, ``owner`` and ``channel``).
    month : str
        The review month (``YYYY-MM``); earlier months of ``coverage`` are compared with it.
    min_share, max_share, drift, min_drift_points : float
        The thresholds of ``tag_health:`` (``helpers.core.config.TagHealthConfig``).

    Examples
    --------
    >>> cov = tag_coverage({"2024-01": pd.DataFrame({"tag_a": [0] * 10, "tag_b": [1] * 10}),
    ...                     "2024-02": pd.DataFrame({"tag_a": [1] * 3 + [0] * 7, "tag_b": [1] * 10})})
    >>> rules = [{"name": n, "layer": "basic", "rule": "x > 0", "action": "Call.", "owner": "CRM"}
    ...          for n in "ab"]
    >>> check_tag_health(cov, rules, month="2024-02").warnings[["tag", "check", "share",
    ...     "previous_share"]].values.tolist()
    [['b', 'nearly_everyone', 1.0, nan], ['a', 'drift', 0.3, 0.0]]
    """
    month = parse_month(month)
    parsed = parse_tags(tags)
    info = {t.name: t for t in parsed}
    missing = [c for c in ("tag", "month", "users", "share") if c not in coverage.columns]
    if missing:
        raise ParameterError(
            f"check_tag_health's `coverage` has no column {missing[0]!r}; expected the table of "
            f"tag_coverage (tag, month, users, active_users, share), found {list(coverage.columns)}."
        )
    months = sorted(m for m in coverage["month"].unique() if m <= month)
    cov = coverage[coverage["month"].isin(months)]
    settings = dict(
        min_share=min_share, max_share=max_share, drift=drift, min_drift_points=min_drift_points
    )
    now = cov[cov["month"] == month].drop_duplicates("tag").set_index("tag")
    names = [t.name for t in parsed if t.name in now.index] + [
        n for n in now.index if n not in info
    ]
    rows: list[dict] = []

    def add(name, check, detail, previous_month=None, previous_share=np.nan):
        tag = info.get(name)
        rows.append(
            {
                "tag": name,
                "check": check,
                "detail": detail,
                "month": month,
                "users": int(now.loc[name, "users"]) if name in now.index else 0,
                "share": float(now.loc[name, "share"]) if name in now.index else np.nan,
                "previous_month": previous_month,
                "previous_share": previous_share,
                "action": tag.action if tag else "",
                "owner": tag.owner if tag else "",
                "channel": tag.channel if tag else "",
            }
        )

    if names:
        wide = cov.pivot_table(index="tag", columns="month", values="share", aggfunc="first")
        wide = wide.reindex(index=names, columns=months)
        share = wide[month]
        earlier = wide.drop(columns=[month])
        moves = _largest_moves(share, earlier, drift=drift, points=min_drift_points)
        for name in names:
            s = float(share[name])
            users = int(now.loc[name, "users"])
            if users == 0 or s < min_share:
                hist = earlier.loc[name].dropna()
                fired = hist[hist > 0]
                detail = "few" if users else ("stopped" if len(fired) else "never")
                ref = fired.index[-1] if len(fired) else (hist.index[-1] if len(hist) else None)
                add(name, "no_users", detail, ref, float(hist[ref]) if ref else np.nan)
                continue
            if s > max_share:
                add(name, "nearly_everyone", "")
            if name in moves:
                ref, p = moves[name]
                add(name, "drift", "up" if s > p else "down", ref, p)
    for tag in parsed:
        if not tag.action.strip() or not tag.owner.strip():
            detail = "_".join(k for k in ("action", "owner") if not getattr(tag, k).strip())
            add(tag.name, "no_action", detail)
    warnings = pd.DataFrame(rows, columns=_WARNING_COLUMNS)
    if len(warnings):
        rank = {n: i for i, n in enumerate([*names, *(t.name for t in parsed)])}
        warnings = (
            warnings.assign(
                _c=warnings["check"].map({c: i for i, c in enumerate(CHECKS)}),
                _t=warnings["tag"].map(rank),
            )
            .sort_values(["_c", "_t"], kind="mergesort")
            .drop(columns=["_c", "_t"])
            .reset_index(drop=True)
        )
    return TagHealth(
        warnings=warnings,
        coverage=cov.reset_index(drop=True),
        month=month,
        months=months,
        **settings,
    )


def tag_health(
    user_day,
    *,
    month: str,
    tags: Iterable[Mapping[str, Any] | Tag],
    months: int = 3,
    current: pd.DataFrame | None = None,
    users: pd.DataFrame | None = None,
    passive_events: Sequence[str] = (),
    timezone: str | None = None,
    **thresholds: float,
) -> TagHealth:
    """Tag health of ``month`` against the ``months`` months before it (the module docs).

    Parameters
    ----------
    user_day : ibis.Table
        The ``user_day`` table.
    month : str
        The review month (``YYYY-MM``).
    tags : list of dict or Tag
        The tag rules.
    months : int
        Earlier months compared (``tag_health.months``); months before the data have no active
        user and are left out.
    current : DataFrame, optional
        The review month's flags when already evaluated (``03_personas`` has them); computed
        with :func:`month_flags` otherwise.
    users, passive_events, timezone
        As for :func:`~helpers.analysis.features.user_features`.
    **thresholds
        ``min_share``, ``max_share``, ``drift``, ``min_drift_points`` of
        :func:`check_tag_health`.

    Examples
    --------
    >>> import ibis, pandas as pd
    >>> ud = ibis.memtable(pd.DataFrame({"user_id": ["a", "b", "b"],
    ...     "day": pd.to_datetime(["2024-01-03", "2024-01-04", "2024-02-02"]).date,
    ...     "active_events": [1, 1, 1], "orders": [0, 0, 0], "revenue": [0.0] * 3,
    ...     "ev_view": [1, 1, 1]}))
    >>> rules = [{"name": "buyer", "layer": "value", "rule": "orders >= 1"}]
    >>> tag_health(ud, month="2024-02", tags=rules, months=1).warnings[["check", "detail"]].values.tolist()
    [['no_users', 'never'], ['no_action', 'action_owner']]
    """
    month = parse_month(month)
    if not isinstance(months, int) or isinstance(months, bool) or months < 0:
        raise ParameterError(
            f"`months` must be a whole number of earlier months (0 or more), such as 3, but "
            f"{months!r} was passed."
        )
    parsed = parse_tags(tags)
    kwargs = dict(users=users, passive_events=passive_events, timezone=timezone)
    flags = {
        shift_month(month, -i): month_flags(
            user_day, month=shift_month(month, -i), tags=parsed, **kwargs
        )
        for i in range(1, months + 1)
    }
    flags[month] = (
        current
        if current is not None
        else month_flags(user_day, month=month, tags=parsed, **kwargs)
    )
    return check_tag_health(tag_coverage(flags), parsed, month=month, **thresholds)
