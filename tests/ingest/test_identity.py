"""Identity resolution through ``build()``: staging.identity_map, staging.events, staging.users.

Whatever order files arrive in, one person is one user_id: anonymous activity before a login,
old ids merged by alias calls, traits from identify calls and users files.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from ingest_helpers import Warehouse, segment, write_ndjson, write_text

from pmanalytics.pipeline import build


def _page(message_id: str, anonymous_id: str, at: str) -> dict:
    return segment("page", message_id, anonymousId=anonymous_id, timestamp=at)


def _events(wh: Warehouse) -> list[tuple]:
    """``(event_id, user_id, anonymous_id)`` of staging.events, by event_id."""
    return wh.rows("select event_id, user_id, anonymous_id from staging.events order by 1")


def _people(wh: Warehouse) -> list[str]:
    return [u for (u,) in wh.rows("select user_id from staging.users order by 1")]


def test_anonymous_events_get_the_user_of_an_identify_loaded_later(
    wh: Warehouse, tmp_path: Path
) -> None:
    browsing = write_ndjson(
        tmp_path / "monday.ndjson",
        _page("p1", "anon-1", "2026-08-03T09:00:00Z"),
        segment(
            "track",
            "t1",
            anonymousId="anon-1",
            event="Pricing Viewed",
            timestamp="2026-08-03T09:05:00Z",
        ),
    )
    login = write_ndjson(
        tmp_path / "tuesday.ndjson",
        segment(
            "identify",
            "i1",
            userId="user-1",
            anonymousId="anon-1",
            timestamp="2026-08-04T10:00:00Z",
        ),
        segment(
            "track", "t2", userId="user-1", event="Signed In", timestamp="2026-08-04T10:00:01Z"
        ),
    )
    wh.ingest("events", browsing)
    build(wh.con, wh.config)
    assert _events(wh) == [("p1", "anon-1", "anon-1"), ("t1", "anon-1", "anon-1")]

    wh.ingest("events", login)
    build(wh.con, wh.config)

    assert _events(wh) == [
        ("p1", "user-1", "anon-1"),
        ("t1", "user-1", "anon-1"),
        ("t2", "user-1", None),
    ]
    assert _people(wh) == ["user-1"]
    assert wh.rows("select first_seen_at, last_seen_at, count_events from staging.users") == [
        (datetime(2026, 8, 3, 9), datetime(2026, 8, 4, 10, 0, 1), 3),
    ]


def test_an_identify_loaded_before_the_events_also_links_them(
    wh: Warehouse, tmp_path: Path
) -> None:
    login = write_ndjson(
        tmp_path / "identify.ndjson",
        segment(
            "identify",
            "i1",
            userId="user-1",
            anonymousId="anon-1",
            timestamp="2026-08-01T10:00:00Z",
        ),
    )
    later = write_ndjson(
        tmp_path / "pages.ndjson",
        _page("p1", "anon-1", "2026-08-03T09:00:00Z"),
        _page("p2", "anon-1", "2026-07-30T09:00:00Z"),  # before the identify, too
    )
    wh.ingest("events", login, later)

    build(wh.con, wh.config)

    assert _events(wh) == [("p1", "user-1", "anon-1"), ("p2", "user-1", "anon-1")]
    assert wh.rows("select alias_id, user_id, link_type from staging.identity_map") == [
        ("anon-1", "user-1", "identify"),
    ]


def test_an_anonymous_id_never_linked_stays_its_own_person(wh: Warehouse, tmp_path: Path) -> None:
    path = write_ndjson(
        tmp_path / "events.ndjson",
        _page("p1", "anon-1", "2026-08-03T09:00:00Z"),
        _page("p2", "anon-2", "2026-08-03T09:30:00Z"),
        _page("p3", "anon-2", "2026-08-03T11:00:00Z"),
        segment("identify", "i1", userId="user-1", anonymousId="anon-1"),
    )
    wh.ingest("events", path)

    build(wh.con, wh.config)

    assert _events(wh) == [
        ("p1", "user-1", "anon-1"),
        ("p2", "anon-2", "anon-2"),
        ("p3", "anon-2", "anon-2"),
    ]
    assert wh.rows(
        "select user_id, first_seen_at, last_seen_at, is_identified, count_events "
        "from staging.users order by 1"
    ) == [
        ("anon-2", datetime(2026, 8, 3, 9, 30), datetime(2026, 8, 3, 11), False, 2),
        ("user-1", datetime(2026, 8, 3, 9), datetime(2026, 8, 3, 9), True, 1),
    ]


def test_an_alias_merges_an_old_user_id_into_the_new_one(wh: Warehouse, tmp_path: Path) -> None:
    history = write_ndjson(
        tmp_path / "history.ndjson",
        segment("track", "t1", userId="crm-17", event="Opened", timestamp="2026-06-01T08:00:00Z"),
        segment(
            "identify",
            "i1",
            userId="crm-17",
            traits={"plan": "free"},
            timestamp="2026-06-01T08:00:00Z",
        ),
        _page("p1", "anon-5", "2026-06-02T08:00:00Z"),
    )
    merge = write_ndjson(
        tmp_path / "merge.ndjson",
        segment(
            "alias", "a1", userId="user-1", previousId="crm-17", timestamp="2026-08-01T00:00:00Z"
        ),
        segment(
            "alias", "a2", userId="user-1", previousId="anon-5", timestamp="2026-08-01T00:00:00Z"
        ),
        segment("track", "t2", userId="user-1", event="Opened", timestamp="2026-08-03T10:00:00Z"),
    )
    survey = write_text(
        tmp_path / "nps.csv",
        "response_id,user_id,submitted_at,metric,score\nr1,crm-17,2026-06-05,nps,6\n",
    )
    wh.ingest("events", history, merge)
    wh.ingest("surveys", survey)

    build(wh.con, wh.config)

    assert _events(wh) == [
        ("p1", "user-1", "anon-5"),
        ("t1", "user-1", None),
        ("t2", "user-1", None),
    ]
    assert wh.rows(
        "select user_id, first_seen_at, last_seen_at, plan, count_events from staging.users"
    ) == [("user-1", datetime(2026, 6, 1, 8), datetime(2026, 8, 3, 10), "free", 3)]
    assert wh.rows("select response_id, user_id from staging.survey_responses") == [
        ("r1", "user-1"),
    ]


def test_an_anonymous_id_linked_to_an_old_user_id_follows_its_alias(
    wh: Warehouse, tmp_path: Path
) -> None:
    # anon-3 logged in as old-9 (an id from the old auth system); old-9 was later aliased
    # to user-9. Every event of that person must carry user-9.
    path = write_ndjson(
        tmp_path / "events.ndjson",
        _page("p1", "anon-3", "2026-06-01T09:00:00Z"),
        segment(
            "identify",
            "i1",
            userId="old-9",
            anonymousId="anon-3",
            traits={"plan": "free"},
            timestamp="2026-06-01T10:00:00Z",
        ),
        segment(
            "alias", "a1", userId="user-9", previousId="old-9", timestamp="2026-07-01T10:00:00Z"
        ),
        segment("track", "t1", userId="user-9", event="Opened", timestamp="2026-07-02T10:00:00Z"),
    )
    wh.ingest("events", path)

    build(wh.con, wh.config)

    assert _events(wh) == [("p1", "user-9", "anon-3"), ("t1", "user-9", None)]
    assert _people(wh) == ["user-9"]


def test_identify_traits_fill_staging_users(wh: Warehouse, tmp_path: Path) -> None:
    path = write_ndjson(
        tmp_path / "events.ndjson",
        segment(
            "identify",
            "i1",
            userId="user-1",
            timestamp="2026-08-01T10:00:00Z",
            traits={
                "plan": "free",
                "country": "JP",
                "createdAt": "2026-05-01T09:00:00+09:00",
                "company": "株式会社テスト",
            },
        ),
        segment(
            "identify",
            "i2",
            userId="user-1",
            timestamp="2026-08-02T10:00:00Z",
            traits={"plan": "pro"},
        ),
        segment("track", "t1", userId="user-1", event="Opened", timestamp="2026-08-03T10:00:00Z"),
        segment(
            "identify",
            "i3",
            userId="user-2",
            timestamp="2026-08-01T10:00:00Z",
            traits={"country": "EG", "platform": "android"},
        ),
        segment("track", "t2", userId="user-2", event="Opened", timestamp="2026-08-02T07:00:00Z"),
        segment("track", "t3", userId="user-2", event="Opened", timestamp="2026-08-04T07:00:00Z"),
    )
    wh.ingest("events", path)

    build(wh.con, wh.config)

    rows = wh.rows(
        "select user_id, first_seen_at, last_seen_at, plan, country, platform, traits "
        "from staging.users order by 1"
    )
    assert [(*r[:-1], json.loads(r[-1])) for r in rows] == [
        (
            "user-1",
            datetime(2026, 5, 1),
            datetime(2026, 8, 3, 10),
            "pro",
            "JP",
            None,
            {
                "plan": "pro",
                "country": "JP",
                "createdAt": "2026-05-01T09:00:00+09:00",
                "company": "株式会社テスト",
            },
        ),
        (
            "user-2",
            datetime(2026, 8, 2, 7),
            datetime(2026, 8, 4, 7),
            None,
            "EG",
            "android",
            {"country": "EG", "platform": "android"},
        ),
    ]


def test_an_empty_users_file_cell_does_not_erase_an_identify_trait(
    wh: Warehouse, tmp_path: Path
) -> None:
    events = write_ndjson(
        tmp_path / "events.ndjson",
        segment(
            "identify",
            "i1",
            userId="user-1",
            timestamp="2026-08-01T10:00:00Z",
            traits={"plan": "pro", "country": "JP"},
        ),
        segment("track", "t1", userId="user-1", event="Opened", timestamp="2026-08-03T10:00:00Z"),
        segment("track", "t2", userId="user-2", event="Opened", timestamp="2026-08-03T10:00:00Z"),
    )
    crm = write_text(
        tmp_path / "crm.csv",
        "user_id,plan,country,platform,created_at\n"
        "user-1,,DE,ios,\n"
        "user-2,team,,web,2026-02-01T00:00:00+01:00\n",
    )
    wh.ingest("events", events)
    wh.ingest("users", crm)

    build(wh.con, wh.config)

    assert wh.rows(
        "select user_id, first_seen_at, plan, country, platform from staging.users order by 1"
    ) == [
        ("user-1", datetime(2026, 8, 3, 10), "pro", "DE", "ios"),
        ("user-2", datetime(2026, 1, 31, 23), "team", None, "web"),
    ]
