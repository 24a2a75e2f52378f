"""Personas before an experiment's start (helpers.analysis.experiments.prestart): the month
review read when it exists, and who counts as new since the start."""

import datetime as dt
import json
from types import SimpleNamespace

import ibis
import pandas as pd

from helpers.analysis.experiments import prestart as ps

D = dt.date


def _project():
    ud = pd.DataFrame(
        {
            "user_id": ["a", "b", "c", "d"],
            "day": [D(2024, 2, 10), D(2024, 1, 5), D(2024, 2, 29), D(2024, 3, 1)],
        }
    )
    return SimpleNamespace(user_day=ibis.memtable(ud))


def test_the_review_of_the_month_before_the_start_is_read(tmp_path):
    art = tmp_path / "2024-02" / "artifacts"
    art.mkdir(parents=True)
    pd.DataFrame({"user_id": ["a", "c"], "persona": [2, 1]}).to_csv(
        art / "personas.csv", index=False
    )
    cards = {"cards": [{"persona": 1, "name": "Buyers"}, {"persona": 2, "name": "Browsers"}]}
    (art / "persona_cards.json").write_text(json.dumps(cards))
    # a later review (after the start) must not be read
    (tmp_path / "2024-03" / "artifacts").mkdir(parents=True)
    before = ps.prestart_personas(_project(), start="2024-03-01", reports_dir=tmp_path, text=str)
    assert (before.source, before.month, before.as_of) == ("review", "2024-02", D(2024, 2, 29))
    assert before.path == str(art / "personas.csv") and before.clustered == 2
    assert before.personas.to_dict() == {"a": "Browsers (2)", "c": "Buyers (1)"}
    # b was active in January (no persona in February's review); d first came on the start day
    assert before.active_before == {"a", "b", "c"}
    assert before.segment(["a", "b", "c", "d"]).tolist() == [
        "Browsers (2)",
        "(no persona at start)",
        "Buyers (1)",
        "(new since start)",
    ]


def test_the_review_month_is_the_last_one_ended_before_the_start():
    assert ps.review_month_before("2024-03-01") == "2024-02"
    assert ps.review_month_before("2024-03-31") == "2024-02"  # March is not over on the 30th
    assert ps.review_month_before("2024-04-01") == "2024-03"
    a = pd.DataFrame(
        {"experiment": ["x", "x", "y"], "assigned_day": ["2024-03-05", "2024-03-02", "2024-01-01"]}
    )
    assert ps.experiment_start_day(a, experiment="x") == D(2024, 3, 2)
    assert ps.experiment_start_day(a, experiment="x", start="2024-02-20") == D(2024, 2, 20)
