"""The Wilson interval against statsmodels and its edge cases."""

import numpy as np
import pytest
from statsmodels.stats.proportion import proportion_confint

from helpers.analysis.activity.intervals import wilson_interval


def test_wilson_interval_matches_statsmodels_and_is_nan_without_trials():
    low, high = wilson_interval([0, 3, 10, 0], [10, 4, 10, 0])
    for i, (k, n) in enumerate([(0, 10), (3, 4), (10, 10)]):
        assert (low[i], high[i]) == pytest.approx(proportion_confint(k, n, method="wilson"))
    assert low[0] == 0 and high[2] == pytest.approx(1)
    assert np.isnan(low[3]) and np.isnan(high[3])
    low90, high90 = wilson_interval(3, 4, alpha=0.10)
    assert high90 - low90 < high[1] - low[1]
