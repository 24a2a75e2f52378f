"""Executing report notebooks in worker processes: papermill, one retry on kernel start, HTML.

A worker is a child process (``python -m helpers.report.workers --serve``) that executes jobs one
by one and is reused for the next job, so papermill and nbconvert are imported and the HTML
template compiled once per worker, not once per notebook. A job is a plain dict built by
:mod:`helpers.report.runner`; its result is a plain dict too.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import nbformat
import papermill
from nbformat.v4 import new_markdown_cell, new_notebook
from papermill.exceptions import PapermillExecutionError

from helpers.display.format import set_currency, set_timezone
from helpers.display.messages import set_language
from helpers.display.text import t
from helpers.report import html as report_html
from helpers.report.context import RENDERED_ENV
from helpers.report.kernel import KERNEL_NAME

START_TIMEOUT_S = 120


def _worker_init() -> None:
    # ipykernel installs the inline backend only when MPLBACKEND is unset: a global Agg setting
    # (common in CI) would silently remove every chart from the reports.
    os.environ.pop("MPLBACKEND", None)
    # the rendered page has the runner's header: the notebook does not show its own again
    os.environ[RENDERED_ENV] = "1"


def _is_kernel_start_failure(exc: BaseException) -> bool:
    if isinstance(exc, PapermillExecutionError):
        return False
    text = f"{type(exc).__name__}: {exc}".lower()
    return (
        isinstance(exc, TimeoutError)
        or "zmqerror" in text
        or "address already in use" in text
        or "kernel didn't respond" in text
        or "kernel died before replying" in text
    )


def execute_job(job: dict) -> dict:
    """Execute one notebook with papermill and render its HTML (runs in a worker process)."""
    _worker_init()
    settings = job.get("display") or {}
    set_language(settings.get("language") or "en")
    set_currency(settings.get("currency"))
    set_timezone(settings.get("timezone"))
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
                job["input"],
                str(out_ipynb),
                parameters=job["parameters"],
                kernel_name=KERNEL_NAME,
                cwd=job["cwd"],
                start_timeout=START_TIMEOUT_S,
                progress_bar=False,
                log_output=False,
            )
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
    header = dict(
        job["header"],
        started_at=started.isoformat(timespec="seconds"),
        duration_s=duration,
        status=status,
        error=error,
    )
    html_path = None
    try:
        if not out_ipynb.exists():
            _write_error_notebook(out_ipynb, error)
        html_path = str(
            report_html.render_notebook_html(
                out_ipynb, out_html, with_code=job["with_code"], header=header
            )
        )
    except Exception as exc:  # noqa: BLE001
        error = (error + "; " if error else "") + t("report.error.html_failed", error=exc)
        status = "failed"
    return {
        "name": job["name"],
        "status": status,
        "reason": error,
        "duration_s": duration,
        "started_at": header["started_at"],
        "html": html_path,
        "ipynb": str(out_ipynb),
        "attempts": attempts,
    }


def _write_error_notebook(path: Path, error: str) -> None:
    nb = new_notebook(cells=[new_markdown_cell(t("report.error.did_not_run", error=error))])
    nbformat.write(nb, str(path))


class Worker:
    """A child process (``python -m helpers.report.workers --serve``) that executes jobs one by one.

    A child process rather than ``multiprocessing``: nothing depends on the caller's
    ``__main__`` guard and the kernel's environment is set here (no ``MPLBACKEND``). It is
    reused for the next job, so papermill and nbconvert are imported and the HTML template
    compiled once per worker, not once per notebook.
    """

    def __init__(self):
        self._log = tempfile.TemporaryFile(mode="w+", encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "helpers.report.workers", "--serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            env=env,
            text=True,
            encoding="utf-8",
            start_new_session=True,  # its own process group: stopping it stops its kernels too
        )

    def run(self, job: dict, result_file: Path) -> dict:
        token = f"{_DONE} {result_file.name}"
        try:
            self.proc.stdin.write(
                json.dumps({"job": job, "result": str(result_file)}, default=str) + "\n"
            )
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
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        self._log.close()

    def stop(self) -> None:
        """Stop the worker and every process it started (its kernel), now."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.proc.pid, sig)
            except (ProcessLookupError, PermissionError, AttributeError):
                break
            try:
                self.proc.wait(timeout=5)
                break
            except subprocess.TimeoutExpired:
                continue
        with contextlib.suppress(OSError):
            self._log.close()


_DONE = "persona-kit-job-done"


class Pool:
    """Runs jobs in :class:`Worker` processes, ``jobs`` at a time; threads only wait for them.

    Workers start on first use, so a month whose reports are all unchanged starts no process.
    """

    def __init__(self, jobs: int):
        self.jobs = jobs
        self._executor: ThreadPoolExecutor | None = None
        self._idle: queue.Queue = queue.Queue()
        self._workers: list[Worker] = []
        self._tmp = Path(tempfile.mkdtemp(prefix="persona-kit-run-"))
        self._count = 0

    def submit(self, job: dict) -> Future:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(
                max_workers=self.jobs, thread_name_prefix="persona-kit-job"
            )
        self._count += 1
        return self._executor.submit(self._run, job, self._tmp / f"result-{self._count}.json")

    def _run(self, job: dict, result_file: Path) -> dict:
        try:
            worker = self._idle.get_nowait()
        except queue.Empty:
            worker = Worker()
            self._workers.append(worker)
        try:
            result = worker.run(job, result_file)
        except Exception:
            worker.close()
            raise
        self._idle.put(worker)
        return result

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
        for worker in self._workers:
            worker.close()
        shutil.rmtree(self._tmp, ignore_errors=True)

    def stop(self) -> None:
        """Stop at once (the run was interrupted): workers and their kernels end, queued jobs
        are dropped, the temporary folder goes."""
        for worker in self._workers:
            worker.stop()
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(self._tmp, ignore_errors=True)


def serve() -> int:
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
            result = {
                "name": request["job"].get("name"),
                "status": "failed",
                "reason": f"{type(exc).__name__}: {exc}",
                "duration_s": None,
                "started_at": None,
                "html": None,
                "ipynb": None,
                "attempts": 0,
            }
        result_file.write_text(json.dumps(result, default=str), encoding="utf-8")
        channel.write(f"{_DONE} {result_file.name}\n")
        channel.flush()
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--serve"]:
        sys.exit(serve())
