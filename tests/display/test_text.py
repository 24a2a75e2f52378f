"""helpers.display.text and .messages: keyed messages, kinds inside sentences, plurals, one
catalog without duplicate keys."""

from __future__ import annotations

import re

import pytest

from helpers.display import messages
from helpers.display.text import t, tn


def test_values_are_formatted_by_the_kind_named_in_the_message():
    assert t("table.more_rows.other", n=1234.0, file="churn_risk.csv") == (
        "1,234 more rows in artifacts/churn_risk.csv."
    )
    assert (
        t(
            "header.window",
            start=__import__("datetime").date(2026, 10, 1),
            end=__import__("datetime").date(2026, 10, 31),
        )
        == "2026-10-01 .. 2026-10-31"
    )


def test_plural_picks_one_or_other():
    assert tn("table.more_rows_not_shown", 1) == "1 more row not shown."
    assert tn("table.more_rows_not_shown", 3) == "3 more rows not shown."


def test_a_missing_key_is_an_error_naming_it():
    with pytest.raises(KeyError, match="no.such.key"):
        t("no.such.key")


def test_every_message_formats_with_its_placeholders():
    """Each catalog message parses as a format string whose fields are plain names, and a kind
    named in a field spec is one the display layer knows."""
    import string

    from helpers.display.text import SPEC_KINDS

    for code in messages.LANGUAGES:
        messages.set_language(code)
        try:
            texts = messages.catalog()
        finally:
            messages.set_language("en")
        for key, text in texts.items():
            for _, name, spec, _ in string.Formatter().parse(text):
                if name is None:
                    continue
                assert re.fullmatch(r"\w+", name), (code, key, text)
                kind = (spec or "").split(".")[0].removesuffix("+")
                if kind and kind.isalpha() and len(kind) > 1:  # one letter: a Python spec (g, f)
                    assert kind in SPEC_KINDS, (code, key, text)


def test_every_column_has_a_label_and_a_known_kind():
    from helpers.display.format import KINDS

    cols = messages.columns()
    assert len(cols) > 30
    for col, (label, kind) in cols.items():
        assert label and label != col, col
        assert kind in KINDS, (col, kind)


def test_a_key_defined_twice_is_refused(monkeypatch, tmp_path):
    import importlib
    import sys
    import types

    from helpers.display import catalog

    fake = types.ModuleType("helpers.display.catalog.zz_dup")
    fake.MESSAGES = {"format.yes": "oui"}
    monkeypatch.setitem(sys.modules, "helpers.display.catalog.zz_dup", fake)
    (tmp_path / "zz_dup.py").write_text("")
    monkeypatch.setattr(catalog, "__path__", [*catalog.__path__, str(tmp_path)])
    messages._english.cache_clear()
    try:
        with pytest.raises(RuntimeError, match="'format.yes' is defined twice"):
            messages.catalog()
    finally:
        monkeypatch.undo()
        messages._english.cache_clear()
        importlib.invalidate_caches()
    assert messages.word("format.yes") == "yes"
