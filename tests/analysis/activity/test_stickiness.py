"""The power-user curve and active days per month, on a toy table counted by hand."""

import pytest

from helpers.analysis.activity.stickiness import power_user_curve, stickiness_over_time
from helpers.core.errors import ParameterError
from tests.analysis.activity.toys import power_toy


def test_power_user_curve_by_hand():
    r = power_user_curve(power_toy(), as_of="2024-01-28")
    h = r.histogram.set_index("active_days")
    assert len(h) == 28 and h["users"].sum() == 4
    assert h.loc[[1, 3, 5], "users"].tolist() == [2, 1, 1]
    assert h.loc[3, "cum_share"] == pytest.approx(0.75)
    assert h.loc[4, "share_at_least"] == pytest.approx(0.25)
    l7 = r.l7.set_index("active_days")
    assert l7["users"].tolist() == [1, 1, 0, 0, 1, 0, 0]  # p2: 1, p3: 2, p4: 5 days
    # p1 1 day, p2 1, p3 3 (Jan 1, 22, 23), p4 5: 10 days over 4 users
    assert (r.active_users, r.active_users_7) == (4, 3)
    assert r.mean_active_days == pytest.approx(10 / 4)


def test_stickiness_over_time_buckets():
    r = stickiness_over_time(power_toy(), as_of="2024-01-28", months=2)
    b = r.buckets
    jan = b[b["month"] == "2024-01-01"].set_index("bucket")
    assert jan["users"].tolist() == [2, 1, 1, 0, 0]  # "1", "2-3", "4-7", "8-14", "15+"
    assert jan["share"].tolist() == [0.5, 0.25, 0.25, 0, 0]
    dec = b[b["month"] == "2023-12-01"]
    assert dec["users"].tolist() == [1, 0, 0, 0, 0]  # p5 on Dec 31
    assert list(b["bucket"].cat.categories) == ["1", "2-3", "4-7", "8-14", "15+"]
    with pytest.raises(ParameterError, match="buckets"):
        stickiness_over_time(power_toy(), as_of="2024-01-28", buckets=(2, 4))
