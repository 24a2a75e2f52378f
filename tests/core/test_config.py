"""Config files as a new user writes them: a folder, a Latin-1 file, a tag edit (issue 19)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import SimpleNamespace

import pytest

from helpers.core.config import load_config
from helpers.core.errors import ConfigError, ParameterError

BASE = "sources: {orders: {path: o.csv}}\n"


def test_a_folder_is_named_as_a_folder(tmp_path):
    (tmp_path / "persona.yaml").write_text(BASE)
    with pytest.raises(ConfigError, match=r"is a folder, not a file; pass --config FILE"):
        load_config(tmp_path)
    from helpers.report.context import load_config_checked

    with pytest.raises(ParameterError, match=r"is a folder \(it holds a persona.yaml"):
        load_config_checked(tmp_path)


def test_a_config_that_is_not_utf8_is_one_sentence(tmp_path):
    p = tmp_path / "persona.yaml"
    p.write_bytes(("name: Café\n" + BASE).encode("latin-1"))
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert str(e.value) == (
        f"{p}: expected UTF-8 text, but byte 0xe9 at position 9 is not UTF-8 (is the file "
        "saved as Latin-1 or GBK?); save it as UTF-8"
    )


def test_editing_tags_reruns_the_reports_but_keeps_the_cache(tmp_path):
    from helpers.report.plan import plan_month
    from helpers.report.specs import REVIEW_NOTEBOOKS

    def config(tags: str):
        p = tmp_path / "persona.yaml"
        p.write_text(BASE + tags)
        return load_config(p)

    before = config("")
    after = config('tags:\n- {name: whale, layer: value, rule: "revenue >= 100"}\n')
    assert before.digest() == after.digest()  # the cleaned data does not depend on tags
    assert before.settings_digest() != after.settings_digest()

    spec = next(s for s in REVIEW_NOTEBOOKS if s.name == "03_personas")

    def job_hash(cfg):
        project = SimpleNamespace(
            config=cfg,
            fingerprint="data-1",
            data_start=dt.date(2025, 11, 1),
            data_end=dt.date(2026, 3, 31),
            tables={},
        )
        from helpers.report.params import inspect_parameters

        jobs = plan_month(
            "2026-02",
            [spec],
            {spec.name: inspect_parameters(spec)},
            {},
            project=project,
            config_path=Path(tmp_path / "persona.yaml"),
            month_dir=tmp_path / "2026-02",
            with_code=False,
        )
        return jobs[0]["hash"]

    assert job_hash(before) != job_hash(after)  # "unchanged, not re-run" no more
    assert job_hash(before) == job_hash(config(""))


@pytest.mark.parametrize("zone", ["posixrules", "localtime", "Mars/Base"])
def test_a_timezone_the_engine_does_not_know_is_blamed_on_the_key(tmp_path, zone):
    p = tmp_path / "persona.yaml"
    p.write_text(f"timezone: {zone}\n" + BASE)
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert "key 'timezone'" in str(e.value) and f"but {zone!r} was passed" in str(e.value)


def test_the_cache_key_ignores_the_engines_memory_and_threads(tmp_path):
    # a memory limit or a thread count changes how fast rows are cleaned, never which
    base = "name: t\nsources:\n  orders: {path: o.csv}\n"
    (tmp_path / "a.yaml").write_text(base)
    (tmp_path / "b.yaml").write_text(base + "engine: {memory_limit: 2GB, threads: 2}\n")
    (tmp_path / "c.yaml").write_text(base + "engine: {kind: duckdb, database: x.duckdb}\n")
    a, b, c = (load_config(tmp_path / f"{n}.yaml").digest() for n in "abc")
    assert a == b and a != c
