"""The smaller sections of ``persona.yaml`` (``actions``, ``tags``, ``tag_health``,
``campaigns``, ``report``, ``engine``): typed, validated, re-exported by
:mod:`helpers.core.config`."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "standard_event_name",
    "Strict",
    "ActionsConfig",
    "TagConfig",
    "TagHealthConfig",
    "CampaignsConfig",
    "ReportConfig",
    "EngineConfig",
]


def standard_event_name(name: str) -> str:
    """The standard form of an event name: trimmed and lower-cased (see docs/internals.md).

    >>> standard_event_name("  View_Item ")
    'view_item'
    """
    return str(name).strip().lower()


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ActionsConfig(Strict):
    save_rate: float = Field(
        default=0.1,
        gt=0,
        le=1,
        description="share of the revenue at stake a save campaign is assumed to keep",
    )


class TagConfig(Strict):
    name: str
    rule: str
    layer: Literal["basic", "behaviour", "value"] = "behaviour"
    description: str = ""
    action: str = Field(default="", description="what is done for the tag's users")
    owner: str = Field(default="", description="the team that owns the action")
    channel: str = Field(
        default="", description="how users are reached: push, sms, email, coupon, in_app, ..."
    )

    @field_validator("channel", mode="before")
    @classmethod
    def _std_channel(cls, v):
        return re.sub(r"[\s-]+", "_", str(v or "").strip().lower())


class TagHealthConfig(Strict):
    """``tag_health:``: when the tag report warns about a tag."""

    min_share: float = Field(
        default=0.005,
        ge=0,
        lt=1,
        description="a tag on fewer than this share of active users fires for almost no one",
    )
    max_share: float = Field(
        default=0.95,
        gt=0,
        le=1,
        description="a tag on more than this share of active users fires for nearly everyone",
    )
    drift: float = Field(
        default=0.5,
        gt=0,
        description=(
            "warn when a tag's coverage moves by more than this share of its coverage in an "
            "earlier month (0.5: up or down by half)"
        ),
    )
    min_drift_points: float = Field(
        default=0.02,
        ge=0,
        lt=1,
        description="and by at least this many points of share (ignores noise on tiny tags)",
    )
    months: int = Field(default=3, ge=1, le=12, description="earlier months compared")


class CampaignsConfig(Strict):
    """``campaigns:``: audience exports and their readouts."""

    log: str = Field(
        default="campaigns.jsonl",
        description="the kit's campaign log (relative to the config file)",
    )
    holdout: float = Field(
        default=0.1, gt=0, lt=1, description="default holdout share of `persona-kit audience`"
    )
    readout_months: int = Field(
        default=1,
        ge=1,
        le=6,
        description="how many review months a campaign is read out in, from its first readout",
    )
    min_window_days: int = Field(
        default=14,
        ge=1,
        le=60,
        description=(
            "days after the send a readout needs: a campaign sent later in a month is read out "
            "the month after"
        ),
    )
    min_lift: float = Field(
        default=0.02,
        gt=0,
        lt=1,
        description=(
            "the smallest reactivation lift worth sending for (0.02: 2 points); a campaign whose "
            "interval lies wholly below it is stopped"
        ),
    )


class ReportConfig(Strict):
    out_dir: str | None = None
    title: str | None = None


class EngineConfig(Strict):
    """``engine:``: where the reductions run (see docs/scale.md).

    ``engine: duckdb`` (default, embedded), ``engine: spark`` (PySpark, ``master`` default
    ``local[2]``, extra settings in ``conf``) or ``engine: <ibis URL>`` such as
    ``trino://user@host:8080/hive/web`` or ``bigquery://project/dataset`` (a warehouse you have).
    """

    kind: Literal["duckdb", "spark", "url"] = "duckdb"
    database: str | None = Field(default=None, description="DuckDB file (default: in memory)")
    memory_limit: str | None = Field(
        default=None, description="DuckDB memory limit such as '4GB'; it spills beyond"
    )
    threads: int | None = Field(default=None, gt=0)
    master: str = Field(default="local[2]", description="Spark master URL")
    conf: dict[str, str | int | float | bool] = Field(
        default_factory=dict, description="extra Spark settings"
    )
    url: str | None = Field(default=None, description="ibis connection URL of a warehouse")

    @model_validator(mode="before")
    @classmethod
    def _url_means_kind(cls, v):
        if isinstance(v, dict) and v.get("url") and "kind" not in v:
            return {**v, "kind": "url"}
        return v

    @field_validator("memory_limit")
    @classmethod
    def _check_memory(cls, v):
        if v is not None and not re.fullmatch(
            r"\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)", str(v).strip()
        ):
            raise ValueError(
                f"must be a size such as '4GB' or '512MB', but {v!r} was passed"
            ) from None
        return v

    @model_validator(mode="after")
    def _check_kind(self):
        if self.kind == "url" and not (self.url and "://" in self.url):
            raise ValueError(
                "kind 'url' needs `url:`, an ibis connection URL such as "
                f"'trino://user@host:8080/hive/web', but {self.url!r} was passed"
            )
        return self
