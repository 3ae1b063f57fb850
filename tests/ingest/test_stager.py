"""Staging beside the insert: the next file is staged while one is written, within bounds,
and a failure on either side leaves no staging database or thread behind."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import duckdb
import pytest
from ingest_helpers import Warehouse, outcome, track, write_ndjson

from pmanalytics.errors import IngestError
from pmanalytics.ingest import loader, stager


def _files(tmp_path: Path, n: int, rows: int = 5) -> list[Path]:
    return [
        write_ndjson(tmp_path / f"f{k}.ndjson", *(track(f"f{k}-{i}") for i in range(rows)))
        for k in range(n)
    ]


def _staging_databases(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        name
        for (name,) in con.execute("select database_name from duckdb_databases()").fetchall()
        if name.startswith("pma_stage_")
    ]


def _stager_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "pma-stager"]


def test_the_next_file_is_staged_while_one_is_loaded(
    wh: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first file's load waits until the second file is staged: that only happens if
    staging runs beside the load (one after the other, the wait times out)."""
    first, second = _files(tmp_path, 2)
    second_staged = threading.Event()
    stage_file = stager.Stager._stage_file

    def staging(self: stager.Stager, facts):  # type: ignore[no-untyped-def]
        staged = stage_file(self, facts)
        if Path(facts.path) == second:
            second_staged.set()
        return staged

    seen_while_loading: list[bool] = []
    load_file = loader.load_file

    def loading(con, target, facts, *args):  # type: ignore[no-untyped-def]
        if Path(facts.path) == first:
            seen_while_loading.append(second_staged.wait(timeout=30))
        return load_file(con, target, facts, *args)

    monkeypatch.setattr(stager.Stager, "_stage_file", staging)
    monkeypatch.setattr(loader, "load_file", loading)
    results = wh.ingest("events", first, second)

    assert seen_while_loading == [True]
    assert [outcome(r) for r in results] == [(5, 5, 0, 0, False)] * 2
    assert _staging_databases(wh.con) == [] and _stager_threads() == []


@pytest.mark.parametrize("limit", ["TRANSACTION_ROWS", "TRANSACTION_FILES"])
def test_staging_stays_within_two_transactions_of_the_loader(
    wh: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: str
) -> None:
    """A slow loader: the stager holds at most two transactions' files (one file each here,
    by rows or by count) plus the one it stages, never all eight."""
    files = _files(tmp_path, 8)
    monkeypatch.setattr(loader, limit, 5 if limit == "TRANSACTION_ROWS" else 1)
    most_held = [0]
    stage_file = stager.Stager._stage_file

    def staging(self: stager.Stager, facts):  # type: ignore[no-untyped-def]
        staged = stage_file(self, facts)
        most_held[0] = max(most_held[0], len(self._held))
        return staged

    load_file = loader.load_file

    def slow_loading(*args):  # type: ignore[no-untyped-def]
        time.sleep(0.1)
        return load_file(*args)

    monkeypatch.setattr(stager.Stager, "_stage_file", staging)
    monkeypatch.setattr(loader, "load_file", slow_loading)
    results = wh.ingest("events", *files)

    assert [outcome(r) for r in results] == [(5, 5, 0, 0, False)] * 8
    assert 2 <= most_held[0] <= loader.STAGED_AHEAD + 1
    assert _staging_databases(wh.con) == []


def test_a_failing_load_commits_the_files_before_it_and_stops_staging(
    wh: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = _files(tmp_path, 6)
    classify = loader._classify_and_insert

    def failing(con, target, incoming, path, load_id):  # type: ignore[no-untyped-def]
        if Path(path) == files[2]:
            raise IngestError(f"{path}: made to fail")
        return classify(con, target, incoming, path, load_id)

    monkeypatch.setattr(loader, "_classify_and_insert", failing)
    with pytest.raises(IngestError, match="made to fail"):
        wh.ingest("events", *files)

    loaded = wh.rows("select distinct source_file from raw.events order by 1")
    assert loaded == [(str(files[0]),), (str(files[1]),)]
    assert len(wh.rows("select * from meta.ingested_files")) == 2
    assert _staging_databases(wh.con) == [] and _stager_threads() == []


@pytest.mark.parametrize("records", [500, 20_000], ids=["fails-inspection", "fails-staging"])
def test_a_truncated_file_fails_in_its_turn_and_leaves_nothing_staged(
    wh: Warehouse, tmp_path: Path, records: int
) -> None:
    """Cut short within its first 64 KiB of text, a gzip file fails when it is inspected;
    later, while the stager reads it: the same clear error either way."""
    good = _files(tmp_path, 3)
    lines = (track(f"b{i}") for i in range(records))
    whole = write_ndjson(tmp_path / "whole.ndjson.gz", *lines, compress=True)
    broken = tmp_path / "broken.ndjson.gz"
    broken.write_bytes(whole.read_bytes()[:-40])  # a truncated download
    with pytest.raises(IngestError, match=r"broken\.ndjson\.gz: cannot be read to the end"):
        wh.ingest("events", good[0], good[1], broken, good[2])

    loaded = wh.rows("select distinct source_file from raw.events order by 1")
    assert loaded == [(str(good[0]),), (str(good[1]),)]
    assert _staging_databases(wh.con) == [] and _stager_threads() == []


def test_a_load_interrupted_mid_staging_leaves_nothing_and_reruns_whole(
    wh: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C while the stager is parsing a big file: the open transaction rolls back, the
    staging statement is interrupted, nothing is left attached or running; a rerun loads
    every file once."""
    small = _files(tmp_path, 2)
    big = write_ndjson(tmp_path / "big.ndjson", *(track(f"big-{i}") for i in range(60_000)))
    big_started = threading.Event()
    stage_file = stager.Stager._stage_file

    def staging(self: stager.Stager, facts):  # type: ignore[no-untyped-def]
        if Path(facts.path) == big:
            big_started.set()
        return stage_file(self, facts)

    classify = loader._classify_and_insert

    def interrupted(con, target, incoming, path, load_id):  # type: ignore[no-untyped-def]
        if Path(path) == small[1]:
            assert big_started.wait(timeout=30)
            time.sleep(0.05)  # the big file's staging statement is under way
            raise KeyboardInterrupt
        return classify(con, target, incoming, path, load_id)

    monkeypatch.setattr(stager.Stager, "_stage_file", staging)
    monkeypatch.setattr(loader, "_classify_and_insert", interrupted)
    with pytest.raises(KeyboardInterrupt):
        wh.ingest("events", *small, big)
    assert wh.totals()["raw.events"] == 0 and wh.totals()["meta.ingested_files"] == 0
    assert _staging_databases(wh.con) == [] and _stager_threads() == []

    monkeypatch.setattr(loader, "_classify_and_insert", classify)
    results = wh.ingest("events", *small, big)
    assert [outcome(r) for r in results] == [(5, 5, 0, 0, False)] * 2 + [
        (60_000, 60_000, 0, 0, False)
    ]
