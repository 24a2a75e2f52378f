"""Audiences a CRM imports, with a deterministic, hash-based holdout.

A user's group depends only on the campaign name and the user id: the first 8 bytes of
``sha256("<campaign>\\x1f<user_id>")`` read as a number in [0, 1); below the holdout share the
user is held out. So the same user and campaign always get the same group, on a rerun, with
another output file, or on another machine, and two campaigns hold out independent users.

Examples
--------
>>> holdout_groups(["u1", "u2", "u3"], "spring", 0.5).tolist() == holdout_groups(
...     ["u1", "u2", "u3"], "spring", 0.5).tolist()
True
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from helpers.core import schema as s
from helpers.core.errors import ParameterError

__all__ = ["AUDIENCE_COLUMNS", "hash_unit", "holdout_groups", "select_audience", "audience_rows"]

#: The columns of an audience file, in order.
AUDIENCE_COLUMNS = (s.USER_ID, s.PERSONA, "tags", s.CHURN_RISK_30D, s.GROUP)
TAG_PREFIX = "tag_"


def hash_unit(campaign: str, user_id: str) -> float:
    """The user's number in [0, 1) for this campaign.

    Examples
    --------
    >>> round(hash_unit("winback", "u000001"), 6)
    0.287369
    """
    digest = hashlib.sha256(f"{campaign}\x1f{user_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


def holdout_groups(user_ids, campaign: str, share: float) -> np.ndarray:
    """``treat`` or ``holdout`` per user id (``share`` in (0, 1))."""
    if not 0 < share < 1:
        raise ParameterError(
            f"The holdout share must be between 0 and 1 (such as 0.1), but {share!r} was passed."
        )
    units = np.fromiter((hash_unit(campaign, str(u)) for u in user_ids), dtype=float)
    return np.where(units < share, "holdout", "treat")


def select_audience(
    personas: pd.DataFrame,
    churn: pd.DataFrame | None,
    *,
    tag: str | None = None,
    persona: int | None = None,
    at_risk: bool = False,
    month: str = "",
) -> pd.DataFrame:
    """The rows of ``personas.csv`` (active users of the month with persona and tags) that make
    the audience: with the tag, in the persona, and/or at risk (status ``recoverable`` in
    ``churn_risk.csv``: high 30-day churn risk, still recently active).

    At least one of ``tag``, ``persona`` and ``at_risk`` is needed; together they intersect.
    """
    if tag is None and persona is None and not at_risk:
        raise ParameterError(
            "An audience needs --tag NAME, --persona N or --at-risk (they can be combined)."
        )
    rows = personas
    if tag is not None:
        col = TAG_PREFIX + tag
        if col not in personas.columns:
            names = sorted(
                c[len(TAG_PREFIX) :] for c in personas.columns if c.startswith(TAG_PREFIX)
            )
            raise ParameterError(
                f"--tag {tag!r}: the personas of {month} have no such tag; the tags are {names}."
            )
        rows = rows[rows[col].fillna(0).astype(int) == 1]
    if persona is not None:
        known = sorted(int(p) for p in personas[s.PERSONA].dropna().unique())
        if persona not in known:
            raise ParameterError(
                f"--persona {persona}: {month} has no persona {persona}; its personas are {known}."
            )
        rows = rows[rows[s.PERSONA] == persona]
    if at_risk:
        if churn is None or "status" not in churn.columns:
            raise ParameterError(
                f"--at-risk needs the churn report of {month} (artifacts/churn_risk.csv with a "
                "`status` column); run `persona-kit run --month "
                f"{month} --only 04_churn` first."
            )
        saved = set(churn.loc[churn["status"] == "recoverable", s.USER_ID].astype(str))
        rows = rows[rows[s.USER_ID].astype(str).isin(saved)]
    return rows


def audience_rows(
    rows: pd.DataFrame, churn: pd.DataFrame | None, *, campaign: str, holdout: float
) -> pd.DataFrame:
    """The audience file: ``user_id, persona, tags, churn_risk_30d, group`` (tags joined by
    ``;``), sorted by user id so the file's bytes do not depend on the input order."""
    tag_cols = [c for c in rows.columns if c.startswith(TAG_PREFIX)]
    flags = rows[tag_cols].fillna(0).astype(int).to_numpy() if tag_cols else None
    names = np.array([c[len(TAG_PREFIX) :] for c in tag_cols])
    tags = [";".join(names[f == 1]) for f in flags] if flags is not None else [""] * len(rows)
    out = pd.DataFrame(
        {
            s.USER_ID: rows[s.USER_ID].astype(str).to_numpy(),
            s.PERSONA: rows[s.PERSONA].to_numpy(),
            "tags": tags,
        }
    )
    if churn is not None and s.CHURN_RISK_30D in churn.columns:
        keyed = churn.assign(**{s.USER_ID: churn[s.USER_ID].astype(str)})
        risk = keyed.drop_duplicates(s.USER_ID).set_index(s.USER_ID)[s.CHURN_RISK_30D]
    else:
        risk = pd.Series(dtype=float)
    out[s.CHURN_RISK_30D] = out[s.USER_ID].map(risk).round(4)
    out[s.GROUP] = holdout_groups(out[s.USER_ID], campaign, holdout)
    return out.sort_values(s.USER_ID, kind="stable").reset_index(drop=True)[list(AUDIENCE_COLUMNS)]
