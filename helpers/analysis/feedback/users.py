"""Per user: the NPS category of the latest NPS answer, for the at-risk list and the churn model.

A user's category at ``as_of`` is that of their latest NPS answer whose local ``day`` is at or
before ``as_of`` (answers after it are not known yet, so a rerun of a past month gives the same
list): promoter (9-10), passive (7-8) or detractor (0-6). Two answers at the same instant: the
lower one counts (a detractor is not hidden by a tie). Users who never answered have no row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.analysis.feedback.frame import prepare
from helpers.core import schema as s
from helpers.core.checks import as_date, require_columns

__all__ = [
    "PROMOTER",
    "PASSIVE",
    "DETRACTOR",
    "NPS_CATEGORY",
    "NPS_CATEGORIES",
    "nps_category",
    "user_nps",
]

PROMOTER, PASSIVE, DETRACTOR = "promoter", "passive", "detractor"
#: The column of a user's NPS category (and its values, best first).
NPS_CATEGORY = "nps_category"
NPS_CATEGORIES = (PROMOTER, PASSIVE, DETRACTOR)


def nps_category(score) -> pd.Series:
    """The NPS category of each answer (null where there is none).

    >>> nps_category([10, 9, 8, 7, 6, 0, None]).tolist()
    ['promoter', 'promoter', 'passive', 'passive', 'detractor', 'detractor', None]
    """
    x = pd.Series(score, dtype="float64")
    out = np.select([x >= 9, x >= 7, x >= 0], [PROMOTER, PASSIVE, DETRACTOR], default="")
    return pd.Series(out, index=x.index, dtype=object).where(x.notna(), None)


def user_nps(feedback: pd.DataFrame, *, as_of) -> pd.DataFrame:
    """Each user's latest NPS answer up to ``as_of`` and its category.

    Parameters
    ----------
    feedback : DataFrame
        The cleaned feedback rows (``user_id``, ``feedback_time``, ``day``, ``nps``).
    as_of : date or str
        The last local day read (inclusive).

    Returns
    -------
    DataFrame
        One row per user with an NPS answer by ``as_of``, sorted by ``user_id``: ``user_id``,
        ``nps`` (0-10), ``nps_category`` (promoter / passive / detractor), ``detractor`` (bool:
        the flag of the at-risk list and the churn model's covariate), ``feedback_time`` and
        ``day`` of that answer.

    Examples
    --------
    >>> import datetime as dt
    >>> fb = pd.DataFrame({"user_id": ["a", "a", "b"],
    ...     "feedback_time": pd.to_datetime(["2026-10-01", "2026-11-02", "2026-10-05"], utc=True),
    ...     "day": [dt.date(2026, 10, 1), dt.date(2026, 11, 2), dt.date(2026, 10, 5)],
    ...     "nps": [3, 10, 9]})
    >>> user_nps(fb, as_of="2026-10-31")[["user_id", "nps_category", "detractor"]].values.tolist()
    [['a', 'detractor', True], ['b', 'promoter', False]]
    """
    require_columns(feedback, [s.USER_ID, s.FEEDBACK_TIME, s.DAY], "The feedback table")
    end = as_date(as_of, "as_of")
    fb = prepare(feedback)
    days = pd.Series([as_date(d, "day") for d in fb[s.DAY]], index=fb.index, dtype=object)
    fb = fb[fb[s.NPS].notna() & (days <= end)]
    columns = [s.USER_ID, s.NPS, NPS_CATEGORY, "detractor", s.FEEDBACK_TIME, s.DAY]
    if fb.empty:
        return pd.DataFrame(columns=columns)
    latest = (
        fb.sort_values([s.USER_ID, s.FEEDBACK_TIME, s.NPS], ascending=[True, False, True])
        .drop_duplicates(s.USER_ID, keep="first")
        .reset_index(drop=True)
    )
    latest[NPS_CATEGORY] = nps_category(latest[s.NPS])
    latest["detractor"] = latest[NPS_CATEGORY] == DETRACTOR
    return latest[columns]
