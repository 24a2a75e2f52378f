"""Group labels that were known while a life was still running, and the delayed entry they need.

Why. This month's personas (``personas.csv``) exist only for the users active this month, and
those users' lives cannot be seen to end before ``as_of + inactive_days``: a survival curve of
them counts only lives that lasted into the month (and, among the rest, the first lives of users
who came back), so it overstates how long a persona lives. A label computed at ``as_of`` from a
whole history (an RFM segment) describes how the life went, so it cannot be used to follow it.

What instead. At each *landmark*, a month end ``L`` at least one day before ``as_of - K`` (the
last day whose churn can be seen), every user whose life is running at ``L`` gets the label their
data up to ``L`` gives: the persona by this month's persona definitions (nearest centroid in the
standardized space of ``persona_cards.json``, :class:`PersonaCentroids`), the RFM segment by
scoring the buyers known at ``L`` (:class:`helpers.analysis.segments.rfm.RFMScorer`).
:func:`delayed_entry` keeps each user once, at the first landmark at which they had a label, and
counts the life only from that day on: ``entry_days`` = the day of the life on which it came
under observation (``L - start_day + 1``; lifelines' ``entry``). The label then never depends on
what is followed, and Kaplan-Meier with delayed entry (left truncation) estimates the lifetime of
a life from its start, comparable with newcomers' lifetimes.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from helpers.analysis.churn.common import END_DAY, ENTRY_DAYS, START_DAY
from helpers.analysis.features import NEW_FEATURES_28, SHARE_PREFIX, user_features
from helpers.analysis.segments.rfm import RFMScorer
from helpers.core import schema as S
from helpers.core.checks import as_date, positive_int, require_columns
from helpers.core.errors import DataError

__all__ = [
    "LANDMARK_DAY",
    "PERSONA_NAME",
    "RFM_SEGMENT",
    "landmark_days",
    "PersonaCentroids",
    "labels_at_landmarks",
    "delayed_entry",
]

LANDMARK_DAY = "landmark_day"
PERSONA_NAME = "persona_name"
RFM_SEGMENT = "rfm_segment"
_LABEL_COLUMNS = (S.USER_ID, LANDMARK_DAY, S.PERSONA, PERSONA_NAME, RFM_SEGMENT)


def landmark_days(first_day, *, as_of, inactive_days: int, max_landmarks: int = 24) -> list:
    """Month ends from the month of ``first_day`` to the day before ``as_of - inactive_days``.

    A life labelled at a landmark must be followed at least one day, and churn is seen only up
    to ``as_of - inactive_days``. Only the latest ``max_landmarks`` are kept: a user whose life
    started earlier is labelled at the first of them, with a later entry.

    Examples
    --------
    >>> [str(d) for d in landmark_days("2026-05-20", as_of="2026-10-31", inactive_days=30)]
    ['2026-05-31', '2026-06-30', '2026-07-31', '2026-08-31', '2026-09-30']
    >>> [str(d) for d in landmark_days("2026-01-01", as_of="2026-10-31", inactive_days=30,
    ...                                max_landmarks=2)]
    ['2026-08-31', '2026-09-30']
    """
    first, end = as_date(first_day, "first_day"), as_date(as_of)
    k = positive_int(inactive_days, "inactive_days", unit="days")
    n = positive_int(max_landmarks, "max_landmarks")
    last = end - _dt.timedelta(days=k + 1)
    if last < first:
        return []
    ends = pd.date_range(pd.Timestamp(first), pd.Timestamp(last), freq="ME")
    return [d.date() for d in ends][-n:]


@dataclass(frozen=True)
class PersonaCentroids:
    """This month's personas as a rule that labels any user: the nearest centroid.

    Built from ``persona_cards.json`` (:meth:`from_cards`, written by
    :meth:`helpers.analysis.segments.personas.PersonaModel.to_dict`): the clustering features,
    their scaling (``log1p`` for counts and money, shares as they are, ``z = (raw - mean) /
    scale`` clipped to ``[-clip, clip]``) and each persona's centroid in that space.

    Examples
    --------
    >>> cards = {"features": ["orders", "share_search"], "clip": 3.0,
    ...          "transform": {"mean": [0.0, 0.5], "scale": [1.0, 0.25]},
    ...          "cards": [{"persona": 1, "name": "Searchers", "centroid": [0.0, 1.0]},
    ...                    {"persona": 2, "name": "Buyers", "centroid": [1.0, -1.0]}]}
    >>> rule = PersonaCentroids.from_cards(cards)
    >>> f = pd.DataFrame({"user_id": ["a", "b"], "orders": [0, 4], "share_search": [0.8, 0.1]})
    >>> rule.assign(f)[["user_id", "persona", "persona_name"]].values.tolist()
    [['a', 1, 'Searchers'], ['b', 2, 'Buyers']]
    """

    features: list[str]
    mean: np.ndarray
    scale: np.ndarray
    centroids: pd.DataFrame
    names: dict = field(default_factory=dict)
    clip: float | None = 3.0

    @classmethod
    def from_cards(cls, cards: dict) -> PersonaCentroids:
        """The rule of a ``persona_cards.json`` (parsed); a DataError names what is missing."""
        feats = list(cards.get("features") or [])
        tr = cards.get("transform") or {}
        rows = {
            int(c["persona"]): c.get("centroid")
            for c in cards.get("cards") or []
            if "persona" in c
        }
        if (
            not feats
            or not rows
            or len(tr.get("mean") or []) != len(feats)
            or len(tr.get("scale") or []) != len(feats)
            or any(v is None or len(v) != len(feats) for v in rows.values())
        ):
            raise DataError(
                "persona_cards.json must hold `features`, `transform.mean`, `transform.scale` "
                "and a `centroid` per card, all of the same length; re-run 03_personas "
                f"(found features {feats[:4]}, {len(rows)} card(s))."
            )
        centroids = pd.DataFrame.from_dict(rows, orient="index", columns=feats).sort_index()
        names = {
            int(c["persona"]): str(c.get("name") or c["persona"])
            for c in cards["cards"]
            if "persona" in c
        }
        return cls(
            features=feats,
            mean=np.asarray(tr["mean"], dtype=float),
            scale=np.asarray(tr["scale"], dtype=float),
            centroids=centroids,
            names=names,
            clip=cards.get("clip", 3.0),
        )

    def transform(self, features: pd.DataFrame) -> np.ndarray:
        """The standardized clustering matrix (a feature the table lacks counts as 0)."""
        cols = []
        for c in self.features:
            x = pd.to_numeric(features.get(c, pd.Series(0.0, index=features.index)))
            x = x.fillna(0.0).to_numpy(dtype=float)
            cols.append(x if c.startswith(SHARE_PREFIX) else np.log1p(np.maximum(x, 0.0)))
        raw = np.column_stack(cols) if cols else np.zeros((len(features), 0))
        z = (raw - self.mean) / self.scale
        return np.clip(z, -self.clip, self.clip) if self.clip else z

    def assign(self, features: pd.DataFrame) -> pd.DataFrame:
        """``user_id``, ``persona`` (nearest centroid) and ``persona_name`` per row."""
        z = self.transform(features)
        # one centroid at a time: a users x centroids x features array is ~0.4 GB at 700k users
        dist = np.column_stack([((z - c) ** 2).sum(axis=1) for c in self.centroids.to_numpy()])
        nearest = dist.argmin(axis=1)
        index = self.centroids.index.to_numpy()
        names = np.array([self.names.get(int(p), str(p)) for p in index], dtype=object)
        return pd.DataFrame(
            {
                S.USER_ID: features[S.USER_ID].astype(str).to_numpy(),
                S.PERSONA: index[nearest].astype("int64"),
                PERSONA_NAME: names[nearest],
            }
        )


def _running(surv: pd.DataFrame, day: _dt.date) -> pd.Series:
    """User ids whose life in ``surv`` is running on ``day`` (started, not yet ended)."""
    ts = pd.Timestamp(day)
    on = (pd.to_datetime(surv[START_DAY]) <= ts) & (pd.to_datetime(surv[END_DAY]) >= ts)
    return surv.loc[on, S.USER_ID].astype(str)


def labels_at_landmarks(
    user_day,
    surv: pd.DataFrame,
    *,
    as_of,
    inactive_days: int = 30,
    cards: dict | None = None,
    rfm_map="rf_grid",
    max_landmarks: int = 24,
) -> pd.DataFrame:
    """Per landmark and user whose life is running then: persona and RFM segment as of that day.

    Parameters
    ----------
    user_day : ibis.Table
    surv : pandas.DataFrame
        A survival table (:func:`helpers.analysis.churn.lives.survival_table`).
    as_of : date or str
    inactive_days : int
        The churn rule ``K``; landmarks end before ``as_of - K`` (:func:`landmark_days`).
    cards : dict, optional
        ``persona_cards.json`` of this month; None: no persona labels.
    rfm_map : str or list
        The RFM segment map (as in ``03_personas``): ``"rf_grid"``, ``"rfm_package"`` or rules.
    max_landmarks : int
        At most this many month ends, the latest.

    Returns
    -------
    pandas.DataFrame
        ``user_id, landmark_day, persona, persona_name, rfm_segment`` (the segment is empty for
        a user who had not bought by then); ``attrs["landmarks"]`` lists the days.

    Examples
    --------
    >>> from helpers.core.io import read_artifact_json                    # doctest: +SKIP
    >>> cards = read_artifact_json("reports/2026-10/artifacts", "persona_cards.json")  # doctest: +SKIP
    >>> labels = labels_at_landmarks(p.user_day, surv, as_of="2026-10-31", cards=cards)  # doctest: +SKIP
    >>> delayed_entry(surv, labels, "persona_name")                       # doctest: +SKIP
    """
    require_columns(surv, [S.USER_ID, START_DAY, END_DAY], "The survival table")
    rule = PersonaCentroids.from_cards(cards) if cards else None
    days = (
        landmark_days(
            pd.to_datetime(surv[START_DAY]).min(),
            as_of=as_of,
            inactive_days=inactive_days,
            max_landmarks=max_landmarks,
        )
        if len(surv)
        else []
    )
    # only the event shares the persona centroids use: every other share column would be
    # computed and moved to pandas for nothing, once per landmark
    feats = rule.features if rule is not None else []
    events = [c.removeprefix(SHARE_PREFIX) for c in feats if c.startswith(SHARE_PREFIX)]
    new = NEW_FEATURES_28 in feats  # else the scan that finds the new events is skipped too
    parts = []
    for day in days:
        running = set(_running(surv, day))
        if not running:
            continue
        f = user_features(user_day, as_of=day, event_names=events, new_features=new)
        on = f[S.USER_ID].astype(str).isin(running).to_numpy()
        out = pd.DataFrame({S.USER_ID: f.loc[on, S.USER_ID].astype(str), LANDMARK_DAY: day})
        if rule is not None:
            out = out.merge(rule.assign(f[on]), on=S.USER_ID, how="left")
        buyers = f[f[S.UD_ORDERS] > 0]
        if len(buyers):
            # scored among every buyer known at the landmark, as 03_personas scores at as_of
            seg = RFMScorer(segment_map=rfm_map).fit(buyers).transform(buyers)[RFM_SEGMENT]
            seg.index = buyers[S.USER_ID].astype(str).to_numpy()
            out[RFM_SEGMENT] = out[S.USER_ID].map(seg)
        parts.append(out)
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    for c in _LABEL_COLUMNS:
        if c not in frame.columns:
            frame[c] = pd.Series(dtype=object)
    frame = frame[list(_LABEL_COLUMNS)]
    frame.attrs["landmarks"] = days
    return frame


def delayed_entry(surv: pd.DataFrame, labels: pd.DataFrame, column: str) -> pd.DataFrame:
    """The survival rows of the users labelled in ``column``, each from their first landmark.

    Each user is kept once, at the earliest landmark at which their life was running and
    ``column`` had a value; ``entry_days = landmark_day - start_day + 1`` is the day of the life
    from which it is counted (at risk for ``entry_days <= t <= duration_days``). Users never
    labelled are left out. ``attrs`` keep the survival table's and add ``landmarks``.

    Examples
    --------
    >>> surv = pd.DataFrame({"user_id": ["a", "b", "c"],
    ...     "start_day": pd.to_datetime(["2026-05-20", "2026-06-30", "2026-01-02"]),
    ...     "end_day": pd.to_datetime(["2026-07-10", "2026-06-30", "2026-05-01"]),
    ...     "duration_days": [52, 1, 120], "event": [1, 1, 1]})
    >>> labels = pd.DataFrame({"user_id": ["a", "a", "b"],
    ...     "landmark_day": pd.to_datetime(["2026-05-31", "2026-06-30", "2026-06-30"]).date,
    ...     "persona_name": ["P", "Q", "Q"]})
    >>> delayed_entry(surv, labels, "persona_name")[["user_id", "persona_name", "entry_days"]
    ...     ].values.tolist()
    [['a', 'P', 12], ['b', 'Q', 1]]
    """
    require_columns(surv, [S.USER_ID, START_DAY, END_DAY], "The survival table")
    require_columns(labels, [S.USER_ID, LANDMARK_DAY, column], "The landmark labels")
    lab = labels.loc[labels[column].notna(), [S.USER_ID, LANDMARK_DAY, column]].copy()
    lab[S.USER_ID] = lab[S.USER_ID].astype(str)
    base = surv.drop(columns=[c for c in (column, LANDMARK_DAY) if c in surv.columns])
    base = base.assign(**{S.USER_ID: base[S.USER_ID].astype(str)})
    m = base.merge(lab, on=S.USER_ID, how="inner")
    at = pd.to_datetime(m[LANDMARK_DAY])
    start = pd.to_datetime(m[START_DAY])
    m = m[(start <= at) & (pd.to_datetime(m[END_DAY]) >= at)]
    m = m.sort_values([S.USER_ID, LANDMARK_DAY], kind="stable").drop_duplicates(S.USER_ID)
    m[ENTRY_DAYS] = (
        (pd.to_datetime(m[LANDMARK_DAY]) - pd.to_datetime(m[START_DAY])).dt.days + 1
    ).astype("int64")
    m = m.reset_index(drop=True)
    m.attrs.update(surv.attrs)
    m.attrs["landmarks"] = list(labels.attrs.get("landmarks", []))
    return m
