"""helpers.devtools: the checks `make lint` runs on notebooks and module sizes."""

from __future__ import annotations

import json

from helpers import devtools


def _nb(path, cells):
    path.write_text(
        json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    )


def test_check_notebooks_names_each_problem(tmp_path):
    params = {
        "cell_type": "code",
        "metadata": {"tags": ["parameters"]},
        "source": ["x = 1"],
        "outputs": [],
        "execution_count": None,
    }
    _nb(tmp_path / "01_ok.ipynb", [params])
    _nb(
        tmp_path / "02_bad.ipynb",
        [
            {**params, "metadata": {}},
            {
                "cell_type": "code",
                "metadata": {},
                "source": ["def f():\n", "    pass"],
                "outputs": [{"output_type": "stream", "text": "hi"}],
                "execution_count": 3,
            },
        ],
    )
    problems = devtools.check_notebooks(tmp_path)
    assert problems == [
        f"{tmp_path / '02_bad.ipynb'}: has outputs or execution counts",
        f"{tmp_path / '02_bad.ipynb'}: first code cell is not tagged `parameters`",
        f"{tmp_path / '02_bad.ipynb'}: code cell 1 defines a function or class",
    ]


def test_check_modules_flags_only_long_modules(tmp_path):
    (tmp_path / "short.py").write_text("x = 1\n" * 550)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "long.py").write_text("x = 1\n" * 551)
    assert devtools.check_modules(tmp_path) == [
        f"{tmp_path / 'pkg' / 'long.py'}: 551 lines, more than 550; split it along its seams"
    ]
    assert devtools.main(["check-modules", str(tmp_path / "pkg")]) == 1
