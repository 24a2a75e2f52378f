"""Run the monthly review: papermill executes the report notebooks, nbconvert renders them.

``run_review`` checks every parameter against the notebooks' ``parameters`` cells before anything
runs, opens the project once (so parallel notebooks never build the cache concurrently), then
runs each month in order. Notebooks run in separate processes (``jobs`` at a time), respecting
their dependencies; a failing notebook does not stop the others, its dependents are skipped and
its partial notebook is rendered with the error visible. A manifest per month skips notebooks
whose inputs did not change. After each month the month index and the archive index are rebuilt.
"""

from __future__ import annotations

import datetime as dt
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
from helpers.display.format import currency, set_currency, set_timezone, timezone
from helpers.display.messages import language, set_language
from helpers.display.text import t
from helpers.report.context import default_reports_dir, load_config_checked, report_language
from helpers.report.index import render_archive_index, render_month_index, status_label
from helpers.report.kernel import ensure_kernel
from helpers.report.manifest import jsonable_params, locked, read_manifest, write_manifest
from helpers.report.notebooks import notebooks_dir
from helpers.report.params import (
    check_user_params,
    inspect_parameters,
)
from helpers.report.plan import plan_month
from helpers.report.specs import NotebookSpec, as_specs, select_notebooks
from helpers.report.workers import Pool


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
        return status_label(
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
            "params": jsonable_params(job.get("parameters", {})),
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
                if entries[d["name"]]["status"] == "failed" or entries[d["name"]].get("blocked_by")
            ]
            if job["skip"] or failed:
                reason = job["skip"] or t("runner.skip.depends_on_failed", names=", ".join(failed))
                finish(
                    job,
                    {"status": "skipped", "reason": reason, "last_run": "", "blocked_by": failed},
                )
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
    with locked(month_dir):
        # re-read under the lock: another run into this folder may have added reports since
        # this one started (``previous`` is what it saw then)
        reports = dict(previous)
        reports.update(read_manifest(month_dir).get("reports") or {})
        reports.update(entries)
        write_manifest(
            month_dir,
            {
                "month": month,
                "project": getattr(config, "name", ""),
                "as_of": last.isoformat(),
                "data_window": t("header.window", start=project.data_start, end=project.data_end),
                "kit_version": helpers.__version__,
                "fingerprint": str(getattr(project, "fingerprint", "")),
                "updated_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
                "reports": reports,
            },
        )
        merge_metrics(month_dir / "artifacts")
        indexes[month] = render_month_index(month_dir)
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
NEEDS_PREVIOUS_PERSONAS = ("03_personas", "07_persona_review")
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
    builders = [spec for spec in as_specs(notebooks) if spec.name == PERSONAS_REPORT]
    if not builders:
        return
    spec = NotebookSpec(builders[0].name, path=builders[0].path)  # no dependencies to wait for
    _say(progress, f"[{prev}] previous month's personas missing: building {spec.name}")
    month_dir = out_root / prev
    (month_dir / "artifacts" / "metrics").mkdir(parents=True, exist_ok=True)
    plan = plan_month(
        prev,
        [spec],
        {spec.name: inspect_parameters(spec)},
        user_params,
        project=project,
        config_path=config_file,
        month_dir=month_dir,
        with_code=with_code,
    )
    previous = read_manifest(month_dir).get("reports") or {}
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
    specs = select_notebooks(as_specs(notebooks, folder), only)
    if not specs:
        raise ParameterError(f"No report notebook found in {folder}.")
    declared = {s.name: inspect_parameters(s) for s in specs}
    user_params = dict(params or {})
    check_user_params(user_params, declared)

    if project is None:
        project = _load_project(config_path, progress=progress)
    config = project.config
    # -p language zh is this run's report language; the index pages are written here
    user_params["language"] = report_language(config, user_params.get("language"))
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
    ensure_kernel()
    pool = Pool(jobs)
    # this run's words and formats (the index pages are written here); the caller's come back
    before = (language(), currency(), timezone())
    try:
        set_language(user_params["language"])
        set_currency(getattr(config, "currency", None))
        set_timezone(getattr(config, "timezone", None))
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
            plan = plan_month(
                m,
                specs,
                declared,
                user_params,
                project=project,
                config_path=config_file,
                month_dir=month_dir,
                with_code=with_code,
            )
            manifest = read_manifest(month_dir)
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
            archive = render_archive_index(out_root)
    except BaseException:  # interrupted (Ctrl-C, SIGTERM) or failed: nothing keeps running
        pool.stop()
        raise
    finally:
        pool.close()
        set_language(before[0])
        set_currency(before[1])
        set_timezone(before[2])
    return RunResult(
        out_root=out_root,
        months=wanted_months,
        runs=runs,
        executed=executed,
        month_indexes=indexes,
        archive_index=archive,
    )
