"""The tag rule language: parsing and checking rules before anything is evaluated.

The grammar lives here, below the config, so that ``persona.yaml`` is checked where it enters
(:func:`helpers.core.config.load_config`); evaluation over a feature table is
:mod:`helpers.analysis.segments.tags`. The language itself is documented there.
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from helpers.core.errors import ConfigError

__all__ = [
    "LAYERS",
    "ALLOWED",
    "FUNCTIONS",
    "TAG_PREFIX",
    "TAG_KEYS",
    "Tag",
    "parse_tags",
    "check_rule",
    "columns_used",
]

LAYERS = ("basic", "behaviour", "value")
TAG_KEYS = ("name", "layer", "rule", "description", "action", "owner", "channel")
TAG_PREFIX = "tag_"
ALLOWED = (
    "column names, numbers, strings, True/False, comparisons (== != < <= > >=), "
    "and/or/not, in [...] / not in [...], + - * /, quantile(p), quantile(col, p), "
    "isnull(col), notnull(col), between(col, lo, hi), log1p(x)"
)
FUNCTIONS = {
    "quantile": (1, 2),
    "isnull": (1, 1),
    "notnull": (1, 1),
    "between": (3, 3),
    "log1p": (1, 1),
}


@dataclass(frozen=True)
class Tag:
    """One declared tag: ``name`` (identifier), ``layer``, ``rule`` text, ``description``, and
    what the tag is for: the ``action`` taken on its users, its ``owner`` and the ``channel``
    (push, sms, email, coupon, in_app, ...). A tag without an action is flagged by the tag
    report: a tag that drives no action is decoration."""

    name: str
    layer: str
    rule: str
    description: str = ""
    action: str = ""
    owner: str = ""
    channel: str = ""

    @property
    def column(self) -> str:
        """Name of the tag's 0/1 column: ``tag_<name>``."""
        return TAG_PREFIX + self.name

    @property
    def label(self) -> str:
        return f"tag {self.name!r} (layer {self.layer})"


def parse_tags(tags: Iterable[Mapping[str, Any] | Tag]) -> list[Tag]:
    """Validate a ``tags:`` config section into :class:`Tag` objects (rules are not run here).

    Raises
    ------
    ConfigError
        Unknown or missing keys, an unknown layer, a name that is not an identifier, a
        duplicated name, or a rule that is not valid or not allowed (see the module docs).

    Examples
    --------
    >>> from helpers.analysis.segments.tags import DEFAULT_TAGS
    >>> [t.column for t in parse_tags(DEFAULT_TAGS)][:2]
    ['tag_new_user', 'tag_veteran']
    """
    if isinstance(tags, Mapping) or isinstance(tags, str):
        raise ConfigError(
            f"tags: expected a list of {{name, layer, rule, description}}, found {type(tags).__name__}."
        )
    out: list[Tag] = []
    seen: set[str] = set()
    for i, item in enumerate(tags):
        if isinstance(item, Tag):
            tag = item
        else:
            if not isinstance(item, Mapping):
                raise ConfigError(
                    f"tags[{i}]: expected a mapping with keys name, layer, rule, description; found {item!r}."
                )
            extra = set(item) - set(TAG_KEYS)
            missing = {"name", "layer", "rule"} - set(item)
            if extra or missing:
                raise ConfigError(
                    f"tags[{i}] ({item.get('name', '?')!r}): "
                    + (
                        f"unknown key(s) {sorted(extra)}"
                        if extra
                        else f"missing key(s) {sorted(missing)}"
                    )
                    + "; expected keys name, layer, rule and optionally description, action, "
                    "owner, channel."
                )
            tag = Tag(
                str(item["name"]),
                str(item["layer"]),
                str(item["rule"]),
                *(str(item.get(k) or "") for k in TAG_KEYS[3:]),
            )
        if not tag.name.isidentifier():
            raise ConfigError(
                f"tags[{i}]: name {tag.name!r} must be an identifier such as 'big_spender' (it becomes the column 'tag_<name>')."
            )
        if tag.layer not in LAYERS:
            close = difflib.get_close_matches(tag.layer, LAYERS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(
                f"tag {tag.name!r}: layer must be one of {list(LAYERS)}, but {tag.layer!r} was given{hint}."
            )
        if tag.name in seen:
            raise ConfigError(
                f"tag {tag.name!r} (layer {tag.layer}): the name is declared twice; tag names must be unique."
            )
        seen.add(tag.name)
        check_rule(tag)
        out.append(tag)
    return out


# --- the safe expression language -----------------------------------------------------------------
def _parse(tag: Tag) -> ast.Expression:
    try:
        return ast.parse(tag.rule.strip(), mode="eval")
    except SyntaxError as exc:
        where = f" at column {exc.offset}" if exc.offset else ""
        raise ConfigError(
            f"{tag.label}: rule {tag.rule!r} is not a valid expression ({exc.msg}{where})."
        ) from None


def _not_allowed(tag: Tag, what: str) -> ConfigError:
    return ConfigError(
        f"{tag.label}: rule {tag.rule!r} uses {what!r}, which is not allowed; allowed: {ALLOWED}."
    )


_BINOPS = (ast.Add, ast.Sub, ast.Mult, ast.Div)
_CMPOPS = (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn)


def check_rule(tag: Tag) -> ast.Expression:
    """Parse and whitelist-check a rule; returns the tree. Columns are checked later."""
    tree = _parse(tag)

    def check(node: ast.AST) -> None:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, (bool, int, float, str)):
                return
            raise _not_allowed(tag, ast.unparse(node))
        if isinstance(node, ast.Name):
            if node.id.startswith("__") or node.id in FUNCTIONS:
                raise _not_allowed(tag, node.id)
            return
        if isinstance(node, ast.BoolOp):
            for v in node.values:
                check(v)
            return
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.USub, ast.UAdd)):
            check(node.operand)
            return
        if isinstance(node, ast.BinOp) and isinstance(node.op, _BINOPS):
            check(node.left)
            check(node.right)
            return
        if isinstance(node, ast.Compare):
            if not all(isinstance(op, _CMPOPS) for op in node.ops):
                bad = next(op for op in node.ops if not isinstance(op, _CMPOPS))
                raise _not_allowed(
                    tag, {ast.Is: "is", ast.IsNot: "is not"}.get(type(bad), type(bad).__name__)
                )
            check(node.left)
            for op, comp in zip(node.ops, node.comparators):
                if isinstance(op, (ast.In, ast.NotIn)):
                    if not isinstance(comp, (ast.List, ast.Tuple)) or not all(
                        isinstance(e, ast.Constant)
                        or (isinstance(e, ast.UnaryOp) and isinstance(e.operand, ast.Constant))
                        for e in comp.elts
                    ):
                        raise ConfigError(
                            f"{tag.label}: rule {tag.rule!r}: 'in' / 'not in' needs a list of literals such as ['ios', 'android'], found {ast.unparse(comp)!r}."
                        )
                    for e in comp.elts:
                        check(e)
                else:
                    check(comp)
            return
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                raise _not_allowed(tag, ast.unparse(node.func))
            if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
                raise _not_allowed(tag, ast.unparse(node))
            lo, hi = FUNCTIONS[node.func.id]
            if not lo <= len(node.args) <= hi:
                raise ConfigError(
                    f"{tag.label}: rule {tag.rule!r}: {node.func.id}() takes "
                    f"{lo if lo == hi else f'{lo} or {hi}'} argument(s), {len(node.args)} given in {ast.unparse(node)!r}."
                )
            for a in node.args:
                check(a)
            return
        raise _not_allowed(tag, ast.unparse(node))

    check(tree.body)
    return tree


def columns_used(tree: ast.AST) -> list[str]:
    funcs = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and id(node) not in funcs and node.id not in names:
            names.append(node.id)
    return names


def has_bare_quantile(node: ast.AST) -> bool:
    return any(
        isinstance(n, ast.Call)
        and isinstance(n.func, ast.Name)
        and n.func.id == "quantile"
        and len(n.args) == 1
        for n in ast.walk(node)
    )
