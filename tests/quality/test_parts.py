"""Judging a batch in parts: how many parts, and one exact result from the parts' GX results.

The property test is the real check: for any frame of events split by key into any number of
parts (empty parts included), GX's results on the parts, combined, equal GX's result on the
whole frame. GX on the whole frame is the oracle; nothing here re-implements an expectation.
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pmanalytics.config import parse_config
from pmanalytics.quality.parts import combine_parts, count_parts, part_name
from pmanalytics.quality.report import ExpectationResult
from pmanalytics.quality.suites import _require_per_row, build_suites

from .helpers import NOW


def test_count_parts() -> None:
    assert [count_parts(n, 7) for n in (0, 1, 7, 8, 14, 15)] == [1, 1, 1, 2, 2, 3]
    assert count_parts(9_038_939, 2_000_000) == 5
    with pytest.raises(ValueError, match="at least 1"):
        count_parts(10, 0)


def test_part_names_say_which_part_and_how_it_was_split() -> None:
    assert part_name("staging.events", "event_id", 1, 5) == (
        "staging.events part 2 of 5, by hash of event_id"
    )


def _part(
    unexpected: int | None,
    element: int | None,
    missing: int | None = None,
    *,
    values: list[object] | None = None,
    error: str | None = None,
) -> ExpectationResult:
    details: dict[str, object] = {
        "gx_expectation": "expect_column_values_to_be_between",
        "kwargs": {"column": "score", "min_value": 0, "max_value": 10},
        "summary": "scores on the scale",
        "threshold": None,
    }
    if element is not None:
        details["element_count"] = element
        details["unexpected_percent"] = None  # recomputed from the sums, never copied
    if missing is not None:
        details["missing_count"] = missing
    if values:
        details["unexpected_values"] = values
        details["unexpected_rows"] = [{"score": v, "response_id": f"r{v}"} for v in values]
    if error:
        details["error"] = error
    return ExpectationResult(
        table_name="staging.survey_responses",
        expectation="score_nps_scale",
        severity="critical",
        success=not unexpected and not error,
        unexpected_count=unexpected,
        details=details,
    )


def test_combining_sums_counts_and_recomputes_the_percent() -> None:
    combined = combine_parts(
        [_part(0, 4, 1), _part(2, 5, 0, values=[11, 12]), _part(1, 3, 2, values=[-1])],
        key_column="response_id",
        sample_size=10,
    )
    assert combined == ExpectationResult(
        table_name="staging.survey_responses",
        expectation="score_nps_scale",
        severity="critical",
        success=False,
        unexpected_count=3,
        details={
            "gx_expectation": "expect_column_values_to_be_between",
            "kwargs": {"column": "score", "min_value": 0, "max_value": 10},
            "summary": "scores on the scale",
            "threshold": None,
            "element_count": 12,
            "missing_count": 3,
            "unexpected_percent": 3 / 9 * 100,  # of the 9 non-missing values, as GX does
            "unexpected_values": [11, 12, -1],
            "unexpected_rows": [
                {"score": 11, "response_id": "r11"},
                {"score": 12, "response_id": "r12"},
                {"score": -1, "response_id": "r-1"},
            ],
            "n_parts": 3,
            "part_key": "response_id",
        },
    )


def test_samples_are_cut_at_sample_size() -> None:
    combined = combine_parts(
        [_part(3, 3, values=[11, 12, 13]), _part(2, 2, values=[14, 15])],
        key_column="response_id",
        sample_size=4,
    )
    assert combined.unexpected_count == 5
    assert combined.details["unexpected_values"] == [11, 12, 13, 14]
    assert len(combined.details["unexpected_rows"]) == 4


def test_all_passing_parts_pass() -> None:
    combined = combine_parts([_part(0, 2), _part(0, 0)], key_column="k", sample_size=3)
    assert combined.success and combined.unexpected_count == 0
    assert combined.details["unexpected_percent"] == 0.0
    assert "unexpected_values" not in combined.details


def test_an_error_in_one_part_fails_the_whole_and_counts_are_not_understated() -> None:
    combined = combine_parts(
        [_part(0, 4), _part(None, None, error="boom")], key_column="k", sample_size=3
    )
    assert not combined.success
    assert combined.details["error"] == "part 2 of 2: boom"
    assert combined.unexpected_count is None
    assert "element_count" not in combined.details


def test_only_parts_of_one_expectation_combine() -> None:
    other = _part(0, 1)
    other = ExpectationResult(other.table_name, "score_csat_scale", "critical", True, 0, {})
    with pytest.raises(ValueError, match="different expectations"):
        combine_parts([_part(0, 1), other], key_column="k", sample_size=3)


def test_rows_grain_accepts_only_per_row_expectations() -> None:
    import great_expectations.expectations as gxe

    _require_per_row("events", "ok", gxe.ExpectColumnValuesToBeUnique, {"column": "a"})
    with pytest.raises(AssertionError, match="batch grain"):
        _require_per_row("events", "mean", gxe.ExpectColumnMeanToBeBetween, {"column": "a"})
    with pytest.raises(AssertionError, match="mostly"):
        _require_per_row(
            "events", "mostly", gxe.ExpectColumnValuesToNotBeNull, {"column": "a", "mostly": 0.9}
        )


# --------------------------------------------------------------------------- property: GX oracle

_TIMES = [NOW - timedelta(hours=1), NOW + timedelta(days=3), pd.Timestamp("1999-06-01"), None]
_ROW = st.tuples(
    st.sampled_from(["a", "b", "c", "d", "e", None]),  # event_id: duplicates and nulls
    st.sampled_from(["u1", None]),
    st.sampled_from(["Open", "", "x" * 201, None]),
    st.sampled_from(range(len(_TIMES))),
)


def _events_frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "event_id": pd.Series([r[0] for r in rows], dtype="str"),
            "user_id": pd.Series([r[1] for r in rows], dtype="str"),
            "event": pd.Series([r[2] for r in rows], dtype="str"),
            "occurred_at": pd.Series([_TIMES[r[3]] for r in rows], dtype="datetime64[ns]"),
        }
    )


# the pandas path in parts is now the fallback (checks DuckDB cannot count): 6-10 s, in CI
@pytest.mark.slow
@settings(max_examples=15, deadline=None)
@given(
    rows=st.lists(_ROW, max_size=14),
    n_parts=st.integers(1, 4),
    key_parts=st.lists(st.integers(0, 3), min_size=5, max_size=5),
    null_parts=st.lists(st.integers(0, 3), min_size=14, max_size=14),
)
def test_parts_combined_equal_gx_on_the_whole_frame(
    rows: list[tuple], n_parts: int, key_parts: list[int], null_parts: list[int]
) -> None:
    """Any split that keeps each key's copies together gives the whole frame's results."""
    from pmanalytics.quality.validate import _gx_context, _run_suite

    [suite] = [s for s in build_suites(parse_config({}), now=NOW) if s.name == "staging.events"]
    keys = ["a", "b", "c", "d", "e"]
    part_of = [
        key_parts[keys.index(r[0])] % n_parts if r[0] is not None else null_parts[i] % n_parts
        for i, r in enumerate(rows)
    ]
    frame = _events_frame(rows)
    parts = [
        (
            f"part {p}",
            lambda p=p: _events_frame([r for r, q in zip(rows, part_of, strict=True) if q == p]),
        )
        for p in range(n_parts)
    ]
    run = {"run_id": "prop", "validated_at": NOW, "sample_size": 3}
    whole = _run_suite(_gx_context(None), suite, [("whole", lambda: frame)], **run)
    split = _run_suite(_gx_context(None), suite, parts, **run)

    def exact(results: list[ExpectationResult]) -> list[tuple]:
        return [
            (
                r.expectation,
                r.success,
                r.unexpected_count,
                r.details.get("element_count"),
                r.details.get("missing_count"),
                r.details.get("unexpected_percent"),
                "error" in r.details,
            )
            for r in results
        ]

    assert exact(split) == exact(whole)
    for combined, alone in zip(split, whole, strict=True):
        values = combined.details.get("unexpected_values", [])
        assert len(values) == min(3, combined.unexpected_count or 0)
        assert bool(values) == bool(alone.details.get("unexpected_values"))
