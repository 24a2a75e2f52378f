"""Simulation of the sample's users, chunk by chunk: lives, visits, events, orders, experiment
assignments and planted defects, as numpy arrays (:class:`UserChunk`).

Events and user attributes are codes; :mod:`helpers.sample.names` labels them in the sample's
language. The personas and their parameters are :mod:`helpers.sample.personas`; the generator
(:mod:`helpers.sample.generator`) writes the chunks and assembles the truth.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from helpers.sample.personas import (
    ACTIVITY_CONCENTRATION,
    DETRACTOR,
    DETRACTOR_HAZARD_RATIO,
    EVENT_NAMES,
    EVENTS_SHAPE,
    MIX_CONCENTRATION,
    PASSIVE_EVENTS,
    PERSONA_NAMES,
    PURCHASE_SHAPE,
    SPEND_SHAPE,
    SPEND_SIGMA,
    VARIANT_FORMS,
    nps_latent,
    persona_arrays,
)

CHUNK_USERS = 50_000
DAY_MS = 86_400_000

COMMUNITY_SHARE = 0.30
HAZARD_RATIO = 0.5
INACTIVE_DAYS = 30
RESURRECTION_PROB = 0.20  # of users whose first life ended inside the data
RESURRECTION_GAP_DAYS = (35, 120)  # days between the last active day and the comeback
CHECKOUT_LIFT = 0.50  # per-active-day purchase probability x (1 + lift), treatment
CHECKOUT_ASSIGN_DAYS = 14
WINDOW_DAYS = 28
ONBOARDING_MONTHS = 3
ONBOARDING_UNDERLOGGED = 0.20  # share of treatment assignment rows missing from the file
FREE_ORDER_PROB = 0.03
REFUND_PROB = 0.05
VISITORS_PER_USER = 0.25  # never-signing-up web visitors per user
ORPHANS_PER_USER = 0.002  # deleted accounts: app events, no users row
IDENTITY_SHARE = 0.6  # anonymous ids listed in identities.csv
RATES = {
    "duplicate": 0.003,
    "null_user_id": 0.002,
    "before_launch": 0.0007,
    "in_future": 0.0008,
    "event_name_variant": 0.004,
}
USER_DUP_CONFLICT, USER_DUP_SAME = 0.005, 0.002
IDENTITY_CONFLICT = 0.004

# Local hour-of-day profile of session starts: busy evenings, some activity after 23:00.
_HOURS = np.array(
    [
        1.0,
        0.5,
        0.3,
        0.2,
        0.2,
        0.4,
        1.2,
        2.5,
        3.5,
        3.0,
        2.8,
        3.2,
        4.0,
        3.8,
        3.0,
        2.8,
        2.9,
        3.2,
        3.8,
        4.6,
        5.2,
        5.4,
        4.8,
        3.6,
    ]
)
_HOURS = _HOURS / _HOURS.sum()
_WEEKLY = np.array([1.0, 0.95, 0.95, 1.0, 1.1, 1.3, 1.25])  # signups, Monday..Sunday
# Attribute distributions of users.csv, by code (labels per language in helpers.sample.names):
# cities, channels (organic, search ads, social, referral, app store), genders, platforms.
_CITY_P = np.array([0.16, 0.15, 0.12, 0.11, 0.1, 0.09, 0.08, 0.07, 0.06, 0.06])
_CHANNEL_P = np.array([0.35, 0.2, 0.2, 0.1, 0.15])
_GENDER_P = np.array([0.52, 0.45, 0.03])
WEB_SIGNUP_SHARE = 0.15  # users.csv platform: web; the others sign up on their app device
_N_EV = len(EVENT_NAMES)
_PASSIVE_CODES = np.array([EVENT_NAMES.index(e) for e in PASSIVE_EVENTS])


def _ragged(lengths):
    """Segment index and position within segment for concatenated segments of ``lengths``."""
    lengths = np.asarray(lengths, dtype=np.int64)
    seg = np.repeat(np.arange(len(lengths)), lengths)
    first = np.cumsum(lengths) - lengths
    return seg, np.arange(len(seg)) - first[seg]


def _categorical(rng, cum, rows):
    """One draw per row from the categorical with cumulative probabilities ``cum[rows]``."""
    r = rng.random(len(rows))
    out = np.zeros(len(rows), dtype=np.int16)
    for j in range(cum.shape[1] - 1):
        out += r > cum[rows, j]
    return out


def _local_text(ms, timezone, *, with_offset=False):
    """Local wall-clock text 'YYYY-MM-DD HH:MM:SS' of UTC epoch ``ms`` (seconds resolution).

    With ``with_offset``: ISO 8601 'YYYY-MM-DDTHH:MM:SS+08:00' (an instant).
    """
    utc = pd.DatetimeIndex(np.asarray(ms, dtype=np.int64) // 1000 * 1000 * 1_000_000, tz="UTC")
    local_s = utc.tz_convert(timezone).tz_localize(None).asi8 // 1_000_000_000
    text = pa.array(local_s).cast(pa.timestamp("s")).cast(pa.string())
    if not with_offset:
        return text
    offset = local_s - np.asarray(ms, dtype=np.int64) // 1000
    values, inverse = np.unique(offset, return_inverse=True)
    labels = pa.array(
        [
            f"{'+' if v >= 0 else '-'}{abs(v) // 3600:02d}:{abs(v) % 3600 // 60:02d}"
            for v in values.tolist()
        ]
    )
    text = pc.replace_substring(text, " ", "T", max_replacements=1)
    return pc.binary_join_element_wise(text, labels.take(inverse), "")


def _ids(prefix, nums, width):
    """Ids like 'u000123' for non-negative ``nums``; null where ``nums`` < 0."""
    nums = np.asarray(nums, dtype=np.int64)
    arr = pa.array(nums, mask=nums < 0).cast(pa.string())
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(arr, width, padding="0"), "")


class UserChunk:
    """Simulate ``n`` users (global numbers first..first+n-1) and everything they write.

    ``latent_rng`` draws who answers feedback and their NPS group
    (:func:`helpers.sample.personas.nps_latent`), apart from ``rng``.
    """

    def __init__(
        self, rng, cal, first, n, n_users, width, anon_next, order_next, orphan_range, latent_rng
    ):
        self.cal, self.first, self.n, self.width = cal, first, n, width
        P = persona_arrays()
        D = cal.n_days
        # --- users and their personal rates
        persona = rng.choice(len(PERSONA_NAMES), n, p=P["share"])
        community = rng.random(n) < COMMUNITY_SHARE
        responder, nps_group = nps_latent(latent_rng, persona)
        signup = rng.choice(D, n, p=cal.signup_p)
        m = P["activity_rate"][persona]
        rate = rng.beta(m * ACTIVITY_CONCENTRATION, (1 - m) * ACTIVITY_CONCENTRATION)
        epd = P["events_per_day"][persona] * rng.gamma(EVENTS_SHAPE, 1 / EVENTS_SHAPE, n)
        pbuy = np.minimum(
            P["purchase_prob_per_active_day"][persona]
            * rng.gamma(PURCHASE_SHAPE, 1 / PURCHASE_SHAPE, n),
            0.6,
        )
        spend = P["mean_spend"][persona] * rng.gamma(SPEND_SHAPE, 1 / SPEND_SHAPE, n)
        mix = rng.gamma(MIX_CONCENTRATION * P["event_mix"][persona])
        mix_cum = np.cumsum(mix / mix.sum(axis=1, keepdims=True), axis=1)
        active_mix = mix.copy()
        active_mix[:, _PASSIVE_CODES] = 0
        active_cum = np.cumsum(active_mix / active_mix.sum(axis=1, keepdims=True), axis=1)
        ws = P["web_share"][persona]
        web_share = rng.beta(ws * 6, (1 - ws) * 6)
        login_share = rng.beta(P["login_share"][persona] * 8, (1 - P["login_share"][persona]) * 8)
        hazard = P["daily_churn_hazard"][persona] * np.where(community, HAZARD_RATIO, 1.0)
        hazard *= np.where(nps_group == DETRACTOR, DETRACTOR_HAZARD_RATIO, 1.0)
        # --- lives: first life from signup, maybe a second after a long gap
        life1 = rng.exponential(1 / hazard)
        end1 = np.minimum(np.maximum(np.ceil(signup + life1), signup + 1), D).astype(np.int64)
        seg, pos = _ragged(end1 - signup)
        day = signup[seg] + pos
        act = (rng.random(len(seg)) < rate[seg]) | (pos == 0)
        u1, d1 = seg[act], day[act]
        last1 = d1[np.r_[np.nonzero(np.diff(u1))[0], len(u1) - 1]]
        churned = signup + life1 < D
        comeback = last1 + rng.integers(RESURRECTION_GAP_DAYS[0], RESURRECTION_GAP_DAYS[1] + 1, n)
        resurrected = churned & (rng.random(n) < RESURRECTION_PROB) & (comeback < D)
        life2 = rng.exponential(1 / hazard)
        end2 = np.minimum(np.maximum(np.ceil(comeback + life2), comeback + 1), D)
        seg2, pos2 = _ragged(np.where(resurrected, end2 - comeback, 0))
        day2 = comeback[seg2] + pos2
        act2 = (rng.random(len(seg2)) < rate[seg2]) | (pos2 == 0)
        ad_user = np.concatenate([u1, seg2[act2]])
        ad_day = np.concatenate([d1, day2[act2]])
        order = np.argsort(ad_user * D + ad_day, kind="stable")
        ad_user, ad_day = ad_user[order], ad_day[order]
        # --- events of each active day
        k = 2 + rng.poisson(np.maximum(epd[ad_user] - 2, 0))  # a visit is 2+ events
        web_day = rng.random(len(ad_user)) < web_share[ad_user]
        ev = self._day_events(rng, ad_day, k)
        ev_ad = ev["ad"]
        name = _categorical(rng, mix_cum, ad_user[ev_ad])
        day_first = ev["first"]
        name[day_first] = _categorical(rng, active_cum, ad_user)
        # --- experiments
        a_mask = (ad_day >= cal.last_month_start) & (ad_day < cal.assign_end)
        cu, ci = np.unique(ad_user[a_mask], return_index=True)
        c_ad = np.nonzero(a_mask)[0][ci]
        self.checkout_user = cu
        self.checkout_ms = ev["ts"][ev["first"][c_ad]] // 1000 * 1000
        self.checkout_day = ad_day[c_ad]
        self.checkout_trt = _exact_split(rng, len(cu))
        trt_day = np.full(n, D, dtype=np.int64)
        trt_day[cu[self.checkout_trt]] = self.checkout_day[self.checkout_trt]
        ou = np.nonzero(signup >= cal.onboarding_start)[0]
        self.onb_user, self.onb_trt = ou, _exact_split(rng, len(ou))
        n_missing = round(ONBOARDING_UNDERLOGGED * self.onb_trt.sum())
        missing = rng.choice(np.nonzero(self.onb_trt)[0], n_missing, replace=False)
        self.onb_logged = np.ones(len(ou), dtype=bool)
        self.onb_logged[missing] = False
        # --- orders on active days
        lift = np.where(ad_day >= trt_day[ad_user], 1 + CHECKOUT_LIFT, 1.0)
        pday = np.minimum(pbuy[ad_user] * lift, 0.95)
        buy = np.nonzero(rng.random(len(ad_user)) < pday)[0]
        last_ev = ev["ts"][ev["first"][buy] + k[buy] - 1]
        day_end = cal.midnight_ms[ad_day[buy] + 1] - 1
        o_ms = np.minimum(last_ev + rng.integers(1000, 120_000, len(buy)), day_end)
        amount = np.maximum(
            np.round(
                spend[ad_user[buy]]
                * np.exp(rng.normal(-(SPEND_SIGMA**2) / 2, SPEND_SIGMA, len(buy))),
                2,
            ),
            0.5,
        )
        free = rng.random(len(buy)) < FREE_ORDER_PROB
        amount[free] = 0.0
        nxt = buy + 1
        has_next = nxt < len(ad_user)
        has_next[has_next] = ad_user[nxt[has_next]] == ad_user[buy[has_next]]
        refund = has_next & ~free & (rng.random(len(buy)) < REFUND_PROB)
        r_ad = nxt[refund]
        r_ms = np.minimum(
            ev["ts"][ev["first"][r_ad]] + rng.integers(1000, 3_600_000, len(r_ad)),
            cal.midnight_ms[ad_day[r_ad] + 1] - 1,
        )
        o_user = np.concatenate([ad_user[buy], ad_user[r_ad]])
        o_time = np.concatenate([o_ms, r_ms])
        o_amt = np.concatenate([amount, -amount[refund]])
        o_sort = np.argsort(o_time, kind="stable")
        self.o_user, self.o_ms, self.o_amt = o_user[o_sort], o_time[o_sort], o_amt[o_sort]
        self.o_id = order_next + np.arange(len(o_sort))
        self.order_next = order_next + len(o_sort)
        # --- expected checkout_v2 conversion (the planted estimand)
        self._checkout_estimand(ad_user, ad_day, pbuy, spend)
        # --- split events into the app log and the web log
        ev_user = ad_user[ev_ad]
        ev_web = web_day[ev_ad]
        n_anon = 1 + (rng.random(n) < 0.35)
        anon_base = anon_next + np.concatenate([[0], np.cumsum(n_anon)[:-1]])
        anon_of_day = anon_base[ad_user] + (rng.random(len(ad_user)) * n_anon[ad_user]).astype(int)
        login_day = rng.random(len(ad_user)) < login_share[ad_user]
        device = (rng.random(n) < 0.45).astype(np.int8)  # 1 = ios
        app = ~ev_web
        self.app = {
            "user": first + ev_user[app],
            "ts": ev["ts"][app],
            "name": name[app],
            "device": device[ev_user[app]],
            "day": ad_day[ev_ad[app]],
            "sess_user": first + ev_user[app],
        }
        w_ad = ev_ad[ev_web]
        web = {
            "anon": anon_of_day[w_ad],
            "member": np.where(login_day[w_ad], first + ad_user[w_ad], -1),
            "ts": ev["ts"][ev_web],
            "name": name[ev_web],
            "user": first + ad_user[w_ad],
        }
        self._identities(rng, web, anon_next, int(n_anon.sum()), n_users)
        anon_next += int(n_anon.sum())
        visitors = self._visitors(rng, round(VISITORS_PER_USER * n), anon_next)
        anon_next += round(VISITORS_PER_USER * n)
        self.anon_next = anon_next
        self.app_defects = self._plant(rng, self.app, "uid")
        self.web_real_rows = len(web["ts"])
        self.unstitched = len(visitors["ts"])
        web = {key: np.concatenate([web[key], visitors[key]]) for key in web}
        self.web = web
        self.web_defects = self._plant(rng, self.web, "anon", n_natural=self.web_real_rows)
        self.web_defects["unstitched_anonymous"] = self.unstitched
        self.orphans = self._orphans(rng, orphan_range) if orphan_range else None
        # --- users table (+ planted duplicate rows with later created_at)
        su_first = ev["first"][np.r_[0, np.nonzero(np.diff(ad_user))[0] + 1]]
        self.signup_ms = ev["ts"][su_first] // 1000 * 1000
        self._users_table(rng, persona, community, signup, device)
        # --- truth per user and monthly activity
        self.truth_users = {
            "persona": persona,
            "community": community,
            "signup": signup,
            "first_life_end": last1,
            "life1": life1,
            "churned": churned,
            "resurrected": resurrected,
            "comeback": np.where(resurrected, comeback, -1),
            "responder": responder,
            "nps_group": nps_group,
        }
        months = cal.month_of_day[ad_day]
        self.user_months = np.unique((first + ad_user) * 1000 + months)
        self.n_events = len(ev["ts"])
        # what the append-only plants (helpers.sample.plants) draw on; they drop it when done
        self.natural = dict(user=ad_user, day=ad_day, first=ev["first"], k=k, ts=ev["ts"])
        self.natural.update(persona=persona, epd=epd, pbuy=pbuy, spend=spend, device=device)
        self.natural.update(mix_cum=mix_cum, active_cum=active_cum)

    # ------------------------------------------------------------------------------------------
    def _day_events(self, rng, ad_day, k):
        """Timestamps of ``k`` events on each active day, at a local daily rhythm."""
        cal = self.cal
        ad, pos = _ragged(k)
        gaps = np.where(pos == 0, 0, (rng.exponential(45_000, len(ad)) + 1000).astype(np.int64))
        csum = np.cumsum(gaps)
        first = np.cumsum(k) - k
        offset = csum - csum[first][ad]
        span = offset[first + k - 1]
        start = rng.choice(24, len(k), p=_HOURS) * 3_600_000 + rng.integers(0, 3_600_000, len(k))
        start = np.minimum(start, cal.day_len[ad_day] - span - 1)
        ts = cal.midnight_ms[ad_day][ad] + start[ad] + offset
        return {"ad": ad, "pos": pos, "ts": ts, "first": first}

    def _checkout_estimand(self, ad_user, ad_day, pbuy, spend):
        """Expected 28-day conversion of each assigned user under control and under treatment."""
        a_day = np.full(self.n, -1, dtype=np.int64)
        a_day[self.checkout_user] = self.checkout_day
        in_win = (
            (a_day[ad_user] >= 0)
            & (ad_day >= a_day[ad_user])
            & (ad_day < a_day[ad_user] + WINDOW_DAYS)
        )
        u = ad_user[in_win]
        p0 = np.minimum(pbuy[u], 0.95)
        p1 = np.minimum(pbuy[u] * (1 + CHECKOUT_LIFT), 0.95)
        log0 = np.bincount(u, np.log1p(-p0), minlength=self.n)
        log1 = np.bincount(u, np.log1p(-p1), minlength=self.n)
        rev0 = np.bincount(u, p0 * spend[u], minlength=self.n) * (1 - FREE_ORDER_PROB)
        rev1 = np.bincount(u, p1 * spend[u], minlength=self.n) * (1 - FREE_ORDER_PROB)
        cu = self.checkout_user
        self.est = {
            "p_ctrl": 1 - np.exp(log0[cu]),
            "p_trt": 1 - np.exp(log1[cu]),
            "rev_ctrl": rev0[cu],
            "rev_trt": rev1[cu],
        }
        # observed: any purchase (amount >= 0) in [assigned_at, assigned_at + 28 days)
        a_ms = np.full(self.n, -1, dtype=np.int64)
        a_ms[cu] = self.checkout_ms
        ou = self.o_user
        ok = (
            (a_ms[ou] >= 0)
            & (self.o_amt >= 0)
            & (self.o_ms >= a_ms[ou])
            & (self.o_ms < a_ms[ou] + WINDOW_DAYS * DAY_MS)
        )
        conv = np.bincount(ou[ok], minlength=self.n) > 0
        rev = np.bincount(ou[ok], self.o_amt[ok], minlength=self.n)
        self.est["converted"], self.est["revenue"] = conv[cu], rev[cu]

    def _identities(self, rng, web, anon_base, n_anon_ids, n_users):
        """identities.csv rows: some anon ids listed; the rest stitch through logged-in rows."""
        local = web["anon"] - anon_base
        used = np.zeros(n_anon_ids, dtype=bool)
        used[local] = True
        logged = np.zeros(n_anon_ids, dtype=bool)
        logged[local[web["member"] >= 0]] = True
        owner = np.zeros(n_anon_ids, dtype=np.int64)
        owner[local] = web["user"]
        listed = used & ((rng.random(n_anon_ids) < IDENTITY_SHARE) | ~logged)
        anon_rows = web["member"] < 0
        self.stitched_via_identities = int((anon_rows & listed[local]).sum())
        self.stitched_via_events = int((anon_rows & ~listed[local]).sum())
        ids = np.nonzero(listed)[0]
        a, u = anon_base + ids, owner[ids]
        # planted conflicts: a second, larger user id for some listed anon ids (the audit keeps
        # the smallest, i.e. the true owner)
        n_conf = round(IDENTITY_CONFLICT * len(ids))
        pick = rng.choice(len(ids), n_conf, replace=False)
        other = u[pick] + rng.integers(1, 50, n_conf)
        pick, other = pick[other < n_users], other[other < n_users]
        self.identity_conflicts = len(pick)
        self.identities = (np.concatenate([a, a[pick]]), np.concatenate([u, other]))

    def _visitors(self, rng, n_vis, anon_base):
        """Anonymous web rows of visitors who never sign up (never stitched)."""
        cal = self.cal
        n_days = rng.integers(1, 4, n_vis)
        vis, _ = _ragged(n_days)
        vday = rng.choice(cal.n_days, len(vis), p=cal.signup_p)
        key = np.unique(vis * cal.n_days + vday)
        vis, vday = key // cal.n_days, key % cal.n_days
        k = rng.integers(1, 6, len(vis))
        ev = self._day_events(rng, vday, k)
        casual = persona_arrays()["event_mix"][PERSONA_NAMES.index("casual_browser")]
        name = rng.choice(_N_EV, len(ev["ts"]), p=casual).astype(np.int16)
        m = len(ev["ts"])
        return {
            "anon": anon_base + vis[ev["ad"]],
            "member": np.full(m, -1),
            "ts": ev["ts"],
            "name": name,
            "user": np.full(m, -1),
        }

    def _orphans(self, rng, orphan_range):
        """App events of deleted accounts: user ids absent from users.csv (kept, counted)."""
        lo, hi = orphan_range
        n_days = rng.integers(1, 6, hi - lo)
        who, _ = _ragged(n_days)
        oday = rng.integers(0, self.cal.n_days, len(who))
        key = np.unique(who * self.cal.n_days + oday)
        who, oday = key // self.cal.n_days, key % self.cal.n_days
        k = rng.integers(1, 7, len(who))
        ev = self._day_events(rng, oday, k)
        name = rng.integers(0, _N_EV, len(ev["ts"])).astype(np.int16)
        name[ev["first"]] = rng.integers(0, _PASSIVE_CODES.min(), len(ev["first"]))
        ou = lo + who[ev["ad"]]
        self.orphan_user_months = np.unique(ou * 1000 + self.cal.month_of_day[oday[ev["ad"]]])
        return {
            "user": ou,
            "ts": ev["ts"],
            "name": name,
            "device": (ou % 2).astype(np.int8),
            "day": oday[ev["ad"]],
            "sess_user": ou,
        }

    def _plant(self, rng, rows, id_key, n_natural=None):
        """Append defect rows (copies of clean natural rows) and rename some rows' events.

        Copy sources and renamed rows are disjoint, so every defect is counted once, and the
        rows appended are: exact duplicates, null-user-id copies (app only) and copies moved
        before launch or into the future.
        """
        cal = self.cal
        n_nat = len(rows["ts"]) if n_natural is None else n_natural
        perm = rng.permutation(n_nat)
        counts = {key: int(round(rate * n_nat)) for key, rate in RATES.items()}
        if id_key != "uid":
            counts["null_user_id"] = 0
        cuts = np.cumsum([0] + [counts[k] for k in RATES])
        take = {key: perm[cuts[i] : cuts[i + 1]] for i, key in enumerate(RATES)}
        extra = []
        for key in ("duplicate", "null_user_id", "before_launch", "in_future"):
            src = take[key]
            copy = {col: vals[src].copy() for col, vals in rows.items()}
            if key == "null_user_id":
                copy["user"][:] = -1
            elif key == "before_launch":
                copy["ts"] = cal.valid_from_ms - rng.integers(1, 30 * DAY_MS, len(src))
            elif key == "in_future":
                copy["ts"] = cal.valid_until_ms + rng.integers(0, 60 * DAY_MS, len(src))
            extra.append(copy)
        var = take["event_name_variant"]
        form = rng.integers(0, len(VARIANT_FORMS), len(var))
        rows["name"][var] = _N_EV + rows["name"][var] * len(VARIANT_FORMS) + form
        for col in rows:
            rows[col] = np.concatenate([rows[col]] + [e[col] for e in extra])
        counts["time_out_of_range"] = counts["before_launch"] + counts["in_future"]
        counts["variant_codes"] = np.unique(rows["name"][var])
        return counts

    def _users_table(self, rng, persona, community, signup, device):
        n = self.n
        P = persona_arrays()
        age = np.clip(np.round(rng.normal(P["age_mean"][persona], 9)), 16, 75).astype(int)
        n_cities = len(_CITY_P)
        city = rng.choice(n_cities, n, p=_CITY_P)
        channel = rng.choice(len(_CHANNEL_P), n, p=_CHANNEL_P)
        gender = rng.choice(len(_GENDER_P), n, p=_GENDER_P)
        platform = np.where(rng.random(n) < WEB_SIGNUP_SHARE, 2, 1 - device)  # ios, android, web
        plan = (rng.random(n) < P["plus_share"][persona]).astype(int)
        n_conf = round(USER_DUP_CONFLICT * n)
        n_same = round(USER_DUP_SAME * n)
        dup = rng.choice(n, n_conf + n_same, replace=False)
        conf = dup[:n_conf]
        idx = np.concatenate([np.arange(n), dup])
        ms = np.concatenate(
            [
                self.signup_ms,
                self.signup_ms[dup] + rng.integers(1, 20 * DAY_MS // 1000, len(dup)) * 1000,
            ]
        )
        city_x, plan_x = city[idx].copy(), plan[idx].copy()
        city_x[n : n + n_conf] = (city[conf] + rng.integers(1, n_cities, n_conf)) % n_cities
        plan_x[n : n + n_conf] = 1 - plan[conf]
        created = _local_text(ms, self.cal.timezone)
        # attributes as codes (gender, city, channel, platform, plan): the writer labels them
        self.users = {
            "id": _ids("u", self.first + idx, self.width),
            "created_at": created,
            "age": age[idx],
            "gender": gender[idx],
            "city": city_x,
            "channel": channel[idx],
            "platform": platform[idx],
            "plan": plan_x,
            "joined_community": community[idx].astype(int),
        }
        self.user_dups = {
            "duplicate_user_rows": len(dup),
            "conflicting_duplicate_users": n_conf,
            "duplicated_users": len(dup),
        }


def _exact_split(rng, m):
    """Complete randomization: exactly half treatment (the odd one out at random)."""
    labels = np.zeros(m, dtype=bool)
    labels[: m // 2 + (rng.random() < 0.5 if m % 2 else 0)] = True
    return rng.permutation(labels)


def _canonical(codes):
    codes = np.asarray(codes)
    return np.where(codes < _N_EV, codes, (codes - _N_EV) // len(VARIANT_FORMS))
