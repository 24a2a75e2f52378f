"""The monthly review's glue: KPIs with month-over-month change, action list, experiment lines,
data-quality verdict, and the drawings, on hand-made inputs with answers worked out by hand."""

from __future__ import annotations

import datetime as dt

import matplotlib

matplotlib.use("Agg")

import ibis  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from helpers.analysis.segments.migration import PersonaSnapshot, compare_months, migration_matrix  # noqa: E402
from helpers.plots import review as rplots  # noqa: E402
from helpers.sections import persona_review as review  # noqa: E402
from helpers.sections.active_users import Note  # noqa: E402


# --- KPIs --------------------------------------------------------------------------------------------
def _user_day(rows):
    df = pd.DataFrame(
        rows, columns=["user_id", "day", "events", "active_events", "orders", "revenue"]
    )
    df["day"] = pd.to_datetime(df["day"]).dt.date
    df["refunds"] = 0
    return ibis.memtable(df)


def test_month_kpis_on_a_hand_made_user_day():
    # September: a and b active (a on 2 days), a spends 30. October: a (spends 10, 20), c new,
    # b silent -> active 2, revenue 30 -> 15 per active user; lifecycle of October:
    # a returning, c new, b dormant -> quick ratio (1 new + 0 resurrecting) / 1 dormant = 1.
    ud = _user_day(
        [
            ("a", "2026-09-10", 3, 3, 1, 30.0),
            ("a", "2026-09-20", 1, 1, 0, 0.0),
            ("b", "2026-09-15", 2, 2, 0, 0.0),
            ("a", "2026-10-05", 2, 2, 1, 10.0),
            ("a", "2026-10-06", 2, 2, 1, 20.0),
            ("c", "2026-10-20", 1, 1, 0, 0.0),
            ("c", "2026-10-21", 4, 0, 0, 0.0),  # passive only: not active that day
        ]
    )
    risk = pd.DataFrame({"risk_band": ["low", "high", "critical", "medium"]})
    k = review.month_kpis(ud, month="2026-10", churn_risk=risk)
    assert k["active_users"] == 2
    assert k["revenue_per_active_user"] == pytest.approx(15.0)
    assert k["quick_ratio"] == pytest.approx(1.0)
    assert k["churn_risk_share"] == pytest.approx(0.5)
    # stickiness: DAU/MAU per day (28-day MAU), averaged over October's 31 days. Hand count:
    # MAU(d) = distinct users active in the 28 days to d; DAU is 1 on 10-05, 10-06, 10-20.
    days = pd.date_range("2026-10-01", "2026-10-31").date
    act = {
        "a": {
            dt.date(2026, 9, 10),
            dt.date(2026, 9, 20),
            dt.date(2026, 10, 5),
            dt.date(2026, 10, 6),
        },
        "b": {dt.date(2026, 9, 15)},
        "c": {dt.date(2026, 10, 20)},
    }
    ratios = []
    for d in days:
        mau = sum(any(d - dt.timedelta(days=27) <= x <= d for x in xs) for xs in act.values())
        dau = sum(d in xs for xs in act.values())
        ratios.append(dau / mau if mau else np.nan)
    assert k["stickiness"] == pytest.approx(np.nanmean(ratios))
    sept = review.month_kpis(ud, month="2026-09")
    assert sept["active_users"] == 2 and sept["revenue_per_active_user"] == pytest.approx(15.0)
    assert np.isnan(sept["churn_risk_share"])


def test_kpi_review_changes_and_readings():
    cur = {
        "active_users": 8128,
        "stickiness": 0.347,
        "quick_ratio": 1.33,
        "revenue_per_active_user": 45.5,
        "churn_risk_share": float("nan"),
    }
    prev = {
        "active_users": 7439,
        "stickiness": 0.346,
        "quick_ratio": 1.29,
        "revenue_per_active_user": 35.7,
        "churn_risk_share": 0.02,
    }
    k = review.kpi_review(cur, prev, month="2026-10", previous_month="2026-09")
    t = k.table.set_index("kpi")
    assert t.loc["active_users", "change"] == 689
    assert t.loc["active_users", "change_pct"] == pytest.approx(689 / 7439)
    assert (
        t.loc["active_users", "reading"]
        == "8,128 users were active in 2026-10, +9.3% vs 2026-09 (7,439)."
    )
    assert t.loc["stickiness", "reading"].endswith("+0.1 points vs 2026-09 (34.6%).")
    assert "more users came in" in t.loc["quick_ratio", "reading"]
    assert t.loc["churn_risk_share", "reading"].startswith("No churn-risk scores this month")
    # without a previous month: values stay, changes are missing and said so
    alone = review.kpi_review(
        cur, None, month="2026-10", previous_month="2026-09"
    ).table.set_index("kpi")
    assert np.isnan(alone.loc["active_users", "change_pct"])
    assert alone.loc["active_users", "reading"].endswith("no comparison with 2026-09.")
    html = k._repr_html_()
    assert "+0.1 pts" in html and "+9.3%" in html


# --- action list ---------------------------------------------------------------------------------------
CARDS = [
    {
        "persona": 1,
        "name": "Power users",
        "users": 4,
        "user_share": 0.5,
        "revenue_share": 0.9,
        "value": {"clv_per_user": 100.0},
        "action": "beta_program",
        "action_text": "Beta programs.",
    },
    {
        "persona": 3,
        "name": "Browsers",
        "users": 4,
        "user_share": 0.5,
        "revenue_share": 0.1,
        "value": {"clv_per_user": None},
        "action": "re_engagement",
        "action_text": "Re-engagement.",
    },
]
RISK = pd.DataFrame(
    {
        "user_id": ["a", "b", "c", "d", "e", "f"],
        "persona": [1, 1, 1, 3, 3, 3],
        "churn_risk_30d": [0.6, 0.9, 0.1, 0.8, 0.55, 0.2],
        "risk_band": ["high", "critical", "low", "critical", "high", "low"],
        "revenue_90d": [100.0, 50.0, 999.0, 0.0, 5.0, 7.0],
    }
)


def test_action_list_sizes_value_and_at_risk_users(tmp_path):
    actions = review.action_list(CARDS, RISK)
    t = actions.table.set_index("persona")
    assert t["users"].tolist() == [4, 4]
    assert t.loc[1, "clv_total"] == 400.0 and np.isnan(t.loc[3, "clv_total"])
    assert t["at_risk_users"].tolist() == [2, 2]
    assert t["at_risk_revenue_90d"].tolist() == [150.0, 5.0]
    assert t["at_risk_csv"].tolist() == ["at_risk_persona_1.csv", "at_risk_persona_3.csv"]
    # riskiest first within a persona, with the persona's action
    assert actions.at_risk["user_id"].tolist() == ["b", "a", "d", "e"]
    assert actions.at_risk["action"].tolist() == ["beta_program"] * 2 + ["re_engagement"] * 2

    (tmp_path / "at_risk_persona_7.csv").write_text("user_id\nstale\n")  # left by an earlier run

    class Ctx:  # the artifact writer of a report context
        artifacts = tmp_path

        def write_csv(self, df, name):
            path = tmp_path / name
            df.to_csv(path, index=False)
            return path

    paths = review.write_action_csvs(Ctx(), actions)
    assert [p.name for p in paths] == ["at_risk_persona_1.csv", "at_risk_persona_3.csv"]
    assert pd.read_csv(paths[1])["user_id"].tolist() == ["d", "e"]
    assert sorted(p.name for p in tmp_path.glob("at_risk_*.csv")) == [
        "at_risk_persona_1.csv",
        "at_risk_persona_3.csv",
    ]
    assert "href='artifacts/at_risk_persona_1.csv'" in actions._repr_html_()


def test_action_list_degrades_without_inputs():
    assert isinstance(review.action_list([], RISK), Note)
    no_risk = review.action_list(CARDS, None)
    assert no_risk.table["at_risk_users"].tolist() == [0, 0]
    assert "04_churn" in no_risk.note
    assert review.write_action_csvs(object(), review.action_list(None, None)) == []


# --- experiments ---------------------------------------------------------------------------------------
def _readout(name, decision, rel, ci, p, srm="ok"):
    return {
        "experiment": name,
        "decision": decision,
        "control": "control",
        "settings": {"primary": ["converted"]},
        "metrics": {
            "converted": {
                "control": {"n": 100, "mean": 0.4},
                "treatment": {
                    "n": 100,
                    "mean": 0.5,
                    "lift": {"rel": rel},
                    "ci": {"rel": ci},
                    "p_value": p,
                    "p_holm": p,
                },
            }
        },
        "health_checks": [
            {"check": "srm", "status": srm},
            {"check": "before_start", "status": "skipped"},
        ],
    }


def test_experiment_lines():
    lines = review.experiment_lines(
        [
            _readout("checkout_v2", "ship treatment", 0.2182, [0.1516, 0.2848], 4.41e-11),
            _readout("onboarding_tips", "invalid", 0.0046, [-0.074, 0.084], 1.0, srm="fail"),
        ]
    )
    assert lines.lines == [
        "checkout_v2: ship treatment; converted treatment +21.8% (95% CI +15.2% to +28.5%, p = 4.41e-11); "
        "health checks ok.",
        "onboarding_tips: invalid; health check failed: srm.",
    ]
    assert lines.table["health"].tolist() == ["ok", "failed"]
    assert isinstance(review.experiment_lines([]), Note)


# --- data quality --------------------------------------------------------------------------------------
def _audit(score, balanced=True, flags=(), coverage=0.9):
    return {
        "quality": {"overall": score},
        "sources": {"events": {"balanced": balanced, "checks": {"stitching_coverage": coverage}}},
        "volume_flags": list(flags),
    }


def test_data_quality_verdicts():
    assert review.data_quality_status(_audit(97.8), month="2026-10").status == "good"
    assert review.data_quality_status(_audit(90.0), month="2026-10").status == "caution"
    assert review.data_quality_status(_audit(80.0), month="2026-10").status == "poor"
    assert (
        review.data_quality_status(_audit(99.0, balanced=False), month="2026-10").status == "poor"
    )
    assert (
        review.data_quality_status(_audit(99.0, coverage=0.5), month="2026-10").status == "caution"
    )
    flagged = review.data_quality_status(
        _audit(
            99.0,
            flags=[
                {"source": "orders", "day": "2026-10-04", "flag": "drop"},
                {"source": "orders", "day": "2026-09-30", "flag": "spike"},
            ],
        ),
        month="2026-10",
    )
    assert flagged.status == "caution"
    assert flagged.reasons == ["unusual daily volume on 2026-10-04 (orders: drop)"]
    assert flagged.sentence.startswith("Read this month with care (data-quality score 99.0/100)")
    assert isinstance(review.data_quality_status(None, month="2026-10"), Note)


# --- comparison glue and drawings ------------------------------------------------------------------------
def _snap(groups, names, month):
    a = pd.DataFrame(
        [(u, p) for p, us in groups.items() for u in us], columns=["user_id", "persona"]
    )
    return PersonaSnapshot(a, names=names, month=month, next_number=max(groups) + 1)


def test_comparison_flows_and_plots():
    prev = _snap({1: list("abcd"), 2: list("efg")}, {1: "A", 2: "B"}, "2026-09")
    cur = _snap({1: list("abcx"), 2: list("efgyz")}, {1: "A now", 2: "B now"}, "2026-10")
    comp = review.persona_comparison(prev, cur)
    assert comp.table["name"].tolist() == ["A", "B"]
    flows = review.flow_summary(comp, n=3)
    assert flows.sentences[0] == (
        "6 users stayed in their persona, 0 moved to another, 3 are new to the "
        "personas and 1 of last month's were not active."
    )
    assert flows.changes == []
    assert isinstance(review.persona_comparison(None, cur), Note)
    assert isinstance(review.persona_comparison(prev, None), Note)
    fig, axes = plt.subplots(1, 3)
    ax = rplots.plot_migration(comp, ax=axes[0])
    img = ax.images[0].get_array()
    # colour = share of the row: persona 1 row is 3 stayed, 1 gone of 4
    assert img[0].tolist() == [0.75, 0.0, 0.25]
    assert [t.get_text() for t in ax.texts][:3] == ["3", "0", "1"]
    ax2 = rplots.plot_persona_change(comp, ax=axes[1])
    assert sorted(p.get_width() for p in ax2.patches) == [3, 4, 4, 5]
    ax3 = rplots.plot_migration(review.persona_comparison(None, cur), ax=axes[2])
    assert "No personas for the previous month" in ax3.texts[0].get_text().replace("\n", " ")
    plt.close(fig)


def test_compare_months_uses_the_recorded_alignment():
    prev = _snap({1: list("abcd"), 2: list("efg")}, {1: "A", 2: "B"}, "2026-09")
    cur = _snap({1: list("abc"), 5: list("efgh")}, {1: "A", 5: "New one"}, "2026-10")
    cur.alignment = {
        "previous_month": "2026-09",
        "rule": "recorded",
        "table": [
            {
                "persona": 1,
                "status": "kept",
                "centroid_shift": 0.7,
                "kept_share": 0.75,
                "stayed_share": 1.0,
                "drifted": True,
            },
            {
                "persona": 5,
                "status": "new",
                "centroid_shift": None,
                "kept_share": None,
                "stayed_share": None,
                "drifted": False,
            },
            {
                "persona": 2,
                "status": "gone",
                "centroid_shift": None,
                "kept_share": None,
                "stayed_share": None,
                "drifted": False,
            },
        ],
    }
    comp = compare_months(prev, cur)
    t = comp.table.set_index("persona")
    assert t["status"].to_dict() == {1: "kept", 2: "gone", 5: "new"}
    assert t.loc[1, "centroid_shift"] == 0.7 and bool(t.loc[1, "drifted"])
    assert comp.migration.matrix.loc[2, 5] == 3  # e f g moved from gone persona 2 to new 5
    assert (
        review.flow_summary(comp)
        .changes[0]
        .startswith("Persona 1. A drifted: its centre moved 0.70")
    )
    assert migration_matrix(prev.assignments, cur.assignments).matrix.values.sum() == 8


# --- the runner builds the previous month's personas when they are missing ----------------------------
def _fixture_personas_notebook(folder):
    """A stand-in 03_personas: writes artifacts/persona_cards.json, nothing else (seconds to run)."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(
        'month: str = "2026-01"  # YYYY-MM\nout_dir: str = ""  # folder'
    )
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        params,
        nbformat.v4.new_code_cell(
            "import pathlib\n"
            "p = pathlib.Path(out_dir) / 'artifacts'\n"
            "p.mkdir(parents=True, exist_ok=True)\n"
            "(p / 'persona_cards.json').write_text('{\"cards\": []}')"
        ),
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path = folder / "03_personas.ipynb"
    nbformat.write(nb, path)
    return path


def test_runner_builds_the_previous_months_personas_first(tmp_path):
    from types import SimpleNamespace

    from helpers.report.runner import run_review

    (tmp_path / "persona.yaml").write_text("name: Fixture shop\n")
    config = SimpleNamespace(
        name="Fixture shop",
        timezone="UTC",
        config_path=tmp_path / "persona.yaml",
        root=tmp_path,
        report=SimpleNamespace(out_dir=None, title=None),
    )
    project = SimpleNamespace(
        config=config,
        fingerprint="fp",
        data_start=dt.date(2025, 11, 1),
        data_end=dt.date(2026, 3, 31),
        tables={"assignments": None},
        latest_complete_month=lambda: "2026-02",
    )
    kwargs = dict(
        out=tmp_path / "out",
        notebooks=[_fixture_personas_notebook(tmp_path)],
        project=project,
        progress=False,
    )
    first = run_review(tmp_path / "persona.yaml", month="2026-02", **kwargs)
    assert first.executed == ["2026-01/03_personas", "2026-02/03_personas"]
    assert (tmp_path / "out" / "2026-01" / "artifacts" / "persona_cards.json").exists()
    assert (tmp_path / "out" / "2026-01" / "index.html").exists()
    # the previous month's personas exist now: nothing to build, and the month is unchanged
    assert run_review(tmp_path / "persona.yaml", month="2026-02", **kwargs).executed == []
    # the first month of the data has no previous month to build
    assert run_review(tmp_path / "persona.yaml", month="2025-11", **kwargs).executed == [
        "2025-11/03_personas"
    ]


def test_recorded_numbers_show_what_the_index_will(tmp_path):
    from types import SimpleNamespace

    from helpers.core.metrics import record_metric

    ctx = SimpleNamespace(out_dir=tmp_path, name="06_persona_review")
    record_metric(
        tmp_path, ctx.name, "at_risk_users", 1234, label="at-risk users on the action list"
    )
    record_metric(
        tmp_path,
        ctx.name,
        "data_quality",
        "good",
        label="data quality",
        fmt="{}",
        note="98.9 / 100",
    )
    rows = review.recorded_numbers(ctx).rows
    assert rows.values.tolist() == [
        ["at-risk users on the action list", "1,234", ""],
        ["data quality", "good", "98.9 / 100"],
    ]
    assert (
        "No headline number"
        in review.recorded_numbers(SimpleNamespace(out_dir=tmp_path, name="x"))._repr_html_()
    )
