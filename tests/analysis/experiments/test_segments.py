"""Known answers of helpers.analysis.experiments.segments: Cochran's Q and segment lifts by hand."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from helpers.analysis.experiments.segments import heterogeneity_test, segment_effects


def test_heterogeneity_and_segment_effects():
    q, p = heterogeneity_test([0.1, 0.3], [0.01, 0.01])
    assert q == pytest.approx(2.0)  # d_bar = 0.2; 100*0.01 + 100*0.01
    assert p == pytest.approx(stats.chi2.sf(2.0, 1))
    df = pd.DataFrame(
        {
            "variant": ["control", "treatment"] * 6,
            "seg": ["a"] * 6 + ["b"] * 6,
            # a: control 1,2,3  treatment 2,3,4 -> +1;  b: control 1,2,3  treatment 1,2,3 -> 0
            "y": [1.0, 2.0, 2.0, 3.0, 3.0, 4.0, 1.0, 1.0, 2.0, 2.0, 3.0, 3.0],
        }
    )
    seg = segment_effects(df, metric="y", segment_col="seg", relative=False)
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
    # what the display needs to know, and the name in ab_<experiment>.json
    assert (seg.segment_col, seg.control, seg.kind, seg.relative) == (
        "seg",
        "control",
        "mean",
        False,
    )
    assert seg.key == "y by seg"


def test_segment_kind_follows_the_whole_metric():
    # a 0/1 metric stays a proportion in a segment whose values happen to be all 1
    df = pd.DataFrame(
        {
            "variant": ["control", "treatment"] * 4,
            "seg": list("aaaabbbb"),
            "y": [1, 1, 1, 1, 0, 1, 1, 0],
        }
    )
    seg = segment_effects(df, metric="y", segment_col="seg", relative=False)
    assert seg.kind == "prop"
    assert seg.table["mean_control"].tolist() == [1.0, 0.5]
