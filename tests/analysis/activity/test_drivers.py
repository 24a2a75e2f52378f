"""Retention drivers: three quarters of doers retained against one quarter of the others."""

import numpy as np
import pandas as pd
import pytest

from helpers.analysis.activity.drivers import retention_drivers
from tests.analysis.activity.toys import drivers_toy


def test_retention_drivers_three_quarters_vs_one_quarter():
    att = pd.DataFrame({"user_id": ["d0", "n5"], "joined_community": [1, 1]})
    r = retention_drivers(
        drivers_toy(),
        cohort_start="2024-01-01",
        cohort_end="2024-01-31",
        as_of="2024-02-04",
        thresholds=(1, 2),
        attributes=att,
    )
    assert (r.users, r.retained) == (8, 4)
    assert r.base_rate == 0.5
    d = r.drivers.set_index("behaviour")
    top = d.loc["share>=1"]
    assert (top["doers"], top["retained_doers"], top["non_doers"], top["retained_non_doers"]) == (
        4,
        3,
        4,
        1,
    )
    assert (top["event"], top["threshold"]) == ("share", 1)
    assert top["rate_doers"] == 0.75 and top["rate_non_doers"] == 0.25
    assert top["difference"] == 0.5 and top["score"] == pytest.approx(0.5)
    assert top["share_doers"] == 0.5 and bool(top["strongest"])
    assert r.drivers["behaviour"].iloc[0] == "share>=1"
    assert d.loc["share>=2", "score"] == pytest.approx(4 / np.sqrt(112))
    assert d.loc["joined_community", "score"] == pytest.approx(0.0)
    assert np.isnan(d.loc["joined_community", "threshold"])
    assert np.isnan(d.loc["view>=1", "score"])  # everybody viewed
    # Wilson 95 % for 3/4: (0.3006, 0.9544)
    assert (top["ci_low_doers"], top["ci_high_doers"]) == pytest.approx(
        (0.3006418, 0.9544127), abs=1e-6
    )
