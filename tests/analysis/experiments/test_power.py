"""Minimum detectable effect and power (helpers.analysis.experiments.power): the closed form by
hand, statsmodels' NormalIndPower on an equal-variance case, and the readout's columns."""

import math

import numpy as np
import pytest
from statsmodels.stats.power import NormalIndPower

from helpers.analysis.experiments import readout as ex
from helpers.analysis.experiments.power import mde, power_at, standard_error, users_needed
from helpers.analysis.experiments.summaries import Proportion, SampleMean
from helpers.core.errors import ParameterError
from tests.analysis.experiments.toys import per_user

Z975, Z80 = 1.959963984540054, 0.8416212335729143


def test_closed_form_by_hand():
    assert mde(0.01) == pytest.approx((Z975 + Z80) * 0.01)
    assert power_at((Z975 + Z80) * 0.01, 0.01) == pytest.approx(0.8, abs=1e-6)
    assert power_at(0.0, 0.01) == pytest.approx(0.05)  # no effect: the test's own alpha
    assert mde(0.01, alpha=0.10, power=0.9) == pytest.approx((1.6448536 + 1.2815516) * 0.01)
    assert users_needed(0.01, 0.02, 1000) == 4000.0
    assert math.isnan(mde(float("nan"))) and math.isnan(users_needed(0.0, 0.02, 1000))
    with pytest.raises(ParameterError, match="`power` must be between 0 and 1"):
        mde(0.01, power=1.5)


def test_matches_statsmodels_normal_power_with_equal_variances():
    # two arms of 5,000 users, sd 2 in both: se of the difference = 2 * sqrt(2 / 5000)
    n, sd = 5000, 2.0
    c = SampleMean(n, 0.0, sd**2 * (n - 1))  # mean 0, sample variance sd^2
    t = SampleMean(n, 0.0, sd**2 * (n - 1))
    se = standard_error(c, t)
    assert se == pytest.approx(sd * np.sqrt(2 / n))
    sm = NormalIndPower()
    d = sm.solve_power(nobs1=n, alpha=0.05, power=0.8, ratio=1.0, alternative="two-sided")
    # statsmodels solves with both tails counted; the closed form drops the far tail (its
    # share at 80% power is below 1e-6), so the two agree to 1e-4
    assert mde(se) == pytest.approx(d * sd, rel=1e-4)
    for lift in (0.05, 0.1, 0.2):
        want = sm.power(effect_size=lift / sd, nobs1=n, alpha=0.05, ratio=1.0)
        assert power_at(lift, se) == pytest.approx(want, rel=1e-9)


def test_readout_columns_by_hand():
    # conversion 10% vs 15%, 2,000 users each; no pre-period, so the Welch se is the one used
    r = ex.analyze_experiment(
        per_user(), metrics=["converted"], primary=["converted"], target_lift=0.2
    )
    row = r.results.set_index("variant").loc["treatment"]
    se = math.sqrt(0.1 * 0.9 / 2000 + 0.15 * 0.85 / 2000)
    assert standard_error(Proportion(2000, 200), Proportion(2000, 300)) == pytest.approx(se)
    assert row["mde_abs"] == pytest.approx((Z975 + Z80) * se)
    assert row["mde_rel"] == pytest.approx((Z975 + Z80) * se / 0.1)
    z = 0.05 / se
    assert row["power_observed"] == pytest.approx(
        NormalIndPower().power(effect_size=z / np.sqrt(2000 / 2), nobs1=2000, alpha=0.05)
    )
    assert row["power_target"] == pytest.approx(power_at(0.02, se))  # +20% of 10% = 2 pts
    assert row["users_needed"] == pytest.approx(2000 * ((Z975 + Z80) * se / 0.05) ** 2)
    assert r.settings["target_lift"] == 0.2
    back = r.metrics_record()["converted"]["treatment"]
    assert back["mde"]["rel"] == pytest.approx(row["mde_rel"])
    assert back["power"] == {"observed": row["power_observed"], "target": row["power_target"]}
