"""Known answers of helpers.analysis.experiments.cuped: rho^2 on a planted correlation, and a
hand-computed toy."""

import numpy as np
import pytest

from helpers.analysis.experiments.cuped import cuped_adjust
from helpers.analysis.experiments.frequentist import frequentist_test
from helpers.analysis.experiments.summaries import SampleMean


def test_cuped_variance_reduction_is_rho_squared():
    rng = np.random.default_rng(20240601)
    n, rho = 40_000, 0.7
    x = rng.normal(10, 2, n)
    z = (x - 10) / 2
    groups = np.repeat(["control", "treatment"], n // 2)
    y = 5 + 3 * (rho * z + np.sqrt(1 - rho**2) * rng.normal(size=n))
    y = y + np.where(groups == "treatment", 0.1, 0.0)  # planted absolute lift 0.1
    r = cuped_adjust(y, x, groups=groups)
    assert r.variance_reduction == pytest.approx(rho**2, abs=0.01)
    assert r.theta == pytest.approx(3 * rho / 2, abs=0.03)  # cov(y,x)/var(x) = 3*rho*2/4
    c_raw = SampleMean.from_values(y[groups == "control"])
    t_raw = SampleMean.from_values(y[groups == "treatment"])
    c_adj = SampleMean.from_values(r.adjusted[groups == "control"])
    t_adj = SampleMean.from_values(r.adjusted[groups == "treatment"])
    raw = frequentist_test(c_raw, t_raw, relative=False)
    adj = frequentist_test(c_adj, t_adj, relative=False)
    width = lambda t: t.ci[1] - t.ci[0]  # noqa: E731
    assert width(adj) / width(raw) == pytest.approx(np.sqrt(1 - rho**2), abs=0.01)
    assert adj.ci[0] < 0.1 < adj.ci[1]
    assert adj.expected == pytest.approx(0.1, abs=0.03)


def test_cuped_leaves_missing_outcomes_out():
    # theta from the three observed pairs: x = 1, 2, 3; y = 2, 4, 6 -> theta = 2
    r = cuped_adjust([2.0, 4.0, 6.0, np.nan], [1.0, 2.0, 3.0, 10.0])
    assert r.theta == pytest.approx(2.0)
    assert np.isnan(r.adjusted[3])
    # x mean over all four = 4: adjusted = y - 2 (x - 4) = 8, 8, 8 -> all variance removed
    assert r.adjusted[:3] == pytest.approx([8.0, 8.0, 8.0])
    assert r.variance_reduction == pytest.approx(1.0)
