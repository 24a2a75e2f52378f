"""Lift over time (helpers.analysis.experiments.timeline): the running sums of the engine on the
hand-sized toy of toys.py, the trend on planted day-by-day counts, and the last day against
user_metrics."""

import datetime as dt

import pandas as pd
import pytest

from helpers.analysis.experiments import per_user as pu
from helpers.analysis.experiments.frequentist import frequentist_test
from helpers.analysis.experiments.summaries import SampleMean
from helpers.analysis.experiments.timeline import cumulative_from_sums, cumulative_lift
from helpers.core.errors import ModelError
from tests.analysis.experiments.toys import assignments, user_day

D = dt.date


def test_running_orders_of_the_toy_by_hand():
    # window 14 days: u1 (control, 03-01) 1 order on 03-01, 2 on 03-14 (03-15 is outside);
    # u7 (control, 03-10) none in its window; u2 (treatment, 03-05) none; u3 (treatment, 03-25)
    # 1 on 03-26 (04-01 is after as_of); u4 is in both variants, u6 assigned after as_of
    c = cumulative_lift(
        assignments(),
        user_day(),
        experiment="exp",
        metric="orders",
        window_days=14,
        as_of=D(2024, 3, 31),
    )
    assert c.start == D(2024, 3, 1) and len(c.table) == 31
    day = c.table.set_index("day")
    assert day.at[D(2024, 3, 1), "n_control"] == 1 and day.at[D(2024, 3, 1), "n_treatment"] == 0
    assert day.at[D(2024, 3, 13), "mean_control"] == 0.5  # u1 1, u7 0
    assert day.at[D(2024, 3, 14), "mean_control"] == 1.5  # u1 3, u7 0
    last = day.loc[D(2024, 3, 26)]
    assert (last["n_control"], last["n_treatment"]) == (2, 2)
    assert (last["mean_control"], last["mean_treatment"]) == (1.5, 0.5)
    want = frequentist_test(SampleMean.from_values([3, 0]), SampleMean.from_values([0, 1]))
    assert last["lift"] == pytest.approx(-2 / 3)
    assert [last["ci_low"], last["ci_high"]] == pytest.approx(want.ci)
    assert day.loc[D(2024, 3, 31), "lift"] == pytest.approx(-2 / 3)  # nothing after 03-26
    conv = cumulative_lift(
        assignments(),
        user_day(),
        experiment="exp",
        metric="converted",
        window_days=14,
        as_of=D(2024, 3, 31),
    ).table.set_index("day")
    assert conv.loc[D(2024, 3, 26), ["mean_control", "mean_treatment"]].tolist() == [0.5, 0.5]
    with pytest.raises(ModelError, match="`metric` must be one of"):
        cumulative_lift(
            assignments(), user_day(), experiment="exp", metric="retained_d7", as_of=D(2024, 3, 31)
        )


def _planted(early_treatment: int):
    """1,000 users a day per arm for 10 days; control converts 100 a day; treatment converts
    ``early_treatment`` on day 0 and 100 a day after."""
    days = [D(2024, 5, 1) + dt.timedelta(days=i) for i in range(10)]
    users = pd.DataFrame(
        [(v, d, 1000) for d in days for v in ("control", "treatment")],
        columns=["variant", "day", "users"],
    )
    inc = pd.DataFrame(
        [
            (v, d, float(s), float(s))
            for i, d in enumerate(days)
            for v, s in (("control", 100), ("treatment", early_treatment if i == 0 else 100))
        ],
        columns=["variant", "day", "s1", "s2"],
    )
    return cumulative_from_sums(users, inc, metric="converted", as_of=days[-1])


def test_a_fading_early_lift_reads_as_novelty():
    c = _planted(early_treatment=400)
    trend = c.trend["treatment"]
    # final: 1,000 / 10,000 control, 1,300 / 10,000 treatment: +30%
    assert trend["final"]["lift"] == pytest.approx(0.3)
    # reference: day 3, the first with a third of the final users: 400 vs 700 of 4,000: +75%
    assert trend["reference"]["day_index"] == 3
    assert trend["reference"]["lift"] == pytest.approx(0.75)
    assert trend["kind"] == "novelty"
    steady = _planted(early_treatment=100).trend["treatment"]
    assert steady["kind"] == "stable" and steady["final"]["lift"] == 0.0
    assert steady["stable_since"] == 0


def test_the_last_day_is_the_readout(tmp_path):
    # the cumulative means on as_of are the per-user metrics of user_metrics
    as_of = D(2024, 3, 31)
    per_user = pu.user_metrics(
        assignments(), user_day(), experiment="exp", window_days=14, as_of=as_of
    )
    for metric in ("orders", "revenue", "active_days", "converted", "events"):
        c = cumulative_lift(
            assignments(), user_day(), experiment="exp", metric=metric, window_days=14, as_of=as_of
        )
        last = c.table.iloc[-1]
        means = per_user.groupby("variant")[metric].mean()
        assert last["mean_control"] == pytest.approx(means["control"]), metric
        assert last["mean_treatment"] == pytest.approx(means["treatment"]), metric
