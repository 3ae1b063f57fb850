"""Fuzzing the input formats: whatever a file holds, ingest either loads it with every row
accounted for, or fails the whole file with an IngestError naming it. Never anything else.

Records are drawn by Hypothesis from a hostile grammar: every Segment field given any JSON
value (strings with control characters and markup, huge and negative numbers, nested
objects and lists, null), lines that are not JSON at all, and survey cells with quotes,
separators, newlines and out-of-range scores.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pmanalytics.config import parse_config
from pmanalytics.errors import IngestError
from pmanalytics.ingest import ingest_files
from pmanalytics.warehouse import compose, connect

CONFIG = parse_config({})
FIELDS = ("type", "messageId", "userId", "anonymousId", "event", "timestamp", "properties")

hostile_text = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "<img src=x onerror=alert(1)>",
            "'; drop table raw.events; --",
            "\x1b[2J",
            "2026-08-03T10:00:00+99:00",
            "2026-02-30T10:00:00Z",
            "9999-12-31T23:59:59Z",
            "track",
            "identify",
            "",
            " ",
            "\u202e",
            "null",
        ]
    ),
)
json_value = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | hostile_text,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
plausible = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["track", "page", "identify", "alias", "screen"]),
        "messageId": st.text(min_size=1, max_size=8),
        "userId": st.one_of(st.none(), st.text(max_size=6), st.integers()),
        "event": st.one_of(hostile_text, st.just("Signed Up")),
        "timestamp": st.sampled_from(
            ["2026-08-03T10:00:00Z", "2026-08-03 10:00:00", "2026-08-03T10:00:00+02:00"]
        ),
    }
)
record = st.one_of(
    plausible,
    st.dictionaries(st.sampled_from(FIELDS), json_value, max_size=len(FIELDS)),
    # a plausible record with one field replaced by anything at all
    st.tuples(plausible, st.sampled_from(FIELDS), json_value).map(lambda t: {**t[0], t[1]: t[2]}),
)
line = st.one_of(
    record.map(lambda r: json.dumps(r, ensure_ascii=False)),
    json_value.map(json.dumps),
    st.text(max_size=40).filter(lambda s: "\n" not in s and "\r" not in s),
)


def _load(tmp: Path, kind: str, path: Path) -> None:
    con = connect(tmp / "w.duckdb")
    try:
        try:
            results = ingest_files(con, kind, [path], config=CONFIG)
        except IngestError as exc:  # a whole file refused: it must name the file
            assert str(path) in str(exc)
            assert con.execute("select count(*) from meta.ingested_files").fetchone() == (0,)
            return
        [r] = results
        assert r.rows_read == r.rows_loaded + r.rows_duplicate + r.rows_quarantined
        table = "events" if kind == "events" else "survey_responses"
        quarantined = con.execute(
            compose(
                "select count(*), count(*) filter (where reason is null or reason = '') from {t}",
                t=("quarantine", table),
            )
        ).fetchone()
        assert quarantined == (r.rows_quarantined, 0)  # every rejected row says why
    finally:
        con.close()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(line, min_size=1, max_size=12))
def test_any_ndjson_is_loaded_and_accounted_for_or_refused_whole(
    tmp_path_factory: pytest.TempPathFactory, lines: list[str]
) -> None:
    tmp = tmp_path_factory.mktemp("fuzz-ndjson")
    path = tmp / "events.ndjson"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _load(tmp, "events", path)


cell = st.one_of(
    hostile_text,
    st.sampled_from(["9", "10", "11", "-1", "7.5", "1e308", "nan", '"quoted, with comma"']),
    st.text(alphabet=',"\n\r;\t ', max_size=6),
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.lists(cell, min_size=7, max_size=7), min_size=1, max_size=8))
def test_any_survey_csv_is_loaded_and_accounted_for_or_refused_whole(
    tmp_path_factory: pytest.TempPathFactory, rows: list[list[str]]
) -> None:
    tmp = tmp_path_factory.mktemp("fuzz-csv")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["response_id", "user_id", "submitted_at", "survey", "metric", "score", "comment"]
    )
    writer.writerows(rows)
    path = tmp / "surveys.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    _load(tmp, "surveys", path)
