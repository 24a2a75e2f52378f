"""helpers.sections.churn: how the 04_churn results show. Toy results with known numbers render
formatted (counts without decimals, shares as %, p-values "< 0.001", "not reached"), every
header that is not a value of the data is a catalog label, long lists are cut with the artifact
named, and missing inputs become notes."""

from __future__ import annotations

import datetime as dt
import html
import re

import numpy as np
import pandas as pd
import pytest

from helpers.analysis.churn.cox import CoxModel, CoxReadout
from helpers.analysis.churn.kaplan_meier import KaplanMeierByGroup
from helpers.analysis.churn.lives import lives_overview, resurrection_summary
from helpers.analysis.churn.palive import P_ALIVE_BANDS, PAliveCheck
from helpers.analysis.churn.risk import Backtest, ChurnRiskModel
from helpers.analysis.churn.stake import RevenueAtStake
from helpers.display.format import set_currency
from helpers.display.messages import columns
from helpers.display.registry import render
from helpers.display.text import t
from helpers.sections import churn as review

AS_OF = dt.date(2026, 10, 31)


def headers(page: str) -> list[str]:
    """Text of every header cell that is a label (not marked as a value of the data)."""
    return [html.unescape(h) for h in re.findall(r"<th>(.*?)</th>", page)]


def value_headers(page: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r"<th class='pk-value'>(.*?)</th>", page)]


def assert_labelled(page: str) -> None:
    labels = {label for label, _ in columns().values()}
    found = headers(page)
    assert found, "no labelled header at all"
    assert set(found) <= labels, set(found) - labels


@pytest.fixture(autouse=True)
def plain_money():
    set_currency(None)
    yield
    set_currency(None)


# --- lives and resurrection ----------------------------------------------------------------------
def toy_survival():
    # 6 churned first lives, one returned after 6 days; one censored, one too recent
    surv = pd.DataFrame(
        {
            "duration_days": [1, 6, 6, 4, 1, 1, 0, 1],
            "event": [1, 1, 1, 0, 1, 1, 0, 1],
            "gap_days_to_return": [6.0] + [np.nan] * 7,
        }
    )
    surv.attrs.update(as_of=AS_OF, inactive_days=5, start="signup", life="first")
    return surv


def test_resurrection_renders_share_ranges_and_counts():
    page = render(resurrection_summary(toy_survival()))
    assert "16.7% of the 6 users whose first life churned came back" in page
    assert "a median of 6 days" in page
    assert "6 to 60 days" in page and "366 days or more" in page
    assert "lower bound" in page
    assert_labelled(page)


def test_lives_overview_renders_the_rule_and_the_counts():
    page = html.unescape(render(lives_overview(toy_survival())))
    assert "5 days without activity" in page
    assert "still running on 2026-10-26 (2026-10-31 minus 5 days" in page
    assert "Lives start at signup" in page
    assert "Of 8 users, 6 lives ended in churn (75.0%); 1 still running (censored); 1 started" in (
        page
    )


def test_no_return_and_no_churn_are_sentences():
    surv = toy_survival().assign(gap_days_to_return=np.nan)
    assert "None of the 6 users" in render(resurrection_summary(surv))
    assert "No first life has ended" in render(resurrection_summary(surv.assign(event=0)))


# --- Kaplan-Meier --------------------------------------------------------------------------------
def toy_km():
    rng = np.random.default_rng(2)
    short = np.ceil(rng.exponential(10, 300))
    long_ = np.ceil(rng.exponential(400, 300))
    df = pd.DataFrame(
        {
            "duration_days": np.r_[short, long_, [0, 0], [5]],
            "event": np.r_[np.ones(300), (long_ < 200).astype(int), [0, 0], [1]],
            "persona_name": ["Bargain hunters"] * 300 + ["Loyal fans"] * 300 + ["x", "x", None],
        }
    )
    return KaplanMeierByGroup(times=(30, 90)).fit(df, "persona_name")


def test_km_renders_medians_survival_and_tests():
    km = toy_km()
    page = html.unescape(render(km))
    assert "Persona: Kaplan-Meier lifetimes of 600 users." in page
    assert "Who is counted: every user, each life from its first day (Persona is known" in page
    assert "differ (log-rank test across all groups, p-value < 0.001)" in page
    # Loyal fans' curve never falls to one half: the median is not reached
    assert "not reached" in page
    assert "Still active at day 30" in value_headers(render(km))
    assert "Persona" in value_headers(render(km))
    assert "2 lives too recent to tell are left out." in page
    assert "1 user without a value for Persona is left out." in page
    assert "Pairwise log-rank tests" in page and ">yes<" in page
    assert_labelled(render(km))
    share = km.summary_.set_index("group").loc["Bargain hunters", "S_30d"]
    assert f"{100 * share:.1f}%" in page


def test_km_by_a_landmark_label_counts_each_life_from_its_first_labelled_month_end():
    ids = [f"u{i:02d}" for i in range(24)]
    surv = pd.DataFrame(
        {
            "user_id": ids,
            "start_day": pd.to_datetime(["2026-05-20"] * 12 + ["2026-06-10"] * 12),
            "end_day": pd.to_datetime(
                ["2026-07-05", "2026-07-19", "2026-08-28", "2026-09-30"] * 6
            ),
            "event": [1, 1, 1, 0] * 6,
        }
    )
    surv["duration_days"] = (surv["end_day"] - surv["start_day"]).dt.days + 1
    surv.attrs.update(start="signup")
    days = [dt.date(2026, 5, 31), dt.date(2026, 6, 30)]
    labels = pd.DataFrame(
        {
            "user_id": ids,
            "landmark_day": [days[0]] * 12 + [days[1]] * 12,
            "persona_name": ["Early"] * 12 + ["Late"] * 12,
            "rfm_segment": None,
        }
    )
    labels.attrs["landmarks"] = days
    km = review.km_by(surv, "persona_name", labels=labels, times=(30,))
    assert km.delayed_entry_ and km.life_start_ == "signup"
    # Early enter on day 12 of their lives (May 31), Late on day 21 (June 30); Late's lives of
    # 26 days (to July 5) are the first to churn: 3 of 12 followed, so S(30) = 3/4
    s = km.summary_.set_index("group")
    assert s["users"].tolist() == [12, 12] and km.min_at_risk == 10
    assert s.loc["Late", "followed_from"] == 21 and s.loc["Early", "followed_from"] == 12
    assert s.loc["Late", "S_30d"] == pytest.approx(0.75)
    page = html.unescape(render(km))
    assert (
        "Who is counted: every user whose life was running at a month end from 2026-05-31 to "
        "2026-06-30, with the Persona their own data gave at the first of those month ends" in page
    )
    assert "Left out, fewer than 10 lives followed on any one day: Early, Late." not in page
    # with fewer lives than the minimum risk set no curve can be drawn: the model says so
    from helpers.core.errors import NotEnoughData

    with pytest.raises(NotEnoughData):
        review.km_by(surv.iloc[:4], "persona_name", labels=labels.iloc[:4])
    # no cards this month: the persona curves name the report that writes them
    note = review.km_by(surv, "persona_name", labels=labels.assign(persona_name=None))
    assert "03_personas report (persona_cards.json)" in note.text
    assert review.km_by(surv, "rfm_segment", labels=labels).text.startswith(
        "No survival by RFM segment: no user has one"
    )
    short = labels.iloc[:0].copy()
    short.attrs["landmarks"] = []
    assert review.km_by(surv, "persona_name", labels=short).text == t("churn.needs.survival")


def test_km_by_a_missing_group_is_a_note():
    from helpers.display.blocks import Unavailable

    note = review.km_by(pd.DataFrame({"duration_days": [3], "event": [1]}), "persona_name")
    # unavailable: a note on the page, and the chart fed with it is not drawn
    assert isinstance(note, Unavailable) and "pk-note-missing" in note._repr_html_()
    assert note.text == (
        "No survival by Persona: it needs the 03_personas report (personas.csv), which is not "
        "available for this month."
    )
    # lives all shorter than the first day reported (30): no curve carries a share forward
    short = pd.DataFrame({"duration_days": [3, 12], "event": [1, 0], "plan": ["a", "b"]})
    assert review.km_by(short, "plan").text == t("churn.needs.survival")
    other = review.km_by(pd.DataFrame({"duration_days": [3], "event": [1]}), "plan")
    assert "a “plan” column in the users table" in other.text


# --- Cox -----------------------------------------------------------------------------------------
def toy_cox():
    rng = np.random.default_rng(7)
    n = 2000
    social = rng.integers(0, 2, n)
    orders = rng.poisson(1, n).astype(float)
    t = rng.exponential(1 / (0.02 * 0.4**social))
    c = rng.uniform(20, 150, n)
    df = pd.DataFrame(
        {
            "duration_days": np.ceil(np.minimum(t, c)),
            "event": (t <= c).astype(int),
            "channel_social": social.astype(float),
            "orders_first_7d": orders,
        }
    )
    model = CoxModel(random_state=0).fit(
        df, "duration_days", "event", ["channel_social", "orders_first_7d"]
    )
    # city was encoded too but is not a covariate: its reference level is not named
    return CoxReadout(model, 7, 321, 0, {"channel": "organic", "city": "Rome"})


def test_cox_renders_named_covariates_ratios_and_checks():
    r = toy_cox()
    page = html.unescape(render(r))
    assert "Cox model of churn on 2,000 lives" in page and "followed from day 7" in page
    assert f"Held-out concordance {r.model.concordance_:.3f}" in page
    assert "Channel: social" in page and "Orders in the first 7 days" in page
    assert "compared with the most common level: Channel: organic." in page
    assert "321 lives no longer than 7 days are left out" in page
    hr = r.model.hazard_ratios_.set_index("covariate").loc["channel_social"]
    assert f">{hr['hr']:.2f}<" in page and "< 0.001" in page
    assert "channel_social" not in page and "orders_first_7d" not in page and "Rome" not in page
    assert_labelled(render(r))
    assert "Hazard ratio" in headers(render(r.model))


# --- churn risk ----------------------------------------------------------------------------------
def toy_risk_model():
    m = ChurnRiskModel()
    m.as_of_ = AS_OF
    m.backtest_ = Backtest(
        s_train=dt.date(2026, 9, 1),
        s_test=dt.date(2026, 10, 1),
        n_train=6900,
        n_fit=6900,
        n_test=7580,
        base_rate=0.268,
        auc=0.93741,
        precision_top_decile=0.956,
        lift_top_decile=3.567,
    )
    m.calibration_ = pd.DataFrame(
        {
            "decile": [1, 2],
            "users": [758.0, 758.0],
            "mean_predicted": [0.005, 0.9],
            "observed_rate": [0.018, 0.95],
        }
    )
    bands = pd.Categorical(["low", "critical", "high"], ["low", "medium", "high", "critical"])
    m.risk_ = pd.DataFrame(
        {"user_id": ["a", "b", "c"], "churn_risk_30d": [0.1, 0.9, 0.6], "risk_band": bands}
    )
    m.band_summary_ = pd.DataFrame(
        {
            "risk_band": pd.Categorical(["low", "medium", "high", "critical"]),
            "users": [5827.0, 463.0, 378.0, 1563.0],
            "mean_risk": [0.055, 0.367, 0.621, 0.936],
        }
    )
    m.high_risk_share_ = 2 / 3
    return m


def test_risk_model_renders_backtest_calibration_and_bands():
    page = html.unescape(render(toy_risk_model()))
    assert "30-day churn risk of the 3 users active on 2026-10-31: 2 (66.7%)" in page
    assert "trained on the 6,900 users active on 2026-09-01" in page
    assert "ROC AUC</b> 0.937" in page and "95.6%" in page and "26.8%" in page
    assert "3.6×" in page
    assert ">758<" in page and "758.0" not in page and "5,827" in page
    assert ">Critical<" in page and "75% or more" in page and "below 25%" in page
    assert "25% to 50%" in page and "93.6%" in page
    assert_labelled(render(toy_risk_model()))


def test_risk_list_is_cut_with_the_artifact_named():
    n = 20
    table = pd.DataFrame(
        {
            "user_id": [f"u{i:02d}" for i in range(n)],
            "persona": [1] * n,
            "persona_name": ["Wishlist-heavy"] * n,
            "churn_risk_30d": np.linspace(0.99, 0.5, n),
            "risk_band": ["critical"] * n,
            "drivers": ["days_since_active (high), trend_14 (low)"] * n,
            "revenue_90d": [1234.5] * n,
        }
    )
    page = html.unescape(review.risk_list(table)._repr_html_())
    assert "5 more rows in artifacts/churn_risk.csv." in page
    assert "u14" in page and "u15" not in page
    assert "days since active high, activity trend (14 days) low" in page
    assert "99.0%" in page and "1,234.50" in page and ">Critical<" in page
    assert "days_since_active" not in page
    assert_labelled(review.risk_list(table)._repr_html_())
    assert "No user is active" in review.risk_list(table.iloc[:0])._repr_html_()


def test_revenue_at_stake_renders_money_counts_and_the_assumption():
    table = pd.DataFrame(
        {
            "persona_name": ["P", "Q"],
            "users": [352.0, 40.0],
            "recoverable_users": [10.0, 2.0],
            "recoverable_mean_risk": [0.9, 0.55],
            "expected_revenue_30d": [4130.42, 100.0],
            "revenue_at_stake_30d": [2542.71, 55.0],
            "lapsed_users": [30.0, 1.0],
            "lapsed_revenue_30d": [66077.76, 10.0],
        }
    )
    r = RevenueAtStake(table, window_days=90, horizon_days=30, recoverable_days=7)
    page = html.unescape(render(r))
    assert "12 users at high or critical risk can still be saved (active in the last 7 days)" in (
        page
    )
    # sums of revenue in whole units: 4,130 + 100; at stake 2,543 + 55; lapsed 66,078 + 10
    assert "would bring 4,230 over the next 30 days" in page
    assert "weighted by their 30-day churn risk, 2,598 of it is at stake" in page
    assert "31 high-risk users have already lapsed: their 66,088 per 30 days is gone" in page
    assert ">66,078<" in page and ">2,543<" in page and "66,077.76" not in page
    assert ">352<" in page and "352.0" not in page and "90.0%" in page
    assert "revenue of the last 90 days × 30 / 90" in page
    assert_labelled(render(r))
    set_currency("CNY")
    assert ">CN¥66,078<" in render(r)


# --- P(alive) ------------------------------------------------------------------------------------
def test_palive_renders_the_disagreement_and_the_crossing():
    table = pd.DataFrame(
        [[190, 932, 1499, 205], [58, 206, 131, 4]],
        index=pd.Index(["low", "critical"], name="risk_band"),
        columns=pd.Index(list(P_ALIVE_BANDS), name="p_alive_band"),
    )
    check = PAliveCheck("ok", None, pd.DataFrame(), table, repeat_buyers=3420, disagree=169)
    page = html.unescape(render(check))
    assert "3,420 currently active users are repeat buyers" in page
    assert "169 of them (4.9%)" in page
    assert value_headers(render(check)) == [
        "P(alive) below 0.5",
        "0.5 to 0.8",
        "0.8 to 0.95",
        "0.95 or more",
    ]
    assert ">1,499<" in page and ">Critical<" in page
    assert_labelled(render(check))
    assert "Too few repeat buyers" in render(PAliveCheck("too_few_buyers"))


def test_definition_note_names_the_censoring_day():
    note = review.definition_note(30, AS_OF)
    assert "still running on 2026-10-01 (2026-10-31 minus 30 days" in note.text


def test_drivers_artifact_names_each_covariates_kind():
    from types import SimpleNamespace

    from helpers.sections.churn_artifacts import drivers_artifact

    hr = pd.DataFrame(
        {
            "covariate": ["joined_community", "orders_first_7d", "nps_detractor", "plan_plus"],
            "hr": [0.5, 0.9, 1.8, 1.0],
            "hr_lower": [0.4, 0.8, 1.6, 0.9],
            "hr_upper": [0.6, 1.0, 2.0, 1.1],
            "p": [0.0, 0.1, 0.0, 0.9],
        }
    )
    users = pd.DataFrame({"user_id": ["a", "b"], "joined_community": ["1", "0"]})
    out = drivers_artifact(SimpleNamespace(model=SimpleNamespace(hazard_ratios_=hr)), users)
    assert out["kind"].tolist() == ["attribute", "behaviour", "feedback", "other"]
    assert drivers_artifact(None, users).empty
