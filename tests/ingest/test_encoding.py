"""Files that are not UTF-8 fail whole, with a clear error, and leave nothing behind."""

from __future__ import annotations

import codecs
import gzip
import json
from pathlib import Path

import pytest
from ingest_helpers import Warehouse, track, write_ndjson, write_text

from pmanalytics.errors import IngestError

CSV_EVENTS = "event_id,user_id,event,occurred_at\ne1,u1,Caf\u00e9,2026-08-03T10:00:00Z\n"
CSV_SURVEYS = (
    "response_id,user_id,submitted_at,metric,score,comment\nr1,u1,2026-08-03,nps,9,Caf\u00e9\n"
)
CSV_USERS = "user_id,plan\nu1,pro\n"
NDJSON_EVENTS = json.dumps(track("m1", event="Caf\u00e9"), ensure_ascii=False) + "\n"

TEXT_FILES = [
    pytest.param("events", "events.ndjson", NDJSON_EVENTS, id="events-ndjson"),
    pytest.param("events", "events.csv", CSV_EVENTS, id="events-csv"),
    pytest.param("surveys", "surveys.csv", CSV_SURVEYS, id="surveys-csv"),
    pytest.param("users", "users.csv", CSV_USERS, id="users-csv"),
]


@pytest.mark.parametrize("bom", [codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE], ids=["le", "be"])
@pytest.mark.parametrize(("kind", "name", "text"), TEXT_FILES)
def test_a_utf16_file_is_refused_whole(
    wh: Warehouse, tmp_path: Path, bom: bytes, kind: str, name: str, text: str
) -> None:
    codec = "utf-16-le" if bom == codecs.BOM_UTF16_LE else "utf-16-be"
    path = tmp_path / name
    path.write_bytes(bom + text.encode(codec))

    with pytest.raises(IngestError) as caught:
        wh.ingest(kind, path)

    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert "UTF-16" in message
    assert set(wh.totals().values()) == {0}  # no raw, no quarantine, no meta row


@pytest.mark.parametrize(
    ("kind", "name", "compress"),
    [
        pytest.param("events", "events.ndjson", False, id="events-ndjson"),
        pytest.param("events", "events.ndjson.gz", True, id="events-ndjson-gzip"),
        pytest.param("events", "events.json", False, id="events-json-lines"),
        pytest.param("events", "events.csv", False, id="events-csv"),
        pytest.param("surveys", "surveys.csv", False, id="surveys-csv"),
        pytest.param("users", "users.csv", False, id="users-csv"),
    ],
)
def test_an_invalid_utf8_byte_is_reported_with_its_line(
    wh: Warehouse, tmp_path: Path, kind: str, name: str, compress: bool
) -> None:
    if name.endswith(".csv"):
        lines = {
            "events": [
                "event_id,user_id,event,occurred_at",
                "e1,u1,Caf\u00e9,2026-08-03",
                "e2,u1,{},2026-08-03",
                "e3,u1,C,2026-08-03",
            ],
            "surveys": [
                "response_id,submitted_at,metric,score,comment",
                "r1,2026-08-03,nps,9,\u00e9t\u00e9",
                "r2,2026-08-03,nps,9,{}",
                "r3,2026-08-03,nps,9,ok",
            ],
            "users": ["user_id,plan", "u1,pro \u2713", "u2,{}", "u3,free"],
        }[kind]
    else:
        lines = [
            json.dumps(track(f"m{i}", event="{}" if i == 3 else "Caf\u00e9"), ensure_ascii=False)
            for i in (1, 2, 3, 4)
        ]
    text = "\n".join(lines).encode("utf-8") + b"\n"
    text = text.replace(b"{}", b"caf\xe9", 1)  # Latin-1 'é' on line 3: not UTF-8
    assert [b"caf\xe9" in row for row in text.splitlines()] == [False, False, True, False]
    path = tmp_path / name
    path.write_bytes(gzip.compress(text) if compress else text)

    with pytest.raises(IngestError) as caught:
        wh.ingest(kind, path)

    assert str(caught.value) == (
        f"{path}: not UTF-8 (invalid byte 0xe9 on line 3); re-save the file as UTF-8"
    )
    assert set(wh.totals().values()) == {0}


def test_an_invalid_byte_far_into_an_ndjson_file_leaves_nothing_half_loaded(
    wh: Warehouse, tmp_path: Path
) -> None:
    good = [json.dumps(track(f"m{i}", properties={"pad": "x" * 100})) for i in range(1, 5000)]
    data = ("\n".join(good) + "\n").encode() + b'{"bad": "\xff"}\n'
    assert len(data) > 500_000
    path = tmp_path / "long.ndjson"
    path.write_bytes(data)

    with pytest.raises(IngestError) as caught:
        wh.ingest("events", path)

    assert str(caught.value) == (
        f"{path}: not UTF-8 (invalid byte 0xff on line 5000); re-save the file as UTF-8"
    )
    assert set(wh.totals().values()) == {0}


def test_a_bad_file_in_a_batch_keeps_the_files_before_it_and_nothing_of_itself(
    wh: Warehouse, tmp_path: Path
) -> None:
    before = write_ndjson(tmp_path / "1.ndjson", track("m1"), "{broken")
    bad = tmp_path / "2.ndjson"
    bad.write_bytes(codecs.BOM_UTF16_LE + NDJSON_EVENTS.encode("utf-16-le"))
    after = write_ndjson(tmp_path / "3.ndjson", track("m3"))

    with pytest.raises(IngestError, match="UTF-16"):
        wh.ingest("events", before, bad, after)

    assert wh.rows("select path, rows_read, rows_loaded from meta.ingested_files") == [
        (str(before), 2, 1),
    ]
    assert wh.totals() == {
        "raw.events": 1,
        "raw.users": 0,
        "raw.survey_responses": 0,
        "quarantine.events": 1,
        "quarantine.users": 0,
        "quarantine.survey_responses": 0,
        "meta.ingested_files": 1,
    }
    # a rerun of the same batch, once the file is fixed, continues where it stopped
    write_ndjson(bad, track("m2"))
    results = wh.ingest("events", before, bad, after)
    assert [r.skipped for r in results] == [True, False, False]
    assert wh.rows("select event_id from raw.events order by event_id") == [
        ("m1",),
        ("m2",),
        ("m3",),
    ]


def test_a_utf8_bom_is_not_an_encoding_error(wh: Warehouse, tmp_path: Path) -> None:
    csv = write_text(tmp_path / "bom.csv", "\ufeff" + CSV_EVENTS)

    assert wh.ingest_one("events", csv).rows_loaded == 1
    assert wh.raw("events", csv, "event_id, event") == [("e1", "Caf\u00e9")]
