"""The monthly review as it shows: KPI readings and table, data-quality verdict, action list,
experiment lines, persona comparison, flows, drawings and recorded numbers, on hand-made inputs
with answers worked out by hand."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from helpers.analysis.actions import ActionList  # noqa: E402
from helpers.analysis.kpis import MonthKpis, kpi_review  # noqa: E402
from helpers.analysis.segments.migration import compare_months, migration_matrix  # noqa: E402
from helpers.analysis.segments.snapshot import PersonaSnapshot  # noqa: E402
from helpers.core.metrics import record_metric  # noqa: E402
from helpers.data.audit import Audit, EventChecks, Quality, SourceAudit, VolumeFlag  # noqa: E402
from helpers.display.blocks import Note  # noqa: E402
from helpers.display.format import fmt, set_currency  # noqa: E402
from helpers.display.messages import columns  # noqa: E402
from helpers.display.registry import render  # noqa: E402
from helpers.display.text import t  # noqa: E402
from helpers.plots import review as rplots  # noqa: E402
from helpers.sections import persona_review as review  # noqa: E402
from helpers.sections import review_personas as personas  # noqa: E402
from tests.analysis.action_toys import CARDS as TOY_CARDS  # noqa: E402
from tests.analysis.action_toys import RISK


@pytest.fixture(autouse=True)
def _cny():
    set_currency("CNY")
    yield
    set_currency(None)


def headers_are_labels(html: str) -> list[str]:
    """Every header that is not a data value (class pk-value), checked to be a catalog label."""
    heads = re.findall(r"<th(?=[\s>])(?: class='([^']*)')?[^>]*>(.*?)</th>", html)
    return [text for cls, text in heads if cls != "pk-value"]


# --- KPIs ----------------------------------------------------------------------------------------
CUR = MonthKpis(
    active_users=8128.0,
    stickiness=0.347,
    quick_ratio=1.33,
    revenue_per_active_user=45.5,
    churn_risk_share=float("nan"),
)
PREV = MonthKpis(
    active_users=7439.0,
    stickiness=0.346,
    quick_ratio=1.29,
    revenue_per_active_user=35.7,
    churn_risk_share=0.02,
)


def test_kpi_readings():
    k = kpi_review(CUR, PREV, month="2026-10", previous_month="2026-09")
    assert (
        review.kpi_reading(k, "active_users")
        == "8,128 users were active in 2026-10, +9.3% vs 2026-09 (7,439)."
    )
    assert review.kpi_reading(k, "stickiness").endswith("+0.1 pts vs 2026-09 (34.6%).")
    assert "more users came in" in review.kpi_reading(k, "quick_ratio")
    assert review.kpi_reading(k, "revenue_per_active_user") == (
        "Each active user brought CN¥45.50 of revenue in 2026-10, +27.5% vs 2026-09 (CN¥35.70)."
    )
    assert review.kpi_reading(k, "churn_risk_share").startswith("No churn-risk scores this month")
    alone = kpi_review(CUR, None, month="2026-10", previous_month="2026-09")
    assert review.kpi_reading(alone, "active_users").endswith("no comparison with 2026-09.")


def test_kpi_table_shows_each_kpi_in_its_kind():
    k = kpi_review(CUR, PREV, month="2026-10", previous_month="2026-09")
    html = render(k)
    for shown in ("8,128", "7,439", "+9.3%", "34.7%", "+0.1 pts", "1.33", "CN¥45.50", "CN¥35.70"):
        assert f">{shown}<" in html, shown
    assert "8,128.0" not in html and "change_pct" not in html and "nan" not in html
    assert ">–<" in html  # the churn-risk share this month: one missing mark
    assert headers_are_labels(html) == ["KPI", "This month", "Last month", "Change", "Reading"]


# --- data quality --------------------------------------------------------------------------------
def _audit(score, balanced=True, flags=(), coverage=0.9):
    checks = EventChecks(
        time_range=("2026-01-01T00:00:00+00:00", "2026-10-31T00:00:00+00:00"),
        before_launch=0,
        in_future=0,
        duplicate=0,
        null_user_id=0,
        anonymous_rows=10,
        stitched_via_identities=9,
        stitched_via_events=0,
        unstitched_anonymous=1,
        stitching_coverage=coverage,
        event_name_variant=0,
    )
    kept = 100 if balanced else 90  # 90 + 0 dropped != 100 read
    src = SourceAudit("events", 100, kept, {"duplicate": 0}, checks)
    return Audit({"events": src}, Quality({"events": score}, score), "UTC", volume_flags=flags)


def test_data_quality_verdicts():
    def status(audit):
        return review.data_quality(audit, month="2026-10").status

    assert status(_audit(97.8)) == "good"
    assert status(_audit(90.0)) == "caution"
    assert status(_audit(80.0)) == "poor"
    assert status(_audit(99.0, balanced=False)) == "poor"
    assert status(_audit(99.0, coverage=0.5)) == "caution"
    flagged = review.data_quality(
        _audit(
            99.0,
            flags=(
                VolumeFlag("orders", "2026-10-04", 10, 90.0, -5.1, "drop"),
                VolumeFlag("orders", "2026-09-30", 300, 90.0, 6.2, "spike"),
            ),
        ),
        month="2026-10",
    )
    assert flagged.status == "caution"
    assert review.quality_reasons(flagged) == ["unusual daily volume on 2026-10-04 (orders: drop)"]
    assert review.quality_sentence(flagged) == (
        "Read this month with care (data-quality score 99.0/100)."
    )
    assert review.quality_summary(flagged).endswith(
        "Reasons: unusual daily volume on 2026-10-04 (orders: drop)."
    )
    poor = review.data_quality(_audit(80.0, balanced=False), month="2026-10")
    assert review.quality_reasons(poor) == [
        "the quality score is below 85",
        "rows do not add up in events",
    ]
    low = review.data_quality(_audit(99.0, coverage=0.5), month="2026-10")
    assert review.quality_reasons(low) == [
        "only 50% of anonymous events rows are stitched to a user"
    ]
    assert isinstance(review.data_quality(None, month="2026-10"), Note)


def test_data_quality_shows_as_a_callout():
    html = render(review.data_quality(_audit(80.0), month="2026-10"))
    assert "pk-callout pk-bad" in html and "Data quality: poor" in html
    assert "Do not rely on this month&#x27;s numbers (data-quality score 80.0/100)." in html
    assert "the quality score is below 85" in html


# --- action list ---------------------------------------------------------------------------------
CARDS = list(reversed(TOY_CARDS))  # power users first, as the review receives them


def test_action_list_shows_and_writes_the_at_risk_lists(tmp_path):
    actions = personas.action_list(CARDS, RISK)
    assert isinstance(actions, ActionList)
    html = render(actions)
    # CN¥35: (0.6 x 100 + 0.9 x 50) x 30/90, the 30-day stake of persona 1
    for shown in ("1. Power users", "Beta programs.", "CN¥400", "CN¥35", "90.0%"):
        assert shown in html, shown
    assert "4 active users are at high or critical 30-day churn risk" in html
    assert "artifacts/at_risk_persona_&lt;number&gt;.csv" in html
    # each persona with at-risk users links to its list; persona 2 has none
    assert "<a href='artifacts/at_risk_persona_1.csv'>1. Power users: 2 users to save</a>" in html
    assert "href='artifacts/at_risk_persona_3.csv'" in html
    assert "at_risk_persona_2.csv" not in html
    assert "400.0" not in html and "clv_total" not in html
    assert all(is_labelled_text(h) for h in headers_are_labels(html))

    (tmp_path / "at_risk_persona_7.csv").write_text("user_id\nstale\n")  # left by an earlier run

    class Ctx:  # the artifact writer of a report context
        artifacts = tmp_path

        def write_csv(self, df, name):
            path = tmp_path / name
            df.to_csv(path, index=False)
            return path

    paths = personas.write_action_csvs(Ctx(), actions)
    assert [p.name for p in paths] == ["at_risk_persona_1.csv", "at_risk_persona_3.csv"]
    assert pd.read_csv(paths[1])["user_id"].tolist() == ["d", "e"]
    assert sorted(p.name for p in tmp_path.glob("at_risk_*.csv")) == [
        "at_risk_persona_1.csv",
        "at_risk_persona_3.csv",
    ]


def is_labelled_text(header: str) -> bool:
    return header in {label for label, _ in columns().values()}


def test_action_list_degrades_without_inputs():
    assert isinstance(personas.action_list([], RISK), Note)
    no_risk = personas.action_list(CARDS, None)
    assert no_risk.table["at_risk_users"].tolist() == [0, 0]
    assert "04_churn" in render(no_risk)
    assert personas.write_action_csvs(object(), personas.action_list(None, None)) == []


# --- experiments ---------------------------------------------------------------------------------
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
            _readout("banner", "keep control", -0.01, [-0.05, 0.03], 0.0123),
        ]
    )
    assert lines.lines == [
        "checkout_v2: ship treatment; conversion treatment +21.8% (95% CI +15.2% to +28.5%, "
        "p-value < 0.001); health checks ok.",
        "onboarding_tips: invalid; health check failed: Sample ratio.",  # no lift when invalid
        "banner: keep control; conversion treatment -1.0% (95% CI -5.0% to +3.0%, "
        "p-value 0.012); health checks ok.",
    ]
    assert lines.health == ["ok", "failed", "ok"]
    html = render(lines)
    assert "<li>checkout_v2: ship treatment;" in html and "p-value &lt; 0.001" in html
    assert isinstance(review.experiment_lines([]), Note)


# --- comparison glue and drawings ----------------------------------------------------------------
def _snap(groups, names, month):
    a = pd.DataFrame(
        [(u, p) for p, us in groups.items() for u in us], columns=["user_id", "persona"]
    )
    return PersonaSnapshot(a, names=names, month=month, next_number=max(groups) + 1)


def test_comparison_flows_and_plots():
    prev = _snap({1: list("abcd"), 2: list("efg")}, {1: "A", 2: "B"}, "2026-09")
    cur = _snap({1: list("abcx"), 2: list("efgyz")}, {1: "A now", 2: "B now"}, "2026-10")
    comp = personas.persona_comparison(prev, cur)
    assert comp.table["name"].tolist() == ["A", "B"] and not comp.aligned
    html = render(comp)
    assert "1. A" in html and "kept" in html and ">4<" in html and ">5<" in html
    assert "centroid_shift" not in html and "False" not in html and "True" not in html
    assert "renumbered for this comparison" in html
    assert all(is_labelled_text(h) for h in headers_are_labels(html))
    flows = personas.flow_summary(comp, n=3)
    assert flows.sentences[0] == (
        "6 users stayed in their persona, 0 moved to another, 3 are new to the "
        "personas and 1 of last month's were not active."
    )
    assert flows.changes == []
    assert "none drifted beyond the thresholds" in render(flows)
    assert isinstance(personas.persona_comparison(None, cur), Note)
    assert isinstance(personas.persona_comparison(prev, None), Note)
    fig, axes = plt.subplots(1, 3)
    ax = rplots.plot_migration(comp, ax=axes[0])
    img = ax.images[0].get_array()
    # colour = share of the row: persona 1 row is 3 stayed, 1 gone of 4
    assert img[0].tolist() == [0.75, 0.0, 0.25]
    assert [x.get_text() for x in ax.texts][:3] == ["3", "0", "1"]
    assert [x.get_text() for x in ax.get_xticklabels()] == ["1. A", "2. B", "not active"]
    ax2 = rplots.plot_persona_change(comp, ax=axes[1])
    assert sorted(p.get_width() for p in ax2.patches) == [3, 4, 4, 5]
    ax3 = rplots.plot_migration(personas.persona_comparison(None, cur), ax=axes[2])
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
    comp = compare_months(prev, cur, text=t)
    tab = comp.table.set_index("persona")
    assert tab["status"].to_dict() == {1: "kept", 2: "gone", 5: "new"}
    assert tab.loc[1, "centroid_shift"] == 0.7 and bool(tab.loc[1, "drifted"])
    assert comp.migration.matrix.loc[2, 5] == 3  # e f g moved from gone persona 2 to new 5
    wrapped = personas.persona_comparison(prev, cur)
    assert wrapped.aligned
    changes = personas.flow_summary(wrapped).changes
    assert changes == [
        "Persona 1. A drifted: its centre moved 0.70 standard deviations and 100% of last "
        "month's members still active stayed in it.",
        "Persona 2. B (3 users last month) is gone.",
        "New persona 5. New one: 4 users.",
    ]
    html = render(wrapped)
    assert "when they were built" in html
    assert "0.70" in html and ">yes<" in html  # the drifted persona; new and gone show a dash
    assert migration_matrix(prev.assignments, cur.assignments).matrix.values.sum() == 8


# --- the runner builds the previous month's personas when they are missing ------------------------
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


# --- recorded numbers ----------------------------------------------------------------------------
def test_recorded_numbers_show_what_the_index_will(tmp_path):
    ctx = SimpleNamespace(out_dir=tmp_path, name="07_persona_review")
    record_metric(
        tmp_path,
        ctx.name,
        "at_risk_users",
        1234,
        label="at-risk users on the action list",
        display="1,234",
        kind="count",
    )
    record_metric(
        tmp_path,
        ctx.name,
        "data_quality",
        "good",
        label="data quality",
        display="good",
        kind="text",
        note="98.9 / 100",
    )
    rows = review.recorded_numbers(ctx).rows
    assert rows.values.tolist() == [
        ["at-risk users on the action list", "1,234", ""],
        ["data quality", "good", "98.9 / 100"],
    ]
    html = render(review.recorded_numbers(ctx))
    assert ">1,234<" in html and headers_are_labels(html) == ["Metric", "Value", "Note"]
    assert "No headline number" in render(
        review.recorded_numbers(SimpleNamespace(out_dir=tmp_path, name="x"))
    )


def test_record_review_records_the_baseline_keys(tmp_path):
    """What the review records: the KPI values as computed, the verdict as a code, counts."""

    class Ctx(SimpleNamespace):
        def record(self, key, value, *, kind="count", display=None, note="", **label_values):
            record_metric(
                self.out_dir,
                self.name,
                key,
                value,
                label=t(f"metric.{key}", **label_values),
                display=display if display is not None else fmt(value, kind),
                kind=kind,
                note=note,
            )

    ctx = Ctx(out_dir=tmp_path, name="07_persona_review")
    prev = _snap({1: list("abcd"), 2: list("efg")}, {1: "A", 2: "B"}, "2026-09")
    cur = _snap({1: list("abcx"), 2: list("efgyz")}, {1: "A now", 2: "B now"}, "2026-10")
    rows = review.record_review(
        ctx,
        kpis=kpi_review(CUR, PREV, month="2026-10", previous_month="2026-09"),
        quality=review.data_quality(_audit(97.8), month="2026-10"),
        comparison=personas.persona_comparison(prev, cur),
        actions=personas.action_list(CARDS, RISK),
    ).rows.set_index("metric")
    assert rows.loc["active users (calendar month)", "value"] == "8,128"
    assert rows.loc["active users (calendar month)", "note"] == "+9.3% vs 2026-09"
    assert rows.loc["stickiness DAU/MAU", "note"] == "+0.1 pts vs 2026-09"
    assert rows.loc["revenue per active user", "value"] == "CN¥45.50"
    assert rows.loc["active users at high or critical churn risk", "value"] == "–"
    assert rows.loc["data quality", "value"] == "good"
    assert rows.loc["personas kept from last month", "value"] == "2"
    assert rows.loc["at-risk users on the action list", "value"] == "4"
