"""Where the users of a sample-ratio mismatch are missing (helpers.analysis.experiments.diagnosis):
toys with a planted shortfall whose place and size are known in advance."""

import datetime as dt

import pandas as pd
import pytest

from helpers.analysis.experiments.diagnosis import design_split, srm_diagnosis
from helpers.core.errors import ParameterError

DAYS = [dt.date(2024, 3, 1) + dt.timedelta(days=i) for i in range(20)]


def _users(treatment_in):
    """50 control users per platform and day; ``treatment_in(platform, day_index)`` treatment."""
    rows = []
    for i, day in enumerate(DAYS):
        for platform in ("android", "ios", "web", "mini"):
            rows += [("control", platform, day)] * 50
            rows += [("treatment", platform, day)] * treatment_in(platform, i)
    return pd.DataFrame(rows, columns=["variant", "platform", "assigned_day"])


def test_a_shortfall_on_android_from_day_8_is_located():
    # android loses 40 of 50 treatment users a day from day 8 on: 12 days x 40 = 480 missing
    users = _users(lambda p, i: 10 if p == "android" and i >= 8 else 50)
    d = srm_diagnosis(users, dimensions=["assigned_day", "platform"])
    assert d.short_arm == "treatment"
    assert (d.expected, d.observed, d.missing) == (4000.0, 3520, 480.0)
    assert d.shortfall == pytest.approx(0.12)
    dims = d.dimensions.set_index("dimension")
    assert dims.at["platform", "concentrated"] and dims.at["platform", "carriers"] == ["android"]
    assert d.onset["kind"] == "from" and d.onset["day"] == DAYS[8]
    # the split before / after day 8: nothing missing before, 480 of 2,400 (20%) after
    assert d.onset["before"] == pytest.approx(0.0)
    assert d.onset["after"] == pytest.approx(480 / 2400)
    android = d.table[(d.table["dimension"] == "platform") & (d.table["slice"] == "android")]
    row = android.iloc[0]
    assert (row["users"], row["expected_short"], row["observed_short"]) == (1520, 1000.0, 520)
    assert row["missing"] == 480.0 and row["share_missing"] == 1.0 and row["carries"]
    assert (row["n_control"], row["n_treatment"]) == (1000, 520)
    ios = d.table[(d.table["dimension"] == "platform") & (d.table["slice"] == "ios")].iloc[0]
    assert ios["missing"] == 0.0 and not ios["carries"]


def test_an_even_loss_is_spread_over_every_slice():
    users = _users(lambda p, i: 40)  # 20% of treatment missing in every slice
    d = srm_diagnosis(users, dimensions=["assigned_day", "platform"])
    assert (d.short_arm, d.missing, d.shortfall) == ("treatment", 800.0, 0.2)
    assert not d.dimensions["concentrated"].any()
    assert d.dimensions["p_value"].tolist() == [1.0, 1.0]  # the same split in every slice
    assert d.onset["kind"] == "throughout" and d.onset["first_day"] == DAYS[0]
    assert not d.table["carries"].any()


def test_a_configured_split_sets_what_is_expected():
    # 1:3 design, 1,000 control and 2,400 treatment: treatment expected 3,000, 600 missing
    users = pd.DataFrame({"variant": ["control"] * 1000 + ["treatment"] * 2400, "all": "x"})
    d = srm_diagnosis(
        users, dimensions=["all"], split={"control": 1, "treatment": 3}, day_col=None
    )
    assert d.split == {"control": 0.25, "treatment": 0.75}
    assert (d.short_arm, d.expected, d.missing, d.shortfall) == ("treatment", 3000.0, 600.0, 0.2)
    assert d.to_dict()["onset"] == {}


def test_design_split_errors_name_the_parameter():
    assert design_split(["b", "a"], []) == {"a": 0.5, "b": 0.5}
    with pytest.raises(ParameterError, match=r"`split` has 3 weights .* 2 variants"):
        design_split(["a", "b"], [1, 1, 1])
    with pytest.raises(ParameterError, match=r"\['b'\] are missing"):
        design_split(["a", "b"], {"a": 1})
    with pytest.raises(ParameterError, match="needs two variants"):
        srm_diagnosis(pd.DataFrame({"variant": ["a"], "x": [1]}), dimensions=["x"], day_col=None)
