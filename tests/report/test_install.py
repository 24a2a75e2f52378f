"""The installed kit runs: the wheel, built and installed into a fresh virtual environment (not an
editable checkout), runs ``persona-kit sample``, ``init`` and ``run`` on a small sample, from a
folder outside the repository, with the notebooks shipped inside the package.

The new environment gets the wheel alone (``--no-deps``); its dependencies are those of the
kit's own environment, seen through a path file, so the test proves what the wheel ships without
reinstalling numpy and Jupyter. It has its own mark: ``make test-install`` runs it alone,
``make test`` with everything else.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

pytestmark = pytest.mark.install

ROOT = Path(__file__).resolve().parents[2]


def _run(args, cwd, env=None, timeout=1800):
    proc = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert proc.returncode == 0, f"{args} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A fresh venv with the built wheel installed (dependencies: this environment's)."""
    work = tmp_path_factory.mktemp("install")
    # built from a copy without the checkout's own build/ folder: setuptools reuses it, and a
    # wheel built once before a notebook was renamed would still ship the old name
    src = work / "src"
    top = {".git", ".venv", "build", "dist", "data", "reports"}  # the checkout's, not sources

    def skip(folder, names):
        here = top if Path(folder) == ROOT else set()
        return [
            n
            for n in names
            if n in here or n.endswith(".egg-info") or n in ("__pycache__", ".pytest_cache")
        ]

    shutil.copytree(ROOT, src, ignore=skip)
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", work / "dist", src],
        cwd=work,
    )
    wheels = list((work / "dist").glob("persona_kit-*.whl"))
    assert len(wheels) == 1, wheels
    _run([sys.executable, "-m", "venv", work / "venv"], cwd=work)
    py = work / "venv" / "bin" / "python"
    # the dependencies are this environment's (pinned by requirements.lock, installed by
    # `make setup`), seen through a path file; the kit itself is the wheel, installed without
    # them. A path file adds the folder without running its own path files, so the checkout's
    # editable install stays out of the new environment.
    site = _run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=work)
    deps = sysconfig.get_paths()["purelib"]
    (Path(site.stdout.strip()) / "persona_kit_deps.pth").write_text(deps + "\n")
    _run([py, "-m", "pip", "install", "-q", "--no-deps", wheels[0]], cwd=work)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{work / 'venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    # the dependencies' data files too (nbconvert's templates live in <prefix>/share/jupyter)
    env["JUPYTER_PATH"] = str(Path(sys.prefix) / "share" / "jupyter")
    return work, py, env


def test_wheel_ships_the_notebooks_templates_and_catalogs(installed):
    work, py, env = installed
    out = _run(
        [
            py,
            "-c",
            "import helpers, pathlib; p = pathlib.Path(helpers.__file__).parent; "
            "print(p); print(sorted(x.name for x in (p / 'notebooks').glob('*.ipynb')))",
        ],
        cwd=work,
        env=env,
    ).stdout.splitlines()
    assert str(work / "venv") in out[0]  # the installed package, not the checkout
    assert out[1] == str(
        [
            "01_data_audit.ipynb",
            "02_active_users.ipynb",
            "03_personas.ipynb",
            "04_churn.ipynb",
            "05_pain_points.ipynb",
            "06_ab_readout.ipynb",
            "07_persona_review.ipynb",
        ]
    )


def test_installed_kit_runs_reports_in_both_languages(installed):
    """Two reports, from the installed package's notebooks, templates and catalogs: the audit
    in English, personas in Chinese (the gettext catalogs and the bundled CJK font ship in the
    wheel). Every notebook's own run is tested on the checkout; here it is the packaging."""
    work, py, env = installed
    cli = work / "venv" / "bin" / "persona-kit"
    _run(
        [cli, "sample", "--out", work / "s", "--users", "600", "--months", "3", "--seed", "3"],
        cwd=work,
        env=env,
    )
    config = work / "s" / "persona.yaml"
    runs = [
        ("en", ["--only", "01_data_audit"]),
        ("zh", ["--only", "03_personas", "-p", "language", "zh"]),
    ]
    for lang, args in runs:
        out = work / f"reports_{lang}"
        proc = _run([cli, "run", "--config", config, "--out", out, *args], cwd=work, env=env)
        month_dir = max(p for p in out.iterdir() if p.is_dir())
        manifest = json.loads((month_dir / "manifest.json").read_text())
        statuses = {name: e["status"] for name, e in manifest["reports"].items()}
        assert set(statuses.values()) == {"ok"}, proc.stdout
        page = (month_dir / f"{args[1]}.html").read_text(encoding="utf-8")
        assert f'<html lang="{"zh-CN" if lang == "zh" else "en"}">' in page
    assert "用户画像" in (work / "reports_zh" / month_dir.name / "03_personas.html").read_text(
        encoding="utf-8"
    )


def test_init_writes_a_config_that_loads_and_copies_the_notebooks(installed):
    work, py, env = installed
    cli = work / "venv" / "bin" / "persona-kit"
    _run([cli, "init", work / "mine", "--notebooks"], cwd=work, env=env)
    assert len(list((work / "mine" / "notebooks").glob("*.ipynb"))) == 7
    out = _run(
        [
            py,
            "-c",
            "from helpers.core.config import load_config; "
            f"c = load_config({str(work / 'mine' / 'persona.yaml')!r}); print(c.timezone)",
        ],
        cwd=work,
        env=env,
    ).stdout.strip()
    assert out == "Asia/Shanghai"
