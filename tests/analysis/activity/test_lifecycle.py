"""Lifecycle states per week and month, on toy tables counted by hand."""

import numpy as np
import pandas as pd

from helpers.analysis.activity.lifecycle import lifecycle
from tests.analysis.activity.toys import W1, W2, W3, check_identities, lifecycle_toy


def test_lifecycle_weeks_by_hand():
    r = lifecycle(lifecycle_toy(), period="week", start="2024-01-08", end="2024-01-28")
    p = r.periods
    assert p["period_start"].dt.date.tolist() == [W1, W2, W3]
    assert p["active"].tolist() == [2, 2, 3]
    assert p["new"].tolist() == [1, 1, 1]
    assert p["returning"].tolist() == [1, 1, 1]
    assert p["resurrecting"].tolist() == [0, 0, 1]  # u1 comes back in W3
    assert p["dormant"].tolist() == [-1, -1, -1]  # u3, u1, u2
    assert p["quick_ratio"].tolist() == [1.0, 1.0, 2.0]
    assert p["complete"].tolist() == [True, True, True]  # 2024-01-28 is W3's Sunday
    assert (r.period, r.new_basis) == ("week", "first_activity")
    check_identities(p)


def test_lifecycle_flags_a_week_cut_by_the_end():
    r = lifecycle(lifecycle_toy(), period="week", start="2024-01-08", end="2024-01-25")
    assert r.periods["complete"].tolist() == [True, True, False]  # W3 ends on Sunday the 28th


def test_lifecycle_signup_basis():
    users = pd.DataFrame(
        {
            "user_id": ["u1", "u2", "u3", "u4", "u5"],
            "signup_time": pd.to_datetime(
                [
                    "2023-12-31 20:00",
                    "2024-01-08 01:00",
                    "2024-01-01 00:00",
                    "2024-01-03 00:00",
                    "2024-01-22 00:00",
                ]
            ).tz_localize("UTC"),
        }
    )
    p = lifecycle(
        lifecycle_toy(),
        period="week",
        start="2024-01-08",
        end="2024-01-28",
        users=users,
        new_basis="signup",
        tz="Asia/Shanghai",
    ).periods
    # u4 signed up in W0 but is first active in W2: resurrecting under the signup basis.
    assert p["new"].tolist() == [1, 0, 1]
    assert p["resurrecting"].tolist() == [0, 1, 1]
    check_identities(p)


def test_lifecycle_months_by_hand():
    p = lifecycle(lifecycle_toy(), period="month", start="2024-01-01", end="2024-03-31").periods
    assert p["active"].tolist() == [5, 1, 1]
    assert p["new"].tolist() == [5, 0, 0]
    assert p["returning"].tolist() == [0, 1, 0]
    assert p["resurrecting"].tolist() == [0, 0, 1]  # u3 in March
    assert p["dormant"].tolist() == [0, -4, -1]
    assert p["quick_ratio"].iloc[1] == 0 and np.isnan(p["quick_ratio"].iloc[0])
    check_identities(p)
