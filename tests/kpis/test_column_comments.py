"""Every marts model documents each output column in its header, in one fixed form.

The header lines ``-- column <name>: <description>`` become DuckDB column comments; they
must name exactly the table's columns, in order, and the public KPI tables' columns must be
the ones documented in docs/metrics.md.
"""

from __future__ import annotations

import re
from pathlib import Path

from pmanalytics.warehouse import discover_models, sql_dir

from .harness import build_marts

COLUMN_LINE = re.compile(r"^-- column ([a-z_][a-z0-9_]*): (\S.*)$")
METRICS = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"


def _header_columns(sql: str) -> list[str]:
    names = []
    for line in sql.splitlines():
        if not line.startswith("--"):
            break
        match = COLUMN_LINE.match(line)
        if line.startswith("-- column"):
            assert match, f"malformed column comment: {line!r}"
            names.append(match.group(1))
    return names


def test_every_marts_column_has_a_header_comment():
    con = build_marts([("u1", "A", "2026-01-01 10:00")])
    models = discover_models(layers=("intermediate", "marts"))
    assert {m.layer for m in models} == {"intermediate", "marts"}
    for model in models:
        actual = [
            row[0]
            for row in con.execute(
                "select column_name from information_schema.columns "
                "where table_schema = ? and table_name = ? order by ordinal_position",
                [model.layer, model.name],
            ).fetchall()
        ]
        assert _header_columns(model.sql) == actual, model.path


def test_kpi_columns_are_documented_in_metrics_md():
    text = METRICS.read_text(encoding="utf-8")
    for path in sorted((sql_dir() / "marts").glob("kpi_*.sql")):
        section = text.split(f"## `marts.{path.stem}`", 1)
        assert len(section) == 2, f"no section for marts.{path.stem} in docs/metrics.md"
        body = section[1].split("\n## ", 1)[0]
        for name in _header_columns(path.read_text(encoding="utf-8")):
            assert f"`{name}`" in body, f"marts.{path.stem}.{name} is not in docs/metrics.md"
