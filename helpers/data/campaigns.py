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
SENT_DAY = s.SENT_DAY
#: The columns of :attr:`Contacts.frame`.
CONTACT_COLUMNS = (s.USER_ID, s.CAMPAIGN, SENT_DAY, s.GROUP)


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
    """Every campaign's contacts (``frame``), what is known of each campaign (``info``) and
    what was wrong in them (``issues``: ``(code, values)`` pairs the report words)."""

    frame: pd.DataFrame
    info: dict[str, CampaignInfo]
    issues: list = field(default_factory=list)

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


def read_log(path: str | Path, issues: list | None = None) -> list[dict]:
    """The log's entries, the last one per campaign name kept (a re-export replaces it).

    A line that is not a JSON object with a ``campaign`` key is a :class:`DataError`, or, when
    ``issues`` is a list, skipped and noted there as ``("bad_log_line", {file, line})``.
    """
    path = Path(path)
    if not path.exists():
        return []
    entries: dict[str, dict] = {}
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            entry = None
        if not isinstance(entry, dict) or "campaign" not in entry or "sent_on" not in entry:
            if issues is not None:
                issues.append(("bad_log_line", {"file": path.name, "line": i}))
                continue
            raise DataError(
                f"campaign log {path}, line {i}: expected one JSON object with the keys "
                f"`campaign` and `sent_on`, found {line[:60]!r}."
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


def _one_group_each(df: pd.DataFrame, issues: list) -> pd.DataFrame:
    """One row per user and campaign; a user listed in both groups is left out (noted)."""
    groups = df.groupby([s.CAMPAIGN, s.USER_ID])[s.GROUP].nunique()
    both = groups[groups > 1]
    for name, n in both.groupby(level=0).size().items():
        issues.append(("both_groups", {"campaign": name, "users": int(n)}))
    if len(both):
        key = pd.MultiIndex.from_frame(df[[s.CAMPAIGN, s.USER_ID]])
        df = df[~key.isin(both.index)]
    return df.drop_duplicates([s.CAMPAIGN, s.USER_ID])


def _from_source(table, issues: list) -> tuple[pd.DataFrame, dict[str, CampaignInfo]]:
    cols = [c for c in (s.USER_ID, s.CAMPAIGN, SENT_DAY, s.GROUP) if c in table.columns]
    df = table.select(cols).execute()
    if s.GROUP not in df.columns:
        df[s.GROUP] = None
    df[s.GROUP] = normalise_groups(df[s.GROUP], where="source `campaigns`")
    df[SENT_DAY] = pd.to_datetime(df[SENT_DAY]).dt.date
    df[s.USER_ID] = df[s.USER_ID].astype(str)
    df[s.CAMPAIGN] = df[s.CAMPAIGN].astype(str)
    df = df.sort_values([s.CAMPAIGN, SENT_DAY, s.GROUP, s.USER_ID], kind="stable")
    # a campaign's send day is its first send; held-out rows often have no send time at all
    first = df.dropna(subset=[SENT_DAY]).groupby(s.CAMPAIGN)[SENT_DAY].agg(["min", "max"])
    df = _one_group_each(df, issues)
    df = df[df[s.CAMPAIGN].isin(first.index)]
    df[SENT_DAY] = df[s.CAMPAIGN].map(first["min"])
    for name, row in first.iterrows():
        if (row["max"] - row["min"]).days > 31:
            issues.append(("span", {"campaign": name, "days": (row["max"] - row["min"]).days}))
    info = {name: CampaignInfo(name, "source", day) for name, day in first["min"].items()}
    return df[list(CONTACT_COLUMNS)], info


def _from_log(path: Path, issues: list) -> tuple[pd.DataFrame, dict[str, CampaignInfo]]:
    frames, info = [], {}
    for entry in read_log(path, issues):
        name = str(entry["campaign"])
        file = Path(entry.get("file", ""))
        file = file if file.is_absolute() else path.parent / file
        if not file.is_file():
            issues.append(("missing_file", {"campaign": name, "file": str(file)}))
            continue
        df = pd.read_csv(file, dtype={s.USER_ID: str, s.GROUP: str})
        if {s.USER_ID, s.GROUP} - set(df.columns):
            issues.append(("bad_file", {"campaign": name, "file": str(file)}))
            continue
        try:
            day = dt.date.fromisoformat(str(entry["sent_on"]))
        except ValueError:
            issues.append(("bad_log_line", {"file": path.name, "line": name}))
            continue
        df = df[[s.USER_ID, s.GROUP]]
        df[s.GROUP] = normalise_groups(df[s.GROUP], where=f"audience file {file}")
        df = _one_group_each(df.assign(**{s.CAMPAIGN: name}), issues)
        frames.append(df.assign(**{SENT_DAY: day}))
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


def _reach(name: str, logged: pd.DataFrame, sent: pd.DataFrame, issues: list) -> None:
    """How much of a logged audience the CRM's contacts show as sent, and who it sent to
    outside the audience."""
    treat = set(logged.loc[logged[s.GROUP] == TREAT, s.USER_ID])
    held = set(logged.loc[logged[s.GROUP] == HOLDOUT, s.USER_ID])
    got = set(sent.loc[sent[s.GROUP] == TREAT, s.USER_ID])
    issues.append(
        (
            "reach",
            {
                "campaign": name,
                "reached": len(treat & got),
                "treat": len(treat),
                "share": len(treat & got) / len(treat) if treat else float("nan"),
                "held_sent": len(held & got),
                "outside": len(got - treat - held),
            },
        )
    )


def campaign_contacts(project, *, use_log: bool = True) -> Contacts:
    """Every campaign's contacts, from the ``campaigns`` source and the kit's log.

    A campaign named in both keeps the log's assignment (its audience file: who was meant to
    be treated or held out, as intent-to-treat needs, whoever the CRM reached) with the
    source's send day; the source's reach is noted (treat users it sent to, held-out users it
    sent to anyway, users outside the audience). A campaign only in the source is read from
    it. Problems (a bad log line, a missing audience file, users in both groups) are noted in
    :attr:`Contacts.issues` and the rest is read.
    """
    cfg = project.config
    issues: list = []
    source, info = pd.DataFrame(columns=list(CONTACT_COLUMNS)), {}
    table = (getattr(project, "tables", None) or {}).get("campaigns")
    if table is not None:
        source, info = _from_source(table, issues)
    frames = [source]
    if use_log:
        logged, log_info = _from_log(log_path(cfg), issues)
        for name, meta in log_info.items():
            mine = logged[logged[s.CAMPAIGN] == name]
            if name in info:
                sent = source[source[s.CAMPAIGN] == name]
                _reach(name, mine, sent, issues)
                meta.origin, meta.sent_day = "source+log", info[name].sent_day
                frames[0] = frames[0][frames[0][s.CAMPAIGN] != name]
                mine = mine.assign(**{SENT_DAY: meta.sent_day})
            info[name] = meta
            frames.append(mine)
    frame = (
        pd.concat([f for f in frames if len(f)], ignore_index=True)
        if any(len(f) for f in frames)
        else pd.DataFrame(columns=list(CONTACT_COLUMNS))
    )
    return Contacts(frame.reset_index(drop=True), info, issues)
