"""Far-out timestamps with no audit bounds (#19, findings 10 and 15): 2100, 9999, 1970 and
0001 are counted as out of range, not made the data window, and never a traceback."""

from __future__ import annotations

import datetime as dt

from helpers.core.config import load_config
from helpers.data.cleaning_rules import PLAUSIBLE_FROM, effective_bounds
from helpers.data.pipeline import load_project


def test_far_out_timestamps_are_out_of_range_and_the_window_is_the_bulk(tmp_path):
    (tmp_path / "orders.csv").write_text(
        "order_id,user_id,order_time,amount\n"
        "o1,u1,2025-12-01,10\n"
        "o2,u2,2025-12-15,10\n"
        "o3,u3,9999-12-31,5\n"  # OutOfBoundsDatetime in the daily volume before
        "o4,u4,0001-01-01,5\n"
        "o5,u5,2100-01-05,5\n"  # made 2099-12 the default month before
        "o6,u6,1970-01-01,5\n"  # epoch zero
    )
    (tmp_path / "persona.yaml").write_text(
        "sources: {orders: {path: orders.csv}}\ncache_dir: cache\n"
    )
    project = load_project(load_config(tmp_path / "persona.yaml"))
    orders = project.audit.sources["orders"]
    assert orders.rows_in == 6 and orders.rows_kept == 2
    assert {k: v for k, v in orders.dropped.items() if v} == {"time_out_of_range": 4}
    assert (project.data_start, project.data_end) == (dt.date(2025, 12, 1), dt.date(2025, 12, 15))
    assert project.audit.valid_from == "1990-01-01"
    assert dt.date.fromisoformat(project.audit.valid_until) > dt.date(2026, 1, 1)


def test_configured_bounds_win_over_the_defaults(tmp_path):
    p = tmp_path / "persona.yaml"
    p.write_text(
        "sources: {orders: {path: o.csv}}\n"
        "audit: {valid_from: '1980-05-01', valid_until: '2030-01-01'}\n"
    )
    cfg = load_config(p)
    assert effective_bounds(cfg) == (dt.date(1980, 5, 1), dt.date(2030, 1, 1))
    p.write_text("sources: {orders: {path: o.csv}}\n")
    assert effective_bounds(load_config(p), today=dt.date(2026, 12, 2)) == (
        PLAUSIBLE_FROM,
        dt.date(2026, 12, 3),
    )
