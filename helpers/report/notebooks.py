"""Where the report notebooks are: the analyst's own copies beside the config, else the kit's.

``persona-kit init DIR --notebooks`` copies the kit's notebooks to ``DIR/notebooks/`` for analysts
who want to edit them; the runner and the report header then read those copies. Otherwise the
notebooks shipped inside the package (``helpers/notebooks``; in a source checkout, the
repository's ``notebooks/`` folder, mapped there by ``pyproject.toml``) are used.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from helpers.core.errors import ParameterError

__all__ = [
    "NOTEBOOKS_FOLDER",
    "kit_notebooks_dir",
    "notebooks_dir",
    "notebook_file",
    "copy_notebooks",
]

NOTEBOOKS_FOLDER = "notebooks"  # the folder of copies beside a config


def kit_notebooks_dir() -> Path:
    """The notebooks that ship with the kit.

    Examples
    --------
    >>> (kit_notebooks_dir() / "01_data_audit.ipynb").is_file()
    True
    """
    package = Path(__file__).resolve().parents[1]
    installed = package / NOTEBOOKS_FOLDER  # a built wheel: helpers/notebooks/
    checkout = package.parent / NOTEBOOKS_FOLDER  # a source checkout: <repo>/notebooks/
    return installed if installed.is_dir() else checkout


def notebooks_dir(config_root: str | Path | None = None) -> Path:
    """The notebooks a run uses: ``<config_root>/notebooks/`` when it holds any, else the kit's.

    Examples
    --------
    >>> import tempfile
    >>> notebooks_dir(tempfile.mkdtemp()) == kit_notebooks_dir()
    True
    """
    if config_root is not None:
        own = Path(config_root) / NOTEBOOKS_FOLDER
        if own.is_dir() and any(own.glob("[0-9]*.ipynb")):
            return own.resolve()
    return kit_notebooks_dir()


def notebook_file(name: str, config_root: str | Path | None = None) -> Path:
    """The file of notebook ``name`` (e.g. ``"02_active_users"``), by :func:`notebooks_dir`."""
    return notebooks_dir(config_root) / f"{name}.ipynb"


def copy_notebooks(target: str | Path) -> list[Path]:
    """Copy the kit's report notebooks into ``target`` (created); existing files are kept.

    Raises
    ------
    ParameterError
        When ``target`` already holds a notebook of the same name (an analyst's edits are never
        overwritten).
    """
    target = Path(target)
    sources = sorted(kit_notebooks_dir().glob("[0-9]*.ipynb"))
    clashes = [p.name for p in sources if (target / p.name).exists()]
    if clashes:
        raise ParameterError(
            f"The folder {target} already holds {clashes}; nothing was copied, "
            "so no edited notebook is overwritten. Move them away first."
        )
    target.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copy2(p, target / p.name)) for p in sources]
