"""The real NHS Friends-and-Family file, ingested through its mapping, built and validated.

The file's known mess: 440 answers of 6 and 7 on a 1–5 scale and 286 m/d/yyyy dates. Ingest
quarantines them, so GX must see none, and warns that 9.2 % of the rows were set aside (above
the default 5 %); put back into staging as if ingest had kept them, GX must flag every one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pmanalytics.config import load_config
from pmanalytics.ingest import ingest_sources
from pmanalytics.pipeline import build
from pmanalytics.quality import validate
from pmanalytics.warehouse import connect

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.realdata
@pytest.mark.slow  # 19-29 s on the real export: run by .ci/run
def test_nhs_fft_validates_clean_after_quarantine(shared_data: Path, tmp_path: Path) -> None:
    config = load_config(REPO / "docs/examples/nhs_fft.toml")
    source = shared_data / "nhs_fft/fft_responses_v6framework.csv"
    config = config.model_copy(
        update={"sources": [config.sources[0].model_copy(update={"path": str(source)})]}
    )
    con = connect(tmp_path / "nhs.duckdb")
    [ingested] = ingest_sources(con, config)
    build(con, config)

    report = validate(
        con, config, run_id="nhs", load_ids=[ingested.load_id], data_docs_dir=tmp_path / "docs"
    )

    print("\n".join(report.summary_lines()))  # what GX found, for `pytest -s`
    assert report.passed
    [warning] = report.warnings
    assert (warning.expectation, warning.severity) == ("quarantine_share", "warning")
    share = ingested.rows_quarantined / ingested.rows_read
    assert (ingested.rows_quarantined, round(share, 3)) == (726, 0.092)
    assert warning.details["observed_value"] == pytest.approx(share)
    surveys = report.suite("survey_responses")
    assert (surveys.verdict, surveys.rows_validated) == ("warnings", ingested.rows_loaded)
    scale = report.result("survey_responses", "score_csat_scale")
    assert (scale.success, scale.unexpected_count) == (True, 0)
    assert scale.details["element_count"] == ingested.rows_loaded  # every loaded csat row
    assert report.suite("events").rows_validated == 0  # a survey-only project
    out_of_scale = con.execute(
        "select count(*) from quarantine.survey_responses "
        "where reason like 'score % outside the declared csat scale 1–5'"
    ).fetchone()
    assert out_of_scale == (440,)
    assert (tmp_path / "docs" / "index.html").is_file()

    # had ingest kept them (mapped onto the reversed scale: 6 → 0, 7 → -1), GX flags all 440
    con.execute("""
        insert into staging.survey_responses (response_id, metric, score, score_raw,
                                              submitted_at, load_id)
        select 'quarantined-' || row_number, 'csat', 6 - raw::double, raw, now()::timestamp,
               load_id
        from (select *, regexp_extract(reason, '^score (\\d+) outside', 1) as raw
              from quarantine.survey_responses) as q
        where raw <> ''
    """)
    again = validate(
        con, config, run_id="nhs-kept", load_ids=[ingested.load_id], data_docs_dir=None
    )
    failed = {r.expectation: r.unexpected_count for r in again.results if not r.success}
    assert failed == {"score_csat_scale": 440, "table_rows_match_raw": 1, "quarantine_share": 1}
    assert set(
        again.result("survey_responses", "score_csat_scale").details["unexpected_values"]
    ) == {0.0, -1.0}
    con.close()
