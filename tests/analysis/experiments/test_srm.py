"""Known answers of helpers.analysis.experiments.srm: gbstats' SRM figures and chi-square by hand."""

import pandas as pd
import pytest
from scipy import stats

from helpers.analysis.experiments.srm import contingency_p, srm_test


def test_srm_matches_gbstats(ab_golden):
    for case in ab_golden["srm"]:
        assert srm_test(case["users"], case["weights"]) == pytest.approx(case["p"], abs=1e-4)
    # chi2 = 2 * 100^2 / 5100 by hand
    assert srm_test([5000, 5200]) == pytest.approx(stats.chi2.sf(2 * 100**2 / 5100, 1))
    # zero-weight variants drop out: one variant left -> p = 1
    assert srm_test([10, 30], [1, 0]) == 1.0


def test_contingency_p_by_hand_and_degenerate():
    # [[1, 1], [1, 0]]: expected [[4/3, 2/3], [2/3, 1/3]] -> chi2 = 1/12 + 1/6 + 1/6 + 1/3
    assert contingency_p(pd.DataFrame([[1, 1], [1, 0]])) == pytest.approx(stats.chi2.sf(0.75, 1))
    assert contingency_p(pd.DataFrame([[3, 0], [2, 0]])) == 1.0  # one column left
