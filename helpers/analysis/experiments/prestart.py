"""Personas as they were before an experiment started: the segments of its per-persona effects.

A persona built after the start reflects the treatment (a user who converted thanks to the
variant moves to a buyer persona), so per-persona effects on such personas are biased. The
readout segments users by their persona **before** the start:

1. the personas of the last month review that ended before the start (``personas.csv`` and
   ``persona_cards.json`` of that month's ``artifacts/``), when that review was run;
2. else a persona model fitted on the users active in the 30 days before the start, with their
   features as of the day before the start.

Assigned users without such a persona are kept in the per-persona table as a group of their
own: **new since start** (no activity before the start) or **no persona at start** (active
earlier, but not in the snapshot).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from helpers.analysis import features as feat
from helpers.analysis.experiments.health import ASSIGNED_DAY
from helpers.analysis.segments import personas as pm
from helpers.analysis.segments.snapshot import read_snapshot
from helpers.core import schema as S
from helpers.core.checks import as_date
from helpers.core.errors import ModelError
from helpers.core.time import month_bounds, shift_month

__all__ = [
    "NEW_SINCE_START",
    "NO_PERSONA_AT_START",
    "REVIEW",
    "FITTED",
    "PrestartPersonas",
    "review_month_before",
    "experiment_start_day",
    "prestart_personas",
]

NEW_SINCE_START = "(new since start)"  # segment of users with no activity before the start
NO_PERSONA_AT_START = "(no persona at start)"  # active before, but not in the snapshot
REVIEW, FITTED, NONE = "review", "fitted", "none"  # where the snapshot comes from
ACTIVE_DAYS = 30  # the fitted snapshot clusters the users active in these days before the start


@dataclass
class PrestartPersonas:
    """The persona of each user before an experiment's start.

    Attributes
    ----------
    start : date
        The experiment start (its first assignment day unless configured).
    source : str
        ``review`` (a month review's personas), ``fitted`` (a model fitted as of the day before
        the start) or ``none`` (neither could be had: ``reason`` says why).
    as_of : date or None
        The last day of data the personas saw.
    month : str
        The review month (``review``).
    path : str
        The personas file read (``review``).
    personas : Series
        ``user_id`` -> persona label (``"<name> (<number>)"``).
    active_before : set
        Users with any activity before the start (to tell new users from the others).
    clustered : int
        Users the snapshot holds.
    reason : str
        Why there is no snapshot (``none``).
    """

    start: dt.date
    source: str
    as_of: dt.date | None = None
    month: str = ""
    path: str = ""
    personas: pd.Series = field(default_factory=lambda: pd.Series(dtype=str))
    active_before: set = field(default_factory=set)
    clustered: int = 0
    reason: str = ""

    def segment(self, user_ids) -> pd.Series:
        """The persona segment of each user: the label, or :data:`NEW_SINCE_START` /
        :data:`NO_PERSONA_AT_START`.

        Examples
        --------
        >>> p = PrestartPersonas(dt.date(2024, 3, 1), FITTED,
        ...                      personas=pd.Series({"a": "Buyers (1)"}), active_before={"a", "b"})
        >>> p.segment(["a", "b", "c"]).tolist()
        ['Buyers (1)', '(no persona at start)', '(new since start)']
        """
        ids = pd.Series(list(user_ids), dtype=str)
        known = ids.map(self.personas)
        other = ids.map(
            lambda u: NO_PERSONA_AT_START if u in self.active_before else NEW_SINCE_START
        )
        return known.fillna(other).astype(str)


def review_month_before(start) -> str:
    """The last month whose review ends before ``start`` (``YYYY-MM``).

    Examples
    --------
    >>> review_month_before("2026-10-01"), review_month_before("2026-10-15")
    ('2026-09', '2026-09')
    """
    day_before = as_date(start, "start") - dt.timedelta(days=1)
    month = day_before.strftime("%Y-%m")
    return month if month_bounds(month)[1] == day_before else shift_month(month, -1)


def experiment_start_day(assignments_df: pd.DataFrame, *, experiment: str, start: str = ""):
    """The start of ``experiment``: ``start`` (YYYY-MM-DD) when given, else its first
    assignment day (``assigned_day``)."""
    if start:
        return as_date(start, "experiment_start")
    mine = assignments_df[assignments_df[S.EXPERIMENT] == experiment]
    return min(pd.to_datetime(mine[ASSIGNED_DAY]).dt.date)


def _label(number, name) -> str:
    return f"{name} ({int(number)})" if name else str(int(number))


def prestart_personas(
    project, *, start, reports_dir=None, text, random_state: int = 0
) -> PrestartPersonas:
    """The personas of users before ``start`` (see the module docstring for the order tried).

    Parameters
    ----------
    project : helpers.data.pipeline.Project
        The opened project (``user_day``, ``users_frame()``, ``config``).
    start : date or str
        The experiment start.
    reports_dir : path, optional
        The folder of the month reports (``reports/``): where a review's ``artifacts/`` are.
    text : callable
        The message function (persona names of a fitted model are in the report language).

    Examples
    --------
    >>> before = prestart_personas(project, start="2026-10-01", reports_dir="reports",
    ...                            text=t)  # doctest: +SKIP
    """
    start = as_date(start, "start")
    ud = project.user_day
    day = ud[S.DAY].cast("date")
    seen = ud.filter(day < start).select(S.USER_ID).distinct().execute()
    active_before = set(seen[S.USER_ID].astype(str))
    month = review_month_before(start)
    if reports_dir is not None:
        artifacts = Path(reports_dir) / month / "artifacts"
        snap = read_snapshot(artifacts, month=month)
        if snap is not None:
            a = snap.assignments
            labels = [_label(p, snap.names.get(int(p), "")) for p in a[S.PERSONA]]
            personas = pd.Series(labels, index=a[S.USER_ID].astype(str).to_numpy())
            return PrestartPersonas(
                start=start,
                source=REVIEW,
                as_of=month_bounds(month)[1],
                month=month,
                path=str(artifacts / "personas.csv"),
                personas=personas[~personas.index.duplicated()],
                active_before=active_before,
                clustered=len(personas),
            )
    cfg = project.config
    as_of = start - dt.timedelta(days=1)
    features = feat.user_features(
        ud,
        as_of=as_of,
        users=project.users_frame(),
        passive_events=cfg.activity.passive_events,
        timezone=cfg.timezone,
    )
    last = pd.to_datetime(features[S.LAST_ACTIVE])
    active = features[last >= pd.Timestamp(as_of - dt.timedelta(days=ACTIVE_DAYS - 1))]
    active = active.reset_index(drop=True)
    try:
        model = pm.PersonaModel(
            random_state=random_state,
            text=text,
            coupon_event=cfg.personas.get("coupon_event"),
        ).fit(active)
    except ModelError as e:
        return PrestartPersonas(
            start=start, source=NONE, as_of=as_of, active_before=active_before, reason=str(e)
        )
    names = {c.persona: c.name for c in model.persona_cards().cards}
    labels = [_label(p, names.get(int(p), "")) for p in model.labels_]
    return PrestartPersonas(
        start=start,
        source=FITTED,
        as_of=as_of,
        personas=pd.Series(labels, index=active[S.USER_ID].astype(str).to_numpy()),
        active_before=active_before,
        clustered=len(active),
    )
