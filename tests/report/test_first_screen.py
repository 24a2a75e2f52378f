"""Every report reads top-down: its first screen (1400 x 900 at first load) shows the KPI cards
and the findings. Checked on the rendered sample review, in the page structure and, where
Chromium is installed, in the laid-out page."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest
from bs4 import BeautifulSoup

pytestmark = pytest.mark.notebook

WIDTH, HEIGHT = 1400, 900
# appended to a copy of the page: the layout boxes of the brief's parts, in the page title
_PROBE = """<script>
window.addEventListener('load', () => {
  const b = document.querySelector('.pk-brief');
  const box = (el) => el ? Math.round(el.getBoundingClientRect().bottom) : -1;
  const cards = b ? [...b.querySelectorAll('.pk-kpi')].map(box) : [];
  const lists = b ? [...b.querySelectorAll('ul, ol')].slice(0, 1).map(box) : [];
  document.title = 'PROBE' + JSON.stringify({cards: cards, findings: lists});
});
</script>"""


def _chromium() -> str | None:
    return (
        shutil.which("chromium")
        or shutil.which("chromium-browser")
        or shutil.which("google-chrome")
    )


def test_the_brief_comes_first_with_cards_and_findings(en_review):
    _, _, result = en_review
    for run in result.runs:
        soup = BeautifulSoup(run.html.read_text(), "html.parser")
        brief = soup.select_one(".pk-brief")
        assert brief is not None, run.name
        # nothing of the report's sections comes before it: no table, chart or section heading
        before = brief.find_all_previous(["table", "img", "h2"])
        assert [e for e in before if not e.find_parent("header")] == [], run.name
        assert len(brief.select(".pk-kpi")) >= 2, run.name
        assert brief.select("ul li"), run.name
        contents = soup.select_one(".pk-contents")
        assert contents is not None and len(contents.find_all("a")) >= 2, run.name


@pytest.mark.skipif(
    _chromium() is None, reason="needs headless Chromium (Debian package chromium)"
)
def test_the_first_screen_shows_the_cards_and_findings(en_review, tmp_path):
    _, _, result = en_review
    for run in result.runs:
        page = tmp_path / f"{run.name}.html"
        page.write_text(run.html.read_text().replace("</body>", _PROBE + "</body>"))
        dom = subprocess.run(
            [
                _chromium(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                f"--window-size={WIDTH},{HEIGHT}",
                "--virtual-time-budget=5000",
                "--dump-dom",
                page.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        ).stdout
        found = re.search(r"<title>PROBE(.*?)</title>", dom)
        assert found, run.name
        boxes = json.loads(found.group(1).replace("&quot;", '"'))
        assert boxes["cards"] and max(boxes["cards"]) <= HEIGHT, (run.name, boxes)
        assert boxes["findings"] and 0 < boxes["findings"][0] <= HEIGHT, (run.name, boxes)
