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


def _one_line(sql: str) -> str:
    """The transpiled SQL on one line, without the pretty printer's breaks and indents."""
    return " ".join(transpile(sql).split()).replace("( ", "(").replace(" )", ")")


@pytest.mark.parametrize(
    ("duckdb_sql", "spark_sql"),
    [
        pytest.param(
            "select cast(unnest(generate_series(a, b, interval 7 day)) as date) as d from t",
            "SELECT EXPLODE(SEQUENCE(CAST(a AS DATE), CAST(b AS DATE), INTERVAL '7' DAY)) AS d "
            "FROM t",
            id="generator-in-cast",
        ),
        pytest.param(
            "select x + to_days(n) as deadline_at from t",
            "SELECT x + MAKE_DT_INTERVAL(n) AS deadline_at FROM t",
            id="to-days",
        ),
        pytest.param(
            "select x + to_seconds(n) as deadline_at from t",
            "SELECT x + MAKE_DT_INTERVAL(0, 0, 0, n) AS deadline_at FROM t",
            id="to-seconds",
        ),
        pytest.param(
            "select date_diff('day', a, b) as days from t",
            "SELECT DATEDIFF(b, a) AS days FROM t",
            id="date-diff-day",
        ),
        pytest.param(
            "select date_diff('microsecond', a, b) / 1e6 as seconds from t",
            "SELECT TIMESTAMPDIFF(MICROSECOND, a, b) / 1e6 AS seconds FROM t",
            id="date-diff-microsecond",
        ),
        pytest.param(
            "select coalesce(attributes ->> trait, 'unknown') as v from t",
            "SELECT COALESCE(ELEMENT_AT(FROM_JSON(attributes, 'map<string, string>'), trait), "
            "'unknown') AS v FROM t",
            id="json-key-lookup",
        ),
        pytest.param(
            # a literal JSON path is left to sqlglot, which writes it correctly
            "select traits ->> '$.plan' as plan from t",
            "SELECT GET_JSON_OBJECT(traits, '$.plan') AS plan FROM t",
            id="json-path-literal",
        ),
        pytest.param(
            "select 100.0 * p / n as score, -1.96 * se as lo, -100.0 as low, 0.5 as half from t",
            "SELECT CAST(100.0 AS DOUBLE) * p / n AS score, -CAST(1.96 AS DOUBLE) * se AS lo, "
            "-100.0 AS low, 0.5 AS half FROM t",
            id="decimal-literal-in-arithmetic",
        ),
        pytest.param(
            "select d // 7 as week_index, d + 1 as next_day from t",
            "SELECT d DIV 7 AS week_index, d + 1 AS next_day FROM t",
            id="integer-division-and-date-plus-n",
        ),
        pytest.param(
            "select cast(1 as bigint) << cast(k % 63 as integer) as bit from t "
            "anti join u on u.k = t.k",
            "SELECT SHIFTLEFT(CAST(1 AS BIGINT), CAST(k % 63 AS INT)) AS bit FROM t "
            "ANTI JOIN u ON u.k = t.k",
            id="shift-and-anti-join",
        ),
        pytest.param(
            "with x as materialized (select 1 as n) select n from x",
            "WITH x AS (SELECT 1 AS n) SELECT n FROM x",
            id="materialized-cte",
        ),
        pytest.param(
            "select a from t qualify row_number() over (partition by a order by b desc) = 1",
            "SELECT a FROM (SELECT a, ROW_NUMBER() OVER (PARTITION BY a ORDER BY b DESC) AS _w "
            "FROM t) AS _t WHERE _w = 1",
            id="qualify",
        ),
    ],
)
def test_each_dialect_difference_is_rewritten_on_the_tree(duckdb_sql: str, spark_sql: str) -> None:
    assert _one_line(duckdb_sql) == spark_sql


def test_transforms_never_touch_the_duckdb_model_text() -> None:
    """The model's own SQL stays as written: DuckDB runs it, the transforms work on a copy."""
    (model,) = [m for m in discover_models(layers=("marts",)) if m.name == "kpi_survey_scores"]
    before = model.sql
    spark = spark_model(model)
    assert spark.origin == "transpiled" and "ELEMENT_AT(FROM_JSON(" in spark.sql
    assert model.sql == before and "->>" in model.sql


def test_no_override_is_left_without_its_reason() -> None:
    """Each remaining override is a commented exception: its header says why it exists."""
    for path in sql_dir().glob("*/spark/*.sql"):
        header = path.read_text(encoding="utf-8").split("\nwith", 1)[0]
        assert "Spark override of" in header and "Why:" in header, path
