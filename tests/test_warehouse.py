from __future__ import annotations

import random
import time
from pathlib import Path

import duckdb
import pytest

from pmanalytics.config import parse_config
from pmanalytics.errors import WarehouseBusy, WarehouseError
from pmanalytics.warehouse import (
    connect,
    discover_models,
    order_models,
    quote_identifier,
    run_lock,
    run_models,
    select_models,
    transaction,
    write_config_tables,
)


def _write_models(root: Path, models: dict[str, str]) -> None:
    for key, sql in models.items():
        layer, name = key.split(".")
        (root / layer).mkdir(parents=True, exist_ok=True)
        (root / layer / f"{name}.sql").write_text(sql)


CHAIN = {
    # deliberately named so that alphabetical order is the wrong build order
    "staging.a_last": "select n + 1 as n from staging.m_middle",
    "staging.m_middle": "select n * 10 as n from staging.z_first",
    "staging.z_first": "select 1 as n",
    "marts.b_report": "select n from staging.a_last",
    "marts.a_summary": "-- reads marts.b_report, not staging.z_first (comments don't count)\n"
    "select n from marts.b_report",
}


@pytest.mark.parametrize("seed", range(5))
def test_order_follows_dependencies_not_listing_order(
    tmp_path: Path, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_models(tmp_path, CHAIN)
    real_glob = Path.glob

    def shuffled_glob(self: Path, pattern: str):  # the file system's order is arbitrary
        paths = list(real_glob(self, pattern))
        random.Random(seed).shuffle(paths)
        return iter(paths)

    monkeypatch.setattr(Path, "glob", shuffled_glob)
    ordered = [m.key for m in order_models(discover_models(tmp_path))]
    assert ordered == [
        "staging.z_first",
        "staging.m_middle",
        "staging.a_last",
        "marts.b_report",
        "marts.a_summary",
    ]
    models = discover_models(tmp_path)
    random.Random(seed).shuffle(models)
    assert [m.key for m in order_models(models)] == ordered


def test_run_models_builds_tables_in_order(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    _write_models(tmp_path, CHAIN)
    runs = run_models(con, discover_models(tmp_path))
    assert [r.key for r in runs][-1] == "marts.a_summary"
    assert con.execute("select n from marts.a_summary").fetchall() == [(11,)]


def test_cycles_are_reported(tmp_path: Path) -> None:
    _write_models(
        tmp_path, {"staging.a": "select * from staging.b", "staging.b": "select * from staging.a"}
    )
    with pytest.raises(WarehouseError, match="cycle"):
        order_models(discover_models(tmp_path))


def test_staging_may_not_read_marts(tmp_path: Path) -> None:
    _write_models(tmp_path, {"staging.a": "select * from marts.b", "marts.b": "select 1 as n"})
    with pytest.raises(WarehouseError, match="later layer"):
        order_models(discover_models(tmp_path))


def test_model_file_names_must_be_safe_identifiers(tmp_path: Path) -> None:
    _write_models(tmp_path, {"staging.Bad-Name": "select 1"})
    with pytest.raises(WarehouseError, match="must match"):
        discover_models(tmp_path)


def test_parameters_are_bound_not_pasted(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    _write_models(tmp_path, {"staging.p": "select $label as label"})
    hostile = "x'; drop table meta.ingested_files; --"
    run_models(con, discover_models(tmp_path), {"label": hostile, "unused": 1})
    assert con.execute("select label from staging.p").fetchall() == [(hostile,)]
    assert con.execute("select count(*) from meta.ingested_files").fetchall() == [(0,)]


def test_missing_parameter_is_named(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    _write_models(tmp_path, {"staging.p": "select $label as label"})
    with pytest.raises(WarehouseError, match=r"no value for parameter\(s\) \['label'\]"):
        run_models(con, discover_models(tmp_path))


def test_a_failing_model_leaves_previous_tables(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    _write_models(tmp_path, {"staging.good": "select 1 as n"})
    run_models(con, discover_models(tmp_path))
    _write_models(
        tmp_path,
        {
            "staging.good": "select 2 as n",
            "staging.zz_bad": "select * from staging.good where nope = 1",
        },
    )
    with pytest.raises(WarehouseError, match=r"staging\.zz_bad"):
        run_models(con, discover_models(tmp_path))
    assert con.execute("select n from staging.good").fetchall() == [(1,)]


@pytest.mark.parametrize("name", ["Users", "a-b", "a b", 'x"y', "1abc", "", "a;drop"])
def test_quote_identifier_refuses_unsafe_names(name: str) -> None:
    with pytest.raises(WarehouseError):
        quote_identifier(name)


def test_schemas_and_contract_tables_exist(con: duckdb.DuckDBPyConnection) -> None:
    schemas = {
        r[0] for r in con.execute("select schema_name from information_schema.schemata").fetchall()
    }
    assert {"raw", "quarantine", "staging", "marts", "meta"} <= schemas
    columns = [
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns where table_schema = 'meta' "
            "and table_name = 'ingested_files' order by ordinal_position"
        ).fetchall()
    ]
    for required in (
        "source",
        "path",
        "sha256",
        "bytes",
        "rows_read",
        "rows_loaded",
        "rows_duplicate",
        "rows_quarantined",
        "started_at",
        "finished_at",
    ):
        assert required in columns


def test_config_tables_hold_settings(con: duckdb.DuckDBPyConnection) -> None:
    config = parse_config(
        {
            "analysis": {"timezone": "Europe/London", "active_events": ["A", "B"]},
            "funnels": [{"name": "f", "steps": ["A", "B"], "window": "2h", "exclusions": ["X"]}],
            "features": [{"name": "exports", "events": ["E1", "E2"]}],
        }
    )
    write_config_tables(con, config)
    settings = dict(con.execute("select key, value from meta.config_settings").fetchall())
    assert settings["timezone"] == "Europe/London"
    assert con.execute(
        "select * from meta.config_funnel_steps order by step_number"
    ).fetchall() == [("f", 1, "A", 7200), ("f", 2, "B", 7200)]
    assert con.execute("select * from meta.config_features order by event").fetchall() == [
        ("exports", "E1"),
        ("exports", "E2"),
    ]
    write_config_tables(con, config.model_copy(update={"features": []}))
    assert con.execute("select count(*) from meta.config_features").fetchall() == [(0,)]


def test_a_second_writer_waits_then_fails_clearly(db_path: Path) -> None:
    import subprocess
    import sys

    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]);"
            " print('locked', flush=True); time.sleep(30)",
            str(db_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(WarehouseBusy, match="locked by another process"):
            connect(db_path, lock_timeout=1.0)
    finally:
        holder.kill()
        holder.wait()
    connect(db_path, lock_timeout=5.0).close()  # once the writer is gone it opens


def test_column_docs_become_duckdb_comments(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    _write_models(
        tmp_path,
        {
            "marts.kpi_x": "-- marts.kpi_x — a test table\n"
            "-- column n: the user's count (it's quoted)\n"
            "select 1 as n, 2 as m"
        },
    )
    run_models(con, discover_models(tmp_path))
    comments = dict(
        con.execute(
            "select column_name, comment from duckdb_columns() where table_name = 'kpi_x'"
        ).fetchall()
    )
    assert comments == {"n": "the user's count (it's quoted)", "m": None}


def test_documenting_a_missing_column_fails(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    _write_models(tmp_path, {"marts.kpi_x": "-- column gone: not there\nselect 1 as n"})
    with pytest.raises(WarehouseError, match="does not produce"):
        run_models(con, discover_models(tmp_path))


def test_a_second_run_waits_for_the_run_lock_then_fails_clearly(db_path: Path) -> None:
    import subprocess
    import sys

    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pmanalytics.warehouse import run_lock\n"
            "with run_lock(sys.argv[1]):\n    print('held', flush=True); time.sleep(30)",
            str(db_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        with (
            pytest.raises(WarehouseBusy, match="another pmanalytics run is writing"),
            run_lock(db_path, timeout=1.0, poll_seconds=0.1),
        ):
            pass
        assert time.monotonic() - started >= 1.0  # it waited before giving up
    finally:
        holder.kill()
        holder.wait()
    with run_lock(db_path, timeout=5.0):  # a killed holder leaves no stale lock
        pass


def test_memory_limit_is_applied_and_validated(tmp_path: Path) -> None:
    """``[warehouse] memory_limit`` caps DuckDB (default 1GB); a bad size is a config error."""
    import pmanalytics as pma
    from pmanalytics.errors import ConfigError

    db = tmp_path / "w.duckdb"
    setting = "select current_setting('memory_limit')"
    with connect(db) as plain:  # no limit given: DuckDB's default, far above 1 GB here
        assert plain.execute(setting).fetchone()[0] != "953.6 MiB"
    config = parse_config({"warehouse": {"path": str(db)}})
    assert config.warehouse.memory_limit == "1GB"
    with pma.connect(config=config) as con:
        assert con.execute(setting).fetchone() == ("953.6 MiB",)
    small = parse_config({"warehouse": {"path": str(db), "memory_limit": "256MB"}})
    with pma.connect(config=small, read_only=True) as con:
        assert con.execute(setting).fetchone() == ("244.1 MiB",)
    # a connection already open in this process is no obstacle (a notebook, a test fixture)
    with connect(db) as open_first, connect(db, memory_limit="512MB") as second:
        assert second.execute(setting).fetchone() == ("488.2 MiB",)
        assert open_first.execute(setting).fetchone() == ("488.2 MiB",)
    with pytest.raises(ConfigError, match="memory_limit"):
        parse_config({"warehouse": {"memory_limit": "1 million"}})
    assert parse_config({"warehouse": {"memory_limit": None}}).warehouse.memory_limit is None
    assert parse_config({"warehouse": {"memory_limit": "Default"}}).warehouse.memory_limit is None


def test_transaction_commits_a_block_or_nothing(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create table meta.t (n integer)")
    with transaction(con):
        con.execute("insert into meta.t values (1)")
    with pytest.raises(KeyboardInterrupt), transaction(con):  # not only Exception
        con.execute("insert into meta.t values (2)")
        raise KeyboardInterrupt
    with pytest.raises(duckdb.Error), transaction(con):
        con.execute("insert into meta.t values (3)")
        con.execute("insert into meta.t values ('three')")
    assert con.execute("select list(n order by n) from meta.t").fetchone() == ([1],)


# --------------------------------------------------------------------------- model selection

SIDE = {
    **CHAIN,
    # not read by marts.a_summary: must not be built when it is selected
    "staging.side": "select 7 as n",
    "marts.c_other": "select n from staging.side",
}


def test_select_models_takes_the_named_models_and_all_they_read(tmp_path: Path) -> None:
    _write_models(tmp_path, SIDE)
    models = discover_models(tmp_path)
    chosen = [m.key for m in order_models(select_models(models, ["marts.b_report"]))]
    assert chosen == ["staging.z_first", "staging.m_middle", "staging.a_last", "marts.b_report"]
    both = {m.key for m in select_models(models, ["marts.a_summary", "marts.c_other"])}
    assert both == set(SIDE)
    assert [m.key for m in select_models(models, ["staging.side"])] == ["staging.side"]


def test_select_models_leaves_out_dependencies_it_was_not_given(tmp_path: Path) -> None:
    # the KPI harness selects among marts models only: hand-made staging tables stay
    _write_models(tmp_path, SIDE)
    marts = discover_models(tmp_path, layers=("marts",))
    chosen = order_models(select_models(marts, ["marts.a_summary"]))
    assert [m.key for m in chosen] == ["marts.b_report", "marts.a_summary"]


def test_select_models_refuses_an_unknown_name(tmp_path: Path) -> None:
    _write_models(tmp_path, SIDE)
    with pytest.raises(WarehouseError, match=r"no model\(s\) named \['marts.nope'\]"):
        select_models(discover_models(tmp_path), ["marts.b_report", "marts.nope"])


def test_run_models_select_builds_only_the_selection(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    _write_models(tmp_path, SIDE)
    runs = run_models(con, discover_models(tmp_path), select=["marts.b_report"])
    assert [r.key for r in runs] == [
        "staging.z_first",
        "staging.m_middle",
        "staging.a_last",
        "marts.b_report",
    ]
    assert con.execute("select n from marts.b_report").fetchall() == [(11,)]
    built = {
        f"{s}.{t}"
        for s, t in con.execute(
            "select schema_name, table_name from duckdb_tables() "
            "where schema_name in ('staging', 'marts')"
        ).fetchall()
    }
    assert built == {"staging.z_first", "staging.m_middle", "staging.a_last", "marts.b_report"}
