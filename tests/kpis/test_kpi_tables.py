"""Hand-worked examples: small timelines whose right answer is worked out in the comments.

Each test asserts a whole table (or, where noted, the whole slice of one period type; the
other slices are covered by the oracle tests).
"""

from __future__ import annotations

import json
import math
from datetime import date, timedelta

import pandas as pd

from .harness import FUNNEL_COLUMNS, assert_table, build_marts, normalise, ts
from .oracle import SURVEY_SCORE_COLUMNS as SURVEY_COLUMNS

NAN = float("nan")


def runs(*pairs: tuple[int, float]) -> list[float]:
    """[(3, 1), (2, 0)] → [1, 1, 1, 0, 0]: run-length lists keep daily tables readable."""
    return [value for count, value in pairs for _ in range(count)]


def days(first: str, n: int) -> list[date]:
    start = date.fromisoformat(first)
    return [start + timedelta(days=i) for i in range(n)]


def active_users_frame(
    first: str, dau: list[float], wau: list[float], mau: list[float]
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "activity_date": days(first, len(dau)),
            "dau": dau,
            "wau": wau,
            "mau": mau,
            "stickiness": [d / m if m else NAN for d, m in zip(dau, mau, strict=True)],
        }
    )


# --------------------------------------------------------------------------- active users


def test_active_users_window_boundaries_and_gap_days():
    # u1 only on Jan 1; u2 on Jan 7 and Jan 31; u3 only views a page (not active by default).
    # Jan 7 is the last day whose 7-day window still holds Jan 1; Jan 30 the last day whose
    # 30-day window does.
    con = build_marts(
        [
            ("u1", "A", "2026-01-01 10:00"),
            ("u2", "A", "2026-01-07 10:00"),
            ("u2", "A", "2026-01-31 10:00"),
            ("u3", "Page Viewed", "2026-01-15 10:00", "page"),
        ]
    )
    expected = active_users_frame(
        "2026-01-01",
        dau=runs((1, 1), (5, 0), (1, 1), (23, 0), (1, 1)),
        wau=runs((6, 1), (1, 2), (6, 1), (17, 0), (1, 1)),
        mau=runs((6, 1), (24, 2), (1, 1)),
    )
    assert_table(con, "kpi_active_users", expected, ["activity_date"])


def test_active_users_follow_local_days_across_the_spring_dst_change():
    # Europe/London moves to BST at 2026-03-29 01:00 UTC.
    events = [
        ("u1", "A", "2026-03-28 23:30"),  # 23:30 GMT, Mar 28
        ("u2", "A", "2026-03-29 00:30"),  # 00:30 GMT, Mar 29 (before the change)
        ("u2", "A", "2026-03-29 01:30"),  # 02:30 BST, Mar 29
        ("u1", "A", "2026-03-29 23:30"),  # 00:30 BST, Mar 30: the zone moves it a day on
    ]
    london = build_marts(events, config={"analysis": {"timezone": "Europe/London"}})
    assert_table(
        london,
        "kpi_active_users",
        active_users_frame("2026-03-28", dau=[1, 1, 1], wau=[1, 2, 2], mau=[1, 2, 2]),
        ["activity_date"],
    )
    utc = build_marts(events)
    assert_table(
        utc,
        "kpi_active_users",
        active_users_frame("2026-03-28", dau=[1, 2], wau=[1, 2], mau=[1, 2]),
        ["activity_date"],
    )


def test_active_users_autumn_dst_day_has_25_hours():
    # 2026-10-24 23:30 UTC is 00:30 BST on Oct 25 and 2026-10-25 23:30 UTC is 23:30 GMT on
    # Oct 25: both on the one 25-hour local day in London, two different days in UTC.
    events = [("u1", "A", "2026-10-24 23:30"), ("u1", "A", "2026-10-25 23:30")]
    london = build_marts(events, config={"analysis": {"timezone": "Europe/London"}})
    assert_table(
        london,
        "kpi_active_users",
        active_users_frame("2026-10-25", [1], [1], [1]),
        ["activity_date"],
    )
    utc = build_marts(events)
    assert_table(
        utc,
        "kpi_active_users",
        active_users_frame("2026-10-24", [1, 1], [1, 1], [1, 1]),
        ["activity_date"],
    )


def test_active_events_setting_decides_who_is_active():
    # Only "B" is active: u1's "A" and the page view do not count, u2's "B" does.
    con = build_marts(
        [
            ("u1", "A", "2026-01-01 10:00"),
            ("u1", "Page Viewed", "2026-01-01 11:00", "page"),
            ("u2", "B", "2026-01-02 10:00"),
        ],
        config={"analysis": {"active_events": ["B"]}},
    )
    assert_table(
        con, "kpi_active_users", active_users_frame("2026-01-02", [1], [1], [1]), ["activity_date"]
    )


# --------------------------------------------------------------------------- stickiness


def stickiness_grid(
    nonzero: dict[tuple[str, str, int], int], periods: list[tuple[str, str, int]]
) -> pd.DataFrame:
    rows = [
        (period, date.fromisoformat(start), k, nonzero.get((period, start, k), 0))
        for period, start, length in periods
        for k in range(1, length + 1)
    ]
    return pd.DataFrame(rows, columns=["period", "period_start", "days_active", "users"])


def test_stickiness_counts_distinct_local_days_per_week_and_month():
    # u1: Mon 5, Tue 6 (twice) and Sun 11 Jan → 3 days of the week of Jan 5 and of January.
    # u2: Sun 11 Jan only → 1 day. With Sunday weeks u1's Sunday falls in the next week.
    events = [
        ("u1", "A", "2026-01-05 09:00"),
        ("u1", "A", "2026-01-06 09:00"),
        ("u1", "B", "2026-01-06 18:00"),
        ("u1", "A", "2026-01-11 09:00"),
        ("u2", "A", "2026-01-11 12:00"),
    ]
    monday = build_marts(events)
    expected = stickiness_grid(
        {
            ("week", "2026-01-05", 3): 1,
            ("week", "2026-01-05", 1): 1,
            ("month", "2026-01-01", 3): 1,
            ("month", "2026-01-01", 1): 1,
        },
        [("week", "2026-01-05", 7), ("month", "2026-01-01", 31)],
    )
    keys = ["period", "period_start", "days_active"]
    assert_table(monday, "kpi_stickiness", expected, keys)

    sunday = build_marts(events, config={"analysis": {"week_start": "sunday"}})
    expected = stickiness_grid(
        {
            ("week", "2026-01-04", 2): 1,
            ("week", "2026-01-11", 1): 2,
            ("month", "2026-01-01", 3): 1,
            ("month", "2026-01-01", 1): 1,
        },
        [("week", "2026-01-04", 7), ("week", "2026-01-11", 7), ("month", "2026-01-01", 31)],
    )
    assert_table(sunday, "kpi_stickiness", expected, keys)


# --------------------------------------------------------------------------- retention

RETENTION_COLUMNS = [
    "period",
    "retention_type",
    "cohort_start",
    "period_number",
    "cohort_size",
    "retained_users",
    "retention_rate",
    "retained_users_unbounded",
    "unbounded_retention_rate",
]
RETENTION_KEYS = ["period", "retention_type", "cohort_start", "period_number"]


def retention_frame(rows: list[tuple[str, str, str, int, int, int, int]]) -> pd.DataFrame:
    """Rates follow from the counts; an empty cohort (size 0) has null rates."""
    return pd.DataFrame(
        [
            (
                p,
                t,
                date.fromisoformat(c),
                n,
                size,
                on,
                on / size if size else NAN,
                after,
                after / size if size else NAN,
            )
            for p, t, c, n, size, on, after in rows
        ],
        columns=RETENTION_COLUMNS,
    )


def empty_cohorts(period: str, starts: list[str], last_number: int) -> list[tuple]:
    """Rows of cohorts nobody started in: the k-th of ``starts`` runs N = 0 … last − k."""
    return [
        (period, kind, start, n, 0, 0, 0)
        for kind in ("first_time", "recurring")
        for k, start in enumerate(starts)
        for n in range(last_number - k + 1)
    ]


def test_weekly_retention_first_time_and_recurring():
    # Monday weeks W0 = Jan 5, W1 = Jan 12, W2 = Jan 19, W3 = Jan 26 (the last week with data).
    # u1: W0, W1, W3. u2: W0 only (active in one period only). u3: W1 twice (a return in
    # the cohort's own week never counts) and W2.
    con = build_marts(
        [
            ("u1", "A", "2026-01-05 10:00"),
            ("u1", "A", "2026-01-14 10:00"),
            ("u1", "A", "2026-01-27 10:00"),
            ("u2", "A", "2026-01-11 23:59"),
            ("u3", "A", "2026-01-12 00:00"),
            ("u3", "A", "2026-01-18 10:00"),
            ("u3", "A", "2026-01-19 10:00"),
        ]
    )
    expected = retention_frame(
        [
            # period, type, cohort, N, size, on N, on or after N
            ("week", "first_time", "2026-01-05", 0, 2, 2, 2),
            ("week", "first_time", "2026-01-05", 1, 2, 1, 1),  # u1 in W1
            ("week", "first_time", "2026-01-05", 2, 2, 0, 1),  # nobody in W2; u1 later
            ("week", "first_time", "2026-01-05", 3, 2, 1, 1),  # u1 in W3
            ("week", "first_time", "2026-01-12", 0, 1, 1, 1),
            ("week", "first_time", "2026-01-12", 1, 1, 1, 1),  # u3 in W2
            ("week", "first_time", "2026-01-12", 2, 1, 0, 0),
            # nobody's first start is in W2 or W3: empty cohorts, kept as rows
            ("week", "first_time", "2026-01-19", 0, 0, 0, 0),
            ("week", "first_time", "2026-01-19", 1, 0, 0, 0),
            ("week", "first_time", "2026-01-26", 0, 0, 0, 0),
            ("week", "recurring", "2026-01-05", 0, 2, 2, 2),
            ("week", "recurring", "2026-01-05", 1, 2, 1, 1),
            ("week", "recurring", "2026-01-05", 2, 2, 0, 1),
            ("week", "recurring", "2026-01-05", 3, 2, 1, 1),
            ("week", "recurring", "2026-01-12", 0, 2, 2, 2),  # u1 and u3
            ("week", "recurring", "2026-01-12", 1, 2, 1, 2),  # u3 in W2; u1 in W3
            ("week", "recurring", "2026-01-12", 2, 2, 1, 1),  # u1 in W3
            ("week", "recurring", "2026-01-19", 0, 1, 1, 1),  # u3
            ("week", "recurring", "2026-01-19", 1, 1, 0, 0),
            ("week", "recurring", "2026-01-26", 0, 1, 1, 1),  # u1
        ]
    )
    actual = con.execute("select * from marts.kpi_retention where period = 'week'").df()
    pd.testing.assert_frame_equal(
        actual.reset_index(drop=True).astype({"cohort_start": "datetime64[us]"}),
        expected.astype({"cohort_start": "datetime64[us]"}),
        check_dtype=False,
    )


def test_retention_start_and_return_events_in_a_time_zone():
    # Signed Up at 03:00 UTC on Feb 1 is 22:00 on Jan 31 in New York; Used at 15:00 UTC is
    # Feb 1 there. Page views are neither start nor return events, but the latest event
    # (Tue Feb 3) is the as-of date: the grid runs to its day, week (of Feb 2) and month.
    events = [
        ("u1", "Signed Up", "2026-02-01 03:00"),
        ("u1", "Used", "2026-02-01 15:00"),
        ("u1", "Page Viewed", "2026-02-03 15:00", "page"),
    ]
    kinds = ("first_time", "recurring")
    config = {"retention": {"start_event": "Signed Up", "return_event": "Used"}}
    new_york = build_marts(events, config={**config, "analysis": {"timezone": "America/New_York"}})
    expected = retention_frame(
        # day: cohort Jan 31 returns on Feb 1 (N = 1), not on Feb 2 or 3
        [("day", kind, "2026-01-31", 0, 1, 1, 1) for kind in kinds]
        + [("day", kind, "2026-01-31", 1, 1, 1, 1) for kind in kinds]
        + [("day", kind, "2026-01-31", n, 1, 0, 0) for kind in kinds for n in (2, 3)]
        + empty_cohorts("day", ["2026-02-01", "2026-02-02", "2026-02-03"], 2)
        # week: Jan 31 and Feb 1 are both in the week of Jan 26; the week of Feb 2 is empty
        + [("week", kind, "2026-01-26", 0, 1, 1, 1) for kind in kinds]
        + [("week", kind, "2026-01-26", 1, 1, 0, 0) for kind in kinds]
        + empty_cohorts("week", ["2026-02-02"], 0)
        # month: January's cohort returns in February
        + [("month", kind, "2026-01-01", n, 1, 1, 1) for kind in kinds for n in (0, 1)]
        + empty_cohorts("month", ["2026-02-01"], 0)
    )
    assert_table(new_york, "kpi_retention", expected, RETENTION_KEYS)

    # In UTC both events are on Feb 1: a same-period return does not count.
    utc = build_marts(events, config=config)
    expected = retention_frame(
        [("day", kind, "2026-02-01", 0, 1, 1, 1) for kind in kinds]
        + [("day", kind, "2026-02-01", n, 1, 0, 0) for kind in kinds for n in (1, 2)]
        + empty_cohorts("day", ["2026-02-02", "2026-02-03"], 1)
        + [("week", kind, "2026-01-26", 0, 1, 1, 1) for kind in kinds]
        + [("week", kind, "2026-01-26", 1, 1, 0, 0) for kind in kinds]
        + empty_cohorts("week", ["2026-02-02"], 0)
        + [("month", kind, "2026-02-01", 0, 1, 1, 1) for kind in kinds]
    )
    assert_table(utc, "kpi_retention", expected, RETENTION_KEYS)


# --------------------------------------------------------------------------- lifecycle


def test_weekly_lifecycle_with_created_at_traits():
    # Monday weeks Jan 5, 12, 19, 26.
    # u1: first event Jan 5 (no createdAt), active weeks Jan 5, Jan 12, Jan 26.
    # u2: createdAt 2025-12-01, active only in the week of Jan 12 → resurrecting (first seen
    #     long before its first activity, as in PostHog), dormant the week after.
    # u3: first event Jan 19, createdAt Jan 20 — the same week → new.
    con = build_marts(
        [
            ("u1", "A", "2026-01-05 10:00"),
            ("u1", "A", "2026-01-13 10:00"),
            ("u1", "A", "2026-01-26 10:00"),
            ("u2", "A", "2026-01-12 10:00"),
            ("u3", "A", "2026-01-19 10:00"),
        ],
        created_at={"u2": "2025-12-01 00:00", "u3": "2026-01-20 00:00"},
    )
    counts = {
        "2026-01-05": {"new": 1},
        "2026-01-12": {"returning": 1, "resurrecting": 1},
        "2026-01-19": {"new": 1, "dormant": -2},
        "2026-01-26": {"resurrecting": 1, "dormant": -1},
    }
    expected = pd.DataFrame(
        [
            # the first week has no visible history before it
            ("week", date.fromisoformat(week), status, counts[week].get(status, 0), i > 0)
            for i, week in enumerate(counts)
            for status in ("dormant", "new", "resurrecting", "returning")
        ],
        columns=["period", "period_start", "status", "users", "has_history"],
    )
    actual = con.execute(
        "select * from marts.kpi_lifecycle where period = 'week' order by period_start, status"
    ).df()
    pd.testing.assert_frame_equal(
        actual.astype({"period_start": "datetime64[us]"}),
        expected.astype({"period_start": "datetime64[us]"}),
        check_dtype=False,
    )


def test_daily_lifecycle_whole_table_single_user():
    # One user active on Mar 1 and Mar 3: new, dormant, resurrecting (days); one week and
    # one month in which they are new.
    con = build_marts(
        [("u1", "A", "2026-03-01 10:00"), ("u1", "A", "2026-03-03 10:00")],
        config={"analysis": {"week_start": "sunday"}},
    )
    counts = {
        ("day", "2026-03-01"): {"new": 1},
        ("day", "2026-03-02"): {"dormant": -1},
        ("day", "2026-03-03"): {"resurrecting": 1},
        ("week", "2026-03-01"): {"new": 1},
        ("month", "2026-03-01"): {"new": 1},
    }
    first = {"day": "2026-03-01", "week": "2026-03-01", "month": "2026-03-01"}
    expected = pd.DataFrame(
        [
            (p, date.fromisoformat(s), status, c.get(status, 0), s != first[p])
            for (p, s), c in counts.items()
            for status in ("new", "returning", "resurrecting", "dormant")
        ],
        columns=["period", "period_start", "status", "users", "has_history"],
    )
    assert_table(con, "kpi_lifecycle", expected, ["period", "period_start", "status"])


# --------------------------------------------------------------------------- funnel


def test_funnel_repeated_step_exclusion_boundary_and_ties():
    events = [
        # u1: View, View, Buy exactly 1 h after the first View (inclusive boundary) → 3 steps
        ("u1", "View", "2026-05-01 10:00"),
        ("u1", "View", "2026-05-01 10:20"),
        ("u1", "Buy", "2026-05-01 11:00"),
        # u2: the Buy comes before the second View: order matters → 2 steps
        ("u2", "View", "2026-05-01 10:00"),
        ("u2", "Buy", "2026-05-01 10:10"),
        ("u2", "View", "2026-05-01 10:30"),
        # u3: Buy one second too late for the first View; from the second View no third one
        ("u3", "View", "2026-05-01 10:00"),
        ("u3", "View", "2026-05-01 10:30"),
        ("u3", "Buy", "2026-05-01 11:00:01"),
        # u4: an exclusion event inside the conversion → dropped from every step
        ("u4", "View", "2026-05-01 10:00"),
        ("u4", "View", "2026-05-01 10:05"),
        ("u4", "Cancel", "2026-05-01 10:10"),
        ("u4", "Buy", "2026-05-01 10:20"),
        # u5: one View. u6: two Views at the same instant are not one after the other.
        ("u5", "View", "2026-05-01 10:00"),
        ("u6", "View", "2026-05-01 10:00"),
        ("u6", "View", "2026-05-01 10:00"),
        # u7: Cancel before the funnel starts does not count
        ("u7", "Cancel", "2026-05-01 09:00"),
        ("u7", "View", "2026-05-01 10:00"),
    ]
    con = build_marts(
        events,
        config={
            "funnels": [
                {
                    "name": "buy",
                    "steps": ["View", "View", "Buy"],
                    "window": "1h",
                    "exclusions": ["Cancel"],
                },
                {"name": "never", "steps": ["Never", "View"]},
            ]
        },
    )
    expected = pd.DataFrame(
        [
            # step 1: u1 u2 u3 u5 u6 u7; step 2: u1 (1200 s) u2 (1800 s) u3 (1800 s);
            # step 3: u1 (2400 s)
            ("buy", 1, "View", 6, 1.0, 1.0, NAN, NAN),
            ("buy", 2, "View", 3, 0.5, 0.5, 1800.0, 1600.0),
            ("buy", 3, "Buy", 1, 1 / 6, 1 / 3, 2400.0, 2400.0),
            ("never", 1, "Never", 0, NAN, NAN, NAN, NAN),
            ("never", 2, "View", 0, NAN, NAN, NAN, NAN),
        ],
        columns=FUNNEL_COLUMNS,
    )
    assert_table(con, "kpi_funnel", expected, ["funnel", "step_number"])


def test_funnel_uses_the_latest_start_among_equally_deep_sequences():
    # Two Signups before one Purchase: the conversion is timed from the later Signup.
    con = build_marts(
        [
            ("u1", "Signup", "2026-05-01 10:00"),
            ("u1", "Signup", "2026-05-01 12:00"),
            ("u1", "Purchase", "2026-05-01 12:30"),
        ],
        config={"funnels": [{"name": "f", "steps": ["Signup", "Purchase"]}]},
    )
    expected = pd.DataFrame(
        [
            ("f", 1, "Signup", 1, 1.0, 1.0, NAN, NAN),
            ("f", 2, "Purchase", 1, 1.0, 1.0, 1800.0, 1800.0),
        ],
        columns=FUNNEL_COLUMNS,
    )
    assert_table(con, "kpi_funnel", expected, ["funnel", "step_number"])


# --------------------------------------------------------------------------- adoption


def test_feature_adoption_weekly_with_first_use():
    # Monday weeks Jan 5 and Jan 12. u1 signs up (first event) Jan 5 09:00 and exports a day
    # later; u2 signs up Jan 6 10:00, first uses exports (Export Failed) exactly 7 days later.
    con = build_marts(
        [
            ("u1", "A", "2026-01-05 09:00"),
            ("u1", "Export", "2026-01-06 09:00"),
            ("u2", "A", "2026-01-06 10:00"),
            ("u2", "Export Failed", "2026-01-13 10:00"),
            ("u2", "Export", "2026-01-14 10:00"),
        ],
        config={
            "features": [
                {"name": "exports", "events": ["Export", "Export Failed"]},
                {"name": "alerts", "events": ["Alert Created"]},
            ]
        },
    )
    expected = pd.DataFrame(
        [
            ("alerts", date(2026, 1, 5), 0, 2, 0.0, 0, NAN),
            ("alerts", date(2026, 1, 12), 0, 1, 0.0, 0, NAN),
            ("exports", date(2026, 1, 5), 1, 2, 0.5, 1, 86400.0),
            ("exports", date(2026, 1, 12), 1, 1, 1.0, 1, 604800.0),
        ],
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
    assert_table(con, "kpi_feature_adoption", expected, ["feature", "period_start"])


# --------------------------------------------------------------------------- activation


def test_activation_window_boundary_created_at_and_time_zone():
    # Europe/London, activation = Project Created within 1 day (24 h, inclusive).
    # u1 signs up 00:30 GMT Sun Mar 29 (week of Mar 23), activates exactly 24 h later.
    # u2 signs up 23:30 UTC Mar 29 = 00:30 BST Mon Mar 30 (week of Mar 30), activates 24.5 h
    #    later: too late.
    # u3 has createdAt Mar 31 12:00: a Project Created before it does not count, the one at
    #    13:00 does (3600 s).
    con = build_marts(
        [
            ("u1", "Signed Up", "2026-03-29 00:30"),
            ("u1", "Project Created", "2026-03-30 00:30"),
            ("u2", "Signed Up", "2026-03-29 23:30"),
            ("u2", "Project Created", "2026-03-31 00:00"),
            ("u3", "Project Created", "2026-03-31 11:00"),
            ("u3", "Project Created", "2026-03-31 13:00"),
        ],
        config={
            "analysis": {"timezone": "Europe/London"},
            "activation": {"event": "Project Created", "within_days": 1},
        },
        created_at={"u3": "2026-03-31 12:00"},
    )
    expected = pd.DataFrame(
        [(date(2026, 3, 23), 1, 1, 1.0, 86400.0), (date(2026, 3, 30), 2, 1, 0.5, 3600.0)],
        columns=[
            "cohort_start",
            "signups",
            "activated",
            "activation_rate",
            "median_seconds_to_activation",
        ],
    )
    assert_table(con, "kpi_activation", expected, ["cohort_start"])


def test_anonymous_visitors_are_not_signups():
    # a1 browsed anonymously and never identified: not a signup, even with the event.
    con = build_marts(
        [
            ("u1", "Signed Up", "2026-03-03 09:00"),
            ("u1", "Project Created", "2026-03-03 10:00"),
            ("a1", "Page Viewed", "2026-03-03 08:00"),
            ("a1", "Project Created", "2026-03-03 08:30"),
        ],
        config={"activation": {"event": "Project Created", "within_days": 7}},
        anonymous={"a1"},
    )
    expected = pd.DataFrame(
        [(date(2026, 3, 2), 1, 1, 1.0, 3600.0)],
        columns=[
            "cohort_start",
            "signups",
            "activated",
            "activation_rate",
            "median_seconds_to_activation",
        ],
    )
    assert_table(con, "kpi_activation", expected, ["cohort_start"])


# --------------------------------------------------------------------------- surveys


SURVEY_KEYS = ["metric", "period", "period_start", "segment", "segment_value"]


def assert_monthly_survey_scores(con, expected: pd.DataFrame) -> None:
    """The mart's 'month' rows equal ``expected`` (the windows are tested on their own)."""
    actual = con.execute(
        "select * exclude (period, period_end) from marts.kpi_survey_scores where period = 'month'"
    ).df()
    keys = ["metric", "period_start", "segment", "segment_value"]
    assert list(actual.columns) == list(expected.columns)
    pd.testing.assert_frame_equal(
        normalise(actual, keys), normalise(expected, keys), check_exact=False, atol=1e-9
    )


def test_survey_scores_nps_csat_ces_with_segments_and_intervals():
    def response(rid, user, metric, score, when="2026-03-15 12:00", **attributes):
        return {
            "response_id": rid,
            "user_id": user,
            "metric": metric,
            "score": float(score),
            "submitted_at": ts(when),
            "attributes": json.dumps(attributes),
        }

    responses = pd.DataFrame(
        [
            response("n1", "u1", "nps", 10),
            response("n2", "u1", "nps", 9),
            response("n3", "u2", "nps", 8),
            response("n4", "u2", "nps", 6),
            response("n5", None, "nps", 0),
            response("s1", "u1", "csat", 5),
            response("s2", "u2", "csat", 4),
            response("s3", "u2", "csat", 2, plan="team"),  # the survey attribute wins
            response("s4", None, "csat", 3),
            response("c1", "u1", "ces", 2),
            response("c2", "u1", "ces", 4),
            # 23:30 UTC on Mar 31 is 00:30 BST on Apr 1 in London
            response("c3", "u2", "ces", 7, when="2026-03-31 23:30"),
        ]
    )
    responses["submitted_at"] = responses["submitted_at"].astype("datetime64[us]")
    con = build_marts(
        [("u1", "A", "2026-03-01 10:00"), ("u2", "A", "2026-03-01 10:00")],
        config={
            "analysis": {"timezone": "Europe/London"},
            "segments": {"user_traits": ["plan"], "min_responses": 5},
        },
        traits={"u1": {"plan": "pro"}, "u2": {"plan": "free"}},
        responses=responses,
    )
    march, april = date(2026, 3, 1), date(2026, 4, 1)
    free_se = 100 * math.sqrt((0.5 - 0.25) / 2)  # p = 0, d = 0.5, n = 2
    expected = pd.DataFrame(
        [
            # nps all: 2 promoters, 1 passive, 2 detractors of 5 → 0; se = 100·√(0.8 / 5) = 40
            ("nps", march, "all", "all", 5, 0.0, -78.4, 78.4, 2, 1, 2, False),
            ("nps", march, "plan", "free", 2, -50.0, -100.0, -50 + 1.96 * free_se, 0, 1, 1, True),
            ("nps", march, "plan", "pro", 2, 100.0, 100.0, 100.0, 2, 0, 0, True),
            ("nps", march, "plan", "unknown", 1, -100.0, -100.0, -100.0, 0, 0, 1, True),
            # csat all: 2 of 4 satisfied → 50; se = 100·√(0.25 / 4) = 25 → 50 ± 49
            ("csat", march, "all", "all", 4, 50.0, 1.0, 99.0, None, None, None, True),
            ("csat", march, "plan", "free", 1, 100.0, 100.0, 100.0, None, None, None, True),
            ("csat", march, "plan", "pro", 1, 100.0, 100.0, 100.0, None, None, None, True),
            ("csat", march, "plan", "team", 1, 0.0, 0.0, 0.0, None, None, None, True),
            ("csat", march, "plan", "unknown", 1, 0.0, 0.0, 0.0, None, None, None, True),
            # ces: mean of 2 and 4 = 3, sd = √2, se = 1 → 3 ± 1.96; one response: no interval
            ("ces", march, "all", "all", 2, 3.0, 1.04, 4.96, None, None, None, True),
            ("ces", march, "plan", "pro", 2, 3.0, 1.04, 4.96, None, None, None, True),
            ("ces", april, "all", "all", 1, 7.0, None, None, None, None, None, True),
            ("ces", april, "plan", "free", 1, 7.0, None, None, None, None, None, True),
        ],
        columns=[
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
        ],
    )
    assert_monthly_survey_scores(con, expected)


def test_survey_scores_last_90_days_and_all_time_count_undated_responses():
    def response(rid, user, score, when):
        return {
            "response_id": rid,
            "user_id": user,
            "metric": "nps",
            "score": float(score),
            "submitted_at": None if when is None else ts(when),
            "attributes": "{}",
        }

    responses = pd.DataFrame(
        [
            response("d1", "ua", 10, "2026-01-10 09:00"),  # more than 90 days before the last
            response("d2", "ub", 0, "2026-04-20 09:00"),
            response("d3", "uc", 9, "2026-04-25 09:00"),  # the latest dated response
            response("u1", None, 6, None),  # undated: all time only
        ]
    )
    responses["submitted_at"] = responses["submitted_at"].astype("datetime64[us]")
    con = build_marts(
        [("ua", "A", "2026-04-25 10:00")],
        config={"segments": {"user_traits": ["plan"], "min_responses": 2}},
        # "Unknown", blank and missing are one group: 'unknown'
        traits={"ua": {"plan": "Unknown"}, "ub": {"plan": "  "}, "uc": {"plan": "pro"}},
        responses=responses,
    )
    jan, jan_end = date(2026, 1, 1), date(2026, 1, 31)
    apr, apr_end = date(2026, 4, 1), date(2026, 4, 30)
    # last 90 days: after 2026-04-25 − 90 days = 2026-01-25 → d2, d3
    w90, last = date(2026, 1, 26), date(2026, 4, 25)
    first = date(2026, 1, 10)
    unknown_se = 100 * math.sqrt((1 - 1 / 9) / 3)  # p = 1/3, d = 2/3, n = 3
    expected = pd.DataFrame(
        [
            ("nps", "month", jan, jan_end, "all", "all", 1, 100.0, 100.0, 100.0, 1, 0, 0, True),
            (
                "nps",
                "month",
                jan,
                jan_end,
                "plan",
                "unknown",
                1,
                100.0,
                100.0,
                100.0,
                1,
                0,
                0,
                True,
            ),
            ("nps", "month", apr, apr_end, "all", "all", 2, 0.0, -100.0, 100.0, 1, 0, 1, False),
            ("nps", "month", apr, apr_end, "plan", "pro", 1, 100.0, 100.0, 100.0, 1, 0, 0, True),
            (
                "nps",
                "month",
                apr,
                apr_end,
                "plan",
                "unknown",
                1,
                -100.0,
                -100.0,
                -100.0,
                0,
                0,
                1,
                True,
            ),
            ("nps", "last_90_days", w90, last, "all", "all", 2, 0.0, -100.0, 100.0, 1, 0, 1, False),
            (
                "nps",
                "last_90_days",
                w90,
                last,
                "plan",
                "pro",
                1,
                100.0,
                100.0,
                100.0,
                1,
                0,
                0,
                True,
            ),
            (
                "nps",
                "last_90_days",
                w90,
                last,
                "plan",
                "unknown",
                1,
                -100.0,
                -100.0,
                -100.0,
                0,
                0,
                1,
                True,
            ),
            # all time: 10, 0, 9 and the undated 6 → 2 promoters, 2 detractors; se = 50
            ("nps", "all_time", first, last, "all", "all", 4, 0.0, -98.0, 98.0, 2, 0, 2, False),
            ("nps", "all_time", first, last, "plan", "pro", 1, 100.0, 100.0, 100.0, 1, 0, 0, True),
            (
                "nps",
                "all_time",
                first,
                last,
                "plan",
                "unknown",
                3,
                -100 / 3,
                -100.0,
                -100 / 3 + 1.96 * unknown_se,
                1,
                0,
                2,
                False,
            ),
        ],
        columns=SURVEY_COLUMNS,
    )
    assert_table(con, "kpi_survey_scores", expected, SURVEY_KEYS)


def test_survey_scores_of_undated_responses_only_are_one_all_time_row():
    responses = pd.DataFrame(
        [
            {
                "response_id": "r1",
                "user_id": None,
                "metric": "csat",
                "score": 5.0,
                "submitted_at": None,
                "attributes": "{}",
            },
            {
                "response_id": "r2",
                "user_id": None,
                "metric": "csat",
                "score": 2.0,
                "submitted_at": None,
                "attributes": "{}",
            },
        ]
    )
    responses["submitted_at"] = responses["submitted_at"].astype("datetime64[us]")
    con = build_marts([], config={"segments": {"user_traits": []}}, responses=responses)
    se = 100 * math.sqrt(0.25 / 2)  # one of two satisfied
    expected = pd.DataFrame(
        # no response has a date: period_start is 1970-01-01 (a key is never null), no end
        [
            (
                "csat",
                "all_time",
                date(1970, 1, 1),
                None,
                "all",
                "all",
                2,
                50.0,
                max(50 - 1.96 * se, 0.0),  # 50 ± 69.3, clipped to the 0–100 scale
                min(50 + 1.96 * se, 100.0),
                None,
                None,
                None,
                True,
            )
        ],
        columns=SURVEY_COLUMNS,
    )
    assert_table(con, "kpi_survey_scores", expected, SURVEY_KEYS)
