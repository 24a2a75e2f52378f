"""Covariates of the Cox model: behaviour early in each life and user attributes.

:func:`early_life_covariates` builds the landmark table (lives longer than an early window, their
duration measured from the window's end, and what the user did in it, plus attributes);
:func:`cox_covariates`, :func:`protected` and :func:`cox_strata` choose what the kit's Cox model
of churn (:func:`helpers.analysis.churn.cox.fit_cox`) uses from it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import ibis
import numpy as np
import pandas as pd

from helpers.analysis.churn.common import DURATION_DAYS, ENTRY_DAYS, EVENT, START_DAY
from helpers.analysis.features import to_frame
from helpers.core import schema as S
from helpers.core.checks import (
    numeric_text,
    numeric_text_to_numbers,
    positive_int,
    require_columns,
)
from helpers.core.errors import DataError

__all__ = [
    "EARLY_FEATURES",
    "EarlyLife",
    "early_life_covariates",
    "level_of",
    "early_feature",
    "with_persona",
    "with_landmark_persona",
    "cox_covariates",
    "protected",
    "cox_strata",
]

#: The behaviour counted in the early window, as ``<feature>_first_<days>d`` columns.
EARLY_FEATURES = ("active_days", "events", "orders", "revenue")
_EARLY = re.compile(r"^(?P<feature>" + "|".join(EARLY_FEATURES) + r")_first_(?P<days>\d+)d$")
#: Attributes whose one-hot levels enter the Cox model whatever their values.
COVARIATE_PREFIXES = ("channel_", "platform_", "plan_")
#: Columns never used as covariates: ids, the outcome, the strata, and wide families (event mix
#: shares and cities are many and collinear, and behaviour is summarized by the window counts).
_NOT_COVARIATES = (S.USER_ID, DURATION_DAYS, EVENT, ENTRY_DAYS, S.PERSONA, "persona_name")
_WIDE_FAMILIES = ("mix_", "city_")
# ids, times and the source are never read as numbers ("0042" stays an id)
_ID_LIKE = (S.USER_ID, S.SIGNUP_TIME, S.SOURCE)


@dataclass(frozen=True)
class EarlyLife:
    """The landmark table of :func:`early_life_covariates` and what it was built with.

    Attributes
    ----------
    table : pandas.DataFrame
        ``user_id``, ``duration_days`` (from the landmark), ``event`` and the covariates.
    landmark_days : int
        The early window: lives are followed from day ``landmark_days`` on.
    dropped_short_lives : int
        Lives not longer than the window (left out).
    reference_levels : dict
        Attribute -> its reference level, for the attributes one-hot encoded as
        ``<attribute>_<level>`` columns (the reference level has no column).
    persona_from_day : int or None
        Set by :func:`with_landmark_persona`: the persona strata are month-end labels made at
        least this many days into a life (None: no such strata).
    unlabelled_lives, unlabelled_churned : int
        Lives :func:`with_landmark_persona` left out (never labelled), and how many of them
        churned.
    """

    table: pd.DataFrame
    landmark_days: int
    dropped_short_lives: int
    reference_levels: dict[str, str]
    persona_from_day: int | None = None
    unlabelled_lives: int = 0
    unlabelled_churned: int = 0

    def level_of(self, covariate: str) -> tuple[str, str] | None:
        """``(attribute, level)`` of a one-hot covariate, or None (see :func:`level_of`)."""
        return level_of(covariate, self.reference_levels)


def level_of(covariate: str, reference_levels: Mapping[str, str]) -> tuple[str, str] | None:
    """``(attribute, level)`` of a covariate named ``<attribute>_<level>`` for one of the
    one-hot encoded attributes (the keys of ``reference_levels``), or None for any other.

    Examples
    --------
    >>> refs = {"plan": "free", "plan_type": "a"}
    >>> level_of("plan_plus", refs), level_of("plan_type_b", refs), level_of("age", refs)
    (('plan', 'plus'), ('plan_type', 'b'), None)
    """
    for attribute in sorted(reference_levels, key=len, reverse=True):
        if covariate.startswith(attribute + "_"):
            return attribute, covariate[len(attribute) + 1 :]
    return None


def covariate_values(col: pd.Series) -> pd.Series:
    """A covariate as floats when it is numeric, boolean or numeric text (CSV attributes such as
    ``joined_community`` read as ``"0"``/``"1"``); a column without any value is an all-NaN float
    column; other columns are returned as they are.

    Examples
    --------
    >>> covariate_values(pd.Series(["1", "0", None])).tolist()
    [1.0, 0.0, nan]
    >>> covariate_values(pd.Series(["a", "b"])).tolist()
    ['a', 'b']
    """
    if col.isna().all():
        return col.astype(float)
    col = numeric_text(col)
    if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
        return col.astype(float)
    return col


def early_life_covariates(
    user_day: ibis.Table,
    surv_df: pd.DataFrame,
    *,
    days: int = 7,
    users=None,
    attributes: Sequence[str] | None = None,
    max_levels: int = 10,
) -> EarlyLife:
    """Behaviour in the first ``days`` days of each life, plus user attributes, for a Cox model.

    Landmark design: only lives with ``duration_days > days`` are kept (known to be alive after
    the window, so the window's behaviour cannot be a consequence of an already observed churn),
    and their duration is measured from the landmark: ``duration_days - days``. Shorter lives
    are dropped and counted (``dropped_short_lives``).

    Window features (engine): ``active_days_first_{days}d``, ``events_first_{days}d``
    (active events), ``orders_first_{days}d``, ``revenue_first_{days}d`` over days
    ``start_day .. start_day + days - 1``, and ``mix_<event>`` = share of each ``ev_<event>``
    column in the window's events (0 when none). Attributes from ``users`` (all columns but
    ``user_id``/``signup_time`` unless ``attributes`` is given): numeric ones (also text columns
    holding only numbers, e.g. ``"0"``/``"1"`` from a CSV) pass through (missing values ->
    median); others are one-hot encoded as ``<col>_<level>`` with the most
    frequent level as the reference (dropped), levels beyond the ``max_levels`` most frequent
    pooled into ``other`` and missing values into ``missing``. The reference levels are kept
    (``reference_levels``).

    Returns
    -------
    EarlyLife
        ``table``: ``user_id, duration_days, event`` (landmark) and the covariates, one row per
        kept life; and what it was built with.
    """
    days = positive_int(days, "days", unit="days")
    require_columns(surv_df, [S.USER_ID, START_DAY, DURATION_DAYS, EVENT], "The survival table")
    require_columns(
        user_day, [S.USER_ID, S.DAY, S.UD_ACTIVE_EVENTS, S.UD_ORDERS, S.UD_REVENUE], "user_day"
    )
    kept = surv_df[surv_df[DURATION_DAYS] > days]
    base = pd.DataFrame(
        {
            S.USER_ID: kept[S.USER_ID].astype(str).to_numpy(),
            "_start": pd.to_datetime(kept[START_DAY]).dt.date.to_numpy(),
        }
    )
    starts = ibis.memtable(base)
    starts = starts.select(
        starts[S.USER_ID].cast("string").name("_uid"), starts["_start"].cast("date").name("_start")
    )
    t = user_day
    ev_cols = [c for c in t.columns if c.startswith(S.EVENT_COUNT_PREFIX)]
    j = t.join(starts, t[S.USER_ID].cast("string") == starts._uid)
    offset = j[S.DAY].delta(j._start, unit="day")
    j = j.filter((offset >= 0) & (offset < days))
    active = j[S.UD_ACTIVE_EVENTS] > 0
    suffix = f"_first_{days}d"
    aggs = {
        f"active_days{suffix}": ibis.ifelse(active, 1, 0).sum(),
        f"events{suffix}": j[S.UD_ACTIVE_EVENTS].sum(),
        f"orders{suffix}": j[S.UD_ORDERS].sum(),
        f"revenue{suffix}": j[S.UD_REVENUE].sum(),
    }
    aggs.update({f"_{c}": j[c].sum() for c in ev_cols})
    win = to_frame(j.group_by(j._uid.name(S.USER_ID)).aggregate(**aggs))
    out = kept[[S.USER_ID, DURATION_DAYS, EVENT]].copy()
    out[S.USER_ID] = out[S.USER_ID].astype(str)
    out[DURATION_DAYS] = out[DURATION_DAYS] - days
    out = out.merge(win, on=S.USER_ID, how="left")
    total = out[[f"_{c}" for c in ev_cols]].sum(axis=1) if ev_cols else None
    for c in ev_cols:
        name = "mix_" + c[len(S.EVENT_COUNT_PREFIX) :]
        out[name] = (out[f"_{c}"] / total.where(total > 0)).fillna(0.0)
    out = out.drop(columns=[f"_{c}" for c in ev_cols])
    for c in aggs:
        if not c.startswith("_"):
            out[c] = out[c].fillna(0).astype(float)
    refs: dict[str, str] = {}
    if users is not None:
        require_columns(users, [S.USER_ID], "The users table")
        u = users.execute() if isinstance(users, ibis.Table) else users.copy()
        u[S.USER_ID] = u[S.USER_ID].astype(str)
        u = u.drop_duplicates(S.USER_ID)
        cols = (
            list(attributes)
            if attributes is not None
            else [c for c in u.columns if c not in (S.USER_ID, S.SIGNUP_TIME)]
        )
        require_columns(u, cols, "The users table")
        u = out[[S.USER_ID]].merge(u[[S.USER_ID, *cols]], on=S.USER_ID, how="left")
        for c in cols:
            col = covariate_values(u[c])
            if pd.api.types.is_numeric_dtype(col):
                out[c] = col.fillna(col.median()).to_numpy()
                continue
            col = col.astype("string").fillna("missing")
            vc = col.value_counts()
            top = sorted(vc.index, key=lambda v: (-vc[v], v))[:max_levels]
            col = col.where(col.isin(top), "other")
            counts = col.value_counts()
            # most frequent level; ties broken by name so the reference is reproducible
            ref = sorted(counts.index[counts == counts.max()])[0]
            refs[c] = str(ref)
            for level in sorted(col.unique()):
                if level != ref:
                    out[f"{c}_{level}"] = (col == level).astype(float).to_numpy()
    return EarlyLife(
        table=out,
        landmark_days=days,
        dropped_short_lives=int(len(surv_df) - len(kept)),
        reference_levels=refs,
    )


def early_feature(covariate: str) -> tuple[str, int] | None:
    """``(feature, days)`` of an early-window column, or None for any other column.

    Examples
    --------
    >>> early_feature("orders_first_7d"), early_feature("orders")
    (('orders', 7), None)
    """
    m = _EARLY.match(covariate)
    return (m.group("feature"), int(m.group("days"))) if m else None


def with_persona(early: EarlyLife, personas: pd.DataFrame | None) -> EarlyLife:
    """The landmark table with each user's ``persona`` (a stratum of the Cox model), when known."""
    if personas is None:
        return early
    table = early.table.merge(personas[[S.USER_ID, S.PERSONA]], on=S.USER_ID, how="left")
    return dataclasses.replace(early, table=table)


#: A month-end persona label is used once the life has this many days behind it: the persona
#: features' window (28 days). On the bundled sample 79% of the labels made in a life's first
#: week match the planted persona, 91% in its second, 98% from its fourth on.
LABEL_MIN_LIFE_DAYS = 28


def with_landmark_persona(
    early: EarlyLife,
    surv: pd.DataFrame,
    labels: pd.DataFrame | None,
    *,
    min_life_days: int = LABEL_MIN_LIFE_DAYS,
) -> EarlyLife:
    """The landmark table split at the month ends where each life was labelled with a persona
    (:func:`helpers.analysis.churn.landmarks.labels_at_landmarks`): a time-varying stratum.

    A life labelled at month ends ``L1 < L2 < ...`` gives one row per label, at risk in
    ``(entry_days, duration_days]`` (days after the early window, as ``duration_days``): from
    ``L_k`` (its day of the life minus ``landmark_days``, at least 0) to ``L_{k+1}`` or the end,
    in the persona it had at ``L_k``. ``event`` is 1 only on the last row of a churned life.
    Labels made before the life had ``min_life_days`` days behind it are not used (a persona
    read from a few days of behaviour is often another one).
    Each life is compared, at every time, with the lives of the persona it had at the latest
    month end before: nothing known later chooses its stratum (this month's personas are
    survivors, and a stratum chosen by them would favour long lives). A life counts from its
    first label on (delayed entry); a life never labelled is left out and counted
    (``unlabelled_lives``). The rows keep ``user_id`` and the model's covariates
    (:func:`cox_covariates`); ``with_nps`` may follow. Without persona labels (None, or none
    with a persona) ``early`` is returned as it is.

    Examples
    --------
    >>> import datetime as dt
    >>> t = pd.DataFrame({"user_id": ["a", "b"], "duration_days": [60, 10], "event": [1, 0],
    ...                   "x": [1.0, 0.0]})
    >>> surv = pd.DataFrame({"user_id": ["a", "b"],
    ...                      "start_day": [dt.date(2026, 3, 20), dt.date(2026, 4, 25)]})
    >>> labels = pd.DataFrame({"user_id": ["a", "a", "a"], "persona": [2, 3, 3],
    ...     "landmark_day": [dt.date(2026, 3, 31), dt.date(2026, 4, 30), dt.date(2026, 5, 31)]})
    >>> out = with_landmark_persona(EarlyLife(t, 7, 0, {}), surv, labels, min_life_days=7).table
    >>> out[["user_id", "persona", "entry_days", "duration_days", "event"]].values.tolist()
    [['a', 2, 5, 35, 0], ['a', 3, 35, 60, 1]]
    >>> from_28 = with_landmark_persona(EarlyLife(t, 7, 0, {}), surv, labels)  # a from day 42
    >>> from_28.table[["persona", "entry_days"]].values.tolist(), from_28.unlabelled_lives
    ([[3, 35]], 1)
    """
    from helpers.analysis.churn.landmarks import LANDMARK_DAY

    if labels is None or S.PERSONA not in labels.columns or labels[S.PERSONA].isna().all():
        return early
    require_columns(labels, [S.USER_ID, LANDMARK_DAY, S.PERSONA], "The landmark labels")
    require_columns(surv, [S.USER_ID, START_DAY], "The survival table")
    table = early.table
    repeated = table[S.USER_ID].astype(str).duplicated()
    if repeated.any():
        raise DataError(
            "with_landmark_persona needs one life per user (survival_table's life='first' or "
            f"'last'); the landmark table has {int(repeated.sum())} repeated user ids, e.g. "
            f"{table.loc[repeated, S.USER_ID].iloc[0]!r}."
        )
    # only the model's covariates are repeated on every period
    columns = [S.USER_ID, *(c for c in cox_covariates(early) if c not in (S.PERSONA, ENTRY_DAYS))]
    position = pd.Series(np.arange(len(table)), index=table[S.USER_ID].astype(str).to_numpy())
    first = surv.drop_duplicates(S.USER_ID, keep="first")
    start = pd.Series(
        pd.to_datetime(first[START_DAY]).to_numpy(), index=first[S.USER_ID].astype(str).to_numpy()
    )
    lab = labels.loc[labels[S.PERSONA].notna(), [S.USER_ID, LANDMARK_DAY, S.PERSONA]]
    uid = lab[S.USER_ID].astype(str)
    at = uid.map(position)
    life_day = (pd.to_datetime(lab[LANDMARK_DAY]) - uid.map(start)).dt.days + 1
    ok = at.notna() & (life_day >= positive_int(min_life_days, "min_life_days", unit="days"))
    at = at[ok].to_numpy("int64")
    since = (life_day[ok] - early.landmark_days).clip(lower=0).to_numpy("int64")
    persona = lab.loc[ok, S.PERSONA].to_numpy()
    order = np.lexsort((since, at))
    at, since, persona = at[order], since[order], persona[order]
    end = table[DURATION_DAYS].to_numpy("int64")
    more = np.r_[at[1:] == at[:-1], False]  # the life has a later label
    until = np.where(more, np.minimum(np.r_[since[1:], 0], end[at]), end[at])
    kept = until > since
    at, since, until, persona = at[kept], since[kept], until[kept], persona[kept]
    # each life's periods together, in the table's order (already sorted so)
    out = {c: table[c].to_numpy()[at] for c in columns}
    out[DURATION_DAYS] = until
    out[EVENT] = table[EVENT].to_numpy().astype("int64")[at] * (until == end[at])  # its end
    out[ENTRY_DAYS] = since
    out[S.PERSONA] = persona
    names = [c for c in table.columns if c in out] + [ENTRY_DAYS]
    frame = pd.DataFrame(out)[names + ([S.PERSONA] if S.PERSONA not in names else [])]
    return dataclasses.replace(
        early,
        table=frame,
        persona_from_day=int(min_life_days),
        unlabelled_lives=len(table) - len(np.unique(at)),
        unlabelled_churned=int(
            table[EVENT].to_numpy()[np.setdiff1d(np.arange(len(table)), at)].astype(int).sum()
        ),
    )


def cox_covariates(early: EarlyLife) -> list[str]:
    """The covariates of the kit's Cox model of churn, from a landmark table.

    Early-life behaviour (the window counts), channel/platform/plan levels that vary, and binary
    attributes (e.g. ``joined_community``, or a level such as ``gender_male``); event-mix shares
    and cities are left out (many, collinear, and behaviour is already summarized by the window
    counts).

    Examples
    --------
    >>> t = pd.DataFrame({"user_id": ["a", "b"], "duration_days": [3, 4], "event": [1, 0],
    ...                   "orders_first_7d": [0.0, 2.0], "mix_view": [0.5, 1.0],
    ...                   "channel_social": [1.0, 0.0], "joined_community": ["1", "0"]})
    >>> cox_covariates(EarlyLife(t, 7, 0, {"channel": "organic"}))
    ['orders_first_7d', 'channel_social', 'joined_community']
    """
    cov = early.table
    keep = [
        f"{f}_first_{early.landmark_days}d"
        for f in EARLY_FEATURES
        if f"{f}_first_{early.landmark_days}d" in cov.columns
    ]
    keep += [
        c
        for c in cov.columns
        if c.startswith(COVARIATE_PREFIXES) and not c.endswith("_missing") and cov[c].nunique() > 1
    ]
    for c in cov.columns:
        if c in keep or c in _NOT_COVARIATES or c.startswith(_WIDE_FAMILIES):
            continue
        vals = set(pd.to_numeric(cov[c], errors="coerce").dropna().unique())
        if vals and vals <= {0, 1} and not c.endswith("_missing"):
            keep.append(c)
    return keep


def protected(covariates: Sequence[str], users: pd.DataFrame | None) -> list[str]:
    """Binary user attributes among ``covariates``: their hazard ratio is the point, so the Cox
    model never stratifies them away.

    Examples
    --------
    >>> users = pd.DataFrame({"user_id": ["1", "2"], "joined_community": ["1", "0"],
    ...                       "age": ["20", "30"]})
    >>> protected(["joined_community", "age", "orders_first_7d"], users)
    ['joined_community']
    """
    if users is None:
        return []
    # only the covariates' columns are read (1M users: 6 s for every attribute)
    typed = numeric_text_to_numbers(
        users[[c for c in users.columns if c in set(covariates) and c not in _ID_LIKE]]
    )
    return [
        c
        for c in covariates
        if c in typed.columns
        and set(pd.to_numeric(typed[c], errors="coerce").dropna().unique()) <= {0, 1}
    ]


def cox_strata(table: pd.DataFrame) -> list[str] | None:
    """``["persona"]`` when personas are known (their baseline hazards differ by design)."""
    return [S.PERSONA] if S.PERSONA in table.columns and table[S.PERSONA].notna().any() else None


#: The NPS covariates of the churn model (reference: no NPS answer by the landmark).
NPS_COVARIATES = ("nps_detractor", "nps_other_responder")


def with_nps(early: EarlyLife, surv_df: pd.DataFrame, feedback: pd.DataFrame | None) -> EarlyLife:
    """``early`` with the NPS category of each life as two 0/1 covariates: ``nps_detractor``
    (the user's latest NPS answer by the landmark was 0-6) and ``nps_other_responder`` (7-10);
    a life without an answer by then is the reference. Only answers on or before the
    landmark day (the life's start + ``landmark_days`` - 1) count, so nothing known later
    leaks into the model. Without feedback (None, or no NPS answer) ``early`` is returned as
    it is: the model has no NPS covariate.

    Examples
    --------
    >>> import datetime as dt
    >>> t = pd.DataFrame({"user_id": ["a", "b", "c"], "duration_days": [5, 9, 3],
    ...                   "event": [1, 0, 1]})
    >>> surv = pd.DataFrame({"user_id": ["a", "b", "c"],
    ...                      "start_day": [dt.date(2026, 3, 1)] * 3})
    >>> fb = pd.DataFrame({"user_id": ["a", "b", "c"], "nps": [3.0, 9.0, 2.0],
    ...                    "day": [dt.date(2026, 3, 2), dt.date(2026, 3, 7), dt.date(2026, 3, 8)]})
    >>> out = with_nps(EarlyLife(t, 7, 0, {}), surv, fb).table
    >>> out[["nps_detractor", "nps_other_responder"]].values.tolist()  # c answered too late
    [[1, 0], [0, 1], [0, 0]]
    """
    if feedback is None or S.NPS not in feedback.columns or feedback[S.NPS].notna().sum() == 0:
        return early
    starts = surv_df[[S.USER_ID, START_DAY]].drop_duplicates(S.USER_ID, keep="first")
    starts = starts.assign(
        **{S.USER_ID: starts[S.USER_ID].astype(str)},
        _landmark=pd.to_datetime(starts[START_DAY]) + pd.Timedelta(days=early.landmark_days - 1),
    )
    fb = feedback.loc[feedback[S.NPS].notna(), [S.USER_ID, S.DAY, S.NPS]]
    fb = fb.assign(**{S.USER_ID: fb[S.USER_ID].astype(str), S.DAY: pd.to_datetime(fb[S.DAY])})
    fb = fb.merge(starts[[S.USER_ID, "_landmark"]], on=S.USER_ID)
    fb = fb[fb[S.DAY] <= fb["_landmark"]].sort_values([S.USER_ID, S.DAY], kind="stable")
    latest = fb.drop_duplicates(S.USER_ID, keep="last").set_index(S.USER_ID)[S.NPS]
    table = early.table.copy()
    score = table[S.USER_ID].astype(str).map(latest)
    table["nps_detractor"] = (score <= 6).astype("int64")
    table["nps_other_responder"] = (score >= 7).astype("int64")
    return dataclasses.replace(early, table=table)
