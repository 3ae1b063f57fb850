"""compute_behaviour on a hand-worked warehouse: each respondent's window sits at the right
answer. Members of a pain point are read around their answer in it, everyone else around
their first answer, and the two differ here: a member who answered before (day 0) and again
in the pain point (day 40) has events that fall in both windows.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
import pandas as pd
import pytest

from pmanalytics.pain_points.behaviour import compute_behaviour
from tests.pain_points.helpers import load_staging

DAY0 = datetime(2026, 3, 2, 9, 0)
MEMBERS = ["u1", "u2", "u3"]
OTHERS = ["u4", "u5"]


def _at(day: int, hour: int = 0) -> datetime:
    return DAY0 + timedelta(days=day, hours=hour)


def _warehouse(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    responses = [
        (f"{user}-first", user, "nps", 5.0, _at(0), "fine") for user in MEMBERS + OTHERS
    ] + [(f"{user}-again", user, "nps", 2.0, _at(40), "export fails") for user in MEMBERS]
    events = []
    for user in MEMBERS:
        # day 20: in both windows (day 0 ± 28 and day 40 ± 28); days 60–61 only in the second
        for n, (day, ms) in enumerate([(20, 100), (20, 100), (60, 300), (60, 300), (61, 300)]):
            events.append((f"{user}-{n}", user, "Export Failed", _at(day), f'{{"ms": {ms}}}'))
    for user in OTHERS:
        events.append((f"{user}-0", user, "Export Failed", _at(5), '{"ms": 50}'))
    events.append(("u4-late", "u4", "Dashboard Loaded", _at(80), None))  # data end: day 80
    load_staging(
        con,
        pd.DataFrame(
            responses,
            columns=["response_id", "user_id", "metric", "score", "submitted_at", "comment"],
        ),
        pd.DataFrame(events, columns=["event_id", "user_id", "event", "occurred_at", "properties"]),
    )
    return pd.DataFrame(
        [("p1", user, _at(40)) for user in MEMBERS],
        columns=["pain_point_id", "user_id", "submitted_at"],
    )


def test_members_are_read_around_their_answer_in_the_pain_point(
    con: duckdb.DuckDBPyConnection,
) -> None:
    members = _warehouse(con)
    rows = compute_behaviour(con, members, min_support=1).set_index("measure")

    def measure(name: str) -> tuple[float, float, int, int]:
        row = rows.loc[name]
        return (row.respondents_value, row.others_value, row.respondents, row.others)

    # day 40's window (day 12 to 68): 5 events each, against day 0's 1 for the others
    assert measure("event_rate:Export Failed") == (pytest.approx(5.0), pytest.approx(1.0), 3, 2)
    # (2 × 100 + 3 × 300) / 5 for members; the others' one 50 each
    assert measure("property_mean:Export Failed.ms") == (
        pytest.approx(220.0),
        pytest.approx(50.0),
        3,
        2,
    )
    # days 60 and 61 after day 40; the others' day 5 after day 0
    assert measure("active_days_28d") == (pytest.approx(2.0), pytest.approx(1.0), 3, 2)
