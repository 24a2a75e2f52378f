"""The ``persona-kit`` command line: errors as one line with exit 2, failures as exit 1.

Project loading is replaced by a fake project and the review's notebooks by fixture notebooks,
so only the CLI wiring and the runner are exercised (2 notebook executions).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import types
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from helpers.cli import main
from helpers.report import runner, specs
from helpers.report.specs import NotebookSpec

FIXTURES = Path(__file__).parent / "fixtures" / "notebooks"


def fake_project(root: Path):
    (root / "persona.yaml").write_text("name: Fixture shop\n")
    config = SimpleNamespace(
        name="Fixture shop",
        timezone="UTC",
        config_path=root / "persona.yaml",
        root=root,
        report=SimpleNamespace(out_dir=None, title=None),
    )
    return SimpleNamespace(
        config=config,
        fingerprint="fp-cli",
        data_start=dt.date(2025, 11, 1),
        data_end=dt.date(2026, 3, 31),
        tables={"assignments": None},
        latest_complete_month=lambda: "2026-02",
    )


@pytest.fixture
def fixture_review(monkeypatch, tmp_path):
    """The CLI's run command on fixture notebooks and a fake project rooted at tmp_path."""
    project = fake_project(tmp_path)
    monkeypatch.setattr(
        specs,
        "REVIEW_NOTEBOOKS",
        (
            NotebookSpec("10_ok", path=FIXTURES / "10_ok.ipynb"),
            NotebookSpec("20_fail", path=FIXTURES / "20_fail.ipynb"),
            NotebookSpec("30_after", depends_on=("20_fail",), path=FIXTURES / "30_after.ipynb"),
        ),
    )
    monkeypatch.setattr(runner, "_load_project", lambda path, progress: project)
    return tmp_path


def test_bad_month_is_one_error_line_with_exit_2():
    result = CliRunner().invoke(main, ["run", "--month", "2026-13"])
    assert result.exit_code == 2
    assert result.stderr == (
        "error: The parameter `month` must be a month written YYYY-MM, "
        "e.g. '2026-10', but '2026-13' was passed.\n"
    )
    assert "Traceback" not in result.output


def test_missing_config_names_the_file(tmp_path):
    missing = tmp_path / "nope.yaml"
    result = CliRunner().invoke(main, ["audit", "--config", str(missing)])
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "error: The parameter `config` must point to a project config file"
    )
    assert str(missing) in result.stderr and result.stderr.count("\n") == 1


def test_month_and_months_together_are_refused():
    result = CliRunner().invoke(
        main, ["run", "--month", "2026-01", "--months", "2026-01..2026-02"]
    )
    assert result.exit_code == 2 and "either `month` or `months`" in result.stderr


def test_unknown_parameter_is_refused_before_running(fixture_review):
    result = CliRunner().invoke(
        main,
        ["run", "--month", "2026-01", "--out", str(fixture_review / "out"), "-p", "nope", "1"],
    )
    assert result.exit_code == 2
    assert "`nope` is not declared by any notebook" in result.stderr
    assert "valid parameters: label, x" in result.stderr
    assert not (fixture_review / "out").exists()


def test_run_reports_failure_with_exit_1_and_typed_parameters(fixture_review):
    out = fixture_review / "out"
    result = CliRunner().invoke(
        main,
        [
            "run",
            "--month",
            "2026-01",
            "--out",
            str(out),
            "-p",
            "label",
            "007",
            "-p",
            "x",
            "5",
            "--jobs",
            "2",
        ],
    )
    assert result.exit_code == 1, result.output
    assert result.stderr == "failed: 2026-01/20_fail\n"
    assert f"2026-01: {out / '2026-01' / 'index.html'}" in result.stdout
    assert f"archive: {out / 'index.html'}" in result.stdout
    assert "3 report(s), 2 executed" in result.stdout
    assert "30_after: skipped: depends on failed 20_fail" in result.stdout
    metrics = json.loads((out / "2026-01" / "artifacts" / "metrics.json").read_text())
    assert metrics["10_ok"]["label"]["value"] == "007"
    assert metrics["10_ok"]["x"]["value"] == 5


def test_only_with_an_unknown_name_lists_the_notebooks(fixture_review):
    result = CliRunner().invoke(main, ["run", "--only", "nosuch"])
    assert result.exit_code == 2
    assert (
        "`only` must name report notebooks among ['10_ok', '20_fail', '30_after']" in result.stderr
    )


def test_sample_passes_its_options(monkeypatch, tmp_path):
    calls = []
    fake = types.ModuleType("helpers.sample.generator")
    fake.generate_sample = lambda out, **kw: calls.append((out, kw)) or {}
    monkeypatch.setitem(sys.modules, "helpers.sample.generator", fake)
    result = CliRunner().invoke(
        main,
        ["sample", "--out", str(tmp_path / "s"), "--users", "300", "--months", "3", "--seed", "7"],
    )
    assert result.exit_code == 0, result.output
    assert calls == [
        (
            str(tmp_path / "s"),
            {"users": 300, "months": 3, "seed": 7, "language": "en", "progress": True},
        )
    ]
    assert f"persona-kit run --config {tmp_path / 's' / 'persona.yaml'}" in result.stdout


def test_audit_prints_the_summary(monkeypatch, tmp_path):
    (tmp_path / "persona.yaml").write_text("name: x\n")
    from helpers.data import audit, pipeline
    from helpers.report import context

    monkeypatch.setattr(context, "load_config", lambda path: f"cfg:{Path(path).name}")
    monkeypatch.setattr(pipeline, "load_project", lambda cfg, progress: ("project", cfg))
    monkeypatch.setattr(
        audit, "audit_summary_text", lambda project: f"rows kept: 42 ({project[1]})"
    )
    result = CliRunner().invoke(main, ["audit", "--config", str(tmp_path / "persona.yaml")])
    assert result.exit_code == 0, result.output
    assert result.stdout == "rows kept: 42 (cfg:persona.yaml)\n"


def test_init_writes_a_starter_config_that_loads_and_refuses_to_overwrite(tmp_path):
    from helpers.core.config import load_config

    result = CliRunner().invoke(main, ["init", str(tmp_path / "proj")])
    assert result.exit_code == 0, result.output
    cfg = load_config(tmp_path / "proj" / "persona.yaml")
    assert (cfg.timezone, cfg.churn.inactive_days) == ("Asia/Shanghai", 30)
    assert [s.columns["event_name"] for s in cfg.sources.events] == ["action"]
    assert not (tmp_path / "proj" / "notebooks").exists()
    again = CliRunner().invoke(main, ["init", str(tmp_path / "proj")])
    assert again.exit_code == 2 and "does not overwrite it" in again.stderr


def test_init_with_notebooks_copies_them_and_run_prefers_the_copies(tmp_path):
    from helpers.report.notebooks import kit_notebooks_dir, notebooks_dir

    result = CliRunner().invoke(main, ["init", str(tmp_path / "proj"), "--notebooks"])
    assert result.exit_code == 0, result.output
    copies = sorted(p.name for p in (tmp_path / "proj" / "notebooks").glob("*.ipynb"))
    assert copies == sorted(p.name for p in kit_notebooks_dir().glob("[0-9]*.ipynb"))
    assert len(copies) == 7
    assert notebooks_dir(tmp_path / "proj") == (tmp_path / "proj" / "notebooks").resolve()
    assert notebooks_dir(tmp_path) == kit_notebooks_dir()  # no copies there


def test_lab_opens_the_notebooks_beside_the_config(tmp_path):
    CliRunner().invoke(main, ["init", str(tmp_path / "proj"), "--notebooks"])
    result = CliRunner().invoke(
        main, ["lab", "--config", str(tmp_path / "proj" / "persona.yaml"), "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().endswith(
        f"-m jupyterlab --notebook-dir={(tmp_path / 'proj' / 'notebooks').resolve()}"
    )


def test_lab_without_notebook_copies_says_how_to_get_them(tmp_path):
    CliRunner().invoke(main, ["init", str(tmp_path / "proj")])  # a config, no notebooks
    result = CliRunner().invoke(
        main, ["lab", "--config", str(tmp_path / "proj" / "persona.yaml"), "--dry-run"]
    )
    assert result.exit_code == 2
    assert f"run `persona-kit init {tmp_path / 'proj'} --notebooks` first" in result.stderr


def test_lab_in_the_checkout_opens_the_repository_notebooks():
    from helpers.report.notebooks import kit_notebooks_dir

    root = kit_notebooks_dir().parent
    result = CliRunner().invoke(main, ["lab", "--config", str(root / "persona.yaml"), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().endswith(f"--notebook-dir={kit_notebooks_dir()}")


def test_an_unwritable_cache_is_one_error_line(tmp_path):
    """A cache folder that cannot be created (a file is in its way) is one `error:` sentence
    naming the path, not an OSError traceback."""
    (tmp_path / "orders.csv").write_text(
        "order_id,user_id,order_time,amount\no1,u1,2025-12-01,10\n"
    )
    (tmp_path / "blocked").write_text("a file, not a folder")
    (tmp_path / "persona.yaml").write_text(
        "cache_dir: blocked/cache\nsources: {orders: {path: orders.csv}}\n"
    )
    result = CliRunner().invoke(main, ["audit", "--config", str(tmp_path / "persona.yaml")])
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: cannot write ")
    assert "blocked" in lines[0] and "cache_dir" in lines[0] and "Traceback" not in result.output
