"""Every file is accounted for: rows_read = rows_loaded + rows_duplicate + rows_quarantined.

A mixed corpus (every kind of file the other ingest tests use) is loaded once; each file's
result, its meta.ingested_files row and the rows it left in raw.* and quarantine.* must agree.
Then: loading twice changes nothing, load order changes nothing, and a property-based test
checks exact counts for random NDJSON against an oracle written here.
"""

from __future__ import annotations

import codecs
import gzip
import json
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ingest_helpers import TABLES, segment, track, write_ndjson, write_text

from pmanalytics.config import CustomScale, SurveyMapping, parse_config
from pmanalytics.ingest import IngestResult, ingest_files
from pmanalytics.warehouse import compose, connect

CONFIG = parse_config({})
T = "2026-08-03T10:00:00Z"
EVENTS_CSV = "event_id,user_id,event,occurred_at"
SURVEYS_CSV = "response_id,user_id,submitted_at,survey,metric,score,comment"


def _parquet(path: Path, select_sql: str) -> Path:
    con = duckdb.connect()
    con.sql(select_sql).write_parquet(str(path))
    con.close()
    return path


# (file name, kind, ingest keyword arguments, writer) — loaded in this order
CORPUS: list[tuple[str, str, dict[str, Any], Callable[[Path], Path]]] = [
    (
        "users.csv",
        "users",
        {},
        lambda p: write_text(
            p,
            "user_id,plan,country,created_at\nu1,pro,JP,2026-01-01\nu2,,EG,\n,free,DE,\n"
            "u3,team,FR,not a date\nu1,pro,JP,2026-01-01\n",
        ),
    ),
    (
        "calls.ndjson",
        "events",
        {},
        lambda p: write_ndjson(
            p,
            track("m1"),
            segment("page", "m2", anonymousId="a1"),
            segment("page", "m3", anonymousId="a1", name="Pricing"),
            segment("screen", "m4", userId="u1"),
            segment("identify", "m5", userId="u1", anonymousId="a1", traits={"plan": "pro"}),
            segment("alias", "m6", userId="u1", previousId="old"),
        ),
    ),
    (
        "broken.ndjson",
        "events",
        {},
        lambda p: write_ndjson(
            p,
            track("m7"),
            "{broken",
            "[1, 2]",
            "",
            "null",
            track("m1"),
            track("m7"),
            track("m8", timestamp="1999-01-01T00:00:00Z"),
            track("m9", timestamp="2999-01-01"),
            track("m10", timestamp="soon"),
            track("m11", user=None),
            track("m12", user={"a": 1}),
            track("m13", extra_field=True),
        ),
    ),
    (
        "windows.ndjson",
        "events",
        {},
        lambda p: write_ndjson(
            p, track(None, event="A"), "", track(None, event="B"), "{x", newline="\r\n", bom=True
        ),
    ),
    (
        "unix.ndjson",
        "events",
        {},
        lambda p: write_ndjson(
            p, track(None, event="A"), track(None, event="B"), track(None, event="C")
        ),
    ),
    (
        "packed.ndjson.gz",
        "events",
        {},
        lambda p: write_ndjson(p, track("g1"), track("m1"), "oops", compress=True),
    ),
    ("empty.ndjson", "events", {}, lambda p: write_text(p, "")),
    (
        "array.json",
        "events",
        {},
        lambda p: write_text(p, json.dumps([track("j1"), track("j2", user=None), track("m1")])),
    ),
    (
        "text.ndjson",
        "events",
        {},
        lambda p: write_ndjson(
            p,
            track("x1", user="ユーザー", event="購入 🎉", properties={"ar": "مرحبا"}),
            track("x2", event="E" * 300_000, properties={"blob": "b" * 1_000_000}),
        ),
    ),
    (
        "events.csv",
        "events",
        {},
        lambda p: write_text(
            p,
            f"{EVENTS_CSV},properties,platform\n"
            f"c1,u1,A,{T},,ios\nc2,u1,B,{T},{{bad,web\nc3,u1\nc4,u1,D,{T},,web,surplus\n"
            f',u1,E,{T},"{{""k"": 1}}",ios\nc1,u1,A,{T},,ios\n,,F,{T},,\nc7,u1,G,nope,,\n',
        ),
    ),
    (
        "blank_line.csv",
        "events",
        {},
        lambda p: write_text(p, f"{EVENTS_CSV}\nb1,u1,A,{T}\n\nb2,u1,B,{T},x\nb3,u1,C,{T}\n"),
    ),
    (
        "events.parquet",
        "events",
        {},
        lambda p: _parquet(
            p,
            """
        select * from (values ('q1', 'u1', 'A', timestamp '2026-08-03 10:00:00', '{"a": 1}'),
            (null, 'u2', 'B', timestamp '2026-08-03 11:00:00', null),
            ('q3', 'u3', 'C', timestamp '2026-08-03 12:00:00', '[1]'),
            ('c1', 'u1', 'A', timestamp '2026-08-03 10:00:00', null))
        t(event_id, user_id, event, occurred_at, properties)""",
        ),
    ),
    (
        "surveys.csv",
        "surveys",
        {},
        lambda p: write_text(
            p,
            f"{SURVEYS_CSV}\nr1,u1,2026-01-01,s,nps,9,ok\nr2,,2026-01-02,s,csat,6,\n"
            "r3,u3,2026-01-03,s,nps,7.5,\nr4,u4,2026-01-04,s,nps,x,\nr1,u1,2026-01-01,s,nps,9,\n"
            "r5,u5,2026-01-05,s,ces,3,,surplus\nr6,u6,someday,s,ces,3,\n",
        ),
    ),
    (
        "fft.csv",
        "surveys",
        {
            "mapping": SurveyMapping(
                response_id="id",
                user_id=None,
                submitted_at="date",
                date_format="%d/%m/%Y",
                score="rating",
                metric="csat",
                comment=None,
                scale=CustomScale(min=1, max=5, higher_is_better=False),
            )
        },
        lambda p: write_text(
            p,
            "id,date,rating,ward\nf1,05/06/2022,1,A\nf2,5/31/2022,2,B\nf3,31/05/2022,6,A\n"
            "f4,01/01/2022,5,B\n",
        ),
    ),
    (
        "surveys.json",
        "surveys",
        {},
        lambda p: write_text(
            p,
            json.dumps(
                [
                    {
                        "response_id": "s1",
                        "submitted_at": "2026-01-01",
                        "metric": "nps",
                        "score": 10,
                    },
                    {
                        "response_id": "r1",
                        "submitted_at": "2026-01-01",
                        "metric": "nps",
                        "score": 1,
                    },
                    {
                        "response_id": "s3",
                        "submitted_at": "2026-01-01",
                        "metric": "nps",
                        "score": 12,
                    },
                ]
            ),
        ),
    ),
    (
        "surveys.ndjson",
        "surveys",
        {},
        lambda p: write_ndjson(
            p,
            {"response_id": "n1", "submitted_at": "2026-01-01", "metric": "ces", "score": 2},
            "{no",
            "",
            {"response_id": "s1", "submitted_at": "2026-01-01", "metric": "nps", "score": 3},
        ),
    ),
]
NAMES = [name for name, *_ in CORPUS]


def write_corpus(folder: Path) -> list[tuple[str, Path, dict[str, Any]]]:
    folder.mkdir(parents=True, exist_ok=True)
    return [(kind, writer(folder / name), kwargs) for name, kind, kwargs, writer in CORPUS]


def ingest_corpus(
    con: duckdb.DuckDBPyConnection, files: list[tuple[str, Path, dict[str, Any]]]
) -> list[IngestResult]:
    results: list[IngestResult] = []
    for kind, path, kwargs in files:
        results += ingest_files(con, kind, [path], config=CONFIG, **kwargs)
    return results


def totals(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    names = [
        f"{schema}.{table}" for schema in ("raw", "quarantine") for table in TABLES.values()
    ] + ["meta.ingested_files"]
    return {
        n: con.execute(compose("select count(*) from {t}", t=tuple(n.split(".")))).fetchone()[0]
        for n in names
    }


@pytest.fixture(scope="module")
def loaded(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[duckdb.DuckDBPyConnection, dict[str, IngestResult]]]:
    folder = tmp_path_factory.mktemp("corpus")
    con = connect(folder / "warehouse.duckdb")
    results = ingest_corpus(con, write_corpus(folder / "files"))
    yield con, {Path(r.path).name: r for r in results}
    con.close()


@pytest.mark.parametrize("name", NAMES)
def test_every_row_of_every_file_is_accounted_for(
    loaded: tuple[duckdb.DuckDBPyConnection, dict[str, IngestResult]], name: str
) -> None:
    con, results = loaded
    result = results[name]
    table = TABLES[result.kind]

    assert not result.skipped
    assert result.rows_read == result.rows_loaded + result.rows_duplicate + result.rows_quarantined
    assert con.execute(
        "select kind, sha256, rows_read, rows_loaded, rows_duplicate, rows_quarantined "
        "from meta.ingested_files where path = ?",
        [result.path],
    ).fetchall() == [
        (
            result.kind,
            result.sha256,
            result.rows_read,
            result.rows_loaded,
            result.rows_duplicate,
            result.rows_quarantined,
        )
    ]
    raw_numbers = [
        n
        for (n,) in con.execute(
            f"select row_number from raw.{table} where source_file = ?", [result.path]
        ).fetchall()
    ]
    quarantined_numbers = [
        n
        for (n,) in con.execute(
            f"select row_number from quarantine.{table} where source_file = ?", [result.path]
        ).fetchall()
    ]
    assert len(raw_numbers) == result.rows_loaded
    assert len(quarantined_numbers) == result.rows_quarantined
    # each record has one fate: no row number is both loaded and quarantined, or twice in one
    numbers = raw_numbers + quarantined_numbers
    assert len(set(numbers)) == len(numbers)
    assert all(n >= 1 for n in numbers)


def test_the_corpus_exercises_every_outcome(
    loaded: tuple[duckdb.DuckDBPyConnection, dict[str, IngestResult]],
) -> None:
    _, results = loaded
    assert sorted(results) == sorted(NAMES)
    for kind in TABLES:
        mine = [r for r in results.values() if r.kind == kind]
        assert sum(r.rows_loaded for r in mine) > 0, kind
        assert sum(r.rows_quarantined for r in mine) > 0, kind
        assert sum(r.rows_duplicate for r in mine) > 0, kind


def test_ingesting_the_same_paths_twice_changes_nothing(tmp_path: Path) -> None:
    files = write_corpus(tmp_path / "files")
    con = connect(tmp_path / "warehouse.duckdb")
    first = ingest_corpus(con, files)
    after_first = totals(con)

    second = ingest_corpus(con, files)

    assert totals(con) == after_first
    assert after_first["meta.ingested_files"] == len(NAMES)
    assert [r.skipped for r in first] == [False] * len(NAMES)
    assert [(r.skipped, r.rows_read) for r in second] == [(True, 0)] * len(NAMES)
    # renamed copies of the same content are skipped too
    copies = tmp_path / "copies"
    copies.mkdir()
    renamed = [
        (kind, Path(shutil.copy(path, copies / f"copy-{path.name}")), kwargs)
        for kind, path, kwargs in files
    ]
    assert all(r.skipped for r in ingest_corpus(con, renamed))
    assert totals(con) == after_first
    con.close()


def test_load_order_does_not_change_what_lands(tmp_path: Path) -> None:
    files = write_corpus(tmp_path / "files")
    forward = connect(tmp_path / "forward.duckdb")
    backward = connect(tmp_path / "backward.duckdb")
    ingest_corpus(forward, files)
    ingest_corpus(backward, files[::-1])

    def landed(con: duckdb.DuckDBPyConnection) -> tuple:
        keys = tuple(
            sorted(
                k
                for (k,) in con.execute(
                    compose("select {k} from {t}", k=key, t=("raw", table))
                ).fetchall()
            )
            for key, table in [
                ("event_id", "events"),
                ("record_id", "users"),
                ("response_id", "survey_responses"),
            ]
        )
        sums = con.execute(
            "select kind, sum(rows_read), sum(rows_loaded), sum(rows_duplicate), "
            "sum(rows_quarantined) from meta.ingested_files group by kind order by kind"
        ).fetchall()
        return keys, sums, totals(con)

    assert landed(forward) == landed(backward)
    forward.close()
    backward.close()


# --------------------------------------------------------------------------- property-based

# One NDJSON line, as (shape, n): n picks a messageId from a small shared pool, so valid,
# broken and duplicate copies of one id mix in a file and across files.
LINES = st.one_of(
    st.tuples(st.just("valid"), st.integers(0, 5)),
    st.tuples(st.just("no_id"), st.integers(0, 2)),
    st.tuples(st.just("bad_timestamp"), st.integers(0, 5)),
    st.tuples(st.just("too_old"), st.integers(0, 5)),
    st.tuples(st.just("no_user"), st.integers(0, 5)),
    st.tuples(st.just("malformed"), st.integers(0, 1)),
    st.tuples(st.just("array"), st.just(0)),
    st.tuples(st.just("blank"), st.sampled_from([0, 1])),
)
FILES = st.lists(
    st.tuples(
        st.lists(LINES, max_size=12), st.sampled_from(["\n", "\r\n"]), st.booleans(), st.booleans()
    ),
    min_size=1,
    max_size=3,
)
REASONS = {
    "bad_timestamp": 'unparseable timestamp "later"',
    "no_user": "missing both a user id and an anonymous id",
    "malformed": "malformed JSON",
    "array": "not a JSON object (found array)",
}


def _render(shape: str, n: int, position: int) -> str:
    if shape == "valid":  # the content varies by position: only the messageId makes a copy
        return json.dumps(track(f"m{n}", properties={"at": position}))
    if shape == "no_id":  # identical lines: the same derived id
        return json.dumps(track(None, event=f"Derived {n}"))
    if shape == "bad_timestamp":
        return json.dumps(track(f"m{n}", timestamp="later"))
    if shape == "too_old":
        return json.dumps(track(f"m{n}", timestamp="1999-12-31T23:59:59Z"))
    if shape == "no_user":
        return json.dumps(track(f"m{n}", user=None))
    if shape == "malformed":
        return ['{"type": "track", "messageId": "m1"', "{'single': 'quotes'}"][n]
    if shape == "array":
        return "[" + json.dumps(track("m0")) + "]"
    return ["", "  \t "][n]


# `make test` runs a share of the examples; the twin marked `slow` (`.ci/run`) many more.
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files=FILES)
def test_random_ndjson_counts_match_an_independent_oracle(
    files: list[tuple[list[tuple[str, int]], str, bool, bool]],
) -> None:
    _check_random_ndjson(files)


@pytest.mark.slow
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files=FILES)
def test_random_ndjson_counts_match_an_independent_oracle_deep(
    files: list[tuple[list[tuple[str, int]], str, bool, bool]],
) -> None:
    _check_random_ndjson(files)


def _check_random_ndjson(files: list[tuple[list[tuple[str, int]], str, bool, bool]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        con = connect(Path(folder) / "warehouse.duckdb")
        seen_ids: set[str] = set()
        seen_content: set[bytes] = set()
        for index, (lines, newline, bom, compress) in enumerate(files):
            texts = [_render(shape, n, i) for i, (shape, n) in enumerate(lines)]
            data = (codecs.BOM_UTF8 if bom else b"") + "".join(t + newline for t in texts).encode()
            if compress:
                data = gzip.compress(data, mtime=0)
            path = Path(folder) / f"{index}.ndjson{'.gz' if compress else ''}"
            path.write_bytes(data)

            # the oracle: physical line numbers, first good copy of an id wins, ever
            expected_raw: list[int] = []
            expected_quarantine: list[tuple[int, str]] = []
            duplicates = 0
            for number, (shape, n) in enumerate(lines, start=1):
                if shape == "blank":
                    continue
                if shape in ("valid", "no_id"):
                    key = f"{shape}-{n}" if shape == "no_id" else f"m{n}"
                    if key in seen_ids:
                        duplicates += 1
                    else:
                        seen_ids.add(key)
                        expected_raw.append(number)
                elif shape == "too_old":
                    expected_quarantine.append((number, "too_old"))
                else:
                    expected_quarantine.append((number, REASONS[shape]))
            skipped = data in seen_content
            seen_content.add(data)

            (result,) = ingest_files(con, "events", [path], config=CONFIG)

            quarantined = con.execute(
                "select row_number, reason from quarantine.events where source_file = ? "
                "order by row_number",
                [str(path)],
            ).fetchall()
            raw = con.execute(
                "select row_number from raw.events where source_file = ? order by row_number",
                [str(path)],
            ).fetchall()
            if skipped:
                assert (result.skipped, result.rows_read) == (True, 0)
                assert (raw, quarantined) == ([], [])
                continue
            read = len(expected_raw) + duplicates + len(expected_quarantine)
            assert (
                result.rows_read,
                result.rows_loaded,
                result.rows_duplicate,
                result.rows_quarantined,
            ) == (read, len(expected_raw), duplicates, len(expected_quarantine))
            assert result.rows_read == (
                result.rows_loaded + result.rows_duplicate + result.rows_quarantined
            )
            assert [n for (n,) in raw] == expected_raw
            assert [
                (n, "too_old" if r.startswith("timestamp 1999-12-31T23:59:59Z outside") else r)
                for n, r in quarantined
            ] == expected_quarantine
            assert con.execute(
                "select rows_read, rows_loaded, rows_duplicate, rows_quarantined "
                "from meta.ingested_files where path = ?",
                [str(path)],
            ).fetchall() == [(read, len(expected_raw), duplicates, len(expected_quarantine))]
        assert con.execute("select count(*) from raw.events").fetchone() == (len(seen_ids),)
        con.close()
