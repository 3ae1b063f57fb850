"""Plain-Python implementations of the KPI definitions in docs/metrics.md.

Written from the definitions, not from the SQL: periods are found with ``zoneinfo`` and
``datetime`` arithmetic, windows by looking at every day, funnels by enumerating every
valid sequence of events. The as-of date is applied to local calendar days (an event is
kept when its local day is on or before it), where the SQL compares instants with the end
of that day. Slow on purpose-built small inputs, which is all the property tests feed it.
"""

from __future__ import annotations

import json
import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from pmanalytics.config import parse_duration

from .harness import FUNNEL_COLUMNS

PERIODS = ("day", "week", "month")


@dataclass(frozen=True)
class Settings:
    """The subset of pmanalytics.toml the KPI definitions read."""

    timezone: str = "UTC"
    week_start: str = "monday"
    active_events: tuple[str, ...] = ()
    start_event: str | None = None
    return_event: str | None = None
    activation_event: str | None = None
    activation_within_days: int = 7
    funnels: tuple[dict[str, Any], ...] = ()
    features: tuple[dict[str, Any], ...] = ()
    segments: tuple[str, ...] = ("plan", "country", "platform")
    min_responses: int = 30
    created_at: dict[str, datetime] = field(default_factory=dict)
    #: a date, or None for "latest_event" (no cut; calendars end on the latest event's day)
    as_of: date | None = None

    @classmethod
    def from_config(cls, config: dict[str, Any], created_at: dict[str, datetime]) -> Settings:
        analysis = config.get("analysis", {})
        retention = config.get("retention", {})
        activation = config.get("activation", {})
        segments = config.get("segments", {})
        return cls(
            timezone=analysis.get("timezone", "UTC"),
            week_start=analysis.get("week_start", "monday"),
            active_events=tuple(analysis.get("active_events", ())),
            start_event=retention.get("start_event"),
            return_event=retention.get("return_event"),
            activation_event=activation.get("event"),
            activation_within_days=activation.get("within_days", 7),
            funnels=tuple(config.get("funnels", ())),
            features=tuple(config.get("features", ())),
            segments=tuple(segments.get("user_traits", ("plan", "country", "platform"))),
            min_responses=segments.get("min_responses", 30),
            created_at=dict(created_at),
            as_of=_as_of_date(analysis.get("as_of", "latest_event")),
        )


def _as_of_date(value: Any) -> date | None:
    if value == "latest_event":
        return None
    return value if isinstance(value, date) else date.fromisoformat(value)


# --------------------------------------------------------------------------- calendar


def local_date(moment: datetime, tz: str) -> date:
    """The calendar day in ``tz`` of a naive UTC instant."""
    return moment.replace(tzinfo=UTC).astimezone(ZoneInfo(tz)).date()


def period_start(day: date, period: str, week_start: str) -> date:
    if period == "day":
        return day
    if period == "week":
        first_weekday = 0 if week_start == "monday" else 6
        return day - timedelta(days=(day.weekday() - first_weekday) % 7)
    return day.replace(day=1)


def add_periods(start: date, period: str, n: int) -> date:
    if period == "day":
        return start + timedelta(days=n)
    if period == "week":
        return start + timedelta(days=7 * n)
    months = start.year * 12 + start.month - 1 + n
    return date(months // 12, months % 12 + 1, 1)


def period_range(first: date, last: date, period: str) -> list[date]:
    out, current = [], first
    while current <= last:
        out.append(current)
        current = add_periods(current, period, 1)
    return out


def period_length(start: date, period: str) -> int:
    return (add_periods(start, period, 1) - start).days


# --------------------------------------------------------------------------- as of


def is_kept(moment: datetime, s: Settings) -> bool:
    """Whether a timestamp is on or before the as-of date (always, for "latest_event")."""
    return s.as_of is None or local_date(moment, s.timezone) <= s.as_of


def as_of_date(events: pd.DataFrame, s: Settings) -> date | None:
    """The configured date, else the local day of the latest event (None: no events)."""
    if s.as_of is not None:
        return s.as_of
    times = [when for _user, _event, when, _type in _all_rows(events)]
    return local_date(max(times), s.timezone) if times else None


def last_period(events: pd.DataFrame, s: Settings, period: str) -> date | None:
    """Where every calendar ends: the period that contains the as-of date."""
    day = as_of_date(events, s)
    return None if day is None else period_start(day, period, s.week_start)


# --------------------------------------------------------------------------- activity


def _all_rows(events: pd.DataFrame) -> list[tuple[str, str, datetime, str]]:
    return [
        (r.user_id, r.event, pd.Timestamp(r.occurred_at).to_pydatetime(), r.event_type)
        for r in events.itertuples()
    ]


def _rows(events: pd.DataFrame, s: Settings) -> list[tuple[str, str, datetime, str]]:
    """The events a mart reads: those on or before the as-of date."""
    return [row for row in _all_rows(events) if is_kept(row[2], s)]


def is_active(event: str, event_type: str, s: Settings) -> bool:
    return event in s.active_events if s.active_events else event_type == "track"


def activity(events: pd.DataFrame, s: Settings) -> dict[str, dict[str, set[date]]]:
    """kind ('active' | 'start' | 'return') → user → local days with such an event."""
    days: dict[str, dict[str, set[date]]] = {
        k: defaultdict(set) for k in ("active", "start", "return")
    }
    for user, event, when, event_type in _rows(events, s):
        day = local_date(when, s.timezone)
        active = is_active(event, event_type, s)
        if active:
            days["active"][user].add(day)
        if (event == s.start_event) if s.start_event else active:
            days["start"][user].add(day)
        if (event == s.return_event) if s.return_event else active:
            days["return"][user].add(day)
    return days


def active_users(events: pd.DataFrame, s: Settings) -> pd.DataFrame:
    active = activity(events, s)["active"]
    all_days = set().union(*active.values()) if active else set()
    rows = []
    if all_days:
        for day in period_range(min(all_days), as_of_date(events, s), "day"):

            def users_within(n: int, day: date = day) -> int:
                lo = day - timedelta(days=n - 1)
                return sum(any(lo <= d <= day for d in ds) for ds in active.values())

            dau, wau, mau = users_within(1), users_within(7), users_within(30)
            rows.append((day, dau, wau, mau, dau / mau if mau else None))
    return pd.DataFrame(rows, columns=["activity_date", "dau", "wau", "mau", "stickiness"])


def stickiness(events: pd.DataFrame, s: Settings) -> pd.DataFrame:
    active = activity(events, s)["active"]
    all_days = set().union(*active.values()) if active else set()
    rows = []
    for period in ("month", "week"):
        if not all_days:
            break
        first = period_start(min(all_days), period, s.week_start)
        for start in period_range(first, last_period(events, s, period), period):
            length = period_length(start, period)
            counts = [
                sum(start <= d < start + timedelta(days=length) for d in ds)
                for ds in active.values()
            ]
            for k in range(1, length + 1):
                rows.append((period, start, k, counts.count(k)))
    return pd.DataFrame(rows, columns=["period", "period_start", "days_active", "users"])


def retention(events: pd.DataFrame, s: Settings) -> pd.DataFrame:
    days = activity(events, s)
    flagged = [d for kind in days.values() for ds in kind.values() for d in ds]
    rows = []
    for period in PERIODS:
        if not flagged:
            break
        last = last_period(events, s, period)

        def periods_of(kind: str, period: str = period) -> dict[str, set[date]]:
            return {
                u: {period_start(d, period, s.week_start) for d in ds}
                for u, ds in days[kind].items()
                if ds
            }

        starts, returns = periods_of("start"), periods_of("return")
        if not starts:
            continue
        cohorts: dict[tuple[str, date], list[str]] = defaultdict(list)
        for user, ps in starts.items():
            cohorts[("first_time", min(ps))].append(user)
            for p in ps:
                cohorts[("recurring", p)].append(user)
        # every cohort period from the first start to the as-of period, empty ones too
        first = min(min(ps) for ps in starts.values())
        for kind in ("first_time", "recurring"):
            for cohort in period_range(first, last, period):
                members = cohorts.get((kind, cohort), [])
                size = len(members)
                n = 0
                while add_periods(cohort, period, n) <= last:
                    target = add_periods(cohort, period, n)
                    if n == 0:
                        on = after = size
                    else:
                        on = sum(target in returns.get(u, ()) for u in members)
                        after = sum(any(p >= target for p in returns.get(u, ())) for u in members)
                    on_rate = on / size if size else None
                    after_rate = after / size if size else None
                    rows.append((period, kind, cohort, n, size, on, on_rate, after, after_rate))
                    n += 1
    return pd.DataFrame(
        rows,
        columns=[
            "period",
            "retention_type",
            "cohort_start",
            "period_number",
            "cohort_size",
            "retained_users",
            "retention_rate",
            "retained_users_unbounded",
            "unbounded_retention_rate",
        ],
    )


def first_seen(events: pd.DataFrame, s: Settings) -> dict[str, datetime]:
    """createdAt where known, else the user's first event of any type."""
    seen: dict[str, datetime] = {}
    for user, _event, when, _type in _all_rows(events):
        seen[user] = min(seen.get(user, when), when)
    seen.update(s.created_at)
    return seen


def lifecycle(events: pd.DataFrame, s: Settings) -> pd.DataFrame:
    active = activity(events, s)["active"]
    seen = first_seen(events, s)
    all_days = set().union(*active.values()) if active else set()
    rows = []
    for period in PERIODS:
        if not all_days:
            break
        by_user = {
            u: {period_start(d, period, s.week_start) for d in ds} for u, ds in active.items() if ds
        }
        first = period_start(min(all_days), period, s.week_start)
        for p in period_range(first, last_period(events, s, period), period):
            previous = add_periods(p, period, -1)
            counts = dict.fromkeys(("new", "returning", "resurrecting", "dormant"), 0)
            for user, ps in by_user.items():
                seen_period = period_start(local_date(seen[user], s.timezone), period, s.week_start)
                if p in ps:
                    if seen_period == p:
                        counts["new"] += 1
                    elif previous in ps:
                        counts["returning"] += 1
                    else:
                        counts["resurrecting"] += 1
                elif previous in ps:
                    counts["dormant"] -= 1
            rows.extend((period, p, status, n, p != first) for status, n in counts.items())
    return pd.DataFrame(rows, columns=["period", "period_start", "status", "users", "has_history"])


# --------------------------------------------------------------------------- funnels


def _sequences(times: list[list[datetime]], window: timedelta) -> list[list[datetime]]:
    """Every sequence t1 < t2 < … (one event per step, steps in order) within the window."""
    found: list[list[datetime]] = []

    def extend(seq: list[datetime]) -> None:
        found.append(seq)
        k = len(seq)
        if k == len(times):
            return
        for t in sorted(set(times[k])):
            if t > seq[-1] and t <= seq[0] + window:
                extend([*seq, t])

    for t1 in sorted(set(times[0])):
        extend([t1])
    return found


def exclusion_rules(spec: dict[str, Any]) -> list[tuple[str, int, int]]:
    """(event, from step, to step), 1-based; a plain name spans the first to the last step."""
    rules = []
    for rule in spec.get("exclusions", ()):
        if isinstance(rule, str):
            rules.append((rule, 1, len(spec["steps"])))
        else:
            rules.append((rule["event"], rule["from_step"], rule["to_step"]))
    return rules


def is_excluded(
    best: list[datetime],
    user_events: list[tuple[str, datetime]],
    rules: list[tuple[str, int, int]],
    window: timedelta,
) -> bool:
    """An excluded event after the conversion's step i, before its step j, or (step j never
    reached) while the window from its first step is still open."""
    for event, i, j in rules:
        if len(best) < i:
            continue
        for name, when in user_events:
            if name != event or when <= best[i - 1]:
                continue
            if when < best[j - 1] if len(best) >= j else when <= best[0] + window:
                return True
    return False


def funnel(events: pd.DataFrame, s: Settings) -> pd.DataFrame:
    rows = []
    by_user: dict[str, list[tuple[str, datetime]]] = defaultdict(list)
    for user, event, when, _type in _rows(events, s):
        by_user[user].append((event, when))
    for spec in sorted(s.funnels, key=lambda f: f["name"]):
        steps = spec["steps"]
        window = timedelta(seconds=parse_duration(spec.get("window", "14d")))
        rules = exclusion_rules(spec)
        reached: list[list[float]] = [[] for _ in steps]
        for user_events in by_user.values():
            times = [[w for e, w in user_events if e == step] for step in steps]
            sequences = _sequences(times, window)
            if not sequences:
                continue
            # deepest, then latest start, then earliest events for each later step
            best = max(sequences, key=lambda q: (len(q), q[0], [-t.timestamp() for t in q]))
            if is_excluded(best, user_events, rules, window):
                continue
            for k, t in enumerate(best):
                reached[k].append((t - best[k - 1]).total_seconds() if k else math.nan)
        first_users = len(reached[0])
        for k, step in enumerate(steps):
            users = len(reached[k])
            previous = len(reached[k - 1]) if k else users
            secs = reached[k] if k else []
            rows.append(
                (
                    spec["name"],
                    k + 1,
                    step,
                    users,
                    users / first_users if first_users else None,
                    users / previous if previous else None,
                    statistics.median(secs) if secs else None,
                    statistics.fmean(secs) if secs else None,
                )
            )
    return pd.DataFrame(rows, columns=FUNNEL_COLUMNS)


# --------------------------------------------------------------------------- adoption


def feature_adoption(events: pd.DataFrame, s: Settings) -> pd.DataFrame:
    active = activity(events, s)["active"]
    seen = first_seen(events, s)

    def week(moment: datetime) -> date:
        return period_start(local_date(moment, s.timezone), "week", s.week_start)

    active_weeks: dict[date, set[str]] = defaultdict(set)
    for user, ds in active.items():
        for d in ds:
            active_weeks[period_start(d, "week", s.week_start)].add(user)
    uses: dict[str, dict[str, list[datetime]]] = {}
    for spec in s.features:
        per_user: dict[str, list[datetime]] = defaultdict(list)
        for user, event, when, _type in _rows(events, s):
            if event in spec["events"]:
                per_user[user].append(when)
        uses[spec["name"]] = per_user
    weeks = set(active_weeks) | {week(w) for pu in uses.values() for ws in pu.values() for w in ws}
    rows = []
    for name in sorted(uses):
        if not weeks:
            break
        per_user = uses[name]
        for p in period_range(min(weeks), last_period(events, s, "week"), "week"):
            users = {u for u, ws in per_user.items() if any(week(w) == p for w in ws)}
            first_uses = {u: min(ws) for u, ws in per_user.items() if week(min(ws)) == p}
            secs = [(t - seen[u]).total_seconds() for u, t in first_uses.items()]
            n_active = len(active_weeks.get(p, ()))
            rows.append(
                (
                    name,
                    p,
                    len(users),
                    n_active,
                    len(users) / n_active if n_active else None,
                    len(first_uses),
                    statistics.median(secs) if secs else None,
                )
            )
    return pd.DataFrame(
        rows,
        columns=[
            "feature",
            "period_start",
            "feature_users",
            "active_users",
            "adoption_rate",
            "new_feature_users",
            "median_seconds_to_first_use",
        ],
    )


def activation(events: pd.DataFrame, s: Settings) -> pd.DataFrame:
    seen = first_seen(events, s)
    within = timedelta(days=s.activation_within_days)
    cohort_of = {
        u: period_start(local_date(t, s.timezone), "week", s.week_start)
        for u, t in seen.items()
        if is_kept(t, s)
    }
    rows = []
    if cohort_of:
        weeks = [*cohort_of.values(), last_period(events, s, "week")]
        last = max(w for w in weeks if w is not None)
        for p in period_range(min(cohort_of.values()), last, "week"):
            members = [u for u, c in cohort_of.items() if c == p]
            secs = []
            for u in members:
                hits = [
                    w
                    for user, e, w, _t in _rows(events, s)
                    if user == u and e == s.activation_event and seen[u] <= w <= seen[u] + within
                ]
                if hits:
                    secs.append((min(hits) - seen[u]).total_seconds())
            if s.activation_event is None:
                rows.append((p, len(members), None, None, None))
            else:
                rows.append(
                    (
                        p,
                        len(members),
                        len(secs),
                        len(secs) / len(members) if members else None,
                        statistics.median(secs) if secs else None,
                    )
                )
    return pd.DataFrame(
        rows,
        columns=[
            "cohort_start",
            "signups",
            "activated",
            "activation_rate",
            "median_seconds_to_activation",
        ],
    )


# --------------------------------------------------------------------------- surveys


def _survey_periods(day: date | None, first: date | None, last: date | None):
    """(period, period_start, period_end) of every row a response counts in."""
    if day is not None:
        month = day.replace(day=1)
        next_month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
        yield "month", month, next_month - timedelta(days=1)
        if day > last - timedelta(days=90):
            yield "last_90_days", last - timedelta(days=89), last
    yield "all_time", first or date(1970, 1, 1), last


def _segment_value(value: Any) -> str:
    if value is None or str(value).strip(" ").lower() in ("", "unknown"):
        return "unknown"
    return str(value)


def survey_scores(
    responses: pd.DataFrame, traits: dict[str, dict[str, Any]], s: Settings
) -> pd.DataFrame:
    groups: dict[tuple[str, str, date, str, str], list[float]] = defaultdict(list)
    ends: dict[tuple[str, date], date | None] = {}
    # an undated response is kept (nothing shows it is after the as-of date)
    kept = [
        r
        for r in responses.itertuples()
        if pd.isna(r.submitted_at) or is_kept(pd.Timestamp(r.submitted_at).to_pydatetime(), s)
    ]
    days = [
        None
        if pd.isna(r.submitted_at)
        else local_date(pd.Timestamp(r.submitted_at).to_pydatetime(), s.timezone)
        for r in kept
    ]
    known = [d for d in days if d is not None]
    first, last = (min(known), max(known)) if known else (None, None)
    for r, day in zip(kept, days, strict=True):
        attributes = json.loads(r.attributes or "{}")
        for period, start, end in _survey_periods(day, first, last):
            ends[(period, start)] = end
            groups[(r.metric, period, start, "all", "all")].append(r.score)
            for segment in s.segments:
                value = attributes.get(segment)
                if value is None:
                    value = traits.get(r.user_id, {}).get(segment)
                groups[(r.metric, period, start, segment, _segment_value(value))].append(r.score)
    rows = []
    for (metric, period, start, segment, value), scores in sorted(groups.items()):
        n = len(scores)
        promoters = sum(x >= 9 for x in scores)
        detractors = sum(x <= 6 for x in scores)
        if metric == "nps":
            p, d = promoters / n, detractors / n
            score, se, lo, hi = (
                100 * (p - d),
                100 * math.sqrt((p + d - (p - d) ** 2) / n),
                -100,
                100,
            )
        elif metric == "csat":
            share = sum(x >= 4 for x in scores) / n
            score, se, lo, hi = 100 * share, 100 * math.sqrt(share * (1 - share) / n), 0, 100
        else:
            score, lo, hi = statistics.fmean(scores), 1, 7
            se = statistics.stdev(scores) / math.sqrt(n) if n > 1 else None
        ci_low = None if se is None else max(score - 1.96 * se, lo)
        ci_high = None if se is None else min(score + 1.96 * se, hi)
        is_nps = metric == "nps"
        rows.append(
            (
                metric,
                period,
                start,
                ends[(period, start)],
                segment,
                value,
                n,
                score,
                ci_low,
                ci_high,
                promoters if is_nps else None,
                n - promoters - detractors if is_nps else None,
                detractors if is_nps else None,
                n < s.min_responses,
            )
        )
    return pd.DataFrame(rows, columns=SURVEY_SCORE_COLUMNS)


SURVEY_SCORE_COLUMNS = [
    "metric",
    "period",
    "period_start",
    "period_end",
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
