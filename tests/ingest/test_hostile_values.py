"""Values that parse but cannot be true: quarantined with a reason, never loaded as given."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pmanalytics.config import parse_config
from pmanalytics.ingest import ingest_files
from pmanalytics.warehouse import compose, connect

CONFIG = parse_config({})


def _ingest(tmp: Path, kind: str, path: Path) -> list[tuple]:
    """Load one file into a fresh warehouse; (loaded, quarantined, reasons by row)."""
    con = connect(tmp / f"{path.stem}.duckdb")
    try:
        [result] = ingest_files(con, kind, [path], config=CONFIG)
        assert result.rows_read == result.rows_loaded + result.rows_duplicate + (
            result.rows_quarantined
        )
        reasons = con.execute(
            "select row_number, reason from quarantine.events "
            "union all select row_number, reason from quarantine.survey_responses order by 1"
        ).fetchall()
        return [result.rows_loaded, result.rows_quarantined, reasons]
    finally:
        con.close()


def _events_file(tmp: Path, timestamps: list[str]) -> Path:
    path = tmp / "events.ndjson"
    path.write_text(
        "".join(
            json.dumps(
                {"type": "track", "messageId": f"m{i}", "userId": "u", "event": "E", "timestamp": t}
            )
            + "\n"
            for i, t in enumerate(timestamps)
        )
    )
    return path


def test_impossible_offsets_are_quarantined_possible_ones_converted(tmp_path: Path) -> None:
    stamps = [
        "2026-08-03T10:00:00+99:00",  # 1: +99 h would move the event by four days
        "2026-08-03T10:00:00-13:00",  # 2: no zone is 13 h behind UTC
        "2026-08-03T10:00:00+14:30",  # 3: nor 14 h 30 ahead
        "2026-08-03T10:00:00.250+05:75",  # 4: 75 minutes
        "2026-08-03T10:00:00+14:00",  # Kiribati
        "2026-08-03T10:00:00-12:00",  # Baker Island
        "2026-08-03 10:00:00+0530",  # India, without the colon
    ]
    loaded, quarantined, reasons = _ingest(tmp_path, "events", _events_file(tmp_path, stamps))
    assert (loaded, quarantined) == (3, 4)
    assert [row for row, _ in reasons] == [1, 2, 3, 4]
    assert all(r.startswith("impossible UTC offset in timestamp") for _, r in reasons)
    assert '"2026-08-03T10:00:00+99:00"' in reasons[0][1]


@settings(max_examples=40, deadline=None)
@given(
    sign=st.sampled_from("+-"),
    hours=st.integers(0, 99),
    minutes=st.integers(0, 99),
    colon=st.booleans(),
)
def test_an_offset_is_accepted_exactly_when_a_zone_could_have_it(
    tmp_path_factory: pytest.TempPathFactory, sign: str, hours: int, minutes: int, colon: bool
) -> None:
    offset = f"{sign}{hours:02d}{':' if colon else ''}{minutes:02d}"
    possible = minutes < 60 and hours * 60 + minutes <= (14 if sign == "+" else 12) * 60
    tmp = tmp_path_factory.mktemp("offset")
    loaded, quarantined, reasons = _ingest(
        tmp, "events", _events_file(tmp, [f"2026-08-03T10:00:00{offset}"])
    )
    assert (loaded, quarantined) == ((1, 0) if possible else (0, 1)), offset
    if not possible:
        assert reasons[0][1].startswith("impossible UTC offset")


def test_a_survey_date_with_an_impossible_offset_is_quarantined(tmp_path: Path) -> None:
    path = tmp_path / "surveys.csv"
    path.write_text(
        "response_id,user_id,submitted_at,survey,metric,score,comment\n"
        "r1,u1,2026-08-03T10:00:00+99:00,s,nps,9,ok\n"
        "r2,u1,2026-08-03T10:00:00+02:00,s,nps,9,ok\n"
    )
    loaded, quarantined, reasons = _ingest(tmp_path, "surveys", path)
    assert (loaded, quarantined) == (1, 1)
    assert reasons[0][1].startswith("impossible UTC offset in submitted_at")


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("event", ["Signed Up", "Clicked"], '"event" must be a string'),
        ("user_id", ["u1", "u2"], '"user_id" must be a string or an integer'),
        ("event_id", ["e1"], '"event_id" must be a string or an integer'),
        ("session_id", ["s1", "s2"], '"session_id" must be a string or an integer'),
    ],
)
def test_list_values_in_parquet_are_quarantined_not_turned_into_text(
    tmp_path: Path, column: str, value: list[str], reason: str
) -> None:
    row = {
        "event_id": "e1",
        "user_id": "u1",
        "event": "Signed Up",
        "occurred_at": dt.datetime(2026, 8, 3, 10),
        "session_id": "s1",
    }
    good = dict(row, event_id="e2")
    table = pa.Table.from_pylist([{**row, column: value}])  # that column typed as a list
    path = tmp_path / "events.parquet"
    pq.write_table(table, path)
    loaded, quarantined, reasons = _ingest(tmp_path, "events", path)
    assert (loaded, quarantined, reasons) == (0, 1, [(1, reason)])
    pq.write_table(pa.Table.from_pylist([good]), tmp_path / "good.parquet")
    assert _ingest(tmp_path, "events", tmp_path / "good.parquet")[:2] == [1, 0]


def test_a_pipe_or_a_device_is_named_for_what_it_is(tmp_path: Path) -> None:
    import os

    from pmanalytics.errors import IngestError

    fifo = tmp_path / "events.ndjson"
    os.mkfifo(fifo)
    con = connect(tmp_path / "w.duckdb")
    try:
        with pytest.raises(IngestError, match="named pipe"):
            ingest_files(con, "events", [fifo], config=CONFIG)
        with pytest.raises(IngestError, match="character device"):
            ingest_files(con, "events", ["/dev/null"], config=CONFIG)
    finally:
        con.close()


def test_an_over_long_line_is_quarantined_without_being_held_whole(tmp_path: Path) -> None:
    from pmanalytics.ingest import files

    good = json.dumps(
        {
            "type": "track",
            "messageId": "m",
            "userId": "u",
            "event": "E",
            "timestamp": "2026-08-03T10:00:00Z",
        }
    )
    huge = '{"type": "track", "junk": "' + "x" * 5000 + '"}'
    path = tmp_path / "e.ndjson"
    path.write_text(f"{good}\n{huge}\n{good}\n{huge}")  # the last one without a newline
    facts = files.inspect_file(path)
    # small chunks and a small cap: the long line spans many chunks, as a 2 GB one would
    tables = list(files.iter_lines(facts, chunk_bytes=256, max_line_bytes=1000))
    rows = [row for t in tables for row in t.to_pylist()]
    assert [r["line_number"] for r in rows] == [1, 2, 3, 4]
    reason = f"line of {len(huge):,} bytes is longer than the 1,000-byte limit for one record"
    assert [r["reject_reason"] for r in rows] == [None, reason, None, reason]
    assert rows[1]["line"] == huge[:200] + "…"
    assert max(len(r["line"]) for r in rows) < 300  # never the whole line


def test_an_over_long_ndjson_line_goes_to_quarantine_and_the_rest_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pmanalytics.ingest import files

    monkeypatch.setattr(files, "MAX_LINE_BYTES", 2_000)
    monkeypatch.setattr(files.iter_lines, "__defaults__", (files.CHUNK_BYTES, 2_000))
    good = json.dumps(
        {
            "type": "track",
            "messageId": "m1",
            "userId": "u",
            "event": "E",
            "timestamp": "2026-08-03T10:00:00Z",
        }
    )
    huge = json.dumps(
        {
            "type": "track",
            "messageId": "m2",
            "userId": "u",
            "event": "E",
            "timestamp": "2026-08-03T10:00:00Z",
            "properties": {"x": "y" * 3000},
        }
    )
    path = tmp_path / "events.ndjson"
    path.write_text(good + "\n" + huge + "\n")
    loaded, quarantined, reasons = _ingest(tmp_path, "events", path)
    assert (loaded, quarantined) == (1, 1)
    assert reasons[0][0] == 2 and reasons[0][1].startswith("line of 3,1")


def test_a_decompression_bomb_is_refused_and_nothing_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gzip

    from pmanalytics.errors import IngestError
    from pmanalytics.ingest import files

    monkeypatch.setattr(files, "EXPANSION_FLOOR_BYTES", 1024 * 1024)  # instead of 256 MB
    line = (
        json.dumps(
            {
                "type": "track",
                "messageId": "m",
                "userId": "u",
                "event": "E",
                "timestamp": "2026-08-03T10:00:00Z",
            }
        )
        + "\n"
    )
    path = tmp_path / "bomb.ndjson.gz"
    path.write_bytes(gzip.compress((line + " " * 20_000_000).encode()))  # ~1000x
    con = connect(tmp_path / "w.duckdb")
    try:
        with pytest.raises(IngestError, match="decompression bomb"):
            ingest_files(con, "events", [path], config=CONFIG)
        assert con.execute("select count(*) from raw.events").fetchone() == (0,)
        assert con.execute("select count(*) from meta.ingested_files").fetchone() == (0,)
    finally:
        con.close()


@pytest.mark.parametrize(
    ("kind", "column", "value", "reason"),
    [
        ("users", "user_id", ["u1", "u2"], '"user_id" must be a string or an integer'),
        ("users", "user_id", 1.5, '"user_id" must be a string or an integer'),
        ("surveys", "response_id", ["r1"], '"response_id" must be a string or an integer'),
        ("surveys", "user_id", {"id": "u1"}, '"user_id" must be a string or an integer'),
        (
            "surveys",
            "comment",
            ["slow", "bad"],
            '"comment" must be one value, not a list or an object',
        ),
        (
            "surveys",
            "survey",
            ["onboarding"],
            '"survey" must be one value, not a list or an object',
        ),
        ("surveys", "score", [9], '"score" must be one value, not a list or an object'),
    ],
)
def test_lists_and_structs_in_users_and_survey_parquet_are_quarantined(
    tmp_path: Path, kind: str, column: str, value: object, reason: str
) -> None:
    row = {
        "users": {"user_id": "u1", "plan": "pro"},
        "surveys": {
            "response_id": "r1",
            "user_id": "u1",
            "submitted_at": dt.datetime(2026, 8, 3, 10),
            "survey": "onboarding",
            "metric": "nps",
            "score": 9,
            "comment": "ok",
        },
    }[kind]
    path = tmp_path / f"{kind}.parquet"
    pq.write_table(pa.Table.from_pylist([{**row, column: value}]), path)
    con = connect(tmp_path / "w.duckdb")
    try:
        [result] = ingest_files(con, kind, [path], config=CONFIG)
        table = "users" if kind == "users" else "survey_responses"
        sql = compose("select row_number, reason from {table}", table=("quarantine", table))
        quarantined = con.execute(sql).fetchall()
    finally:
        con.close()
    assert (result.rows_loaded, result.rows_quarantined, quarantined) == (0, 1, [(1, reason)])


def test_a_truncated_parquet_file_fails_in_one_line_and_nothing_loads(tmp_path: Path) -> None:
    from pmanalytics.errors import IngestError

    whole = tmp_path / "whole.parquet"
    pq.write_table(
        pa.table(
            {"event_id": ["e1"], "user_id": ["u1"], "event": ["E"], "occurred_at": ["2026-08-03"]}
        ),
        whole,
    )
    path = tmp_path / "events.parquet"
    path.write_bytes(whole.read_bytes()[:-10])  # the footer cut off, as by an interrupted copy
    con = connect(tmp_path / "w.duckdb")
    try:
        with pytest.raises(IngestError) as caught:
            ingest_files(con, "events", [path], config=CONFIG)
        assert con.execute("select count(*) from meta.ingested_files").fetchone() == (0,)
    finally:
        con.close()
    message = str(caught.value)
    assert message.startswith(f"{path}: cannot be read as parquet: ")
    assert "\n" not in message and "read_parquet" not in message  # not our SQL, one line
