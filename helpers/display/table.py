"""Tables as a report shows them: labelled headers, formatted values, cut when long, scrolling
when wide.

:class:`Table` is the only way a report shows a DataFrame. Headers come from
:func:`helpers.display.labels.label`; values from :func:`helpers.display.format.fmt` with the
column's kind; a table longer than ``max_rows`` shows its useful end and says how many rows are
left and where they are (an artifact file); every table sits in a box that scrolls sideways
instead of running off the page.

Headers that are values of the data (a pivot's persona names, cohort periods, variants) are not
labels: pass them as ``value_columns`` and they are shown as they are, marked ``pk-value``.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from helpers.display.format import fmt
from helpers.display.labels import kind_of, label, value_text
from helpers.display.text import tn

__all__ = ["Table", "WRAP_CLASS", "VALUE_CLASS", "COLLAPSE_ROWS"]

WRAP_CLASS = "pk-table-wrap"  # the sideways-scrolling box around every table
VALUE_CLASS = "pk-value"  # a header cell that is a value of the data, not a label
_WRAP_STYLE = "overflow-x:auto;max-width:100%"
#: A table with more rows than this is supporting material: it shows collapsed under its caption
#: (``<details>``), so the page reads as a brief and the analyst opens what they need.
COLLAPSE_ROWS = 12


@dataclass
class Table:
    """A DataFrame ready for a report.

    Parameters
    ----------
    data : pandas.DataFrame
        The rows to show. Its index is dropped unless ``index=True``.
    kinds : mapping, optional
        Kind per column where the catalog's kind does not fit (``{"mean": "money"}``).
    caption : str, optional
        A sentence above the table (already through :func:`~helpers.display.text.t`).
    note : str, optional
        A sentence under the table.
    max_rows : int
        Rows shown at most; the rest is counted in a line under the table.
    keep : {"head", "tail"}
        Which end of a long table to show: the first rows of a ranked table, the latest of a
        table over time.
    artifact : str, optional
        The artifact file holding every row (``"churn_risk.csv"``), named in the cut line.
    index : bool
        Show the index as the first column (its values as row headers).
    value_columns : sequence or True, optional
        Columns whose names are values of the data; ``True`` for all columns (a pivot).
    digits : mapping, optional
        Decimals per column where the kind's default does not fit.
    collapse : bool, optional
        Show the table collapsed under its caption; default: when it shows more than
        :data:`COLLAPSE_ROWS` rows.

    Examples
    --------
    >>> df = pd.DataFrame({"users": [1200.0, 35.0], "share": [0.97, 0.03]})
    >>> "1,200" in Table(df)._repr_html_() and "97.0%" in Table(df)._repr_html_()
    True
    """

    data: pd.DataFrame
    kinds: Mapping[str, str] = field(default_factory=dict)
    caption: str | None = None
    note: str | None = None
    max_rows: int = 20
    keep: str = "head"
    artifact: str | None = None
    index: bool = False
    value_columns: Sequence | bool = ()
    digits: Mapping[str, int] = field(default_factory=dict)
    collapse: bool | None = None

    def __post_init__(self):
        if self.keep not in ("head", "tail"):
            raise ValueError(
                f"The value for `keep` must be one of ['head', 'tail'], but "
                f"{self.keep!r} was passed."
            )

    @property
    def shown(self) -> pd.DataFrame:
        """The rows shown (all of them when the table is short)."""
        df = self.data
        if len(df) <= self.max_rows:
            return df
        return df.head(self.max_rows) if self.keep == "head" else df.tail(self.max_rows)

    def _is_value_column(self, col) -> bool:
        if self.value_columns is True:
            return True
        return col in set(self.value_columns or ())

    def _header(self, col) -> str:
        if self._is_value_column(col):
            return f"<th class='{VALUE_CLASS}'>{html.escape(value_text(str(col)))}</th>"
        return f"<th>{html.escape(label(col))}</th>"

    def _kind(self, col, values: pd.Series) -> str:
        if col in self.kinds:
            return self.kinds[col]
        if self._is_value_column(col):
            return kind_of(None, values)
        return kind_of(col, values)

    def cells(self) -> pd.DataFrame:
        """The shown rows as formatted text (what the HTML holds)."""
        shown = self.shown
        out = pd.DataFrame(index=shown.index)
        for col in shown.columns:
            kind = self._kind(col, shown[col])
            digits = self.digits.get(col)
            texts = [fmt(v, kind, digits=digits) for v in shown[col]]
            out[col] = [value_text(v) for v in texts] if kind == "text" else texts
        return out

    def _cut_line(self) -> str:
        n = len(self.data) - len(self.shown)
        if n <= 0:
            return ""
        text = (
            tn("table.more_rows", n, file=self.artifact)
            if self.artifact
            else tn("table.more_rows_not_shown", n)
        )
        return f"<p class='pk-note'>{html.escape(text)}</p>"

    def _repr_html_(self) -> str:
        cells = self.cells()
        kinds = {c: self._kind(c, self.shown[c]) for c in self.shown.columns}
        numeric = {
            c for c, k in kinds.items() if k not in ("text", "date", "bool", "month", "event")
        }
        head = ""
        if self.index:
            name = self.data.index.name
            head += f"<th>{html.escape(label(name))}</th>" if name is not None else "<th></th>"
        head += "".join(self._header(c) for c in cells.columns)
        rows = []
        for idx, row in cells.iterrows():
            first = (
                f"<th class='{VALUE_CLASS}' scope='row'>{html.escape(self._index_text(idx))}</th>"
                if self.index
                else ""
            )
            tds = "".join(
                f"<td class='{'num ' if c in numeric else ''}k-{kinds[c]}'>{html.escape(v)}</td>"
                for c, v in row.items()
            )
            rows.append(f"<tr>{first}{tds}</tr>")
        note = f"<p class='pk-note'>{html.escape(self.note)}</p>" if self.note else ""
        body = (
            f"<div class='{WRAP_CLASS}' style='{_WRAP_STYLE}'>"
            f"<table class='pk-table'><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>{self._cut_line()}{note}"
        )
        collapse = len(self.shown) > COLLAPSE_ROWS if self.collapse is None else self.collapse
        if collapse:
            n = len(self.data)
            summary = (
                tn("table.collapsed", n, caption=self.caption.rstrip(". "))
                if self.caption
                else tn("table.collapsed_plain", n)
            )
            return (
                f"<details class='pk-details'><summary class='pk-caption'>"
                f"{html.escape(summary)}</summary>{body}</details>"
            )
        caption = f"<p class='pk-caption'>{html.escape(self.caption)}</p>" if self.caption else ""
        return caption + body

    def _index_text(self, idx) -> str:
        name = self.data.index.name
        kind = self.kinds.get(name) if name is not None else None
        if kind:
            return fmt(idx, kind)
        return value_text(fmt(idx, "text"))
