"""Satisfaction, NPS and complaint rate per segment and per month, each with a 95% interval.

Definitions (one response = one row of the feedback table):

* **Satisfaction** is the mean ``rating`` (1-5) of the rated responses, with a Student-t
  interval: ``mean ± t(0.975, n-1) · sd / sqrt(n)`` (``sd`` with ``n-1``); **CSAT** is the share
  of rated responses at 4 or 5 of 5, with a Wilson interval.
* **NPS** is the share of promoters (9-10) minus the share of detractors (0-6) among the NPS
  answers, in points (-100..100). Each answer is a draw of +1 (promoter), 0 (passive) or -1
  (detractor) from a multinomial, so the NPS is a mean whose variance per answer is
  ``p+ + p- - (p+ - p-)^2``; the interval is the normal (Wald) one,
  ``NPS ± z · 100 · sqrt((p+ + p- - (p+ - p-)^2) / n)``. See B. Rocks, "Interval estimation for
  the 'net promoter score'", *The American Statistician* 70(4), 2016, 365-372, and whuber's
  answer to "How can I calculate margin of error in a NPS result?" on Cross Validated (for
  ``p+ = 1/2, passives 1/3, p- = 1/6`` the variance per answer is 5/9). With every answer in one
  class the variance is 0 and the interval collapses to the point: read such a group as small.
* **Complaint rate** is the share of responses that are complaints (a rating at or below
  ``feedback.complaint_rating``, or a category in ``feedback.complaint_categories``) among the
  responses that can say (a rating or a category), with a Wilson interval.

A group with fewer than ``min_responses`` responses is ``small``: shown, never ranked.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from helpers.analysis.activity.intervals import wilson_interval
from helpers.analysis.feedback.frame import (
    ALL,
    scored,
    segment_of,
    segment_order,
)
from helpers.core import schema as s
from helpers.core.checks import require_columns
from helpers.core.config_pain import FeedbackConfig
from helpers.core.time import parse_month, shift_month

__all__ = [
    "SCORE_COLUMNS",
    "mean_interval",
    "nps_interval",
    "nps_difference",
    "group_scores",
    "feedback_by_segment",
    "feedback_trend",
    "LowestNps",
    "lowest_nps",
]

#: The columns of :func:`feedback_by_segment` after ``segment`` (``feedback_by_persona.csv``).
SCORE_COLUMNS = (
    "small",
    "responses",
    "users",
    "rated",
    "satisfaction",
    "satisfaction_ci_low",
    "satisfaction_ci_high",
    "csat",
    "csat_ci_low",
    "csat_ci_high",
    "nps_responses",
    "promoters",
    "passives",
    "detractors",
    "nps",
    "nps_ci_low",
    "nps_ci_high",
    "complaint_base",
    "complaints",
    "complaint_rate",
    "complaint_ci_low",
    "complaint_ci_high",
)
_Z = float(stats.norm.ppf(0.975))


def mean_interval(values, *, alpha: float = 0.05) -> tuple[float, float, float]:
    """``(mean, low, high)``: the mean and its Student-t interval (NaN bounds below 2 values).

    >>> [round(x, 4) for x in mean_interval([1, 2, 3, 4, 5])]
    [3.0, 1.0368, 4.9632]
    """
    x = np.asarray(pd.Series(values, dtype="float64").dropna(), dtype="float64")
    n = len(x)
    if n == 0:
        return np.nan, np.nan, np.nan
    mean = float(x.mean())
    if n < 2:
        return mean, np.nan, np.nan
    half = float(stats.t.ppf(1 - alpha / 2, n - 1) * x.std(ddof=1) / np.sqrt(n))
    return mean, mean - half, mean + half


def _nps_variance(promoters: float, detractors: float) -> float:
    return promoters + detractors - (promoters - detractors) ** 2


def nps_interval(
    promoters: int, detractors: int, n: int, *, alpha: float = 0.05
) -> tuple[float, float, float]:
    """``(nps, low, high)`` in points from counts of promoters and detractors among ``n``
    answers: the normal interval of the module docs, clipped to -100..100.

    >>> [round(float(x), 2) for x in nps_interval(300, 100, 600)]
    [33.33, 27.37, 39.3]
    """
    if not n:
        return np.nan, np.nan, np.nan
    p, d = promoters / n, detractors / n
    z = float(stats.norm.ppf(1 - alpha / 2))
    half = z * 100 * np.sqrt(max(_nps_variance(p, d), 0.0) / n)
    nps = 100 * (p - d)
    return nps, float(max(nps - half, -100.0)), float(min(nps + half, 100.0))


def nps_difference(a: tuple[int, int, int], b: tuple[int, int, int]) -> tuple[float, float, float]:
    """``(difference, low, high)`` of the NPS of two independent groups, ``a`` minus ``b``, each
    given as ``(promoters, detractors, n)``: the variances of the two add.

    >>> [round(float(x), 1) for x in nps_difference((50, 30, 100), (60, 10, 100))]
    [-30.0, -51.6, -8.4]
    """
    (pa, da, na), (pb, db, nb) = a, b
    if not na or not nb:
        return np.nan, np.nan, np.nan
    diff = 100 * ((pa - da) / na - (pb - db) / nb)
    var = _nps_variance(pa / na, da / na) / na + _nps_variance(pb / nb, db / nb) / nb
    half = float(_Z * 100 * np.sqrt(max(var, 0.0)))
    return diff, diff - half, diff + half


def group_scores(frame: pd.DataFrame, *, min_responses: int = 30) -> dict:
    """The scores of one group of prepared responses (with a ``complaint`` flag column):
    :data:`SCORE_COLUMNS` as a dict."""
    n = len(frame)
    rating = frame[s.RATING].dropna()
    sat, sat_lo, sat_hi = mean_interval(rating)
    happy = int((rating >= 4).sum())
    csat_lo, csat_hi = wilson_interval([happy], [len(rating)])
    nps = frame[s.NPS].dropna()
    n_nps = len(nps)
    pro, det = int((nps >= 9).sum()), int((nps <= 6).sum())
    score, score_lo, score_hi = nps_interval(pro, det, n_nps)
    flag = frame["complaint"].dropna()
    base, hits = len(flag), int(flag.astype(bool).sum())
    c_lo, c_hi = wilson_interval([hits], [base])
    return {
        "small": n < min_responses,
        "responses": n,
        "users": int(frame[s.USER_ID].nunique()),
        "rated": len(rating),
        "satisfaction": sat,
        "satisfaction_ci_low": sat_lo,
        "satisfaction_ci_high": sat_hi,
        "csat": happy / len(rating) if len(rating) else np.nan,
        "csat_ci_low": float(csat_lo[0]),
        "csat_ci_high": float(csat_hi[0]),
        "nps_responses": n_nps,
        "promoters": pro / n_nps if n_nps else np.nan,
        "passives": (n_nps - pro - det) / n_nps if n_nps else np.nan,
        "detractors": det / n_nps if n_nps else np.nan,
        "nps": score,
        "nps_ci_low": score_lo,
        "nps_ci_high": score_hi,
        "complaint_base": base,
        "complaints": hits,
        "complaint_rate": hits / base if base else np.nan,
        "complaint_ci_low": float(c_lo[0]),
        "complaint_ci_high": float(c_hi[0]),
    }


def feedback_by_segment(
    feedback: pd.DataFrame,
    segments=None,
    *,
    settings: FeedbackConfig | None = None,
    column: str = s.PERSONA,
) -> pd.DataFrame:
    """Satisfaction, CSAT, NPS and complaint rate per segment, and for all (``feedback_by_persona``).

    Parameters
    ----------
    feedback : DataFrame
        The cleaned feedback rows to score (the caller picks the month).
    segments : Series, dict or DataFrame, optional
        ``user_id -> segment`` (:func:`helpers.analysis.feedback.frame.segment_of`). Responses
        of users without a segment are left out of every row, :data:`ALL` included, so ``all``
        is the union of the segments (the month's active users when the segments are its
        personas); ``attrs["unmapped"]`` counts them.
    settings : FeedbackConfig
        ``complaint_rating``, ``complaint_categories`` and ``min_responses``.

    Returns
    -------
    DataFrame
        One row per segment, :data:`ALL` first: ``segment`` then :data:`SCORE_COLUMNS`:
        ``small`` (fewer than ``min_responses`` responses: shown, never ranked),
        ``responses``, ``users`` (distinct respondents), ``rated`` (responses with a rating),
        ``satisfaction`` (mean rating) with its t-interval ``satisfaction_ci_low/high``,
        ``csat`` (share of ratings 4-5) with its Wilson interval, ``nps_responses``,
        ``promoters``/``passives``/``detractors`` (shares of the NPS answers), ``nps`` (points)
        with its interval, ``complaint_base`` (responses with a rating or category),
        ``complaints`` and ``complaint_rate`` with its Wilson interval.

    Examples
    --------
    >>> fb = pd.DataFrame({"user_id": ["a", "b", "c", "d"], "rating": [5, 4, 1, 2],
    ...                    "nps": [10, 9, 3, 8]})
    >>> t = feedback_by_segment(fb, {"a": 1, "b": 1, "c": 2, "d": 2})
    >>> t[["segment", "satisfaction", "nps", "complaint_rate"]].values.tolist()
    [['all', 3.0, 25.0, 0.5], [1, 4.5, 100.0, 0.0], [2, 1.5, -50.0, 1.0]]
    """
    settings = settings or FeedbackConfig()
    fb = scored(feedback, settings)
    fb["segment"] = segment_of(fb, segments, column=column)
    unmapped = int(fb["segment"].isna().sum())
    fb = fb[fb["segment"].notna()]
    rows = [{"segment": ALL, **group_scores(fb, min_responses=settings.min_responses)}]
    if segments is not None:
        for seg in segment_order(fb["segment"].tolist()):
            part = fb[fb["segment"] == seg]
            rows.append(
                {"segment": seg, **group_scores(part, min_responses=settings.min_responses)}
            )
    out = pd.DataFrame(rows, columns=["segment", *SCORE_COLUMNS])
    out["segment"] = out["segment"].astype(object)
    out.attrs["unmapped"] = unmapped
    return out


def feedback_trend(
    feedback: pd.DataFrame,
    *,
    month: str,
    months: int = 3,
    settings: FeedbackConfig | None = None,
) -> pd.DataFrame:
    """The scores of all responses per month: ``month`` and the ``months`` months before it.

    The month of a response is that of its local ``day``. Returns one row per month (oldest
    first, months without responses included with 0 responses): ``month`` (``YYYY-MM``) then
    :data:`SCORE_COLUMNS`.

    Examples
    --------
    >>> import datetime as dt
    >>> fb = pd.DataFrame({"user_id": ["a", "b"], "day": [dt.date(2026, 9, 3), dt.date(2026, 10, 1)],
    ...                    "nps": [10, 0]})
    >>> feedback_trend(fb, month="2026-10", months=1)[["month", "nps_responses", "nps"]].values.tolist()
    [['2026-09', 1, 100.0], ['2026-10', 1, -100.0]]
    """
    settings = settings or FeedbackConfig()
    month = parse_month(month)
    require_columns(feedback, [s.USER_ID, s.DAY], "The feedback table")
    fb = scored(feedback, settings)
    fb["_month"] = pd.to_datetime(fb[s.DAY]).dt.strftime("%Y-%m")
    rows = []
    for m in [shift_month(month, -k) for k in range(months, -1, -1)]:
        part = fb[fb["_month"] == m]
        rows.append({"month": m, **group_scores(part, min_responses=settings.min_responses)})
    return pd.DataFrame(rows, columns=["month", *SCORE_COLUMNS])


@dataclass(frozen=True)
class LowestNps:
    """The segment with the lowest NPS against the other ranked segments pooled.

    ``separated`` is True when the 95% interval of ``difference`` (this segment's NPS minus the
    NPS of the other segments' answers pooled) lies wholly below 0.
    """

    segment: object
    nps: float
    ci_low: float
    ci_high: float
    others_nps: float
    difference: float
    difference_low: float
    difference_high: float
    ranked: int

    @property
    def separated(self) -> bool:
        return bool(np.isfinite(self.difference_high) and self.difference_high < 0)


def _counts(row) -> tuple[int, int, int]:
    n = int(row["nps_responses"])
    return round(row["promoters"] * n), round(row["detractors"] * n), n


def lowest_nps(by_segment: pd.DataFrame) -> LowestNps | None:
    """The ranked segment (not ``small``, not :data:`ALL`, with NPS answers) with the lowest
    NPS, compared with the pooled answers of the other ranked segments
    (:func:`nps_difference`); None with fewer than two ranked segments.

    >>> t = pd.DataFrame({"segment": [1, 2, 3], "small": False, "nps_responses": [100, 100, 100],
    ...                   "promoters": [0.2, 0.5, 0.5], "detractors": [0.5, 0.2, 0.2],
    ...                   "nps": [-30.0, 30.0, 30.0], "nps_ci_low": 0.0, "nps_ci_high": 0.0})
    >>> low = lowest_nps(t)
    >>> int(low.segment), round(low.difference, 1), low.separated
    (1, -60.0, True)
    """
    ranked = by_segment[
        (by_segment["segment"] != ALL)
        & ~by_segment["small"].astype(bool)
        & (by_segment["nps_responses"] > 0)
    ]
    if len(ranked) < 2:
        return None
    worst = ranked.loc[ranked["nps"].idxmin()]
    rest = ranked[ranked["segment"] != worst["segment"]]
    pooled = tuple(sum(x) for x in zip(*(_counts(r) for _, r in rest.iterrows())))
    diff, lo, hi = nps_difference(_counts(worst), pooled)
    return LowestNps(
        segment=worst["segment"].item() if hasattr(worst["segment"], "item") else worst["segment"],
        nps=float(worst["nps"]),
        ci_low=float(worst["nps_ci_low"]),
        ci_high=float(worst["nps_ci_high"]),
        others_nps=100 * (pooled[0] - pooled[1]) / pooled[2],
        difference=diff,
        difference_low=lo,
        difference_high=hi,
        ranked=len(ranked),
    )
