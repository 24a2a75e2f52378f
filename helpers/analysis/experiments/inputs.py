"""The inputs of an experiment readout: the preflight of the assignments, the metric family and
the segment columns (persona, platform) attached to the per-user table.

* :func:`assignments_frame`: the preflight (is there an assignments source, is the
  ``experiment`` parameter one of its experiments?).
* :func:`readout_metrics`: the metric family of the ``06_ab_readout`` notebook.
* :func:`attach_segments` / :func:`add_segments`: per-segment effects of the primary metrics.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pandas as pd

from helpers.analysis.experiments.health import ASSIGNED_DAY
from helpers.analysis.experiments.prestart import NONE, PrestartPersonas
from helpers.analysis.experiments.readout import RatioMetric, Readout
from helpers.analysis.experiments.segments import segment_effects
from helpers.core import schema as S
from helpers.core.checks import as_date, require_columns
from helpers.core.errors import ParameterError

__all__ = [
    "NO_SEGMENT",
    "readout_metrics",
    "assignments_frame",
    "SegmentInputs",
    "attach_segments",
    "add_segments",
]

NO_SEGMENT = "(none)"  # segment value of users without a persona / platform


def readout_metrics() -> list:
    """The metric family of the readout: conversion, orders and revenue per user, active days,
    day-7 retention (all from :func:`helpers.analysis.experiments.per_user.user_metrics`) and
    revenue per order (a ratio, delta method).

    Examples
    --------
    >>> [getattr(m, "name", m) for m in readout_metrics()][-1]
    'revenue_per_order'
    """
    return [
        "converted",
        "orders",
        "revenue",
        "active_days",
        "retained_d7",
        RatioMetric("revenue_per_order", "revenue", "orders"),
    ]


def assignments_frame(assignments, *, experiment: str, as_of=None) -> pd.DataFrame:
    """Preflight of a readout: the assignment rows known at ``as_of``, once ``experiment`` is
    known to be in them.

    One row per user and experiment (all experiments: the overlap check needs the others), so
    the result is a per-user aggregate and may be pandas.

    Parameters
    ----------
    assignments : ibis.Table, DataFrame or None
        ``project.tables["assignments"]``: ``user_id, experiment, variant`` and optionally
        ``assigned_at``, ``assigned_day``. None when the project has no assignments source.
    experiment : str
        The experiment to read out (the notebook parameter).
    as_of : date, optional
        Drop assignments after this business day (needs ``assigned_day``).

    Returns
    -------
    DataFrame
        ``user_id, experiment, variant`` (+ ``assigned_at, assigned_day`` when present).

    Raises
    ------
    ParameterError
        No assignments source; ``experiment`` not in the table (the message lists the ones
        found); no assignment of ``experiment`` on or before ``as_of``.

    Examples
    --------
    >>> df = pd.DataFrame({"user_id": ["a", "b"], "experiment": ["x", "y"],
    ...                    "variant": ["control", "treatment"]})
    >>> assignments_frame(df, experiment="x")["user_id"].tolist()
    ['a', 'b']
    """
    if assignments is None:
        raise ParameterError(
            f"There are no assignments in this project: the config has no "
            f"`sources.assignments` entry, so the parameter `experiment` ({experiment!r}) cannot "
            f"be read out. Add an assignments source with user_id, experiment, variant and "
            f"assigned_at columns (e.g. `assignments: {{path: data/assignments.csv}}`)."
        )
    require_columns(assignments, [S.USER_ID, S.EXPERIMENT, S.VARIANT], "`assignments`")
    cols = [
        c
        for c in (S.USER_ID, S.EXPERIMENT, S.VARIANT, S.ASSIGNED_AT, ASSIGNED_DAY)
        if c in assignments.columns
    ]
    frame = assignments[cols]
    frame = frame.copy() if isinstance(frame, pd.DataFrame) else frame.execute()
    found = sorted(frame[S.EXPERIMENT].dropna().astype(str).unique())
    if experiment not in found:
        raise ParameterError(
            f"The parameter `experiment` must be one of the experiments in the "
            f"assignments table {found}, but {experiment!r} was passed."
        )
    frame[S.USER_ID] = frame[S.USER_ID].astype(str)
    if ASSIGNED_DAY in frame.columns:
        frame[ASSIGNED_DAY] = pd.to_datetime(frame[ASSIGNED_DAY]).dt.date
    if as_of is not None and ASSIGNED_DAY in frame.columns:
        cutoff = as_date(as_of, "as_of")
        mine = frame[frame[S.EXPERIMENT] == experiment]
        if (mine[ASSIGNED_DAY] > cutoff).all():
            raise ParameterError(
                f"The parameter `experiment` ({experiment!r}) names an experiment whose first "
                f"assignment ({min(mine[ASSIGNED_DAY]).isoformat()}) is after as_of "
                f"{cutoff.isoformat()}: choose a later `month`."
            )
        frame = frame[frame[ASSIGNED_DAY] <= cutoff]
    return frame.sort_values([S.EXPERIMENT, S.USER_ID], kind="mergesort").reset_index(drop=True)


def _platform_per_user(users, user_day) -> pd.Series | None:
    if users is not None and S.PLATFORM in users.columns:
        u = users.dropna(subset=[S.PLATFORM])
        return (
            u.assign(**{S.USER_ID: u[S.USER_ID].astype(str)})
            .drop_duplicates(S.USER_ID)
            .set_index(S.USER_ID)[S.PLATFORM]
            .astype(str)
        )
    if user_day is not None and S.PLATFORM in user_day.columns:
        counts = (
            user_day.group_by([S.USER_ID, S.PLATFORM]).aggregate(days=user_day.count()).execute()
        )  # one row per user and platform
        counts = counts.sort_values(
            [S.USER_ID, "days", S.PLATFORM], ascending=[True, False, True], kind="mergesort"
        )
        return counts.drop_duplicates(S.USER_ID).set_index(S.USER_ID)[S.PLATFORM].astype(str)
    return None


@dataclass
class SegmentInputs:
    """Per-user table with the segment columns found, and what was not available.

    Attributes
    ----------
    per_user : DataFrame
        The readout's per-user table with a column per segment found.
    columns : list
        The segment columns found (``persona``, ``platform``).
    personas : PrestartPersonas or None
        The persona snapshot taken before the experiment's start (None: none was given).
    covered : dict
        Per segment column found: the assigned users that have a value (for ``persona``: a
        persona before the start).
    """

    per_user: pd.DataFrame
    columns: list
    personas: PrestartPersonas | None = None
    covered: dict = field(default_factory=dict)

    @property
    def users(self) -> int:
        """Assigned users in the per-user table."""
        return len(self.per_user)


def attach_segments(
    per_user: pd.DataFrame,
    *,
    personas: PrestartPersonas | None = None,
    users=None,
    user_day=None,
) -> SegmentInputs:
    """Add ``persona`` and ``platform`` columns to the readout's per-user table, when available.

    Parameters
    ----------
    per_user : DataFrame
        :func:`helpers.analysis.experiments.per_user.user_metrics` output.
    personas : PrestartPersonas, optional
        The personas before the experiment's start
        (:func:`helpers.analysis.experiments.prestart.prestart_personas`); users without one
        are the groups "new since start" and "no persona at start". None, or a snapshot that
        could not be built: no persona segment.
    users : DataFrame, optional
        The users table; its ``platform`` attribute is used when present.
    user_day : ibis.Table, optional
        Used for the platform (the user's most frequent one) when ``users`` has none.

    Returns
    -------
    SegmentInputs
        A new per-user table (the input is not modified); users without a value get
        ``"(none)"``.

    Examples
    --------
    >>> pu = pd.DataFrame({"user_id": ["a", "b"], "variant": ["control", "treatment"]})
    >>> users = pd.DataFrame({"user_id": ["a"], "platform": ["ios"]})
    >>> found = attach_segments(pu, users=users)
    >>> found.per_user["platform"].tolist(), found.covered
    (['ios', '(none)'], {'platform': 1})
    """
    out = per_user.copy()
    ids = out[S.USER_ID].astype(str)
    columns = []
    covered = {}
    if personas is not None and personas.source != NONE:
        out[S.PERSONA] = personas.segment(ids).to_numpy()
        columns.append(S.PERSONA)
        covered[S.PERSONA] = int(ids.isin(personas.personas.index).sum())
    platform = _platform_per_user(users, user_day)
    if platform is not None:
        out[S.PLATFORM] = ids.map(platform).fillna(NO_SEGMENT).astype(str)
        columns.append(S.PLATFORM)
    for c in columns:
        covered.setdefault(c, int((out[c] != NO_SEGMENT).sum()))
    return SegmentInputs(per_user=out, columns=columns, personas=personas, covered=covered)


def add_segments(readout: Readout, segments: SegmentInputs, *, alpha: float | None = None):
    """The readout with per-segment effects of its primary metrics for every segment column.

    Each :class:`~helpers.analysis.experiments.segments.SegmentEffects` holds Welch intervals
    per segment, BH-adjusted p-values across the segments and Cochran's Q heterogeneity test.
    Returns a new ``Readout`` (the input is not modified).
    """
    settings = readout.settings
    alpha = settings.get("alpha", 0.05) if alpha is None else alpha
    df = segments.per_user
    treatments = sorted(v for v in df[S.VARIANT].dropna().unique() if v != readout.control)
    found = list(readout.segments)
    for col in segments.columns:
        for metric in settings.get("primary", []):
            for v in treatments:
                found.append(
                    segment_effects(
                        df,
                        metric=metric,
                        segment_col=col,
                        control=readout.control,
                        treatment=v,
                        relative=settings.get("relative", True),
                        alpha=alpha,
                    )
                )
    return replace(readout, segments=found)
