"""Append-only plants of the sample: a CRM win-back campaign with a holdout, and a beta feature.

Both run after :class:`helpers.sample.simulation.UserChunk` has simulated a chunk, each with its
own random generator (seeded from the sample seed, the chunk and a constant), and only append
rows: app events, orders and the CRM's contact export. Every natural row, every draw of the
simulation and every planted truth before them stays as it was.

* **The campaign** (:func:`plant_campaign`). Audience: users of the ``deal_hunter`` persona at
  risk at the end of month M (the month before the review month R): active on some day of the
  60 days ending on M's last day, but not on its last 10 days. The CRM holds each out with
  probability :data:`HOLDOUT_SHARE` and contacts the others on R's first day at a local time
  from 10:00 to 12:00. A treated user with no natural activity in R comes back with probability
  :data:`REACTIVATION_PROB` (q) on a day drawn uniformly from the 14 days from the send day: a
  visit like the user's usual one (2+ events from the user's mix, at least one coupon view) and,
  with the user's usual per-active-day purchase probability, an order from the user's spend
  model. The estimand (``truth.json`` ``campaign.reactivation_lift``) is the sample average
  effect on being active in R: q times the audience's share (both arms) with no natural activity
  in R.
* **The beta feature** (:func:`plant_beta`): the event :data:`BETA_EVENT` launches on day
  :data:`BETA_LAUNCH_DAY` of R. 30% of the users active on or after the launch day (natural or
  campaign visits) use it 1-3 times on one of those days, 1-60 s after one of the day's events.
  It only adds events to days that are already active, so no activity count changes.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from helpers.sample.personas import EVENT_NAMES, PERSONA_NAMES, SPEND_SIGMA, VARIANT_FORMS
from helpers.sample.simulation import _N_EV, _categorical, _ids, _local_text, _ragged

CAMPAIGN_SEED, BETA_SEED = 17_001, 17_002  # third seed word of each plant's generator
CAMPAIGN_PERSONA = "deal_hunter"
AT_RISK_LOOKBACK_DAYS = 60  # active on some day of the 60 days ending on M's last day ...
AT_RISK_QUIET_DAYS = 10  # ... and on none of its last 10 days
HOLDOUT_SHARE = 0.10
REACTIVATION_PROB = 0.35  # q: a treated user not naturally active in R comes back
REACTIVATION_WINDOW_DAYS = 14  # the visit day is uniform on [send day, send day + 13]
SEND_HOURS = (10, 12)  # local send time of each contact, uniform between these hours
BETA_EVENT = "live_stream"
BETA_LAUNCH_DAY = 5  # day of the review month the beta launches on
BETA_SHARE = 0.30  # of the users active on or after the launch day
BETA_EVENTS = (1, 3)  # events per beta user, inclusive
#: The beta event's code: after the names and their variant spellings
#: (:attr:`helpers.sample.names.SampleNames.vocabulary` ends with it).
BETA_CODE = _N_EV * (1 + len(VARIANT_FORMS))
CAMPAIGN_DEFINITION = (
    "deal_hunter users active on some day of the 60 days ending on the audience month's last "
    "day but on none of its last 10 days, contacted on the readout month's first day (10% held "
    "out at random); a treated user with no natural activity in the readout month comes back "
    "with probability q on a day within 14 days of the send"
)
_COUPON = EVENT_NAMES.index("coupon_view")
_CAMPAIGN_COLUMNS = ("member_id", "campaign_name", "send_time", "arm")


def campaign_name(cal) -> str:
    """The CRM's name of the campaign (ASCII in every language), e.g.
    ``winback_deal_hunters_2026_09`` for the audience month 2026-09."""
    return f"winback_deal_hunters_{cal.month_labels[-2].replace('-', '_')}"


def has_campaign(cal) -> bool:
    """The campaign needs an audience month before the review month."""
    return len(cal.month_labels) >= 2


def plant(chunk, cal, *, seed: int, ci: int) -> None:
    """Plant the campaign and the beta feature into ``chunk`` (chunk number ``ci``); the
    generator's later plants still read ``chunk.natural``."""
    plant_campaign(chunk, cal, np.random.default_rng([seed, ci, CAMPAIGN_SEED]))
    plant_beta(chunk, cal, np.random.default_rng([seed, ci, BETA_SEED]))


def _append(chunk, user, ts, name, day):
    """Append app-log rows of local users ``user`` (a visit's session is the user's day)."""
    rows = {
        "user": chunk.first + user,
        "ts": ts,
        "name": name.astype(chunk.app["name"].dtype),
        "device": chunk.natural["device"][user],
        "day": day,
        "sess_user": chunk.first + user,
    }
    for col, vals in rows.items():
        chunk.app[col] = np.concatenate([chunk.app[col], vals.astype(chunk.app[col].dtype)])


def plant_campaign(chunk, cal, rng) -> None:
    """The win-back campaign of the module docstring: sets ``chunk.contacts`` (the CRM export's
    rows), ``chunk.campaign`` (counts for the truth), ``chunk.truth_users`` ``campaign_arm`` and
    ``campaign_visit_day``, and appends the visits' events, orders and active months."""
    nat, n = chunk.natural, chunk.n
    arm = np.full(n, "", dtype=object)
    visit_day = np.full(n, -1, dtype=np.int64)
    chunk.truth_users.update(campaign_arm=arm, campaign_visit_day=visit_day)
    chunk.visits = None
    if not has_campaign(cal):
        chunk.contacts, chunk.campaign = None, {}
        return
    send = cal.last_month_start
    last_m = send - 1
    u, d = nat["user"], nat["day"]
    seen, quiet, in_r = (np.zeros(n, dtype=bool) for _ in range(3))
    seen[u[(d > last_m - AT_RISK_LOOKBACK_DAYS) & (d <= last_m - AT_RISK_QUIET_DAYS)]] = True
    quiet[u[(d > last_m - AT_RISK_QUIET_DAYS) & (d <= last_m)]] = True
    in_r[u[d >= send]] = True  # R is the last month of the sample
    target = nat["persona"] == PERSONA_NAMES.index(CAMPAIGN_PERSONA)
    aud = np.nonzero(target & seen & ~quiet)[0]
    m = len(aud)
    holdout = rng.random(m) < HOLDOUT_SHARE
    send_ms = cal.midnight_ms[send] + rng.integers(*(h * 3600 for h in SEND_HOURS), m) * 1000
    natural = in_r[aud]
    back = ~holdout & ~natural & (rng.random(m) < REACTIVATION_PROB)
    arm[aud] = np.where(holdout, "holdout", "treat")
    chunk.contacts = {"user": chunk.first + aud, "send_ms": send_ms, "holdout": holdout}
    chunk.campaign = {
        "audience": m,
        "treat": int((~holdout).sum()),
        "holdout": int(holdout.sum()),
        "natural_treat": int((natural & ~holdout).sum()),
        "natural_holdout": int((natural & holdout).sum()),
        "reactivated": int(back.sum()),
        "orders": 0,
    }
    # --- the visits of the reactivated users
    vu, v_send = aud[back], send_ms[back]
    vday = send + rng.integers(0, REACTIVATION_WINDOW_DAYS, len(vu))
    vday = np.minimum(vday, cal.n_days - 1)
    visit_day[vu] = vday
    k = 2 + rng.poisson(np.maximum(nat["epd"][vu] - 2, 0))
    ev = chunk._day_events(rng, vday, k)
    name = _categorical(rng, nat["mix_cum"], vu[ev["ad"]])
    name[ev["first"]] = _categorical(rng, nat["active_cum"], vu)
    coupon = np.bincount(ev["ad"], name == _COUPON, minlength=len(vu)) > 0
    name[ev["first"][~coupon] + 1] = _COUPON  # the visit opens the campaign's coupon
    # a visit on the send day starts after the contact: 1 minute to 3 hours later
    first_ts = ev["ts"][ev["first"]]
    later = v_send + rng.integers(60_000, 3 * 3_600_000, len(vu))
    shift = np.where((vday == send) & (first_ts < v_send), later - first_ts, 0)
    ts = ev["ts"] + shift[ev["ad"]]
    _append(chunk, vu[ev["ad"]], ts, name, vday[ev["ad"]])
    # an order with the user's usual per-active-day probability, after the visit's last event
    buy = np.nonzero(rng.random(len(vu)) < np.minimum(nat["pbuy"][vu], 0.95))[0]
    last_ev = ts[ev["first"][buy] + k[buy] - 1]
    day_end = cal.midnight_ms[vday[buy] + 1] - 1
    o_ms = np.minimum(last_ev + rng.integers(1000, 120_000, len(buy)), day_end)
    amount = np.maximum(
        np.round(
            nat["spend"][vu[buy]]
            * np.exp(rng.normal(-(SPEND_SIGMA**2) / 2, SPEND_SIGMA, len(buy))),
            2,
        ),
        0.5,
    )
    chunk.o_user = np.concatenate([chunk.o_user, vu[buy]])
    chunk.o_ms = np.concatenate([chunk.o_ms, o_ms])
    chunk.o_amt = np.concatenate([chunk.o_amt, amount])
    chunk.o_id = np.concatenate([chunk.o_id, chunk.order_next + np.arange(len(buy))])
    chunk.order_next += len(buy)
    chunk.campaign["orders"] = len(buy)
    chunk.user_months = np.union1d(
        chunk.user_months, (chunk.first + vu) * 1000 + cal.month_of_day[vday]
    )
    chunk.visits = {"user": vu, "day": vday, "first": ev["first"], "k": k, "ts": ts}


def plant_beta(chunk, cal, rng) -> None:
    """The beta feature of the module docstring: appends its events, sets ``chunk.beta``."""
    nat, launch = chunk.natural, cal.last_month_start + BETA_LAUNCH_DAY - 1
    chunk.beta = {"users": 0, "events": 0}
    if launch >= cal.n_days:
        return
    # active days (natural, then campaign visits) and the timestamps of their events
    days = [(nat["user"], nat["day"], nat["first"], nat["k"], nat["ts"])]
    if chunk.visits is not None:
        v = chunk.visits
        days.append((v["user"], v["day"], v["first"] + len(nat["ts"]), v["k"], v["ts"]))
    user, day, first, k, ts_all = (np.concatenate(parts) for parts in zip(*days))
    rows = np.nonzero(day >= launch)[0]
    rows = rows[np.argsort(user[rows], kind="stable")]
    users, start, count = np.unique(user[rows], return_index=True, return_counts=True)
    chosen = rng.random(len(users)) < BETA_SHARE
    pick = rows[start + (rng.random(len(users)) * count).astype(np.int64)][chosen]
    n_ev = rng.integers(BETA_EVENTS[0], BETA_EVENTS[1] + 1, len(pick))
    seg, pos = _ragged(n_ev)
    r = pick[seg]
    anchor = first[r] + (rng.random(len(seg)) * k[r]).astype(np.int64)
    ts = ts_all[anchor] + rng.integers(1000, 60_001, len(seg))
    ts = np.minimum(ts, cal.midnight_ms[day[r] + 1] - 1 - BETA_EVENTS[1])
    # strictly increasing within a user's day: no two of them are the same logged row
    order = np.lexsort((ts, seg))
    ts = ts[order]
    for j in range(1, BETA_EVENTS[1]):
        later = pos == j
        ts[later] = np.maximum(ts[later], ts[np.nonzero(later)[0] - 1] + 1)
    _append(chunk, user[r], ts, np.full(len(seg), BETA_CODE), day[r])
    chunk.beta = {"users": len(pick), "events": len(seg)}


def contacts_table(chunk, cal) -> pa.Table:
    """The CRM export rows of ``chunk`` (``campaigns.csv``): member id, campaign name, local send
    time text 'YYYY-MM-DD HH:MM:SS' and arm (``treat`` / ``holdout``), in send order."""
    c = chunk.contacts
    o = np.lexsort((c["user"], c["send_ms"]))
    return pa.table(
        {
            "member_id": _ids("u", c["user"][o], chunk.width),
            "campaign_name": pa.array([campaign_name(cal)] * len(o), pa.string()),
            "send_time": _local_text(c["send_ms"][o], cal.timezone),
            "arm": pa.array(np.where(c["holdout"][o], "holdout", "treat"), pa.string()),
        }
    )
