"""helpers.core.checks: the one copy of the input checks and coercions, on hand-made cases."""

import datetime as dt

import ibis
import numpy as np
import pandas as pd
import pytest

from helpers.core.checks import (
    as_date,
    as_month,
    numeric_text,
    numeric_text_to_numbers,
    one_of,
    positive_int,
    require_columns,
)
from helpers.core.errors import DataError, ParameterError
from helpers.sections.active_users import typed_users


@pytest.mark.parametrize(
    "value",
    [
        dt.date(2024, 6, 30),
        dt.datetime(2024, 6, 30, 23, 59),
        pd.Timestamp("2024-06-30 08:00"),
        "2024-06-30",
        np.datetime64("2024-06-30"),
    ],
)
def test_as_date_accepts_dates_timestamps_and_iso_text(value):
    assert as_date(value, "as_of") == dt.date(2024, 6, 30)


def test_as_date_keeps_the_calendar_day_of_an_aware_datetime():
    # 23:30 in New York is already the next day in UTC: the given day is kept, not converted
    ts = pd.Timestamp("2024-06-30 23:30", tz="America/New_York")
    assert as_date(ts, "at") == dt.date(2024, 6, 30)


def test_as_date_error_names_the_parameter_and_the_value():
    with pytest.raises(
        ParameterError, match=r"`cohort_end` must be a date such as '2024-06-30'.*'2024-06-31'"
    ):
        as_date("2024-06-31", "cohort_end")
    # pandas reads None, NaN and "" as NaT: not a date either
    for missing in (None, float("nan"), ""):
        with pytest.raises(ParameterError, match=r"`as_of`.* was passed"):
            as_date(missing)


def test_as_month():
    assert as_month("2024-02") == dt.date(2024, 2, 1)
    assert as_month("2024-02-29") == dt.date(2024, 2, 1)
    assert as_month(pd.Timestamp("2024-12-31 23:00")) == dt.date(2024, 12, 1)
    with pytest.raises(
        ParameterError, match=r"`month` must be a month such as '2024-06'.*'2024-13'"
    ):
        as_month("2024-13")


def test_require_columns_pandas_and_ibis():
    df = pd.DataFrame({"user_id": ["a"], "day": [dt.date(2024, 1, 1)]})
    assert require_columns(df, ["user_id", "day"], "user_day") is None
    assert require_columns(ibis.memtable(df), ["day"], "user_day") is None
    with pytest.raises(DataError) as err:
        require_columns(ibis.memtable(df), ["user_id", "orders", "revenue"], "user_day")
    msg = str(err.value)
    assert msg == (
        "user_day needs the column(s) ['orders', 'revenue'] (expected at least "
        "['user_id', 'orders', 'revenue']), but it has ['user_id', 'day']."
    )


def test_require_columns_cuts_a_wide_table_at_twelve_columns():
    wide = pd.DataFrame(columns=[f"c{i}" for i in range(15)])
    with pytest.raises(DataError) as err:
        require_columns(wide, ["user_id"], "The users table")
    assert "'c11'] ..." in str(err.value) and "'c12'" not in str(err.value)


def test_positive_int():
    assert (
        positive_int(np.int64(7), "days") == 7 and type(positive_int(np.int64(7), "days")) is int
    )
    assert positive_int(1, "days") == 1
    for bad in (0, -3, 2.0, "5", True):
        with pytest.raises(
            ParameterError, match=r"`inactive_days` must be a positive integer number of days"
        ):
            positive_int(bad, "inactive_days", unit="days")
    with pytest.raises(ParameterError, match=r"`k` must be a positive integer, but 0 was passed"):
        positive_int(0, "k")


def test_one_of():
    assert one_of("month", ("week", "month"), "period") == "month"
    with pytest.raises(
        ParameterError,
        match=r"^The value for `period` must be one of \['week', 'month'\], but 'day' was passed\.$",
    ):
        one_of("day", ("week", "month"), "period")


def test_numeric_text():
    assert numeric_text(pd.Series(["35", None, "41.5"])).tolist()[::2] == [35.0, 41.5]
    assert numeric_text(pd.Series(["1", "0", "1"])).tolist() == [1, 0, 1]
    assert numeric_text(pd.Series(["1", "0"], dtype="string")).tolist() == [1, 0]
    # one word keeps the whole column text; so does a column without any value
    assert numeric_text(pd.Series(["35", "unknown"])).tolist() == ["35", "unknown"]
    empty = pd.Series([None, None], dtype=object)
    assert numeric_text(empty).dtype == object
    # non-text columns are left alone (dates are not turned into nanoseconds)
    days = pd.Series(pd.to_datetime(["2024-01-01", None]))
    assert numeric_text(days).dtype == days.dtype


def test_numeric_text_to_numbers_skips_ids_and_does_not_mutate():
    users = pd.DataFrame(
        {
            "user_id": ["0042", "7"],
            "age": ["35", None],
            "city": ["Oslo", "Rome"],
            "joined_community": ["1", "0"],
            "score": [1.5, 2.0],
        }
    )
    before = users.copy()
    out = numeric_text_to_numbers(users, skip=["user_id"])
    pd.testing.assert_frame_equal(users, before)
    assert out["user_id"].tolist() == ["0042", "7"]
    assert out["age"].iloc[0] == 35.0 and np.isnan(out["age"].iloc[1])
    assert out["joined_community"].tolist() == [1, 0]
    assert out["city"].tolist() == ["Oslo", "Rome"]
    assert out["score"].tolist() == [1.5, 2.0]


def test_callers_share_the_conversion():
    from helpers.analysis.churn.covariates import covariate_values as _covariate
    from helpers.analysis.features import _check_users

    users = pd.DataFrame(
        {
            "user_id": ["1", "2", "3"],
            "signup_time": ["2024", "2023", "2022"],
            "age": ["20", "30", None],
            "plan": ["free", "pro", "free"],
            "source": ["a", "a", "a"],
        }
    )
    typed = typed_users(users)
    checked = _check_users(users)
    # signup_time is never parsed as a number ("2024"), ids neither, ages are
    assert typed["signup_time"].tolist() == ["2024", "2023", "2022"]
    assert checked["signup_time"].tolist() == ["2024", "2023", "2022"]
    assert typed["age"].tolist()[:2] == [20.0, 30.0] and checked["age"].tolist()[:2] == [
        20.0,
        30.0,
    ]
    assert "source" not in checked.columns and typed["source"].tolist() == ["a", "a", "a"]
    # Cox covariates: numbers as floats, bools as 0/1, empty columns as NaN floats
    assert _covariate(users["age"]).dtype == float
    assert _covariate(pd.Series([True, False])).tolist() == [1.0, 0.0]
    assert _covariate(pd.Series([None, None], dtype=object)).dtype == float
    assert _covariate(users["plan"]).tolist() == ["free", "pro", "free"]
