"""`persona-kit audience` on a reviewed sample month, and its readout the month after: the kit's
own log and the same contacts read back through `sources.campaigns` give the same readout."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from helpers.analysis.campaigns.readout import campaign_review
from helpers.cli import main
from helpers.data.campaigns import campaign_contacts, read_log
from helpers.data.pipeline import load_project

pytestmark = pytest.mark.notebook

M, R = "2026-09", "2026-10"


def _config(sample, name: str, *, log: str, crm: str | None = None, holdout: float = 0.1):
    cfg = yaml.safe_load((sample / "persona.yaml").read_text(encoding="utf-8"))
    cfg["sources"].pop("campaigns", None)
    if crm is not None:
        cfg["sources"]["campaigns"] = {"name": "crm_contacts", "path": crm}
    cfg["campaigns"] = {"log": log, "holdout": holdout}
    path = sample / name
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return path


def _export(config, reports, out, campaign="rt_persona_1"):
    result = CliRunner().invoke(
        main,
        [
            "audience",
            "--config",
            str(config),
            "--month",
            M,
            "--persona",
            "1",
            "--campaign",
            campaign,
            "--holdout",
            "0.2",
            "--reports",
            str(reports),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_audience_export_is_stable_and_reads_back_the_same(en_review, tmp_path):
    sample, reports, _ = en_review
    own = _config(sample, "rt_own.yaml", log="rt_own_log.jsonl")
    said = _export(own, reports, tmp_path / "first.csv")
    assert "treat" in said and "rt_own_log.jsonl" in said
    first = pd.read_csv(tmp_path / "first.csv", dtype={"user_id": str})
    personas = pd.read_csv(reports / M / "artifacts" / "personas.csv", dtype={"user_id": str})
    # the audience is persona 1 of the month, every one of its users once
    assert sorted(first["user_id"]) == sorted(personas.loc[personas["persona"] == 1, "user_id"])
    n, held = len(first), int((first["group"] == "holdout").sum())
    assert abs(held - 0.2 * n) <= 3 * (n * 0.2 * 0.8) ** 0.5
    # a rerun to another file holds out the same users
    _export(own, reports, tmp_path / "second.csv")
    second = pd.read_csv(tmp_path / "second.csv", dtype={"user_id": str})
    assert first.equals(second)
    entry = read_log(sample / "rt_own_log.jsonl")[0]
    assert (entry["month"], entry["sent_on"], entry["holdout"]) == (M, "2026-10-01", held)
    assert entry["file"].endswith("second.csv")

    # the CRM sends it and exports its contacts: its own column names and words, a send time
    crm = first[["user_id", "group"]].assign(
        campaign="rt_persona_1",
        sent_at="2026-10-01 09:30:00",
        group=first["group"].map({"treat": "Treatment", "holdout": "Control"}),
    )
    crm.to_csv(sample / "rt_crm.csv", index=False)
    # read back through sources.campaigns, the log kept beside it (its planned holdout share
    # checks the split), and with no log at all (no split check)
    via_source = _config(sample, "rt_crm.yaml", log="rt_own_log.jsonl", crm="rt_crm.csv")
    source_only = _config(
        sample, "rt_crm_only.yaml", log="rt_no_log.jsonl", crm="rt_crm.csv", holdout=0.2
    )

    def readout(config):
        project = load_project(config)
        contacts = campaign_contacts(project)
        share = project.config.campaigns.holdout
        review = campaign_review(
            contacts, project.user_day, month=R, personas=personas, planned_share=share
        )
        return review.table()

    a, b, c = readout(own), readout(via_source), readout(source_only)
    assert a["campaign"].tolist() == ["rt_persona_1"] * 3
    assert (a["treat_users"].iloc[0], a["holdout_users"].iloc[0]) == (n - held, held)
    assert [x["origin"].iloc[0] for x in (a, b, c)] == ["log", "source+log", "source"]
    assert a["srm_p"].iloc[0] > 0.001 and a["status"].iloc[0] == "read"
    # the CRM's export alone, its holdout share configured (`campaigns.holdout`), reads the same
    for other in (b, c):
        pd.testing.assert_frame_equal(a.drop(columns="origin"), other.drop(columns="origin"))


def test_audience_errors_are_one_sentence(en_review, tmp_path):
    sample, reports, _ = en_review
    own = _config(sample, "rt_err.yaml", log="rt_err_log.jsonl")
    result = CliRunner().invoke(
        main,
        [
            "audience",
            "--config",
            str(own),
            "--month",
            "2026-03",
            "--tag",
            "dormant",
            "--campaign",
            "x",
            "--reports",
            str(reports),
            "--out",
            str(tmp_path / "x.csv"),
        ],
    )
    assert result.exit_code == 2
    assert "There are no personas for 2026-03" in result.output
    assert "persona-kit run" in result.output


def test_what_was_sent_is_not_rewritten(en_review, tmp_path):
    sample, reports, _ = en_review
    own = _config(sample, "rt_guard.yaml", log="rt_guard_log.jsonl")

    def run(*extra, campaign="guard"):
        args = ["audience", "--config", str(own), "--month", M, "--persona", "2"]
        args += ["--campaign", campaign, "--reports", str(reports)]
        args += ["--out", str(tmp_path / f"{campaign}.csv"), *extra]
        return CliRunner().invoke(main, args)

    assert run().exit_code == 0
    again = run("--holdout", "0.3")
    assert again.exit_code == 2 and "with another holdout share" in again.output
    assert "--replace" in again.output
    assert run("--holdout", "0.3", "--replace").exit_code == 0
    assert read_log(sample / "rt_guard_log.jsonl")[0]["holdout_share"] == 0.3
    other = CliRunner().invoke(
        main,
        [
            "audience",
            "--config",
            str(own),
            "--month",
            M,
            "--tag",
            "dormant",
            "--campaign",
            "guard",
            "--reports",
            str(reports),
            "--out",
            str(tmp_path / "x.csv"),
        ],
    )
    assert other.exit_code == 2 and "with the audience --persona 2" in other.output
    early = run("--send-date", "2026-09-15", campaign="early")
    assert early.exit_code == 2 and "must come after the audience month 2026-09" in early.output
