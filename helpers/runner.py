"""Run the monthly review: papermill executes the report notebooks, nbconvert renders them.

``run_review`` checks every parameter against the notebooks' ``parameters`` cells before anything
runs, opens the project once (so parallel notebooks never build the cache concurrently), then
runs each month in order. Notebooks run in separate processes (``jobs`` at a time), respecting
their dependencies; a failing notebook does not stop the others, its dependents are skipped and
its partial notebook is rendered with the error visible. A manifest per month skips notebooks
whose inputs did not change. After each month the month index and the archive index are rebuilt.
"""

from __future__ import annotations

import ast
import datetime as dt
import hashlib
import json
import os
import sys
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import helpers
from helpers.errors import ParameterError
from helpers.report import (check_month_in_data, default_reports_dir, load_config_checked,
                            merge_metrics, month_bounds, month_range, output_name, parse_month)
from helpers import report_html

KERNEL_NAME = "persona-kit"
START_TIMEOUT_S = 120
NOTEBOOKS_DIR = Path(helpers.__file__).resolve().parent.parent / "notebooks"
#: Parameters the runner sets itself (from ``config_path``, ``--month`` and ``--out``).
RUNNER_PARAMETERS = ("config_path", "month", "out_dir")
EXPERIMENT_PARAMETER = "experiment"


@dataclass(frozen=True)
class NotebookSpec:
    """A report notebook: its name, what it needs first, whether it runs once per experiment."""

    name: str
    depends_on: tuple[str, ...] = ()
    per_experiment: bool = False
    path: Path | None = None

    @property
    def file(self) -> Path:
        return Path(self.path) if self.path else NOTEBOOKS_DIR / f"{self.name}.ipynb"


_ALL_BEFORE_REVIEW = ("01_data_audit", "02_active_users", "03_personas", "04_churn",
                      "05_ab_readout")
#: The monthly review, in order; the one place that lists the notebooks and their dependencies.
REVIEW_NOTEBOOKS: tuple[NotebookSpec, ...] = (
    NotebookSpec("01_data_audit"),
    NotebookSpec("02_active_users"),
    NotebookSpec("03_personas"),
    NotebookSpec("04_churn", depends_on=("03_personas",)),
    NotebookSpec("05_ab_readout", depends_on=("03_personas",), per_experiment=True),
    NotebookSpec("06_persona_review", depends_on=_ALL_BEFORE_REVIEW),
)


# --- results -------------------------------------------------------------------------------------
@dataclass
class ReportRun:
    """What happened to one report of one month."""

    month: str
    name: str
    notebook: str
    status: str                       # "ok" | "failed" | "skipped"
    reason: str = ""
    last_run: str = ""                # "executed" | "unchanged" | ""
    duration_s: float | None = None
    html: Path | None = None
    ipynb: Path | None = None
    params: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        return report_html.status_label({"status": self.status, "reason": self.reason,
                                         "last_run": self.last_run})


@dataclass
class RunResult:
    """Outcome of :func:`run_review`.

    Attributes
    ----------
    out_root : Path
        Folder holding the ``<month>/`` folders and the archive ``index.html``.
    months : list of str
    runs : list of ReportRun
        One per report and month, in run order.
    executed : list of str
        ``"<month>/<name>"`` of every notebook actually executed (unchanged ones are not).
    month_indexes : dict
        month -> its ``index.html``.
    archive_index : Path
    """

    out_root: Path
    months: list[str]
    runs: list[ReportRun]
    executed: list[str]
    month_indexes: dict[str, Path]
    archive_index: Path

    @property
    def failed(self) -> list[str]:
        """``"<month>/<name>"`` of each failed report."""
        return [f"{r.month}/{r.name}" for r in self.runs if r.status == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failed

    def run(self, name: str, month: str | None = None) -> ReportRun:
        """The :class:`ReportRun` of report ``name`` (of ``month``, default: the last month)."""
        month = month or self.months[-1]
        for r in self.runs:
            if r.name == name and r.month == month:
                return r
        raise KeyError(f"no report {name!r} in month {month}")

    def _repr_html_(self) -> str:
        import html

        rows = "".join(f"<tr><td>{r.month}</td><td>{html.escape(r.name)}</td>"
                       f"<td>{html.escape(r.label)}</td></tr>" for r in self.runs)
        return (f"<p>{len(self.runs)} report(s), {len(self.executed)} executed, "
                f"{len(self.failed)} failed.</p><table>{rows}</table>")


# --- parameters ----------------------------------------------------------------------------------
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
        name = name[len("Optional["):-1]
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
        raise ParameterError(f"The parameter `{name}` must be {expected}{where}, "
                             f"but {value!r} was passed.")

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


def inspect_parameters(spec: NotebookSpec) -> dict[str, str]:
    """``{parameter: type name}`` declared by a notebook's ``parameters`` cell.

    Raises
    ------
    ParameterError
        When the notebook has no cell tagged ``parameters`` (papermill would then silently let
        the notebook's own values win).
    """
    import papermill

    declared = papermill.inspect_notebook(str(spec.file))
    if not declared:
        raise ParameterError(
            f"The notebook {spec.file} has no cell tagged `parameters` (or it declares nothing), "
            "so parameters cannot be passed to it; tag its first code cell `parameters` with "
            "lines like `month: str = \"\"  # YYYY-MM to review`.")
    return {name: declared_type(decl) for name, decl in declared.items()}


def _check_user_params(params: dict, declared: dict[str, dict[str, str]]) -> None:
    valid = sorted({p for d in declared.values() for p in d} - set(RUNNER_PARAMETERS))
    for key in params:
        if key in RUNNER_PARAMETERS:
            option = {"config_path": "--config", "month": "--month/--months",
                      "out_dir": "--out"}[key]
            raise ParameterError(f"The parameter `{key}` is set by the runner; use {option} "
                                 f"instead of `-p {key} ...`.")
        if not any(key in d for d in declared.values()):
            raise ParameterError(
                f"The parameter `{key}` is not declared by any notebook being run "
                f"({', '.join(declared)}); valid parameters: {', '.join(valid) or 'none'}.")


# --- notebook selection --------------------------------------------------------------------------
def _as_specs(notebooks: Sequence[NotebookSpec | str | Path] | None) -> list[NotebookSpec]:
    if notebooks is None:
        return [s for s in REVIEW_NOTEBOOKS if s.file.exists()]
    specs = []
    for item in notebooks:
        if isinstance(item, NotebookSpec):
            specs.append(item)
        else:
            path = Path(item)
            specs.append(NotebookSpec(path.stem, path=path))
    missing = [str(s.file) for s in specs if not s.file.exists()]
    if missing:
        raise ParameterError(f"The notebooks {missing} do not exist.")
    return specs


def select_notebooks(specs: list[NotebookSpec], only: Iterable[str] | None) -> list[NotebookSpec]:
    """The specs named in ``only`` (full name, number prefix ``03`` or name ``personas``)."""
    if not only:
        return list(specs)
    chosen = set()
    for wanted in only:
        matches = [s.name for s in specs
                   if wanted in (s.name, s.name.split("_", 1)[0], s.name.split("_", 1)[-1])]
        if not matches:
            raise ParameterError(f"The option `only` must name report notebooks among "
                                 f"{[s.name for s in specs]}, but {wanted!r} was passed.")
        chosen.update(matches)
    return [s for s in specs if s.name in chosen]


# --- execution (in worker processes) -------------------------------------------------------------
def _worker_init() -> None:
    # ipykernel installs the inline backend only when MPLBACKEND is unset: a global Agg setting
    # (common in CI) would silently remove every chart from the reports.
    os.environ.pop("MPLBACKEND", None)


def _is_kernel_start_failure(exc: BaseException) -> bool:
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        return False
    text = f"{type(exc).__name__}: {exc}".lower()
    return (isinstance(exc, TimeoutError) or "zmqerror" in text or "address already in use" in text
            or "kernel didn't respond" in text or "kernel died before replying" in text)


def execute_job(job: dict) -> dict:
    """Execute one notebook with papermill and render its HTML (runs in a worker process)."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    _worker_init()
    out_ipynb, out_html = Path(job["ipynb"]), Path(job["html"])
    out_ipynb.parent.mkdir(parents=True, exist_ok=True)
    Path(job["metrics_file"]).unlink(missing_ok=True)  # stale numbers of an earlier run
    started = dt.datetime.now().astimezone()
    t0 = time.perf_counter()
    status, error, attempts = "ok", "", 0
    while True:
        attempts += 1
        try:
            papermill.execute_notebook(
                job["input"], str(out_ipynb), parameters=job["parameters"],
                kernel_name=KERNEL_NAME, cwd=job["cwd"], start_timeout=START_TIMEOUT_S,
                progress_bar=False, log_output=False)
            break
        except PapermillExecutionError as exc:
            status, error = "failed", f"{exc.ename}: {exc.evalue}"
            break
        except Exception as exc:  # noqa: BLE001 - any failure is reported, not raised
            if attempts == 1 and _is_kernel_start_failure(exc):
                continue  # one retry, only when the kernel did not start
            status, error = "failed", f"{type(exc).__name__}: {exc}"
            break
    duration = time.perf_counter() - t0
    header = dict(job["header"], started_at=started.isoformat(timespec="seconds"),
                  duration_s=duration, status=status, error=error)
    html_path = None
    try:
        if not out_ipynb.exists():
            _write_error_notebook(out_ipynb, error)
        html_path = str(report_html.render_notebook_html(out_ipynb, out_html,
                                                         with_code=job["with_code"],
                                                         header=header))
    except Exception as exc:  # noqa: BLE001
        error = (error + "; " if error else "") + f"HTML rendering failed: {exc}"
        status = "failed"
    return {"name": job["name"], "status": status, "reason": error, "duration_s": duration,
            "started_at": header["started_at"], "html": html_path, "ipynb": str(out_ipynb),
            "attempts": attempts}


def _write_error_notebook(path: Path, error: str) -> None:
    import nbformat
    from nbformat.v4 import new_markdown_cell, new_notebook

    nb = new_notebook(cells=[new_markdown_cell(f"**The notebook did not run:** `{error}`")])
    nbformat.write(nb, str(path))


# --- planning a month ----------------------------------------------------------------------------
def _sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _job_hash(file_hash: str, parameters: dict, fingerprint: str, dep_hashes: list[str],
              with_code: bool) -> str:
    """Identity of a report's inputs: notebook file, parameters, data, kit version, rendering."""
    payload = json.dumps({"notebook": file_hash, "parameters": parameters, "with_code": with_code,
                          "fingerprint": fingerprint, "kit_version": helpers.__version__,
                          "depends_on": sorted(dep_hashes)}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def _running_experiments(project, month_start: dt.date, month_end: dt.date) -> list[str]:
    from helpers.experiments import running_experiments
    from helpers import schema

    table = project.tables.get("assignments")
    wanted = [c for c in (schema.USER_ID, schema.EXPERIMENT, schema.VARIANT, schema.ASSIGNED_AT)
              if c in table.columns]
    df = table.select(wanted).to_pandas()  # one row per user and experiment, not raw events
    return list(running_experiments(df, month_start=month_start, month_end=month_end))


def _plan_month(month: str, specs: list[NotebookSpec], declared: dict[str, dict[str, str]],
                user_params: dict, *, project, config_path: Path, month_dir: Path,
                with_code: bool) -> list[dict]:
    first, last = month_bounds(month)
    base = {"config_path": str(config_path), "month": month, "out_dir": str(month_dir)}
    header_base = {"project": getattr(project.config, "name", ""), "month": month,
                   "as_of": last.isoformat(),
                   "data_window": f"{project.data_start} .. {project.data_end}",
                   "kit_version": helpers.__version__}
    fingerprint = str(getattr(project, "fingerprint", ""))
    jobs: list[dict] = []
    hashes_by_template: dict[str, list[str]] = {}
    for spec in specs:
        decl = declared[spec.name]
        params = {}
        for key, value in {**base, **user_params}.items():
            if key in decl and key != EXPERIMENT_PARAMETER:
                params[key] = convert_parameter(key, value, decl[key], notebook=spec.file.name)
        variants: list[dict | None] = [None]
        skip_reason = ""
        if spec.per_experiment:
            if EXPERIMENT_PARAMETER not in decl:
                raise ParameterError(f"The notebook {spec.file} runs once per experiment, so its "
                                     "`parameters` cell must declare `experiment: str = \"\"`.")
            if user_params.get(EXPERIMENT_PARAMETER):
                names = [e.strip() for e in str(user_params[EXPERIMENT_PARAMETER]).split(",")
                         if e.strip()]
            elif project.tables.get("assignments") is None:
                names, skip_reason = [], "no assignments"
            else:
                names = _running_experiments(project, first, last)
                skip_reason = "" if names else f"no experiment running in {month}"
            variants = [{EXPERIMENT_PARAMETER: n} for n in names]
        elif EXPERIMENT_PARAMETER in user_params and EXPERIMENT_PARAMETER in decl:
            params[EXPERIMENT_PARAMETER] = convert_parameter(
                EXPERIMENT_PARAMETER, user_params[EXPERIMENT_PARAMETER],
                decl[EXPERIMENT_PARAMETER], notebook=spec.file.name)
        if spec.per_experiment and not variants:
            jobs.append({"name": spec.name, "template": spec.name, "skip": skip_reason,
                         "depends_on": spec.depends_on, "parameters": params, "hash": ""})
            hashes_by_template[spec.name] = []
            continue
        file_hash = _sha256_file(spec.file)
        dep_hashes = [h for d in spec.depends_on for h in hashes_by_template.get(d, [])]
        for extra in variants:
            job_params = {**params, **(extra or {})}
            name = output_name(spec.name, extra)
            digest = _job_hash(file_hash, job_params, fingerprint, dep_hashes, with_code)
            hashes_by_template.setdefault(spec.name, []).append(digest)
            jobs.append({
                "name": name, "template": spec.name, "skip": "", "depends_on": spec.depends_on,
                "input": str(spec.file), "cwd": str(spec.file.parent),
                "ipynb": str(month_dir / f"{name}.ipynb"), "html": str(month_dir / f"{name}.html"),
                "metrics_file": str(month_dir / "artifacts" / "metrics" / f"{name}.json"),
                "parameters": job_params, "with_code": with_code, "hash": digest,
                "header": {**header_base, "parameters": report_html.jsonable_params(job_params)}})
    return jobs


# --- running -------------------------------------------------------------------------------------
class _Worker:
    """A child process (``python -m helpers.runner --serve``) that executes jobs one by one.

    A child process rather than ``multiprocessing``: nothing depends on the caller's
    ``__main__`` guard and the kernel's environment is set here (no ``MPLBACKEND``). It is
    reused for the next job, so papermill and nbconvert are imported and the HTML template
    compiled once per worker, not once per notebook.
    """

    def __init__(self):
        import subprocess
        import tempfile

        self._log = tempfile.TemporaryFile(mode="w+", encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
        self.proc = subprocess.Popen([sys.executable, "-m", "helpers.runner", "--serve"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self._log, env=env, text=True, encoding="utf-8")

    def run(self, job: dict, result_file: Path) -> dict:
        token = f"{_DONE} {result_file.name}"
        try:
            self.proc.stdin.write(json.dumps({"job": job, "result": str(result_file)},
                                             default=str) + "\n")
            self.proc.stdin.flush()
            while True:
                line = self.proc.stdout.readline()
                if not line or line.strip() == token:
                    break
        except (BrokenPipeError, OSError):
            line = ""
        if line and result_file.exists():
            return json.loads(result_file.read_text(encoding="utf-8"))
        code = self.proc.poll()
        self._log.seek(0)
        tail = (self._log.read().strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"the worker process stopped (exit code {code}): {tail}")

    def close(self) -> None:
        import subprocess

        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        self._log.close()


_DONE = "persona-kit-job-done"


class _Pool:
    """Runs jobs in :class:`_Worker` processes, ``jobs`` at a time; threads only wait for them.

    Workers start on first use, so a month whose reports are all unchanged starts no process.
    """

    def __init__(self, jobs: int):
        import queue
        import tempfile

        self.jobs = jobs
        self._executor: ThreadPoolExecutor | None = None
        self._idle: queue.Queue = queue.Queue()
        self._workers: list[_Worker] = []
        self._tmp = Path(tempfile.mkdtemp(prefix="persona-kit-run-"))
        self._count = 0

    def submit(self, job: dict) -> Future:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=self.jobs,
                                                thread_name_prefix="persona-kit-job")
        self._count += 1
        return self._executor.submit(self._run, job, self._tmp / f"result-{self._count}.json")

    def _run(self, job: dict, result_file: Path) -> dict:
        import queue

        try:
            worker = self._idle.get_nowait()
        except queue.Empty:
            worker = _Worker()
            self._workers.append(worker)
        try:
            result = worker.run(job, result_file)
        except Exception:
            worker.close()
            raise
        self._idle.put(worker)
        return result

    def close(self) -> None:
        import shutil

        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
        for worker in self._workers:
            worker.close()
        shutil.rmtree(self._tmp, ignore_errors=True)


def _say(progress: bool, text: str) -> None:
    if progress:
        print(text, flush=True)


def _run_month(month: str, jobs: list[dict], *, pool: _Pool, previous: dict, force: bool,
               progress: bool, executed: list[str]) -> dict[str, dict]:
    """Run a month's jobs respecting dependencies; returns manifest entries by report name."""
    entries: dict[str, dict] = {}
    by_template: dict[str, list[dict]] = {}
    for job in jobs:
        by_template.setdefault(job["template"], []).append(job)
    present = set(by_template)
    pending = list(jobs)
    running: dict[Future, dict] = {}

    def finish(job: dict, entry: dict) -> None:
        entries[job["name"]] = {"notebook": job["template"], "hash": job.get("hash", ""),
                                "params": report_html.jsonable_params(job.get("parameters", {})),
                                **entry}

    while pending or running:
        for job in list(pending):
            if len(running) >= pool.jobs:
                break
            deps = [j for d in job["depends_on"] if d in present for j in by_template[d]]
            if any(d["name"] not in entries for d in deps):
                continue  # a dependency is still running or waiting
            pending.remove(job)
            failed = [d["name"] for d in deps if entries[d["name"]]["status"] == "failed"
                      or entries[d["name"]].get("reason", "").startswith("depends on failed")]
            if job["skip"] or failed:
                reason = job["skip"] or f"depends on failed {', '.join(failed)}"
                finish(job, {"status": "skipped", "reason": reason, "last_run": ""})
                _say(progress, f"[{month}] {job['name']}: skipped: {reason}")
                continue
            old = previous.get(job["name"], {})
            if (not force and old.get("hash") == job["hash"] and old.get("status") == "ok"
                    and Path(job["html"]).exists() and Path(job["ipynb"]).exists()):
                finish(job, {**{k: old.get(k) for k in ("duration_s", "started_at")},
                             "status": "ok", "reason": "", "last_run": "unchanged",
                             "html": Path(job["html"]).name, "ipynb": Path(job["ipynb"]).name})
                _say(progress, f"[{month}] {job['name']}: unchanged, not re-run")
                continue
            _say(progress, f"[{month}] {job['name']}: started")
            executed.append(f"{month}/{job['name']}")
            running[pool.submit(job)] = job
        if not running:
            if pending:  # only possible with a dependency cycle in the notebook list
                raise ParameterError(f"The notebooks {[j['name'] for j in pending]} depend on "
                                     "each other in a cycle; fix `depends_on`.")
            break
        done, _ = wait(list(running), return_when=FIRST_COMPLETED)
        for future in done:
            job = running.pop(future)
            try:
                out = future.result()
            except Exception as exc:  # noqa: BLE001 - a crashed worker fails one report only
                out = {"status": "failed", "reason": f"{type(exc).__name__}: {exc}",
                       "duration_s": None, "html": None, "ipynb": None, "started_at": None}
            finish(job, {"status": out["status"], "reason": out["reason"],
                         "last_run": "executed", "duration_s": out["duration_s"],
                         "started_at": out["started_at"],
                         "html": Path(out["html"]).name if out.get("html") else None,
                         "ipynb": Path(out["ipynb"]).name if out.get("ipynb") else None})
            secs = f"{out['duration_s']:.1f} s" if out.get("duration_s") is not None else ""
            detail = f" ({out['reason']})" if out["status"] == "failed" else ""
            _say(progress, f"[{month}] {job['name']}: {out['status']} in {secs}{detail}")
    # keep the manifest's order = the notebook order
    return {job["name"]: entries[job["name"]] for job in jobs}


def _load_project(config_path: str | Path, *, progress: bool):
    config = load_config_checked(config_path, parameter="config")
    from helpers.pipeline import load_project

    return load_project(config, progress=progress)


def run_review(config_path: str | Path, *, month: str | None = None, months: str | None = None,
               out: str | Path | None = None, only: Iterable[str] | None = None,
               with_code: bool = False, jobs: int = 1, params: dict | None = None,
               force: bool = False, progress: bool = True,
               notebooks: Sequence[NotebookSpec | str | Path] | None = None,
               project: Any = None) -> RunResult:
    """Run the monthly persona review and write HTML reports plus index pages.

    Parameters
    ----------
    config_path : str or Path
        Project config (``persona.yaml``).
    month : str, optional
        ``YYYY-MM``; default: the latest complete month in the data.
    months : str, optional
        A backfill range ``"2026-05..2026-10"``, run month by month (instead of ``month``).
    out : str or Path, optional
        Folder for ``<month>/`` report folders; default ``report.out_dir`` or ``reports/`` beside
        the config.
    only : iterable of str, optional
        Run only these notebooks (``"03_personas"``, ``"03"`` or ``"personas"``).
    with_code : bool
        Show code cells in the HTML.
    jobs : int
        Notebooks run at the same time, each in its own process.
    params : dict, optional
        Extra notebook parameters (``-p KEY VALUE``); text values are converted to the type the
        notebook declares. ``experiment`` selects the A/B readouts (comma-separated names).
    force : bool
        Re-run notebooks even when the manifest says nothing changed.
    progress : bool
        Print one line per notebook start and finish.
    notebooks : sequence, optional
        Notebook specs or paths instead of the review's (tests, custom reviews).
    project : Project, optional
        An already opened project (then ``config_path`` is not read).

    Returns
    -------
    RunResult

    Raises
    ------
    ParameterError
        A bad month, an unknown parameter (named, with the valid ones), a notebook without a
        ``parameters`` cell, a config file that does not exist.

    Examples
    --------
    >>> result = run_review("persona.yaml", month="2026-10", jobs=2)  # doctest: +SKIP
    >>> result.failed  # doctest: +SKIP
    []
    """
    if month and months:
        raise ParameterError("Pass either `month` or `months`, not both "
                             f"(got month={month!r} and months={months!r}).")
    wanted_months = month_range(months) if months else ([parse_month(month)] if month else None)
    if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1:
        raise ParameterError(f"The parameter `jobs` must be a whole number >= 1, but {jobs!r} "
                             "was passed.")
    specs = select_notebooks(_as_specs(notebooks), only)
    if not specs:
        raise ParameterError(f"No report notebook found in {NOTEBOOKS_DIR}.")
    declared = {s.name: inspect_parameters(s) for s in specs}
    user_params = dict(params or {})
    _check_user_params(user_params, declared)

    if project is None:
        project = _load_project(config_path, progress=progress)
    config = project.config
    config_file = Path(getattr(config, "config_path", None) or config_path).resolve()
    wanted_months = wanted_months or [project.latest_complete_month()]
    for m in wanted_months:
        check_month_in_data(m, project.data_start, project.data_end,
                            parameter="months" if months else "month")
    out_root = Path(out).expanduser().resolve() if out else default_reports_dir(config)

    runs: list[ReportRun] = []
    executed: list[str] = []
    indexes: dict[str, Path] = {}
    pool = _Pool(jobs)
    try:
        for m in wanted_months:
            month_dir = out_root / m
            (month_dir / "artifacts" / "metrics").mkdir(parents=True, exist_ok=True)
            plan = _plan_month(m, specs, declared, user_params, project=project,
                               config_path=config_file, month_dir=month_dir, with_code=with_code)
            manifest = report_html.read_manifest(month_dir)
            previous = manifest.get("reports") or {}
            entries = _run_month(m, plan, pool=pool, previous=previous, force=force,
                                 progress=progress, executed=executed)
            first, last = month_bounds(m)
            reports = dict(previous)
            reports.update(entries)
            report_html.write_manifest(month_dir, {
                "month": m, "project": getattr(config, "name", ""), "as_of": last.isoformat(),
                "data_window": f"{project.data_start} .. {project.data_end}",
                "kit_version": helpers.__version__,
                "fingerprint": str(getattr(project, "fingerprint", "")),
                "updated_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
                "reports": reports})
            merge_metrics(month_dir / "artifacts")
            indexes[m] = report_html.render_month_index(month_dir)
            for name, entry in entries.items():
                runs.append(ReportRun(
                    month=m, name=name, notebook=entry["notebook"], status=entry["status"],
                    reason=entry.get("reason") or "", last_run=entry.get("last_run") or "",
                    duration_s=entry.get("duration_s"),
                    html=month_dir / entry["html"] if entry.get("html") else None,
                    ipynb=month_dir / entry["ipynb"] if entry.get("ipynb") else None,
                    params=entry.get("params") or {}))
            archive = report_html.render_archive_index(out_root)
    finally:
        pool.close()
    return RunResult(out_root=out_root, months=wanted_months, runs=runs, executed=executed,
                     month_indexes=indexes, archive_index=archive)


def _serve() -> int:
    """Worker loop: read one job per line on stdin, write its result file, say it is done."""
    # The protocol gets its own copy of stdout; fd 1 then points to stderr, so nothing that
    # the libraries or the kernels (child processes inherit fd 1) print can mix with it.
    sys.stdout.flush()
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        result_file = Path(request["result"])
        try:
            result = execute_job(request["job"])
        except Exception as exc:  # noqa: BLE001 - reported to the parent as a failed report
            result = {"name": request["job"].get("name"), "status": "failed",
                      "reason": f"{type(exc).__name__}: {exc}", "duration_s": None,
                      "started_at": None, "html": None, "ipynb": None, "attempts": 0}
        result_file.write_text(json.dumps(result, default=str), encoding="utf-8")
        channel.write(f"{_DONE} {result_file.name}\n")
        channel.flush()
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--serve"]:
        sys.exit(_serve())
