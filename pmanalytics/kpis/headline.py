"""Headline KPIs with their change against the previous period, read from the marts.

Active users compare the 7-day window ending on the last day of data with the one before
it; survey scores compare the last two complete months (a month the data stops in would
look like a collapse or a jump on a handful of responses).
"""

from __future__ import annotations

from typing import Any

import duckdb

from pmanalytics.warehouse import table_exists

_WEEKLY_ACTIVE = """
with days as (
    select activity_date, dau, wau, mau, stickiness from marts.kpi_active_users
),
last_day as (
    select max(activity_date) as d from days
)
select
    (select wau from days, last_day where activity_date = last_day.d) as wau_latest,
    (select wau from days, last_day where activity_date = last_day.d - 7) as wau_previous,
    (select avg(stickiness) from days, last_day
        where activity_date > last_day.d - 7 and activity_date <= last_day.d) as stick_latest,
    (select avg(stickiness) from days, last_day
        where activity_date > last_day.d - 14 and activity_date <= last_day.d - 7)
        as stick_previous
"""

_SURVEY = """
select metric, period_start, score, responses
from marts.kpi_survey_scores
where segment = 'all' and responses > 0
    and period_start + interval 1 month
        <= (select max(submitted_at) from staging.survey_responses)::date + 1
qualify row_number() over (partition by metric order by period_start desc) <= 2
order by metric, period_start desc
"""

_ACTIVATION = """
select cohort_start, activation_rate, signups
from marts.kpi_activation
where signups > 0 and activation_rate is not null
order by cohort_start desc
limit 3
"""


def _change(latest: float | None, previous: float | None, *, points: bool) -> str:
    if latest is None or previous is None:
        return "–"
    if points:
        return f"{latest - previous:+.1f} pts"
    if previous == 0:
        return "–"
    return f"{(latest - previous) / previous:+.1%}"


def _fmt(value: float | None, kind: str) -> str:
    if value is None:
        return "–"
    if kind == "count":
        return f"{value:,.0f}"
    if kind == "share":
        return f"{value:.1%}"
    return f"{value:.1f}"


def headline_kpis(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """``[{name, latest, previous, change}]`` as display strings; empty if no marts yet."""
    rows: list[dict[str, Any]] = []

    def add(name: str, latest: float | None, previous: float | None, kind: str) -> None:
        rows.append(
            {
                "name": name,
                "latest": _fmt(latest, kind),
                "previous": _fmt(previous, kind),
                "change": _change(latest, previous, points=kind == "score"),
                "latest_value": latest,
                "previous_value": previous,
            }
        )

    if table_exists(con, "marts", "kpi_active_users"):
        row = con.execute(_WEEKLY_ACTIVE).fetchone()
        if row is not None:
            add("Weekly active users", row[0], row[1], "count")
            add("Stickiness (DAU/MAU, 7-day mean)", row[2], row[3], "share")
    if table_exists(con, "marts", "kpi_survey_scores"):
        by_metric: dict[str, list[float]] = {}
        for metric, _period, score, _n in con.execute(_SURVEY).fetchall():
            by_metric.setdefault(metric, []).append(score)
        labels = {"nps": "NPS (month)", "csat": "CSAT % (month)", "ces": "CES (month)"}
        for metric in ("nps", "csat", "ces"):
            scores = by_metric.get(metric)
            if scores:
                add(labels[metric], scores[0], scores[1] if len(scores) > 1 else None, "score")
    if table_exists(con, "marts", "kpi_activation"):
        cohorts = con.execute(_ACTIVATION).fetchall()
        # the newest cohort is still inside its activation window: compare the two before it
        if len(cohorts) >= 3:
            add("Activation rate (weekly cohort)", cohorts[1][1], cohorts[2][1], "share")
    return rows
