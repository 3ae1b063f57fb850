"""Run the suites on the batch just ingested, record the results, write GX Data Docs.

The row-level expectations of the batch are counted by DuckDB and judged by GX from those
counts (``pushdown.py``): one scan of the batch instead of pandas frames. GX's DuckDB SQL
datasource is broken in GX 1.24 (it reads rows after the connection closed), so what GX
validates itself are pandas DataFrames that DuckDB hands over: one row of batch aggregates,
one row per load (volume), one row of whole-table counts, and the batch's rows for any
row-level expectation the SQL compiler does not know (in parts of at most about
``[validation] chunk_rows`` rows, see ``parts.py``). A fresh ephemeral GX context is used per
run (it costs nothing; the GX import is what costs ~3.5 s, paid once per process and only
here).
"""

from __future__ import annotations

import contextlib
import dataclasses
import html
import json
import logging
import math
import shutil
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from pmanalytics.config import Config, ValidationConfig
from pmanalytics.errors import ConfigError
from pmanalytics.outputs import claim_folder
from pmanalytics.pii import redact_pii
from pmanalytics.quality.batches import (
    Batch,
    count_rows,
    fetch_batch,
    fetch_batch_aggregates,
    fetch_loads,
    fetch_quarantine_share,
    fetch_table_counts,
    require_staging,
    sql_batch,
)
from pmanalytics.quality.catalog import TABLES
from pmanalytics.quality.gx_configuration import read_configuration_once
from pmanalytics.quality.gx_import import ready
from pmanalytics.quality.offline_docs import is_offline_data_docs, make_offline
from pmanalytics.quality.parts import combine_parts, count_parts, part_name
from pmanalytics.quality.pushdown import Compiled, column_types, compile_expectation, judge
from pmanalytics.quality.report import ExpectationResult, SuiteVerdict, ValidationReport
from pmanalytics.quality.suites import KEY_COLUMNS, Check, Suite, build_suites

if TYPE_CHECKING:
    import pandas as pd

#: A named frame that is fetched only when GX is about to judge it, so one part at a time is
#: in memory.
_Part = tuple[str, Callable[[], "pd.DataFrame"]]

DEFAULT_DATA_DOCS_DIR = "reports/data_docs"


_SITE_NAME = "pmanalytics"
_DATASOURCE = "pmanalytics"


def validate(
    con: duckdb.DuckDBPyConnection,
    config: Config,
    *,
    run_id: str,
    load_ids: Sequence[str] | None,
    data_docs_dir: str | Path | None = DEFAULT_DATA_DOCS_DIR,
    now: datetime | None = None,
    tables: Sequence[str] | None = None,
    pushdown: bool = True,
) -> ValidationReport:
    """Validate the batch of ``load_ids`` (every staged row when ``None``) with GX.

    Writes one row per expectation to ``meta.validation_results`` and, unless
    ``data_docs_dir`` is ``None``, GX's HTML Data Docs (a relative folder is resolved against
    the config file's folder). Does not raise on failed expectations: call
    :meth:`ValidationReport.raise_for_critical` to stop the run. ``now`` (naive UTC) pins the
    clock that future-tolerance and freshness are measured from. ``tables`` (names from
    ``TABLES``, e.g. ``["events"]``) runs only those tables' suites; by default all of them.
    ``pushdown=False`` judges the batch's rows with GX on pandas frames, as before the SQL
    compiler: the same results, slower (kept to compare the two).
    """
    ready()  # an import started in the background finishes first
    started = time.perf_counter()
    unknown = sorted(set(tables or ()) - set(TABLES))
    if unknown:
        raise ConfigError(f"no staged table(s) {unknown} to validate; known: {list(TABLES)}")
    require_staging(con)
    validated_at = datetime.now(UTC).replace(tzinfo=None)
    settings = config.validation
    suites = build_suites(config, now=now or validated_at)
    docs_dir = config.resolve(data_docs_dir) if data_docs_dir is not None else None
    if docs_dir is not None:  # before any work: a folder of the user's is never cleaned
        claim_folder(docs_dir, "the Data Docs folder", made_by_us=is_offline_data_docs)
    context = _gx_context(docs_dir)

    verdicts = [
        _validate_table(
            con,
            context,
            [s for s in suites if s.table == table],
            load_ids,
            settings,
            run_id=run_id,
            validated_at=validated_at,
            pushdown=pushdown,
        )
        for table in (TABLES if tables is None else [t for t in TABLES if t in tables])
    ]

    report_results = [r for v in verdicts for r in v.results]
    _write_results(con, run_id, validated_at, report_results)
    index = _build_data_docs(context, docs_dir) if docs_dir is not None else None
    return ValidationReport(
        run_id, validated_at, tuple(verdicts), index, time.perf_counter() - started
    )


def _validate_table(
    con: duckdb.DuckDBPyConnection,
    context: Any,
    suites: list[Suite],
    load_ids: Sequence[str] | None,
    settings: ValidationConfig,
    *,
    run_id: str,
    validated_at: datetime,
    pushdown: bool,
) -> SuiteVerdict:
    """One staged table's suites, in order: row-level checks in SQL where they compile."""
    table = suites[0].table
    with sql_batch(con, table, load_ids, materialize=pushdown) as batch:
        n_rows = count_rows(con, batch)
        # the one-row frames are fetched here, the batch's rows only when GX judges them: the
        # whole-table counts (DuckDB's own memory) are done before any part is in pandas
        planned = []
        for suite in suites:
            in_sql, on_pandas = [], suite
            if pushdown and suite.grain == "rows" and n_rows > 0:
                in_sql, on_pandas = _split_for_sql(con, suite, batch, settings.sample_size)
            parts = _parts(con, on_pandas, load_ids, n_rows, settings) if on_pandas else []
            planned.append((suite, in_sql, on_pandas, parts))
        results: list[ExpectationResult] = []
        for suite, in_sql, on_pandas, parts in planned:
            run = {"run_id": run_id, "validated_at": validated_at}
            by_name = {
                r.expectation: r
                for r in _run_in_sql(
                    con, context, suite, in_sql, batch, **run, sample_size=settings.sample_size
                )
            }
            if on_pandas is not None:
                by_name |= {
                    r.expectation: r
                    for r in _run_suite(
                        context, on_pandas, parts, **run, sample_size=settings.sample_size
                    )
                }
            results += [by_name[c.spec.name] for c in suite.checks if c.spec.name in by_name]
    return SuiteVerdict(f"staging.{table}", n_rows, tuple(results))


def _parts(
    con: duckdb.DuckDBPyConnection,
    suite: Suite,
    load_ids: Sequence[str] | None,
    n_rows: int,
    settings: ValidationConfig,
) -> list[_Part]:
    """The frames GX judges for one suite: one, except for the rows of a large batch.

    A batch of more than ``chunk_rows`` rows is judged in ``ceil(n_rows / chunk_rows)`` parts
    split by a hash of the table's key; an empty batch in none (no result rather than a fake
    pass). The other grains are one small frame each.
    """
    table = suite.table
    if suite.grain == "rows":
        if n_rows == 0:
            return []
        n_parts = count_parts(n_rows, settings.chunk_rows)
        if n_parts == 1:
            return [(suite.name, lambda: fetch_batch(con, table, load_ids))]
        key = KEY_COLUMNS[table]
        return [
            (
                part_name(suite.name, key, part, n_parts),
                lambda part=part: fetch_batch(con, table, load_ids, part=part, n_parts=n_parts),
            )
            for part in range(n_parts)
        ]
    if suite.grain == "batch":  # no row when the batch is empty
        frame = fetch_batch_aggregates(con, table, load_ids)
    elif suite.grain == "loads":
        frame = fetch_loads(
            con,
            table,
            load_ids,
            min_volume_ratio=settings.min_volume_ratio,
            lookback=settings.volume_lookback_loads,
        )
    elif suite.grain == "quarantine":  # no row when the batch's loads read nothing
        frame = fetch_quarantine_share(con, table, load_ids)
    else:
        frame = fetch_table_counts(con, table)
    return [(suite.name, lambda: frame)] if not frame.empty else []


def _split_for_sql(
    con: duckdb.DuckDBPyConnection,
    suite: Suite,
    batch: Batch,
    sample_size: int,
) -> tuple[list[Compiled], Suite | None]:
    """The suite's checks that SQL can count, and a suite of the rest (``None`` if none).

    The rest keep today's pandas path under a name of their own (`` (on pandas)``), so that
    their Data Docs pages do not overwrite the SQL-judged ones.
    """
    types = column_types(con, batch)
    result_format = _result_format(suite, sample_size)
    compiled = {
        check.spec.name: compile_expectation(check.expectation, i, types, result_format)
        for i, check in enumerate(suite.checks)
    }
    in_sql = [c for c in compiled.values() if c is not None]
    rest = tuple(c for c in suite.checks if compiled[c.spec.name] is None)
    if not rest:
        return in_sql, None
    if not in_sql:
        return [], suite
    return in_sql, dataclasses.replace(suite, checks=rest, suffix=" (on pandas)")


def _run_in_sql(
    con: duckdb.DuckDBPyConnection,
    context: Any,
    suite: Suite,
    compiled: list[Compiled],
    batch: Batch,
    *,
    run_id: str,
    validated_at: datetime,
    sample_size: int,
) -> list[ExpectationResult]:
    """GX's results for the checks DuckDB counts, stored in GX for Data Docs like any run."""
    if not compiled:
        return []
    names = {c.expectation.meta["name"] for c in compiled}
    in_sql = dataclasses.replace(
        suite, checks=tuple(c for c in suite.checks if c.spec.name in names)
    )
    # the suite's own copies of the expectations (with their ids) are the ones judged
    gx_suite = context.suites.add(in_sql.to_gx())
    by_name = {e.meta["name"]: e for e in gx_suite.expectations}
    compiled = [
        dataclasses.replace(c, expectation=by_name[c.expectation.meta["name"]]) for c in compiled
    ]
    evrs = judge(con, batch, compiled, _result_format(suite, sample_size))
    _store_suite_result(context, in_sql.name, evrs, run_id=run_id, validated_at=validated_at)
    judged = {evr.expectation_config.meta["name"]: evr for evr in evrs}
    return [_to_result(c, judged[c.spec.name], suite, sample_size) for c in in_sql.checks]


def _store_suite_result(
    context: Any, suite_name: str, evrs: list[Any], *, run_id: str, validated_at: datetime
) -> None:
    """An ``ExpectationSuiteValidationResult`` as ``ValidationDefinition.run`` stores one."""
    import great_expectations as gx
    from great_expectations.core import ExpectationSuiteValidationResult
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )
    from great_expectations.validator.validation_statistics import calc_validation_statistics

    statistics = calc_validation_statistics(evrs)
    run = RunIdentifier(run_name=run_id, run_time=validated_at.replace(tzinfo=UTC))
    batch_id = f"{_DATASOURCE}-{suite_name}"
    result = ExpectationSuiteValidationResult(
        success=statistics.success,
        results=evrs,
        suite_name=suite_name,
        statistics={
            "evaluated_expectations": statistics.evaluated_expectations,
            "successful_expectations": statistics.successful_expectations,
            "unsuccessful_expectations": statistics.unsuccessful_expectations,
            "success_percent": statistics.success_percent,
        },
        meta={
            "great_expectations_version": gx.__version__,
            "batch_spec": {"batch_data": "DuckDB aggregates over the batch's rows"},
            "batch_markers": {"ge_load_time": run.run_time.strftime("%Y%m%dT%H%M%S.%fZ")},
            "active_batch_definition": {
                "datasource_name": _DATASOURCE,
                "data_connector_name": "duckdb",
                "data_asset_name": suite_name,
                "batch_identifiers": {},
            },
            "run_id": run,
            "validation_time": run.run_time,
            "batch_parameters": None,
        },
        batch_id=batch_id,
    )
    suite_key = ExpectationSuiteIdentifier(name=suite_name)
    context.validation_results_store.store_validation_results(
        suite_validation_result=result,
        suite_validation_result_identifier=ValidationResultIdentifier(
            expectation_suite_identifier=suite_key, run_id=run, batch_identifier=batch_id
        ),
        expectation_suite_identifier=suite_key,
    )


def _result_format(suite: Suite, sample_size: int) -> dict[str, Any]:
    """What GX keeps of each result: counts, a sample of values and of their rows' keys."""
    return {
        "result_format": "SUMMARY",
        "partial_unexpected_count": sample_size,
        "unexpected_index_column_names": [suite.key_column],
    }


# --------------------------------------------------------------------------- GX plumbing


def _gx_context(docs_dir: Path | None) -> Any:
    """An ephemeral context: no project folder, no network, no progress bars."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    for name in ("great_expectations", "great_expectations.data_context.types.base"):
        logging.getLogger(name).setLevel(logging.WARNING)  # no INFO chatter per run
    context = gx.get_context(mode="ephemeral")
    # An ephemeral context's configuration lives in memory, yet GX re-serialises all of it to
    # YAML, into an in-memory store that nothing reads, on every datasource, asset and batch
    # definition change: four times per frame judged, ~20 ms each (docs/decisions.md).
    context._save_project_config = _configuration_kept_in_memory
    read_configuration_once()  # once per process: see gx_configuration.py
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    if docs_dir is not None:
        context.add_data_docs_site(
            _SITE_NAME,
            {
                "class_name": "SiteBuilder",
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(docs_dir),
                },
                "site_index_builder": {
                    "class_name": "DefaultSiteIndexBuilder",
                    "show_how_to_buttons": False,
                },
            },
        )
    return context


def _configuration_kept_in_memory() -> None:
    """Stands in for the ephemeral context's ``_save_project_config``: nothing to save."""


def _run_suite(
    context: Any,
    suite: Suite,
    parts: list[_Part],
    *,
    run_id: str,
    validated_at: datetime,
    sample_size: int,
) -> list[ExpectationResult]:
    """One GX validation run per part; one result per check, combined over the parts."""
    if not parts:
        return []
    gx_suite = context.suites.add(suite.to_gx())
    per_part = [
        # the frame is fetched as the argument, so it is freed once GX is done with it
        _run_part(
            context,
            suite,
            gx_suite,
            name,
            fetch(),
            run_id=run_id,
            validated_at=validated_at,
            sample_size=sample_size,
        )
        for name, fetch in parts
    ]
    if len(per_part) == 1:
        return per_part[0]
    key = KEY_COLUMNS[suite.table]
    return [
        combine_parts([part[i] for part in per_part], key_column=key, sample_size=sample_size)
        for i in range(len(suite.checks))
    ]


def _run_part(
    context: Any,
    suite: Suite,
    gx_suite: Any,
    name: str,
    frame: pd.DataFrame,
    *,
    run_id: str,
    validated_at: datetime,
    sample_size: int,
) -> list[ExpectationResult]:
    """GX judges one frame: its own asset and validation definition, named ``name``.

    The datasource lives for this one run: its execution engine keeps every frame it was
    given, so a shared one would hold all parts of a large batch in memory at once.
    """
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier

    asset = context.data_sources.add_pandas(_DATASOURCE).add_dataframe_asset(name)
    try:
        batch_definition = asset.add_batch_definition_whole_dataframe("batch")
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=name, data=batch_definition, suite=gx_suite)
        )
        outcome = definition.run(
            batch_parameters={"dataframe": frame},
            result_format=_result_format(suite, sample_size),
            run_id=RunIdentifier(run_name=run_id, run_time=validated_at.replace(tzinfo=UTC)),
        )
    finally:
        context.data_sources.delete(_DATASOURCE)
    by_name = {r.expectation_config.meta["name"]: r for r in outcome.results}
    results = []
    for check in suite.checks:
        # a batch-grain frame is one row of aggregates: GX's map result does not repeat the
        # value it judged, so it is read from the frame (the share, the newest time)
        one_row = suite.grain in ("batch", "quarantine")
        observed = frame[check.expectation.column].iloc[0] if one_row else None
        results.append(_to_result(check, by_name[check.spec.name], suite, sample_size, observed))
    return results


def _to_result(
    check: Check, gx_result: Any, suite: Suite, sample_size: int, observed: Any = None
) -> ExpectationResult:
    """GX's verdict as one results row; an expectation GX could not evaluate counts as failed."""
    result = dict(gx_result.result or {})
    config = gx_result.expectation_config
    kwargs = {
        k: v for k, v in config.kwargs.items() if k not in ("result_format", "catch_exceptions")
    }
    details: dict[str, Any] = {
        "gx_expectation": config.type,
        "kwargs": kwargs,
        "summary": check.spec.summary,
        "threshold": check.spec.threshold,
    }
    for key in ("element_count", "missing_count", "unexpected_percent", "observed_value"):
        if key in result:
            details[key] = result[key]
    if observed is not None:
        details["observed_value"] = observed
    if result.get("partial_unexpected_list"):  # customer text: stored redacted
        details["unexpected_values"] = _redacted(result["partial_unexpected_list"][:sample_size])
    if result.get("partial_unexpected_index_list"):
        details["unexpected_rows"] = _redacted(
            result["partial_unexpected_index_list"][:sample_size]
        )
    error = _exception_message(gx_result.exception_info)
    if error:
        details["error"] = error
    count = result.get("unexpected_count")
    return ExpectationResult(
        table_name=f"staging.{suite.table}",
        expectation=check.spec.name,
        severity=check.severity,
        success=bool(gx_result.success) and not error,
        unexpected_count=int(count) if count is not None else None,
        details=_json_safe(details),
    )


def _sanitise_stored_results(context: Any) -> None:
    """Escape and redact every value GX kept from the data before it renders Data Docs.

    GX writes offending values into the pages as raw HTML: a comment or an event name such
    as ``<img src=x onerror=…>`` would be markup there, and an email would be shown as it
    is. The stored results are rewritten so that the pages show the text, redacted.
    """
    store = context.validation_results_store
    for key in store.list_keys():
        suite_result = store.get(key)
        for result in suite_result.results:
            result.result = _shown_safely(result.result)
        store.set(key, suite_result)


def _shown_safely(value: Any) -> Any:
    if isinstance(value, str):
        return html.escape(redact_pii(value))
    if isinstance(value, dict):
        return {k: _shown_safely(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_shown_safely(v) for v in value]
    return value


def _redacted(value: Any) -> Any:
    """Customer text as it may be stored in ``meta.validation_results``: PII redacted."""
    if isinstance(value, str):
        return redact_pii(value)
    if isinstance(value, dict):
        return {k: _redacted(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted(v) for v in value]
    return value


def _exception_message(info: Any) -> str | None:
    """GX reports errors either flat or keyed by metric id: find the first raised one."""
    if not info:
        return None
    entries = [info] if "raised_exception" in info else list(info.values())
    for entry in entries:
        if isinstance(entry, dict) and entry.get("raised_exception"):
            return str(entry.get("exception_message") or "an exception was raised")
    return None


def _json_safe(value: Any) -> Any:
    """Plain JSON values: timestamps as ISO text, numpy scalars as numbers, NaN as null."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_json_safe(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str | bytes):  # numpy / pandas scalars
        with contextlib.suppress(TypeError, ValueError):
            value = value.item()
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "isoformat"):  # pandas Timestamp
        return value.isoformat()
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if value is None or isinstance(value, bool | int | str):
        return value
    if hasattr(value, "dict"):  # GX row conditions (pydantic models)
        return _json_safe(value.dict())
    return None if _is_missing(value) else str(value)


def _is_missing(value: Any) -> bool:
    try:
        return bool(value != value)  # NaN, NaT, pd.NA
    except (TypeError, ValueError):
        return False


# --------------------------------------------------------------------------- outputs


def _write_results(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    validated_at: datetime,
    results: list[ExpectationResult],
) -> None:
    """All of a run's rows in one statement, so a crash never leaves half a run."""
    if not results:
        return
    import pandas as pd

    frame = pd.DataFrame(
        {
            "run_id": run_id,
            "table_name": [r.table_name for r in results],
            "expectation": [r.expectation for r in results],
            "severity": [r.severity for r in results],
            "success": [r.success for r in results],
            "unexpected_count": pd.array([r.unexpected_count for r in results], dtype="Int64"),
            "details": [json.dumps(r.details, allow_nan=False) for r in results],
            "validated_at": validated_at,
        }
    )
    con.register("_validation_results", frame)
    try:
        con.execute(
            "insert into meta.validation_results (run_id, table_name, expectation, severity, "
            "success, unexpected_count, details, validated_at) "
            "select run_id, table_name, expectation, severity, success, unexpected_count, "
            "details::json, validated_at from _validation_results"
        )
    finally:
        con.unregister("_validation_results")


def _build_data_docs(context: Any, docs_dir: Path) -> Path:
    """GX's static HTML site for this run; the previous run's pages are replaced.

    GX's pages load Bootstrap and fonts from public CDNs; :func:`make_offline` removes those
    loads so that opening them never reaches the network (every result is in the HTML).
    """
    for stale in ("validations", "expectations"):
        shutil.rmtree(docs_dir / stale, ignore_errors=True)
    docs_dir.mkdir(parents=True, exist_ok=True)
    _sanitise_stored_results(context)
    context.build_data_docs(site_names=[_SITE_NAME])
    make_offline(docs_dir)
    return docs_dir / "index.html"
