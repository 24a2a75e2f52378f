"""Planning a month: which notebooks run with which parameters, and which are unchanged.

Each job's hash covers the notebook file, its parameters, the data fingerprint, the kit version
and the hashes of the jobs it depends on; the manifest of the month keeps them, so a job whose
hash did not change is not run again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import helpers
from helpers.analysis.experiments.readout import running_experiments
from helpers.core import schema
from helpers.core.errors import ParameterError
from helpers.core.time import month_bounds
from helpers.display.format import currency
from helpers.display.messages import language
from helpers.display.text import t
from helpers.report.manifest import jsonable_params
from helpers.report.params import (
    EXPERIMENT_PARAMETER,
    convert_parameter,
    declared_defaults,
    output_name,
)
from helpers.report.specs import NotebookSpec

__all__ = ["plan_month"]


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


def plan_month(
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
    base = {
        "config_path": str(config_path),
        "month": month,
        "out_dir": str(month_dir),
        "language": language(),
    }
    # what the worker needs to render the page in the run's language and formats
    display_settings = {
        "language": language(),
        "currency": currency(),
        "timezone": getattr(project.config, "timezone", None),
    }
    header_base = {
        "project": getattr(project.config, "name", ""),
        "month": month,
        "as_of": last.isoformat(),
        "data_window": t("header.window", start=project.data_start, end=project.data_end),
        "kit_version": helpers.__version__,
    }
    # the data, and every config key a report reads (tags and report settings included)
    settings = getattr(project.config, "settings_digest", None)
    fingerprint = str(getattr(project, "fingerprint", "")) + (f"|{settings()}" if settings else "")
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
                names, skip_reason = [], t("runner.skip.no_assignments")
            else:
                names = _running_experiments(project, first, last)
                skip_reason = "" if names else t("runner.skip.no_experiment", month=month)
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
        defaults = declared_defaults(spec.file)
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
                    "display": display_settings,
                    "hash": digest,
                    "header": {
                        **header_base,
                        # every parameter the notebook declares, with the value it runs with
                        "parameters": jsonable_params({**defaults, **job_params}),
                    },
                }
            )
    return jobs
