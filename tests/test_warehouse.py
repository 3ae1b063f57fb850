from __future__ import annotations

import random
import time
from pathlib import Path

import duckdb
import pytest

from pmanalytics.config import parse_config
from pmanalytics.errors import WarehouseBusy, WarehouseError
from pmanalytics.warehouse import (
    append_in_order,
    connect,
    discover_models,
    order_models,
    quote_identifier,
    run_lock,
    run_models,
    select_models,
    tables_read,
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
    "marts.b_report": "-- grain: n\nselect n from staging.a_last",
    "marts.a_summary": "-- grain: n\n"
    "-- reads marts.b_report, not staging.z_first (comments don't count)\n"
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
    _write_models(
        tmp_path, {"staging.a": "select * from marts.b", "marts.b": "-- grain: n\nselect 1 as n"}
    )
    with pytest.raises(WarehouseError, match="later layer"):
        order_models(discover_models(tmp_path))


def test_dependencies_come_from_the_parsed_sql_not_its_text(tmp_path: Path) -> None:
    """Names a regex would take for references are not; real references in any spelling are."""
    _write_models(
        tmp_path,
        {
            # a string literal, a block comment and a CTE named like a table are no references
            "staging.a": "with events as (select 'marts.b' as label /* staging.c */)\n"
            "select label from events",
            # a quoted, upper-case, joined reference is one
            "staging.c": 'select 1 as n from "Staging"."A" join staging.d on true',
            "staging.d": "select 1 as n",
            "marts.b": "-- grain: n\n-- reads staging.d (comments don't count)\n"
            "select n from staging.c",
        },
    )
    models = {m.key: m for m in discover_models(tmp_path)}
    assert models["staging.a"].depends_on == frozenset()
    assert models["staging.c"].depends_on == {"staging.a", "staging.d"}
    assert models["marts.b"].depends_on == {"staging.c"}
    assert [m.key for m in order_models(models.values())] == [
        "staging.a",
        "staging.d",
        "staging.c",
        "marts.b",
    ]
    # a regex over the text would have made staging.a read marts.b: a later layer, an error


def test_tables_read_names_warehouse_tables_in_any_dialect() -> None:
    sql = (
        "with staged as (select * from staging.events) "
        "select * from staged join meta.config_settings as s on true "
        "left join raw.events on false where 'marts.kpi_x' <> ''"
    )
    assert tables_read(sql) == {"staging.events", "meta.config_settings", "raw.events"}
    spark = "select * from marts.m lateral view explode(m.xs) t as x left anti join staging.e"
    assert tables_read(spark, dialect="spark") == {"marts.m", "staging.e"}


def test_parameters_come_from_the_parsed_sql(tmp_path: Path) -> None:
    _write_models(tmp_path, {"staging.p": "select $label as label, '$not_one' as text -- $nor"})
    (model,) = discover_models(tmp_path)
    assert model.parameters == {"label"}


def test_unparseable_model_is_named(tmp_path: Path) -> None:
    _write_models(tmp_path, {"staging.broken": "select from from where"})
    with pytest.raises(WarehouseError, match=r"broken\.sql: sqlglot cannot parse"):
        discover_models(tmp_path)


@pytest.mark.parametrize(
    ("reader", "read"),
    [
        ("staging.a", "intermediate.b"),
        ("staging.a", "marts.b"),
        ("intermediate.a", "marts.b"),
    ],
)
def test_a_layer_may_not_read_a_later_one(tmp_path: Path, reader: str, read: str) -> None:
    _write_models(
        tmp_path,
        {reader: f"-- grain: n\nselect * from {read}", read: "-- grain: n\nselect 1 as n"},
    )
    with pytest.raises(WarehouseError, match=rf"a {reader.split('.')[0]} model may not read"):
        order_models(discover_models(tmp_path))


def test_intermediate_models_build_between_staging_and_marts(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    _write_models(
        tmp_path,
        {
            "staging.s": "select 1 as n",
            "intermediate.int_i": "-- grain: n\nselect n + 1 as n from staging.s",
            "marts.kpi_m": "-- grain: n\nselect n * 10 as n from intermediate.int_i",
        },
    )
    runs = run_models(con, discover_models(tmp_path))
    assert [r.key for r in runs] == ["staging.s", "intermediate.int_i", "marts.kpi_m"]
    assert con.execute("select n from marts.kpi_m").fetchall() == [(20,)]


def test_the_build_drops_helper_tables_an_older_version_left_in_marts(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """Before the intermediate schema, int_* tables lived in marts: exports would show them."""
    con.execute("create table marts.int_settings as select 'stale' as timezone")
    con.execute("create table marts.kpi_kept as select 1 as n")  # not a moved model: kept
    _write_models(
        tmp_path,
        {
            "intermediate.int_settings": "-- grain: one row\nselect 'UTC' as timezone",
            "marts.kpi_x": "-- grain: timezone\nselect timezone from intermediate.int_settings",
        },
    )
    run_models(con, discover_models(tmp_path))
    marts = con.execute(
        "select table_name from duckdb_tables() where schema_name = 'marts' order by 1"
    ).fetchall()
    assert marts == [("kpi_kept",), ("kpi_x",)]
    assert con.execute("select * from intermediate.int_settings").fetchall() == [("UTC",)]


def test_an_intermediate_model_may_not_share_a_marts_name(tmp_path: Path) -> None:
    _write_models(
        tmp_path,
        {
            "intermediate.int_x": "-- grain: n\nselect 1 as n",
            "marts.int_x": "-- grain: n\nselect 2 as n",
        },
    )
    with pytest.raises(WarehouseError, match=r"marts\.int_x exists as a model too"):
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


DAILY = (
    "-- marts.kpi_daily — one row per day\n"
    "-- grain: activity_date\n"
    "select days.activity_date, count(users.user_id) as users\n"
    "from staging.days as days left join staging.users as users on {join}\n"
    "group by {group}"
)


def test_a_join_that_doubles_rows_fails_the_build_and_keeps_the_previous_table(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    staging = {
        "staging.days": "select * from (values (date '2026-01-01'), (date '2026-01-02')) "
        "as t(activity_date)",
        "staging.users": "select * from (values ('u1', date '2026-01-01'), "
        "('u2', date '2026-01-02')) as t(user_id, activity_date)",
    }
    right = DAILY.format(
        join="users.activity_date = days.activity_date", group="days.activity_date"
    )
    _write_models(tmp_path, {**staging, "marts.kpi_daily": right})
    run_models(con, discover_models(tmp_path))
    before = con.execute("select * from marts.kpi_daily order by all").fetchall()
    assert [users for _, users in before] == [1, 1]
    # grouped by the user's day too: each day appears once per day a user was seen
    wrong = DAILY.format(join="true", group="days.activity_date, users.activity_date")
    _write_models(tmp_path, {"marts.kpi_daily": wrong})
    with pytest.raises(WarehouseError) as caught:
        run_models(con, discover_models(tmp_path))
    message = str(caught.value)
    assert "marts.kpi_daily" in message and "kpi_daily.sql" in message
    assert "breaks its grain (activity_date)" in message
    assert "2 rows share the key (activity_date=datetime.date(2026, 1, " in message
    assert con.execute("select * from marts.kpi_daily order by all").fetchall() == before


def test_a_null_grain_column_fails_the_build(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    _write_models(
        tmp_path,
        {
            "staging.s": "select * from (values ('a', 1), ('b', 2)) as t(k, n)",
            "marts.kpi_pairs": "-- grain: k, bucket\n"
            "select k, case when n > 1 then 'big' end as bucket from staging.s",
        },
    )
    with pytest.raises(
        WarehouseError,
        match=r"marts\.kpi_pairs .* breaks its grain \(k, bucket\): a grain column is null, "
        r"e\.g\. in the row with \(k='a', bucket=None\)",
    ):
        run_models(con, discover_models(tmp_path))
    assert not con.execute(
        "select count(*) from duckdb_tables() where table_name in ('s', 'kpi_pairs')"
    ).fetchone()[0]  # rolled back: staging.s of the same build is gone too


def test_a_one_row_grain_allows_one_row_only(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    _write_models(tmp_path, {"intermediate.int_one": "-- grain: one row\nselect 1 as n"})
    run_models(con, discover_models(tmp_path))
    _write_models(
        tmp_path,
        {"intermediate.int_one": "-- grain: one row\nselect * from (values (1), (2)) as t(n)"},
    )
    with pytest.raises(WarehouseError, match=r"breaks its grain \(one row\): it has 2 rows"):
        run_models(con, discover_models(tmp_path))
    assert con.execute("select n from intermediate.int_one").fetchall() == [(1,)]


@pytest.mark.parametrize("layer", ["intermediate", "marts"])
def test_a_model_without_a_grain_line_is_named(tmp_path: Path, layer: str) -> None:
    _write_models(
        tmp_path, {f"{layer}.kpi_x": "-- one row per day (prose is not a grain)\nselect 1 as n"}
    )
    with pytest.raises(WarehouseError, match=rf"{layer}/kpi_x\.sql: a {layer} model must declare"):
        discover_models(tmp_path)


@pytest.mark.parametrize(
    "line",
    ["-- grain: day of the week", "-- grain: a, a", "-- grain: a;b", "-- grain:"],
)
def test_a_malformed_grain_line_is_named(tmp_path: Path, line: str) -> None:
    _write_models(tmp_path, {"marts.kpi_x": f"{line}\nselect 1 as a"})
    with pytest.raises(WarehouseError, match=r"kpi_x\.sql: '-- grain: .*' is not a list"):
        discover_models(tmp_path)


def test_a_grain_line_below_the_header_or_twice_is_refused(tmp_path: Path) -> None:
    _write_models(tmp_path, {"marts.kpi_x": "select 1 as a\n-- grain: a"})
    with pytest.raises(WarehouseError, match="must declare its grain"):
        discover_models(tmp_path)
    _write_models(tmp_path, {"marts.kpi_x": "-- grain: a\n-- grain: a\nselect 1 as a"})
    with pytest.raises(WarehouseError, match="declares its grain 2 times"):
        discover_models(tmp_path)


def test_a_grain_column_the_model_lacks_fails(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    _write_models(tmp_path, {"marts.kpi_x": "-- grain: day\nselect 1 as n"})
    with pytest.raises(WarehouseError, match=r"marts\.kpi_x .*cannot check its grain \(day\)"):
        run_models(con, discover_models(tmp_path))


def test_staging_may_declare_a_grain_and_it_is_checked(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    _write_models(tmp_path, {"staging.plain": "select 1 as n union all select 1"})
    run_models(con, discover_models(tmp_path))  # no grain line: allowed in staging
    _write_models(tmp_path, {"staging.plain": "-- grain: n\nselect 1 as n union all select 1"})
    with pytest.raises(WarehouseError, match=r"2 rows share the key \(n=1\)"):
        run_models(con, discover_models(tmp_path))


def test_every_shipped_model_declares_its_grain() -> None:
    grains = {m.key: m.grain for m in discover_models()}
    assert grains["marts.kpi_active_users"] == ("activity_date",)
    assert grains["intermediate.int_settings"] == ()
    assert grains["staging.events"] == ("event_id",)
    assert all(grain is not None for grain in grains.values()), grains


@pytest.mark.parametrize("name", ["Users", "a-b", "a b", 'x"y', "1abc", "", "a;drop"])
def test_quote_identifier_refuses_unsafe_names(name: str) -> None:
    with pytest.raises(WarehouseError):
        quote_identifier(name)


def test_schemas_and_contract_tables_exist(con: duckdb.DuckDBPyConnection) -> None:
    schemas = {
        r[0] for r in con.execute("select schema_name from information_schema.schemata").fetchall()
    }
    assert {"raw", "quarantine", "staging", "intermediate", "marts", "meta"} <= schemas
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


def test_a_schema_that_fails_half_way_leaves_none_of_it(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new warehouse's schema is created all or nothing: never tables without the
    ``meta.warehouse`` row that gives the warehouse its identity."""
    import pmanalytics.warehouse as warehouse

    schema = warehouse.read_sql("warehouse/schema.sql")
    cut = schema.index("insert into meta.warehouse")  # after the table, before its row
    monkeypatch.setattr(
        warehouse, "read_sql", lambda _: schema[:cut] + "select error('stopped half-way');"
    )
    with pytest.raises(duckdb.Error, match="stopped half-way"):
        connect(db_path)
    left = duckdb.connect(str(db_path), read_only=True)
    assert left.execute("select count(*) from duckdb_tables()").fetchone() == (0,)
    left.close()

    monkeypatch.undo()
    con = connect(db_path)  # the next open creates it whole
    assert con.execute("select count(*) from meta.warehouse").fetchone() == (1,)
    con.close()


def test_config_tables_hold_settings(con: duckdb.DuckDBPyConnection) -> None:
    config = parse_config(
        {
            "analysis": {
                "timezone": "Europe/London",
                "active_events": ["A", "B"],
                "as_of": "2026-07-01",
            },
            "funnels": [
                {
                    "name": "f",
                    "steps": ["A", "B", "C"],
                    "window": "2h",
                    "exclusions": ["X", {"event": "Y", "from_step": 2, "to_step": 3}],
                }
            ],
            "features": [{"name": "exports", "events": ["E1", "E2"]}],
        }
    )
    write_config_tables(con, config)
    settings = dict(con.execute("select key, value from meta.config_settings").fetchall())
    assert settings["timezone"] == "Europe/London"
    # the as-of date ends at local midnight: 23:00 UTC in British Summer Time
    assert (settings["as_of_date"], settings["as_of_ends_at"]) == (
        "2026-07-01",
        "2026-07-01 23:00:00",
    )
    assert con.execute(
        "select * from meta.config_funnel_steps order by step_number"
    ).fetchall() == [("f", 1, "A", 7200), ("f", 2, "B", 7200), ("f", 3, "C", 7200)]
    assert con.execute("select * from meta.config_funnel_exclusions order by event").fetchall() == [
        ("f", "X", 1, 3),
        ("f", "Y", 2, 3),
    ]
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
            "-- grain: n\n"
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
    _write_models(
        tmp_path, {"marts.kpi_x": "-- grain: n\n-- column gone: not there\nselect 1 as n"}
    )
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


def test_a_failed_rollback_does_not_hide_the_error(con: duckdb.DuckDBPyConnection) -> None:
    # DuckDB aborts some transactions itself (a full disk): "cannot rollback - no transaction
    # is active" must not replace the error that caused it
    with pytest.raises(ValueError, match="the real cause"), transaction(con):
        con.execute("commit")  # the transaction is gone before the block ends
        raise ValueError("the real cause")


def test_spill_files_a_killed_run_left_are_removed_on_the_next_open(db_path: Path) -> None:
    connect(db_path).close()
    spill = db_path.with_name(db_path.name + ".tmp")
    spill.mkdir()
    (spill / "duckdb_temp_storage_S32K-0.tmp").write_bytes(b"x" * 1024)
    (spill / "notes.txt").write_text("not DuckDB's")  # only DuckDB's own files go
    connect(db_path, read_only=True).close()  # a reader never touches them
    assert (spill / "duckdb_temp_storage_S32K-0.tmp").exists()
    connect(db_path).close()
    assert sorted(p.name for p in spill.iterdir()) == ["notes.txt"]


# --------------------------------------------------------------------------- model selection

SIDE = {
    **CHAIN,
    # not read by marts.a_summary: must not be built when it is selected
    "staging.side": "select 7 as n",
    "marts.c_other": "-- grain: n\nselect n from staging.side",
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


def _row_group_sizes(con: duckdb.DuckDBPyConnection, table: str) -> list[int]:
    rows = con.execute(
        "select row_group_id, sum(count) from pragma_storage_info(?) "
        "where column_name = 'n' and segment_type = 'BIGINT' group by all order by 1",
        [table],
    ).fetchall()
    return [int(size) for _, size in rows]


@pytest.mark.parametrize("appending", [True, False])
def test_inserts_in_one_transaction_fill_row_groups_in_order(
    tmp_path: Path, appending: bool
) -> None:
    """Three files' inserts of 130k rows: whole row groups (122,880 rows) but for the last,
    in the source's order; DuckDB's default insert leaves a part-full row group per
    statement, which a checkpoint rewrites (the reason the loader appends this way)."""
    con = connect(tmp_path / "w.duckdb")
    con.execute("create table t (n bigint, label varchar)")
    con.execute(
        "create temp table src as select i as n, md5(i::varchar) as label from range(130000) r(i)"
    )
    con.execute("set threads = 2")
    insert = "insert into t select * from src where n >= ?"
    with transaction(con):
        for _ in range(3):
            if appending:
                assert append_in_order(con, insert, [0]) == 130_000
            else:
                con.execute(insert, [0])
    sizes = _row_group_sizes(con, "t")
    if appending:
        assert sizes == [122_880, 122_880, 122_880, 3 * 130_000 - 3 * 122_880]
        out_of_order = con.execute(
            "select count(*) from (select n, row_number() over () - 1 as i from t) "
            "where n <> i % 130000"
        ).fetchone()
        assert out_of_order == (0,)
    else:
        assert sizes == [122_880, 7_120] * 3


def test_append_in_order_counts_no_rows_and_takes_only_inserts(tmp_path: Path) -> None:
    con = connect(tmp_path / "w.duckdb")
    con.execute("create table t (n bigint)")
    assert append_in_order(con, "insert into t select 1 where ?", [False]) == 0
    with pytest.raises(ValueError, match="insert statement"):
        append_in_order(con, "delete from t where n = ?", [1])
