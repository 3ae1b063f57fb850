"""The proof for Spark: every KPI mart built on Spark ``local[2]`` equals DuckDB's, row for row.

The committed sample is ingested and built in DuckDB (the reference marts), then
``build --engine spark``'s own path runs: staging and validation in DuckDB, the lake, every
marts model on Spark (overrides or transpiled), each written as Parquet. The Parquet Spark
wrote is what is compared, so the test checks what a user of the Spark build gets.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, NamedTuple

import duckdb
import pytest

from pmanalytics.config import Config, FunnelExclusion, LakeConfig, SparkConfig, load_config
from pmanalytics.engines import EngineUnavailable
from pmanalytics.engines.spark import SparkEngine, check_spark_available, intermediate_folder
from pmanalytics.ingest import ingest_sources
from pmanalytics.outputs import MARKER
from pmanalytics.pipeline import build, new_run_id
from pmanalytics.warehouse import ModelRun, compose, connect

pytestmark = [pytest.mark.spark, pytest.mark.slow]  # ~70 s of Spark: .ci/run runs it

REPO = Path(__file__).resolve().parents[2]


class SparkRun(NamedTuple):
    """What ``build(..., engine="spark")`` made: its Spark models and where they are."""

    models: list[ModelRun]
    output: Path
    lake: Path


KPI_TABLES = [
    "kpi_activation",
    "kpi_active_users",
    "kpi_feature_adoption",
    "kpi_funnel",
    "kpi_lifecycle",
    "kpi_retention",
    "kpi_stickiness",
    "kpi_survey_scores",
]
TIME_ZONE = "America/New_York"
#: Before the sample's last event (Oct 1, 2026): events, signups and responses are cut there.
AS_OF = date(2026, 9, 20)
#: Both forms of funnel exclusion, so the Spark override's exclusion path is compared too.
EXCLUSIONS = [
    FunnelExclusion(event="Export Failed", from_step=1, to_step=4),
    FunnelExclusion(event="App Crashed", from_step=2, to_step=4),
]
#: Floats are computed in a different order by the two engines (sums, medians, divisions).
REL_TOL = 1e-9
ABS_TOL = 1e-9


def _spark_or_skip() -> None:
    pytest.importorskip("pyspark", reason="needs pyspark: pip install 'pmanalytics[spark]'")
    try:
        check_spark_available()
    except EngineUnavailable as exc:
        pytest.skip(f"Spark cannot start here: {exc}")


@pytest.fixture(scope="module")
def built(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[duckdb.DuckDBPyConnection, SparkRun]]:
    _spark_or_skip()
    work = tmp_path_factory.mktemp("spark-sample")
    sample = load_config(REPO / "pmanalytics.toml")
    # A time zone with daylight saving (and cohorts from 2024 that cross its changes), so
    # that the local-time conversion of both engines is compared, not UTC's identity; an
    # as-of date inside the data, and funnel exclusions.
    analysis = sample.analysis.model_copy(update={"timezone": TIME_ZONE, "as_of": AS_OF})
    funnels = [f.model_copy(update={"exclusions": EXCLUSIONS}) for f in sample.funnels]
    config: Config = sample.model_copy(
        update={
            "analysis": analysis,
            "funnels": funnels,
            "lake": LakeConfig(path=str(work / "lake")),
            "spark": SparkConfig(master="local[2]", output=str(work / "spark")),
        }
    )
    con = connect(work / "w.duckdb")
    ingest_sources(con, config)
    build(con, config, data_docs_dir=work / "docs", pain_points=False)  # DuckDB's marts
    spark = build(
        con,
        config,
        engine="spark",
        run_id=new_run_id(),
        data_docs_dir=work / "docs",
        pain_points=False,
    )
    yield (
        con,
        SparkRun(
            [m for m in spark.models if m.detail.startswith("on spark")],
            SparkEngine().output(config),
            config.resolve(config.lake.path),
        ),
    )
    con.close()


def _kpi_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "select table_name from duckdb_tables() where schema_name = 'marts' "
        "and table_name like 'kpi\\_%' escape '\\' order by table_name"
    ).fetchall()
    return [name for (name,) in rows]


def _comparable(value: Any) -> Any:
    """Timestamps in naive UTC; everything else as it is."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def _sort_key(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple((v is None, v if v is not None else 0) for v in row)


def _same(expected: Any, actual: Any) -> bool:
    """Exact for ints, strings, dates and booleans; floats within a tight tolerance."""
    if expected is None or actual is None:
        return expected is None and actual is None
    if type(expected) is not type(actual):
        return False  # e.g. an integer column on one side and a float one on the other
    if isinstance(expected, float):
        return math.isclose(expected, actual, rel_tol=REL_TOL, abs_tol=ABS_TOL)
    return expected == actual


def test_spark_builds_every_mart_model(
    built: tuple[duckdb.DuckDBPyConnection, SparkRun],
) -> None:
    con, run = built
    for layer, folder in (
        ("marts", run.output),
        ("intermediate", intermediate_folder(run.output)),
    ):
        duck = {
            row[0]
            for row in con.execute(
                "select table_name from duckdb_tables() where schema_name = ?", [layer]
            ).fetchall()
        }
        assert duck, layer
        assert {m.key for m in run.models if m.key.startswith(layer + ".")} == {
            f"{layer}.{name}" for name in duck
        }
        assert {p.name for p in folder.iterdir()} == duck | {MARKER}
    assert (run.lake / "events").is_dir()


@pytest.mark.parametrize("table", KPI_TABLES)
def test_kpi_table_equals_duckdb_row_for_row(
    built: tuple[duckdb.DuckDBPyConnection, SparkRun], table: str
) -> None:
    con, run = built
    assert table in _kpi_tables(con)
    expected_result = con.execute(compose("select * from {t}", t=("marts", table)))
    expected_columns = [d[0] for d in expected_result.description]
    expected = sorted(
        (tuple(_comparable(v) for v in row) for row in expected_result.fetchall()),
        key=_sort_key,
    )
    spark_result = con.execute(
        "select * from read_parquet(?)", [str(run.output / table / "*.parquet")]
    )
    actual_columns = [d[0] for d in spark_result.description]
    actual = sorted(
        (tuple(_comparable(v) for v in row) for row in spark_result.fetchall()),
        key=_sort_key,
    )
    assert actual_columns == expected_columns
    assert len(actual) == len(expected) > 0
    for number, (want, got) in enumerate(zip(expected, actual, strict=True)):
        mismatched = [
            f"{column}: duckdb {w!r} ≠ spark {g!r}"
            for column, w, g in zip(expected_columns, want, got, strict=True)
            if not _same(w, g)
        ]
        assert not mismatched, f"marts.{table} row {number} ({want}): {'; '.join(mismatched)}"


def test_every_kpi_table_is_compared(built: tuple[duckdb.DuckDBPyConnection, SparkRun]) -> None:
    con, _ = built
    assert _kpi_tables(con) == KPI_TABLES
