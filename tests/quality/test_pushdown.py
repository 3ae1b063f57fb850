"""Row-level expectations counted in DuckDB give exactly what GX computes on the pandas frame.

The oracle is GX itself: the same expectations, run by GX's own validator on the frame that
DuckDB hands pandas (``batches.frame_of``, as the pandas path does), against the SQL path
(``pushdown.judge``) on the same rows. Every expectation type the compiler supports is in the
suite, with nulls, NaN, infinities, empty and unicode strings, duplicates, values on and past
every bound.
"""

from __future__ import annotations

import copy
import math
from datetime import datetime, timedelta
from typing import Any

import duckdb
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pmanalytics.config import parse_config
from pmanalytics.quality import validate
from pmanalytics.quality.batches import Batch, frame_of
from pmanalytics.quality.pushdown import (
    SUPPORTED_TYPES,
    column_types,
    compile_expectation,
    judge,
)
from pmanalytics.quality.validate import _json_safe

from .helpers import BATCH, NOW, clean_dataset, event, response, write_dataset

CAP = 4  # partial_unexpected_count: small, so that both "all" and "capped" samples occur
FORMAT = {
    "result_format": "SUMMARY",
    "partial_unexpected_count": CAP,
    "unexpected_index_column_names": ["k"],
}
HOSTILE = "x'); drop table t; --"
LATEST = NOW + timedelta(days=1)
FLOOR = datetime(2000, 1, 1)
_TABLE = "k varchar, metric varchar, score double, s varchar, ts timestamp"
_BATCH = Batch("select * from t", {})

_KEYS = st.sampled_from(["a", "b", "é", "🦆", "", None])
_METRICS = st.sampled_from(["nps", "csat", "ces", "NPS", "", HOSTILE, None])
_SCORES = st.sampled_from(
    [None, math.nan, math.inf, -math.inf, -1.0, -0.0, 0.0, 1.0, 4.5, 5.0, 7.0, 10.0, 10.5]
)
_STRINGS = st.one_of(
    st.sampled_from([None, "", "ab", "abc", "abcd", "e\u0301", "🦆🦆", "👨‍👩‍👧", "\n\t"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")),
)
_TIMES = st.sampled_from(
    [
        *(None, NOW, LATEST, LATEST + timedelta(microseconds=1)),
        *(FLOOR, FLOOR - timedelta(seconds=1)),
        *(datetime(1990, 1, 1), datetime(3000, 1, 1), datetime(1500, 6, 1)),
    ]
)
_ROWS = st.lists(st.tuples(_KEYS, _METRICS, _SCORES, _STRINGS, _TIMES), max_size=12)


def _suite() -> list[Any]:
    """Every supported expectation type, with every kind of argument the suites use."""
    import great_expectations.expectations as gxe
    from great_expectations.expectations.row_conditions import Column

    between = gxe.ExpectColumnValuesToBeBetween
    return [
        gxe.ExpectColumnValuesToNotBeNull(column="k"),
        gxe.ExpectColumnValuesToNotBeNull(column="score"),
        gxe.ExpectColumnValuesToNotBeNull(column="ts"),
        gxe.ExpectColumnValuesToBeUnique(column="k"),
        gxe.ExpectColumnValuesToBeUnique(column="ts"),
        gxe.ExpectColumnValuesToBeInSet(column="metric", value_set=["ces", "csat", HOSTILE]),
        between(column="score", min_value=0, max_value=10),
        between(column="score", min_value=1, max_value=5, row_condition=Column("metric") == "csat"),
        between(column="score", min_value=0, strict_min=True, max_value=10, strict_max=True),
        between(column="ts", max_value=LATEST),
        between(column="ts", min_value=FLOOR),
        gxe.ExpectColumnValueLengthsToBeBetween(column="s", min_value=1, max_value=3),
        gxe.ExpectColumnValueLengthsToBeBetween(column="s", min_value=2),
        gxe.ExpectColumnValuesToNotBeNull(column="k", mostly=0.5),
        gxe.ExpectColumnValuesToBeInSet(column="metric", value_set=["nps"], mostly=0.6),
    ]


def _gx_on_pandas(con: duckdb.DuckDBPyConnection, expectations: list[Any]) -> list[Any]:
    import great_expectations as gx

    context = gx.get_context(mode="ephemeral")
    suite = context.suites.add(gx.ExpectationSuite(name="oracle", expectations=expectations))
    asset = context.data_sources.add_pandas("oracle").add_dataframe_asset("frame")
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(
            name="oracle", data=asset.add_batch_definition_whole_dataframe("b"), suite=suite
        )
    )
    frame = frame_of(con.sql("select * from t"))
    return definition.run(batch_parameters={"dataframe": frame}, result_format=FORMAT).results


def _sql(con: duckdb.DuckDBPyConnection, expectations: list[Any]) -> list[Any]:
    types = column_types(con, _BATCH)
    compiled = [compile_expectation(e, i, types, FORMAT) for i, e in enumerate(expectations)]
    assert all(c is not None for c in compiled)  # else this would test nothing
    return judge(con, _BATCH, compiled, FORMAT)


_EXACT = (
    "element_count",
    "unexpected_count",
    "unexpected_percent",
    "missing_count",
    "missing_percent",
    "unexpected_percent_total",
    "unexpected_percent_nonmissing",
)


def _values(result: dict[str, Any], key: str) -> list[str]:
    """A sample as comparable text: NaN and None alike, timestamps as ISO text."""
    return sorted(repr(_json_safe(v)) for v in result.get(key, []))


def _assert_same(con: duckdb.DuckDBPyConnection, rows: list[tuple]) -> None:
    con.execute("create or replace table t (" + _TABLE + ")")
    if rows:
        con.executemany("insert into t values (?, ?, ?, ?, ?)", rows)
    expectations = _suite()
    for i, expectation in enumerate(expectations):
        expectation.meta = {"i": i}  # GX does not keep the suite's order in its results
    by_position = {r.expectation_config.meta["i"]: r for r in _gx_on_pandas(con, expectations)}
    oracle = [by_position[i] for i in range(len(expectations))]
    ours = _sql(con, [copy.copy(e) for e in expectations])
    for gx_result, sql_result in zip(oracle, ours, strict=True):
        assert sql_result.expectation_config.meta == gx_result.expectation_config.meta
        what = gx_result.expectation_config
        assert gx_result.exception_info.get("raised_exception") is not True, what
        assert sql_result.success == gx_result.success, what
        expected, got = gx_result.result, sql_result.result
        assert {k: got.get(k) for k in _EXACT} == {k: expected.get(k) for k in _EXACT}, what
        assert set(got) == set(expected), what
        count = expected["unexpected_count"]
        for key in ("partial_unexpected_list", "partial_unexpected_index_list"):
            assert len(got.get(key, [])) == len(expected.get(key, [])), (what, key)
            if count <= CAP:  # the whole set of offending values is in both samples
                assert _values(got, key) == _values(expected, key), (what, key)
        for row in got.get("partial_unexpected_index_list", []):
            assert next(iter(row)) == what.kwargs["column"] and "k" in row  # GX's key order


_EDGES = [
    ("a", "csat", 0.0, "", NOW),
    ("a", "csat", math.nan, "abcd", None),
    (None, None, None, None, datetime(3000, 1, 1)),
    ("é", HOSTILE, 10.0, "e\u0301", LATEST + timedelta(microseconds=1)),
    ("🦆", "nps", -0.0, "👨‍👩‍👧", FLOOR - timedelta(seconds=1)),
    ("", "ces", math.inf, "🦆", FLOOR),
    ("b", "nps", 5.0, "é", NOW),
]


def test_sql_counts_equal_gx_on_the_pandas_frame_on_the_edges() -> None:
    """The fast run's share of the property below: one frame with every edge case."""
    with duckdb.connect() as con:
        _assert_same(con, _EDGES)


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(rows=_ROWS)
@example(rows=[])
def test_sql_counts_equal_gx_on_the_pandas_frame(rows: list[tuple]) -> None:
    with duckdb.connect() as con:
        _assert_same(con, rows)


def test_the_oracle_suite_covers_every_supported_type() -> None:
    assert {e.expectation_type for e in _suite()} == set(SUPPORTED_TYPES)


# --------------------------------------------------------------------------- what is not compiled


def test_what_sql_cannot_say_exactly_is_left_to_pandas() -> None:
    import great_expectations.expectations as gxe
    from great_expectations.expectations.row_conditions import Column

    types = {"k": "VARCHAR", "metric": "VARCHAR", "score": "DOUBLE", "ts": "TIMESTAMP"}
    between = gxe.ExpectColumnValuesToBeBetween
    refused = [
        gxe.ExpectColumnValuesToMatchRegex(column="k", regex="^a"),  # a type it does not know
        between(column="score", min_value=0, row_condition=Column("metric") != "nps"),  # nulls
        between(column="k", min_value=0),  # a number bound on a text column
        between(column="ts", min_value=datetime(2000, 1, 1).astimezone()),  # aware vs naive
        between(column="missing_column", min_value=0),
        gxe.ExpectColumnValuesToBeUnique(column="score"),  # float keys: -0.0 and NaN
        gxe.ExpectColumnValueLengthsToBeBetween(column="score", min_value=1),  # str(number)
        gxe.ExpectColumnValuesToBeInSet(column="metric", value_set=[1, 2]),
    ]
    assert [compile_expectation(e, i, types, FORMAT) for i, e in enumerate(refused)] == [
        None
    ] * len(refused)
    kept = between(column="score", min_value=0, row_condition=Column("metric") == "nps")
    assert compile_expectation(kept, 0, types, FORMAT) is not None


def test_an_expectation_sql_does_not_know_is_still_judged_on_pandas(
    warehouse: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pmanalytics.quality import pushdown

    data = clean_dataset()
    data.responses += [response("r-metric", "nsp", 5), response("r-dup", "nps", 3)]
    data.responses += [response("r-dup", "nps", 4)]
    data.events += [event("e-empty", "u1", name="")]
    write_dataset(warehouse, data)

    def run() -> dict[tuple[str, str], tuple]:
        report = validate(
            warehouse, parse_config({}), run_id="r", load_ids=BATCH, data_docs_dir=None, now=NOW
        )
        return {
            (r.table_name, r.expectation): (
                r.success,
                r.unexpected_count,
                r.details.get("element_count"),
                r.details.get("unexpected_percent"),
                r.details.get("unexpected_values"),
            )
            for r in report.results
        }

    in_sql = run()
    monkeypatch.delitem(pushdown._COMPILERS, "expect_column_values_to_be_in_set")
    monkeypatch.delitem(pushdown._COMPILERS, "expect_column_values_to_be_unique")
    mixed = run()
    assert mixed == in_sql
    assert list(mixed) == list(in_sql)  # the suite's order, whichever path judged a check
    assert in_sql[("staging.survey_responses", "metric_in_set")][:2] == (False, 1)
    assert in_sql[("staging.survey_responses", "response_id_unique")][:2] == (False, 2)
    assert in_sql[("staging.events", "event_name_length")][:2] == (False, 1)


def test_sql_that_fails_fails_the_checks_with_the_error() -> None:
    import great_expectations.expectations as gxe

    with duckdb.connect() as con:
        con.execute("create table t (k varchar)")
        expectation = gxe.ExpectColumnValuesToNotBeNull(column="k")
        [compiled] = [compile_expectation(expectation, 0, {"k": "VARCHAR"}, FORMAT)]
        [result] = judge(con, Batch("select * from gone", {}), [compiled], FORMAT)
    assert result.success is False
    assert result.exception_info["raised_exception"] is True
    assert "gone" in result.exception_info["exception_message"]


def test_keys_sharing_a_hash_are_settled_by_value(
    warehouse: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As if every key collided with another: the exact count by value must still hold."""
    from pmanalytics.quality import batches, pushdown

    data = clean_dataset()
    data.events += [event("dup", "u1"), event("dup", "u2"), event(None, "u3")]
    write_dataset(warehouse, data)

    def run() -> dict[str, tuple]:
        report = validate(
            warehouse, parse_config({}), run_id="r", load_ids=BATCH, data_docs_dir=None, now=NOW
        )
        return {
            r.expectation: (r.success, r.unexpected_count, r.details.get("unexpected_values"))
            for r in report.results
            if r.table_name == "staging.events"
        }

    honest = run()

    def every_hash(con: duckdb.DuckDBPyConnection, sql: str, parameters: Any) -> list[int]:
        return sorted({int(h) for (h,) in con.execute(sql, dict(parameters)).fetchall()})

    monkeypatch.setattr(pushdown, "repeated_hashes", every_hash)
    monkeypatch.setattr(batches, "repeated_hashes", every_hash)
    assert run() == honest
    assert honest["event_id_unique"] == (False, 2, ["dup", "dup"])
    counts = warehouse.execute(
        "select count(*), count(distinct event_id) from staging.events"
    ).fetchone()
    frame = batches.fetch_table_counts(warehouse, "events")
    assert (int(frame["n_rows"].iloc[0]), int(frame["n_distinct_keys"].iloc[0])) == counts
    assert honest["table_keys_unique"][:2] == (False, 1)
