"""The ``pmanalytics`` command line. Exit codes: 0 ok, 1 failed run, 2 usage/config error."""

from __future__ import annotations

import argparse
import re
import sys
import warnings
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pmanalytics import __version__
from pmanalytics.config import Config, find_config, load_config, resolve_db_path
from pmanalytics.engines import ENGINES, get_engine
from pmanalytics.errors import ConfigError, PmaError, ValidationFailed
from pmanalytics.export import FORMATS, export_marts
from pmanalytics.ingest import KINDS, IngestResult, ingest_files
from pmanalytics.kpis.checks import kpi_warnings
from pmanalytics.pipeline import (
    DEFAULT_REPORT_PATH,
    PipelineResult,
    RunTarget,
    build,
    ingest_sources,
    new_run_id,
    pain_point_lines,
    recorded_run,
    run_pipeline,
    run_step,
    summarise_warehouse,
    validate_staging,
    write_report,
)
from pmanalytics.quality import DEFAULT_DATA_DOCS_DIR, ValidationReport, validate
from pmanalytics.quality.gate import accept_loads
from pmanalytics.quality.report import quarantine_share_text
from pmanalytics.warehouse import ModelRun, open_warehouse, run_lock

#: C0/C1 control characters but newline and tab: from an input file they would be obeyed
#: by the terminal (``\x1b[2J`` clears it), so they are shown as escapes instead
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def visible(text: str) -> str:
    """``text`` with every control character shown as ``\\xNN``, never sent raw."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)


class _Console(Console):
    """A console whose plain-text arguments are made :func:`visible` first (file names,
    reasons, labels: all may come from input files)."""

    def print(self, *objects: Any, **kwargs: Any) -> None:
        super().print(*(visible(o) if isinstance(o, str) else o for o in objects), **kwargs)


out = _Console(highlight=False, markup=False, soft_wrap=True)
err = _Console(stderr=True, highlight=False, soft_wrap=True)


class _Help(argparse.HelpFormatter):
    """Every option's help ends with its default, unless the help already says it."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if (
            default in (None, False, argparse.SUPPRESS)
            or "default" in text
            or not action.option_strings
        ):
            return text
        return f"{text} (default: %(default)s)"


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Help)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # usage errors exit 2 with a clear message
        self.print_usage(sys.stderr)
        err.print(f"[red]error:[/red] {escape(message)}")
        raise SystemExit(2)


def _engine(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default="duckdb",
        help="where the marts are built: duckdb (default) or spark, from the lake "
        "(needs pip install 'pmanalytics[spark]' and Java 17+; see docs/scaling.md)",
    )


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--debug", action="store_true", help="show the traceback of an error (for bug reports)"
    )
    parser.add_argument("--db", help="warehouse file (default: [warehouse] path, or PMA_DB_PATH)")
    parser.add_argument(
        "--config",
        help="project config (default: the nearest pmanalytics.toml in this folder or above)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="pmanalytics", description=__doc__)
    parser.add_argument("--version", action="version", version=f"pmanalytics {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    demo = commands.add_parser("demo", help="ingest the configured sample sources and build")
    _common(demo)
    demo.set_defaults(handler=_cmd_demo, locks=False)  # run_pipeline takes the lock

    sample = commands.add_parser("sample", help="generate deterministic sample data")
    sample.add_argument(
        "--out", required=True, type=Path, help="folder to write events, users and surveys to"
    )
    sample.add_argument("--users", type=int, default=1000, help="how many users (20 or more)")
    sample.add_argument("--days", type=int, default=60, help="how many days of activity")
    sample.add_argument(
        "--seed", type=int, default=7, help="random seed: the same seed writes the same files"
    )
    _common(sample)
    sample.set_defaults(handler=_cmd_sample, locks=False)

    ingest = commands.add_parser("ingest", help="load files into the warehouse")
    ingest.add_argument("kind", choices=KINDS, help="what the files hold")
    ingest.add_argument("paths", nargs="+", help="files, folders or globs")
    ingest.add_argument("--source", help="a [[sources]] name: its format and survey mapping apply")
    _common(ingest)
    ingest.set_defaults(handler=_cmd_ingest, locks=True)

    build_cmd = commands.add_parser(
        "build", help="rebuild staging, validate it, rebuild the marts (no Prefect)"
    )
    build_cmd.add_argument("--docs", help=f"Data Docs folder (default: {DEFAULT_DATA_DOCS_DIR})")
    _engine(build_cmd)
    _common(build_cmd)
    build_cmd.set_defaults(handler=_cmd_build, locks=True)

    run_cmd = commands.add_parser(
        "run", help="the whole pipeline as a Prefect flow (honours PREFECT_API_URL)"
    )
    run_cmd.add_argument("--docs", help=f"Data Docs folder (default: {DEFAULT_DATA_DOCS_DIR})")
    _engine(run_cmd)
    _common(run_cmd)
    run_cmd.set_defaults(handler=_cmd_run, locks=False)  # the flow takes the lock

    serve_cmd = commands.add_parser(
        "serve", help="serve the pipeline as a Prefect deployment on a cron schedule"
    )
    serve_cmd.add_argument(
        "--cron", required=True, help='the schedule, e.g. "0 6 * * *" (06:00 every day)'
    )
    serve_cmd.add_argument("--name", default="pmanalytics-scheduled", help="deployment name")
    serve_cmd.add_argument("--timezone", default="UTC", help="the cron schedule's time zone")
    _engine(serve_cmd)
    _common(serve_cmd)
    serve_cmd.set_defaults(handler=_cmd_serve, locks=False)

    report_cmd = commands.add_parser("report", help="write the self-contained HTML report")
    report_cmd.add_argument(
        "--out",
        type=Path,
        help=f"the HTML file to write (default: {DEFAULT_REPORT_PATH} beside the config file)",
    )
    report_cmd.add_argument(
        "--docs", help=f"Data Docs folder to link (default: {DEFAULT_DATA_DOCS_DIR})"
    )
    _common(report_cmd)
    report_cmd.set_defaults(handler=_cmd_report, locks=False)

    export_cmd = commands.add_parser("export", help="write every marts table as CSV or Parquet")
    export_cmd.add_argument(
        "--format",
        choices=FORMATS,
        default="parquet",
        help="file format; CSV writes list columns (keywords, quotes) as JSON text",
    )
    export_cmd.add_argument("--out", required=True, type=Path, help="output folder")
    _common(export_cmd)
    export_cmd.set_defaults(handler=_cmd_export, locks=False)

    validate_cmd = commands.add_parser(
        "validate", help="run the Great Expectations suites on the staged tables"
    )
    validate_cmd.add_argument(
        "--load-id", action="append", help="validate only these loads (meta.ingested_files)"
    )
    validate_cmd.add_argument("--docs", help=f"Data Docs folder (default: {DEFAULT_DATA_DOCS_DIR})")
    _common(validate_cmd)
    validate_cmd.set_defaults(handler=_cmd_validate, locks=True)

    accept_cmd = commands.add_parser(
        "accept", help="let loads that failed validation through the gate, with a reason"
    )
    accept_cmd.add_argument(
        "load_ids", nargs="+", metavar="LOAD_ID", help="load ids (meta.ingested_files.load_id)"
    )
    accept_cmd.add_argument("--reason", required=True, help="why (recorded with the verdict)")
    _common(accept_cmd)
    accept_cmd.set_defaults(handler=_cmd_accept, locks=True)
    return parser


@contextmanager
def _progress(enabled: bool):
    """Files and rows on a terminal; nothing when output is not a TTY."""
    if not enabled:
        yield None
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as progress:
        yield progress


def _ingest_progress(progress) -> tuple:
    if progress is None:
        return None, None
    task = progress.add_task("ingesting", total=None)
    state = {"files": 0, "rows": 0}

    def on_file(result: IngestResult) -> None:
        state["files"] += 1
        state["rows"] += result.rows_read
        progress.update(
            task,
            description=escape(
                f"ingested {state['files']} file(s), {state['rows']:,} rows"
                f" — last: {Path(result.path).name}"
            ),
        )

    return task, on_file


#: What a terminal shows while a step runs (with a spinner and the time it has taken).
STEP_WORDS = {
    "ingest_sources": "ingesting",
    "build_staging": "building staging",
    "validate_staging": "validating staging (Great Expectations)",
    "build_marts": "building the KPI marts",
    "build_pain_points": "finding pain points (embedding comments: the longest step)",
    "write_report": "writing the report",
}


def _step_progress(progress) -> Any:
    """``on_step(step)``: the step's name on the progress line; nothing off a terminal."""
    if progress is None:
        return None
    task = progress.add_task("starting", total=None)

    def on_step(step: Any) -> None:
        name = getattr(step, "__name__", str(step))
        progress.update(task, description=escape(STEP_WORDS.get(name, name)))

    return on_step


def _print_results(results: list[IngestResult]) -> None:
    table = Table(title="ingested files", show_lines=False)
    for column in ("file", "read", "loaded", "duplicate", "quarantined", "note"):
        table.add_column(column, justify="left" if column in ("file", "note") else "right")
    for r in results:
        note = "skipped: already loaded (same sha256)" if r.skipped else ""
        table.add_row(
            visible(Path(r.path).name),
            f"{r.rows_read:,}",
            f"{r.rows_loaded:,}",
            f"{r.rows_duplicate:,}",
            f"{r.rows_quarantined:,}",
            note,
        )
    out.print(table)


def _print_summary(con) -> None:
    summary = summarise_warehouse(con)
    files = Table(title="loaded per source")
    for column in ("source", "kind", "files", "read", "loaded", "duplicate", "quarantined"):
        files.add_column(column, justify="right" if column not in ("source", "kind") else "left")
    for row in summary["files"]:
        files.add_row(*[f"{v:,}" if isinstance(v, int) else visible(str(v)) for v in row])
    out.print(files)
    if summary["reasons"]:
        reasons = Table(title="quarantined, by kind of problem")
        for column in ("table", "kind", "rows", "example"):
            reasons.add_column(column, justify="right" if column == "rows" else "left")
        for tbl, kind, count, examples in summary["reasons"]:
            reasons.add_row(tbl, visible(kind), f"{count:,}", visible(examples[0]))
        out.print(reasons)


def _print_pain_points(result) -> None:
    lines = pain_point_lines(result)
    if lines:
        out.print("pain points:")
        for line in lines:
            out.print(f"  {line}")


def _print_validation(report: ValidationReport | None) -> None:
    if report is None:
        return
    out.print("validation:")
    for line in report.summary_lines():
        out.print(f"  {line}")


def _print_validation_of_run(con, run_id: str) -> None:
    rows = con.execute(
        "select table_name, count(*) filter (where success), count(*), "
        "any_value(try_cast(details ->> '$.observed_value' as double)) "
        "filter (where expectation = 'quarantine_share'), "
        "any_value(try_cast(details -> '$.kwargs' ->> '$.max_value' as double)) "
        "filter (where expectation = 'quarantine_share') "
        "from meta.validation_results where run_id = ? group by table_name order by table_name",
        [run_id],
    ).fetchall()
    for table, passed, total, share, threshold in rows:
        line = f"  {table}: {passed}/{total} expectations passed"
        if share is not None:
            line += "; " + quarantine_share_text(share, threshold)
        err.print(escape(line))


def _open(args: argparse.Namespace, config: Config):
    db_path = resolve_db_path(config, args.db)
    return db_path, open_warehouse(db_path, config)


def _docs(args: argparse.Namespace) -> str:
    """``--docs`` is relative to the current folder, like every path on the command line;
    the default is relative to the config file, like every path in it."""
    return str(Path(args.docs).resolve()) if args.docs else DEFAULT_DATA_DOCS_DIR


FLOW_NAME = "pmanalytics-pipeline"


# --------------------------------------------------------------------------- commands
# One handler per command: ``handler(args, config) -> exit code``. A handler registered
# with ``locks=True`` runs holding the warehouse's run lock (one writing run at a time).


def _cmd_sample(args: argparse.Namespace, config: Config) -> int:
    from pmanalytics.sample import generate_sample

    if args.users < 20 or args.days < 1:
        raise ConfigError(
            f"sample needs --users 20 or more and --days 1 or more, got "
            f"--users {args.users} --days {args.days}"
        )
    summary = generate_sample(
        args.out, users=args.users, days=args.days, seed=args.seed, progress=err.is_terminal
    )
    out.print(
        f"wrote {summary.n_events:,} events, {summary.n_users:,} users and "
        f"{summary.n_responses:,} survey responses to {args.out}"
    )
    return 0


def _cmd_ingest(args: argparse.Namespace, config: Config) -> int:
    source = config.source(args.source) if args.source else None
    if source is not None and source.kind != args.kind:
        raise ConfigError(f"source {source.name!r} is of kind {source.kind!r}, not {args.kind!r}")
    db_path, con = _open(args, config)
    with con, _progress(err.is_terminal) as progress:
        _, on_file = _ingest_progress(progress)
        results = ingest_files(
            con,
            args.kind,
            args.paths,
            config=config,
            source=source.name if source else None,
            file_format=source.format if source else "auto",
            mapping=source.mapping if source else None,
            on_file=on_file,
        )
    _print_results(results)
    out.print(f"warehouse: {db_path}")
    return 0


def _cmd_build(args: argparse.Namespace, config: Config) -> int:
    engine = get_engine(args.engine)
    engine.check()  # before the warehouse is touched: exit 2 and say what to install
    db_path, con = _open(args, config)
    with (
        con,
        recorded_run(con, {"command": "build", "engine": engine.name}) as run_id,
        _progress(err.is_terminal) as progress,
    ):
        try:
            result = build(
                con,
                config,
                engine=engine,
                run_id=run_id,
                data_docs_dir=_docs(args),
                on_step=_step_progress(progress),
            )
        except ValidationFailed:
            _print_validation_of_run(con, run_id)
            raise
    _print_models(result.models)
    _print_validation(result.validation)
    with open_warehouse(db_path, config, read_only=True) as con:
        _print_warnings(kpi_warnings(con, result.models))
    _print_pain_points(result.pain_points)
    if engine.reads_lake or config.lake.enabled:
        out.print(f"lake:      {config.resolve(config.lake.path)}")
    if engine.output(config) is not None:
        out.print(f"marts:     {engine.output(config)} (Parquet, one folder per table)")
    out.print(f"warehouse: {db_path}")
    return 0


def _cmd_validate(args: argparse.Namespace, config: Config) -> int:
    """Given loads go through the gate (their verdicts are recorded); without ``--load-id``
    every staged row is audited, which decides no load's verdict."""
    _, con = _open(args, config)
    with con:
        if args.load_id:
            report = validate_staging(
                con, config, run_id=new_run_id(), load_ids=args.load_id, data_docs_dir=_docs(args)
            )
        else:
            report = validate(
                con, config, run_id=new_run_id(), load_ids=None, data_docs_dir=_docs(args)
            )
    _print_validation(report)
    if report is not None:
        report.raise_for_critical()
    return 0


def _cmd_accept(args: argparse.Namespace, config: Config) -> int:
    _, con = _open(args, config)
    with con:
        accept_loads(con, args.load_ids, args.reason)
    out.print(f"accepted {len(args.load_ids)} load(s): {args.reason.strip()}")
    return 0


def _cmd_report(args: argparse.Namespace, config: Config) -> int:
    db_path = resolve_db_path(config, args.db)
    with open_warehouse(db_path, config, read_only=True) as con:
        out_path = args.out.resolve() if args.out else DEFAULT_REPORT_PATH
        path = write_report(con, config, out_path, data_docs_dir=_docs(args))
    out.print(f"report: {path.resolve()}")
    return 0


def _cmd_export(args: argparse.Namespace, config: Config) -> int:
    db_path = resolve_db_path(config, args.db)
    with open_warehouse(db_path, config, read_only=True) as con:
        written = export_marts(con, args.out, args.format)
    for path in written:
        out.print(f"wrote {path}")
    return 0


def _cmd_demo(args: argparse.Namespace, config: Config) -> int:
    """The pipeline's steps in this process, without Prefect (``run`` is the flow)."""
    if not config.sources:
        raise ConfigError(
            "no [[sources]] configured: run `pmanalytics demo` from the "
            "project folder (its pmanalytics.toml points at data/sample)"
        )
    target = _target(args, config)
    with _progress(err.is_terminal) as progress:
        _, on_file = _ingest_progress(progress)
        on_step = _step_progress(progress)

        def runner(step: Any, run_target: RunTarget, /, **arguments: Any) -> Any:
            if on_step is not None and step is not ingest_sources:  # files have their own line
                on_step(step)
            return run_step(step, run_target, **arguments)

        try:
            result = run_pipeline(
                target, runner=runner, on_file=on_file, parameters={"command": "demo"}
            )
        finally:
            with open_warehouse(target.db, config, read_only=True) as con:
                _print_summary(con)
    _print_models(result.build.models)
    _print_validation(result.build.validation)
    with open_warehouse(target.db, config, read_only=True) as con:
        _print_warnings(kpi_warnings(con, result.build.models))
    _print_pain_points(result.build.pain_points)
    _print_locations(result)
    return 0


def _cmd_run(args: argparse.Namespace, config: Config) -> int:
    """The pipeline as the Prefect flow (a temporary local API unless PREFECT_API_URL)."""
    pipeline = _flow()
    target = _target(args, config)
    get_engine(target.engine).check()  # a missing Spark is a usage error, before any run
    _flow_module().start_temporary_server()  # dies with this process, even on kill -9
    state = pipeline(**_flow_parameters(target), return_state=True)
    if not state.is_completed():
        err.print(f"[red]flow run {state.name.lower()}:[/red] {escape(state.message or '')}")
        return 1
    summary = state.result()
    with open_warehouse(target.db, config, read_only=True) as con:
        _print_summary(con)
    for title, lines in (
        ("validation", summary["validation"]),
        ("warnings", summary["warnings"]),
        ("pain points", summary["pain_points"]),
    ):
        if lines:
            out.print(f"{title}:")
            for line in lines:
                out.print(f"  {line}")
    out.print(f"\nflow run:  {state.state_details.flow_run_id} ({FLOW_NAME}) completed")
    out.print(f"warehouse: {target.db}")
    out.print(f"report:    {summary['report']}")
    return 0


def _cmd_serve(args: argparse.Namespace, config: Config) -> int:
    from prefect.schedules import Cron

    try:
        ZoneInfo(args.timezone)
        schedule = Cron(args.cron, timezone=args.timezone)
    except (ValueError, ZoneInfoNotFoundError) as exc:
        raise ConfigError(f"--cron {args.cron!r} / --timezone {args.timezone!r}: {exc}") from None
    pipeline = _flow()
    out.print(f"serving {args.name} on cron {args.cron!r} ({args.timezone}); Ctrl-C stops")
    pipeline.serve(
        name=args.name, schedule=schedule, parameters=_flow_parameters(_target(args, config))
    )
    return 0


# --------------------------------------------------------------------------- helpers


def _target(args: argparse.Namespace, config: Config) -> RunTarget:
    """Absolute paths: a served deployment runs from wherever the runner process is."""
    found = Path(args.config) if args.config else find_config()
    config_path = str(found.resolve()) if found is not None else None
    docs = getattr(args, "docs", None)
    return RunTarget(
        config_path=config_path,
        db=str(resolve_db_path(config, args.db).resolve()),
        engine=getattr(args, "engine", "duckdb"),
        data_docs_dir=str(Path(docs).resolve()) if docs else DEFAULT_DATA_DOCS_DIR,
    )


def _flow_parameters(target: RunTarget) -> dict[str, str | None]:
    parameters = {"config_path": target.config_path, "db": target.db}
    if target.engine != "duckdb":
        parameters["engine"] = target.engine
    if target.data_docs_dir != DEFAULT_DATA_DOCS_DIR:
        parameters["data_docs_dir"] = target.data_docs_dir
    return parameters


def _flow_module() -> Any:
    """``flows/pipeline.py`` of a checkout, or its copy inside an installed wheel; imported
    only for ``run`` and ``serve`` (the library never imports Prefect)."""
    try:
        from pmanalytics._flows import pipeline
    except ModuleNotFoundError:
        from flows import pipeline
    return pipeline


def _flow() -> Any:
    """The Prefect flow ``pmanalytics-pipeline``."""
    return _flow_module().pipeline


def _print_warnings(lines: list[str]) -> None:
    if lines:
        out.print("warnings:")
        for line in lines:
            out.print(f"  {line}")


def _print_models(runs: list[ModelRun]) -> None:
    for run in runs:
        suffix = f"  {run.detail}" if run.detail else ""
        out.print(f"built {run.key:<32} {run.rows:>10,} rows  {run.seconds:6.2f}s{suffix}")


def _print_locations(result: PipelineResult) -> None:
    out.print(f"\nwarehouse: {result.target.db}")
    if result.report_path is not None:
        out.print(f"report:    {result.report_path.resolve()}")


def main(argv: Sequence[str] | None = None) -> int:
    # With the spark extra installed, Great Expectations imports pyspark, which warns about
    # pandas 3 on every run; pmanalytics never hands pandas frames to Spark.
    warnings.filterwarnings(
        "ignore", message="PySpark does not yet fully support pandas", category=FutureWarning
    )
    for console in (out, err):
        if not console.is_terminal:  # logs and pipes: never wrap a path or a reason
            console.width = 200
    args = build_parser().parse_args(argv)
    if args.debug:  # the traceback, for a bug report
        return _dispatch(args)
    try:
        return _dispatch(args)
    except ConfigError as exc:
        err.print(f"[red]configuration error:[/red] {escape(str(exc))}")
        return 2
    except PmaError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        return 1
    except duckdb.OutOfMemoryException as exc:
        err.print(
            f"[red]out of memory:[/red] {escape(str(exc))}\nDuckDB spills large joins and "
            "aggregates to disk but this step could not; raise "
            + escape("[warehouse] memory_limit")
            + " in pmanalytics.toml (default 1GB)."
        )
        return 1
    except (OSError, duckdb.Error) as exc:  # a full disk, a read-only folder, a corrupt file
        err.print(f"[red]error:[/red] {escape(_one_line(exc))}")
        return 1
    except Exception as exc:  # a bug: one line, and how to see more
        err.print(
            f"[red]unexpected error:[/red] {escape(_one_line(exc))} "
            "(rerun with --debug for the traceback)"
        )
        return 1


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if not isinstance(exc, PmaError) else text


def _dispatch(args: argparse.Namespace) -> int:
    """Load the config and run the command's handler (under the run lock if it writes)."""
    # like git: the project's config from this folder or any folder above (notebooks/, …)
    config = load_config(args.config or find_config())
    if not args.locks:
        return args.handler(args, config)
    # one writing run at a time per warehouse: a second one waits, bounded, then says why
    db_path = resolve_db_path(config, args.db)
    with run_lock(db_path, timeout=config.warehouse.lock_timeout_seconds):
        return args.handler(args, config)


if __name__ == "__main__":
    sys.exit(main())
