"""Survey responses: canonical files, column mappings, scales, date formats, duplicates."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from ingest_helpers import Warehouse, outcome, write_ndjson, write_text

from pmanalytics.config import CustomScale, SurveyMapping
from pmanalytics.errors import IngestError

HEADER = "response_id,user_id,submitted_at,survey,metric,score,comment"
COLUMNS = (
    "row_number, response_id, user_id, survey, metric, score, score_raw, submitted_at, "
    "comment, attributes"
)
JAN_1 = datetime(2026, 1, 1)


def _decoded(rows: list[tuple]) -> list[tuple]:
    """The last column (attributes, JSON text) as a Python value."""
    return [(*r[:-1], None if r[-1] is None else json.loads(r[-1])) for r in rows]


def test_a_canonical_survey_csv(wh: Warehouse, tmp_path: Path) -> None:
    path = write_text(
        tmp_path / "responses.csv",
        f"{HEADER},plan\n"
        'r1,u1,2026-01-01T12:00:00+02:00,Q1 NPS,nps,9,"Fast, and ""simple"" 👍",pro\n'
        "r2,,2026-01-02,Q1 NPS,NPS,0,,free\n"
        "r3,u3,2026-01-03T10:00:00,Onboarding,csat,4,とても良い,\n"
        "r4,u4,2026-01-04T10:00:00Z,,ces,7, ,team\n",
    )

    assert outcome(wh.ingest_one("surveys", path)) == (4, 4, 0, 0, False)
    assert _decoded(wh.raw("surveys", path, COLUMNS)) == [
        (
            1,
            "r1",
            "u1",
            "Q1 NPS",
            "nps",
            9.0,
            "9",
            datetime(2026, 1, 1, 10),
            'Fast, and "simple" 👍',
            {"plan": "pro"},
        ),
        (2, "r2", None, "Q1 NPS", "nps", 0.0, "0", datetime(2026, 1, 2), None, {"plan": "free"}),
        (
            3,
            "r3",
            "u3",
            "Onboarding",
            "csat",
            4.0,
            "4",
            datetime(2026, 1, 3, 10),
            "とても良い",
            {"plan": None},
        ),
        (
            4,
            "r4",
            "u4",
            "surveys",
            "ces",
            7.0,
            "7",
            datetime(2026, 1, 4, 10),
            None,
            {"plan": "team"},
        ),
    ]


def test_a_reversed_custom_scale_maps_onto_the_metric(wh: Warehouse, tmp_path: Path) -> None:
    # NHS Friends and Family Test style: 1 = very good ... 5 = very poor
    path = write_text(
        tmp_path / "fft.csv",
        "id,answered,rating,free_text,ward\n"
        + "".join(f"f{r},2026-01-01,{r},text {r},W{r % 2}\n" for r in (1, 2, 3, 4, 5)),
    )
    mapping = SurveyMapping(
        response_id="id",
        user_id=None,
        submitted_at="answered",
        score="rating",
        comment="free_text",
        metric="csat",
        survey="fft",
        scale=CustomScale(min=1, max=5, higher_is_better=False),
    )

    assert outcome(wh.ingest_one("surveys", path, mapping=mapping)) == (5, 5, 0, 0, False)
    assert _decoded(wh.raw("surveys", path, COLUMNS)) == [
        (r, f"f{r}", None, "fft", "csat", score, str(r), JAN_1, f"text {r}", {"ward": f"W{r % 2}"})
        for r, score in [(1, 5.0), (2, 4.0), (3, 3.0), (4, 2.0), (5, 1.0)]
    ]


def test_a_custom_scale_is_stretched_linearly(wh: Warehouse, tmp_path: Path) -> None:
    path = write_text(
        tmp_path / "stars.csv",
        "response_id,submitted_at,stars\ns1,2026-01-01,1\ns2,2026-01-01,3\ns3,2026-01-01,5\n"
        "s4,2026-01-01,4.5\ns5,2026-01-01,0\ns6,2026-01-01,6\n",
    )
    mapping = SurveyMapping(score="stars", metric="nps", scale=CustomScale(min=1, max=5))

    assert outcome(wh.ingest_one("surveys", path, mapping=mapping)) == (6, 4, 0, 2, False)
    assert wh.raw("surveys", path, "response_id, metric, score, score_raw") == [
        ("s1", "nps", 0.0, "1"),
        ("s2", "nps", 5.0, "3"),
        ("s3", "nps", 10.0, "5"),
        ("s4", "nps", 8.75, "4.5"),
    ]
    assert [(n, r) for n, r, _ in wh.quarantine("surveys", path)] == [
        (5, "score 0 outside the declared nps scale 1–5"),
        (6, "score 6 outside the declared nps scale 1–5"),
    ]


def test_dates_follow_the_declared_format_and_are_never_swapped(
    wh: Warehouse, tmp_path: Path
) -> None:
    path = write_text(
        tmp_path / "dated.csv",
        "response_id,submitted_at,metric,score\n"
        "d1,05/06/2022,nps,9\n"
        "d2,5/31/2022,nps,9\n"
        "d3,31/05/2022,nps,9\n"
        "d4,2022-06-05,nps,9\n"
        "d5,1/2/2022,nps,9\n",
    )
    mapping = SurveyMapping(date_format="%d/%m/%Y")

    assert outcome(wh.ingest_one("surveys", path, mapping=mapping)) == (5, 3, 0, 2, False)
    assert wh.raw("surveys", path, "row_number, response_id, submitted_at") == [
        (1, "d1", datetime(2022, 6, 5)),
        (3, "d3", datetime(2022, 5, 31)),
        (5, "d5", datetime(2022, 2, 1)),
    ]
    assert [(n, r) for n, r, _ in wh.quarantine("surveys", path)] == [
        (2, 'submitted_at "5/31/2022" does not match the declared date format %d/%m/%Y'),
        (4, 'submitted_at "2022-06-05" does not match the declared date format %d/%m/%Y'),
    ]


def test_declared_formats_read_each_date_and_quarantine_ambiguous_ones(
    wh: Warehouse, tmp_path: Path
) -> None:
    path = write_text(
        tmp_path / "two_formats.csv",
        "response_id,submitted_at,metric,score\n"
        "d1,05/06/2022,nps,9\n"  # 5 June or 6 May: ambiguous
        "d2,5/31/2022,nps,9\n"  # only m/d/yyyy reads it
        "d3,31/05/2022,nps,9\n"  # only d/m/yyyy reads it
        "d4,07/07/2022,nps,9\n"  # both read it, as the same day
        "d5,2022-06-05,nps,9\n"  # neither
        "d6,13/13/2022,nps,9\n",  # neither
    )
    mapping = SurveyMapping(date_formats=["%d/%m/%Y", "%m/%d/%Y"])

    assert outcome(wh.ingest_one("surveys", path, mapping=mapping)) == (6, 3, 0, 3, False)
    assert wh.raw("surveys", path, "row_number, submitted_at") == [
        (2, datetime(2022, 5, 31)),
        (3, datetime(2022, 5, 31)),
        (4, datetime(2022, 7, 7)),
    ]
    neither = "does not match any declared date format (%d/%m/%Y, %m/%d/%Y)"
    assert [(n, r) for n, r, _ in wh.quarantine("surveys", path)] == [
        (
            1,
            'submitted_at "05/06/2022" is ambiguous between the declared date formats '
            "%d/%m/%Y and %m/%d/%Y",
        ),
        (5, f'submitted_at "2022-06-05" {neither}'),
        (6, f'submitted_at "13/13/2022" {neither}'),
    ]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"date_formats": ["%d/%m/%Y", "%Q"]}, "date_formats '%Q' is not a strptime format"),
        ({"date_formats": []}, "date_formats must list 1 to 4 formats"),
        ({"date_formats": ["%d/%m/%Y"] * 5}, "date_formats must list 1 to 4 formats"),
        (
            {"date_format": "%d/%m/%Y", "date_formats": ["%m/%d/%Y"]},
            "set date_format or date_formats, not both",
        ),
    ],
)
def test_bad_date_formats_are_refused(fields: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SurveyMapping(**fields)


def test_bad_scores_are_quarantined_with_the_value_in_the_reason(
    wh: Warehouse, tmp_path: Path
) -> None:
    rows = [
        ("b1", "nps", "11"),
        ("b2", "nps", "-1"),
        ("b3", "nps", "7.5"),
        ("b4", "nps", "abc"),
        ("b5", "csat", "0"),
        ("b6", "csat", "6"),
        ("b7", "ces", "8"),
        ("b8", "nps", ""),
        ("b9", "nps", "NaN"),
        ("b10", "csat", "4.0"),
        ("b11", "nps", "10"),
        ("b12", "ces", '"3,5"'),
    ]
    path = write_text(
        tmp_path / "scores.csv",
        "response_id,submitted_at,metric,score\n"
        + "".join(f"{i},2026-01-01,{m},{s}\n" for i, m, s in rows),
    )

    assert outcome(wh.ingest_one("surveys", path)) == (12, 2, 0, 10, False)
    assert wh.raw("surveys", path, "response_id, metric, score, score_raw") == [
        ("b10", "csat", 4.0, "4.0"),
        ("b11", "nps", 10.0, "10"),
    ]
    assert [(n, r) for n, r, _ in wh.quarantine("surveys", path)] == [
        (1, "score 11 outside the declared nps scale 0–10"),
        (2, "score -1 outside the declared nps scale 0–10"),
        (3, "score 7.5 is not a whole number on the nps scale"),
        (4, 'score "abc" is not a number'),
        (5, "score 0 outside the declared csat scale 1–5"),
        (6, "score 6 outside the declared csat scale 1–5"),
        (7, "score 8 outside the declared ces scale 1–7"),
        (8, "missing score"),
        (9, 'score "NaN" is not a number'),
        (12, 'score "3,5" is not a number'),
    ]


def test_other_unusable_rows_are_quarantined(wh: Warehouse, tmp_path: Path) -> None:
    path = write_text(
        tmp_path / "other.csv",
        "response_id,submitted_at,metric,score\n"
        ",2026-01-01,nps,9\n"
        "o2,2026-01-01,,9\n"
        "o3,2026-01-01,stars,4\n"
        "o4,,nps,9\n"
        "o5,yesterday,nps,9\n"
        "o6,2026-01-01,nps,9,surplus\n"
        "o7,2026-01-01,nps,9\n",
    )

    assert outcome(wh.ingest_one("surveys", path)) == (7, 1, 0, 6, False)
    assert wh.raw("surveys", path, "row_number, response_id") == [(7, "o7")]
    quarantined = wh.quarantine("surveys", path)
    assert [(n, r) for n, r, _ in quarantined[:5]] == [
        (1, "missing response id"),
        (2, "missing metric"),
        (3, 'unknown metric "stars" (expected nps, csat or ces)'),
        (4, "missing submitted_at"),
        (5, 'submitted_at "yesterday" does not match ISO 8601'),
    ]
    assert quarantined[5][0] == 6
    assert quarantined[5][1].startswith("unreadable CSV row: ")
    assert quarantined[5][2] == "o6,2026-01-01,nps,9,surplus"


def test_duplicate_response_ids_within_and_across_files(wh: Warehouse, tmp_path: Path) -> None:
    first = write_text(
        tmp_path / "week1.csv",
        f"{HEADER}\nr1,u1,2026-01-01,s,nps,9,first\nr2,u2,2026-01-01,s,nps,3,\n"
        "r1,u1,2026-01-01,s,nps,2,resubmitted\n",
    )
    second = write_text(
        tmp_path / "week2.csv",
        f"{HEADER}\nr2,u2,2026-01-08,s,nps,10,again\nr3,u3,2026-01-08,s,nps,8,\n",
    )

    results = wh.ingest("surveys", first, second)

    assert [outcome(r) for r in results] == [(3, 2, 1, 0, False), (2, 1, 1, 0, False)]
    assert wh.rows(
        "select response_id, score, comment, row_number from raw.survey_responses "
        "order by response_id"
    ) == [("r1", 9.0, "first", 1), ("r2", 3.0, None, 2), ("r3", 8.0, None, 2)]


def test_a_good_response_is_not_a_duplicate_of_a_quarantined_copy(
    wh: Warehouse, tmp_path: Path
) -> None:
    path = write_text(
        tmp_path / "retry.csv",
        f"{HEADER}\nr1,u1,2026-01-01,s,nps,eleven,\nr1,u1,2026-01-01,s,nps,10,\n",
    )

    assert outcome(wh.ingest_one("surveys", path)) == (2, 1, 0, 1, False)
    assert wh.raw("surveys", path, "row_number, response_id, score") == [(2, "r1", 10.0)]


def test_a_mapping_naming_a_missing_column_fails_the_file(wh: Warehouse, tmp_path: Path) -> None:
    path = write_text(tmp_path / "export.csv", "id,answered,rating\nx1,2026-01-01,9\n")
    mapping = SurveyMapping(
        response_id="id",
        user_id=None,
        submitted_at="answered",
        score="rating",
        metric="nps",
        comment="feedback",
    )

    with pytest.raises(IngestError) as caught:
        wh.ingest_one("surveys", path, mapping=mapping)

    message = str(caught.value)
    assert message.startswith(f"{path}: the survey mapping names column(s) ['feedback']")
    assert "found: id, answered, rating" in message
    assert set(wh.totals().values()) == {0}


def test_canonical_optional_columns_may_be_absent(wh: Warehouse, tmp_path: Path) -> None:
    path = write_text(tmp_path / "minimal.csv", "submitted_at,metric,score\n2026-01-01,nps,9\n")

    assert outcome(wh.ingest_one("surveys", path)) == (1, 1, 0, 0, False)
    ((response_id, user_id, survey, comment),) = wh.raw(
        "surveys", path, "response_id, user_id, survey, comment"
    )
    assert response_id.startswith("derived-")
    assert (user_id, survey, comment) == (None, "surveys", None)


def test_column_names_with_spaces_quotes_and_dots(wh: Warehouse, tmp_path: Path) -> None:
    path = write_text(
        tmp_path / "odd.csv",
        'Response ID,"Date ""submitted""",How likely? (0-10),a.b,Ward/Unit,言語\n'
        "x1,2026-01-01,9,hello,W1,日本語\n",
    )
    mapping = SurveyMapping(
        response_id="Response ID",
        user_id=None,
        submitted_at='Date "submitted"',
        score="How likely? (0-10)",
        metric="nps",
        comment="a.b",
    )

    assert outcome(wh.ingest_one("surveys", path, mapping=mapping)) == (1, 1, 0, 0, False)
    assert _decoded(wh.raw("surveys", path, COLUMNS)) == [
        (
            1,
            "x1",
            None,
            "surveys",
            "nps",
            9.0,
            "9",
            JAN_1,
            "hello",
            {"Ward/Unit": "W1", "言語": "日本語"},
        ),
    ]


def test_json_array_and_ndjson_survey_files(wh: Warehouse, tmp_path: Path) -> None:
    array = tmp_path / "responses.json"
    array.write_text(
        json.dumps(
            [
                {
                    "response_id": "j1",
                    "user_id": 42,
                    "submitted_at": "2026-01-01T00:00:00Z",
                    "metric": "nps",
                    "score": 10,
                    "comment": "Great",
                    "country": "JP",
                },
                {"response_id": "j2", "submitted_at": "2026-01-01", "metric": "csat", "score": "4"},
                {"response_id": "j3", "submitted_at": "2026-01-01", "metric": "nps", "score": 9.5},
            ],
            indent=2,
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    n2 = {"response_id": "n2", "submitted_at": "2026-01-01", "metric": "nps", "score": 11}
    lines = write_ndjson(
        tmp_path / "responses.ndjson",
        {"response_id": "n1", "submitted_at": "2026-01-01", "metric": "ces", "score": 2},
        "{not json",
        "",
        {"response_id": "j1", "submitted_at": "2026-01-01", "metric": "nps", "score": 0},
        "[1]",
        n2,
    )

    results = wh.ingest("surveys", array, lines)

    assert [outcome(r) for r in results] == [(3, 2, 0, 1, False), (5, 1, 1, 3, False)]
    assert wh.raw(
        "surveys", array, "row_number, response_id, user_id, metric, score, comment, attributes"
    ) == [
        (1, "j1", "42", "nps", 10.0, "Great", '{"country":"JP"}'),
        (2, "j2", None, "csat", 4.0, None, '{"country":null}'),
    ]
    assert [(n, r) for n, r, _ in wh.quarantine("surveys", array)] == [
        (3, "score 9.5 is not a whole number on the nps scale"),
    ]
    assert wh.raw("surveys", lines, "row_number, response_id, score") == [(1, "n1", 2.0)]
    assert wh.quarantine("surveys", lines) == [
        (2, "malformed JSON", "{not json"),
        (5, "not a JSON object (found array)", "[1]"),
        (6, "score 11 outside the declared nps scale 0–10", json.dumps(n2)),
    ]
