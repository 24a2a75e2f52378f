"""Shared fixtures and test lanes.

* Reference data: ``../shared/data`` beside the repository (CI lays ``shared/`` there), found in
  one place (:data:`SHARED_DATA`, or the ``PERSONA_KIT_SHARED_DATA`` variable) and handed to the
  tests as the fixtures ``shared_data``, ``cdnow_dir``, ``ab_golden``, ``published_btyd`` and,
  for the parametrized gbstats cases, ``golden_case``.
* One generated sample per test session (``small_sample``).
* Lanes: ``-m "not notebook and not spark and not install"`` is the fast lane (``make
  test-fast``). On a machine without Java the Spark tests are skipped with one reason, unless
  ``PERSONA_KIT_REQUIRE_SPARK=1`` (set by ``.ci/run``), which turns the skip into a failure.
* Display: every column a report shows must have a label (``PERSONA_KIT_STRICT_LABELS=1``).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("PERSONA_KIT_SHARED_DATA") or ROOT.parent / "shared" / "data")
REQUIRE_SPARK = "PERSONA_KIT_REQUIRE_SPARK"

os.environ.setdefault("PERSONA_KIT_STRICT_LABELS", "1")


def _shared(*parts: str) -> Path:
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.fail(
            f"Reference data not found at {path}: the tests read ../shared/data beside the "
            "repository (or the folder named by PERSONA_KIT_SHARED_DATA)."
        )
    return path


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The reference data folder (``../shared/data``)."""
    return _shared()


@pytest.fixture(scope="session")
def cdnow_dir(shared_data) -> Path:
    """The CDNOW 1/10 sample with the BTYD figures published for it."""
    return _shared("cdnow")


@pytest.fixture(scope="session")
def published_btyd(cdnow_dir) -> dict:
    """BG/NBD and Gamma-Gamma parameters published for CDNOW (Fader, Hardie and Lee)."""
    return json.loads((cdnow_dir / "published_btyd.json").read_text())


@pytest.fixture(scope="session")
def ab_golden(shared_data) -> dict:
    """GrowthBook gbstats 0.8.0 results on fixed A/B vectors."""
    return json.loads((shared_data / "ab_golden.json").read_text())


def pytest_generate_tests(metafunc):
    if "golden_case" in metafunc.fixturenames:
        cases = json.loads(_shared("ab_golden.json").read_text())["cases"]
        metafunc.parametrize("golden_case", cases, ids=[c["kind"] for c in cases])


def _has_java() -> bool:
    return bool(shutil.which("java") or os.environ.get("JAVA_HOME"))


def pytest_collection_modifyitems(config, items):
    if _has_java() or os.environ.get(REQUIRE_SPARK) == "1":
        return
    skip = pytest.mark.skip(
        reason="no Java on this machine: the Spark tests need a JRE "
        f"(CI sets {REQUIRE_SPARK}=1 to make this a failure)"
    )
    for item in items:
        if "spark" in item.keywords:
            item.add_marker(skip)


def pytest_runtest_setup(item):
    if "spark" in item.keywords and not _has_java() and os.environ.get(REQUIRE_SPARK) == "1":
        pytest.fail(
            f"{REQUIRE_SPARK}=1 but there is no Java on this machine (no `java` on PATH, "
            "no JAVA_HOME): the Spark path cannot be proved here.",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def cdnow_config(tmp_path_factory, cdnow_dir) -> Path:
    """An orders-only config over the CDNOW sample (as a CRM export would be configured)."""
    d = tmp_path_factory.mktemp("cdnow")
    cfg = d / "persona.yaml"
    cfg.write_text(
        "name: CDNOW 1/10 sample\n"
        "timezone: America/New_York\n"
        "cache_dir: cache\n"
        "sources:\n"
        "  orders:\n"
        f"    path: {cdnow_dir / 'cdnow_sample_orders.csv'}\n"
        "    columns: {user_id: customer_id, order_time: date, amount: dollars}\n"
        '    time_format: "%Y%m%d"\n'
    )
    return cfg


@pytest.fixture(scope="session")
def small_sample(tmp_path_factory) -> Path:
    """A small generated sample (2,500 users, 12 months): sources, persona.yaml, truth.json."""
    from helpers.sample.generator import generate_sample

    d = tmp_path_factory.mktemp("sample") / "sample"
    generate_sample(d, users=2500, months=12, seed=7)
    return d


@pytest.fixture(scope="session")
def en_review(small_sample, tmp_path_factory):
    """The English review of ``small_sample``: (sample folder, reports folder, RunResult)."""
    from helpers.report.runner import run_review

    out = tmp_path_factory.mktemp("reports_en")
    result = run_review(small_sample / "persona.yaml", out=out, jobs=2, progress=False)
    return small_sample, out, result
