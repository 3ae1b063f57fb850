"""Quarantine reasons grouped by kind: one line per problem, not one per offending value."""

from __future__ import annotations

import duckdb
import pytest

from pmanalytics.quality.reasons import REASON_KINDS, quarantine_reason_groups, reason_kind

#: One reason of each kind, written as the ingest SQL writes it.
EXAMPLES = {
    'submitted_at "05/06/2022" is ambiguous between the declared date formats '
    "%d/%m/%Y and %m/%d/%Y": "ambiguous date",
    'submitted_at "13/25/2022" does not match ISO 8601': "unparseable date",
    'submitted_at "x" does not match the declared date format %d/%m/%Y': "unparseable date",
    'unparseable timestamp "yesterday"': "unparseable date",
    'unparseable created_at "soon"': "unparseable date",
    'impossible UTC offset in timestamp "2024-01-01T10:00:00+99:00" (offsets run from '
    "-12:00 to +14:00)": "impossible UTC offset",
    "timestamp 1970-01-01T00:00:00Z outside the accepted range 2000-01-01 .. "
    "2030-01-01T00:00:00Z": "timestamp outside the accepted range",
    "score 11 outside the declared nps scale 0–10": "score outside the declared scale",
    'score "ten" is not a number': "score is not a number",
    "score 3.5 is not a whole number on the nps scale": "score is not a whole number",
    'unknown metric "foo" (expected nps, csat or ces)': "unknown metric",
    'unsupported call type "screen"': "unsupported call type",
    "line of 2,000,000 bytes is longer than the 1,048,576-byte limit for one record": (
        "record too long"
    ),
    "not a JSON object (found array)": "not a JSON object",
    'missing "type"': 'missing "type"',
    "missing score": "missing score",
}


@pytest.fixture
def con():
    connection = duckdb.connect()
    connection.execute(
        "create schema quarantine; create table quarantine.survey_responses (source_file "
        "varchar, row_number bigint, reason varchar, raw_record varchar, quarantined_at "
        "timestamptz)"
    )
    yield connection
    connection.close()


def _quarantine(con, rows: list[tuple[str, int, str]]) -> None:
    con.executemany(
        "insert into quarantine.survey_responses values (?, ?, ?, 'secret@x.com', null)", rows
    )


@pytest.mark.parametrize(("reason", "kind"), EXAMPLES.items())
def test_every_reason_has_its_kind(reason: str, kind: str) -> None:
    assert reason_kind(reason) == kind


def test_every_rule_has_an_example() -> None:
    assert {kind for kind, _ in REASON_KINDS} <= set(EXAMPLES.values())


def test_sql_and_python_agree_on_every_kind(con) -> None:
    _quarantine(con, [("f.csv", i, reason) for i, reason in enumerate(EXAMPLES)])
    groups = quarantine_reason_groups(con)
    got = {ex: g.kind for g in groups.itertuples() for ex in g.examples}
    assert got == {reason: reason_kind(reason) for reason in got}
    assert set(groups["kind"]) == set(EXAMPLES.values())


def test_values_collapse_into_one_group_with_three_examples(con) -> None:
    dates = [f'submitted_at "{m}/25/2022" does not match ISO 8601' for m in range(1, 58)]
    rows = [("b.csv", 10 + i, reason) for i, reason in enumerate(dates)]
    rows += [("b.csv", 100, dates[5]), ("a.csv", 7, "missing score")]
    _quarantine(con, rows)
    groups = quarantine_reason_groups(con).to_dict("records")
    assert [(g["kind"], g["n_rows"]) for g in groups] == [
        ("unparseable date", 58),
        ("missing score", 1),
    ]
    first = groups[0]
    assert len(first["examples"]) == 3
    assert first["examples"][0] == dates[5]  # the most frequent value comes first
    assert (first["example_file"], first["example_row"]) == ("b.csv", 10)
    assert "secret" not in str(groups)


def test_top_limits_kinds_per_table(con) -> None:
    _quarantine(con, [("a.csv", 1, "missing score"), ("a.csv", 2, 'score "x" is not a number')])
    assert len(quarantine_reason_groups(con, top=1)) == 1
