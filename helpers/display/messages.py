"""The message catalogs: every user-visible word of the reports, by key, per language.

The catalogs are :mod:`helpers.display.catalog`: one module per part of the review, each with
``MESSAGES`` (key -> text) and ``COLUMNS`` (column name -> (label, kind)). Column labels are the
messages ``col.<name>``. A key or a column defined in two modules is an error. The only language
so far is English (``en``); a second language adds catalogs with the same keys.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from helpers.display import catalog as package

__all__ = ["LANGUAGES", "set_language", "language", "catalog", "columns", "has", "word"]

LANGUAGES = ("en",)
_settings = {"language": "en"}


def set_language(code: str) -> None:
    """Set the report language (``en``)."""
    if code not in LANGUAGES:
        raise ValueError(
            f"The value for `language` must be one of {list(LANGUAGES)}, but {code!r} was passed."
        )
    _settings["language"] = code


def language() -> str:
    """The report language."""
    return _settings["language"]


@cache
def _load() -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    messages: dict[str, str] = {}
    cols: dict[str, tuple[str, str]] = {}
    owner: dict[str, str] = {}
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for key, text in getattr(module, "MESSAGES", {}).items():
            if key in owner:
                raise RuntimeError(
                    f"The message key {key!r} is defined twice: in catalog "
                    f"{owner[key]!r} and in {info.name!r}."
                )
            owner[key] = info.name
            messages[key] = text
        for col, spec in getattr(module, "COLUMNS", {}).items():
            key = f"col.{col}"
            if key in owner:
                raise RuntimeError(
                    f"The column {col!r} is labelled twice: in catalog "
                    f"{owner[key]!r} and in {info.name!r}."
                )
            owner[key] = info.name
            label, kind = spec
            messages[key] = label
            cols[col] = (label, kind)
    return messages, cols


def catalog() -> dict[str, str]:
    """Every message of the report language, by key."""
    return dict(_load()[0])


def columns() -> dict[str, tuple[str, str]]:
    """Every labelled column: name -> (label, kind)."""
    return dict(_load()[1])


def has(key: str) -> bool:
    """Whether the catalog has a message ``key``."""
    return key in _load()[0]


def word(key: str) -> str:
    """The plain text of message ``key`` (no values to fill in).

    Raises
    ------
    KeyError
        When no catalog has the key.
    """
    messages = _load()[0]
    if key not in messages:
        raise KeyError(
            f"No message {key!r} in the {language()!r} catalog (helpers/display/catalog/)."
        )
    return messages[key]
