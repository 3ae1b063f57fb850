"""Customer text in Data Docs and validation results: shown as text, redacted, never run."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from pmanalytics.config import parse_config
from pmanalytics.ingest import ingest_files
from pmanalytics.pipeline import build_staging
from pmanalytics.quality import validate
from pmanalytics.quality.offline_docs import CSP
from pmanalytics.warehouse import connect

PWN = "document.title='pwned'"
EVENT_NAME = f'<img src=x onerror="{PWN}">' + "x" * 220  # fails event_name_length
COMMENT = f"<script>{PWN}</script> call me, jane.doe@example.com"  # fails comment_length
EMAIL = "jane.doe@example.com"


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    work = tmp_path_factory.mktemp("hostile-docs")
    events = work / "events.ndjson"
    events.write_text(
        json.dumps(
            {
                "type": "track",
                "messageId": "m1",
                "userId": "u1",
                "event": EVENT_NAME,
                "timestamp": "2026-08-03T10:00:00Z",
            }
        )
        + "\n"
    )
    surveys = work / "surveys.csv"
    surveys.write_text(
        "response_id,user_id,submitted_at,survey,metric,score,comment\n"
        f'r1,u1,2026-08-03T10:00:00Z,nps,nps,3,"{COMMENT}"\n'
    )
    config = parse_config({"validation": {"comment_max_length": 20}}, base_dir=work)
    db = work / "w.duckdb"
    con = connect(db)
    ingest_files(con, "events", [events], config=config)
    ingest_files(con, "surveys", [surveys], config=config)
    build_staging(con, config)
    report = validate(con, config, run_id="hostile", load_ids=None, data_docs_dir=work / "docs")
    con.close()
    failed = {r.expectation for r in report.results if not r.success}
    assert {"event_name_length", "comment_length"} <= failed  # the values reach the pages
    return work / "docs", db


def test_every_page_has_the_strict_policy_and_no_live_markup(docs: tuple[Path, Path]) -> None:
    folder, _ = docs
    pages = list(folder.rglob("*.html"))
    assert len(pages) > 3
    shown = ""
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert CSP in text, page
        assert "<img src=x" not in text and f"<script>{PWN}" not in text, page
        assert EMAIL not in text, page
        shown += text
    assert "&lt;img src=x onerror=" in shown  # the value is there, as text
    assert "[email]" in shown


def test_validation_results_store_customer_text_redacted(docs: tuple[Path, Path]) -> None:
    _, db = docs
    con = duckdb.connect(str(db), read_only=True)
    details = [d for (d,) in con.execute("select details from meta.validation_results").fetchall()]
    con.close()
    text = " ".join(details)
    assert EMAIL not in text and "[email]" in text


@pytest.mark.slow  # a real browser (15 s): run by .ci/run with the other browser cases
def test_no_payload_runs_in_a_browser(docs: tuple[Path, Path], offline_browser) -> None:
    folder, _ = docs
    for page_path in folder.rglob("*.html"):
        page, console, external = offline_browser(page_path)
        assert page.title() != "pwned", page_path
        assert external == [], page_path
        assert not [m for m in console if "pwned" in m], page_path
