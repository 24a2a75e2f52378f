"""The truth of a generated sample: exact defect counts and planted parameters, summed over
the chunks of users as they are written (:class:`TruthAccumulator`), then written as
``truth.json``."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from helpers.sample import personas as sp
from helpers.sample.checkout_drop import funnel_truth
from helpers.sample.feedback import feedback_truth
from helpers.sample.plants import (
    BETA_LAUNCH_DAY,
    BETA_SHARE,
    CAMPAIGN_DEFINITION,
    CAMPAIGN_PERSONA,
    HOLDOUT_SHARE,
    REACTIVATION_PROB,
    REACTIVATION_WINDOW_DAYS,
    campaign_name,
    has_campaign,
)
from helpers.sample.simulation import (
    CHECKOUT_LIFT,
    COMMUNITY_SHARE,
    HAZARD_RATIO,
    INACTIVE_DAYS,
    ONBOARDING_UNDERLOGGED,
    RESURRECTION_GAP_DAYS,
    RESURRECTION_PROB,
    WINDOW_DAYS,
)


class TruthAccumulator:
    """Sums the exact counts and collects the experiment arrays over chunks.

    ``names`` (:class:`helpers.sample.names.SampleNames`) labels the events the truth names.
    """

    def __init__(self, cal, names):
        self.cal, self.names = cal, names
        self.sum = {}
        self.parts = {}
        self.variant_codes = {"app_events": set(), "web_events": set()}

    def _add(self, key, value):
        self.sum[key] = self.sum.get(key, 0) + value

    def _keep(self, key, arr):
        self.parts.setdefault(key, []).append(arr)

    def add(self, c):
        for src, d in (("app_events", c.app_defects), ("web_events", c.web_defects)):
            for key, val in d.items():
                if key == "variant_codes":
                    self.variant_codes[src].update(int(x) for x in val)
                else:
                    self._add(f"{src}.{key}", int(val))
        self._add(
            "app_events.rows_written",
            len(c.app["ts"]) + (len(c.orphans["ts"]) if c.orphans is not None else 0),
        )
        self._add("web_events.rows_written", len(c.web["ts"]))
        self._add("web_events.real_rows", c.web_real_rows)
        self._add("web.via_identities", c.stitched_via_identities)
        self._add("web.via_events", c.stitched_via_events)
        self._add("identities.rows_written", len(c.identities[0]))
        self._add("identities.conflicting_identities", c.identity_conflicts)
        self._add("users.rows_written", len(c.users["id"]))
        for key, val in c.user_dups.items():
            self._add(f"users.{key}", val)
        self._add("orders.rows_written", len(c.o_ms))
        self._add("orders.refunds", int((c.o_amt < 0).sum()))
        self._add("orders.refund_total", float(c.o_amt[c.o_amt < 0].sum()))
        self._add("orders.free_orders", int((c.o_amt == 0).sum()))
        self._add("buyers", len(np.unique(c.o_user[c.o_amt >= 0])))
        self._add("events_natural", c.n_events)
        self._add("assignments.rows_written", len(c.checkout_user) + int(c.onb_logged.sum()))
        self._add("onb.control", int((~c.onb_trt).sum()))
        self._add("onb.treatment", int(c.onb_trt.sum()))
        self._add("onb.treatment_rows", int((c.onb_trt & c.onb_logged).sum()))
        self._add("onb.missing", int((~c.onb_logged).sum()))
        self._add(
            "both_experiments", np.intersect1d(c.checkout_user, c.onb_user[c.onb_logged]).size
        )
        self._add("both_experiments_true", np.intersect1d(c.checkout_user, c.onb_user).size)
        if c.orphans is not None:
            self._add("orphan_events", len(c.orphans["ts"]))
            self._add("orphan_users", len(np.unique(c.orphans["user"])))
            self._keep("user_months", c.orphan_user_months)
        self._keep("user_months", c.user_months)
        for key, val in c.campaign.items():
            self._add(f"campaign.{key}", val)
        for key, val in c.beta.items():
            self._add(f"beta.{key}", val)
        for key, val in c.feedback_counts.items():
            self._add(f"feedback.{key}", val)
        for key, val in c.checkout_drop.items():
            self._add(f"drop.{key}", val)
        for key, val in c.funnel.items():
            self._add(f"funnel.{key}", val)
        self._keep("checkout_trt", c.checkout_trt)
        for key, val in c.est.items():
            self._keep(f"est.{key}", val)
        self._keep("persona", c.truth_users["persona"])
        self._keep("community", c.truth_users["community"])
        self._keep("churned", c.truth_users["churned"])
        self._keep("resurrected", c.truth_users["resurrected"])

    def truth(self, *, seed, users, n_orphans):
        cal, s = self.cal, self.sum
        cat = {key: np.concatenate(val) for key, val in self.parts.items()}
        defects = {}
        for src in ("app_events", "web_events"):
            d = {key.split(".", 1)[1]: val for key, val in s.items() if key.startswith(src + ".")}
            d.setdefault("null_user_id", 0)
            d.setdefault("unstitched_anonymous", 0)
            d.pop("real_rows", None)
            vocab = self.names.vocabulary
            d["event_name_variants"] = sorted(vocab[i] for i in self.variant_codes[src])
            d["rows_kept"] = (
                d["rows_written"]
                - d["time_out_of_range"]
                - d["duplicate"]
                - d["null_user_id"]
                - d["unstitched_anonymous"]
            )
            defects[src] = {
                k: d[k]
                for k in (
                    "rows_written",
                    "rows_kept",
                    "time_out_of_range",
                    "before_launch",
                    "in_future",
                    "duplicate",
                    "null_user_id",
                    "unstitched_anonymous",
                    "event_name_variant",
                    "event_name_variants",
                )
            }
        defects["users"] = {
            k: s[f"users.{k}"]
            for k in (
                "rows_written",
                "duplicate_user_rows",
                "conflicting_duplicate_users",
                "duplicated_users",
            )
        }
        defects["orders"] = {
            "rows_written": s["orders.rows_written"],
            "refunds": s["orders.refunds"],
            "refund_total": round(s["orders.refund_total"], 2),
            "free_orders": s["orders.free_orders"],
        }
        defects["identities"] = {
            "rows_written": s["identities.rows_written"],
            "conflicting_identities": s["identities.conflicting_identities"],
        }
        defects["assignments"] = {
            "rows_written": s["assignments.rows_written"],
            "missing_onboarding_treatment_rows": s["onb.missing"],
        }
        defects["orphan_events"] = s.get("orphan_events", 0)
        defects["orphan_users"] = s.get("orphan_users", 0)
        um = cat["user_months"]
        months = np.bincount(um % 1000, minlength=len(cal.month_labels))
        mau = {label: int(months[i]) for i, label in enumerate(cal.month_labels)}
        persona = cat["persona"]
        arrays = sp.persona_arrays()
        medians = {
            name: round(
                sp.population_median_lifetime(
                    float(arrays["daily_churn_hazard"][i]),
                    community_share=COMMUNITY_SHARE,
                    hazard_ratio=HAZARD_RATIO,
                    detractor_share=sp.RESPONDER_SHARE * sp.NPS_GROUP_P[name][sp.DETRACTOR],
                    detractor_hazard_ratio=sp.DETRACTOR_HAZARD_RATIO,
                ),
                2,
            )
            for i, name in enumerate(sp.PERSONA_NAMES)
        }
        churned, resurrected = cat["churned"], cat["resurrected"]
        return {
            "seed": int(seed),
            "users": int(users),
            "start": cal.start.isoformat(),
            "end": cal.end.isoformat(),
            "timezone": cal.timezone,
            "months": cal.month_labels,
            "latest_complete_month": cal.month_labels[-1],
            "valid_from": cal.start.isoformat(),
            "valid_until": (cal.end + pd.Timedelta(days=1).to_pytimedelta()).isoformat(),
            "event_names": list(self.names.events),
            "passive_events": list(self.names.passive_events),
            "personas": {
                "names": list(sp.PERSONA_NAMES),
                "share": {
                    n: round(float(arrays["share"][i]), 4) for i, n in enumerate(sp.PERSONA_NAMES)
                },
                "users": {n: int((persona == i).sum()) for i, n in enumerate(sp.PERSONA_NAMES)},
                "params": sp.truth_params(self.names.events),
                "median_lifetime_days": medians,
                "order_by_median_lifetime": sorted(medians, key=medians.get),
            },
            "churn": {
                "covariate": "joined_community",
                "hazard_ratio": HAZARD_RATIO,
                "community_share": COMMUNITY_SHARE,
                "community_users": int(cat["community"].sum()),
                "lifetime_distribution": "exponential",
                "inactive_days": INACTIVE_DAYS,
                "resurrection_prob": RESURRECTION_PROB,
                "resurrection_gap_days": list(RESURRECTION_GAP_DAYS),
                "churned_users": int(churned.sum()),
                "resurrected_users": int(resurrected.sum()),
                "resurrection_share": round(float(resurrected.sum() / max(churned.sum(), 1)), 4),
            },
            "experiments": {
                "checkout_v2": self._checkout(cat),
                "onboarding_tips": self._onboarding(),
            },
            "campaign": self._campaign(),
            "beta_feature": self._beta(mau),
            "feedback": feedback_truth(self._prefixed("feedback."), cal, self.names),
            "funnel": funnel_truth(
                s["funnel.observed"], s["funnel.natural"], self._prefixed("drop."), cal, self.names
            ),
            "defects": defects,
            "counts": {
                "users": int(users),
                "users_rows": s["users.rows_written"],
                "orphan_users": defects["orphan_users"],
                "orders_rows": s["orders.rows_written"],
                "buyers": s["buyers"],
                "events_written": s["app_events.rows_written"] + s["web_events.rows_written"],
                "events_kept": defects["app_events"]["rows_kept"]
                + defects["web_events"]["rows_kept"],
                "web_anonymous_rows_stitched_via_identities": s["web.via_identities"],
                "web_anonymous_rows_stitched_via_event_rows": s["web.via_events"],
                "users_in_both_experiments": s[
                    "both_experiments"
                ],  # as written in assignments.csv
                "users_in_both_experiments_true": s["both_experiments_true"],
                "monthly_active_users": mau,
                "monthly_active_users_definition": "distinct users (orphans included) with at least "
                "one kept non-passive event or purchase in the business-timezone calendar month",
            },
        }

    def _prefixed(self, prefix):
        return {k[len(prefix) :]: v for k, v in self.sum.items() if k.startswith(prefix)}

    def _checkout(self, cat):
        cal = self.cal
        trt = cat["checkout_trt"]
        e = {key.split(".", 1)[1]: val for key, val in cat.items() if key.startswith("est.")}
        p0, p1 = e["p_ctrl"].mean(), e["p_trt"].mean()
        n1, n0 = int(trt.sum()), int((~trt).sum())
        c1, c0 = e["converted"][trt].mean(), e["converted"][~trt].mean()
        pool = e["converted"].mean()
        se = math.sqrt(pool * (1 - pool) * (1 / n0 + 1 / n1))
        return {
            "split": {"control": 0.5, "treatment": 0.5},
            "variants": ["control", "treatment"],
            "start": cal.day_str(cal.last_month_start).item(),
            "end": cal.day_str(cal.assign_end - 1).item(),
            "assignment": "users active in the first 14 days of the last month, at their first "
            "event in that period (assigned_at floored to the second)",
            "per_day_purchase_lift": CHECKOUT_LIFT,
            "window_days": WINDOW_DAYS,
            "estimand_window": "active days from the assignment day to 27 days later",
            "expected_conversion_control": round(float(p0), 6),
            "expected_conversion_treatment": round(float(p1), 6),
            "relative_lift_conversion": round(float(p1 / p0 - 1), 6),
            "absolute_lift_conversion": round(float(p1 - p0), 6),
            "absolute_lift_revenue_per_user": round(
                float((e["rev_trt"] - e["rev_ctrl"]).mean()), 4
            ),
            "revenue_definition": "expected purchase amounts (refunds not subtracted)",
            "n": {"control": n0, "treatment": n1},
            "observed": {
                "conversion_control": round(float(c0), 6),
                "conversion_treatment": round(float(c1), 6),
                "z": round(float((c1 - c0) / se), 4) if se > 0 else None,
                "revenue_per_user_control": round(float(e["revenue"][~trt].mean()), 4),
                "revenue_per_user_treatment": round(float(e["revenue"][trt].mean()), 4),
            },
            "srm_p_value": float(stats.chisquare([n0, n1]).pvalue),
        }

    def _onboarding(self):
        cal, s = self.cal, self.sum
        rows = [s["onb.control"], s["onb.treatment_rows"]]
        return {
            "split": {"control": 0.5, "treatment": 0.5},
            "variants": ["control", "treatment"],
            "start": cal.day_str(cal.onboarding_start).item(),
            "end": cal.end.isoformat(),
            "assignment": "users who sign up in the last 3 months, at signup",
            "true_effect": 0.0,
            "under_logged_share": ONBOARDING_UNDERLOGGED,
            "n": {"control": s["onb.control"], "treatment": s["onb.treatment"]},
            "rows": {"control": rows[0], "treatment": rows[1]},
            "missing_treatment_rows": s["onb.missing"],
            "srm_p_value": float(stats.chisquare(rows).pvalue),
        }

    def _campaign(self):
        """The planted win-back campaign (:mod:`helpers.sample.plants`); None on one month."""
        cal, s = self.cal, self.sum
        if not has_campaign(cal):
            return None
        n, treat, hold = (s.get(f"campaign.{k}", 0) for k in ("audience", "treat", "holdout"))
        nat_t, nat_h = s.get("campaign.natural_treat", 0), s.get("campaign.natural_holdout", 0)

        def share(part, whole):
            return round(part / whole, 6) if whole else None

        return {
            "name": campaign_name(cal),
            "persona": CAMPAIGN_PERSONA,
            "audience_month": cal.month_labels[-2],
            "sent_on": cal.day_str(cal.last_month_start).item(),
            "readout_month": cal.month_labels[-1],
            "holdout_share": HOLDOUT_SHARE,
            "audience": n,
            "treat": treat,
            "holdout": hold,
            "q": REACTIVATION_PROB,
            # the sample average effect on being active in the readout month: q times the
            # audience's share (both arms) with no natural activity in it
            "reactivation_lift": round(REACTIVATION_PROB * (1 - (nat_t + nat_h) / n), 6)
            if n
            else None,
            "naturally_active_share_treat": share(nat_t, treat),
            "naturally_active_share_holdout": share(nat_h, hold),
            "reactivated_users": s.get("campaign.reactivated", 0),
            "planted_orders": s.get("campaign.orders", 0),
            "window_days": REACTIVATION_WINDOW_DAYS,
            "definition": CAMPAIGN_DEFINITION,
        }

    def _beta(self, mau):
        """The beta feature launched in the last month; None if the month ends before launch."""
        cal, s = self.cal, self.sum
        launch = cal.last_month_start + BETA_LAUNCH_DAY - 1
        if launch >= cal.n_days:
            return None
        users, month = s.get("beta.users", 0), cal.month_labels[-1]
        return {
            "event": self.names.beta_event,
            "launched_on": cal.day_str(launch).item(),
            "users": users,
            "events": s.get("beta.events", 0),
            "share_of_month_actives": round(users / mau[month], 6) if mau[month] else None,
            "adoption_share": BETA_SHARE,
            "definition": f"{BETA_SHARE:.0%} of the users active on or after the launch day "
            "use the new event 1-3 times on one of those days; never before the launch day",
        }
