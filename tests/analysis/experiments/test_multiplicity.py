"""Known answers of helpers.analysis.experiments.multiplicity: statsmodels and hand values."""

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from helpers.analysis.experiments.multiplicity import adjust_pvalues
from helpers.core.errors import ParameterError


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
    np.testing.assert_allclose(adjust_pvalues(pvals, method), want, atol=1e-12)


def test_adjust_pvalues_hand_values_and_nan():
    # Holm by hand: sorted 0.01*3, 0.03*2, 0.04*1 -> running max 0.03, 0.06, 0.06
    assert adjust_pvalues([0.01, 0.04, 0.03], "holm").tolist() == pytest.approx([0.03, 0.06, 0.06])
    # BH by hand: 0.01*3/1, 0.03*3/2, 0.04*3/3 -> running min from the top 0.03, 0.04, 0.04
    assert adjust_pvalues([0.01, 0.04, 0.03], "bh").tolist() == pytest.approx([0.03, 0.04, 0.04])
    # documented decision: NaN stays NaN and is not counted in the family
    got = adjust_pvalues([0.01, np.nan, 0.03], "holm")
    assert np.isnan(got[1])
    assert got[[0, 2]] == pytest.approx(multipletests([0.01, 0.03], method="holm")[1])
    assert got[[0, 2]] == pytest.approx([0.02, 0.03])
    with pytest.raises(ParameterError, match="method"):
        adjust_pvalues([0.1], "bonferonni")
