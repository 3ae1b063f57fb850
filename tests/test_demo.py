"""`pmanalytics demo` end to end on the committed sample (what `make demo` runs)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

import pmanalytics as pma
from pmanalytics.cli import main
from pmanalytics.errors import WarehouseError
from pmanalytics.outputs import MARKER
from pmanalytics.warehouse import compose
from tests.sample_project import SampleProject


@pytest.fixture
def demo_db(sample_project: SampleProject) -> Path:
    """The session's ``demo`` warehouse of the committed sample (tests/conftest.py): read only."""
    return sample_project.db


def test_demo_loads_every_sample_file_and_accounts_for_every_row(demo_db: Path) -> None:
    con = duckdb.connect(str(demo_db), read_only=True)
    per_kind = dict(
        (k, (f, r, lo, d, q))
        for k, f, r, lo, d, q in con.execute(
            "select kind, count(*), sum(rows_read), sum(rows_loaded), sum(rows_duplicate),"
            " sum(rows_quarantined) from meta.ingested_files group by kind"
        ).fetchall()
    )
    # the sample's own README states these counts (5 broken event lines, 3 duplicates;
    # 2 bad survey rows and 1 duplicate)
    assert per_kind["events"] == (60, 79_157, 79_149, 3, 5)
    assert per_kind["surveys"] == (1, 538, 535, 1, 2)
    assert per_kind["users"] == (1, 1_000, 1_000, 0, 0)
    con.close()


def test_demo_builds_staging_and_marts(demo_db: Path) -> None:
    con = duckdb.connect(str(demo_db), read_only=True)
    tables = {
        f"{s}.{t}"
        for s, t in con.execute("select schema_name, table_name from duckdb_tables()").fetchall()
    }
    for table in (
        "staging.events",
        "staging.users",
        "staging.survey_responses",
        "marts.kpi_active_users",
        "marts.kpi_retention",
        "marts.kpi_funnel",
        "marts.kpi_survey_scores",
    ):
        assert table in tables
    # identity resolution: every identified sample user is one person in staging.users
    assert con.execute("select count(*) from staging.users where is_identified").fetchone() == (
        1000,
    )
    con.close()


def test_rerunning_the_demo_adds_nothing(
    sample_project_copy: SampleProject, capsys: pytest.CaptureFixture[str]
) -> None:
    config, demo_db = sample_project_copy.config, sample_project_copy.db
    before = duckdb.connect(str(demo_db), read_only=True)
    counts = before.execute(
        "select (select count(*) from raw.events), (select count(*) from meta.ingested_files)"
    ).fetchone()
    before.close()
    assert main(["demo", "--config", str(config), "--db", str(demo_db)]) == 0
    assert "warehouse:" in capsys.readouterr().out
    after = duckdb.connect(str(demo_db), read_only=True)
    assert (
        after.execute(
            "select (select count(*) from raw.events), (select count(*) from meta.ingested_files)"
        ).fetchone()
        == counts
    )
    after.close()


def test_connect_is_read_only_by_default(demo_db: Path) -> None:
    con = pma.connect(demo_db)
    assert con.execute("select count(*) > 0 from staging.events").fetchone() == (True,)
    with pytest.raises(duckdb.Error):
        con.execute("create table staging.oops as select 1")
    con.close()


def test_connect_to_a_missing_warehouse_says_so(tmp_path: Path) -> None:
    with pytest.raises(WarehouseError, match="does not exist yet"):
        pma.connect(tmp_path / "none.duckdb")


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_export_writes_every_marts_table(demo_db: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / "export"
    assert main(["export", "--format", fmt, "--out", str(out), "--db", str(demo_db)]) == 0
    con = duckdb.connect(str(demo_db), read_only=True)
    tables = {
        t
        for (t,) in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'marts'"
        ).fetchall()
    }
    assert tables and not any(t.startswith("int_") for t in tables)  # helpers: intermediate
    assert {p.stem for p in out.iterdir()} == tables | {MARKER}
    reader = "read_csv" if fmt == "csv" else "read_parquet"
    for table in tables:
        exported = con.execute(
            f"select count(*) from {reader}(?)", [str(out / f"{table}.{fmt}")]
        ).fetchone()
        assert (
            exported
            == con.execute(compose("select count(*) from {t}", t=("marts", table))).fetchone()
        ), table
    con.close()
