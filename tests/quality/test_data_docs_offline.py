"""GX's Data Docs, as pmanalytics writes them, open in a browser with no network at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from pmanalytics.quality.offline_docs import external_loads
from tests.sample_project import SampleProject


@pytest.fixture
def data_docs(sample_project: SampleProject) -> Path:
    """The Data Docs of the session's ``pmanalytics demo`` on the sample (tests/conftest.py)."""
    return sample_project.data_docs


def test_no_page_loads_anything_from_another_host(data_docs: Path) -> None:
    pages = list(data_docs.rglob("*.html"))
    assert len(pages) > 5
    for page in [*pages, *data_docs.rglob("*.css")]:
        assert external_loads(page.read_text(encoding="utf-8")) == [], page


def test_data_docs_open_in_a_browser_offline(
    data_docs: Path, offline_browser, tmp_path: Path
) -> None:
    page, console, external = offline_browser(data_docs / "index.html")
    assert "staging.events" in page.inner_text("body")
    page.screenshot(path=str(tmp_path / "data_docs_index.png"), full_page=True)
    # follow the link to one suite's latest validation result
    validation = next(data_docs.joinpath("validations").rglob("pmanalytics-staging.events.html"))
    result_page, result_console, result_external = offline_browser(validation)
    text = result_page.inner_text("body")
    assert "event_id" in text and "Expectation" in text
    assert console == [] and result_console == []
    assert external == [] and result_external == []
