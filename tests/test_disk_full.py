"""A full disk mid-load: one line naming the cause, nothing half-loaded, a clean rerun.

The warehouse lives on a tiny tmpfs mounted for the test (root only: CI runs as root; on a
developer's machine without root the test says so and skips).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from pmanalytics.cli import main


def _mount(folder: Path, size: str, *, remount: bool = False) -> subprocess.CompletedProcess:
    options = f"remount,size={size}" if remount else f"size={size}"
    return subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "disk"
    folder.mkdir()
    done = _mount(folder, "2m")
    if done.returncode != 0:
        pytest.skip(f"needs root to mount a 2 MB tmpfs (CI runs as root): {done.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


def test_a_full_disk_loses_nothing_and_the_rerun_adds_up(
    small_disk: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events = tmp_path / "events.ndjson"
    with events.open("w") as handle:
        for i in range(40_000):  # 7 MB of events: more than the disk holds
            event = {
                "type": "track",
                "messageId": f"m{i}",
                "userId": f"u{i % 500}",
                "event": f"E{i % 50}",
                "timestamp": "2026-08-03T10:00:00Z",
                "properties": {"x": "y" * 50},
            }
            handle.write(json.dumps(event) + "\n")
    db = small_disk / "w.duckdb"
    assert main(["ingest", "events", str(events), "--db", str(db)]) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert "No space left on device" in err and "Traceback" not in err

    assert _mount(small_disk, "256m", remount=True).returncode == 0  # space freed
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("select count(*) from meta.ingested_files").fetchone() == (0,)
    assert con.execute("select count(*) from raw.events").fetchone() == (0,)
    con.close()
    assert main(["ingest", "events", str(events), "--db", str(db)]) == 0
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute(
        "select rows_read, rows_loaded, rows_duplicate, rows_quarantined from meta.ingested_files"
    ).fetchall() == [(40_000, 40_000, 0, 0)]
    assert con.execute("select count(*) from raw.events").fetchone() == (40_000,)
    con.close()
