"""Sample product data with planted truths: what every analysis in the kit should recover.

``generate_sample`` writes the raw sources of a fictional shop (an app log, a web log, identities,
users, orders, experiment assignments, a CRM's campaign contacts, a feedback export; schemas in
``docs/internals.md``), a ``persona.yaml`` configured for them (with a checkout funnel and
feedback topics), ``truth.json`` (planted parameters and exact defect counts) and
``truth_users.csv.gz`` (each user's true persona, lifetimes, variants, campaign arm, and whether
they answer feedback and their NPS group). The campaign and the beta feature
(:mod:`helpers.sample.plants`), the feedback with its coupon pain point
(:mod:`helpers.sample.feedback`) and android's failed checkouts
(:mod:`helpers.sample.checkout_drop`) are planted append-only; detractors' shorter lives are
drawn with the users (:mod:`helpers.sample.personas`).

``language="zh"`` writes the same users, behaviour and numbers with Chinese event names and
attribute values and a Chinese app-log header (:mod:`helpers.sample.names`): only labels differ.

Everything is vectorized numpy over chunks of users and streamed to disk, so a million users fit
in a few GB. The output depends only on the arguments (numpy Generator per chunk from ``seed``).
"""

from __future__ import annotations

import gzip as gz
import json
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from helpers.core.errors import ParameterError
from helpers.sample import checkout_drop, feedback, plants
from helpers.sample import personas as sp
from helpers.sample.names import APP_FIELDS, SampleNames, sample_names
from helpers.sample.simulation import (  # the simulation side of the generator
    _WEEKLY,
    CHECKOUT_ASSIGN_DAYS,
    CHUNK_USERS,
    INACTIVE_DAYS,
    ONBOARDING_MONTHS,
    ORPHANS_PER_USER,
    UserChunk,
    _canonical,
    _ids,
    _local_text,
)
from helpers.sample.truth import TruthAccumulator


def generate_sample(
    out_dir,
    *,
    users: int = 20_000,
    months: int = 12,
    start: str = "2025-11-01",
    seed: int = 42,
    timezone: str = "Asia/Shanghai",
    language: str = "en",
    progress: bool = False,
) -> dict:
    """Write the sample sources, ``out_dir/persona.yaml`` and ``out_dir/truth.json``.

    Parameters
    ----------
    out_dir : str or Path
        Folder to write into (created if missing; files of an earlier sample are overwritten).
    users : int
        Number of signed-up users (default 20,000: about 2 million events).
    months : int
        Calendar months of data from ``start``; the last one is the latest complete month.
    start : str
        Launch date ``YYYY-MM-DD`` (local date in ``timezone``); no valid data before it.
    seed : int
        Seed of every random draw: the same arguments write the same files.
    timezone : str
        Business timezone (IANA name) of local times and days.
    language : {"en", "zh"}
        Language of the event names, attribute values, app-log header and project name
        (``zh``: Chinese, with ``language: zh`` in persona.yaml). The numbers do not change.
    progress : bool
        Show a progress bar over user chunks.

    Returns
    -------
    dict
        The truth written to ``truth.json``.

    Examples
    --------
    >>> truth = generate_sample("data/sample", users=2_000, seed=1)  # doctest: +SKIP
    >>> truth["personas"]["order_by_median_lifetime"][0]  # doctest: +SKIP
    'trialist'
    >>> zh = generate_sample("data/sample_zh", users=2_000, seed=1, language="zh")  # doctest: +SKIP
    >>> zh["passive_events"]  # doctest: +SKIP
    ['收到推送', '打开邮件']
    """
    names = sample_names(language)
    cal = _Calendar(start, months, timezone)
    if not isinstance(users, (int, np.integer)) or users < 100:
        raise ParameterError(
            f"The parameter `users` must be an integer >= 100, but {users!r} was passed."
        )
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ParameterError(
            f"The parameter `seed` must be a non-negative integer, but {seed!r} was passed."
        )
    out = Path(out_dir)
    (out / "web_events").mkdir(parents=True, exist_ok=True)
    for old in (out / "web_events").glob("part-*.parquet"):
        old.unlink()
    if not plants.has_campaign(cal):  # one month: no audience month, no campaign export
        (out / "campaigns.csv").unlink(missing_ok=True)
    n_orphans = max(1, round(users * ORPHANS_PER_USER))
    width = max(6, len(str(users + n_orphans)))
    writer = _Writers(out, cal, names)
    acc = TruthAccumulator(cal, names)
    starts = list(range(0, users, CHUNK_USERS))
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(starts), desc="sample chunks", unit="chunk")
    anon_next, order_next = 0, 0
    for ci, first in enumerate(starts):
        rng = np.random.default_rng([seed, ci])
        n = min(CHUNK_USERS, users - first)
        orphan_range = (users, users + n_orphans) if ci == len(starts) - 1 else None
        latent = np.random.default_rng([seed, ci, feedback.LATENT_SEED])
        chunk = UserChunk(
            rng, cal, first, n, users, width, anon_next, order_next, orphan_range, latent
        )
        # append-only plants, each with its own generator
        plants.plant(chunk, cal, seed=seed, ci=ci)
        feedback.plant_feedback(
            chunk, cal, np.random.default_rng([seed, ci, feedback.FEEDBACK_SEED])
        )
        checkout_drop.plant_checkout_drop(
            chunk, cal, np.random.default_rng([seed, ci, checkout_drop.CHECKOUT_DROP_SEED])
        )
        del chunk.natural
        anon_next, order_next = chunk.anon_next, chunk.order_next
        writer.write(chunk, ci)
        acc.add(chunk)
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    writer.close()
    truth = acc.truth(seed=seed, users=users, n_orphans=n_orphans)
    _write_yaml(out / "persona.yaml", cal, names)
    (out / "truth.json").write_text(
        json.dumps(truth, indent=2, sort_keys=False, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return truth


class _Calendar:
    """Days of the sample (day 0 = ``start``) with their UTC bounds and months."""

    def __init__(self, start, months, timezone):
        try:
            self.tz = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise ParameterError(
                f"The parameter `timezone` must be an IANA timezone name such as "
                f"'Asia/Shanghai', but {timezone!r} was passed."
            ) from None
        try:
            self.start = date.fromisoformat(str(start))
        except ValueError:
            raise ParameterError(
                f"The parameter `start` must be a date 'YYYY-MM-DD' such as "
                f"'2025-11-01', but {start!r} was passed."
            ) from None
        if not isinstance(months, (int, np.integer)) or not 1 <= months <= 60:
            raise ParameterError(
                f"The parameter `months` must be an integer from 1 to 60, but "
                f"{months!r} was passed."
            )
        self.timezone = timezone
        end_excl = (pd.Timestamp(self.start) + pd.DateOffset(months=months)).date()
        self.n_days = (end_excl - self.start).days
        self.end = end_excl - pd.Timedelta(days=1).to_pytimedelta()
        local = pd.date_range(self.start, periods=self.n_days + 1, freq="D")
        utc = local.tz_localize(timezone, ambiguous=False, nonexistent="shift_forward")
        self.midnight_ms = utc.asi8 // 1_000_000  # local midnights as UTC epoch ms
        self.day_len = np.diff(self.midnight_ms)
        self.valid_from_ms = int(self.midnight_ms[0])
        self.valid_until_ms = int(self.midnight_ms[-1])
        days = local[:-1]
        self.dow = days.dayofweek.to_numpy()
        period = days.to_period("M")
        self.month_labels = sorted(set(str(p) for p in period))
        self.month_of_day = np.searchsorted(self.month_labels, period.astype(str))
        starts = [int(np.argmax(self.month_of_day == m)) for m in range(len(self.month_labels))]
        self.last_month_start = starts[-1]
        self.onboarding_start = starts[max(0, len(starts) - ONBOARDING_MONTHS)]
        self.assign_end = min(self.last_month_start + CHECKOUT_ASSIGN_DAYS, self.n_days)
        w = (1.0 + 2.0 * np.arange(self.n_days) / self.n_days) * _WEEKLY[self.dow]
        self.signup_p = w / w.sum()

    def day_str(self, days):
        return (np.datetime64(self.start) + np.asarray(days).astype("timedelta64[D]")).astype(str)


class _Writers:
    """Streams each chunk's rows to the source files."""

    def __init__(self, out, cal, names: SampleNames):
        self.out, self.cal, self.names = out, cal, names
        self.vocab = pa.array(names.vocabulary)
        self.pages = pa.array(sp.WEB_PAGES)
        self._csv = {}
        self.orders = pq.ParquetWriter(
            out / "orders.parquet",
            pa.schema(
                [
                    ("order_id", pa.string()),
                    ("uid", pa.string()),
                    ("paid_at", pa.timestamp("ms", tz="UTC")),
                    ("total", pa.float64()),
                ]
            ),
        )

    def _write_csv(self, name, table, gzip=False):
        # Python's gzip at level 6 with mtime=0: byte-identical reruns, and several times faster
        # than pyarrow's gzip stream (which compresses at the maximum level).
        if name not in self._csv:
            raw = open(self.out / name, "wb")
            sink = (
                gz.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=6, mtime=0)
                if gzip
                else raw
            )
            self._csv[name] = (raw, sink, True)
        raw, sink, header = self._csv[name]
        buf = pa.BufferOutputStream()
        pacsv.write_csv(table, buf, pacsv.WriteOptions(include_header=header))
        sink.write(buf.getvalue().to_pybytes())
        self._csv[name] = (raw, sink, False)

    def write(self, chunk, ci):
        w = chunk.width
        app = chunk.app
        if chunk.orphans is not None:
            app = {col: np.concatenate([app[col], chunk.orphans[col]]) for col in app}
        o = np.argsort(app["ts"], kind="stable")
        uid = _ids("u", app["user"][o], w)
        session = pc.binary_join_element_wise(  # the original user's session, even if uid is null
            _ids("s", app["sess_user"][o], w),
            pc.utf8_lpad(pa.array(app["day"][o]).cast(pa.string()), 3, padding="0"),
            "-",
        )
        fields = {
            "user_id": uid,
            "event_time": pa.array(app["ts"][o]),
            "event_name": self.vocab.take(app["name"][o]),
            "platform": np.array(self.names.devices)[app["device"][o]],
            "session_id": session,
        }
        self._write_csv(
            "app_events.csv.gz",
            pa.table({header: fields[field] for field, header in self.names.app_columns}),
            gzip=True,
        )
        web = chunk.web
        o = np.argsort(web["ts"], kind="stable")
        time_text = pa.array(web["ts"][o]).cast(pa.timestamp("ms")).cast(pa.string())
        pq.write_table(
            pa.table(
                {
                    "anon_id": _ids("a", web["anon"][o], 8),
                    "member_id": _ids("u", web["member"][o], w),
                    "time": time_text,
                    "event": self.vocab.take(web["name"][o]),
                    "page": self.pages.take(_canonical(web["name"][o])),
                }
            ),
            self.out / "web_events" / f"part-{ci:05d}.parquet",
        )
        a, u = chunk.identities
        self._write_csv(
            "identities.csv",
            pa.table({"anonymous_id": _ids("a", a, 8), "user_id": _ids("u", u, w)}),
        )
        self._write_csv("users.csv", self._users(chunk))
        self.orders.write_table(
            pa.table(
                {
                    "order_id": _ids("o", chunk.o_id, 8),
                    "uid": _ids("u", chunk.first + chunk.o_user, w),
                    "paid_at": pa.array(chunk.o_ms)
                    .cast(pa.timestamp("ms"))
                    .cast(pa.timestamp("ms", tz="UTC")),
                    "total": chunk.o_amt,
                }
            )
        )
        self._write_csv("assignments.csv", self._assignments(chunk))
        if chunk.contacts is not None:
            self._write_csv("campaigns.csv", plants.contacts_table(chunk, self.cal))
        self._write_csv("feedback.csv", feedback.feedback_table(chunk, self.cal))
        self._write_csv("truth_users.csv.gz", self._truth_users(chunk), gzip=True)

    def _users(self, chunk):
        u, n = chunk.users, self.names
        labels = {
            "gender": n.genders,
            "city": n.cities,
            "channel": n.channels,
            "platform": n.platforms,
            "plan": n.plans,
        }
        return pa.table(
            {
                col: np.array(labels[col])[values] if col in labels else values
                for col, values in u.items()
            }
        )

    def _assignments(self, chunk):
        cal, first, w = self.cal, chunk.first, chunk.width
        logged = chunk.onb_logged
        users = np.concatenate([chunk.checkout_user, chunk.onb_user[logged]])
        ms = np.concatenate([chunk.checkout_ms, chunk.signup_ms[chunk.onb_user[logged]]])
        trt = np.concatenate([chunk.checkout_trt, chunk.onb_trt[logged]])
        exp = np.repeat(
            ["checkout_v2", "onboarding_tips"], [len(chunk.checkout_user), logged.sum()]
        )
        at = _local_text(ms, cal.timezone, with_offset=True)
        o = np.lexsort((first + users, ms))
        return pa.table(
            {
                "user_id": _ids("u", first + users[o], w),
                "experiment": exp[o],
                "variant": np.where(trt, "treatment", "control")[o],
                "assigned_at": at.take(o),
            }
        )

    def _truth_users(self, chunk):
        t, cal, n = chunk.truth_users, self.cal, chunk.n
        variants = {}
        for name, users, trt in (
            ("checkout_v2", chunk.checkout_user, chunk.checkout_trt),
            ("onboarding_tips", chunk.onb_user, chunk.onb_trt),
        ):
            v = np.full(n, "", dtype=object)
            v[users] = np.where(trt, "treatment", "control")
            variants[name] = v.astype(str)
        return pa.table(
            {
                "user_id": _ids("u", chunk.first + np.arange(n), chunk.width),
                "persona": np.array(sp.PERSONA_NAMES)[t["persona"]],
                "joined_community": t["community"].astype(int),
                "signup_day": cal.day_str(t["signup"]),
                "first_life_end_day": cal.day_str(t["first_life_end"]),
                "first_life_days_true": np.round(t["life1"], 3),
                "churned": t["churned"],
                "resurrected": t["resurrected"],
                "second_life_start_day": np.where(
                    t["resurrected"], cal.day_str(t["comeback"].clip(0)), ""
                ),
                **variants,
                "feedback_responder": t["responder"].astype(int),
                "nps_group": np.array(("",) + sp.NPS_GROUPS)[t["nps_group"] + 1],
                "campaign_arm": t["campaign_arm"].astype(str),
                "campaign_visit_day": np.where(
                    t["campaign_visit_day"] >= 0, cal.day_str(t["campaign_visit_day"].clip(0)), ""
                ),
            }
        )

    def close(self):
        self.orders.close()
        for raw, sink, _ in self._csv.values():
            sink.close()
            raw.close()


# the comments of the written persona.yaml: cache_dir, valid_from, valid_until
_YAML_NOTES = {
    "en": (
        "cleaned tables + user_day cache (relative to this file)",
        "launch: earlier timestamps are invalid (local date, project timezone)",
        'export time: timestamps at/after it are "in the future"',
    ),
    "zh": (
        "清洗后的表和 user_day 缓存（相对本文件）",
        "上线日期：更早的时间戳无效（项目时区的本地日期）",
        "导出时间：此刻及之后的时间戳视为“未来”",
    ),
}


#: Who owns which actions in the sample project (``owners:``), so its action plan has owners.
_SAMPLE_OWNERS = {
    "en": {
        "persona": "CRM team",
        "migration": "CRM team",
        "experiment": "Product team",
        "retention_driver": "Product team",
        "churn_driver": "Community team",
        "campaign": "CRM team",
        "pain_point": "Product team",
    },
    "zh": {
        "persona": "用户运营",
        "migration": "用户运营",
        "experiment": "产品团队",
        "retention_driver": "产品团队",
        "churn_driver": "社区运营",
        "campaign": "用户运营",
        "pain_point": "产品团队",
    },
}


def _write_yaml(path, cal, names: SampleNames):
    valid_until = (cal.end + pd.Timedelta(days=1).to_pytimedelta()).isoformat()
    cache_note, from_note, until_note = _YAML_NOTES[names.language]
    app_columns = ", ".join(f"{field}: {names.app_column[field]}" for field in APP_FIELDS)
    steps = [
        names.events[sp.EVENT_NAMES.index(s)] if s in sp.EVENT_NAMES else s
        for s in checkout_drop.FUNNEL_STEPS
    ]
    campaigns = (
        "\n  campaigns: {name: campaigns, path: campaigns.csv, columns: {user_id: member_id, "
        "campaign: campaign_name, sent_at: send_time, group: arm}}"
        if plants.has_campaign(cal)
        else ""
    )
    path.write_text(
        f"""name: {names.project}
timezone: {cal.timezone}
language: {names.language}
currency: CNY
cache_dir: ../processed          # {cache_note}
sources:
  events:
    - name: app_events
      path: app_events.csv.gz
      columns: {{{app_columns}}}
      time_format: epoch_ms
    - name: web_events
      path: web_events/*.parquet
      columns: {{anonymous_id: anon_id, user_id: member_id, event_time: time, event_name: event}}
      timezone: UTC
  orders: {{name: orders, path: orders.parquet, columns: {{user_id: uid, order_time: paid_at, amount: total}}}}
  users: {{name: users, path: users.csv, columns: {{user_id: id, signup_time: created_at}}}}
  identities: {{name: identities, path: identities.csv}}
  assignments: {{name: assignments, path: assignments.csv}}{campaigns}
  feedback: {{name: feedback, path: feedback.csv, columns: {{user_id: member_id, feedback_time: submitted_at, rating: stars, nps: nps_score, channel: source, text: comment}}}}
audit:
  valid_from: "{cal.start.isoformat()}"     # {from_note}
  valid_until: "{valid_until}"    # {until_note}
activity:
  passive_events: [{", ".join(names.passive_events)}]
churn:
  inactive_days: {INACTIVE_DAYS}
personas:
  coupon_event: {names.coupon_event}
funnels:
  {checkout_drop.FUNNEL_NAME}: {{steps: [{", ".join(steps)}], window_days: {checkout_drop.FUNNEL_WINDOW_DAYS}}}
{feedback.topics_yaml(names)}
owners: {{{", ".join(f"{k}: {v}" for k, v in _SAMPLE_OWNERS[names.language].items())}}}
""",
        encoding="utf-8",
    )
