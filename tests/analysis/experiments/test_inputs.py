"""The inputs of a readout (helpers.analysis.experiments.inputs): the preflight's messages, the
segment columns attached to a toy per-user table, and the segments added to a readout."""

import datetime as dt

import pandas as pd
import pytest

from helpers.analysis.experiments import inputs as ei
from helpers.analysis.experiments import readout as ex
from helpers.analysis.experiments.prestart import FITTED, PrestartPersonas
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


def test_attach_segments_uses_the_personas_before_the_start():
    pu = pd.DataFrame({"user_id": ["a", "b", "c", "d"], "variant": ["control", "treatment"] * 2})
    before = PrestartPersonas(
        dt.date(2024, 3, 1),
        FITTED,
        personas=pd.Series({"a": "Buyers (2)", "b": "Browsers (1)"}),
        active_before={"a", "b", "c"},
    )
    users = pd.DataFrame({"user_id": ["c"], "platform": ["web"]})
    got = ei.attach_segments(pu, personas=before, users=users)
    assert got.columns == ["persona", "platform"]
    assert got.covered == {"persona": 2, "platform": 1}
    assert got.users == 4 and got.personas is before
    # c was active before the start but had no persona then; d is new: neither is dropped
    assert got.per_user["persona"].tolist() == [
        "Buyers (2)",
        "Browsers (1)",
        "(no persona at start)",
        "(new since start)",
    ]
    assert got.per_user["platform"].tolist() == ["(none)", "(none)", "web", "(none)"]
    assert "persona" not in pu.columns  # the input is not modified
    none = PrestartPersonas(dt.date(2024, 3, 1), "none", reason="too few users")
    missing = ei.attach_segments(pu, personas=none)
    assert missing.columns == [] and missing.covered == {}


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
