"""``persona-kit``: generate the sample, run the monthly review, check the data.

::

    persona-kit sample --out data/sample
    persona-kit init my-project --notebooks
    persona-kit run --config persona.yaml --month 2026-10 --jobs 2 -p experiment checkout_v2
    persona-kit audit --config persona.yaml
    persona-kit audience --month 2026-10 --at-risk --persona 2 --campaign winback_oct --out winback_oct.csv
    persona-kit lab --config persona.yaml

Errors the kit raises on purpose (:class:`helpers.core.errors.PersonaKitError`) print as one line
``error: ...`` with exit status 2, never a traceback. ``run`` exits with 1 when a notebook failed
and names it; the failed report is still rendered.
"""

from __future__ import annotations

import importlib.util
import signal
import subprocess
import sys
from pathlib import Path

import click

from helpers.core.errors import ParameterError, PersonaKitError
from helpers.report.kernel import ensure_kernel
from helpers.report.notebooks import (
    NOTEBOOKS_FOLDER,
    copy_notebooks,
    kit_notebooks_dir,
    notebooks_dir,
)

DEFAULT_CONFIG = "persona.yaml"


class _KitGroup(click.Group):
    """A click group that turns the kit's own errors into one ``error:`` line and exit 2."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except PersonaKitError as exc:
            message = " ".join(str(exc).split())
            click.echo(f"error: {message}", err=True)
            ctx.exit(2)
        except OSError as exc:
            if exc.filename is None:
                raise
            # a folder that cannot be written (read-only, a file in the way, a full disk)
            click.echo(
                f"error: cannot write {exc.filename}: {exc.strerror or exc}; choose a folder you "
                "can write with --out (reports) or `cache_dir` in the config (the data cache).",
                err=True,
            )
            ctx.exit(2)


@click.group(cls=_KitGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="persona-kit", prog_name="persona-kit")
def main() -> None:
    """Active-user persona reviews from raw product exports."""


@main.command()
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder for the sample sources, persona.yaml and truth.json.",
)
@click.option(
    "--users",
    default=20000,
    show_default=True,
    type=click.IntRange(min=1),
    help="Number of users.",
)
@click.option(
    "--months",
    default=12,
    show_default=True,
    type=click.IntRange(min=1),
    help="Months of history.",
)
@click.option("--seed", default=42, show_default=True, type=int, help="Random seed.")
@click.option(
    "--language",
    default="en",
    show_default=True,
    type=click.Choice(["en", "zh"]),
    help="Language of the product: event names, attribute values, headers (zh: Chinese).",
)
def sample(out: str, users: int, months: int, seed: int, language: str) -> None:
    """Write a sample product (sources with planted truths) and its persona.yaml."""
    from helpers.sample.generator import generate_sample

    generate_sample(out, users=users, months=months, seed=seed, language=language, progress=True)
    click.echo(f"sample written to {Path(out).resolve()}")
    click.echo(f"run it with: persona-kit run --config {Path(out) / 'persona.yaml'}")


def _stop_on_signal(signum, frame) -> None:
    click.echo(f"stopped by signal {signum}: stopping the workers and their kernels", err=True)
    raise SystemExit(128 + signum)


def _params(pairs: tuple[tuple[str, str], ...]) -> dict[str, str]:
    params: dict[str, str] = {}
    for key, value in pairs:
        if key in params:
            raise ParameterError(
                f"The parameter `{key}` is given twice with -p "
                f"({params[key]!r} and {value!r}); give it once."
            )
        params[key] = value
    return params


@main.command()
@click.option(
    "--config", "config", default=DEFAULT_CONFIG, show_default=True, help="Project config file."
)
@click.option(
    "--month",
    default=None,
    help="YYYY-MM to review (default: the latest complete month in the data).",
)
@click.option("--months", default=None, help="Backfill a range of months: 2026-05..2026-10.")
@click.option("--out", default=None, help="Report folder (default: reports/ beside the config).")
@click.option(
    "--only",
    multiple=True,
    help="Run only this notebook (repeatable): 03_personas, 03 or personas.",
)
@click.option("--with-code", is_flag=True, help="Show code cells in the HTML reports.")
@click.option(
    "--jobs",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="Notebooks to run at the same time.",
)
@click.option("--force", is_flag=True, help="Re-run notebooks whose inputs did not change.")
@click.option(
    "-p",
    "--param",
    "param",
    multiple=True,
    nargs=2,
    metavar="KEY VALUE",
    help="Notebook parameter (repeatable), converted to the type the notebook declares.",
)
def run(
    config: str,
    month: str | None,
    months: str | None,
    out: str | None,
    only: tuple[str, ...],
    with_code: bool,
    jobs: int,
    force: bool,
    param: tuple[tuple[str, str], ...],
) -> None:
    """Run the monthly review and render HTML reports with an index page."""
    from helpers.report.runner import run_review

    # a stop request (`timeout`, a container stop) ends the workers and kernels with the run
    signal.signal(signal.SIGTERM, _stop_on_signal)
    result = run_review(
        config,
        month=month,
        months=months,
        out=out,
        only=list(only) or None,
        with_code=with_code,
        jobs=jobs,
        params=_params(param),
        force=force,
        progress=True,
    )
    executed = len(result.executed)
    click.echo(
        f"{len(result.runs)} report(s), {executed} executed, "
        f"{len(result.runs) - executed} not re-run or skipped."
    )
    for month_name, index in result.month_indexes.items():
        click.echo(f"{month_name}: {index}")
    click.echo(f"archive: {result.archive_index}")
    if result.failed:
        click.echo(f"failed: {', '.join(result.failed)}", err=True)
        sys.exit(1)


@main.command()
@click.option(
    "--config", "config", default=DEFAULT_CONFIG, show_default=True, help="Project config file."
)
def audit(config: str) -> None:
    """Quick terminal check of the data: rows kept and dropped by reason, data window."""
    from helpers.data.audit import audit_summary_text
    from helpers.data.pipeline import load_project
    from helpers.report.context import load_config_checked

    cfg = load_config_checked(config, parameter="config")
    project = load_project(cfg, progress=True)
    click.echo(audit_summary_text(project))


@main.command()
@click.option(
    "--config", "config", default=DEFAULT_CONFIG, show_default=True, help="Project config file."
)
@click.option("--month", required=True, help="YYYY-MM whose review picks the users.")
@click.option("--tag", default=None, help="Users with this tag (a name from `tags:`).")
@click.option("--persona", default=None, type=int, help="Users in this persona (its number).")
@click.option(
    "--at-risk",
    "at_risk",
    is_flag=True,
    help="Users who can still be saved (high churn risk, recently active); with --persona, its own.",
)
@click.option("--campaign", required=True, help="The campaign's name (unique in the log).")
@click.option(
    "--holdout",
    default=None,
    type=float,
    help="Share held out (default: `campaigns.holdout` in the config, 0.1).",
)
@click.option(
    "--send-date",
    "send_date",
    default=None,
    help="YYYY-MM-DD the campaign goes out (default: the first day of the next month).",
)
@click.option(
    "--owner", default="", help="Who owns the campaign (default: the tag's owner or `owners:`)."
)
@click.option(
    "--channel", default="", help="push, sms, email, coupon, in_app... (default: the tag's)."
)
@click.option(
    "--reports", default=None, help="Report folder holding <month>/ (default: as `run`)."
)
@click.option(
    "--replace",
    is_flag=True,
    help="Rewrite a logged campaign with another holdout, send day or users (never sent).",
)
@click.option("--out", "out", required=True, help="The CSV to write for the CRM.")
def audience(
    config: str,
    month: str,
    tag: str | None,
    persona: int | None,
    at_risk: bool,
    campaign: str,
    holdout: float | None,
    send_date: str | None,
    owner: str,
    channel: str,
    reports: str | None,
    replace: bool,
    out: str,
) -> None:
    """Export a campaign audience with a hash-based holdout, and log the campaign for its readout."""
    from helpers.report.audience import export_audience

    result = export_audience(
        config,
        month=month,
        campaign=campaign,
        out=out,
        tag=tag,
        persona=persona,
        at_risk=at_risk,
        holdout=holdout,
        send_date=send_date,
        owner=owner,
        channel=channel,
        reports=reports,
        replace=replace,
    )
    click.echo(result.summary())


STARTER_CONFIG = Path(__file__).parent / "core" / "starter.yaml"


@main.command()
@click.argument("directory", type=click.Path(file_okay=False))
@click.option(
    "--notebooks",
    "with_notebooks",
    is_flag=True,
    help="Also copy the report notebooks to DIRECTORY/notebooks/ to edit them; "
    "`persona-kit run` then uses these copies.",
)
def init(directory: str, with_notebooks: bool) -> None:
    """Write a commented starter persona.yaml into DIRECTORY (and, with --notebooks, the notebooks)."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / DEFAULT_CONFIG
    if config.exists():
        raise ParameterError(
            f"The folder {folder} already has a {DEFAULT_CONFIG}; init does not overwrite it. "
            "Choose an empty folder, or edit that file."
        )
    config.write_text(STARTER_CONFIG.read_text(encoding="utf-8"), encoding="utf-8")
    click.echo(f"wrote {config}: point its `sources` at your exports")
    if with_notebooks:
        target = folder / NOTEBOOKS_FOLDER
        copied = copy_notebooks(target)
        click.echo(f"copied {len(copied)} notebooks to {target}: `persona-kit run` uses them")
    click.echo(f"then: persona-kit audit --config {config}")


@main.command()
@click.option(
    "--config", "config", default=DEFAULT_CONFIG, show_default=True, help="Project config file."
)
@click.option("--dry-run", is_flag=True, help="Print the command instead of starting JupyterLab.")
def lab(config: str, dry_run: bool) -> None:
    """Open JupyterLab on the report notebooks, with the kit's kernel registered."""
    root = Path(config).expanduser().resolve().parent
    folder = notebooks_dir(root)
    if folder == kit_notebooks_dir() and folder.parent != root:
        # the notebooks inside the package read `../persona.yaml` next to them, not yours
        raise ParameterError(
            f"There are no notebooks beside {Path(config)} (a folder {root / NOTEBOOKS_FOLDER} "
            "with copies), so JupyterLab would open the kit's own, which do not read your "
            f"config; run `persona-kit init {root} --notebooks` first, then `persona-kit lab`."
        )
    command = [sys.executable, "-m", "jupyterlab", f"--notebook-dir={folder}"]
    if dry_run:
        click.echo(" ".join(command))
        return
    ensure_kernel()
    if importlib.util.find_spec("jupyterlab") is None:
        raise ParameterError(
            "JupyterLab is not installed in this environment; install it with "
            "`pip install 'persona-kit[lab]'` (or `make lab` in the repository)."
        )
    raise SystemExit(subprocess.call(command))


if __name__ == "__main__":  # pragma: no cover
    main()
