"""Events as CSV and Parquet with the canonical columns."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from ingest_helpers import Warehouse, outcome, write_text

from pmanalytics.errors import IngestError

HEADER = "event_id,user_id,event,occurred_at"
T = "2026-08-03T10:00:00Z"
AT_10 = datetime(2026, 8, 3, 10, 0)


def _decoded(rows: list[tuple]) -> list[tuple]:
    """The last column (JSON text) as a Python value."""
    return [(*r[:-1], None if r[-1] is None else json.loads(r[-1])) for r in rows]


def write_parquet(path: Path, select_sql: str) -> Path:
    """Write the result of a DuckDB query as Parquet (column types as the query makes them)."""
    con = duckdb.connect()
    try:
        con.sql(select_sql).write_parquet(str(path))
    finally:
        con.close()
    return path


def test_a_canonical_csv_with_every_column(wh: Warehouse, tmp_path: Path) -> None:
    path = write_text(
        tmp_path / "events.csv",
        "event_id,user_id,event,occurred_at,anonymous_id,session_id,properties\n"
        'e1,u1,Report Exported,2026-08-03T10:00:00Z,a1,s1,"{""format"": ""pdf"", ""n"": 2}"\n'
        "e2,,Page Viewed,2026-08-03T12:00:00+02:00,a2,,\n"
        'e3,u3,"Clicked, twice",2026-08-03T10:00:00,,s3,{}\n',
    )

    assert outcome(wh.ingest_one("events", path)) == (3, 3, 0, 0, False)
    assert _decoded(
        wh.raw(
            "events",
            path,
            "row_number, event_id, event_type, user_id, anonymous_id, session_id, event, "
            "occurred_at, properties",
        )
    ) == [
        (1, "e1", "track", "u1", "a1", "s1", "Report Exported", AT_10, {"format": "pdf", "n": 2}),
        (2, "e2", "track", None, "a2", None, "Page Viewed", AT_10, None),
        (3, "e3", "track", "u3", None, "s3", "Clicked, twice", AT_10, {}),
    ]


def test_extra_csv_columns_are_kept_in_properties(wh: Warehouse, tmp_path: Path) -> None:
    path = write_text(
        tmp_path / "wide.csv",
        "event_id,user_id,event,occurred_at,properties,platform,app_version\n"
        f'e1,u1,Opened,{T},"{{""screen"": ""home""}}",ios,2.1\n'
        f"e2,u1,Opened,{T},,web,3.0\n",
    )

    assert outcome(wh.ingest_one("events", path)) == (2, 2, 0, 0, False)
    assert _decoded(wh.raw("events", path, "event_id, properties")) == [
        ("e1", {"screen": "home", "platform": "ios", "app_version": "2.1"}),
        ("e2", {"platform": "web", "app_version": "3.0"}),
    ]


def test_a_parquet_file_with_typed_columns(wh: Warehouse, tmp_path: Path) -> None:
    path = write_parquet(
        tmp_path / "events.parquet",
        """
        select * from (values
            ('p1', 'u1', 'Opened', timestamp '2026-08-03 10:00:00', 's1',
             '{"k": 1}', 'ios'),
            (null, 'u2', 'Closed', timestamp '2026-08-03 11:00:00', null, null, 'web'),
            ('p3', 'u3', 'Opened', timestamp '2026-08-03 12:00:00', null, '{bad', 'web'),
            ('p4', 'u4', 'Opened', timestamp '2026-08-03 13:00:00', null, '[1]', 'web')
        ) t(event_id, user_id, event, occurred_at, session_id, properties, platform)
    """,
    )

    assert outcome(wh.ingest_one("events", path)) == (4, 2, 0, 2, False)
    rows = wh.raw(
        "events", path, "row_number, event_id, user_id, event, occurred_at, session_id, properties"
    )
    assert _decoded(rows) == [
        (1, "p1", "u1", "Opened", AT_10, "s1", {"k": 1, "platform": "ios"}),
        (2, rows[1][1], "u2", "Closed", datetime(2026, 8, 3, 11), None, {"platform": "web"}),
    ]
    assert rows[1][1].startswith("derived-")
    assert [(n, reason) for n, reason, _ in wh.quarantine("events", path)] == [
        (3, '"properties" is not valid JSON'),
        (4, '"properties" must be a JSON object'),
    ]
    assert json.loads(wh.quarantine("events", path)[0][2]) == {
        "event_id": "p3",
        "user_id": "u3",
        "event": "Opened",
        "occurred_at": "2026-08-03 12:00:00",
        "session_id": None,
        "properties": "{bad",
        "platform": "web",
    }


def test_parquet_time_zones_and_numeric_ids(wh: Warehouse, tmp_path: Path) -> None:
    path = write_parquet(
        tmp_path / "typed.parquet",
        """
        select 'p1' as event_id, 42 as user_id, 'Opened' as event,
               timestamptz '2026-08-03 12:00:00+02' as occurred_at,
               {'screen': 'home'} as properties
    """,
    )

    assert outcome(wh.ingest_one("events", path)) == (1, 1, 0, 0, False)
    assert _decoded(wh.raw("events", path, "event_id, user_id, occurred_at, properties")) == [
        ("p1", "42", AT_10, {"screen": "home"}),
    ]


def test_invalid_properties_json_in_a_csv_is_quarantined(wh: Warehouse, tmp_path: Path) -> None:
    path = write_text(
        tmp_path / "props.csv",
        "event_id,user_id,event,occurred_at,properties\n"
        f'e1,u1,A,{T},"{{""ok"": true}}"\n'
        f'e2,u1,B,{T},"{{not json"\n'
        f'e3,u1,C,{T},"[1, 2]"\n'
        f'e4,u1,D,{T},"""text"""\n'
        f"e5,u1,E,{T},   \n",
    )

    assert outcome(wh.ingest_one("events", path)) == (5, 2, 0, 3, False)
    assert _decoded(wh.raw("events", path, "row_number, event_id, properties")) == [
        (1, "e1", {"ok": True}),
        (5, "e5", None),
    ]
    assert [(n, reason) for n, reason, _ in wh.quarantine("events", path)] == [
        (2, '"properties" is not valid JSON'),
        (3, '"properties" must be a JSON object'),
        (4, '"properties" must be a JSON object'),
    ]


def test_ragged_csv_rows_are_quarantined_with_row_number_and_raw_line(
    wh: Warehouse, tmp_path: Path
) -> None:
    path = write_text(
        tmp_path / "ragged.csv",
        f"{HEADER}\n"
        f"e1,u1,A,{T}\n"
        f"e2,u1,B,{T},surplus\n"
        f"e3,u1\n"
        f"e4,u1,D,{T}\n"
        f'e5,u1,"E, with comma",{T}\n'
        f"e6,u1,F\n"
        f"e7,u1,G,{T}\n"
        f"e8,u1,H,{T},x,y\n",
    )

    assert outcome(wh.ingest_one("events", path)) == (8, 4, 0, 4, False)
    assert wh.raw("events", path, "row_number, event_id, event") == [
        (1, "e1", "A"),
        (4, "e4", "D"),
        (5, "e5", "E, with comma"),
        (7, "e7", "G"),
    ]
    quarantined = wh.quarantine("events", path)
    assert [(n, raw) for n, _, raw in quarantined] == [
        (2, f"e2,u1,B,{T},surplus"),
        (3, "e3,u1"),
        (6, "e6,u1,F"),
        (8, f"e8,u1,H,{T},x,y"),
    ]
    assert all(reason.startswith("unreadable CSV row: ") for _, reason, _ in quarantined)


def test_a_ragged_csv_row_names_its_real_column_count(wh: Warehouse, tmp_path: Path) -> None:
    path = write_text(
        tmp_path / "ragged.csv",
        f"{HEADER}\ne1,u1,A,{T}\ne2,u1,B,{T},surplus\ne3,u1\ne4,u1,D\n",
    )

    wh.ingest_one("events", path)

    assert [(n, reason) for n, reason, _ in wh.quarantine("events", path)] == [
        (2, "unreadable CSV row: Expected Number of Columns: 4 Found: 5"),
        (3, "unreadable CSV row: Expected Number of Columns: 4 Found: 2"),
        (4, "unreadable CSV row: Expected Number of Columns: 4 Found: 3"),
    ]


def test_csv_row_numbers_count_records_not_physical_lines(wh: Warehouse, tmp_path: Path) -> None:
    path = write_text(
        tmp_path / "multiline.csv",
        f"{HEADER}\r\n"
        f'e1,u1,"two\nlines",{T}\r\n'
        f'e2,u1,"three\r\nphysical\nlines",{T}\r\n'
        f"e3,u1,C,{T},surplus\r\n"
        f"e4,u1,D,{T}\r\n",
    )

    assert outcome(wh.ingest_one("events", path)) == (4, 3, 0, 1, False)
    assert wh.raw("events", path, "row_number, event_id, event") == [
        (1, "e1", "two\nlines"),
        (2, "e2", "three\r\nphysical\nlines"),
        (4, "e4", "D"),
    ]
    assert [(n, raw) for n, _, raw in wh.quarantine("events", path)] == [
        (3, f"e3,u1,C,{T},surplus"),
    ]


def test_a_blank_line_does_not_shift_csv_row_numbers(wh: Warehouse, tmp_path: Path) -> None:
    path = write_text(
        tmp_path / "blank.csv",
        f"{HEADER}\ne1,u1,A,{T}\n\ne2,u1,B,{T},surplus\ne3,u1,C,{T}\n",
    )

    assert outcome(wh.ingest_one("events", path)) == (3, 2, 0, 1, False)
    # the blank line is not a record: e2 is the second data row, e3 the third
    assert wh.raw("events", path, "row_number, event_id") == [(1, "e1"), (3, "e3")]
    assert [(n, raw) for n, _, raw in wh.quarantine("events", path)] == [
        (2, f"e2,u1,B,{T},surplus"),
    ]


def test_an_unterminated_quote_does_not_change_how_other_rows_are_read(
    wh: Warehouse, tmp_path: Path
) -> None:
    path = write_text(
        tmp_path / "quotes.csv",
        f'{HEADER}\ne1,u1,"Exported, as PDF",{T}\ne2,u1,"Said ""hi""",{T}\n'
        f'e3,u1,"unterminated,{T}\n',
    )

    wh.ingest_one("events", path)

    # the RFC 4180 rows keep their values, whatever happens to the broken last row
    assert wh.raw("events", path, "row_number, event_id, event")[:2] == [
        (1, "e1", "Exported, as PDF"),
        (2, "e2", 'Said "hi"'),
    ]
    assert not any(raw.startswith(("e1,", "e2,")) for _, _, raw in wh.quarantine("events", path))


def test_a_missing_event_id_is_derived_and_a_renamed_copy_adds_nothing(
    wh: Warehouse, tmp_path: Path
) -> None:
    rows = [f",u1,A,{T}", f",u1,B,{T}", f",u1,A,{T}"]
    first = write_text(tmp_path / "a.csv", HEADER + "\n" + "\n".join(rows) + "\n")
    copy = write_text(tmp_path / "b.csv", HEADER + "\r\n" + "\r\n".join(rows) + "\r\n")

    assert outcome(wh.ingest_one("events", first)) == (3, 2, 1, 0, False)
    ids = [i for (i,) in wh.raw("events", first, "event_id")]
    assert len(set(ids)) == 2 and all(i.startswith("derived-") for i in ids)
    assert outcome(wh.ingest_one("events", copy)) == (3, 0, 3, 0, False)
    assert wh.totals()["raw.events"] == 2


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        ("event_id,user_id,event", "occurred_at"),
        ("event_id,user_id,occurred_at", "event"),
        ("event_id,event,occurred_at,session_id", "user_id (or anonymous_id)"),
        ("id,who,what,when", "event, occurred_at, user_id (or anonymous_id)"),
    ],
)
def test_a_missing_required_column_fails_the_file_and_writes_nothing(
    wh: Warehouse, tmp_path: Path, header: str, missing: str
) -> None:
    good = write_text(tmp_path / "good.csv", f"{HEADER}\ne1,u1,A,{T}\n")
    n_columns = header.count(",") + 1
    bad = write_text(tmp_path / "bad.csv", f"{header}\n" + ",".join(["x"] * n_columns) + "\n")
    wh.ingest_one("events", good)
    before = wh.totals()

    with pytest.raises(IngestError) as caught:
        wh.ingest_one("events", bad)

    message = str(caught.value)
    assert str(bad) in message
    assert f"missing required column(s) {missing};" in message
    assert wh.totals() == before
    assert wh.meta(bad) == []


def test_a_parquet_file_missing_a_required_column_writes_nothing(
    wh: Warehouse, tmp_path: Path
) -> None:
    path = write_parquet(
        tmp_path / "no_time.parquet", "select 'p1' as event_id, 'u1' as user_id, 'A' as event"
    )

    with pytest.raises(IngestError, match="missing required column\\(s\\) occurred_at"):
        wh.ingest_one("events", path)

    assert set(wh.totals().values()) == {0}


def test_a_file_declared_parquet_that_is_not_fails_and_writes_nothing(
    wh: Warehouse, tmp_path: Path
) -> None:
    path = write_text(tmp_path / "events.parquet", f"{HEADER}\ne1,u1,A,{T}\n")

    with pytest.raises(IngestError) as caught:
        wh.ingest_one("events", path)

    assert str(caught.value) == (
        f"{path}: declared Parquet but the file does not start with 'PAR1'"
    )
    assert set(wh.totals().values()) == {0}
