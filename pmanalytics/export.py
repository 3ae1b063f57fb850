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
        relation = con.sql(compose("select * from {table}", table=("marts", table)))
        path = out / f"{table}.{fmt}"
        if fmt == "csv":
            relation.write_csv(str(path), header=True)
        else:
            relation.write_parquet(str(path))
        written.append(path)
    return written
