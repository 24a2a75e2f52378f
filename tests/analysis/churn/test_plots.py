"""helpers.plots.churn: the charts draw what they are given, in the catalog's words."""

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402

from helpers.analysis.churn.cox import CoxModel  # noqa: E402
from helpers.analysis.churn.kaplan_meier import KaplanMeierByGroup  # noqa: E402
from helpers.plots.churn import (  # noqa: E402
    covariate_label,
    group_name,
    plot_hazard_ratios,
    plot_km,
)
from tests.analysis.churn.test_cox import cox_data  # noqa: E402


def test_plots_draw_what_they_are_given():
    df = pd.DataFrame(
        {
            "duration_days": [2, 3, 3, 5, 8, 4, 9, 12],
            "event": [1, 1, 0, 1, 0, 1, 1, 0],
            "g": list("aaaaabbb"),
        }
    )
    km = KaplanMeierByGroup().fit(df, "g")
    ax = plot_km(km)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b"]
    assert ax.get_title(loc="left").startswith("Share still active, by g (log-rank p-value ")
    assert ax.get_ylabel() == "share still active (not churned)"
    m = CoxModel(random_state=0).fit(cox_data(600), "duration_days", "event", ["x", "z"])
    ax2 = plot_hazard_ratios(m)
    order = m.hazard_ratios_.sort_values("hr")["covariate"].tolist()
    assert [t.get_text() for t in ax2.get_yticklabels()] == order
    # hazard ratios read as plain numbers on the log axis, 1 among them
    ax2.figure.canvas.draw()
    ticks = [t.get_text() for t in ax2.get_xticklabels()]
    assert "1" in ticks and all("10^" not in x and "$" not in x for x in ticks)


def test_km_legend_beside_the_chart_and_at_risk_counts_in_a_strip_under_it():
    df = pd.DataFrame(
        {"duration_days": list(range(1, 17)), "event": 1, "g": [f"s{i % 3}" for i in range(16)]}
    )
    km = KaplanMeierByGroup().fit(df, "g")
    ax = plot_km(km)
    ax.figure.canvas.draw()
    assert ax.get_legend().get_bbox_to_anchor().x0 > ax.get_window_extent().x1
    strip = [a for a in ax.figure.axes if a is not ax]
    assert len(strip) == 1
    names = [t.get_text() for t in strip[0].get_yticklabels()]
    assert names == ["s0", "s1", "s2"]
    # the strip lies under the chart, and holds the counts at risk of each group at each tick
    assert strip[0].get_window_extent().y1 < ax.get_window_extent().y0
    ticks = [x for x in ax.get_xticks() if ax.get_xlim()[0] <= x <= ax.get_xlim()[1]]
    texts = {t.get_text() for t in strip[0].texts}
    assert {str(v) for v in km.at_risk(ticks).to_numpy().ravel()} <= texts
    assert km.at_risk([0]).loc["s0", 0] == 6  # s0: lives 1, 4, 7, 10, 13, 16


def test_km_with_delayed_entry_starts_its_counts_after_day_zero():
    df = pd.DataFrame(
        {"duration_days": [5, 8, 12, 20, 30], "event": 1, "entry_days": [1, 2, 2, 3, 4]}
    )
    km = KaplanMeierByGroup(min_at_risk=1).fit(df)
    ax = plot_km(km)
    strip = [a for a in ax.figure.axes if a is not ax][0]
    # nobody is followed on day 0 with delayed entry: the table starts at the next tick
    assert "0" not in {t.get_text() for t in strip.texts}


def test_hazard_ratio_axis_keeps_plain_ticks_around_one_on_a_narrow_range():
    hr = pd.DataFrame(
        {"covariate": ["x"], "hr": [0.62], "hr_lower": [0.58], "hr_upper": [0.66], "p": [0.01]}
    )
    ax = plot_hazard_ratios(type("Fit", (), {"hazard_ratios_": hr})())
    ax.figure.canvas.draw()
    ticks = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert ticks == ["0.5", "0.7", "1"]
    assert not [t.get_text() for t in ax.get_xminorticklabels() if t.get_text()]


def test_names_of_groups_and_covariates():
    assert group_name("persona_name") == "Persona"
    assert group_name("plan") == "Plan"
    refs = {"channel": "organic", "gender": "female"}
    assert covariate_label("events_first_14d", refs) == "Events in the first 14 days"
    assert covariate_label("gender_other", refs) == "Gender: other (vs. female)"
    assert covariate_label("channel_search_ads", refs) == "Channel: search_ads (vs. organic)"
    assert covariate_label("channel_search_ads") == "channel_search_ads"
