"""The funnels and paths of ``05_pain_points``: where users stall, where sessions end, where users
loop, and which events come just before they leave.

:func:`funnel_review` runs every funnel of ``funnels:`` in ``persona.yaml`` on the month, overall,
per persona and per platform, with the trend over the months before; its block
(``@renders(FunnelReview)``) leads with one sentence per funnel: how many entered, how many got
through, the largest drop-off, and the platform or persona that converts worst at a step (only
when its interval clears the rest), with the owner. Without a configured funnel the block says
how to configure one and lists the most common ordered transitions: it never invents a funnel.
:func:`path_review` runs :func:`helpers.analysis.paths.compute_paths` per persona.

:func:`funnel_findings` and :func:`path_findings` are the rows the brief, the monthly review and
the action list read (``pain_points.csv`` gets them beside the feedback's).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import ibis
import pandas as pd

from helpers.analysis.action_plan import PAIN_COLUMNS
from helpers.analysis.funnels.tables import compute_funnel, funnel_artifact, funnel_trend
from helpers.analysis.funnels.transitions import top_transitions
from helpers.core import schema as S
from helpers.core.errors import ModelError
from helpers.display.blocks import Callout, Details, Heading, Note, Stack
from helpers.display.format import fmt
from helpers.display.registry import renders
from helpers.display.table import Table
from helpers.display.text import join_sentences, t

__all__ = [
    "event_text",
    "owner_sentence",
    "FunnelReview",
    "user_platforms",
    "segments_frame",
    "funnel_review",
    "funnel_findings",
    "funnels_artifact",
    "funnel_sentences",
    "owner_of",
]

MIN_SEGMENT_USERS = 30  # a segment with fewer entrants is shown, never named in a sentence
TREND_MONTHS = 3  # the month and the two before (each month is a funnel of its own to compute)


def owner_of(owners: dict, *keys: str) -> str:
    """The first owner ``owners:`` gives for ``keys`` (``funnel``, ``pain_point``, a persona)."""
    for k in keys:
        v = str((owners or {}).get(k, "") or "").strip()
        if v:
            return v
    return ""


def owner_sentence(owner: str) -> str:
    return t("pain.owner", owner=owner) if owner else t("pain.no_owner")


def event_text(name: str) -> str:
    return fmt(str(name), "event")


# --- segments: persona and platform per user ------------------------------------------------------
def user_platforms(events: ibis.Table, *, month_start, month_end) -> pd.DataFrame:
    """Each user's platform in the month: the platform most of their events name.

    A user none of whose events names a platform gets the source most of their events came
    from (a web log often has no platform column). Ties go to the name first in alphabetical
    order. Returns ``user_id, platform``.
    """
    ev = events.filter(events[S.DAY] >= month_start, events[S.DAY] <= month_end)
    known = ev[S.PLATFORM].notnull() if S.PLATFORM in ev.columns else ibis.literal(False)
    plat = (
        ev[S.PLATFORM].cast("string").fill_null(ev[S.SOURCE])
        if S.PLATFORM in ev.columns
        else ev[S.SOURCE]
    )
    per = (
        ev.select(ev[S.USER_ID], _p=plat, _known=known.cast("int8"))
        .group_by([S.USER_ID, "_p", "_known"])
        .aggregate(n=ibis._.count())
    )
    w = ibis.window(group_by=S.USER_ID, order_by=[ibis.desc("_known"), ibis.desc("n"), "_p"])
    top = per.mutate(_r=ibis.row_number().over(w))
    top = top.filter(top._r == 0).select(S.USER_ID, platform=top._p)
    return top.execute().astype({S.USER_ID: str})


def segments_frame(personas: pd.DataFrame | None, platforms: pd.DataFrame | None) -> pd.DataFrame:
    """``user_id, persona, platform`` (persona as "2. Deal hunters", as the action list names
    it), one row per user of either."""
    parts = []
    if personas is not None and len(personas):
        label = personas["persona"].astype(str)
        if "persona_name" in personas.columns:
            label = [
                t("review.persona", persona=int(p), name=n)
                if str(n) not in ("", "nan")
                else str(p)
                for p, n in zip(personas["persona"], personas["persona_name"])
            ]
        parts.append(pd.DataFrame({S.USER_ID: personas[S.USER_ID].astype(str), "persona": label}))
    if platforms is not None and len(platforms):
        parts.append(platforms[[S.USER_ID, "platform"]].astype({S.USER_ID: str}))
    if not parts:
        return pd.DataFrame(columns=[S.USER_ID])
    out = parts[0]
    for p in parts[1:]:
        out = out.merge(p, on=S.USER_ID, how="outer")
    return out.drop_duplicates(S.USER_ID)


# --- funnels -----------------------------------------------------------------------------------------
@dataclass
class FunnelReview:
    """The month's funnels (:func:`funnel_review`), or the transitions when none is configured."""

    month: str
    funnels: list = field(default_factory=list)  # helpers.analysis.funnels.Funnel
    trends: dict = field(default_factory=dict)  # name -> funnel_trend frame
    transitions: pd.DataFrame | None = None
    owner: str = ""


def funnel_review(
    project, config, *, month: str, month_start, as_of, segments=None
) -> FunnelReview:
    """Every configured funnel of ``month`` (overall, per persona, per platform) and its trend.

    Raises :class:`~helpers.core.errors.ModelError` when there are no events to read."""
    events = project.tables.get("events")
    if events is None:
        raise ModelError("funnels and paths read the events; this project has orders only")
    owner = owner_of(config.owners, "funnel", "pain_point")
    if not config.funnels:
        tr = top_transitions(
            events,
            month_start=month_start,
            month_end=as_of,
            top=12,
            exclude_events=config.activity.passive_events,
        )
        return FunnelReview(month=month, transitions=tr, owner=owner)
    orders = project.tables.get("orders")
    out = FunnelReview(month=month, owner=owner)
    for name, spec in config.funnels.items():
        common = dict(
            window_days=spec.window_days,
            orders=orders,
            purchase_events=config.purchase_events,
            segments=segments,
        )
        out.funnels.append(
            compute_funnel(
                events,
                name,
                spec.steps,
                month_start=month_start,
                month_end=as_of,
                as_of=as_of,
                min_users=MIN_SEGMENT_USERS,
                **common,
            )
        )
        trend = funnel_trend(
            events,
            spec.steps,
            month=month,
            months=TREND_MONTHS,
            as_of=as_of,
            **{**common, "segments": None},
        )
        out.trends[name] = trend[trend["segment_kind"] == "all"]
    return out


def segment_drops(f, kind: str, limit: int = 2) -> list:
    """The segments of ``kind`` whose own largest drop-off converts clearly worse than the
    other segments at that step (its interval lies below their pooled rate), most users lost
    beyond the others' rate first ((others' rate - its rate) x its users at the step before);
    at most ``limit``, as (drop row of ``f.drops``, the others' conversion)."""
    tab = f.table[f.table["segment_kind"] == kind]
    found = []
    for _, d in f.drops[f.drops["segment_kind"] == kind].iterrows():
        if d["users_from"] < MIN_SEGMENT_USERS:
            continue
        others = tab[tab["segment"] != d["segment"]]
        before = others.loc[others["step"] == d["to_step"] - 1, "users"].sum()
        after = others.loc[others["step"] == d["to_step"], "users"].sum()
        if before < MIN_SEGMENT_USERS:
            continue
        other = after / before
        if d["ci_high"] < other:
            found.append((d, other, (other - d["conversion"]) * d["users_from"]))
    found.sort(key=lambda x: -x[2])
    return [(d, other) for d, other, _ in found[:limit]]


def _segment_sentence(d, other: float, kind: str) -> str:
    return t(
        f"pain.funnel.worst_{kind}",
        segment=d["segment"],
        source=event_text(d["from_event"]),
        target=event_text(d["to_event"]),
        conversion=d["conversion"],
        low=d["ci_low"],
        high=d["ci_high"],
        other=other,
    )


def funnel_sentences(f, owner: str) -> list[str]:
    """What happened in one funnel, why it matters and who owns it, in sentences."""
    tab = f.table[f.table["segment_kind"] == "all"].sort_values("step")
    if f.entrants == 0:
        return [t("pain.funnel.no_entrants", funnel=f.name, first=event_text(f.steps[0]))]
    last = tab.iloc[-1]
    lines = [
        t(
            "pain.funnel.through",
            funnel=f.name,
            entrants=f.entrants,
            first=event_text(f.steps[0]),
            last=event_text(f.steps[-1]),
            share=last["conversion_from_start"],
            days=f.window_days,
        )
    ]
    drop = f.drops[f.drops["segment_kind"] == "all"]
    if len(drop):
        d = drop.iloc[0]
        lines.append(
            t(
                "pain.funnel.largest_drop",
                source=event_text(d["from_event"]),
                target=event_text(d["to_event"]),
                conversion=d["conversion"],
                low=d["ci_low"],
                high=d["ci_high"],
                lost=d["users_from"] - d["users_to"],
            )
        )
    for kind in ("platform", "persona"):
        for d, other in segment_drops(f, kind):
            lines.append(_segment_sentence(d, other, kind))
    lines.append(owner_sentence(owner))
    return [join_sentences(lines[:2]), *lines[2:]]


def _steps_table(f, kind: str = "all") -> pd.DataFrame:
    tab = f.table[f.table["segment_kind"] == kind].sort_values(["segment", "step"])
    out = pd.DataFrame(
        {
            "funnel_segment": tab["segment"].map(str),
            "funnel_step": [
                f"{int(s)}. {event_text(e)}" for s, e in zip(tab["step"], tab["event_name"])
            ],
            "funnel_users": tab["users"].astype("int64"),
            "conversion_from_start": tab["conversion_from_start"],
            "conversion_from_previous": tab["conversion_from_previous"],
            "conversion_ci": [
                "" if pd.isna(lo) else f"{fmt(lo, 'share')}–{fmt(hi, 'share')}"
                for lo, hi in zip(tab["ci_low"], tab["ci_high"])
            ],
            "median_minutes_from_previous": tab["median_minutes_from_previous"],
        }
    )
    return out if kind != "all" else out.drop(columns="funnel_segment")


def _trend_table(trend: pd.DataFrame, steps: list[str]) -> pd.DataFrame:
    first = trend[trend["step"] == 1].set_index("month")["users"]
    last = trend[trend["step"] == len(steps)].set_index("month")["conversion_from_start"]
    return pd.DataFrame(
        {
            "month": [fmt(m, "month") for m in first.index],
            "funnel_entrants": first.astype("int64").to_numpy(),
            "funnel_completed_share": last.reindex(first.index).to_numpy(),
        }
    )


def _funnel_block(f, trend, owner: str) -> Stack:
    head = Heading(
        t("pain.funnel.title", funnel=f.name, steps=" → ".join(event_text(s) for s in f.steps))
    )
    lines = funnel_sentences(f, owner)
    tone = "warning" if len(f.drops) and f.entrants else "neutral"
    verdict = Callout(lines[0], lines[1:], tone=tone)
    if f.entrants == 0:
        return Stack.of(head, verdict)
    main = Table(
        _steps_table(f),
        caption=t("pain.funnel.table_caption", days=f.window_days),
        max_rows=len(f.steps),
        collapse=False,
    )
    parts = []
    for kind in ("platform", "persona"):
        if (f.table["segment_kind"] == kind).any():
            parts.append(
                Table(
                    _steps_table(f, kind),
                    caption=t(f"pain.funnel.by_{kind}"),
                    max_rows=200,
                    collapse=False,
                )
            )
    if trend is not None and len(trend):
        parts.append(
            Table(
                _trend_table(trend, f.steps), caption=t("pain.funnel.trend_caption"), keep="tail"
            )
        )
    return Stack.of(
        head, verdict, main, Details(t("pain.funnel.details"), Stack(parts)) if parts else None
    )


def _no_funnel_block(r: FunnelReview) -> Stack:
    lines = [t("pain.funnel.none"), t("pain.funnel.none_example")]
    tr = r.transitions
    if tr is None or tr.empty:
        return Stack.of(Note(join_sentences(lines)))
    shown = pd.DataFrame(
        {
            "transition": [
                f"{event_text(a)} → {event_text(b)}"
                for a, b in zip(tr["from_event"], tr["to_event"])
            ],
            "transitions": tr["transitions"].astype("int64"),
            "transition_users": tr["users"].astype("int64"),
            "share_of_from": tr["share_of_from"],
        }
    )
    return Stack.of(
        Note(join_sentences(lines)),
        Table(shown, caption=t("pain.funnel.transitions_caption", month=r.month), collapse=False),
    )


@renders(FunnelReview)
def _funnel_review_block(r: FunnelReview) -> Stack:
    if not r.funnels:
        return _no_funnel_block(r)
    return Stack([_funnel_block(f, r.trends.get(f.name), r.owner) for f in r.funnels])


def funnels_artifact(r: FunnelReview) -> pd.DataFrame:
    """``funnels.csv``: one row per funnel × segment × step (see
    :func:`helpers.analysis.funnels.funnel_artifact`); empty without a configured funnel."""
    return funnel_artifact({f.name: f.table for f in r.funnels})


def funnel_findings(r: FunnelReview) -> pd.DataFrame:
    """One row per funnel with entrants: its largest drop overall and the worst platform or
    persona at a step, as ``kind, segment, topic, detail, users, metric, owner, sentence`` rows
    (the pain-point rows of the funnels)."""
    rows = []
    for f in r.funnels:
        if not f.entrants:
            continue
        sentences = funnel_sentences(f, r.owner)
        d = f.drops[f.drops["segment_kind"] == "all"]
        if len(d):
            d = d.iloc[0]
            rows.append(
                dict(
                    kind="funnel",
                    segment_kind="all",
                    segment="all",
                    topic=f"{f.name}: {d['from_event']} → {d['to_event']}",
                    users=int(d["users_from"] - d["users_to"]),
                    metric=float(d["conversion"]),
                    owner=r.owner,
                    sentence=sentences[0],
                    action=t(
                        "pain.action.funnel",
                        funnel=f.name,
                        source=event_text(d["from_event"]),
                        target=event_text(d["to_event"]),
                    ),
                )
            )
        for kind in ("platform", "persona"):
            for d, other in segment_drops(f, kind):
                rows.append(
                    dict(
                        kind="funnel",
                        segment_kind=kind,
                        segment=str(d["segment"]),
                        topic=f"{f.name}: {d['from_event']} → {d['to_event']}",
                        users=int(d["users_from"] - d["users_to"]),
                        metric=float(d["conversion"]),
                        owner=r.owner,
                        sentence=_segment_sentence(d, other, kind),
                        action=t(
                            f"pain.action.funnel_{kind}",
                            funnel=f.name,
                            segment=str(d["segment"]),
                            source=event_text(d["from_event"]),
                            target=event_text(d["to_event"]),
                        ),
                    )
                )
    return pd.DataFrame(
        rows,
        columns=list(PAIN_COLUMNS),
    )
