"""Reading source files into the engine and writing the kit's cached tables.

CSV and Parquet are read through the engine (DuckDB or Spark read local files; a warehouse reads
its own tables, ``table: db.events``); the cached tables are written as Parquet where the engine
can write files, else created as tables in the warehouse (:class:`CacheStore`).

CSV text that is not UTF-8 (``encoding: gb18030``) is decoded here, in Python, into a UTF-8
copy the engine reads: DuckDB reads only UTF-8 and UTF-16 itself, and its ``encodings``
extension would be a download at run time. Bytes that are not valid in the expected encoding
are reported with their offset, their line and the encoding the text does read as.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import os
import re
import shutil
import tempfile
from pathlib import Path

import ibis
import pyarrow.parquet as pq

from helpers.core.errors import DataError, EngineError
from helpers.data import parts
from helpers.data.engine import FILE_BACKENDS, TS_UTC, backend_name

__all__ = [
    "read_csv",
    "read_csv_source",
    "utf8_copy",
    "check_text",
    "explain_read_error",
    "header_names",
    "read_parquet",
    "write_parquet",
    "engine_table",
    "remove",
    "write_split",
    "CacheStore",
]

TEXT_CHUNK = 1 << 20  # bytes decoded at a time: exports can be larger than memory
PREFIX_BYTES = 1 << 16  # checked before the engine reads a file: a wrong encoding shows early
HINT_BYTES = 1 << 15  # bytes either side of a bad one tried in other encodings
#: encodings DuckDB reads itself, by its own name for them (UTF-16 little-endian only)
DUCKDB_ENCODINGS = {"utf-8": None, "utf-16": "utf-16", "utf-16-le": "utf-16"}
#: DuckDB's sentence for text that is not in the encoding it was told, and the file it names
_ENGINE_BAD_TEXT = re.compile(r"not ([\w-]+) encoded")
_ENGINE_FILE = re.compile(r"^\s*file = (.+?)\s*$", re.MULTILINE)
_CJK = re.compile("[\u3000-\u9fff\uff00-\uffef]")


def read_csv(
    con,
    paths: list[str],
    *,
    delimiter: str | None = None,
    header: bool = True,
    encoding: str | None = None,
) -> ibis.Table:
    """CSV files as one table of text columns (types are parsed by the kit, with error rows).

    ``header=False`` names the columns by position (the engine's own names); ``encoding`` is
    passed to DuckDB, which knows only ``utf-16`` besides UTF-8 (see :func:`read_csv_source`).
    """
    name = backend_name(con)
    if name == "duckdb":
        kwargs = {"all_varchar": True, "header": header}
        if delimiter:
            kwargs["delim"] = delimiter
        if encoding:
            kwargs["encoding"] = encoding
        return con.read_csv(paths, **kwargs)
    if name == "pyspark":
        kwargs = {"inferSchema": False, "header": header}
        if delimiter:
            kwargs["sep"] = delimiter
        return con.read_csv(list(paths), **kwargs)
    try:
        return con.read_csv(paths)
    except NotImplementedError:
        raise EngineError(
            f"the {name} engine cannot read local CSV files ({paths[0]}); load them into the "
            "warehouse and use `table: schema.name` for this source"
        ) from None


def read_csv_source(
    con,
    files: list[Path],
    *,
    encoding: str = "utf-8",
    delimiter: str | None = None,
    names: list[str] | None = None,
    folder: Path | None = None,
) -> ibis.Table:
    """The CSV files of one source as text columns, decoded from ``encoding``.

    UTF-8 files are read as they are (their first bytes are checked here, so a wrong encoding
    gets a sentence before the engine fails on it); DuckDB reads UTF-16 little-endian itself;
    any other encoding is decoded into UTF-8 copies in ``folder`` (:func:`utf8_copy`; default: a
    folder in the system's temporary directory). With
    ``names`` the files have no header row and their columns take these names in order.
    """
    native = encoding == "utf-8" or (
        backend_name(con) == "duckdb"
        and encoding in DUCKDB_ENCODINGS
        and not any(_head(f, 2) == codecs.BOM_UTF16_BE for f in files)
    )
    if native:
        for f in files:
            check_text(f, encoding)
        paths = [str(f) for f in files]
    else:
        folder = folder or Path(tempfile.gettempdir()) / "persona-kit-utf8"
        paths = [str(utf8_copy(f, encoding, folder)) for f in files]
    raw = read_csv(
        con,
        paths,
        delimiter=delimiter,
        header=names is None,
        encoding=DUCKDB_ENCODINGS.get(encoding) if native else None,
    )
    if names is None:
        return raw
    if len(names) != len(raw.columns):
        raise DataError(
            f"file {files[0]} has {len(raw.columns)} columns but `names` lists {len(names)} "
            f"({', '.join(names)}); its first line is {first_line(files[0], encoding)!r}"
        )
    return raw.select(**{n: raw[c] for n, c in zip(names, raw.columns)})


def _open_bytes(path):
    """A file's bytes, gunzipped if it is gzip (by its magic number, as engines do)."""
    return gzip.open(path, "rb") if _raw_head(path, 2) == b"\x1f\x8b" else open(path, "rb")


def _raw_head(path, n: int) -> bytes:
    with open(path, "rb") as f:
        return f.read(n)


def _head(path, n: int) -> bytes:
    with _open_bytes(path) as f:
        return f.read(n)


class _BadBytes(Exception):
    """Where a file stops being valid text: byte offset, line, the bytes, text around them."""

    def __init__(self, offset: int, line: int, bad: bytes, around: bytes):
        super().__init__(offset)
        self.offset, self.line, self.bad, self.around = offset, line, bad, around


def _decoder(path, encoding: str, errors: str = "strict"):
    """An incremental decoder for a file; UTF-16 without a byte-order mark is little-endian
    (as Windows writes it and DuckDB reads it; Python's own would refuse it)."""
    if encoding == "utf-16" and _head(path, 2) not in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        encoding = "utf-16-le"
    return codecs.getincrementaldecoder(encoding)(errors=errors)


def _decoded(path, encoding: str, *, limit: int | None = None):
    """The text of a file in chunks (the first ``limit`` bytes only, if given).

    Raises :class:`_BadBytes` at the first byte that is not valid in ``encoding``.
    """
    dec = _decoder(path, encoding)
    pos = lines = 0
    with _open_bytes(path) as f:
        while limit is None or pos < limit:
            chunk = f.read(TEXT_CHUNK if limit is None else min(TEXT_CHUNK, limit - pos))
            state = dec.getstate()
            try:
                text = dec.decode(chunk, final=not chunk)
            except UnicodeDecodeError as e:  # e.object is the bytes held over, then the chunk
                held = len(state[0])
                before = _decoder(path, encoding, "replace")
                before.setstate(state)
                line = lines + before.decode(chunk[: max(0, e.start - held)]).count("\n") + 1
                lo = max(0, e.start - HINT_BYTES)
                around = e.object[lo : e.start + HINT_BYTES]
                if pos - held + lo > 0:  # start at a line, not inside a character
                    around = around[around.find(b"\n") + 1 :]
                raise _BadBytes(
                    pos - held + e.start, line, e.object[e.start : e.end], around
                ) from None
            lines += text.count("\n")
            pos += len(chunk)
            yield text
            if not chunk:
                return


def _reads_as(around: bytes, expected: str) -> str | None:
    """The encoding the bytes around a bad one decode in: utf-16 (a byte-order mark), utf-8,
    or gb18030 (only if that gives Chinese: it accepts many byte strings)."""
    boms = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    for enc in ["utf-16"] if around.startswith(boms) else ["utf-8", "gb18030"]:
        if codecs.lookup(enc).name == expected:
            continue
        try:  # (incremental: a character cut at the end of the window is not an error)
            text = codecs.getincrementaldecoder(enc)(errors="strict").decode(around)
        except UnicodeDecodeError:
            continue
        if enc != "gb18030" or _CJK.search(text):
            return enc
    return None


def _bad_text_sentence(path, encoding: str, bad: _BadBytes) -> str:
    shown = " ".join(f"0x{b:02x}" for b in bad.bad[:4])
    gz = " of the uncompressed text" if _raw_head(path, 2) == b"\x1f\x8b" else ""
    default = " (the default `encoding`)" if encoding == "utf-8" else ""
    alt = _reads_as(bad.around, encoding)
    hint = (
        f"it reads as {alt}: set `encoding: {alt}` on this source"
        if alt
        else "set `encoding:` on this source to the one the file was saved in (gb18030, utf-16...)"
    )
    return (
        f"file {path} is not valid {encoding} text{default}: {shown} at byte {bad.offset:,}{gz} "
        f"(line {bad.line:,}) cannot be decoded; {hint}"
    )


def check_text(path, encoding: str, *, limit: int | None = PREFIX_BYTES) -> None:
    """Raise a DataError sentence if the first ``limit`` bytes (None: all) are not ``encoding``."""
    try:
        for _ in _decoded(path, encoding, limit=limit):
            pass
    except _BadBytes as bad:
        raise DataError(_bad_text_sentence(path, encoding, bad)) from None


def explain_read_error(error: Exception) -> str | None:
    """The kit's sentence for an engine error about text not in its encoding (None if it is
    about something else, or the file decodes after all)."""
    said = _ENGINE_BAD_TEXT.search(str(error))
    file = _ENGINE_FILE.search(str(error))
    if not (said and file and Path(file.group(1)).is_file()):
        return None
    try:
        encoding = codecs.lookup(said.group(1)).name
    except LookupError:
        return None
    try:
        check_text(file.group(1), encoding, limit=None)
    except DataError as e:
        return str(e)
    return None


def utf8_copy(path, encoding: str, folder: Path) -> Path:
    """A UTF-8 copy of a CSV file in ``encoding``, written in ``folder`` once per version of the
    file (path, size, modification time) and streamed in chunks; older copies are removed."""
    path = Path(path).resolve()
    st = path.stat()
    of_path = hashlib.sha256(str(path).encode()).hexdigest()[:12]
    version = hashlib.sha256(f"{st.st_size}:{st.st_mtime_ns}:{encoding}".encode()).hexdigest()
    stem = re.sub(r"[^\w.-]", "_", path.name.split(".")[0])[:40]
    folder = Path(folder)
    out = folder / f"{stem}-{of_path}-{version[:12]}.csv"
    if out.exists():
        return out
    folder.mkdir(parents=True, exist_ok=True)
    part = folder / f".{out.name}.{os.getpid()}.part"
    try:
        with open(part, "w", encoding="utf-8", newline="") as w:
            started = False
            for text in _decoded(path, encoding):
                if not started and text:  # a byte-order mark is not part of the header
                    text, started = text.removeprefix("\ufeff"), True
                w.write(text)
    except _BadBytes as bad:
        part.unlink(missing_ok=True)
        raise DataError(_bad_text_sentence(path, encoding, bad)) from None
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    os.replace(part, out)
    for old in folder.glob(f"*-{of_path}-*.csv"):
        if old != out:
            old.unlink(missing_ok=True)
    return out


def first_line(path, encoding: str = "utf-8") -> str:
    """A CSV file's first line as text (undecodable bytes shown as U+FFFD), to show in errors."""
    text = _decoder(path, encoding, "replace").decode(_head(path, PREFIX_BYTES))
    return text.removeprefix("\ufeff").split("\n", 1)[0].rstrip("\r")


def ragged_line(path, *, encoding: str = "utf-8", delimiter: str | None = None) -> str | None:
    """The first line of a CSV file whose number of fields differs from its header's, as a
    sentence (``line 21 has 6 fields where the header has 4: 'o99,...'``), or None.

    A row with a field too many makes the engine's sniffer give up on the delimiter and read
    each whole line as one column, so the mapping finds none of its columns; this names the
    line instead. The header is split by ``delimiter`` or the first of ``, \\t ; |`` it holds.
    """
    head = first_line(path, encoding)
    sep = delimiter or next((c for c in (",", "\t", ";", "|") if c in head), ",")
    if len(sep) != 1:
        return None
    text = "".join(_decoder(path, encoding, "replace").decode(b) for b in _chunks(path))
    rows = csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=sep)
    width = None
    for rows_read, fields in enumerate(rows, start=1):
        if width is None:
            width = len(fields)
        elif fields and len(fields) != width:
            shown = sep.join(fields)
            shown = shown if len(shown) <= 120 else shown[:117] + "..."
            return (
                f"line {rows_read} of {path} has {len(fields)} fields where the header has "
                f"{width}: {shown!r}"
            )
    return None


def _chunks(path):
    with _open_bytes(path) as f:
        while chunk := f.read(TEXT_CHUNK):
            yield chunk


def header_names(
    path, *, fmt: str, encoding: str = "utf-8", delimiter: str | None = None, n_columns: int
) -> list[str] | None:
    """A file's column names as written, duplicates included (engines rename a second copy).

    CSV: the first line, split by ``delimiter`` or else by the one of ``, \\t ; |`` that gives
    the engine's ``n_columns``; None when no split does (the engine read it another way).
    """
    if fmt == "parquet":
        try:
            return list(pq.read_schema(path).names)
        except Exception:  # noqa: BLE001 - the engine reports unreadable files itself
            return None
    line = first_line(path, encoding)
    for sep in [delimiter] if delimiter else [",", "\t", ";", "|"]:
        fields = next(csv.reader([line], delimiter=sep)) if len(sep) == 1 else line.split(sep)
        if len(fields) == n_columns:
            return fields
    return None


def read_parquet(con, paths, *, table_name: str | None = None) -> ibis.Table:
    """Parquet files (or a Parquet directory) as one table; timestamps keep instant/local meaning.

    Spark maps both instant and wall-clock Parquet timestamps to one ibis type, so instants
    (Spark ``TIMESTAMP``) are re-typed as ``timestamp('UTC')`` here; wall-clock values
    (``TIMESTAMP_NTZ``) stay naive, as on DuckDB.
    """
    paths = [str(p) for p in paths] if isinstance(paths, (list, tuple)) else [str(paths)]
    name = backend_name(con)
    if name != "pyspark":
        return con.read_parquet(
            paths if len(paths) > 1 else paths[0],
            **({"table_name": table_name} if table_name else {}),
        )
    from pyspark.sql import types as pt

    session = con._session  # the ibis pyspark backend keeps its SparkSession here
    sdf = session.read.parquet(*paths)
    view = table_name or ibis.util.gen_name("read_parquet")
    sdf.createOrReplaceTempView(view)
    t = con.table(view)
    instants = [f.name for f in sdf.schema.fields if isinstance(f.dataType, pt.TimestampType)]
    return t.cast({c: TS_UTC for c in instants}) if instants else t


def write_parquet(
    con, expr: ibis.Table, path: str | Path, *, partition_by: str | None = None
) -> None:
    """Execute ``expr`` in the engine and write the rows as Parquet (a directory on Spark).

    With ``partition_by`` (a column), ``path`` is a folder of hive partitions
    (``path/<column>=<value>/``), the column itself left out of the files: see
    :func:`write_split`.

    An engine error about text not in its encoding (a bad byte deep in a CSV read lazily) is
    re-said as a DataError with the byte's offset and line (:func:`explain_read_error`).

    DuckDB under a memory cap can run out of memory in a wide aggregation even though it
    spills (each thread holds its own hash tables; measured: 1 run in 3 of ``user_day`` at
    21M events under 1 GB). Such a write is retried once on a single thread, which spills
    reliably, at about 1.5x the time.
    """
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    kwargs = {}
    if partition_by is not None:
        spelled = "partitionBy" if backend_name(con) == "pyspark" else "partition_by"
        kwargs[spelled] = [partition_by] if spelled == "partitionBy" else partition_by
    try:
        con.to_parquet(expr, str(path), **kwargs)
    except Exception as e:  # noqa: BLE001 - only DuckDB's out-of-memory error is retried
        bad_text = explain_read_error(e)  # a non-UTF-8 byte deep in a CSV fails only here
        if bad_text:
            raise DataError(bad_text) from None
        if backend_name(con) != "duckdb" or "Out of Memory" not in str(e):
            raise
        threads = con.raw_sql("SELECT current_setting('threads')").fetchall()[0][0]
        remove(Path(path))
        con.raw_sql("SET threads = 1")
        try:
            con.to_parquet(expr, str(path), **kwargs)
        finally:
            con.raw_sql(f"SET threads = {int(threads)}")


def remove(path: Path) -> None:
    """Remove a stored file or folder (Spark writes folders), if it is there."""
    shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)


def write_split(con, expr: ibis.Table, by: str, targets: dict[str, Path], *, work: Path) -> dict:
    """Write the rows of ``expr`` in one pass, each into the file named by its value of the
    column ``by`` (left out of the files): ``targets`` maps each value to a Parquet path.

    Returns ``{value: [paths written]}`` (a value without rows gets none; an engine writing
    several files for one value gets ``<stem>.<i>.parquet`` each). ``work`` is an empty folder
    to write the partitions into first.
    """
    remove(work)
    write_parquet(con, expr, work, partition_by=by)
    spark = backend_name(con) == "pyspark"  # a partition is a folder of part files there
    written: dict[str, list[Path]] = {}
    for value, target in targets.items():
        part = work / f"{by}={value}"
        if not part.is_dir():
            continue
        files = [part] if spark else sorted(part.glob("*.parquet"))
        stem = target.name.removesuffix(".parquet")
        outs = (
            [target]
            if len(files) == 1
            else [target.with_name(f"{stem}.{i}.parquet") for i in range(len(files))]
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        for f, out in zip(files, outs):
            os.replace(f, out)
        if outs:
            written[value] = outs
    remove(work)
    return written


def engine_table(con, ref: str, *, label: str, table: str) -> ibis.Table:
    """A table that already lives in the engine, named ``db.table`` (or ``catalog.db.table``)."""
    parts = ref.split(".")
    try:
        if len(parts) == 1:
            return con.table(parts[0])
        return con.table(parts[-1], database=tuple(parts[:-1]) if len(parts) > 2 else parts[0])
    except Exception as e:  # noqa: BLE001 - table not found, permissions
        first = str(e).strip().splitlines()[0][:200] if str(e).strip() else type(e).__name__
        raise DataError(
            f"source '{label}' ({table}): table {ref!r} is not readable in the {backend_name(con)} "
            f"engine ({first}); check `table:` for this source and the engine's database"
        ) from None


class CacheStore:
    """Where a cache's tables live: Parquet files in a folder (DuckDB, Spark), or tables
    created in the engine itself (warehouses reached by URL).

    Parameters
    ----------
    con : ibis backend
    folder : Path
        The cache folder (Parquet files; metadata JSON is always written here).
    key : str
        The cache key; names the engine tables of a warehouse cache (``persona_<key>_<name>``).
    """

    def __init__(self, con, folder: Path, key: str):
        self.con = con
        self.folder = Path(folder)
        self.key = key
        self.in_files = backend_name(con) in FILE_BACKENDS

    def _table_name(self, name: str) -> str:
        return f"persona_{self.key}_{name}"

    def path(self, name: str) -> Path:
        """The Parquet file (or folder of parts) of a stored table."""
        return self.folder / f"{name}.parquet"

    def parts(self, name: str) -> list[Path]:
        """The parts of a table kept in parts (``b000.id.parquet``...), in build order."""
        return parts.list_parts(self.path(name))

    def write(self, expr: ibis.Table, name: str) -> ibis.Table:
        """Materialize ``expr`` under ``name`` and return a table reading the stored rows."""
        if self.in_files:
            path = self.path(name)
            write_parquet(self.con, expr, path)
            return read_parquet(self.con, path, table_name=f"pk_{self.key}_{name}")
        self.drop(
            name
        )  # ibis' own overwrite/drop spelling is broken with sqlglot 30 (empty DROP TABLE)
        return self.con.create_table(self._table_name(name), expr)

    def open(self, name: str, *, extra_copies: bool = True) -> ibis.Table | None:
        """The stored table ``name``, or None if it was not written.

        A table kept in parts reads all of them; with ``extra_copies`` the copies its
        ``<name>_extra`` parts hold are added to the rows they repeat
        (:func:`helpers.data.parts.fold_copies`), so each distinct row is there once with all
        its copies. (Its kept rows, which do not depend on the copies, read faster without.)
        """
        if self.in_files:
            path = self.path(name)
            if not path.exists():
                return None
            t = read_parquet(self.con, self.parts(name) or path, table_name=name)
            extra = self.parts(name + parts.EXTRA) if extra_copies else []
            if extra:
                more = read_parquet(self.con, extra, table_name=name + parts.EXTRA)
                t = parts.fold_copies(t, more)
            return t
        try:  # (not list_tables: ibis 12's DuckDB listing calls an API DuckDB 2 removed)
            return self.con.table(self._table_name(name))
        except Exception:  # noqa: BLE001 - each backend raises its own "table not found"
            return None

    def drop(self, name: str) -> None:
        """Remove a stored intermediate table."""
        if self.in_files:
            remove(self.path(name))
        else:  # portable SQL (ibis' drop_table renders an empty DROP with sqlglot 30); the name is ours
            self.con.raw_sql(f"DROP TABLE IF EXISTS {self._table_name(name)}")
