"""Orders-only config on the real cdnow_dir sample: the audit runs, and user_day yields exactly the
BTYD summary lifetimes computes (published in ../shared/data/cdnow)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.analysis.features import btyd_summary
from helpers.data.pipeline import load_project


@pytest.fixture(scope="module")
def project(cdnow_config):
    return load_project(cdnow_config)


def test_orders_only_audit_counts(cdnow_dir, project):
    s = project.audit.to_json()["sources"]["orders"]
    assert s["rows_in"] == 6919 and s["rows_kept"] == 6919 and s["balanced"]
    c = s["checks"]
    assert c["buyers"] == 2357 and c["refunds"] == 0
    raw = pd.read_csv(cdnow_dir / "cdnow_sample_orders.csv")
    assert c["free_orders"] == int((raw["dollars"] == 0).sum())
    assert c["possible_duplicate_orders"] == int(raw.duplicated().sum())
    assert project.latest_complete_month() == "1998-06"


@pytest.mark.parametrize("as_of", ["1997-09-30", "1998-06-30"])
def test_user_day_gives_lifetimes_btyd_summary(cdnow_dir, project, as_of):
    expected = pd.read_csv(
        cdnow_dir / f"expected_summary_days_{as_of}.csv", dtype={"customer_id": str}
    )
    expected = expected.set_index("customer_id").sort_index()
    got = btyd_summary(project.user_day, as_of=as_of)
    got = got.reindex(expected.index)
    assert len(expected) == 2357 and got["frequency"].notna().all()
    for col in ("frequency", "recency", "T"):
        np.testing.assert_array_equal(
            got[col].to_numpy(float), expected[col].to_numpy(float), err_msg=col
        )
    np.testing.assert_allclose(
        got["monetary_value"].to_numpy(float),
        expected["monetary_value"].to_numpy(float),
        atol=1e-6,
    )
