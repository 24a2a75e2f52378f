"""The sample generator: deterministic, its truth counts match the files exactly, and the planted
behaviour (personas, churn, experiment effects, SRM) is there to be recovered.

Everything is recounted here with plain pandas straight from the written files, applying the
cleaning rules of docs/internals.md in order (time_out_of_range, duplicate, no_user_id).
"""

import gzip
import json

import numpy as np
import pandas as pd
import pyarrow.dataset as ds
import pytest
from scipy import stats

from helpers.sample.generator import generate_sample
from tests.planted import true_first_lives

N_USERS, SEED = 4000, 7


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    out = tmp_path_factory.mktemp("sample")
    truth = generate_sample(out, users=N_USERS, seed=SEED)
    return out, truth


@pytest.fixture(scope="module")
def clean(sample):
    """Events after cleaning, stitched to user ids, with standardized names and local days."""
    out, truth = sample
    tz = truth["timezone"]
    lo = pd.Timestamp(truth["valid_from"], tz=tz)
    hi = pd.Timestamp(truth["valid_until"], tz=tz)
    app = pd.read_csv(out / "app_events.csv.gz", dtype={"uid": "string", "session": "string"})
    web = ds.dataset(out / "web_events").to_table().to_pandas()
    ident = pd.read_csv(out / "identities.csv")
    app_t = pd.to_datetime(app.ts_ms, unit="ms", utc=True)
    web_t = pd.to_datetime(web.time).dt.tz_localize("UTC")
    res = {}
    for name, raw, t in (("app_events", app, app_t), ("web_events", web, web_t)):
        out_range = (t < lo) | (t >= hi)
        dup = np.zeros(len(raw), dtype=bool)
        dup[~out_range.to_numpy()] = raw[~out_range].duplicated(keep="first").to_numpy()
        res[name] = dict(
            raw=raw,
            t=t,
            before=int((t < lo).sum()),
            future=int((t >= hi).sum()),
            dup=int(dup.sum()),
            kept_mask=~out_range & ~dup,
        )
    pairs = web.dropna(subset=["member_id"])[["anon_id", "member_id"]].drop_duplicates()
    mapping = (
        pd.concat(
            [ident.rename(columns={"anonymous_id": "anon_id", "user_id": "member_id"}), pairs]
        )
        .groupby("anon_id")
        .member_id.min()
    )
    w = res["web_events"]
    web_uid = web.member_id.fillna(web.anon_id.map(mapping))
    w["unstitched"] = int((w["kept_mask"] & web_uid.isna()).sum())
    w["kept_mask"] = w["kept_mask"] & web_uid.notna()
    a = res["app_events"]
    a["null"] = int((a["kept_mask"] & app.uid.isna()).sum())
    a["kept_mask"] = a["kept_mask"] & app.uid.notna()
    events = pd.concat(
        [
            pd.DataFrame(
                {
                    "uid": app.uid[a["kept_mask"]].astype(str),
                    "t": app_t[a["kept_mask"]],
                    "raw": app.action[a["kept_mask"]],
                }
            ),
            pd.DataFrame(
                {
                    "uid": web_uid[w["kept_mask"]],
                    "t": web_t[w["kept_mask"]],
                    "raw": web.event[w["kept_mask"]],
                }
            ),
        ],
        ignore_index=True,
    )
    events["name"] = events.raw.str.strip().str.lower()
    events["day"] = events.t.dt.tz_convert(tz).dt.tz_localize(None).dt.normalize()
    res.update(events=events, web_mapping=mapping, ident=ident)
    return res


def test_same_seed_same_files_other_seed_other_data(sample, tmp_path):
    out, truth = sample
    again = generate_sample(tmp_path / "again", users=N_USERS, seed=SEED)
    assert again == truth
    assert json.loads((out / "truth.json").read_text()) == truth
    for name in (
        "app_events.csv.gz",
        "users.csv",
        "identities.csv",
        "assignments.csv",
        "truth_users.csv.gz",
        "persona.yaml",
    ):
        assert (out / name).read_bytes() == (tmp_path / "again" / name).read_bytes(), name
    for name in ("orders.parquet", "web_events/part-00000.parquet"):
        assert pd.read_parquet(out / name).equals(pd.read_parquet(tmp_path / "again" / name))
    other = generate_sample(tmp_path / "other", users=N_USERS, seed=SEED + 1)
    assert other["counts"]["monthly_active_users"] != truth["counts"]["monthly_active_users"]
    assert (out / "app_events.csv.gz").read_bytes() != (
        tmp_path / "other" / "app_events.csv.gz"
    ).read_bytes()


def test_calendar_and_config(sample):
    out, truth = sample
    assert (truth["start"], truth["end"], truth["valid_until"]) == (
        "2025-11-01",
        "2026-10-31",
        "2026-11-01",
    )
    assert truth["months"][-1] == "2026-10" and len(truth["months"]) == 12
    yaml_text = (out / "persona.yaml").read_text()
    assert 'valid_from: "2025-11-01"' in yaml_text and 'valid_until: "2026-11-01"' in yaml_text
    assert "path: web_events/*.parquet" in yaml_text and "timezone: Asia/Shanghai" in yaml_text
    assert "passive_events: [push_received, email_open]" in yaml_text


def test_event_defect_counts_match_files(sample, clean):
    out, truth = sample
    for src in ("app_events", "web_events"):
        d, c = truth["defects"][src], clean[src]
        raw = c["raw"]
        assert d["rows_written"] == len(raw)
        assert (d["before_launch"], d["in_future"]) == (c["before"], c["future"])
        assert d["time_out_of_range"] == c["before"] + c["future"]
        assert d["duplicate"] == c["dup"] > 0
        assert d["rows_kept"] == int(c["kept_mask"].sum())
        name = raw["action" if src == "app_events" else "event"]
        variant = name != name.str.strip().str.lower()
        assert d["event_name_variant"] == int(variant.sum()) == int(variant[c["kept_mask"]].sum())
        assert d["event_name_variants"] == sorted(name[variant].unique())
    assert truth["defects"]["app_events"]["null_user_id"] == clean["app_events"]["null"] > 0
    assert (
        truth["defects"]["web_events"]["unstitched_anonymous"]
        == clean["web_events"]["unstitched"]
        > 0
    )


def test_users_orders_identities_orphans_match_files(sample, clean):
    out, truth = sample
    users = pd.read_csv(out / "users.csv")
    d = truth["defects"]["users"]
    assert d["rows_written"] == len(users) == truth["counts"]["users_rows"]
    assert users.id.nunique() == truth["counts"]["users"] == N_USERS
    assert d["duplicate_user_rows"] == int(users.id.duplicated().sum()) > 0
    attrs = [c for c in users.columns if c not in ("id", "created_at")]
    dups = users[users.id.duplicated(keep=False)]
    conflicting = dups.groupby("id")[attrs].nunique().gt(1).any(axis=1)
    assert d["conflicting_duplicate_users"] == int(conflicting.sum()) > 0
    assert int((~conflicting).sum()) > 0  # some duplicates agree on every attribute
    # the first-written row is the real one and has the strictly earliest created_at
    first = dups.groupby("id").created_at.first()
    assert (dups.groupby("id").created_at.min() == first).all()
    assert (dups.groupby("id").created_at.apply(lambda s: (s == s.min()).sum()) == 1).all()

    orders = pd.read_parquet(out / "orders.parquet")
    o = truth["defects"]["orders"]
    assert str(orders.paid_at.dtype) == "datetime64[ms, UTC]"
    assert o["rows_written"] == len(orders) and orders.order_id.is_unique
    assert o["refunds"] == int((orders.total < 0).sum()) > 0
    assert o["refund_total"] == pytest.approx(orders.total[orders.total < 0].sum(), abs=0.005)
    assert o["free_orders"] == int((orders.total == 0).sum()) > 0
    assert truth["counts"]["buyers"] == orders[orders.total >= 0].uid.nunique()
    # every order falls on a day the user is active through events
    ev_days = set(zip(clean["events"].uid, clean["events"].day))
    o_days = orders.paid_at.dt.tz_convert(truth["timezone"]).dt.tz_localize(None).dt.normalize()
    assert all((u, dday) in ev_days for u, dday in zip(orders.uid, o_days))

    ident = clean["ident"]
    conflicts = ident.groupby("anonymous_id").user_id.nunique().gt(1)
    assert truth["defects"]["identities"]["conflicting_identities"] == int(conflicts.sum()) > 0
    assert truth["defects"]["identities"]["rows_written"] == len(ident)

    ev = clean["events"]
    orphan = ~ev.uid.isin(set(users.id))
    assert truth["defects"]["orphan_events"] == int(orphan.sum()) > 0
    assert truth["defects"]["orphan_users"] == ev.uid[orphan].nunique() > 0

    web = clean["web_events"]["raw"]
    kept_anon = web[clean["web_events"]["kept_mask"] & web.member_id.isna()]
    via_ident = kept_anon.anon_id.isin(set(ident.anonymous_id))
    assert truth["counts"]["web_anonymous_rows_stitched_via_identities"] == int(via_ident.sum())
    assert (
        truth["counts"]["web_anonymous_rows_stitched_via_event_rows"]
        == int((~via_ident).sum())
        > 0
    )


def test_monthly_active_users_recomputed(sample, clean):
    out, truth = sample
    tz = truth["timezone"]
    ev = clean["events"]
    active = ev[~ev.name.isin(truth["passive_events"])]
    orders = pd.read_parquet(out / "orders.parquet")
    orders = orders[orders.total >= 0]
    months = pd.concat(
        [
            pd.DataFrame({"uid": active.uid, "m": active.day.dt.strftime("%Y-%m")}),
            pd.DataFrame(
                {"uid": orders.uid, "m": orders.paid_at.dt.tz_convert(tz).dt.strftime("%Y-%m")}
            ),
        ]
    )
    mau = months.drop_duplicates().groupby("m").size().to_dict()
    assert truth["counts"]["monthly_active_users"] == mau
    assert sum(mau.values()) > 4000
    # signups grow: the last month has several times the users of the first
    assert mau["2026-10"] > 4 * mau["2025-11"]


def test_local_night_events_fall_on_another_utc_date(clean):
    """At UTC+8 every event from local midnight to 08:00 has the previous UTC date, and the
    busy late evening (23:00-24:00 local) is 15:00-16:00 UTC: day bugs show."""
    ev = clean["events"]
    local = ev.t.dt.tz_convert("Asia/Shanghai")
    late, night = local.dt.hour == 23, local.dt.hour < 8
    assert 0.03 < late.mean() < 0.10 and 0.03 < night.mean() < 0.15
    assert (ev.t[night].dt.date < local[night].dt.date).all()
    assert (ev.t[~night].dt.date == local[~night].dt.date).all()


def test_lives_churn_and_resurrection(sample, clean):
    out, truth = sample
    tu = pd.read_csv(out / "truth_users.csv.gz", keep_default_na=False)
    assert len(tu) == N_USERS
    assert truth["personas"]["order_by_median_lifetime"] == [
        "trialist",
        "casual_browser",
        "deal_hunter",
        "steady_regular",
        "power_user",
    ]
    med = truth["personas"]["median_lifetime_days"]
    assert all(
        med[a] * 1.7 < med[b]
        for a, b in zip(
            truth["personas"]["order_by_median_lifetime"],
            truth["personas"]["order_by_median_lifetime"][1:],
        )
    )
    days = clean["events"][~clean["events"].name.isin(truth["passive_events"])]
    tu = tu.set_index("user_id")
    # the natural lives: without the day the planted win-back campaign brought a user back
    visit = days.uid.map(pd.to_datetime(tu.campaign_visit_day))
    assert days.uid[days.day == visit].nunique() == truth["campaign"]["reactivated_users"] > 0
    days = days[days.day != visit]
    last = days.groupby("uid").day.max()
    first = days.groupby("uid").day.min()
    end1 = pd.to_datetime(tu.first_life_end_day)
    assert (first.reindex(tu.index) == pd.to_datetime(tu.signup_day)).all()
    # no activity after the first life unless resurrected, and a comeback after > 30 idle days
    single = tu.resurrected.astype(str) == "False"
    assert (last.reindex(tu.index)[single] == end1[single]).all()
    res = tu.index[~single]
    assert len(res) == truth["churn"]["resurrected_users"] > 0
    after = days[days.uid.isin(res)].merge(end1.rename("end1"), left_on="uid", right_index=True)
    gaps = after[after.day > after.end1].groupby("uid").day.min() - end1[res]
    assert (gaps.dt.days > truth["churn"]["inactive_days"]).all() and len(gaps) == len(res)
    assert 0.10 < truth["churn"]["resurrection_share"] < 0.25
    assert abs(tu.joined_community.mean() - 0.3) < 0.03
    # joining the community halves the planted hazard (Cox model on the true first lives)
    from lifelines import CoxPHFitter

    df = true_first_lives(tu, truth)
    cph = CoxPHFitter().fit(df, "T", "E", strata=["persona"])
    assert 0.42 < cph.hazard_ratios_["community"] < 0.6


def test_personas_recoverable_by_kmeans(sample, clean):
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score, silhouette_score
    from sklearn.preprocessing import StandardScaler

    out, truth = sample
    ev, end = clean["events"], pd.Timestamp(truth["end"])
    active = ev[~ev.name.isin(truth["passive_events"])]
    r28 = active[active.day > end - pd.Timedelta(days=28)]
    r90 = ev[ev.day > end - pd.Timedelta(days=90)]
    tu = pd.read_csv(out / "truth_users.csv.gz").set_index("user_id")
    users = pd.Index(r28.uid.unique()).intersection(tu.index)
    orders = pd.read_parquet(out / "orders.parquet")
    orders = orders[
        (orders.total >= 0)
        & (
            orders.paid_at.dt.tz_convert(truth["timezone"]).dt.tz_localize(None)
            >= end - pd.Timedelta(days=89)
        )
    ]
    g = r90[r90.uid.isin(users)]
    f = pd.DataFrame(
        {
            "active_days_28": np.log1p(r28.groupby("uid").day.nunique().reindex(users)),
            "events_per_day": np.log1p(g.groupby("uid").size() / g.groupby("uid").day.nunique()),
            "orders": np.log1p(orders.groupby("uid").size().reindex(users).fillna(0)),
        }
    )
    # the event mix, without the beta feature and the failed checkouts' exit event: both are
    # planted apart from the personas
    mix = pd.crosstab(g.uid, g.name, normalize="index")
    planted = [truth["beta_feature"]["event"], truth["funnel"]["drop"]["exit_event"]]
    f = f.join(mix.drop(columns=planted)).fillna(0)
    X = StandardScaler().fit_transform(f)
    assert len(f) > 1000
    sil = {
        k: silhouette_score(X, KMeans(k, n_init=4, random_state=0).fit_predict(X))
        for k in range(2, 9)
    }
    assert max(sil, key=sil.get) == 5
    labels = KMeans(5, n_init=4, random_state=0).fit_predict(X)
    assert adjusted_rand_score(tu.persona.reindex(f.index), labels) >= 0.7


def _conversion(out, truth):
    a = pd.read_csv(out / "assignments.csv")
    c = a[a.experiment == "checkout_v2"].copy()
    c["at"] = pd.to_datetime(c.assigned_at, utc=True)
    orders = pd.read_parquet(out / "orders.parquet")
    m = c.merge(orders[orders.total >= 0], left_on="user_id", right_on="uid", how="left")
    m["hit"] = (m.paid_at >= m["at"]) & (m.paid_at < m["at"] + pd.Timedelta(days=28))
    conv = m.groupby(["user_id", "variant"]).hit.any().reset_index()
    return a, conv.groupby("variant").hit.agg(["mean", "size"])


def test_experiments_recomputed_from_files(sample):
    out, truth = sample
    a, conv = _conversion(out, truth)
    cv2, onb = truth["experiments"]["checkout_v2"], truth["experiments"]["onboarding_tips"]
    assert conv.loc["control", "mean"] == pytest.approx(
        cv2["observed"]["conversion_control"], abs=1e-6
    )
    assert conv.loc["treatment", "mean"] == pytest.approx(
        cv2["observed"]["conversion_treatment"], abs=1e-6
    )
    rows = a.groupby(["experiment", "variant"]).size()
    assert rows["checkout_v2"].to_dict() == cv2["n"]
    assert rows["onboarding_tips"].to_dict() == onb["rows"]
    assert onb["missing_treatment_rows"] == onb["n"]["treatment"] - onb["rows"]["treatment"] > 0
    for name, exp in (("checkout_v2", cv2), ("onboarding_tips", onb)):
        assert exp["srm_p_value"] == pytest.approx(stats.chisquare(rows[name].to_numpy()).pvalue)
    assert cv2["srm_p_value"] > 0.01
    assert a.assigned_at.str.endswith("+08:00").all()
    assert (a[a.experiment == "checkout_v2"].assigned_at.str[:10] <= "2026-10-14").all()
    both = a.groupby("user_id").experiment.nunique().gt(1).sum()
    assert both == truth["counts"]["users_in_both_experiments"] > 0
    assert cv2["relative_lift_conversion"] > 0.1 and cv2["absolute_lift_conversion"] > 0.03
    assert cv2["absolute_lift_revenue_per_user"] > 0
    assert cv2["expected_conversion_treatment"] == pytest.approx(
        cv2["expected_conversion_control"] * (1 + cv2["relative_lift_conversion"]), rel=1e-4
    )


def test_default_size_effect_and_srm(tmp_path):
    """The default 20k sample: checkout_v2 readable at z >= 5, onboarding_tips fails SRM."""
    truth = generate_sample(tmp_path, seed=42)
    a, conv = _conversion(tmp_path, truth)
    p0, p1 = conv.loc["control", "mean"], conv.loc["treatment", "mean"]
    n0, n1 = conv.loc["control", "size"], conv.loc["treatment", "size"]
    pool = (p0 * n0 + p1 * n1) / (n0 + n1)
    z = (p1 - p0) / np.sqrt(pool * (1 - pool) * (1 / n0 + 1 / n1))
    assert z >= 5 and z == pytest.approx(
        truth["experiments"]["checkout_v2"]["observed"]["z"], abs=1e-3
    )
    rows = a[a.experiment == "onboarding_tips"].variant.value_counts()
    assert stats.chisquare(rows.to_numpy()).pvalue < 1e-4
    assert truth["experiments"]["onboarding_tips"]["srm_p_value"] < 1e-4
    assert truth["experiments"]["checkout_v2"]["srm_p_value"] > 0.01
    events = truth["counts"]["events_written"]
    assert 1_000_000 <= events <= 3_000_000
    with gzip.open(tmp_path / "app_events.csv.gz", "rt") as fh:
        assert fh.readline().strip() == '"uid","ts_ms","action","device","session"'
