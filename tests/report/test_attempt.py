"""A section the data cannot support says what it needs (issue 19: degrade, don't fail).

``ReportContext.attempt`` turns a model's :class:`ModelError` (no buyers, no churned lives, too
short a history) into an :class:`Unavailable` note, passes an unavailable input on without
calling the next section, closes the chart the section would have drawn, and lets a bug through.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from helpers.core.errors import ModelError, NotEnoughData  # noqa: E402
from helpers.display.blocks import Unavailable  # noqa: E402
from helpers.display.messages import set_language  # noqa: E402
from helpers.display.text import t  # noqa: E402
from helpers.report.context import ReportContext  # noqa: E402


def context() -> ReportContext:
    day = dt.date(2026, 1, 31)
    return ReportContext(
        notebook="04_churn",
        name="04_churn",
        month="2026-01",
        prev_month="2025-12",
        month_start=day.replace(day=1),
        as_of=day,
        out_dir=Path("."),
        artifacts=Path("."),
        project=None,
        config=None,
    )


def no_lives(*_args, **_kwargs):
    raise NotEnoughData("Too little to fit a Cox model: 0 churned lives and covariates [].")


def test_a_model_error_becomes_the_note_of_what_the_section_needs():
    ctx = context()
    result = ctx.attempt(no_lives, 1, needs="churn.needs.cox")
    assert isinstance(result, Unavailable) and not result
    assert result.needs == t("churn.needs.cox")
    # in English the model's own reason follows, for the analyst
    assert result.text == (
        t("churn.needs.cox")
        + " (Too little to fit a Cox model: 0 churned lives and covariates [].)"
    )
    assert "pk-note-missing" in result._repr_html_()
    reason = "Too little to fit a Cox model: 0 churned lives and covariates []."
    assert ctx.unavailable == [{"needs": "churn.needs.cox", "detail": reason}]


def test_a_chinese_report_shows_only_the_chinese_sentence():
    set_language("zh")
    try:
        result = context().attempt(no_lives, needs="churn.needs.cox")
        assert result.text == t("churn.needs.cox") and "Cox model:" not in result.text
        assert result.text.startswith("暂无 Cox 模型")
    finally:
        set_language("en")


def test_an_unavailable_input_skips_the_call_and_closes_the_chart():
    ctx = context()
    risk = ctx.attempt(no_lives, needs="churn.needs.risk")
    calls = []
    fig, ax = plt.subplots()
    drawn = ctx.attempt(lambda r, ax: calls.append(r), risk.risk_, ax=ax, needs="churn.needs.risk")
    assert calls == [] and not drawn  # risk.risk_ of an unavailable model is unavailable
    assert not plt.fignum_exists(fig.number)  # no empty chart is shown
    table = ctx.attempt(lambda x: x * 2, risk, needs="churn.needs.at_risk")
    assert table.needs == t("churn.needs.at_risk") and table.detail == ""
    assert [u["needs"] for u in ctx.unavailable] == ["churn.needs.risk", "churn.needs.at_risk"]


def test_a_section_that_works_returns_its_result_and_a_bug_still_fails():
    ctx = context()
    assert ctx.attempt(lambda a, b=0: a + b, 2, b=3, needs="churn.needs.cox") == 5
    assert ctx.unavailable == []
    with pytest.raises(KeyError):  # not a ModelError: a bug is never turned into a note
        ctx.attempt(lambda: {}["x"], needs="churn.needs.cox")
    with pytest.raises(AttributeError):  # private names are real lookups
        Unavailable("x")._ipython_display_  # noqa: B018
    assert issubclass(NotEnoughData, ModelError)
