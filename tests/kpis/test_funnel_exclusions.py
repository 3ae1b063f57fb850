"""Funnel exclusions with PostHog's semantics: an excluded event after step i, inside the
conversion window, drops the user whether or not they reach step j."""

from __future__ import annotations

import pandas as pd
import pytest

from .harness import FUNNEL_COLUMNS, assert_table, build_marts

NAN = float("nan")


@pytest.mark.parametrize(
    "exclusions",
    [["Cancel"], [{"event": "Cancel", "from_step": 1, "to_step": 2}]],
    ids=["plain list", "between steps 1 and 2"],
)
def test_the_four_users_of_the_reference_case(exclusions):
    # View → Buy within 1 day, Cancel excluded between them.
    # u1 converts cleanly (1 h).                                          kept, 2 steps
    # u2 converts with a Cancel between View and Buy.                     dropped
    # u3 never buys, but cancels 2 h after View: inside the window.        dropped
    # u4 never buys and cancels 1 day and 1 s after View: window closed.   kept, 1 step
    con = build_marts(
        [
            ("u1", "View", "2026-05-01 10:00"),
            ("u1", "Buy", "2026-05-01 11:00"),
            ("u2", "View", "2026-05-01 10:00"),
            ("u2", "Cancel", "2026-05-01 10:30"),
            ("u2", "Buy", "2026-05-01 11:00"),
            ("u3", "View", "2026-05-01 10:00"),
            ("u3", "Cancel", "2026-05-01 12:00"),
            ("u4", "View", "2026-05-01 10:00"),
            ("u4", "Cancel", "2026-05-02 10:00:01"),
        ],
        config={
            "funnels": [
                {"name": "buy", "steps": ["View", "Buy"], "window": "1d", "exclusions": exclusions}
            ]
        },
        tables=["kpi_funnel"],
    )
    expected = pd.DataFrame(
        [
            ("buy", 1, "View", 2, 1.0, 1.0, NAN, NAN),  # u1, u4
            ("buy", 2, "Buy", 1, 0.5, 0.5, 3600.0, 3600.0),  # u1
        ],
        columns=FUNNEL_COLUMNS,
    )
    assert_table(con, "kpi_funnel", expected, ["funnel", "step_number"])


def test_an_exclusion_between_two_later_steps_and_the_window_boundary():
    # Visit → Signup → Pay within 1 h; Error is excluded between steps 2 and 3 only.
    # a: Error before Signup: outside the range.                              kept, 3 steps
    # b: Error between Signup and Pay.                                       dropped
    # c: Error after Pay, still inside the window: after step 3.              kept, 3 steps
    # d: no Pay; Error at exactly Visit + 1 h (the window's end is inclusive). dropped
    # e: no Pay; Error 1 s after the window closed.                           kept, 2 steps
    # f: no Signup; an Error before step 2 is reached does not count.         kept, 1 step
    events = [
        ("a", "Visit", "2026-05-01 10:00"),
        ("a", "Error", "2026-05-01 10:05"),
        ("a", "Signup", "2026-05-01 10:10"),
        ("a", "Pay", "2026-05-01 10:20"),
        ("b", "Visit", "2026-05-01 10:00"),
        ("b", "Signup", "2026-05-01 10:10"),
        ("b", "Error", "2026-05-01 10:15"),
        ("b", "Pay", "2026-05-01 10:20"),
        ("c", "Visit", "2026-05-01 10:00"),
        ("c", "Signup", "2026-05-01 10:10"),
        ("c", "Pay", "2026-05-01 10:20"),
        ("c", "Error", "2026-05-01 10:25"),
        ("d", "Visit", "2026-05-01 10:00"),
        ("d", "Signup", "2026-05-01 10:10"),
        ("d", "Error", "2026-05-01 11:00"),
        ("e", "Visit", "2026-05-01 10:00"),
        ("e", "Signup", "2026-05-01 10:10"),
        ("e", "Error", "2026-05-01 11:00:01"),
        ("f", "Visit", "2026-05-01 10:00"),
        ("f", "Error", "2026-05-01 10:30"),
    ]
    con = build_marts(
        events,
        config={
            "funnels": [
                {
                    "name": "pay",
                    "steps": ["Visit", "Signup", "Pay"],
                    "window": "1h",
                    "exclusions": [{"event": "Error", "from_step": 2, "to_step": 3}],
                }
            ]
        },
        tables=["kpi_funnel"],
    )
    expected = pd.DataFrame(
        [
            ("pay", 1, "Visit", 4, 1.0, 1.0, NAN, NAN),  # a c e f
            ("pay", 2, "Signup", 3, 0.75, 0.75, 600.0, 600.0),  # a c e, 10 min each
            ("pay", 3, "Pay", 2, 0.5, 2 / 3, 600.0, 600.0),  # a c
        ],
        columns=FUNNEL_COLUMNS,
    )
    assert_table(con, "kpi_funnel", expected, ["funnel", "step_number"])
