"""Known-answer tests for helpers.analysis.experiments.readout and helpers.analysis.experiments.stats.

Golden figures: ../shared/data/ab_golden.json (GrowthBook gbstats 0.8.0; fixtures `golden_case`, `ab_golden`). Everything else is
a hand-computed toy or a planted truth with a fixed seed.
"""

import datetime as dt
import json

import matplotlib

matplotlib.use("Agg")

import ibis  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from scipy import stats  # noqa: E402
from statsmodels.stats.multitest import multipletests  # noqa: E402

from helpers.analysis.experiments import health  # noqa: E402
from helpers.analysis.experiments import readout as ex  # noqa: E402
from helpers.analysis.experiments import stats as es  # noqa: E402
from helpers.core.errors import DataError, ParameterError  # noqa: E402

D = dt.date


def _stat(kind, d):
    if kind == "mean":
        return es.SampleMean(d["n"], d["sum"], d["sum_squares"])
    return es.Proportion(d["n"], d["sum"])


# --- golden gbstats figures ---------------------------------------------------------------------------


@pytest.mark.parametrize("relative", [True, False], ids=["relative", "absolute"])
def test_frequentist_matches_gbstats(golden_case, relative):
    case = golden_case
    c, t = _stat(case["kind"], case["control"]), _stat(case["kind"], case["treatment"])
    want = case["freq_relative" if relative else "freq_absolute"]
    got = es.frequentist_test(c, t, relative=relative)
    assert got.expected == pytest.approx(want["expected"], abs=1e-4)
    assert got.ci == pytest.approx(want["ci"], abs=1e-4)
    assert got.p_value == pytest.approx(want["p_value"], abs=1e-4)


@pytest.mark.parametrize("relative", [True, False], ids=["relative", "absolute"])
def test_bayesian_matches_gbstats(golden_case, relative):
    case = golden_case
    c, t = _stat(case["kind"], case["control"]), _stat(case["kind"], case["treatment"])
    want = case["bayes_relative" if relative else "bayes_absolute"]
    got = es.bayesian_test(c, t, relative=relative)
    assert got.expected == pytest.approx(want["expected"], abs=1e-4)
    assert got.ci == pytest.approx(want["ci"], abs=1e-4)
    assert got.chance_to_win == pytest.approx(want["chance_to_win"], abs=1e-4)
    assert got.risk == pytest.approx(want["risk"], abs=1e-4)


def test_srm_matches_gbstats(ab_golden):
    for case in ab_golden["srm"]:
        assert es.srm_test(case["users"], case["weights"]) == pytest.approx(case["p"], abs=1e-4)
    # chi2 = 2 * 100^2 / 5100 by hand
    assert es.srm_test([5000, 5200]) == pytest.approx(stats.chi2.sf(2 * 100**2 / 5100, 1))
    # zero-weight variants drop out: one variant left -> p = 1
    assert es.srm_test([10, 30], [1, 0]) == 1.0


# --- multiplicity -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pvals",
    [
        [0.01, 0.04, 0.03, 0.005],
        [0.01, 0.02, 0.02, 0.04, 0.5],  # ties
        [0.05, 0.05, 0.05],  # all tied
        [0.2, 0.9, 0.001, 0.04, 0.04, 0.3, 1.0],
    ],
)
@pytest.mark.parametrize("method,sm_method", [("holm", "holm"), ("bh", "fdr_bh")])
def test_adjust_pvalues_matches_statsmodels(pvals, method, sm_method):
    want = multipletests(pvals, method=sm_method)[1]
    np.testing.assert_allclose(es.adjust_pvalues(pvals, method), want, atol=1e-12)


def test_adjust_pvalues_hand_values_and_nan():
    # Holm by hand: sorted 0.01*3, 0.03*2, 0.04*1 -> running max 0.03, 0.06, 0.06
    assert es.adjust_pvalues([0.01, 0.04, 0.03], "holm").tolist() == pytest.approx(
        [0.03, 0.06, 0.06]
    )
    # BH by hand: 0.01*3/1, 0.03*3/2, 0.04*3/3 -> running min from the top 0.03, 0.04, 0.04
    assert es.adjust_pvalues([0.01, 0.04, 0.03], "bh").tolist() == pytest.approx(
        [0.03, 0.04, 0.04]
    )
    # documented decision: NaN stays NaN and is not counted in the family
    got = es.adjust_pvalues([0.01, np.nan, 0.03], "holm")
    assert np.isnan(got[1])
    assert got[[0, 2]] == pytest.approx(multipletests([0.01, 0.03], method="holm")[1])
    assert got[[0, 2]] == pytest.approx([0.02, 0.03])
    with pytest.raises(ParameterError, match="method"):
        es.adjust_pvalues([0.1], "bonferonni")


# --- ratio metric, CUPED, sequential, heterogeneity ----------------------------------------------------


def test_ratio_metric_delta_method_by_hand():
    cn, cd = [10, 0, 30, 20], [1, 0, 2, 1]
    tn, td = [40, 10, 0, 30], [2, 1, 0, 1]
    # control: ratio 60/4 = 15; per-user var_m = 500/3, var_d = 2/3, cov = 10 ->
    # 500/3 + 15^2 * 2/3 - 2*15*10 = 50/3 per user, 25/6 for the ratio (n = 4)
    # treatment: ratio 80/4 = 20; var_m = 1000/3, var_d = 2/3, cov = 40/3 ->
    # 1000/3 + 400 * 2/3 - 2*20*40/3 = 200/3 per user, 50/3 for the ratio
    c = es.RatioStatistic.from_values(cn, cd)
    t = es.RatioStatistic.from_values(tn, td)
    assert (c.mean, t.mean) == (15.0, 20.0)
    assert c.variance == pytest.approx(50 / 3)
    assert t.variance == pytest.approx(200 / 3)
    r = es.ratio_metric_test(cn, cd, tn, td, relative=False)
    var = 25 / 6 + 50 / 3
    df = var**2 / ((50 / 3) ** 2 / (16 * 3) + (200 / 3) ** 2 / (16 * 3))
    assert df == pytest.approx(4.4118, abs=1e-4)
    assert r.expected == pytest.approx(5.0)
    assert r.variance == pytest.approx(125 / 6)
    assert r.p_value == pytest.approx(2 * stats.t.sf(5 / np.sqrt(var), df))
    half = stats.t.ppf(0.975, df) * np.sqrt(var)
    assert r.ci == pytest.approx([5 - half, 5 + half])
    rel = es.ratio_metric_test(cn, cd, tn, td, relative=True)
    # (20-15)/15 with variance (50/3)/15^2 + (25/6) * 20^2 / 15^4
    assert rel.expected == pytest.approx(1 / 3)
    assert rel.variance == pytest.approx((50 / 3) / 225 + (25 / 6) * 400 / 15**4)


def test_cuped_variance_reduction_is_rho_squared():
    rng = np.random.default_rng(20240601)
    n, rho = 40_000, 0.7
    x = rng.normal(10, 2, n)
    z = (x - 10) / 2
    groups = np.repeat(["control", "treatment"], n // 2)
    y = 5 + 3 * (rho * z + np.sqrt(1 - rho**2) * rng.normal(size=n))
    y = y + np.where(groups == "treatment", 0.1, 0.0)  # planted absolute lift 0.1
    r = es.cuped_adjust(y, x, groups=groups)
    assert r.variance_reduction == pytest.approx(rho**2, abs=0.01)
    assert r.theta == pytest.approx(3 * rho / 2, abs=0.03)  # cov(y,x)/var(x) = 3*rho*2/4
    c_raw = es.SampleMean.from_values(y[groups == "control"])
    t_raw = es.SampleMean.from_values(y[groups == "treatment"])
    c_adj = es.SampleMean.from_values(r.adjusted[groups == "control"])
    t_adj = es.SampleMean.from_values(r.adjusted[groups == "treatment"])
    raw = es.frequentist_test(c_raw, t_raw, relative=False)
    adj = es.frequentist_test(c_adj, t_adj, relative=False)
    width = lambda t: t.ci[1] - t.ci[0]  # noqa: E731
    assert width(adj) / width(raw) == pytest.approx(np.sqrt(1 - rho**2), abs=0.01)
    assert adj.ci[0] < 0.1 < adj.ci[1]
    assert adj.expected == pytest.approx(0.1, abs=0.03)


def test_sequential_interval_is_wider_and_always_valid_form(ab_golden):
    case = ab_golden["cases"][0]
    c, t = _stat("mean", case["control"]), _stat("mean", case["treatment"])
    fixed = es.frequentist_test(c, t, relative=False)
    seq = es.frequentist_test(c, t, relative=False, sequential=True, sequential_tuning=5000)
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


def test_heterogeneity_and_segment_effects():
    q, p = es.heterogeneity_test([0.1, 0.3], [0.01, 0.01])
    assert q == pytest.approx(2.0)  # d_bar = 0.2; 100*0.01 + 100*0.01
    assert p == pytest.approx(stats.chi2.sf(2.0, 1))
    df = pd.DataFrame(
        {
            "variant": ["control", "treatment"] * 6,
            "seg": ["a"] * 6 + ["b"] * 6,
            "y": [
                1.0,
                2.0,
                2.0,
                3.0,
                3.0,
                4.0,  # a: control 1,2,3  treatment 2,3,4 -> +1
                1.0,
                1.0,
                2.0,
                2.0,
                3.0,
                3.0,
            ],  # b: control 1,2,3  treatment 1,2,3 -> 0
        }
    )
    seg = es.segment_effects(df, metric="y", segment_col="seg", relative=False)
    assert seg.table["lift"].tolist() == pytest.approx([1.0, 0.0])
    assert seg.table["n_control"].tolist() == [3, 3]
    # each segment: variances 1 and 1, n = 3 -> lift variance 2/3; Q = (0.5^2 + 0.5^2) * 1.5
    assert seg.q == pytest.approx(0.75)
    assert seg.q_p_value == pytest.approx(stats.chi2.sf(0.75, 1))
    # p-values: t = 1 / sqrt(2/3) with df 4; BH over two: max(p1*2, p2) ...
    p1 = 2 * stats.t.sf(1 / np.sqrt(2 / 3), 4)
    assert seg.table["p_value"].iloc[0] == pytest.approx(p1)
    assert seg.table["p_bh"].tolist() == pytest.approx(
        multipletests([p1, 1.0], method="fdr_bh")[1]
    )


# --- per-user metrics in the engine -------------------------------------------------------------------


def _toy_user_day():
    rows = [  # user, day, events, active_events, orders, revenue
        ("u1", D(2024, 2, 20), 3, 2, 1, 10.0),  # pre-period
        ("u1", D(2024, 2, 29), 1, 0, 0, 0.0),  # pre-period, passive only (not an active day)
        ("u1", D(2024, 3, 1), 5, 5, 1, 20.0),  # assignment day = window day 0
        ("u1", D(2024, 3, 8), 2, 2, 0, 0.0),  # day 7: retained
        ("u1", D(2024, 3, 14), 1, 1, 2, 15.5),  # day 13: last window day (window_days=14)
        ("u1", D(2024, 3, 15), 4, 4, 1, 100.0),  # day 14: outside the window
        ("u2", D(2024, 3, 4), 2, 2, 1, 5.0),  # pre only: nothing after assignment
        ("u3", D(2024, 3, 26), 3, 3, 1, 7.25),
        ("u3", D(2024, 4, 1), 9, 9, 1, 50.0),  # after as_of: capped away
        ("u4", D(2024, 3, 3), 1, 1, 1, 1.0),  # u4 is in two variants: excluded
        ("u7", D(2024, 3, 11), 2, 0, 0, 0.0),  # passive only
        ("u7", D(2024, 3, 17), 1, 1, 0, 0.0),  # day 7 after the earliest assignment
        ("u7", D(2024, 3, 24), 1, 1, 1, 9.0),  # day 14: outside the window
        ("u9", D(2024, 3, 2), 1, 1, 1, 3.0),  # never assigned
    ]
    df = pd.DataFrame(
        rows, columns=["user_id", "day", "events", "active_events", "orders", "revenue"]
    )
    df["refunds"] = 0
    return ibis.memtable(df)


def _toy_assignments():
    rows = [  # user, experiment, variant, assigned_day
        ("u1", "exp", "control", D(2024, 3, 1)),
        ("u2", "exp", "treatment", D(2024, 3, 5)),
        ("u3", "exp", "treatment", D(2024, 3, 25)),
        ("u4", "exp", "control", D(2024, 3, 2)),
        ("u4", "exp", "treatment", D(2024, 3, 2)),
        ("u5", "other", "control", D(2024, 3, 2)),
        ("u6", "exp", "control", D(2024, 4, 2)),  # assigned after as_of
        ("u7", "exp", "control", D(2024, 3, 12)),  # assigned twice: earliest day counts
        ("u7", "exp", "control", D(2024, 3, 10)),
    ]
    df = pd.DataFrame(rows, columns=["user_id", "experiment", "variant", "assigned_day"])
    df["assigned_at"] = pd.to_datetime(df["assigned_day"]).dt.tz_localize("UTC")
    return df


def test_user_metrics_hand_computed():
    got = ex.user_metrics(
        _toy_assignments(), _toy_user_day(), experiment="exp", window_days=14, as_of=D(2024, 3, 31)
    )
    want = pd.DataFrame(
        {
            "user_id": ["u1", "u2", "u3", "u7"],
            "variant": ["control", "treatment", "treatment", "control"],
            "assigned_day": [D(2024, 3, 1), D(2024, 3, 5), D(2024, 3, 25), D(2024, 3, 10)],
            "exposure_days": [14, 14, 7, 14],
            "converted": [1, 0, 1, 0],
            "orders": [3, 0, 1, 0],
            "revenue": [35.5, 0.0, 7.25, 0.0],
            "active_days": [3, 0, 1, 1],
            "events": [8, 0, 3, 3],
            "retained_d7": [1.0, 0.0, np.nan, 1.0],  # u3's days 7-13 end after as_of
            "pre_converted": [1, 1, 0, 0],
            "pre_orders": [1, 1, 0, 0],
            "pre_revenue": [10.0, 5.0, 0.0, 0.0],
            "pre_active_days": [1, 1, 0, 0],
            "pre_events": [4, 2, 0, 0],
        }
    )
    pd.testing.assert_frame_equal(got[want.columns], want, check_dtype=False)


def test_user_metrics_window_and_ibis_assignments():
    # default 28-day window: u1's 03-15 row now counts; assignments as an ibis table
    got = ex.user_metrics(
        ibis.memtable(_toy_assignments()), _toy_user_day(), experiment="exp", as_of=D(2024, 3, 31)
    ).set_index("user_id")
    assert got.loc["u1", "orders"] == 4 and got.loc["u1", "revenue"] == 135.5
    assert got.loc["u1", "exposure_days"] == 28
    assert got.loc["u7", "orders"] == 1 and got.loc["u7", "exposure_days"] == 22
    assert got.loc["u2", "pre_revenue"] == 5.0
    with pytest.raises(DataError, match="assigned_day"):
        ex.user_metrics(
            _toy_assignments().drop(columns="assigned_day"),
            _toy_user_day(),
            experiment="exp",
            as_of=D(2024, 3, 31),
        )


# --- health checks ------------------------------------------------------------------------------------


def _health_assignments():
    t0 = pd.Timestamp("2024-03-01 00:00", tz="UTC")
    rows = [(f"c{i}", "exp", "control", t0 + pd.Timedelta(hours=i)) for i in range(6)]
    rows += [(f"t{i}", "exp", "treatment", t0 + pd.Timedelta(hours=i)) for i in range(4)]
    rows += [("early", "exp", "treatment", pd.Timestamp("2024-02-27 12:00", tz="UTC"))]
    rows += [("both", "exp", "control", t0), ("both", "exp", "treatment", t0)]
    # an overlapping experiment (same days) and one that ended before this one started
    rows += [
        ("c0", "promo", "A", t0),
        ("c1", "promo", "B", t0),
        ("t0", "promo", "A", t0),
        ("zz", "promo", "B", t0),
    ]
    rows += [("c2", "old", "A", pd.Timestamp("2024-01-05", tz="UTC"))]
    return pd.DataFrame(rows, columns=["user_id", "experiment", "variant", "assigned_at"])


def test_health_checks_exact_counts():
    a = _health_assignments()
    h = health.health_checks(
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
    assert t.loc["multiple_variants", "status"] == "fail"  # 1 of 12 users > 1%
    # SRM: 6 vs 5, expected 5.5 each -> chi2 = 2 * 0.25 / 5.5
    assert t.loc["srm", "p_value"] == pytest.approx(stats.chi2.sf(0.5 / 5.5, 1))
    assert t.loc["srm", "status"] == "ok"
    assert t.loc["min_sample", "value"] == 5 and t.loc["min_sample", "status"] == "ok"
    assert t.loc["before_start", "value"] == 1 and t.loc["before_start", "status"] == "fail"
    assert t.loc["no_later_activity", "value"] == 9
    # overlap with promo: c0 (control, A), c1 (control, B), t0 (treatment, A);
    # 2x2 table [[1, 1], [1, 0]] -> chi2 = 1/12 + 1/6 + 1/6 + 1/3 = 0.75 by hand
    assert t.loc["overlap:promo", "value"] == 3
    assert t.loc["overlap:promo", "p_value"] == pytest.approx(stats.chi2.sf(0.75, 1))
    assert "overlap:old" not in t.index  # not running at the same time
    assert set(h.failed["check"]) == {"multiple_variants", "before_start"}
    html = h._repr_html_()
    assert "2 failing" in html and "#c0392b" in html


def test_health_checks_srm_and_min_sample_fail():
    a = pd.DataFrame(
        {
            "user_id": [f"u{i}" for i in range(1000)],
            "experiment": "exp",
            "variant": ["control"] * 560 + ["treatment"] * 440,
        }
    )
    h = health.health_checks(a, experiment="exp", min_per_variant=500)
    t = h.table.set_index("check")
    # chi2 = 2 * 60^2 / 500 = 14.4
    assert t.loc["srm", "p_value"] == pytest.approx(stats.chi2.sf(14.4, 1))
    assert t.loc["srm", "status"] == "fail" and t.loc["min_sample", "status"] == "fail"
    # the configured split explains it: 56/44 -> chi2 = 0
    h2 = health.health_checks(a, experiment="exp", split={"control": 0.56, "treatment": 0.44})
    assert h2.table.set_index("check").loc["srm", "p_value"] == pytest.approx(1.0)
    with pytest.raises(ParameterError, match="split"):
        health.health_checks(a, experiment="exp", split={"control": 1.0})


def test_running_experiments():
    a = _health_assignments()
    assert ex.running_experiments(a, month_start="2024-03-01", month_end="2024-03-31") == [
        "exp",
        "promo",
    ]
    assert ex.running_experiments(a, month_start="2024-01-01", month_end="2024-01-31") == ["old"]
    assert ex.running_experiments(a, month_start="2024-02-01", month_end="2024-02-29") == ["exp"]


# --- the readout ------------------------------------------------------------------------------------


def _per_user(conv_t=300, guard_shift=0.0, seed=7):
    rng = np.random.default_rng(seed)
    n = 2000
    variant = np.repeat(["control", "treatment"], n)
    converted = np.r_[np.arange(n) < 200, np.arange(n) < conv_t].astype(int)  # 10% vs conv_t/n
    pre = rng.gamma(2.0, 5.0, 2 * n)
    revenue = 0.8 * pre + rng.normal(0, 3, 2 * n)
    active = rng.poisson(5, 2 * n) - np.where(variant == "treatment", guard_shift, 0)
    return pd.DataFrame(
        {
            "user_id": [f"u{i}" for i in range(2 * n)],
            "variant": variant,
            "converted": converted,
            "revenue": revenue,
            "pre_revenue": pre,
            "orders": converted * 2,
            "active_days": active,
            "persona": np.tile(["a", "b"], n),
        }
    )


def test_readout_numbers_and_ship_decision():
    df = _per_user()
    r = ex.analyze_experiment(
        df,
        experiment="exp",
        metrics=["converted", "revenue", ex.RatioMetric("revenue_per_order", "revenue", "orders")],
        primary=["converted"],
        guardrails=["active_days"],
        segment_col="persona",
    )
    res = r.results.set_index(["metric", "variant"])
    conv = res.loc[("converted", "treatment")]
    assert conv["kind"] == "prop" and conv["n"] == 2000 and conv["mean"] == pytest.approx(0.15)
    assert res.loc[("converted", "control"), "mean"] == pytest.approx(0.10)
    assert conv["lift_abs"] == pytest.approx(0.05) and conv["lift_rel"] == pytest.approx(0.5)
    want = es.frequentist_test(es.Proportion(2000, 200), es.Proportion(2000, 300))
    assert conv["p_value"] == pytest.approx(want.p_value)
    assert [conv["ci_rel_low"], conv["ci_rel_high"]] == pytest.approx(want.ci)
    # family = 4 metrics x 1 treatment; Holm / BH on the decision p-values (CUPED for revenue)
    treat = r.results[r.results["variant"] == "treatment"]
    decide = treat["cuped_p_value"].fillna(treat["p_value"])
    assert treat["p_decision"].tolist() == pytest.approx(decide.tolist())
    assert (treat["p_holm"] >= treat["p_decision"]).all() and (
        treat["p_bh"] >= treat["p_decision"]
    ).all()
    assert treat["p_holm"].tolist() == pytest.approx(multipletests(decide, method="holm")[1])
    assert treat["p_bh"].tolist() == pytest.approx(multipletests(decide, method="fdr_bh")[1])
    # CUPED on revenue: rho^2 = 0.64*50 / (0.64*50 + 9) = 0.78 expected variance reduction
    rev = res.loc[("revenue", "treatment")]
    assert rev["cuped_variance_reduction"] == pytest.approx(32 / 41, abs=0.03)
    assert rev["cuped_ci_high"] - rev["cuped_ci_low"] < rev["ci_rel_high"] - rev["ci_rel_low"]
    assert np.isnan(res.loc[("converted", "treatment"), "cuped_p_value"])  # no pre column
    assert res.loc[("revenue_per_order", "treatment"), "kind"] == "ratio"
    assert r.decision == "ship treatment"
    assert len(r.segments) == 1 and r.segments[0].table["segment"].tolist() == ["a", "b"]
    out = r.to_json()
    text = json.dumps(out, allow_nan=False)  # strict JSON: NaN became null
    back = json.loads(text)["metrics"]["converted"]["treatment"]
    assert back["n"] == 2000 and back["lift"]["rel"] == pytest.approx(0.5)
    assert back["p_value"] == pytest.approx(want.p_value)
    assert set(back) >= {
        "n",
        "mean",
        "lift",
        "ci",
        "p_value",
        "p_holm",
        "p_bh",
        "chance_to_win",
        "risk",
    }
    assert "ship treatment" in r._repr_html_()


def test_readout_decisions_guardrail_health_and_inconclusive():
    guard = ex.analyze_experiment(
        _per_user(guard_shift=1.0),
        metrics=["converted"],
        primary=["converted"],
        guardrails=["active_days"],
    )
    assert guard.decision == "do not ship"
    assert any("guardrail active_days" in s for s in guard.reasons)
    null = ex.analyze_experiment(
        _per_user(conv_t=205), metrics=["converted"], primary=["converted"]
    )
    assert null.decision == "keep running"
    bad = pd.DataFrame(
        {
            "user_id": [f"u{i}" for i in range(4000)],
            "experiment": "exp",
            "variant": ["control"] * 2200 + ["treatment"] * 1800,
        }
    )
    bad_health = health.health_checks(bad, experiment="exp")
    srm = ex.analyze_experiment(
        _per_user(), metrics=["converted"], primary=["converted"], health=bad_health
    )
    assert srm.decision == "invalid"
    assert srm.reasons[0].startswith("Health check failed")
    html = srm._repr_html_()
    assert html.index("Failing health checks") < html.index("Decision for")
    assert srm.to_json()["health_checks"][1]["check"] == "srm"
    with pytest.raises(ParameterError, match="control"):
        ex.analyze_experiment(_per_user(), control="ctrl", metrics=["converted"])


# --- plots -----------------------------------------------------------------------------------------


def test_plots_draw_the_given_numbers():
    import matplotlib.pyplot as plt

    from helpers.plots import experiments as pe

    r = ex.analyze_experiment(
        _per_user(), metrics=["converted", "revenue"], primary=["converted"], segment_col="persona"
    )
    fig, axes = plt.subplots(1, 3)
    ax = pe.plot_lifts(r, ax=axes[0])
    assert ax is axes[0]
    xs = ax.lines[0].get_xdata()
    assert list(xs) == pytest.approx(
        [0.5, r.results.set_index(["metric", "variant"]).loc[("revenue", "treatment"), "lift_rel"]]
    )
    assert [t.get_text() for t in ax.get_yticklabels()] == ["converted", "revenue"]
    ax2 = pe.plot_segment_effects(r.segments[0], ax=axes[1])
    assert list(ax2.lines[0].get_xdata()) == pytest.approx(r.segments[0].table["lift"].tolist())
    ax3 = pe.plot_cumulative_assignments(_health_assignments(), experiment="exp", ax=axes[2])
    # users counted once: control c0..c5 + 'both' (first row) = 7; treatment t0..t3 + early = 5
    finals = {line.get_label(): line.get_ydata()[-1] for line in ax3.lines}
    assert finals == {"control": 7, "treatment": 5}
    assert (
        ax3.get_title() == "Users assigned per variant over time: exp"
        and ax3.get_xlabel() == "assignment date"
    )
    assert ax.get_title() == "Lift of each metric over control"
    plt.close(fig)


def test_decision_adjusts_over_primary_family_only():
    # converted 10% vs 12.4%: relative-lift p = 0.0309 (< 0.05) but Holm over the 4-metric
    # family gives > 0.05; the decision uses Holm over primary metrics only (one here)
    r = ex.analyze_experiment(
        _per_user(conv_t=248),
        metrics=["converted", "revenue", "orders"],
        primary=["converted"],
        guardrails=["active_days"],
    )
    conv = r.results.set_index(["metric", "variant"]).loc[("converted", "treatment")]
    assert conv["p_value"] == pytest.approx(0.030864, abs=1e-5)
    assert conv["p_holm"] > 0.05
    assert r.decision == "ship treatment"
    # two primary metrics: Holm over two, 0.0309 * 2 > 0.05 -> not conclusive
    r2 = ex.analyze_experiment(
        _per_user(conv_t=248), metrics=["converted", "revenue"], primary=["converted", "orders"]
    )
    assert r2.decision == "keep running"


def test_cuped_leaves_missing_outcomes_out():
    # theta from the three observed pairs: x = 1, 2, 3; y = 2, 4, 6 -> theta = 2
    r = es.cuped_adjust([2.0, 4.0, 6.0, np.nan], [1.0, 2.0, 3.0, 10.0])
    assert r.theta == pytest.approx(2.0)
    assert np.isnan(r.adjusted[3])
    # x mean over all four = 4: adjusted = y - 2 (x - 4) = 8, 8, 8 -> all variance removed
    assert r.adjusted[:3] == pytest.approx([8.0, 8.0, 8.0])
    assert r.variance_reduction == pytest.approx(1.0)
