"""The paths of ``05_pain_points``: where sessions end, where users loop, and which events come
just before users leave (:func:`path_review`, per persona, on
:func:`helpers.analysis.paths.compute_paths`). :func:`path_findings` are its rows of
``pain_findings.csv``."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from helpers.analysis.action_plan import PAIN_COLUMNS
from helpers.analysis.paths import Paths, compute_paths
from helpers.core import schema as S
from helpers.core.errors import ModelError
from helpers.display.blocks import Callout, Details, Note, Stack
from helpers.display.registry import renders
from helpers.display.table import Table
from helpers.display.text import t
from helpers.sections.pain_funnels import event_text, owner_of, owner_sentence

MIN_EXITS = 10  # fewer sessions or users leaving on an event: listed, never an action

__all__ = ["PathReview", "path_review", "path_sentences", "path_findings", "paths_artifacts"]


# --- paths --------------------------------------------------------------------------------------------
@dataclass
class PathReview:
    """Paths of the month per persona (:func:`path_review`)."""

    paths: Paths
    month: str
    owner: str = ""


def path_review(project, config, *, month: str, month_start, as_of, segments=None) -> PathReview:
    """Session ends, loops and exit events of ``month``, overall and per persona."""
    events = project.tables.get("events")
    if events is None:
        raise ModelError("paths read the events; this project has orders only")
    seg = None
    if segments is not None and "persona" in segments.columns:
        seg = segments[[S.USER_ID, "persona"]].dropna()
    paths = compute_paths(
        events,
        month_start=month_start,
        month_end=as_of,
        as_of=as_of,
        inactive_days=config.churn.inactive_days,
        segments=seg,
        exclude_events=config.activity.passive_events,
        orders=project.tables.get("orders"),
        user_day=project.user_day,
    )
    return PathReview(
        paths=paths, month=month, owner=owner_of(config.owners, "funnel", "pain_point")
    )


def _top(df: pd.DataFrame, **where) -> pd.DataFrame:
    out = df
    for k, v in where.items():
        out = out[out[k] == v]
    return out


def path_sentences(r: PathReview) -> list[str]:
    p = r.paths
    lines = []
    ends = _top(p.session_ends, segment_kind="all")
    if len(ends):
        e = ends.iloc[0]
        lines.append(t("pain.paths.ends", event=event_text(e["event_name"]), share=e["share"]))
    exits = _top(p.exit_events, segment_kind="all")
    bad = exits[exits["problem"]]
    if len(bad):
        for context in ("session_end", "churn"):
            b = bad[bad["context"] == context]
            if len(b):
                b = b.sort_values("exits", ascending=False).iloc[0]
                lines.append(
                    t(
                        f"pain.paths.problem.{context}",
                        event=event_text(b["event_name"]),
                        share=b["share"],
                        exits=int(b["exits"]),
                    )
                )
    elif len(exits):
        lines.append(t("pain.paths.no_problem"))
    loops = _top(p.loops, segment_kind="all")
    if len(loops):
        lo = loops.sort_values("users", ascending=False).iloc[0]
        lines.append(
            t(
                "pain.paths.loop",
                event=event_text(lo["event_name"]),
                users=int(lo["users"]),
                share=lo["user_share"],
                repeats=p.min_repeats,
            )
        )
    if len(bad):
        lines.append(owner_sentence(r.owner))
    return lines


def _paths_table(df: pd.DataFrame, cols: dict, top: int = 5) -> pd.DataFrame:
    seg = df[df["segment_kind"] != "all"]
    if seg.empty:
        seg = df
    seg = seg.groupby("segment", sort=True, group_keys=False).head(top)
    out = pd.DataFrame(
        {"path_segment": seg["segment"].map(str), "path_event": seg["event_name"].map(event_text)}
    )
    for new, old in cols.items():
        out[new] = seg[old].to_numpy()
    out["path_problem"] = seg["problem"].to_numpy()
    return out


@renders(PathReview)
def _path_block(r: PathReview) -> Stack:
    lines = path_sentences(r)
    if not lines:
        return Stack.of(Note(t("pain.paths.empty", month=r.month)))
    p = r.paths
    tables = [
        Table(
            _paths_table(p.session_ends, {"path_sessions": "sessions", "path_share": "share"}),
            caption=t("pain.paths.ends_caption"),
            max_rows=60,
            collapse=False,
        ),
        Table(
            _paths_table(
                p.exit_events[p.exit_events["context"] == "churn"],
                {"path_exits": "exits", "path_share": "share"},
            ),
            caption=t("pain.paths.exits_caption", last=p.last_n),
            max_rows=60,
            collapse=False,
        ),
    ]
    if len(p.loops):
        tables.append(
            Table(
                _paths_table(p.loops, {"path_users": "users", "path_share": "user_share"}),
                caption=t("pain.paths.loops_caption", repeats=p.min_repeats),
                max_rows=60,
                collapse=False,
            )
        )
    tone = "warning" if p.exit_events["problem"].any() else "neutral"
    return Stack.of(
        Callout(lines[0], lines[1:], tone=tone),
        Details(t("pain.paths.details"), Stack(tables)),
    )


def path_findings(r: PathReview) -> pd.DataFrame:
    """The problem events users leave on (after at least :data:`MIN_EXITS` sessions or churned
    users), one row per context, as rows of ``pain_findings.csv``."""
    ex = r.paths.exit_events
    # the month's problem events as a whole (each persona's rows are in exit_events.csv)
    bad = ex[ex["problem"] & (ex["segment_kind"] == "all") & (ex["exits"] >= MIN_EXITS)]
    rows = []
    for ctx, g in bad.groupby("context"):
        b = g.sort_values("exits", ascending=False).iloc[0]
        rows.append(
            dict(
                kind="path",
                segment_kind="all",
                segment="all",
                topic=f"{ctx}: {b['event_name']}",
                users=int(b["exits"]),
                metric=float(b["share"]),
                owner=r.owner,
                sentence=t(
                    f"pain.paths.problem.{ctx}",
                    event=event_text(b["event_name"]),
                    share=b["share"],
                    exits=int(b["exits"]),
                ),
                action=t("pain.action.path", event=event_text(b["event_name"])),
            )
        )
    return pd.DataFrame(
        rows,
        columns=list(PAIN_COLUMNS),
    )


def paths_artifacts(r: PathReview) -> dict[str, pd.DataFrame]:
    """``session_ends.csv``, ``loops.csv`` and ``exit_events.csv``."""
    p = r.paths
    return {"session_ends": p.session_ends, "loops": p.loops, "exit_events": p.exit_events}
