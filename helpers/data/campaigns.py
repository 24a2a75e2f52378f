"""Campaign contacts: who was sent a campaign, when, and who was held out.

Two ways in, one frame out (:func:`campaign_contacts`, columns :data:`CONTACT_COLUMNS`):

* ``sources.campaigns``: the contacts as a CRM exports them (``user_id, campaign, sent_at`` and
  optionally ``group``), mapped and audited like every other source (the cleaned table
  ``project.tables["campaigns"]``). A campaign's send day is the local day of its earliest
  ``sent_at``; rows without ``group`` are treated (a campaign with no holdout is flagged later).
* the kit's own campaign log (``campaigns.log`` beside the config, one JSON object per line),
  written by ``persona-kit audience``: each entry names the audience file it wrote, whose
  ``user_id`` and ``group`` columns are the contacts; its send day is the entry's ``sent_on``.

A campaign in both is read from the source (what was really sent); the log still gives its
planned holdout share, owner and channel. ``group`` values are normalised to ``treat`` /
``holdout`` (:data:`GROUP_WORDS`); any other value is a :class:`DataError` naming it.

Examples
--------
>>> normalise_groups(pd.Series(["Treatment", "control", None]), where="x").tolist()
['treat', 'holdout', 'treat']
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from helpers.core import schema as s
from helpers.core.errors import DataError
from helpers.core.io import write_atomic

__all__ = [
    "CONTACT_COLUMNS",
    "GROUP_WORDS",
    "TREAT",
    "HOLDOUT",
    "CampaignInfo",
    "Contacts",
    "normalise_groups",
    "file_sha256",
    "log_path",
    "read_log",
    "append_log",
    "campaign_contacts",
]

TREAT, HOLDOUT = "treat", "holdout"
#: Words a CRM uses for the two groups, lower case, mapped to ``treat`` / ``holdout``.
GROUP_WORDS = {
    **dict.fromkeys(["treat", "treatment", "test", "target", "sent", "exposed", "variant"], TREAT),
    **dict.fromkeys(
        ["holdout", "hold_out", "hold-out", "held_out", "control", "control_group", "ctrl"],
        HOLDOUT,
    ),
}
#: The columns of :attr:`Contacts.frame`.
CONTACT_COLUMNS = (s.USER_ID, s.CAMPAIGN, "sent_day", s.GROUP)


@dataclass
class CampaignInfo:
    """What is known of one campaign besides its contacts.

    ``origin`` is ``source`` or ``log``; ``holdout_share`` is the planned share (the log's;
    None when only a CRM export names the campaign); ``file_changed`` says a logged audience
    file no longer has the hash it was written with.
    """

    name: str
    origin: str
    sent_day: dt.date
    holdout_share: float | None = None
    audience_month: str | None = None
    definition: dict = field(default_factory=dict)
    owner: str = ""
    channel: str = ""
    file: str = ""
    file_changed: bool = False


@dataclass
class Contacts:
    """Every campaign's contacts (``frame``) and what is known of each campaign (``info``)."""

    frame: pd.DataFrame
    info: dict[str, CampaignInfo]

    def __len__(self) -> int:
        return len(self.info)


def normalise_groups(values: pd.Series, *, where: str) -> pd.Series:
    """``treat`` / ``holdout`` for a CRM's group words (empty = treat); a DataError names an
    unknown word with its count."""
    text = values.astype("string").str.strip().str.lower()
    mapped = text.map(GROUP_WORDS)
    bad = text.notna() & (text != "") & mapped.isna()
    if bad.any():
        counts = text[bad].value_counts()
        raise DataError(
            f"{where}: column `group` must say treat or holdout (also understood: "
            f"{', '.join(sorted(GROUP_WORDS))}), but {counts.index[0]!r} was found in "
            f"{int(counts.iloc[0]):,} row(s)."
        )
    return mapped.fillna(TREAT).astype(str)


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes, hex."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def log_path(cfg) -> Path:
    """The campaign log of a config: ``campaigns.log`` resolved beside the config file."""
    return Path(cfg.resolve(cfg.campaigns.log))


def read_log(path: str | Path) -> list[dict]:
    """The log's entries, the last one per campaign name kept (a re-export replaces it)."""
    path = Path(path)
    if not path.exists():
        return []
    entries: dict[str, dict] = {}
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(
                f"campaign log {path}, line {i}: expected one JSON object per line, but it does "
                f"not parse ({exc.msg}): {line[:60]!r}."
            ) from None
        if not isinstance(entry, dict) or "campaign" not in entry:
            raise DataError(
                f"campaign log {path}, line {i}: expected an object with a `campaign` key, "
                f"found {line[:60]!r}."
            )
        entries[str(entry["campaign"])] = entry
    return list(entries.values())


def append_log(path: str | Path, entry: dict) -> Path:
    """Append one entry to the log (atomically rewritten, so a reader never sees half a line)."""
    path = Path(path)
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    if old and not old.endswith("\n"):
        old += "\n"
    return write_atomic(path, old + json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n")


def _from_source(table, timezone: str) -> tuple[pd.DataFrame, dict[str, CampaignInfo]]:
    cols = [c for c in (s.USER_ID, s.CAMPAIGN, "sent_day", s.GROUP) if c in table.columns]
    df = table.select(cols).execute()
    if s.GROUP not in df.columns:
        df[s.GROUP] = None
    df[s.GROUP] = normalise_groups(df[s.GROUP], where="source `campaigns`")
    df["sent_day"] = pd.to_datetime(df["sent_day"]).dt.date
    df[s.USER_ID] = df[s.USER_ID].astype(str)
    df[s.CAMPAIGN] = df[s.CAMPAIGN].astype(str)
    # one row per user and campaign: a user contacted twice keeps the first send and its group
    df = df.sort_values("sent_day", kind="stable").drop_duplicates([s.USER_ID, s.CAMPAIGN])
    first = df.groupby(s.CAMPAIGN)["sent_day"].min()
    df["sent_day"] = df[s.CAMPAIGN].map(first)
    info = {name: CampaignInfo(name, "source", day) for name, day in first.items()}
    return df[list(CONTACT_COLUMNS)], info


def _from_log(path: Path) -> tuple[pd.DataFrame, dict[str, CampaignInfo]]:
    frames, info = [], {}
    for entry in read_log(path):
        name = str(entry["campaign"])
        file = Path(entry.get("file", ""))
        file = file if file.is_absolute() else path.parent / file
        if not file.exists():
            raise DataError(
                f"campaign log {path}: campaign {name!r} names the audience file {file}, which "
                "does not exist; restore it or remove the campaign's line from the log."
            )
        df = pd.read_csv(file, dtype={s.USER_ID: str, s.GROUP: str})
        missing = {s.USER_ID, s.GROUP} - set(df.columns)
        if missing:
            raise DataError(
                f"audience file {file} (campaign {name!r}): expected the columns user_id and "
                f"group, but {sorted(missing)} is missing; found {list(df.columns)[:8]}."
            )
        day = dt.date.fromisoformat(str(entry["sent_on"]))
        df = df[[s.USER_ID, s.GROUP]].drop_duplicates(s.USER_ID)
        df[s.GROUP] = normalise_groups(df[s.GROUP], where=f"audience file {file}")
        frames.append(df.assign(**{s.CAMPAIGN: name, "sent_day": day}))
        info[name] = CampaignInfo(
            name,
            "log",
            day,
            holdout_share=entry.get("holdout_share"),
            audience_month=entry.get("month"),
            definition=dict(entry.get("definition") or {}),
            owner=str(entry.get("owner") or ""),
            channel=str(entry.get("channel") or ""),
            file=str(file),
            file_changed=bool(entry.get("sha256")) and file_sha256(file) != entry["sha256"],
        )
    frame = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=list(CONTACT_COLUMNS))
    )
    return frame[list(CONTACT_COLUMNS)], info


def campaign_contacts(project, *, use_log: bool = True) -> Contacts:
    """Every campaign's contacts: the ``campaigns`` source first, then the kit's log.

    A campaign named in both is read from the source; the log adds its planned holdout share,
    audience month, definition, owner and channel.
    """
    cfg = project.config
    frames, info = [], {}
    table = (getattr(project, "tables", None) or {}).get("campaigns")
    if table is not None:
        frame, info = _from_source(table, cfg.timezone)
        frames.append(frame)
    if use_log:
        logged, log_info = _from_log(log_path(cfg))
        for name, meta in log_info.items():
            if name in info:
                src = info[name]
                meta.origin, meta.sent_day = "source", src.sent_day
                info[name] = meta
            else:
                info[name] = meta
                frames.append(logged[logged[s.CAMPAIGN] == name])
    frame = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=list(CONTACT_COLUMNS))
    )
    return Contacts(frame.reset_index(drop=True), info)
