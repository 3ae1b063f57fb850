"""Bad paths, bad config values, corrupt files: one line and an exit code, never a traceback.

A usage or configuration error exits 2, a failed run exits 1; ``--debug`` shows the traceback.
Each case builds its own bad input in a fresh folder and runs the real command line.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from pmanalytics.cli import main

EVENT = {
    "type": "track",
    "messageId": "m1",
    "userId": "u1",
    "event": "Signed Up",
    "timestamp": "2026-08-03T10:00:00Z",
}


def _config(tmp: Path, text: str) -> str:
    path = tmp / "pmanalytics.toml"
    path.write_text('[warehouse]\npath = "w.duckdb"\n' + text)
    return str(path)


def _truncated_gzip(tmp: Path) -> list[str]:
    whole = gzip.compress((json.dumps(EVENT) + "\n").encode() * 2000)
    path = tmp / "events.ndjson.gz"
    path.write_bytes(whole[: len(whole) // 2])
    return ["ingest", "events", str(path), "--db", str(tmp / "w.duckdb")]


def _broken_deflate(tmp: Path) -> list[str]:
    whole = bytearray(gzip.compress((json.dumps(EVENT) + "\n").encode() * 2000))
    whole[10] = 0x07  # the first deflate block's type: 3, which does not exist
    path = tmp / "events.ndjson.gz"
    path.write_bytes(bytes(whole))
    return ["ingest", "events", str(path), "--db", str(tmp / "w.duckdb")]


def _symlink_loop(tmp: Path) -> list[str]:
    (tmp / "loop.ndjson").symlink_to(tmp / "loop.ndjson")
    return ["ingest", "events", str(tmp / "loop.ndjson"), "--db", str(tmp / "w.duckdb")]


def _corrupt_warehouse(tmp: Path) -> list[str]:
    db = tmp / "w.duckdb"
    db.write_bytes(b"DUCK" + bytes(range(256)) * 64)
    return ["report", "--db", str(db), "--out", str(tmp / "r.html")]


def _warehouse(tmp: Path) -> str:
    db = tmp / "w.duckdb"
    assert main(["ingest", "events", str(_events(tmp)), "--db", str(db)]) == 0
    return str(db)


def _unwritable_report(tmp: Path) -> list[str]:
    return ["report", "--db", _warehouse(tmp), "--out", "/proc/pmanalytics/report.html"]


def _events(tmp: Path) -> Path:
    path = tmp / "events.ndjson"
    path.write_text(json.dumps(EVENT) + "\n")
    return path


def _memory_zero(tmp: Path) -> str:
    path = tmp / "pmanalytics.toml"
    path.write_text('[warehouse]\npath = "w.duckdb"\nmemory_limit = "0GB"\n')
    return str(path)


CASES: dict[str, tuple[Callable[[Path], list[str]], int, str]] = {
    "truncated gzip": (_truncated_gzip, 1, "events.ndjson.gz"),
    "broken deflate stream": (_broken_deflate, 1, "events.ndjson.gz"),
    "symlink loop": (_symlink_loop, 1, "loop.ndjson"),
    "corrupt warehouse": (_corrupt_warehouse, 1, "w.duckdb"),
    "unwritable report folder": (_unwritable_report, 1, "/proc/pmanalytics"),
    "report into a folder": (
        lambda t: ["report", "--db", _warehouse(t), "--out", str(t)],
        2,
        "is a folder",
    ),
    "export to a file": (
        lambda t: ["export", "--db", _warehouse(t), "--out", str(_events(t))],
        2,
        "is a file",
    ),
    "config is a folder": (lambda t: ["build", "--config", str(t)], 2, "is a folder"),
    "invalid cron": (
        lambda t: ["serve", "--cron", "every day", "--db", str(t / "w.duckdb")],
        2,
        "every day",
    ),
    "invalid time zone": (
        lambda t: ["serve", "--cron", "0 6 * * *", "--timezone", "Mars/Base"],
        2,
        "Mars/Base",
    ),
    "bad date_format": (
        lambda t: [
            "build",
            "--config",
            _config(
                t,
                '[[sources]]\nname = "s"\nkind = "surveys"\npath = "x.csv"\n'
                '[sources.mapping]\ndate_format = "%Q"\n',
            ),
        ],
        2,
        "date_format",
    ),
    "bad date_formats": (
        lambda t: [
            "build",
            "--config",
            _config(
                t,
                '[[sources]]\nname = "s"\nkind = "surveys"\npath = "x.csv"\n'
                '[sources.mapping]\ndate_formats = ["%d/%m/%Y", "%Q"]\n',
            ),
        ],
        2,
        "date_formats '%Q'",
    ),
    "huge funnel window": (
        lambda t: [
            "build",
            "--config",
            _config(t, '[[funnels]]\nname = "f"\nsteps = ["a", "b"]\nwindow = "99999999w"\n'),
        ],
        2,
        "longer than 100 years",
    ),
    "bad as_of date": (
        lambda t: ["build", "--config", _config(t, '[analysis]\nas_of = "2026-02-30"\n')],
        2,
        "as_of must be a date",
    ),
    "infinite freshness": (
        lambda t: ["build", "--config", _config(t, "[validation]\nfreshness_hours = 1e400\n")],
        2,
        "freshness_hours",
    ),
    "zero memory limit": (lambda t: ["build", "--config", _memory_zero(t)], 2, "memory_limit"),
    "too few sample users": (
        lambda t: ["sample", "--out", str(t / "s"), "--users", "0"],
        2,
        "--users 20 or more",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_one_line_and_an_exit_code_never_a_traceback(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build, code, named = CASES[case]
    argv = build(tmp_path)
    capsys.readouterr()
    assert main(argv) == code
    err = capsys.readouterr().err
    assert "Traceback" not in err and 'File "' not in err
    assert named in " ".join(err.split()), err


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    argv = _corrupt_warehouse(tmp_path)
    with pytest.raises(Exception):  # noqa: B017 - whatever DuckDB raises, it is not caught
        main([*argv, "--debug"])
