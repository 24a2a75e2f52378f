"""The 06_ab_readout section: how every readout result renders (toys with known numbers), the
artifact's sentences word for word, and the acceptance of the readout on a generated sample
with planted truths (truth.json).

The 2,500-user ``small_sample`` lacks power (checked: checkout_v2's conversion interval includes
zero there and onboarding_tips' SRM p is 0.0016), and the default 20,000-user sample costs
about 90 s to generate and cache on a 2-core machine. An 8,000-user, 6-month sample has the
power (checkout_v2 z of about 5, onboarding_tips SRM p of about 1e-13) at a third of the cost.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
import re
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from helpers.analysis.experiments import diagnosis as dg  # noqa: E402
from helpers.analysis.experiments import health as hc  # noqa: E402
from helpers.analysis.experiments import inputs as ei  # noqa: E402
from helpers.analysis.experiments import per_user as pu  # noqa: E402
from helpers.analysis.experiments import prestart as ps  # noqa: E402
from helpers.analysis.experiments import readout as ex  # noqa: E402
from helpers.analysis.experiments import timeline as tl  # noqa: E402
from helpers.analysis.experiments.segments import segment_effects  # noqa: E402
from helpers.core.time import month_bounds  # noqa: E402
from helpers.display.blocks import Callout, Note  # noqa: E402
from helpers.display.format import fmt  # noqa: E402
from helpers.display.messages import columns  # noqa: E402
from helpers.display.registry import render  # noqa: E402
from helpers.display.text import t  # noqa: E402
from helpers.sections import ab_evidence as ev  # noqa: E402
from helpers.sections import ab_readout as eh  # noqa: E402
from helpers.sections import ab_segments as es  # noqa: E402
from tests.analysis.experiments.toys import (  # noqa: E402
    health_assignments,
    per_user,
    srm_assignments,
)

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


def _readout(project, experiment, as_of, *, relative=True, reports_dir=None):
    """The notebook's calls with its default parameters (keep in step with 06_ab_readout):
    the readout and what the notebook builds beside it."""
    assignments = ei.assignments_frame(
        project.tables.get("assignments"), experiment=experiment, as_of=as_of
    )
    per_user = pu.user_metrics(
        project.tables["assignments"],
        project.user_day,
        experiment=experiment,
        window_days=28,
        as_of=as_of,
    )
    health = hc.readout_health(assignments, per_user, experiment=experiment, split=[], start="")
    readout = ex.analyze_experiment(
        per_user,
        experiment=experiment,
        control="control",
        metrics=ei.readout_metrics(),
        primary=["converted"],
        guardrails=["active_days", "retained_d7"],
        cuped=True,
        health=health,
        sequential=False,
        relative=relative,
        target_lift=None,
    )
    before = ps.prestart_personas(
        project,
        reports_dir=reports_dir,
        text=t,
        start=ps.experiment_start_day(assignments, experiment=experiment, start=""),
    )
    segments = ei.attach_segments(
        per_user, personas=before, users=project.users_frame(), user_day=project.user_day
    )
    readout = ei.add_segments(readout, segments)
    diagnosis = dg.srm_diagnosis(
        segments.per_user, dimensions=[hc.ASSIGNED_DAY, *segments.columns], split=[]
    )
    timeline = tl.cumulative_lift(
        project.tables["assignments"],
        project.user_day,
        experiment=experiment,
        metric="converted",
        control="control",
        window_days=28,
        as_of=as_of,
    )
    return SimpleNamespace(
        readout=readout,
        per_user=segments.per_user,
        before=before,
        diagnosis=diagnosis,
        timeline=timeline,
        record=eh.readout_record(readout, diagnosis=diagnosis, timeline=timeline, personas=before),
    )


@pytest.fixture(scope="module")
def checkout_run(project, as_of):
    return _readout(project, "checkout_v2", as_of, relative=False)


@pytest.fixture(scope="module")
def onboarding_run(project, as_of):
    return _readout(project, "onboarding_tips", as_of)


@pytest.fixture(scope="module")
def checkout(checkout_run):
    return checkout_run.readout


@pytest.fixture(scope="module")
def onboarding(onboarding_run):
    return onboarding_run.readout


def _row(readout, metric):
    res = readout.results
    return res[(res["metric"] == metric) & (res["variant"] == "treatment")].iloc[0]


# --- rendering (toys with known numbers) -------------------------------------------------------

LABELS = {label for label, _ in columns().values()}


def headers(text: str) -> list[str]:
    """Text of the header cells that are labels (not values of the data)."""
    return [html.unescape(h) for h in re.findall(r"<th>([^<]*)</th>", text)]


def cells(text: str) -> list[str]:
    return [html.unescape(c) for c in re.findall(r"<td[^>]*>([^<]*)</td>", text)]


def assert_clean(text: str) -> None:
    """Every header a catalog label; no raw flags, NaN, raw column names or 0.0 p-values."""
    assert headers(text) and set(headers(text)) <= LABELS, set(headers(text)) - LABELS
    for bad in ("True", "False", "nan", "NaN", "None", "NaT", "0.0"):
        assert bad not in cells(text)
    for raw in ("lift_rel", "p_holm", "ci_rel_low", "cuped_variance_reduction", "n_control"):
        assert raw not in text


@pytest.fixture(scope="module")
def toy_health():
    a = health_assignments()
    pu_ = pd.DataFrame({"user_id": ["c0", "t1"], "events": [3, 1]})
    return hc.readout_health(a, pu_, experiment="exp", min_per_variant=5)


@pytest.fixture(scope="module")
def toy_invalid():
    bad = hc.health_checks(srm_assignments(), experiment="exp")
    r = ex.analyze_experiment(
        per_user(), experiment="exp", metrics=["converted"], primary=["converted"], health=bad
    )
    return ei.add_segments(r, ei.attach_segments(per_user(), users=_platforms()))


def _platforms():
    return per_user()[["user_id", "persona"]].rename(columns={"persona": "platform"})


def _toy_readout(**kw):
    return ex.analyze_experiment(
        per_user(),
        experiment="exp",
        metrics=["converted", "revenue", ex.RatioMetric("revenue_per_order", "revenue", "orders")],
        primary=["converted"],
        guardrails=["active_days"],
        **kw,
    )


def test_health_renders_counts_words_and_labels(toy_health):
    out = render(toy_health)
    assert_clean(out)
    assert headers(out) == ["Check", "Status", "p-value", "What was found"]
    text = html.unescape(out)
    assert "4 of 6 checks passed, 1 failed, 1 not checked." in text
    assert "Failed: Users in several variants. The readout of this experiment is invalid" in text
    got = dict(zip(cells(out)[::4], cells(out)[1::4]))
    assert got == {
        "Users in several variants": "FAILED",
        "Sample ratio": "passed",
        "Minimum sample": "passed",
        "Activity after assignment": "passed",
        "Overlap with promo": "passed",
        "Assigned before the start": "not checked",
    }
    assert "1 of 12 users (8.33%) were assigned to more than one variant" in text
    assert "Users per variant (control 6, treatment 5) match the expected split " in text
    assert "(control 50%, treatment 50%)" in text
    assert "The smallest variant has 5 users (minimum 5)." in text  # a float 5.0 in the table
    assert "9 of 11 assigned users (81.8%) had no activity after assignment" in text
    assert "3 users are also in experiment promo; its variants are balanced" in text
    assert "set the parameter `experiment_start`" in text
    assert "0.763" in cells(out)  # SRM p = chi2.sf(0.5 / 5.5, 1), three decimals
    assert "–" in cells(out)  # checks without a p-value show the one missing mark


def test_record_keeps_the_artifact_sentences_word_for_word(toy_health):
    # the sentences ab_<experiment>.json had before the display layer, rebuilt as they were
    t = toy_health.table.set_index("check")
    p_srm, p_act = t.at["srm", "p_value"], t.at["no_later_activity", "p_value"]
    p_promo = t.at["overlap:promo", "p_value"]
    readout = ex.analyze_experiment(per_user(), metrics=["converted"], health=toy_health)
    record = eh.readout_record(readout)
    assert [c["sentence"] for c in record["health_checks"]] == [
        f"1 of 12 users ({1 / 12:.2%}) were assigned to more than one variant; they are excluded.",
        f"Users per variant (control 6, treatment 5) against the configured split (control 50%, "
        f"treatment 50%): chi-square p = {p_srm:.4g}.",
        "The smallest variant has 5 users (minimum 5).",
        f"9 of 11 assigned users ({9 / 11:.1%}) had no activity after assignment; difference "
        f"between variants p = {p_act:.4g}.",
        f"3 users are also in experiment 'promo'; its variants are balanced across this one's "
        f"(p = {p_promo:.4g}).",
        "Assignments before the experiment start were not checked: set the parameter "
        "`experiment_start` (YYYY-MM-DD).",
    ]
    assert [set(c) for c in record["health_checks"]] == [
        {"check", "status", "value", "p_value", "sentence"}
    ] * 6
    assert record["health_checks"][5]["value"] is None and record["decision"] == "invalid"
    assert record["reasons"] == [
        "Health check failed: " + record["health_checks"][0]["sentence"],
        "The lifts below are not evidence either way: fix the assignment (or its logging) and "
        "rerun.",
    ]
    dated = hc.health_checks(
        health_assignments(), experiment="exp", start="2024-03-01", min_per_variant=6
    )
    r2 = ex.analyze_experiment(per_user(), metrics=["converted"], health=dated)
    sentences = [c["sentence"] for c in eh.readout_record(r2)["health_checks"]]
    assert (
        sentences[2] == "The smallest variant has 5 users (minimum 6); too few in ['treatment']."
    )
    assert (
        sentences[3]
        == "1 users were assigned before the experiment start 2024-03-01T00:00:00+00:00."
    )


def test_record_reasons_word_for_word():
    ship = eh.readout_record(_toy_readout())
    assert ship["decision"] == "ship treatment"
    assert ship["reasons"] == [
        "No health checks were passed; assignment quality is unchecked.",
        "treatment: every primary metric improved (Holm p < 0.05) and no guardrail got worse.",
    ]
    guard = ex.analyze_experiment(
        per_user(guard_shift=1.0),
        metrics=["converted"],
        primary=["converted"],
        guardrails=["active_days"],
    )
    p = guard.results.set_index(["metric", "variant"]).at[
        ("active_days", "treatment"), "p_decision"
    ]
    assert eh.readout_record(guard)["reasons"][1] == (
        f"treatment: guardrail active_days got worse (p = {p:.3g})."
    )
    null = ex.analyze_experiment(
        per_user(conv_t=205), metrics=["converted"], primary=["converted"]
    )
    p = null.results.set_index(["metric", "variant"]).at[("converted", "treatment"), "p_decision"]
    assert eh.readout_record(null)["reasons"][1] == (
        f"treatment: the primary metrics are not conclusive (Holm p: converted {p:.3g})."
    )
    small = hc.health_checks(srm_assignments(2000, 2000), experiment="exp", min_per_variant=3000)
    r = ex.analyze_experiment(
        per_user(), metrics=["converted"], primary=["converted"], health=small
    )
    p = r.results.set_index(["metric", "variant"]).at[("converted", "treatment"), "p_decision"]
    record = eh.readout_record(r)
    assert record["reasons"] == [
        f"treatment: a variant is below the minimum sample (Holm p: converted {p:.3g})."
    ]
    assert record["health_checks"][2]["sentence"] == (
        "The smallest variant has 2000 users (minimum 3000); too few in ['control', 'treatment']."
    )


def test_decision_box_words_and_tone(toy_invalid):
    box = eh.decision_box(_toy_readout())
    assert isinstance(box, Callout) and box.tone == "good"
    assert box.title == "Decision for exp: ship treatment"
    assert box.lines[-1] == (
        "treatment: every primary metric improved (Holm-adjusted p-value below 0.05) and no "
        "guardrail got worse."
    )
    bad = eh.decision_box(toy_invalid)
    assert bad.tone == "bad" and bad.title == "Decision for exp: invalid"
    assert bad.lines[0].startswith(
        "Health check failed (Sample ratio): Users per variant (control 2,200, treatment 1,800) "
        "do not match the expected split (control 50%, treatment 50%)"
    )
    guard = ex.analyze_experiment(
        per_user(guard_shift=1.0),
        experiment="exp",
        metrics=["converted"],
        primary=["converted"],
        guardrails=["active_days"],
    )
    box = eh.decision_box(guard)
    assert box.tone == "bad" and box.title == "Decision for exp: do not ship"
    assert box.lines[1] == "treatment: the guardrail active days got worse (p-value < 0.001)."
    assert eh.decision_word(guard.decision) == "do not ship"


def test_frequentist_table_formats_each_metric_in_its_unit():
    r = _toy_readout()
    out = render(eh.metrics_view(r))
    assert_clean(out)
    main, details = out.split("<details", 1)
    assert headers(main) == [
        "Metric",
        "Role",
        "Relative lift",
        "Interval",
        "p (relative)",
        "Absolute change",
        "Interval (absolute)",
        "p (absolute)",
    ]
    assert headers(details) == ["Metric", "p-value", "Holm p", "BH p"]
    assert re.findall(r"<th class='pk-value'>([^<]*)</th>", out) == ["control", "treatment"]
    conv = r.results.set_index(["metric", "variant"]).loc[("converted", "treatment")]
    row = cells(main)[:10]
    assert row[:5] == ["conversion", "primary", "10.0%", "15.0%", "+50.0%"]
    assert row[5] == f"{fmt(conv['ci_rel_low'], 'change')} to {fmt(conv['ci_rel_high'], 'change')}"
    assert row[7] == "+5.0 pts"  # an absolute lift of a share is in points
    assert row[8] == f"{fmt(conv['ci_abs_low'], 'pp')} to {fmt(conv['ci_abs_high'], 'pp')}"
    assert row[6] == row[9] == "< 0.001"
    text = html.unescape(out)
    assert "Users: control 2,000, treatment 2,000." in text
    assert "Holm p and BH p: adjusted for the 4 comparisons." in text
    assert "Decision p-values and multiple-testing adjustments (4 comparisons)" in text


def test_cuped_and_bayesian_tables():
    r = _toy_readout()
    cuped = render(eh.metrics_view(r, method="cuped"))
    assert_clean(cuped)
    assert cuped.startswith("<details") and "CUPED-adjusted lifts (1 rows)" in cuped
    assert [c for c in cells(cuped)][:1] == ["revenue per user"]
    text = html.unescape(cuped)
    assert (
        "Not adjusted (no value before assignment, or a ratio): conversion, revenue per order, active days."
        in text
    )
    reduction = r.results.set_index(["metric", "variant"]).at[
        ("revenue", "treatment"), "cuped_variance_reduction"
    ]
    assert cells(cuped)[1] == f"{100 * reduction:.1f}%"
    bayes = render(eh.metrics_view(r, method="bayesian"))
    assert_clean(bayes)
    assert headers(bayes)[:2] == ["Metric", "Chance to win"]
    assert cells(bayes)[:3] == ["conversion", "100.0%", "+50.0%"]


def test_an_invalid_readout_shows_no_lift_after_the_decision(toy_invalid):
    for method in ("frequentist", "cuped", "bayesian"):
        note = eh.metrics_view(toy_invalid, method=method)
        assert isinstance(note, Note) and note.kind == "warning"
        assert note.text.startswith("This readout is invalid (Sample ratio failed)")
    fig, ax = plt.subplots()
    chart = eh.lifts_chart(toy_invalid, ax=ax)
    assert isinstance(chart, Note) and not plt.fignum_exists(fig.number)  # no chart is shown
    fig, ax = plt.subplots()
    seg = html.unescape(render(es.segments_view(toy_invalid, ei.attach_segments(per_user()))))
    assert "This readout is invalid (Sample ratio failed), so no per-segment lift is shown" in seg
    assert "<table" not in seg and "%" not in seg.split("invalid", 1)[1]
    assert "No persona snapshot before the start was given" in seg
    for view in (ev.power_view(toy_invalid), ev.lift_over_time(toy_invalid, None, ax=ax)):
        assert isinstance(view, Note) and view.kind == "warning"
        assert view.text.startswith("This readout is invalid (Sample ratio failed), so no ")
    whole = html.unescape(render(toy_invalid))
    assert "Decision for exp: invalid" in whole and "Chance to win" not in whole


def test_lifts_chart_and_segments_of_a_valid_readout():
    r = _toy_readout()
    fig, ax = plt.subplots()
    assert eh.lifts_chart(r, ax=ax) is None and plt.fignum_exists(fig.number)
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "conversion",
        "revenue per user",
        "revenue per order",
        "active days",
    ]
    plt.close(fig)
    found = ei.attach_segments(per_user(), users=_platforms())
    with_segments = ei.add_segments(r, found)
    out = render(es.segments_view(with_segments, found))
    assert_clean(out)
    text = html.unescape(out)
    assert "Platform per user: 4,000 of 4,000 assigned users have one." in text
    assert "Lift of conversion by platform: treatment vs control" in text
    assert headers(out) == ["Segment", "Users", "Lift", "CI low", "CI high", "p-value", "BH p"]
    assert cells(out)[:4] == ["a", "2,000", "10.0%", "15.0%"]
    assert "<summary>Lift per platform: the table</summary>" in out  # the table is collapsed


def test_segment_effects_render_without_decimals_in_counts():
    df = pd.DataFrame(
        {
            "variant": ["control", "treatment"] * 6,
            "seg": ["a"] * 6 + ["b"] * 6,
            "y": [1.0, 2.0, 2.0, 3.0, 3.0, 4.0, 1.0, 1.0, 2.0, 2.0, 3.0, 3.0],
        }
    )
    eff = segment_effects(df, metric="y", segment_col="seg", relative=False)
    out = render(eff)
    assert_clean(out)
    assert cells(out)[:5] == ["a", "6", "2.00", "3.00", "1.00"]  # absolute lift, as numbers
    assert "No evidence that the lifts differ between segments (Cochran's Q 0.75" in html.unescape(
        out
    )


# --- planted truths --------------------------------------------------------------------------------


def test_checkout_conversion_interval_covers_planted_lift_and_excludes_zero(checkout, truth):
    r = _row(checkout, "converted")
    planted = truth["checkout_v2"]["absolute_lift_conversion"]
    assert r["ci_abs_low"] < planted < r["ci_abs_high"]
    assert r["ci_abs_low"] > 0
    assert checkout.decision.value == "ship treatment"


def test_srm_flags_onboarding_tips_not_checkout(checkout, onboarding, truth):
    srm = onboarding.srm_p_value
    assert srm < 0.001
    assert srm == pytest.approx(truth["onboarding_tips"]["srm_p_value"], rel=1e-9)
    assert onboarding.health.table.set_index("check").at["srm", "status"] == "fail"
    assert onboarding.decision.value == "invalid"
    assert onboarding.primary_lift is None  # no headline lift from a broken assignment
    assert checkout.srm_p_value >= 0.001
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


@pytest.fixture(scope="module")
def report(sample, tmp_path_factory):
    """06_ab_readout rendered for both experiments of the sample (English), as `run` does."""
    from helpers.report.runner import run_review

    out = tmp_path_factory.mktemp("ab_report")
    result = run_review(sample / "persona.yaml", out=out, only=["06_ab_readout"], progress=False)
    (month_dir,) = [d for d in out.iterdir() if d.is_dir()]
    return SimpleNamespace(out=out, month=month_dir, result=result)


def test_notebook_writes_the_helpers_readout(report, project, as_of, onboarding_run):
    checkout_relative = _readout(project, "checkout_v2", as_of)  # the notebook's default scale
    for name, run in (("checkout_v2", checkout_relative), ("onboarding_tips", onboarding_run)):
        written = json.loads((report.month / "artifacts" / f"ab_{name}.json").read_text())
        _assert_same(run.record, written)
    written = json.loads((report.month / "artifacts" / "ab_checkout_v2.json").read_text())
    assert [s["metric"] for s in written["segments"]] == [
        "converted by persona",
        "converted by platform",
    ]
    assert written["design_split"] == {"control": 0.5, "treatment": 0.5}
    assert written["design_split_source"] == "equal"
    assert written["persona_snapshot"]["source"] == "fitted"
    assert written["lift_over_time"]["trend"] == {"treatment": "stable"}
    assert "srm_diagnosis" not in written
    metrics = json.loads(
        (report.month / "artifacts" / "metrics" / "ab_checkout_v2.json").read_text()
    )
    assert metrics["decision"]["value"] == "ship treatment"
    assert metrics["decision"]["display"] == "ship treatment"
    assert metrics["srm_p_value"]["value"] == pytest.approx(
        written["health_checks"][1]["p_value"], rel=1e-12
    )


def _visible_text(page: str) -> str:
    """The words of a rendered report: the body without tags, styles and scripts."""
    body = page.split("<body", 1)[1]
    body = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", body, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


SIGNED = re.compile(r"[+\u2212-]\d[\d.,]*\s?(%|pts)")  # a lift: +24.9%, -2.1%, +5.0 pts


def test_invalid_readout_shows_the_diagnosis_and_no_lift(report, truth):
    page = (report.month / "ab_onboarding_tips.html").read_text()
    text = _visible_text(page)
    onb = truth["onboarding_tips"]
    assert "Decision for onboarding_tips: invalid" in text
    # the planted 20% of treatment rows, dropped at random: every day, platform and persona.
    # What the data can tell: treatment is expected as large as control (an equal split), so
    # missing = control rows - treatment rows; the planted count differs by the odd user the
    # random split gave one arm
    expected, observed = onb["rows"]["control"], onb["rows"]["treatment"]
    missing = expected - observed
    assert abs(missing - onb["missing_treatment_rows"]) <= 1
    assert (
        f"treatment is {missing / expected:.0%} short ({missing:,} of an expected "
        f"{expected:,} users are missing): on every assignment day from {onb['start']}, "
        "evenly across every persona before the start, evenly across every platform."
    ) in " ".join(text.split())
    days = (dt.date.fromisoformat(onb["end"]) - dt.date.fromisoformat(onb["start"])).days + 1
    assert "Where the shortfall is" in text and f"By assignment day ({days} slices)" in text
    lift_labels = {
        "Relative lift",
        "Absolute change",
        "Interval",
        "Interval (absolute)",
        "Lift",
        "CI low",
        "Chance to win",
        "Credible low",
        "CUPED lift",
        "MDE (relative)",
        "Power at the observed lift",
    }
    assert not lift_labels & set(headers(page))  # no table of lifts anywhere
    for words in ("Chance to win", "CUPED-adjusted lifts (", "MDE", "Lift per", "(Cochran's Q"):
        assert words not in text, words
    # no signed percentage outside the diagnosis' slice tables (whose shortfall column is
    # negative where a slice has more treatment users than the split expects)
    slices = re.compile(r"<details class=.pk-details.><summary>By .*?</details>", re.S)
    assert SIGNED.findall(_visible_text(slices.sub(" ", page))) == []
    assert len(slices.findall(page)) == 3
    assert page.count("<img") == 1  # the assignments chart only: no lift chart
    record = json.loads((report.month / "artifacts" / "ab_onboarding_tips.json").read_text())
    assert record["srm_diagnosis"]["missing"] == missing
    assert record["srm_diagnosis"]["observed"] == observed
    assert "lift_over_time" not in record


def test_valid_readout_shows_power_and_lift_over_time(report, checkout_run):
    text = " ".join(_visible_text((report.month / "ab_checkout_v2.html").read_text()).split())
    r = checkout_run.readout.results.set_index(["metric", "variant"]).loc[
        ("converted", "treatment")
    ]
    assert (
        f"treatment: this test could detect a change in conversion of {fmt(r['mde_rel'], 'share')} "
        "or more (80% power)"
    ) in text
    final = checkout_run.timeline.trend["treatment"]["final"]
    day = int(final["day_index"])
    assert day == checkout_run.timeline.table["day_index"].max()  # the last day of the month
    assert (
        f"On day {day} the cumulative lift of conversion is {fmt(final['lift'], 'change')}" in text
    )
    assert "Users per variant match the design split" in text
    start = checkout_run.before.start.isoformat()
    assert f"Personas before the start ({start}): fitted on the" in text


def test_per_persona_effects_use_personas_before_the_start(checkout_run, project):
    before, per_user = checkout_run.before, checkout_run.per_user
    first_assigned = min(checkout_run.per_user["assigned_day"])
    assert before.start == first_assigned and before.as_of == first_assigned - dt.timedelta(1)
    assert before.source == ps.FITTED  # no month review before the start was run here
    ud = project.user_day
    first = ud.group_by("user_id").aggregate(first=ud["day"].cast("date").min()).execute()
    first = pd.to_datetime(first.set_index("user_id")["first"]).dt.date < before.start
    seen_before = per_user["user_id"].map(first).fillna(False).astype(bool)
    new = per_user["persona"] == ps.NEW_SINCE_START
    assert (new == ~seen_before).all()  # new since start: exactly the users first seen after
    assert new.sum() > 0
    has = per_user["user_id"].isin(before.personas.index)
    assert (
        per_user.loc[has, "persona"] == per_user.loc[has, "user_id"].map(before.personas)
    ).all()
    (eff,) = [e for e in checkout_run.readout.segments if e.segment_col == "persona"]
    assert int((eff.table["n_control"] + eff.table["n_treatment"]).sum()) == len(per_user)
    assert ps.NEW_SINCE_START in set(eff.table["segment"])  # kept, not dropped


def test_every_remaining_sentence_renders():
    # minimum sample only: the readout may keep running but not ship
    small = hc.health_checks(srm_assignments(2000, 2000), experiment="exp", min_per_variant=3000)
    text = html.unescape(render(small))
    assert "Failed: Minimum sample. The readout can say keep running, but not ship." in text
    assert "too few in control, treatment." in text
    r = ex.analyze_experiment(
        per_user(), metrics=["converted"], primary=["converted"], health=small
    )
    (line,) = eh.decision_box(r).lines
    assert line.startswith("treatment: the primary metrics improved, but a variant is below")
    assert line.endswith("(Holm-adjusted p-value: conversion < 0.001).")
    # a primary metric that got worse, no primary metric, CUPED off, sequential intervals
    worse = ex.analyze_experiment(
        per_user(conv_t=100),
        metrics=["converted"],
        primary=["converted"],
        cuped=False,
        sequential=True,
    )
    assert eh.decision_box(worse).lines[1] == (
        "treatment: the primary metric conversion got worse (Holm-adjusted p-value < 0.001)."
    )
    assert eh.metrics_view(worse, method="cuped") == Note(
        "CUPED was turned off (parameter `cuped`).", kind="info"
    )
    assert "(always-valid, safe to peek)" in html.unescape(render(eh.metrics_view(worse)))
    none = ex.analyze_experiment(per_user(), metrics=["converted"])
    assert eh.decision_box(none).lines[-1] == (
        "No primary metric was declared (parameter `primary`)."
    )
    assert eh.decision_box(none).tone == "warning"
    assert "no per-segment effects" in render(
        es.segments_view(none, ei.attach_segments(per_user()))
    )
    one = segment_effects(per_user().assign(seg="all"), metric="converted", segment_col="seg")
    assert "Too few segments with data to test" in render(one)


def test_absolute_lifts_are_shown_in_each_metric_unit():
    r = _toy_readout(relative=False)
    res = r.results.set_index(["metric", "variant"])
    frequentist = render(eh.metrics_view(r))
    assert_clean(frequentist)
    rows = [cells(frequentist)[i : i + 10] for i in range(0, 40, 10)]
    assert [x[0] for x in rows] == [
        "conversion",
        "revenue per user",
        "revenue per order",
        "active days",
    ]
    assert rows[0][7] == "+5.0 pts"  # conversion: an absolute lift of a share, in points
    revenue = res.loc[("revenue", "treatment"), "lift_abs"]
    signed = ("+" if revenue > 0 else "") + fmt(revenue, "money")
    assert rows[1][7] == signed.replace("+-", "-")  # revenue: money, signed
    active = res.loc[("active_days", "treatment"), "lift_abs"]
    assert rows[3][7] == ("+" if active > 0 else "") + fmt(active, "number")  # active days
    for method in ("cuped", "bayesian"):
        assert_clean(render(eh.metrics_view(r, method=method)))
    assert cells(render(eh.metrics_view(r, method="bayesian")))[2] == "+5.0 pts"


def test_the_invalid_readout_becomes_a_fix_naming_the_planted_missing_rows(report, truth):
    from helpers.analysis import action_plan as plan

    rec = json.loads((report.month / "artifacts" / "ab_onboarding_tips.json").read_text())
    planted = truth["onboarding_tips"]
    assert rec["decision"] == "invalid"
    arm, users, expected = plan.under_logged_arm(rec)
    # the generator splits exactly and then drops missing_treatment_rows of the treatment rows;
    # the readout counts the users assigned by the month's end, so the control arm it measures
    # against can differ from the planted one by a user or two
    assert arm == "treatment"
    assert (
        abs((expected - users) - planted["missing_treatment_rows"])
        <= 0.01 * planted["missing_treatment_rows"]
    )
    (fix,) = plan.experiment_actions([rec], text=t)
    assert fix["action"].startswith("Fix onboarding_tips before reading it: the treatment arm has")
    assert f"({planted['under_logged_share']:.1%} missing)" in fix["action"]
