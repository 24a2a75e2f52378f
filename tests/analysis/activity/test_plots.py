"""The activity charts (:mod:`helpers.plots.activity`) draw the numbers they are given, with
words from the catalog."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from helpers.analysis.activity.drivers import retention_drivers  # noqa: E402
from helpers.analysis.activity.lifecycle import lifecycle  # noqa: E402
from helpers.analysis.activity.profile import attribute_profile  # noqa: E402
from helpers.analysis.activity.retention import km_retention, retention_matrix  # noqa: E402
from helpers.analysis.activity.rolling import rolling_active  # noqa: E402
from helpers.analysis.activity.stickiness import (  # noqa: E402
    power_user_curve,
    stickiness_over_time,
)
from helpers.plots import activity as P  # noqa: E402
from tests.analysis.activity.toys import (  # noqa: E402
    AS_OF,
    drivers_toy,
    lifecycle_toy,
    power_toy,
    retention_toy,
    rolling_toy,
)


def test_lifecycle_chart_hatches_a_partial_week_and_skips_its_ratio():
    r = lifecycle(lifecycle_toy(), period="week", start="2024-01-08", end="2024-01-25")
    ax = P.plot_lifecycle(r)
    ratio = [
        line for a in ax.figure.axes for line in a.get_lines() if line.get_label() == "quick ratio"
    ][0]
    y = np.asarray(ratio.get_ydata(), float)
    assert not np.isnan(y[:2]).any() and np.isnan(y[2])
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "partial week (the data ends in it)" in legend
    assert [t for t in legend if t in ("returning", "resurrecting", "new", "dormant")] == [
        "returning",
        "resurrecting",
        "new",
        "dormant",
    ]  # once each
    hatched = [b for b in ax.patches if b.get_hatch() == "//"]
    assert len(hatched) == 4 and {round(b.get_x() + b.get_width() / 2) for b in hatched} == {
        2
    }  # W3's 4 bars
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        "2024-01-08",
        "2024-01-15",
        "2024-01-22",
    ]
    plt.close("all")


def test_plots_draw_the_numbers():
    lc = lifecycle(lifecycle_toy(), period="week", start="2024-01-08", end="2024-01-28")
    ax = P.plot_lifecycle(lc)
    heights = [round(b.get_height()) for b in ax.patches]
    assert heights[-3:] == [-1, -1, -1]  # dormant bars below zero
    assert sum(h for h in heights if h > 0) == 2 + 2 + 3
    qr = ax.figure.axes[1].lines[0].get_ydata()
    assert list(qr) == [1.0, 1.0, 2.0]
    assert ax.get_title() == "Lifecycle per week"
    rm = retention_matrix(retention_toy(), cohort="week", as_of=AS_OF, max_periods=3)
    ax = P.plot_retention_heatmap(rm)
    img = ax.images[0].get_array()
    assert int(np.ma.count_masked(img)) == 6  # W0: 1, W1: 2, W2: 3 cells not over by as_of
    assert img[0, 1] == pytest.approx(1 / 3)
    assert "33%" in [t.get_text() for t in ax.texts]  # 1 of 3, as a whole percentage
    rolling = rolling_active(rolling_toy(), start="2024-01-01", end="2024-01-10")
    ax = P.plot_active_users(rolling)
    assert list(ax.lines[0].get_ydata()) == [1, 1, 2, 2, 2, 2, 2, 2, 3, 3]  # MAU line
    assert [line.get_label() for line in ax.lines] == [
        "MAU (28 days)",
        "WAU (7 days)",
        "DAU (1 day)",
    ]
    power = power_user_curve(power_toy(), as_of="2024-01-28")
    for fn, res in [
        (P.plot_stickiness, rolling),
        (P.plot_power_users, power),
        (P.plot_stickiness_buckets, stickiness_over_time(power_toy(), as_of="2024-01-28")),
        (P.plot_retention_curve, rm),
        (P.plot_km_retention, km_retention(retention_toy(), as_of=AS_OF, max_periods=4)),
    ]:
        ax = fn(res)
        assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    assert P.plot_power_users(power).get_xlabel() == "active days in the 28 days to 2024-01-28"
    users = pd.DataFrame({"user_id": ["1", "2", "3", "4"], "plan": ["free", "free", "pro", None]})
    profile = attribute_profile(["1", "3"], users, attributes=["plan"])
    ax = P.plot_attribute_index(profile, attribute="plan")
    assert [round(b.get_width()) for b in ax.patches] == [-100, 0, 100]
    assert ax.get_title() == "Who is active by Plan"
    ax = P.plot_attribute_index(profile)
    assert [t.get_text() for t in ax.get_yticklabels()][1] == "Plan: free"
    assert P.plot_attribute_section(profile) is not None
    assert P.plot_attribute_section(object()) is None
    dr = retention_drivers(
        drivers_toy(),
        cohort_start="2024-01-01",
        cohort_end="2024-01-31",
        as_of="2024-02-04",
        thresholds=(1, 2),
    )
    ax = P.plot_drivers(dr)
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert ticks[0] == "★ share at least once in the first 7 days (r = 0.50)"
    assert ax.get_xlabel() == "retained on day 28 (% of users, 95% interval)"
    plt.close("all")
