"""The per-segment part of the ``06_ab_readout`` notebook: which segments (persona before the
start, platform) were available and the lift of each primary metric per segment.

The per-persona effects use the personas of users **before** the experiment started
(:mod:`helpers.analysis.experiments.prestart`); the first line says which snapshot. An invalid
readout shows no per-segment lift.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from helpers.analysis.experiments import prestart as ps
from helpers.analysis.experiments.inputs import SegmentInputs
from helpers.analysis.experiments.readout import Readout
from helpers.analysis.experiments.segments import SegmentEffects
from helpers.core import schema as S
from helpers.display.blocks import Bullets, Details, Heading, Note, Paragraph, Stack
from helpers.display.messages import has
from helpers.display.registry import renders
from helpers.display.table import Table
from helpers.display.text import t
from helpers.sections.ab_readout import (
    DIFF_KINDS,
    invalid_note,
    is_invalid,
    metric_kind,
    metric_label,
)

__all__ = ["segment_inputs_view", "segment_value", "segment_effects_view", "segments_view"]


# --- segments ------------------------------------------------------------------------------------


def _segment_word(col) -> str:
    key = f"ab.segment.{col}"
    return t(key) if has(key) else str(col)


def _snapshot_line(inputs: SegmentInputs) -> str:
    """Which persona snapshot the per-persona effects use, and whom it covers."""
    before = inputs.personas
    if before is None:
        return t("ab.segments.no_personas")
    values = {"start": before.start, "as_of": before.as_of}
    if before.source == ps.NONE:
        return t("ab.segments.no_snapshot", start=before.start)
    segs = inputs.per_user[S.PERSONA]
    values.update(
        users=inputs.covered[S.PERSONA],
        total=inputs.users,
        new=int((segs == ps.NEW_SINCE_START).sum()),
        none=int((segs == ps.NO_PERSONA_AT_START).sum()),
        clustered=before.clustered,
        month=before.month,
        file=Path(before.path).name,
    )
    return t(f"ab.segments.personas.{before.source}", **values)


@renders(SegmentInputs)
def segment_inputs_view(inputs: SegmentInputs) -> Bullets:
    """Which segments were available, for how many of the assigned users, and which persona
    snapshot (taken before the start) the per-persona effects use."""
    lines = [_snapshot_line(inputs)]
    if "platform" in inputs.columns:
        users = inputs.covered["platform"]
        lines.append(t("ab.segments.platform", users=users, total=inputs.users))
    else:
        lines.append(t("ab.segments.no_platform"))
    return Bullets(lines)


def segment_value(value) -> str:
    """A segment in words: the groups without a persona before the start are named in the
    report's language; other values are shown as they are."""
    key = {ps.NEW_SINCE_START: "new_since_start", ps.NO_PERSONA_AT_START: "no_persona"}.get(
        str(value)
    )
    return t(f"ab.segment_value.{key}") if key else str(value)


@renders(SegmentEffects)
def segment_effects_view(effects: SegmentEffects) -> Stack:
    """The lift of one metric per segment, and whether the segment lifts differ."""
    tab = effects.table
    mean_kind = metric_kind(effects.metric, effects.kind)
    lift_kind = "change" if effects.relative else DIFF_KINDS.get(mean_kind, mean_kind)
    frame = pd.DataFrame(
        {
            "ab_segment": [segment_value(v) for v in tab["segment"]],
            "ab_users": (tab["n_control"] + tab["n_treatment"]).to_numpy(),
            effects.control: tab["mean_control"].to_numpy(),
            effects.variant: tab["mean_treatment"].to_numpy(),
            "ab_lift": tab["lift"].to_numpy(),
            "ab_ci_low": tab["ci_low"].to_numpy(),
            "ab_ci_high": tab["ci_high"].to_numpy(),
            "ab_p": tab["p_value"].to_numpy(),
            "ab_p_bh": tab["p_bh"].to_numpy(),
        }
    )
    kinds = {effects.control: mean_kind, effects.variant: mean_kind}
    kinds.update({c: lift_kind for c in ("ab_lift", "ab_ci_low", "ab_ci_high")})
    if pd.isna(effects.q_p_value):
        verdict = t("ab.segments.untested")
    else:
        key = "differ" if effects.q_p_value < effects.alpha else "similar"
        verdict = t(f"ab.segments.{key}", q=effects.q, p=effects.q_p_value)
    title = t(
        "ab.segments.title",
        metric=metric_label(effects.metric),
        segment=_segment_word(effects.segment_col),
        variant=effects.variant,
        control=effects.control,
    )
    caption = t("ab.segments.caption", level=1 - effects.alpha, n=len(tab))
    table = Table(
        frame,
        kinds=kinds,
        caption=caption,
        value_columns=[effects.control, effects.variant],
        max_rows=30,
    )
    details = Details(t("ab.segments.details", segment=_segment_word(effects.segment_col)), table)
    return Stack.of(Heading(title), Paragraph(verdict), details)


def segments_view(readout: Readout, segments: SegmentInputs) -> Stack:
    """Which segments were available, then the per-segment effects of the primary metrics
    (a Note instead of the effects when the readout is invalid)."""
    parts = [segment_inputs_view(segments)]
    if is_invalid(readout):
        parts.append(invalid_note(readout, "segments"))
    elif not readout.segments:
        parts.append(Note(t("ab.segments.none")))
    else:
        parts.extend(segment_effects_view(e) for e in readout.segments)
    return Stack.of(*parts)
