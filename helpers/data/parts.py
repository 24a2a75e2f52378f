"""Tables the cache keeps in parts, one or more files per build, so a build that only adds
files writes only the new rows.

A table kept in parts is a folder ``<name>.parquet/`` of files ``b<build>.<kind>[.<i>].parquet``
(folders of Spark part files on Spark): the cache's events (kinds ``id``: rows read with their
user id or with no id; ``anon``: rows read with only an anonymous id that the identity map tied
to a user; ``unmapped``: rows with only an anonymous id no identity maps yet. A first login
changes only the last, a remapped id the second), its staged orders and identity pairs. ``<name>_extra.parquet/`` holds further copies of rows an
earlier build stored: a row read again in a new file (an exact duplicate across two exports)
is not stored twice, its copies are added to the row's (:func:`fold_copies`).

Versions of a cache share the parts they have in common through hard links (:func:`link`).

Examples
--------
>>> part_name(3, "anon")
'b003.anon.parquet'
>>> bool(PART_NAME.match("b003.anon.1.parquet")), bool(PART_NAME.match("events.parquet"))
(True, False)
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import ibis

__all__ = ["PART_NAME", "EXTRA", "part_name", "list_parts", "fold_copies", "link"]

PART_NAME = re.compile(r"^b(\d{3})\.([a-z]+)(\.\d+)?\.parquet$")
EXTRA = "_extra"
#: In an ``_extra`` table every column but these equals a row of the table it adds copies to.
EXTRA_COUNT, EXTRA_FREE = "copies", ("drop_reason",)


def part_name(build: int, kind: str) -> str:
    """The file name of a build's part of one kind."""
    return f"b{build:03d}.{kind}.parquet"


def list_parts(path: Path, kinds: tuple[str, ...] | None = None) -> list[Path]:
    """The parts in a folder (of these ``kinds``, if given), in build order; [] if it is not
    one."""
    if not Path(path).is_dir():
        return []
    found = [(PART_NAME.match(p.name), p) for p in Path(path).iterdir()]
    return sorted(p for m, p in found if m and (kinds is None or m.group(2) in kinds))


def fold_copies(main: ibis.Table, extra: ibis.Table) -> ibis.Table:
    """``main`` with the ``copies`` of ``extra`` added to the rows they repeat: the rows whose
    columns other than ``copies`` and ``drop_reason`` are all equal (nulls equal too)."""
    key = [c for c in main.columns if c != EXTRA_COUNT and c not in EXTRA_FREE]
    more = extra.group_by(key).aggregate(_more=extra[EXTRA_COUNT].sum())
    j = main.left_join(more, [main[c].identical_to(more[c]) for c in key])
    added = (main[EXTRA_COUNT] + more._more.fill_null(0)).cast(main[EXTRA_COUNT].type())
    return j.select(*[main[c] if c != EXTRA_COUNT else added.name(c) for c in main.columns])


def link(src: Path, dst: Path) -> None:
    """``dst`` holding the same bytes as ``src`` (a file, or a folder of files): hard links
    where the file system allows them (versions of a cache share their unchanged files, no
    copy), else a copy."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    if src.is_dir():
        shutil.copytree(src, dst, copy_function=_link_or_copy)
    else:
        _link_or_copy(src, dst)


def _link_or_copy(src, dst) -> None:
    try:
        os.link(src, dst)
    except OSError:  # another file system, or one without hard links
        shutil.copy2(src, dst)
