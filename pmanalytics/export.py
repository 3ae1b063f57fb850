"""Export every marts table as CSV or Parquet files, for people who use a BI tool."""

from __future__ import annotations

from pathlib import Path

import duckdb

from pmanalytics.errors import ConfigError
from pmanalytics.outputs import claim_folder
from pmanalytics.warehouse import compose

FORMATS = ("csv", "parquet")


def export_marts(con: duckdb.DuckDBPyConnection, out_dir: str | Path, fmt: str) -> list[Path]:
    """Write ``<out_dir>/<table>.<fmt>`` for every table in the ``marts`` schema.

    Helper tables live in the ``intermediate`` schema, so everything in ``marts`` is a mart.
    """
    if fmt not in FORMATS:
        raise ConfigError(f"unknown export format {fmt!r}; expected one of {', '.join(FORMATS)}")
    out = claim_folder(out_dir, "the export")
    tables = [
        row[0]
        for row in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'marts' order by table_name"
        ).fetchall()
    ]
    written: list[Path] = []
    for table in tables:
        path = out / f"{table}.{fmt}"
        relation = con.sql(compose("select * from {table}", table=("marts", table)))
        if fmt == "csv":
            as_csv(relation).write_csv(str(path), header=True)
        else:
            relation.write_parquet(str(path))
        written.append(path)
    return written


def as_csv(relation: duckdb.DuckDBPyRelation) -> duckdb.DuckDBPyRelation:
    """``relation`` with its list, struct and map columns as JSON text, for a CSV file.

    DuckDB writes a list as ``[a, b]`` without quotes, which no BI tool reads back (a
    keyword with a comma in it splits); ``["a","b"]`` is JSON every tool parses. Built with
    DuckDB's expression API: no column name is pasted into SQL text.
    """
    columns = [
        duckdb.FunctionExpression("to_json", duckdb.ColumnExpression(name)).alias(name)
        if _is_nested(str(kind))
        else duckdb.ColumnExpression(name)
        for name, kind in zip(relation.columns, relation.types, strict=True)
    ]
    return relation.select(*columns)


def _is_nested(data_type: str) -> bool:
    return data_type.endswith("]") or data_type.startswith(("STRUCT", "MAP", "UNION"))
