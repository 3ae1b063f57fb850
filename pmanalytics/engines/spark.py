"""The marts on Apache Spark: the same `sql/marts` models, read from the lake, written as Parquet.

DuckDB builds and validates staging and writes the lake (:mod:`pmanalytics.lake`); this module
registers the lake's folders as the Spark tables ``staging.*`` and ``meta.*``, then runs each
intermediate and marts model in the runner's dependency order, as its override file
(``sql/<layer>/spark/<name>.sql``) or transpiled by sqlglot, and materialises it as Parquet
under ``<[spark] output>/<layer>/<name>/`` (the Spark table ``<layer>.<name>``). Like the
DuckDB runner, a build replaces every table or none: the models are written into scratch
folders that are swapped in once all succeeded.

pyspark is optional (``pip install 'pmanalytics[spark]'``) and needs a Java 17+ runtime.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from pmanalytics.config import Config, SparkConfig
from pmanalytics.engines import EngineUnavailable, TranspileError
from pmanalytics.engines.transpile import EngineModel, Origin, orphan_overrides, spark_model
from pmanalytics.errors import ConfigError, WarehouseError
from pmanalytics.lake import META_FOLDER, replace_folder
from pmanalytics.warehouse import Model, ModelRun, discover_models, order_models, quote_identifier

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

INSTALL_HINT = "pip install 'pmanalytics[spark]'"
MIN_JAVA = 17
#: Settings every session gets: the models take naive timestamps as UTC, and the Parquet
#: they write must be readable by engines that do not know Spark's INT96 timestamps.
REQUIRED_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
}
#: Defaults for a ``local[...]`` master: quiet, loopback only, few shuffle partitions.
LOCAL_DEFAULTS = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.sql.shuffle.partitions": "4",
}
_JAVA_VERSION = re.compile(r'version "(\d+)(?:\.(\d+))?')


@dataclass(frozen=True)
class SparkModelRun:
    key: str
    origin: Origin
    rows: int
    seconds: float


@dataclass
class SparkBuildResult:
    output: Path
    models: list[SparkModelRun] = field(default_factory=list)

    def path(self, name: str) -> Path:
        """The Parquet folder of ``marts.<name>``."""
        return self.output / name

    @property
    def intermediate_output(self) -> Path:
        """The Parquet folders of ``intermediate.*``, beside the marts' folder."""
        return intermediate_folder(self.output)


# --------------------------------------------------------------------------- availability


def java_major_version(java: str | os.PathLike[str]) -> int:
    """The major version of a ``java`` binary (``1.8`` → 8, ``17.0.15`` → 17)."""
    try:
        done = subprocess.run(
            [str(java), "-version"], capture_output=True, text=True, timeout=60, check=False
        )
    except OSError as exc:
        raise EngineUnavailable(f"cannot run {java}: {exc}") from exc
    match = _JAVA_VERSION.search(done.stderr + done.stdout)
    if not match:
        raise EngineUnavailable(f"cannot tell the version of {java} from: {done.stderr.strip()}")
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def find_java() -> Path:
    """The ``java`` pyspark will start: ``$JAVA_HOME/bin/java``, else the one on ``PATH``."""
    home = os.environ.get("JAVA_HOME")
    if home:
        java = Path(home) / "bin" / "java"
        if not java.is_file():
            raise EngineUnavailable(
                f"JAVA_HOME={home} has no bin/java: point JAVA_HOME at a Java {MIN_JAVA}+ "
                "runtime or unset it to use the java on PATH"
            )
        return java
    found = shutil.which("java")
    if found is None:
        raise EngineUnavailable(
            f"Spark needs a Java {MIN_JAVA}+ runtime and none was found (no JAVA_HOME, no java "
            "on PATH): install one (Debian: apt-get install openjdk-17-jre-headless)"
        )
    return Path(found)


def check_spark_available() -> Path:
    """Raise :class:`EngineUnavailable` unless pyspark and a Java 17+ runtime are here."""
    try:
        import pyspark  # noqa: F401
    except ImportError as exc:
        raise EngineUnavailable(
            f"--engine spark needs pyspark, which is not installed: {INSTALL_HINT}"
        ) from exc
    java = find_java()
    major = java_major_version(java)
    if major < MIN_JAVA:
        raise EngineUnavailable(
            f"Spark 4 needs Java {MIN_JAVA}+ but {java} is Java {major}: set JAVA_HOME to a "
            "newer runtime"
        )
    return java


# --------------------------------------------------------------------------- session


def session_conf(spark: SparkConfig, warehouse_dir: Path) -> dict[str, str]:
    """The Spark settings a session starts with: defaults, then ``[spark.conf]``, then UTC."""
    conf = dict(LOCAL_DEFAULTS) if spark.master.startswith("local") else {}
    conf["spark.sql.warehouse.dir"] = str(warehouse_dir)
    conf.update(spark.conf)
    for key, value in REQUIRED_CONF.items():
        if conf.get(key, value) != value:
            raise ConfigError(
                f"[spark.conf] {key} = {conf[key]!r}: the models need {value!r} (naive "
                "timestamps are UTC; the reporting time zone is [analysis] timezone)"
            )
        conf[key] = value
    return conf


def spark_session(config: Config) -> SparkSession:
    """A SparkSession for ``[spark] master`` (``local[2]``, ``spark://host:7077``, ``yarn``)."""
    check_spark_available()
    from pyspark.sql import SparkSession

    settings = config.spark
    output = config.resolve(settings.output)
    if settings.master.startswith("local"):
        # the JVM otherwise looks up the host's address and may bind beyond loopback
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    builder = SparkSession.builder.master(settings.master).appName(settings.app_name)
    for key, value in session_conf(settings, output / "spark-warehouse").items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # py4j / JVM start-up errors have no common base class
        raise WarehouseError(
            f"cannot start Spark (master {settings.master!r}): {exc}".strip()
        ) from exc
    session.sparkContext.setLogLevel(settings.log_level)
    _quiet_query_context_logs()
    return session


def _quiet_query_context_logs() -> None:
    """pyspark logs every SQL error as a long JSON record, then raises it; build_marts
    re-raises it naming the model, so the record is only noise on stderr."""
    from pyspark.logger import PySparkLogger

    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
        PySparkLogger.getLogger(name).setLevel(logging.CRITICAL)


def spark_name(*parts: str) -> str:
    """A checked Spark SQL identifier: each part a safe name, quoted with backticks."""
    return ".".join("`" + quote_identifier(p)[1:-1] + "`" for p in parts)


# --------------------------------------------------------------------------- tables


def _register(session: SparkSession, schema: str, table: str, path: Path) -> None:
    """(Re)point the Spark table ``schema.table`` at a Parquet folder."""
    session.sql("create database if not exists " + spark_name(schema))
    session.sql("drop table if exists " + spark_name(schema, table))
    session.catalog.createTable(f"{schema}.{table}", path=str(path), source="parquet")
    if any(child.is_dir() and "=" in child.name for child in path.iterdir()):
        session.catalog.recoverPartitions(f"{schema}.{table}")  # events/event_date=…/


def register_lake(session: SparkSession, lake_root: str | Path) -> list[str]:
    """Every folder of the lake as a Spark table: ``<t>/`` → ``staging.<t>``,
    ``meta/<t>/`` → ``meta.<t>``. Returns the table names registered."""
    root = Path(lake_root)
    if not root.is_dir():
        raise WarehouseError(
            f"no lake at {root}: build staging and write the lake first "
            "(`pmanalytics build --engine spark` does both)"
        )
    names: list[str] = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        if folder.name == META_FOLDER:
            for meta in sorted(p for p in folder.iterdir() if p.is_dir()):
                _register(session, "meta", meta.name, meta)
                names.append(f"meta.{meta.name}")
        else:
            _register(session, "staging", folder.name, folder)
            names.append(f"staging.{folder.name}")
    return names


# --------------------------------------------------------------------------- marts


#: The model layers Spark builds; staging is DuckDB's, read from the lake.
SPARK_LAYERS = ("intermediate", "marts")


def intermediate_folder(marts_output: Path) -> Path:
    """``<[spark] output>/intermediate``: the helper tables, beside ``<[spark] output>/marts``."""
    return marts_output.with_name("intermediate")


def plan_models(models: Iterable[Model] | None = None) -> list[EngineModel]:
    """The intermediate and marts models in the runner's order, each as the SQL Spark will
    run (overrides win).

    With every model (``models`` None), an override file that matches no model is an error:
    it would silently never run.
    """
    chosen = list(models) if models is not None else discover_models(layers=SPARK_LAYERS)
    orphans = orphan_overrides(chosen) if models is None else []
    if orphans:
        raise TranspileError(
            f"override file(s) without a model: {', '.join(map(str, orphans))}; rename or "
            "remove them (an override has its model's file name)"
        )
    return [spark_model(m) for m in order_models(chosen)]


def build_marts(
    session: SparkSession,
    output: str | Path,
    models: Iterable[Model] | None = None,
) -> SparkBuildResult:
    """Run every model on ``session``, writing each to ``<layer folder>/<name>/`` as Parquet.

    Marts go to ``output`` (``<[spark] output>/marts``), intermediate models to the
    ``intermediate`` folder beside it. ``staging.*`` and ``meta.*`` must be registered
    (:func:`register_lake`). Every model is translated before the first one runs, so a model
    that cannot be carried over fails the build before any work; the folders are swapped in
    only after every model succeeded.
    """
    planned = plan_models(models)
    root = Path(output).resolve()
    roots = {"marts": root, "intermediate": intermediate_folder(root)}
    root.parent.mkdir(parents=True, exist_ok=True)

    def write(staged: dict[str, Path]) -> list[SparkModelRun]:
        runs: list[SparkModelRun] = []
        for item in planned:
            layer, name = item.model.layer, item.model.name
            started = time.perf_counter()
            target = staged[layer] / name
            try:
                session.sql(item.sql).write.mode("overwrite").parquet(str(target))
                _register(session, layer, name, target)
            except Exception as exc:  # Spark's analysis and execution errors
                raise WarehouseError(
                    f"model {item.model.key} failed on Spark ({item.origin} from {item.path}): "
                    f"{_first_line(exc)}"
                ) from exc
            rows = session.table(f"{layer}.{name}").count()
            runs.append(
                SparkModelRun(item.model.key, item.origin, rows, time.perf_counter() - started)
            )
        return runs

    # one scratch folder per layer; each is swapped in only once every model has succeeded
    runs = replace_folder(
        roots["intermediate"],
        lambda helpers: replace_folder(
            root,
            lambda marts: write({"intermediate": helpers, "marts": marts}),
            "Spark's marts output",
        ),
        "Spark's intermediate output",
    )
    for item in planned:  # the tables now live in the swapped-in folders
        layer, name = item.model.layer, item.model.name
        _register(session, layer, name, roots[layer] / name)
    return SparkBuildResult(root, runs)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def run_marts_on_spark(
    config: Config,
    lake_root: str | Path,
    *,
    models: Iterable[Model] | None = None,
    stop: bool = True,
) -> SparkBuildResult:
    """Start Spark (``[spark] master``), register the lake, build ``[spark] output``/marts."""
    session = spark_session(config)
    try:
        register_lake(session, lake_root)
        return build_marts(session, config.resolve(config.spark.output) / "marts", models)
    finally:
        if stop:
            session.stop()


class SparkEngine:
    """The models on Apache Spark, from the lake, written as Parquet under ``[spark] output``.

    Its ``check`` runs before staging: pyspark, Java and every model's Spark SQL (a model
    sqlglot cannot carry over fails there, not after the warehouse was rebuilt).
    """

    name = "spark"
    reads_lake = True

    def __init__(self) -> None:
        self._checked = False

    def check(self) -> None:
        if not self._checked:  # java -version and transpiling every model: once
            check_spark_available()
            plan_models()
            self._checked = True

    def build(
        self, con: duckdb.DuckDBPyConnection, config: Config, models: list[Model]
    ) -> list[ModelRun]:
        result = run_marts_on_spark(config, config.resolve(config.lake.path), models=models)
        return [
            ModelRun(run.key, run.rows, run.seconds, f"on spark ({run.origin})")
            for run in result.models
        ]

    def output(self, config: Config) -> Path:
        return config.resolve(config.spark.output) / "marts"
