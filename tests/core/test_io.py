"""helpers.core.io: atomic writes and reading back the artifacts of an earlier report."""

from __future__ import annotations

import pytest

from helpers.core.errors import DataError
from helpers.core.io import read_artifact_csv, read_artifact_json, write_atomic


def test_artifacts_read_back_with_user_ids_as_text(tmp_path):
    write_atomic(tmp_path / "churn_risk.csv", "user_id,churn_risk_30d\n007,0.9\n8,0.1\n")
    df = read_artifact_csv(tmp_path, "churn_risk.csv")
    assert df["user_id"].tolist() == ["007", "8"] and df["churn_risk_30d"].sum() == pytest.approx(
        1.0
    )
    write_atomic(tmp_path / "audit.json", '{"sources": {}}')
    assert read_artifact_json(tmp_path, "audit.json") == {"sources": {}}


def test_a_missing_artifact_is_none_and_a_broken_one_a_sentence(tmp_path):
    assert read_artifact_csv(tmp_path, "personas.csv") is None
    assert read_artifact_json(tmp_path / "2026-09", "audit.json") is None
    (tmp_path / "audit.json").write_text('{"sources": ')
    with pytest.raises(DataError, match=r"audit\.json is not valid JSON .*re-run the report"):
        read_artifact_json(tmp_path, "audit.json")
    (tmp_path / "rfm.csv").write_bytes(b"")
    with pytest.raises(DataError, match=r"rfm\.csv cannot be read as CSV .*re-run the report"):
        read_artifact_csv(tmp_path, "rfm.csv")
