"""Activity measures on toy user_day tables whose answers were computed by hand."""

import datetime as dt

import matplotlib

matplotlib.use("Agg")

import ibis  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from helpers.analysis import activity as A  # noqa: E402
from helpers.core.errors import DataError, ParameterError  # noqa: E402

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


# ------------------------------------------------------------------ rolling and monthly
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


def test_rolling_dau_wau_mau_by_hand():
    r = A.rolling_active(rolling_toy(), start="2024-01-01", end="2024-01-10")
    d = r.daily
    assert d["dau"].tolist() == [1, 1, 1, 0, 0, 0, 0, 0, 2, 1]
    # WAU on Jan 9 = {b, c} (a's Jan 2 has left the window Jan 3..9); Jan 10 = {a, b, c}
    assert d["wau"].tolist() == [1, 1, 2, 2, 2, 2, 2, 2, 2, 3]
    assert d["mau"].tolist() == [1, 1, 2, 2, 2, 2, 2, 2, 3, 3]
    assert d["dau_mau"].iloc[8] == pytest.approx(2 / 3)
    assert d["wau_mau"].iloc[8] == pytest.approx(2 / 3)


def test_rolling_custom_windows_and_start_after_data():
    # windows (1, 2, 3) on Jan 10..11: Jan 10 = {a}, Jan 9..10 and Jan 8..10 = {a, b, c};
    # Jan 11: nobody, Jan 10..11 = {a}, Jan 9..11 = {a, b, c}
    d = A.rolling_active(
        rolling_toy(), start="2024-01-10", end="2024-01-11", windows=(1, 2, 3)
    ).daily
    assert d[["dau", "wau", "mau"]].values.tolist() == [[1, 3, 3], [0, 1, 3]]
    with pytest.raises(ParameterError, match="windows"):
        A.rolling_active(rolling_toy(), start="2024-01-10", end="2024-01-11", windows=(7, 1))


def test_monthly_active_over_a_month_boundary():
    ud = make_ud(
        [
            *days("a", D(2024, 1, 31), D(2024, 2, 1)),
            ("b", D(2024, 1, 15), 1),
            ("c", D(2024, 2, 29), 1),
            ("d", D(2024, 2, 10), 0),
            ("e", D(2024, 3, 1), 1),
        ]
    )
    r = A.monthly_active(ud, month="2024-02", history=2)
    m = r.monthly
    assert m["month"].dt.strftime("%Y-%m").tolist() == ["2024-01", "2024-02"]
    assert m["mau"].tolist() == [2, 2]  # Jan {a, b}; Feb {a, c} (d passive, e March)
    assert m["change"].tolist() == [2, 0]
    assert m["change_pct"].iloc[1] == 0
    assert r.counts["mau"] == 2


# ------------------------------------------------------------------ definition
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


def test_definition_sensitivity_by_hand():
    v = A.definition_sensitivity(
        definition_toy(), as_of="2024-01-28", passive_events=["push"]
    ).variants.set_index("definition")
    assert v.loc["chosen: active_events > 0", "mau"] == 3  # q1, q2, q5
    assert v.loc["chosen: active_events > 0", "ever_active"] == 4  # + q4 in December
    assert v.loc["chosen: active_events > 0", "active_user_days"] == 7
    assert v.loc[">= 2 active days in 28", "mau"] == 2
    assert v.loc[">= 4 active days in 28", "mau"] == 1
    assert v.loc[">= 8 active days in 28", "change_vs_chosen"] == -3
    assert v.loc["without view", "mau"] == 1  # only q2's order
    assert v.loc["without view", "change_pct"] == pytest.approx(-200 / 3)
    assert v.loc["without order", "mau"] == 2
    assert "without push" not in v.index


def test_apply_definition_rederives_active_events():
    ud = definition_toy()
    push = A.apply_definition(ud, active_events=["push"]).execute()
    assert sorted(push.loc[push.active_events > 0, "user_id"]) == ["q3"]
    same = A.apply_definition(ud, passive_events=["push"]).execute()
    assert int(same.active_events.sum()) == 2 + 1 + 1 + 1 + 4
    strict = A.apply_definition(ud, min_events=2).execute()
    assert strict.loc[strict.active_events > 0, ["user_id", "active_events"]].values.tolist() == [
        ["q1", 2]
    ]
    with pytest.raises(DataError, match="ev_like"):
        A.apply_definition(ud, active_events=["like"])


# ------------------------------------------------------------------ power users
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


def test_power_user_curve_by_hand():
    r = A.power_user_curve(power_toy(), as_of="2024-01-28")
    h = r.histogram.set_index("active_days")
    assert len(h) == 28 and h["users"].sum() == 4
    assert h.loc[[1, 3, 5], "users"].tolist() == [2, 1, 1]
    assert h.loc[3, "cum_share"] == pytest.approx(0.75)
    assert h.loc[4, "share_at_least"] == pytest.approx(0.25)
    l7 = r.l7.set_index("active_days")
    assert l7["users"].tolist() == [1, 1, 0, 0, 1, 0, 0]  # p2: 1, p3: 2, p4: 5 days


def test_stickiness_over_time_buckets():
    b = A.stickiness_over_time(power_toy(), as_of="2024-01-28", months=2).buckets
    jan = b[b["month"] == "2024-01-01"].set_index("bucket")
    assert jan["users"].tolist() == [2, 1, 1, 0, 0]  # "1", "2-3", "4-7", "8-14", "15+"
    assert jan["share"].tolist() == [0.5, 0.25, 0.25, 0, 0]
    dec = b[b["month"] == "2023-12-01"]
    assert dec["users"].tolist() == [1, 0, 0, 0, 0]  # p5 on Dec 31


# ------------------------------------------------------------------ lifecycle
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


def test_lifecycle_weeks_by_hand():
    p = A.lifecycle(lifecycle_toy(), period="week", start="2024-01-08", end="2024-01-28").periods
    assert p["period_start"].dt.date.tolist() == [W1, W2, W3]
    assert p["active"].tolist() == [2, 2, 3]
    assert p["new"].tolist() == [1, 1, 1]
    assert p["returning"].tolist() == [1, 1, 1]
    assert p["resurrecting"].tolist() == [0, 0, 1]  # u1 comes back in W3
    assert p["dormant"].tolist() == [-1, -1, -1]  # u3, u1, u2
    assert p["quick_ratio"].tolist() == [1.0, 1.0, 2.0]
    assert p["complete"].tolist() == [True, True, True]  # 2024-01-28 is W3's Sunday
    check_identities(p)


def test_lifecycle_flags_a_week_cut_by_the_end_and_the_chart_skips_its_ratio():
    r = A.lifecycle(lifecycle_toy(), period="week", start="2024-01-08", end="2024-01-25")
    assert r.periods["complete"].tolist() == [True, True, False]  # W3 ends on Sunday the 28th
    from helpers.plots.activity import plot_lifecycle

    ax = plot_lifecycle(r)
    ratio = [
        line for a in ax.figure.axes for line in a.get_lines() if line.get_label() == "quick ratio"
    ][0]
    y = np.asarray(ratio.get_ydata(), float)
    assert not np.isnan(y[:2]).any() and np.isnan(y[2])
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "partial week (the data ends in it)" in legend
    assert [t for t in legend if t in ("returning", "resurrecting", "new", "dormant")] == [
        "returning",
        "resurrecting",
        "new",
        "dormant",
    ]  # once each
    hatched = [b for b in ax.patches if b.get_hatch() == "//"]
    assert len(hatched) == 4 and {round(b.get_x() + b.get_width() / 2) for b in hatched} == {
        2
    }  # W3's 4 bars


def test_lifecycle_signup_basis():
    users = pd.DataFrame(
        {
            "user_id": ["u1", "u2", "u3", "u4", "u5"],
            "signup_time": pd.to_datetime(
                [
                    "2023-12-31 20:00",
                    "2024-01-08 01:00",
                    "2024-01-01 00:00",
                    "2024-01-03 00:00",
                    "2024-01-22 00:00",
                ]
            ).tz_localize("UTC"),
        }
    )
    p = A.lifecycle(
        lifecycle_toy(),
        period="week",
        start="2024-01-08",
        end="2024-01-28",
        users=users,
        new_basis="signup",
        tz="Asia/Shanghai",
    ).periods
    # u4 signed up in W0 but is first active in W2: resurrecting under the signup basis.
    assert p["new"].tolist() == [1, 0, 1]
    assert p["resurrecting"].tolist() == [0, 1, 1]
    check_identities(p)


def test_lifecycle_months_by_hand():
    p = A.lifecycle(lifecycle_toy(), period="month", start="2024-01-01", end="2024-03-31").periods
    assert p["active"].tolist() == [5, 1, 1]
    assert p["new"].tolist() == [5, 0, 0]
    assert p["returning"].tolist() == [0, 1, 0]
    assert p["resurrecting"].tolist() == [0, 0, 1]  # u3 in March
    assert p["dormant"].tolist() == [0, -4, -1]
    assert p["quick_ratio"].iloc[1] == 0 and np.isnan(p["quick_ratio"].iloc[0])
    check_identities(p)


# ------------------------------------------------------------------ retention
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


def test_retention_first_time_on_with_open_periods_masked():
    r = A.retention_matrix(
        retention_toy(), cohort="week", as_of=AS_OF, max_periods=3, min_cohort_size=2
    )
    c = r.cells
    assert cell(c, W0, 0, "cohort_size") == 3
    assert [cell(c, W0, k, "retained") for k in range(4)] == [3, 1, 1, 1]
    assert [cell(c, W0, k, "rate") for k in range(3)] == pytest.approx([1, 1 / 3, 1 / 3])
    assert np.isnan(cell(c, W0, 3, "rate"))  # W3 ends Jan 28 > as_of
    assert cell(c, W1, 1, "rate") == 1 and np.isnan(cell(c, W1, 2, "rate"))
    assert np.isnan(cell(c, W2, 1, "rate"))
    assert bool(cell(c, W1, 0, "small_cohort")) and not bool(cell(c, W0, 0, "small_cohort"))
    assert r.counts["cohorts"] == 3  # u9 (Jan 25) is after as_of
    m = r.mean_curve.set_index("period")
    assert m["rate"].tolist() == pytest.approx([1.0, 0.5, 1 / 3])  # 5/5, (1+1)/(3+1), 1/3
    assert m["cohorts"].tolist() == [3, 2, 1]


def test_wilson_interval_of_one_cell_against_the_formula():
    r = A.retention_matrix(retention_toy(), cohort="week", as_of=AS_OF, max_periods=3)
    lo, hi = cell(r.cells, W0, 1, "ci_low"), cell(r.cells, W0, 1, "ci_high")
    z, n, p = 1.959963984540054, 3, 1 / 3
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert (lo, hi) == pytest.approx((centre - half, centre + half))
    assert (lo, hi) == pytest.approx((0.0614919, 0.7923403), abs=1e-6)
    from statsmodels.stats.proportion import proportion_confint

    assert (lo, hi) == pytest.approx(proportion_confint(1, 3, method="wilson"))


def test_retention_on_or_after_and_recurring():
    ooa = A.retention_matrix(
        retention_toy(), cohort="week", as_of=AS_OF, max_periods=3, criterion="on_or_after"
    ).cells
    assert [cell(ooa, W0, k, "retained") for k in range(4)] == [3, 2, 2, 1]
    assert cell(ooa, W0, 1, "rate") == pytest.approx(2 / 3)  # u1 and u3 came back later
    rec = A.retention_matrix(
        retention_toy(), cohort="week", as_of=AS_OF, max_periods=3, kind="recurring"
    ).cells
    assert [cell(rec, w, 0, "cohort_size") for w in (W0, W1, W2, W3)] == [3, 2, 3, 2]
    assert cell(rec, W0, 1, "rate") == pytest.approx(1 / 3)  # u1 of {u1, u3, u6}
    assert cell(rec, W1, 1, "rate") == pytest.approx(1 / 2)  # u2 of {u1, u2}
    assert np.isnan(cell(rec, W3, 0, "rate"))
    rec_ooa = A.retention_matrix(
        retention_toy(),
        cohort="week",
        as_of=AS_OF,
        max_periods=3,
        kind="recurring",
        criterion="on_or_after",
    ).cells
    assert cell(rec_ooa, W1, 1, "retained") == 2  # u1 (W3) and u2 (W2)
    assert cell(rec_ooa, W2, 1, "retained") == 1  # of {u2, u3, u4} only u4 (W3)


def test_retention_signup_basis_counts_never_active_signups():
    users = pd.DataFrame(
        {
            "user_id": ["u1", "u3", "u6", "z"],
            "signup_time": pd.to_datetime(["2024-01-01"] * 4, utc=True),
        }
    )
    c = A.retention_matrix(
        retention_toy(),
        cohort="week",
        as_of=AS_OF,
        max_periods=2,
        users=users,
        cohort_basis="signup",
    ).cells
    assert cell(c, W0, 0, "cohort_size") == 4 and cell(c, W0, 0, "rate") == 0.75
    with pytest.raises(DataError, match="signup_time"):
        A.retention_matrix(
            retention_toy(), as_of=AS_OF, users=users[["user_id"]], cohort_basis="signup"
        )


def test_km_retention_censors_open_periods():
    k = A.km_retention(retention_toy(), cohort="week", as_of=AS_OF, max_periods=4).curve
    # lifetimes: u1 4 (censored), u3 3 (W3 open: censored), u6 1 (churned), u2 2, u4 2 (cens.)
    assert k["retention"].tolist() == pytest.approx([1, 0.8, 0.8, 0.8, 0.8])
    assert k["at_risk"].tolist() == [5, 5, 4, 2, 1]
    assert k["churned"].sum() == 1 and k["censored"].sum() == 4


# ------------------------------------------------------------------ who and what
def test_attribute_profile_index():
    users = pd.DataFrame({"user_id": ["1", "2", "3", "4"], "plan": ["free", "free", "pro", None]})
    p = A.attribute_profile(["1", "3"], users, attributes=["plan"]).profile.set_index("value")
    assert p.loc["free", "share_active"] == 0.5 and p.loc["free", "share_all"] == 0.5
    assert p["index"].to_dict() == {"(missing)": 0.0, "free": 100.0, "pro": 200.0}
    with pytest.raises(DataError, match="city"):
        A.attribute_profile(["1"], users, attributes=["city"])


def test_active_behaviour_by_hand():
    r = A.active_behaviour(definition_toy(), as_of="2024-01-28")
    s = r.summary.iloc[0]
    assert s["active_users"] == 3 and s["active_user_days"] == 7
    assert s["events_per_active_day"] == pytest.approx(8 / 7)
    assert s["purchase_rate"] == pytest.approx(1 / 3)
    assert s["revenue_per_active_user"] == pytest.approx(10 / 3)
    mix = r.event_mix.set_index("event")["share"]
    assert mix.to_dict() == pytest.approx({"view": 7 / 8, "order": 1 / 8, "push": 0.0})


# ------------------------------------------------------------------ drivers
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


def test_retention_drivers_three_quarters_vs_one_quarter():
    att = pd.DataFrame({"user_id": ["d0", "n5"], "joined_community": [1, 1]})
    r = A.retention_drivers(
        drivers_toy(),
        cohort_start="2024-01-01",
        cohort_end="2024-01-31",
        as_of="2024-02-04",
        thresholds=(1, 2),
        attributes=att,
    )
    assert r.counts == {"users": 8, "retained": 4}
    d = r.drivers.set_index("behaviour")
    top = d.loc["share >= 1 in first 7 days"]
    assert (top["doers"], top["retained_doers"], top["non_doers"], top["retained_non_doers"]) == (
        4,
        3,
        4,
        1,
    )
    assert top["rate_doers"] == 0.75 and top["rate_non_doers"] == 0.25
    assert top["difference"] == 0.5 and top["score"] == pytest.approx(0.5)
    assert top["share_doers"] == 0.5 and bool(top["strongest"])
    assert r.drivers["behaviour"].iloc[0] == "share >= 1 in first 7 days"
    assert d.loc["share >= 2 in first 7 days", "score"] == pytest.approx(4 / np.sqrt(112))
    assert d.loc["joined_community", "score"] == pytest.approx(0.0)
    assert np.isnan(d.loc["view >= 1 in first 7 days", "score"])  # everybody viewed
    # Wilson 95 % for 3/4: (0.3006, 0.9544)
    assert (top["ci_low_doers"], top["ci_high_doers"]) == pytest.approx(
        (0.3006418, 0.9544127), abs=1e-6
    )


# ------------------------------------------------------------------ snapshot
def test_active_users_snapshot_states():
    ud = make_ud(
        [
            *days("s1", D(2023, 12, 5), D(2024, 1, 30)),
            *days("s2", D(2024, 1, 10), D(2024, 1, 25), D(2024, 1, 31)),
            *days("s3", D(2023, 11, 1), D(2024, 1, 2)),
            ("s4", D(2023, 12, 20), 1),
            ("s5", D(2023, 10, 1), 1),
            ("s6", D(2024, 1, 5), 0),
            ("s7", D(2024, 2, 2), 1),
        ]
    )
    s = A.active_users_snapshot(ud, as_of="2024-01-31", month_start="2024-01-01")
    assert s["user_id"].tolist() == ["s1", "s2", "s3", "s4", "s5"]
    assert s["lifecycle_state"].tolist() == [
        "returning",
        "new",
        "resurrecting",
        "dormant",
        "inactive",
    ]
    assert s["is_active"].tolist() == [True, True, True, False, False]
    assert s["active_days_7"].tolist() == [1, 2, 0, 0, 0]
    assert s["active_days_28"].tolist() == [1, 3, 0, 0, 0]


# ------------------------------------------------------------------ property test
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


def test_property_rolling_and_lifecycle_match_brute_force():
    df = random_user_day()
    ud = ibis.memtable(df)
    start, end = D(2024, 1, 15), D(2024, 4, 29)
    d = A.rolling_active(ud, start=start, end=end).daily
    act = df[df.active_events > 0]
    by_day = act.groupby("day")["user_id"].apply(set).to_dict()
    for i, day in enumerate(pd.date_range(start, end).date):
        for col, w in (("dau", 1), ("wau", 7), ("mau", 28)):
            seen = set()
            for k in range(w):
                seen |= by_day.get(day - dt.timedelta(days=k), set())
            assert d[col].iloc[i] == len(seen), (day, col)
    for period in ("week", "month"):
        p = A.lifecycle(ud, period=period, start="2024-01-01", end=end).periods
        check_identities(p)
        assert p["active"].sum() > 0
    # weekly counts against a brute-force recount
    wk = act.assign(w=pd.to_datetime(act["day"]).dt.to_period("W-SUN").dt.start_time)
    weeks = wk.groupby("w")["user_id"].apply(set)
    p = A.lifecycle(ud, period="week", start="2024-01-01", end=end).periods.set_index(
        "period_start"
    )
    seen_before = set()
    prev = set()
    for w, users in weeks.items():
        assert p.loc[w, "new"] == len(users - seen_before)
        assert p.loc[w, "returning"] == len(users & prev)
        assert p.loc[w, "dormant"] == -len(prev - users)
        seen_before |= users
        prev = users


# ------------------------------------------------------------------ plots draw what they are given
def test_plots_draw_the_numbers():
    import matplotlib.pyplot as plt

    from helpers.plots import activity as P

    lc = A.lifecycle(lifecycle_toy(), period="week", start="2024-01-08", end="2024-01-28")
    ax = P.plot_lifecycle(lc)
    heights = [round(b.get_height()) for b in ax.patches]
    assert heights[-3:] == [-1, -1, -1]  # dormant bars below zero
    assert sum(h for h in heights if h > 0) == 2 + 2 + 3
    qr = ax.figure.axes[1].lines[0].get_ydata()
    assert list(qr) == [1.0, 1.0, 2.0]
    rm = A.retention_matrix(retention_toy(), cohort="week", as_of=AS_OF, max_periods=3)
    ax = P.plot_retention_heatmap(rm)
    img = ax.images[0].get_array()
    assert int(np.ma.count_masked(img)) == 6  # W0: 1, W1: 2, W2: 3 cells not over by as_of
    assert img[0, 1] == pytest.approx(1 / 3)
    ax = P.plot_active_users(A.rolling_active(rolling_toy(), start="2024-01-01", end="2024-01-10"))
    assert list(ax.lines[0].get_ydata()) == [1, 1, 2, 2, 2, 2, 2, 2, 3, 3]  # MAU line
    for fn, res in [
        (P.plot_stickiness, A.rolling_active(rolling_toy(), start="2024-01-01", end="2024-01-10")),
        (P.plot_power_users, A.power_user_curve(power_toy(), as_of="2024-01-28")),
        (P.plot_stickiness_buckets, A.stickiness_over_time(power_toy(), as_of="2024-01-28")),
        (P.plot_retention_curve, rm),
        (P.plot_km_retention, A.km_retention(retention_toy(), as_of=AS_OF, max_periods=4)),
    ]:
        ax = fn(res)
        assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    users = pd.DataFrame({"user_id": ["1", "2", "3", "4"], "plan": ["free", "free", "pro", None]})
    ax = P.plot_attribute_index(
        A.attribute_profile(["1", "3"], users, attributes=["plan"]), attribute="plan"
    )
    assert [round(b.get_width()) for b in ax.patches] == [-100, 0, 100]
    dr = A.retention_drivers(
        drivers_toy(),
        cohort_start="2024-01-01",
        cohort_end="2024-01-31",
        as_of="2024-02-04",
        thresholds=(1, 2),
    )
    ax = P.plot_drivers(dr)
    assert ax.get_yticklabels()[0].get_text().startswith("★ share >= 1")
    plt.close("all")


def test_long_tables_show_their_useful_end():
    """Over time: the latest rows; ranked (drivers, best first): the first rows; hidden: none."""
    from helpers.analysis.activity import ActivityResult

    daily = pd.DataFrame({"day": pd.date_range("2026-01-01", periods=40).date, "dau": range(40)})
    ranked = pd.DataFrame(
        {"behaviour": [f"b{i}" for i in range(40)], "score": np.linspace(1, 0, 40)}
    )
    cells = pd.DataFrame({"cohort": range(40), "retained": range(40)})
    html = ActivityResult(
        "t", {"daily": daily, "drivers": ranked, "cells": cells}, display={"cells": "hide"}
    )._repr_html_(max_rows=5)
    assert (
        "daily</b> (latest 5 of 40 rows)" in html
        and "2026-02-09" in html
        and "2026-01-01" not in html
    )
    assert "drivers</b> (first 5 of 40 rows)" in html and ">b0<" in html and ">b39<" not in html
    assert "cells" not in html
