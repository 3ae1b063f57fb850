"""DuckDB models → Spark SQL: sqlglot with errors raised, overrides winning, no silent pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from pmanalytics.engines import TranspileError
from pmanalytics.engines.spark import plan_models
from pmanalytics.engines.transpile import orphan_overrides, spark_model, transpile
from pmanalytics.warehouse import discover_models, sql_dir

PORTABLE = (
    "-- grain: user_id\nselect user_id, count(*) as n_events from staging.events group by user_id"
)


def _project(tmp_path: Path, models: dict[str, str], overrides: dict[str, str]) -> Path:
    """A throwaway sql/ folder with marts models and Spark overrides."""
    marts = tmp_path / "sql" / "marts"
    (marts / "spark").mkdir(parents=True)
    for name, sql in models.items():
        (marts / f"{name}.sql").write_text(sql)
    for name, sql in overrides.items():
        (marts / "spark" / f"{name}.sql").write_text(sql)
    return tmp_path / "sql"


def test_portable_sql_is_transpiled() -> None:
    out = transpile("select a // 7 as weeks, median(b) as m from staging.events group by all")
    assert "DIV" in out and "MEDIAN" in out and "GROUP BY ALL" in out


@pytest.mark.parametrize(
    ("sql", "named"),
    [
        # sqlglot does not know timezone() and would copy it to Spark as it is
        ("select timezone('Europe/Paris', occurred_at) from staging.events", "timezone"),
        ("select * from staging.events asof join marts.x on a = b and t >= u", "ASOF join"),
        ("select count(distinct user_id) over (partition by event) from marts.x", "DISTINCT"),
        ("select sum(n) filter (where n > 1) over (order by d) from marts.x", "FILTER"),
        # sqlglot's own unsupported_level=RAISE
        ("select * from read_parquet('a.parquet', hive_partitioning = true)", "READ_PARQUET"),
        ("select from from where", "cannot parse"),
    ],
    ids=["unknown-function", "asof", "distinct-window", "filter-window", "sqlglot-raise", "parse"],
)
def test_unsupported_constructs_raise_a_clear_error(sql: str, named: str) -> None:
    with pytest.raises(TranspileError, match=named) as caught:
        transpile(sql, source="marts.kpi_example (kpi_example.sql)")
    message = str(caught.value)
    assert "marts.kpi_example" in message
    if named != "cannot parse":
        assert "override" in message and "spark/<model>.sql" in message


def test_bit_count_passes_through_as_the_same_function() -> None:
    assert "BIT_COUNT(mask)" in transpile("select bit_count(mask) from marts.m")


def test_override_wins_over_transpiling(tmp_path: Path) -> None:
    # timezone() cannot be transpiled: only the override makes this model runnable
    model_sql = "-- grain: t\nselect timezone('UTC', occurred_at) as t from staging.events"
    override = "select from_utc_timestamp(occurred_at, 'UTC') as t from staging.events"
    root = _project(tmp_path, {"kpi_a": model_sql, "kpi_b": PORTABLE}, {"kpi_a": override})
    models = {m.name: m for m in discover_models(root, layers=("marts",))}
    chosen = spark_model(models["kpi_a"])
    assert chosen.origin == "override"
    assert chosen.sql == override  # verbatim
    assert chosen.path == root / "marts" / "spark" / "kpi_a.sql"
    plain = spark_model(models["kpi_b"])
    assert plain.origin == "transpiled" and "COUNT(*) AS n_events" in plain.sql
    (root / "marts" / "spark" / "kpi_a.sql").unlink()
    with pytest.raises(TranspileError, match="timezone"):
        spark_model(models["kpi_a"])


def test_an_override_may_not_read_more_than_its_model(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        {"kpi_a": PORTABLE, "kpi_b": "-- grain: user_id\nselect * from marts.kpi_a"},
        {"kpi_a": "select * from marts.kpi_b"},  # would need a model built after it
    )
    models = {m.name: m for m in discover_models(root, layers=("marts",))}
    with pytest.raises(TranspileError, match=r"reads marts\.kpi_b"):
        spark_model(models["kpi_a"])


def test_an_override_without_a_model_is_found(tmp_path: Path) -> None:
    root = _project(tmp_path, {"kpi_a": PORTABLE}, {"kpi_renamed": PORTABLE})
    models = discover_models(root, layers=("marts",))
    assert orphan_overrides(models) == [root / "marts" / "spark" / "kpi_renamed.sql"]


def test_every_shipped_model_has_spark_sql_and_no_override_is_orphaned() -> None:
    planned = {item.model.key: item.origin for item in plan_models()}
    models = discover_models(layers=("intermediate", "marts"))
    assert {m.layer for m in models} == {"intermediate", "marts"}
    assert set(planned) == {m.key for m in models}
    overrides = {
        f"{layer}.{p.stem}"
        for layer in ("intermediate", "marts")
        for p in (sql_dir() / layer / "spark").glob("*.sql")
    }
    assert overrides == {key for key, origin in planned.items() if origin == "override"}
