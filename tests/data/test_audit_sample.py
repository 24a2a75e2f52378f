"""The audit finds exactly the defects the sample generator planted (truth.json), and the
cleaning ledger balances per source."""

from __future__ import annotations

import json

import pytest

from helpers.data.pipeline import load_project


@pytest.fixture(scope="module")
def truth(small_sample):
    return json.loads((small_sample / "truth.json").read_text())


@pytest.fixture(scope="module")
def project(small_sample):
    return load_project(small_sample / "persona.yaml")


@pytest.mark.parametrize("source", ["app_events", "web_events"])
def test_event_defects_exact(project, truth, source):
    got = project.audit.sources[source]
    want = truth["defects"][source]
    assert got.rows_in == want["rows_written"]
    assert got.rows_kept == want["rows_kept"]
    assert got.dropped["time_out_of_range"] == want["time_out_of_range"]
    assert got.checks.before_launch == want["before_launch"]
    assert got.checks.in_future == want["in_future"]
    assert got.dropped["duplicate"] == want["duplicate"]
    assert got.dropped["null_user_id"] == want["null_user_id"]
    assert got.dropped["unstitched_anonymous"] == want["unstitched_anonymous"]
    assert got.checks.event_name_variant == want["event_name_variant"]
    assert got.rows_in == got.rows_kept + sum(got.dropped.values())


def test_event_name_variant_strings(project, truth):
    found = set()
    for source in ("app_events", "web_events"):
        found |= set(project.audit.sources[source].checks.event_name_variants)
    planted = set(truth["defects"]["app_events"]["event_name_variants"]) | set(
        truth["defects"]["web_events"]["event_name_variants"]
    )
    assert found == planted


def test_user_order_identity_defects_exact(project, truth):
    d = truth["defects"]
    users = project.audit.sources["users"]
    assert users.rows_in == d["users"]["rows_written"]
    assert users.dropped["duplicate_user_row"] == d["users"]["duplicate_user_rows"]
    assert users.checks.conflicting_duplicate_users == d["users"]["conflicting_duplicate_users"]
    orders = project.audit.sources["orders"]
    assert orders.rows_in == d["orders"]["rows_written"]
    assert orders.checks.refunds == d["orders"]["refunds"]
    assert orders.checks.refund_amount == pytest.approx(d["orders"]["refund_total"], abs=0.01)
    assert orders.checks.free_orders == d["orders"]["free_orders"]
    assert (
        project.audit.identities.conflicting_identities
        == d["identities"]["conflicting_identities"]
    )
    assert project.audit.orphans.orphan_events == d["orphan_events"]
    assert project.audit.orphans.orphan_events_users == d["orphan_users"]


def test_every_source_balances(project):
    for name, s in project.audit.sources.items():
        assert s.balanced and s.rows_in == s.rows_kept + sum(s.dropped.values()), name


def test_latest_complete_month_of_sample(project, truth):
    assert project.latest_complete_month() == truth["end"][:7]


def test_stitching_counts_exact(project, truth):
    web = project.audit.sources["web_events"].checks
    assert (
        web.stitched_via_identities
        == truth["counts"]["web_anonymous_rows_stitched_via_identities"]
    )
    assert web.stitched_via_events == truth["counts"]["web_anonymous_rows_stitched_via_event_rows"]


def test_monthly_active_users_from_user_day(project, truth):
    import ibis

    ud = project.user_day
    active = ud.filter(ud.active_events > 0)
    month = active.day.truncate("M")
    got = (
        active.mutate(month=month)
        .group_by("month")
        .aggregate(mau=active.user_id.nunique())
        .execute()
    )
    got = {str(m)[:7]: int(n) for m, n in zip(got["month"], got["mau"])}
    assert got == {k[:7]: v for k, v in truth["counts"]["monthly_active_users"].items()}
    _ = ibis
