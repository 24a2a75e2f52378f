"""Did the campaign work? Each campaign's treated users against its holdout, intent-to-treat.

A campaign sent on day ``d`` is first read out in the review month holding
``d + min_window_days - 1`` (a campaign sent late in a month waits for the next one), then in
the ``readout_months - 1`` months after. Every contact counts in the group it was assigned to,
whether the message reached them or not (intent-to-treat), over the window from ``d`` to the
end of the review month (or ``as_of``). Three metrics, from ``user_day``:

* ``reactivation``: the share active on at least one day of the window (the primary metric);
* ``conversion``: the share with at least one order in the window;
* ``revenue_per_user``: the window's revenue per contact (zeros included).

Each lift is treat minus holdout with a two-sided p-value as the A/B readouts
(:func:`helpers.analysis.experiments.frequentist.frequentist_test`, absolute). Its 95% interval
is Welch's for revenue per user; for the two shares it is Newcombe's hybrid score interval (the
two groups' Wilson intervals combined): a holdout of a few users who all stayed away has no
variance, and Welch's interval would then ignore the holdout's uncertainty altogether. A campaign is read out only when it has a holdout
(``MIN_USERS`` or more in each group), most of its contacts are users the data knows (a row in
``user_day`` up to the window's end: otherwise its ids are not the project's), its window has
``min_window_days`` (``too_early`` otherwise, when the data ends sooner) and its split passes
the sample-ratio check against the planned holdout share (the log's, else the configured
``campaigns.holdout``; chi-square p >= 0.001).

The decision, on reactivation: **scale** when the interval lies above 0 and revenue per user is
not significantly lower (if it is: **keep**, with that reason); **stop** when even the top of
the interval is below ``min_lift``, the smallest lift worth sending for; **keep** (run it again
with a holdout, larger if it can be) otherwise: the test cannot tell yet.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import ibis
import numpy as np
import pandas as pd

from helpers.analysis.activity.intervals import wilson_interval
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
MIN_USERS = 2  # per group, to read a campaign out at all
MIN_PERSONA_USERS = 5  # per group, to show a persona's effect
MIN_KNOWN = 0.5  # share of contacts the data must know
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
    "planned_share",
    "status",
    "origin",
)


@dataclass
class CampaignReadout:
    """One campaign read out against its holdout.

    ``status``: ``read``, ``no_holdout`` (no held-out user), ``too_small`` (fewer than
    ``MIN_USERS`` in a group), ``unmatched`` (most contact ids unknown to the data),
    ``too_early`` (the data ends before ``min_window_days``), ``srm`` (the split does not match
    the planned holdout share) or ``no_variance`` (no lift can be computed). ``decision``:
    ``scale``, ``keep``, ``stop``, or ``not_read`` when the status is not ``read``; ``reason``
    qualifies a decision (``revenue``: reactivation up but revenue per user down).
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
    planned_share: float = float("nan")
    planned_from: str = ""
    known_share: float = float("nan")
    example_unknown: str = ""
    persona_counts: pd.Series = field(default_factory=lambda: pd.Series(dtype="int64"))
    reason: str = ""

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
                        "planned_share": c.planned_share,
                        "status": c.status,
                        "origin": getattr(c.info, "origin", ""),
                    }
                )
        return pd.DataFrame(rows, columns=list(CAMPAIGN_COLUMNS))


def first_readout_month(sent_day: dt.date, min_window_days: int = 1) -> str:
    """The review month a campaign is first read out in: the month holding
    ``sent_day + min_window_days - 1``.

    >>> first_readout_month(dt.date(2026, 10, 1), 14), first_readout_month(dt.date(2026, 10, 25), 14)
    ('2026-10', '2026-11')
    """
    return (sent_day + dt.timedelta(days=min_window_days - 1)).strftime("%Y-%m")


def campaigns_in_month(
    contacts, month: str, *, readout_months: int = 1, as_of=None, min_window_days: int = 1
) -> list[str]:
    """The campaigns read out in review ``month``: first read in it or in the
    ``readout_months - 1`` months before (:func:`first_readout_month`), sent by ``as_of``."""
    last = month_bounds(month)[1] if as_of is None else min(month_bounds(month)[1], as_of)
    names = []
    for name, info in contacts.info.items():
        first = first_readout_month(info.sent_day, min_window_days)
        if info.sent_day <= last and first <= month <= shift_month(first, readout_months - 1):
            names.append((info.sent_day, name))
    return [name for _, name in sorted(names)]


def campaign_outcomes(user_day, users: pd.Series, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Per contact (``users``): ``active`` (0/1: an active day in [start, end]), ``buyer`` (0/1:
    an order) and ``revenue`` in the window, and ``known`` (0/1: any ``user_day`` row up to
    ``end``: the data knows the id), computed in the engine; users without a row: 0."""
    ids = pd.DataFrame({s.USER_ID: pd.Series(users, dtype=str).drop_duplicates().to_numpy()})
    t = user_day.filter(user_day[s.DAY] <= end)
    contacts = ibis.memtable(ids)
    j = t.join(contacts, t[s.USER_ID] == contacts[s.USER_ID]).select(
        t[s.USER_ID], t[s.DAY], t[s.UD_ACTIVE_EVENTS], t[s.UD_ORDERS], t[s.UD_REVENUE]
    )
    inside = j[s.DAY] >= start
    per = (
        j.group_by(s.USER_ID)
        .aggregate(
            active_days=(inside & (j[s.UD_ACTIVE_EVENTS] > 0)).cast("int64").sum(),
            orders=inside.ifelse(j[s.UD_ORDERS], 0).sum(),
            revenue=inside.ifelse(j[s.UD_REVENUE], 0.0).sum(),
            rows=j[s.DAY].count(),
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
            "known": (out["rows"] > 0).astype(int),
        }
    )


def newcombe_interval(x1, n1, x2, n2) -> tuple[float, float]:
    """Newcombe's hybrid score 95% interval of ``x1/n1 - x2/n2`` (method 10, 1998): each share's
    Wilson interval, combined. It stays honest when a group has no variance (0 of 9).

    >>> [round(v, 4) for v in newcombe_interval(41, 94, 0, 9)]
    [0.1221, 0.537]
    """
    (l1, l2), (u1, u2) = wilson_interval(np.array([x1, x2]), np.array([n1, n2]))
    p1, p2 = x1 / n1, x2 / n2
    d = p1 - p2
    return (
        float(d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)),
        float(d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)),
    )


def _compare(treat: pd.DataFrame, hold: pd.DataFrame, col: str, *, proportion: bool) -> dict:
    make = Proportion.from_values if proportion else SampleMean.from_values
    h, t = make(hold[col].to_numpy()), make(treat[col].to_numpy())
    r = frequentist_test(h, t, relative=False)
    low, high = r.ci
    if proportion:
        low, high = newcombe_interval(treat[col].sum(), len(treat), hold[col].sum(), len(hold))
    return {
        "treat_users": t.n,
        "holdout_users": h.n,
        "treat_mean": t.mean,
        "holdout_mean": h.mean,
        "lift_abs": r.expected,
        "ci_low": low,
        "ci_high": high,
        "p_value": r.p_value,
        "se": standard_error(h, t),
    }


def _decide(metrics: pd.DataFrame, min_lift: float) -> tuple[str, str]:
    """(decision, reason) on reactivation; see the module docs."""
    m = metrics.set_index("metric")
    low, high = m.loc[PRIMARY, "ci_low"], m.loc[PRIMARY, "ci_high"]
    if low > 0:
        revenue_high = m.loc["revenue_per_user", "ci_high"]
        if np.isfinite(revenue_high) and revenue_high < 0:
            return "keep", "revenue"
        return "scale", ""
    if high < min_lift:
        return "stop", ""
    return "keep", ""


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
        if len(treat) < MIN_PERSONA_USERS or len(hold) < MIN_PERSONA_USERS:
            continue
        r = _compare(treat, hold, "active", proportion=True)
        rows.append({s.PERSONA: int(number), "persona_name": name, **r})
    return pd.DataFrame(rows, columns=[*cols, "se"]).drop(columns="se")


def _persona_counts(frame: pd.DataFrame, personas: pd.DataFrame | None) -> pd.Series:
    """Contacts per ``"<n>. <name>"`` persona of the audience month (all contacts; those
    without a persona then are left out of the counts, not of the denominator)."""
    if personas is None or s.PERSONA not in personas.columns:
        return pd.Series(dtype="int64")
    keyed = personas.assign(**{s.USER_ID: personas[s.USER_ID].astype(str)})
    keyed = keyed.drop_duplicates(s.USER_ID).set_index(s.USER_ID)
    names = keyed.get("persona_name", keyed[s.PERSONA].astype(str))
    label = keyed[s.PERSONA].astype(int).astype(str) + ". " + names.astype(str)
    return frame[s.USER_ID].astype(str).map(label).value_counts()


def read_campaign(
    name: str,
    contacts,
    user_day,
    *,
    month: str,
    as_of: dt.date | None = None,
    personas: pd.DataFrame | None = None,
    planned_share: float | None = None,
    min_window_days: int = 1,
    min_lift: float = 0.02,
) -> CampaignReadout:
    """Read out one campaign of ``contacts`` (:class:`helpers.data.campaigns.Contacts`) in review
    ``month``: its window runs from its send day to the end of the month (or ``as_of``).
    ``planned_share`` is the holdout share to check the split against when the log has none
    (the configured ``campaigns.holdout``)."""
    info = contacts.info[name]
    frame = contacts.frame[contacts.frame[s.CAMPAIGN] == name]
    start = info.sent_day
    end = month_bounds(month)[1] if as_of is None else min(month_bounds(month)[1], as_of)
    n_treat = int((frame[s.GROUP] == "treat").sum())
    n_hold = int((frame[s.GROUP] == "holdout").sum())
    share, source = info.holdout_share, "log"
    if share is None:
        share, source = planned_share, "config"
    srm_p = (
        srm_test([n_treat, n_hold], [1 - share, share])
        if share is not None and n_treat + n_hold > 0
        else float("nan")
    )
    base = dict(
        name=name,
        info=info,
        start=start,
        end=end,
        treat_users=n_treat,
        holdout_users=n_hold,
        srm_p=srm_p,
        planned_share=float("nan") if share is None else float(share),
        planned_from=source if share is not None else "",
        persona_counts=_persona_counts(frame, personas),
    )
    status = (
        "no_holdout"
        if n_hold == 0
        else "too_small"
        if min(n_hold, n_treat) < MIN_USERS
        else "too_early"
        if (end - start).days + 1 < min_window_days
        else "srm"
        if np.isfinite(srm_p) and srm_p < SRM_ALPHA
        else "read"
    )
    if status != "read":
        return CampaignReadout(**base, status=status, decision="not_read")
    outcomes = campaign_outcomes(user_day, frame[s.USER_ID], start, end)
    known = float(outcomes["known"].mean())
    base["known_share"] = known
    if known < MIN_KNOWN:
        unknown = outcomes.loc[outcomes["known"] == 0, s.USER_ID]
        base["example_unknown"] = str(unknown.iloc[0]) if len(unknown) else ""
        return CampaignReadout(**base, status="unmatched", decision="not_read")
    df = frame[[s.USER_ID, s.GROUP]].merge(outcomes, on=s.USER_ID, how="left")
    treat, hold = df[df[s.GROUP] == "treat"], df[df[s.GROUP] == "holdout"]
    rows = [
        {"metric": "reactivation", **_compare(treat, hold, "active", proportion=True)},
        {"metric": "conversion", **_compare(treat, hold, "buyer", proportion=True)},
        {"metric": "revenue_per_user", **_compare(treat, hold, "revenue", proportion=False)},
    ]
    metrics = pd.DataFrame(rows)
    primary = metrics.set_index("metric").loc[PRIMARY]
    if not (np.isfinite(primary["ci_low"]) and np.isfinite(primary["ci_high"])):
        return CampaignReadout(**base, status="no_variance", decision="not_read")
    decision, reason = _decide(metrics, min_lift)
    return CampaignReadout(
        **base,
        status="read",
        decision=decision,
        reason=reason,
        metrics=metrics.drop(columns="se"),
        by_persona=_by_persona(df, personas),
        mde=mde(float(primary["se"])),
    )


def campaign_review(
    contacts,
    user_day,
    *,
    month: str,
    as_of: dt.date | None = None,
    readout_months: int = 1,
    personas=None,
    planned_share: float | None = None,
    min_window_days: int = 1,
    min_lift: float = 0.02,
) -> CampaignReview:
    """Every campaign read out in ``month`` (:func:`campaigns_in_month`), each with
    :func:`read_campaign`. ``personas`` (user_id, persona, persona_name) are the personas of the
    month the audiences were chosen in, for the effect per persona: one frame, or a callable
    ``personas(info) -> frame`` per campaign."""
    names = campaigns_in_month(
        contacts,
        month,
        readout_months=readout_months,
        as_of=as_of,
        min_window_days=min_window_days,
    )
    out = []
    for n in names:
        frame = personas(contacts.info[n]) if callable(personas) else personas
        out.append(
            read_campaign(
                n,
                contacts,
                user_day,
                month=month,
                as_of=as_of,
                personas=frame,
                planned_share=planned_share,
                min_window_days=min_window_days,
                min_lift=min_lift,
            )
        )
    return CampaignReview(month, out)
