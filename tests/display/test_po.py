"""The translators' .po files: complete for every language, and kept in step with the English."""

from __future__ import annotations

import shutil
from pathlib import Path

from babel.messages.pofile import read_po

from helpers.display import messages, po
from helpers.display.messages import LANGUAGES, set_language
from helpers.display.text import t

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def test_every_key_has_a_current_translation_in_every_language():
    english = po.english_domains(NOTEBOOKS)
    n_keys = sum(len(v) for v in english.values())
    assert n_keys > 1_100  # the catalogs and the 98 markdown cells, not an empty set
    assert len(english[po.NOTEBOOK_DOMAIN]) == 98
    for code in LANGUAGES:
        if code != "en":
            assert po.catalog_problems(NOTEBOOKS, code) == []


def test_a_translation_is_used_only_for_the_english_it_was_made_from(tmp_path, monkeypatch):
    # a copy of the zh files where the English of one key has moved on
    root = tmp_path / "locales"
    shutil.copytree(messages.LOCALE_DIR, root)
    monkeypatch.setattr(messages, "LOCALE_DIR", root)
    monkeypatch.setattr(po, "LOCALE_DIR", root)
    messages._translations.cache_clear()
    common = root / "zh_CN" / "LC_MESSAGES" / "common.po"
    common.write_text(
        common.read_text(encoding="utf-8").replace('msgid "yes"', 'msgid "yes!"', 1),
        encoding="utf-8",
    )
    try:
        set_language("zh")
        assert t("format.yes") == "yes"  # stale: the English shows, not an old translation
        assert t("format.no") == "否"
        assert messages.untranslated("zh", {"format.yes": "yes", "format.no": "no"}) == [
            "format.yes"
        ]
        assert any(
            "'format.yes' translates an older English text" in p
            for p in po.catalog_problems(NOTEBOOKS, "zh")
        )
        # update-catalogs keeps the old translation, marked fuzzy, and drops nothing else
        said = po.update_catalogs(NOTEBOOKS)
        assert any(
            s.endswith("common.po: 0 new, 1 changed (marked fuzzy), 0 dropped") for s in said
        )
        with common.open("rb") as fh:
            entry = {m.context: m for m in read_po(fh)}["format.yes"]
        assert entry.fuzzy and entry.string == "是" and entry.id == "yes"
        messages._translations.cache_clear()
        assert t("format.yes") == "yes"  # fuzzy: still not shown
        assert po.update_catalogs(NOTEBOOKS) == []  # a second run changes nothing
    finally:
        set_language("en")
        monkeypatch.undo()
        messages._translations.cache_clear()


def test_placeholders_must_survive_translation(tmp_path, monkeypatch):
    root = tmp_path / "locales"
    shutil.copytree(messages.LOCALE_DIR, root)
    monkeypatch.setattr(po, "LOCALE_DIR", root)
    common = root / "zh_CN" / "LC_MESSAGES" / "common.po"
    text = common.read_text(encoding="utf-8")
    assert 'msgstr "{value} 个百分点"' in text
    common.write_text(text.replace('msgstr "{value} 个百分点"', 'msgstr "{v} 个百分点"'), "utf-8")
    problems = po.catalog_problems(NOTEBOOKS, "zh")
    assert problems == [
        f"{common}: 'format.pp' has the fields ['v'] but the English has ['value']"
    ]


def test_chinese_sentences_use_the_chinese_formats():
    import datetime as dt

    try:
        set_language("zh")
        # a month filled in next to Chinese leaves no space; digits keep theirs
        assert t("review.kpis.caption", month="2026-10", previous_month="2026-09") == (
            "2026年10月关键指标，与 2026年9月对比。"
        )
        assert t("audit.sources.note", timezone="Asia/Shanghai").endswith(
            "时间均按业务时区 Asia/Shanghai 显示，自然日也按该时区切分。"
        )
        assert t("activity.sensitivity.without", event="order") == "不含下单（订单表）"
        assert t("churn.covariate.level", attribute="gender", level="男") == "性别：男"
        from helpers.display.format import fmt

        assert fmt(dt.date(2026, 10, 31), "date", prose=True) == "2026年10月31日"
        assert fmt(dt.date(2026, 10, 31), "date") == "2026-10-31"  # tables keep ISO dates
        import pandas as pd

        from helpers.display.format import date_axis_formats, set_timezone

        set_timezone("Asia/Shanghai")
        try:  # an instant in the business timezone, named as Chinese readers name it
            assert fmt(pd.Timestamp("2025-10-31T16:09:52", tz="UTC"), "date") == (
                "2025-11-01 00:09 北京时间"
            )
        finally:
            set_timezone(None)
        assert date_axis_formats()["zero_formats"][1:3] == ["%Y年", "%-m月"]
        assert t("format.pp", value="+1.2") == "+1.2 个百分点"
        assert t("table.more_rows.other", n=12_345, file="churn_risk.csv") == (
            "另有 1.2万行，见 artifacts/churn_risk.csv。"
        )
    finally:
        set_language("en")
    assert (
        t("table.more_rows.other", n=12_345, file="a.csv")
        == "12,345 more rows in artifacts/a.csv."
    )
