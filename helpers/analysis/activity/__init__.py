"""Who counts as active and everything that follows from it, computed from ``user_day``.

Every reduction over ``user_day`` rows is an ibis expression (backend-neutral, no SQL strings);
only per-day, per-period, per-cohort and per-user aggregates come back as pandas. Nothing here
reads the clock: every measure that depends on "now" takes an explicit ``as_of`` (a date in the
business timezone, the last day of the reviewed month).

Conventions shared by every function (docs/internals.md):

* a user is *active* on a day when ``active_events > 0`` (orders count);
* days are business-timezone dates; weeks start on Monday; months are calendar months;
* a window of ``n`` days "ending" on ``d`` is ``[d - n + 1, d]`` (both ends included);
* periods are numbered by an integer index so that "the previous period" is ``index - 1``:
  weeks count from Monday 1970-01-05, months are ``year * 12 + month - 1``.

Each analysis returns a small typed result: tidy DataFrames plus the parameters and counts it was
computed from. Results hold data only; how they show in a report is decided in
:mod:`helpers.sections.active_users`.

Modules, by job:

* :mod:`~helpers.analysis.activity.definition`: the definition of active and its sensitivity;
* :mod:`~helpers.analysis.activity.rolling`: rolling DAU/WAU/MAU and calendar-month actives;
* :mod:`~helpers.analysis.activity.stickiness`: the power-user curve, active days per month;
* :mod:`~helpers.analysis.activity.lifecycle`: new, returning, resurrecting, dormant;
* :mod:`~helpers.analysis.activity.retention`: cohort retention and Kaplan-Meier retention;
* :mod:`~helpers.analysis.activity.intervals`: the Wilson interval of a proportion;
* :mod:`~helpers.analysis.activity.profile`: who the actives are and what they do;
* :mod:`~helpers.analysis.activity.drivers`: early behaviours that go with retention;
* :mod:`~helpers.analysis.activity.snapshot`: the per-user snapshot (``active_users.csv``);
* :mod:`~helpers.analysis.activity.headline`: the month's headline numbers;
* :mod:`~helpers.analysis.activity._base`: dates, periods and the active-row filter they share.

Examples
--------
>>> from helpers.data.pipeline import load_project                   # doctest: +SKIP
>>> from helpers.analysis.activity.rolling import rolling_active     # doctest: +SKIP
>>> ud = load_project("data/sample/persona.yaml").user_day           # doctest: +SKIP
>>> rolling_active(ud, start="2026-09-01", end="2026-09-30")         # doctest: +SKIP
"""
