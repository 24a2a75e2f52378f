"""The per-user snapshot behind ``active_users.csv``."""

from helpers.analysis.activity.snapshot import active_users_snapshot
from tests.analysis.activity.toys import D, days, make_ud


def test_active_users_snapshot_states():
    ud = make_ud(
        [
            *days("s1", D(2023, 12, 5), D(2024, 1, 30)),
            *days("s2", D(2024, 1, 10), D(2024, 1, 25), D(2024, 1, 31)),
            *days("s3", D(2023, 11, 1), D(2024, 1, 2)),
            ("s4", D(2023, 12, 20), 1),
            ("s5", D(2023, 10, 1), 1),
            ("s6", D(2024, 1, 5), 0),
            ("s7", D(2024, 2, 2), 1),
        ]
    )
    s = active_users_snapshot(ud, as_of="2024-01-31", month_start="2024-01-01")
    assert s["user_id"].tolist() == ["s1", "s2", "s3", "s4", "s5"]
    assert s["lifecycle_state"].tolist() == [
        "returning",
        "new",
        "resurrecting",
        "dormant",
        "inactive",
    ]
    assert s["is_active"].tolist() == [True, True, True, False, False]
    assert s["active_days_7"].tolist() == [1, 2, 0, 0, 0]
    assert s["active_days_28"].tolist() == [1, 3, 0, 0, 0]
