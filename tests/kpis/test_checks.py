"""A typo in a configured event name, or a mart left empty, is said in the build summary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pmanalytics.cli import main
from pmanalytics.config import parse_config
from pmanalytics.errors import ConfigError

EVENTS = [
    {
        "type": "track",
        "messageId": f"m{i}",
        "userId": f"u{i % 3}",
        "event": name,
        "timestamp": f"2026-08-0{1 + i % 5}T10:00:00Z",
    }
    for i, name in enumerate(["Signed Up", "Project Created", "Signed Up", "Report Exported"] * 3)
]


@pytest.mark.parametrize(
    "section",
    [
        {"retention": {"start_event": ""}},
        {"retention": {"return_event": "  "}},
        {"activation": {"event": ""}},
        {"analysis": {"active_events": ["Signed Up", ""]}},
        {"funnels": [{"name": "f", "steps": ["Signed Up", " "]}]},
        {"funnels": [{"name": "f", "steps": ["a", "b"], "exclusions": [""]}]},
        {"features": [{"name": "x", "events": [""]}]},
    ],
)
def test_an_empty_event_name_is_a_config_error(section: dict) -> None:
    with pytest.raises(ConfigError, match="an event name must not be empty"):
        parse_config(section)


def test_unknown_event_names_and_empty_marts_are_named_with_suggestions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events = tmp_path / "events.ndjson"
    events.write_text("".join(json.dumps(e) + "\n" for e in EVENTS))
    config = tmp_path / "pmanalytics.toml"
    config.write_text(
        '[warehouse]\npath = "w.duckdb"\n'
        '[retention]\nstart_event = "Signed Upp"\n'
        '[[features]]\nname = "exports"\nevents = ["Report Exported", "Export Faild"]\n'
    )
    assert main(["ingest", "events", str(events), "--config", str(config)]) == 0
    capsys.readouterr()
    assert main(["build", "--config", str(config), "--docs", str(tmp_path / "docs")]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "warnings:" in out
    assert (
        "[retention] start_event: no event is named 'Signed Upp' (did you mean 'Signed Up'?)" in out
    )
    assert "[[features]] exports: no event is named 'Export Faild'" in out
    assert "marts.kpi_retention is empty although staging.events is not" in out
    assert "'Report Exported'" not in out.split("warnings:")[1]  # a known name is not flagged
