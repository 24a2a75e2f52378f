"""Known-answer tests for helpers.experiments and helpers.experiments_stats.

Golden figures: /work/shared/data/ab_golden.json (GrowthBook gbstats 0.8.0). Everything else is
a hand-computed toy or a planted truth with a fixed seed.
"""

import datetime as dt
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import ibis  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from scipy import stats  # noqa: E402
from statsmodels.stats.multitest import multipletests  # noqa: E402

from helpers import experiments as ex  # noqa: E402
from helpers import experiments_stats as es  # noqa: E402
from helpers.errors import DataError, ParameterError  # noqa: E402

GOLDEN = json.loads(Path("/work/shared/data/ab_golden.json").read_text())
D = dt.date


def _stat(kind, d):
    if kind == "mean":
        return es.SampleMean(d["n"], d["sum"], d["sum_squares"])
    return es.Proportion(d["n"], d["sum"])


# --- golden gbstats figures ---------------------------------------------------------------------------

@pytest.mark.parametrize("case", GOLDEN["cases"], ids=lambda c: c["kind"])
@pytest.mark.parametrize("relative", [True, False], ids=["relative", "absolute"])
def test_frequentist_matches_gbstats(case, relative):
    c, t = _stat(case["kind"], case["control"]), _stat(case["kind"], case["treatment"])
    want = case["freq_relative" if relative else "freq_absolute"]
    got = es.frequentist_test(c, t, relative=relative)
    assert got.expected == pytest.approx(want["expected"], abs=1e-4)
    assert got.ci == pytest.approx(want["ci"], abs=1e-4)
    assert got.p_value == pytest.approx(want["p_value"], abs=1e-4)


@pytest.mark.parametrize("case", GOLDEN["cases"], ids=lambda c: c["kind"])
@pytest.mark.parametrize("relative", [True, False], ids=["relative", "absolute"])
def test_bayesian_matches_gbstats(case, relative):
    c, t = _stat(case["kind"], case["control"]), _stat(case["kind"], case["treatment"])
    want = case["bayes_relative" if relative else "bayes_absolute"]
    got = es.bayesian_test(c, t, relative=relative)
    assert got.expected == pytest.approx(want["expected"], abs=1e-4)
    assert got.ci == pytest.approx(want["ci"], abs=1e-4)
    assert got.chance_to_win == pytest.approx(want["chance_to_win"], abs=1e-4)
    assert got.risk == pytest.approx(want["risk"], abs=1e-4)


def test_srm_matches_gbstats():
    for case in GOLDEN["srm"]:
        assert es.srm_test(case["users"], case["weights"]) == pytest.approx(case["p"], abs=1e-4)
    # chi2 = 2 * 100^2 / 5100 by hand
    assert es.srm_test([5000, 5200]) == pytest.approx(stats.chi2.sf(2 * 100 ** 2 / 5100, 1))
    # zero-weight variants drop out: one variant left -> p = 1
    assert es.srm_test([10, 30], [1, 0]) == 1.0
