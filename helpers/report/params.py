"""Notebook parameters: declared types, papermill-like parsing, checks before anything runs.

Papermill only warns about an unknown parameter and lets a notebook without a ``parameters``
cell overwrite the injected values (PITFALLS.md); here both are errors. Values typed on the
command line are converted to the type the notebook declares, so ``-p label 007`` stays the
text ``"007"`` when ``label: str``.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from pathlib import Path
from typing import Any

from helpers.core.errors import ParameterError

#: Parameters the runner sets itself (from ``config_path``, ``--month`` and ``--out``).
RUNNER_PARAMETERS = ("config_path", "month", "out_dir")
#: The parameter that selects the experiment of a per-experiment readout.
EXPERIMENT_PARAMETER = "experiment"


def resolve_type(value: str) -> Any:
    """Parse a command-line value like papermill does: bool, None, int, float, else the text."""
    if value in ("True", "False"):
        return value == "True"
    if value == "None":
        return None
    for cast in (int, float):
        try:
            return cast(value)
        except ValueError:
            pass
    return value


def declared_type(decl: dict) -> str:
    """Type name a ``parameters`` cell declares for one parameter (hint, else the default's)."""
    name = (decl.get("inferred_type_name") or "None").strip()
    if name.startswith("Optional[") and name.endswith("]"):
        name = name[len("Optional[") : -1]
    name = name.split("[")[0].lower()
    if name in ("str", "int", "float", "bool", "list", "dict"):
        return name
    try:
        default = ast.literal_eval(decl.get("default", "None"))
    except (ValueError, SyntaxError):
        return "any"
    return type(default).__name__ if default is not None else "any"


def convert_parameter(name: str, value: Any, type_name: str, *, notebook: str = "") -> Any:
    """``value`` (command-line text or a Python value) as the type the notebook declares.

    A ``str`` parameter keeps text as it is (``"007"`` stays ``"007"``), unlike papermill's CLI.

    Examples
    --------
    >>> convert_parameter("label", "007", "str")
    '007'
    >>> convert_parameter("x", "5", "int")
    5
    """
    where = f" (declared in {notebook})" if notebook else ""

    def fail(expected: str):
        raise ParameterError(
            f"The parameter `{name}` must be {expected}{where}, but {value!r} was passed."
        )

    if not isinstance(value, str):
        if type_name == "str":
            return str(value)
        if type_name == "float" and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if type_name == "int" and (isinstance(value, bool) or not isinstance(value, int)):
            fail("an integer, e.g. 5")
        return value
    text = value.strip()
    if type_name == "str":
        return value
    if type_name == "int":
        try:
            return int(text)
        except ValueError:
            fail("an integer, e.g. 5")
    if type_name == "float":
        try:
            return float(text)
        except ValueError:
            fail("a number, e.g. 0.05")
    if type_name == "bool":
        lowered = text.lower()
        if lowered in ("true", "1", "yes", "on"):
            return True
        if lowered in ("false", "0", "no", "off"):
            return False
        fail("true or false")
    if type_name in ("list", "dict"):
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError:
            try:
                parsed = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                parsed = [t.strip() for t in text.split(",")] if type_name == "list" else None
        if not isinstance(parsed, list if type_name == "list" else dict):
            example = "[1, 2]" if type_name == "list" else '{"a": 1}'
            fail(f"a {type_name} literal, e.g. {example}")
        return parsed
    return resolve_type(text)


def _inspect(path: Path) -> dict:
    """The ``parameters`` cell read as papermill reads it (``name: type = default  # help``):
    ``{name: {"name", "inferred_type_name", "default", "help"}}``, in declared order.

    Read with ``json`` and ``ast`` rather than papermill's ``inspect_notebook``: the report
    notebooks call this in their first cell, and importing papermill (nbformat, jsonschema and
    its format checkers) costs each kernel about two seconds. A notebook that cannot be read is
    one sentence naming it.
    """
    try:
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ParameterError(
            f"The notebook {path} cannot be read as a notebook (JSON): {exc}"
        ) from None
    if not (nb.get("metadata") or {}).get("kernelspec"):
        raise ParameterError(
            f"The notebook {path} names no kernel (metadata.kernelspec), so its parameters "
            "cannot be read; open it in JupyterLab (`make lab`), choose the 'Python "
            "(persona-kit)' kernel and save it."
        )
    cell = next(
        (
            c
            for c in nb.get("cells", [])
            if c.get("cell_type") == "code"
            and "parameters" in ((c.get("metadata") or {}).get("tags") or [])
        ),
        None,
    )
    if cell is None:
        return {}
    source = cell.get("source", "")
    source = "".join(source) if isinstance(source, list) else source
    lines = source.splitlines()
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise ParameterError(
            f"The `parameters` cell of {path} is not valid Python (line {exc.lineno}: "
            f"{exc.msg}); write one `name: type = value  # help` per line."
        ) from None
    out = {}
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            type_name = ast.get_source_segment(source, node.annotation)
            value = node.value
        elif (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
        ):
            type_name, value = "None", node.value
        else:
            continue
        name = node.target.id if isinstance(node, ast.AnnAssign) else node.targets[0].id
        line = lines[node.end_lineno - 1]
        # ast's column offsets count UTF-8 bytes, not characters ("报告" is 6 bytes)
        comment = line.encode()[node.end_col_offset :].decode(errors="replace").strip()
        out[name] = {
            "name": name,
            "inferred_type_name": type_name,
            "default": ast.get_source_segment(source, value) if value is not None else "None",
            "help": comment[1:].strip() if comment.startswith("#") else "",
        }
    return out


def inspect_parameters(notebook) -> dict[str, str]:
    """``{parameter: type name}`` declared by a notebook's ``parameters`` cell.

    Raises
    ------
    ParameterError
        When the notebook has no cell tagged ``parameters`` (papermill would then silently let
        the notebook's own values win).
    """
    path = Path(getattr(notebook, "file", notebook))  # a NotebookSpec or a path
    declared = _inspect(path)
    if not declared:
        raise ParameterError(
            f"The notebook {path} has no cell tagged `parameters` (or it declares nothing), "
            "so parameters cannot be passed to it; tag its first code cell `parameters` with "
            'lines like `month: str = ""  # YYYY-MM to review`.'
        )
    return {name: declared_type(decl) for name, decl in declared.items()}


def declared_defaults(notebook) -> dict:
    """``{parameter: default value}`` of a notebook's ``parameters`` cell, in declared order.

    A default that is not a plain literal is kept as its source text.
    """
    path = Path(getattr(notebook, "file", notebook))
    out = {}
    for name, decl in _inspect(path).items():
        text = decl.get("default", "None")
        try:
            out[name] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            out[name] = text
    return out


def check_user_params(params: dict, declared: dict[str, dict[str, str]]) -> None:
    valid = sorted({p for d in declared.values() for p in d} - set(RUNNER_PARAMETERS))
    for key in params:
        if key in RUNNER_PARAMETERS:
            option = {"config_path": "--config", "month": "--month/--months", "out_dir": "--out"}[
                key
            ]
            raise ParameterError(
                f"The parameter `{key}` is set by the runner; use {option} "
                f"instead of `-p {key} ...`."
            )
        if not any(key in d for d in declared.values()):
            raise ParameterError(
                f"The parameter `{key}` is not declared by any notebook being run "
                f"({', '.join(declared)}); valid parameters: {', '.join(valid) or 'none'}."
            )


def output_name(notebook: str, params: dict | None = None) -> str:
    """Name of a report's outputs: the notebook name, or ``ab_<experiment>`` for a readout.

    A notebook run once per experiment (the A/B readout) gets one HTML file and one metrics
    file per experiment, so parallel readouts never write the same file.

    Examples
    --------
    >>> output_name("03_personas")
    '03_personas'
    >>> output_name("06_ab_readout", {"experiment": "checkout_v2"})
    'ab_checkout_v2'

    Any letter stays (``新结账`` -> ``ab_新结账``); characters a file name cannot hold, and
    spaces, become ``_`` and the name then ends with a short hash of the experiment's own name,
    so two experiments never share a file:

    >>> output_name("06_ab_readout", {"experiment": "新结账"})
    'ab_新结账'
    >>> [output_name("x", {"experiment": e}) for e in ("a/b", "a b", "a_b")]
    ['ab_a_b-3ec69c', 'ab_a_b-7dbde9', 'ab_a_b']
    """
    experiment = (params or {}).get("experiment")
    if experiment:
        name = str(experiment)
        safe = _UNSAFE_IN_FILE_NAME.sub("_", name)
        if safe != name or not safe.strip("._"):
            safe += "-" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:6]
        return "ab_" + safe
    return notebook


#: What a file name may not hold on common systems (and spaces, for readable links).
_UNSAFE_IN_FILE_NAME = re.compile(r'[\\/:*?"<>|\s\x00-\x1f]+')
