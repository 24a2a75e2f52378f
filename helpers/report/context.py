"""Report notebooks' context: parameters checked early, project opened, metrics and artifacts.

Every report notebook starts with::

    ctx = start("03_personas")

which reads the notebook's parameters (every name its ``parameters`` cell declares, with the
value it has in the running notebook), checks them (a :class:`~helpers.core.errors.ParameterError` names the one to fix),
opens the cached project data, resolves the month, applies the report theme and shows a compact
header. ``ctx.record(...)`` keeps a headline number for the index page; ``ctx.write_csv(...)`` and
friends write artifacts atomically. The runner (papermill, HTML, index pages) is
:mod:`helpers.report.runner`.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
from IPython import get_ipython
from IPython.display import HTML, display
from matplotlib.axes import Axes

from helpers.core.checks import jsonable
from helpers.core.config import load_config, normalize_language
from helpers.core.errors import ModelError, ParameterError
from helpers.core.io import write_atomic
from helpers.core.metrics import record_metric
from helpers.core.time import check_month_in_data, month_bounds, parse_month, shift_month
from helpers.data.pipeline import load_project
from helpers.display import registry
from helpers.display import theme as _theme
from helpers.display.blocks import Facts, Unavailable
from helpers.display.format import fmt, set_currency, set_timezone
from helpers.display.messages import LANGUAGES, language, set_language
from helpers.display.text import t
from helpers.report.notebooks import notebook_file
from helpers.report.params import inspect_parameters, output_name
from helpers.sections import SECTIONS

__all__ = ["ReportContext", "start", "load_config_checked", "default_reports_dir", "RENDERED_ENV"]

#: Set by the runner's workers: the page gets the runner's header, so the notebook shows none.
RENDERED_ENV = "PERSONA_KIT_RENDERED"


# --- the notebook context ------------------------------------------------------------------------
@dataclass
class ReportContext:
    """What a report notebook needs after its parameters cell (built by :func:`start`).

    Attributes
    ----------
    notebook : str
        Notebook name, e.g. ``"03_personas"``.
    name : str
        Output name (``ab_<experiment>`` for an experiment readout, else ``notebook``).
    month, prev_month : str
        The reviewed month and the one before, ``YYYY-MM``.
    month_start, as_of : datetime.date
        First and last day of the month; ``as_of`` is the cut-off of every analysis.
    out_dir, artifacts : Path
        The month's report folder and its ``artifacts/`` folder (created).
    project, config
        The opened project (``helpers.data.pipeline.Project``) and its config.
    params : dict
        Every parameter the notebook declares, with its value in this run (the header shows them).
    """

    notebook: str
    name: str
    month: str
    prev_month: str
    month_start: dt.date
    as_of: dt.date
    out_dir: Path
    artifacts: Path
    project: Any
    config: Any
    params: dict = field(default_factory=dict)
    unavailable: list = field(default_factory=list)

    def attempt(self, fn, *args, needs: str, **kwargs):
        """``fn(*args, **kwargs)``, or an :class:`~helpers.display.blocks.Unavailable` that says
        what the section needs when the data cannot support it.

        ``needs`` is the message key of that sentence. The call is not made when an argument
        is itself Unavailable (a section fed by one that could not run); a
        :class:`~helpers.core.errors.ModelError` raised by ``fn`` (too few buyers, no churned
        lives, too short a history) becomes the note, with the model's reason kept. Any other
        error is a bug and propagates. A chart's figure (``ax=``) is closed, so no empty chart
        is shown. Each unavailable section is listed in ``ctx.unavailable``.

        Examples
        --------
        >>> cox_model = ctx.attempt(cox.fit_cox, early, users, needs="needs.cox")  # doctest: +SKIP
        """
        upstream = next((a for a in [*args, *kwargs.values()] if isinstance(a, Unavailable)), None)
        if upstream is None:
            try:
                return fn(*args, **kwargs)
            except ModelError as e:
                detail = str(e)
        else:
            detail = ""
        for v in kwargs.values():
            if isinstance(v, Axes):
                plt.close(v.figure)
        result = Unavailable(t(needs), detail=detail, show_detail=language() == "en")
        if not any(u["needs"] == needs for u in self.unavailable):
            self.unavailable.append({"needs": needs, "detail": detail})
        return result

    def record(
        self,
        key: str,
        value: Any,
        *,
        kind: str = "count",
        label_key: str | None = None,
        display: str | None = None,
        note: str = "",
        **label_values,
    ) -> None:
        """Record a headline number for the index page.

        The label is the message ``metric.<key>`` (or ``label_key``) filled with
        ``label_values``; the value is formatted as ``kind`` (see ``helpers.display.format``)
        unless ``display`` gives its text (a decision shown as a word, say).
        """
        record_metric(
            self.out_dir,
            self.name,
            key,
            value,
            label=t(label_key or f"metric.{key}", **label_values),
            display=display if display is not None else fmt(value, kind),
            kind=kind,
            note=note,
        )

    @property
    def previous_artifacts(self) -> Path:
        """The ``artifacts/`` folder of the month before (it may not exist: readers return None)."""
        return self.out_dir.parent / self.prev_month / "artifacts"

    def _artifact_path(self, name: str, suffix: str) -> Path:
        if not name or "/" in name or "\\" in name or name.startswith("."):
            raise ParameterError(
                f"An artifact `name` must be a plain file name like "
                f"'personas{suffix}', but {name!r} was passed."
            )
        return self.artifacts / (name if name.endswith(suffix) else name + suffix)

    def write_csv(self, df, name: str, *, index: bool = False) -> Path:
        """Write ``df`` to ``artifacts/<name>.csv`` atomically and return the path."""
        return write_atomic(self._artifact_path(name, ".csv"), df.to_csv(index=index))

    def write_parquet(self, df, name: str, *, index: bool = False) -> Path:
        """Write ``df`` to ``artifacts/<name>.parquet`` atomically and return the path."""
        buf = io.BytesIO()
        df.to_parquet(buf, index=index)
        return write_atomic(self._artifact_path(name, ".parquet"), buf.getvalue())

    def write_json(self, obj: Any, name: str) -> Path:
        """Write ``obj`` as JSON to ``artifacts/<name>.json`` atomically and return the path."""
        text = json.dumps(jsonable(obj), indent=2, ensure_ascii=False)
        return write_atomic(self._artifact_path(name, ".json"), text)

    def header(self) -> Facts:
        """The compact header a notebook shows under its title: the project, the month and every
        parameter the notebook declares."""
        cfg = self.config
        start = getattr(self.project, "data_start", None)
        end = getattr(self.project, "data_end", None)
        pairs = [
            (t("header.project"), getattr(cfg, "name", "")),
            (t("header.month"), self.month),
            (t("header.as_of"), fmt(self.as_of, "date")),
            (
                t("header.data_window"),
                t("header.window", start=start, end=end) if start else t("header.no_data"),
            ),
            (t("header.timezone"), getattr(cfg, "timezone", "")),
        ]
        pairs += [(k, param_text(v)) for k, v in self.params.items()]
        return Facts(pairs)

    def _repr_html_(self) -> str:
        return self.header()._repr_html_()


def param_text(value) -> str:
    """A notebook parameter for the header; an empty one means the config's setting applies.

    >>> param_text([]), param_text(28), param_text(["share"])
    ('(as configured)', '28', "['share']")
    """
    if value is None or (isinstance(value, (list, tuple, dict, str)) and len(value) == 0):
        return t("header.as_configured")
    return repr(value)


def _resolve_out_dir(config, month: str, out_dir: str) -> Path:
    if out_dir:
        return Path(out_dir).expanduser().resolve()
    return default_reports_dir(config) / month


def default_reports_dir(config) -> Path:
    """Folder holding ``<month>/`` report folders: ``report.out_dir`` or ``reports/`` by the config."""
    root = Path(getattr(config, "root", None) or Path.cwd())
    report_cfg = getattr(config, "report", None)
    custom = getattr(report_cfg, "out_dir", None) if report_cfg is not None else None
    if custom:
        path = Path(custom).expanduser()
        return (path if path.is_absolute() else root / path).resolve()
    return (root / "reports").resolve()


def load_config_checked(config_path: str | Path, *, parameter: str = "config_path"):
    """``helpers.core.config.load_config`` after checking the file exists (ParameterError if not)."""
    path = Path(config_path).expanduser()
    if not path.is_file():
        example = "../persona.yaml" if parameter == "config_path" else "persona.yaml"
        raise ParameterError(
            f"The parameter `{parameter}` must point to a project config file such as "
            f"'{example}', but {str(config_path)!r} was passed and "
            + (
                f"{path.resolve()} is a folder"
                + (
                    " (it holds a persona.yaml: pass that file)."
                    if (path / "persona.yaml").is_file()
                    else "."
                )
                if path.is_dir()
                else f"{path.resolve()} does not exist."
            )
        )
    return load_config(path.resolve())


def report_language(config, override: str | None = None) -> str:
    """The report language: ``override`` (``-p language zh``) when given, else the config's.

    Raises
    ------
    ParameterError
        ``override`` is not a report language.
    """
    code = str(override or "").strip()
    if not code:
        return getattr(config, "language", "en") or "en"
    code = normalize_language(code)
    if code not in LANGUAGES:
        raise ParameterError(
            f"The parameter `language` must be one of {list(LANGUAGES)} (empty: the config's "
            f"`language`), but {override!r} was passed."
        )
    return code


def notebook_parameters(notebook: str, namespace: dict) -> dict:
    """Every parameter notebook ``notebook`` declares, with its value in ``namespace``.

    The declarations are read from the notebook file the runner uses (the analyst's copy beside
    the config, else the kit's), in the order of its ``parameters`` cell.
    """
    config_path = namespace.get("config_path", "")
    root = Path(config_path).expanduser().resolve().parent if config_path else None
    declared = inspect_parameters(notebook_file(notebook, root))
    return {name: namespace[name] for name in declared if name in namespace}


def _kernel_namespace() -> dict:
    shell = get_ipython()
    return dict(shell.user_ns) if shell is not None else {}


def start(
    notebook: str, *, params: dict | None = None, project: Any = None, theme: bool = True
) -> ReportContext:
    """Read and check a report notebook's parameters, open the project and return its context.

    Parameters
    ----------
    notebook : str
        Name of the notebook, e.g. ``"03_personas"``.
    params : dict, optional
        The notebook's parameters by name. By default they are read from the running notebook:
        every name its ``parameters`` cell declares, with its current value. ``config_path``
        (relative paths resolve against the notebook's folder), ``month`` (``YYYY-MM``; empty:
        the latest complete month in the data) and ``out_dir`` (empty:
        ``<report.out_dir or reports>/<month>/``) are the runner's; ``language`` (``en``,
        ``zh``; empty: the config's) is the report language; a non-empty ``experiment`` makes
        the output name ``ab_<experiment>``.
    project : Project, optional
        An already opened project (then ``config_path`` is not read).
    theme : bool
        Apply the report theme (:func:`helpers.display.theme.apply`).

    Returns
    -------
    ReportContext

    Raises
    ------
    ParameterError
        ``month`` not ``YYYY-MM`` or outside the data window, config file not found.

    Examples
    --------
    >>> ctx = start("02_active_users")  # in a notebook  # doctest: +SKIP
    >>> ctx.month, ctx.as_of  # doctest: +SKIP
    ('2026-10', datetime.date(2026, 10, 31))
    """
    params = dict(
        params if params is not None else notebook_parameters(notebook, _kernel_namespace())
    )
    month = str(params.get("month") or "")
    if month:
        month = parse_month(month)
    if project is None:
        config = load_config_checked(params.get("config_path") or "")
        project = load_project(config)
    config = project.config
    set_language(report_language(config, params.get("language")))
    set_currency(getattr(config, "currency", None))
    set_timezone(getattr(config, "timezone", None))
    if not month:
        month = project.latest_complete_month()
    check_month_in_data(
        month, getattr(project, "data_start", None), getattr(project, "data_end", None)
    )
    first, last = month_bounds(month)
    out = _resolve_out_dir(config, month, str(params.get("out_dir") or ""))
    artifacts = out / "artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    ctx = ReportContext(
        notebook=notebook,
        name=output_name(notebook, params),
        month=month,
        prev_month=shift_month(month, -1),
        month_start=first,
        as_of=last,
        out_dir=out,
        artifacts=artifacts,
        project=project,
        config=config,
        params=params,
    )
    if theme:
        _theme.apply()
    _show(ctx)
    return ctx


def _show(ctx: ReportContext) -> None:
    """Install the sections' displays and show the header, when running in a notebook."""
    shell = get_ipython()
    if shell is None:
        return
    assert SECTIONS  # importing helpers.sections registered every section's renderers
    registry.install(shell)
    if os.environ.get(RENDERED_ENV) != "1":  # JupyterLab: the notebook's own header
        display(HTML(ctx.header()._repr_html_()))
