"""Report notebooks' context: parameters checked early, project opened, metrics and artifacts.

Every report notebook starts with::

    ctx = start("03_personas")

which checks the parameters (a :class:`~helpers.core.errors.ParameterError` names the one to fix),
opens the cached project data, resolves the month, applies the report theme and shows a compact
header. ``ctx.record(...)`` keeps a headline number for the index page; ``ctx.write_csv(...)`` and
friends write artifacts atomically. The runner (papermill, HTML, index pages) is
:mod:`helpers.report.runner`.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helpers.core.checks import jsonable
from helpers.core.config import load_config
from helpers.core.errors import ParameterError
from helpers.core.io import write_atomic
from helpers.core.metrics import record_metric
from helpers.core.time import check_month_in_data, month_bounds, parse_month, shift_month
from helpers.data.pipeline import load_project
from helpers.display import theme as _theme
from helpers.report.params import output_name

__all__ = ["ReportContext", "start", "load_config_checked", "default_reports_dir"]


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
        Extra notebook parameters, shown in the header.
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

    def record(
        self, key: str, value: Any, *, label: str, fmt: str = "{:,.0f}", note: str = ""
    ) -> None:
        """Record a headline number for the index page (see :func:`record_metric`)."""
        record_metric(self.out_dir, self.name, key, value, label=label, fmt=fmt, note=note)

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

    def header_html(self) -> str:
        """The compact header a notebook shows under its title."""
        cfg = self.config
        start = getattr(self.project, "data_start", None)
        end = getattr(self.project, "data_end", None)
        items = [
            ("Project", getattr(cfg, "name", "")),
            ("Month", self.month),
            ("as of", self.as_of.isoformat()),
            ("Data window", f"{start} .. {end}" if start else "n/a"),
            ("Timezone", getattr(cfg, "timezone", "")),
        ]
        items += [(k, _param_text(v)) for k, v in self.params.items()]
        cells = "".join(
            f"<span style='margin-right:1.4em'><b>{html.escape(str(k))}</b> "
            f"{html.escape(str(v))}</span>"
            for k, v in items
        )
        return f"<div style='font-size:0.9em;color:#444'>{cells}</div>"

    def _repr_html_(self) -> str:
        return self.header_html()


def _param_text(value) -> str:
    """A notebook parameter for the header; an empty one means the config's setting applies.

    >>> _param_text([]), _param_text(28), _param_text(["share"])
    ('(as configured)', '28', "['share']")
    """
    if value is None or (isinstance(value, (list, tuple, dict, str)) and len(value) == 0):
        return "(as configured)"
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
            f"{path.resolve()} does not exist."
        )
    return load_config(path.resolve())


def start(
    notebook: str,
    *,
    config_path: str,
    month: str = "",
    out_dir: str = "",
    params: dict | None = None,
    project: Any = None,
    theme: bool = True,
) -> ReportContext:
    """Check a report notebook's parameters, open the project and return its context.

    Parameters
    ----------
    notebook : str
        Name of the notebook, e.g. ``"03_personas"``.
    config_path : str
        Project config (relative paths resolve against the notebook's folder).
    month : str
        ``YYYY-MM`` to review; ``""`` = the latest complete month in the data.
    out_dir : str
        The month's report folder; ``""`` = ``<report.out_dir or reports>/<month>/`` by the config.
    params : dict, optional
        The notebook's other parameters; shown in the header. A non-empty ``experiment`` makes the
        output name ``ab_<experiment>`` (see :func:`output_name`).
    project : Project, optional
        An already opened project (then ``config_path`` is not read again).
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
    >>> ctx = start("02_active_users", config_path="../persona.yaml")  # doctest: +SKIP
    >>> ctx.month, ctx.as_of  # doctest: +SKIP
    ('2026-10', datetime.date(2026, 10, 31))
    """
    if month:
        month = parse_month(month)
    if project is None:
        config = load_config_checked(config_path)
        project = load_project(config)
    config = project.config
    if not month:
        month = project.latest_complete_month()
    check_month_in_data(
        month, getattr(project, "data_start", None), getattr(project, "data_end", None)
    )
    first, last = month_bounds(month)
    out = _resolve_out_dir(config, month, out_dir)
    artifacts = out / "artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    params = dict(params or {})
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
    _display_header(ctx)
    return ctx


def _display_header(ctx: ReportContext) -> None:
    try:
        from IPython import get_ipython
        from IPython.display import HTML, display
    except ImportError:  # plain Python without IPython: nothing to show
        return
    if get_ipython() is not None:
        display(HTML(ctx.header_html()))
