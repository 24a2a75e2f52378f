"""Read each configured source, map its columns to the canonical names, parse its times.

One function per step, all returning ibis expressions (nothing here pulls rows into pandas).
Errors are raised here, at the edge, as :class:`~helpers.core.errors.DataError` sentences that name
the file and the column, say what was expected and show a few of the values found.

Examples
--------
>>> from helpers.core.config import load_config
>>> from helpers.data import engine, storage, sources
>>> cfg = load_config("data/sample/persona.yaml")             # doctest: +SKIP
>>> con = engine.connect()                                   # doctest: +SKIP
>>> events = sources.read_table(con, cfg, "events")          # doctest: +SKIP
>>> events.columns[:4]                                       # doctest: +SKIP
('source', 'user_id', 'anonymous_id', 'event_time')
"""

from __future__ import annotations

import glob as _glob
import re
from dataclasses import dataclass
from pathlib import Path

import ibis
import ibis.expr.datatypes as dt

from helpers.core import schema
from helpers.core.config import Config, SourceConfig
from helpers.core.errors import DataError, EngineError
from helpers.data import engine, storage
from helpers.data.canonical import CANONICAL_TYPES, NUMERIC
from helpers.data.identifiers import ID_COLUMNS, identifier, text_value

# a UTC offset ends an ISO value only after a time part (T or space, then hh:mm...): the "-01"
# ending a date-only "2025-12-01" is the day, not an offset
ISO_OFFSET = r"[Tt ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s?(?:Z|z|[+-]\d{2}(?::?\d{2})?)$"
N_EXAMPLES = 3
TEXT_DIR = "utf8"  # in the cache folder: UTF-8 copies of CSV files in another `encoding`


def source_files(cfg: Config, table: str, label: str, src: SourceConfig) -> list[Path]:
    """The files a source's ``path`` (a file or a glob) names, checked for existence and format.

    A ``table:`` source (a table in the engine) has no files: ``[]``.
    """
    if src.path is None:
        return []
    pattern = str(cfg.resolve(src.path))
    if any(ch in pattern for ch in "*?["):
        files = sorted(Path(p) for p in _glob.glob(pattern, recursive=True))
        if not files:
            raise DataError(
                f"source '{label}' ({table}): the glob {src.path!r} matched no files "
                f"(looked for {pattern}); check the path in {cfg.config_path}"
            )
    else:
        files = [Path(pattern)]
        if not files[0].exists():
            raise DataError(
                f"source '{label}' ({table}): file {pattern} does not exist; "
                f"check `path` in {cfg.config_path}"
            )
    for f in files:
        file_format(f, src)
        if f.stat().st_size == 0:
            raise DataError(f"source '{label}' ({table}): file {f} is empty (0 bytes)")
    return files


def file_format(path: Path, src: SourceConfig) -> str:
    """``csv`` or ``parquet``, from ``format:`` or the extension; an unknown one is an error."""
    if src.format:
        return src.format
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes[-2:] == [".csv", ".gz"] or (suffixes and suffixes[-1] in (".csv", ".tsv")):
        return "csv"
    if suffixes and suffixes[-1] in (".parquet", ".pq"):
        return "parquet"
    raise DataError(
        f"file {path}: unknown extension {''.join(path.suffixes) or '(none)'!r}; expected "
        "one of .csv, .csv.gz, .tsv, .parquet (or set `format: csv|parquet` on the source)"
    )


def read_raw(
    con,
    files: list[Path],
    src: SourceConfig,
    *,
    label: str,
    table: str,
    stage_dir: Path | None = None,
    defer_empty_check: bool = False,
    text_dir: Path | None = None,
) -> ibis.Table:
    """The files as one ibis table with their own column names (CSV read as text).

    With ``stage_dir``, a CSV source is parsed once into Parquet there and read back, so the
    checks and the mapping that follow do not parse (and decompress) the text again. CSV text
    in an ``encoding`` other than UTF-8 is decoded into copies in ``text_dir`` (or ``stage_dir``).
    """
    if src.table is not None:  # a table already in the engine
        return storage.engine_table(con, src.table, label=label, table=table)
    fmt = file_format(files[0], src)
    paths = [str(f) for f in files]
    if fmt != "csv" and (src.encoding != "utf-8" or not src.header):
        raise DataError(
            f"source '{label}' ({table}): `encoding`, `header` and `names` describe CSV files, but "
            f"{paths[0]} is Parquet (its text is UTF-8 and its columns are named); remove them"
        )
    try:
        if fmt == "csv":
            try:
                raw = storage.read_csv_source(
                    con,
                    files,
                    encoding=src.encoding,
                    delimiter=src.delimiter,
                    names=src.names,
                    folder=text_dir or stage_dir,
                )
            except DataError as e:
                raise DataError(f"source '{label}' ({table}): {e}") from None
            check_duplicate_columns(raw, files, src, fmt=fmt, label=label, table=table)
            if stage_dir is not None and not defer_empty_check:
                staged = (
                    Path(stage_dir) / f"raw_{table}_{re.sub(r'[^A-Za-z0-9_]', '_', label)}.parquet"
                )
                storage.write_parquet(con, raw, staged)
                raw = storage.read_parquet(con, staged)
        else:
            raw = storage.read_parquet(con, paths)
            check_duplicate_columns(raw, files, src, fmt=fmt, label=label, table=table)
    except (EngineError, DataError):
        raise
    except Exception as e:  # the engine's own parse errors, re-said with the file name
        first = str(e).strip().splitlines()[0][:300]
        said = storage.explain_read_error(e) or (
            f"could not read {', '.join(paths[:3])} as {fmt}: {first}"
        )
        raise DataError(f"source '{label}' ({table}): {said}") from None
    if not defer_empty_check:
        check_not_empty(raw, label=label, table=table, paths=paths)
    return raw


def _ragged(cfg: Config, table: str, label: str, src: SourceConfig) -> str | None:
    """The first CSV line with a field count unlike its header's, over the source's files."""
    files = source_files(cfg, table, label, src) if src.path is not None else []
    if not files or file_format(files[0], src) != "csv":
        return None
    enc = src.encoding or "utf-8"
    return next((r for f in files if (r := storage.ragged_line(f, encoding=enc))), None)


def check_duplicate_columns(
    raw: ibis.Table, files: list[Path], src: SourceConfig, *, fmt: str, label: str, table: str
) -> None:
    """A mapped column named twice in a file's header is an error: engines read the first copy
    and rename the second (DuckDB: ``name_1``), so the mapping would miss it without a word.
    An unmapped duplicate is left to the engine's renaming."""
    if src.names is not None:  # the names are the config's own, checked distinct there
        return
    mapped = {canon: src.columns.get(canon, canon) for canon in CANONICAL_TYPES[table]}
    mapped.update(src.columns)
    for f in files:
        header = storage.header_names(
            f, fmt=fmt, encoding=src.encoding, delimiter=src.delimiter, n_columns=len(raw.columns)
        )
        for canon, col in mapped.items():
            at = [str(i + 1) for i, name in enumerate(header or []) if name == col]
            if len(at) > 1:
                raise DataError(
                    f"source '{label}' ({table}): column '{col}' ({canon}) appears {len(at)} times "
                    f"in the header of {f} (columns {', '.join(at)}) and only the first would be "
                    "read; rename the copies in the export so that each name is used once"
                )


def check_not_empty(t: ibis.Table, *, label: str, table: str, paths) -> None:
    if int(t.count().execute()) == 0:
        raise DataError(
            f"source '{label}' ({table}): {', '.join(str(p) for p in list(paths)[:3])} holds a header "
            "but no data rows"
        )


def _examples(expr: ibis.Table, bad: ibis.BooleanValue, col: str) -> str:
    engine.ordered_rows(expr)
    numbered = expr.mutate(_row=ibis.row_number() + 1)
    rows = numbered.filter(bad)[["_row", col]].limit(N_EXAMPLES).execute()
    return ", ".join(
        f"row {int(r)}: {(v.item() if hasattr(v, 'item') else v)!r}"
        for r, v in zip(rows["_row"], rows[col])
    )


def parse_time(
    raw: ibis.Table,
    col: str,
    src: SourceConfig,
    *,
    tz: str,
    label: str,
    canon: str,
    deferred: dict | None = None,
) -> ibis.Value:
    """Instants (timestamp UTC) from a raw time column, per ``time_format`` and ``timezone``.

    Raises DataError showing a few unparseable values and their row numbers. With ``deferred``
    (a dict), the check is not run here: ``deferred[(label, canon)]`` receives ``(bad, fail)``,
    a boolean expression and a function raising the error for a count, so the caller can count
    bad rows in the same pass that stages the data (see :func:`check_deferred`).
    """
    value = raw[col]
    typ = value.type()
    fmt = src.time_format
    src_tz = src.timezone or tz
    duck = engine.backend_name(raw) == "duckdb"

    def localize(naive):
        # in DuckDB the session timezone is UTC, so a naive UTC timestamp casts directly
        return (
            naive.cast(engine.TS_UTC)
            if (src_tz == "UTC" and duck)
            else engine.from_local(naive, src_tz)
        )

    if fmt in ("epoch_s", "epoch_ms"):
        num = (
            value.cast("string").try_cast(dt.float64)
            if not typ.is_numeric()
            else value.cast(dt.float64)
        )
        ms = num if fmt == "epoch_ms" else num * 1000.0
        parsed = engine.from_epoch_ms(ms.round().cast(dt.int64))  # (NULL in, NULL out)
    elif typ.is_timestamp():
        parsed = value.cast(engine.TS_UTC) if typ.timezone else localize(value)
    elif typ.is_date():
        parsed = localize(value.cast(dt.timestamp))
    elif typ.is_numeric() and fmt is None:
        sample = raw[[col]].limit(1).execute()[col].iloc[0].item()
        raise DataError(
            f"source '{label}': column '{col}' ({canon}) holds numbers such as {sample!r}; set "
            f"`time_format: epoch_s` or `epoch_ms` (or a pattern such as '%Y%m%d') for this source"
        )
    elif fmt not in (None, "iso"):
        text = engine.strip_text(value.cast("string"))
        naive = engine.try_strptime(text, fmt)
        parsed = naive.cast(engine.TS_UTC) if "%z" in fmt or "%Z" in fmt else localize(naive)
    else:
        text = engine.strip_text(value.cast("string"))
        aware = text.try_cast(engine.TS_UTC)  # naive text is read in the session timezone
        if src_tz == "UTC" and duck:  # which is UTC in DuckDB: one cast reads both kinds
            parsed = aware
        else:
            # decided per value, not on a sample: a value with an offset is that instant, one
            # without is wall-clock time in the source timezone (exports mix them, late rows too)
            parsed = ibis.ifelse(
                text.re_search(ISO_OFFSET), aware, localize(text.try_cast(dt.timestamp))
            )
    # the rare condition first: engines skip the rest of a conjunction on rows already false
    bad = parsed.isnull() & value.notnull() & (engine.strip_text(value.cast("string")) != "")
    expected = {
        "epoch_ms": "milliseconds since 1970-01-01 (epoch_ms)",
        "epoch_s": "seconds since 1970-01-01 (epoch_s)",
        None: "ISO 8601 text such as '2026-03-01 12:34:56' or '2026-03-01T04:34:56Z'",
        "iso": "ISO 8601 text such as '2026-03-01 12:34:56'",
    }.get(fmt, f"the pattern {fmt!r}")

    def fail(n_bad: int):
        raise DataError(
            f"source '{label}': column '{col}' ({canon}) has {n_bad:,} timestamps that are not "
            f"{expected}: {_examples(raw, bad, col)}; fix `time_format` for this source or the data"
        )

    if deferred is not None:
        deferred[(label, canon)] = (bad, fail)
        return parsed
    n_bad = raw.filter(bad).count().execute()
    if n_bad:
        fail(n_bad)
    return parsed


def _numeric(
    raw: ibis.Table, col: str, *, label: str, canon: str, deferred: dict | None = None
) -> ibis.Value:
    value = raw[col]
    if value.type().is_numeric():
        return value.cast(dt.float64)
    text = engine.strip_text(value.cast("string"))
    num = text.try_cast(dt.float64)
    # "NaN" is a number (the cleaning drops it as invalid), though ibis on Spark calls it null
    bad = num.isnull() & value.notnull() & (text != "") & ~num.isnan().fill_null(False)

    def fail(n_bad: int):
        raise DataError(
            f"source '{label}': column '{col}' ({canon}) must be numeric, but {n_bad:,} values are not: "
            f"{_examples(raw, bad, col)}"
        )

    if deferred is not None:
        deferred[(label, canon)] = (bad, fail)
        return num
    n_bad = raw.filter(bad).count().execute()
    if n_bad:
        fail(n_bad)
    return num


def map_source(
    raw: ibis.Table,
    table: str,
    src: SourceConfig,
    *,
    label: str,
    cfg: Config,
    deferred: dict | None = None,
) -> ibis.Table:
    """Rename a source's columns to the canonical names, parse times and numbers, add ``source``.

    Columns omitted from the mapping default to their canonical names. For ``users`` every other
    column is kept as an attribute. With ``deferred``, value checks (unparseable times,
    non-numeric amounts) become boolean ``__bad_<column>`` columns to be counted by
    :func:`check_deferred` once the table is staged, instead of separate passes over the data.
    """
    spec = schema.TABLES[table]
    found = list(raw.columns)
    mapping = dict(src.columns)
    for canon in spec["required"] + spec["optional"]:
        mapping.setdefault(canon, canon)
    missing = []
    required = list(spec["required"])
    if table == "events":
        # events need a user id or an anonymous id (stitched later)
        required = [schema.EVENT_TIME, schema.EVENT_NAME]
        if mapping[schema.USER_ID] not in found and mapping[schema.ANONYMOUS_ID] not in found:
            missing.append(
                f"{schema.USER_ID} (or {schema.ANONYMOUS_ID}) -> '{mapping[schema.USER_ID]}'"
            )
    for canon in required:
        if mapping[canon] not in found:
            missing.append(f"{canon} -> '{mapping[canon]}'")
    explicitly_mapped_missing = [
        f"{c} -> '{v}'"
        for c, v in src.columns.items()
        if v not in found and f"{c} -> '{v}'" not in missing
    ]
    missing += explicitly_mapped_missing
    ragged = _ragged(cfg, table, label, src) if missing and len(found) == 1 else None
    if ragged:
        raise DataError(f"source '{label}' ({table}): {ragged}; fix or remove that row")
    if missing:
        raise DataError(
            f"source '{label}' ({table}, {src.path or src.table}): mapped column(s) not found: {', '.join(missing)}. "
            f"Columns found in the file: {', '.join(found)}. Fix `columns:` for this source in "
            f"{cfg.config_path}"
        )
    out = {schema.SOURCE: ibis.literal(label)}
    for canon, typ in CANONICAL_TYPES[table].items():
        col = mapping.get(canon)
        if col not in found:
            out[canon] = ibis.null(typ)
        elif typ == engine.TS_UTC:
            out[canon] = parse_time(
                raw, col, src, tz=cfg.timezone, label=label, canon=canon, deferred=deferred
            )
        elif canon in NUMERIC:
            out[canon] = _numeric(raw, col, label=label, canon=canon, deferred=deferred)
        else:
            keep_raw = canon == schema.EVENT_NAME
            out[canon] = (
                identifier(raw[col])
                if canon in ID_COLUMNS
                else text_value(raw[col], keep_raw=keep_raw)
            )
    if table == "users":
        used = {mapping[c] for c in CANONICAL_TYPES["users"] if mapping.get(c) in found}
        for col in found:
            if col not in used and col not in out and col != "filename":
                out[col] = raw[col]
    if deferred is not None:
        for canon, typ in CANONICAL_TYPES[table].items():
            if typ == engine.TS_UTC or canon in NUMERIC:
                check = deferred.get((label, canon))
                out[BAD_PREFIX + canon] = check[0] if check else ibis.literal(False)
    return raw.select(**out)


BAD_PREFIX = "__bad_"


def check_deferred(staged: ibis.Table, deferred: dict) -> ibis.Table:
    """Count the ``__bad_*`` flags of a staged table in one pass; raise the first error found.

    Returns the staged table without the flag columns.
    """
    flags = [c for c in staged.columns if c.startswith(BAD_PREFIX)]
    counts = (
        staged.group_by(schema.SOURCE)
        .aggregate(_rows=staged.count(), **{c: staged[c].sum() for c in flags})
        .execute()
        .set_index(schema.SOURCE)
    )
    raise_deferred(counts, deferred)
    return staged.drop(*flags) if flags else staged


def raise_deferred(counts, deferred: dict) -> None:
    """Raise the first deferred error that per-source counts show.

    ``counts`` is indexed by source, with a column ``__bad_<column>`` per checked column
    holding how many rows did not parse. A source with no row at all fails its empty-file
    check (a header but no data rows).
    """
    for (label, what), (_, fail) in deferred.items():
        if what == "__rows__" and label not in set(counts.index):
            fail(0)
    for src, row in counts.iterrows():
        for c in [c for c in counts.columns if c.startswith(BAD_PREFIX)]:
            n = int(row[c] or 0)
            if n:
                _, fail = deferred[(src, c.removeprefix(BAD_PREFIX))]
                fail(n)


def read_table(
    con,
    cfg: Config,
    table: str,
    *,
    stage_dir: Path | None = None,
    deferred: dict | None = None,
    parts: bool = False,
    only: dict[str, list[Path]] | None = None,
):
    """All sources of one canonical table, mapped and (for events) unioned; None if not configured.

    With ``deferred``, value checks are left as ``__bad_*`` columns (see :func:`map_source`);
    with ``parts=True`` the mapped sources come back one by one (:class:`MappedSource`); with
    ``only`` (label -> files) only those files of those sources are read (incremental builds)."""
    mapped = []
    for t, label, src in cfg.source_items():
        if t != table or (only is not None and not only.get(label)):
            continue
        files = source_files(cfg, t, label, src) if only is None else list(only[label])
        # with deferred checks the text is parsed once, when the mapped table is staged; the
        # empty-file and value checks then run on the staged rows (see check_deferred)
        raw = read_raw(
            con,
            files,
            src,
            label=label,
            table=t,
            stage_dir=stage_dir,
            defer_empty_check=deferred is not None,
            text_dir=cfg.cache_path / TEXT_DIR,
        )
        if deferred is not None:
            deferred[(label, "__rows__")] = (
                None,
                lambda _n, _l=label, _t=t, _p=files, _r=raw: check_not_empty(
                    _r.limit(0), label=_l, table=_t, paths=_p
                ),
            )
        present = {
            canon
            for canon in CANONICAL_TYPES[t]
            if dict(src.columns).get(canon, canon) in raw.columns
        }
        mapped.append(
            MappedSource(
                label,
                map_source(raw, t, src, label=label, cfg=cfg, deferred=deferred),
                frozenset(present),
            )
        )
    if parts:
        return mapped
    if not mapped:
        return None
    return (
        mapped[0].table
        if len(mapped) == 1
        else ibis.union(*[m.table for m in mapped], distinct=False)
    )


@dataclass(frozen=True)
class MappedSource:
    """One source mapped to its canonical table, and which canonical columns its file holds."""

    label: str
    table: ibis.Table
    present: frozenset


def source_signature(cfg: Config) -> list[dict]:
    """Path, size and modification time of every source file (the cache key's data part)."""
    sig = []
    for table, label, src in cfg.source_items():
        if src.table is not None:  # engine tables: named only (rebuild the cache when they change)
            sig.append({"table": table, "source": label, "engine_table": src.table})
        for f in source_files(cfg, table, label, src):
            st = f.stat()
            sig.append(
                {
                    "table": table,
                    "source": label,
                    "path": str(f.resolve()),
                    "size": st.st_size,
                    "mtime_ns": st.st_mtime_ns,
                }
            )
    return sig
