"""helpers.analysis.value.clv: CLV by hand and on CDNOW."""

import numpy as np
import pandas as pd
import pytest
from scipy import special

from helpers.analysis.value.bgnbd import BetaGeoModel
from helpers.analysis.value.clv import customer_lifetime_value
from helpers.analysis.value.gamma_gamma import GammaGammaModel


def test_clv_hand_value_and_properties():
    r, alpha, a, b = 0.243, 4.414, 0.793, 2.426
    bg = BetaGeoModel.from_params(r=r, alpha=alpha, a=a, b=b)
    gg = GammaGammaModel.from_params(p=6.25, q=3.74, v=15.44)
    one = pd.DataFrame(
        {"frequency": [2.0], "recency": [30.43], "T": [38.86], "monetary_value": [22.345]},
        index=["c1"],
    )
    spend = 6.25 * (15.44 + 2 * 22.345) / (6.25 * 2 + 3.74 - 1)
    u = 30 / 7  # weeks per 30-day month

    def e_y(t):
        x, tx, T = 2, 30.43, 38.86
        p_alive = 1 / (1 + a / (b + x - 1) * ((alpha + T) / (alpha + tx)) ** (r + x))
        return (
            (a + b + x - 1)
            / (a - 1)
            * (
                1
                - ((alpha + T) / (alpha + T + t)) ** (r + x)
                * special.hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t))
            )
            * p_alive
        )

    two = customer_lifetime_value(bg, gg, one, horizon_months=2, discount_rate_monthly=0.01)
    by_hand = spend * (e_y(u) / 1.01 + (e_y(2 * u) - e_y(u)) / 1.01**2)
    assert two.loc["c1", "clv"] == pytest.approx(by_hand, rel=1e-10)
    assert two.loc["c1", "expected_spend"] == pytest.approx(spend)
    assert two.loc["c1", "clv"] == pytest.approx(7.4886, abs=1e-3)  # measured

    horizons = [
        customer_lifetime_value(bg, gg, one, horizon_months=h).loc["c1", "clv"]
        for h in (1, 3, 6, 12, 24)
    ]
    assert all(np.diff(horizons) > 0)
    flat = customer_lifetime_value(bg, gg, one, horizon_months=12, discount_rate_monthly=0.0)
    assert flat.loc["c1", "clv"] == pytest.approx(spend * e_y(12 * u), rel=1e-10)
    assert flat.loc["c1", "expected_purchases"] == pytest.approx(e_y(12 * u), rel=1e-10)


def test_clv_on_cdnow_is_indexed_like_input(bg, gg, calib_weeks):
    clv = customer_lifetime_value(bg, gg, calib_weeks)
    assert clv.index.equals(calib_weeks.index)
    assert (clv["clv"] > 0).all()
    # frequency-0 customers share one value: the population mean spend p v / (q - 1)
    zero = clv[calib_weeks["frequency"] == 0]["expected_spend"]
    p, q, v = gg.params_["p"], gg.params_["q"], gg.params_["v"]
    assert np.allclose(zero, p * v / (q - 1))
