"""Known answers of helpers.analysis.experiments.frequentist: GrowthBook gbstats 0.8.0 figures
(../shared/data/ab_golden.json), the delta method by hand and the sequential interval by hand."""

import numpy as np
import pytest
from scipy import stats

from helpers.analysis.experiments.frequentist import frequentist_test, ratio_metric_test
from helpers.analysis.experiments.summaries import RatioStatistic
from tests.analysis.experiments.toys import stat


@pytest.mark.parametrize("relative", [True, False], ids=["relative", "absolute"])
def test_frequentist_matches_gbstats(golden_case, relative):
    case = golden_case
    c, t = stat(case["kind"], case["control"]), stat(case["kind"], case["treatment"])
    want = case["freq_relative" if relative else "freq_absolute"]
    got = frequentist_test(c, t, relative=relative)
    assert got.expected == pytest.approx(want["expected"], abs=1e-4)
    assert got.ci == pytest.approx(want["ci"], abs=1e-4)
    assert got.p_value == pytest.approx(want["p_value"], abs=1e-4)


def test_ratio_metric_delta_method_by_hand():
    cn, cd = [10, 0, 30, 20], [1, 0, 2, 1]
    tn, td = [40, 10, 0, 30], [2, 1, 0, 1]
    # control: ratio 60/4 = 15; per-user var_m = 500/3, var_d = 2/3, cov = 10 ->
    # 500/3 + 15^2 * 2/3 - 2*15*10 = 50/3 per user, 25/6 for the ratio (n = 4)
    # treatment: ratio 80/4 = 20; var_m = 1000/3, var_d = 2/3, cov = 40/3 ->
    # 1000/3 + 400 * 2/3 - 2*20*40/3 = 200/3 per user, 50/3 for the ratio
    c = RatioStatistic.from_values(cn, cd)
    t = RatioStatistic.from_values(tn, td)
    assert (c.mean, t.mean) == (15.0, 20.0)
    assert c.variance == pytest.approx(50 / 3)
    assert t.variance == pytest.approx(200 / 3)
    r = ratio_metric_test(cn, cd, tn, td, relative=False)
    var = 25 / 6 + 50 / 3
    df = var**2 / ((50 / 3) ** 2 / (16 * 3) + (200 / 3) ** 2 / (16 * 3))
    assert df == pytest.approx(4.4118, abs=1e-4)
    assert r.expected == pytest.approx(5.0)
    assert r.variance == pytest.approx(125 / 6)
    assert r.p_value == pytest.approx(2 * stats.t.sf(5 / np.sqrt(var), df))
    half = stats.t.ppf(0.975, df) * np.sqrt(var)
    assert r.ci == pytest.approx([5 - half, 5 + half])
    rel = ratio_metric_test(cn, cd, tn, td, relative=True)
    # (20-15)/15 with variance (50/3)/15^2 + (25/6) * 20^2 / 15^4
    assert rel.expected == pytest.approx(1 / 3)
    assert rel.variance == pytest.approx((50 / 3) / 225 + (25 / 6) * 400 / 15**4)


def test_sequential_interval_is_wider_and_always_valid_form(ab_golden):
    case = ab_golden["cases"][0]
    c, t = stat("mean", case["control"]), stat("mean", case["treatment"])
    fixed = frequentist_test(c, t, relative=False)
    seq = frequentist_test(c, t, relative=False, sequential=True, sequential_tuning=5000)
    assert seq.method.startswith("sequential")
    assert seq.ci[0] < fixed.ci[0] and seq.ci[1] > fixed.ci[1]
    # half-width by hand: N = 6868, rho^2 = (-2 ln a + ln(1 - 2 ln a)) / 5000
    a, n = 0.05, 3407 + 3461
    rho2 = (-2 * np.log(a) + np.log(-2 * np.log(a) + 1)) / 5000
    half = np.sqrt(fixed.variance) * np.sqrt(
        2 * (n * rho2 + 1) / (n * rho2) * np.log(np.sqrt(n * rho2 + 1) / a)
    )
    assert seq.ci[1] - seq.expected == pytest.approx(half)
    assert seq.p_value > fixed.p_value
