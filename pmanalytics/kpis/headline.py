"""Headline KPI tiles: the latest complete period of each measure against the one before."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class Kpi:
    """One headline tile: a value for a period and the same measure one period earlier."""

    name: str
    value: float | None
    previous: float | None
    unit: str  # "users", "%", "points", "score"
    period_label: str
    higher_is_better: bool = True
    note: str = ""

    @property
    def change(self) -> float | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous


class Headline(list[Kpi]):
    """The headline tiles, in order, and the as-of date they were computed to.

    A list, so code that iterates over the tiles keeps working; ``as_of`` is the local day
    the marts run to (``[analysis] as_of``), for the report to state; ``None`` without data.
    """

    def __init__(self, kpis: Iterable[Kpi] = (), as_of: date | None = None) -> None:
        super().__init__(kpis)
        self.as_of = as_of


def week_start_of(day: date, week_start: str = "monday") -> date:
    """First day of ``day``'s calendar week (the marts' convention: Monday or Sunday)."""
    offset = day.weekday() if week_start == "monday" else (day.weekday() + 1) % 7
    return day - timedelta(days=offset)


def _as_date(value: Any) -> date:
    return pd.Timestamp(value).date()


def _fmt_week(start: date) -> str:
    return f"week of {start:%d %b %Y}"


def _value(frame: pd.DataFrame, column: str) -> float | None:
    if frame.empty or pd.isna(frame[column].iloc[0]):
        return None
    return float(frame[column].iloc[0])


def headline_kpis(
    active_users: pd.DataFrame,
    activation: pd.DataFrame,
    survey_scores: pd.DataFrame,
    lifecycle: pd.DataFrame,
    settings: dict[str, Any] | None = None,
) -> Headline:
    """Headline numbers for the latest *complete* period against the one before.

    Partial periods at the end would always look like a drop, so weeks are the latest week
    that ends on or before the as-of date, monthly survey scores the latest full month, and
    activation the latest signup cohort whose activation window has fully passed. The as-of
    date is ``settings["as_of_date"]`` (``intermediate.int_settings.as_of_date``) when given,
    else the last day of ``kpi_active_users``, which the marts run to.
    """
    settings = settings or {}
    week_start = settings.get("week_start", "monday")
    within_days = int(settings.get("activation_within_days", 7))
    as_of = settings.get("as_of_date")
    kpis = Headline(as_of=_as_date(as_of) if as_of is not None else data_end_date(active_users))
    if active_users.empty or kpis.as_of is None:
        return kpis
    days = active_users.assign(activity_date=active_users["activity_date"].map(_as_date))
    data_end = kpis.as_of
    last_week = week_start_of(data_end + timedelta(days=1), week_start) - timedelta(days=7)
    prev_week = last_week - timedelta(days=7)
    label = f"{_fmt_week(last_week)} vs week before"

    def week_rows(start: date) -> pd.DataFrame:
        end = start + timedelta(days=6)
        return days[(days["activity_date"] >= start) & (days["activity_date"] <= end)]

    def on_day(day: date) -> pd.DataFrame:
        return days[days["activity_date"] == day]

    cur, prev = week_rows(last_week), week_rows(prev_week)
    end_cur, end_prev = on_day(last_week + timedelta(days=6)), on_day(prev_week + timedelta(days=6))
    kpis.append(
        Kpi("Weekly active users", _value(end_cur, "wau"), _value(end_prev, "wau"), "users", label)
    )
    avg = {
        k: (float(v["dau"].mean()) if len(v) == 7 else None)
        for k, v in {"cur": cur, "prev": prev}.items()
    }
    kpis.append(Kpi("Average daily active users", avg["cur"], avg["prev"], "users", label))
    stick = {
        k: (float(v["stickiness"].mean()) * 100 if len(v) == 7 else None)
        for k, v in {"cur": cur, "prev": prev}.items()
    }
    kpis.append(Kpi("Stickiness (DAU/MAU)", stick["cur"], stick["prev"], "%", label))

    if not lifecycle.empty:
        weekly = lifecycle[(lifecycle["period"] == "week") & (lifecycle["status"] == "new")]
        weekly = weekly.assign(period_start=weekly["period_start"].map(_as_date))
        new = {
            k: _value(weekly[weekly["period_start"] == start], "users")
            for k, start in {"cur": last_week, "prev": prev_week}.items()
        }
        kpis.append(Kpi("New users", new["cur"], new["prev"], "users", label))

    if not activation.empty:
        cohorts = activation.assign(cohort_start=activation["cohort_start"].map(_as_date))
        mature = cohorts[
            cohorts["cohort_start"].map(lambda d: d + timedelta(days=6 + within_days) <= data_end)
            & cohorts["activation_rate"].notna()
        ].sort_values("cohort_start")
        if not mature.empty:
            last = mature.iloc[-1]
            before = cohorts[cohorts["cohort_start"] == last["cohort_start"] - timedelta(days=7)]
            previous = _value(before, "activation_rate")
            kpis.append(
                Kpi(
                    "Activation rate",
                    float(last["activation_rate"]) * 100,
                    previous * 100 if previous is not None else None,
                    "%",
                    f"signups in {_fmt_week(last['cohort_start'])} vs week before",
                    note=f"activated within {within_days} days of signup",
                )
            )

    kpis.extend(survey_kpis(survey_scores, data_end))
    return kpis


_SURVEY_NAMES = {"nps": ("NPS", "points"), "csat": ("CSAT", "%"), "ces": ("CES", "score")}


def survey_kpis(survey_scores: pd.DataFrame, data_end: date) -> list[Kpi]:
    """Survey scores are monthly in the marts: the latest full month vs the month before."""
    overall = survey_scores[survey_scores["segment"] == "all"]
    overall = overall.assign(period_start=overall["period_start"].map(_as_date))
    kpis = []
    for metric, (name, unit) in _SURVEY_NAMES.items():
        rows = overall[overall["metric"] == metric]
        month = latest_full_month(rows["period_start"], data_end)
        if month is None:
            continue
        last = rows[rows["period_start"] == month].iloc[0]
        before = rows[rows["period_start"] == _previous_month(month)]
        kpis.append(
            Kpi(
                name,
                float(last["score"]),
                _value(before, "score"),
                unit,
                f"{month:%B %Y} vs month before",
                note=f"{int(last['responses'])} responses",
            )
        )
    return kpis


def data_end_date(active_users: pd.DataFrame) -> date | None:
    """The last day of ``kpi_active_users``: the as-of date, where "complete period" is
    measured from (the marts run to it, with zero-activity days after the last event)."""
    if active_users.empty:
        return None
    return max(active_users["activity_date"].map(_as_date))


def latest_full_month(months: Iterable[Any], data_end: date | None) -> date | None:
    """The latest month start whose whole month lies on or before ``data_end``.

    Without a ``data_end`` (no activity data) the latest month is taken as it is.
    """
    starts = sorted({_as_date(m) for m in months})
    if data_end is not None:
        starts = [m for m in starts if _next_month(m) - timedelta(days=1) <= data_end]
    return starts[-1] if starts else None


def _next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def _previous_month(day: date) -> date:
    return date(day.year - (day.month == 1), (day.month - 2) % 12 + 1, 1)
