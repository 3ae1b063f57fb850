"""Warehouses for the report tests: the sample, built once, and hostile copies of it."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from pmanalytics.config import load_config
from pmanalytics.pipeline import build_marts
from pmanalytics.reports import build_report
from pmanalytics.warehouse import connect
from tests.reports.helpers import (
    XSS_IMG,
    XSS_SCRIPT,
    create_pain_point_tables,
    drop_pain_point_tables,
)
from tests.sample_project import SampleProject


@pytest.fixture(scope="session")
def sample_dir(sample_project: SampleProject) -> Path:
    """The folder of the session's ``pmanalytics demo`` warehouse of the committed sample
    (tests/conftest.py), shared by all report tests: read it, copy it to change it."""
    return sample_project.db.parent


@pytest.fixture(scope="session")
def data_docs_index(sample_project: SampleProject) -> Path:
    """The Data Docs that ``demo`` wrote where the sample config puts them."""
    return sample_project.data_docs / "index.html"


def _copy(sample_dir: Path, folder: Path) -> Path:
    db = folder / "warehouse.duckdb"
    shutil.copy(sample_dir / "warehouse.duckdb", db)
    return db


@pytest.fixture(scope="session")
def sample_report(
    sample_dir: Path, data_docs_index: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The report of the untouched sample warehouse, opened read-only."""
    con = duckdb.connect(str(sample_dir / "warehouse.duckdb"), read_only=True)
    try:
        return build_report(
            con,
            tmp_path_factory.mktemp("report-sample") / "reports" / "report.html",
            data_docs_index=data_docs_index,
        )
    finally:
        con.close()


@pytest.fixture(scope="session")
def no_pain_report(sample_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample without pain-point tables (whether or not the build made them)."""
    folder = tmp_path_factory.mktemp("report-no-pain")
    con = duckdb.connect(str(_copy(sample_dir, folder)))
    try:
        drop_pain_point_tables(con)
        return build_report(con, folder / "report.html")
    finally:
        con.close()


@pytest.fixture(scope="session")
def hostile_report(
    sample_dir: Path, data_docs_index: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A copy of the sample whose customer text tries to inject HTML and script everywhere:
    pain points (labels, keywords, quotes, behaviour), a quarantine reason, a segment value,
    a funnel step and a feature name (the last three end up inside Plotly figures)."""
    folder = tmp_path_factory.mktemp("report-hostile")
    con = duckdb.connect(str(_copy(sample_dir, folder)))
    try:
        create_pain_point_tables(con)
        con.execute(
            "insert into quarantine.survey_responses (source_file, row_number, reason, "
            "raw_record, quarantined_at, load_id) values ('evil.csv', 7, ?, ?, now(), 'x')",
            ["comment " + XSS_SCRIPT, XSS_IMG],
        )
        con.execute(
            "update marts.kpi_survey_scores set segment_value = ? where segment = 'plan' "
            "and segment_value = 'free'",
            [XSS_IMG],
        )
        con.execute(
            "update marts.kpi_funnel set step_event = ? where step_number = 2", [XSS_SCRIPT]
        )
        con.execute(
            "update marts.kpi_feature_adoption set feature = ? where feature = 'alerts'",
            [XSS_IMG],
        )
        return build_report(
            con,
            folder / "report.html",
            data_docs_index=data_docs_index,
        )
    finally:
        con.close()


def _rebuilt_report(
    sample_project: SampleProject, folder: Path, *statements: str, drop_pain: bool = False
) -> Path:
    """A copy of the sample warehouse changed by ``statements`` (on staging), its marts
    rebuilt (~1 s: no ingest, no validation, no pain-point stage), and its report."""
    db = _copy(sample_project.db.parent, folder)
    con = connect(db)
    try:
        for statement in statements:
            con.execute(statement)
        if drop_pain:
            drop_pain_point_tables(con)
        build_marts(con, load_config(sample_project.config))
        return build_report(con, folder / "report.html")
    finally:
        con.close()


@pytest.fixture(scope="session")
def survey_only_report(
    sample_project: SampleProject, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The sample's survey responses and pain points without any usage event."""
    return _rebuilt_report(
        sample_project,
        tmp_path_factory.mktemp("report-survey-only"),
        "delete from staging.events",
        "delete from staging.users",
        # what the pain-point stage writes without events: no behaviour, no retention gap
        "delete from marts.pain_point_behaviour",
        "update marts.pain_point_priorities set retention_gap = null",
    )


@pytest.fixture(scope="session")
def undated_survey_report(
    sample_project: SampleProject, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """Survey-only, and no response has a date (as in the clothing reviews)."""
    return _rebuilt_report(
        sample_project,
        tmp_path_factory.mktemp("report-undated"),
        "delete from staging.events",
        "delete from staging.users",
        "update staging.survey_responses set submitted_at = null",
        drop_pain=True,
    )


@pytest.fixture(scope="session")
def events_only_report(
    sample_project: SampleProject, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The sample's usage events without any survey response (so no pain points either)."""
    return _rebuilt_report(
        sample_project,
        tmp_path_factory.mktemp("report-events-only"),
        "delete from staging.survey_responses",
        drop_pain=True,
    )
