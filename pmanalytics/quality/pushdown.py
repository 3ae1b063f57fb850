"""Row-level expectations counted by DuckDB, judged and reported by Great Expectations.

GX on pandas was the row scanner: a 10M-row batch was pulled into pandas (in parts) and GX
computed its metrics row by row, 23 s for one 10M load. Here the GX expectation stays the
definition of what is checked, and only the *metrics* GX would compute on the frame are
computed by DuckDB instead, for every check of a suite in one scan of the batch:

- ``table.row_count``: the rows in the expectation's domain (its ``row_condition``),
- ``column_values.nonnull.unexpected_count``: the missing values among them (``NULL``, and
  ``NaN`` in a float column, as pandas counts them),
- ``<map metric>.unexpected_count``: the rows that break the expectation (uniqueness: every
  copy of a non-missing value seen more than once in the domain, a grouped query of its own),
- ``<map metric>.unexpected_values`` / ``unexpected_index_list``: a sample of at most
  ``partial_unexpected_count`` offending rows, fetched only when there are any.

The numbers are handed to the expectation's own ``metrics_validate``, the method GX's
validator calls with the metrics it computed: ``success`` (with ``mostly``), the percents and
the result keys are GX's own. An expectation this module does not know, or knows but with
arguments it cannot translate exactly (another row-condition operator, a value type that
does not match the column, a non-default ``result_format``), is not compiled: the caller
judges it on pandas as before, so nothing silently stops being checked.

Values from config (bounds, sets, the row-condition value) are bound parameters; column
names go through :func:`pmanalytics.warehouse.compose`.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb

from pmanalytics.quality.batches import Batch, frame_of, repeated_hashes
from pmanalytics.warehouse import compose

#: The suffixes of the map metrics GX asks for in SUMMARY format; anything else: not compiled.
_MAP_SUFFIXES = ("unexpected_count", "unexpected_values", "unexpected_index_list")
_INDEX_QUERY = "unexpected_index_query"  # a pandas/SQL snippet GX shows only when asked for
_NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT")
_NUMERIC += ("UINTEGER", "UBIGINT", "FLOAT", "DOUBLE")
_FLOATS = ("FLOAT", "DOUBLE")
_EXACT_KEYS = ("VARCHAR", "TIMESTAMP", "DATE", *_NUMERIC[:-2])  # uniqueness without float -0/NaN


@dataclass(frozen=True)
class Compiled:
    """One expectation as predicates over the rows of the batch (the CTE ``batch``).

    ``domain``: the rows GX would see (its row condition); ``missing``: a missing value;
    ``unexpected``: a row GX counts as unexpected (for ``unique`` only the non-missing part:
    the duplicate test is a grouped query). ``parameters`` are the values the SQL binds.
    """

    expectation: Any
    column: str
    domain: str
    missing: str
    unexpected: str
    duplicates: bool = False
    parameters: dict[str, object] = field(default_factory=dict)
    metric_ids: dict[str, Any] = field(default_factory=dict)  # GX's id of each metric it asks


def column_types(con: duckdb.DuckDBPyConnection, batch: Batch) -> dict[str, str]:
    """The batch's column names and DuckDB types, without reading a row."""
    con.complete()
    relation = con.sql(batch.wrap("select * from batch limit 0"), params=dict(batch.parameters))
    return {
        name: str(kind).upper() for name, kind in zip(relation.columns, relation.types, strict=True)
    }


def compile_expectation(
    expectation: Any, index: int, types: Mapping[str, str], result_format: dict[str, Any]
) -> Compiled | None:
    """``expectation`` as SQL predicates, or ``None`` when it must be judged on pandas."""
    kwargs = expectation.configuration.kwargs
    column = kwargs.get("column")
    compiler = _COMPILERS.get(expectation.expectation_type)
    if compiler is None or column not in types or kwargs.get("result_format") is not None:
        return None
    metric_ids = _metric_ids(expectation, result_format)
    if metric_ids is None:
        return None
    domain = _domain(expectation, index, types)
    if domain is None:
        return None
    domain_sql, parameters = domain
    kind = types[column]
    missing = compose("({c} is null or isnan({c}))" if kind in _FLOATS else "{c} is null", c=column)
    compiled = compiler(kwargs, column, kind, f"x{index}_")
    if compiled is None:
        return None
    unexpected, values, duplicates = compiled
    return Compiled(
        expectation=expectation,
        column=column,
        domain=domain_sql,
        missing=missing,
        unexpected=unexpected,
        duplicates=duplicates,
        parameters={**parameters, **values},
        metric_ids=metric_ids,
    )


def judge(
    con: duckdb.DuckDBPyConnection,
    batch: Batch,
    compiled: Sequence[Compiled],
    result_format: dict[str, Any],
) -> list[Any]:
    """One ``ExpectationValidationResult`` per compiled expectation, from DuckDB's counts.

    An expectation whose SQL raised fails with the error, as GX reports an expectation that
    raised (``exception_info``); the others are unaffected when they were counted apart.
    """
    if not compiled:
        return []
    con.complete()
    parameters = dict(batch.parameters)
    for item in compiled:
        parameters.update(item.parameters)
    try:
        counts = _count(con, batch, compiled, parameters)
    except duckdb.Error as error:
        return [_raised(item.expectation, error) for item in compiled]
    results = []
    for item, (n_rows, n_missing, n_unexpected) in zip(compiled, counts, strict=True):
        try:
            own = {**batch.parameters, **item.parameters}  # DuckDB refuses unused ones
            if item.duplicates:
                n_unexpected, own["repeated"] = _count_duplicates(con, batch, item, own)
            sample = _sample(con, batch, item, own, result_format) if n_unexpected else []
            results.append(_evr(item, result_format, n_rows, n_missing, n_unexpected, sample))
        except Exception as error:  # as GX's validator: an expectation that raised fails alone
            results.append(_raised(item.expectation, error))
    return results


# --------------------------------------------------------------------------- compilers

_Compiler = Callable[[Mapping[str, Any], str, str, str], tuple[str, dict[str, object], bool] | None]


def _not_null(kwargs: Mapping[str, Any], column: str, kind: str, p: str):
    return "false", {}, False  # what is unexpected is exactly what is missing


def _unique(kwargs: Mapping[str, Any], column: str, kind: str, p: str):
    if kind not in _EXACT_KEYS:
        return None
    return "true", {}, True


def _in_set(kwargs: Mapping[str, Any], column: str, kind: str, p: str):
    values = kwargs.get("value_set")
    if not isinstance(values, list | tuple | set) or not values or not _matches(kind, values):
        return None
    if kwargs.get("parse_strings_as_datetimes"):
        return None
    test = _fill(_NOT_IN_SET, param=f"{p}set", column=_ident(column))
    return test, {f"{p}set": list(values)}, False


def _between(kwargs: Mapping[str, Any], column: str, kind: str, p: str):
    bounds = _bounds(kwargs, _ident(column), kind, p)
    return None if bounds is None else (_fill(_NOT, test=bounds[0]), bounds[1], False)


def _lengths(kwargs: Mapping[str, Any], column: str, kind: str, p: str):
    if kind != "VARCHAR":  # pandas measures str(value); DuckDB would measure something else
        return None
    # length() counts code points, as Python's len() does
    bounds = _bounds(kwargs, compose("length({c})", c=column), "BIGINT", p)
    return None if bounds is None else (_fill(_NOT, test=bounds[0]), bounds[1], False)


_COMPILERS: dict[str, _Compiler] = {
    "expect_column_values_to_not_be_null": _not_null,
    "expect_column_values_to_be_unique": _unique,
    "expect_column_values_to_be_in_set": _in_set,
    "expect_column_values_to_be_between": _between,
    "expect_column_value_lengths_to_be_between": _lengths,
}

#: The expectation types this module judges in SQL (the rest fall back to pandas).
SUPPORTED_TYPES = tuple(_COMPILERS)


def _bounds(
    kwargs: Mapping[str, Any], value: str, kind: str, p: str
) -> tuple[str, dict[str, object]] | None:
    """``value`` (SQL) within GX's min/max, with ``strict_min``/``strict_max``."""
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    if low is None and high is None:
        return None
    if not _matches(kind, [v for v in (low, high) if v is not None]):
        return None
    strict_min, strict_max = bool(kwargs.get("strict_min")), bool(kwargs.get("strict_max"))
    if not isinstance(kwargs.get("strict_min", False), bool) or not isinstance(
        kwargs.get("strict_max", False), bool
    ):
        return None  # a suite parameter: resolved by GX's validator, not here
    tests, values = [], {}
    if low is not None:
        tests.append(_fill(_BOUND, value=value, op=">" if strict_min else ">=", param=f"{p}min"))
        values[f"{p}min"] = low
    if high is not None:
        tests.append(_fill(_BOUND, value=value, op="<" if strict_max else "<=", param=f"{p}max"))
        values[f"{p}max"] = high
    return " and ".join(tests), values


def _matches(kind: str, values: Sequence[Any]) -> bool:
    """Whether config values compare with the column as pandas compares them."""
    if kind == "VARCHAR":
        return all(isinstance(v, str) for v in values)
    if kind in _NUMERIC:
        return all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
    if kind == "TIMESTAMP":
        return all(isinstance(v, datetime) and v.tzinfo is None for v in values)
    return False


def _domain(
    expectation: Any, index: int, types: Mapping[str, str]
) -> tuple[str, dict[str, object]] | None:
    """The row condition as SQL: only ``column == value``, which keeps no missing value."""
    condition = getattr(expectation, "row_condition", None)
    if condition is None:
        return "true", {}
    if getattr(expectation, "condition_parser", None) is not None:
        return None
    from great_expectations.expectations.row_conditions import ComparisonCondition

    if not isinstance(condition, ComparisonCondition) or condition.operator != "==":
        return None
    name, value = condition.column.name, condition.parameter
    if name not in types or not _matches(types[name], [value]):
        return None
    key = f"x{index}_when"
    return _fill(_BOUND, value=_ident(name), op="=", param=key), {key: value}


def _metric_ids(expectation: Any, result_format: dict[str, Any]) -> dict[str, Any] | None:
    """The metrics GX would compute for ``expectation`` by name, or None if one is unknown."""
    ids = {
        name: configuration.id
        for name, configuration in expectation.get_validation_dependencies(
            runtime_configuration={"result_format": dict(result_format)}
        ).metric_configurations.items()
    }
    known = {"table.row_count", "column_values.nonnull.unexpected_count"}
    known |= {f"{expectation.map_metric}.{s}" for s in (*_MAP_SUFFIXES, _INDEX_QUERY)}
    return ids if set(ids) <= known else None


def _ident(column: str) -> str:
    return compose("{c}", c=column)


# --------------------------------------------------------------------------- the queries

# Templates filled with this module's own fragments only: constant text, identifiers quoted by
# ``compose`` and ``$name`` placeholders; every value is bound.
_COUNTS = "select {counts} from batch"
_COUNT_WHERE = "count(*) filter (where {where})"
_AND = "{a} and {b}"
_NOT = "not ({test})"
_PRESENT_AND = "not {missing} and {test}"
_NOT_IN_SET = "not list_contains(${param}, {column})"
_BOUND = "{value} {op} ${param}"
# uniqueness: the values' hashes are sorted in numpy (``repeated_hashes``); only rows whose
# hash is seen more than once are grouped by value, to count the real copies exactly
_HASHES = "select hash({column}) from batch where {domain} and not {missing}"
_CANDIDATES = (
    "{domain} and not {missing} and hash({column}) in (select unnest($repeated::ubigint[]))"
)
_DUPLICATED = (
    "{column} in (select {column} from batch where {candidates} "
    "group by {column} having count(*) > 1)"
)
_DUPLICATES = (
    "select coalesce(sum(n), 0) from (select count(*) as n from batch "
    "where {candidates} group by {column} having count(*) > 1)"
)
_SAMPLE = "select {columns} from batch where {where} limit $sample_limit"


def _fill(template: str, **fragments: str) -> str:
    return template.format(**fragments)


def _text(item: Compiled) -> tuple[str, str, str]:
    return item.domain, item.missing, item.unexpected


def _count(
    con: duckdb.DuckDBPyConnection,
    batch: Batch,
    compiled: Sequence[Compiled],
    parameters: dict[str, object],
) -> list[tuple[int, int, int]]:
    """Every expectation's rows, missing and unexpected counts: one scan of the batch."""
    columns = []
    for item in compiled:
        domain, missing, unexpected = _text(item)
        bad = (
            missing
            if item.expectation.expectation_type.endswith("not_be_null")
            else _fill(_PRESENT_AND, missing=missing, test=unexpected)
        )
        columns += [
            _fill(_COUNT_WHERE, where=domain),
            _fill(_COUNT_WHERE, where=_fill(_AND, a=domain, b=missing)),
            _fill(_COUNT_WHERE, where=_fill(_AND, a=domain, b=bad)),
        ]
    [row] = con.execute(
        batch.wrap(_fill(_COUNTS, counts=",\n".join(columns))), parameters
    ).fetchall()
    return [tuple(int(v) for v in row[i : i + 3]) for i in range(0, len(row), 3)]  # type: ignore[misc]


def _duplicate_filter(item: Compiled) -> str:
    return _fill(_DUPLICATED, column=_ident(item.column), candidates=_candidates(item))


def _candidates(item: Compiled) -> str:
    domain, missing, _ = _text(item)
    return _fill(_CANDIDATES, column=_ident(item.column), domain=domain, missing=missing)


def _count_duplicates(
    con: duckdb.DuckDBPyConnection, batch: Batch, item: Compiled, parameters: dict[str, object]
) -> tuple[int, list[int]]:
    """GX's unique: every row whose non-missing value is seen more than once in the domain.

    Also the repeated hashes, which the sample query reads (as ``$repeated``).
    """
    domain, missing, _ = _text(item)
    sql = _fill(_HASHES, column=_ident(item.column), domain=domain, missing=missing)
    repeated = repeated_hashes(con, batch.wrap(sql), parameters)
    if not repeated:
        return 0, []
    sql = _fill(_DUPLICATES, column=_ident(item.column), candidates=_candidates(item))
    [(n,)] = con.execute(batch.wrap(sql), {**parameters, "repeated": repeated}).fetchall()
    return int(n), repeated


def _sample(
    con: duckdb.DuckDBPyConnection,
    batch: Batch,
    item: Compiled,
    parameters: dict[str, object],
    result_format: dict[str, Any],
) -> list[tuple[Any, dict[str, Any]]]:
    """Up to ``partial_unexpected_count`` offending rows: the value and its index columns."""
    limit = int(result_format.get("partial_unexpected_count", 20))
    if limit <= 0:
        return []
    domain, missing, unexpected = _text(item)
    if item.expectation.expectation_type.endswith("not_be_null"):
        where = _fill(_AND, a=domain, b=missing)
    elif item.duplicates:
        where = _fill(
            _AND, a=domain, b=_fill(_PRESENT_AND, missing=missing, test=_duplicate_filter(item))
        )
    else:
        where = _fill(_AND, a=domain, b=_fill(_PRESENT_AND, missing=missing, test=unexpected))
    index_columns = [
        c for c in result_format.get("unexpected_index_column_names") or [] if c != item.column
    ]
    names = [item.column, *index_columns]
    columns = compose("{columns}", columns=names)
    # through pandas, as the pandas path reads the batch: the values GX is handed are then
    # of the same types (NaN for a missing value, Timestamps, numpy numbers)
    frame = frame_of(
        con.sql(
            batch.wrap(_fill(_SAMPLE, columns=columns, where=where)),
            params={**parameters, "sample_limit": limit},
        )
    )
    values = list(frame[item.column])
    return [
        (value, {name: frame[name].iloc[i] for name in names}) for i, value in enumerate(values)
    ]


def _evr(
    item: Compiled,
    result_format: dict[str, Any],
    n_rows: int,
    n_missing: int,
    n_unexpected: int,
    sample: list[tuple[Any, dict[str, Any]]],
) -> Any:
    """GX's own result for these metrics: ``metrics_validate`` is what its validator calls."""
    expectation = item.expectation
    runtime = {"result_format": dict(result_format)}
    map_metric = expectation.map_metric
    has_index = bool(result_format.get("unexpected_index_column_names"))
    values = {
        "table.row_count": n_rows,
        "column_values.nonnull.unexpected_count": n_missing,
        f"{map_metric}.unexpected_count": n_unexpected,
        f"{map_metric}.unexpected_values": [value for value, _ in sample],
        f"{map_metric}.unexpected_index_list": [row for _, row in sample] if has_index else None,
        f"{map_metric}.{_INDEX_QUERY}": None,
    }
    if map_metric == "column_values.nonnull":  # its unexpected values are the missing ones
        values[f"{map_metric}.unexpected_count"] = n_missing
    metrics = {metric_id: values[name] for name, metric_id in item.metric_ids.items()}
    return expectation.metrics_validate(metrics=metrics, runtime_configuration=runtime)


def _raised(expectation: Any, error: Exception) -> Any:
    """A failed result carrying the error, the shape GX gives an expectation that raised."""
    from great_expectations.core import ExpectationValidationResult

    return ExpectationValidationResult(
        success=False,
        expectation_config=expectation.configuration,
        exception_info={
            "raised_exception": True,
            "exception_message": f"{type(error).__name__}: {error}",
            "exception_traceback": "".join(traceback.format_exception(error)),
        },
    )
