"""The command line explains itself: --version, every default in the help, CSV a BI tool
reads, and config paths relative to the config file."""

from __future__ import annotations

import argparse
import csv
import json
import os
from pathlib import Path

import duckdb
import pytest

import pmanalytics
from pmanalytics.cli import build_parser, main
from pmanalytics.config import load_config
from pmanalytics.export import export_marts
from pmanalytics.ingest import expand_paths

REPO = Path(__file__).resolve().parents[1]


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"pmanalytics {pmanalytics.__version__}"


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(commands.choices)


@pytest.mark.parametrize("name", sorted(_subcommands()))
def test_every_option_has_help_that_names_its_default(name: str) -> None:
    parser = _subcommands()[name]
    text = parser.format_help()
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        assert action.help, f"{name} {action.dest}: no help"
        if action.default not in (None, False) and action.option_strings:
            assert f"{action.default}" in text.replace("\n", " "), (name, action.dest)


def test_report_and_export_say_their_defaults() -> None:
    commands = _subcommands()
    report = " ".join(commands["report"].format_help().split())
    assert "reports/report.html beside the config file" in report
    export = " ".join(commands["export"].format_help().split())
    assert "(default: parquet)" in export and "JSON text" in export
    sample = " ".join(commands["sample"].format_help().split())
    assert "(default: 1000)" in sample and "(default: 60)" in sample and "(default: 7)" in sample


def test_csv_export_writes_list_columns_as_json_text(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("create schema marts")
    con.execute(
        "create table marts.pain_points as select 'pp_1' as pain_point_id, "
        "['slow, really', 'say \"hi\"'] as keywords, {'a': 1} as extra, 2 as comments"
    )
    (path,) = export_marts(con, tmp_path / "out", "csv")
    con.close()
    with path.open(newline="", encoding="utf-8") as handle:
        (row,) = list(csv.DictReader(handle))
    assert json.loads(row["keywords"]) == ["slow, really", 'say "hi"']  # a comma stays inside
    assert json.loads(row["extra"]) == {"a": 1}
    assert row["comments"] == "2" and row["pain_point_id"] == "pp_1"


def test_config_paths_are_relative_to_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    (project / "models" / "mine").mkdir(parents=True)
    (project / "pmanalytics.toml").write_text(
        '[warehouse]\npath = "data/w.duckdb"\n[pain_points]\nembedding_model = "models/mine"\n'
        '[lake]\npath = "lake"\n'
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    config = load_config(project / "pmanalytics.toml")
    assert Path(config.pain_points.embedding_model) == project / "models" / "mine"
    assert config.resolve(config.warehouse.path) == project / "data" / "w.duckdb"
    assert config.resolve(config.lake.path) == project / "lake"


@pytest.mark.realdata
@pytest.mark.parametrize("example", ["nhs_fft.toml", "womens_clothing_reviews.toml"])
def test_example_configs_find_their_data_from_any_folder(
    example: str, shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # not the checkout: the paths follow the file, not the cwd
    config = load_config(REPO / "docs" / "examples" / example)
    (source,) = config.sources
    (found,) = expand_paths([source.path], config.base_dir)
    assert found.is_file() and os.path.commonpath([found, shared_data]) == str(shared_data)
