"""What the ``02_active_users`` notebook shows: the chosen definition, derived windows, headline
numbers, sections that degrade (say what is missing) instead of failing, and how each activity
result displays.

The measures themselves live in :mod:`helpers.analysis.activity`; this module decides which of
them apply to the data at hand, so the notebook stays linear (no ``if`` on parameters or data),
and renders their results with :class:`~helpers.display.table.Table`, the blocks and ``t()``.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from helpers.analysis.activity.definition import DefinitionSensitivity, apply_definition
from helpers.analysis.activity.drivers import RetentionDrivers
from helpers.analysis.activity.headline import Headline
from helpers.analysis.activity.lifecycle import LifecycleCounts
from helpers.analysis.activity.profile import (
    MISSING_LEVEL,
    ActiveBehaviour,
    AttributeProfile,
    attribute_profile,
)
from helpers.analysis.activity.retention import KMRetention, RetentionMatrix
from helpers.analysis.activity.rolling import MonthlyActive, RollingActive
from helpers.analysis.activity.stickiness import PowerUserCurve, StickinessBuckets
from helpers.core import schema
from helpers.core.checks import numeric_text_to_numbers, one_of
from helpers.core.errors import ParameterError
from helpers.display.blocks import Callout, Facts, Heading, Note, Paragraph, Stack
from helpers.display.format import fmt
from helpers.display.labels import label
from helpers.display.registry import renders
from helpers.display.table import Table
from helpers.display.text import join_words, t, tn
from helpers.plots.activity import behaviour_label

NEW_BASES = ("first_activity", "signup")
ID_LIKE = {schema.USER_ID, schema.SIGNUP_TIME, schema.SOURCE}


def defined_user_day(
    user_day, *, config, active_events: list | None = None, passive_events: list | None = None
):
    """``user_day`` under the notebook's definition of active.

    With neither list given, the config's definition (already applied when ``user_day`` was
    built) stands. ``passive_events`` adds to the config's passive list; ``active_events``
    replaces it with an explicit list (orders stay active).
    """
    active_events = list(active_events or [])
    extra_passive = list(passive_events or [])
    if not active_events and not extra_passive:
        return user_day
    known = {
        c.removeprefix(schema.EVENT_COUNT_PREFIX)
        for c in user_day.columns
        if c.startswith(schema.EVENT_COUNT_PREFIX)
    }
    unknown = [e for e in active_events + extra_passive if e not in known]
    if unknown:
        raise ParameterError(
            f"The parameters `active_events`/`passive_events` name events not in the data: {unknown}; "
            f"events found: {sorted(known)}"
        )
    if active_events:
        return apply_definition(user_day, active_events=active_events + [schema.ORDER_EVENT])
    return apply_definition(
        user_day, passive_events=list(config.activity.passive_events) + extra_passive
    )


def definition_text(
    config,
    *,
    active_events=None,
    passive_events=None,
    new_basis: str = "first_activity",
    mau_days: int = 28,
) -> Callout:
    """The definition of "active" as used in this report, in a box."""
    one_of(new_basis, NEW_BASES, "new_basis")
    sep = t("activity.list_separator")
    if active_events:
        which = t(
            "activity.definition.events_listed",
            timezone=config.timezone,
            events=sep.join(active_events),
        )
    else:
        passive = list(config.activity.passive_events) + list(passive_events or [])
        which = (
            t(
                "activity.definition.events_except",
                timezone=config.timezone,
                events=sep.join(passive),
            )
            if passive
            else t("activity.definition.events_all", timezone=config.timezone)
        )
    return Callout(
        t("activity.definition.title"),
        [
            which,
            t("activity.definition.mau", days=mau_days),
            t(f"activity.definition.new.{new_basis}"),
        ],
    )


def attribute_columns(users: pd.DataFrame | None, *, max_levels: int = 30) -> list[str]:
    """User attributes worth profiling: numeric ones, and text ones with few distinct values."""
    if users is None:
        return []
    cols = []
    for c in users.columns:
        if c in ID_LIKE or c.startswith("_"):
            continue
        s = users[c]
        numeric = pd.to_numeric(s, errors="coerce")
        if numeric.notna().mean() > 0.95 or s.nunique(dropna=True) <= max_levels:
            cols.append(c)
    return cols


def typed_users(users: pd.DataFrame | None) -> pd.DataFrame | None:
    """Users with numeric-looking text attributes as numbers (CSV exports arrive as text)."""
    return None if users is None else numeric_text_to_numbers(users, skip=ID_LIKE)


def attribute_section(snapshot: pd.DataFrame, users: pd.DataFrame | None):
    """Who the active users are, or a note when there is no users table."""
    if users is None:
        return Note(t("activity.profile.no_users"))
    attrs = attribute_columns(users)
    if not attrs:
        return Note(t("activity.profile.no_attributes"))
    empty = [c for c in attrs if users[c].isna().all()]
    if len(empty) == len(attrs):
        return Note(t("activity.profile.attributes_empty", columns=join_words(map(label, empty))))
    attrs = [c for c in attrs if c not in empty]
    active = snapshot.loc[snapshot["is_active"], [schema.USER_ID]]
    return attribute_profile(active, typed_users(users), attributes=attrs)


def binary_attributes(users: pd.DataFrame | None) -> pd.DataFrame | None:
    """user_id plus the 0/1 attributes (e.g. ``joined_community``), for retention drivers."""
    if users is None:
        return None
    typed = typed_users(users)
    cols = [
        c
        for c in attribute_columns(typed)
        if pd.api.types.is_numeric_dtype(typed[c]) and set(typed[c].dropna().unique()) <= {0, 1}
    ]
    return typed[[schema.USER_ID] + cols] if cols else None


def driver_window(
    as_of: dt.date, *, retention_day: int = 28, retention_width: int = 7, cohort_days: int = 90
) -> tuple[dt.date, dt.date]:
    """First-activity window whose day-``retention_day`` outcome is fully observed at ``as_of``.

    >>> driver_window(dt.date(2026, 10, 31))
    (datetime.date(2026, 6, 30), datetime.date(2026, 9, 27))
    """
    end = as_of - dt.timedelta(days=retention_day + retention_width - 1)
    return end - dt.timedelta(days=cohort_days - 1), end


def driver_events(user_day, config) -> list[str]:
    """Event names eligible as early behaviours: every ev_ column but passive events and totals."""
    passive = set(config.activity.passive_events)
    return [
        c.removeprefix(schema.EVENT_COUNT_PREFIX)
        for c in user_day.columns
        if c.startswith(schema.EVENT_COUNT_PREFIX)
        and c.removeprefix(schema.EVENT_COUNT_PREFIX) not in passive | {"other"}
    ]


def lifecycle_table(weekly: LifecycleCounts, monthly: LifecycleCounts) -> pd.DataFrame:
    """Both lifecycle tables stacked, with the period type, for ``artifacts/lifecycle.csv``."""
    w = weekly.periods.assign(period="week")
    m = monthly.periods.assign(period="month")
    return pd.concat([w, m], ignore_index=True)


def drivers_artifact(result) -> pd.DataFrame:
    """``artifacts/retention_drivers.csv``: the retention drivers with the windows they used
    (``first_days``, ``retention_day``), read by the monthly review's action plan; no rows when
    the drivers could not be computed."""
    if not isinstance(result, RetentionDrivers):
        return pd.DataFrame(columns=["event", "threshold", "first_days", "retention_day"])
    return result.drivers.assign(first_days=result.first_days, retention_day=result.retention_day)


def active_users_table(snapshot: pd.DataFrame) -> pd.DataFrame:
    """``artifacts/active_users.csv``: users active in the last 28 days or in the reviewed month."""
    keep = snapshot["is_active"] | (snapshot[schema.ACTIVE_DAYS_28] > 0)
    cols = [
        schema.USER_ID,
        "is_active",
        schema.ACTIVE_DAYS_7,
        schema.ACTIVE_DAYS_28,
        "lifecycle_state",
    ]
    return snapshot.loc[keep, cols].reset_index(drop=True)


# ------------------------------------------------------------------------------------------------
# how each result of helpers.analysis.activity shows
# ------------------------------------------------------------------------------------------------
def _month_text(values: pd.Series) -> pd.Series:
    """Calendar months (first days) as ``YYYY-MM``."""
    return pd.to_datetime(values).dt.strftime("%Y-%m")


def _dates(values: pd.Series) -> list:
    return [v.date() for v in pd.to_datetime(values)]


@renders(DefinitionSensitivity)
def show_definition_sensitivity(result: DefinitionSensitivity) -> Stack:
    v = result.variants
    names = []
    for code, days, event in zip(v["definition"], v["min_active_days"], v["event"]):
        if code == "chosen":
            names.append(t("activity.sensitivity.chosen"))
        elif code == "min_active_days":
            names.append(t("activity.sensitivity.min_days", days=days, window=result.window_days))
        else:
            names.append(t("activity.sensitivity.without", event=event))
    cols = ["mau", "change_vs_chosen", "change_pct", "active_user_days", "ever_active"]
    shown = pd.concat([pd.DataFrame({"definition": names}), v[cols]], axis=1)
    caption = t(
        "activity.sensitivity.caption",
        days=result.window_days,
        as_of=result.as_of,
        mau=result.mau_chosen,
        n=len(v) - 1,
    )
    return Stack.of(Table(shown, kinds={"change_pct": "pct"}, caption=caption, keep="head"))


@renders(RollingActive)
def show_rolling_active(result: RollingActive) -> Stack:
    dau, wau, mau = result.windows
    caption = t(
        "activity.rolling.caption", dau=dau, wau=wau, mau=mau, start=result.start, end=result.end
    )
    daily = result.daily.assign(**{schema.DAY: _dates(result.daily[schema.DAY])})
    return Stack.of(Table(daily, caption=caption, keep="tail", max_rows=14))


@renders(MonthlyActive)
def show_monthly_active(result: MonthlyActive) -> Stack:
    m = result.monthly
    last = m.iloc[-1]
    change = last["change"]
    if pd.isna(change):
        caption = t("activity.monthly.caption.first", users=result.mau, month=result.month)
    else:
        trend = "up" if change > 0 else "down" if change < 0 else "same"
        caption = t(
            f"activity.monthly.caption.{trend}",
            users=result.mau,
            month=result.month,
            change=abs(change),
            pct=last["change_pct"],
        )
    shown = pd.DataFrame(
        {
            "month": _month_text(m["month"]),
            "active_users": m["mau"],
            "change_users": m["change"],
            "change_pct": m["change_pct"],
        }
    )
    table = Table(shown, kinds={"change_pct": "pct"}, caption=caption, keep="tail", max_rows=12)
    return Stack.of(table)


@renders(PowerUserCurve)
def show_power_user_curve(result: PowerUserCurve) -> Stack:
    caption = t(
        "activity.power.caption",
        users=result.active_users,
        days=result.window_days,
        as_of=result.as_of,
        mean=result.mean_active_days,
        users_7=result.active_users_7,
    )
    window = t("activity.power.window", days=result.window_days, as_of=result.as_of)
    last_7 = t("activity.power.last_7", as_of=result.as_of)
    return Stack.of(
        Paragraph(caption),
        Table(result.l7, caption=last_7, keep="head"),
        Table(result.histogram, caption=window, keep="head", max_rows=result.window_days),
    )


@renders(StickinessBuckets)
def show_stickiness_buckets(result: StickinessBuckets) -> Stack:
    wide = result.buckets.pivot_table(
        index="month", columns="bucket", values="share", observed=False
    )
    headers = [t("activity.buckets.header", bucket=b) for b in wide.columns]
    wide.columns = headers
    wide = wide.reset_index()
    wide["month"] = _month_text(wide["month"])
    caption = t("activity.buckets.caption", months=result.months, as_of=result.as_of)
    kinds = dict.fromkeys(headers, "share")
    return Stack.of(
        Table(wide, kinds=kinds, caption=caption, keep="tail", max_rows=12, value_columns=headers)
    )


@renders(LifecycleCounts)
def show_lifecycle(result: LifecycleCounts) -> Stack:
    p = result.periods
    if result.period == "month":
        when = _month_text(p["period_start"])
    else:
        when = pd.Series([fmt(d, "date") for d in _dates(p["period_start"])])
    shown = pd.DataFrame(
        {
            result.period: when,
            "active": p["active"],
            "new": p["new"],
            "returning": p["returning"],
            "resurrecting": p["resurrecting"],
            "went_dormant": -p["dormant"],
            "active_prev": p["active_prev"],
            "quick_ratio": p["quick_ratio"],
        }
    )
    first = _dates(p["period_start"])[0] if len(p) else result.start
    caption = t(
        f"activity.lifecycle.caption.{result.period}",
        basis=t(f"activity.basis.{result.new_basis}"),
        start=first,
        end=result.end,
    )
    partial = _dates(p.loc[~p["complete"].astype(bool), "period_start"])
    note = t(f"activity.lifecycle.partial.{result.period}", start=partial[-1]) if partial else None
    table = Table(
        shown, caption=caption, note=note, keep="tail", max_rows=12, artifact="lifecycle.csv"
    )
    return Stack.of(table)


@renders(RetentionMatrix)
def show_retention(result: RetentionMatrix) -> Stack:
    unit = t(f"activity.retention.unit.{result.cohort}")
    kind = (
        f"activity.retention.kind.first_time.{result.cohort_basis}"
        if result.kind == "first_time"
        else "activity.retention.kind.recurring"
    )
    caption = t(
        "activity.retention.caption",
        cohortly=t(f"activity.retention.cohortly.{result.cohort}"),
        as_of=result.as_of,
        kind=t(kind, cohort=unit),
        criterion=t(f"activity.retention.criterion.{result.criterion}", cohort=unit),
    )
    rates = result.rates.copy()
    periods = [c for c in rates.columns if c != "cohort_start"]
    headers = [t(f"activity.retention.period_header.{result.cohort}", k=k) for k in periods]
    rates.columns = ["cohort_start", *headers]
    rates["cohort_start"] = _dates(rates["cohort_start"])
    small = (
        tn("activity.retention.small", result.small_cohorts, min=result.min_cohort_size)
        if result.small_cohorts
        else None
    )
    matrix = Table(
        rates,
        kinds=dict.fromkeys(headers, "share"),
        caption=caption,
        note=small,
        keep="tail",
        max_rows=12,
        artifact="retention.csv",
        value_columns=headers,
    )
    m = result.mean_curve.rename(
        columns={"period": "periods_since_start", "rate": "retention_rate"}
    )
    mean = Table(
        m,
        kinds={"ci_low": "share", "ci_high": "share"},
        caption=t("activity.retention.mean_caption"),
        keep="head",
    )
    return Stack.of(matrix, mean)


@renders(KMRetention)
def show_km_retention(result: KMRetention) -> Stack:
    caption = t(
        "activity.km.caption",
        users=result.users,
        as_of=result.as_of,
        censored=result.censored,
        cohort=t(f"activity.retention.unit.{result.cohort}"),
    )
    curve = result.curve.rename(
        columns={
            "period": "periods_since_start",
            "retention": "still_active",
            "at_risk": "users_at_risk",
            "churned": "users_lost",
            "censored": "users_censored",
        }
    )
    kinds = {"ci_low": "share", "ci_high": "share"}
    return Stack.of(Table(curve, kinds=kinds, caption=caption, keep="head"))


@renders(AttributeProfile)
def show_attribute_profile(result: AttributeProfile) -> Stack:
    p = result.profile
    level = p["value"].where(p["value"] != MISSING_LEVEL, t("activity.profile.missing_level"))
    shown = pd.DataFrame(
        {
            "attribute": p["attribute"],
            "level": level,
            "n_active": p["n_active"],
            "n_all": p["n_all"],
            "share_active": p["share_active"],
            "share_all": p["share_all"],
            "index_vs_all": p["index"],
        }
    )
    caption = t("activity.profile.caption", active=result.active_users, all=result.all_users)
    note = (
        t("activity.profile.not_in_table", n=result.not_in_users_table)
        if result.not_in_users_table
        else None
    )
    table = Table(
        shown, caption=caption, note=note, keep="head", max_rows=40, digits={"index_vs_all": 0}
    )
    return Stack.of(table)


@renders(ActiveBehaviour)
def show_active_behaviour(result: ActiveBehaviour) -> Stack:
    caption = t(
        "activity.behaviour.caption",
        users=result.active_users,
        days=result.window_days,
        as_of=result.as_of,
    )
    mix = result.event_mix.rename(columns={"event": "event_name"})
    return Stack.of(
        Table(result.summary, caption=caption),
        Table(mix, caption=t("activity.behaviour.mix_caption"), keep="head", max_rows=15),
    )


@renders(RetentionDrivers)
def show_retention_drivers(result: RetentionDrivers) -> Stack:
    d = result.drivers
    labels = [behaviour_label(e, k, result.first_days) for e, k in zip(d["event"], d["threshold"])]
    caption = t(
        "activity.drivers.caption",
        day=result.retention_day,
        users=result.users,
        start=result.cohort_start,
        end=result.cohort_end,
        rate=result.base_rate,
    )
    top = d.index[d["strongest"].astype(bool)]
    strongest = (
        t(
            "activity.drivers.strongest",
            behaviour=labels[top[0]],
            doers=d.loc[top[0], "rate_doers"],
            non_doers=d.loc[top[0], "rate_non_doers"],
        )
        if len(top)
        else t("activity.drivers.none")
    )
    cols = ["doers", "share_doers", "rate_doers", "rate_non_doers", "difference"]
    shown = pd.concat([pd.DataFrame({"behaviour": labels}), d[cols]], axis=1)
    shown["phi"] = d["score"]
    table = Table(
        shown,
        caption=strongest,
        note=t("activity.drivers.note"),
        keep="head",
        max_rows=15,
        digits={"phi": 2},
    )
    return Stack.of(Paragraph(caption), table)


@renders(Headline)
def show_headline(h: Headline) -> Stack:
    pairs = [
        (t("metric.dau_avg"), fmt(h.dau_avg, "number")),
        (t("metric.wau", as_of=h.as_of), fmt(h.wau, "count")),
        (t("metric.mau", days=h.mau_days, as_of=h.as_of), fmt(h.mau, "count")),
        (t("metric.mau_calendar"), fmt(h.mau_calendar, "count")),
        (t("metric.mau_change_pct"), fmt(h.mau_change_pct, "pct")),
        (t("metric.stickiness"), fmt(h.stickiness, "share")),
        (t("metric.quick_ratio"), fmt(h.quick_ratio, "ratio")),
    ]
    return Stack.of(Heading(t("activity.headline.title")), Facts(pairs))
