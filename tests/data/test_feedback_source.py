"""`sources.feedback` end to end on a hand-made toy: mapping, the drop reasons in their order, the
ledger (rows in = kept + each reason), the local day, and one clear sentence for bad input."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.core.errors import DataError
from helpers.data.pipeline import load_project

CONFIG = """
name: feedback toy
timezone: Asia/Shanghai
cache_dir: cache
sources:
  orders: {path: orders.csv, columns: {user_id: uid, order_time: paid_at, amount: total}}
  feedback:
    name: survey
    path: feedback.csv
    columns: {user_id: member, feedback_time: at, rating: stars, nps: nps_score, text: comment}
audit: {valid_from: "2026-01-01", valid_until: "2026-03-01"}
"""

ROWS = [
    # member, at (local), stars, nps_score, comment
    ("u1", "2026-02-01 07:30:00", "5", "10", "好用"),  # kept; day 2026-02-01
    ("u1", "2026-02-01 07:30:00", "5", "10", "好用"),  # exact copy of row 1: duplicate
    ("u2", "2026-01-31 23:30:00", "", "3", ""),  # kept: NPS only; local day 2026-01-31
    ("u3", "", "4", "", "ok"),  # missing_time
    ("u3", "2025-12-31 23:00:00", "4", "", "ok"),  # time_out_of_range (before valid_from)
    ("", "2026-02-02 10:00:00", "2", "", "券用不了"),  # null_user_id
    ("u4", "2026-02-02 10:00:00", "6", "", "great"),  # invalid_score: stars 6 on a 1-5 scale
    ("u4", "2026-02-03 10:00:00", "", "11", ""),  # invalid_score: NPS 11
    ("u5", "2026-02-03 10:00:00", "", "", "  "),  # empty_feedback: nothing to read
    ("u6", "2026-02-04 10:00:00", "1", "", "coupon didn't apply"),  # kept
]


def _toy(tmp_path, rows=ROWS):
    (tmp_path / "persona.yaml").write_text(CONFIG, encoding="utf-8")
    pd.DataFrame(
        [("u1", "2026-02-01 10:00:00", 12.5)], columns=["uid", "paid_at", "total"]
    ).to_csv(tmp_path / "orders.csv", index=False)
    pd.DataFrame(rows, columns=["member", "at", "stars", "nps_score", "comment"]).to_csv(
        tmp_path / "feedback.csv", index=False
    )
    return tmp_path / "persona.yaml"


def test_feedback_is_mapped_cleaned_and_ledgered(tmp_path):
    project = load_project(_toy(tmp_path))
    ledger = project.audit.sources["survey"]
    assert ledger.table == "feedback"
    assert ledger.rows_in == 10 and ledger.rows_kept == 3
    assert ledger.dropped == {
        "missing_time": 1,
        "time_out_of_range": 1,
        "null_user_id": 1,
        "invalid_score": 2,
        "empty_feedback": 1,
        "duplicate": 1,
    }
    kept = project.tables["feedback"].execute().sort_values("user_id").reset_index(drop=True)
    assert kept["user_id"].tolist() == ["u1", "u2", "u6"]
    assert kept["rating"].tolist()[0] == 5.0 and pd.isna(kept["rating"][1])
    assert kept["nps"].tolist()[:2] == [10.0, 3.0]
    assert [str(d) for d in pd.to_datetime(kept["day"]).dt.date] == [
        "2026-02-01",
        "2026-01-31",
        "2026-02-04",
    ]
    assert kept["text"].tolist()[2] == "coupon didn't apply"
    # 07:30 in Shanghai is 23:30 UTC the day before
    assert str(kept["feedback_time"][0]).startswith("2026-01-31 23:30")


def test_a_rating_that_is_not_a_number_is_one_sentence(tmp_path):
    rows = [*ROWS[:2], ("u9", "2026-02-05 10:00:00", "★★★", "", "")]
    with pytest.raises(DataError) as err:
        load_project(_toy(tmp_path, rows))
    msg = str(err.value)
    assert "survey" in msg and "'stars' (rating) must be numeric" in msg and "★★★" in msg
