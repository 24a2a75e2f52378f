"""Toy inputs shared by the A/B tests: hand-sized tables with answers known in advance."""

from __future__ import annotations

import datetime as dt

import ibis
import numpy as np
import pandas as pd

from helpers.analysis.experiments.summaries import Proportion, SampleMean

D = dt.date


def stat(kind, d):
    """A gbstats golden case's summary statistic."""
    if kind == "mean":
        return SampleMean(d["n"], d["sum"], d["sum_squares"])
    return Proportion(d["n"], d["sum"])


def user_day():
    rows = [  # user, day, events, active_events, orders, revenue
        ("u1", D(2024, 2, 20), 3, 2, 1, 10.0),  # pre-period
        ("u1", D(2024, 2, 29), 1, 0, 0, 0.0),  # pre-period, passive only (not an active day)
        ("u1", D(2024, 3, 1), 5, 5, 1, 20.0),  # assignment day = window day 0
        ("u1", D(2024, 3, 8), 2, 2, 0, 0.0),  # day 7: retained
        ("u1", D(2024, 3, 14), 1, 1, 2, 15.5),  # day 13: last window day (window_days=14)
        ("u1", D(2024, 3, 15), 4, 4, 1, 100.0),  # day 14: outside the window
        ("u2", D(2024, 3, 4), 2, 2, 1, 5.0),  # pre only: nothing after assignment
        ("u3", D(2024, 3, 26), 3, 3, 1, 7.25),
        ("u3", D(2024, 4, 1), 9, 9, 1, 50.0),  # after as_of: capped away
        ("u4", D(2024, 3, 3), 1, 1, 1, 1.0),  # u4 is in two variants: excluded
        ("u7", D(2024, 3, 11), 2, 0, 0, 0.0),  # passive only
        ("u7", D(2024, 3, 17), 1, 1, 0, 0.0),  # day 7 after the earliest assignment
        ("u7", D(2024, 3, 24), 1, 1, 1, 9.0),  # day 14: outside the window
        ("u9", D(2024, 3, 2), 1, 1, 1, 3.0),  # never assigned
    ]
    df = pd.DataFrame(
        rows, columns=["user_id", "day", "events", "active_events", "orders", "revenue"]
    )
    df["refunds"] = 0
    return ibis.memtable(df)


def assignments():
    rows = [  # user, experiment, variant, assigned_day
        ("u1", "exp", "control", D(2024, 3, 1)),
        ("u2", "exp", "treatment", D(2024, 3, 5)),
        ("u3", "exp", "treatment", D(2024, 3, 25)),
        ("u4", "exp", "control", D(2024, 3, 2)),
        ("u4", "exp", "treatment", D(2024, 3, 2)),
        ("u5", "other", "control", D(2024, 3, 2)),
        ("u6", "exp", "control", D(2024, 4, 2)),  # assigned after as_of
        ("u7", "exp", "control", D(2024, 3, 12)),  # assigned twice: earliest day counts
        ("u7", "exp", "control", D(2024, 3, 10)),
    ]
    df = pd.DataFrame(rows, columns=["user_id", "experiment", "variant", "assigned_day"])
    df["assigned_at"] = pd.to_datetime(df["assigned_day"]).dt.tz_localize("UTC")
    return df


def health_assignments():
    """11 users in ``exp`` (6 control, 5 treatment incl. one assigned early), one user in both
    variants, an overlapping experiment ``promo`` and one that ended before (``old``)."""
    t0 = pd.Timestamp("2024-03-01 00:00", tz="UTC")
    rows = [(f"c{i}", "exp", "control", t0 + pd.Timedelta(hours=i)) for i in range(6)]
    rows += [(f"t{i}", "exp", "treatment", t0 + pd.Timedelta(hours=i)) for i in range(4)]
    rows += [("early", "exp", "treatment", pd.Timestamp("2024-02-27 12:00", tz="UTC"))]
    rows += [("both", "exp", "control", t0), ("both", "exp", "treatment", t0)]
    rows += [
        ("c0", "promo", "A", t0),
        ("c1", "promo", "B", t0),
        ("t0", "promo", "A", t0),
        ("zz", "promo", "B", t0),
    ]
    rows += [("c2", "old", "A", pd.Timestamp("2024-01-05", tz="UTC"))]
    return pd.DataFrame(rows, columns=["user_id", "experiment", "variant", "assigned_at"])


def srm_assignments(control=2200, treatment=1800):
    """One experiment with a sample ratio mismatch (2200 vs 1800: chi2 = 40)."""
    return pd.DataFrame(
        {
            "user_id": [f"u{i}" for i in range(control + treatment)],
            "experiment": "exp",
            "variant": ["control"] * control + ["treatment"] * treatment,
        }
    )


def per_user(conv_t=300, guard_shift=0.0, seed=7):
    """2,000 users per variant: conversion 10% vs ``conv_t``/2000, revenue with a
    pre-period (CUPED), active days shifted down by ``guard_shift`` in the treatment."""
    rng = np.random.default_rng(seed)
    n = 2000
    variant = np.repeat(["control", "treatment"], n)
    converted = np.r_[np.arange(n) < 200, np.arange(n) < conv_t].astype(int)
    pre = rng.gamma(2.0, 5.0, 2 * n)
    revenue = 0.8 * pre + rng.normal(0, 3, 2 * n)
    active = rng.poisson(5, 2 * n) - np.where(variant == "treatment", guard_shift, 0)
    return pd.DataFrame(
        {
            "user_id": [f"u{i}" for i in range(2 * n)],
            "variant": variant,
            "converted": converted,
            "revenue": revenue,
            "pre_revenue": pre,
            "orders": converted * 2,
            "active_days": active,
            "persona": np.tile(["a", "b"], n),
        }
    )
