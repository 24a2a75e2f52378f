"""helpers.analysis.value.bgnbd: BG/NBD against FHL (2005) on CDNOW, hand cases, planted truth."""

import numpy as np
import pandas as pd
import pytest
from scipy import special

from helpers.analysis.value.bgnbd import BetaGeoModel
from helpers.analysis.value.gamma_gamma import GammaGammaModel
from helpers.core.errors import ModelError


def test_bgnbd_matches_published_cdnow(published_btyd, bg):
    pub = published_btyd["bgnbd"]
    for name in ["r", "alpha", "a", "b"]:
        assert bg.params_[name] == pytest.approx(pub[name], abs=0.002), name
    assert bg.log_likelihood_ == pytest.approx(pub["log_likelihood"], abs=0.5)
    assert bg.n_customers_ == 2357 and bg.converged_


def test_log_likelihood_convention_is_weeks(calib_days, bg):
    # The likelihood is a density in purchase times: in days it differs by sum(x) * ln 7.
    in_days = BetaGeoModel().fit(calib_days)
    assert in_days.params_["alpha"] == pytest.approx(7 * bg.params_["alpha"], rel=1e-4)
    assert in_days.params_["r"] == pytest.approx(bg.params_["r"], rel=1e-4)
    shift = calib_days["frequency"].sum() * np.log(7)  # 2457 * ln 7
    assert in_days.log_likelihood_ + shift == pytest.approx(bg.log_likelihood_, abs=1e-3)


def test_standard_errors_match_a_second_difference_hessian(bg, calib_weeks):
    # Independent of the analytic gradient: second differences of the log-likelihood itself.
    d = BetaGeoModel._prepare(
        calib_weeks["frequency"].to_numpy(),
        calib_weeks["recency"].to_numpy(),
        calib_weeks["T"].to_numpy(),
    )
    theta = np.array([bg.params_[k] for k in ["r", "alpha", "a", "b"]])

    def ll(p):
        return BetaGeoModel._loglik(p, d).sum()

    h = 1e-4 * theta
    hess = np.empty((4, 4))
    for i in range(4):
        for j in range(4):
            ei, ej = np.eye(4)[i] * h[i], np.eye(4)[j] * h[j]
            hess[i, j] = (
                ll(theta + ei + ej)
                - ll(theta + ei - ej)
                - ll(theta - ei + ej)
                + ll(theta - ei - ej)
            ) / (4 * h[i] * h[j])
    se = np.sqrt(np.diag(np.linalg.inv(-hess)))
    got = np.array([bg.standard_errors_[k] for k in ["r", "alpha", "a", "b"]])
    np.testing.assert_allclose(got, se, rtol=1e-3)
    # measured: r 0.0126, alpha 0.378, a 0.186, b 0.705
    np.testing.assert_allclose(got, [0.01256, 0.3782, 0.1857, 0.7054], rtol=2e-3)
    s = bg.summary
    assert s.loc["a", "lower 95%"] == pytest.approx(bg.params_["a"] - 1.959964 * got[2])


def test_probability_alive_hand_cases():
    r, alpha, a, b = 0.243, 4.414, 0.793, 2.426
    bg = BetaGeoModel.from_params(r=r, alpha=alpha, a=a, b=b)
    assert bg.probability_alive(0, 0, 38.86) == 1.0
    # FHL (2005) eq. (13): 1 / (1 + a/(b+x-1) * ((alpha+T)/(alpha+t_x))^(r+x)), x=2
    by_hand = 1 / (1 + a / (b + 2 - 1) * ((alpha + 38.86) / (alpha + 30.43)) ** (r + 2))
    assert bg.probability_alive(2, 30.43, 38.86) == pytest.approx(by_hand, rel=1e-12)
    assert by_hand == pytest.approx(0.72658, abs=1e-5)
    series = bg.probability_alive(
        pd.Series([0, 2], index=["u", "v"]), pd.Series([0, 30.43]), pd.Series([38.86, 38.86])
    )
    assert list(series.index) == ["u", "v"] and series["u"] == 1.0


def test_conditional_expectation_hand_case_and_fhl_figure():
    r, alpha, a, b = 0.243, 4.414, 0.793, 2.426
    bg = BetaGeoModel.from_params(r=r, alpha=alpha, a=a, b=b)
    x, tx, T, t = 2, 30.43, 38.86, 39
    p_alive = 1 / (1 + a / (b + x - 1) * ((alpha + T) / (alpha + tx)) ** (r + x))
    by_hand = (
        (a + b + x - 1)
        / (a - 1)
        * (
            1
            - ((alpha + T) / (alpha + T + t)) ** (r + x)
            * special.hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t))
        )
        * p_alive
    )
    got = bg.expected_purchases(t, x, tx, T)
    assert got == pytest.approx(by_hand, rel=1e-12)
    assert got == pytest.approx(1.226, abs=5e-4)  # FHL (2005), section 5 worked example
    # a brand-new customer (x = 0, T = 0) has the unconditional expectation
    assert bg.expected_purchases(t, 0, 0, 0) == pytest.approx(bg.expected_purchases_new(t))
    assert bg.expected_purchases_new(0) == 0.0


def test_planted_parameters_are_recovered():
    truth = {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}
    rng = np.random.default_rng(7)
    n = 40_000
    T = rng.uniform(30, 78, n)
    lam = rng.gamma(truth["r"], 1 / truth["alpha"], n)
    drop = rng.beta(truth["a"], truth["b"], n)
    arrivals = rng.poisson(lam * T)
    x = np.minimum(arrivals, rng.geometric(drop))  # dies right after its j-th repeat purchase
    tx = np.where(x > 0, T * rng.beta(np.maximum(x, 1), np.maximum(arrivals - x + 1, 1)), 0.0)
    fitted = BetaGeoModel().fit(pd.DataFrame({"frequency": x, "recency": tx, "T": T}))
    for name, value in truth.items():
        assert abs(fitted.params_[name] - value) < 3 * fitted.standard_errors_[name], name


def test_analytic_gradient_matches_finite_differences(calib_weeks):
    d = BetaGeoModel._prepare(
        calib_weeks["frequency"].to_numpy(),
        calib_weeks["recency"].to_numpy(),
        calib_weeks["T"].to_numpy(),
    )
    theta = np.array([0.3, 5.0, 0.9, 2.0])
    _, grad = BetaGeoModel._loglik(theta, d, grad=True)
    numeric = [
        (BetaGeoModel._loglik(theta + e, d).sum() - BetaGeoModel._loglik(theta - e, d).sum())
        / 2e-6
        for e in np.eye(4) * 1e-6
    ]
    np.testing.assert_allclose(grad, numeric, rtol=1e-5)


def test_penalizer_is_the_documented_l2_term(calib_weeks):
    # At the optimum of -LL/n + c * sum(params^2): d(LL/n)/d(param) = 2 c param.
    c = 0.001
    fitted = BetaGeoModel(penalizer=c).fit(calib_weeks)
    theta = np.array([fitted.params_[k] for k in ["r", "alpha", "a", "b"]])
    d = BetaGeoModel._prepare(
        calib_weeks["frequency"].to_numpy(),
        calib_weeks["recency"].to_numpy(),
        calib_weeks["T"].to_numpy(),
    )
    _, grad = BetaGeoModel._loglik(theta, d, grad=True)
    np.testing.assert_allclose(grad / 2357, 2 * c * theta, rtol=1e-3)
    assert theta[0] == pytest.approx(0.2069, abs=1e-3)  # shrunk from 0.2426


def test_no_drop_out_data_is_not_identified():
    # Poisson buyers who never leave: a -> 0, b -> infinity; a clear error, not silent numbers.
    rng = np.random.default_rng(3)
    T = rng.uniform(30, 78, 2000)
    n_buys = rng.poisson(rng.gamma(2, 1 / 10, 2000) * T)
    tx = np.where(n_buys > 0, T * rng.beta(np.maximum(n_buys, 1), 1), 0.0)
    data = pd.DataFrame({"frequency": n_buys, "recency": tx, "T": T})
    with pytest.raises(ModelError, match="not identified"):
        BetaGeoModel().fit(data)


def test_no_repeat_buyers_is_a_model_error():
    data = pd.DataFrame({"frequency": [0.0] * 20, "recency": [0.0] * 20, "T": [10.0] * 20})
    with pytest.raises(ModelError, match="repeat buyers"):
        BetaGeoModel().fit(data)
    with pytest.raises(ModelError, match="repeat buyers"):
        GammaGammaModel().fit(data.assign(monetary_value=0.0))
