"""Files the kit writes and reads back: atomic writes (a reader never sees half a file), and the
artifacts of one report read by a later one (a missing file is ``None``; an unreadable one is a
sentence naming it, never a parser traceback)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pandas as pd

from helpers.core import schema
from helpers.core.errors import DataError

__all__ = ["write_atomic", "read_artifact_csv", "read_artifact_json"]


def write_atomic(path: str | Path, data: bytes | str) -> Path:
    """Write ``data`` to ``path`` through a temporary file and a rename (never half a file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; reports are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        with _suppress():
            os.unlink(tmp)
        raise
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class _suppress:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return True


def read_artifact_csv(artifacts: str | Path, name: str) -> pd.DataFrame | None:
    """``<artifacts>/<name>`` written by an earlier report, user ids as text; None when missing.

    Raises
    ------
    DataError
        When the file exists but cannot be read as CSV (names the file and the report to re-run).

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / "x.csv").write_text("user_id,n\\n007,1\\n")
    >>> read_artifact_csv(d, "x.csv")["user_id"].tolist(), read_artifact_csv(d, "missing.csv")
    (['007'], None)
    """
    path = Path(artifacts) / name
    if not path.exists():
        return None
    try:
        return pd.read_csv(path, dtype={schema.USER_ID: str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(
            f"The artifact {path} cannot be read as CSV ({exc}); re-run the report that writes it."
        ) from None


def read_artifact_json(artifacts: str | Path, name: str) -> dict | list | None:
    """``<artifacts>/<name>`` written by an earlier report, parsed; None when missing.

    Raises
    ------
    DataError
        When the file exists but is not valid JSON.
    """
    path = Path(artifacts) / name
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(
            f"The artifact {path} is not valid JSON ({exc}); re-run the report that writes it."
        ) from None
