"""Known answers of helpers.analysis.experiments.readout: the results table of a planted toy
(statsmodels' multiple testing, CUPED's rho^2), and which experiments ran in a month."""

import json

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests

from helpers.analysis.experiments import readout as ex
from helpers.analysis.experiments.frequentist import frequentist_test
from helpers.analysis.experiments.summaries import Proportion
from helpers.core.checks import jsonable
from helpers.core.errors import ParameterError
from tests.analysis.experiments.toys import health_assignments, per_user


def test_running_experiments():
    a = health_assignments()
    assert ex.running_experiments(a, month_start="2024-03-01", month_end="2024-03-31") == [
        "exp",
        "promo",
    ]
    assert ex.running_experiments(a, month_start="2024-01-01", month_end="2024-01-31") == ["old"]
    assert ex.running_experiments(a, month_start="2024-02-01", month_end="2024-02-29") == ["exp"]


def test_readout_numbers_and_ship_decision():
    df = per_user()
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
    want = frequentist_test(Proportion(2000, 200), Proportion(2000, 300))
    assert conv["p_value"] == pytest.approx(want.p_value)
    assert [conv["ci_rel_low"], conv["ci_rel_high"]] == pytest.approx(want.ci)
    # flat prior: the credible interval is the normal interval around the same estimate
    half = 1.959963984540054 * np.sqrt(want.variance)
    assert [conv["credible_low"], conv["credible_high"]] == pytest.approx([0.5 - half, 0.5 + half])
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
    assert (r.decision.code, r.decision.variant) == ("ship", "treatment")
    assert r.decision.value == "ship treatment"
    assert r.treatments == ["treatment"]
    assert r.primary_lift == pytest.approx(0.5) and r.srm_p_value is None
    assert len(r.segments) == 1 and r.segments[0].table["segment"].tolist() == ["a", "b"]
    metrics = json.loads(json.dumps(jsonable(r.metrics_record()), allow_nan=False))
    back = metrics["converted"]["treatment"]
    assert back["n"] == 2000 and back["lift"]["rel"] == pytest.approx(0.5)
    assert back["p_value"] == pytest.approx(want.p_value)
    assert set(back) == {
        "n",
        "mean",
        "lift",
        "ci",
        "p_value",
        "p_values",
        "p_decision",
        "p_holm",
        "p_bh",
        "chance_to_win",
        "risk",
        "cuped",
        "mde",
        "power",
        "users_needed",
    }
    assert back["p_values"]["rel"] == pytest.approx(want.p_value)
    want_abs = frequentist_test(Proportion(2000, 200), Proportion(2000, 300), relative=False)
    assert back["p_values"]["abs"] == pytest.approx(want_abs.p_value)
    assert metrics["converted"]["control"] == {"n": 2000, "mean": pytest.approx(0.1)}
    assert metrics["converted"]["treatment"]["cuped"]["p_value"] is None  # NaN -> null
    assert r.segments_record()[0]["metric"] == "converted by persona"
    assert [row["segment"] for row in r.segments_record()[0]["rows"]] == ["a", "b"]


def test_readout_rejects_an_unknown_control_and_empty_metrics():
    with pytest.raises(ParameterError, match="control"):
        ex.analyze_experiment(per_user(), control="ctrl", metrics=["converted"])
    with pytest.raises(ParameterError, match="at least one metric"):
        ex.analyze_experiment(per_user(), metrics=[])


def test_decision_adjusts_over_primary_family_only():
    # converted 10% vs 12.4%: relative-lift p = 0.0309 (< 0.05) but Holm over the 4-metric
    # family gives > 0.05; the decision uses Holm over primary metrics only (one here)
    r = ex.analyze_experiment(
        per_user(conv_t=248),
        metrics=["converted", "revenue", "orders"],
        primary=["converted"],
        guardrails=["active_days"],
    )
    conv = r.results.set_index(["metric", "variant"]).loc[("converted", "treatment")]
    assert conv["p_value"] == pytest.approx(0.030864, abs=1e-5)
    assert conv["p_holm"] > 0.05
    assert r.decision.value == "ship treatment"
    # two primary metrics: Holm over two, 0.0309 * 2 > 0.05 -> not conclusive
    r2 = ex.analyze_experiment(
        per_user(conv_t=248), metrics=["converted", "revenue"], primary=["converted", "orders"]
    )
    assert r2.decision.value == "keep running"
    reason = r2.decision.reasons[-1]
    assert reason.code == "inconclusive" and [m for m, _ in reason.p_values] == [
        "converted",
        "orders",
    ]
    assert reason.p_values[0][1] == pytest.approx(min(1.0, 2 * conv["p_value"]), rel=1e-6)


def test_no_headline_lift_without_a_treatment_row():
    df = pd.DataFrame({"variant": ["control"] * 3 + ["treatment"] * 3, "y": [1.0, 2, 3, 2, 3, 4]})
    r = ex.analyze_experiment(df, primary=["y"])
    assert r.primary_lift == pytest.approx(0.5)  # (3 - 2) / 2
