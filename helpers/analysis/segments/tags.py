"""Declarative user tags: rules over the feature table, in a small safe expression language.

Tags come from the ``tags:`` section of ``persona.yaml``, a list of
``{name, layer, rule, description, action, owner, channel}`` with ``layer`` one of ``basic``
(who the user is), ``behaviour`` (what they do) or ``value`` (what they are worth), and the
action the tag drives, its owner and channel (a tag without one is flagged by
:mod:`helpers.analysis.segments.tag_health`). :func:`evaluate_tags` turns
them into 0/1 columns ``tag_<name>``; :func:`tag_report` summarises coverage and overlap.
A tag's ``description`` is the config's own text (the defaults' are in :data:`DEFAULT_TAGS`).

The rule language
-----------------
A rule is one Python-like expression, parsed with :mod:`ast` and checked against a whitelist
before anything is evaluated (nothing is ever passed to ``eval``):

- column names of the feature table, numbers, strings, ``True``/``False``;
- comparisons ``== != < <= > >=`` (chains such as ``1 <= x < 5`` too), ``and``, ``or``, ``not``;
- ``col in [..]`` / ``col not in [..]`` with a list of literals; arithmetic ``+ - * /``;
- ``quantile(p)``: the ``p`` quantile of the column on the other side of the comparison
  (``revenue >= quantile(0.9)``); ``quantile(col, p)``; both over the evaluated population
  (the rows of the table passed in), NaN skipped, linear interpolation (``Series.quantile``);
- ``isnull(x)``, ``notnull(x)``, ``between(x, lo, hi)`` (inclusive), ``log1p(x)``.

Missing values: any comparison, ``in``/``not in`` or ``between`` involving NaN is false (0),
so ``recency_days > 60`` is 0 for non-buyers and so is ``recency_days <= 60``; ``not`` then
negates that 0 (``not recency_days > 60`` is 1 for non-buyers); use ``notnull(col)`` to be explicit.
``isnull``/``notnull`` are the only functions that look at missing values themselves. A numeric value
used as a condition (``joined_community and ...``) is true when non-zero and not NaN.

A rule naming a column absent from the table is an error (not a silent 0): tags over optional
columns (user attributes, ``share_<event>``) belong in a project's own config, and the defaults
(:data:`DEFAULT_TAGS`) only use columns every feature table has.
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from helpers.core.errors import ConfigError
from helpers.core.rules import (
    TAG_PREFIX,
    Tag,
    check_rule,
    columns_used,
    has_bare_quantile,
    parse_tags,
)

__all__ = ["DEFAULT_TAGS", "evaluate_tags", "TagReport", "tag_report"]

#: The default tag library: each tag with the action it drives, the team that owns the action
#: and the channel that reaches its users (push, sms, email, coupon, in_app).
DEFAULT_TAGS: list[dict[str, str]] = [
    # basic: who the user is (from columns every feature table has)
    {
        "name": "new_user",
        "layer": "basic",
        "rule": "tenure_days <= 28",
        "description": "First active or signed up within the last 28 days.",
        "action": "Guide them to a first purchase with an onboarding series.",
        "owner": "Growth team",
        "channel": "in_app",
    },
    {
        "name": "veteran",
        "layer": "basic",
        "rule": "tenure_days >= 365",
        "description": "With us for a year or more.",
        "action": "Thank them with an anniversary reward.",
        "owner": "CRM team",
        "channel": "coupon",
    },
    {
        "name": "active_this_week",
        "layer": "basic",
        "rule": "active_days_7 >= 1",
        "description": "Active at least once in the last 7 days.",
        "action": "Show them this week's new arrivals and events on the home page.",
        "owner": "Product team",
        "channel": "in_app",
    },
    # behaviour: what they do
    {
        "name": "high_activity",
        "layer": "behaviour",
        "rule": "active_days_28 >= 15",
        "description": "Active on 15 or more of the last 28 days.",
        "action": "Ask them to rate the app and share it with friends.",
        "owner": "Community team",
        "channel": "in_app",
    },
    {
        "name": "light_activity",
        "layer": "behaviour",
        "rule": "between(active_days_28, 1, 3)",
        "description": "Active on 1 to 3 of the last 28 days.",
        "action": "Send a weekly digest of picks for them to bring them back more often.",
        "owner": "CRM team",
        "channel": "email",
    },
    {
        "name": "intense_days",
        "layer": "behaviour",
        "rule": "active_days_28 >= 1 and events_per_active_day_28 >= quantile(0.9)",
        "description": "Top 10% by events per active day over the last 28 days.",
        "action": "Invite them to user research and ask what slows them down.",
        "owner": "Product team",
        "channel": "in_app",
    },
    {
        "name": "dormant_risk",
        "layer": "behaviour",
        "rule": "between(days_since_active, 8, 28)",
        "description": "Last active 8 to 28 days ago: slipping away.",
        "action": "Send a come-back push with what is new since their last visit.",
        "owner": "CRM team",
        "channel": "push",
    },
    {
        "name": "dormant",
        "layer": "behaviour",
        "rule": "days_since_active > 28",
        "description": "No activity for more than 28 days.",
        "action": "Send a win-back text message with a time-limited offer.",
        "owner": "CRM team",
        "channel": "sms",
    },
    {
        "name": "browser_not_buyer",
        "layer": "behaviour",
        "rule": "active_days_28 >= 4 and orders == 0",
        "description": "Active on 4+ of the last 28 days but has never bought.",
        "action": "Send a price-drop alert on the items they viewed.",
        "owner": "CRM team",
        "channel": "push",
    },
    {
        "name": "early_adopter",
        "layer": "behaviour",
        "rule": "new_features_28 >= 1",
        "description": "Used a feature launched in the last 8 weeks during the last 28 days.",
        "action": "Invite them to feature betas and ask for their feedback.",
        "owner": "Product team",
        "channel": "in_app",
    },
    # value: what they are worth
    {
        "name": "first_time_buyer",
        "layer": "value",
        "rule": "orders >= 1 and frequency == 0",
        "description": "Bought on exactly one day so far.",
        "action": "Send a second-order coupon within a week of the first order.",
        "owner": "CRM team",
        "channel": "coupon",
    },
    {
        "name": "repeat_buyer",
        "layer": "value",
        "rule": "frequency >= 1",
        "description": "Bought on two or more days.",
        "action": "Enrol them in the loyalty points programme.",
        "owner": "CRM team",
        "channel": "email",
    },
    {
        "name": "big_spender",
        "layer": "value",
        "rule": "revenue > 0 and revenue >= quantile(0.9)",
        "description": "Top 10% of users by total revenue (among the users evaluated).",
        "action": "Give them a VIP service contact and early access to new products.",
        "owner": "CRM team",
        "channel": "sms",
    },
    {
        "name": "high_aov",
        "layer": "value",
        "rule": "aov >= quantile(0.9)",
        "description": "Top 10% of buyers by average order value.",
        "action": "Recommend premium items and bundles to them.",
        "owner": "Product team",
        "channel": "in_app",
    },
    {
        "name": "lapsed_buyer",
        "layer": "value",
        "rule": "recency_days > 60",
        "description": "Bought before, but not in the last 60 days.",
        "action": "Send a restock reminder with a time-limited coupon.",
        "owner": "CRM team",
        "channel": "coupon",
    },
    {
        "name": "potential_payer",
        "layer": "value",
        "rule": "active_days_28 >= 8 and orders == 0",
        "description": "Active on 8+ of the last 28 days but has never paid.",
        "action": "Send a first-order coupon.",
        "owner": "Growth team",
        "channel": "coupon",
    },
    {
        "name": "loyal_fan",
        "layer": "value",
        "rule": "tenure_days >= 90 and active_days_28 >= 12 and frequency >= 2",
        "description": "With us 90+ days, active on 12+ of the last 28 days and bought on 3+ days.",
        "action": "Invite them to the community and the referral programme.",
        "owner": "Community team",
        "channel": "in_app",
    },
]


class _Evaluator:
    def __init__(self, tag: Tag, df: pd.DataFrame):
        self.tag, self.df = tag, df
        self.ref: pd.Series | None = None  # the column quantile(p) refers to

    def fail(self, msg: str) -> ConfigError:
        return ConfigError(f"{self.tag.label}: rule {self.tag.rule!r}: {msg}")

    def truth(self, v) -> pd.Series:
        if isinstance(v, pd.Series):
            if pd.api.types.is_bool_dtype(v):
                return v.fillna(False).astype(bool)
            if pd.api.types.is_numeric_dtype(v):
                return v.notna() & (v.fillna(0) != 0)
            raise self.fail(
                f"a condition must be true/false or a number, but it is text (e.g. {v.dropna().iloc[0] if v.notna().any() else None!r})."
            )
        if isinstance(v, (bool, np.bool_, int, float, np.number)):
            return pd.Series(bool(v) and not pd.isna(v), index=self.df.index)
        raise self.fail(f"a condition must be true/false or a number, but {v!r} was found.")

    def quantile(self, series, p) -> float:
        if not isinstance(p, (int, float)) or isinstance(p, bool) or not 0 <= p <= 1:
            raise self.fail(
                f"quantile p must be a number between 0 and 1, such as 0.9, but {p!r} was given."
            )
        if not isinstance(series, pd.Series) or not pd.api.types.is_numeric_dtype(series):
            raise self.fail("quantile() needs a numeric column.")
        return float(series.astype("float64").quantile(p))

    def compare(self, op, a, b):
        if isinstance(op, (ast.In, ast.NotIn)):
            if not isinstance(a, pd.Series):
                a = pd.Series([a] * len(self.df), index=self.df.index)
            hit = a.isin(b)
            res = hit if isinstance(op, ast.In) else ~hit
            return res & a.notna()
        fn = {
            ast.Eq: np.equal,
            ast.NotEq: np.not_equal,
            ast.Lt: np.less,
            ast.LtE: np.less_equal,
            ast.Gt: np.greater,
            ast.GtE: np.greater_equal,
        }[type(op)]
        try:
            res = fn(a, b)
        except TypeError:

            def kind(v):
                if isinstance(v, pd.Series):
                    return (
                        "numbers"
                        if pd.api.types.is_numeric_dtype(v)
                        else f"text (e.g. {v.dropna().iloc[0]!r})"
                        if v.notna().any()
                        else "empty values"
                    )
                return f"{type(v).__name__} {v!r}"

            raise self.fail(
                f"cannot compare {kind(a)} with {kind(b)}; compare text columns with quoted "
                "strings and numeric columns with numbers."
            ) from None
        if not isinstance(res, pd.Series):
            res = pd.Series(bool(res), index=self.df.index)
        for v in (a, b):
            if isinstance(v, pd.Series):
                res = res & v.notna()
            elif v is None or (isinstance(v, float) and np.isnan(v)):
                res = res & False
        return res.astype(bool)

    def ev(self, node: ast.AST):
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return self.df[node.id]
        if isinstance(node, ast.List) or isinstance(node, ast.Tuple):
            return [self.ev(e) for e in node.elts]
        if isinstance(node, ast.UnaryOp):
            v = self.ev(node.operand)
            if isinstance(node.op, ast.Not):
                return ~self.truth(v)
            return -v if isinstance(node.op, ast.USub) else +v
        if isinstance(node, ast.BoolOp):
            vals = [self.truth(self.ev(v)) for v in node.values]
            out = vals[0]
            for v in vals[1:]:
                out = (out & v) if isinstance(node.op, ast.And) else (out | v)
            return out
        if isinstance(node, ast.BinOp):
            a, b = self.ev(node.left), self.ev(node.right)
            if any(
                isinstance(v, str)
                or (isinstance(v, pd.Series) and not pd.api.types.is_numeric_dtype(v))
                for v in (a, b)
            ):
                raise self.fail(
                    f"arithmetic needs numbers, but {ast.unparse(node)!r} involves text."
                )
            op = type(node.op)
            if op is ast.Div:
                with np.errstate(divide="ignore", invalid="ignore"):
                    return a / b
            if op is ast.Add:
                return a + b
            return a - b if op is ast.Sub else a * b
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            values: list = [None] * len(operands)
            for i, o in enumerate(operands):
                if not has_bare_quantile(o):
                    values[i] = self.ev(o)
            for i, o in enumerate(operands):
                if has_bare_quantile(o):
                    neighbours = [
                        j
                        for j in (i - 1, i + 1)
                        if 0 <= j < len(operands) and not has_bare_quantile(operands[j])
                    ]
                    ref = next(
                        (values[j] for j in neighbours if isinstance(values[j], pd.Series)), None
                    )
                    if ref is None:
                        raise self.fail(
                            f"quantile(p) in {ast.unparse(o)!r} needs a column on the other side of the comparison (or use quantile(col, p))."
                        )
                    saved, self.ref = self.ref, ref
                    try:
                        values[i] = self.ev(o)
                    finally:
                        self.ref = saved
            out = None
            for i, op in enumerate(node.ops):
                r = self.compare(op, values[i], values[i + 1])
                out = r if out is None else (out & r)
            return out
        if isinstance(node, ast.Call):
            name, args = node.func.id, node.args
            if name == "quantile":
                if len(args) == 1:
                    if self.ref is None:
                        raise self.fail(
                            "quantile(p) is only allowed in a comparison with a column, such as 'revenue >= quantile(0.9)'."
                        )
                    return self.quantile(self.ref, self.ev(args[0]))
                return self.quantile(self.ev(args[0]), self.ev(args[1]))
            vals = [self.ev(a) for a in args]
            if name == "isnull":
                return (
                    vals[0].isna()
                    if isinstance(vals[0], pd.Series)
                    else self.truth(pd.isna(vals[0]))
                )
            if name == "notnull":
                return (
                    vals[0].notna()
                    if isinstance(vals[0], pd.Series)
                    else self.truth(not pd.isna(vals[0]))
                )
            if name == "between":
                return self.compare(ast.GtE(), vals[0], vals[1]) & self.compare(
                    ast.LtE(), vals[0], vals[2]
                )
            if name == "log1p":
                return np.log1p(vals[0])
        raise self.fail(
            f"cannot evaluate {ast.unparse(node)!r}."
        )  # pragma: no cover (whitelisted above)


def _evaluate_one(tag: Tag, df: pd.DataFrame) -> pd.Series:
    tree = check_rule(tag)
    available = [str(c) for c in df.columns]
    for name in columns_used(tree):
        if name not in df.columns:
            close = difflib.get_close_matches(name, available, n=3, cutoff=0.6)
            hint = f"close matches: {close}" if close else "no close match"
            raise ConfigError(
                f"{tag.label}: rule {tag.rule!r} uses column {name!r}, which is not in the feature "
                f"table; {hint}. Available columns: {available[:40]}{' ...' if len(available) > 40 else ''}."
            )
    ev = _Evaluator(tag, df)
    return ev.truth(ev.ev(tree.body)).astype("int64")


def evaluate_tags(features: pd.DataFrame, tags: Iterable[Mapping[str, Any] | Tag]) -> pd.DataFrame:
    """Evaluate tag rules on a feature table.

    Parameters
    ----------
    features : pandas.DataFrame
        The population to tag (e.g. :func:`helpers.analysis.features.user_features`); ``quantile`` in a
        rule is computed over exactly these rows.
    tags : list of dict or Tag
        The ``tags:`` config section (see :data:`DEFAULT_TAGS` and the module docs).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``features``, one int column ``tag_<name>`` (0/1) per tag, in config order.

    Examples
    --------
    >>> df = pd.DataFrame({"revenue": [0.0, 10.0, 200.0], "recency_days": [None, 90, 3]})
    >>> evaluate_tags(df, [{"name": "lapsed", "layer": "value", "rule": "recency_days > 60"}])["tag_lapsed"].tolist()
    [0, 1, 0]
    """
    parsed = parse_tags(tags)
    out = pd.DataFrame(index=features.index)
    for tag in parsed:
        out[tag.column] = _evaluate_one(tag, features)
    return out


# --- report ---------------------------------------------------------------------------------------
@dataclass
class TagReport:
    """Coverage and overlap of evaluated tags.

    Attributes
    ----------
    coverage : DataFrame
        One row per tag: ``tag``, ``layer``, ``users`` (tagged), ``share`` (of ``n_users``),
        ``description``, ``action``, ``owner``, ``channel``.
    overlap : DataFrame
        Pairwise Jaccard index |A and B| / |A or B| (tags x tags); NaN when neither tag has users.
    n_users : int
        Users evaluated.
    """

    coverage: pd.DataFrame
    overlap: pd.DataFrame
    n_users: int

    def pairs(self, *, top: int | None = None) -> pd.DataFrame:
        """The overlap as one row per pair of tags (``tag``, ``other_tag``, ``overlap``), the
        largest overlap first (ties by tag order); pairs whose overlap is undefined left out.

        Examples
        --------
        >>> flags = pd.DataFrame({"tag_a": [1, 1, 0, 0], "tag_b": [0, 1, 1, 0], "tag_c": [1, 0, 0, 0]})
        >>> tag_report(flags).pairs().values.tolist()
        [['a', 'c', 0.5], ['a', 'b', 0.3333333333333333], ['b', 'c', 0.0]]
        """
        names = list(self.overlap.index)
        rows = [
            (names[i], names[j], float(self.overlap.iloc[i, j]), i, j)
            for i in range(len(names))
            for j in range(i + 1, len(names))
            if pd.notna(self.overlap.iloc[i, j])
        ]
        out = pd.DataFrame(rows, columns=["tag", "other_tag", "overlap", "_i", "_j"])
        out = out.sort_values(["overlap", "_i", "_j"], ascending=[False, True, True])
        out = out.drop(columns=["_i", "_j"]).reset_index(drop=True)
        return out if top is None else out.head(top)

    def __repr__(self) -> str:
        return f"TagReport({len(self.coverage)} tags, {self.n_users} users)"


def tag_report(
    flags: pd.DataFrame, tags: Iterable[Mapping[str, Any] | Tag] | None = None
) -> TagReport:
    """Coverage and Jaccard overlap of the ``tag_<name>`` columns returned by :func:`evaluate_tags`.

    Examples
    --------
    >>> flags = pd.DataFrame({"tag_a": [1, 1, 0, 0], "tag_b": [0, 1, 1, 0]})
    >>> rep = tag_report(flags)
    >>> rep.coverage["share"].tolist(), float(rep.overlap.loc["a", "b"])
    ([0.5, 0.5], 0.3333333333333333)
    """
    cols = [c for c in flags.columns if str(c).startswith(TAG_PREFIX)]
    info = {t.name: t for t in parse_tags(tags)} if tags is not None else {}
    names = [c[len(TAG_PREFIX) :] for c in cols]
    x = flags[cols].fillna(0).astype(bool).to_numpy()
    n = len(flags)
    users = x.sum(axis=0)
    coverage = pd.DataFrame(
        {
            "tag": names,
            "layer": [info[nm].layer if nm in info else "" for nm in names],
            "users": users.astype("int64"),
            "share": users / n if n else np.full(len(names), np.nan),
            **{
                k: [getattr(info[nm], k) if nm in info else "" for nm in names]
                for k in ("description", "action", "owner", "channel")
            },
        }
    )
    xi = x.astype("int64")
    inter = xi.T @ xi
    union = users[:, None] + users[None, :] - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        jac = np.where(union > 0, inter / np.where(union > 0, union, 1), np.nan)
    overlap = pd.DataFrame(
        jac, index=pd.Index(names, name="tag"), columns=pd.Index(names, name="tag")
    )
    return TagReport(coverage=coverage, overlap=overlap, n_users=n)
