"""Report notebooks' context: parameters checked early, project opened, metrics and artifacts.

Every report notebook starts with::

    ctx = report.start("03_personas", config_path=config_path, month=month, out_dir=out_dir)

which checks the parameters (a :class:`~helpers.errors.ParameterError` names the one to fix),
opens the cached project data, resolves the month, applies the report theme and shows a compact
header. ``ctx.record(...)`` keeps a headline number for the index page; ``ctx.write_csv(...)`` and
friends write artifacts atomically.

The runner (papermill, HTML, index pages) lives in :mod:`helpers.runner` and
:mod:`helpers.report_html`; ``report.run_review`` and ``report.RunResult`` are re-exported here.
"""

from __future__ import annotations

import calendar
import datetime as dt
import html
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helpers.checks import jsonable
from helpers.errors import ParameterError

__all__ = ["ReportContext", "start", "record_metric", "read_metrics", "merge_metrics",
           "parse_month", "month_bounds", "month_range", "write_atomic", "run_review",
           "RunResult", "output_name"]

_MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
METRICS_DIR = "metrics"
METRICS_FILE = "metrics.json"


# --- months --------------------------------------------------------------------------------------
def parse_month(month: str, *, parameter: str = "month") -> str:
    """Check that ``month`` is ``YYYY-MM`` and return it.

    Raises
    ------
    ParameterError
        Naming ``parameter``, with an example of a valid value.

    Examples
    --------
    >>> parse_month("2026-10")
    '2026-10'
    """
    if not isinstance(month, str) or not _MONTH_RE.match(month.strip()):
        raise ParameterError(f"The parameter `{parameter}` must be a month written YYYY-MM, "
                             f"e.g. '2026-10', but {month!r} was passed.")
    return month.strip()


def month_bounds(month: str) -> tuple[dt.date, dt.date]:
    """First and last day of ``month`` (``YYYY-MM``).

    Examples
    --------
    >>> month_bounds("2024-02")
    (datetime.date(2024, 2, 1), datetime.date(2024, 2, 29))
    """
    year, mon = (int(x) for x in parse_month(month).split("-"))
    return dt.date(year, mon, 1), dt.date(year, mon, calendar.monthrange(year, mon)[1])


def _shift_month(month: str, delta: int) -> str:
    year, mon = (int(x) for x in month.split("-"))
    index = year * 12 + (mon - 1) + delta
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_range(spec: str, *, parameter: str = "months") -> list[str]:
    """Months of a range ``"2026-05..2026-10"`` (both ends included), in order.

    Examples
    --------
    >>> month_range("2025-11..2026-02")
    ['2025-11', '2025-12', '2026-01', '2026-02']
    """
    parts = spec.split("..") if isinstance(spec, str) else []
    if len(parts) != 2:
        raise ParameterError(f"The parameter `{parameter}` must be a range FIRST..LAST of YYYY-MM "
                             f"months, e.g. '2026-05..2026-10', but {spec!r} was passed.")
    first = parse_month(parts[0], parameter=parameter)
    last = parse_month(parts[1], parameter=parameter)
    if last < first:
        raise ParameterError(f"The parameter `{parameter}` must go forward in time, e.g. "
                             f"'{last}..{first}', but {spec!r} was passed.")
    months = [first]
    while months[-1] != last:
        months.append(_shift_month(months[-1], 1))
    return months


def check_month_in_data(month: str, data_start: dt.date | None, data_end: dt.date | None,
                        *, parameter: str = "month") -> None:
    """Raise a :class:`ParameterError` when ``month`` does not overlap the data window."""
    first, last = month_bounds(month)
    if data_start is None or data_end is None:
        return
    if last < data_start or first > data_end:
        raise ParameterError(
            f"The parameter `{parameter}` must be a month inside the data window "
            f"{data_start.isoformat()} .. {data_end.isoformat()} (e.g. "
            f"'{data_end.isoformat()[:7]}'), but {month!r} was passed.")


def output_name(notebook: str, params: dict | None = None) -> str:
    """Name of a report's outputs: the notebook name, or ``ab_<experiment>`` for a readout.

    A notebook run once per experiment (the A/B readout) gets one HTML file and one metrics
    file per experiment, so parallel readouts never write the same file.

    Examples
    --------
    >>> output_name("03_personas")
    '03_personas'
    >>> output_name("05_ab_readout", {"experiment": "checkout_v2"})
    'ab_checkout_v2'
    """
    experiment = (params or {}).get("experiment")
    if experiment:
        return "ab_" + re.sub(r"[^0-9A-Za-z_.-]+", "_", str(experiment))
    return notebook


# --- atomic writes and metrics --------------------------------------------------------------------
def write_atomic(path: str | Path, data: bytes | str) -> Path:
    """Write ``data`` to ``path`` through a temporary file and a rename (never half a file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; reports are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        with _suppress():
            os.unlink(tmp)
        raise
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class _suppress:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return True


_jsonable = jsonable  # older private name, used below


def _format(value: Any, fmt: str) -> str:
    if value is None:
        return "n/a"
    try:
        return fmt.format(value)
    except (ValueError, TypeError, IndexError, KeyError):
        return str(value)


def record_metric(out_dir: str | Path, notebook: str, key: str, value: Any, *, label: str = "",
                  fmt: str = "{:,.0f}", note: str = "") -> Path:
    """Record one headline number into ``<out_dir>/artifacts/metrics/<notebook>.json``.

    Each notebook writes its own file, so notebooks running in parallel never clash; the runner
    merges them into ``artifacts/metrics.json`` for the index page.

    Parameters
    ----------
    out_dir : str or Path
        The month's report folder.
    notebook : str
        Output name of the report (see :func:`output_name`).
    key : str
        Identifier of the number (``"mau"``); recording a key again replaces it.
    value : number, str or None
        The number (numpy scalars are fine).
    label : str
        What the number is, for people (``"Monthly active users"``).
    fmt : str
        ``str.format`` pattern for display, e.g. ``"{:.1%}"``.
    note : str
        Optional remark shown next to it.

    Returns
    -------
    Path
        The metrics file.

    Examples
    --------
    >>> import tempfile
    >>> p = record_metric(tempfile.mkdtemp(), "02_active_users", "mau", 1234, label="MAU")
    >>> json.loads(p.read_text())["mau"]["display"]
    '1,234'
    """
    if not key or not isinstance(key, str):
        raise ParameterError(f"The metric `key` must be a non-empty string, but {key!r} was passed.")
    path = metrics_path(out_dir, notebook)
    metrics = read_metrics(path)
    plain = _jsonable(value)
    metrics[key] = {"value": plain, "label": label or key, "fmt": fmt, "note": note,
                    "display": _format(plain, fmt)}
    write_atomic(path, json.dumps(metrics, indent=2, ensure_ascii=False))
    return path


def metrics_path(out_dir: str | Path, notebook: str) -> Path:
    """Where one report's headline numbers live: ``<out_dir>/artifacts/metrics/<notebook>.json``."""
    return Path(out_dir) / "artifacts" / METRICS_DIR / f"{notebook}.json"


def read_metrics(path: str | Path) -> dict:
    """The metrics recorded in one JSON file (an empty dict when the file is missing)."""
    path = Path(path)
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return {}


def merge_metrics(artifacts: str | Path) -> dict:
    """Merge ``artifacts/metrics/*.json`` into ``artifacts/metrics.json``, keyed by notebook.

    Returns
    -------
    dict
        ``{notebook: {key: {"value", "label", "fmt", "note", "display"}}}``.
    """
    artifacts = Path(artifacts)
    merged = {p.stem: read_metrics(p) for p in sorted((artifacts / METRICS_DIR).glob("*.json"))}
    write_atomic(artifacts / METRICS_FILE, json.dumps(merged, indent=2, ensure_ascii=False))
    return merged


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
        The opened project (``helpers.pipeline.Project``) and its config.
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

    def record(self, key: str, value: Any, *, label: str, fmt: str = "{:,.0f}",
               note: str = "") -> None:
        """Record a headline number for the index page (see :func:`record_metric`)."""
        record_metric(self.out_dir, self.name, key, value, label=label, fmt=fmt, note=note)

    def _artifact_path(self, name: str, suffix: str) -> Path:
        if not name or "/" in name or "\\" in name or name.startswith("."):
            raise ParameterError(f"An artifact `name` must be a plain file name like "
                                 f"'personas{suffix}', but {name!r} was passed.")
        return self.artifacts / (name if name.endswith(suffix) else name + suffix)

    def write_csv(self, df, name: str, *, index: bool = False) -> Path:
        """Write ``df`` to ``artifacts/<name>.csv`` atomically and return the path."""
        return write_atomic(self._artifact_path(name, ".csv"), df.to_csv(index=index))

    def write_parquet(self, df, name: str, *, index: bool = False) -> Path:
        """Write ``df`` to ``artifacts/<name>.parquet`` atomically and return the path."""
        import io

        buf = io.BytesIO()
        df.to_parquet(buf, index=index)
        return write_atomic(self._artifact_path(name, ".parquet"), buf.getvalue())

    def write_json(self, obj: Any, name: str) -> Path:
        """Write ``obj`` as JSON to ``artifacts/<name>.json`` atomically and return the path."""
        text = json.dumps(_jsonable(obj), indent=2, ensure_ascii=False)
        return write_atomic(self._artifact_path(name, ".json"), text)

    def header_html(self) -> str:
        """The compact header a notebook shows under its title."""
        cfg = self.config
        start = getattr(self.project, "data_start", None)
        end = getattr(self.project, "data_end", None)
        items = [("Project", getattr(cfg, "name", "")), ("Month", self.month),
                 ("as of", self.as_of.isoformat()),
                 ("Data window", f"{start} .. {end}" if start else "n/a"),
                 ("Timezone", getattr(cfg, "timezone", ""))]
        items += [(k, _param_text(v)) for k, v in self.params.items()]
        cells = "".join(f"<span style='margin-right:1.4em'><b>{html.escape(str(k))}</b> "
                        f"{html.escape(str(v))}</span>" for k, v in items)
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
    """``helpers.config.load_config`` after checking the file exists (ParameterError if not)."""
    path = Path(config_path).expanduser()
    if not path.is_file():
        example = "../persona.yaml" if parameter == "config_path" else "persona.yaml"
        raise ParameterError(
            f"The parameter `{parameter}` must point to a project config file such as "
            f"'{example}', but {str(config_path)!r} was passed and "
            f"{path.resolve()} does not exist.")
    from helpers.config import load_config

    return load_config(path.resolve())


def start(notebook: str, *, config_path: str, month: str = "", out_dir: str = "",
          params: dict | None = None, project: Any = None, theme: bool = True) -> ReportContext:
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
        Apply the report theme (:func:`helpers.theme.apply`).

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
        from helpers.pipeline import load_project

        project = load_project(config)
    config = project.config
    if not month:
        month = project.latest_complete_month()
    check_month_in_data(month, getattr(project, "data_start", None),
                        getattr(project, "data_end", None))
    first, last = month_bounds(month)
    out = _resolve_out_dir(config, month, out_dir)
    artifacts = out / "artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    params = dict(params or {})
    ctx = ReportContext(notebook=notebook, name=output_name(notebook, params), month=month,
                        prev_month=_shift_month(month, -1), month_start=first, as_of=last,
                        out_dir=out, artifacts=artifacts, project=project, config=config,
                        params=params)
    if theme:
        from helpers import theme as _theme

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


def __getattr__(name: str):
    # The runner imports this module; re-export it lazily to avoid an import cycle.
    if name in ("run_review", "RunResult", "NotebookSpec", "REVIEW_NOTEBOOKS"):
        from helpers import runner

        return getattr(runner, name)
    raise AttributeError(f"module 'helpers.report' has no attribute {name!r}")
