"""Developer tools: write notebooks from percent-format scripts, check committed notebooks.

``python -m helpers.devtools check-notebooks notebooks`` fails when a notebook has outputs,
execution counts, no ``parameters`` cell first, or a ``def``/``class`` in a code cell.
``python -m helpers.devtools check-modules helpers`` fails when a module is longer than
:data:`MAX_MODULE_LINES` (split it along its seams into a package).
``python -m helpers.devtools key-markdown notebooks`` gives every markdown cell without one a
message key (``metadata.persona_kit.key``), so the renderer can show the cell in the report
language. ``python -m helpers.devtools update-catalogs`` writes the translators' ``.po`` files
from the English catalogs and the notebooks; ``check-catalogs`` fails on any key without a
current translation (:mod:`helpers.display.po`).
``python -m helpers.devtools from-percent SCRIPT.py NOTEBOOK.ipynb`` turns a script with
``# %%`` / ``# %% [markdown]`` cell markers into a clean notebook (first code cell tagged
``parameters``), the way the report templates were first written.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import nbformat


def from_percent(text: str) -> nbformat.NotebookNode:
    """Notebook from percent-format text; the first code cell is tagged ``parameters``."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "persona-kit",
        "display_name": "Python (persona-kit)",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    blocks = re.split(r"^# %%(.*)$", text, flags=re.M)
    first_code = True
    for i in range(1, len(blocks), 2):
        kind, body = blocks[i].strip(), blocks[i + 1].strip("\n")
        if "[markdown]" in kind:
            lines = [re.sub(r"^# ?", "", ln) for ln in body.splitlines()]
            nb.cells.append(nbformat.v4.new_markdown_cell("\n".join(lines).strip()))
        else:
            cell = nbformat.v4.new_code_cell(body.strip())
            if first_code:
                cell.metadata["tags"] = ["parameters"]
                first_code = False
            nb.cells.append(cell)
    for i, c in enumerate(nb.cells):
        c["id"] = f"cell-{i:02d}"
    return nb


def check_notebooks(folder: str | Path) -> list[str]:
    problems = []
    for nb_path in sorted(Path(folder).glob("*.ipynb")):
        nb = json.loads(nb_path.read_text())
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        for i, c in enumerate(c for c in nb["cells"] if c["cell_type"] == "markdown"):
            if not c.get("metadata", {}).get("persona_kit", {}).get("key"):
                problems.append(f"{nb_path}: markdown cell {i} has no message key (key-markdown)")
        if any(c.get("outputs") or c.get("execution_count") for c in code):
            problems.append(f"{nb_path}: has outputs or execution counts")
        if not code or "parameters" not in code[0].get("metadata", {}).get("tags", []):
            problems.append(f"{nb_path}: first code cell is not tagged `parameters`")
        for i, c in enumerate(code):
            if re.search(r"^\s*(def|class)\s", "".join(c["source"]), re.M):
                problems.append(f"{nb_path}: code cell {i} defines a function or class")
    return problems


def _slug(text: str) -> str:
    words = re.findall(r"[a-z0-9]+", text.lower().lstrip("#* "))
    return "_".join(words[:4]) or "cell"


def key_markdown(folder: str | Path) -> list[str]:
    """Give each markdown cell of the notebooks in ``folder`` a key; returns the keys added."""
    added = []
    for nb_path in sorted(Path(folder).glob("*.ipynb")):
        nb = nbformat.read(nb_path, as_version=4)
        stem = nb_path.stem
        cells = [c for c in nb.cells if c.cell_type == "markdown"]
        used = {c.metadata.get("persona_kit", {}).get("key") for c in cells} - {None}
        changed = False
        for cell in cells:
            if cell.metadata.get("persona_kit", {}).get("key"):
                continue
            base = f"nb.{stem}.{_slug(cell.source.splitlines()[0] if cell.source else '')}"
            key, n = base, 2
            while key in used:
                key, n = f"{base}_{n}", n + 1
            used.add(key)
            cell.metadata.setdefault("persona_kit", {})["key"] = key
            added.append(key)
            changed = True
        if changed:
            nbformat.write(nb, nb_path)
    return added


#: Longest module allowed (after ``ruff format`` at 99 columns); the house rule is "about 500".
MAX_MODULE_LINES = 550


def check_modules(folder: str | Path, *, limit: int = MAX_MODULE_LINES) -> list[str]:
    """Modules under ``folder`` longer than ``limit`` lines, as sentences naming them."""
    problems = []
    for path in sorted(Path(folder).rglob("*.py")):
        n = len(path.read_text(encoding="utf-8").splitlines())
        if n > limit:
            problems.append(f"{path}: {n} lines, more than {limit}; split it along its seams")
    return problems


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["check-notebooks"]:
        problems = check_notebooks(argv[1] if len(argv) > 1 else "notebooks")
        print("\n".join(problems) or "notebooks are clean")
        return 1 if problems else 0
    if argv[:1] == ["check-modules"]:
        problems = check_modules(argv[1] if len(argv) > 1 else "helpers")
        print("\n".join(problems) or f"every module has at most {MAX_MODULE_LINES} lines")
        return 1 if problems else 0
    if argv[:1] == ["key-markdown"]:
        added = key_markdown(argv[1] if len(argv) > 1 else "notebooks")
        print("\n".join(added) or "every markdown cell has a key")
        return 0
    if argv[:1] == ["update-catalogs"]:
        from helpers.display.po import update_catalogs

        domains = tuple(a.removeprefix("--domain=") for a in argv[1:] if a.startswith("--domain="))
        rest = [a for a in argv[1:] if not a.startswith("--domain=")]
        said = update_catalogs(rest[0] if rest else "notebooks", domains)
        print("\n".join(said) or "no change")
        return 0
    if argv[:1] == ["check-catalogs"]:
        from helpers.display.messages import LANGUAGES
        from helpers.display.po import catalog_problems

        folder = argv[1] if len(argv) > 1 else "notebooks"
        problems = [
            p for code in LANGUAGES if code != "en" for p in catalog_problems(folder, code)
        ]
        print("\n".join(problems[:50]) or "every message has a current translation")
        if len(problems) > 50:
            print(f"... and {len(problems) - 50} more")
        return 1 if problems else 0
    if argv[:1] == ["from-percent"] and len(argv) == 3:
        nbformat.write(from_percent(Path(argv[1]).read_text()), argv[2])
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
