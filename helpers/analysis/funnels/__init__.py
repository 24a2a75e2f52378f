"""Funnels: how many users go through a configured sequence of events, how fast, and where they
drop, computed from the cleaned events (and orders) in the engine.

Semantics (issue 16; each point is pinned by ``tests/analysis/test_funnels.py``):

* **Entry.** A user enters the funnel of a month with any step-1 event whose business day
  (``day``, the local calendar date) lies in ``[month_start, month_end]`` and not after
  ``as_of``. A step-1 event before the month is no entry, even if later steps fall in the month.
* **Reaching step k.** From one step-1 event at ``t1``, the user reaches step ``k`` when events
  of steps ``1..k`` occur in that order with non-decreasing times (equal timestamps allowed),
  all at most ``window_days`` after ``t1`` (``t <= t1 + window_days`` days, both ends
  included) and at or before the end of ``as_of`` (``day <= as_of``). Taking, step by step, the
  earliest qualifying event at or after the previous step's time is optimal: any sequence that
  reaches step ``k`` has a later-or-equal time at every step than the greedy one.
* **Once per user.** Each user counts once, at the furthest step reached over all of their
  step-1 events of the month (their *attempts*). The step times reported for the user (and the
  median times between steps) come from the earliest attempt that reached that furthest step.
* **Orders as a step.** A step named ``order`` (:data:`helpers.core.schema.ORDER_EVENT`) or any
  name in ``purchase_events`` also matches the purchases of the cleaned ``orders`` table (its
  ``order_time``; refunds, ``amount < 0``, excluded; an unknown amount counts, as in
  ``user_day``), so a funnel can end in a purchase when the orders come from an orders export.
* **Events** are the rows of the cleaned events table (``project.tables["events"]``), passive
  events included: name only the events you mean as steps.

Everything up to the per-user result is one ibis expression (a join and a ``min`` per step,
then a window to pick each user's best attempt), so it runs unchanged on DuckDB and Spark; only
the per-user rows (one per entering user) come back to pandas, where :func:`funnel_table` counts
steps, conversions with Wilson intervals and median times, for everyone and per segment.

Modules, by job:

* :mod:`~helpers.analysis.funnels.per_user`: the engine part, one ibis expression: each
  entering user's furthest step and step times (per month for the trend);
* :mod:`~helpers.analysis.funnels.tables`: users per step, conversions with Wilson intervals,
  median times, segments, the largest drop, the trend and ``funnels.csv``;
* :mod:`~helpers.analysis.funnels.transitions`: the most common event transitions, for the
  "no funnel configured" fallback.

Examples
--------
>>> from helpers.data.pipeline import load_project                          # doctest: +SKIP
>>> from helpers.analysis.funnels.tables import compute_funnel              # doctest: +SKIP
>>> p = load_project("data/sample/persona.yaml")                            # doctest: +SKIP
>>> f = compute_funnel(p.tables["events"], "checkout",                      # doctest: +SKIP
...                    ["view_item", "add_to_cart", "checkout_start", "order"],
...                    month_start="2026-10-01", month_end="2026-10-31", as_of="2026-10-31",
...                    window_days=7, orders=p.tables["orders"])
>>> f.drops                                                                 # doctest: +SKIP
"""
