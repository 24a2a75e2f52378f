"""Report context, runner, HTML and index pages, on fixture notebooks that need no project data.

The notebook runs are shared through module-scoped fixtures (each execution costs seconds):
9 notebook executions in all.
"""

from __future__ import annotations

import datetime as dt
import html as html_lib
import json
import re
from pathlib import Path
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from helpers.core import metrics
from helpers.core import time as months
from helpers.core.errors import ParameterError  # noqa: E402
from helpers.report import context as report
from helpers.report import html as report_html
from helpers.report import params as report_params
from helpers.report import plan, sanitize
from helpers.report.runner import run_review
from helpers.report.specs import NotebookSpec

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "notebooks"
OK = NotebookSpec("10_ok", path=FIXTURES / "10_ok.ipynb")
FAIL = NotebookSpec("20_fail", path=FIXTURES / "20_fail.ipynb")
AFTER = NotebookSpec("30_after", depends_on=("20_fail",), path=FIXTURES / "30_after.ipynb")
AB = NotebookSpec("50_ab", per_experiment=True, path=FIXTURES / "50_ab.ipynb")
NOPARAMS = NotebookSpec("40_noparams", path=FIXTURES / "40_noparams.ipynb")

REMOTE = re.compile(
    r"<script[^>]+src=[\"']?(https?:)?//|<link[^>]+href=[\"']?(https?:)?//", re.IGNORECASE
)


def fake_project(root: Path, *, assignments=None, out_dir=None, fingerprint="fp-1"):
    """What the runner and start() read from a Project, without any data."""
    (root / "persona.yaml").write_text("name: Fixture shop\n")
    config = SimpleNamespace(
        name="Fixture shop",
        timezone="UTC",
        config_path=root / "persona.yaml",
        root=root,
        report=SimpleNamespace(out_dir=out_dir, title=None),
    )
    return SimpleNamespace(
        config=config,
        fingerprint=fingerprint,
        data_start=dt.date(2025, 11, 1),
        data_end=dt.date(2026, 3, 31),
        tables={"assignments": assignments},
        latest_complete_month=lambda: "2026-02",
    )


def text_of(path: Path) -> str:
    """Visible text of an HTML file (styles and tags removed, entities decoded)."""
    raw = Path(path).read_text(encoding="utf-8")
    raw = re.sub(r"<style.*?</style>", " ", raw, flags=re.DOTALL)
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", raw)).split())


def metrics_of(month_dir: Path) -> dict:
    return json.loads((month_dir / "artifacts" / "metrics.json").read_text())


# --- no notebook execution ---------------------------------------------------------------------
def test_parse_month_names_the_parameter_and_the_value():
    assert months.parse_month("2026-10") == "2026-10"
    with pytest.raises(ParameterError, match=r"`month`.*'2026-13'"):
        months.parse_month("2026-13")
    assert months.month_bounds("2024-02") == (dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    assert months.month_range("2025-11..2026-02") == ["2025-11", "2025-12", "2026-01", "2026-02"]
    with pytest.raises(ParameterError, match=r"`months`.*forward"):
        months.month_range("2026-02..2025-11")


def test_parameters_convert_to_the_declared_type():
    assert report_params.convert_parameter("label", "007", "str") == "007"
    assert report_params.convert_parameter("x", "5", "int") == 5
    assert report_params.convert_parameter("rate", "0.25", "float") == 0.25
    assert report_params.convert_parameter("flag", "false", "bool") is False
    assert report_params.convert_parameter("ids", "[1, 2]", "list") == [1, 2]
    assert report_params.convert_parameter("x", 3, "float") == 3.0
    with pytest.raises(ParameterError, match=r"`x` must be an integer.*'five'"):
        report_params.convert_parameter("x", "five", "int")
    # papermill's own CLI parsing, used for undeclared types
    assert report_params.resolve_type("007") == 7 and report_params.resolve_type("True") is True


def test_inspect_declared_types_and_missing_parameters_cell():
    assert report_params.inspect_parameters(OK) == {
        "month": "str",
        "out_dir": "str",
        "x": "int",
        "label": "str",
    }
    with pytest.raises(
        ParameterError, match=r"40_noparams\.ipynb has no cell tagged `parameters`"
    ):
        report_params.inspect_parameters(NOPARAMS)


def test_unknown_parameter_is_named_with_the_valid_ones(tmp_path):
    with pytest.raises(ParameterError) as err:
        run_review(
            tmp_path / "persona.yaml",
            month="2026-01",
            out=tmp_path / "out",
            notebooks=[OK, FAIL],
            params={"nope": "1"},
            project=fake_project(tmp_path),
            progress=False,
        )
    assert "`nope`" in str(err.value) and "valid parameters: label, x" in str(err.value)
    with pytest.raises(ParameterError, match=r"`month` is set by the runner; use --month"):
        run_review(
            tmp_path / "persona.yaml",
            notebooks=[OK],
            params={"month": "2026-01"},
            project=fake_project(tmp_path),
            progress=False,
        )
    with pytest.raises(ParameterError, match=r"inside the data window 2025-11-01 \.\. 2026-03-31"):
        run_review(
            tmp_path / "persona.yaml",
            month="2026-06",
            notebooks=[OK],
            project=fake_project(tmp_path),
            progress=False,
        )
    assert not (tmp_path / "out").exists()  # nothing ran


def test_record_metric_formats_and_merges(tmp_path):
    metrics.record_metric(
        tmp_path,
        "02_active_users",
        "mau",
        np.int64(1234),
        label="MAU",
        display="1,234",
        kind="count",
    )
    metrics.record_metric(
        tmp_path,
        "02_active_users",
        "dau_mau",
        0.1234,
        label="DAU/MAU",
        display="12.3%",
        kind="share",
        note="stickiness",
    )
    metrics.record_metric(tmp_path, "03_personas", "personas", 5, label="Personas", display="5")
    metrics.record_metric(
        tmp_path, "02_active_users", "mau", 1240, label="MAU", display="1,240", kind="count"
    )  # replaces
    merged = metrics.merge_metrics(tmp_path / "artifacts")
    assert merged["02_active_users"]["mau"].value == 1240
    assert merged["02_active_users"]["mau"].display == "1,240"
    assert merged["02_active_users"]["dau_mau"].note == "stickiness"
    assert merged["03_personas"]["personas"].display == "5"
    on_disk = json.loads((tmp_path / "artifacts" / "metrics.json").read_text())
    assert on_disk["02_active_users"]["mau"] == {
        "value": 1240,
        "label": "MAU",
        "kind": "count",
        "display": "1,240",
        "note": "",
    }
    assert metrics.read_merged(tmp_path / "artifacts" / "metrics.json") == merged
    saved = json.loads((tmp_path / "artifacts/metrics/02_active_users.json").read_text())
    assert type(saved["mau"]["value"]) is int


def test_start_resolves_month_paths_and_records(tmp_path):
    project = fake_project(tmp_path)
    ctx = report.start(
        "02_active_users",
        params={"config_path": "unused", "month": "2026-01", "out_dir": str(tmp_path / "r")},
        project=project,
        theme=False,
    )
    assert (ctx.month, ctx.prev_month) == ("2026-01", "2025-12")
    assert (ctx.month_start, ctx.as_of) == (dt.date(2026, 1, 1), dt.date(2026, 1, 31))
    assert ctx.artifacts == (tmp_path / "r" / "artifacts").resolve() and ctx.artifacts.is_dir()
    assert ctx.previous_artifacts == (tmp_path / "2025-12" / "artifacts").resolve()
    ctx.record("mau", 321.0, kind="count", days=28, as_of=ctx.as_of)
    saved = json.loads((ctx.artifacts / "metrics" / "02_active_users.json").read_text())
    assert saved["mau"]["display"] == "321"  # a count, never "321.00"
    assert saved["mau"]["label"] == "MAU (28 days to 2026-01-31)"
    path = ctx.write_csv(pd.DataFrame({"user_id": ["u1", "u2"], "n": [1, 2]}), "toy")
    assert path.name == "toy.csv" and pd.read_csv(path)["n"].sum() == 3
    assert json.loads(ctx.write_json({"d": dt.date(2026, 1, 31)}, "x").read_text()) == {
        "d": "2026-01-31"
    }
    # defaults: latest complete month; out dir under the config's folder (or report.out_dir)
    ctx = report.start(
        "02_active_users", params={"config_path": "unused"}, project=project, theme=False
    )
    assert ctx.month == "2026-02" and ctx.out_dir == (tmp_path / "reports" / "2026-02").resolve()
    custom = fake_project(tmp_path, out_dir="custom")
    ctx = report.start(
        "06_ab_readout",
        project=custom,
        theme=False,
        params={"config_path": "unused", "experiment": "checkout_v2", "window_days": 28},
    )
    assert ctx.out_dir == (tmp_path / "custom" / "2026-02").resolve()
    assert ctx.name == "ab_checkout_v2"


def test_start_rejects_bad_parameters_early(tmp_path):
    with pytest.raises(ParameterError, match=r"`month`.*'10/2026'"):
        report.start("x", params={"month": "10/2026"}, project=fake_project(tmp_path))
    with pytest.raises(ParameterError, match=r"data window 2025-11-01 \.\. 2026-03-31.*'2027-01'"):
        report.start("x", params={"month": "2027-01"}, project=fake_project(tmp_path))
    with pytest.raises(ParameterError, match=r"`config_path`.*missing\.yaml"):
        report.start("x", params={"config_path": str(tmp_path / "missing.yaml")})


def test_strip_remote_resources_keeps_inline_content():
    page = (
        '<script src="https://cdn.example/require.js"></script><script>var a=1;</script>'
        '<link rel="stylesheet" href="http://cdn.example/x.css"><link rel="icon" href="a.png">'
        '<style>@import url("https://fonts.example/f.css"); body{}</style>'
    )
    out = sanitize.strip_remote_resources(page)
    assert out == ('<script>var a=1;</script><link rel="icon" href="a.png"><style> body{}</style>')


def test_theme_context_restores_settings():
    from helpers.display import theme

    before = dict(matplotlib.rcParams)
    with theme.theme_context():
        assert matplotlib.rcParams["axes.spines.top"] is False
        colors = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
        assert [c.lower() for c in colors] == [c.lower() for c in theme.PALETTE]
    assert matplotlib.rcParams["axes.spines.top"] == before["axes.spines.top"]
    rc = theme.rc_params()
    if theme.cjk_fonts():  # a CJK font comes right after the default Latin font
        assert rc["font.sans-serif"][1] == theme.cjk_fonts()[0]
    else:
        assert "font.sans-serif" not in rc


# --- one review with a failure: jobs=1 and jobs=2 -----------------------------------------------
PARAMS = {"label": "007", "x": "5"}


@pytest.fixture(scope="module")
def failing_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("failing")
    result = run_review(
        root / "persona.yaml",
        month="2026-01",
        out=root / "out",
        notebooks=[OK, FAIL, AFTER],
        params=PARAMS,
        project=fake_project(root),
        progress=False,
    )
    return result, root / "out" / "2026-01"


@pytest.fixture(scope="module")
def parallel_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("parallel")
    result = run_review(
        root / "persona.yaml",
        month="2026-01",
        out=root / "out",
        notebooks=[OK, FAIL, AFTER],
        params=PARAMS,
        project=fake_project(root),
        jobs=2,
        progress=False,
    )
    return result, root / "out" / "2026-01"


def test_statuses_failure_and_dependents(failing_run):
    result, _ = failing_run
    assert sorted(result.executed) == ["2026-01/10_ok", "2026-01/20_fail"]
    assert [(r.name, r.status) for r in result.runs] == [
        ("10_ok", "ok"),
        ("20_fail", "failed"),
        ("30_after", "skipped"),
    ]
    assert result.failed == ["2026-01/20_fail"] and not result.ok
    assert result.run("20_fail").reason == "ValueError: planted failure in the third cell"
    assert result.run("30_after").label == "skipped: depends on failed 20_fail"


def test_typed_parameters_arrive_as_declared(failing_run):
    _, month_dir = failing_run
    m = metrics_of(month_dir)["10_ok"]
    assert (m["x"]["value"], m["x_type"]["value"]) == (5, "int")
    assert (m["label"]["value"], m["label_type"]["value"]) == ("007", "str")
    # the failing notebook kept what it recorded before the error, and nothing after
    assert list(metrics_of(month_dir)["20_fail"]) == ["before"]


def test_html_is_offline_with_embedded_chart_and_header(failing_run):
    _, month_dir = failing_run
    assert (month_dir / "10_ok.ipynb").exists() and (month_dir / "20_fail.ipynb").exists()
    page = (month_dir / "10_ok.html").read_text()
    assert page.count('src="data:image/png;base64,') == 1
    assert not REMOTE.search(page) and "@import url(http" not in page
    assert "code-marker-ok" not in page  # code hidden by default
    text = text_of(month_dir / "10_ok.html")
    assert "Fixture OK report" in text and "Fixture shop" in text
    assert "label = '007'" in text and "x = 5" in text and "month = '2026-01'" in text
    assert "2025-11-01 .. 2026-03-31" in text and "2026-01-31" in text
    assert "persona-kit 0.1.0" in text
    assert "# Parameters" not in text  # the injected-parameters cell is hidden


def test_failed_notebook_is_rendered_with_its_traceback(failing_run):
    _, month_dir = failing_run
    text = text_of(month_dir / "20_fail.html")
    assert "ValueError: planted failure in the third cell" in text
    assert "stopped with an error at cell In [4]" in text
    assert not REMOTE.search((month_dir / "20_fail.html").read_text())


def test_month_index_rows(failing_run):
    _, month_dir = failing_run
    page = (month_dir / "index.html").read_text()
    text = text_of(month_dir / "index.html")
    assert "failed: ValueError: planted failure in the third cell" in text
    assert "skipped: depends on failed 20_fail" in text
    assert "href='10_ok.html'" in page and "href='10_ok.ipynb'" in page
    assert "href='20_fail.html'" in page  # the failed report is linked too
    assert "type of label: str" in text and "x value: 5" in text
    assert not REMOTE.search(page)
    archive = (month_dir.parent / "index.html").read_text()
    assert "href='2026-01/index.html'" in archive and "(20_fail)" in archive


def test_parallel_run_gives_the_same_outputs(failing_run, parallel_run):
    serial, serial_dir = failing_run
    parallel, parallel_dir = parallel_run
    assert sorted(parallel.executed) == sorted(serial.executed)
    assert [(r.name, r.status, r.reason) for r in parallel.runs] == [
        (r.name, r.status, r.reason) for r in serial.runs
    ]
    assert metrics_of(parallel_dir) == metrics_of(serial_dir)
    for name in ("10_ok", "20_fail"):
        assert (parallel_dir / f"{name}.html").exists() and (
            parallel_dir / f"{name}.ipynb"
        ).exists()


# --- backfill, manifest skip, force, archive -----------------------------------------------------
@pytest.fixture(scope="module")
def backfill(tmp_path_factory):
    root = tmp_path_factory.mktemp("backfill")
    project = fake_project(root)
    kwargs = dict(out=root / "out", notebooks=[OK], project=project, progress=False)
    first = run_review(root / "persona.yaml", months="2026-01..2026-02", **kwargs)
    again = run_review(root / "persona.yaml", months="2026-01..2026-02", **kwargs)
    forced = run_review(
        root / "persona.yaml", month="2026-02", force=True, with_code=True, **kwargs
    )
    return first, again, forced, root / "out"


def test_backfill_runs_each_month_in_order(backfill):
    first, _, _, out = backfill
    assert first.executed == ["2026-01/10_ok", "2026-02/10_ok"]
    assert metrics_of(out / "2026-01")["10_ok"]["x"]["value"] == 1  # the notebook's default
    manifest = json.loads((out / "2026-02" / "manifest.json").read_text())
    entry = manifest["reports"]["10_ok"]
    assert entry["status"] == "ok" and entry["params"]["month"] == "2026-02"
    assert manifest["fingerprint"] == "fp-1" and manifest["kit_version"] == "0.1.0"


def test_unchanged_months_are_not_rerun_unless_forced(backfill):
    _, again, forced, out = backfill
    assert again.executed == []
    assert [r.label for r in again.runs] == ["ok (unchanged, not re-run)"] * 2
    assert forced.executed == ["2026-02/10_ok"]
    assert "code-marker-ok" in (out / "2026-02" / "10_ok.html").read_text()  # --with-code
    assert "code-marker-ok" not in (out / "2026-01" / "10_ok.html").read_text()


def test_archive_index_links_every_month(backfill):
    *_, out = backfill
    page = (out / "index.html").read_text()
    assert "href='2026-01/index.html'" in page and "href='2026-02/index.html'" in page
    assert page.index("2026-02/index.html") < page.index("2026-01/index.html")  # newest first
    assert "x value" in text_of(out / "index.html")
    assert "href='../index.html'" in (out / "2026-01" / "index.html").read_text()


# --- per-experiment readouts ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def readouts(tmp_path_factory):
    root = tmp_path_factory.mktemp("ab")
    calls = []

    def running(project, month_start, month_end):
        calls.append((month_start, month_end))
        return ["checkout_v2", "onboarding_tips"]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(plan, "_running_experiments", running)
        project = fake_project(root, assignments="an assignments table")
        kwargs = dict(month="2026-01", out=root / "out", notebooks=[AB], progress=False)
        auto = run_review(root / "persona.yaml", project=project, **kwargs)
        named = run_review(
            root / "persona.yaml", project=project, params={"experiment": "checkout_v2"}, **kwargs
        )
    bare = root / "no_assignments"
    bare.mkdir()
    none = run_review(
        bare / "persona.yaml",
        project=fake_project(bare),
        month="2026-01",
        out=bare / "out",
        notebooks=[AB],
        progress=False,
    )
    return auto, named, none, calls, root / "out" / "2026-01"


def test_one_readout_per_running_experiment(readouts):
    auto, named, none, calls, month_dir = readouts
    assert calls == [(dt.date(2026, 1, 1), dt.date(2026, 1, 31))]  # only the auto run asked
    assert auto.executed == ["2026-01/ab_checkout_v2", "2026-01/ab_onboarding_tips"]
    m = metrics_of(month_dir)
    assert m["ab_checkout_v2"]["experiment"]["value"] == "checkout_v2"
    assert m["ab_onboarding_tips"]["experiment"]["value"] == "onboarding_tips"
    assert (month_dir / "ab_onboarding_tips.html").exists()
    assert (month_dir / "ab_onboarding_tips.ipynb").exists()
    assert [r.name for r in named.runs] == ["ab_checkout_v2"] and named.executed == []
    assert [(r.name, r.label) for r in none.runs] == [("50_ab", "skipped: no assignments")]
    assert none.executed == [] and none.ok


def test_rendering_keeps_structure_and_escapes_scripts(tmp_path):
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    table = (
        "<table><thead><tr><th>persona</th><th>users</th></tr></thead>"
        "<tbody><tr><td>Bargain hunters</td><td style='padding:2px'>120</td></tr></tbody>"
        "</table><script>alert('x')</script><img src='a.png' onerror='alert(1)'>"
    )
    cell = new_code_cell(
        "result",
        execution_count=1,
        outputs=[new_output("display_data", data={"text/html": table, "text/plain": "result"})],
    )
    nb = new_notebook(
        cells=[new_markdown_cell("# Toy report\n\n## Who is active\n\nSome *text*."), cell]
    )
    nbformat.write(nb, str(tmp_path / "toy.ipynb"))
    path = report_html.render_notebook_html(tmp_path / "toy.ipynb", header={"project": "P"})
    page = path.read_text()
    assert '<h2 id="Who-is-active">' in page and "<em>text</em>" in page
    assert "<th>persona</th>" in page and "<td>Bargain hunters</td>" in page
    assert "padding:2px" in page.replace(" ", "")
    assert "<script>alert" not in page and "onerror" not in page
    assert "&lt;script&gt;alert('x')&lt;/script&gt;" in page
    assert "<h1>Toy report</h1>" in page  # header title from the first heading


def test_two_runs_into_one_folder_keep_each_others_reports(tmp_path):
    """Both runs read the manifest when they start (empty) and write it when they end: the
    second must merge, under the month's lock, what the first wrote in between (#19)."""
    from helpers.report import runner

    month_dir = tmp_path / "2026-02"
    (month_dir / "artifacts" / "metrics").mkdir(parents=True)
    project = fake_project(tmp_path)

    def entry(name):
        return {"notebook": f"{name}.ipynb", "status": "ok", "html": f"{name}.html"}

    for name in ("02_active_users", "03_personas"):  # each saw the empty manifest at its start
        runner._close_month(
            "2026-02",
            month_dir,
            {},
            {name: entry(name)},
            project=project,
            config=project.config,
            runs=[],
            indexes={},
        )
    written = json.loads((month_dir / "manifest.json").read_text())
    assert list(written["reports"]) == ["02_active_users", "03_personas"]
    assert "02_active_users" in (month_dir / "index.html").read_text()


def test_a_notebook_without_a_kernel_is_one_sentence(tmp_path):
    import nbformat

    from helpers.report.params import inspect_parameters

    nb = nbformat.v4.new_notebook()  # no metadata.kernelspec, as some editors save it
    cell = nbformat.v4.new_code_cell('month: str = ""')
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell]
    path = tmp_path / "01_data_audit.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(ParameterError) as e:
        inspect_parameters(path)
    assert str(e.value).startswith(f"The notebook {path} names no kernel (metadata.kernelspec)")


def test_a_parameters_cell_with_chinese_text_is_read_like_papermill(tmp_path):
    import nbformat
    import papermill

    from helpers.report.params import _inspect

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    cell = nbformat.v4.new_code_cell('title: str = "月度报告"  # 报告标题\nk: int = 5  # 画像数')
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell]
    path = tmp_path / "zh.ipynb"
    nbformat.write(nb, path)
    ours = _inspect(path)
    assert ours["title"]["help"] == "报告标题" and ours["title"]["default"] == '"月度报告"'
    assert ours == papermill.inspect_notebook(str(path))
