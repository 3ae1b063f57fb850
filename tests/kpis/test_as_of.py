"""The as-of date (``[analysis] as_of``, PostHog's ``date_to``) and the lifecycle's edges.

Small timelines whose right answer is worked out in the comments; each test asserts whole
tables, or the whole slice of one period type where noted (the oracle tests cover the rest).
"""

from __future__ import annotations

import json
from datetime import date, datetime

import pandas as pd

from .harness import assert_table, build_marts, table, ts
from .test_kpi_tables import active_users_frame, empty_cohorts, retention_frame, runs

STATUSES = ("new", "returning", "resurrecting", "dormant")
LIFECYCLE_KEYS = ["period", "period_start", "status"]


def lifecycle_frame(
    periods: dict[str, list[str]], nonzero: dict[tuple[str, str], dict[str, int]]
) -> pd.DataFrame:
    """Every status of every listed period; the first period of each type has no history."""
    rows = [
        (
            period,
            date.fromisoformat(start),
            status,
            nonzero.get((period, start), {}).get(status, 0),
            i > 0,
        )
        for period, starts in periods.items()
        for i, start in enumerate(starts)
        for status in STATUSES
    ]
    return pd.DataFrame(rows, columns=["period", "period_start", "status", "users", "has_history"])


def march(first: int, last: int) -> list[str]:
    return [f"2026-03-{day:02d}" for day in range(first, last + 1)]


# Monday weeks of Mar 2, 9 and 16, 2026; the as-of date is Mon Mar 16.
# u1 is active Mon Mar 2 and Tue Mar 3; u2 on Wed Mar 4 and Mon Mar 9. Nobody uses the product
# after Mar 9. u3's first event and u1's return come after the as-of date: they do not exist.
SILENT_WEEK = [
    ("u1", "A", "2026-03-02 10:00"),
    ("u1", "A", "2026-03-03 10:00"),
    ("u2", "A", "2026-03-04 10:00"),
    ("u2", "A", "2026-03-09 10:00"),
    ("u3", "A", "2026-03-17 10:00"),
    ("u1", "A", "2026-03-20 10:00"),
]
SILENT_WEEK_CONFIG = {"analysis": {"as_of": "2026-03-16"}}


def test_active_users_run_to_the_as_of_date_and_wau_runs_down():
    con = build_marts(
        SILENT_WEEK, config=SILENT_WEEK_CONFIG, tables=["kpi_active_users", "kpi_stickiness"]
    )
    # WAU on d counts Mar d-6 … d: both users until Mar 9 (u1's Mar 3 is still in it), then
    # u2 alone until Mar 15 (Mar 9 + 6), then nobody on the as-of date itself.
    expected = active_users_frame(
        "2026-03-02",
        dau=runs((3, 1), (4, 0), (1, 1), (7, 0)),
        wau=runs((2, 1), (6, 2), (6, 1), (1, 0)),
        mau=runs((2, 1), (13, 2)),
    )
    assert_table(con, "kpi_active_users", expected, ["activity_date"])

    # Stickiness: the silent week of Mar 16 is a row of zeros, not a missing week.
    weeks = {"2026-03-02": {2: 1, 1: 1}, "2026-03-09": {1: 1}, "2026-03-16": {}}
    rows = [
        ("week", date.fromisoformat(week), k, counts.get(k, 0))
        for week, counts in weeks.items()
        for k in range(1, 8)
    ] + [("month", date(2026, 3, 1), k, 2 if k == 2 else 0) for k in range(1, 32)]
    expected = pd.DataFrame(rows, columns=["period", "period_start", "days_active", "users"])
    assert_table(con, "kpi_stickiness", expected, ["period", "period_start", "days_active"])


def test_users_silent_in_the_as_of_period_are_dormant_there():
    con = build_marts(SILENT_WEEK, config=SILENT_WEEK_CONFIG, tables=["kpi_lifecycle"])
    # Days: u1 new Mar 2, returning Mar 3, dormant Mar 4 (u2 new that day); u2 dormant Mar 5,
    # resurrecting Mar 9 (seen before, not active Mar 8), dormant Mar 10; then quiet days.
    # Weeks: both new in the week of Mar 2; u2 returning and u1 dormant in the week of Mar 9;
    # u2 dormant in the week of Mar 16, the one that holds the as-of date.
    expected = lifecycle_frame(
        {"day": march(2, 16), "week": ["2026-03-02", "2026-03-09", "2026-03-16"]}
        | {"month": ["2026-03-01"]},
        {
            ("day", "2026-03-02"): {"new": 1},
            ("day", "2026-03-03"): {"returning": 1},
            ("day", "2026-03-04"): {"new": 1, "dormant": -1},
            ("day", "2026-03-05"): {"dormant": -1},
            ("day", "2026-03-09"): {"resurrecting": 1},
            ("day", "2026-03-10"): {"dormant": -1},
            ("week", "2026-03-02"): {"new": 2},
            ("week", "2026-03-09"): {"returning": 1, "dormant": -1},
            ("week", "2026-03-16"): {"dormant": -1},
            ("month", "2026-03-01"): {"new": 2},
        },
    )
    assert_table(con, "kpi_lifecycle", expected, LIFECYCLE_KEYS)


def test_retention_cohorts_and_periods_run_to_the_as_of_period():
    con = build_marts(SILENT_WEEK, config=SILENT_WEEK_CONFIG, tables=["kpi_retention"])
    kinds = ("first_time", "recurring")
    # Week and month slices (the day slice is the oracle's). Cohort of Mar 2: u1 and u2; u2
    # returns in the week of Mar 9, nobody in the week of Mar 16 (u1's Mar 20 is after the
    # as-of date). Nobody's first start is in the weeks of Mar 9 or Mar 16: empty cohorts,
    # kept as rows. u2 also starts the recurring cohort of Mar 9.
    expected = retention_frame(
        [("week", kind, "2026-03-02", 0, 2, 2, 2) for kind in kinds]
        + [("week", kind, "2026-03-02", 1, 2, 1, 1) for kind in kinds]
        + [("week", kind, "2026-03-02", 2, 2, 0, 0) for kind in kinds]
        + [("week", "first_time", "2026-03-09", n, 0, 0, 0) for n in (0, 1)]
        + [("week", "recurring", "2026-03-09", 0, 1, 1, 1)]
        + [("week", "recurring", "2026-03-09", 1, 1, 0, 0)]
        + empty_cohorts("week", ["2026-03-16"], 0)
        + [("month", kind, "2026-03-01", 0, 2, 2, 2) for kind in kinds]
    )
    actual = con.execute("select * from marts.kpi_retention where period <> 'day'").df()
    keys = ["period", "retention_type", "cohort_start", "period_number"]
    pd.testing.assert_frame_equal(
        actual.astype({"cohort_start": "datetime64[us]"}).sort_values(keys).reset_index(drop=True),
        expected.astype({"cohort_start": "datetime64[us]"})
        .sort_values(keys)
        .reset_index(drop=True),
        check_dtype=False,
    )


def test_the_as_of_day_ends_at_local_midnight_on_a_dst_day():
    # US/Pacific springs forward on Sun Mar 8, 2026: that day ends at 00:00 PDT = 07:00 UTC
    # (not 08:00, as it would in standard time). u1 at 06:59 UTC is still Mar 8; u2 at
    # 07:00 UTC is Mar 9 and is cut off by as_of = Mar 8.
    events = [
        ("u1", "A", "2026-03-08 08:30"),
        ("u1", "A", "2026-03-09 06:59"),
        ("u2", "A", "2026-03-09 07:00"),
    ]
    analysis = {"timezone": "US/Pacific"}
    as_of = build_marts(
        events,
        config={"analysis": {**analysis, "as_of": "2026-03-08"}},
        tables=["kpi_active_users"],
    )
    assert as_of.execute(
        "select as_of_date, as_of_ends_at from intermediate.int_settings"
    ).fetchall() == [(date(2026, 3, 8), datetime(2026, 3, 9, 7, 0))]
    assert_table(
        as_of,
        "kpi_active_users",
        active_users_frame("2026-03-08", [1], [1], [1]),
        ["activity_date"],
    )
    # "latest_event" (the default): the day of the latest event, Mar 9, and nothing is cut
    latest = build_marts(events, config={"analysis": analysis}, tables=["kpi_active_users"])
    assert latest.execute(
        "select as_of_date, as_of_ends_at from intermediate.int_settings"
    ).fetchall() == [(date(2026, 3, 9), None)]
    assert_table(
        latest,
        "kpi_active_users",
        active_users_frame("2026-03-08", [1, 1], [1, 2], [1, 2]),
        ["activity_date"],
    )


def test_daily_lifecycle_follows_local_days_across_the_march_dst_change():
    # US/Pacific: 07:30 UTC on Mar 8 is 23:30 PST on Sat Mar 7; 08:30 UTC is 00:30 PST on Sun
    # Mar 8; after the change (10:00 UTC) 06:30 UTC on Mar 9 is 23:30 PDT on Mar 8 and 07:30
    # UTC is 00:30 PDT on Mon Mar 9. So u1 is active Mar 7 and 8, u2 Mar 8 and 9 (in UTC both
    # would be Mar 8 and 9). A fixed offset on either side of the change would move one of
    # them to another day.
    con = build_marts(
        [
            ("u1", "A", "2026-03-08 07:30"),
            ("u2", "A", "2026-03-08 08:30"),
            ("u1", "A", "2026-03-09 06:30"),
            ("u2", "A", "2026-03-09 07:30"),
        ],
        config={"analysis": {"timezone": "US/Pacific"}},
        tables=["kpi_lifecycle"],
    )
    expected = lifecycle_frame(
        {
            "day": ["2026-03-07", "2026-03-08", "2026-03-09"],
            "week": ["2026-03-02", "2026-03-09"],
            "month": ["2026-03-01"],
        },
        {
            ("day", "2026-03-07"): {"new": 1},
            ("day", "2026-03-08"): {"new": 1, "returning": 1},
            ("day", "2026-03-09"): {"returning": 1, "dormant": -1},
            # Sat Mar 7 and Sun Mar 8 are in the Monday week of Mar 2
            ("week", "2026-03-02"): {"new": 2},
            ("week", "2026-03-09"): {"returning": 1, "dormant": -1},
            ("month", "2026-03-01"): {"new": 2},
        },
    )
    assert_table(con, "kpi_lifecycle", expected, LIFECYCLE_KEYS)


def test_every_mart_ignores_what_comes_after_the_as_of_date():
    # The same warehouse with and without everything stamped after the as-of date: events
    # (steps, exclusions, features, activation), a signup (createdAt) and a survey response.
    # Every KPI table must come out the same.
    before = [
        ("u1", "Signed Up", "2026-04-01 10:00"),
        ("u1", "Project Created", "2026-04-02 10:00"),
        ("u2", "Signed Up", "2026-04-03 10:00"),
        ("u2", "Export", "2026-04-06 10:00"),
    ]
    after = [
        ("u2", "Project Created", "2026-04-08 00:00"),  # Apr 8 00:00 UTC: after Apr 7
        ("u2", "Cancel", "2026-04-08 01:00"),
        ("u1", "Export", "2026-04-09 10:00"),
        ("u3", "Signed Up", "2026-04-10 10:00"),
    ]
    config = {
        "analysis": {"as_of": "2026-04-07"},
        "funnels": [
            {"name": "setup", "steps": ["Signed Up", "Project Created"], "exclusions": ["Cancel"]}
        ],
        "features": [{"name": "exports", "events": ["Export"]}],
        "activation": {"event": "Project Created"},
    }

    def response(rid: str, when: str) -> dict:
        return {
            "response_id": rid,
            "user_id": "u1",
            "metric": "nps",
            "score": 9.0,
            "submitted_at": ts(when),
            "attributes": json.dumps({}),
        }

    responses = pd.DataFrame(
        [response("r1", "2026-04-07 23:59"), response("r2", "2026-04-08 00:00")]
    )
    responses["submitted_at"] = responses["submitted_at"].astype("datetime64[us]")
    full = build_marts(
        before + after,
        config=config,
        created_at={"u4": "2026-04-09 00:00"},
        responses=responses,
    )
    cut = build_marts(before, config=config, responses=responses.iloc[:1])
    names = [
        name
        for (name,) in full.execute(
            "select table_name from duckdb_tables() where schema_name = 'marts' order by 1"
        ).fetchall()
    ]
    assert len(names) == 8
    keyed = {
        "kpi_active_users": "activity_date",
        "kpi_stickiness": "period, period_start, days_active",
        "kpi_retention": "period, retention_type, cohort_start, period_number",
        "kpi_lifecycle": "period, period_start, status",
        "kpi_funnel": "funnel, step_number",
        "kpi_feature_adoption": "feature, period_start",
        "kpi_activation": "cohort_start",
        "kpi_survey_scores": "metric, period_start, segment, segment_value",
    }
    for name in names:
        pd.testing.assert_frame_equal(
            table(full, name, keyed[name]), table(cut, name, keyed[name]), obj=name
        )
    # the cut mattered: without it u2 would reach step 2 on Apr 8
    assert table(full, "kpi_funnel", "step_number")["users"].tolist() == [2, 1]
