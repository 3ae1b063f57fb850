"""Segment-spec NDJSON events: call types, broken lines, duplicates, odd text, timestamps."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from ingest_helpers import TS, Warehouse, outcome, segment, track, write_ndjson, write_text

from pmanalytics.errors import IngestError

EVENT_COLUMNS = (
    "row_number, event_id, event_type, user_id, anonymous_id, previous_id, event, "
    "properties, traits"
)
AT_10 = datetime(2026, 8, 3, 10, 0)


def _decoded(rows: list[tuple]) -> list[tuple]:
    """JSON columns (the last two of EVENT_COLUMNS) as Python values, key order ignored."""
    return [(*row[:-2], *(None if v is None else json.loads(v) for v in row[-2:])) for row in rows]


def test_each_segment_call_type_lands_with_its_shape(wh: Warehouse, tmp_path: Path) -> None:
    path = write_ndjson(
        tmp_path / "calls.ndjson",
        track("t1", event="Report Exported", properties={"format": "pdf"}),
        segment("page", "p1", anonymousId="a1", properties={"path": "/"}),
        segment("page", "p2", anonymousId="a1", name="Pricing", properties={"path": "/pricing"}),
        segment("screen", "s1", userId="u1"),
        segment("screen", "s2", userId="u1", name="Home"),
        segment("identify", "i1", userId="u1", anonymousId="a1", traits={"plan": "pro"}),
        segment("alias", "al1", userId="u1", previousId="old-1"),
    )

    assert outcome(wh.ingest_one("events", path)) == (7, 7, 0, 0, False)
    assert _decoded(wh.raw("events", path, EVENT_COLUMNS)) == [
        (1, "t1", "track", "u1", None, None, "Report Exported", {"format": "pdf"}, None),
        (2, "p1", "page", None, "a1", None, "Page Viewed", {"path": "/"}, None),
        (
            3,
            "p2",
            "page",
            None,
            "a1",
            None,
            "Page Viewed",
            {"name": "Pricing", "path": "/pricing"},
            None,
        ),
        (4, "s1", "screen", "u1", None, None, "Screen Viewed", None, None),
        (5, "s2", "screen", "u1", None, None, "Screen Viewed", {"name": "Home"}, None),
        (6, "i1", "identify", "u1", "a1", None, None, None, {"plan": "pro"}),
        (7, "al1", "alias", "u1", None, "old-1", None, None, None),
    ]
    assert wh.rows("select distinct occurred_at from raw.events") == [(AT_10,)]
    assert wh.quarantine("events", path) == []


def test_broken_lines_are_quarantined_at_their_physical_line(wh: Warehouse, tmp_path: Path) -> None:
    path = write_ndjson(
        tmp_path / "broken.ndjson",
        track("m1"),
        '{"type": "track", "messageId": "m9", "userId": "u1"',  # cut off mid-object
        "[1, 2, 3]",
        "",
        '"just a string"',
        "   ",
        track("m2"),
        "null",
        '[{"type": "track", "messageId": "m3", "userId": "u1", "event": "E"}]',
    )

    assert outcome(wh.ingest_one("events", path)) == (7, 2, 0, 5, False)
    assert wh.raw("events", path, "row_number, event_id") == [(1, "m1"), (7, "m2")]
    assert wh.quarantine("events", path) == [
        (2, "malformed JSON", '{"type": "track", "messageId": "m9", "userId": "u1"'),
        (3, "not a JSON object (found array)", "[1, 2, 3]"),
        (5, "not a JSON object (found varchar)", '"just a string"'),
        (8, "not a JSON object (found null)", "null"),
        (
            9,
            "not a JSON object (found array)",
            '[{"type": "track", "messageId": "m3", "userId": "u1", "event": "E"}]',
        ),
    ]


def test_duplicate_message_ids_inside_a_file_keep_the_first(wh: Warehouse, tmp_path: Path) -> None:
    path = write_ndjson(
        tmp_path / "dups.ndjson",
        track("m1", event="First"),
        track("m2"),
        track("m1", event="Second"),
        track("m1", event="Third"),
    )

    assert outcome(wh.ingest_one("events", path)) == (4, 2, 2, 0, False)
    assert wh.raw("events", path, "row_number, event_id, event") == [
        (1, "m1", "First"),
        (2, "m2", "Clicked"),
    ]


def test_duplicate_message_ids_across_files_are_not_loaded_twice(
    wh: Warehouse, tmp_path: Path
) -> None:
    first = write_ndjson(tmp_path / "day1.ndjson", track("m1"), track("m2"))
    second = write_ndjson(
        tmp_path / "day2.ndjson", track("m2", event="Again"), track("m3"), track("m3")
    )

    results = wh.ingest("events", first, second)

    assert [outcome(r) for r in results] == [(2, 2, 0, 0, False), (3, 1, 2, 0, False)]
    assert wh.raw("events", second, "row_number, event_id") == [(2, "m3")]
    assert wh.rows("select event_id, event from raw.events order by event_id") == [
        ("m1", "Clicked"),
        ("m2", "Clicked"),
        ("m3", "Clicked"),
    ]


def test_a_valid_event_is_not_dropped_as_a_duplicate_of_a_quarantined_one(
    wh: Warehouse, tmp_path: Path
) -> None:
    # A retried delivery: the first copy is broken, the second is good. The good one must
    # load; counting it as a "duplicate" of a row that never reached raw.events loses it.
    path = write_ndjson(
        tmp_path / "retry.ndjson",
        track("m1", timestamp="not a time"),
        track("m1"),
    )

    result = wh.ingest_one("events", path)

    assert wh.raw("events", path, "row_number, event_id") == [(2, "m1")]
    assert wh.quarantine("events", path) == [
        (1, 'unparseable timestamp "not a time"', json.dumps(track("m1", timestamp="not a time"))),
    ]
    assert outcome(result) == (2, 1, 0, 1, False)


def test_unknown_top_level_fields_are_accepted(wh: Warehouse, tmp_path: Path) -> None:
    path = write_ndjson(
        tmp_path / "extra.ndjson",
        track(
            "m1",
            channel="server",
            version=2,
            receivedAt="2026-08-03T10:00:01Z",
            integrations={"All": True},
            x_custom=[1, {"deep": None}],
            context={"library": {"name": "analytics-python"}},
        ),
    )

    assert outcome(wh.ingest_one("events", path)) == (1, 1, 0, 0, False)
    assert wh.raw("events", path, "event_id, user_id, event, occurred_at, context") == [
        ("m1", "u1", "Clicked", AT_10, '{"library":{"name":"analytics-python"}}'),
    ]


def test_huge_strings_are_loaded_whole(wh: Warehouse, tmp_path: Path) -> None:
    blob = "ab" * 2_500_000  # 5 MB
    name = "Very Long Event " + "x" * 300_000  # 300 KB
    path = write_ndjson(
        tmp_path / "huge.ndjson",
        track("small"),
        track("big", event=name, properties={"blob": blob, "n": 1}),
        track("after"),
    )

    assert outcome(wh.ingest_one("events", path)) == (3, 3, 0, 0, False)
    assert wh.raw("events", path, "row_number, event_id") == [
        (1, "small"),
        (2, "big"),
        (3, "after"),
    ]
    ((event, stored_blob, n),) = wh.rows(
        "select event, properties ->> '$.blob', properties ->> '$.n' from raw.events "
        "where event_id = 'big'"
    )
    assert (len(event), len(stored_blob), n) == (len(name), 5_000_000, "1")
    assert event == name
    assert stored_blob == blob


def test_emoji_and_non_latin_text_round_trip_exactly(wh: Warehouse, tmp_path: Path) -> None:
    user = "ユーザー・太郎"
    event = "購入完了 🎉"
    properties = {"arabic": "مرحبا بالعالم", "emoji": "👩🏽‍💻🇯🇵", "mixed": "東京 — دبي ✓"}
    raw_utf8 = json.dumps(
        track("m1", user=user, event=event, properties=properties), ensure_ascii=False
    )
    escaped = json.dumps(track("m2", user=user, event=event, properties=properties))
    assert "\\u" in escaped and "\\u" not in raw_utf8
    path = write_ndjson(tmp_path / "text.ndjson", raw_utf8, escaped)

    assert outcome(wh.ingest_one("events", path)) == (2, 2, 0, 0, False)
    rows = wh.raw("events", path, "event_id, user_id, event, properties")
    assert [(i, u, e, json.loads(p)) for i, u, e, p in rows] == [
        ("m1", user, event, properties),
        ("m2", user, event, properties),
    ]


def test_crlf_endings_a_bom_and_blank_lines(wh: Warehouse, tmp_path: Path) -> None:
    records = (
        track(None, event="A"),
        "",
        track(None, event="B"),
        "{oops",
        "",
        "  ",
        track(None, event="C"),
    )
    windows = write_ndjson(tmp_path / "windows.ndjson", *records, newline="\r\n", bom=True)

    assert outcome(wh.ingest_one("events", windows)) == (4, 3, 0, 1, False)
    # no BOM in the first record, no \r at the end of any: same ids as a plain LF file
    assert wh.raw("events", windows, "row_number, user_id, event") == [
        (1, "u1", "A"),
        (3, "u1", "B"),
        (7, "u1", "C"),
    ]
    assert wh.quarantine("events", windows) == [(4, "malformed JSON", "{oops")]

    unix = write_ndjson(tmp_path / "unix.ndjson", *records)
    assert outcome(wh.ingest_one("events", unix)) == (4, 0, 3, 1, False)


def test_a_gzip_file_reads_like_the_plain_one(wh: Warehouse, tmp_path: Path) -> None:
    records = (track(None, event="A"), "", track("m2"), "not json")
    packed = write_ndjson(tmp_path / "events.ndjson.gz", *records, compress=True)
    plain = write_ndjson(tmp_path / "events.ndjson", *records)

    assert outcome(wh.ingest_one("events", packed)) == (3, 2, 0, 1, False)
    assert wh.raw("events", packed, "row_number, event") == [(1, "A"), (3, "Clicked")]
    assert wh.quarantine("events", packed) == [(4, "malformed JSON", "not json")]
    assert outcome(wh.ingest_one("events", plain)) == (3, 0, 2, 1, False)


def test_an_empty_file_loads_zero_rows_and_is_recorded(wh: Warehouse, tmp_path: Path) -> None:
    empty = write_text(tmp_path / "empty.ndjson", "")
    blank = write_text(tmp_path / "blank.ndjson", "\n\r\n   \n")

    results = wh.ingest("events", empty, blank)

    assert [outcome(r) for r in results] == [(0, 0, 0, 0, False)] * 2
    assert wh.meta(empty) == [("events", 0, 0, 0, 0)]
    assert wh.meta(blank) == [("events", 0, 0, 0, 0)]
    assert wh.rows("select path, bytes from meta.ingested_files order by bytes") == [
        (str(empty), 0),
        (str(blank), 7),
    ]
    assert wh.totals()["raw.events"] == 0
    assert wh.totals()["quarantine.events"] == 0


def test_offsets_are_converted_to_utc_and_naive_times_taken_as_utc(
    wh: Warehouse, tmp_path: Path
) -> None:
    stamps = [
        "2026-08-03T10:00:00+02:00",
        "2026-08-03T10:00:00",
        "2026-08-03T10:00:00Z",
        "2026-08-03T10:00:00-05:30",
        "2026-08-03T23:30:00-01:00",
        "2026-08-03T10:00:00.250+02:00",
        "2026-08-03 10:00:00",
    ]
    path = write_ndjson(
        tmp_path / "zones.ndjson", *(track(f"m{i}", timestamp=t) for i, t in enumerate(stamps))
    )

    assert outcome(wh.ingest_one("events", path)) == (7, 7, 0, 0, False)
    assert [t for (t,) in wh.raw("events", path, "occurred_at")] == [
        datetime(2026, 8, 3, 8, 0),
        datetime(2026, 8, 3, 10, 0),
        datetime(2026, 8, 3, 10, 0),
        datetime(2026, 8, 3, 15, 30),
        datetime(2026, 8, 4, 0, 30),
        datetime(2026, 8, 3, 8, 0, 0, 250_000),
        datetime(2026, 8, 3, 10, 0),
    ]


def test_a_missing_message_id_is_derived_from_the_content(wh: Warehouse, tmp_path: Path) -> None:
    records = (
        track(None, event="A"),
        track(None, event="B"),
        track(None, event="A"),  # the same content again: the same event
        track(None, event="A", timestamp="2026-08-03T10:00:01Z"),  # a different event
    )
    first = write_ndjson(tmp_path / "export.ndjson", *records)

    assert outcome(wh.ingest_one("events", first)) == (4, 3, 1, 0, False)
    ids = [i for (i,) in wh.raw("events", first, "event_id")]
    assert len(set(ids)) == 3
    assert all(i.startswith("derived-") for i in ids)

    # the same records in a renamed, re-saved copy (other bytes, so not skipped as a file)
    renamed = write_ndjson(tmp_path / "export-copy.ndjson", *records, "", newline="\r\n")
    assert outcome(wh.ingest_one("events", renamed)) == (4, 0, 4, 0, False)
    assert [i for (i,) in wh.rows("select event_id from raw.events order by row_number")] == ids

    # and a byte-identical copy is recognised as already loaded
    identical = write_ndjson(tmp_path / "export-again.ndjson", *records)
    assert outcome(wh.ingest_one("events", identical)) == (0, 0, 0, 0, True)
    assert wh.totals()["raw.events"] == 3
    assert len(wh.rows("select * from meta.ingested_files")) == 2


def test_bad_timestamps_are_quarantined_with_a_reason(wh: Warehouse, tmp_path: Path) -> None:
    no_timestamp = {"type": "track", "messageId": "m5", "userId": "u1", "event": "E"}
    path = write_ndjson(
        tmp_path / "times.ndjson",
        track("m1", timestamp="not a time"),
        track("m2", timestamp="1999-12-31T23:59:59Z"),
        track("m3", timestamp="2999-01-01T00:00:00Z"),
        track("m4", timestamp="2000-01-01T00:00:00Z"),  # the earliest accepted instant
        no_timestamp,
        track("m6", timestamp="2026-02-30T00:00:00Z"),
        track("m7", timestamp="2000-01-01T01:00:00+02:00"),  # 1999-12-31T23:00Z
        track("m8", timestamp=None),
    )
    started = datetime.now(UTC).replace(tzinfo=None)

    assert outcome(wh.ingest_one("events", path)) == (8, 1, 0, 7, False)
    assert wh.raw("events", path, "event_id, occurred_at") == [("m4", datetime(2000, 1, 1))]
    quarantined = wh.quarantine("events", path)
    assert [(n, raw) for n, _, raw in quarantined] == [
        (n, json.dumps(r))
        for n, r in [
            (1, track("m1", timestamp="not a time")),
            (2, track("m2", timestamp="1999-12-31T23:59:59Z")),
            (3, track("m3", timestamp="2999-01-01T00:00:00Z")),
            (5, no_timestamp),
            (6, track("m6", timestamp="2026-02-30T00:00:00Z")),
            (7, track("m7", timestamp="2000-01-01T01:00:00+02:00")),
            (8, track("m8", timestamp=None)),
        ]
    ]
    reasons = [reason for _, reason, _ in quarantined]
    outside = re.compile(
        r"timestamp (\S+) outside the accepted range 2000-01-01 \.\. "
        r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)"
    )
    latest = {m.group(2) for r in reasons if (m := outside.fullmatch(r))}
    assert len(latest) == 1
    (bound,) = latest
    expected_bound = started + timedelta(days=1)
    assert abs(datetime.strptime(bound, "%Y-%m-%dT%H:%M:%SZ") - expected_bound) < timedelta(
        minutes=5
    )
    assert reasons == [
        'unparseable timestamp "not a time"',
        f"timestamp 1999-12-31T23:59:59Z outside the accepted range 2000-01-01 .. {bound}",
        f"timestamp 2999-01-01T00:00:00Z outside the accepted range 2000-01-01 .. {bound}",
        "missing timestamp",
        'unparseable timestamp "2026-02-30T00:00:00Z"',
        f"timestamp 1999-12-31T23:00:00Z outside the accepted range 2000-01-01 .. {bound}",
        "missing timestamp",
    ]


def test_missing_ids_and_ids_of_the_wrong_json_type(wh: Warehouse, tmp_path: Path) -> None:
    records = [
        track("m1", user=None),
        track("m2", user={"id": "u1"}),
        track("m3", user=["u1"]),
        track("m4", user=True),
        track("m5", user=None, anonymousId={"id": "a1"}),
        track("m6", user=42),
        track("m7", user="", anonymousId="a7"),
        track("m8", user="   "),
        track("m9", user=None, anonymousId=None),
        track("m10", user="u10", anonymousId=7),
    ]
    path = write_ndjson(tmp_path / "ids.ndjson", *records)

    assert outcome(wh.ingest_one("events", path)) == (10, 3, 0, 7, False)
    assert wh.raw("events", path, "row_number, event_id, user_id, anonymous_id") == [
        (6, "m6", "42", None),
        (7, "m7", None, "a7"),
        (10, "m10", "u10", "7"),
    ]
    assert wh.quarantine("events", path) == [
        (n, reason, json.dumps(records[n - 1]))
        for n, reason in [
            (1, "missing both a user id and an anonymous id"),
            (2, '"userId" must be a string or an integer'),
            (3, '"userId" must be a string or an integer'),
            (4, '"userId" must be a string or an integer'),
            (5, '"anonymousId" must be a string or an integer'),
            (8, "missing both a user id and an anonymous id"),
            (9, "missing both a user id and an anonymous id"),
        ]
    ]


def test_calls_that_break_the_segment_spec_are_quarantined(wh: Warehouse, tmp_path: Path) -> None:
    records = [
        {"messageId": "m1", "userId": "u1", "event": "E", "timestamp": TS},
        segment("group", "m2", userId="u1", groupId="g1"),
        segment(7, "m3", userId="u1"),  # type: ignore[arg-type]
        track("m4", event=""),
        track("m5", event={"name": "E"}),  # type: ignore[arg-type]
        segment("alias", "m6", userId="u1"),
        segment("alias", "m7", previousId="old"),
        track("m8", properties=["a", "b"]),
        track({"id": 1}),  # type: ignore[arg-type]
        segment("TRACK", "m10", userId="u1", event="Upper"),
    ]
    path = write_ndjson(tmp_path / "spec.ndjson", *records)

    assert outcome(wh.ingest_one("events", path)) == (10, 1, 0, 9, False)
    assert wh.raw("events", path, "event_id, event_type, event") == [("m10", "track", "Upper")]
    assert wh.quarantine("events", path) == [
        (n, reason, json.dumps(records[n - 1]))
        for n, reason in [
            (1, 'missing "type"'),
            (2, 'unsupported call type "group"'),
            (3, '"type" must be a string'),
            (4, "empty event name"),
            (5, '"event" must be a string'),
            (6, 'alias call without "previousId"'),
            (7, 'alias call without "userId"'),
            (8, '"properties" must be a JSON object'),
            (9, '"messageId" must be a string or an integer'),
        ]
    ]


def test_a_json_array_file_numbers_records_by_position(wh: Warehouse, tmp_path: Path) -> None:
    records = [
        track("a1"),
        1,
        None,
        [track("a2")],
        track("a3", user=None),
        track("a1"),
        track("a4"),
    ]
    path = write_text(tmp_path / "export.json", "\ufeff\n  " + json.dumps(records, indent=2))

    assert outcome(wh.ingest_one("events", path)) == (7, 2, 1, 4, False)
    assert wh.raw("events", path, "row_number, event_id") == [(1, "a1"), (7, "a4")]
    assert [(n, reason, json.loads(raw)) for n, reason, raw in wh.quarantine("events", path)] == [
        (2, "not a JSON object (found ubigint)", 1),
        (3, "not a JSON object (found null)", None),
        (4, "not a JSON object (found array)", [track("a2")]),
        (5, "missing both a user id and an anonymous id", track("a3", user=None)),
    ]


def test_a_broken_json_array_fails_whole_and_writes_nothing(wh: Warehouse, tmp_path: Path) -> None:
    path = write_text(tmp_path / "export.json", "[" + json.dumps(track("a1")) + ", {broken]")

    with pytest.raises(IngestError) as caught:
        wh.ingest_one("events", path)

    assert str(caught.value).startswith(f"{path}: not readable as a JSON array")
    assert set(wh.totals().values()) == {0}


def test_a_pretty_printed_json_document_is_read_as_records(wh: Warehouse, tmp_path: Path) -> None:
    # One object spread over lines is one record, not N "malformed JSON" lines.
    first, second = track("m1"), track("m2", event="Second")
    path = write_text(
        tmp_path / "export.json",
        json.dumps(first, indent=2) + "\n" + json.dumps(second, indent=4) + "\n",
    )

    result = wh.ingest_one("events", path)

    assert outcome(result) == (2, 2, 0, 0, False)
    assert wh.raw("events", path, "row_number, event_id, event") == [
        (1, "m1", "Clicked"),
        (2, "m2", "Second"),
    ]
