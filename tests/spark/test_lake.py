"""The lake: staged tables as Parquet, events by UTC date, replaced whole on every export."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

import pmanalytics.lake as lake_module
from pmanalytics.config import parse_config
from pmanalytics.ingest import ingest_files
from pmanalytics.lake import write_lake
from pmanalytics.outputs import MARKER
from pmanalytics.pipeline import build_marts, build_staging

EVENTS = [
    ("m1", "u1", "Signed Up", "2026-03-28T09:00:00Z"),
    # 23:30 UTC is already 2026-03-29 in Paris: the partition is the UTC date
    ("m2", "u1", "Project Created", "2026-03-28T23:30:00Z"),
    ("m3", "u2", "Signed Up", "2026-03-29T08:00:00+02:00"),  # 06:00 UTC
]


def _write_events(path: Path, events: list[tuple[str, str, str, str]]) -> Path:
    lines = [
        json.dumps({"type": "track", "messageId": m, "userId": u, "event": e, "timestamp": t})
        for m, u, e, t in events
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def staged(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> duckdb.DuckDBPyConnection:
    """A warehouse whose staging layer holds EVENTS (and the config tables)."""
    config = parse_config({"analysis": {"timezone": "Europe/Paris"}}, base_dir=tmp_path)
    ingest_files(con, "events", [_write_events(tmp_path / "e.ndjson", EVENTS)], config=config)
    build_staging(con, config)
    return con


def _partitions(root: Path) -> dict[str, int]:
    """event_date folder → rows, read back through DuckDB's hive partitioning."""
    rows = duckdb.execute(
        "select cast(event_date as varchar), count(*) from read_parquet(?, hive_partitioning = "
        "true) group by all order by 1",
        [str(root / "events" / "*" / "*.parquet")],
    ).fetchall()
    return dict(rows)


def test_lake_layout_and_events_partitioned_by_utc_date(
    staged: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    result = write_lake(staged, tmp_path / "lake")
    root = tmp_path / "lake"
    assert result.root == root.resolve()
    assert sorted(p.name for p in (root / "events").iterdir()) == [
        "event_date=2026-03-28",
        "event_date=2026-03-29",
    ]
    assert _partitions(root) == {"2026-03-28": 2, "2026-03-29": 1}
    assert {p.name for p in root.iterdir()} == {
        MARKER,  # pmanalytics made it: a later run may replace it
        "events",
        "users",
        "survey_responses",
        "identity_map",
        "meta",
    }
    assert {p.name for p in (root / "meta").iterdir()} == {
        row[0]
        for row in staged.execute(
            "select table_name from duckdb_tables() where schema_name = 'meta' "
            "and table_name like 'config_%'"
        ).fetchall()
    }
    settings = duckdb.execute(
        "select value from read_parquet(?) where key = 'timezone'",
        [str(root / "meta" / "config_settings" / "*.parquet")],
    ).fetchall()
    assert settings == [("Europe/Paris",)]
    events = duckdb.execute(
        "select event_id, user_id, occurred_at from read_parquet(?) order by occurred_at",
        [str(root / "events" / "*" / "*.parquet")],
    ).fetchall()
    assert [str(r[2]) for r in events] == [
        "2026-03-28 09:00:00",
        "2026-03-28 23:30:00",
        "2026-03-29 06:00:00",
    ]
    counts = {(t.schema, t.table): rows for t, rows in result.tables}
    assert counts[("staging", "events")] == 3 and counts[("staging", "users")] == 2


def test_rerun_replaces_the_lake(staged: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    root = tmp_path / "lake"
    write_lake(staged, root)
    write_lake(staged, root)
    assert _partitions(root) == {"2026-03-28": 2, "2026-03-29": 1}  # not appended twice
    # a day that left staging leaves the lake too (no stale partition folder)
    staged.execute("delete from raw.events where cast(occurred_at as date) = '2026-03-29'")
    build_staging(staged, parse_config({}))
    write_lake(staged, root)
    assert _partitions(root) == {"2026-03-28": 2}
    assert [p.name for p in (root / "events").iterdir()] == ["event_date=2026-03-28"]
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("lake")) == ["lake"]


def test_a_failed_export_leaves_the_previous_lake(
    staged: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "lake"
    write_lake(staged, root)
    before = sorted(str(p.relative_to(root)) for p in root.rglob("*"))
    relation = lake_module._relation

    def crash_on_users(con, table):
        if table.table == "users":
            raise OSError("disk full")
        return relation(con, table)

    monkeypatch.setattr(lake_module, "_relation", crash_on_users)
    with pytest.raises(OSError, match="disk full"):
        write_lake(staged, root)
    assert sorted(str(p.relative_to(root)) for p in root.rglob("*")) == before
    assert _partitions(root) == {"2026-03-28": 2, "2026-03-29": 1}
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("lake")) == ["lake"]


def test_a_lake_moved_aside_by_a_killed_export_is_restored(
    staged: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "lake"
    write_lake(staged, root)
    root.rename(tmp_path / "lake.old-deadbeef")  # killed between the two renames of a swap
    monkeypatch.setattr(lake_module, "_relation", lambda con, table: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        write_lake(staged, root)
    assert _partitions(root) == {"2026-03-28": 2, "2026-03-29": 1}


def test_build_writes_the_lake_only_when_enabled(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    events = _write_events(tmp_path / "e.ndjson", EVENTS)
    ingest_files(con, "events", [events], config=parse_config({}))
    disabled = parse_config({}, base_dir=tmp_path)
    build_staging(con, disabled)
    build_marts(con, disabled)
    assert not (tmp_path / "data" / "lake").exists()
    enabled = parse_config({"lake": {"enabled": True, "path": "exports/lake"}}, base_dir=tmp_path)
    build_staging(con, enabled)
    build_marts(con, enabled)
    assert _partitions(tmp_path / "exports" / "lake") == {"2026-03-28": 2, "2026-03-29": 1}
