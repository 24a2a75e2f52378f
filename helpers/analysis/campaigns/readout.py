"""Did the campaign work? Each campaign's treated users against its holdout, intent-to-treat.

For a campaign sent on day ``d`` and read out in review month ``R`` (``d`` in ``R`` or in the
``readout_months - 1`` months before), every contact counts in the group it was assigned to,
whether the message reached them or not (intent-to-treat), over the window from ``d`` to the
end of ``R`` (or ``as_of``). Three metrics, from ``user_day``:

* ``reactivation``: the share active on at least one day of the window (the primary metric);
* ``conversion``: the share with at least one order in the window;
* ``revenue_per_user``: the window's revenue per contact (zeros included).

Each lift is treat minus holdout with a 95% Welch interval and two-sided p-value, as the A/B
readouts (:func:`helpers.analysis.experiments.frequentist.frequentist_test`, absolute). A campaign
is read out only when it has a holdout (two or more held-out users) and, when its planned holdout
share is known (the kit's log), its split passes the sample-ratio check (chi-square p >= 0.001).

The decision, on reactivation: **scale** when the interval lies above 0 (and revenue per user is
not significantly lower), **stop** when the lift is 0 or below, **keep** (run it again with a
holdout) when the lift is positive but the interval still includes 0.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import ibis
import numpy as np
import pandas as pd

from helpers.analysis.experiments.frequentist import frequentist_test
from helpers.analysis.experiments.power import mde, standard_error
from helpers.analysis.experiments.srm import srm_test
from helpers.analysis.experiments.summaries import Proportion, SampleMean
from helpers.core import schema as s
from helpers.core.time import month_bounds, shift_month

__all__ = [
    "METRICS",
    "PRIMARY",
    "CAMPAIGN_COLUMNS",
    "CampaignReadout",
    "CampaignReview",
    "campaigns_in_month",
    "campaign_outcomes",
    "read_campaign",
    "campaign_review",
]

METRICS = ("reactivation", "conversion", "revenue_per_user")
PRIMARY = "reactivation"
SRM_ALPHA = 0.001
MIN_USERS = 2
#: The columns of ``artifacts/campaigns.csv`` (the issue's nine first, then context).
CAMPAIGN_COLUMNS = (
    "campaign",
    "metric",
    "treat_users",
    "holdout_users",
    "lift_abs",
    "ci_low",
    "ci_high",
    "p_value",
    "decision",
    "treat_mean",
    "holdout_mean",
    "sent_on",
    "window_end",
    "srm_p",
    "status",
    "origin",
)


@dataclass
class CampaignReadout:
    """One campaign read out against its holdout.

    ``status``: ``read``, ``no_holdout`` (no held-out user), ``too_small`` (fewer than two users
    in a group) or ``srm`` (the split does not match the planned holdout share). ``decision``:
    ``scale``, ``keep``, ``stop``, or ``not_read`` when the status is not ``read``.
    """

    name: str
    info: object
    start: dt.date
    end: dt.date
    treat_users: int
    holdout_users: int
    status: str
    decision: str
    srm_p: float = float("nan")
    metrics: pd.DataFrame = field(default_factory=pd.DataFrame)
    by_persona: pd.DataFrame = field(default_factory=pd.DataFrame)
    mde: float = float("nan")

    def metric(self, name: str = PRIMARY) -> dict:
        """One metric's row as a dict (empty when the campaign was not read out)."""
        rows = self.metrics[self.metrics["metric"] == name] if len(self.metrics) else self.metrics
        return rows.iloc[0].to_dict() if len(rows) else {}


@dataclass
class CampaignReview:
    """The month's campaign readouts (``campaigns``), in order of send day then name."""

    month: str
    campaigns: list[CampaignReadout]

    def __len__(self) -> int:
        return len(self.campaigns)

    def table(self) -> pd.DataFrame:
        """``campaigns.csv``: one row per campaign x metric (:data:`CAMPAIGN_COLUMNS`); a campaign
        not read out has one row per metric with its users, status and no lift."""
        rows = []
        for c in self.campaigns:
            for metric in METRICS:
                m = c.metric(metric)
                rows.append(
                    {
                        "campaign": c.name,
                        "metric": metric,
                        "treat_users": c.treat_users,
                        "holdout_users": c.holdout_users,
                        "lift_abs": m.get("lift_abs", np.nan),
                        "ci_low": m.get("ci_low", np.nan),
                        "ci_high": m.get("ci_high", np.nan),
                        "p_value": m.get("p_value", np.nan),
                        "decision": c.decision,
                        "treat_mean": m.get("treat_mean", np.nan),
                        "holdout_mean": m.get("holdout_mean", np.nan),
                        "sent_on": c.start.isoformat(),
                        "window_end": c.end.isoformat(),
                        "srm_p": c.srm_p,
                        "status": c.status,
                        "origin": getattr(c.info, "origin", ""),
                    }
                )
        return pd.DataFrame(rows, columns=list(CAMPAIGN_COLUMNS))


def campaigns_in_month(contacts, month: str, *, readout_months: int = 1, as_of=None) -> list[str]:
    """The campaigns read out in review ``month``: sent in it or in the ``readout_months - 1``
    months before, and not after ``as_of``."""
    first, last = (
        month_bounds(shift_month(month, -(readout_months - 1)))[0],
        month_bounds(month)[1],
    )
    if as_of is not None:
        last = min(last, as_of)
    names = [
        (info.sent_day, name)
        for name, info in contacts.info.items()
        if first <= info.sent_day <= last
    ]
    return [name for _, name in sorted(names)]


def campaign_outcomes(user_day, users: pd.Series, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Per contact (``users``): ``active`` (0/1: an active day in [start, end]), ``buyer`` (0/1:
    an order) and ``revenue`` in the window, computed in the engine; users without a row: 0."""
    ids = pd.DataFrame({s.USER_ID: pd.Series(users, dtype=str).drop_duplicates().to_numpy()})
    t = user_day
    win = t.filter((t[s.DAY] >= start) & (t[s.DAY] <= end))
    contacts = ibis.memtable(ids)
    joined = win.join(contacts, win[s.USER_ID] == contacts[s.USER_ID]).select(
        win[s.USER_ID], win[s.UD_ACTIVE_EVENTS], win[s.UD_ORDERS], win[s.UD_REVENUE]
    )
    per = (
        joined.group_by(s.USER_ID)
        .aggregate(
            active_days=(joined[s.UD_ACTIVE_EVENTS] > 0).cast("int64").sum(),
            orders=joined[s.UD_ORDERS].sum(),
            revenue=joined[s.UD_REVENUE].sum(),
        )
        .execute()
    )
    per[s.USER_ID] = per[s.USER_ID].astype(str)
    out = ids.merge(per, on=s.USER_ID, how="left").fillna(0)
    return pd.DataFrame(
        {
            s.USER_ID: out[s.USER_ID],
            "active": (out["active_days"] > 0).astype(int),
            "buyer": (out["orders"] > 0).astype(int),
            "revenue": out["revenue"].astype(float),
        }
    )


def _compare(treat: pd.DataFrame, hold: pd.DataFrame, col: str, *, proportion: bool) -> dict:
    make = Proportion.from_values if proportion else SampleMean.from_values
    h, t = make(hold[col].to_numpy()), make(treat[col].to_numpy())
    r = frequentist_test(h, t, relative=False)
    return {
        "treat_users": t.n,
        "holdout_users": h.n,
        "treat_mean": t.mean,
        "holdout_mean": h.mean,
        "lift_abs": r.expected,
        "ci_low": r.ci[0],
        "ci_high": r.ci[1],
        "p_value": r.p_value,
        "se": standard_error(h, t),
    }


def _decide(metrics: pd.DataFrame) -> str:
    m = metrics.set_index("metric")
    lift, low, high = (m.loc[PRIMARY, k] for k in ("lift_abs", "ci_low", "ci_high"))
    if not np.isfinite(lift) or lift <= 0 or (np.isfinite(high) and high < 0):
        return "stop"
    if np.isfinite(low) and low > 0:
        revenue_high = m.loc["revenue_per_user", "ci_high"]
        return "keep" if np.isfinite(revenue_high) and revenue_high < 0 else "scale"
    return "keep"


def _by_persona(frame: pd.DataFrame, personas: pd.DataFrame | None) -> pd.DataFrame:
    cols = [s.PERSONA, "persona_name", "treat_users", "holdout_users", "treat_mean"]
    cols += ["holdout_mean", "lift_abs", "ci_low", "ci_high", "p_value"]
    if personas is None or s.PERSONA not in personas.columns:
        return pd.DataFrame(columns=cols)
    keyed = personas.assign(**{s.USER_ID: personas[s.USER_ID].astype(str)})
    keyed = keyed.drop_duplicates(s.USER_ID).set_index(s.USER_ID)
    df = frame.assign(
        **{
            s.PERSONA: frame[s.USER_ID].map(keyed[s.PERSONA]),
            "persona_name": frame[s.USER_ID].map(keyed.get("persona_name", keyed[s.PERSONA])),
        }
    )
    rows = []
    for (number, name), g in df.dropna(subset=[s.PERSONA]).groupby(
        [s.PERSONA, "persona_name"], sort=True
    ):
        treat, hold = g[g[s.GROUP] == "treat"], g[g[s.GROUP] == "holdout"]
        if len(treat) < MIN_USERS or len(hold) < MIN_USERS:
            continue
        r = _compare(treat, hold, "active", proportion=True)
        rows.append({s.PERSONA: int(number), "persona_name": name, **r})
    return pd.DataFrame(rows, columns=[*cols, "se"]).drop(columns="se")


def read_campaign(
    name: str,
    contacts,
    user_day,
    *,
    month: str,
    as_of: dt.date | None = None,
    personas: pd.DataFrame | None = None,
) -> CampaignReadout:
    """Read out one campaign of ``contacts`` (:class:`helpers.data.campaigns.Contacts`) in review
    ``month``: its window runs from its send day to the end of the month (or ``as_of``)."""
    info = contacts.info[name]
    frame = contacts.frame[contacts.frame[s.CAMPAIGN] == name]
    start = info.sent_day
    end = month_bounds(month)[1] if as_of is None else min(month_bounds(month)[1], as_of)
    n_treat = int((frame[s.GROUP] == "treat").sum())
    n_hold = int((frame[s.GROUP] == "holdout").sum())
    share = info.holdout_share
    srm_p = (
        srm_test([n_treat, n_hold], [1 - share, share])
        if share is not None and n_treat + n_hold > 0
        else float("nan")
    )
    status = (
        "no_holdout"
        if n_hold == 0
        else "too_small"
        if min(n_hold, n_treat) < MIN_USERS
        else "srm"
        if np.isfinite(srm_p) and srm_p < SRM_ALPHA
        else "read"
    )
    base = dict(name=name, info=info, start=start, end=end, treat_users=n_treat)
    if status != "read":
        return CampaignReadout(
            **base, holdout_users=n_hold, status=status, decision="not_read", srm_p=srm_p
        )
    outcomes = campaign_outcomes(user_day, frame[s.USER_ID], start, end)
    df = frame[[s.USER_ID, s.GROUP]].merge(outcomes, on=s.USER_ID, how="left")
    treat, hold = df[df[s.GROUP] == "treat"], df[df[s.GROUP] == "holdout"]
    rows = [
        {"metric": "reactivation", **_compare(treat, hold, "active", proportion=True)},
        {"metric": "conversion", **_compare(treat, hold, "buyer", proportion=True)},
        {"metric": "revenue_per_user", **_compare(treat, hold, "revenue", proportion=False)},
    ]
    metrics = pd.DataFrame(rows)
    return CampaignReadout(
        **base,
        holdout_users=n_hold,
        status=status,
        decision=_decide(metrics),
        srm_p=srm_p,
        metrics=metrics.drop(columns="se"),
        by_persona=_by_persona(df, personas),
        mde=mde(float(metrics.loc[metrics["metric"] == PRIMARY, "se"].iloc[0])),
    )


def campaign_review(
    contacts,
    user_day,
    *,
    month: str,
    as_of: dt.date | None = None,
    readout_months: int = 1,
    personas: pd.DataFrame | None = None,
) -> CampaignReview:
    """Every campaign read out in ``month`` (:func:`campaigns_in_month`), each with
    :func:`read_campaign`; ``personas`` (user_id, persona, persona_name) are the personas of the
    month the audiences were chosen in (last month's), for the effect per persona."""
    names = campaigns_in_month(contacts, month, readout_months=readout_months, as_of=as_of)
    return CampaignReview(
        month,
        [
            read_campaign(n, contacts, user_day, month=month, as_of=as_of, personas=personas)
            for n in names
        ],
    )
