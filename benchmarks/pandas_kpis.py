"""The KPI tables in plain pandas, the way an analyst's notebook would compute them.

The baseline of ``benchmarks.marts``: the staging tables read into DataFrames, then each
``marts.kpi_*`` table computed with ordinary pandas (groupby, merge, merge_asof, a loop over
the calendar for rolling windows), following ``docs/metrics.md``. It is vectorised where a
competent notebook would be, and no cleverer: e.g. WAU/MAU filter the activity rows once per
day, and recurring retention merges every start period with every return period of a user.

    .venv/bin/python -m benchmarks.pandas_kpis WAREHOUSE [--config pmanalytics.toml]

compares each table with the warehouse's ``marts`` tables (build them first) and prints
which agree. It computes the default ``[analysis] as_of = "latest_event"`` only (the
benchmarks' setting): another as-of date is refused rather than compared wrongly.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from pmanalytics.config import Config, parse_duration
from pmanalytics.warehouse import compose

PERIODS = ("day", "week", "month")
DAY = np.timedelta64(1, "D")


def load(db: str) -> dict[str, pd.DataFrame]:
    """staging.events / users / survey_responses as DataFrames (the columns the KPIs read)."""
    import duckdb

    con = duckdb.connect(db, read_only=True)
    try:
        return {
            "events": con.execute(
                "select user_id, event, event_type, occurred_at from staging.events"
            ).df(),
            "users": con.execute(
                "select user_id, first_seen_at, is_identified, traits from staging.users"
            ).df(),
            "responses": con.execute(
                "select user_id, metric, score, submitted_at, attributes "
                "from staging.survey_responses"
            ).df(),
        }
    finally:
        con.close()


# --------------------------------------------------------------------------- calendar helpers


def local_day(ts: pd.Series, tz: str) -> pd.Series:
    """Naive UTC timestamps → local calendar day (as a midnight datetime64)."""
    if tz != "UTC":
        ts = ts.dt.tz_localize("UTC").dt.tz_convert(tz).dt.tz_localize(None)
    return ts.dt.floor("D")


def period_start(day: pd.Series, period: str, week_start: str) -> pd.Series:
    if period == "day":
        return day
    if period == "week":
        first = 0 if week_start == "monday" else 6
        return day - pd.to_timedelta((day.dt.day_of_week - first) % 7, unit="D")
    return day.dt.to_period("M").dt.start_time


def period_index(start: pd.Series, period: str) -> pd.Series:
    if period == "month":
        return start.dt.year * 12 + start.dt.month - 1
    days = (start - pd.Timestamp("1970-01-01")) // pd.Timedelta(days=1)
    return days if period == "day" else days // 7


def calendar(first: pd.Timestamp, last: pd.Timestamp, period: str) -> pd.DatetimeIndex:
    freq = {"day": "D", "week": "7D", "month": "MS"}[period]
    return pd.date_range(first, last, freq=freq)


def next_period(start: pd.Series, period: str) -> pd.Series:
    if period == "month":
        return start + pd.offsets.MonthBegin(1)
    return start + pd.Timedelta(days=1 if period == "day" else 7)


# --------------------------------------------------------------------------- prep


def prepare(frames: dict[str, pd.DataFrame], config: Config) -> dict[str, Any]:
    """Local days and the active / start / return flags of every event (shared by the KPIs)."""
    a, r = config.analysis, config.retention
    if a.as_of != "latest_event":
        raise SystemExit("benchmarks.pandas_kpis computes [analysis] as_of = 'latest_event' only")
    ev = frames["events"]
    ev = ev[ev["user_id"].notna() & ev["occurred_at"].notna()].copy()
    ev["day"] = local_day(ev["occurred_at"], a.timezone)
    if a.active_events:
        ev["is_active"] = ev["event"].isin(a.active_events)
    else:
        ev["is_active"] = ev["event_type"] == "track"
    ev["is_start"] = ev["event"].eq(r.start_event) if r.start_event else ev["is_active"]
    ev["is_return"] = ev["event"].eq(r.return_event) if r.return_event else ev["is_active"]
    days = (
        ev[ev["is_active"] | ev["is_start"] | ev["is_return"]]
        .groupby(["user_id", "day"], as_index=False)[["is_active", "is_start", "is_return"]]
        .any()
    )
    users = frames["users"]
    first_seen = users.set_index("user_id")["first_seen_at"].dropna()
    return {"events": ev, "days": days, "first_seen": first_seen}


# --------------------------------------------------------------------------- tables


def active_users(p: dict[str, Any], config: Config) -> pd.DataFrame:
    act = p["days"].loc[p["days"]["is_active"], ["user_id", "day"]]
    rows = []
    if len(act):
        for d in pd.date_range(act["day"].min(), act["day"].max(), freq="D"):
            dau = act.loc[act["day"] == d, "user_id"].nunique()
            wau = act.loc[(act["day"] > d - 7 * DAY) & (act["day"] <= d), "user_id"].nunique()
            mau = act.loc[(act["day"] > d - 30 * DAY) & (act["day"] <= d), "user_id"].nunique()
            rows.append((d, dau, wau, mau, dau / mau if mau else None))
    return pd.DataFrame(rows, columns=["activity_date", "dau", "wau", "mau", "stickiness"])


def stickiness(p: dict[str, Any], config: Config) -> pd.DataFrame:
    act = p["days"].loc[p["days"]["is_active"], ["user_id", "day"]]
    out = []
    for period in ("week", "month"):
        if not len(act):
            break
        start = period_start(act["day"], period, config.analysis.week_start)
        per_user = act.assign(period_start=start).groupby(["period_start", "user_id"]).size()
        counts = per_user.rename("days_active").reset_index()
        counts = counts.groupby(["period_start", "days_active"]).size().rename("users")
        grid = [
            (s, k)
            for s in calendar(start.min(), start.max(), period)
            for k in range(1, (7 if period == "week" else s.days_in_month) + 1)
        ]
        index = pd.MultiIndex.from_tuples(grid, names=["period_start", "days_active"])
        table = counts.reindex(index, fill_value=0).reset_index()
        table.insert(0, "period", period)
        out.append(table)
    return pd.concat(out, ignore_index=True)


def retention(p: dict[str, Any], config: Config) -> pd.DataFrame:
    days = p["days"]
    out = []
    for period in PERIODS:
        if not len(days):
            break
        d = days.assign(period_start=period_start(days["day"], period, config.analysis.week_start))
        d["idx"] = period_index(d["period_start"], period)
        last_idx = d["idx"].max()
        starts = d.loc[d["is_start"], ["user_id", "period_start", "idx"]].drop_duplicates()
        returns = d.loc[d["is_return"], ["user_id", "idx"]].drop_duplicates()
        returns = returns.rename(columns={"idx": "return_idx"})
        first = starts.sort_values("idx").drop_duplicates("user_id")
        last_return = returns.groupby("user_id", as_index=False)["return_idx"].max()
        for kind, members in (("first_time", first), ("recurring", starts)):
            sizes = members.groupby(["period_start", "idx"]).size().rename("cohort_size")
            pairs = members.merge(returns, on="user_id")
            pairs = pairs[pairs["return_idx"] > pairs["idx"]]
            on = (
                pairs.assign(n=pairs["return_idx"] - pairs["idx"])
                .groupby(["period_start", "n"])
                .size()
                .rename("on")
            )
            reach = members.merge(last_return, on="user_id")
            reach = reach[reach["return_idx"] > reach["idx"]]
            reach = (
                reach.assign(n=reach["return_idx"] - reach["idx"])
                .groupby(["period_start", "n"])
                .size()
                .rename("reach")
            )
            grid = pd.DataFrame(
                [
                    (s, i, size, n)
                    for (s, i), size in sizes.items()
                    for n in range(0, int(last_idx - i) + 1)
                ],
                columns=["period_start", "idx", "cohort_size", "n"],
            )
            grid = grid.join(on, on=["period_start", "n"]).join(reach, on=["period_start", "n"])
            grid[["on", "reach"]] = grid[["on", "reach"]].fillna(0)
            grid = grid.sort_values(["period_start", "n"], ascending=[True, False])
            grid["after"] = grid.groupby("period_start")["reach"].cumsum()
            grid = grid.sort_values(["period_start", "n"])
            zero = grid["n"] == 0
            grid.loc[zero, "on"] = grid.loc[zero, "cohort_size"]
            grid.loc[zero, "after"] = grid.loc[zero, "cohort_size"]
            out.append(
                pd.DataFrame(
                    {
                        "period": period,
                        "retention_type": kind,
                        "cohort_start": grid["period_start"],
                        "period_number": grid["n"],
                        "cohort_size": grid["cohort_size"],
                        "retained_users": grid["on"].astype("int64"),
                        "retention_rate": grid["on"] / grid["cohort_size"],
                        "retained_users_unbounded": grid["after"].astype("int64"),
                        "unbounded_retention_rate": grid["after"] / grid["cohort_size"],
                    }
                )
            )
    return pd.concat(out, ignore_index=True)


def lifecycle(p: dict[str, Any], config: Config) -> pd.DataFrame:
    a = config.analysis
    act = p["days"].loc[p["days"]["is_active"], ["user_id", "day"]]
    seen_day = local_day(p["first_seen"], a.timezone)
    out = []
    for period in PERIODS:
        if not len(act):
            break
        up = act.assign(period_start=period_start(act["day"], period, a.week_start))
        up = up[["user_id", "period_start"]].drop_duplicates()
        up["idx"] = period_index(up["period_start"], period)
        up = up.sort_values(["user_id", "idx"])
        by_user = up.groupby("user_id")["idx"]
        up["prev_idx"], up["next_idx"] = by_user.shift(1), by_user.shift(-1)
        seen = period_start(seen_day, period, a.week_start).rename("seen_start")
        up = up.join(seen, on="user_id")
        up["seen_start"] = up["seen_start"].fillna(
            up.groupby("user_id")["period_start"].transform("min")
        )
        up["status"] = np.where(
            up["period_start"] == up["seen_start"],
            "new",
            np.where(up["prev_idx"] == up["idx"] - 1, "returning", "resurrecting"),
        )
        active = up.groupby(["period_start", "status"]).size()
        gone = up[up["next_idx"].isna() | (up["next_idx"] > up["idx"] + 1)]
        dormant = -gone.groupby(next_period(gone["period_start"], period)).size()
        dormant.index = pd.MultiIndex.from_arrays(
            [dormant.index, ["dormant"] * len(dormant)], names=["period_start", "status"]
        )
        counts = pd.concat([active, dormant]).rename("users")
        index = pd.MultiIndex.from_product(
            [
                calendar(up["period_start"].min(), up["period_start"].max(), period),
                ["new", "returning", "resurrecting", "dormant"],
            ],
            names=["period_start", "status"],
        )
        table = counts.reindex(index, fill_value=0).reset_index()
        table.insert(0, "period", period)
        out.append(table)
    return pd.concat(out, ignore_index=True)


def funnel(p: dict[str, Any], config: Config) -> pd.DataFrame:
    ev = p["events"]
    rows = []
    for spec in sorted(config.funnels, key=lambda f: f.name):
        window = pd.Timedelta(seconds=parse_duration(spec.window))
        hits = ev[ev["event"].isin(spec.steps)][["user_id", "event", "occurred_at"]]
        hits = hits.drop_duplicates().sort_values("occurred_at")
        chain = hits.loc[hits["event"] == spec.steps[0], ["user_id", "occurred_at"]]
        chain = chain.rename(columns={"occurred_at": "t1"}).drop_duplicates()
        chain["t_1"] = chain["t1"]
        chain["depth"] = 1
        for k, step in enumerate(spec.steps[1:], start=2):
            alive = chain[chain["depth"] == k - 1].sort_values(f"t_{k - 1}")
            nxt = hits.loc[hits["event"] == step, ["user_id", "occurred_at"]]
            found = pd.merge_asof(
                alive,
                nxt.rename(columns={"occurred_at": f"t_{k}"}),
                left_on=f"t_{k - 1}",
                right_on=f"t_{k}",
                by="user_id",
                direction="forward",
                allow_exact_matches=False,
            )
            ok = found[f"t_{k}"].notna() & (found[f"t_{k}"] <= found["t1"] + window)
            found.loc[ok, "depth"] = k
            found.loc[~ok, f"t_{k}"] = pd.NaT
            chain = pd.concat([chain[chain["depth"] < k - 1], found], ignore_index=True)
        best = chain.sort_values(["user_id", "depth", "t1"]).drop_duplicates("user_id", keep="last")
        for rule in spec.exclusions if len(best) else ():
            # after the conversion's step i, before its step j (or the window's end)
            excl = ev.loc[ev["event"] == rule.event, ["user_id", "occurred_at"]]
            hits = best[best["depth"] >= rule.from_step].merge(
                excl.rename(columns={"occurred_at": "excl_at"}), on="user_id"
            )
            reached = hits["depth"] >= rule.to_step
            until = hits[f"t_{rule.to_step}"].where(reached, hits["t1"] + window)
            after = hits["excl_at"] > hits[f"t_{rule.from_step}"]
            inside = (reached & (hits["excl_at"] < until)) | (~reached & (hits["excl_at"] <= until))
            best = best[~best["user_id"].isin(hits.loc[after & inside, "user_id"])]
        first = (best["depth"] >= 1).sum()
        previous_users = first
        for k, step in enumerate(spec.steps, start=1):
            reached = best[best["depth"] >= k]
            users = len(reached)
            secs = (
                (reached[f"t_{k}"] - reached[f"t_{k - 1}"]).dt.total_seconds()
                if k > 1
                else pd.Series(dtype=float)
            )
            rows.append(
                (
                    spec.name,
                    k,
                    step,
                    users,
                    users / first if first else None,
                    users / previous_users if previous_users else None,
                    secs.median() if len(secs) else None,
                    secs.mean() if len(secs) else None,
                )
            )
            previous_users = users
    return pd.DataFrame(
        rows,
        columns=[
            "funnel",
            "step_number",
            "step_event",
            "users",
            "conversion_from_start",
            "conversion_from_previous",
            "median_seconds_from_previous",
            "mean_seconds_from_previous",
        ],
    )


def feature_adoption(p: dict[str, Any], config: Config) -> pd.DataFrame:
    a = config.analysis
    ev = p["events"]
    act = p["days"].loc[p["days"]["is_active"], ["user_id", "day"]]
    act = act.assign(week=period_start(act["day"], "week", a.week_start))
    active = act.groupby("week")["user_id"].nunique().rename("active_users")
    per_feature = {}
    weeks = set(active.index)
    for spec in config.features:
        use = ev.loc[ev["event"].isin(spec.events), ["user_id", "occurred_at", "day"]]
        use = use.assign(week=period_start(use["day"], "week", a.week_start))
        weeks |= set(use["week"])
        weekly = use.groupby("week")["user_id"].nunique().rename("feature_users")
        first = use.groupby("user_id")["occurred_at"].min().rename("first_at").reset_index()
        first["week"] = period_start(local_day(first["first_at"], a.timezone), "week", a.week_start)
        first["secs"] = (
            first["first_at"] - first["user_id"].map(p["first_seen"])
        ).dt.total_seconds()
        new = first.groupby("week").agg(
            new_feature_users=("user_id", "size"), median_seconds_to_first_use=("secs", "median")
        )
        per_feature[spec.name] = (weekly, new)
    out = []
    if weeks:
        cal = calendar(min(weeks), max(weeks), "week")
        for name in sorted(per_feature):
            weekly, new = per_feature[name]
            t = pd.DataFrame(index=cal).join(weekly).join(active).join(new)
            t[["feature_users", "active_users", "new_feature_users"]] = t[
                ["feature_users", "active_users", "new_feature_users"]
            ].fillna(0)
            t["adoption_rate"] = t["feature_users"] / t["active_users"].replace(0, np.nan)
            t = t.rename_axis("period_start").reset_index()
            t.insert(0, "feature", name)
            out.append(
                t[
                    [
                        "feature",
                        "period_start",
                        "feature_users",
                        "active_users",
                        "adoption_rate",
                        "new_feature_users",
                        "median_seconds_to_first_use",
                    ]
                ]
            )
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame()


def activation(p: dict[str, Any], config: Config, frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    a, act_cfg = config.analysis, config.activation
    users = frames["users"]
    users = users[users["is_identified"] & users["first_seen_at"].notna()][
        ["user_id", "first_seen_at"]
    ]
    users = users.assign(
        cohort=period_start(local_day(users["first_seen_at"], a.timezone), "week", a.week_start)
    )
    ev = p["events"]
    hits = ev.loc[ev["event"] == act_cfg.event, ["user_id", "occurred_at"]]
    m = users.merge(hits, on="user_id")
    within = pd.Timedelta(days=act_cfg.within_days)
    m = m[
        (m["occurred_at"] >= m["first_seen_at"]) & (m["occurred_at"] <= m["first_seen_at"] + within)
    ]
    first = m.groupby(["user_id", "cohort", "first_seen_at"], as_index=False)["occurred_at"].min()
    first["secs"] = (first["occurred_at"] - first["first_seen_at"]).dt.total_seconds()
    t = users.groupby("cohort").size().rename("signups").to_frame()
    t = t.join(
        first.groupby("cohort").agg(
            activated=("user_id", "size"), median_seconds_to_activation=("secs", "median")
        )
    )
    if not len(t):
        return pd.DataFrame()
    t = t.reindex(calendar(t.index.min(), t.index.max(), "week"))
    t[["signups", "activated"]] = t[["signups", "activated"]].fillna(0)
    t["activation_rate"] = t["activated"] / t["signups"].replace(0, np.nan)
    if act_cfg.event is None:
        t[["activated", "activation_rate", "median_seconds_to_activation"]] = None
    t = t.rename_axis("cohort_start").reset_index()
    return t[
        [
            "cohort_start",
            "signups",
            "activated",
            "activation_rate",
            "median_seconds_to_activation",
        ]
    ]


def survey_scores(
    p: dict[str, Any], config: Config, frames: dict[str, pd.DataFrame]
) -> pd.DataFrame:
    s = config.segments
    r = frames["responses"]
    r = r[r["score"].notna() & r["submitted_at"].notna() & r["metric"].isin(["nps", "csat", "ces"])]
    r = r.assign(period_start=local_day(r["submitted_at"], config.analysis.timezone))
    r["period_start"] = period_start(r["period_start"], "month", "monday")
    traits = frames["users"].set_index("user_id")["traits"].dropna().map(json.loads)
    attributes = r["attributes"].fillna("{}").map(json.loads)
    user_traits = r["user_id"].map(traits)
    parts = [r.assign(segment="all", segment_value="all")]
    for trait in config.breakdown_segments():

        def value(i: int, trait: str = trait) -> str:
            v = attributes.iat[i].get(trait) if isinstance(attributes.iat[i], dict) else None
            if v is None and isinstance(user_traits.iat[i], dict):
                v = user_traits.iat[i].get(trait)
            unknown = v is None or str(v).strip(" ").lower() in ("", "unknown")
            return "unknown" if unknown else str(v)

        parts.append(r.assign(segment=trait, segment_value=[value(i) for i in range(len(r))]))
    seg = pd.concat(parts, ignore_index=True)
    seg["promoter"] = seg["score"] >= 9
    seg["detractor"] = seg["score"] <= 6
    seg["passive"] = ~seg["promoter"] & ~seg["detractor"]
    seg["satisfied"] = seg["score"] >= 4
    g = seg.groupby(["metric", "period_start", "segment", "segment_value"]).agg(
        responses=("score", "size"),
        promoters=("promoter", "sum"),
        passives=("passive", "sum"),
        detractors=("detractor", "sum"),
        satisfied=("satisfied", "sum"),
        mean=("score", "mean"),
        sd=("score", "std"),
    )
    g = g.reset_index()
    n = g["responses"]
    pp, dd, ss = g["promoters"] / n, g["detractors"] / n, g["satisfied"] / n
    nps, csat = g["metric"] == "nps", g["metric"] == "csat"
    g["score"] = np.where(nps, 100 * (pp - dd), np.where(csat, 100 * ss, g["mean"]))
    se = np.where(
        nps,
        100 * np.sqrt(np.maximum(pp + dd - (pp - dd) ** 2, 0) / n),
        np.where(csat, 100 * np.sqrt(ss * (1 - ss) / n), g["sd"] / np.sqrt(n)),
    )
    lo = np.where(nps, -100.0, np.where(csat, 0.0, 1.0))
    hi = np.where(nps, 100.0, np.where(csat, 100.0, 7.0))
    g["ci_low"] = np.maximum(g["score"] - 1.96 * se, lo)
    g["ci_high"] = np.minimum(g["score"] + 1.96 * se, hi)
    for c in ("promoters", "passives", "detractors"):
        g[c] = g[c].where(nps)
    g["is_low_sample"] = n < s.min_responses
    return g[
        [
            "metric",
            "period_start",
            "segment",
            "segment_value",
            "responses",
            "score",
            "ci_low",
            "ci_high",
            "promoters",
            "passives",
            "detractors",
            "is_low_sample",
        ]
    ]


TABLES: dict[str, Callable[..., pd.DataFrame]] = {
    "kpi_active_users": active_users,
    "kpi_stickiness": stickiness,
    "kpi_retention": retention,
    "kpi_lifecycle": lifecycle,
    "kpi_funnel": funnel,
    "kpi_feature_adoption": feature_adoption,
}
NEEDS_FRAMES = {"kpi_activation": activation, "kpi_survey_scores": survey_scores}


def compute_all(
    frames: dict[str, pd.DataFrame], config: Config
) -> tuple[dict[str, pd.DataFrame], dict[str, float]]:
    """Every KPI table, and the seconds each took (``prep`` = the shared local-day pass)."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    p = prepare(frames, config)
    timings["prep (local days, activity)"] = time.perf_counter() - started
    tables: dict[str, pd.DataFrame] = {}
    for name, fn in TABLES.items():
        started = time.perf_counter()
        tables[name] = fn(p, config)
        timings[name] = time.perf_counter() - started
    for name, fn in NEEDS_FRAMES.items():
        started = time.perf_counter()
        tables[name] = fn(p, config, frames)
        timings[name] = time.perf_counter() - started
    return tables, timings


KEYS = {
    "kpi_active_users": ["activity_date"],
    "kpi_stickiness": ["period", "period_start", "days_active"],
    "kpi_retention": ["period", "retention_type", "cohort_start", "period_number"],
    "kpi_lifecycle": ["period", "period_start", "status"],
    "kpi_funnel": ["funnel", "step_number"],
    "kpi_feature_adoption": ["feature", "period_start"],
    "kpi_activation": ["cohort_start"],
    "kpi_survey_scores": ["metric", "period_start", "segment", "segment_value"],
}


def compare(db: str, tables: dict[str, pd.DataFrame]) -> dict[str, str]:
    """Each pandas table against the warehouse's marts table: 'same' or what differs."""
    import duckdb

    con = duckdb.connect(db, read_only=True)
    verdicts = {}
    for name, ours in tables.items():
        keys = KEYS[name]
        sql = con.execute(compose("select * from {t}", t=("marts", name))).df()
        if "period" in sql.columns and name == "kpi_survey_scores":
            sql = sql[sql["period"] == "month"]  # the pandas version computes months only
        cols = [c for c in ours.columns if c in sql.columns]
        a = sql[cols].sort_values(keys).reset_index(drop=True)
        b = ours[cols].sort_values(keys).reset_index(drop=True)
        try:
            for c in cols:
                x, y = a[c], b[c]
                if (c in keys and "start" in c) or c == "activity_date":
                    x, y = pd.to_datetime(x), pd.to_datetime(y)
                    assert (x.values == y.values).all(), c
                elif x.dtype.kind in "biuf" or y.dtype.kind in "biuf" or c.startswith("is_"):
                    np.testing.assert_allclose(
                        x.astype(float), y.astype(float), rtol=1e-9, atol=1e-9, err_msg=c
                    )
                else:
                    assert (x.astype(str).values == y.astype(str).values).all(), c
            verdicts[name] = "same" if len(a) == len(b) else f"rows {len(a)} vs {len(b)}"
        except (AssertionError, ValueError) as exc:
            verdicts[name] = f"differs: {str(exc)[:200]}"
    con.close()
    return verdicts


def main() -> None:
    import argparse

    from pmanalytics.config import load_config

    parser = argparse.ArgumentParser()
    parser.add_argument("db")
    parser.add_argument("--config", default="pmanalytics.toml")
    args = parser.parse_args()
    config = load_config(args.config)
    tables, timings = compute_all(load(args.db), config)
    for name, seconds in timings.items():
        print(f"{name:32s} {seconds:7.2f}s")
    for name, verdict in compare(args.db, tables).items():
        print(f"{name:32s} {verdict}")


if __name__ == "__main__":
    main()
