"""``new_features_28`` of the feature table (what the ``early_adopter`` tag reads), on a
hand-computed toy: which events are new at as_of, and how many of them each user did."""

from __future__ import annotations

import datetime as dt

import ibis
import pandas as pd

from helpers.analysis.features import FEATURE_COLUMNS, NEW_FEATURES_28, new_events, user_features
from helpers.analysis.segments.tags import DEFAULT_TAGS, evaluate_tags

EVENTS = ("view", "w27", "w28", "a55", "a56", "n2", "push")


def _user_day(rows) -> ibis.Table:
    """rows: (user, ISO day, {event: count}); ``push`` is passive."""
    recs = []
    for user, day, evs in rows:
        active = sum(n for e, n in evs.items() if e != "push")
        rec = {
            "user_id": user,
            "day": dt.date.fromisoformat(day),
            "events": sum(evs.values()),
            "active_events": active,
            "orders": 0,
            "revenue": 0.0,
            "refunds": 0,
        }
        rec.update({f"ev_{e}": evs.get(e, 0) for e in EVENTS})
        recs.append(rec)
    return ibis.memtable(pd.DataFrame(recs))


# The data begins on 2024-01-01, so an event is past the warm-up when first seen on 2024-01-29
# (first day + 28) or later. At 2024-02-29 the 56 days go back to 2024-01-05; at 2024-04-30 to
# 2024-03-06, and the 28-day window starts on 2024-04-03.
UD = _user_day(
    [
        ("u", "2024-01-01", {"view": 1}),
        ("u", "2024-01-28", {"w27": 1}),  # first day + 27: there from the start
        ("u", "2024-01-29", {"w28": 2}),  # first day + 28: new
        ("u", "2024-02-10", {"w27": 1, "w28": 1}),
        ("w", "2024-03-05", {"a56": 1}),  # 56 days before 2024-04-30: no longer new then
        ("w", "2024-03-06", {"a55": 1}),  # 55 days before: still new
        ("v", "2024-04-20", {"a55": 1, "view": 1}),
        ("v", "2024-04-21", {"a56": 3}),
        ("v", "2024-04-22", {"push": 1, "view": 1}),  # push first seen here, but passive
        ("x", "2024-04-15", {"n2": 1}),
        ("x", "2024-04-16", {"a55": 2, "n2": 1}),
        ("w", "2024-04-02", {"a55": 1}),  # the day before the 28-day window
        ("w", "2024-04-03", {"view": 1}),
    ]
)


def _count(as_of, **kw) -> dict:
    f = user_features(UD, as_of=as_of, passive_events=["push"], **kw)
    return dict(zip(f["user_id"], f[NEW_FEATURES_28]))


def test_new_events_by_warm_up_and_age():
    assert new_events(UD, as_of="2024-02-29", passive_events=["push"]) == ["w28"]
    assert new_events(UD, as_of="2024-04-30", passive_events=["push"]) == ["a55", "n2"]
    # a passive event is never new; without the passive list push counts as one
    assert new_events(UD, as_of="2024-04-30") == ["a55", "n2", "push"]


def test_new_features_28_counts_distinct_new_events_in_the_window():
    assert _count("2024-02-29") == {"u": 1}  # w28 (w27 is not new)
    # v: a55 (a56 too old, push passive); x: a55 and n2; w: a55 only before the window
    assert _count("2024-04-30") == {"u": 0, "v": 1, "w": 0, "x": 2}
    # the share columns asked for do not change which events are new
    assert _count("2024-04-30", event_names=["view"]) == {"u": 0, "v": 1, "w": 0, "x": 2}
    assert NEW_FEATURES_28 in FEATURE_COLUMNS


def test_early_adopter_reads_it():
    f = user_features(UD, as_of="2024-04-30", passive_events=["push"])
    tagged = evaluate_tags(f, [t for t in DEFAULT_TAGS if t["name"] == "early_adopter"])
    assert dict(zip(f["user_id"], tagged["tag_early_adopter"])) == {"u": 0, "v": 1, "w": 0, "x": 1}


def test_no_event_columns_means_no_new_feature():
    ud = ibis.memtable(
        pd.DataFrame(
            {
                "user_id": ["a", "a"],
                "day": [dt.date(2024, 1, 1), dt.date(2024, 3, 1)],
                "active_events": [1, 1],
                "orders": [1, 1],
                "revenue": [5.0, 5.0],
            }
        )
    )
    assert user_features(ud, as_of="2024-03-31")[NEW_FEATURES_28].tolist() == [0]
    assert new_events(ud, as_of="2024-03-31") == []
