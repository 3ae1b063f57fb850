"""A rerun trusts the hash recorded for an unchanged file, and only for an unchanged file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from ingest_helpers import Warehouse, outcome, track, write_ndjson, write_text

import pmanalytics.ingest as ingest
from pmanalytics.ingest import files, memo


@pytest.fixture
def hashed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files read to be hashed, in order."""
    calls: list[str] = []

    def counted(path: Path) -> tuple[str, int]:
        calls.append(path.name)
        return files.hash_file(path)

    monkeypatch.setattr(ingest, "hash_file", counted)
    return calls


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files written by the test count as settled at once (no racy window to wait out)."""
    monkeypatch.setattr(memo, "RACY_SECONDS", 0.0)


def test_a_rerun_reads_no_file_it_loaded(wh: Warehouse, tmp_path: Path, hashed, settled):
    a = write_ndjson(tmp_path / "a.ndjson", track("m1"), track("m2"))
    b = write_ndjson(tmp_path / "b.ndjson.gz", track("m3"), compress=True)
    first = wh.ingest("events", a, b)
    assert [outcome(r) for r in first] == [(2, 2, 0, 0, False), (1, 1, 0, 0, False)]
    assert hashed == ["a.ndjson", "b.ndjson.gz"]
    again = wh.ingest("events", a, b)
    assert [r.skipped for r in again] == [True, True]
    assert [r.sha256 for r in again] == [r.sha256 for r in first]
    assert hashed == ["a.ndjson", "b.ndjson.gz"]  # nothing read the second time
    assert wh.rows("select count(*) from meta.file_hashes") == [(2,)]


def test_a_file_rewritten_with_its_old_times_is_read_and_loaded(
    wh: Warehouse, tmp_path: Path, hashed, settled
):
    path = write_ndjson(tmp_path / "day.ndjson", track("m1", event="Clicked"))
    wh.ingest_one("events", path)
    before = path.stat()
    write_ndjson(path, track("m9", event="Opened!"))  # same size, other content
    assert path.stat().st_size == before.st_size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # as cp -p or touch -d would
    result = wh.ingest_one("events", path)
    assert hashed == ["day.ndjson", "day.ndjson"]  # its status-change time moved
    assert outcome(result) == (1, 1, 0, 0, False)
    assert wh.rows("select count(*) from raw.events") == [(2,)]


def test_a_file_changed_just_before_its_hash_is_read_again(wh: Warehouse, tmp_path: Path, hashed):
    # written a moment ago: within RACY_SECONDS, a coarse file-system clock could still
    # hide a change, so the next run hashes it again (and then skips it by that hash)
    path = write_ndjson(tmp_path / "now.ndjson", track("m1"))
    wh.ingest_one("events", path)
    assert wh.ingest_one("events", path).skipped
    assert hashed == ["now.ndjson", "now.ndjson"]


def test_a_loaded_file_is_not_checked_or_read_ahead_again(
    wh: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settled
):
    users = write_text(tmp_path / "users.csv", "user_id,plan\nu1,free\nu2,team\n")
    events = [write_ndjson(tmp_path / f"e{i}.ndjson", track(f"m{i}")) for i in range(3)]
    wh.ingest_one("users", users)
    wh.ingest("events", *events)
    reads: list[str] = []
    for name in ("_check_utf8", "_first_block"):
        original = getattr(files, name)
        monkeypatch.setattr(
            files, name, lambda path, *a, _f=original: reads.append(path.name) or _f(path, *a)
        )
    started: list[str] = []
    monkeypatch.setattr(ingest, "read_ahead", lambda facts: started.append(facts.path.name))
    assert wh.ingest_one("users", users).skipped
    assert all(r.skipped for r in wh.ingest("events", *events))
    assert reads == [] and started == []
    fresh = write_ndjson(tmp_path / "e3.ndjson", track("m3"))
    assert not wh.ingest("events", *events, fresh)[-1].skipped
    assert reads == ["e3.ndjson"] and started == ["e3.ndjson"]  # a new file still is
