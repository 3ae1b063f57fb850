"""The Data quality section: the quarantined share next to the expectation count, and
quarantine reasons grouped by kind (hand-made frames, no warehouse)."""

from __future__ import annotations

import pandas as pd

from pmanalytics.reports.sections import quality_section
from tests.reports.helpers import XSS_SCRIPT


def _validation(success: bool, severity: str = "warning") -> pd.DataFrame:
    row = {
        "run_id": "r1",
        "table_name": "staging.survey_responses",
        "severity": severity,
        "unexpected_count": 0 if success else 1,
        "summary": "share",
        "validated_at": pd.Timestamp("2026-03-01 12:00"),
    }
    return pd.DataFrame(
        [
            {
                **row,
                "expectation": "quarantine_share",
                "success": success,
                "observed": "0.0918",
                "threshold": "0.05",
            },
            {
                **row,
                "expectation": "score_not_null",
                "success": True,
                "observed": None,
                "threshold": None,
                "severity": "critical",
            },
        ]
    )


def _html(validation: pd.DataFrame, reasons: pd.DataFrame | None = None) -> str:
    totals = pd.DataFrame([{"table_name": "survey_responses", "n_rows": 726}])
    empty = pd.DataFrame(columns=["table_name", "kind", "n_rows", "examples"])
    section = quality_section(validation, totals, empty if reasons is None else reasons, None)
    return "".join(str(block) for block in section.blocks)


def test_the_quarantined_share_stands_next_to_the_expectation_count() -> None:
    html = _html(_validation(success=False))
    assert "1 of 2 expectations passed" in html
    assert (
        '<p class="note note-warn">staging.survey_responses: 9.2% of the rows read set aside '
        "in quarantine (threshold 5.0%).</p>" in html
    )


def test_a_critical_share_is_marked_bad_and_a_pass_as_information() -> None:
    share = '">staging.survey_responses: 9.2% of the rows read'
    assert '<p class="note note-bad' + share in _html(_validation(False, "critical"))
    passed = _html(_validation(success=True))
    assert "2 of 2 expectations passed" in passed
    assert '<p class="note note-info' + share in passed


def test_reasons_are_shown_by_kind_with_escaped_examples() -> None:
    reasons = pd.DataFrame(
        [
            {
                "table_name": "survey_responses",
                "kind": "unparseable date",
                "n_rows": 286,
                "examples": ['submitted_at "5/31/2022" does not match', XSS_SCRIPT],
                "example_file": "/data/fft.csv",
                "example_row": 3816,
            }
        ]
    )
    html = _html(_validation(success=True), reasons)
    assert "kind of problem" in html and "unparseable date" in html and "286" in html
    assert "fft.csv, row 3816" in html
    assert XSS_SCRIPT not in html
