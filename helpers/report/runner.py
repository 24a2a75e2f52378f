"""Run the monthly review: papermill executes the report notebooks, nbconvert renders them.

``run_review`` checks every parameter against the notebooks' ``parameters`` cells before anything
runs, opens the project once (so parallel notebooks never build the cache concurrently), then
runs each month in order. Notebooks run in separate processes (``jobs`` at a time), respecting
their dependencies; a failing notebook does not stop the others, its dependents are skipped and
its partial notebook is rendered with the error visible. A manifest per month skips notebooks
whose inputs did not change. After each month the month index and the archive index are rebuilt.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import helpers
from helpers.core.errors import ParameterError
from helpers.core.metrics import merge_metrics
from helpers.core.time import (
    check_month_in_data,
    month_bounds,
    month_range,
    parse_month,
    shift_month,
)
from helpers.data.pipeline import load_project
from helpers.report import html as report_html
from helpers.report.context import default_reports_dir, load_config_checked
from helpers.report.notebooks import kit_notebooks_dir, notebooks_dir
from helpers.report.params import (
    EXPERIMENT_PARAMETER,
    check_user_params,
    convert_parameter,
    inspect_parameters,
    output_name,
)
from helpers.report.workers import Pool


@dataclass(frozen=True)
class NotebookSpec:
    """A report notebook: its name, what it needs first, whether it runs once per experiment."""

    name: str
    depends_on: tuple[str, ...] = ()
    per_experiment: bool = False
    path: Path | None = None

    @property
    def file(self) -> Path:
        return Path(self.path) if self.path else kit_notebooks_dir() / f"{self.name}.ipynb"


_ALL_BEFORE_REVIEW = (
    "01_data_audit",
    "02_active_users",
    "03_personas",
    "04_churn",
    "05_ab_readout",
)
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
    status: str  # "ok" | "failed" | "skipped"
    reason: str = ""
    last_run: str = ""  # "executed" | "unchanged" | ""
    duration_s: float | None = None
    html: Path | None = None
    ipynb: Path | None = None
    params: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        return report_html.status_label(
            {"status": self.status, "reason": self.reason, "last_run": self.last_run}
        )


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

        rows = "".join(
            f"<tr><td>{r.month}</td><td>{html.escape(r.name)}</td>"
            f"<td>{html.escape(r.label)}</td></tr>"
            for r in self.runs
        )
        return (
            f"<p>{len(self.runs)} report(s), {len(self.executed)} executed, "
            f"{len(self.failed)} failed.</p><table>{rows}</table>"
        )


# --- notebook selection --------------------------------------------------------------------------
def _as_specs(
    notebooks: Sequence[NotebookSpec | str | Path] | None, folder: Path | None = None
) -> list[NotebookSpec]:
    if notebooks is None:
        folder = folder or kit_notebooks_dir()
        specs = [
            s if s.path else dataclasses.replace(s, path=folder / f"{s.name}.ipynb")
            for s in REVIEW_NOTEBOOKS
        ]
        return [s for s in specs if s.file.exists()]
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
        matches = [
            s.name
            for s in specs
            if wanted in (s.name, s.name.split("_", 1)[0], s.name.split("_", 1)[-1])
        ]
        if not matches:
            raise ParameterError(
                f"The option `only` must name report notebooks among "
                f"{[s.name for s in specs]}, but {wanted!r} was passed."
            )
        chosen.update(matches)
    return [s for s in specs if s.name in chosen]


# --- planning a month ----------------------------------------------------------------------------
def _sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _job_hash(
    file_hash: str, parameters: dict, fingerprint: str, dep_hashes: list[str], with_code: bool
) -> str:
    """Identity of a report's inputs: notebook file, parameters, data, kit version, rendering."""
    payload = json.dumps(
        {
            "notebook": file_hash,
            "parameters": parameters,
            "with_code": with_code,
            "fingerprint": fingerprint,
            "kit_version": helpers.__version__,
            "depends_on": sorted(dep_hashes),
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _running_experiments(project, month_start: dt.date, month_end: dt.date) -> list[str]:
    from helpers.analysis.experiments.readout import running_experiments
    from helpers.core import schema

    table = project.tables.get("assignments")
    # assigned_day is the business-timezone date: an early-morning assignment on the 1st (local)
    # is the previous month in UTC and must not plan a readout for that month
    wanted = [
        c
        for c in (
            schema.USER_ID,
            schema.EXPERIMENT,
            schema.VARIANT,
            schema.ASSIGNED_AT,
            "assigned_day",
        )
        if c in table.columns
    ]
    df = table.select(wanted).to_pandas()  # one row per user and experiment, not raw events
    return list(running_experiments(df, month_start=month_start, month_end=month_end))


def _plan_month(
    month: str,
    specs: list[NotebookSpec],
    declared: dict[str, dict[str, str]],
    user_params: dict,
    *,
    project,
    config_path: Path,
    month_dir: Path,
    with_code: bool,
) -> list[dict]:
    first, last = month_bounds(month)
    base = {"config_path": str(config_path), "month": month, "out_dir": str(month_dir)}
    header_base = {
        "project": getattr(project.config, "name", ""),
        "month": month,
        "as_of": last.isoformat(),
        "data_window": f"{project.data_start} .. {project.data_end}",
        "kit_version": helpers.__version__,
    }
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
                raise ParameterError(
                    f"The notebook {spec.file} runs once per experiment, so its "
                    '`parameters` cell must declare `experiment: str = ""`.'
                )
            if user_params.get(EXPERIMENT_PARAMETER):
                names = [
                    e.strip()
                    for e in str(user_params[EXPERIMENT_PARAMETER]).split(",")
                    if e.strip()
                ]
            elif project.tables.get("assignments") is None:
                names, skip_reason = [], "no assignments"
            else:
                names = _running_experiments(project, first, last)
                skip_reason = "" if names else f"no experiment running in {month}"
            variants = [{EXPERIMENT_PARAMETER: n} for n in names]
        elif EXPERIMENT_PARAMETER in user_params and EXPERIMENT_PARAMETER in decl:
            params[EXPERIMENT_PARAMETER] = convert_parameter(
                EXPERIMENT_PARAMETER,
                user_params[EXPERIMENT_PARAMETER],
                decl[EXPERIMENT_PARAMETER],
                notebook=spec.file.name,
            )
        if spec.per_experiment and not variants:
            jobs.append(
                {
                    "name": spec.name,
                    "template": spec.name,
                    "skip": skip_reason,
                    "depends_on": spec.depends_on,
                    "parameters": params,
                    "hash": "",
                }
            )
            hashes_by_template[spec.name] = []
            continue
        file_hash = _sha256_file(spec.file)
        dep_hashes = [h for d in spec.depends_on for h in hashes_by_template.get(d, [])]
        for extra in variants:
            job_params = {**params, **(extra or {})}
            name = output_name(spec.name, extra)
            digest = _job_hash(file_hash, job_params, fingerprint, dep_hashes, with_code)
            hashes_by_template.setdefault(spec.name, []).append(digest)
            jobs.append(
                {
                    "name": name,
                    "template": spec.name,
                    "skip": "",
                    "depends_on": spec.depends_on,
                    "input": str(spec.file),
                    "cwd": str(spec.file.parent),
                    "ipynb": str(month_dir / f"{name}.ipynb"),
                    "html": str(month_dir / f"{name}.html"),
                    "metrics_file": str(month_dir / "artifacts" / "metrics" / f"{name}.json"),
                    "parameters": job_params,
                    "with_code": with_code,
                    "hash": digest,
                    "header": {
                        **header_base,
                        "parameters": report_html.jsonable_params(job_params),
                    },
                }
            )
    return jobs


# --- running -------------------------------------------------------------------------------------
def _say(progress: bool, text: str) -> None:
    if progress:
        print(text, flush=True)


def _run_month(
    month: str,
    jobs: list[dict],
    *,
    pool: Pool,
    previous: dict,
    force: bool,
    progress: bool,
    executed: list[str],
) -> dict[str, dict]:
    """Run a month's jobs respecting dependencies; returns manifest entries by report name."""
    entries: dict[str, dict] = {}
    by_template: dict[str, list[dict]] = {}
    for job in jobs:
        by_template.setdefault(job["template"], []).append(job)
    present = set(by_template)
    pending = list(jobs)
    running: dict[Future, dict] = {}

    def finish(job: dict, entry: dict) -> None:
        entries[job["name"]] = {
            "notebook": job["template"],
            "hash": job.get("hash", ""),
            "params": report_html.jsonable_params(job.get("parameters", {})),
            **entry,
        }

    while pending or running:
        for job in list(pending):
            if len(running) >= pool.jobs:
                break
            deps = [j for d in job["depends_on"] if d in present for j in by_template[d]]
            if any(d["name"] not in entries for d in deps):
                continue  # a dependency is still running or waiting
            pending.remove(job)
            failed = [
                d["name"]
                for d in deps
                if entries[d["name"]]["status"] == "failed"
                or entries[d["name"]].get("reason", "").startswith("depends on failed")
            ]
            if job["skip"] or failed:
                reason = job["skip"] or f"depends on failed {', '.join(failed)}"
                finish(job, {"status": "skipped", "reason": reason, "last_run": ""})
                _say(progress, f"[{month}] {job['name']}: skipped: {reason}")
                continue
            old = previous.get(job["name"], {})
            if (
                not force
                and old.get("hash") == job["hash"]
                and old.get("status") == "ok"
                and Path(job["html"]).exists()
                and Path(job["ipynb"]).exists()
            ):
                finish(
                    job,
                    {
                        **{k: old.get(k) for k in ("duration_s", "started_at")},
                        "status": "ok",
                        "reason": "",
                        "last_run": "unchanged",
                        "html": Path(job["html"]).name,
                        "ipynb": Path(job["ipynb"]).name,
                    },
                )
                _say(progress, f"[{month}] {job['name']}: unchanged, not re-run")
                continue
            _say(progress, f"[{month}] {job['name']}: started")
            executed.append(f"{month}/{job['name']}")
            running[pool.submit(job)] = job
        if not running:
            if pending:  # only possible with a dependency cycle in the notebook list
                raise ParameterError(
                    f"The notebooks {[j['name'] for j in pending]} depend on "
                    "each other in a cycle; fix `depends_on`."
                )
            break
        done, _ = wait(list(running), return_when=FIRST_COMPLETED)
        for future in done:
            job = running.pop(future)
            try:
                out = future.result()
            except Exception as exc:  # noqa: BLE001 - a crashed worker fails one report only
                out = {
                    "status": "failed",
                    "reason": f"{type(exc).__name__}: {exc}",
                    "duration_s": None,
                    "html": None,
                    "ipynb": None,
                    "started_at": None,
                }
            finish(
                job,
                {
                    "status": out["status"],
                    "reason": out["reason"],
                    "last_run": "executed",
                    "duration_s": out["duration_s"],
                    "started_at": out["started_at"],
                    "html": Path(out["html"]).name if out.get("html") else None,
                    "ipynb": Path(out["ipynb"]).name if out.get("ipynb") else None,
                },
            )
            secs = f"{out['duration_s']:.1f} s" if out.get("duration_s") is not None else ""
            detail = f" ({out['reason']})" if out["status"] == "failed" else ""
            _say(progress, f"[{month}] {job['name']}: {out['status']} in {secs}{detail}")
    # keep the manifest's order = the notebook order
    return {job["name"]: entries[job["name"]] for job in jobs}


def _close_month(
    month: str,
    month_dir: Path,
    previous: dict,
    entries: dict,
    *,
    project,
    config,
    runs: list,
    indexes: dict,
) -> None:
    """Write a month's manifest, merged metrics and index; add its reports to ``runs``."""
    first, last = month_bounds(month)
    reports = dict(previous)
    reports.update(entries)
    report_html.write_manifest(
        month_dir,
        {
            "month": month,
            "project": getattr(config, "name", ""),
            "as_of": last.isoformat(),
            "data_window": f"{project.data_start} .. {project.data_end}",
            "kit_version": helpers.__version__,
            "fingerprint": str(getattr(project, "fingerprint", "")),
            "updated_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "reports": reports,
        },
    )
    merge_metrics(month_dir / "artifacts")
    indexes[month] = report_html.render_month_index(month_dir)
    for name, entry in entries.items():
        runs.append(
            ReportRun(
                month=month,
                name=name,
                notebook=entry["notebook"],
                status=entry["status"],
                reason=entry.get("reason") or "",
                last_run=entry.get("last_run") or "",
                duration_s=entry.get("duration_s"),
                html=month_dir / entry["html"] if entry.get("html") else None,
                ipynb=month_dir / entry["ipynb"] if entry.get("ipynb") else None,
                params=entry.get("params") or {},
            )
        )


#: Reports that compare a month with the previous month's personas, and the report building them.
NEEDS_PREVIOUS_PERSONAS = ("03_personas", "06_persona_review")
PERSONAS_REPORT = "03_personas"
PERSONAS_ARTIFACT = "persona_cards.json"


def _build_previous_personas(
    month: str,
    wanted_months: list[str],
    specs: list[NotebookSpec],
    notebooks,
    user_params: dict,
    *,
    project,
    config,
    config_file: Path,
    out_root: Path,
    with_code: bool,
    pool: Pool,
    progress: bool,
    executed: list[str],
    runs: list,
    indexes: dict,
) -> None:
    """Run 03_personas for the month before ``month`` when this run compares with it and its
    persona artifacts are missing (and that month lies in the data window).

    A month earlier in ``wanted_months`` has just been run (or failed) itself; nothing is built
    for it. The previous month's own previous month is not built: its personas are then numbered
    by size.
    """
    if not any(spec.name in NEEDS_PREVIOUS_PERSONAS for spec in specs):
        return
    prev = shift_month(month, -1)
    if prev in wanted_months or (out_root / prev / "artifacts" / PERSONAS_ARTIFACT).exists():
        return
    try:
        check_month_in_data(prev, project.data_start, project.data_end)
    except ParameterError:
        return
    builders = [spec for spec in _as_specs(notebooks) if spec.name == PERSONAS_REPORT]
    if not builders:
        return
    spec = NotebookSpec(builders[0].name, path=builders[0].path)  # no dependencies to wait for
    _say(progress, f"[{prev}] previous month's personas missing: building {spec.name}")
    month_dir = out_root / prev
    (month_dir / "artifacts" / "metrics").mkdir(parents=True, exist_ok=True)
    plan = _plan_month(
        prev,
        [spec],
        {spec.name: inspect_parameters(spec)},
        user_params,
        project=project,
        config_path=config_file,
        month_dir=month_dir,
        with_code=with_code,
    )
    previous = report_html.read_manifest(month_dir).get("reports") or {}
    entries = _run_month(
        prev, plan, pool=pool, previous=previous, force=False, progress=progress, executed=executed
    )
    _close_month(
        prev,
        month_dir,
        previous,
        entries,
        project=project,
        config=config,
        runs=runs,
        indexes=indexes,
    )


def _load_project(config_path: str | Path, *, progress: bool):
    config = load_config_checked(config_path, parameter="config")
    return load_project(config, progress=progress)


def run_review(
    config_path: str | Path,
    *,
    month: str | None = None,
    months: str | None = None,
    out: str | Path | None = None,
    only: Iterable[str] | None = None,
    with_code: bool = False,
    jobs: int = 1,
    params: dict | None = None,
    force: bool = False,
    progress: bool = True,
    notebooks: Sequence[NotebookSpec | str | Path] | None = None,
    project: Any = None,
) -> RunResult:
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
        raise ParameterError(
            "Pass either `month` or `months`, not both "
            f"(got month={month!r} and months={months!r})."
        )
    wanted_months = month_range(months) if months else ([parse_month(month)] if month else None)
    if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1:
        raise ParameterError(
            f"The parameter `jobs` must be a whole number >= 1, but {jobs!r} was passed."
        )
    folder = notebooks_dir(Path(config_path).expanduser().resolve().parent)
    specs = select_notebooks(_as_specs(notebooks, folder), only)
    if not specs:
        raise ParameterError(f"No report notebook found in {folder}.")
    declared = {s.name: inspect_parameters(s) for s in specs}
    user_params = dict(params or {})
    check_user_params(user_params, declared)

    if project is None:
        project = _load_project(config_path, progress=progress)
    config = project.config
    config_file = Path(getattr(config, "config_path", None) or config_path).resolve()
    wanted_months = wanted_months or [project.latest_complete_month()]
    for m in wanted_months:
        check_month_in_data(
            m, project.data_start, project.data_end, parameter="months" if months else "month"
        )
    out_root = Path(out).expanduser().resolve() if out else default_reports_dir(config)

    runs: list[ReportRun] = []
    executed: list[str] = []
    indexes: dict[str, Path] = {}
    pool = Pool(jobs)
    try:
        for m in wanted_months:
            _build_previous_personas(
                m,
                wanted_months,
                specs,
                notebooks,
                user_params,
                project=project,
                config=config,
                config_file=config_file,
                out_root=out_root,
                with_code=with_code,
                pool=pool,
                progress=progress,
                executed=executed,
                runs=runs,
                indexes=indexes,
            )
            month_dir = out_root / m
            (month_dir / "artifacts" / "metrics").mkdir(parents=True, exist_ok=True)
            plan = _plan_month(
                m,
                specs,
                declared,
                user_params,
                project=project,
                config_path=config_file,
                month_dir=month_dir,
                with_code=with_code,
            )
            manifest = report_html.read_manifest(month_dir)
            previous = manifest.get("reports") or {}
            entries = _run_month(
                m,
                plan,
                pool=pool,
                previous=previous,
                force=force,
                progress=progress,
                executed=executed,
            )
            _close_month(
                m,
                month_dir,
                previous,
                entries,
                project=project,
                config=config,
                runs=runs,
                indexes=indexes,
            )
            archive = report_html.render_archive_index(out_root)
    finally:
        pool.close()
    return RunResult(
        out_root=out_root,
        months=wanted_months,
        runs=runs,
        executed=executed,
        month_indexes=indexes,
        archive_index=archive,
    )
