"""DuckDB-dialect models → Spark SQL: sqlglot, or a hand-written override file next to the model.

sqlglot copies many DuckDB constructs through unchanged or rewrites them wrongly without a
word: an ASOF join, ``timezone(zone, ts)``, a DISTINCT or FILTERed aggregate over a window.
So the transpile runs with ``unsupported_level=RAISE`` and also refuses, before any SQL
reaches Spark, what sqlglot does not know (a function it would copy as it is) and the
constructs Spark lacks. A model that cannot be carried over has an override
``sql/<layer>/spark/<name>.sql``, written in Spark SQL and used verbatim. SQL text is never
patched with string replacements.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import sqlglot
from sqlglot import ErrorLevel, exp
from sqlglot.errors import ParseError, UnsupportedError

from pmanalytics.engines import TranspileError
from pmanalytics.warehouse import Model, tables_read

#: The folder name, beside a layer's models, holding that engine's override files.
OVERRIDE_FOLDER = "spark"

Origin = Literal["override", "transpiled"]

#: Functions sqlglot does not model but that exist in Spark under the same name with the
#: same meaning, so passing them through is right. Checked by hand: keep this list short.
SAME_IN_SPARK = frozenset({"bit_count"})  # set bits of a BIGINT, two's complement, in both


@dataclass(frozen=True)
class EngineModel:
    """A model's SQL for the target engine, and where it came from."""

    model: Model
    sql: str
    origin: Origin
    path: Path


def override_path(model: Model) -> Path:
    """``sql/<layer>/spark/<name>.sql``: the hand-written Spark SQL for ``model``."""
    return model.path.parent / OVERRIDE_FOLDER / f"{model.name}.sql"


def _not_portable(tree: exp.Expression) -> list[str]:
    """What in ``tree`` would reach Spark wrong or unsupported although sqlglot accepts it."""
    found: list[str] = []
    unknown = sorted({f.name.lower() for f in tree.find_all(exp.Anonymous)} - SAME_IN_SPARK)
    if unknown:
        found.append(f"function(s) sqlglot does not know: {', '.join(unknown)}")
    if any(str(j.args.get("method") or "").upper() == "ASOF" for j in tree.find_all(exp.Join)):
        found.append("an ASOF join")
    for window in tree.find_all(exp.Window):
        if isinstance(window.this, exp.Filter):
            found.append("an aggregate with FILTER (WHERE …) over a window")
        elif window.this is not None and isinstance(window.this.this, exp.Distinct):
            found.append("a DISTINCT aggregate over a window")
    return found


def transpile(sql: str, *, source: str = "model") -> str:
    """One DuckDB statement as Spark SQL; anything that cannot be carried over raises.

    Args:
        sql: a single DuckDB-dialect statement.
        source: what to name in an error message (a model key and its file).

    Raises:
        TranspileError: naming the construct, and that an override file is the way out.
    """
    way_out = f"write a Spark SQL override (sql/<layer>/{OVERRIDE_FOLDER}/<model>.sql)"
    try:
        statements = sqlglot.parse(sql, read="duckdb")
    except ParseError as exc:
        raise TranspileError(f"{source}: sqlglot cannot parse it as DuckDB SQL: {exc}") from exc
    if len(statements) != 1 or statements[0] is None:
        raise TranspileError(f"{source}: a model must be exactly one statement")
    tree = statements[0]
    problems = _not_portable(tree)
    if problems:
        raise TranspileError(
            f"{source}: cannot be carried over to Spark by sqlglot ({'; '.join(problems)}); "
            + way_out
        )
    try:
        return tree.sql(dialect="spark", unsupported_level=ErrorLevel.RAISE, pretty=True)
    except UnsupportedError as exc:
        raise TranspileError(
            f"{source}: sqlglot cannot express it in Spark SQL ({exc}); {way_out}"
        ) from exc


def spark_model(model: Model) -> EngineModel:
    """The override file when there is one (it wins), else the transpiled model.

    An override must read only tables its model reads: the runner orders models by the
    DuckDB SQL's references, and a drop-in must not need anything built later.
    """
    path = override_path(model)
    if path.is_file():
        sql = path.read_text(encoding="utf-8").strip().rstrip(";").strip()
        extra = sorted(tables_read(sql, dialect="spark") - model.depends_on - {model.key})
        if extra:
            raise TranspileError(
                f"{path}: reads {', '.join(extra)}, which {model.path} does not; an override "
                "must read only what its model reads"
            )
        return EngineModel(model, sql, "override", path)
    sql = transpile(model.sql, source=f"{model.key} ({model.path})")
    return EngineModel(model, sql, "transpiled", model.path)


def orphan_overrides(models: list[Model]) -> list[Path]:
    """Override files whose model does not exist (renamed or removed): they would never run."""
    known = {override_path(m) for m in models}
    folders = {m.path.parent / OVERRIDE_FOLDER for m in models}
    return sorted(p for f in folders if f.is_dir() for p in f.glob("*.sql") if p not in known)
