"""Cohort retention and Kaplan-Meier retention, on a toy table counted by hand."""

import numpy as np
import pandas as pd
import pytest

from helpers.analysis.activity.retention import km_retention, retention_matrix
from helpers.core.errors import DataError
from tests.analysis.activity.toys import AS_OF, W0, W1, W2, W3, cell, retention_toy


def test_retention_first_time_on_with_open_periods_masked():
    r = retention_matrix(
        retention_toy(), cohort="week", as_of=AS_OF, max_periods=3, min_cohort_size=2
    )
    c = r.cells
    assert cell(c, W0, 0, "cohort_size") == 3
    assert [cell(c, W0, k, "retained") for k in range(4)] == [3, 1, 1, 1]
    assert [cell(c, W0, k, "rate") for k in range(3)] == pytest.approx([1, 1 / 3, 1 / 3])
    assert np.isnan(cell(c, W0, 3, "rate"))  # W3 ends Jan 28 > as_of
    assert cell(c, W1, 1, "rate") == 1 and np.isnan(cell(c, W1, 2, "rate"))
    assert np.isnan(cell(c, W2, 1, "rate"))
    assert bool(cell(c, W1, 0, "small_cohort")) and not bool(cell(c, W0, 0, "small_cohort"))
    assert r.cohorts == 3  # u9 (Jan 25) is after as_of
    assert r.small_cohorts == 2 and r.users == 5  # W1 {u2} and W2 {u4} are small; u9 is out
    m = r.mean_curve.set_index("period")
    assert m["rate"].tolist() == pytest.approx([1.0, 0.5, 1 / 3])  # 5/5, (1+1)/(3+1), 1/3
    assert m["cohorts"].tolist() == [3, 2, 1]


def test_wilson_interval_of_one_cell_against_the_formula():
    r = retention_matrix(retention_toy(), cohort="week", as_of=AS_OF, max_periods=3)
    lo, hi = cell(r.cells, W0, 1, "ci_low"), cell(r.cells, W0, 1, "ci_high")
    z, n, p = 1.959963984540054, 3, 1 / 3
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert (lo, hi) == pytest.approx((centre - half, centre + half))
    assert (lo, hi) == pytest.approx((0.0614919, 0.7923403), abs=1e-6)
    from statsmodels.stats.proportion import proportion_confint

    assert (lo, hi) == pytest.approx(proportion_confint(1, 3, method="wilson"))


def test_retention_on_or_after_and_recurring():
    ooa = retention_matrix(
        retention_toy(), cohort="week", as_of=AS_OF, max_periods=3, criterion="on_or_after"
    ).cells
    assert [cell(ooa, W0, k, "retained") for k in range(4)] == [3, 2, 2, 1]
    assert cell(ooa, W0, 1, "rate") == pytest.approx(2 / 3)  # u1 and u3 came back later
    rec = retention_matrix(
        retention_toy(), cohort="week", as_of=AS_OF, max_periods=3, kind="recurring"
    )
    assert rec.users is None  # a recurring user is in several cohorts
    rec = rec.cells
    assert [cell(rec, w, 0, "cohort_size") for w in (W0, W1, W2, W3)] == [3, 2, 3, 2]
    assert cell(rec, W0, 1, "rate") == pytest.approx(1 / 3)  # u1 of {u1, u3, u6}
    assert cell(rec, W1, 1, "rate") == pytest.approx(1 / 2)  # u2 of {u1, u2}
    assert np.isnan(cell(rec, W3, 0, "rate"))
    rec_ooa = retention_matrix(
        retention_toy(),
        cohort="week",
        as_of=AS_OF,
        max_periods=3,
        kind="recurring",
        criterion="on_or_after",
    ).cells
    assert cell(rec_ooa, W1, 1, "retained") == 2  # u1 (W3) and u2 (W2)
    assert cell(rec_ooa, W2, 1, "retained") == 1  # of {u2, u3, u4} only u4 (W3)


def test_retention_signup_basis_counts_never_active_signups():
    users = pd.DataFrame(
        {
            "user_id": ["u1", "u3", "u6", "z"],
            "signup_time": pd.to_datetime(["2024-01-01"] * 4, utc=True),
        }
    )
    c = retention_matrix(
        retention_toy(),
        cohort="week",
        as_of=AS_OF,
        max_periods=2,
        users=users,
        cohort_basis="signup",
    ).cells
    assert cell(c, W0, 0, "cohort_size") == 4 and cell(c, W0, 0, "rate") == 0.75
    with pytest.raises(DataError, match="signup_time"):
        retention_matrix(
            retention_toy(), as_of=AS_OF, users=users[["user_id"]], cohort_basis="signup"
        )


def test_km_retention_censors_open_periods():
    r = km_retention(retention_toy(), cohort="week", as_of=AS_OF, max_periods=4)
    k = r.curve
    # lifetimes: u1 4 (censored), u3 3 (W3 open: censored), u6 1 (churned), u2 2, u4 2 (cens.)
    assert k["retention"].tolist() == pytest.approx([1, 0.8, 0.8, 0.8, 0.8])
    assert k["at_risk"].tolist() == [5, 5, 4, 2, 1]
    assert k["churned"].sum() == 1 and k["censored"].sum() == 4
    assert (r.users, r.censored) == (5, 4)
