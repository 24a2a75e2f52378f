"""What the ``03_personas`` notebook shows: features, RFM segments, value, personas and tags.

The analyses (:mod:`helpers.analysis.features`, :mod:`helpers.analysis.segments`,
:mod:`helpers.analysis.value`) return data; this module says how each result shows
(``@renders``), with tables and blocks of :mod:`helpers.display` and the words of
``helpers/display/catalog/personas.py``, and holds the notebook's glue: which tag rules apply,
what the data lacks, and the tables written to ``artifacts/``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.analysis.features import SHARE_ENTRY, SHARE_PREFIX, FeatureDictionary
from helpers.analysis.segments.cards import PersonaCard, PersonaCards
from helpers.analysis.segments.clustering import KSelection, selection_reason
from helpers.analysis.segments.matching import PersonaMatch
from helpers.analysis.segments.personas import PersonaModel
from helpers.analysis.segments.rfm import RFMResult, RFMScorer
from helpers.analysis.segments.tags import DEFAULT_TAGS, TagReport
from helpers.analysis.value.fitting import FittedModel
from helpers.analysis.value.gamma_gamma import GammaGammaModel, IndependenceCheck
from helpers.analysis.value.per_user import GroupValue, ValueFit, value_by_group
from helpers.core import schema as s
from helpers.core.checks import require_columns
from helpers.display.blocks import Bullets, Callout, Note, Paragraph, Stack
from helpers.display.labels import is_labelled, label
from helpers.display.messages import has
from helpers.display.registry import renders
from helpers.display.table import Table
from helpers.display.text import t, tn

__all__ = [
    "DataNotes",
    "data_notes",
    "feature_preview",
    "TagRules",
    "tag_rules",
    "alignment_report",
    "rfm_segments",
    "rfm_value",
    "rfm_artifact",
    "personas_artifact",
    "artifact_list",
]


#: Pairs of tags shown in the overlap table (the most overlapping first).
TOP_TAG_PAIRS = 10


# --- what the data lacks ---------------------------------------------------------------------------
@dataclass
class DataNotes:
    """The optional inputs this review lacks: ``events``, ``orders``, ``users``, ``buyers``."""

    missing: list[str]


def data_notes(project, features: pd.DataFrame) -> DataNotes:
    """Which optional inputs are absent: no events, no orders, no users table, no buyers."""
    has_source = getattr(project, "has", lambda name: True)
    missing = [name for name in ("events", "orders", "users") if not has_source(name)]
    if s.FREQUENCY in features.columns and features[s.FREQUENCY].notna().sum() == 0:
        missing.append("buyers")
    return DataNotes(missing)


@renders(DataNotes)
def _data_notes(notes: DataNotes):
    if not notes.missing:
        return Paragraph(t("personas.inputs.complete"))
    return Bullets(
        [t(f"personas.inputs.{m}") for m in notes.missing], lead=t("personas.inputs.lead")
    )


# --- the feature table -----------------------------------------------------------------------------
def _whole(values: pd.Series) -> bool:
    x = pd.to_numeric(values, errors="coerce").dropna()
    return pd.api.types.is_numeric_dtype(values) and bool((x == np.round(x)).all())


def feature_preview(features: pd.DataFrame, *, n: int = 8, as_of=None) -> Table:
    """The first ``n`` rows of the user feature table; users-table attributes keep their names."""
    attributes = [c for c in features.columns if not is_labelled(c)]
    kinds = {c: "count" for c in attributes if _whole(features[c])}
    return Table(
        features.head(n),
        kinds=kinds,
        value_columns=attributes,
        caption=t(
            "personas.features.caption",
            shown=min(n, len(features)),
            users=len(features),
            as_of=as_of,
            columns=features.shape[1],
        ),
        max_rows=n,
    )


@renders(FeatureDictionary)
def _feature_dictionary(d: FeatureDictionary) -> Table:
    rows = pd.DataFrame(
        {
            "feature_column": d.table["column"].astype(str),
            "feature_header": [label(c) if is_labelled(c) else str(c) for c in d.table["column"]],
            "feature_definition": [
                t(f"personas.feature.{entry}", event=str(col)[len(SHARE_PREFIX) :])
                if entry == SHARE_ENTRY
                else t(f"personas.feature.{entry}")
                for col, entry in zip(d.table["column"], d.table["entry"])
            ],
        }
    )
    return Table(rows, caption=t("personas.features.dictionary"), max_rows=max(len(rows), 1))


# --- RFM -------------------------------------------------------------------------------------------
def rfm_segments(buyers: pd.DataFrame, *, segment_map: str = "rf_grid") -> RFMResult:
    """The buyers scored and segmented (:class:`RFMScorer` fitted on them); raises
    :class:`~helpers.core.errors.NotEnoughData` without a buyer."""
    return RFMScorer(segment_map=segment_map).fit(buyers).summarize(buyers)


def rfm_value(features: pd.DataFrame, result: RFMResult) -> GroupValue:
    """Customer value per RFM segment: the buyers' rows of ``features`` (with the value
    columns) joined with their segment."""
    segments = result.scores["rfm_segment"]
    return value_by_group(features.loc[segments.index].join(segments), "rfm_segment")


@renders(RFMResult)
def _rfm(result: RFMResult) -> Stack:
    map_key = f"personas.rfm.map.{result.segment_map_name}"
    tie_key = f"personas.rfm.tie_rule.{result.tie_rule}"
    grid = result.grid_table("users")
    return Stack.of(
        Table(
            result.segments,
            caption=t(
                "personas.rfm.caption",
                buyers=result.n_buyers,
                bins=result.bins,
                tie_rule=t(tie_key) if has(tie_key) else result.tie_rule,
                segment_map=t(map_key) if has(map_key) else result.segment_map_name,
            ),
            max_rows=max(len(result.segments), 1),
        ),
        Table(
            grid,
            index=True,
            value_columns=True,
            kinds={c: "count" for c in grid.columns},
            caption=t("personas.rfm.grid"),
        ),
    )


# --- customer value --------------------------------------------------------------------------------
def _model_name(model: FittedModel) -> str:
    key = "gamma_gamma" if isinstance(model, GammaGammaModel) else "bgnbd"
    return t(f"personas.value.model.{key}")


@renders(FittedModel)
def _fitted_model(model: FittedModel):
    if not hasattr(model, "log_likelihood_"):
        return Paragraph(t("personas.value.model.not_fitted", model=_model_name(model)))
    summary = model.summary
    table = pd.DataFrame(
        {
            "value_parameter": [str(p) for p in summary.index],
            "param_estimate": summary["coef"].to_numpy(),
            "param_se": summary["se"].to_numpy(),
            "ci_low": summary["lower 95%"].to_numpy(),
            "ci_high": summary["upper 95%"].to_numpy(),
        }
    )
    return Table(
        table,
        digits={c: 3 for c in ("param_estimate", "param_se", "ci_low", "ci_high")},
        caption=t(
            "personas.value.model.caption",
            model=_model_name(model),
            customers=model.n_customers_,
            penalizer=model.penalizer,
            loglik=model.log_likelihood_,
        ),
    )


@renders(IndependenceCheck)
def _independence(check: IndependenceCheck) -> Paragraph:
    key = "weak" if check.weak else "notable"
    return Paragraph(
        t(
            f"personas.value.independence.{key}",
            customers=check.n_customers,
            correlation=check.correlation,
        )
    )


@renders(ValueFit)
def _value_fit(fit: ValueFit) -> Stack:
    if not fit.fitted:
        return Stack.of(
            Note(t("personas.value.not_fitted", buyers=fit.n_buyers, reason=fit.error))
        )
    lines = [
        t(
            "personas.value.fitted",
            buyers=fit.n_buyers,
            penalizer=fit.penalizer,
            horizon=fit.horizon_months,
            rate=fit.discount_rate_monthly,
        )
    ]
    if fit.n_one_time:
        lines.append(tn("personas.value.one_time", fit.n_one_time))
    return Stack.of(Paragraph(" ".join(lines)), _fitted_model(fit.bg), _fitted_model(fit.gg))


@renders(GroupValue)
def _group_value(value: GroupValue) -> Table:
    key = f"personas.group.{value.group}"
    return Table(
        value.table,
        digits={"clv_total": 0, "mean_expected_purchases": 2},
        caption=t("personas.value.by_group", group=t(key) if has(key) else value.group),
        max_rows=max(len(value.table), 1),
    )


# --- how many personas -----------------------------------------------------------------------------
@renders(KSelection)
def _k_selection(sel: KSelection):
    reason = selection_reason(sel, text=t)
    if sel.chosen_by == "parameter" or sel.table.empty:
        return Paragraph(t("personas.k.caption_set", reason=reason, users=sel.n_users))
    table = sel.table.rename(columns={"eligible": "k_eligible", "chosen": "k_chosen"})
    return Table(
        table,
        caption=t(
            "personas.k.caption",
            reason=reason,
            users=sel.n_users,
            silhouette=sel.n_silhouette,
            sample=sel.n_sample,
        ),
        max_rows=max(len(table), 1),
    )


# --- the same personas as last month ---------------------------------------------------------------
def alignment_report(model: PersonaModel):
    """What the alignment did: the match with last month, or a note when there was none."""
    match = getattr(model, "alignment_", None)
    if match is not None:
        return match
    note = getattr(model, "alignment_note_", None)
    return Note(note or t("personas.alignment.not_called"), kind="info")


def _change_sentence(r) -> str:
    if r.status == "new":
        return t("personas.alignment.new", persona=r.persona, name=r.name, users=r.users)
    if r.status == "gone":
        return t("personas.alignment.gone", persona=r.persona, name=r.name, users=r.users_prev)
    renamed = bool(r.name_generated) and r.name_generated != r.name
    return t(
        "personas.alignment.drifted_renamed" if renamed else "personas.alignment.drifted",
        persona=r.persona,
        name=r.name,
        shift=r.centroid_shift,
        stayed=r.stayed_share,
        generated=r.name_generated,
    )


def _renamed(match: PersonaMatch) -> list[str]:
    """Kept personas, not drifted, whose generated name this month differs from the kept one."""
    t_ = match.table
    rows = t_[(t_["status"] == "kept") & ~t_["drifted"].astype(bool)]
    return [
        t("personas.alignment.renamed", persona=r.persona, name=r.name, generated=r.name_generated)
        for r in rows.itertuples(index=False)
        if r.name_generated and r.name_generated != r.name
    ]


@renders(PersonaMatch)
def _persona_match(match: PersonaMatch) -> Stack:
    tab = match.table
    status = tab["status"]
    kept = status == "kept"
    changes = [_change_sentence(r) for r in match.changes.itertuples(index=False)]
    renamed = _renamed(match)
    rows = pd.DataFrame(
        {
            "persona": [
                t("personas.card.title", persona=p, name=n)
                for p, n in zip(tab["persona"], tab["name"])
            ],
            "status": [t(f"personas.status.{x}") for x in status],
            "users": tab["users"].to_numpy(),
            "users_last_month": tab["users_prev"].to_numpy(),
            "member_overlap": tab["overlap"].to_numpy(),
            "members_kept": tab["kept_share"].to_numpy(),
            "members_stayed": tab["stayed_share"].to_numpy(),
            "centre_shift_sd": tab["centroid_shift"].to_numpy(),
            "persona_drifted": [bool(d) if k else None for d, k in zip(tab["drifted"], kept)],
        }
    )
    caption = t(
        "personas.alignment.caption",
        previous_month=match.previous_month,
        kept=int(kept.sum()),
        new=int((status == "new").sum()),
        gone=int((status == "gone").sum()),
    )
    return Stack.of(
        Paragraph(caption),
        Paragraph(match.rule) if match.rule else None,
        Bullets(changes, lead=t("personas.alignment.changes"))
        if changes
        else Paragraph(t("personas.alignment.none_changed")),
        Bullets(renamed) if renamed else None,
        Table(rows, digits={"centre_shift_sd": 2}, max_rows=max(len(rows), 1)),
    )


# --- cards -----------------------------------------------------------------------------------------
def _card_lines(c: PersonaCard) -> list[str]:
    sep = t("personas.item_separator")
    lines = [c.description]
    if c.subtitle and c.subtitle != c.name:  # an archetype name: its features as the subtitle
        lines.insert(0, t("personas.card.subtitle", features=c.subtitle))
    if c.revenue_share is None:
        lines.append(t("personas.card.size_no_revenue", users=c.users, user_share=c.user_share))
    else:
        lines.append(
            t(
                "personas.card.size",
                users=c.users,
                user_share=c.user_share,
                revenue_share=c.revenue_share,
            )
        )
    stands = [
        t(
            "personas.card.stand_share" if f.share else "personas.card.stand_number",
            label=f.label,
            mean=f.mean,
            overall=f.overall_mean,
            d=f.d,
        )
        for f in c.distinguishing
    ]
    if stands:
        lines.append(t("personas.card.stands_out", features=sep.join(stands)))
    events = [t("personas.card.event", event=e.event, share=e.share) for e in c.top_events[:3]]
    lines.append(
        t("personas.card.top_events", events=t("personas.list_separator").join(events))
        if events
        else t("personas.card.no_events")
    )
    attrs = [
        t(
            "personas.card.attribute",
            attribute=attr,
            values=t("personas.list_separator").join(
                t(
                    "personas.card.attribute_value",
                    value=r.value,
                    share=r.share,
                    overall=r.overall_share,
                )
                for r in rows[:2]
            ),
        )
        for attr, rows in c.attributes.items()
    ]
    lines.append(
        t("personas.card.attributes", attributes=sep.join(attrs))
        if attrs
        else t("personas.card.no_attributes")
    )
    v = c.value
    if v.clv_per_user is None or not np.isfinite(v.clv_per_user):
        lines.append(t("personas.card.no_value"))
    else:
        lines.append(
            t(
                "personas.card.value",
                clv=v.clv_per_user,
                p_alive=v.mean_p_alive,
                purchases=v.mean_expected_purchases,
            )
        )
    lines.append(t("personas.card.action", text=c.action_text))
    return lines


def _action_name(action: str) -> str:
    key = f"personas.action.{action}.name"
    return t(key) if has(key) else action


@renders(PersonaCards)
def _persona_cards(cards: PersonaCards) -> Stack:
    table = cards.table
    summary = pd.DataFrame(
        {
            "persona": table["persona"].to_numpy(),
            "name": table["name"].to_numpy(),
            "users": table["users"].to_numpy(),
            "share_users": table["user_share"].to_numpy(),
            "share_revenue": table["revenue_share"].astype(float).to_numpy(),
            "clv_per_user": table["clv_per_user"].astype(float).to_numpy(),
            "mean_p_alive": table["mean_p_alive"].astype(float).to_numpy(),
            "recommended_action": [_action_name(a) for a in table["action"]],
        }
    )
    head = Paragraph(
        t(
            "personas.cards.caption",
            personas=len(cards.cards),
            users=cards.n_users,
            silhouette=cards.silhouette,
            reason=cards.reason,
        )
    )
    boxes = [
        Callout(t("personas.card.title", persona=c.persona, name=c.name), _card_lines(c))
        for c in cards.cards
    ]
    return Stack.of(
        head,
        Table(summary, caption=t("personas.cards.table"), max_rows=max(len(summary), 1)),
        *boxes,
    )


# --- tags ------------------------------------------------------------------------------------------
@dataclass
class TagRules:
    """The tag rules a review evaluates, and where they come from (``config`` or ``defaults``)."""

    rules: list[dict]
    source: str


def tag_rules(config) -> TagRules:
    """The tag rules of ``config.tags``, or :data:`~helpers.analysis.segments.tags.DEFAULT_TAGS`
    when it declares none."""
    declared = [
        tag.model_dump() if hasattr(tag, "model_dump") else dict(tag)
        for tag in (getattr(config, "tags", None) or [])
    ]
    if declared:
        return TagRules(declared, "config")
    return TagRules([dict(tag) for tag in DEFAULT_TAGS], "defaults")


@renders(TagRules)
def _tag_rules(rules: TagRules) -> Paragraph:
    if rules.source == "config":
        return Paragraph(tn("personas.tags.from_config", len(rules.rules)))
    return Paragraph(t("personas.tags.defaults", n=len(rules.rules)))


@renders(TagReport)
def _tag_report(report: TagReport) -> Stack:
    cov = report.coverage
    coverage = pd.DataFrame(
        {
            "tag_name": cov["tag"].to_numpy(),
            "tag_layer": [
                t(f"personas.layer.{x}") if has(f"personas.layer.{x}") else x for x in cov["layer"]
            ],
            "users": cov["users"].to_numpy(),
            "share": cov["share"].to_numpy(),
            "description": cov["description"].to_numpy(),
            "action": cov["action"].to_numpy(),
            "owner": cov["owner"].to_numpy(),
            "channel": cov["channel"].to_numpy(),
        }
    )
    pairs = report.pairs(top=TOP_TAG_PAIRS).rename(
        columns={"tag": "tag_name", "overlap": "tag_overlap"}
    )
    return Stack.of(
        Table(
            coverage,
            caption=t("personas.tags.caption", tags=len(cov), users=report.n_users),
            max_rows=max(len(coverage), 1),
        ),
        Table(pairs, caption=t("personas.tags.pairs", n=len(pairs))) if len(pairs) else None,
    )


# --- artifacts -------------------------------------------------------------------------------------
def rfm_artifact(buyers: pd.DataFrame, scores) -> pd.DataFrame:
    """``rfm.csv``: user_id, r_score, f_score, m_score, rfm_segment (``scores`` indexed like
    ``buyers``, or the :class:`RFMResult` holding them). Without RFM segments (no buyers:
    ``scores`` is falsy) the file has the columns and no row."""
    cols = ["r_score", "f_score", "m_score", "rfm_segment"]
    require_columns(buyers, [s.USER_ID], "rfm_artifact's `buyers`")
    scores = getattr(scores, "scores", scores)
    if not isinstance(scores, pd.DataFrame):
        return pd.DataFrame(columns=[s.USER_ID, *cols])
    require_columns(scores, cols, "rfm_artifact's `scores`")
    return pd.concat([buyers[[s.USER_ID]], scores[cols]], axis=1).reset_index(drop=True)


def personas_artifact(model: PersonaModel, active: pd.DataFrame, flags: pd.DataFrame):
    """``personas.csv``: user_id, persona, persona_name, then one 0/1 column per tag."""
    return pd.concat([model.assignments(active), flags], axis=1)


def artifact_list(paths: Iterable[Path | str]) -> Bullets:
    """The artifacts a notebook wrote, by file name."""
    return Bullets(sorted(Path(p).name for p in paths), lead=t("personas.artifacts.lead"))
