"""helpers.analysis.value.summaries: lifetimes' calibration/holdout summary on CDNOW and by hand."""

import numpy as np
import pandas as pd
import pytest

from helpers.analysis.value.summaries import calibration_holdout, to_time_unit
from helpers.core.errors import DataError


@pytest.mark.parametrize("end", ["1997-09-30", "1998-06-30"])
def test_summary_equals_lifetimes_output(cdnow_dir, orders, end):
    got = calibration_holdout(
        orders,
        calibration_end=end,
        holdout_end="1998-12-31",
        customer_col="customer_id",
        date_col="date",
        amount_col="dollars",
        unit_days=1,
    )
    expected = pd.read_csv(cdnow_dir / f"expected_summary_days_{end}.csv").set_index("customer_id")
    assert len(got) == len(expected) == 2357
    assert got.index.equals(expected.index)
    for col in ["frequency", "recency", "T"]:
        assert (got[col] == expected[col]).all(), col
    np.testing.assert_allclose(
        got["monetary_value"], expected["monetary_value"], atol=1e-6, rtol=0
    )


def test_summary_toy_by_hand():
    tx = pd.DataFrame(
        {
            "cid": ["a", "a", "a", "a", "a", "b", "c", "c"],
            "when": [
                "2024-01-01",
                "2024-01-01 18:00",
                "2024-01-05",
                "2024-01-20",
                "2024-03-01",
                "2024-01-10",
                "2024-01-25",
                "2024-02-02",
            ],
            "amt": [10.0, 5.0, 20.0, 30.0, 99.0, 7.0, 4.0, 6.0],
        }
    )
    out = calibration_holdout(
        tx,
        calibration_end="2024-01-21",
        holdout_end="2024-01-31",
        customer_col="cid",
        date_col="when",
        amount_col="amt",
        unit_days=1,
    )
    # a: purchase days 01-01 (15.0), 01-05, 01-20 in calibration; 03-01 is after the holdout.
    # b: one day. c: first purchase after calibration_end -> not a calibration customer.
    assert list(out.index) == ["a", "b"]
    assert out.loc["a", ["frequency", "recency", "T"]].tolist() == [2, 19, 20]
    assert out.loc["a", "monetary_value"] == 25.0
    assert out.loc["b", ["frequency", "recency", "T", "monetary_value"]].tolist() == [0, 0, 11, 0]
    assert out["frequency_holdout"].tolist() == [0, 0]
    assert out["duration_holdout"].tolist() == [10, 10]
    weeks = to_time_unit(out, 7)
    assert weeks.loc["a", "T"] == pytest.approx(20 / 7)
    assert weeks.loc["a", "duration_holdout"] == pytest.approx(10 / 7)
    assert weeks.loc["a", "frequency"] == 2


def test_summary_rejects_refunds_and_bad_dates():
    tx = pd.DataFrame({"cid": [1, 1], "d": ["2024-01-01", "2024-01-02"], "amt": [5.0, -5.0]})
    with pytest.raises(DataError, match="'amt'"):
        calibration_holdout(
            tx,
            calibration_end="2024-01-31",
            holdout_end="2024-02-28",
            customer_col="cid",
            date_col="d",
            amount_col="amt",
        )
    tx2 = tx.assign(d=["2024-01-01", "not a date"])
    with pytest.raises(DataError, match="'d'.*not a date"):
        calibration_holdout(
            tx2,
            calibration_end="2024-01-31",
            holdout_end="2024-02-28",
            customer_col="cid",
            date_col="d",
        )
