"""Headline tiles: latest complete week / month / mature cohort against the one before."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from pmanalytics.kpis.headline import (
    Kpi,
    data_end_date,
    headline_kpis,
    latest_full_month,
    week_start_of,
)

LABEL = "week of 12 Jan 2026 vs week before"


def _days(start: date, n: int) -> list[date]:
    return [start + timedelta(days=i) for i in range(n)]


@pytest.fixture
def active_users() -> pd.DataFrame:
    # Mon 5 Jan 2026 … Wed 21 Jan 2026: weeks of 5 Jan and 12 Jan are complete, 19 Jan is not
    days = _days(date(2026, 1, 5), 17)
    return pd.DataFrame(
        {
            "activity_date": days,
            "dau": [10] * 7 + [20] * 7 + [99] * 3,
            "wau": [50] * 6 + [60] + [70] * 6 + [80] + [99] * 3,
            "mau": [100] * 17,
            "stickiness": [0.1] * 7 + [0.2] * 7 + [0.99] * 3,
        }
    )


def test_week_start_of() -> None:
    assert week_start_of(date(2026, 1, 21)) == date(2026, 1, 19)
    assert week_start_of(date(2026, 1, 19)) == date(2026, 1, 19)
    assert week_start_of(date(2026, 1, 21), "sunday") == date(2026, 1, 18)
    assert week_start_of(date(2026, 1, 18), "sunday") == date(2026, 1, 18)


def test_latest_full_month() -> None:
    months = [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    assert latest_full_month(months, date(2026, 3, 30)) == date(2026, 2, 1)
    assert latest_full_month(months, date(2026, 3, 31)) == date(2026, 3, 1)
    assert latest_full_month(months, date(2026, 1, 15)) is None
    assert latest_full_month(months, None) == date(2026, 3, 1)


def test_activity_tiles_compare_complete_weeks(active_users: pd.DataFrame) -> None:
    lifecycle = pd.DataFrame(
        {
            "period": ["week"] * 3,
            "period_start": [date(2026, 1, 5), date(2026, 1, 12), date(2026, 1, 19)],
            "status": ["new"] * 3,
            "users": [4, 6, 50],
        }
    )
    empty = pd.DataFrame(columns=["metric", "period_start", "segment", "score", "responses"])
    kpis = headline_kpis(active_users, pd.DataFrame(), empty, lifecycle)
    assert data_end_date(active_users) == date(2026, 1, 21)
    assert kpis.as_of == date(2026, 1, 21)  # the marts' last day, for the report to state
    assert kpis == [
        Kpi("Weekly active users", 80.0, 60.0, "users", LABEL),
        Kpi("Average daily active users", 20.0, 10.0, "users", LABEL),
        Kpi("Stickiness (DAU/MAU)", pytest.approx(20.0), pytest.approx(10.0), "%", LABEL),
        Kpi("New users", 6.0, 4.0, "users", LABEL),
    ]
    assert kpis[0].change == 20.0


def test_activation_uses_the_latest_cohort_whose_window_has_passed(active_users) -> None:
    activation = pd.DataFrame(
        {
            "cohort_start": [date(2025, 12, 29), date(2026, 1, 5), date(2026, 1, 12)],
            "activation_rate": [0.5, 0.6, 0.9],  # 12 Jan + 6 + 7 days > 21 Jan: still open
        }
    )
    empty = pd.DataFrame(columns=["metric", "period_start", "segment", "score", "responses"])
    kpis = headline_kpis(
        active_users, activation, empty, pd.DataFrame(), {"activation_within_days": 7}
    )
    tile = next(k for k in kpis if k.name == "Activation rate")
    assert (tile.value, tile.previous) == (pytest.approx(60.0), pytest.approx(50.0))
    assert tile.period_label == "signups in week of 05 Jan 2026 vs week before"


def test_survey_tiles_use_the_latest_full_month() -> None:
    active = pd.DataFrame(
        {
            "activity_date": [date(2026, 3, 5)],
            "dau": [1],
            "wau": [1],
            "mau": [1],
            "stickiness": [1.0],
        }
    )
    scores = pd.DataFrame(
        {
            "metric": ["nps", "nps", "nps", "nps", "ces"],
            "period_start": pd.to_datetime(
                ["2026-01-01", "2026-02-01", "2026-03-01", "2026-02-01", "2026-02-01"]
            ),
            "segment": ["all", "all", "all", "plan", "all"],
            "score": [10.0, 30.0, -50.0, 99.0, 5.5],
            "responses": [40, 50, 3, 20, 12],
        }
    )
    kpis = headline_kpis(active, pd.DataFrame(), scores, pd.DataFrame())
    nps = next(k for k in kpis if k.name == "NPS")
    assert (nps.value, nps.previous, nps.unit) == (30.0, 10.0, "points")
    assert nps.period_label == "February 2026 vs month before" and nps.note == "50 responses"
    ces = next(k for k in kpis if k.name == "CES")
    assert (ces.value, ces.previous, ces.change) == (5.5, None, None)
    assert not any(k.name == "CSAT" for k in kpis)


def test_no_activity_no_tiles() -> None:
    empty = pd.DataFrame(columns=["activity_date", "dau", "wau", "mau", "stickiness"])
    assert headline_kpis(empty, pd.DataFrame(), pd.DataFrame(), pd.DataFrame()) == []


def test_the_as_of_date_decides_which_week_is_complete() -> None:
    # The marts ran to Sun 25 Jan 2026 (as_of): the week of 19 Jan is complete although its
    # last days had no activity, and the tiles compare it with the week of 12 Jan.
    days = _days(date(2026, 1, 12), 14)
    active = pd.DataFrame(
        {
            "activity_date": days,
            "dau": [20] * 7 + [4] * 3 + [0] * 4,
            "wau": [60] * 7 + [30] * 6 + [10],
            "mau": [100] * 14,
            "stickiness": [0.2] * 7 + [0.04] * 3 + [0.0] * 4,
        }
    )
    empty = pd.DataFrame(columns=["metric", "period_start", "segment", "score", "responses"])
    kpis = headline_kpis(
        active, pd.DataFrame(), empty, pd.DataFrame(), {"as_of_date": "2026-01-25"}
    )
    assert kpis.as_of == date(2026, 1, 25)
    label = "week of 19 Jan 2026 vs week before"
    assert kpis[:2] == [
        Kpi("Weekly active users", 10.0, 60.0, "users", label),
        Kpi("Average daily active users", pytest.approx(12 / 7), 20.0, "users", label),
    ]
