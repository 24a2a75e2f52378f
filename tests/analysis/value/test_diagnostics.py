"""helpers.analysis.value.diagnostics: holdout and period-transaction checks on CDNOW, and their
drawings (helpers.plots.value)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from helpers.analysis.value.diagnostics import holdout_check, period_transactions  # noqa: E402
from helpers.plots import value as PV  # noqa: E402


def test_holdout_totals(cdnow_dir, orders, bg, calib_weeks):
    # actual by hand: distinct (customer, day) pairs in (1997-09-30, 1998-06-30]; every cdnow_dir
    # customer made their first purchase in Q1 1997, so all holdout buyers are in calibration.
    holdout = orders[(orders["date"] > 19970930) & (orders["date"] <= 19980630)]
    assert len(holdout) == 1959
    actual = holdout[["customer_id", "date"]].drop_duplicates().shape[0]
    assert actual == 1882
    check = holdout_check(bg, calib_weeks)
    assert check.loc["all", "actual_total"] == actual
    assert check.loc["all", "n_customers"] == 2357
    assert check["n_customers"].drop("all").tolist() == [1411, 439, 214, 100, 62, 38, 29, 64]
    # The model under-predicts the cdnow_dir holdout by 12%: 1653.4 predicted vs 1882 actual.
    assert check.loc["all", "predicted_total"] == pytest.approx(1653.409, rel=1e-3)
    assert check["predicted_total"].drop("all").sum() == pytest.approx(
        check.loc["all", "predicted_total"]
    )
    assert check.loc["0", "actual_mean"] == pytest.approx(334 / 1411)
    assert calib_weeks["duration_holdout"].iloc[0] == pytest.approx(273 / 7)  # 39 weeks


def test_period_transactions(bg, calib_weeks):
    table = period_transactions(bg, calib_weeks)
    assert table["n_actual"].tolist() == [1411, 439, 214, 100, 62, 38, 29, 64]
    assert table["n_expected"].sum() == pytest.approx(2357)
    # P(X(t) = 0) = (alpha / (alpha + t))^r for the BG/NBD
    r, alpha = bg.params_["r"], bg.params_["alpha"]
    zero = np.sum((alpha / (alpha + calib_weeks["T"])) ** r)
    assert table.loc["0", "n_expected"] == pytest.approx(zero, rel=1e-10)
    # the probabilities of one customer sum to 1 across counts (long tail included)
    probs = [bg.probability_of_purchases(k, 39.0) for k in range(400)]
    assert sum(probs) == pytest.approx(1.0, abs=1e-4)


def test_plots_draw_the_given_numbers(bg, calib_weeks):
    table = period_transactions(bg, calib_weeks)
    fig, axes = plt.subplots(1, 3)
    ax = PV.plot_period_transactions(table, ax=axes[0])
    assert ax is axes[0]
    heights = [p.get_height() for p in ax.patches]
    assert heights[:8] == [1411, 439, 214, 100, 62, 38, 29, 64]
    check = holdout_check(bg, calib_weeks)
    ax = PV.plot_holdout_check(check, ax=axes[1])
    assert len(ax.patches) == 16 and "1,882 actual" in ax.get_title()
    ax = PV.plot_probability_alive(
        bg.probability_alive(calib_weeks["frequency"], calib_weeks["recency"], calib_weeks["T"]),
        bins=10,
        ax=axes[2],
    )
    counts = [p.get_height() for p in ax.patches]
    assert sum(counts) == 2357 and counts[-1] >= 1411  # everyone with x = 0 has P(alive) = 1
    plt.close(fig)
