"""``persona.yaml`` validated into typed config (pydantic).

Every error names the file and the key (``sources.events[1].columns.event_time``), what was
expected and what was found. Paths inside the config are relative to the config's folder.

Examples
--------
>>> from helpers.core.config import load_config
>>> cfg = load_config("persona.yaml")          # doctest: +SKIP
>>> cfg.timezone, [s.name for s in cfg.sources.events]   # doctest: +SKIP
('Asia/Shanghai', ['app_events', 'web_events'])
"""

from __future__ import annotations

import codecs
import datetime as _dt
import hashlib
import json
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from babel.numbers import is_currency
from pydantic import (
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from helpers.core.config_pain import FeedbackConfig, FunnelConfig
from helpers.core.config_sections import (  # the smaller sections, re-exported here
    ActionsConfig,
    CampaignsConfig,
    EngineConfig,
    ReportConfig,
    TagConfig,
    TagHealthConfig,
    standard_event_name,
)
from helpers.core.config_sections import Strict as _Strict
from helpers.core.errors import ConfigError
from helpers.core.locales import normalize_language, validate_timezone
from helpers.core.rules import parse_tags  # tag rules are checked where the config enters

STRFTIME_DIRECTIVE = re.compile(r"%[a-zA-Z]")
ENGINES = ("duckdb", "spark", "url")


class SourceConfig(_Strict):
    """One source file (or glob of files) and how its columns map to the canonical names."""

    path: str | None = Field(
        default=None, description="file or glob, relative to the config's folder"
    )
    table: str | None = Field(
        default=None, description="a table already in the engine: 'db.events' (instead of path)"
    )
    name: str | None = Field(
        default=None, description="label used in the audit (default: file stem)"
    )
    columns: dict[str, str] = Field(
        default_factory=dict, description="canonical name -> column in the file"
    )
    time_format: str | None = Field(
        default=None, description="strftime pattern | epoch_s | epoch_ms | None = ISO 8601"
    )
    timezone: str | None = Field(
        default=None, description="timezone of naive timestamps (default: project timezone)"
    )
    format: Literal["csv", "parquet"] | None = Field(
        default=None, description="override the format guessed from the extension"
    )
    delimiter: str | None = None
    encoding: str = Field(
        default="utf-8", description="text encoding of CSV files: utf-8 | gb18030 | utf-16..."
    )
    header: bool = Field(default=True, description="false: the CSV files have no header row")
    names: list[str] | None = Field(
        default=None, description="with header: false, the files' column names in order"
    )

    @field_validator("encoding")
    @classmethod
    def _check_encoding(cls, v):
        try:
            "a".encode(str(v).strip())  # LookupError: an unknown name, or not a text encoding
        except LookupError:
            raise ValueError(
                "must be a text encoding such as 'utf-8', 'gb18030', 'gbk' or 'utf-16', "
                f"but {v!r} was passed"
            ) from None
        return codecs.lookup(
            str(v).strip()
        ).name  # one spelling per encoding ('GBK', 'cp936' -> 'gbk')

    @field_validator("time_format")
    @classmethod
    def _check_time_format(cls, v):
        if v is None or v in ("epoch_s", "epoch_ms", "iso"):
            return v
        if not STRFTIME_DIRECTIVE.search(v):
            raise ValueError(
                f"must be a strftime pattern such as '%Y%m%d', or 'epoch_s' / 'epoch_ms', but {v!r} was passed"
            )
        return v

    @field_validator("timezone")
    @classmethod
    def _check_tz(cls, v):
        if v is not None:
            validate_timezone(v)
        return v

    @model_validator(mode="after")
    def _path_or_table(self):
        if (self.path is None) == (self.table is None):
            raise ValueError(
                "a source needs exactly one of `path:` (files) or `table:` (a table in the engine, "
                f"e.g. 'db.events'), but found path={self.path!r}, table={self.table!r}"
            )
        return self

    @model_validator(mode="after")
    def _header_and_names(self):
        where = f"the source {self.path or self.table!r}"
        if self.table is not None and (
            self.encoding != "utf-8" or not self.header or self.names is not None
        ):
            raise ValueError(
                f"`encoding`, `header` and `names` describe CSV files, but {where} is a table in "
                "the engine; remove them"
            )
        if self.names is not None and self.header:
            raise ValueError(
                f"`names` lists the columns of CSV files without a header row, but {where} has "
                "`header: true` (the default); add `header: false` or remove `names`"
            )
        if not self.header and not self.names:
            raise ValueError(
                f"`header: false` needs `names:`, the columns of {where} in file order, such as "
                "[user, item, category, behaviour, ts]"
            )
        dupes = sorted({n for n in self.names or [] if self.names.count(n) > 1})
        if dupes:
            raise ValueError(f"`names` of {where} must be distinct, but {dupes} is listed twice")
        return self


class SourcesConfig(_Strict):
    events: list[SourceConfig] = Field(default_factory=list)
    orders: SourceConfig | None = None
    users: SourceConfig | None = None
    identities: SourceConfig | None = None
    assignments: SourceConfig | None = None
    campaigns: SourceConfig | None = None
    feedback: SourceConfig | None = None

    @field_validator("events", mode="before")
    @classmethod
    def _one_or_many(cls, v):
        if isinstance(v, dict):
            return [v]
        return v or []

    @model_validator(mode="after")
    def _need_activity(self):
        if not self.events and self.orders is None:
            raise ValueError(
                "at least one of 'events' or 'orders' is required (orders alone are enough)"
            )
        return self


class ActivityConfig(_Strict):
    passive_events: list[str] = Field(
        default_factory=list, description="events that do not make a user active"
    )
    active_events: list[str] | None = Field(
        default=None, description="if set, only these events make a user active"
    )
    orders_are_active: bool = True

    @field_validator("passive_events", "active_events")
    @classmethod
    def _std(cls, v):
        return None if v is None else [standard_event_name(x) for x in v]


class ChurnConfig(_Strict):
    inactive_days: int = Field(default=30, gt=0)
    recoverable_days: int = Field(
        default=7,
        gt=0,
        description=(
            "a high-risk user active within this many days can still be saved (recoverable); "
            "one inactive for longer has lapsed (a win-back, not a save)"
        ),
    )


class AuditConfig(_Strict):
    valid_from: _dt.date | None = Field(
        default=None, description="launch date: earlier timestamps are invalid"
    )
    valid_until: _dt.date | None = Field(
        default=None, description="export date: timestamps at/after it are in the future"
    )
    spike_threshold: float = Field(
        default=3.5, gt=0, description="robust z-score above which a daily volume is flagged"
    )


class Config(_Strict):
    """Validated project configuration. Build it with :func:`load_config`."""

    name: str = "persona-kit project"
    timezone: str = "UTC"
    language: Literal["en", "zh"] = Field(
        default="en", description="report language: en (English) or zh (Simplified Chinese)"
    )
    currency: str | None = Field(
        default=None,
        description="ISO 4217 code money is shown with, e.g. CNY, USD, EUR (default: none)",
    )
    cache_dir: str = "data/processed"
    sources: SourcesConfig
    purchase_events: list[str] = Field(
        default_factory=list,
        description=(
            "events that count as purchases when there is no orders source (a clickstream): "
            "each becomes an order, its amount from the event source's `revenue` column"
        ),
    )
    activity: ActivityConfig = Field(default_factory=ActivityConfig)
    churn: ChurnConfig = Field(default_factory=ChurnConfig)
    audit: AuditConfig = Field(default_factory=AuditConfig)
    tags: list[TagConfig] = Field(default_factory=list)
    tag_health: TagHealthConfig = Field(default_factory=TagHealthConfig)
    campaigns: CampaignsConfig = Field(default_factory=CampaignsConfig)
    funnels: dict[str, FunnelConfig] = Field(default_factory=dict)
    feedback: FeedbackConfig = Field(default_factory=FeedbackConfig)
    report: ReportConfig = Field(default_factory=ReportConfig)
    engine: EngineConfig = Field(default_factory=EngineConfig)
    personas: dict[str, Any] = Field(default_factory=dict)
    experiments: dict[str, Any] = Field(default_factory=dict)
    owners: dict[str, str] = Field(
        default_factory=dict,
        description="who owns actions: by persona number, persona name or action source",
    )
    actions: ActionsConfig = Field(default_factory=ActionsConfig)

    # set by load_config, not read from YAML
    config_path: Path | None = Field(default=None, exclude=True)

    @field_validator("language", mode="before")
    @classmethod
    def _check_language(cls, v):
        return normalize_language(v)

    @field_validator("currency")
    @classmethod
    def _check_currency(cls, v):
        if v is None:
            return v
        code = str(v).strip().upper()
        if not is_currency(code):
            raise ValueError(
                "must be an ISO 4217 currency code such as 'CNY', 'USD' or 'EUR', "
                f"but {v!r} was passed"
            )
        return code

    @field_validator("timezone")
    @classmethod
    def _check_tz(cls, v):
        validate_timezone(v)
        return v

    @field_validator("owners", mode="before")
    @classmethod
    def _owner_keys(cls, v):
        # persona numbers are written as YAML numbers ({2: CRM team}); keys are compared as text
        return {str(k): v for k, v in v.items()} if isinstance(v, dict) else v

    @field_validator("purchase_events")
    @classmethod
    def _std_purchases(cls, v):
        return [standard_event_name(x) for x in v]

    @model_validator(mode="after")
    def _purchases_need_events(self):
        if self.purchase_events and self.sources.orders is not None:
            raise ValueError(
                "`purchase_events` turns events into orders for a project without an orders "
                "source, but this config has both; remove `purchase_events` or the orders "
                f"source (found purchase_events: {self.purchase_events})"
            )
        if self.purchase_events and not self.sources.events:
            raise ValueError(
                "`purchase_events` names events that count as purchases, but no events source "
                f"is configured (found purchase_events: {self.purchase_events})"
            )
        return self

    @field_validator("engine", mode="before")
    @classmethod
    def _engine_str(cls, v):
        if isinstance(v, str):
            return {"kind": "url", "url": v} if "://" in v else {"kind": v}
        return v

    @property
    def root(self) -> Path:
        """Folder the config lives in; relative paths resolve against it."""
        return self.config_path.parent if self.config_path else Path.cwd()

    def resolve(self, path: str) -> Path:
        p = Path(path).expanduser()
        return p if p.is_absolute() else (self.root / p)

    @property
    def cache_path(self) -> Path:
        return self.resolve(self.cache_dir).resolve()

    def source_items(self) -> list[tuple[str, str, SourceConfig]]:
        """(table, label, source) for every configured source, events first, in config order."""
        items = []
        for i, src in enumerate(self.sources.events):
            items.append(
                ("events", src.name or _default_label(src.path, "events", i, src.table), src)
            )
        for table in ("orders", "users", "identities", "assignments", "campaigns", "feedback"):
            src = getattr(self.sources, table)
            if src is not None:
                items.append((table, src.name or table, src))
        labels = [label for _, label, _ in items]
        dupes = sorted({x for x in labels if labels.count(x) > 1})
        if dupes:
            raise ConfigError(
                f"{self.config_path}: sources need distinct names, but {dupes} is used twice; "
                "give each source a `name:`"
            )
        return items

    def source_key(self, table: str, src: SourceConfig) -> str:
        return f"{table}.{src.name}" if src.name else table

    def digest(self) -> str:
        """Stable hash of the settings the cleaned-data cache depends on (paths as written):
        ``tags``, ``tag_health``, ``campaigns``, ``funnels``, ``feedback`` (the settings, not
        the sources) and ``report`` change no cleaned row, so they are left out here."""
        payload = self.model_dump(
            mode="json",
            exclude={
                "config_path",
                "report",
                "tags",
                "tag_health",
                "campaigns",
                "funnels",
                "feedback",
            },
        )
        # a source added since a cache was built keys nothing while it is not configured, so
        # upgrading the kit keeps a project's cache
        for added in ("feedback",):
            if payload["sources"].get(added) is None:
                payload["sources"].pop(added, None)
        # how much memory and how many threads the engine uses changes no cleaned row
        for knob in ("memory_limit", "threads"):
            if knob in payload.get("engine", {}):
                payload["engine"][knob] = None
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]

    def settings_digest(self) -> str:
        """Stable hash of every setting (paths as written): a report re-runs when any key it
        may read changes, ``tags`` and ``report`` included."""
        payload = self.model_dump(mode="json", exclude={"config_path"})
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


def _default_label(path: str | None, table: str, i: int, engine_table: str | None = None) -> str:
    if path is None:
        return (engine_table or f"{table}_{i}").split(".")[-1]
    stem = Path(path.split("*")[0]).name or Path(path).parent.name
    stem = re.sub(r"(\.csv\.gz|\.csv|\.parquet|\.gz)$", "", stem) or f"{table}_{i}"
    return stem


def _loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def load_config(path: str | Path) -> Config:
    """Read and validate a ``persona.yaml``.

    Parameters
    ----------
    path : str or Path
        The config file. Paths inside it are relative to its folder.

    Returns
    -------
    Config

    Raises
    ------
    ConfigError
        Naming the file and the key, what was expected and what was found.

    Examples
    --------
    >>> cfg = load_config("data/sample/persona.yaml")    # doctest: +SKIP
    >>> cfg.churn.inactive_days                           # doctest: +SKIP
    30
    """
    path = Path(path).expanduser().resolve()
    if path.is_dir():
        raise ConfigError(
            f"config file {path} is a folder, not a file; pass --config FILE (for example "
            f"{path / 'persona.yaml'})"
        )
    if not path.exists():
        raise ConfigError(
            f"config file {path} does not exist; pass --config FILE or create persona.yaml "
            "(copy the repository's persona.yaml and edit the sources)"
        )
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as e:
        raise ConfigError(
            f"{path}: expected UTF-8 text, but byte 0x{e.object[e.start]:02x} at position "
            f"{e.start} is not UTF-8 (is the file saved as Latin-1 or GBK?); save it as UTF-8"
        ) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"{path}: not valid YAML{where}: {getattr(e, 'problem', e)}") from None
    if not isinstance(raw, dict):
        raise ConfigError(
            f"{path}: expected a mapping with keys such as 'name', 'timezone', 'sources', "
            f"but found {type(raw).__name__}: {str(raw)[:60]!r}"
        )
    try:
        cfg = Config.model_validate(raw)
    except ValidationError as e:
        lines = []
        for err in e.errors()[:5]:
            key = _loc(err["loc"]) or "(top level)"
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown key (check its spelling and indentation)"
            elif err["type"] == "missing":
                msg = "required key is missing"
            found = err.get("input")
            shown = (
                ""
                if err["type"] in ("missing",) or isinstance(found, dict)
                else f" (found {found!r})"
            )
            lines.append(f"{path}: key '{key}': {msg}{shown}")
        more = f"\n... and {len(e.errors()) - 5} more" if len(e.errors()) > 5 else ""
        raise ConfigError("\n".join(lines) + more) from None
    cfg.config_path = path
    cfg.source_items()  # distinct source names
    if cfg.tags:
        try:
            parse_tags([t.model_dump() for t in cfg.tags])
        except ConfigError as e:
            raise ConfigError(f"{path}: {e}") from None
    return cfg
