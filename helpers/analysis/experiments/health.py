"""Health checks of an experiment's assignment: can this experiment's readout be trusted?

:func:`health_checks` / :class:`HealthReport`: sample ratio, users in several variants, assignments
before the start, overlap with other experiments. The ``05_ab_readout`` notebook's preflight and
views are :mod:`helpers.sections.ab_readout`.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from helpers.analysis.experiments.stats import (
    _contingency_p,
    srm_test,
)
from helpers.core import schema as S
from helpers.core.checks import jsonable, require_columns
from helpers.core.errors import DataError, ParameterError

INVALID = "invalid"  # the decision when a health check other than the minimum sample fails

ASSIGNED_DAY = "assigned_day"  # assignment date in the business timezone (computed upstream)
SRM_ALPHA = 0.001  # SRM and overlap checks fail below this p-value
MULTI_VARIANT_MAX_SHARE = 0.01  # more users than this in several variants fails the check


@dataclass
class HealthReport:
    """Health checks of one experiment's assignments.

    Attributes
    ----------
    table : DataFrame
        One row per check: ``check, status`` (ok/fail), ``value``, ``p_value``, ``sentence``.
    counts : Series
        Users per variant after excluding users in several variants.
    excluded_users : list
        Users assigned to more than one variant (left out of the analysis).
    """

    experiment: str
    table: pd.DataFrame
    counts: pd.Series
    excluded_users: list = field(default_factory=list)

    @property
    def failed(self) -> pd.DataFrame:
        return self.table[self.table["status"] == "fail"]

    def to_records(self) -> list[dict]:
        return [{k: jsonable(v) for k, v in row.items()} for row in self.table.to_dict("records")]

    def _repr_html_(self) -> str:
        n_fail = len(self.failed)
        head = (
            f"<p><b>Health checks of {html.escape(self.experiment)}</b>: "
            f"{len(self.table)} checks, {n_fail} failing.</p>"
        )
        rows = []
        for r in self.table.itertuples():
            color = {"fail": "#c0392b", "ok": "#2e7d32"}.get(r.status, "#777777")
            p = "" if pd.isna(r.p_value) else f"{r.p_value:.4g}"
            rows.append(
                f"<tr><td>{html.escape(r.check)}</td><td style='color:{color};"
                f"font-weight:bold'>{r.status}</td><td>{p}</td>"
                f"<td>{html.escape(r.sentence)}</td></tr>"
            )
        return (
            head
            + "<table><tr><th>check</th><th>status</th><th>p-value</th><th></th></tr>"
            + "".join(rows)
            + "</table>"
        )


def health_checks(
    assignments_df: pd.DataFrame,
    *,
    experiment: str,
    split=None,
    start=None,
    min_per_variant: int = 100,
    other_assignments: pd.DataFrame | None = None,
    activity_after=None,
) -> HealthReport:
    """Check that an experiment's assignment can be trusted before reading its results.

    Checks (each a row with status ok/fail and a sentence):

    * ``multiple_variants``: users assigned to more than one variant; they are excluded from all
      other checks and from the analysis. Fails when more than 1% of users.
    * ``srm``: sample ratio mismatch, chi-square of users per variant against ``split``; fails at
      p < 0.001.
    * ``min_sample``: fails when a variant has fewer than ``min_per_variant`` users.
    * ``before_start`` (with ``start``): assignments before the experiment start; fails if any.
    * ``no_later_activity`` (with ``activity_after``): assigned users with no event afterwards;
      fails when that share differs between variants (chi-square p < 0.001), which would bias
      the comparison.
    * ``overlap:<name>`` (with ``other_assignments``): for each other experiment whose assignment
      period overlaps this one's: users in both, and a chi-square of the other experiment's
      variants within this one's; fails at p < 0.001.

    Parameters
    ----------
    assignments_df : DataFrame
        ``user_id, experiment, variant`` and ``assigned_at`` (needed for the dated checks).
    split : dict or sequence, optional
        Configured traffic split, ``{variant: weight}`` or weights in sorted variant order.
        Default: equal.
    start : timestamp, optional
        Experiment start (an aware timestamp, or naive = UTC).
    activity_after : DataFrame or iterable, optional
        ``user_metrics`` output (``events`` column) or the ids of users with later activity.
    other_assignments : DataFrame, optional
        Assignments of other experiments (the whole assignments table is fine).

    Examples
    --------
    >>> df = pd.DataFrame({"user_id": list("abcd"), "experiment": "x",
    ...                    "variant": ["control", "treatment"] * 2})
    >>> health_checks(df, experiment="x", min_per_variant=2).table["status"].tolist()
    ['ok', 'ok', 'ok']
    """
    require_columns(assignments_df, [S.USER_ID, S.EXPERIMENT, S.VARIANT], "`assignments_df`")
    a = assignments_df[assignments_df[S.EXPERIMENT] == experiment].copy()
    if a.empty:
        raise DataError(
            f"`assignments_df` has no rows for experiment {experiment!r}; found "
            f"experiments {sorted(assignments_df[S.EXPERIMENT].unique())[:5]}."
        )
    a[S.USER_ID] = a[S.USER_ID].astype(str)
    rows = []

    def add(check, ok, value, p, sentence):
        rows.append(
            {
                "check": check,
                "status": "ok" if ok else "fail",
                "value": value,
                "p_value": p,
                "sentence": sentence,
            }
        )

    n_var = a.groupby(S.USER_ID)[S.VARIANT].nunique()
    multi = sorted(n_var[n_var > 1].index)
    share = len(multi) / len(n_var)
    add(
        "multiple_variants",
        share <= MULTI_VARIANT_MAX_SHARE,
        len(multi),
        np.nan,
        f"{len(multi)} of {len(n_var)} users ({share:.2%}) were assigned to more than one "
        f"variant; they are excluded.",
    )
    a = a[~a[S.USER_ID].isin(multi)]
    users = a.sort_values(S.ASSIGNED_AT if S.ASSIGNED_AT in a else S.USER_ID)
    users = users.drop_duplicates(S.USER_ID)
    counts = users[S.VARIANT].value_counts().sort_index()

    if split is None:
        weights = np.ones(len(counts))
    elif isinstance(split, dict):
        unknown = sorted(set(counts.index) - set(split))
        if unknown:
            raise ParameterError(
                f"`split` must give a weight for every variant; "
                f"{unknown} are missing from {split!r}."
            )
        weights = np.array([split[v] for v in counts.index], dtype=float)
    else:
        weights = np.asarray(split, dtype=float)
        if weights.size != len(counts):
            raise ParameterError(
                f"`split` has {weights.size} weights but the experiment has "
                f"{len(counts)} variants {list(counts.index)}."
            )
    p_srm = srm_test(counts.to_numpy(), weights)
    expected = ", ".join(f"{v} {w / weights.sum():.0%}" for v, w in zip(counts.index, weights))
    observed = ", ".join(f"{v} {c}" for v, c in counts.items())
    add(
        "srm",
        p_srm >= SRM_ALPHA,
        int(counts.sum()),
        p_srm,
        f"Users per variant ({observed}) against the configured split ({expected}): "
        f"chi-square p = {p_srm:.4g}"
        + (" (sample ratio mismatch)." if p_srm < SRM_ALPHA else "."),
    )
    small = counts[counts < min_per_variant]
    add(
        "min_sample",
        small.empty,
        int(counts.min()),
        np.nan,
        f"The smallest variant has {int(counts.min())} users (minimum {min_per_variant})"
        + (f"; too few in {list(small.index)}." if len(small) else "."),
    )

    if start is not None:
        require_columns(a, [S.ASSIGNED_AT], "The `start` check on `assignments_df`")
        start_ts = pd.Timestamp(start)
        start_ts = start_ts.tz_localize("UTC") if start_ts.tzinfo is None else start_ts
        early = int((pd.to_datetime(users[S.ASSIGNED_AT], utc=True) < start_ts).sum())
        add(
            "before_start",
            early == 0,
            early,
            np.nan,
            f"{early} users were assigned before the experiment start {start_ts.isoformat()}.",
        )

    if activity_after is not None:
        if isinstance(activity_after, pd.DataFrame):
            require_columns(activity_after, [S.USER_ID, "events"], "`activity_after`")
            act = set(activity_after.loc[activity_after["events"] > 0, S.USER_ID].astype(str))
        else:
            act = {str(u) for u in activity_after}
        none = ~users[S.USER_ID].isin(act)
        tab = pd.crosstab(users[S.VARIANT], none)
        p = _contingency_p(tab)
        add(
            "no_later_activity",
            p >= SRM_ALPHA,
            int(none.sum()),
            p,
            f"{int(none.sum())} of {len(users)} assigned users ({none.mean():.1%}) had no activity "
            f"after assignment; difference between variants p = {p:.4g}.",
        )

    if other_assignments is not None:
        require_columns(
            other_assignments, [S.USER_ID, S.EXPERIMENT, S.VARIANT], "`other_assignments`"
        )
        others = other_assignments[other_assignments[S.EXPERIMENT] != experiment].copy()
        others[S.USER_ID] = others[S.USER_ID].astype(str)
        dated = S.ASSIGNED_AT in a.columns and S.ASSIGNED_AT in others.columns
        if dated:
            t = pd.to_datetime(a[S.ASSIGNED_AT], utc=True)
            lo, hi = t.min(), t.max()
        for name, o in others.groupby(S.EXPERIMENT, sort=True):
            if dated:
                ot = pd.to_datetime(o[S.ASSIGNED_AT], utc=True)
                if ot.max() < lo or ot.min() > hi:
                    continue
            o = o.drop_duplicates(S.USER_ID).rename(columns={S.VARIANT: "other_variant"})
            both = users.merge(o[[S.USER_ID, "other_variant"]], on=S.USER_ID)
            p = (
                _contingency_p(pd.crosstab(both[S.VARIANT], both["other_variant"]))
                if len(both)
                else 1.0
            )
            add(
                f"overlap:{name}",
                p >= SRM_ALPHA,
                len(both),
                p,
                f"{len(both)} users are also in experiment {name!r}; its variants are "
                f"{'not ' if p < SRM_ALPHA else ''}balanced across this one's (p = {p:.4g}).",
            )

    table = pd.DataFrame(rows, columns=["check", "status", "value", "p_value", "sentence"])
    return HealthReport(experiment=experiment, table=table, counts=counts, excluded_users=multi)
