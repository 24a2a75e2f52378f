"""A review in Chinese (issue 15): the Chinese sample end to end, and the same numbers as English.

* The Chinese sample (Chinese event names, attribute values and one source with a Chinese
  header) renders a review whose every page says ``<html lang="zh-CN">`` and holds no run of five
  English words outside code, and whose executed notebooks logged no missing glyph: the charts
  draw Chinese with the bundled font on a machine without an OS CJK font (CI has none).
* ``-p language zh`` on the English sample writes the same artifacts as the English run: every
  number equal, only words differ.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from helpers.report.runner import run_review
from tests.report.visible_text import english_runs, visible_text

pytestmark = pytest.mark.notebook


@pytest.fixture(scope="module")
def zh_review(tmp_path_factory):
    from helpers.sample.generator import generate_sample

    sample = tmp_path_factory.mktemp("sample_zh") / "sample"
    generate_sample(sample, users=1500, months=12, seed=11, language="zh")
    out = tmp_path_factory.mktemp("reports_zh")
    result = run_review(sample / "persona.yaml", out=out, jobs=2, progress=False)
    return sample, out, result


@pytest.fixture(scope="module")
def zh_on_english_data(en_review, tmp_path_factory):
    sample, _, _ = en_review
    out = tmp_path_factory.mktemp("reports_en_data_zh")
    result = run_review(
        sample / "persona.yaml", out=out, jobs=2, progress=False, params={"language": "zh"}
    )
    return out, result


def _pages(out: Path) -> list[Path]:
    return sorted(out.glob("*/*.html")) + [out / "index.html"]


def test_the_chinese_sample_runs_every_report(zh_review):
    sample, out, result = zh_review
    assert result.ok, [(r.name, r.reason) for r in result.runs if r.status != "ok"]
    names = {r.name for r in result.runs if r.month == result.months[-1]}
    assert {"01_data_audit", "02_active_users", "03_personas", "04_churn"} <= names
    assert "06_persona_review" in names
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


def _numbers(value):
    """Every number in a JSON value, in order (words dropped)."""
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, (int, float)):
        return [float(value)]
    if isinstance(value, dict):
        return [n for k in sorted(value) for n in _numbers(value[k])]
    if isinstance(value, list):
        return [n for v in value for n in _numbers(v)]
    return []


def _same(a: list[float], b: list[float]) -> bool:
    return len(a) == len(b) and all(
        (math.isnan(x) and math.isnan(y)) or math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9)
        for x, y in zip(a, b, strict=True)
    )


def test_only_the_words_change(en_review, zh_on_english_data):
    _, en_out, en_result = en_review
    from helpers.display.messages import language

    zh_out, zh_result = zh_on_english_data
    assert zh_result.ok
    assert language() == "en"  # the run's language does not outlive it
    month = en_result.months[-1]
    en_dir, zh_dir = en_out / month / "artifacts", zh_out / month / "artifacts"
    csvs = sorted(p.relative_to(en_dir) for p in en_dir.rglob("*.csv"))
    jsons = sorted(p.relative_to(en_dir) for p in en_dir.rglob("*.json"))
    assert len(csvs) >= 10 and len(jsons) >= 5
    assert sorted(p.relative_to(zh_dir) for p in zh_dir.rglob("*.csv")) == csvs
    for rel in csvs:
        en, zh = pd.read_csv(en_dir / rel), pd.read_csv(zh_dir / rel)
        assert en.shape == zh.shape and list(en.columns) == list(zh.columns), rel
        num = en.select_dtypes("number").columns
        assert list(zh.select_dtypes("number").columns) == list(num), rel
        pd.testing.assert_frame_equal(en[num], zh[num], check_exact=False, rtol=1e-9), rel
    for rel in jsons:
        en = json.loads((en_dir / rel).read_text(encoding="utf-8"))
        zh = json.loads((zh_dir / rel).read_text(encoding="utf-8"))
        assert _same(_numbers(en), _numbers(zh)), rel
