"""Acceptance of the A/B readout on a generated sample with planted truths (truth.json).

The 2,500-user ``small_sample`` lacks power (checked: checkout_v2's conversion interval includes
zero there and onboarding_tips' SRM p is 0.0016), and the default 20,000-user sample costs
about 90 s to generate and cache on a 2-core machine. An 8,000-user, 6-month sample has the
power (checkout_v2 z of about 5, onboarding_tips SRM p of about 1e-13) at a third of the cost.
"""

from __future__ import annotations

import json
import math

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from helpers.analysis.experiments import readout as ex  # noqa: E402
from helpers.core.errors import ParameterError  # noqa: E402
from helpers.core.time import month_bounds  # noqa: E402
from helpers.sections import ab_readout as eh  # noqa: E402
from tests.conftest import ROOT  # noqa: E402

SAMPLE_USERS = 8_000
SAMPLE_MONTHS = 6


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    from helpers.sample.generator import generate_sample

    d = tmp_path_factory.mktemp("ab") / "sample"
    generate_sample(d, users=SAMPLE_USERS, months=SAMPLE_MONTHS)
    return d


@pytest.fixture(scope="module")
def truth(sample):
    return json.loads((sample / "truth.json").read_text())["experiments"]


@pytest.fixture(scope="module")
def project(sample):
    from helpers.data.pipeline import load_project

    return load_project(sample / "persona.yaml")


@pytest.fixture(scope="module")
def as_of(project):
    return month_bounds(project.latest_complete_month())[1]


def _readout(project, experiment, as_of, *, relative=True, personas_path=None):
    """The notebook's calls with its default parameters (keep in step with 05_ab_readout)."""
    assignments = eh.assignments_frame(
        project.tables.get("assignments"), experiment=experiment, as_of=as_of
    )
    per_user = ex.user_metrics(
        project.tables["assignments"],
        project.user_day,
        experiment=experiment,
        window_days=28,
        as_of=as_of,
    )
    health = eh.readout_health(assignments, per_user, experiment=experiment, split=[], start="")
    readout = ex.analyze_experiment(
        per_user,
        experiment=experiment,
        control="control",
        metrics=eh.readout_metrics(),
        primary=["converted"],
        guardrails=["active_days", "retained_d7"],
        cuped=True,
        health=health,
        sequential=False,
        relative=relative,
    )
    segments = eh.attach_segments(
        per_user,
        personas_path=personas_path,
        users=project.users_frame(),
        user_day=project.user_day,
    )
    return eh.add_segments(readout, segments), per_user


@pytest.fixture(scope="module")
def checkout(project, as_of):
    return _readout(project, "checkout_v2", as_of, relative=False)[0]


@pytest.fixture(scope="module")
def onboarding(project, as_of):
    return _readout(project, "onboarding_tips", as_of)[0]


def _row(readout, metric):
    res = readout.results
    return res[(res["metric"] == metric) & (res["variant"] == "treatment")].iloc[0]


# --- preflight (toy tables) ----------------------------------------------------------------------


def test_preflight_names_the_missing_source_and_the_experiments_found():
    with pytest.raises(ParameterError, match="no assignments"):
        eh.assignments_frame(None, experiment="checkout_v2")
    df = pd.DataFrame(
        {
            "user_id": ["a", "b", "c"],
            "experiment": ["x", "y", "x"],
            "variant": ["control", "treatment", "treatment"],
            "assigned_day": ["2024-03-02", "2024-03-05", "2024-03-09"],
        }
    )
    with pytest.raises(ParameterError, match=r"`experiment`.*\['x', 'y'\].*'z' was passed"):
        eh.assignments_frame(df, experiment="z")
    with pytest.raises(ParameterError, match=r"first assignment \(2024-03-05\).*2024-03-04"):
        eh.assignments_frame(df, experiment="y", as_of="2024-03-04")
    kept = eh.assignments_frame(df, experiment="x", as_of="2024-03-05")
    assert kept["user_id"].tolist() == ["a", "b"]  # c was assigned after as_of


# --- planted truths --------------------------------------------------------------------------------


def test_checkout_conversion_interval_covers_planted_lift_and_excludes_zero(checkout, truth):
    r = _row(checkout, "converted")
    planted = truth["checkout_v2"]["absolute_lift_conversion"]
    assert r["ci_abs_low"] < planted < r["ci_abs_high"]
    assert r["ci_abs_low"] > 0
    assert checkout.decision == "ship treatment"


def test_srm_flags_onboarding_tips_not_checkout(checkout, onboarding, truth):
    srm = eh.headline_metrics(onboarding)["srm_p_value"]
    assert srm < 0.001
    assert srm == pytest.approx(truth["onboarding_tips"]["srm_p_value"], rel=1e-9)
    assert onboarding.health.table.set_index("check").at["srm", "status"] == "fail"
    assert onboarding.decision == "invalid"
    assert (
        eh.headline_metrics(onboarding)["primary_lift"] is None
    )  # no headline lift from a broken assignment
    assert eh.headline_metrics(checkout)["srm_p_value"] >= 0.001
    assert len(checkout.health.failed) == 0


def test_cuped_narrows_revenue_and_covers_planted_effect(checkout, truth):
    r = _row(checkout, "revenue")
    planted = truth["checkout_v2"]["absolute_lift_revenue_per_user"]
    assert r["cuped_variance_reduction"] > 0.05
    assert (r["cuped_ci_high"] - r["cuped_ci_low"]) < (r["ci_abs_high"] - r["ci_abs_low"])
    assert r["cuped_ci_low"] < planted < r["cuped_ci_high"]


# --- the notebook ------------------------------------------------------------------------------------


def _assert_same(a, b, path="json"):
    if isinstance(a, dict):
        assert set(a) == set(b), path
        for k in a:
            _assert_same(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and isinstance(b, (int, float)):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12), (path, a, b)
    else:
        assert a == b, (path, a, b)


def test_notebook_writes_the_helpers_readout(sample, project, as_of, tmp_path):
    import papermill as pm

    out = tmp_path / "report"
    personas = out / "artifacts" / "personas.csv"
    personas.parent.mkdir(parents=True)
    planted = pd.read_csv(sample / "truth_users.csv.gz", usecols=["user_id", "persona"])
    planted.to_csv(personas, index=False)  # as 03_personas would write it
    pm.execute_notebook(
        str(ROOT / "notebooks" / "05_ab_readout.ipynb"),
        str(tmp_path / "ab.ipynb"),
        kernel_name="persona-kit",
        cwd=str(ROOT / "notebooks"),
        progress_bar=False,
        parameters={
            "config_path": str(sample / "persona.yaml"),
            "out_dir": str(out),
            "experiment": "checkout_v2",
        },
    )
    written = json.loads((out / "artifacts" / "ab_checkout_v2.json").read_text())
    readout, _ = _readout(project, "checkout_v2", as_of, personas_path=personas)
    _assert_same(readout.to_json(), written)
    assert [s["metric"] for s in written["segments"]] == [
        "converted by persona",
        "converted by platform",
    ]
    metrics = json.loads((out / "artifacts" / "metrics" / "ab_checkout_v2.json").read_text())
    assert metrics["decision"]["value"] == "ship treatment"
    assert metrics["srm_p_value"]["value"] == pytest.approx(
        written["health_checks"][1]["p_value"], rel=1e-12
    )
