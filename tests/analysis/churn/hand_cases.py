"""The hand-made ``user_day`` the churn tests share: eight users whose lives are known by hand."""

import ibis
import pandas as pd

BASE = pd.Timestamp("2024-01-01")  # day 0
AS_OF = (BASE + pd.Timedelta(days=60)).date()
K = 5


def day(d):
    """The date ``d`` days after :data:`BASE`."""
    return (BASE + pd.Timedelta(days=d)).date()


def _row(u, d, active=1, orders=0):
    return dict(
        user_id=u,
        day=day(d),
        events=max(active, 1),
        active_events=active,
        orders=orders,
        revenue=10.0 * orders,
        refunds=0,
        ev_view=active if not orders else 0,
        ev_push=0 if active else 1,
        ev_order=orders,
    )


def hand_user_day_table():
    """The eight users as an ibis table (see the comments for each user's lives)."""
    rows = []
    for d in (0, 6, 7):  # A: 5 silent days (1..5) after day 0 = churn, then returns
        rows.append(_row("A", d))
    for d in (0, 5):  # B: 4 silent days: same life; churned at day 5
        rows.append(_row("B", d))
    for d in (50, 55):  # C: as_of - 55 = 5 = K silent days at as_of: churned
        rows.append(_row("C", d))
    for d in (52, 56):  # D: only 4 silent days at as_of: censored at as_of - K
        rows.append(_row("D", d))
    rows.append(_row("E", 20))  # E: one active day
    rows += [_row("F", 30, 1, 1), _row("F", 33, active=0)]  # F: only an order (+ a passive day)
    rows.append(_row("G", 58))  # G: started after as_of - K: no information yet
    rows += [_row("H", 10), _row("H", 70)]  # H: day 70 is after as_of: unseen
    return ibis.memtable(pd.DataFrame(rows))
