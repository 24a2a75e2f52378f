"""``persona-kit audience``: the CSV a CRM imports for a campaign, with a holdout, and its line in
the campaign log.

The audience is chosen from the month's review artifacts (``personas.csv``: the active users
with their persona and tags; ``churn_risk.csv``: who can still be saved), so it is exactly the
users the review named. The holdout is hash-based
(:func:`helpers.analysis.campaigns.audience.holdout_groups`): the same user and campaign always
get the same group. The log (``campaigns.log`` beside the config, default ``campaigns.jsonl``)
records the campaign's name, month, definition, holdout share, sizes, send day, owner, channel
and the file's SHA-256, and is read back by next month's review
(:func:`helpers.data.campaigns.campaign_contacts`).

Examples
--------
>>> export_audience("persona.yaml", month="2026-09", campaign="winback_sept",
...                 at_risk=True, persona=2, out="winback_sept.csv")   # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from helpers import __version__
from helpers.analysis.campaigns.audience import audience_rows, select_audience
from helpers.core.errors import ParameterError
from helpers.core.io import read_artifact_csv, write_atomic
from helpers.core.time import month_bounds, parse_month, shift_month
from helpers.data.campaigns import append_log, file_sha256, log_path, read_log
from helpers.report.context import default_reports_dir, load_config_checked

__all__ = ["AudienceExport", "export_audience"]


@dataclass
class AudienceExport:
    """What ``export_audience`` wrote."""

    file: Path
    log: Path
    users: int
    treat: int
    holdout: int
    entry: dict

    def summary(self) -> str:
        return (
            f"wrote {self.users:,} users ({self.treat:,} treat, {self.holdout:,} holdout) to "
            f"{self.file}; campaign {self.entry['campaign']!r} logged in {self.log} "
            f"(send day {self.entry['sent_on']}, read out in the review of "
            f"{self.entry['sent_on'][:7]})"
        )


def _options(definition: dict) -> str:
    """A definition as the options that made it: ``--at-risk --persona 2``."""
    out = ["--at-risk"] if definition.get("at_risk") else []
    if "persona" in definition:
        out.append(f"--persona {definition['persona']}")
    if "tag" in definition:
        out.append(f"--tag {definition['tag']}")
    return " ".join(out)


def _definition(tag, persona, at_risk) -> dict:
    out = {}
    if tag is not None:
        out["tag"] = tag
    if persona is not None:
        out["persona"] = int(persona)
    if at_risk:
        out["at_risk"] = True
    return out


def _owner_channel(cfg, tag, persona, owner, channel) -> tuple[str, str]:
    tags = {t.name: t for t in cfg.tags}
    if tag in tags:
        owner = owner or tags[tag].owner
        channel = channel or tags[tag].channel
    owners = cfg.owners or {}
    if not owner and persona is not None:
        owner = owners.get(str(persona), "")
    return owner or owners.get("campaign", "") or owners.get("persona", ""), channel or ""


def export_audience(
    config_path: str | Path,
    *,
    month: str,
    campaign: str,
    out: str | Path,
    tag: str | None = None,
    persona: int | None = None,
    at_risk: bool = False,
    holdout: float | None = None,
    send_date: str | None = None,
    owner: str = "",
    channel: str = "",
    reports: str | Path | None = None,
    replace: bool = False,
) -> AudienceExport:
    """Write the audience CSV of ``campaign`` and log it (see the module docs).

    Raises
    ------
    ParameterError
        No review artifacts for ``month`` (names the command that makes them), an unknown tag or
        persona (lists the known ones), an empty audience, a bad holdout share or send date, or a
        campaign name already logged for another month or audience.
    """
    cfg = load_config_checked(config_path, parameter="config")
    month = parse_month(month, parameter="month")
    campaign = str(campaign).strip()
    if not campaign or any(ch in campaign for ch in "\n\r\t"):
        raise ParameterError(
            f"--campaign must be a name on one line such as 'winback_2026_10', but {campaign!r} "
            "was passed."
        )
    share = cfg.campaigns.holdout if holdout is None else float(holdout)
    if not 0 < share < 1:
        raise ParameterError(
            f"--holdout must be a share between 0 and 1 such as 0.1, but {holdout!r} was passed."
        )
    artifacts = Path(reports or default_reports_dir(cfg)) / month / "artifacts"
    personas = read_artifact_csv(artifacts, "personas.csv")
    if personas is None:
        raise ParameterError(
            f"There are no personas for {month} ({artifacts / 'personas.csv'} does not exist); "
            f"run `persona-kit run --config {config_path} --month {month}` first."
        )
    churn = read_artifact_csv(artifacts, "churn_risk.csv")
    if at_risk and (churn is None or "status" not in churn.columns):
        raise ParameterError(
            f"--at-risk needs the churn report of {month} ({artifacts / 'churn_risk.csv'} with a "
            f"`status` column); run `persona-kit run --config {config_path} --month {month}` "
            "first."
        )
    rows = select_audience(personas, churn, tag=tag, persona=persona, at_risk=at_risk, month=month)
    if rows.empty:
        raise ParameterError(
            f"The audience {_options(_definition(tag, persona, at_risk))} of {month} has no user; "
            "choose another tag, persona or month."
        )
    if send_date:
        try:
            sent_on = dt.date.fromisoformat(send_date)
        except ValueError:
            raise ParameterError(
                f"--send-date must be a date YYYY-MM-DD such as '2026-11-03', but {send_date!r} "
                "was passed."
            ) from None
    else:
        sent_on = month_bounds(shift_month(month, 1))[0]
    if sent_on <= month_bounds(month)[1]:
        raise ParameterError(
            f"--send-date must come after the audience month {month} (the users were chosen on "
            f"its data), such as '{month_bounds(shift_month(month, 1))[0]}', but {send_date!r} "
            "was passed."
        )
    definition = _definition(tag, persona, at_risk)
    log = log_path(cfg)
    old = next((e for e in read_log(log) if e["campaign"] == campaign), None)
    if old is not None and (old.get("month") != month or old.get("definition") != definition):
        raise ParameterError(
            f"The campaign {campaign!r} is already logged in {log} for {old.get('month')} with "
            f"the audience {_options(old.get('definition') or {})}; campaign names are unique, "
            "so give this one another name."
        )
    table = audience_rows(rows, churn, campaign=campaign, holdout=share)
    content = table.to_csv(index=False)
    if old is not None and not replace:
        changed = [
            what
            for what, before, now in (
                ("holdout share", old.get("holdout_share"), share),
                ("send day", old.get("sent_on"), sent_on.isoformat()),
                ("users", old.get("sha256"), hashlib.sha256(content.encode()).hexdigest()),
            )
            if before != now
        ]
        if changed:
            raise ParameterError(
                f"The campaign {campaign!r} is already logged in {log} with another "
                f"{' and '.join(changed)}; if it was sent, its readout needs the logged audience. "
                "Give this export another name, or pass --replace if the first was never sent."
            )
    file = Path(out).expanduser().resolve()
    write_atomic(file, content)
    owner, channel = _owner_channel(cfg, tag, persona, owner, channel)
    try:
        shown = os.path.relpath(file, log.parent)
    except ValueError:  # another drive on Windows
        shown = str(file)
    n_hold = int((table["group"] == "holdout").sum())
    entry = {
        "campaign": campaign,
        "month": month,
        "definition": definition,
        "holdout_share": share,
        "audience": len(table),
        "treat": len(table) - n_hold,
        "holdout": n_hold,
        "sent_on": sent_on.isoformat(),
        "owner": owner,
        "channel": channel,
        "file": shown,
        "sha256": file_sha256(file),
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "kit_version": __version__,
    }
    append_log(log, entry)
    return AudienceExport(file, log, len(table), len(table) - n_hold, n_hold, entry)
