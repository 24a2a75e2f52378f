"""The A/B charts (helpers.plots.experiments) draw the numbers they are given."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from helpers.analysis.experiments import readout as ex  # noqa: E402
from helpers.plots import experiments as pe  # noqa: E402
from tests.analysis.experiments.toys import health_assignments, per_user  # noqa: E402


def test_plots_draw_the_given_numbers():
    r = ex.analyze_experiment(
        per_user(), metrics=["converted", "revenue"], primary=["converted"], segment_col="persona"
    )
    fig, axes = plt.subplots(1, 4)
    ax = pe.plot_lifts(r, ax=axes[0])
    assert ax is axes[0]
    xs = ax.lines[0].get_xdata()
    assert list(xs) == pytest.approx(
        [0.5, r.results.set_index(["metric", "variant"]).loc[("revenue", "treatment"), "lift_rel"]]
    )
    assert [t.get_text() for t in ax.get_yticklabels()] == ["converted", "revenue"]
    assert ax.get_title() == "Lift of each metric over control"
    assert ax.get_xlabel() == "relative lift vs control, with interval"
    assert ax.xaxis.get_major_formatter()(0.25, 0) == "+25%"
    labelled = pe.plot_lifts(r, labels={"converted": "Conversion"}, ax=axes[3])
    assert [t.get_text() for t in labelled.get_yticklabels()] == ["Conversion", "revenue"]
    ax2 = pe.plot_segment_effects(r.segments[0], label="Conversion", ax=axes[1])
    assert list(ax2.lines[0].get_xdata()) == pytest.approx(r.segments[0].table["lift"].tolist())
    p = r.segments[0].q_p_value
    assert ax2.get_title() == f"Conversion: heterogeneity p-value {p:.3f}"
    ax3 = pe.plot_cumulative_assignments(health_assignments(), experiment="exp", ax=axes[2])
    # users counted once: control c0..c5 + 'both' (first row) = 7; treatment t0..t3 + early = 5
    finals = {line.get_label(): line.get_ydata()[-1] for line in ax3.lines}
    assert finals == {"control": 7, "treatment": 5}
    assert (
        ax3.get_title() == "Users assigned per variant over time: exp"
        and ax3.get_xlabel() == "assignment date"
    )
    plt.close(fig)
