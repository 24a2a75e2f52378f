"""The month ledgers of the generated sample: summed over every month, with the rows without a
time, they give the window's ledger of the audit; and the defects the generator planted land in
the months where it put them (truth.json: rows before launch in the month before
``valid_from``, rows "in the future" from ``valid_until`` on, none out of range inside)."""

from __future__ import annotations

import json

import pytest

from helpers.core.time import shift_month
from helpers.data.audit import SourceAudit, quality_score
from helpers.data.month_ledger import ledger_months, month_ledger
from helpers.data.pipeline import load_project

EVENT_SOURCES = ("app_events", "web_events")


@pytest.fixture(scope="module")
def truth(small_sample):
    return json.loads((small_sample / "truth.json").read_text())


@pytest.fixture(scope="module")
def project(small_sample):
    return load_project(small_sample / "persona.yaml")


@pytest.fixture(scope="module")
def ledgers(project):
    return {m: month_ledger(project, m) for m in ledger_months(project)}


def test_every_month_from_before_launch_to_after_export(ledgers, truth):
    first = shift_month(truth["valid_from"][:7], -1)  # rows moved up to 30 days before launch
    last = shift_month(truth["valid_until"][:7], 1)  # and up to 60 days after the export
    months = [first]
    while months[-1] != last:
        months.append(shift_month(months[-1], 1))
    assert list(ledgers) == months


def test_the_months_add_up_to_the_window(project, ledgers):
    dated = {k: s for k, s in project.audit.sources.items() if s.table in ("events", "orders")}
    for name, window in dated.items():
        parts = [lg.sources[name] for lg in ledgers.values()]
        no_time = parts[0].no_time
        dropped = {r: sum(p.dropped[r] for p in parts) for r in window.dropped}
        dropped["missing_time"] += no_time
        summed = SourceAudit(
            window.table,
            sum(p.rows_in for p in parts) + no_time,
            sum(p.rows_kept for p in parts),
            dropped,
            window.checks,
        )
        assert (summed.rows_in, summed.rows_kept, summed.dropped) == (
            window.rows_in,
            window.rows_kept,
            window.dropped,
        ), name
        if window.table == "events":
            assert sum(p.repaired for p in parts) == window.checks.event_name_variant, name
        # the month's formula over the summed months is the window's score
        assert (
            quality_score({name: summed}).per_source[name]
            == (project.audit.quality.per_source[name])
        )
        assert all(p.balanced for p in parts), name


def test_planted_out_of_range_rows_land_where_the_generator_put_them(ledgers, truth):
    before = shift_month(truth["valid_from"][:7], -1)
    after = [m for m in ledgers if m >= truth["valid_until"][:7]]
    inside = [m for m in ledgers if before < m < truth["valid_until"][:7]]
    assert after and inside == truth["months"]
    for src in EVENT_SOURCES:
        d = truth["defects"][src]
        # the month before launch holds only the rows moved before launch, all dropped
        b = ledgers[before].sources[src]
        assert b.rows_in == b.dropped["time_out_of_range"] == d["before_launch"]
        assert b.rows_kept == 0
        assert (
            sum(ledgers[m].sources[src].dropped["time_out_of_range"] for m in after)
            == (d["in_future"])
        )
        assert all(ledgers[m].sources[src].rows_kept == 0 for m in after)
        assert all(ledgers[m].sources[src].dropped["time_out_of_range"] == 0 for m in inside)
        # duplicates, rows without a user id and repaired names all fall inside the window
        for reason in ("duplicate", "null_user_id", "unstitched_anonymous"):
            got = sum(ledgers[m].sources[src].dropped[reason] for m in inside)
            assert got == d[reason], (src, reason)
        assert sum(ledgers[m].sources[src].repaired for m in inside) == d["event_name_variant"]
        assert ledgers[inside[-1]].sources[src].no_time == 0  # the sample writes every time
    # the assignments (missing onboarding rows) have no month: judged over the window only
    assert truth["defects"]["assignments"]["missing_onboarding_treatment_rows"] > 0
    assert "assignments" in ledgers[inside[-1]].window_only
    assert set(ledgers[inside[-1]].window_only) == {
        "users",
        "identities",
        "assignments",
        "campaigns",
        "feedback",
    }


def test_the_reviewed_month_is_scored_on_its_own_rows(project, ledgers, truth):
    month = truth["latest_complete_month"]
    lg = ledgers[month]
    orders = lg.sources["orders"]
    assert orders.rows_in == orders.rows_kept > 0  # the sample plants no order drops
    rows = sum(s.rows_in for s in lg.sources.values())
    lost = sum(s.rows_dropped + s.repaired for s in lg.sources.values())
    assert lg.quality.overall == round(100 * (1 - lost / rows), 2)
    # the month before launch is all out-of-range rows: a score of 0, whatever the window's
    assert ledgers[shift_month(truth["valid_from"][:7], -1)].quality.overall == 0.0
    assert project.audit.quality.overall > 90
