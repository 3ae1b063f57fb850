"""The report's headline from whatever exists: survey scores alone, events alone, or both."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from pmanalytics.kpis import headline_kpis
from pmanalytics.reports.data import SURVEY_SCORE_COLUMNS
from pmanalytics.reports.headline import (
    SURVEY_TILES,
    reliable_months,
    report_headline,
    survey_tiles,
)

NO_ACTIVITY = pd.DataFrame(columns=["activity_date", "dau", "wau", "mau", "stickiness"])


def _months(*rows) -> pd.DataFrame:
    """Monthly 'all' rows: (metric, month start, responses, score, low sample)."""
    return pd.DataFrame(
        [(m, pd.Timestamp(d), "all", "all", n, x, x - 5, x + 5, low) for m, d, n, x, low in rows],
        columns=SURVEY_SCORE_COLUMNS,
    )


def _windows(*rows) -> pd.DataFrame:
    """All-time 'all' rows: (metric, first day, last day or None, responses, score)."""
    return pd.DataFrame(
        [
            ("all_time", end, m, start, "all", "all", n, x, x - 1, x + 1, False)
            for m, start, end, n, x in rows
        ],
        columns=["period", "period_end", *SURVEY_SCORE_COLUMNS],
    )


def test_survey_only_tiles_run_to_the_survey_s_last_day() -> None:
    # the survey ends on 7 Dec: December is partial, November has one response → October
    scores = _months(
        ("csat", "2022-09-01", 355, 89.9, False),
        ("csat", "2022-10-01", 300, 94.4, False),
        ("csat", "2022-11-01", 1, 100.0, True),
        ("csat", "2022-12-01", 21, 76.2, True),
    )
    windows = _windows(("csat", date(2021, 1, 11), date(2022, 12, 7), 7182, 85.1))
    (tile,) = report_headline(NO_ACTIVITY, pd.DataFrame(), scores, windows, pd.DataFrame())
    assert (tile.name, tile.value, tile.previous, tile.unit) == ("CSAT", 94.4, 89.9, "%")
    assert tile.period_label == "October 2022 vs month before"


def test_undated_responses_give_an_all_time_tile() -> None:
    windows = _windows(("csat", date(1970, 1, 1), None, 23486, 77.5))
    (tile,) = survey_tiles(_months(), windows)
    assert (tile.name, tile.value, tile.previous) == ("CSAT", 77.5, None)
    assert tile.period_label == "all responses (they carry no date)"
    assert tile.note == "23,486 responses"


def test_a_metric_without_a_full_month_falls_back_to_all_time() -> None:
    scores = _months(("nps", "2026-03-01", 40, 12.0, False))  # March is not over on 20 Mar
    windows = _windows(
        ("nps", date(2026, 3, 2), date(2026, 3, 20), 40, 12.0),
        ("ces", date(2026, 3, 2), date(2026, 3, 20), 9, 5.5),
    )
    nps, ces = survey_tiles(scores, windows)
    assert (nps.name, nps.value, nps.previous) == ("NPS", 12.0, None)
    assert nps.period_label == "all responses, 02 Mar 2026 to 20 Mar 2026"
    assert (ces.name, ces.unit, ces.note) == ("CES", "score", "9 responses")


def test_events_and_survey_tiles_together_without_doubles() -> None:
    days = [date(2026, 2, 1) + timedelta(days=i) for i in range(40)]
    active = pd.DataFrame(
        {"activity_date": days, "dau": 5, "wau": 20, "mau": 50, "stickiness": 0.1}
    )
    scores = _months(("nps", "2026-01-01", 50, 5.0, False), ("nps", "2026-02-01", 60, 15.0, False))
    windows = _windows(
        ("nps", date(2026, 1, 3), date(2026, 2, 27), 110, 10.0),
        ("csat", date(1970, 1, 1), None, 12, 80.0),  # an undated CSAT file beside the events
    )
    tiles = report_headline(active, pd.DataFrame(), scores, windows, pd.DataFrame())
    names = [k.name for k in tiles]
    assert names[:3] == [
        "Weekly active users",
        "Average daily active users",
        "Stickiness (DAU/MAU)",
    ]
    assert names[3:] == ["NPS", "CSAT"]
    nps = tiles[3]
    assert (nps.value, nps.previous, nps.period_label) == (
        15.0,
        5.0,
        "February 2026 vs month before",
    )


def test_low_sample_months_are_passed_over() -> None:
    scores = _months(("nps", "2026-01-01", 50, 5.0, False), ("nps", "2026-02-01", 2, 100.0, True))
    assert list(reliable_months(scores)["period_start"]) == [pd.Timestamp("2026-01-01")]


def test_tile_names_are_the_ones_headline_kpis_uses() -> None:
    """report_headline tells a tile headline_kpis made from its own by the name."""
    active = pd.DataFrame(
        {"activity_date": [date(2026, 3, 31)], "dau": 1, "wau": 1, "mau": 1, "stickiness": 1.0}
    )
    scores = _months(
        ("nps", "2026-03-01", 50, 1.0, False),
        ("csat", "2026-03-01", 50, 2.0, False),
        ("ces", "2026-03-01", 50, 3.0, False),
    )
    made = {(k.name, k.unit) for k in headline_kpis(active, pd.DataFrame(), scores, pd.DataFrame())}
    assert set(SURVEY_TILES.values()) <= made


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_survey_only_warehouse_gets_tiles_and_one_usage_note(survey_only_report: Path) -> None:
    page = _text(survey_only_report)
    headline = page[page.index('<section id="headline">') : page.index('<section id="surveys">')]
    for name in ("NPS", "CSAT", "CES"):
        assert f'<div class="tile-name">{name}</div>' in headline
    assert "run the pipeline" not in page.lower()
    assert "build` makes them" not in page  # the pipeline ran: never ask for it again
    assert '<section id="usage">' in page and "no usage events" in page
    for gone in ("activity", "retention", "lifecycle", "funnels", "features"):
        assert f'<section id="{gone}">' not in page
    assert "scored survey responses from" in page  # the subtitle says what the data covers


def test_undated_survey_warehouse_scores_all_responses(undated_survey_report: Path) -> None:
    page = _text(undated_survey_report)
    assert "all responses (they carry no date)" in page
    assert "The responses carry no date, so there is no trend over time" in page
    assert 'id="chart-survey-segments-nps"' in page  # the breakdown over all time
    assert "scored survey responses, undated" in page


def test_events_only_warehouse_keeps_usage_and_says_what_is_missing(
    events_only_report: Path,
) -> None:
    page = _text(events_only_report)
    assert '<div class="tile-name">Weekly active users</div>' in page
    assert '<section id="activity">' in page and '<section id="usage">' not in page
    assert "No scored survey responses are loaded." in page
    assert "run the pipeline" not in page.lower()
