"""The real public survey files through their documented mappings (docs/examples/*.toml).

Expected counts are computed here independently, with Python's csv module and datetime.
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from pmanalytics.config import load_config
from pmanalytics.ingest import ingest_sources
from pmanalytics.warehouse import connect

REPO = Path(__file__).resolve().parents[2]


def _assert_accounting(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        "select f.path, f.rows_read, f.rows_loaded, f.rows_duplicate, f.rows_quarantined,"
        " (select count(*) from raw.survey_responses r where r.source_file = f.path),"
        " (select count(*) from quarantine.survey_responses q where q.source_file = f.path)"
        " from meta.ingested_files f"
    ).fetchall()
    assert rows
    for _, read, loaded, duplicate, quarantined, in_raw, in_quarantine in rows:
        assert read == loaded + duplicate + quarantined
        assert (in_raw, in_quarantine) == (loaded, quarantined)


@pytest.mark.realdata
def test_nhs_fft_through_its_mapping(shared_data: Path, tmp_path: Path) -> None:
    config = load_config(REPO / "docs/examples/nhs_fft.toml")
    source = shared_data / "nhs_fft/fft_responses_v6framework.csv"
    config = config.model_copy(
        update={"sources": [config.sources[0].model_copy(update={"path": str(source)})]}
    )
    with source.open(encoding="utf-8", newline="") as handle:
        records = list(csv.DictReader(handle))

    def date_ok(text: str) -> bool:
        try:
            datetime.strptime(text.strip(), "%d/%m/%Y")
        except ValueError:
            return False
        return True

    out_of_scale = [r for r in records if r["FFT categorical answer"] in ("6", "7")]
    bad_dates = [
        r
        for r in records
        if r["FFT categorical answer"] not in ("6", "7") and not date_ok(r["Date"])
    ]
    assert len(out_of_scale) == 440  # 24 sixes and 416 sevens: documented mess
    assert bad_dates, "the file's m/d/yyyy dates should not all parse as dd/mm/yyyy"

    con = connect(tmp_path / "nhs.duckdb")
    [result] = ingest_sources(con, config)
    assert result.rows_read == len(records) == 7908
    assert result.rows_quarantined == len(out_of_scale) + len(bad_dates)
    assert result.rows_duplicate == 0
    assert result.rows_loaded == len(records) - result.rows_quarantined
    _assert_accounting(con)

    reasons = dict(
        con.execute(
            "select reason, count(*) from quarantine.survey_responses group by reason"
        ).fetchall()
    )
    assert reasons["score 7 outside the declared csat scale 1–5"] == 416
    assert reasons["score 6 outside the declared csat scale 1–5"] == 24
    assert reasons['submitted_at "5/31/2022" does not match the declared date format %d/%m/%Y'] > 0
    # the reversed scale: 1 ("very good") is the top of CSAT, 5 ("very poor") the bottom
    mapped = dict(
        con.execute(
            "select score_raw, min(score) from raw.survey_responses group by score_raw"
        ).fetchall()
    )
    assert mapped == {"1": 5.0, "2": 4.0, "3": 3.0, "4": 2.0, "5": 1.0}
    # no m/d date slipped through as a swapped day and month
    loaded_dates = {
        r[0]
        for r in con.execute(
            "select strftime(submitted_at, '%d/%m/%Y') from raw.survey_responses"
        ).fetchall()
    }
    expected_dates = {
        datetime.strptime(r["Date"].strip(), "%d/%m/%Y").strftime("%d/%m/%Y")
        for r in records
        if r not in out_of_scale and date_ok(r["Date"])
    }
    assert loaded_dates == expected_dates
    # "Did not answer" is kept as text: deciding it is empty is the pain-point stage's job
    did_not_answer = sum(
        1
        for r in records
        if r["FFT answer"].strip() == "Did not answer"
        and r not in out_of_scale
        and date_ok(r["Date"])
    )
    assert con.execute(
        "select count(*) from raw.survey_responses where comment = 'Did not answer'"
    ).fetchone() == (did_not_answer,)

    [again] = ingest_sources(con, config)
    assert again.skipped


@pytest.mark.realdata
def test_clothing_reviews_through_their_mapping(shared_data: Path, tmp_path: Path) -> None:
    config = load_config(REPO / "docs/examples/womens_clothing_reviews.toml")
    source = shared_data / "womens_clothing_reviews/reviews.csv"
    config = config.model_copy(
        update={"sources": [config.sources[0].model_copy(update={"path": str(source)})]}
    )
    with source.open(encoding="utf-8", newline="") as handle:
        records = list(csv.DictReader(handle))
    no_text = sum(1 for r in records if not r["Review Text"].strip())
    assert no_text == 845

    con = connect(tmp_path / "reviews.duckdb")
    [result] = ingest_sources(con, config)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (23486, 23486, 0)
    _assert_accounting(con)
    assert con.execute(
        "select count(*) from raw.survey_responses where comment is null"
    ).fetchone() == (no_text,)
    ratings = dict(
        con.execute("select score, count(*) from raw.survey_responses group by 1").fetchall()
    )
    expected: dict[float, int] = {}
    for r in records:
        expected[float(r["Rating"])] = expected.get(float(r["Rating"]), 0) + 1
    assert ratings == expected
    division = con.execute(
        "select attributes ->> '$.\"Division Name\"' from raw.survey_responses where row_number = 1"
    ).fetchone()
    assert division == ("Initmates",)  # the source's own misspelling is kept, not "fixed"
