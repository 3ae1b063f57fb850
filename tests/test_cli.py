from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pmanalytics.cli import main

EVENT = {
    "type": "track",
    "messageId": "m1",
    "userId": "u1",
    "event": "Signed Up",
    "timestamp": "2026-08-03T10:00:00Z",
}

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def events_file(tmp_path: Path) -> Path:
    path = tmp_path / "events.ndjson"
    path.write_text(json.dumps(EVENT) + "\n{broken\n" + json.dumps(EVENT) + "\n")
    return path


def test_ingest_prints_counts_and_exits_0(
    events_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "w.duckdb"
    assert main(["ingest", "events", str(events_file), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "events.ndjson" in out and str(db) in out
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute(
        "select rows_read, rows_loaded, rows_duplicate, rows_quarantined from meta.ingested_files"
    ).fetchall() == [(3, 1, 1, 1)]
    con.close()
    assert main(["ingest", "events", str(events_file), "--db", str(db)]) == 0
    assert "already loaded" in capsys.readouterr().out


def test_pma_db_path_is_honoured(
    events_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "from-env.duckdb"
    monkeypatch.setenv("PMA_DB_PATH", str(db))
    monkeypatch.chdir(tmp_path)
    assert main(["ingest", "events", str(events_file)]) == 0
    assert db.exists()


def test_unreadable_file_exits_1_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "utf16.ndjson"
    path.write_bytes(json.dumps(EVENT).encode("utf-16"))
    assert main(["ingest", "events", str(path), "--db", str(tmp_path / "w.duckdb")]) == 1
    err = capsys.readouterr().err
    assert "utf16.ndjson" in err and "UTF-16" in err


def test_missing_file_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            ["ingest", "events", str(tmp_path / "nope*.ndjson"), "--db", str(tmp_path / "w.duckdb")]
        )
        == 1
    )
    assert "no files match" in capsys.readouterr().err


def test_bad_config_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "pmanalytics.toml"
    config.write_text("[analysis]\nweek_start = 'friday'\n")
    assert main(["build", "--config", str(config), "--db", str(tmp_path / "w.duckdb")]) == 2
    assert "analysis.week_start" in capsys.readouterr().err


def test_usage_error_exits_2() -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["ingest", "tickets", "x.csv"])
    assert exit_info.value.code == 2


def test_source_of_the_wrong_kind_exits_2(tmp_path: Path, events_file: Path) -> None:
    config = tmp_path / "pmanalytics.toml"
    config.write_text('[[sources]]\nname = "s"\nkind = "surveys"\npath = "x.csv"\n')
    assert (
        main(
            [
                "ingest",
                "events",
                str(events_file),
                "--source",
                "s",
                "--config",
                str(config),
                "--db",
                str(tmp_path / "w.duckdb"),
            ]
        )
        == 2
    )


def test_build_after_ingest(
    events_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # no --config: the project's pmanalytics.toml in the working directory is used, as it was
    # from the checkout; a copy, so the Data Docs go under tmp_path, not the checkout
    shutil.copy(REPO / "pmanalytics.toml", tmp_path / "pmanalytics.toml")
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "w.duckdb"
    main(["ingest", "events", str(events_file), "--db", str(db)])
    assert main(["build", "--db", str(db)]) == 0
    assert "staging.events" in capsys.readouterr().out
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("select user_id, event from staging.events").fetchall() == [
        ("u1", "Signed Up")
    ]
    con.close()


def test_demo_without_sources_exits_2(tmp_path: Path) -> None:
    config = tmp_path / "pmanalytics.toml"
    config.write_text("[warehouse]\n")
    assert main(["demo", "--config", str(config), "--db", str(tmp_path / "w.duckdb")]) == 2


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "pmanalytics"
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0
    for command in ("demo", "sample", "ingest", "build"):
        assert command in result.stdout


def test_the_library_never_imports_prefect_and_loads_gx_lazily() -> None:
    code = (
        "import sys, pmanalytics, pmanalytics.cli, pmanalytics.pipeline, pmanalytics.quality\n"
        "assert 'prefect' not in sys.modules, 'the library imported Prefect'\n"
        "assert 'great_expectations' not in sys.modules, 'GX imported eagerly'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("db", [":memory:", ":memory:scratch", "md:analytics", "s3://b/w.duckdb"])
def test_the_warehouse_must_be_a_file(
    db: str, events_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # an in-memory database would be thrown away; md: and s3:// would reach the network
    assert main(["ingest", "events", str(events_file), "--db", db]) == 2
    assert "is not a file path" in capsys.readouterr().err


def test_duckdb_never_loads_extensions_by_itself(tmp_path: Path) -> None:
    from pmanalytics.warehouse import connect

    con = connect(tmp_path / "w.duckdb")
    settings = dict(
        con.execute(
            "select name, value from duckdb_settings() where name in "
            "('autoinstall_known_extensions', 'autoload_known_extensions')"
        ).fetchall()
    )
    con.close()
    assert settings == {
        "autoinstall_known_extensions": "false",
        "autoload_known_extensions": "false",
    }


def test_control_characters_from_input_are_shown_not_obeyed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "evil\x1b[2J.ndjson"
    path.write_text('{"type": "track", "messageId": "m", "event": "x\\u001b[2J"}\n')
    assert main(["ingest", "events", str(path), "--db", str(tmp_path / "w.duckdb")]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "evil\\x1b[2J.ndjson" in out


def test_a_run_killed_mid_way_is_marked_abandoned_by_the_next(tmp_path: Path) -> None:
    from pmanalytics.pipeline import finish_run, start_run
    from pmanalytics.warehouse import connect

    con = connect(tmp_path / "w.duckdb")
    start_run(con, "killed", {})  # never finished: the process died
    start_run(con, "next", {})
    finish_run(con, "next", "succeeded")
    rows = con.execute("select run_id, status from meta.pipeline_runs order by run_id").fetchall()
    con.close()
    assert rows == [("killed", "abandoned"), ("next", "succeeded")]
