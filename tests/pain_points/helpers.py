"""Small hand-made warehouses for the pain-point tests (no ingest, no pipeline)."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta

import duckdb
import pandas as pd

THEMES: dict[str, list[str]] = {
    "export": [
        "PDF export keeps failing",
        "export to csv fails every time",
        "exports fail, the pdf export is broken",
        "cannot export my report to pdf, export failed",
        "the csv export failed again",
        "export of reports to pdf keeps failing",
    ],
    "slow": [
        "dashboards are so slow to load",
        "dashboard loading is slow, takes forever to load",
        "slow dashboards, loading takes ages",
        "the dashboard is slow and loading forever",
        "loading dashboards is so slow",
        "slow slow slow dashboard loading",
    ],
    "pricing": [
        "too expensive, the price per seat is too high",
        "pricing is too expensive for our team",
        "the price is too high, too expensive",
        "expensive pricing per seat",
        "price per seat too expensive, we need a discount",
        "too expensive price",
    ],
    "crash": [
        "the mobile app crashes on my iphone",
        "app crashes every time I open it on android",
        "mobile app keeps crashing and force closes",
        "the iphone app crashed again",
        "app crash on startup, mobile is unusable",
        "crashes all the time in the mobile app",
    ],
    "sso": [
        "please add single sign on, sso login with okta",
        "we need sso login via okta single sign on",
        "no sso login, single sign on is a must",
        "would love sso single sign on login with azure okta",
    ],
}

START = datetime(2026, 1, 5, 9, 0)  # a Monday


def comments_frame(
    weeks: range, themes: list[str], per_week: int = 3, seed: int = 0
) -> pd.DataFrame:
    """NPS responses: per week and theme ``per_week`` comments drawn from the theme's phrasing."""
    rnd = random.Random(seed)
    rows = []
    for week in weeks:
        for theme in themes:
            for i in range(per_week):
                text = rnd.choice(THEMES[theme])
                at = START + timedelta(weeks=week - 1, hours=i * 5 + len(theme))
                rid = f"r_{week:02d}_{theme}_{i}"
                score = 9 if theme == "sso" else 3
                rows.append((rid, f"u_{theme}_{week}_{i}", "nps", float(score), at, text))
    return pd.DataFrame(
        rows, columns=["response_id", "user_id", "metric", "score", "submitted_at", "comment"]
    )


def numeric_properties(properties: object) -> list[dict[str, object]] | None:
    """staging.events.numeric_properties worked out in Python from the properties text: the
    top-level values that are JSON numbers (not booleans, strings or objects), or None."""
    if not isinstance(properties, str):  # None, or NaN in a pandas string column
        return None
    value = json.loads(properties)
    if not isinstance(value, dict):
        return None
    pairs = [
        {"key": key, "value": float(number)}
        for key, number in value.items()
        if isinstance(number, int | float) and not isinstance(number, bool)
    ]
    return pairs or None


def load_staging(
    con: duckdb.DuckDBPyConnection, responses: pd.DataFrame, events: pd.DataFrame | None = None
) -> None:
    """Replace staging.survey_responses (and staging.events) with hand-made rows."""
    con.execute(
        "create or replace table staging.survey_responses (response_id varchar, user_id varchar, "
        "survey varchar, metric varchar, score double, submitted_at timestamp, comment varchar, "
        "attributes json, source_file varchar)"
    )
    con.execute(
        "create or replace table staging.events (event_id varchar, user_id varchar, "
        "event varchar, event_type varchar, occurred_at timestamp, properties json, "
        "numeric_properties struct(key varchar, value double)[])"
    )
    if len(responses):
        con.register("_r", responses)
        con.execute(
            "insert into staging.survey_responses select response_id, user_id, 'test', metric, "
            "score, submitted_at, comment, null, 'test.csv' from _r"
        )
        con.unregister("_r")
    if events is not None and len(events):
        events = events.assign(numeric_properties=events["properties"].map(numeric_properties))
        con.register("_e", events)
        con.execute(
            "insert into staging.events select event_id, user_id, event, 'track', occurred_at, "
            "properties, numeric_properties from _e"
        )
        con.unregister("_e")
