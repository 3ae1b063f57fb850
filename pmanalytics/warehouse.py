"""The DuckDB warehouse: opening it, its fixed schemas, and the SQL model runner.

Identifiers never come from data or config text: table names come from SQL file names that
must match ``^[a-z][a-z0-9_]*$`` and reach SQL only through :func:`quote_identifier`; values
reach SQL only as bound parameters.
"""

from __future__ import annotations

import fcntl
import functools
import graphlib
import re
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
from sqlglot import exp, parse
from sqlglot.errors import ParseError

from pmanalytics.config import Config, check_warehouse_path, parse_duration
from pmanalytics.errors import WarehouseBusy, WarehouseError

if TYPE_CHECKING:  # pmanalytics.incremental builds on this module and is imported lazily
    from pmanalytics.incremental import Incremental

SCHEMAS = ("raw", "quarantine", "staging", "intermediate", "marts", "meta")
#: Model folders of sql/ in build order; a model may read only its own or earlier layers.
MODEL_LAYERS = ("staging", "intermediate", "marts")
IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")  # model file names → table names
_SAFE_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")  # also scratch tables such as _incoming
_GRAIN = re.compile(r"^--\s*grain\s*:\s*(.*?)\s*$")
#: ``-- grain: one row`` declares a table of at most one row (an empty key)
ONE_ROW = "one row"
#: Layers whose models must declare a grain; staging's keys are also validated (quality/).
GRAIN_REQUIRED = frozenset({"intermediate", "marts"})
_COLUMN_DOC = re.compile(r"^--\s*column\s+([a-z_][a-z0-9_]*)\s*:\s*(.+?)\s*$", re.MULTILINE)
_LOCK_MESSAGES = ("Could not set lock", "Conflicting lock")


def sql_dir() -> Path:
    """The project's ``sql/`` folder (a checkout), or its copy inside an installed wheel."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "sql", here / "_sql"):
        if candidate.is_dir():
            return candidate
    raise WarehouseError(f"cannot find the sql/ folder next to {here}")


def read_sql(relative: str) -> str:
    """Read one SQL file from ``sql/`` (e.g. ``"ingest/events_ndjson.sql"``)."""
    return (sql_dir() / relative).read_text(encoding="utf-8")


def quote_literal(text: str) -> str:
    """A SQL string literal for text from the project's own SQL files (never data or config).

    Only DuckDB's ``comment on`` needs it: it takes no bound parameters.
    """
    if any(ord(ch) < 32 for ch in text):
        raise WarehouseError(f"refusing a literal with control characters: {text!r}")
    return "'" + text.replace("'", "''") + "'"


def quote_identifier(name: str) -> str:
    """The one checked way an identifier enters SQL text."""
    if not _SAFE_IDENTIFIER.match(name):
        raise WarehouseError(f"refusing unsafe SQL identifier {name!r}")
    return '"' + name + '"'


def qualified(*parts: str) -> str:
    """``schema.table``, or ``database.schema.table`` (an ingest's staged file)."""
    if len(parts) not in (2, 3):
        raise WarehouseError(f"a qualified name has 2 or 3 parts, not {parts!r}")
    return ".".join(quote_identifier(part) for part in parts)


Identifier = str | tuple[str, str] | tuple[str, str, str] | list[str]


def compose(template: str, **identifiers: Identifier) -> str:
    """Fill ``{name}`` slots of constant SQL text with checked, quoted identifiers.

    A value is a name (``"events"``), a qualified name (``("raw", "events")``, or with the
    database first) or a list of names (a column list). Values never go through here: they
    are bound parameters.
    """
    quoted: dict[str, str] = {}
    for slot, value in identifiers.items():
        if isinstance(value, tuple):
            quoted[slot] = qualified(*value)
        elif isinstance(value, list):
            quoted[slot] = ", ".join(quote_identifier(v) for v in value)
        else:
            quoted[slot] = quote_identifier(value)
    return template.format(**quoted)


def drop_tables(con: duckdb.DuckDBPyConnection, *names: str) -> None:
    """Drop scratch (temporary) tables by name, if they exist."""
    for name in names:
        con.execute(compose("drop table if exists {name}", name=name))


def drop_scratch(con: duckdb.DuckDBPyConnection) -> None:
    """Drop every temporary view and table of this connection (an ingest's scratch space)."""
    views = con.execute(
        "select view_name from duckdb_views() where temporary and not internal"
    ).fetchall()
    for (name,) in views:
        con.execute(compose("drop view if exists {name}", name=name))
    tables = con.execute("select table_name from duckdb_tables() where temporary").fetchall()
    for (name,) in tables:
        con.execute(compose("drop table if exists {name}", name=name))


# --------------------------------------------------------------------------- connections


def open_warehouse(
    db_path: str | Path, config: Config, *, read_only: bool = False
) -> duckdb.DuckDBPyConnection:
    """:func:`connect` with the ``[warehouse]`` settings: how every entry point opens it."""
    return connect(
        db_path,
        read_only=read_only,
        lock_timeout=config.warehouse.lock_timeout_seconds,
        memory_limit=config.warehouse.memory_limit,
    )


def connect(
    db_path: str | Path,
    *,
    read_only: bool = False,
    lock_timeout: float = 60.0,
    poll_seconds: float = 0.25,
    memory_limit: str | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse, waiting up to ``lock_timeout`` seconds for another writer.

    DuckDB allows one writing process per file and that process also locks readers out, so a
    notebook opened while a scheduled run writes must wait rather than crash. Every
    connection works in UTC: naive timestamps in input files are taken as UTC.
    ``memory_limit`` (``[warehouse] memory_limit``) caps DuckDB's memory; ``None`` keeps
    DuckDB's default. It is bound as a parameter, never spliced into SQL; a setting of the
    database instance, so the last connection opened in a process sets it for all.
    """
    path = Path(check_warehouse_path(db_path, allow_memory=True))
    if read_only and not path.exists():
        raise WarehouseError(f"warehouse {path} does not exist yet: run `pmanalytics ingest` first")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + lock_timeout
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only, config=dict(_OFFLINE))
            break
        except duckdb.IOException as exc:
            if not any(m in str(exc) for m in _LOCK_MESSAGES):
                raise WarehouseError(f"cannot open warehouse {path}: {exc}") from exc
            if time.monotonic() >= deadline:
                raise WarehouseBusy(
                    f"warehouse {path} is locked by another process (a running pipeline or an "
                    f"open notebook) and stayed locked for {lock_timeout:.0f}s; close it or wait"
                ) from exc
            time.sleep(poll_seconds)
    con.execute("set TimeZone = 'UTC'")
    if memory_limit is not None:
        con.execute("set memory_limit = ?", [memory_limit])
    if not read_only:
        # DuckDB checkpoints every 16 MB of WAL by default: at 10M events that is a checkpoint
        # after nearly every ingested file. 64 MB trades some memory for far fewer (figures in
        # docs/benchmarks.md, "Where the 10M targets are missed"). Commits stay durable.
        con.execute("set checkpoint_threshold = '64MB'")
        remove_stale_spill_files(path)
        try:
            ensure_schema(con)
        except BaseException:
            con.close()  # the file is free for the next attempt, not held until collected
            raise
    return con


#: Every connection: DuckDB never downloads or loads an extension by itself. The ones the
#: models use (json, icu, parquet) are built into the Python package.
_OFFLINE = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}


def remove_stale_spill_files(db_path: Path) -> list[Path]:
    """Delete what a killed process left in the warehouse's spill folder (``<db>.tmp``).

    DuckDB removes its spill files when a query ends, but not when its process is killed: a
    killed 10M-event run left 5.8 GB. Called right after a read-write open, when this
    process holds DuckDB's lock on the file, so no other process can be using them.
    """
    folder = db_path.with_name(db_path.name + ".tmp")
    removed = [p for p in folder.glob("duckdb_temp*") if p.is_file()]
    for stale in removed:
        stale.unlink(missing_ok=True)
    return removed


@contextmanager
def run_lock(db_path: str | Path, *, timeout: float = 60.0, poll_seconds: float = 0.5):
    """Hold ``<db>.lock`` for a whole run, so two runs never interleave their writes.

    DuckDB's own lock covers one open connection; a run opens and closes several (one per
    Prefect task), and a second run slipping in between would build marts from half of the
    first run's files. The lock is an advisory ``flock``: it dies with the process, so a
    killed run never leaves a stale lock behind.
    """
    lock_path = Path(check_warehouse_path(db_path) + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout
    with lock_path.open("a+") as handle:
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise WarehouseBusy(
                        f"another pmanalytics run is writing {db_path} (it holds {lock_path}); "
                        f"waited {timeout:.0f}s. Let it finish, then rerun."
                    ) from None
                time.sleep(poll_seconds)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """One all-or-nothing unit of work: commit when the block ends, roll back on any error.

    ``BaseException`` too: a ``KeyboardInterrupt`` mid-load must not leave half a file. A
    rollback that fails itself never hides the error that caused it.
    """
    con.execute("begin transaction")
    try:
        yield con
    except BaseException as exc:
        try:
            con.execute("rollback")
        except duckdb.Error as failed:  # e.g. DuckDB already aborted it (a full disk): the
            exc.add_note(f"rollback: {failed}")  # first error is the one worth reporting
        raise
    con.execute("commit")


#: What makes an insert append on one thread (see :func:`append_in_order`): constant text
_RETURNING_APPENDED = " returning true as appended"


def append_in_order(con: duckdb.DuckDBPyConnection, insert: str, params: Sequence[Any]) -> int:
    """Run ``insert`` so that it fills the table's last row group, in the order its source is
    read; return the rows it wrote.

    DuckDB's default insert (order-preserving, parallel) gives each statement row groups of
    its own, so a file of 130k rows became a full row group (122,880 rows) and a part-full
    one, and the next checkpoint merged the part-full ones, rewriting them: 7-16 s after
    10M events (docs/decisions.md, *Row groups*). An insert with a ``returning`` clause runs
    on one thread and appends to the last row group instead. It used to get there by setting
    ``threads = 1`` around the insert, but that setting is the whole database's, so another
    connection working at the same time lost a thread, and the four settings a file cost
    0.5 s at 10M events. The per-file insert ran on one thread either way (its source is one
    file's one or two row groups).
    """
    if not insert.lstrip().lower().startswith("insert into "):
        raise ValueError("append_in_order takes an insert statement")
    result = con.execute(insert + _RETURNING_APPENDED, list(params))
    return len(result.fetchnumpy()["appended"])


def warehouse_id(con: duckdb.DuckDBPyConnection) -> str:
    """This warehouse file's identity (a UUID made when its schema was created)."""
    row = con.execute("select warehouse_id from meta.warehouse").fetchone()
    if row is None:
        raise WarehouseError("meta.warehouse is empty: the warehouse schema is incomplete")
    return str(row[0])


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the fixed schemas and the raw / quarantine / meta tables if missing.

    In one transaction: a process killed half-way through a new warehouse's schema leaves
    none of it (never a ``meta.warehouse`` without its identity row), and one commit costs
    less than one per statement (docs/decisions.md).
    """
    with transaction(con):
        con.execute(read_sql("warehouse/schema.sql"))


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    row = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    return bool(row and row[0])


# --------------------------------------------------------------------------- configuration


def write_config_tables(con: duckdb.DuckDBPyConnection, config: Config) -> None:
    """Load the settings that shape SQL into ``meta.config_*`` tables the models join.

    Replaced as a whole on every build so that a removed funnel or feature disappears too.
    """
    analysis = config.analysis
    # "latest_event" leaves both null: int_settings takes the day of the latest event
    as_of = analysis.as_of_bounds()
    settings = {
        "as_of_date": as_of[0].isoformat() if as_of else None,
        "as_of_ends_at": as_of[1].isoformat(sep=" ") if as_of else None,
        "timezone": analysis.timezone,
        "week_start": analysis.week_start,
        "retention_start_event": config.retention.start_event,
        "retention_return_event": config.retention.return_event,
        "activation_event": config.activation.event,
        "activation_within_days": str(config.activation.within_days),
        "segment_min_responses": str(config.segments.min_responses),
    }
    tables: dict[str, tuple[str, list[tuple[Any, ...]]]] = {
        "config_settings": ("key varchar, value varchar", sorted(settings.items())),
        "config_active_events": ("event varchar", [(e,) for e in analysis.active_events]),
        "config_funnel_steps": (
            "funnel varchar, step_number integer, step_event varchar, window_seconds bigint",
            [
                (f.name, i, step, parse_duration(f.window))
                for f in config.funnels
                for i, step in enumerate(f.steps, start=1)
            ],
        ),
        "config_funnel_exclusions": (
            "funnel varchar, event varchar, from_step integer, to_step integer",
            [
                (f.name, e.event, e.from_step, e.to_step)
                for f in config.funnels
                for e in f.exclusions
            ],
        ),
        "config_features": (
            "feature varchar, event varchar",
            [(f.name, e) for f in config.features for e in f.events],
        ),
        "config_segments": (
            "trait varchar",
            [(t,) for t in config.breakdown_segments()],
        ),
    }
    for name, (columns, rows) in tables.items():
        target = ("meta", name)
        con.execute(compose("create or replace table {target} (", target=target) + columns + ")")
        if rows:
            placeholders = "(" + ", ".join("?" for _ in rows[0]) + ")"
            con.executemany(
                compose("insert into {target} values ", target=target) + placeholders, rows
            )


# --------------------------------------------------------------------------- model runner


@dataclass(frozen=True)
class Model:
    """One SQL file = one table: ``sql/<layer>/<name>.sql`` builds ``<layer>.<name>``."""

    layer: str
    name: str
    path: Path
    sql: str
    depends_on: frozenset[str] = field(default_factory=frozenset)
    parameters: frozenset[str] = field(default_factory=frozenset)
    #: ``-- column <name>: <text>`` header lines, applied as DuckDB column comments
    column_docs: tuple[tuple[str, str], ...] = ()
    #: ``-- grain: a, b``: the columns that identify one row, checked by the runner; ``()``
    #: for ``-- grain: one row``; ``None`` when not declared (allowed in staging only)
    grain: tuple[str, ...] | None = None
    #: ``-- materialized: incremental by <load column>``: kept up to date by load
    #: (:mod:`pmanalytics.incremental`) instead of replaced; ``None`` for a plain table
    incremental: Incremental | None = None

    @property
    def key(self) -> str:
        return f"{self.layer}.{self.name}"


@functools.cache
def _parsed_names(sql: str, dialect: str) -> tuple[frozenset[str], frozenset[str]]:
    """The warehouse tables a statement reads and the ``$name`` parameters it binds.

    Taken from sqlglot's parse tree, never by pattern matching on the text: a name in a
    comment, in a string literal or spelt as a quoted identifier is then what it is. Cached
    by text because a build discovers the same files many times.
    """
    try:
        statements = parse(sql, read=dialect)
    except ParseError as exc:
        raise WarehouseError(f"sqlglot cannot parse it as {dialect} SQL: {exc}") from exc
    tables: set[str] = set()
    parameters: set[str] = set()
    for statement in statements:
        if statement is None:
            continue
        for table in statement.find_all(exp.Table):
            # an unqualified name may be a CTE; a warehouse table is always schema.table
            schema = table.db.lower()
            if schema in SCHEMAS and table.name:
                tables.add(f"{schema}.{table.name.lower()}")
        parameters.update(
            p.name for p in statement.find_all(exp.Placeholder) if _SAFE_IDENTIFIER.match(p.name)
        )
    return frozenset(tables), frozenset(parameters)


def tables_read(sql: str, *, dialect: str = "duckdb") -> set[str]:
    """The warehouse tables (``schema.table``, any of :data:`SCHEMAS`) that ``sql`` names.

    The one source of model dependencies, for the DuckDB runner and every other engine.
    """
    return set(_parsed_names(sql, dialect)[0])


def parse_grain(path: Path, text: str) -> tuple[str, ...] | None:
    """The ``-- grain:`` line of a model's header comment (the lines before its SQL).

    A grain written only as prose is never checked; declared, the runner proves it on every
    build. Raises naming the file when the line is there but malformed, or there twice.
    """
    header: list[str] = []
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        header.append(line)
    declared = [m.group(1) for line in header if (m := _GRAIN.match(line))]
    if not declared:
        return None
    if len(declared) > 1:
        raise WarehouseError(f"{path}: declares its grain {len(declared)} times; keep one line")
    value = declared[0].rstrip(".")
    if value == ONE_ROW:
        return ()
    columns = tuple(c.strip() for c in value.split(","))
    bad = [c for c in columns if not _SAFE_IDENTIFIER.match(c)]
    if bad or len(set(columns)) != len(columns):
        raise WarehouseError(
            f"{path}: '-- grain: {declared[0]}' is not a list of distinct column names "
            f"(e.g. '-- grain: period, period_start', or '-- grain: {ONE_ROW}')"
        )
    return columns


def discover_models(root: Path | None = None, layers: Sequence[str] = MODEL_LAYERS) -> list[Model]:
    """Read every model of the given layers; references to other models become dependencies."""
    from pmanalytics.incremental import parse_incremental

    root = root or sql_dir()
    models: list[Model] = []
    for layer in layers:
        folder = root / layer
        if not folder.is_dir():
            continue
        for path in folder.glob("*.sql"):
            name = path.stem
            if not IDENTIFIER.match(name):
                raise WarehouseError(
                    f"{path}: model file names must match {IDENTIFIER.pattern} (they become "
                    "table names)"
                )
            text = path.read_text(encoding="utf-8").strip().rstrip(";").strip()
            try:
                refs, params = _parsed_names(text, "duckdb")
            except WarehouseError as exc:
                raise WarehouseError(f"{path}: {exc}") from exc
            refs -= {f"{layer}.{name}"}
            docs = tuple(_COLUMN_DOC.findall(text))
            grain = parse_grain(path, text)
            if grain is None and layer in GRAIN_REQUIRED:
                raise WarehouseError(
                    f"{path}: a {layer} model must declare its grain in its header, e.g. "
                    f"'-- grain: user_id, activity_date' (the columns that identify one row)"
                )
            refs = frozenset(refs)
            incremental = parse_incremental(path, text, refs, grain)
            models.append(Model(layer, name, path, text, refs, params, docs, grain, incremental))
    return models


def order_models(models: Iterable[Model]) -> list[Model]:
    """Dependency order, ties broken by name: never by directory listing order."""
    by_key = {m.key: m for m in sorted(models, key=lambda m: m.key)}
    rank = {layer: i for i, layer in enumerate(MODEL_LAYERS)}
    marts = {m.name for m in by_key.values() if m.layer == "marts"}
    for model in by_key.values():
        if model.layer == "intermediate" and model.name in marts:
            raise WarehouseError(
                f"{model.path}: marts.{model.name} exists as a model too; an intermediate "
                "model's name may not be a mart's (the build drops marts tables named like "
                "intermediate models, left there by versions before the intermediate schema)"
            )
    sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for key, model in by_key.items():
        deps = sorted(d for d in model.depends_on if d in by_key)
        for dep in deps:
            if rank.get(by_key[dep].layer, 0) > rank.get(model.layer, 0):
                raise WarehouseError(
                    f"{model.path}: a {model.layer} model may not read {dep} (a later layer)"
                )
        sorter.add(key, *deps)
    ordered: list[str] = []
    try:
        sorter.prepare()
    except graphlib.CycleError as exc:
        raise WarehouseError(f"SQL models depend on each other in a cycle: {exc.args[1]}") from exc
    while sorter.is_active():
        # among models that are ready, earlier layers first, then by name
        ready = sorted(sorter.get_ready(), key=lambda k: (rank.get(by_key[k].layer, 0), k))
        ordered.extend(ready)
        sorter.done(*ready)
    return [by_key[k] for k in ordered]


def select_models(models: Iterable[Model], names: Iterable[str]) -> list[Model]:
    """The named models (``layer.name`` keys) and every model among ``models`` they read.

    Dependencies are followed through ``Model.depends_on``; one outside ``models`` is taken
    as already built (as in :func:`order_models`). A name that is not among ``models`` is an
    error rather than an empty build.
    """
    by_key = {m.key: m for m in models}
    wanted = list(names)
    unknown = sorted(set(wanted) - by_key.keys())
    if unknown:
        raise WarehouseError(f"no model(s) named {unknown}; known: {sorted(by_key)}")
    chosen: set[str] = set()
    while wanted:
        key = wanted.pop()
        if key not in chosen:
            chosen.add(key)
            wanted.extend(d for d in by_key[key].depends_on if d in by_key)
    return [m for m in by_key.values() if m.key in chosen]


@dataclass(frozen=True)
class ModelRun:
    key: str
    rows: int
    seconds: float
    #: where or how it was built, when not in the warehouse (``on spark (transpiled)``)
    detail: str = ""


def run_models(
    con: duckdb.DuckDBPyConnection,
    models: Iterable[Model],
    parameters: Mapping[str, Any] | None = None,
    *,
    select: Iterable[str] | None = None,
) -> list[ModelRun]:
    """Build each model as a table, in dependency order, all in one transaction.

    Either every table is replaced or none is: a failing model, or one whose rows break its
    declared grain (a wrong join that doubles rows), leaves yesterday's tables. ``select``
    (``layer.name`` keys) builds only those models and what they depend on. A model declared
    ``-- materialized: incremental by …`` is brought up to date by load instead of replaced
    when that is provably the same table (:mod:`pmanalytics.incremental`); its
    :attr:`ModelRun.detail` says which it was.
    """
    parameters = dict(parameters or {})
    if select is not None:
        models = select_models(models, select)
    runs: list[ModelRun] = []
    with transaction(con):
        for model in order_models(models):
            missing = sorted(model.parameters - parameters.keys())
            if missing:
                raise WarehouseError(f"{model.path}: no value for parameter(s) {missing}")
            bound = {k: parameters[k] for k in model.parameters}
            target = (model.layer, model.name)
            started = time.perf_counter()
            detail = ""
            if model.incremental is None:
                _replace_table(con, model, bound)
            else:
                from pmanalytics.incremental import build as build_incrementally

                detail = build_incrementally(
                    con,
                    model,
                    bound,
                    full_build=functools.partial(_replace_table, con, model, bound),
                    check_keys=functools.partial(check_grain, con, model),
                )
            _apply_column_docs(con, model, target)
            if model.layer == "intermediate":
                _drop_moved_table(con, model)
            count = con.execute(compose("select count(*) from {target}", target=target)).fetchone()
            seconds = time.perf_counter() - started
            runs.append(ModelRun(model.key, int(count[0]) if count else 0, seconds, detail))
    return runs


def _replace_table(con: duckdb.DuckDBPyConnection, model: Model, bound: Mapping[str, Any]) -> None:
    """``create or replace`` the model's table from its SQL, then check its grain."""
    target = (model.layer, model.name)
    try:
        con.execute(
            compose("create or replace table {target} as\n", target=target) + model.sql,
            dict(bound),
        )
    except duckdb.Error as exc:
        raise WarehouseError(f"model {model.key} ({model.path}) failed: {exc}") from exc
    check_grain(con, model)


def check_grain(con: duckdb.DuckDBPyConnection, model: Model, among: str | None = None) -> None:
    """Raise unless no grain column of the model's table is null and no two rows share a key.

    One aggregate query over the built table (dbt's ``unique`` and ``not_null`` in one pass);
    the error names the model, its grain and one offending key. ``among`` (a scratch table
    of keys) limits it to the rows with those keys: after an incremental step only the keys
    it wrote can break a grain the rest of the table kept.
    """
    if model.grain is None:
        return
    target = (model.layer, model.name)
    grain = list(model.grain)
    if grain:
        # a group with a null key column is an offending row too, counted once or more
        query = " ".join(
            [
                compose("select {grain}, count(*) from {target}", grain=grain, target=target),
                compose("semi join {among} using ({grain})", among=among, grain=grain)
                if among
                else "",
                compose("group by {grain} having count(*) > 1", grain=grain),
                *(compose("or {column} is null", column=column) for column in grain),
                "limit 1",
            ]
        )
    else:
        query = compose("select count(*) from {target} having count(*) > 1", target=target)
    try:
        row = con.execute(query).fetchone()
    except duckdb.Error as exc:
        raise WarehouseError(
            f"model {model.key} ({model.path}): cannot check its grain ({', '.join(grain)}): {exc}"
        ) from exc
    if row is None:
        return
    *key, count = row
    shown = ", ".join(f"{c}={v!r}" for c, v in zip(grain, key, strict=True))
    declared = ", ".join(grain) or ONE_ROW
    if any(v is None for v in key):
        problem = f"a grain column is null, e.g. in the row with ({shown})"
    elif grain:
        problem = f"{count} rows share the key ({shown})"
    else:
        problem = f"it has {count} rows"
    raise WarehouseError(
        f"model {model.key} ({model.path}) breaks its grain ({declared}): {problem}; nothing "
        "was replaced. Look for a join that repeats rows or a key that can be null."
    )


def _drop_moved_table(con: duckdb.DuckDBPyConnection, model: Model) -> None:
    """Drop ``marts.<name>`` of an intermediate model: a stale copy from an older build.

    Helper tables lived in ``marts`` before they had a schema of their own; left there,
    exports and BI users would still see them beside the real marts.
    """
    con.execute(compose("drop table if exists {stale}", stale=("marts", model.name)))


def _apply_column_docs(
    con: duckdb.DuckDBPyConnection, model: Model, target: tuple[str, str]
) -> None:
    """Column comments from the model's header; a documented column must exist."""
    if not model.column_docs:
        return
    columns = {
        row[0]
        for row in con.execute(
            "select column_name from duckdb_columns() where schema_name = ? and table_name = ?",
            [model.layer, model.name],
        ).fetchall()
    }
    for column, text in model.column_docs:
        if column not in columns:
            raise WarehouseError(
                f"{model.path}: documents column {column!r}, which the model does not produce"
            )
        con.execute(
            compose("comment on column {target}.{column} is ", target=target, column=column)
            + quote_literal(text)
        )
