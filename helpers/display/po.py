"""The translators' files: write the ``.po`` catalogs from the English, and check them.

``python -m helpers.devtools update-catalogs`` calls :func:`update_catalogs`: for every language
but English and every domain (a catalog module, plus ``notebooks`` for the markdown cells), the
``.po`` file gets an entry per key (``msgctxt`` key, ``msgid`` English). Translations of an
unchanged English text are kept; a changed English text keeps its old translation marked
``fuzzy`` (unused until a translator confirms it); keys that are gone are dropped. Babel reads
and writes the files. ``check-catalogs`` (and the tests) call :func:`catalog_problems`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from helpers.display.messages import (
    LANGUAGES,
    LOCALE_DIR,
    LOCALES,
    english_by_domain,
    markdown_messages,
    placeholders,
)

__all__ = ["NOTEBOOK_DOMAIN", "english_domains", "update_catalogs", "catalog_problems"]

#: The domain of the notebooks' markdown cells.
NOTEBOOK_DOMAIN = "notebooks"
_EPOCH = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)  # fixed dates: a rewrite changes no header


def english_domains(notebooks: str | Path) -> dict[str, dict[str, str]]:
    """domain -> key -> English text: the catalog modules and the notebooks' markdown."""
    domains = english_by_domain()
    domains[NOTEBOOK_DOMAIN] = markdown_messages(notebooks)
    return domains


def _po_path(code: str, domain: str) -> Path:
    return LOCALE_DIR / LOCALES[code] / "LC_MESSAGES" / f"{domain}.po"


def _read(path: Path, code: str, domain: str) -> Catalog:
    if not path.exists():
        return Catalog(locale=LOCALES[code], domain=domain)
    with path.open("rb") as fh:
        return read_po(fh, locale=LOCALES[code], domain=domain)


def update_catalogs(notebooks: str | Path, domains: tuple[str, ...] = ()) -> list[str]:
    """Rewrite each language's ``.po`` files from the English; returns what changed, in words.

    Only files with a new, changed or dropped message are written, and with ``domains`` only
    those domains, so two people updating different catalogs do not overwrite each other.
    """
    said = []
    for code in LANGUAGES:
        if code == "en":
            continue
        for domain, english in english_domains(notebooks).items():
            if domains and domain not in domains:
                continue
            path = _po_path(code, domain)
            old = {m.context: m for m in _read(path, code, domain) if m.id and m.context}
            new = Catalog(
                locale=LOCALES[code],
                domain=domain,
                project="persona-kit",
                version=None,
                copyright_holder="the persona-kit contributors",
                msgid_bugs_address="https://github.com/persona-kit/persona-kit/issues",
                last_translator="persona-kit translators",
                language_team=f"{LOCALES[code]} (persona-kit)",
                header_comment=(
                    f"# {LOCALES[code]} messages of persona-kit, domain {domain!r}.\n"
                    "# msgctxt is the key, msgid the English it translates. Written by\n"
                    "# `python -m helpers.devtools update-catalogs`; edit only the msgstr lines."
                ),
                creation_date=_EPOCH,
                revision_date=_EPOCH,
                fuzzy=False,
            )
            added = changed = 0
            for key, text in english.items():
                before = old.get(key)
                if before is None:
                    added += 1
                    new.add(text, "", context=key)
                elif str(before.id) == text:
                    new.add(text, before.string, context=key, flags=before.flags)
                else:
                    changed += 1
                    new.add(text, before.string, context=key, flags={"fuzzy"})
            dropped = len(set(old) - set(english))
            if path.exists() and not (added or changed or dropped):
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("wb") as fh:
                write_po(fh, new, width=99, omit_header=False, sort_output=False)
            if added or changed or dropped:
                said.append(
                    f"{path}: {added} new, {changed} changed (marked fuzzy), {dropped} dropped"
                )
    return said


def catalog_problems(notebooks: str | Path, code: str) -> list[str]:
    """Every key of language ``code`` without a usable translation, or whose translation lost
    or added a placeholder, as one sentence each."""
    problems = []
    for domain, english in english_domains(notebooks).items():
        path = _po_path(code, domain)
        found = {m.context: m for m in _read(path, code, domain) if m.id and m.context}
        for key, text in english.items():
            entry = found.get(key)
            if entry is None or not entry.string:
                problems.append(f"{path}: {key!r} has no translation")
            elif str(entry.id) != text:
                problems.append(f"{path}: {key!r} translates an older English text")
            elif entry.fuzzy:
                problems.append(f"{path}: {key!r} is marked fuzzy (check it, then unmark)")
            elif domain != NOTEBOOK_DOMAIN and placeholders(entry.string) != placeholders(text):
                problems.append(
                    f"{path}: {key!r} has the fields {placeholders(entry.string)} but the "
                    f"English has {placeholders(text)}"
                )
    return problems
