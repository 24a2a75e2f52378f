"""Known answers of helpers.analysis.experiments.bayesian: GrowthBook gbstats 0.8.0 figures."""

import pytest

from helpers.analysis.experiments.bayesian import bayesian_test
from tests.analysis.experiments.toys import stat


@pytest.mark.parametrize("relative", [True, False], ids=["relative", "absolute"])
def test_bayesian_matches_gbstats(golden_case, relative):
    case = golden_case
    c, t = stat(case["kind"], case["control"]), stat(case["kind"], case["treatment"])
    want = case["bayes_relative" if relative else "bayes_absolute"]
    got = bayesian_test(c, t, relative=relative)
    assert got.expected == pytest.approx(want["expected"], abs=1e-4)
    assert got.ci == pytest.approx(want["ci"], abs=1e-4)
    assert got.chance_to_win == pytest.approx(want["chance_to_win"], abs=1e-4)
    assert got.risk == pytest.approx(want["risk"], abs=1e-4)
