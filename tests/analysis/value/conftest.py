"""The CDNOW 1/10 sample summarised at the FHL (2005) calibration end, and the models fitted on it
(shared by the tests of helpers.analysis.value)."""

import pandas as pd
import pytest

from helpers.analysis.value.bgnbd import BetaGeoModel
from helpers.analysis.value.gamma_gamma import GammaGammaModel
from helpers.analysis.value.summaries import calibration_holdout, to_time_unit


@pytest.fixture(scope="session")
def orders(cdnow_dir):
    return pd.read_csv(cdnow_dir / "cdnow_sample_orders.csv")


@pytest.fixture(scope="session")
def calib_days(orders):
    return calibration_holdout(
        orders,
        calibration_end="1997-09-30",
        holdout_end="1998-06-30",
        customer_col="customer_id",
        date_col="date",
        amount_col="dollars",
        unit_days=1,
    )


@pytest.fixture(scope="session")
def calib_weeks(calib_days):
    return to_time_unit(calib_days, 7)


@pytest.fixture(scope="session")
def bg(calib_weeks):
    return BetaGeoModel().fit(calib_weeks)


@pytest.fixture(scope="session")
def gg(calib_weeks):
    return GammaGammaModel().fit(calib_weeks)
