"""Known answers of helpers.analysis.experiments.per_user: per-user metrics of a hand-made
user_day, computed in the engine."""

import ibis
import numpy as np
import pandas as pd
import pytest

from helpers.analysis.experiments.per_user import user_metrics
from helpers.core.errors import DataError, ParameterError
from tests.analysis.experiments.toys import D, assignments, user_day


def test_user_metrics_hand_computed():
    got = user_metrics(
        assignments(), user_day(), experiment="exp", window_days=14, as_of=D(2024, 3, 31)
    )
    want = pd.DataFrame(
        {
            "user_id": ["u1", "u2", "u3", "u7"],
            "variant": ["control", "treatment", "treatment", "control"],
            "assigned_day": [D(2024, 3, 1), D(2024, 3, 5), D(2024, 3, 25), D(2024, 3, 10)],
            "exposure_days": [14, 14, 7, 14],
            "converted": [1, 0, 1, 0],
            "orders": [3, 0, 1, 0],
            "revenue": [35.5, 0.0, 7.25, 0.0],
            "active_days": [3, 0, 1, 1],
            "events": [8, 0, 3, 3],
            "retained_d7": [1.0, 0.0, np.nan, 1.0],  # u3's days 7-13 end after as_of
            "pre_converted": [1, 1, 0, 0],
            "pre_orders": [1, 1, 0, 0],
            "pre_revenue": [10.0, 5.0, 0.0, 0.0],
            "pre_active_days": [1, 1, 0, 0],
            "pre_events": [4, 2, 0, 0],
        }
    )
    pd.testing.assert_frame_equal(got[want.columns], want, check_dtype=False)


def test_user_metrics_window_and_ibis_assignments():
    # default 28-day window: u1's 03-15 row now counts; assignments as an ibis table
    got = user_metrics(
        ibis.memtable(assignments()), user_day(), experiment="exp", as_of=D(2024, 3, 31)
    ).set_index("user_id")
    assert got.loc["u1", "orders"] == 4 and got.loc["u1", "revenue"] == 135.5
    assert got.loc["u1", "exposure_days"] == 28
    assert got.loc["u7", "orders"] == 1 and got.loc["u7", "exposure_days"] == 22
    assert got.loc["u2", "pre_revenue"] == 5.0
    with pytest.raises(DataError, match="assigned_day"):
        user_metrics(
            assignments().drop(columns="assigned_day"),
            user_day(),
            experiment="exp",
            as_of=D(2024, 3, 31),
        )
    with pytest.raises(ParameterError, match="window_days"):
        user_metrics(
            assignments(), user_day(), experiment="exp", window_days=7, as_of=D(2024, 3, 31)
        )
