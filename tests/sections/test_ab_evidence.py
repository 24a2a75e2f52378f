"""The sentences of the A/B readout's newer sections, on toys with known numbers: where the
missing users of a sample-ratio mismatch are (ab_diagnosis), what the MDE means for the decision
and how the lift moved over time (ab_evidence)."""

import datetime as dt
import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from helpers.analysis.experiments import health as hc  # noqa: E402
from helpers.analysis.experiments import readout as ex  # noqa: E402
from helpers.analysis.experiments.diagnosis import srm_diagnosis  # noqa: E402
from helpers.analysis.experiments.timeline import cumulative_from_sums  # noqa: E402
from helpers.display.blocks import Paragraph  # noqa: E402
from helpers.display.format import fmt  # noqa: E402
from helpers.display.registry import render  # noqa: E402
from helpers.sections import ab_diagnosis as ed  # noqa: E402
from helpers.sections import ab_evidence as ev  # noqa: E402
from tests.analysis.experiments.toys import per_user, srm_assignments  # noqa: E402

Z = 1.959963984540054 + 0.8416212335729143  # z_0.975 + z_0.8
DAYS = [dt.date(2024, 3, 1) + dt.timedelta(days=i) for i in range(20)]


def test_the_diagnosis_names_the_arm_the_slice_and_the_day():
    rows = []
    for i, day in enumerate(DAYS):
        for platform in ("android", "ios"):
            rows += [("control", platform, day)] * 50
            lost = platform == "android" and i >= 8
            rows += [("treatment", platform, day)] * (10 if lost else 50)
    users = pd.DataFrame(rows, columns=["variant", "platform", "assigned_day"])
    d = srm_diagnosis(users, dimensions=["assigned_day", "platform"])
    # 12 days x 40 android users missing = 480 of an expected 2,000 treatment users: 24%
    assert ed.diagnosis_sentence(d) == (
        "treatment is 24% short (480 of an expected 2,000 users are missing): from 2024-03-09 "
        "on (0% short before that day, 40% after), only where platform is android."
    )
    bad = hc.health_checks(srm_assignments(), experiment="exp")
    readout = ex.analyze_experiment(per_user(), metrics=["converted"], health=bad)
    out = render(ed.srm_diagnosis_view(readout, d))
    assert "Look for what is different in those slices" in out
    assert "<summary>By assignment day (20 slices)</summary>" in out
    assert "<summary>By platform (2 slices)</summary>" in out
    fine = ex.analyze_experiment(per_user(), metrics=["converted"])
    assert ed.srm_diagnosis_view(fine, d) == Paragraph(
        "Users per variant match the design split: there are no missing users to locate."
    )


def test_power_sentences_say_what_the_mde_means():
    clear = ex.analyze_experiment(per_user(), metrics=["converted"], primary=["converted"])
    se = math.sqrt(0.1 * 0.9 / 2000 + 0.15 * 0.85 / 2000)
    mde_rel = Z * se / 0.1
    row = clear.results.set_index("variant").loc["treatment"]
    assert ev.power_sentence(clear, row.rename(None).to_dict() | {"variant": "treatment"}) == (
        f"treatment: this test could detect a change in conversion of {fmt(mde_rel, 'share')} "
        "or more (80% power); the observed +50.0% is beyond that: a clear result."
    )
    # 10% vs 10.5%: +5%, not significant; users needed = 2,000 * (mde / lift)^2
    small = ex.analyze_experiment(
        per_user(conv_t=210), metrics=["converted"], primary=["converted"], target_lift=0.1
    )
    r = small.results.set_index("variant").loc["treatment"].to_dict() | {"variant": "treatment"}
    se = math.sqrt(0.1 * 0.9 / 2000 + 0.105 * 0.895 / 2000)
    needed = 2000 * (Z * se / 0.005) ** 2
    text = ev.power_sentence(small, r)
    assert text.startswith(
        f"treatment: this test could detect a change in conversion of {fmt(Z * se / 0.1, 'share')}"
        " or more (80% power); the observed +5.0% is below that: not enough users to tell. "
        f"Detecting it would take about {fmt(round(needed), 'count')} users per variant"
    )
    assert text.endswith(
        f"Power to detect the target lift of +10.0%: {fmt(r['power_target'], 'share', digits=0)}."
    )
    flat = per_user().assign(converted=0)  # nobody converts: no variance, no MDE
    none = ex.analyze_experiment(flat, metrics=["converted"], primary=["converted"])
    r0 = none.results.set_index("variant").loc["treatment"].to_dict() | {"variant": "treatment"}
    assert ev.power_sentence(none, r0) == (
        "treatment: conversion does not vary in this data (or has too few users), so the test "
        "has no minimum detectable effect to give."
    )
    view = render(ev.power_view(small))
    assert "MDE and power of every metric (1 rows)" in view
    assert "Power at the target lift" in view


def test_lift_over_time_sentence_and_chart():
    users = pd.DataFrame(
        [(v, d, 1000) for d in DAYS[:10] for v in ("control", "treatment")],
        columns=["variant", "day", "users"],
    )
    inc = pd.DataFrame(
        [
            (v, d, float(s), float(s))
            for i, d in enumerate(DAYS[:10])
            for v, s in (("control", 100), ("treatment", 400 if i == 0 else 100))
        ],
        columns=["variant", "day", "s1", "s2"],
    )
    c = cumulative_from_sums(users, inc, metric="converted", as_of=DAYS[9])
    final = c.table.iloc[-1]
    assert ev.timeline_sentence(c) == (
        "The cumulative lift of conversion fell from +75.0% on day 3 to +30.0% on day 9 "
        f"(interval {fmt(final['ci_low'], 'change')} to {fmt(final['ci_high'], 'change')}): "
        "the early effect is fading, as a novelty effect does; let it settle before deciding."
    )
    readout = ex.analyze_experiment(per_user(), metrics=["converted"], primary=["converted"])
    fig, ax = plt.subplots()
    assert isinstance(ev.lift_over_time(readout, c, ax=ax), Paragraph)
    assert ax.get_title() == "Cumulative lift of conversion by day since the start"
    assert ax.get_xlabel() == "days since the start (2024-03-01)"
    assert ax.get_ylabel() == "lift vs control (%)"
    assert len(ax.lines) == 2  # the lift and the no-change line
    plt.close(fig)
    steady = cumulative_from_sums(
        users, inc.assign(s1=100.0, s2=100.0), metric="converted", as_of=DAYS[9]
    )
    assert ev.timeline_sentence(steady) == (
        "On day 9 the cumulative lift of conversion is 0.0% (interval "
        f"{fmt(steady.table.iloc[-1]['ci_low'], 'change')} to "
        f"{fmt(steady.table.iloc[-1]['ci_high'], 'change')}); it has stayed inside that "
        "interval since day 0: a stable effect, not a novelty effect."
    )
