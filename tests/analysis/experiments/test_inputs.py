"""The inputs of a readout (helpers.analysis.experiments.inputs): the preflight's messages, the
segment columns attached to a toy per-user table, and the segments added to a readout."""

import pandas as pd
import pytest

from helpers.analysis.experiments import inputs as ei
from helpers.analysis.experiments import readout as ex
from helpers.core.errors import ParameterError
from tests.analysis.experiments.toys import per_user


def test_preflight_names_the_missing_source_and_the_experiments_found():
    with pytest.raises(ParameterError, match="no assignments"):
        ei.assignments_frame(None, experiment="checkout_v2")
    df = pd.DataFrame(
        {
            "user_id": ["a", "b", "c"],
            "experiment": ["x", "y", "x"],
            "variant": ["control", "treatment", "treatment"],
            "assigned_day": ["2024-03-02", "2024-03-05", "2024-03-09"],
        }
    )
    with pytest.raises(ParameterError, match=r"`experiment`.*\['x', 'y'\].*'z' was passed"):
        ei.assignments_frame(df, experiment="z")
    with pytest.raises(ParameterError, match=r"first assignment \(2024-03-05\).*2024-03-04"):
        ei.assignments_frame(df, experiment="y", as_of="2024-03-04")
    kept = ei.assignments_frame(df, experiment="x", as_of="2024-03-05")
    assert kept["user_id"].tolist() == ["a", "b"]  # c was assigned after as_of


def test_attach_segments_counts_who_has_a_value(tmp_path):
    pu = pd.DataFrame(
        {"user_id": ["a", "b", "c"], "variant": ["control", "treatment"] * 1 + ["control"]}
    )
    personas = tmp_path / "personas.csv"
    pd.DataFrame({"user_id": ["a", "b"], "persona": [2, 1]}).to_csv(personas, index=False)
    users = pd.DataFrame({"user_id": ["c"], "platform": ["web"]})
    got = ei.attach_segments(pu, personas_path=personas, users=users)
    assert got.columns == ["persona", "platform"]
    assert got.covered == {"persona": 2, "platform": 1}
    assert got.users == 3 and got.personas_path == str(personas)
    assert got.per_user["platform"].tolist() == ["(none)", "(none)", "web"]
    assert "persona" not in pu.columns  # the input is not modified
    missing = ei.attach_segments(pu, personas_path=tmp_path / "nope.csv")
    assert missing.columns == [] and missing.covered == {}
    assert missing.personas_path.endswith("nope.csv")


def test_add_segments_per_primary_metric_and_column():
    df = per_user()
    r = ex.analyze_experiment(df, metrics=["converted"], primary=["converted"])
    found = ei.attach_segments(
        df.drop(columns="persona"),
        users=df[["user_id", "persona"]].rename(columns={"persona": "platform"}),
    )
    with_segments = ei.add_segments(r, found)
    assert r.segments == []  # the input readout is not modified
    (eff,) = with_segments.segments
    assert (eff.metric, eff.segment_col, eff.variant, eff.key) == (
        "converted",
        "platform",
        "treatment",
        "converted by platform",
    )
    assert eff.table["segment"].tolist() == ["a", "b"]
    assert eff.table["n_control"].tolist() == [1000, 1000]
