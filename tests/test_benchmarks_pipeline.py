"""The whole-pipeline benchmark harness end to end at a tiny size, and where it writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import common, pipeline

pytestmark = pytest.mark.realdata  # the comment corpus is the shared NHS / reviews data


def _tiny_data_set(size: int, cache: Path) -> pipeline.DataSet:
    """About 12k events over 8 days (7 loaded, 1 held back) and 150 comments: seconds."""
    return pipeline.DataSet(size, users=600, days=8, comments=150, work=cache / "tiny")


@pytest.mark.slow  # ~19 s on a quiet machine, the longest fast test: .ci/run runs it
def test_tiny_run_prints_every_stage_ratio_and_target(
    shared_data: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(pipeline, "data_set", _tiny_data_set)
    docs_before = common.DOCS.read_text()

    argv = ["--sizes", "10000", "--runs", "1", "--no-write", "--cache", str(tmp_path)]
    assert pipeline.main(argv) == 0

    out = capsys.readouterr().out
    table = out[out.index("## Summary") :]
    assert f"Command: `{pipeline.COMMAND} --sizes 10000 --runs 1`" in table
    for stage in (*pipeline.STAGES, "**total**"):
        assert f"| {stage} |" in table, stage
    for comparison in pipeline.BASELINE_NAMES.values():
        row = next(line for line in table.splitlines() if line.startswith(f"| {comparison} | 10k"))
        assert row.endswith("× |"), row
    verdicts = [line for line in table.splitlines() if line.endswith(("| met |", "missed** |"))]
    assert len(verdicts) == 6  # every target with a threshold got a verdict
    assert common.DOCS.read_text() == docs_before  # --no-write
    assert not (tmp_path / "tiny" / "runs").exists()  # scratch warehouses removed
    assert (tmp_path / "tiny" / "manifest.json").is_file()  # the data set is kept for reuse


def test_section_goes_under_the_title_once_then_is_replaced_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = tmp_path / "benchmarks.md"
    docs.write_text("# Benchmarks\n\n<!-- ingest:start -->\ningest\n<!-- ingest:end -->\n")
    monkeypatch.setattr(common, "DOCS", docs)

    common.write_section("pipeline", "first", first=True)
    common.write_section("pipeline", "second", first=True)

    assert docs.read_text() == (
        "# Benchmarks\n\n<!-- pipeline:start -->\nsecond\n<!-- pipeline:end -->\n\n"
        "<!-- ingest:start -->\ningest\n<!-- ingest:end -->\n"
    )
