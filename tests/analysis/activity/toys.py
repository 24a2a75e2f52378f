"""Toy user_day tables whose activity measures were computed by hand (shared by the tests of
:mod:`helpers.analysis.activity`)."""

import datetime as dt

import ibis
import numpy as np
import pandas as pd

D = dt.date


def make_ud(rows, ev=("view",)):
    """rows: (user, date, active_events[, dict of extra columns])."""
    recs = []
    for r in rows:
        u, d, a = r[:3]
        extra = r[3] if len(r) > 3 else {}
        rec = {
            "user_id": u,
            "day": d,
            "events": a,
            "active_events": a,
            "orders": 0,
            "revenue": 0.0,
            "refunds": 0,
        }
        for e in ev:
            rec[f"ev_{e}"] = 0
        rec[f"ev_{ev[0]}"] = a
        rec.update(extra)
        recs.append(rec)
    df = pd.DataFrame(recs)
    return ibis.memtable(df)


def days(user, *ds, a=1):
    return [(user, d, a) for d in ds]


def rolling_toy():
    return make_ud(
        [
            *days("a", D(2024, 1, 1), D(2024, 1, 2), D(2024, 1, 10)),
            ("b", D(2024, 1, 3), 1),
            ("b", D(2024, 1, 5), 0),  # passive-only day
            ("b", D(2024, 1, 9), 2),
            ("c", D(2024, 1, 9), 1),
        ]
    )


def definition_toy():
    ev = ("view", "order", "push")
    rows = [
        ("q1", D(2024, 1, 5), 2, {"ev_view": 2}),
        ("q1", D(2024, 1, 6), 1, {"ev_view": 1}),
        ("q2", D(2024, 1, 10), 1, {"ev_view": 0, "ev_order": 1, "orders": 1, "revenue": 10.0}),
        ("q3", D(2024, 1, 12), 0, {"ev_view": 0, "ev_push": 3, "events": 3}),
        ("q4", D(2023, 12, 1), 1, {"ev_view": 1}),
    ]
    rows += [("q5", D(2024, 1, d), 1, {"ev_view": 1}) for d in (3, 4, 5, 6)]
    return make_ud(rows, ev=ev)


def power_toy():
    return make_ud(
        [
            ("p1", D(2024, 1, 2), 1),
            ("p2", D(2024, 1, 28), 1),
            *days("p3", D(2024, 1, 1), D(2024, 1, 22), D(2024, 1, 23)),
            *days("p4", *[D(2024, 1, d) for d in range(24, 29)]),
            ("p5", D(2023, 12, 31), 1),
            ("p6", D(2024, 1, 29), 1),
        ]
    )


W0, W1, W2, W3 = D(2024, 1, 1), D(2024, 1, 8), D(2024, 1, 15), D(2024, 1, 22)


def lifecycle_toy():
    # u1 W0 W1 . W3 (+Feb) ; u2 . W1 W2 ; u3 W0 (+March) ; u4 . . W2 W3 ; u5 . . . W3
    return make_ud(
        [
            *days("u1", W0, W1 + dt.timedelta(days=6), W3, D(2024, 2, 5)),
            *days("u2", W1, W2),
            *days("u3", W0 + dt.timedelta(days=3), D(2024, 3, 4)),
            *days("u4", W2, W3),
            ("u5", W3 + dt.timedelta(days=6), 1),
            ("u6", W2, 0),
        ]
    )


def check_identities(p):
    assert (p["active"] == p["new"] + p["returning"] + p["resurrecting"]).all()
    assert (-p["dormant"] == p["active_prev"] - p["returning"]).all()


AS_OF = D(2024, 1, 24)  # a Wednesday: week W3 (Jan 22..28) is still open


def retention_toy():
    return make_ud(
        [
            *days("u1", W0, W1, W3),
            *days("u3", W0, W2),
            ("u6", W0, 1),
            *days("u2", W1, W2),
            *days("u4", W2, W3),
            ("u9", D(2024, 1, 25), 1),
        ]
    )


def cell(cells, cohort, k, col):
    row = cells[(cells["cohort_start"] == pd.Timestamp(cohort)) & (cells["period"] == k)]
    assert len(row) == 1
    return row[col].iloc[0]


def drivers_toy():
    ev = ("view", "share")
    j1, late = D(2024, 1, 1), D(2024, 1, 30)  # late = day 29 after Jan 1
    rows = []
    for i, (doer, retained) in enumerate(
        [(1, 1), (1, 1), (1, 1), (1, 0), (0, 1), (0, 0), (0, 0), (0, 0)]
    ):
        u = f"{'d' if doer else 'n'}{i}"
        rows.append((u, j1, 1, {"ev_view": 1}))
        if doer:
            rows.append((u, D(2024, 1, 3), 1 + (i == 0), {"ev_view": 0, "ev_share": 1 + (i == 0)}))
        rows.append((u, late, int(retained), {"ev_view": int(retained)}))
    rows.append(("x", D(2024, 1, 2), 1, {"ev_share": 5}))  # outcome not observable by Feb 4
    return make_ud(rows, ev=ev)


def random_user_day(seed=7, n_users=300, n_days=120):
    rng = np.random.default_rng(seed)
    start = D(2024, 1, 1)
    rate = rng.beta(0.6, 4, size=n_users)
    mask = rng.random((n_users, n_days)) < rate[:, None]
    u, d = np.nonzero(mask)
    active = rng.integers(0, 3, size=len(u))  # some passive-only days
    df = pd.DataFrame(
        {
            "user_id": [f"u{i:03d}" for i in u],
            "day": [start + dt.timedelta(days=int(x)) for x in d],
            "events": active + 1,
            "active_events": active,
            "orders": 0,
            "revenue": 0.0,
            "refunds": 0,
            "ev_view": active,
        }
    )
    return df
