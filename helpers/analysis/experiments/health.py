"""Health checks of an experiment's assignment: can this experiment's readout be trusted?

:func:`health_checks` / :class:`HealthReport`: sample ratio, users in several variants, assignments
before the start, overlap with other experiments. :func:`readout_health` runs them with the
``06_ab_readout`` notebook's parameter conventions. A check is a row of codes and numbers; the
sentences a report shows are composed by :mod:`helpers.sections.ab_readout`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from helpers.analysis.experiments.srm import contingency_p, srm_test
from helpers.core import schema as S
from helpers.core.checks import require_columns
from helpers.core.errors import DataError, ParameterError

__all__ = ["HealthReport", "health_checks", "readout_health", "INVALID", "OK", "FAIL", "SKIPPED"]

INVALID = "invalid"  # the decision when a health check other than the minimum sample fails

OK, FAIL, SKIPPED = "ok", "fail", "skipped"  # the status of a check
ASSIGNED_DAY = "assigned_day"  # assignment date in the business timezone (computed upstream)
SRM_ALPHA = 0.001  # SRM and overlap checks fail below this p-value
MULTI_VARIANT_MAX_SHARE = 0.01  # more users than this in several variants fails the check
OVERLAP_PREFIX = "overlap:"  # check code of the overlap with another experiment
TABLE_COLUMNS = ["check", "status", "value", "total", "p_value", "other_experiment"]


@dataclass
class HealthReport:
    """Health checks of one experiment's assignments.

    Attributes
    ----------
    table : DataFrame
        One row per check: ``check`` (code: ``multiple_variants``, ``srm``, ``min_sample``,
        ``before_start``, ``no_later_activity``, ``overlap:<experiment>``), ``status``
        (``ok``/``fail``/``skipped``), ``value`` (the users the check counts), ``total`` (the
        users it counts them among, where that applies), ``p_value`` and ``other_experiment``
        (for the overlap checks).
    counts : Series
        Users per variant after excluding users in several variants.
    excluded_users : list
        Users assigned to more than one variant (left out of the analysis).
    expected_shares : Series
        The configured split as shares per variant (equal when none was configured).
    min_per_variant : int
        The minimum sample per variant of the ``min_sample`` check.
    start : Timestamp or None
        The experiment start of the ``before_start`` check.
    split_source : str
        ``config`` when the split was given, ``equal`` when equal shares were assumed.
    """

    experiment: str
    table: pd.DataFrame
    counts: pd.Series
    excluded_users: list = field(default_factory=list)
    expected_shares: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    min_per_variant: int = 100
    start: pd.Timestamp | None = None
    split_source: str = "equal"

    @property
    def design_split(self) -> dict:
        """The design share of each variant (``{variant: share}``), as the SRM check used it."""
        return {str(v): float(s) for v, s in self.expected_shares.items()}

    @property
    def srm_failed(self) -> bool:
        """Whether the sample-ratio check failed."""
        found = self.table.loc[self.table["check"] == "srm", "status"]
        return bool(len(found) and found.iloc[0] == FAIL)

    @property
    def failed(self) -> pd.DataFrame:
        """The rows of the failing checks."""
        return self.table[self.table["status"] == FAIL]

    @property
    def blocking(self) -> pd.DataFrame:
        """The failing checks that make a readout invalid (all but the minimum sample)."""
        failed = self.failed
        return failed[failed["check"] != "min_sample"]

    @property
    def too_small(self) -> list:
        """Variants below ``min_per_variant`` users."""
        return list(self.counts[self.counts < self.min_per_variant].index)


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

    Checks (each a row with status ok/fail):

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

    def add(check, ok, value, p=np.nan, total=np.nan, other=None):
        status = OK if ok else FAIL
        rows.append(dict(zip(TABLE_COLUMNS, (check, status, value, total, p, other))))

    n_var = a.groupby(S.USER_ID)[S.VARIANT].nunique()
    multi = sorted(n_var[n_var > 1].index)
    share = len(multi) / len(n_var)
    add("multiple_variants", share <= MULTI_VARIANT_MAX_SHARE, len(multi), total=len(n_var))
    a = a[~a[S.USER_ID].isin(multi)]
    users = a.sort_values(S.ASSIGNED_AT if S.ASSIGNED_AT in a else S.USER_ID)
    users = users.drop_duplicates(S.USER_ID)
    counts = users[S.VARIANT].value_counts().sort_index()

    weights = _split_weights(split, counts)
    p_srm = srm_test(counts.to_numpy(), weights)
    add("srm", p_srm >= SRM_ALPHA, int(counts.sum()), p_srm)
    add("min_sample", bool((counts >= min_per_variant).all()), int(counts.min()))

    start_ts = None
    if start is not None:
        require_columns(a, [S.ASSIGNED_AT], "The `start` check on `assignments_df`")
        start_ts = pd.Timestamp(start)
        start_ts = start_ts.tz_localize("UTC") if start_ts.tzinfo is None else start_ts
        early = int((pd.to_datetime(users[S.ASSIGNED_AT], utc=True) < start_ts).sum())
        add("before_start", early == 0, early)

    if activity_after is not None:
        if isinstance(activity_after, pd.DataFrame):
            require_columns(activity_after, [S.USER_ID, "events"], "`activity_after`")
            act = set(activity_after.loc[activity_after["events"] > 0, S.USER_ID].astype(str))
        else:
            act = {str(u) for u in activity_after}
        none = ~users[S.USER_ID].isin(act)
        p = contingency_p(pd.crosstab(users[S.VARIANT], none))
        add("no_later_activity", p >= SRM_ALPHA, int(none.sum()), p, total=len(users))

    if other_assignments is not None:
        for name, both, p in _overlaps(a, users, other_assignments, experiment):
            add(OVERLAP_PREFIX + name, p >= SRM_ALPHA, both, p, other=name)

    return HealthReport(
        experiment=experiment,
        table=pd.DataFrame(rows, columns=TABLE_COLUMNS),
        counts=counts,
        excluded_users=multi,
        expected_shares=pd.Series(weights / weights.sum(), index=counts.index),
        min_per_variant=min_per_variant,
        start=start_ts,
        split_source="equal" if split is None else "config",
    )


def _split_weights(split, counts: pd.Series) -> np.ndarray:
    if split is None:
        return np.ones(len(counts))
    if isinstance(split, dict):
        unknown = sorted(set(counts.index) - set(split))
        if unknown:
            raise ParameterError(
                f"`split` must give a weight for every variant; "
                f"{unknown} are missing from {split!r}."
            )
        return np.array([split[v] for v in counts.index], dtype=float)
    weights = np.asarray(split, dtype=float)
    if weights.size != len(counts):
        raise ParameterError(
            f"`split` has {weights.size} weights but the experiment has "
            f"{len(counts)} variants {list(counts.index)}."
        )
    return weights


def _overlaps(a, users, other_assignments, experiment):
    """(other experiment, users in both, balance p-value) for each other experiment whose
    assignment period overlaps this one's."""
    require_columns(other_assignments, [S.USER_ID, S.EXPERIMENT, S.VARIANT], "`other_assignments`")
    others = other_assignments[other_assignments[S.EXPERIMENT] != experiment].copy()
    others[S.USER_ID] = others[S.USER_ID].astype(str)
    dated = S.ASSIGNED_AT in a.columns and S.ASSIGNED_AT in others.columns
    if dated:
        t = pd.to_datetime(a[S.ASSIGNED_AT], utc=True)
        lo, hi = t.min(), t.max()
    found = []
    for name, o in others.groupby(S.EXPERIMENT, sort=True):
        if dated:
            ot = pd.to_datetime(o[S.ASSIGNED_AT], utc=True)
            if ot.max() < lo or ot.min() > hi:
                continue
        o = o.drop_duplicates(S.USER_ID).rename(columns={S.VARIANT: "other_variant"})
        both = users.merge(o[[S.USER_ID, "other_variant"]], on=S.USER_ID)
        p = (
            contingency_p(pd.crosstab(both[S.VARIANT], both["other_variant"]))
            if len(both)
            else 1.0
        )
        found.append((name, len(both), p))
    return found


def readout_health(
    assignments_df: pd.DataFrame,
    per_user: pd.DataFrame,
    *,
    experiment: str,
    split=(),
    start: str = "",
    min_per_variant: int = 100,
) -> HealthReport:
    """All health checks of a readout, with the notebook's parameter conventions.

    Runs :func:`health_checks` with the later-activity check (``per_user``) and the overlap
    check against every other experiment of ``assignments_df`` whose assignment period overlaps.
    An empty ``split`` means equal shares; an empty ``start`` adds a ``before_start`` row with
    status ``skipped`` (the start date is what the check needs).

    Examples
    --------
    >>> a = pd.DataFrame({"user_id": list("abcd"), "experiment": "x",
    ...                   "variant": ["control", "treatment"] * 2})
    >>> pu = pd.DataFrame({"user_id": list("abcd"), "events": [1, 1, 0, 1]})
    >>> h = readout_health(a, pu, experiment="x", min_per_variant=2)
    >>> h.table["check"].tolist()
    ['multiple_variants', 'srm', 'min_sample', 'no_later_activity', 'before_start']
    """
    report = health_checks(
        assignments_df,
        experiment=experiment,
        split=list(split) if len(split) else None,
        start=start or None,
        min_per_variant=min_per_variant,
        activity_after=per_user,
        other_assignments=assignments_df,
    )
    if start:
        return report
    skipped = pd.DataFrame(
        [{"check": "before_start", "status": SKIPPED, "value": np.nan, "p_value": np.nan}],
        columns=TABLE_COLUMNS,
    )
    return replace(report, table=pd.concat([report.table, skipped], ignore_index=True))
