"""Incremental builds by load: recompute only the rows a new load or a changed lookup can move.

A model opts in with two kinds of header lines (see ``sql/staging/events.sql``)::

    -- materialized: incremental by load_id
    -- recompute: anonymous_id, user_id through staging.identity_map (alias_id -> user_id)

The model must then be *row-wise* in its one ``raw`` table (its source): every output row
comes from one source row, its grain columns are source columns passed through, and it reads
nothing else but the declared lookups and ``meta`` tables. A source row's output then depends
only on that row and on the lookup rows its ``recompute`` columns name (or the row the
looked-up ``-> value`` names, one hop further). Raw tables are append-only and a load is
committed whole, so between two builds a row's output can change only when its load is new or
when one of those lookup rows changed. The runner recomputes exactly those rows' keys with the
model's own SQL (the full model, semi-joined to the keys), so there is no second copy of the
logic. Anything it cannot prove (no earlier build, another fingerprint, raw rows deleted,
a table changed behind its back, too many rows to recompute) gets a full rebuild instead.
The argument in full is in ``docs/decisions.md`` ("Incremental staging").
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from sqlglot import exp, parse_one
from sqlglot.errors import ParseError

from pmanalytics.errors import WarehouseError
from pmanalytics.warehouse import Model, compose, table_exists

#: Bumped when the incremental algorithm changes, so every table is rebuilt once in full.
ALGORITHM_VERSION = "1"
#: Above this share of the table's rows, recomputing keys costs about as much as a rebuild
#: (a delete plus a semi-joined model run against one create-table), so rebuild.
MAX_RECOMPUTED_SHARE = 0.25

_IDENT = r"[a-z_][a-z0-9_]*"
_MATERIALIZED = re.compile(r"^--\s*materialized\s*:\s*(.*?)\s*$")
_INCREMENTAL = re.compile(rf"^incremental by ({_IDENT})$")
#: New loads, keys to recompute, keys with a null column ({any_null}: quoted by compose).
_RECOMPUTE_COUNTS = (
    "select (select count(*) from _new_loads), count(*), "
    "count(*) filter (where {any_null}) from _recompute"
)
_RECOMPUTE = re.compile(r"^--\s*recompute\s*:\s*(.*?)\s*$")
_LOOKUP = re.compile(
    rf"^({_IDENT}(?:\s*,\s*{_IDENT})*)\s+through\s+({_IDENT})\.({_IDENT})\s*"
    rf"\(\s*({_IDENT})\s*->\s*({_IDENT})\s*\)$"
)


@dataclass(frozen=True)
class Lookup:
    """A table the model looks source values up in: ``columns`` → ``table.key`` (→ ``value``).

    ``value`` is what a lookup returns and may itself be looked up again, once: the model
    resolves an anonymous id to a user, then that user through an alias merge.
    """

    columns: tuple[str, ...]
    schema: str
    table: str
    key: str
    value: str

    @property
    def name(self) -> str:
        return f"{self.schema}.{self.table}"


@dataclass(frozen=True)
class Incremental:
    """How a model is kept up to date: by ``load_column`` of ``source``, plus ``lookups``."""

    source: str  # "raw.events"
    load_column: str
    lookups: tuple[Lookup, ...] = ()


def _header(text: str) -> list[str]:
    header: list[str] = []
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        header.append(line)
    return header


def parse_incremental(
    path: Path,
    text: str,
    depends_on: frozenset[str],
    grain: tuple[str, ...] | None,
) -> Incremental | None:
    """The ``-- materialized:`` / ``-- recompute:`` header lines, checked; ``None`` when absent.

    Raises naming the file when the model cannot be maintained by load: no grain to key rows
    by, not exactly one raw table, a table read that is neither a declared lookup nor
    ``meta``, or SQL that is not row-wise in its source.
    """
    header = _header(text)
    declared = [m.group(1) for line in header if (m := _MATERIALIZED.match(line))]
    recompute = [m.group(1) for line in header if (m := _RECOMPUTE.match(line))]
    if not declared:
        if recompute:
            raise WarehouseError(f"{path}: '-- recompute:' needs '-- materialized: incremental'")
        return None
    if len(declared) > 1 or declared[0] == "table":
        if len(declared) > 1:
            raise WarehouseError(f"{path}: declares 'materialized' {len(declared)} times")
        return None
    match = _INCREMENTAL.match(declared[0])
    if match is None:
        raise WarehouseError(
            f"{path}: '-- materialized: {declared[0]}' is neither 'table' nor "
            "'incremental by <load column>' (e.g. 'incremental by load_id')"
        )
    if not grain:
        raise WarehouseError(f"{path}: an incremental model needs a '-- grain:' to key its rows")
    lookups = []
    for line in recompute:
        parts = _LOOKUP.match(line)
        if parts is None:
            raise WarehouseError(
                f"{path}: '-- recompute: {line}' is not '<columns> through <schema>.<table> "
                "(<key> -> <value>)'"
            )
        columns = tuple(c.strip() for c in parts.group(1).split(","))
        lookups.append(Lookup(columns, *parts.group(2, 3, 4, 5)))
    sources = sorted(t for t in depends_on if t.startswith("raw."))
    if len(sources) != 1:
        raise WarehouseError(
            f"{path}: an incremental model reads exactly one raw table (its source); it reads "
            f"{sources or 'none'}"
        )
    allowed = {sources[0], *(lookup.name for lookup in lookups)}
    undeclared = sorted(t for t in depends_on - allowed if not t.startswith("meta."))
    if undeclared:
        raise WarehouseError(
            f"{path}: an incremental model may read only its source, its '-- recompute:' "
            f"lookups and meta tables; declare or remove {undeclared}"
        )
    problem = _not_row_wise(text, sources[0])
    if problem:
        raise WarehouseError(f"{path}: cannot be incremental: {problem}")
    return Incremental(sources[0], match.group(1), tuple(lookups))


def _not_row_wise(sql: str, source: str) -> str | None:
    """Why ``sql`` may not be row-wise in ``source`` (an output row from one source row).

    A static check of what would break it: the source read more than once, aggregation,
    window functions, ``distinct``, set operations or a limit anywhere in the query.
    """
    try:
        tree = parse_one(sql, read="duckdb")
    except ParseError as exc:
        raise WarehouseError(f"sqlglot cannot parse it: {exc}") from exc
    schema, table = source.split(".")
    reads = [
        t for t in tree.find_all(exp.Table) if t.db.lower() == schema and t.name.lower() == table
    ]
    if len(reads) != 1:
        return f"it reads {source} {len(reads)} times (once, row by row, is what is proven)"
    forbidden = {
        "an aggregate": exp.AggFunc,
        "a group by": exp.Group,
        "a window function": exp.Window,
        "distinct": exp.Distinct,
        "a set operation": exp.SetOperation,
        "a limit": exp.Limit,
    }
    for what, node_type in forbidden.items():
        if tree.find(node_type) is not None:
            return f"it uses {what}, so an output row may depend on several source rows"
    return None


# --------------------------------------------------------------------------- building


@dataclass(frozen=True)
class Plan:
    """An incremental step that is allowed: the keys to recompute, and why."""

    new_loads: int
    changed_lookup_keys: int
    recomputed_keys: int
    #: keys with a null column: they match no row, so only a full build can report them
    null_keys: int


def build(
    con: duckdb.DuckDBPyConnection,
    model: Model,
    bound: Mapping[str, Any],
    full_build: Callable[[], None],
    check_keys: Callable[[str], None],
) -> str:
    """Bring ``model``'s table up to date inside the caller's transaction; say how.

    ``full_build`` replaces the table from scratch (and checks its grain); ``check_keys``
    checks the grain only among the keys held by the named scratch table.
    """
    target = (model.layer, model.name)
    try:
        fingerprint = _fingerprint(con, model, bound)
        _scratch_loads(con, model.incremental)
        reason = _why_not_incremental(con, model, fingerprint)
        plan = None if reason else _plan(con, model)
    except duckdb.Error as exc:
        raise WarehouseError(
            f"model {model.key} ({model.path}): cannot plan its incremental build: {exc}"
        ) from exc
    if plan is not None and plan.null_keys:
        reason = "a row to recompute has a null key (the full build reports it)"
        plan = None
    if plan is not None and plan.recomputed_keys > MAX_RECOMPUTED_SHARE * _row_count(con, target):
        reason = f"{plan.recomputed_keys:,} keys to recompute, over {MAX_RECOMPUTED_SHARE:.0%}"
        plan = None
    if plan is None:
        full_build()
        detail = f"full rebuild: {reason}"
    else:
        grain = list(model.grain)
        names = {"target": target, "grain": grain}
        on = " and ".join(compose("t.{c} = s.{c}", c=c) for c in grain)
        con.execute(compose("delete from {target} as t using _recompute as s where ", **names) + on)
        try:
            con.execute(
                compose("insert into {target} by name select m.* from (\n", **names)
                + _keyed_sql(model.sql, model.incremental.source, tuple(grain))
                + compose("\n) as m semi join _recompute using ({grain})", **names),
                dict(bound),
            )
        except duckdb.Error as exc:
            raise WarehouseError(f"model {model.key} ({model.path}) failed: {exc}") from exc
        check_keys("_recompute")
        detail = (
            f"incremental: {plan.new_loads} new load(s), {plan.changed_lookup_keys} changed "
            f"lookup key(s), {plan.recomputed_keys:,} key(s) recomputed"
        )
    _record(con, model, fingerprint)
    return detail


@functools.cache
def _keyed_sql(sql: str, source: str, grain: tuple[str, ...]) -> str:
    """The model's SQL reading only the source rows whose grain keys are in ``_recompute``.

    The model is row-wise in its source and ``_plan`` takes the keys from the source's own
    grain columns, so the rows this yields are the rows the outer semi join keeps from the
    whole model; but it does not compute the model for every source row first, which DuckDB
    does when the semi join comes after the model's projections (10M events, one day's
    rows: 2.1 s, so 0.25 s; docs/decisions.md). SQL that sqlglot cannot write back the same
    is caught by the tests that compare a kept table with a full rebuild.
    """
    schema, table = source.split(".")
    keyed = parse_one(
        compose(
            "select * from {source} semi join _recompute using ({grain})",
            source=(schema, table),
            grain=list(grain),
        ),
        read="duckdb",
    )

    def restrict(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Table) and (node.db.lower(), node.name.lower()) == (schema, table):
            alias = exp.TableAlias(this=exp.to_identifier(node.alias_or_name))
            return exp.Subquery(this=keyed.copy(), alias=alias)
        return node

    return parse_one(sql, read="duckdb").transform(restrict).sql(dialect="duckdb")


def _row_count(con: duckdb.DuckDBPyConnection, target: tuple[str, str]) -> int:
    row = con.execute(compose("select count(*) from {target}", target=target)).fetchone()
    return int(row[0]) if row else 0


def _fingerprint(con: duckdb.DuckDBPyConnection, model: Model, bound: Mapping[str, Any]) -> str:
    """What the model's rows are a function of, besides the source's and lookups' rows.

    Its SQL, the parameter values, the columns of every table it reads (a new raw column
    changes ``select *``) and the content of the ``meta`` tables it reads (the config).
    """
    digest = hashlib.sha256()
    digest.update(f"{ALGORITHM_VERSION}\n{model.sql}\n".encode())
    digest.update(json.dumps(sorted(bound.items()), default=str).encode())
    for table in sorted(model.depends_on):
        schema, name = table.split(".")
        columns = con.execute(
            "select column_name, data_type from duckdb_columns() "
            "where schema_name = ? and table_name = ? order by column_index",
            [schema, name],
        ).fetchall()
        digest.update(f"\n{table}:{columns}".encode())
        if schema == "meta" and columns:
            content = con.execute(
                compose(
                    "select md5(string_agg(t::varchar, chr(10) order by t::varchar)) "
                    "from {table} as t",
                    table=(schema, name),
                )
            ).fetchone()
            digest.update(f"={content[0] if content else None}".encode())
    return digest.hexdigest()


def _scratch_loads(con: duckdb.DuckDBPyConnection, spec: Incremental) -> None:
    """``_loads``: every load in the source now, with its rows (recorded after the build)."""
    con.execute(
        compose(
            "create or replace temp table _loads as select {load} as load_id, "
            "count(*) as source_rows from {source} group by all",
            load=spec.load_column,
            source=tuple(spec.source.split(".")),
        )
    )


def _why_not_incremental(
    con: duckdb.DuckDBPyConnection, model: Model, fingerprint: str
) -> str | None:
    """The reason a full rebuild is needed, or ``None`` when an incremental step is sound."""
    if not model.grain:  # e.g. a benchmark that drops the grains to time their checks
        return "no grain to key its rows by"
    if not table_exists(con, model.layer, model.name):
        return "no previous table"
    state = con.execute(
        "select fingerprint, row_count from meta.model_state where model = ?", [model.key]
    ).fetchone()
    if state is None:
        return "no record of an earlier build"
    if state[0] != fingerprint:
        return "the model's SQL, parameters, config or input columns changed"
    if state[1] != _row_count(con, (model.layer, model.name)):
        return "the table was changed outside the runner"
    # raw tables are append-only; a load whose rows went (a deletion by hand) or changed in
    # number is rebuilt from, not reasoned about
    changed = con.execute(
        "select count(*) from meta.model_loads as built left join _loads as now using (load_id) "
        "where built.model = ? and now.source_rows is distinct from built.source_rows",
        [model.key],
    ).fetchone()
    if changed and changed[0]:
        return (
            f"{changed[0]} load(s) built earlier lost rows in {model.incremental.source} "
            "(or are gone)"
        )
    for lookup in model.incremental.lookups:
        if not table_exists(con, "meta", _snapshot_name(model, lookup)):
            return f"no copy of {lookup.name} as of the last build"
    return None


def _snapshot_name(model: Model, lookup: Lookup) -> str:
    """``meta.<table>``: the lookup's rows as the model's last build saw them."""
    return f"lookup_{model.layer}_{model.name}__{lookup.schema}_{lookup.table}"


def _plan(con: duckdb.DuckDBPyConnection, model: Model) -> Plan:
    """Fill ``_recompute`` with the grain keys whose rows may differ from a full rebuild.

    Those of the new loads' source rows, and those of source rows whose ``recompute``
    columns hold a key of a lookup row that changed (appeared, disappeared or differs in any
    column), or a key whose looked-up value is such a changed key (the second hop).
    """
    spec: Incremental = model.incremental
    source = tuple(spec.source.split("."))
    conditions = [
        compose("{load} in (select load_id from _new_loads)", load=spec.load_column),
    ]
    con.execute(
        "create or replace temp table _new_loads as select load_id from _loads "
        "where load_id not in (select load_id from meta.model_loads where model = ?)",
        [model.key],
    )
    changed_keys = 0
    for i, lookup in enumerate(spec.lookups):
        keys = f"_changed_keys_{i}"
        names = {
            "keys": keys,
            "now": (lookup.schema, lookup.table),
            "then": ("meta", _snapshot_name(model, lookup)),
            "key": lookup.key,
            "value": lookup.value,
        }
        con.execute(
            compose(
                """
                create or replace temp table {keys} as
                with changed as (
                    select {key} from (select * from {now} except select * from {then})
                    union
                    select {key} from (select * from {then} except select * from {now})
                )
                select {key} as lookup_key from changed
                union
                select {key} from {now} where {value} in (select {key} from changed)
                """,
                **names,
            )
        )
        row = con.execute(compose("select count(*) from {keys}", keys=keys)).fetchone()
        changed_keys += int(row[0]) if row else 0
        conditions.extend(
            compose("{column} in (select lookup_key from {keys})", column=column, keys=keys)
            for column in lookup.columns
        )
    grain = list(model.grain)
    # one scan per condition, united: DuckDB turns each ``in (select …)`` into a semi join
    # on its own, but not an ``or`` of them (10M events: 0.58 s as one ``or``, ~0.05 s so)
    selects = [
        compose("select {grain} from {source} where ", grain=grain, source=source) + condition
        for condition in conditions
    ]
    con.execute("create or replace temp table _recompute as " + "\nunion\n".join(selects))
    any_null = " or ".join(compose("{c} is null", c=c) for c in grain)
    counts = con.execute(_RECOMPUTE_COUNTS.format(any_null=any_null)).fetchone()
    new_loads, recomputed, null_keys = counts if counts else (0, 0, 0)
    return Plan(int(new_loads), changed_keys, int(recomputed), int(null_keys))


def _record(con: duckdb.DuckDBPyConnection, model: Model, fingerprint: str) -> None:
    """What this build was made from, for the next one to compare against (same transaction)."""
    row_count = _row_count(con, (model.layer, model.name))
    con.execute("delete from meta.model_state where model = ?", [model.key])
    con.execute(
        "insert into meta.model_state values (?, ?, ?, now()::timestamp)",
        [model.key, fingerprint, row_count],
    )
    con.execute("delete from meta.model_loads where model = ?", [model.key])
    con.execute(
        "insert into meta.model_loads select ?, load_id, source_rows from _loads", [model.key]
    )
    for lookup in model.incremental.lookups:
        con.execute(
            compose(
                "create or replace table {copy} as select * from {lookup}",
                copy=("meta", _snapshot_name(model, lookup)),
                lookup=(lookup.schema, lookup.table),
            )
        )
    drop = ["_loads", "_new_loads", "_recompute"]
    drop += [f"_changed_keys_{i}" for i in range(len(model.incremental.lookups))]
    for name in drop:
        con.execute(compose("drop table if exists {name}", name=name))
