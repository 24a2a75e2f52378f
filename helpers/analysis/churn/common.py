"""What the churn modules share: the columns of the survival table and the lives a fitter uses.

The survival table (:func:`helpers.analysis.churn.lives.survival_table`) has one row per user's
life; its column names are defined once here, and :func:`usable_lives` is the one rule for which
lives a fitter can use (``duration_days > 0``: a life that started after ``as_of - K`` carries no
information yet). A table may add ``entry_days`` (delayed entry) when a life is counted only from
a later day of it.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from helpers.core.checks import require_columns

START_DAY = "start_day"
END_DAY = "end_day"
LAST_ACTIVE_DAY = "last_active_day"
DURATION_DAYS = "duration_days"
EVENT = "event"
ACTIVE_DAYS = "active_days"
N_LIVES = "n_lives"
RESURRECTED = "resurrected"
GAP_DAYS_TO_RETURN = "gap_days_to_return"
#: Day of the life from which it is counted (delayed entry, see ``landmarks``): at risk for
#: ``entry_days <= t <= duration_days``; 0 or absent = from its start.
ENTRY_DAYS = "entry_days"

__all__ = [
    "START_DAY",
    "END_DAY",
    "LAST_ACTIVE_DAY",
    "DURATION_DAYS",
    "EVENT",
    "ACTIVE_DAYS",
    "N_LIVES",
    "RESURRECTED",
    "GAP_DAYS_TO_RETURN",
    "ENTRY_DAYS",
    "usable_lives",
]


def usable_lives(
    df: pd.DataFrame, duration_col: str, event_col: str, extra: Sequence[str] = ()
) -> tuple[pd.DataFrame, int]:
    """The rows with ``duration_col > 0``, and how many rows were left out.

    Examples
    --------
    >>> df = pd.DataFrame({"duration_days": [3, 0, 1], "event": [1, 0, 1]})
    >>> kept, dropped = usable_lives(df, "duration_days", "event")
    >>> len(kept), dropped
    (2, 1)
    """
    require_columns(df, [duration_col, event_col, *extra], "The survival table")
    keep = df[duration_col] > 0
    return df[keep], int((~keep).sum())
