"""The generated sample read the same way across tests.

``raw_events`` re-derives the events from the written files alone (app rows, web rows stitched
to their member through identities and login pairs, purchases), independently of the kit, so
plant tests check the files against ``truth.json`` without trusting the kit's cleaning.
``true_first_lives`` is the planted survival data; ``sample_survival`` the kit's survival
table of a loaded sample with the planted churn rule.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.dataset as ds

__all__ = ["raw_events", "true_first_lives", "sample_survival"]


def raw_events(out: Path) -> dict[str, pd.DataFrame]:
    """``events`` (``uid, t`` UTC, ``name`` stripped and lower-cased, ``device`` and
    ``session`` for app rows), ``orders`` (refunds out), and the raw ``app`` and ``web``."""
    app = pd.read_csv(out / "app_events.csv.gz", dtype={"uid": "string", "session": "string"})
    web = ds.dataset(out / "web_events").to_table().to_pandas()
    ident = pd.read_csv(out / "identities.csv", dtype=str)
    pairs = web.dropna(subset=["member_id"])[["anon_id", "member_id"]]
    owner = (
        pd.concat([ident.set_axis(["anon_id", "member_id"], axis=1), pairs])
        .groupby("anon_id")
        .member_id.min()
    )
    orders = pd.read_parquet(out / "orders.parquet")
    events = pd.concat(
        [
            pd.DataFrame(
                {
                    "uid": app.uid.astype(object),
                    "t": pd.to_datetime(app.ts_ms, unit="ms", utc=True),
                    "name": app.action,
                    "device": app.device,
                    "session": app.session.astype(object),
                }
            ),
            pd.DataFrame(
                {
                    "uid": web.member_id.fillna(web.anon_id.map(owner)),
                    "t": pd.to_datetime(web.time).dt.tz_localize("UTC"),
                    "name": web.event,
                }
            ),
        ],
        ignore_index=True,
    ).dropna(subset=["uid"])
    events["name"] = events.name.str.strip().str.lower()
    return {"events": events, "orders": orders[orders.total >= 0], "app": app, "web": web}


def true_first_lives(tu: pd.DataFrame, truth: dict) -> pd.DataFrame:
    """Each user's planted first life, censored at the sample's end: ``T, E, community,
    persona`` (``tu``: ``truth_users.csv.gz``)."""
    end = pd.Timestamp(truth["end"]) + pd.Timedelta(days=1)
    follow = (end - pd.to_datetime(tu.signup_day)).dt.days
    return pd.DataFrame(
        {
            "T": np.minimum(tu.first_life_days_true, follow),
            "E": (tu.churned.astype(str) == "True").astype(int),
            "community": tu.joined_community,
            "persona": tu.persona,
        }
    )


def sample_survival(project, truth: dict) -> pd.DataFrame:
    """The kit's survival table of a loaded sample: first lives from signup, the planted
    churn rule, up to the sample's end."""
    from helpers.analysis.churn import lives

    return lives.survival_table(
        project.user_day,
        as_of=dt.date.fromisoformat(truth["end"]),
        inactive_days=truth["churn"]["inactive_days"],
        start="signup",
        users=project.users_frame(),
        timezone=project.config.timezone,
    )
