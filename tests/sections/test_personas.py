"""helpers.sections.personas: what 03_personas shows, on toys with known numbers.

Every renderer is checked for its numbers as the report formats them (counts without decimals,
shares as %, yes/no) and for its headers: each ``<th>`` that is not a value of the data is a
catalog label, never a raw column name.
"""

from __future__ import annotations

import html
import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from helpers.analysis.features import feature_dictionary
from helpers.analysis.segments.clustering import KSelection
from helpers.analysis.segments.matching import PersonaMatch
from helpers.analysis.segments.personas import PersonaModel
from helpers.analysis.segments.rfm import RFMScorer
from helpers.analysis.segments.tags import DEFAULT_TAGS, tag_report
from helpers.analysis.value.bgnbd import BetaGeoModel
from helpers.analysis.value.gamma_gamma import GammaGammaModel, IndependenceCheck
from helpers.analysis.value.per_user import fit_value, value_by_group
from helpers.analysis.value.summaries import calibration_holdout, to_time_unit
from helpers.display.blocks import Note
from helpers.display.messages import columns
from helpers.display.registry import render
from helpers.display.text import t
from helpers.sections import personas as review

LABELS = {label for label, _ in columns().values()}


def headers(page: str) -> list[str]:
    """The text of every header cell that is a label (not a value of the data)."""
    return [html.unescape(h) for h in re.findall(r"<th>(.*?)</th>", page)]


def cells(page: str) -> list[str]:
    return [html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", page)]


def assert_labelled(page: str) -> None:
    found = headers(page)
    assert found, "no labelled header at all"
    pattern = re.compile(r"Share of \S+ events")  # the share_<event> family (labels.py)
    assert [h for h in found if h not in LABELS and not pattern.fullmatch(h)] == []


# --- the feature table -----------------------------------------------------------------------------
FEATURES = pd.DataFrame(
    {
        "user_id": ["u1", "u2"],
        "last_active": pd.to_datetime(["2026-10-30", "2026-09-02"]),
        "days_since_active": [1.0, 59.0],
        "active_days_28": [12, 0],
        "orders": [3, 0],
        "revenue": [352.0, 0.0],
        "share_view_item": [0.25, 0.0],
        "city": ["Shanghai", "Beijing"],
        "age": [34.0, 51.0],
    }
)


def test_feature_preview_labels_counts_and_attributes():
    page = render(review.feature_preview(FEATURES, n=1))
    assert_labelled(page)
    assert "Days since active" in headers(page) and "Share of view_item events" in headers(page)
    # common attributes have labels (an unknown one keeps its name), ages are whole numbers
    assert "<th>City</th>" in page and "<th>Age</th>" in page
    row = cells(page)
    assert row[:6] == ["u1", "2026-10-30", "1", "12", "3", "352.00"]
    assert "25.0%" in row and "34" in row and "u2" not in row
    assert "The first 1 of 2 users" in page


def test_feature_dictionary_definitions():
    page = render(feature_dictionary(FEATURES))
    assert_labelled(page)
    row = cells(page)
    defs = dict(zip(row[::3], row[2::3]))
    headers_shown = dict(zip(row[::3], row[1::3]))
    assert headers_shown["days_since_active"] == "Days since active"
    assert headers_shown["share_view_item"] == "Share of view_item events"
    assert headers_shown["city"] == "City"  # a common attribute has a label
    assert defs["share_view_item"] == (
        "Share of the user's active events in the last 90 days that were view_item (0 when none)."
    )
    assert (
        defs["city"]
        == defs["age"]
        == ("A user attribute copied from the users table (age, city, plan...).")
    )
    assert defs["days_since_active"].startswith("Days from last_active to as_of")
    assert len(defs) == FEATURES.shape[1]  # every column, none cut


# --- RFM -------------------------------------------------------------------------------------------
def test_rfm_result_shows_segments_and_grid():
    buyers = pd.DataFrame(
        {
            "recency_days": [1, 10, 40, 90, 200],
            "orders": [5, 3, 2, 1, 1],
            "revenue": [500.0, 90, 60, 20, 10],
        }
    )
    page = render(RFMScorer().fit(buyers).summarize(buyers))
    assert_labelled(page)
    assert "5 buyers scored 1 to 5 on recency" in page and "(rf_grid)" in page
    assert "Champions" in page and "73.5%" in page  # 500 of 680 revenue
    # the grid: recency scores as row headers, frequency scores as value headers, whole counts
    assert "<th class='pk-value'>5</th>" in page and "Recency score" in headers(page)
    assert ".0<" not in page.split("Buyers per recency score")[1]


# --- customer value --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cdnow_fit(cdnow_dir):
    f = pd.read_csv(cdnow_dir / "expected_summary_days_1998-06-30.csv", index_col="customer_id")
    return fit_value(f)


def test_value_fit_says_what_was_fitted(cdnow_fit):
    page = render(cdnow_fit)
    assert_labelled(page)
    assert "fitted on 2,357 buyers" in page
    assert "1,218 buyers without a repeat purchase" in page
    assert "discounted at 1.0% a month" in page
    # both models' parameters, formatted to 3 decimals
    assert "BG/NBD model" in page and "Gamma-Gamma spend model" in page
    assert "alpha" in cells(page) and "Parameter" in headers(page)


def test_value_not_fitted_is_a_note():
    f = pd.DataFrame(
        {"frequency": [0.0] * 12, "recency": [0.0] * 12, "T": [30.0] * 12, "monetary_value": 0.0}
    )
    page = render(fit_value(f))
    assert "pk-note-missing" in page and "not fitted on 12 buyers" in page
    assert "repeat buyers" in page


def test_bgnbd_model_table(cdnow_dir):
    orders = pd.read_csv(cdnow_dir / "cdnow_sample_orders.csv")
    calib = calibration_holdout(
        orders,
        calibration_end="1997-09-30",
        holdout_end="1998-06-30",
        customer_col="customer_id",
        date_col="date",
        amount_col="dollars",
        unit_days=1,
    )
    page = render(BetaGeoModel().fit(to_time_unit(calib, 7)))
    assert_labelled(page)
    assert "2,357 customers" in page and "-9,582.43" in page and "alpha" in page
    assert "4.414" in cells(page)  # FHL (2005): alpha = 4.414
    assert "not fitted" in render(GammaGammaModel())


def test_independence_check_sentence():
    page = render(IndependenceCheck(0.98198051, 3))
    assert "0.982" in page and "independent" in page and "(notable)" in page
    assert "(weak)" in render(IndependenceCheck(0.11, 946))


def test_value_by_group_counts_and_money():
    d = pd.DataFrame(
        {
            "persona": [1] * 352 + [2],
            "p_alive": [0.5] * 352 + [1.0],
            "expected_purchases": [1.0] * 352 + [2.0],
            "clv": [np.nan] * 351 + [30.4, 70.0],
        }
    )
    page = render(value_by_group(d, "persona"))
    assert_labelled(page)
    row = cells(page)
    # 352 users, 1 buyer, P(alive) 50.0%, CLV per user 30.4 / 352, total CLV in whole units
    assert row[:3] == ["1", "352", "1"] and row[3] == "50.0%"
    assert row[6] == "30" and row[7] == "30.3%"
    assert "Value by persona" in page


# --- how many personas -----------------------------------------------------------------------------
def test_k_selection_table_and_reason():
    table = pd.DataFrame(
        {
            "k": [2, 3],
            "silhouette": [0.31, 0.342],
            "stability": [0.95, 0.999],
            "inertia": [12345.6, 9000.0],
            "smallest_share": [0.3, 0.1],
            "eligible": [True, True],
            "chosen": [False, True],
        }
    )
    page = render(KSelection(table, k=3, n_users=8293, n_sample=5000))
    assert_labelled(page)
    assert "k = 3: the highest silhouette (0.342)" in page
    assert "(8,293 users; silhouette on 0 of them, stability on 5,000)." in page
    sel = KSelection(table, k=3, n_users=8293, n_sample=8293, n_silhouette=5000)
    assert "silhouette on 5,000 of them, stability on 8,293" in render(sel)
    assert cells(page)[:7] == ["2", "0.310", "0.950", "12,346", "30.0%", "yes", "no"]
    fixed = render(KSelection(pd.DataFrame(), k=4, n_users=10, n_sample=0, chosen_by="parameter"))
    assert "k = 4 was set by the `k` parameter." in fixed and "<table" not in fixed


# --- the same personas as last month ---------------------------------------------------------------
def _match() -> PersonaMatch:
    table = pd.DataFrame(
        {
            "cluster": [1, 2, np.nan, 3],
            "persona": [1, 2, 3, 4],
            "persona_prev": [1, 2, 3, np.nan],
            "status": ["kept", "kept", "gone", "new"],
            "name": ["One", "Two", "Three", "Fresh"],
            "name_generated": ["Moved", "Two", "", "Fresh"],
            "users": [10, 10, 0, 5],
            "users_prev": [10.0, 10.0, 3.0, np.nan],
            "overlap": [1.0, 1.0, np.nan, np.nan],
            "kept_share": [0.6, 1.0, np.nan, np.nan],
            "stayed_share": [1.0, 1.0, np.nan, np.nan],
            "centroid_shift": [1.0, 0.0, np.nan, np.nan],
            "drifted": [True, False, False, False],
        }
    )
    return PersonaMatch(table, {1: 1, 2: 2, 3: 4}, {}, 5, "2026-09", rule="The rule.")


def test_persona_match_sentences_and_table():
    page = render(_match())
    assert_labelled(page)
    assert "2 kept their number and name, 1 new, 1 gone." in page
    assert (
        "Persona 1. One drifted: its centre moved 1.00 standard deviations and 100% of last "
        "month's members still active stayed in it; this month it would be called 'Moved'."
    ) in html.unescape(page)
    assert "Persona 3. Three (3 users last month) has no counterpart this month." in page
    assert "New persona 4. Fresh (5 users) has no counterpart last month." in page
    row = cells(page)
    assert row[:9] == ["1. One", "kept", "10", "10", "1.000", "60.0%", "100.0%", "1.00", "yes"]
    assert row[17] == "no" and row[35] == "–"  # kept and not drifted; new: no drift at all
    assert row[18:20] == ["3. Three", "gone"] and row[21] == "3"  # 3 users last month
    assert "centroid_shift" not in page and "True" not in page and "False" not in page
    assert "would be called" not in html.unescape(page).split("'Moved'.")[1]  # 2 keeps its name
    match = _match()
    match.table.loc[1, "name_generated"] = "Two again"
    assert (
        "Persona 2. Two keeps last month's name; this month it would be called 'Two again'."
        in html.unescape(render(match))
    )


def test_alignment_report_is_a_note_without_last_month():
    model = SimpleNamespace(alignment_=None, alignment_note_="No personas of the previous month.")
    note = review.alignment_report(model)
    assert isinstance(note, Note) and note.text == "No personas of the previous month."
    assert review.alignment_report(SimpleNamespace()).text.startswith("The personas were not")
    match = _match()
    assert review.alignment_report(SimpleNamespace(alignment_=match)) is match


# --- cards -----------------------------------------------------------------------------------------
def _toy_model() -> tuple[PersonaModel, pd.DataFrame]:
    f = pd.DataFrame(
        {
            "user_id": list("abcdefgh"),
            "active_days_28": [10] * 4 + [2] * 4,
            "orders": [4] * 4 + [0] * 4,
            "revenue": [100.0] * 4 + [0.0] * 4,
            "share_coupon_view": [0.5] * 4 + [0.0] * 4,
            "tenure_days": [200] * 8,
            "days_since_active": [1] * 8,
            "city": ["Shanghai"] * 4 + ["Beijing", "Beijing", "Shanghai", "Beijing"],
        }
    )
    cols = ["active_days_28", "orders", "revenue", "share_coupon_view"]
    return PersonaModel(k=2, columns=cols, text=t).fit(f), f


def test_persona_cards_summary_and_boxes():
    model, _ = _toy_model()
    page = html.unescape(render(model.persona_cards()))
    assert_labelled(page)
    buyers = next(c for c in model.cards_ if c.action == "targeted_coupons")
    assert buyers.name in page and "Targeted coupons" in page
    assert "2 personas over 8 active users" in page
    assert "4 users (50%), 100% of revenue to date." in page
    assert "share of coupon view 50% vs 25% (d +2.00)" in page
    assert "Top events: coupon_view 50%." in page
    assert "City: Shanghai 100% (62%)" in page
    assert "Value: not estimated." in page  # the toy has no value columns
    assert "targeted_coupons" not in cells(page)  # the action by its name, not its code


def test_personas_artifact_and_rfm_artifact():
    model, f = _toy_model()
    flags = pd.DataFrame({"tag_x": [1, 0] * 4}, index=f.index)
    out = review.personas_artifact(model, f, flags)
    assert list(out.columns) == ["user_id", "persona", "persona_name", "tag_x"]
    assert out["persona_name"].nunique() == 2 and out["tag_x"].sum() == 4
    buyers = pd.DataFrame({"user_id": ["a", "b"]}, index=[7, 9])
    scores = pd.DataFrame(
        {"r_score": [5, 1], "f_score": [4, 1], "m_score": [3, 1], "rfm_segment": ["C", "H"]},
        index=[7, 9],
    )
    rfm = review.rfm_artifact(buyers, scores)
    assert rfm.values.tolist() == [["a", 5, 4, 3, "C"], ["b", 1, 1, 1, "H"]]


# --- tags, inputs, artifacts -----------------------------------------------------------------------
def test_tag_rules_from_config_or_defaults():
    declared = SimpleNamespace(tags=[{"name": "a", "layer": "value", "rule": "x > 0"}])
    rules = review.tag_rules(declared)
    assert rules.source == "config" and rules.rules[0]["name"] == "a"
    assert render(rules) == "<p>1 tag declared in the config (tags:).</p>"
    defaults = review.tag_rules(SimpleNamespace(tags=[]))
    assert defaults.rules == [dict(tag) for tag in DEFAULT_TAGS]
    assert f"the {len(DEFAULT_TAGS)} default tags" in render(defaults)


def test_tag_report_coverage_and_pairs():
    flags = pd.DataFrame({"tag_a": [1, 1, 1, 0, 0], "tag_b": [0, 1, 1, 1, 0], "tag_c": [0] * 5})
    tags = [
        {"name": n, "layer": "value", "rule": "x > 0", "description": n.upper()} for n in "abc"
    ]
    tags[0].update(action="Call them.", owner="Sales", channel="sms")
    page = render(tag_report(flags, tags))
    assert_labelled(page)
    assert "3 tags over 5 active users" in page
    # each tag with the action it drives, its owner and channel (a known channel in words)
    assert cells(page)[:8] == ["a", "value", "3", "60.0%", "A", "Call them.", "Sales", "SMS"]
    assert cells(page)[8:16] == ["b", "value", "3", "60.0%", "B", "", "", ""]
    assert ["a", "b", "0.500"] == cells(page)[24:27]  # the most overlapping pair first


def test_data_notes_list_what_is_missing():
    project = SimpleNamespace(has=lambda name: name == "events")
    notes = review.data_notes(project, pd.DataFrame({"frequency": [np.nan, np.nan]}))
    assert notes.missing == ["orders", "users", "buyers"]
    page = render(notes)
    assert "No orders source" in page and "No users table" in page and "No buyers" in page
    complete = review.data_notes(SimpleNamespace(), pd.DataFrame({"frequency": [1.0]}))
    assert render(complete) == (
        "<p>All inputs for this review are present: events, orders and a users table.</p>"
    )


def test_artifact_list_names_the_files(tmp_path):
    page = render(review.artifact_list([tmp_path / "rfm.csv", tmp_path / "personas.csv"]))
    assert page == ("<p>Written to artifacts/:</p><ul><li>personas.csv</li><li>rfm.csv</li></ul>")
