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
    assert ax.get_title().startswith("Survival by g (log-rank p-value ")
    m = CoxModel(random_state=0).fit(cox_data(600), "duration_days", "event", ["x", "z"])
    ax2 = plot_hazard_ratios(m)
    order = m.hazard_ratios_.sort_values("hr")["covariate"].tolist()
    assert [t.get_text() for t in ax2.get_yticklabels()] == order
    # hazard ratios read as plain numbers on the log axis, 1 among them
    ax2.figure.canvas.draw()
    ticks = [t.get_text() for t in ax2.get_xticklabels()]
    assert "1.0" in ticks and all("10^" not in x and "$" not in x for x in ticks)


def test_km_legend_moves_beside_a_crowded_chart():
    df = pd.DataFrame(
        {"duration_days": list(range(1, 17)), "event": 1, "g": [f"s{i % 8}" for i in range(16)]}
    )
    ax = plot_km(KaplanMeierByGroup().fit(df, "g"), at_risk=False)
    assert ax.get_legend().get_bbox_to_anchor().x0 > ax.get_window_extent().x1


def test_names_of_groups_and_covariates():
    assert group_name("persona_name") == "Persona"
    assert group_name("plan") == "Plan"
    refs = {"channel": "organic", "gender": "female"}
    assert covariate_label("events_first_14d", refs) == "Events in the first 14 days"
    assert covariate_label("gender_other", refs) == "Gender: other"
    assert covariate_label("channel_search_ads", refs) == "Channel: search_ads"
    assert covariate_label("channel_search_ads") == "channel_search_ads"
