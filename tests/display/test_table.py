"""helpers.display.table: labelled headers, formatted values, long and wide tables."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from helpers.display.labels import label
from helpers.display.table import VALUE_CLASS, WRAP_CLASS, Table


def _headers(html: str) -> list[str]:
    return re.findall(r"<th(?: class='[^']*')?>([^<]*)</th>", html)


def test_headers_are_labels_and_values_follow_their_kind():
    df = pd.DataFrame({"users": [352.0, 1200.0], "share": [0.25, 0.75], "p_value": [0.0004, 0.2]})
    html = Table(df)._repr_html_()
    assert _headers(html) == ["Users", "Share", "p-value"]
    assert "352" in html and "352.0" not in html and "1,200" in html
    assert "25.0%" in html and "&lt; 0.001" in html and "0.200" in html
    assert "k-count" in html and "k-pvalue" in html


def test_a_long_table_is_cut_and_says_where_the_rest_is():
    df = pd.DataFrame({"day": pd.date_range("2026-01-01", periods=30).date, "users": range(30)})
    tail = Table(df, max_rows=5, keep="tail", artifact="active_users.csv")
    assert tail.shown["users"].tolist() == [25, 26, 27, 28, 29]
    assert "25 more rows in artifacts/active_users.csv." in tail._repr_html_()
    head = Table(df, max_rows=29)
    assert head.shown["users"].tolist() == list(range(29))
    assert "1 more row not shown." in head._repr_html_()


def test_every_table_scrolls_inside_the_page():
    html = Table(pd.DataFrame({"users": [1]}))._repr_html_()
    assert html.startswith(f"<div class='{WRAP_CLASS}' style='overflow-x:auto;max-width:100%'>")


def test_value_columns_show_data_as_is_and_are_marked():
    pivot = pd.DataFrame(
        {"Deal hunters": [3], "Browsers": [4]}, index=pd.Index(["Browsers"], name="persona")
    )
    html = Table(pivot, index=True, value_columns=True)._repr_html_()
    assert f"<th class='{VALUE_CLASS}'>Deal hunters</th>" in html
    assert "<th>Persona</th>" in html  # the index name is a column name: labelled


def test_an_unlabelled_column_is_an_error_in_strict_mode(monkeypatch):
    monkeypatch.setenv("PERSONA_KIT_STRICT_LABELS", "1")
    with pytest.raises(KeyError, match="'centroid_shift' has no label"):
        Table(pd.DataFrame({"centroid_shift": [0.1]}))._repr_html_()
    monkeypatch.setenv("PERSONA_KIT_STRICT_LABELS", "0")
    assert label("centroid_shift") == "Centroid shift"


def test_pattern_columns_are_labelled():
    assert label("share_add_to_cart") == "Share of add_to_cart events"
    assert label("tag_dormant_risk") == "Tag: dormant_risk"


def test_a_long_table_shows_collapsed_under_its_caption():
    from helpers.display.table import COLLAPSE_ROWS

    long = pd.DataFrame({"users": range(COLLAPSE_ROWS + 1)})
    html = Table(long, caption="Users per day.")._repr_html_()
    assert html.startswith("<details class='pk-details'><summary class='pk-caption'>")
    assert "Users per day (13 rows: open to see them)</summary>" in html
    assert html.count("<tr>") == COLLAPSE_ROWS + 2  # every row is still there, header included
    short = Table(long.head(COLLAPSE_ROWS), caption="Users per day.")._repr_html_()
    assert short.startswith("<p class='pk-caption'>Users per day.</p>")
    # a ranked list a team acts on stays open whatever its length
    assert not Table(long, collapse=False)._repr_html_().startswith("<details")
