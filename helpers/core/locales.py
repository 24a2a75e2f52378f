"""Locale settings of a project: the report languages and the business timezone.

Kept apart from :mod:`helpers.core.config` (which re-exports them) so the config module stays
the schema of ``persona.yaml``.
"""

from __future__ import annotations

import zoneinfo

__all__ = ["REPORT_LANGUAGES", "normalize_language", "validate_timezone"]

#: The report languages: English and Simplified Chinese (zh-CN).
REPORT_LANGUAGES = ("en", "zh")
#: Spellings of the report languages that mean the same catalog.
_LANGUAGE_ALIASES = {
    "en": "en",
    "en-us": "en",
    "en-gb": "en",
    "zh": "zh",
    "zh-cn": "zh",
    "zh-hans": "zh",
    "zh-hans-cn": "zh",
}


def normalize_language(value):
    """The report language ``value`` spells (``zh-CN``, ``zh_Hans`` -> ``zh``), else ``value``.

    Examples
    --------
    >>> normalize_language("zh_CN"), normalize_language("EN"), normalize_language("fr")
    ('zh', 'en', 'fr')
    """
    return _LANGUAGE_ALIASES.get(str(value).strip().lower().replace("_", "-"), value)


#: Files of the system's zone database that are not zones an engine knows.
_SYSTEM_ZONE_FILES = frozenset({"localtime", "posixrules", "Factory"})


def validate_timezone(v: str) -> None:
    """An IANA zone name the engines know too: Python alone also opens system files such as
    ``posixrules`` or ``localtime``, which DuckDB and Spark do not."""
    try:
        zoneinfo.ZoneInfo(v)
        known = v in zoneinfo.available_timezones() and v not in _SYSTEM_ZONE_FILES
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        known = False
    if not known:
        raise ValueError(
            f"must be an IANA timezone name such as 'Asia/Shanghai' or 'UTC', but {v!r} was passed"
        )
