"""One definition of a pipeline run: six steps, put in order in one place.

    ingest_sources → build_staging → validate_staging → build_marts(engine)
        → build_pain_points → write_report

Each step takes an open warehouse connection and the config, so a notebook can call them one
by one. :func:`run_pipeline` is the only place they are sequenced: ``pmanalytics demo`` runs
it as it is, the Prefect flow (``flows/pipeline.py``) runs it with a step runner that makes
every step a task of the same name, and :func:`build` (``pmanalytics build``, notebooks) is
its middle four steps on either engine.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from pmanalytics.config import Config, load_config
from pmanalytics.engines import Engine, get_engine
from pmanalytics.ingest import IngestResult, ingest_sources
from pmanalytics.kpis.checks import kpi_warnings
from pmanalytics.lake import write_lake
from pmanalytics.outputs import check_claimable, check_output_file, protected_files
from pmanalytics.pain_points.refresh import (
    PainPointResult,
    input_fingerprint,
    refresh_if_unchanged,
)
from pmanalytics.pain_points.summaries import scores_below_the_rest
from pmanalytics.quality import DEFAULT_DATA_DOCS_DIR, ValidationReport, import_early, validate
from pmanalytics.quality.gate import check_known, pending_loads, record_verdicts
from pmanalytics.quality.offline_docs import is_offline_data_docs
from pmanalytics.quality.reasons import quarantine_reason_groups
from pmanalytics.warehouse import (
    ModelRun,
    discover_models,
    open_warehouse,
    run_lock,
    run_models,
    write_config_tables,
)

__all__ = [
    "DEFAULT_REPORT_PATH",
    "BuildResult",
    "PipelineResult",
    "RunTarget",
    "build",
    "build_marts",
    "build_pain_points",
    "build_staging",
    "ingest_sources",
    "run_pipeline",
    "run_step",
    "validate_staging",
    "write_report",
]

DEFAULT_REPORT_PATH = "reports/report.html"
T = TypeVar("T")


# --------------------------------------------------------------------------- the steps
# ingest_sources (pmanalytics.ingest): every configured source, each file loaded whole.


def build_staging(con: duckdb.DuckDBPyConnection, config: Config) -> list[ModelRun]:
    """Rebuild ``staging.*`` from ``raw.*`` (identity resolution, typing, UTC)."""
    write_config_tables(con, config)
    return run_models(con, discover_models(layers=("staging",)), {})


def validate_staging(
    con: duckdb.DuckDBPyConnection,
    config: Config,
    *,
    run_id: str,
    load_ids: list[str] | None = None,
    data_docs_dir: str | Path | None = None,
) -> ValidationReport | None:
    """The Great Expectations gate between staging and the marts.

    Validates every load still awaiting a verdict (``load_ids`` ``None``: this run's loads,
    a load left unvalidated by a crash, a load that failed before) or exactly the given
    loads, records each load's verdict, and raises
    :class:`~pmanalytics.errors.ValidationFailed` on a critical failure, so nothing after it
    runs and the failed loads stay blocked until they pass or are accepted
    (:mod:`pmanalytics.quality.gate`). ``None`` when ``[validation] enabled = false``.
    """
    if not config.validation.enabled:
        return None
    if load_ids is None:
        batch = pending_loads(con)
    else:
        check_known(con, load_ids)
        batch = list(load_ids)
    report = validate(con, config, run_id=run_id, load_ids=batch, data_docs_dir=data_docs_dir)
    record_verdicts(con, batch, "passed" if report.passed else "failed", run_id=run_id)
    report.raise_for_critical()
    return report


def build_marts(
    con: duckdb.DuckDBPyConnection, config: Config, engine: str | Engine = "duckdb"
) -> list[ModelRun]:
    """Every model after staging (``intermediate``, ``marts``) on ``engine``, all or none.

    The config tables are rewritten first (the marts join them, and a notebook may have
    changed the config since staging). The lake is written when the engine reads it or
    ``[lake] enabled`` asks for it: after the validation gate, so it never holds rows that
    failed it.
    """
    engine = get_engine(engine)
    engine.check()
    write_config_tables(con, config)
    if engine.reads_lake or config.lake.enabled:
        write_lake(con, config.resolve(config.lake.path))
    models = [m for m in discover_models() if m.layer != "staging"]
    return engine.build(con, config, models)


def build_pain_points(con: duckdb.DuckDBPyConnection, config: Config) -> PainPointResult | None:
    """Cluster the comments into pain points and link them to behaviour (one transaction);
    ``None`` when ``[pain_points] enabled = false``.

    When the survey responses and settings are those of the last fit, the clustering is
    kept and only what reads events is recomputed; the fit, and scikit-learn's import with
    it, only when a refit is due.
    """
    if not config.pain_points.enabled:
        return None
    fingerprint = input_fingerprint(con, config)
    kept = refresh_if_unchanged(con, config, fingerprint)
    if kept is not None:
        return kept
    from pmanalytics.pain_points.build import build_pain_points as fit_pain_points

    return fit_pain_points(con, config, fingerprint=fingerprint)


def write_report(
    con: duckdb.DuckDBPyConnection,
    config: Config,
    out_path: str | Path = DEFAULT_REPORT_PATH,
    data_docs_dir: str | Path | None = DEFAULT_DATA_DOCS_DIR,
) -> Path:
    """The self-contained HTML report; relative paths resolve against the config's folder."""
    from pmanalytics.reports import build_report

    out = check_output_file(config.resolve(out_path), protected_files(con, config), "the report")
    index = config.resolve(data_docs_dir) / "index.html" if data_docs_dir else None
    return build_report(
        con,
        out,
        data_docs_index=index if index is not None and index.is_file() else None,
    )


def check_outputs(config: Config, engine: Engine, data_docs_dir: str | Path | None) -> None:
    """Every folder a build would clean or replace is checked before anything is rebuilt:
    a path that points at a folder of the user's fails first, having changed nothing."""
    if data_docs_dir is not None:
        check_claimable(
            config.resolve(data_docs_dir), "the Data Docs folder", made_by_us=is_offline_data_docs
        )
    if engine.reads_lake or config.lake.enabled:
        check_claimable(config.resolve(config.lake.path), "the lake")
    output = engine.output(config)
    if output is not None:
        check_claimable(output, f"{engine.name}'s marts output")


# --------------------------------------------------------------------------- runs


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def start_run(con: duckdb.DuckDBPyConnection, run_id: str, parameters: dict[str, Any]) -> None:
    """A ``running`` row in ``meta.pipeline_runs``.

    Runs hold the warehouse's run lock, so a row still ``running`` now belongs to a run that
    died (``kill -9``, a full disk) before it could say so: it is marked ``abandoned``.
    """
    con.execute("update meta.pipeline_runs set status = 'abandoned' where status = 'running'")
    con.execute(
        "insert into meta.pipeline_runs values (?, ?, null, 'running', ?)",
        [run_id, _now(), json.dumps(parameters, default=str)],
    )


def finish_run(con: duckdb.DuckDBPyConnection, run_id: str, status: str) -> None:
    con.execute(
        "update meta.pipeline_runs set finished_at = ?, status = ? where run_id = ?",
        [_now(), status, run_id],
    )


@contextmanager
def recorded_run(
    con: duckdb.DuckDBPyConnection, parameters: dict[str, Any], run_id: str | None = None
) -> Iterator[str]:
    """Record the run in ``meta.pipeline_runs``: running, then succeeded or failed."""
    run_id = run_id or new_run_id()
    start_run(con, run_id, parameters)
    status = "failed"
    try:
        yield run_id
        status = "succeeded"
    finally:
        finish_run(con, run_id, status)


@dataclass
class BuildResult:
    run_id: str
    engine: str = "duckdb"
    models: list[ModelRun] = field(default_factory=list)
    validation: ValidationReport | None = None
    pain_points: PainPointResult | None = None


def build(
    con: duckdb.DuckDBPyConnection,
    config: Config,
    *,
    engine: str | Engine = "duckdb",
    run_id: str | None = None,
    load_ids: list[str] | None = None,
    data_docs_dir: str | Path | None = None,
    pain_points: bool = True,
    on_step: Callable[[Callable[..., Any]], None] | None = None,
) -> BuildResult:
    """Staging, the validation gate, the marts on ``engine``, then the pain points.

    The engine is checked before anything is rebuilt, so a missing Spark or a model that
    cannot be carried over fails first. A critical validation failure raises and leaves the
    marts as they were. ``on_step`` sees each step as it starts (progress on a terminal).
    """

    def call(step: Callable[..., T], **arguments: Any) -> T:
        if on_step is not None:
            on_step(step)
        return step(con, config, **arguments)

    return _build_steps(
        call,
        engine,
        config,
        run_id=run_id or new_run_id(),
        load_ids=load_ids,
        data_docs_dir=data_docs_dir,
        pain_points=pain_points,
    )


def _build_steps(
    call: Callable[..., Any],
    engine: str | Engine,
    config: Config,
    *,
    run_id: str,
    load_ids: list[str] | None,
    data_docs_dir: str | Path | None,
    pain_points: bool = True,
) -> BuildResult:
    """The middle four steps in order; ``call(step, **arguments)`` runs one of them."""
    checked = get_engine(engine)
    checked.check()
    check_outputs(config, checked, data_docs_dir)
    result = BuildResult(run_id=run_id, engine=checked.name)
    if config.validation.enabled:
        import_early()  # the gate's Great Expectations import, beside staging's DuckDB work
    result.models += call(build_staging)
    result.validation = call(
        validate_staging, run_id=run_id, load_ids=load_ids, data_docs_dir=data_docs_dir
    )
    result.models += call(build_marts, engine=engine)
    if pain_points:
        result.pain_points = call(build_pain_points)
    return result


@dataclass(frozen=True)
class RunTarget:
    """What a run works on, as plain values: a Prefect task can take them, a log can show
    them. ``config_path`` ``None`` means ``./pmanalytics.toml`` when present."""

    config_path: str | None
    db: str
    engine: str = "duckdb"
    data_docs_dir: str = DEFAULT_DATA_DOCS_DIR
    report_path: str = DEFAULT_REPORT_PATH

    def config(self) -> Config:
        return load_config(self.config_path)


#: ``runner(step, target, **arguments)`` runs one step and returns what the step returns.
StepRunner = Callable[..., Any]


def run_step(step: Callable[..., T], target: RunTarget, /, **arguments: Any) -> T:
    """Open the warehouse, run one step on it, close it: the default :data:`StepRunner`.

    Every step opens its own connection, so a runner may run steps in other threads or
    processes (the Prefect flow runs each as a task). The report step only reads.
    """
    config = target.config()
    read_only = step is write_report
    with open_warehouse(target.db, config, read_only=read_only) as con:
        return step(con, config, **arguments)


@dataclass
class PipelineResult:
    target: RunTarget
    ingested: list[IngestResult]
    build: BuildResult
    report_path: Path | None = None


def run_pipeline(
    target: RunTarget,
    *,
    runner: StepRunner = run_step,
    on_file: Callable[[IngestResult], None] | None = None,
    parameters: dict[str, Any] | None = None,
) -> PipelineResult:
    """The whole run, in order, holding the warehouse's run lock, recorded in
    ``meta.pipeline_runs``.

    Sources are ingested one source at a time (users, then events, then surveys); the gate
    then judges every load awaiting a verdict, not only this run's. ``runner`` decides how
    a step runs (directly, or as a Prefect task); ``on_file`` sees each file as it is loaded
    (progress on a terminal).
    """
    config = target.config()
    with run_lock(target.db, timeout=config.warehouse.lock_timeout_seconds):
        with open_warehouse(target.db, config) as con:
            run_id = new_run_id()
            start_run(con, run_id, {**(parameters or {}), "db": target.db})
        status = "failed"
        try:

            def call(step: Callable[..., T], **arguments: Any) -> T:
                return runner(step, target, **arguments)

            ingested: list[IngestResult] = []
            for name in source_order(config):
                ingested += call(ingest_sources, names=[name], on_file=on_file)
            result = _build_steps(
                call,
                target.engine,
                config,
                run_id=run_id,
                load_ids=None,  # every load awaiting a verdict, this run's too
                data_docs_dir=target.data_docs_dir,
            )
            report = call(
                write_report, out_path=target.report_path, data_docs_dir=target.data_docs_dir
            )
            status = "succeeded"
        finally:
            with open_warehouse(target.db, config) as con:
                finish_run(con, run_id, status)
    return PipelineResult(target, ingested, result, report)


def source_order(config: Config) -> list[str]:
    """Configured source names, users before events before surveys (identity needs users)."""
    order = {"users": 0, "events": 1, "surveys": 2}
    return [s.name for s in sorted(config.sources, key=lambda s: order[s.kind])]


# --------------------------------------------------------------------------- summaries


def pain_point_lines(result: PainPointResult | None) -> list[str]:
    """One line for people: how many pain points from how many comments, and the top ones."""
    if result is None:
        return []
    lines = [
        f"{result.n_pain_points} pain points from {result.clustered_comments:,} comments "
        f"({result.empty_comments:,} without content left out; {result.k_selection})"
    ]
    if result.identity_note:
        lines.append(result.identity_note)
    top = result.priorities.head(5) if len(result.priorities) else result.priorities
    for row in top.itertuples():
        lines.append(f"#{row.rank} {row.label} (reach {row.reach:,})")
    loved = result.delighters
    if len(loved):
        loved = loved[loved["status"] == "active"]
        faint = scores_below_the_rest(loved)
        loved = loved[~faint].sort_values("comments", ascending=False)
        lines.append(
            f"what customers love ({len(loved)} delighters; {int(faint.sum())} more, from "
            "customers who clearly score below the rest, left out):"
            if faint.any()
            else f"what customers love ({len(loved)} delighters):"
        )
        for row in loved.head(3).itertuples():
            lines.append(f"+ {row.label} ({row.comments:,} comments)")
    return lines


def headline_rows(con: duckdb.DuckDBPyConnection) -> list[dict[str, str]]:
    """The report's headline tiles as display strings (for run summaries and artifacts)."""
    from pmanalytics.reports.build import warehouse_headline
    from pmanalytics.reports.page import format_change, format_value

    return [
        {
            "name": kpi.name,
            "period": kpi.period_label,
            "latest": format_value(kpi.value, kpi.unit),
            "previous": format_value(kpi.previous, kpi.unit),
            "change": format_change(kpi)[0],
        }
        for kpi in warehouse_headline(con)
    ]


def run_summary(con: duckdb.DuckDBPyConnection, result: BuildResult) -> dict[str, Any]:
    """A small, JSON-able account of a build: for Prefect artifacts and logs."""
    return {
        "run_id": result.run_id,
        "engine": result.engine,
        "models": [
            {"key": m.key, "rows": m.rows, "seconds": round(m.seconds, 3)} for m in result.models
        ],
        "validation": result.validation.summary_lines() if result.validation else [],
        "warnings": kpi_warnings(con, result.models),
        "pain_points": pain_point_lines(result.pain_points),
        "headline": headline_rows(con),
    }


def pipeline_summary(result: PipelineResult) -> dict[str, Any]:
    """:func:`run_summary` of a whole run, with its files and report (read-only access)."""
    target = result.target
    with open_warehouse(target.db, target.config(), read_only=True) as con:
        summary = run_summary(con, result.build)
    summary["ingested"] = [r.as_dict() for r in result.ingested]
    summary["report"] = str(result.report_path) if result.report_path else None
    return summary


def summarise_warehouse(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    """Small summaries for people: files per source, quarantine reasons grouped by kind
    (with example reasons), table sizes."""
    files = con.execute(
        "select source, kind, count(*) as files, sum(rows_read), sum(rows_loaded), "
        "sum(rows_duplicate), sum(rows_quarantined) from meta.ingested_files "
        "group by source, kind order by kind, source"
    ).fetchall()
    reasons = [
        (g.table_name, g.kind, int(g.n_rows), list(g.examples))
        for g in quarantine_reason_groups(con).itertuples()
    ]
    tables = con.execute(
        "select schema_name || '.' || table_name, estimated_size from duckdb_tables() "
        "where schema_name in ('staging', 'intermediate', 'marts') and not temporary order by 1"
    ).fetchall()
    return {"files": files, "reasons": reasons, "tables": tables}
