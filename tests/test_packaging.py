"""pyproject.toml lists its packages by hand (the notebooks ship from the repository's top-level
folder as `helpers.notebooks`): every package under helpers/ must be in the list, or a wheel would
silently lack it."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_helpers_package_ships_in_the_wheel():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "helpers").rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    assert found - listed == set()
    assert listed - found == {"helpers.notebooks"}
    assert config["package-dir"] == {"helpers.notebooks": "notebooks"}
    assert config["package-data"]["helpers.notebooks"] == ["*.ipynb"]
