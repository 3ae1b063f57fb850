"""pmanalytics only deletes or replaces what it created (issue: a config path wiped a folder).

Each case points an output at something of the user's and checks the exit code, the one-line
message, and that every byte of the user's files is still there.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from pmanalytics.cli import main
from pmanalytics.outputs import MARKER, OutputRefused, claim_folder
from tests.test_cli import EVENT


def _fingerprint(folder: Path) -> dict[str, str]:
    """Every file below ``folder`` with the sha256 of its bytes."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.endswith(".lock")
    }


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project folder: config, one input file, a built warehouse and a user's own files."""
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "events.ndjson").write_text(json.dumps(EVENT) + "\n")
    (tmp_path / "pmanalytics.toml").write_text(
        '[warehouse]\npath = "data/warehouse.duckdb"\n\n'
        '[[sources]]\nname = "app"\nkind = "events"\npath = "exports/events.ndjson"\n'
    )
    mine = tmp_path / "data" / "my_notes"
    mine.mkdir(parents=True)
    (mine / "report.html").write_text("<h1>my own quarterly report</h1>" * 2000)
    (mine / "validations").mkdir()
    (mine / "validations" / "keep.json").write_text("{}")
    config = str(tmp_path / "pmanalytics.toml")
    assert main(["ingest", "events", str(tmp_path / "exports"), "--config", config]) == 0
    assert main(["build", "--config", config, "--docs", str(tmp_path / "docs")]) == 0
    return tmp_path


def _refused(capsys: pytest.CaptureFixture[str], *words: str) -> None:
    message = " ".join(capsys.readouterr().err.split())
    assert "Traceback" not in message
    for word in words:
        assert word in message, message


def test_a_lake_pointed_at_the_warehouse_folder_is_refused(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _fingerprint(project / "data" / "my_notes")
    config = project / "pmanalytics.toml"
    config.write_text(config.read_text() + '\n[lake]\nenabled = true\npath = "data"\n')
    assert main(["build", "--config", str(config), "--docs", str(project / "docs")]) == 2
    _refused(capsys, "the lake", "did not create", "choose a new or empty folder")
    assert _fingerprint(project / "data" / "my_notes") == before  # nothing lost
    assert sorted(p.name for p in (project / "data").iterdir()) == [
        "my_notes",
        "warehouse.duckdb",
        "warehouse.duckdb.lock",
    ]


def test_data_docs_never_clean_a_folder_of_the_users(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mine = project / "data" / "my_notes"
    before = _fingerprint(mine)
    config = str(project / "pmanalytics.toml")
    assert main(["validate", "--config", config, "--docs", str(mine)]) == 2
    _refused(capsys, "Data Docs folder", str(mine), "did not create")
    assert _fingerprint(mine) == before


@pytest.mark.parametrize(
    "target", ["data/warehouse.duckdb", "pmanalytics.toml", "exports/events.ndjson"]
)
def test_the_report_never_overwrites_the_warehouse_config_or_inputs(
    project: Path, target: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = project / target
    before = path.read_bytes()
    config = str(project / "pmanalytics.toml")
    assert main(["report", "--config", config, "--out", str(path)]) == 2
    _refused(capsys, "refusing to write the report over", target.split("/")[-1])
    assert path.read_bytes() == before


def test_a_report_into_a_folder_is_a_usage_error(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = str(project / "pmanalytics.toml")
    assert main(["report", "--config", config, "--out", str(project / "data")]) == 2
    _refused(capsys, "is a folder")


def test_an_export_refuses_a_foreign_folder_and_a_file(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = str(project / "pmanalytics.toml")
    mine = project / "data" / "my_notes"
    before = _fingerprint(mine)
    assert main(["export", "--config", config, "--format", "csv", "--out", str(mine)]) == 2
    _refused(capsys, "the export", "did not create")
    assert _fingerprint(mine) == before
    a_file = project / "exports" / "events.ndjson"
    assert main(["export", "--config", config, "--format", "csv", "--out", str(a_file)]) == 2
    _refused(capsys, "is a file, not a folder")
    # a new folder is made, marked, and may be written again
    out = project / "bi"
    for _ in range(2):
        assert main(["export", "--config", config, "--format", "csv", "--out", str(out)]) == 0
    assert (out / MARKER).is_file() and (out / "kpi_active_users.csv").is_file()


def test_owned_and_empty_folders_are_claimed_and_others_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert claim_folder(empty, "x") == empty and (empty / MARKER).is_file()
    assert claim_folder(empty, "x") == empty  # marked: ours from now on
    assert (claim_folder(tmp_path / "new" / "deep", "x") / MARKER).is_file()
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "a.txt").write_text("keep")
    with pytest.raises(OutputRefused, match="did not create"):
        claim_folder(theirs, "x")
    assert not (theirs / MARKER).exists()
    # Data Docs written by a version before markers: recognised by what we wrote into them
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    (legacy / "index.html").write_text('<style id="pma-offline"></style>')
    assert claim_folder(
        legacy, "x", made_by_us=lambda f: "pma-offline" in (f / "index.html").read_text()
    )
