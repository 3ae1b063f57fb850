"""The share of input rows ingest set aside is judged by GX against a threshold.

"16 of 16 expectations passed" must not sit silently next to 9 % of the rows quarantined.
"""

from __future__ import annotations

import duckdb

from pmanalytics.config import parse_config
from pmanalytics.quality import validate
from pmanalytics.quality.report import ExpectationResult, SuiteVerdict, quarantine_share_text

from .helpers import BATCH, NOW, clean_dataset, write_dataset


def _set_survey_load(data, **values) -> None:
    [row] = [r for r in data.loads if r["load_id"] == "sv-2"]
    row.update(values)


def _validate(con: duckdb.DuckDBPyConnection, validation: dict, run_id: str):
    return validate(
        con,
        parse_config({"validation": validation}),
        run_id=run_id,
        load_ids=BATCH,
        data_docs_dir=None,
        now=NOW,
        tables=["survey_responses"],
    )


def test_a_batch_with_every_row_quarantined_still_gets_a_verdict(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    data = clean_dataset()
    data.responses = [r for r in data.responses if r["load_id"] != "sv-2"]
    _set_survey_load(data, rows_loaded=0, rows_quarantined=6)
    write_dataset(warehouse, data)

    report = _validate(warehouse, {"severities": {"quarantine_share": "critical"}}, "all")

    result = report.result("survey_responses", "quarantine_share")
    assert (result.success, result.severity, result.details["observed_value"]) == (
        False,
        "critical",
        1.0,
    )
    assert not report.passed  # critical by choice: the run fails
    assert "100.0% of the rows read set aside in quarantine (threshold 5.0%)" in (
        report.suite("survey_responses").summary()
    )


def test_the_threshold_is_configurable(warehouse: duckdb.DuckDBPyConnection) -> None:
    data = clean_dataset()
    _set_survey_load(data, rows_quarantined=2)  # 2 of 8 read: 25 %
    write_dataset(warehouse, data)

    report = _validate(warehouse, {"max_quarantine_share": 0.3}, "loose")

    result = report.result("survey_responses", "quarantine_share")
    assert result.success and result.details["observed_value"] == 0.25
    assert result.details["kwargs"]["max_value"] == 0.3


def test_the_suite_line_states_the_share_against_its_threshold() -> None:
    share = ExpectationResult(
        "staging.survey_responses",
        "quarantine_share",
        "warning",
        False,
        1,
        {"observed_value": 0.0918, "kwargs": {"max_value": 0.05}},
    )
    line = SuiteVerdict("staging.survey_responses", 7182, (share,)).summary()
    assert line == (
        "staging.survey_responses: warnings — 0/1 expectations passed on 7,182 batch rows "
        "(quarantine_share [warning]); 9.2% of the rows read set aside in quarantine "
        "(threshold 5.0%)"
    )
    assert quarantine_share_text(0.0, None) == "0.0% of the rows read set aside in quarantine"
    assert quarantine_share_text(5 / 79_157, 0.05) == (
        "under 0.1% of the rows read set aside in quarantine (threshold 5.0%)"
    )
