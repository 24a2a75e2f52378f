"""A review in Chinese (issue 15): the Chinese sample end to end, and the same numbers as English.

* The Chinese sample (Chinese event names, attribute values and one source with a Chinese
  header) renders a review whose every page says ``<html lang="zh-CN">`` and holds no run of five
  English words outside code, and whose executed notebooks logged no missing glyph: the charts
  draw Chinese with the bundled font on a machine without an OS CJK font (CI has none).
* ``-p language zh`` writing the same artifacts as the English run (every number equal, only
  words differ) is checked on a toy export, in ``test_any_export_review``.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from helpers.report.runner import run_review
from tests.report.visible_text import english_runs, visible_text

pytestmark = pytest.mark.notebook


@pytest.fixture(scope="module")
def zh_review(tmp_path_factory):
    from helpers.sample.generator import generate_sample

    sample = tmp_path_factory.mktemp("sample_zh") / "sample"
    generate_sample(sample, users=800, months=12, seed=11, language="zh")
    out = tmp_path_factory.mktemp("reports_zh")
    result = run_review(sample / "persona.yaml", out=out, jobs=2, progress=False)
    return sample, out, result


def _pages(out: Path) -> list[Path]:
    return sorted(out.glob("*/*.html")) + [out / "index.html"]


def test_the_chinese_sample_runs_every_report(zh_review):
    sample, out, result = zh_review
    assert result.ok, [(r.name, r.reason) for r in result.runs if r.status != "ok"]
    names = {r.name for r in result.runs if r.month == result.months[-1]}
    assert {
        "01_data_audit",
        "02_active_users",
        "03_personas",
        "04_churn",
        "05_pain_points",
    } <= names
    assert "07_persona_review" in names
    assert any(n.startswith("ab_") for n in names)


def test_every_page_is_chinese(zh_review):
    _, out, _ = zh_review
    pages = _pages(out)
    assert len(pages) >= 9  # the reports of the month, its index and the archive
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert '<html lang="zh-CN">' in html or "<html lang='zh-CN'>" in html, page
        assert english_runs(visible_text(html)) == [], page


def test_no_missing_glyph_in_any_executed_notebook(zh_review):
    from helpers.display import theme

    _, out, _ = zh_review
    assert theme.cjk_fonts()  # an OS CJK font, or the bundled Noto Sans CJK SC
    notebooks = sorted(out.glob("*/*.ipynb"))
    assert len(notebooks) >= 7
    images = 0
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            for output in cell.get("outputs", []):
                text = output.get("text", "") + json.dumps(
                    output.get("data", {}).get("text/plain", "")
                )
                assert "missing from" not in text and "Glyph" not in text, (path.name, text[:200])
                images += "image/png" in output.get("data", {})
    assert images >= 20  # charts were drawn, with Chinese titles
