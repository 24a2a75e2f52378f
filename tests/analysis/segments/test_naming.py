"""helpers.analysis.segments.naming: generated names from the catalog's phrases, made unique."""

from __future__ import annotations

import pandas as pd

from helpers.analysis.segments.naming import (
    fallback_name,
    numbered_name,
    persona_name,
    strip_number,
    unique_names,
)
from helpers.display.text import t


def test_persona_name_and_uniqueness():
    dist = pd.DataFrame(
        {
            "feature": ["active_days_28", "share_search", "revenue", "orders"],
            "d": [-1.4, 1.2, -0.8, -0.7],
        }
    )
    parts = persona_name(dist, text=t)
    assert parts == ["occasional visitors", "search-heavy", "low spend", "|rare buyers"]
    names = unique_names([parts, parts, ["quick visits"]], text=t)
    assert names == [
        "Occasional visitors, search-heavy, low spend, rare buyers (persona 1)",
        "Occasional visitors, search-heavy, low spend, rare buyers (persona 2)",
        "Quick visits",
    ]
    assert persona_name(dist, text=t, attribute=("platform", "iOS"))[:4] == [
        "occasional visitors",
        "search-heavy",
        "low spend",
        "mostly iOS",
    ]


def test_age_attribute_and_number_suffix():
    dist = pd.DataFrame({"feature": ["orders"], "d": [1.0]})
    assert persona_name(dist, text=t, attribute=("age", "25-34")) == [
        "frequent buyers",
        "mostly aged 25-34",
    ]
    assert numbered_name("Buyers", 3, text=t) == "Buyers (persona 3)"
    assert strip_number("Buyers (persona 3)", text=t) == "Buyers"
    assert strip_number("Buyers (persona x)", text=t) == "Buyers (persona x)"
    assert strip_number("A (persona 1) (persona 12)", text=t) == "A (persona 1)"
    assert fallback_name(7, text=t) == "Persona 7"
    assert unique_names([[]], text=t) == ["Typical users"]
