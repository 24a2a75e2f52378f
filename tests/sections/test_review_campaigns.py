"""The review's "did last month's actions work?" on hand-made projects: what it says with no
campaign source, with campaigns of other months only, and with a campaign read out."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import SimpleNamespace

import ibis
import pandas as pd

from helpers.core.config import CampaignsConfig
from helpers.display.blocks import Note
from helpers.display.messages import set_language
from helpers.display.registry import renderer_for
from helpers.sections import review_campaigns as rc


class _Ctx(SimpleNamespace):
    def write_csv(self, df, name):
        path = Path(self.out_dir) / "artifacts" / f"{name.removesuffix('.csv')}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        df.to_csv(path, index=False)
        self.written[name] = df
        return path


def _ctx(tmp_path, campaigns=None, log="campaigns.jsonl"):
    user_day = ibis.memtable(
        pd.DataFrame(
            {
                "user_id": ["t1", "t2", "h1"],
                "day": [dt.date(2026, 10, 3), dt.date(2026, 10, 9), dt.date(2026, 10, 4)],
                "active_events": [2, 1, 0],
                "orders": [1, 0, 0],
                "revenue": [30.0, 0.0, 0.0],
            }
        )
    )
    config = SimpleNamespace(
        campaigns=CampaignsConfig(log=log),
        timezone="UTC",
        resolve=lambda p: tmp_path / p,
    )
    tables = {"campaigns": ibis.memtable(campaigns) if campaigns is not None else None}
    project = SimpleNamespace(config=config, tables=tables, user_day=user_day)
    return _Ctx(
        config=config,
        project=project,
        month="2026-10",
        as_of=dt.date(2026, 10, 31),
        out_dir=tmp_path / "reports" / "2026-10",
        written={},
    )


def _contacts(day):
    return pd.DataFrame(
        {
            "user_id": ["t1", "t2", "t3", "h1", "h2"],
            "campaign": "coupon_push",
            "sent_day": [day] * 5,
            "group": ["treat", "treat", "treat", "holdout", "holdout"],
        }
    )


def test_without_campaigns_it_says_what_a_campaign_source_would_add(tmp_path):
    set_language("en")
    section = rc.campaign_section(_ctx(tmp_path))
    assert section.known == 0 and section.campaigns == []
    block = renderer_for(section)(section)
    assert isinstance(block, Note)
    assert "sources.campaigns" in block.text and "--holdout 0.1" in block.text
    # the artifact keeps its columns with no row, so next month and CRM tools still read it
    assert list(
        section and pd.read_csv(tmp_path / "reports/2026-10/artifacts/campaigns.csv").columns
    )[:9] == [
        "campaign",
        "metric",
        "treat_users",
        "holdout_users",
        "lift_abs",
        "ci_low",
        "ci_high",
        "p_value",
        "decision",
    ]


def test_campaigns_of_other_months_only(tmp_path):
    set_language("en")
    section = rc.campaign_section(_ctx(tmp_path, _contacts(dt.date(2026, 8, 1))))
    assert section.known == 1 and section.campaigns == []
    text = renderer_for(section)(section).text
    assert text.startswith(
        "No campaign was sent in 2026-10 (the 1 campaign in the contacts was sent"
    )


def test_a_campaign_read_out_and_its_sentence(tmp_path):
    set_language("en")
    section = rc.campaign_section(_ctx(tmp_path, _contacts(dt.date(2026, 10, 1))))
    (r,) = section.campaigns
    # t1, t2 active in the window (2 of 3 contacted); h1's day has no active event (0 of 2)
    m = r.metric("reactivation")
    assert (m["treat_mean"], m["holdout_mean"]) == (2 / 3, 0.0)
    sentence = rc.campaign_sentence(r)
    assert sentence.startswith(
        "coupon_push (5 users, sent 2026-10-01): 66.7% of the 3 users sent it were active again "
        "against 0.0% of the 2 held out, +66.7 pts"
    )
    # no log: the split is checked against the configured share (0.1); 2 of 5 is p = 0.025
    assert "Split: 2 of 5 held out (40.0%; against the configured 10.0%, p-value 0.025)." in (
        sentence
    )
    assert sentence.endswith("Decision: keep.")
    assert section.notes == []
    written = pd.read_csv(tmp_path / "reports/2026-10/artifacts/campaigns.csv")
    assert written["metric"].tolist() == ["reactivation", "conversion", "revenue_per_user"]
    set_language("zh")
    try:
        assert rc.campaign_sentence(r).startswith("coupon_push（5 人，2026年10月1日发送）")
    finally:
        set_language("en")
