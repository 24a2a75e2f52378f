"""Shared fixtures: reference data in ../shared/data and one generated sample per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
CDNOW = SHARED_DATA / "cdnow"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    assert SHARED_DATA.exists(), (
        f"reference data not found at {SHARED_DATA} (CI lays shared/ beside the repo)"
    )
    return SHARED_DATA


@pytest.fixture(scope="session")
def cdnow_config(tmp_path_factory) -> Path:
    """An orders-only config over the CDNOW sample (as a CRM export would be configured)."""
    d = tmp_path_factory.mktemp("cdnow")
    cfg = d / "persona.yaml"
    cfg.write_text(
        "name: CDNOW 1/10 sample\n"
        "timezone: America/New_York\n"
        "cache_dir: cache\n"
        "sources:\n"
        "  orders:\n"
        f"    path: {CDNOW / 'cdnow_sample_orders.csv'}\n"
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
