"""DuckDB-dialect models → Spark SQL: sqlglot plus this project's transforms, or an override.

sqlglot copies many DuckDB constructs through unchanged or rewrites them wrongly without a
word: an ASOF join, ``timezone(zone, ts)``, a DISTINCT or FILTERed aggregate over a window.
So the transpile runs with ``unsupported_level=RAISE`` and also refuses, before any SQL
reaches Spark, what sqlglot does not know (a function it would copy as it is) and the
constructs Spark lacks. What the models use and sqlglot gets wrong is rewritten on the parsed
tree by :data:`SPARK_TRANSFORMS`, each a small function naming the DuckDB construct and the
Spark one with the same result; SQL text is never patched with string replacements. A model
that still cannot be carried over has an override ``sql/<layer>/spark/<name>.sql``, written
in Spark SQL, used verbatim, with a header comment saying why it exists.
"""

from __future__ import annotations

from collections.abc import Callable
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
#: Functions sqlglot does not model that a transform below rewrites.
REWRITTEN = frozenset({"to_seconds"})


# --------------------------------------------------------------------------- transforms
# Each takes one node of the parsed DuckDB tree and returns it or its Spark equivalent.


def _interval_function(node: exp.Expression) -> exp.Expression:
    """``to_days(n)`` / ``to_seconds(n)`` → ``make_dt_interval(n)`` / ``(0, 0, 0, n)``.

    sqlglot copies both as they are, and Spark has neither; ``make_dt_interval`` builds the
    same day-time interval (n × 24 h, n seconds), so ``ts + interval`` stays naive UTC.
    """
    if isinstance(node, exp.ToDays):
        return exp.Anonymous(this="make_dt_interval", expressions=[node.this])
    if isinstance(node, exp.Anonymous) and node.name.lower() == "to_seconds":
        zero = exp.Literal.number(0)
        return exp.Anonymous(
            this="make_dt_interval", expressions=[zero, zero.copy(), zero.copy(), *node.expressions]
        )
    return node


def _generator_in_cast(node: exp.Expression) -> exp.Expression:
    """``cast(unnest(generate_series(a, b, step)) as date)`` → ``explode(sequence(…))``.

    Spark refuses a generator nested in an expression. Casting the bounds instead gives the
    same days: Spark's ``sequence`` of dates steps by the interval and returns dates.
    """
    if not (
        isinstance(node, exp.Cast)
        and node.to.is_type(exp.DataType.Type.DATE)
        and isinstance(node.this, exp.Explode)
        and isinstance(node.this.this, exp.GenerateSeries)
    ):
        return node
    series = node.this.this.copy()
    for bound in ("start", "end"):
        series.set(bound, exp.cast(series.args[bound], exp.DataType.Type.DATE))
    return exp.Explode(this=series)


def _json_key_lookup(node: exp.Expression) -> exp.Expression:
    """``json ->> key_column`` → ``element_at(from_json(json, 'map<string, string>'), key)``.

    sqlglot writes ``get_json_object(json, key)``, which needs a ``$.`` path and so returns
    null for every row, silently. DuckDB's ``->>`` with a key is an exact key lookup that
    returns the value as text, as a JSON object read as a map of strings does.
    """
    if not isinstance(node, exp.JSONExtractScalar) or isinstance(node.expression, exp.JSONPath):
        return node
    as_map = exp.Anonymous(
        this="from_json", expressions=[node.this, exp.Literal.string("map<string, string>")]
    )
    return exp.Anonymous(this="element_at", expressions=[as_map, node.expression])


def _date_diff(node: exp.Expression) -> exp.Expression:
    """``date_diff('day', a, b)`` → ``datediff(b, a)``; other units → ``timestampdiff``.

    DuckDB counts day boundaries crossed, as Spark's ``datediff`` does; sqlglot's
    ``datediff(DAY, a, b)`` is Spark's ``timestampdiff``, which counts whole 24-hour spans.
    For microseconds the two agree, and ``timestampdiff`` says so plainly.
    """
    if not isinstance(node, exp.DateDiff):
        return node
    unit = node.unit.name.upper() if node.unit else "DAY"
    if unit == "DAY":
        return exp.Anonymous(this="datediff", expressions=[node.this, node.expression])
    return exp.TimestampDiff(this=node.this, expression=node.expression, unit=exp.var(unit))


_ARITHMETIC = (exp.Add, exp.Sub, exp.Mul, exp.Div)


def _operator_of(node: exp.Expression) -> exp.Expression | None:
    """The node's nearest ancestor that is not a sign or parentheses."""
    parent = node.parent
    while isinstance(parent, exp.Neg | exp.Paren):
        parent = parent.parent
    return parent


def _double_literal(node: exp.Expression) -> exp.Expression:
    """A literal such as ``100.0`` or ``1.96`` in arithmetic → ``cast(… as double)``.

    Spark types it DECIMAL and rounds a decimal quotient to 6 places, where DuckDB computes
    ``100.0 * a / n`` in DOUBLE: the KPI rates would differ in their last digits.
    """
    if (
        isinstance(node, exp.Literal)
        and node.is_number
        and "." in node.this
        and "e" not in node.this.lower()
        and isinstance(_operator_of(node), _ARITHMETIC)
    ):
        return exp.cast(node.copy(), exp.DataType.Type.DOUBLE)
    return node


def _plain_cte(node: exp.Expression) -> exp.Expression:
    """``name as materialized (…)`` → ``name as (…)``: a DuckDB planner hint Spark lacks."""
    if isinstance(node, exp.CTE) and node.args.get("materialized") is not None:
        node.set("materialized", None)
    return node


#: Applied in this order to every node of the parsed model before Spark SQL is generated.
#: ``qualify`` (a filtered subquery), ``//`` (``div``), ``at time zone`` (``from_utc_timestamp``)
#: and ``date + n`` need nothing here: sqlglot's Spark dialect carries them over correctly.
SPARK_TRANSFORMS: tuple[Callable[[exp.Expression], exp.Expression], ...] = (
    _interval_function,
    _generator_in_cast,
    _json_key_lookup,
    _date_diff,
    _double_literal,
    _plain_cte,
)


def to_spark_tree(tree: exp.Expression) -> exp.Expression:
    """The parsed DuckDB model with every :data:`SPARK_TRANSFORMS` rewrite applied."""
    for transform in SPARK_TRANSFORMS:
        tree = tree.transform(transform, copy=False)
    return tree


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
    known = SAME_IN_SPARK | REWRITTEN
    unknown = sorted({f.name.lower() for f in tree.find_all(exp.Anonymous)} - known)
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
        return to_spark_tree(tree).sql(
            dialect="spark", unsupported_level=ErrorLevel.RAISE, pretty=True
        )
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
