"""The message catalogs: every user-visible word of the reports, by key, per language.

English is the source language. Its messages are :mod:`helpers.display.catalog`: one module per
part of the review, each with ``MESSAGES`` (key -> text) and ``COLUMNS`` (column name ->
(label, kind)); column labels are the messages ``col.<name>``. A key or a column defined in two
modules is an error. The notebooks' markdown cells are English messages too: each cell carries
its key in ``metadata.persona_kit.key`` (see :func:`markdown_messages`).

Every other language is a set of gettext catalogs that translators edit with ordinary tools
(Poedit, Weblate, a text editor): ``helpers/display/locales/<locale>/LC_MESSAGES/<domain>.po``,
one domain per catalog module plus ``notebooks``. An entry's ``msgctxt`` is the key, its
``msgid`` the English text it translates and its ``msgstr`` the translation. An entry whose
``msgid`` is not the current English (the English changed since it was translated), or that is
marked fuzzy or empty, is not used: the English shows instead, and :func:`untranslated` lists the
key. ``python -m helpers.devtools update-catalogs`` writes the ``.po`` files from the English
(new keys added, translations kept, changed ones marked fuzzy); ``check-catalogs`` fails on any
untranslated key or on a translation whose placeholders differ from the English.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import string
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

from helpers.core.locales import REPORT_LANGUAGES
from helpers.display import catalog as package

__all__ = [
    "LANGUAGES",
    "LOCALES",
    "LOCALE_DIR",
    "set_language",
    "language",
    "locale",
    "html_lang",
    "catalog",
    "columns",
    "has",
    "word",
    "translate",
    "english_by_domain",
    "markdown_messages",
    "untranslated",
    "placeholders",
]

#: The report languages: ``en`` (the source) and ``zh`` (Simplified Chinese, zh-CN).
LANGUAGES = REPORT_LANGUAGES
#: Each language's Babel locale (formats, and the folder of its ``.po`` files).
LOCALES = {"en": "en", "zh": "zh_CN"}
#: Each language's tag for ``<html lang=...>``.
_HTML_LANG = {"en": "en", "zh": "zh-CN"}
LOCALE_DIR = Path(__file__).parent / "locales"
_settings = {"language": "en"}


def set_language(code: str) -> None:
    """Set the report language (``en`` or ``zh``).

    Examples
    --------
    >>> set_language("fr")
    Traceback (most recent call last):
    ValueError: The value for `language` must be one of ['en', 'zh'], but 'fr' was passed.
    """
    if code not in LANGUAGES:
        raise ValueError(
            f"The value for `language` must be one of {list(LANGUAGES)}, but {code!r} was passed."
        )
    _settings["language"] = code


def language() -> str:
    """The report language."""
    return _settings["language"]


def locale() -> str:
    """The Babel locale of the report language (``en``, ``zh_CN``)."""
    return LOCALES[_settings["language"]]


def html_lang() -> str:
    """The report language as an HTML ``lang`` tag (``en``, ``zh-CN``)."""
    return _HTML_LANG[_settings["language"]]


@cache
def _english() -> tuple[dict[str, str], dict[str, tuple[str, str]], dict[str, str]]:
    """(messages, columns, domain of each key) of the English source catalogs."""
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
    return messages, cols, owner


@cache
def _translations(code: str) -> dict[str, tuple[str, str]]:
    """key -> (English it translates, translation) of language ``code``'s ``.po`` files."""
    folder = LOCALE_DIR / LOCALES[code] / "LC_MESSAGES"
    out: dict[str, tuple[str, str]] = {}
    for po in sorted(folder.glob("*.po")):
        with po.open("rb") as fh:
            entries = read_po(fh, locale=LOCALES[code], domain=po.stem)
        for message in entries:
            if message.id and message.context and message.string and not message.fuzzy:
                out[message.context] = (str(message.id), str(message.string))
    return out


def translate(key: str, english: str, code: str | None = None) -> str:
    """``english`` (the source text of message ``key``) in the report language.

    The translation is used only when it was made from this very English text; otherwise the
    English shows (and :func:`untranslated` lists the key).
    """
    code = code or _settings["language"]
    if code == "en":
        return english
    found = _translations(code).get(key)
    return found[1] if found is not None and found[0] == english else english


def catalog() -> dict[str, str]:
    """Every message of the report language, by key."""
    return {key: translate(key, text) for key, text in _english()[0].items()}


def columns() -> dict[str, tuple[str, str]]:
    """Every labelled column: name -> (label in the report language, kind)."""
    return {
        col: (translate(f"col.{col}", label), kind) for col, (label, kind) in _english()[1].items()
    }


def has(key: str) -> bool:
    """Whether the catalog has a message ``key``."""
    return key in _english()[0]


def word(key: str) -> str:
    """The plain text of message ``key`` in the report language (no values filled in).

    Raises
    ------
    KeyError
        When no catalog has the key.
    """
    messages = _english()[0]
    if key not in messages:
        raise KeyError(
            f"No message {key!r} in the catalogs (helpers/display/catalog/); add it there "
            "and run `python -m helpers.devtools update-catalogs`."
        )
    return translate(key, messages[key])


def english_by_domain() -> dict[str, dict[str, str]]:
    """The English messages grouped by catalog module (a ``.po`` domain): domain -> key -> text."""
    messages, _, owner = _english()
    out: dict[str, dict[str, str]] = {}
    for key, text in messages.items():
        out.setdefault(owner[key], {})[key] = text
    return out


def markdown_messages(folder: str | Path) -> dict[str, str]:
    """The markdown cells of the notebooks in ``folder`` as messages: key -> English text.

    Raises
    ------
    ValueError
        A markdown cell without a key, or a key used twice.
    """
    out: dict[str, str] = {}
    for path in sorted(Path(folder).glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        for i, cell in enumerate(nb["cells"]):
            if cell["cell_type"] != "markdown":
                continue
            key = cell.get("metadata", {}).get("persona_kit", {}).get("key")
            if not key:
                raise ValueError(
                    f"{path}: markdown cell {i} has no `metadata.persona_kit.key`; run "
                    "`python -m helpers.devtools key-markdown` to give every cell one."
                )
            if key in out:
                raise ValueError(f"{path}: the markdown key {key!r} is used twice.")
            out[key] = "".join(cell["source"])
    return out


def untranslated(code: str, english: dict[str, str] | None = None) -> list[str]:
    """Keys of ``english`` (default: every catalog message) with no current ``code`` entry."""
    english = _english()[0] if english is None else english
    found = _translations(code)
    return sorted(k for k, text in english.items() if found.get(k, ("", ""))[0] != text)


def placeholders(text: str) -> list[str]:
    """The ``{name:spec}`` fields of a message, sorted (a translation must keep them all).

    Examples
    --------
    >>> placeholders("{n:count} users ({share:share}) in {name}")
    ['n:count', 'name', 'share:share']
    """
    return sorted(
        field if spec is None else f"{field}:{spec}" if spec else field
        for _, field, spec, _ in string.Formatter().parse(text)
        if field is not None
    )
