"""The readout carries each interval with its own test's p-value: on GrowthBook's golden cases
(../shared/data/ab_golden.json, gbstats 0.8.0) the readout's relative and absolute lifts,
intervals and p-values, its artifact record and its rendered table equal gbstats' figures."""

import html
import math
import re

import numpy as np
import pandas as pd
import pytest

from helpers.analysis.experiments import readout as ex
from helpers.display.format import fmt
from helpers.display.registry import render
from helpers.sections import ab_readout as eh


def _values(kind, d):
    """Per-user values with exactly the case's summary statistics."""
    n = d["n"]
    if kind == "prop":
        return np.r_[np.ones(int(d["sum"])), np.zeros(n - int(d["sum"]))]
    m = d["sum"] / n  # n - 2 users at the mean, two at m +/- h carry the sum of squares
    h = math.sqrt((d["sum_squares"] - n * m**2) / 2)
    return np.r_[np.full(n - 2, m), [m + h, m - h]]


def _golden_readout(case, relative=True):
    c, t = _values(case["kind"], case["control"]), _values(case["kind"], case["treatment"])
    df = pd.DataFrame({"variant": ["control"] * len(c) + ["treatment"] * len(t), "y": np.r_[c, t]})
    return ex.analyze_experiment(df, metrics=["y"], primary=["y"], cuped=False, relative=relative)


@pytest.mark.parametrize("relative", [True, False], ids=["relative scale", "absolute scale"])
def test_readout_intervals_come_with_their_own_p_values(golden_case, relative):
    r = _golden_readout(golden_case, relative)
    row = r.results.set_index("variant").loc["treatment"]
    rel, ab = golden_case["freq_relative"], golden_case["freq_absolute"]
    assert row["lift_rel"] == pytest.approx(rel["expected"], abs=1e-9)
    assert [row["ci_rel_low"], row["ci_rel_high"]] == pytest.approx(rel["ci"], abs=1e-9)
    assert row["p_value_rel"] == pytest.approx(rel["p_value"], abs=1e-9)
    assert row["lift_abs"] == pytest.approx(ab["expected"], abs=1e-9)
    assert [row["ci_abs_low"], row["ci_abs_high"]] == pytest.approx(ab["ci"], abs=1e-9)
    assert row["p_value_abs"] == pytest.approx(ab["p_value"], abs=1e-9)
    # the readout's p-value is the one of its scale, and the record keeps both
    assert row["p_value"] == pytest.approx((rel if relative else ab)["p_value"], abs=1e-9)
    back = r.metrics_record()["y"]["treatment"]
    assert back["p_values"]["abs"] == pytest.approx(ab["p_value"], abs=1e-9)
    assert back["p_values"]["rel"] == pytest.approx(rel["p_value"], abs=1e-9)
    assert back["ci"]["abs"] == pytest.approx(ab["ci"], abs=1e-9)
    assert back["ci"]["rel"] == pytest.approx(rel["ci"], abs=1e-9)


def test_rendered_table_pairs_each_interval_with_its_p_value(ab_golden):
    case = ab_golden["cases"][0]  # mean: relative p 0.062, absolute p 0.020
    out = render(eh.metrics_view(_golden_readout(case)))
    heads = [html.unescape(h) for h in re.findall(r"<th>([^<]*)</th>", out.split("<details")[0])]
    assert heads[-6:] == [
        "Relative lift",
        "Interval",
        "p (relative)",
        "Absolute change",
        "Interval (absolute)",
        "p (absolute)",
    ]
    row = [html.unescape(c) for c in re.findall(r"<td[^>]*>([^<]*)</td>", out)][:10]
    rel, ab = case["freq_relative"], case["freq_absolute"]
    assert row[4:] == [
        fmt(rel["expected"], "change"),
        f"{fmt(rel['ci'][0], 'change')} to {fmt(rel['ci'][1], 'change')}",
        fmt(rel["p_value"], "pvalue"),
        "+" + fmt(ab["expected"], "number"),
        f"+{fmt(ab['ci'][0], 'number')} to +{fmt(ab['ci'][1], 'number')}",
        fmt(ab["p_value"], "pvalue"),
    ]
    assert row[6] == "0.062" and row[9] == "0.020"
