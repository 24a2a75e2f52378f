"""The android checkout drop of the sample's review month (a release regression), and the
checkout funnel it is measured by.

**The plant** (:func:`plant_checkout_drop`, after the campaign and the beta feature; append-only
with its own generator). Payments fail now and then from launch on: on each app day (every
month, both devices) with a ``checkout_start`` and no purchase, with probability
:data:`BASELINE_FAIL_PROB`, :data:`EXIT_EVENT` follows the day's last ``checkout_start`` by 2-30
s (so the event is not new in the review month, and no funnel step changes). Then the
regression: an *eligible day* is a day of the review month R on which an android
user (``device`` android in the app log) is active in the app, whose last app event is at least
10 minutes before midnight, and with no purchase (an order with amount >= 0) by the user from
that day through 7 days later. Each android user with an eligible day is, with probability
:data:`ABANDON_SHARE`, picked; a picked user's session of one uniformly drawn eligible day ends
with a failed checkout: ``view_item``, ``add_to_cart``, ``checkout_start`` and
:data:`EXIT_EVENT`, 5-60 s, 10-120 s, 10-120 s and 2-30 s apart, after the day's last app event.
Purchases and active days do not change; since no purchase follows within the funnel window, a
planted attempt never reaches ``order``: the picked users who did not reach ``checkout_start``
now stop there, and android's ``checkout_start -> order`` conversion falls.

**The measurement** (:func:`funnel_counts`): the funnel :data:`FUNNEL_STEPS` of the review month
with the semantics of :mod:`helpers.analysis.funnels` (entry by a step-1 event in the month;
steps in order with non-decreasing times within :data:`FUNNEL_WINDOW_DAYS` days of the step-1
event and by the month's end; each user once, at the furthest step over their attempts), over
the rows the cleaning keeps (app and web events of real users, orphans included; purchases from
the orders), with and without the planted rows, per platform: the device of the user's app
events in the month (every user's app events carry one device), or none for users with web
events only.
"""

from __future__ import annotations

import numpy as np

from helpers.sample.personas import EVENT_NAMES, VARIANT_FORMS
from helpers.sample.plants import BETA_CODE, _append
from helpers.sample.simulation import _N_EV

CHECKOUT_DROP_SEED = 17_004  # third seed word of the plant's generator
ABANDON_SHARE = 0.25
BASELINE_FAIL_PROB = 0.05
EXIT_EVENT = "payment_failed"
EXIT_CODE = BETA_CODE + 1  # after the beta event (helpers.sample.names vocabulary)
ANDROID = 0  # device code of the app log (1 = ios)
ROOM_MS = 600_000  # the day's last app event at least this long before midnight
STEP_GAP_MS = ((5_000, 60_001), (10_000, 120_001), (10_000, 120_001), (2_000, 30_001))
FUNNEL_NAME = "checkout"
ORDER_STEP = "order"  # the orders table as a funnel step (helpers.core.schema.ORDER_EVENT)
FUNNEL_STEPS = ("view_item", "add_to_cart", "checkout_start", ORDER_STEP)
FUNNEL_WINDOW_DAYS = 7
_STEP_CODES = [EVENT_NAMES.index(s) if s != ORDER_STEP else -1 for s in FUNNEL_STEPS]
_DAY_MS = 86_400_000
_SHIFT = np.int64(1) << np.int64(36)  # user * _SHIFT + ms since a month start (< 2^36)
PLATFORMS = ("android", "ios", "none")  # the device codes, then users without app events
DROP_DEFINITION = (
    "on the review month's eligible days (an android user active in the app, the last app "
    "event at least 10 minutes before midnight, no purchase from that day through 7 days "
    "later), each android user with one is picked with probability abandon_share, and the "
    "session of one of their eligible days ends with view_item, add_to_cart, checkout_start "
    "and the exit event; no purchase follows, so android's checkout_start -> order conversion "
    "falls"
)


def plant_checkout_drop(chunk, cal, rng) -> None:
    """The plant of the module docstring: appends its events to ``chunk.app``, sets
    ``chunk.checkout_drop`` (counts) and ``chunk.funnel`` (:func:`funnel_counts`, with and
    without the planted rows)."""
    n, first = chunk.n, chunk.first
    lo, hi = cal.midnight_ms[cal.last_month_start], cal.midnight_ms[cal.n_days]
    buy = chunk.o_amt >= 0
    base = cal.valid_from_ms
    okeys = np.sort(chunk.o_user[buy] * _SHIFT + (chunk.o_ms[buy] - base))

    def bought(user, day, days):  # a purchase by ``user`` on local days [day, day + days)
        frm = user * _SHIFT + (cal.midnight_ms[day] - base)
        to = user * _SHIFT + (cal.midnight_ms[np.minimum(day + days, cal.n_days)] - base)
        return np.searchsorted(okeys, to) > np.searchsorted(okeys, frm)

    baseline = _baseline_failures(chunk, cal, rng, bought)
    app = chunk.app
    u, day, ts = app["user"] - first, app["day"], app["ts"]
    ok = (u >= 0) & (u < n) & (ts >= lo) & (ts < hi)
    ok &= (ts >= cal.midnight_ms[day]) & (ts < cal.midnight_ms[np.minimum(day + 1, cal.n_days)])
    d_user, d_day, last = _last_per_day(u[ok], day[ok], ts[ok], cal.n_days)
    android = chunk.natural["device"][d_user] == ANDROID
    room = last + ROOM_MS <= cal.midnight_ms[d_day + 1] - 1
    e = np.nonzero(android & room & ~bought(d_user, d_day, 8))[0]  # none on days d..d+7
    users, start, count = np.unique(d_user[e], return_index=True, return_counts=True)
    chosen = rng.random(len(users)) < ABANDON_SHARE
    pick = e[start + (rng.random(len(users)) * count).astype(np.int64)][chosen]
    m = len(pick)
    gaps = np.stack([rng.integers(a, b, m) for a, b in STEP_GAP_MS], axis=1)
    times = last[pick][:, None] + np.cumsum(gaps, axis=1)
    codes = np.array(_STEP_CODES[:3] + [EXIT_CODE])
    n_before = len(app["ts"])
    _append(
        chunk,
        np.repeat(d_user[pick], 4),
        times.ravel(),
        np.tile(codes, m),
        np.repeat(d_day[pick], 4),
    )
    chunk.checkout_drop = {
        "eligible_users": len(users),
        "users": m,
        "events": 4 * m,
        "baseline_events": baseline,
    }
    planted = np.zeros(len(chunk.app["ts"]), dtype=bool)
    planted[n_before:] = True
    chunk.funnel = {
        "observed": funnel_counts(chunk, cal),
        "natural": funnel_counts(chunk, cal, drop=planted),
    }


def _last_per_day(user, day, ts, n_days):
    """(user, day, last ts) of each user's day among the rows ``user``, ``day``, ``ts``."""
    key = user * n_days + day
    o = np.lexsort((ts, key))
    key, ts = key[o], ts[o]
    ends = np.r_[np.nonzero(np.diff(key))[0], len(key) - 1] if len(key) else np.zeros(0, int)
    return key[ends] // n_days, key[ends] % n_days, ts[ends]


def _baseline_failures(chunk, cal, rng, bought) -> int:
    """Append the baseline payment failures of the module docstring; return how many."""
    app, n = chunk.app, chunk.n
    u, day, ts = app["user"] - chunk.first, app["day"], app["ts"]
    ok = (u >= 0) & (u < n) & (_canonical_codes(app["name"]) == _STEP_CODES[2])
    ok &= (ts >= cal.midnight_ms[day]) & (ts < cal.midnight_ms[np.minimum(day + 1, cal.n_days)])
    d_user, d_day, last = _last_per_day(u[ok], day[ok], ts[ok], cal.n_days)
    fail = np.nonzero(~bought(d_user, d_day, 1) & (rng.random(len(d_user)) < BASELINE_FAIL_PROB))[
        0
    ]
    at = np.minimum(
        last[fail] + rng.integers(2_000, 30_001, len(fail)), cal.midnight_ms[d_day[fail] + 1] - 1
    )
    _append(chunk, d_user[fail], at, np.full(len(fail), EXIT_CODE), d_day[fail])
    return len(fail)


def _canonical_codes(codes):
    codes = np.asarray(codes, dtype=np.int64)
    variant = (codes >= _N_EV) & (codes < BETA_CODE)
    return np.where(variant, (codes - _N_EV) // len(VARIANT_FORMS), codes)


def funnel_counts(chunk, cal, *, drop=None) -> np.ndarray:
    """Users of ``chunk`` reaching each step of the review month's checkout funnel, per platform
    (rows :data:`PLATFORMS`, columns :data:`FUNNEL_STEPS`), leaving out the app rows ``drop``."""
    lo, hi = cal.midnight_ms[cal.last_month_start], cal.midnight_ms[cal.n_days]
    parts = []
    web = dict(chunk.web, device=np.full(len(chunk.web["ts"]), -1, dtype=np.int8))
    for rows, skip in ((chunk.app, drop), (chunk.orphans, None), (web, None)):
        if rows is None:
            continue
        r = (rows["user"] >= 0) & (rows["ts"] >= lo) & (rows["ts"] < hi)  # real users, month R
        if skip is not None:
            r &= ~skip
        parts.append(tuple(rows[col][r] for col in ("user", "ts", "name", "device")))
    user, ts, code, device = (np.concatenate(p) for p in zip(*parts))
    ts, code = ts - lo, _canonical_codes(code)
    buy = (chunk.o_amt >= 0) & (chunk.o_ms >= lo) & (chunk.o_ms < hi)
    o_user, o_ts = chunk.first + chunk.o_user[buy], chunk.o_ms[buy] - lo

    def step_keys(code_k):
        if code_k < 0:
            return np.sort(o_user * _SHIFT + o_ts)
        sel = code == code_k
        return np.sort(user[sel] * _SHIFT + ts[sel])

    sel = code == _STEP_CODES[0]
    au, t1 = user[sel], ts[sel]
    prev, reached = t1.copy(), np.ones(len(au), dtype=np.int64)
    alive = np.arange(len(au))
    window = FUNNEL_WINDOW_DAYS * _DAY_MS
    for k, code_k in enumerate(_STEP_CODES[1:], start=2):
        keys = step_keys(code_k)
        if len(keys) == 0 or len(alive) == 0:
            break
        j = np.minimum(np.searchsorted(keys, au[alive] * _SHIFT + prev[alive]), len(keys) - 1)
        cand_user, cand_t = keys[j] // _SHIFT, keys[j] % _SHIFT
        found = (cand_user == au[alive]) & (cand_t >= prev[alive])
        found &= cand_t <= t1[alive] + window
        prev[alive[found]] = cand_t[found]
        reached[alive[found]] = k
        alive = alive[found]
    users, inv = np.unique(au, return_inverse=True)
    best = np.zeros(len(users), dtype=np.int64)
    np.maximum.at(best, inv, reached)
    # each user's platform: the device of their app rows in the month (none: web only)
    is_app = device >= 0
    app_users, at = np.unique(user[is_app], return_index=True)
    app_device = device[is_app][at]
    pos = np.minimum(np.searchsorted(app_users, users), max(len(app_users) - 1, 0))
    has_app = (app_users[pos] == users) if len(app_users) else np.zeros(len(users), bool)
    platform = np.where(has_app, app_device[pos] if len(app_users) else 0, len(PLATFORMS) - 1)
    steps = np.arange(1, len(FUNNEL_STEPS) + 1)
    return np.stack(
        [((platform == p)[:, None] & (best[:, None] >= steps)).sum(axis=0) for p in range(3)]
    )


def funnel_truth(observed, natural, drop: dict, cal, names) -> dict:
    """``truth.json`` ``funnel``: the funnel, the planted drop and what the semantics measure,
    from the per-platform step counts summed over chunks (:func:`funnel_counts`)."""
    labels = [names.events[c] if c >= 0 else ORDER_STEP for c in _STEP_CODES]
    platform_label = {"android": names.devices[0], "ios": names.devices[1]}

    def per_platform(counts):
        counts = np.asarray(counts)
        out = {platform_label[p]: counts[i].tolist() for i, p in enumerate(PLATFORMS[:2])}
        out["no_app_events"] = counts[2].tolist()
        out["all"] = counts.sum(axis=0).tolist()
        return {k: [int(x) for x in v] for k, v in out.items()}

    def conversions(users):
        return {
            seg: [round(b / a, 6) if a else None for a, b in zip(n[:-1], n[1:])]
            for seg, n in users.items()
        }

    users, users_nat = per_platform(observed), per_platform(natural)
    conv, conv_nat = conversions(users), conversions(users_nat)
    android, ios = platform_label["android"], platform_label["ios"]
    last = len(FUNNEL_STEPS) - 2  # checkout_start -> order
    largest = {}
    for seg, c in conv.items():
        if seg == "no_app_events" or any(x is None for x in c):
            continue
        order = sorted(range(len(c)), key=lambda i: (c[i], i))
        worst, nxt = order[0], order[1]
        largest[seg] = {
            "from": labels[worst],
            "to": labels[worst + 1],
            "conversion": c[worst],
            "next_lowest_from": labels[nxt],
            "next_lowest_to": labels[nxt + 1],
            "next_lowest_conversion": c[nxt],
            "margin_points": round(100 * (c[nxt] - c[worst]), 4),
        }
    a, i, a_nat = conv[android][last], conv[ios][last], conv_nat[android][last]
    return {
        "name": FUNNEL_NAME,
        "steps": labels,
        "window_days": FUNNEL_WINDOW_DAYS,
        "month": cal.month_labels[-1],
        "definition": "users who enter the review month's funnel (a step-1 event in the month) "
        "by the furthest step they reach: steps in order with non-decreasing times within "
        "window_days of the step-1 event and by the month's end, each user once at the "
        "furthest step over all their step-1 events; order = a purchase (amount >= 0) in the "
        "orders",
        "platform_definition": "the device of the user's app events in the month (each user's "
        "app events carry one device; users.csv platform is that device, or web); "
        "no_app_events: users with web events only in the month",
        "drop": {
            "platform": android,
            "exit_event": names.exit_event,
            "abandon_share": ABANDON_SHARE,
            "baseline_fail_prob": BASELINE_FAIL_PROB,
            "baseline_events": int(drop.get("baseline_events", 0)),
            "eligible_users": int(drop.get("eligible_users", 0)),
            "users": int(drop.get("users", 0)),
            "events": int(drop.get("events", 0)),
            "definition": DROP_DEFINITION,
        },
        "users": users,
        "users_without_plant": users_nat,
        "conversion_from_previous": conv,
        "conversion_from_previous_without_plant": conv_nat,
        "checkout_to_order": {
            android: a,
            ios: i,
            "gap_points": round(100 * (i - a), 4) if None not in (a, i) else None,
            "without_plant": a_nat,  # the drop platform's, without the planted rows
            "planted_drop_points": round(100 * (a_nat - a), 4) if None not in (a, a_nat) else None,
        },
        "largest_drop": largest,
    }
