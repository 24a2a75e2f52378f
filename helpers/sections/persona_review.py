"""Glue for the ``06_persona_review`` notebook: the month on one page.

- :func:`month_kpis` / :func:`kpi_review`: headline KPIs of the month and the month before
  (active users, stickiness, quick ratio, revenue per active user, churn-risk share), each with a
  one-sentence reading. Activity numbers are reductions of ``user_day`` (ibis), computed for both
  months with the same definitions as ``02_active_users`` so the change is like for like.
- :func:`action_list`: per persona, the recommended action, its size and its customer value, and
  the at-risk users it concerns (written to ``artifacts/at_risk_persona_<n>.csv``).
- :func:`experiment_lines`: each A/B readout of the month in one line.
- :func:`data_quality_status`: whether to trust the month, from the audit.

Every section degrades to a :class:`helpers.sections.active_users.Note` when its input artifact is
missing (no personas, no churn risk, no experiments, no previous month), so the notebook stays
linear. Reading artifacts happens in the ``read_*`` functions; the rest are pure.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.analysis.experiments.health import INVALID
from helpers.core import schema as s
from helpers.core.errors import DataError
from helpers.core.metrics import METRICS_DIR, METRICS_FILE, metrics_path, read_metrics
from helpers.core.time import month_bounds
from helpers.sections.active_users import Note

__all__ = [
    "AT_RISK_BANDS",
    "KPIS",
    "read_metrics_of",
    "read_json",
    "read_csv",
    "month_kpis",
    "kpi_review",
    "KpiReview",
    "action_list",
    "ActionList",
    "experiment_lines",
    "ExperimentLines",
    "data_quality_status",
    "QualityStatus",
    "persona_comparison",
    "flow_summary",
    "FlowSummary",
    "write_action_csvs",
    "record_review",
]

#: risk bands that put a user on the at-risk list (helpers.analysis.churn.risk bands)
AT_RISK_BANDS = ("high", "critical")
#: KPI key -> (label, display format, unit of the change: "pct" relative or "pp" points)
KPIS = {
    "active_users": ("Active users (calendar month)", "{:,.0f}", "pct"),
    "stickiness": ("Stickiness (mean DAU/MAU)", "{:.1%}", "pp"),
    "quick_ratio": ("Quick ratio (new + resurrected) / dormant", "{:.2f}", "pct"),
    "revenue_per_active_user": ("Revenue per active user", "{:,.2f}", "pct"),
    "churn_risk_share": ("Active users at high or critical churn risk", "{:.1%}", "pp"),
}


# --- reading artifacts (the edge) ------------------------------------------------------------------
def read_metrics_of(artifacts: str | Path) -> dict:
    """Headline numbers recorded in a month: ``artifacts/metrics/*.json`` (during a run), else
    ``artifacts/metrics.json``; ``{notebook: {key: {...}}}``, empty when there are none."""
    artifacts = Path(artifacts)
    files = sorted((artifacts / METRICS_DIR).glob("*.json"))
    if files:
        return {p.stem: read_metrics(p) for p in files}
    return read_metrics(artifacts / METRICS_FILE)


def read_json(artifacts: str | Path, name: str) -> dict | None:
    """``artifacts/<name>`` as a dict, or None when the file is missing."""
    path = Path(artifacts) / name
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataError(
            f"{path} is not valid JSON ({exc}); re-run the report that writes it."
        ) from exc


def read_csv(artifacts: str | Path, name: str) -> pd.DataFrame | None:
    """``artifacts/<name>`` as a DataFrame (user ids as text), or None when the file is missing."""
    path = Path(artifacts) / name
    return pd.read_csv(path, dtype={s.USER_ID: str}) if path.exists() else None


def read_experiments(artifacts: str | Path) -> list[dict]:
    """Every ``ab_<experiment>.json`` readout of a month, sorted by name."""
    return [
        json.loads(p.read_text(encoding="utf-8"))
        for p in sorted(Path(artifacts).glob("ab_*.json"))
    ]


# --- KPIs ------------------------------------------------------------------------------------------
def _revenue_and_actives(user_day, first: dt.date, last: dt.date) -> tuple[int, float]:
    t = user_day.filter((user_day[s.DAY] >= first) & (user_day[s.DAY] <= last))
    active = t.filter(t[s.UD_ACTIVE_EVENTS] > 0)
    n = int(active[s.USER_ID].nunique().execute())
    revenue = (
        float(t[s.UD_REVENUE].sum().execute() or 0.0)
        if s.UD_REVENUE in t.columns
        else float("nan")
    )
    return n, revenue


def churn_risk_share(churn_risk: pd.DataFrame | None) -> float:
    """Share of the users in ``churn_risk.csv`` whose band is high or critical (NaN without it).

    Examples
    --------
    >>> churn_risk_share(pd.DataFrame({"risk_band": ["low", "high", "critical", "medium"]}))
    0.5
    """
    if churn_risk is None or s.RISK_BAND not in churn_risk.columns or len(churn_risk) == 0:
        return float("nan")
    return float(churn_risk[s.RISK_BAND].isin(AT_RISK_BANDS).mean())


def month_kpis(
    user_day,
    *,
    month: str,
    churn_risk: pd.DataFrame | None = None,
    users: pd.DataFrame | None = None,
    windows=(1, 7, 28),
) -> dict:
    """The month's KPIs from ``user_day`` (ibis) and its ``churn_risk.csv``.

    ``active_users``: users active on at least one day of the calendar month; ``stickiness``:
    mean over the month's days of DAU / MAU (MAU = active in the ``windows[2]`` days to that
    day); ``quick_ratio``: (new + resurrecting) / dormant of the month (first-activity basis);
    ``revenue_per_active_user``: the month's purchase revenue / active users;
    ``churn_risk_share``: :func:`churn_risk_share` (NaN without ``churn_risk``).
    """
    from helpers.analysis import activity

    first, last = month_bounds(month)
    n, revenue = _revenue_and_actives(user_day, first, last)
    rolling = activity.rolling_active(user_day, start=first, end=last, windows=windows).daily
    lc = activity.lifecycle(user_day, period="month", start=first, end=last).periods
    row = lc[pd.to_datetime(lc["period_start"]).dt.date == first]
    return {
        "active_users": n,
        "stickiness": float(rolling["dau_mau"].mean()) if len(rolling) else float("nan"),
        "quick_ratio": float(row["quick_ratio"].iloc[0]) if len(row) else float("nan"),
        "revenue_per_active_user": revenue / n if n else float("nan"),
        "churn_risk_share": churn_risk_share(churn_risk),
    }


def _finite(x) -> bool:
    return x is not None and isinstance(x, (int, float, np.number)) and math.isfinite(float(x))


def _reading(key: str, value, previous, month: str, prev_month: str) -> str:
    label, fmt, unit = KPIS[key]
    if not _finite(value):
        return {
            "churn_risk_share": "No churn-risk scores this month (the 04_churn report did not run)."
        }.get(key, f"{label}: not available this month.")
    v = fmt.format(value)
    has_prev = _finite(previous)
    if has_prev and unit == "pct" and previous:
        change = (
            f"{(value - previous) / abs(previous):+.1%} vs {prev_month} ({fmt.format(previous)})"
        )
    elif has_prev and unit == "pp":
        change = f"{100 * (value - previous):+.1f} points vs {prev_month} ({fmt.format(previous)})"
    else:
        change = f"no comparison with {prev_month}"
    if key == "active_users":
        return f"{v} users were active in {month}, {change}."
    if key == "stickiness":
        return f"On an average day {v} of the monthly active users were active, {change}."
    if key == "quick_ratio":
        sense = (
            "more users came in (new or back) than went dormant"
            if value > 1
            else "fewer users came in (new or back) than went dormant"
        )
        return f"Quick ratio {v}: {sense}; {change}."
    if key == "revenue_per_active_user":
        return f"Each active user brought {v} of revenue in {month}, {change}."
    return f"{v} of the users scored for churn are at high or critical 30-day risk, {change}."


@dataclass
class KpiReview:
    """Headline KPIs of the month with the month-over-month change (:func:`kpi_review`).

    Attributes
    ----------
    table : DataFrame
        One row per KPI: ``kpi``, ``label``, ``value``, ``previous``, ``change`` (value -
        previous), ``change_pct`` (relative, NaN when previous is 0 or missing), ``reading``.
    month, previous_month : str
    """

    table: pd.DataFrame
    month: str
    previous_month: str

    def value(self, kpi: str) -> float:
        return float(self.table.set_index("kpi").loc[kpi, "value"])

    def record(self, ctx) -> None:
        """Record every KPI (and its change) as a headline number of the report."""
        for r in self.table.itertuples(index=False):
            label, fmt, unit = KPIS[r.kpi]
            note = (
                f"{r.change_pct:+.1%} vs {self.previous_month}"
                if unit == "pct" and _finite(r.change_pct)
                else f"{100 * r.change:+.1f} points vs {self.previous_month}"
                if unit == "pp" and _finite(r.change)
                else ""
            )
            ctx.record(
                r.kpi, r.value if _finite(r.value) else None, label=label, fmt=fmt, note=note
            )

    def _repr_html_(self) -> str:
        rows = []
        for r in self.table.itertuples(index=False):
            fmt = KPIS[r.kpi][1]
            show = lambda x, fmt=fmt: fmt.format(x) if _finite(x) else "n/a"
            unit = KPIS[r.kpi][2]
            rel = (
                f"{100 * r.change:+.1f} pts"
                if unit == "pp" and _finite(r.change)
                else f"{r.change_pct:+.1%}"
                if unit == "pct" and _finite(r.change_pct)
                else "n/a"
            )
            rows.append(
                f"<tr><td>{html.escape(r.label)}</td><td><b>{show(r.value)}</b></td>"
                f"<td>{show(r.previous)}</td><td>{rel}</td><td>{html.escape(r.reading)}</td></tr>"
            )
        return (
            f"<p><b>Headline KPIs, {html.escape(self.month)}</b> against {html.escape(self.previous_month)}.</p>"
            "<table><thead><tr><th>KPI</th><th>this month</th><th>last month</th><th>change</th>"
            f"<th>reading</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        )


def kpi_review(
    current: dict, previous: dict | None, *, month: str, previous_month: str
) -> KpiReview:
    """The KPI table with month-over-month change and a reading per KPI.

    Examples
    --------
    >>> k = kpi_review({"active_users": 110}, {"active_users": 100}, month="2026-10", previous_month="2026-09")
    >>> [float(x) for x in k.table.loc[0, ["value", "previous", "change", "change_pct"]]]
    [110.0, 100.0, 10.0, 0.1]
    >>> k.table.loc[0, "reading"]
    '110 users were active in 2026-10, +10.0% vs 2026-09 (100).'
    """
    previous = previous or {}
    rows = []
    for key, (label, _, _) in KPIS.items():
        if key not in current:
            continue
        v = current.get(key)
        p = previous.get(key)
        v = float(v) if _finite(v) else float("nan")
        p = float(p) if _finite(p) else float("nan")
        change = v - p
        change_pct = change / abs(p) if _finite(p) and p != 0 and _finite(v) else float("nan")
        rows.append(
            {
                "kpi": key,
                "label": label,
                "value": v,
                "previous": p,
                "change": change,
                "change_pct": change_pct,
                "reading": _reading(key, v, p, month, previous_month),
            }
        )
    return KpiReview(pd.DataFrame(rows), month, previous_month)


# --- action list -----------------------------------------------------------------------------------
@dataclass
class ActionList:
    """Per persona: the action, its size, its customer value and the at-risk users (:func:`action_list`).

    Attributes
    ----------
    table : DataFrame
        ``persona``, ``name``, ``action``, ``action_text``, ``users``, ``user_share``,
        ``revenue_share``, ``clv_total`` (expected value of the persona's users over the CLV
        horizon), ``at_risk_users`` (high or critical churn risk), ``at_risk_revenue_90d``
        (their revenue of the last 90 days: what leaves if they churn), ``at_risk_csv``.
    at_risk : DataFrame
        The at-risk users (``user_id``, ``persona``, ``persona_name``, ``churn_risk_30d``,
        ``risk_band``, ``drivers``, ``revenue_90d``, ``action``), riskiest first.
    note : str
    """

    table: pd.DataFrame
    at_risk: pd.DataFrame
    note: str = ""

    def csv_name(self, persona: int) -> str:
        return f"at_risk_persona_{int(persona)}.csv"

    def write_at_risk(self, ctx) -> list[Path]:
        """Write one ``artifacts/at_risk_persona_<n>.csv`` per persona with at-risk users.

        Lists left by an earlier run of the month for personas without at-risk users now are
        removed, so every CSV in ``artifacts/`` belongs to this action list.
        """
        paths = []
        for persona, rows in self.at_risk.groupby(s.PERSONA, sort=True):
            paths.append(ctx.write_csv(rows.reset_index(drop=True), self.csv_name(persona)))
        folder = getattr(ctx, "artifacts", None)
        if folder is not None:
            for old in Path(folder).glob("at_risk_persona_*.csv"):
                if old not in paths:
                    old.unlink()
        return paths

    def _repr_html_(self) -> str:
        e = html.escape
        rows = []
        for r in self.table.itertuples(index=False):
            link = (
                f"<a href='artifacts/{e(r.at_risk_csv)}'>{r.at_risk_users:,} users</a>"
                if r.at_risk_csv
                else "none"
            )
            clv = f"{r.clv_total:,.0f}" if _finite(r.clv_total) else "n/a"
            rev = f"{r.revenue_share:.0%}" if _finite(r.revenue_share) else "n/a"
            risk_rev = f"{r.at_risk_revenue_90d:,.0f}" if _finite(r.at_risk_revenue_90d) else "n/a"
            rows.append(
                f"<tr><td>{r.persona}. {e(r.name)}</td><td>{e(r.action_text)}</td>"
                f"<td>{r.users:,} ({r.user_share:.0%})</td><td>{rev}</td><td>{clv}</td>"
                f"<td>{link}</td><td>{risk_rev}</td></tr>"
            )
        return (
            f"<p><b>Action list</b>: {e(self.note)}</p><table><thead><tr><th>persona</th>"
            "<th>recommended action</th><th>users</th><th>revenue share</th><th>CLV of all its users</th>"
            "<th>at-risk users (CSV)</th><th>their revenue, last 90 days</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>"
        )


def action_list(cards, churn_risk: pd.DataFrame | None) -> ActionList | Note:
    """The action list from this month's persona cards and churn-risk scores.

    Parameters
    ----------
    cards : list of dict, PersonaSnapshot or None
        ``persona_cards.json``'s ``cards`` (persona, name, users, user_share, revenue_share,
        value.clv_per_user, action, action_text), or a snapshot carrying them.
    churn_risk : DataFrame or None
        ``churn_risk.csv`` (user_id, persona, churn_risk_30d, risk_band, revenue_90d...).

    Returns
    -------
    ActionList, or a Note when there are no personas.

    Examples
    --------
    >>> cards = [{"persona": 1, "name": "A", "users": 2, "user_share": 1.0, "revenue_share": 1.0,
    ...           "value": {"clv_per_user": 5.0}, "action": "nurture", "action_text": "Nurture."}]
    >>> risk = pd.DataFrame({"user_id": ["a", "b"], "persona": [1, 1], "churn_risk_30d": [0.9, 0.1],
    ...                      "risk_band": ["critical", "low"], "revenue_90d": [30.0, 5.0]})
    >>> action_list(cards, risk).table[["clv_total", "at_risk_users", "at_risk_revenue_90d"]].values.tolist()
    [[10.0, 1.0, 30.0]]
    """
    cards = getattr(cards, "cards", cards)
    if not cards:
        return Note(
            "No personas this month (the 03_personas report did not run or found too few "
            "active users), so there is no action list."
        )
    t = (
        pd.DataFrame(
            [
                {
                    s.PERSONA: int(c["persona"]),
                    "name": c.get("name", ""),
                    "action": c.get("action", ""),
                    "action_text": c.get("action_text", ""),
                    "users": int(c.get("users", 0)),
                    "user_share": c.get("user_share"),
                    "revenue_share": c.get("revenue_share"),
                    "clv_total": ((c.get("value") or {}).get("clv_per_user") or np.nan)
                    * int(c.get("users", 0)),
                }
                for c in cards
            ]
        )
        .sort_values(s.PERSONA)
        .reset_index(drop=True)
    )
    t["revenue_share"] = pd.to_numeric(t["revenue_share"], errors="coerce")
    t["clv_total"] = pd.to_numeric(t["clv_total"], errors="coerce")
    has_risk = (
        churn_risk is not None
        and {s.PERSONA, s.RISK_BAND} <= set(churn_risk.columns)
        and churn_risk[s.PERSONA].notna().any()
    )
    if has_risk:
        risky = churn_risk[churn_risk[s.RISK_BAND].isin(AT_RISK_BANDS)].copy()
        risky = risky[risky[s.PERSONA].notna()]
        risky[s.PERSONA] = risky[s.PERSONA].astype("int64")
        risky = risky.merge(t[[s.PERSONA, "action"]], on=s.PERSONA, how="left")
        sort_col = s.CHURN_RISK_30D if s.CHURN_RISK_30D in risky.columns else s.PERSONA
        risky = risky.sort_values([s.PERSONA, sort_col], ascending=[True, False], kind="stable")
        g = risky.groupby(s.PERSONA)
        t["at_risk_users"] = g.size().reindex(t[s.PERSONA]).fillna(0).to_numpy()
        rev = (
            g["revenue_90d"].sum()
            if "revenue_90d" in risky.columns
            else pd.Series(np.nan, index=t[s.PERSONA])
        )
        t["at_risk_revenue_90d"] = rev.reindex(t[s.PERSONA]).fillna(0.0).to_numpy()
        t["at_risk_csv"] = [
            f"at_risk_persona_{p}.csv" if n > 0 else ""
            for p, n in zip(t[s.PERSONA], t["at_risk_users"])
        ]
        note = (
            f"{int(t['at_risk_users'].sum()):,} active users are at high or critical 30-day churn "
            "risk; each persona's list is a CSV in artifacts/ (riskiest first, with the drivers)."
        )
        at_risk = risky.reset_index(drop=True)
    else:
        t["at_risk_users"], t["at_risk_revenue_90d"], t["at_risk_csv"] = 0, np.nan, ""
        note = (
            "No churn-risk scores by persona this month (the 04_churn report did not run), so "
            "the at-risk lists are empty."
        )
        at_risk = pd.DataFrame(columns=[s.USER_ID, s.PERSONA, s.RISK_BAND])
    t["at_risk_users"] = t["at_risk_users"].astype("int64")
    return ActionList(t, at_risk, note)


# --- experiments -----------------------------------------------------------------------------------
@dataclass
class ExperimentLines:
    """One line per experiment readout of the month (:func:`experiment_lines`)."""

    table: pd.DataFrame

    @property
    def lines(self) -> list[str]:
        return self.table["line"].tolist()

    def _repr_html_(self) -> str:
        items = "".join(f"<li>{html.escape(x)}</li>" for x in self.lines)
        return f"<p><b>Experiments of the month</b></p><ul>{items}</ul>"


def _one_line(readout: dict) -> dict:
    name = readout.get("experiment", "?")
    decision = readout.get("decision", "no decision")
    primary = list((readout.get("settings") or {}).get("primary") or [])
    metrics = readout.get("metrics") or {}
    control = readout.get("control")
    parts = []
    for metric in (
        primary if decision != INVALID else []
    ):  # a broken assignment's lifts say nothing
        for variant, res in (metrics.get(metric) or {}).items():
            if variant == control or not isinstance(res, dict) or "lift" not in res:
                continue
            rel = (res.get("lift") or {}).get("rel")
            ci = (res.get("ci") or {}).get("rel")
            p = res.get("p_holm", res.get("p_value"))
            txt = f"{metric} {variant} {rel:+.1%}" if _finite(rel) else f"{metric} {variant}"
            if ci and all(_finite(x) for x in ci):
                txt += f" (95% CI {ci[0]:+.1%} to {ci[1]:+.1%}"
                txt += f", p = {p:.3g})" if _finite(p) else ")"
            parts.append(txt)
    checks = readout.get("health_checks") or []
    failed = [c["check"] for c in checks if c.get("status") in ("fail", "warn", "warning")]
    health = "health checks ok" if not failed else f"health check failed: {', '.join(failed)}"
    line = f"{name}: {decision}" + (f"; {'; '.join(parts)}" if parts else "") + f"; {health}."
    return {
        "experiment": name,
        "decision": decision,
        "health": "ok" if not failed else "failed",
        "line": line,
    }


def experiment_lines(readouts: list[dict]) -> ExperimentLines | Note:
    """Each ``ab_<experiment>.json`` readout in one line: decision, primary lift with its 95% CI and
    Holm p-value, and whether the health checks passed.

    Examples
    --------
    >>> r = {"experiment": "x", "decision": "ship treatment", "control": "control",
    ...      "settings": {"primary": ["converted"]},
    ...      "metrics": {"converted": {"control": {"n": 10}, "treatment": {"lift": {"rel": 0.2},
    ...                  "ci": {"rel": [0.1, 0.3]}, "p_holm": 0.001}}},
    ...      "health_checks": [{"check": "srm", "status": "ok"}]}
    >>> experiment_lines([r]).lines
    ['x: ship treatment; converted treatment +20.0% (95% CI +10.0% to +30.0%, p = 0.001); health checks ok.']
    """
    if not readouts:
        return Note("No experiment readout this month (no assignments, or no experiment running).")
    return ExperimentLines(pd.DataFrame([_one_line(r) for r in readouts]))


# --- data quality ----------------------------------------------------------------------------------
@dataclass
class QualityStatus:
    """Whether to trust the month (:func:`data_quality_status`).

    Attributes
    ----------
    status : str
        ``good``, ``caution`` or ``poor``.
    score : float
        The audit's overall data-quality score (0-100).
    reasons : list of str
    """

    status: str
    score: float
    reasons: list = field(default_factory=list)

    COLORS = {"good": "#dff0d8", "caution": "#fcf8e3", "poor": "#f2dede"}

    @property
    def sentence(self) -> str:
        head = {
            "good": "The data of this month can be trusted",
            "caution": "Read this month with care",
            "poor": "Do not rely on this month's numbers",
        }[self.status]
        score = (
            f"data-quality score {self.score:.1f}/100"
            if _finite(self.score)
            else "no quality score"
        )
        return f"{head} ({score})" + (
            ": " + "; ".join(self.reasons) + "." if self.reasons else "."
        )

    def _repr_html_(self) -> str:
        return (
            f"<p style='background:{self.COLORS[self.status]};padding:6px'><b>Data quality: "
            f"{self.status}</b>. {html.escape(self.sentence)}</p>"
        )


def data_quality_status(
    audit: dict | None,
    *,
    month: str,
    good_score: float = 95.0,
    poor_score: float = 85.0,
    min_stitching: float = 0.8,
) -> QualityStatus | Note:
    """The audit in one verdict.

    ``poor`` when the overall score is below ``poor_score`` or a source's ledger does not
    balance (rows in != kept + dropped); ``caution`` when the score is below ``good_score``, a
    volume flag (a day with unusually few or many rows) falls in the month, or the share of
    anonymous rows stitched to a user is below ``min_stitching``; else ``good``.

    Examples
    --------
    >>> a = {"quality": {"overall": 97.8}, "sources": {"x": {"balanced": True}},
    ...      "volume_flags": [{"source": "orders", "day": "2026-10-04", "flag": "drop"}]}
    >>> data_quality_status(a, month="2026-10").status
    'caution'
    >>> data_quality_status(a, month="2026-09").status
    'good'
    """
    if audit is None:
        return Note(
            "No audit for this month (the 01_data_audit report did not run): the data quality "
            "is unknown."
        )
    score = float((audit.get("quality") or {}).get("overall", float("nan")) or float("nan"))
    first, last = month_bounds(month)
    poor, caution = [], []
    if _finite(score) and score < poor_score:
        poor.append(f"the quality score is below {poor_score:g}")
    elif _finite(score) and score < good_score:
        caution.append(f"the quality score is below {good_score:g}")
    unbalanced = [
        name for name, src in (audit.get("sources") or {}).items() if src.get("balanced") is False
    ]
    if unbalanced:
        poor.append(f"rows do not add up in {', '.join(unbalanced)}")
    flags = [
        f
        for f in audit.get("volume_flags") or []
        if first.isoformat() <= str(f.get("day", ""))[:10] <= last.isoformat()
    ]
    if flags:
        caution.append(
            "unusual daily volume on "
            + ", ".join(
                f"{f['day']} ({f.get('source', '?')}: {f.get('flag', '')})" for f in flags[:4]
            )
        )
    for name, src in (audit.get("sources") or {}).items():
        cov = (src.get("checks") or {}).get("stitching_coverage")
        if _finite(cov) and cov < min_stitching:
            caution.append(f"only {cov:.0%} of anonymous {name} rows are stitched to a user")
    status = "poor" if poor else ("caution" if caution else "good")
    return QualityStatus(status, score, poor + caution)


# --- personas this month vs last -----------------------------------------------------------------------
def persona_comparison(previous, current, **match_options):
    """:func:`helpers.analysis.segments.migration.compare_months`, or a Note when either month has no personas.

    Parameters
    ----------
    previous, current : helpers.analysis.segments.migration.PersonaSnapshot or None
        From :func:`helpers.analysis.segments.migration.read_snapshot` of last month's and this month's artifacts.
    **match_options
        Passed to :func:`helpers.analysis.segments.migration.match_personas` (when this month was not matched yet).
    """
    from helpers.analysis.segments.migration import compare_months

    if current is None:
        return Note(
            "No personas this month (the 03_personas report did not run), so there is no "
            "persona comparison."
        )
    if previous is None:
        return Note(
            "No personas for the previous month (its 03_personas artifacts are missing and "
            "could not be built, e.g. it lies before the data starts), so this month's "
            "personas cannot be compared with last month's yet."
        )
    return compare_months(previous, current, **match_options)


@dataclass
class FlowSummary:
    """The migration in words: totals, biggest moves, and the personas that changed."""

    sentences: list
    changes: list

    def _repr_html_(self) -> str:
        items = "".join(f"<li>{html.escape(x)}</li>" for x in self.sentences)
        out = f"<p><b>Who moved</b></p><ul>{items}</ul>"
        if self.changes:
            out += (
                "<p><b>Personas that changed</b></p><ul>"
                + "".join(f"<li>{html.escape(x)}</li>" for x in self.changes)
                + "</ul>"
            )
        else:
            out += "<p>Every persona kept its number and name, none drifted beyond the thresholds.</p>"
        return out


def flow_summary(comparison, *, n: int = 5):
    """The ``n`` biggest moves and the new, gone or drifted personas in words (or the Note as is)."""
    if isinstance(comparison, Note):
        return comparison
    changes = []
    for r in comparison.table.itertuples(index=False):
        if r.status == "new":
            changes.append(f"New persona {r.persona}. {r.name}: {r.users:,} users.")
        elif r.status == "gone":
            changes.append(
                f"Persona {r.persona}. {r.name} ({r.users_prev:,} users last month) is gone."
            )
        elif bool(r.drifted):
            shift = f"{r.centroid_shift:.2f}" if _finite(r.centroid_shift) else "n/a"
            stayed = f"{r.stayed_share:.0%}" if _finite(r.stayed_share) else "n/a"
            changes.append(
                f"Persona {r.persona}. {r.name} drifted: its centre moved {shift} standard "
                f"deviations and {stayed} of last month's members still active stayed in it."
            )
    return FlowSummary(comparison.migration.flow_sentences(n), changes)


# --- writing and recording (the edge) ----------------------------------------------------------------
def write_action_csvs(ctx, actions) -> list[Path]:
    """Write the per-persona at-risk CSVs of an :class:`ActionList` (nothing for a Note)."""
    return actions.write_at_risk(ctx) if isinstance(actions, ActionList) else []


@dataclass
class RecordedNumbers:
    """The headline numbers a notebook recorded for the index page, as a table."""

    rows: pd.DataFrame

    def _repr_html_(self) -> str:
        if self.rows.empty:
            return "<p>No headline number was recorded.</p>"
        return self.rows.to_html(index=False, escape=True, border=0)


def recorded_numbers(ctx) -> RecordedNumbers:
    """What ``ctx`` recorded so far (label, value as shown on the index, note)."""
    metrics = read_metrics(metrics_path(ctx.out_dir, ctx.name))
    rows = [
        {
            "number": m.get("label") or k,
            "value": m.get("display", m.get("value")),
            "note": m.get("note", ""),
        }
        for k, m in metrics.items()
    ]
    return RecordedNumbers(pd.DataFrame(rows, columns=["number", "value", "note"]))


def record_review(ctx, *, kpis: KpiReview, quality, comparison, actions) -> RecordedNumbers:
    """Record the review's headline numbers: the KPIs, the data-quality verdict, personas kept,
    new, gone and drifted, and the at-risk users on the action list; returns them as a table."""
    kpis.record(ctx)
    if isinstance(quality, QualityStatus):
        ctx.record(
            "data_quality", quality.status, label="data quality", fmt="{}", note=quality.sentence
        )
    if not isinstance(comparison, Note):
        t = comparison.table
        ctx.record(
            "personas_kept",
            int((t["status"] == "kept").sum()),
            label="personas kept from last month",
        )
        ctx.record("personas_new", int((t["status"] == "new").sum()), label="new personas")
        ctx.record("personas_gone", int((t["status"] == "gone").sum()), label="personas gone")
        ctx.record("personas_drifted", int(t["drifted"].sum()), label="personas drifted")
    if isinstance(actions, ActionList):
        ctx.record(
            "at_risk_users",
            int(actions.table["at_risk_users"].sum()),
            label="at-risk users on the action list",
        )
    return recorded_numbers(ctx)
