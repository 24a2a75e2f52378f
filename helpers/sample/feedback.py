"""The sample's feedback export (``feedback.csv``): ratings, NPS answers and comments from the
users who answer surveys, with a planted pain point.

Who answers, and how, was drawn with the users (:func:`helpers.sample.personas.nps_latent`): a
share :data:`~helpers.sample.personas.RESPONDER_SHARE` of the users are *responders*, each with a
fixed NPS group (promoter, passive, detractor; probabilities per persona). Non-responders write
no feedback. :func:`plant_feedback` then writes, only on days the responder is active (natural
days or a campaign visit):

* **the onboarding survey** (``app_survey``) on the first active day (the signup day): an NPS
  score and stars;
* **the monthly survey** (``app_survey``) in every later calendar month with an active day, with
  probability :data:`MONTHLY_SURVEY_PROB`, on one of that month's active days drawn uniformly: an
  NPS score, stars with probability :data:`SURVEY_STARS_PROB` (otherwise an NPS-only row).
  Together with the onboarding survey, a responder active in a month answers the NPS question
  exactly once in it, so a month's NPS answers are its active responders, each once: any
  monthly probability below 1 would over-weight the month's new users (their onboarding answer
  is certain) against the survivors, who are fewer detractors;
* **customer-service tickets** (``customer_service``; stars and a comment), with probability
  :data:`SERVICE_PROB` per active month, and **app-store reviews** (``app_store``; stars, a
  comment with probability :data:`STORE_COMMENT_PROB`), with probability :data:`STORE_PROB`
  per active month, each on one of the month's active days drawn uniformly.

An NPS score follows the responder's group (:data:`NPS_SCORE_P`). Stars follow the persona
(:data:`STARS_P`); a detractor's are :data:`DETRACTOR_STAR_SHIFT` lower (at least 1). Survey rows
carry a comment with probability :data:`SURVEY_COMMENT_PROB`. A comment's topic follows the
persona (:data:`TOPIC_P`; topics of :mod:`helpers.sample.comments`), its language is Chinese with
probability :data:`ZH_SHARE`, else English, and its tone is negative when its stars are 1-2 (or,
without stars, when the responder is a detractor). **The pain point**: a deal hunter's comment
about coupons has stars drawn from :data:`PAIN_STARS_P` (mean 1.86, no detractor shift) instead.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from helpers.sample.comments import TOPIC_KEYWORDS, TOPICS, comment_vocabulary
from helpers.sample.personas import (
    DETRACTOR,
    DETRACTOR_HAZARD_RATIO,
    EVENT_NAMES,
    NPS_GROUP_P,
    NPS_GROUPS,
    PERSONA_NAMES,
    RESPONDER_SHARE,
    persona_arrays,
)
from helpers.sample.simulation import _ids, _local_text

FEEDBACK_SEED = 17_003  # third seed word of the feedback plant's generator
LATENT_SEED = 17_013  # ... and of the draw of responders and NPS groups, with the users
SOURCES = ("app_survey", "customer_service", "app_store")
KINDS = ("onboarding_survey", "monthly_survey", "customer_service", "app_store")
_KIND_SOURCE = np.array([0, 0, 1, 2])
MONTHLY_SURVEY_PROB = 1.0
SURVEY_STARS_PROB = 0.5  # a monthly survey answer also rates 1-5 stars
SURVEY_COMMENT_PROB = 0.25  # a survey answer (onboarding or monthly) has a comment
SERVICE_PROB = 0.10  # per responder and active month
STORE_PROB = 0.04  # per responder and active month
STORE_COMMENT_PROB = 0.9
ZH_SHARE = 0.75
ANSWER_DELAY_MS = (1_000, 300_000)  # after one of the day's events (the first, at onboarding)
STARS_P = {  # 1..5 stars, promoters and passives; detractors one star lower
    "power_user": (0.02, 0.03, 0.10, 0.35, 0.50),
    "steady_regular": (0.03, 0.05, 0.15, 0.40, 0.37),
    "deal_hunter": (0.06, 0.10, 0.28, 0.36, 0.20),
    "casual_browser": (0.05, 0.08, 0.25, 0.37, 0.25),
    "trialist": (0.08, 0.12, 0.30, 0.32, 0.18),
}
DETRACTOR_STAR_SHIFT = 1
PAIN_PERSONA, PAIN_TOPIC = "deal_hunter", "优惠券"
PAIN_STARS_P = (0.45, 0.35, 0.12, 0.05, 0.03)
TOPIC_P = {  # no topic, then the topics of helpers.sample.comments.TOPIC_KEYWORDS in order
    "power_user": (0.52, 0.08, 0.12, 0.18, 0.10),
    "steady_regular": (0.52, 0.08, 0.10, 0.20, 0.10),
    "deal_hunter": (0.30, 0.45, 0.08, 0.10, 0.07),
    "casual_browser": (0.55, 0.08, 0.07, 0.12, 0.18),
    "trialist": (0.45, 0.06, 0.07, 0.07, 0.35),
}
NPS_SCORE_P = {  # score 0..10 given the group
    "promoter": {9: 0.45, 10: 0.55},
    "passive": {7: 0.5, 8: 0.5},
    "detractor": {0: 0.04, 1: 0.04, 2: 0.06, 3: 0.10, 4: 0.16, 5: 0.25, 6: 0.35},
}
_P, _T, _G = len(PERSONA_NAMES), len(TOPICS), len(NPS_GROUPS)
_PAIN = (PERSONA_NAMES.index(PAIN_PERSONA), TOPICS.index(PAIN_TOPIC))
_TEXTS, _TEXT_START, _TEXT_COUNT = (np.asarray(a) for a in comment_vocabulary())
FEEDBACK_DEFINITION = (
    "a share of users are responders with a fixed NPS group (probabilities per persona); a "
    "responder answers the onboarding survey (NPS and stars) on the first active day and the "
    "monthly survey (NPS, stars half the time) on a uniformly drawn active day of every later "
    "month with activity, and opens customer-service tickets and app-store reviews on active "
    "days; stars follow the persona, one lower for detractors, and a deal hunter's comments "
    "about coupons draw low stars (the pain point)"
)


def _cum(table) -> np.ndarray:
    rows = np.array([table[name] for name in PERSONA_NAMES], dtype=float)
    return np.cumsum(rows / rows.sum(axis=1, keepdims=True), axis=1)


def _score_cum() -> np.ndarray:
    p = np.zeros((_G, 11))
    for g, name in enumerate(NPS_GROUPS):
        for score, prob in NPS_SCORE_P[name].items():
            p[g, score] = prob
    return np.cumsum(p, axis=1)


def _draw(rng, cum) -> np.ndarray:
    """One categorical draw per row of the cumulative probabilities ``cum`` (rows x categories)."""
    r = rng.random(len(cum))
    return (r[:, None] > cum[:, :-1]).sum(axis=1)


def mean_stars(probs) -> float:
    """Mean of a 1..5 star distribution.

    >>> mean_stars(PAIN_STARS_P)
    1.86
    """
    return round(float(np.dot(np.arange(1, 6), probs) / np.sum(probs)), 4)


def detractor_stars(probs) -> np.ndarray:
    """The 1..5 star distribution of a detractor: ``probs`` moved down
    :data:`DETRACTOR_STAR_SHIFT` stars, the mass below 1 at 1."""
    p = np.asarray(probs, dtype=float)
    out = np.zeros(5)
    for stars in range(5):
        out[max(stars - DETRACTOR_STAR_SHIFT, 0)] += p[stars]
    return out


def plant_feedback(chunk, cal, rng) -> None:
    """Write the feedback rows of ``chunk``'s responders (the module docstring): sets
    ``chunk.feedback`` (the rows) and ``chunk.feedback_counts`` (for the truth)."""
    nat, tu, n = chunk.natural, chunk.truth_users, chunk.n
    persona, group = nat["persona"], tu["nps_group"]
    # the responders' active days (natural, then campaign visits) and their events' timestamps
    days = [(nat["user"], nat["day"], nat["first"], nat["k"], nat["ts"])]
    if chunk.visits is not None:
        v = chunk.visits
        days.append((v["user"], v["day"], v["first"] + len(nat["ts"]), v["k"], v["ts"]))
    user, day, first, k, ts_all = (np.concatenate(parts) for parts in zip(*days))
    keep = np.nonzero(tu["responder"][user])[0]
    keep = keep[np.lexsort((day[keep], user[keep]))]
    user, day, first, k = user[keep], day[keep], first[keep], k[keep]
    month = cal.month_of_day[day]
    n_months = len(cal.month_labels)
    # one row per responder (the first active day) and per responder's active month
    onb = np.r_[0, np.nonzero(np.diff(user))[0] + 1] if len(user) else np.zeros(0, np.int64)
    signup_month = np.full(n, n_months, dtype=np.int64)
    signup_month[user[onb]] = month[onb]
    key = user * n_months + month
    g_start = np.r_[0, np.nonzero(np.diff(key))[0] + 1] if len(key) else np.zeros(0, np.int64)
    g_count = np.diff(np.r_[g_start, len(key)])
    g_user, g_month = user[g_start], month[g_start]
    n_g = len(g_start)
    wants = (
        (g_month > signup_month[g_user]) & (rng.random(n_g) < MONTHLY_SURVEY_PROB),
        rng.random(n_g) < SERVICE_PROB,
        rng.random(n_g) < STORE_PROB,
    )
    rows, kinds = [onb], [np.zeros(len(onb), dtype=np.int64)]
    for kind, want in enumerate(wants, start=1):
        pick = g_start + (rng.random(n_g) * g_count).astype(np.int64)
        rows.append(pick[want])
        kinds.append(np.full(int(want.sum()), kind, dtype=np.int64))
    row, kind = np.concatenate(rows), np.concatenate(kinds)
    m = len(row)
    u = user[row]
    p, g = persona[u], group[u].astype(np.int64)
    # what each row holds
    has_nps = kind <= 1
    has_stars = (kind != 1) | (rng.random(m) < SURVEY_STARS_PROB)
    comment_p = np.array([SURVEY_COMMENT_PROB, SURVEY_COMMENT_PROB, 1.0, STORE_COMMENT_PROB])
    has_comment = rng.random(m) < comment_p[kind]
    nps = _draw(rng, _score_cum()[g])
    topic = _draw(rng, _cum(TOPIC_P)[p])
    stars = _draw(rng, _cum(STARS_P)[p]) + 1
    stars = np.where(g == DETRACTOR, np.maximum(stars - DETRACTOR_STAR_SHIFT, 1), stars)
    pain = has_comment & (p == _PAIN[0]) & (topic == _PAIN[1])
    pain_stars = _draw(rng, np.broadcast_to(np.cumsum(PAIN_STARS_P), (m, 5))) + 1
    stars = np.where(pain, pain_stars, stars)
    negative = np.where(has_stars, stars <= 2, g == DETRACTOR)
    english = rng.random(m) >= ZH_SHARE
    combo = (topic * 2 + (~negative)) * 2 + english
    text = _TEXT_START[combo] + (rng.random(m) * _TEXT_COUNT[combo]).astype(np.int64)
    # when: after one of the day's events (the first at onboarding), within the day
    ev = first[row] + np.where(kind == 0, 0, (rng.random(m) * k[row]).astype(np.int64))
    ms = ts_all[ev] + rng.integers(*ANSWER_DELAY_MS, m)
    ms = np.minimum(ms, cal.midnight_ms[day[row] + 1] - 1)
    o = np.lexsort((u, ms))
    chunk.feedback = {
        "user": chunk.first + u[o],
        "ms": ms[o],
        "source": _KIND_SOURCE[kind][o],
        "stars": np.where(has_stars, stars, -1)[o],
        "nps": np.where(has_nps, nps, -1)[o],
        "text": np.where(has_comment, text, -1)[o],
    }
    # --- the counts the truth sums over chunks
    review = len(cal.month_labels) - 1
    active_r = np.unique(user[month == review])
    star_topic = np.where(has_comment, topic, _T)  # _T: a rating without a comment
    chunk.feedback_counts = {
        "responders": _table(persona[tu["responder"]], group[tu["responder"]], _G),
        "review_active": _table(persona[active_r], group[active_r], _G),
        "review_nps_answers": _table(
            p[has_nps & (month[row] == review)], g[has_nps & (month[row] == review)], _G
        ),
        "rows_by_kind": np.bincount(kind, minlength=len(KINDS)),
        "rows_with": np.array([has_stars.sum(), has_nps.sum(), has_comment.sum()]),
        "star_rows": _table(p[has_stars], star_topic[has_stars], _T + 1),
        "star_sum": _table(p[has_stars], star_topic[has_stars], _T + 1, stars[has_stars]),
        "pain_rows": np.bincount(english[pain & has_stars].astype(int), minlength=2),
        "pain_star_sum": int(stars[pain & has_stars].sum()),
        "churn": _table(
            np.select([~tu["responder"], group == DETRACTOR], [0, 2], 1),
            tu["churned"].astype(np.int64),
            2,
        ),
    }


def _table(rows, cols, n_cols, weights=None) -> np.ndarray:
    """Counts (or sums of ``weights``) per (row code < 5, column code < ``n_cols``): a
    persona-by-column table (or a smaller code, such as a feedback level, by column)."""
    rows, cols = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
    flat = np.bincount(rows * n_cols + cols, weights, minlength=_P * n_cols)
    return flat.reshape(_P, n_cols)


def feedback_table(chunk, cal) -> pa.Table:
    """The feedback export rows of ``chunk`` (``feedback.csv``): member id, local time text
    'YYYY-MM-DD HH:MM:SS', stars and NPS score (empty when not asked), source, comment."""
    f = chunk.feedback

    def optional(values):
        return pa.array(values, mask=values < 0, type=pa.int64())

    return pa.table(
        {
            "member_id": _ids("u", f["user"], chunk.width),
            "submitted_at": _local_text(f["ms"], cal.timezone),
            "stars": optional(f["stars"]),
            "nps_score": optional(f["nps"]),
            "source": pa.array(np.array(SOURCES)[f["source"]], pa.string()),
            "comment": pa.array(
                np.where(f["text"] >= 0, _TEXTS[np.maximum(f["text"], 0)], None), pa.string()
            ),
        }
    )


def topics_yaml(names) -> str:
    """The ``feedback:`` section of the sample's persona.yaml (event names in ``names``'
    language)."""
    lines = ["feedback:", "  topics:"]
    for topic, (keywords, events, label) in TOPIC_KEYWORDS.items():
        evs = [names.events[EVENT_NAMES.index(e)] for e in events]
        ev_part = f", events: [{', '.join(evs)}]" if evs else ""
        lines.append(
            f"    {topic}: {{keywords: [{', '.join(keywords)}]{ev_part}, labels: {{en: {label}}}}}"
        )
    return "\n".join(lines)


def feedback_truth(c: dict, cal, names) -> dict:
    """``truth.json`` ``feedback``: the planted parameters and the counts ``c`` summed over the
    chunks (:attr:`chunk.feedback_counts <plant_feedback>`)."""
    mix = persona_arrays()["event_mix"][:, EVENT_NAMES.index("coupon_view")]
    by_persona = {}
    for i, name in enumerate(PERSONA_NAMES):
        gp, sp = NPS_GROUP_P[name], STARS_P[name]
        rows, sums = c["star_rows"][i], c["star_sum"][i]
        by_persona[name] = {
            "nps_group_p": dict(zip(NPS_GROUPS, gp)),
            "planted_nps_points": round(100 * (gp[0] - gp[2]), 2),
            "stars_p": list(sp),
            "mean_stars": mean_stars(sp),
            "mean_stars_detractor": mean_stars(detractor_stars(sp)),
            "topic_p": {t or "none": tp for t, tp in zip(TOPICS, TOPIC_P[name])},
            "responders": int(c["responders"][i].sum()),
            "rated_rows": int(rows.sum()),
            "observed_mean_stars": _ratio(sums.sum(), rows.sum()),
            "observed_mean_stars_by_topic": {
                t or "none": _ratio(sums[j], rows[j]) for j, t in enumerate(TOPICS)
            },
            "coupon_view_share": round(float(mix[i]), 4),
        }
    pain_rows = c["pain_rows"]
    groups = c["churn"]
    return {
        "definition": FEEDBACK_DEFINITION,
        "responder_share": RESPONDER_SHARE,
        "responders": int(c["responders"].sum()),
        "sources": list(SOURCES),
        "rows": int(c["rows_by_kind"].sum()),
        "rows_by_kind": {k: int(v) for k, v in zip(KINDS, c["rows_by_kind"])},
        "rows_with_stars": int(c["rows_with"][0]),
        "rows_with_nps": int(c["rows_with"][1]),
        "rows_with_comment": int(c["rows_with"][2]),
        "monthly_survey_prob": MONTHLY_SURVEY_PROB,
        "survey_stars_prob": SURVEY_STARS_PROB,
        "survey_comment_prob": SURVEY_COMMENT_PROB,
        "service_prob_per_active_month": SERVICE_PROB,
        "store_prob_per_active_month": STORE_PROB,
        "store_comment_prob": STORE_COMMENT_PROB,
        "chinese_comment_share": ZH_SHARE,
        "nps_score_p": {g: {str(k): v for k, v in NPS_SCORE_P[g].items()} for g in NPS_GROUPS},
        "detractor_star_shift": DETRACTOR_STAR_SHIFT,
        "by_persona": by_persona,
        "review_month": {
            "month": cal.month_labels[-1],
            "definition": "the responders with an active day in the month (natural or a "
            "campaign visit), by planted persona and latent NPS group; each answers the NPS "
            "question exactly once in the month, so the month's NPS answers are this population",
            "by_persona": _nps_block(c["review_active"]),
            "nps_answers_by_persona": _nps_block(c["review_nps_answers"]),
        },
        "topics": {
            t: {
                "keywords": kw,
                "events": [names.events[EVENT_NAMES.index(e)] for e in ev],
                "label_en": label,
            }
            for t, (kw, ev, label) in TOPIC_KEYWORDS.items()
        },
        "pain_point": {
            "persona": PAIN_PERSONA,
            "topic": PAIN_TOPIC,
            "event": names.coupon_event,
            "stars_p": list(PAIN_STARS_P),
            "mean_stars": mean_stars(PAIN_STARS_P),
            "definition": "a deal hunter's comment about coupons rates stars drawn from stars_p "
            "(no detractor shift); their other comments and other personas' coupon comments "
            "rate as their persona does",
            "rated_rows": int(pain_rows.sum()),
            "rated_rows_zh": int(pain_rows[0]),
            "rated_rows_en": int(pain_rows[1]),
            "observed_mean_stars": _ratio(c["pain_star_sum"], pain_rows.sum()),
        },
        "detractor_churn": {
            "hazard_ratio": DETRACTOR_HAZARD_RATIO,
            "covariate": "nps_group",
            "levels": ["no_feedback", "other_responder", "detractor"],
            "reference": "no_feedback",
            "hazard_ratio_other_responder": 1.0,
            "definition": "a responder whose NPS group is detractor has the daily churn hazard "
            "of their persona (halved for community members) times hazard_ratio from signup, in "
            "both lives; non-responders and the other responders keep it; the group is known "
            "from the onboarding survey on the signup day",
            "users": {
                lv: int(groups[j].sum())
                for j, lv in enumerate(("no_feedback", "other_responder", "detractor"))
            },
            "churned_first_life": {
                lv: int(groups[j][1])
                for j, lv in enumerate(("no_feedback", "other_responder", "detractor"))
            },
        },
    }


def _ratio(num, den):
    return round(float(num) / float(den), 4) if den else None


def _nps_block(t) -> dict:
    out = {}
    for i, name in enumerate(PERSONA_NAMES):
        pro, pas, det = (int(x) for x in t[i])
        n = pro + pas + det
        out[name] = {
            "responders": n,
            "promoters": pro,
            "passives": pas,
            "detractors": det,
            "promoter_share": round(pro / n, 6) if n else None,
            "detractor_share": round(det / n, 6) if n else None,
            "nps_points": round(100 * (pro - det) / n, 4) if n else None,
        }
    return out
