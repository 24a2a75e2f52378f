"""helpers.analysis.value.per_user: value per user of a feature table and per group."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.analysis.value.per_user import fit_value, value_by_group


def test_value_by_group_and_degraded_fit():
    d = pd.DataFrame(
        {
            "persona": [1, 1, 1, 2],
            "p_alive": [0.5, 0.7, np.nan, 1.0],
            "expected_purchases": [1.0, 3.0, np.nan, 2.0],
            "clv": [10.0, 20.0, np.nan, 70.0],
        }
    )
    out = value_by_group(d, "persona").table.set_index("persona")
    assert out.loc[
        1,
        [
            "users",
            "buyers",
            "mean_p_alive",
            "mean_expected_purchases",
            "clv_per_user",
            "clv_total",
            "share_clv",
        ],
    ].tolist() == pytest.approx([3, 2, 0.6, 2.0, 10.0, 30.0, 0.3])
    # counts are whole numbers (how the total CLV shows: tests/sections/test_personas.py)
    assert str(out["users"].dtype) == "int64" and str(out["buyers"].dtype) == "int64"
    # only one-time buyers: BG/NBD cannot be fitted, value is NaN and the note says why
    f = pd.DataFrame(
        {
            "frequency": [0.0] * 12 + [np.nan],
            "recency": [0.0] * 12 + [np.nan],
            "T": [30.0] * 12 + [np.nan],
            "monetary_value": [0.0] * 12 + [np.nan],
        }
    )
    fit = fit_value(f)
    assert fit.bg is None and fit.per_user["clv"].isna().all() and "repeat buyers" in fit.error
    assert not fit.fitted and fit.n_buyers == 12


def test_p_alive_left_empty_for_one_time_buyers(cdnow_dir):
    """CDNOW at 1998-06-30 (days): BG/NBD would give each of the 1,218 customers without a repeat
    purchase P(alive) = 1 whatever their age; it is left empty for them, their CLV is kept."""
    f = pd.read_csv(cdnow_dir / "expected_summary_days_1998-06-30.csv", index_col="customer_id")
    fit = fit_value(f)
    one_time = f["frequency"] == 0
    assert int(one_time.sum()) == 1218 == fit.n_one_time and fit.error is None
    assert fit.per_user.loc[one_time, "p_alive"].isna().all()
    assert fit.per_user.loc[~one_time, "p_alive"].between(0, 1).all()
    assert fit.per_user["p_alive"].loc[~one_time].lt(1).any()
    assert fit.per_user["clv"].notna().all()  # every buyer still has a value estimate
