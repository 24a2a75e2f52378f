"""Known answers of helpers.analysis.experiments.health: every check's counts and p-values on
hand-made assignments (chi-square by hand)."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from helpers.analysis.experiments.health import health_checks, readout_health
from helpers.core.errors import DataError, ParameterError
from tests.analysis.experiments.toys import health_assignments


def test_health_checks_exact_counts():
    a = health_assignments()
    h = health_checks(
        a,
        experiment="exp",
        start="2024-03-01",
        min_per_variant=5,
        other_assignments=a,
        activity_after={"c0", "t1"},
    )
    t = h.table.set_index("check")
    assert h.excluded_users == ["both"]
    assert h.counts.to_dict() == {"control": 6, "treatment": 5}
    assert t.loc["multiple_variants", "value"] == 1
    assert t.loc["multiple_variants", "total"] == 12
    assert t.loc["multiple_variants", "status"] == "fail"  # 1 of 12 users > 1%
    # SRM: 6 vs 5, expected 5.5 each -> chi2 = 2 * 0.25 / 5.5
    assert t.loc["srm", "p_value"] == pytest.approx(stats.chi2.sf(0.5 / 5.5, 1))
    assert t.loc["srm", "status"] == "ok" and t.loc["srm", "value"] == 11
    assert h.expected_shares.to_dict() == {"control": 0.5, "treatment": 0.5}
    assert t.loc["min_sample", "value"] == 5 and t.loc["min_sample", "status"] == "ok"
    assert h.min_per_variant == 5 and h.too_small == []
    assert t.loc["before_start", "value"] == 1 and t.loc["before_start", "status"] == "fail"
    assert h.start == pd.Timestamp("2024-03-01", tz="UTC")
    assert t.loc["no_later_activity", "value"] == 9
    assert t.loc["no_later_activity", "total"] == 11
    # overlap with promo: c0 (control, A), c1 (control, B), t0 (treatment, A);
    # 2x2 table [[1, 1], [1, 0]] -> chi2 = 1/12 + 1/6 + 1/6 + 1/3 = 0.75 by hand
    assert t.loc["overlap:promo", "value"] == 3
    assert t.loc["overlap:promo", "p_value"] == pytest.approx(stats.chi2.sf(0.75, 1))
    assert t.loc["overlap:promo", "other_experiment"] == "promo"
    assert "overlap:old" not in t.index  # not running at the same time
    assert set(h.failed["check"]) == {"multiple_variants", "before_start"}
    assert set(h.blocking["check"]) == {"multiple_variants", "before_start"}
    # codes and numbers only: no sentence in the analysis result
    assert list(h.table.columns) == [
        "check",
        "status",
        "value",
        "total",
        "p_value",
        "other_experiment",
    ]


def test_health_checks_srm_and_min_sample_fail():
    a = pd.DataFrame(
        {
            "user_id": [f"u{i}" for i in range(1000)],
            "experiment": "exp",
            "variant": ["control"] * 560 + ["treatment"] * 440,
        }
    )
    h = health_checks(a, experiment="exp", min_per_variant=500)
    t = h.table.set_index("check")
    # chi2 = 2 * 60^2 / 500 = 14.4
    assert t.loc["srm", "p_value"] == pytest.approx(stats.chi2.sf(14.4, 1))
    assert t.loc["srm", "status"] == "fail" and t.loc["min_sample", "status"] == "fail"
    assert h.too_small == ["treatment"]
    assert list(h.blocking["check"]) == ["srm"]  # the minimum sample alone does not block
    # the configured split explains it: 56/44 -> chi2 = 0
    h2 = health_checks(a, experiment="exp", split={"control": 0.56, "treatment": 0.44})
    assert h2.table.set_index("check").loc["srm", "p_value"] == pytest.approx(1.0)
    assert h2.expected_shares.to_dict() == pytest.approx({"control": 0.56, "treatment": 0.44})
    with pytest.raises(ParameterError, match="split"):
        health_checks(a, experiment="exp", split={"control": 1.0})
    with pytest.raises(DataError, match="no rows for experiment 'nope'"):
        health_checks(a, experiment="nope")


def test_readout_health_marks_the_start_check_skipped():
    a = health_assignments()
    pu = pd.DataFrame({"user_id": ["c0", "t1"], "events": [3, 1]})
    h = readout_health(a, pu, experiment="exp", min_per_variant=5)
    t = h.table.set_index("check")
    assert t.loc["before_start", "status"] == "skipped"
    assert np.isnan(t.loc["before_start", "value"])
    assert t.loc["no_later_activity", "value"] == 9  # the per-user table's active users
    assert "overlap:promo" in t.index  # the other experiments come from the same table
    dated = readout_health(a, pu, experiment="exp", min_per_variant=5, start="2024-03-01")
    assert dated.table.set_index("check").loc["before_start", "status"] == "fail"
