"""Where the users of a sample-ratio mismatch are missing: what an invalid readout shows instead
of lifts.

:func:`srm_diagnosis_view` turns an :class:`~helpers.analysis.experiments.diagnosis.SrmDiagnosis`
into one sentence that names the short arm and where its users are missing (by assignment day,
platform and persona before the start), a table per dimension and, collapsed, the slices of
each dimension with the observed share of each arm against the design split.
"""

from __future__ import annotations

import pandas as pd

from helpers.analysis.experiments.diagnosis import DAY, SrmDiagnosis
from helpers.analysis.experiments.readout import Readout
from helpers.core import schema as S
from helpers.display.blocks import Details, Heading, Note, Paragraph, Stack
from helpers.display.messages import has
from helpers.display.table import Table
from helpers.display.text import t, tn
from helpers.sections.ab_readout import join_words
from helpers.sections.ab_segments import segment_value

__all__ = ["dimension_word", "diagnosis_sentence", "srm_diagnosis_view"]


def dimension_word(dimension) -> str:
    """A slicing dimension in words (``assigned_day`` -> "assignment day").

    Examples
    --------
    >>> dimension_word("assigned_day"), dimension_word("platform"), dimension_word("city")
    ('assignment day', 'platform', 'city')
    """
    key = f"ab.diagnosis.dimension.{dimension}"
    return t(key) if has(key) else str(dimension)


def _slice_word(dimension, value) -> str:
    return segment_value(value) if dimension == S.PERSONA else str(value)


def _where(diagnosis: SrmDiagnosis) -> tuple[list[str], bool]:
    """The phrase of each dimension, and whether any dimension locates the shortfall."""
    parts, located = [], False
    onset = diagnosis.onset
    for row in diagnosis.dimensions.to_dict("records"):
        dim = row["dimension"]
        word = dimension_word(dim)
        if dim == DAY and onset:
            kind = onset["kind"]
            located |= kind != "throughout"
            parts.append(
                t(
                    f"ab.diagnosis.day.{kind}",
                    first=onset["first_day"],
                    day=onset.get("day"),
                    before=onset.get("before"),
                    after=onset.get("after"),
                )
            )
        elif row["concentrated"] and row["carriers"]:
            located = True
            slices = join_words(_slice_word(dim, v) for v in row["carriers"])
            parts.append(t("ab.diagnosis.only", dimension=word, slices=slices))
        elif row["concentrated"]:
            located = True
            parts.append(t("ab.diagnosis.uneven", dimension=word))
        else:
            parts.append(t("ab.diagnosis.spread", dimension=word))
    return parts, located


def diagnosis_sentence(diagnosis: SrmDiagnosis) -> str:
    """One sentence: the short arm, by how much, and where its users are missing.

    Examples
    --------
    >>> from helpers.analysis.experiments.diagnosis import srm_diagnosis
    >>> u = pd.DataFrame({"variant": ["control"] * 600 + ["treatment"] * 400,
    ...                   "platform": ["ios", "android"] * 300 + ["ios"] * 300 + ["android"] * 100})
    >>> diagnosis_sentence(srm_diagnosis(u, dimensions=["platform"], day_col=None))
    'treatment is 33% short (200 of an expected 600 users are missing): only where platform is android.'
    """
    parts, _ = _where(diagnosis)
    return t(
        "ab.diagnosis.sentence",
        arm=diagnosis.short_arm,
        shortfall=diagnosis.shortfall,
        missing=round(diagnosis.missing),
        expected=round(diagnosis.expected),
        where=join_words(parts),
    )


def _dimensions_table(diagnosis: SrmDiagnosis) -> Table:
    parts, _ = _where(diagnosis)
    dims = diagnosis.dimensions
    frame = pd.DataFrame(
        {
            "ab_dimension": [dimension_word(d) for d in dims["dimension"]],
            "ab_slices": dims["slices"].to_numpy(),
            "ab_where": parts,
            "ab_p_slices": dims["p_value"].to_numpy(),
        }
    )
    return Table(frame, caption=t("ab.diagnosis.dimensions_caption"))


def _slices_table(diagnosis: SrmDiagnosis, dimension) -> Table:
    rows = diagnosis.table[diagnosis.table["dimension"] == dimension]
    arms = list(diagnosis.split)
    frame = pd.DataFrame({"ab_slice": [_slice_word(dimension, v) for v in rows["slice"]]})
    frame["ab_users"] = rows["users"].to_numpy()
    for arm in arms:
        frame[arm] = (rows[f"n_{arm}"] / rows["users"]).to_numpy()
    frame["ab_missing"] = rows["missing"].round().to_numpy()
    frame["ab_shortfall"] = rows["shortfall"].to_numpy()
    frame["ab_p_holm_slice"] = rows["p_holm"].to_numpy()
    frame["ab_carries"] = rows["carries"].to_numpy()
    caption = t(
        "ab.diagnosis.slices_caption",
        arm=diagnosis.short_arm,
        split=join_words(
            t("ab.check.variant_share", variant=v, share=s) for v, s in diagnosis.split.items()
        ),
    )
    return Table(
        frame,
        kinds={arm: "share" for arm in arms} | {"ab_missing": "count"},
        caption=caption,
        value_columns=arms,
        max_rows=120,
        keep="head",
    )


def srm_diagnosis_view(readout: Readout, diagnosis) -> Stack | Paragraph | Note:
    """Where the missing users are, when the sample-ratio check failed; one line otherwise.

    ``diagnosis`` is the readout's :class:`SrmDiagnosis` (or an Unavailable, shown as is).
    """
    health = readout.health
    if health is None or not health.srm_failed:
        return Paragraph(t("ab.diagnosis.not_needed"))
    if not diagnosis:
        return diagnosis
    _, located = _where(diagnosis)
    hint = t(
        "ab.diagnosis.hint.located" if located else "ab.diagnosis.hint.random",
        arm=diagnosis.short_arm,
    )
    details = [
        Details(
            tn("ab.diagnosis.details", int(n), dimension=dimension_word(d)),
            _slices_table(diagnosis, d),
        )
        for d, n in zip(diagnosis.dimensions["dimension"], diagnosis.dimensions["slices"])
    ]
    return Stack.of(
        Heading(t("ab.diagnosis.title")),
        Note(diagnosis_sentence(diagnosis), kind="warning"),
        Paragraph(hint),
        _dimensions_table(diagnosis),
        *details,
    )
