"""Incremental builds by load (pmanalytics/incremental.py) against full rebuilds from scratch.

The property: whatever loads arrive, in whatever order — events before the identify or alias
call that resolves them, anonymous links that come late, one anonymous id linked to several
users, links at the same instant, alias chains and cycles, ids that are both an anonymous id
and a user id — the staging.events the runner keeps up to date by load holds exactly the
rows (every column, as a multiset) that its SQL gives when run over everything from scratch.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pmanalytics import incremental
from pmanalytics.config import parse_config
from pmanalytics.errors import WarehouseError
from pmanalytics.warehouse import (
    ModelRun,
    compose,
    connect,
    discover_models,
    run_models,
    sql_dir,
    write_config_tables,
)

STAGING = discover_models(layers=("staging",))
EVENTS = next(m for m in STAGING if m.key == "staging.events")

#: Few ids, shared by every role, so that links collide, chain and loop.
IDS = ("a1", "a2", "a3", "u1", "u2", "u3")
T0 = datetime(2026, 8, 3, 9, 0)
_serial = itertools.count()

maybe_id = st.none() | st.sampled_from(IDS)
call = st.fixed_dictionaries(
    {
        "event_type": st.sampled_from(("track", "page", "screen", "identify", "alias")),
        "user_id": maybe_id,
        "anonymous_id": maybe_id,
        "previous_id": maybe_id,
        # few instants: links at the same time, and loads whose calls predate earlier loads'
        "minute": st.integers(0, 3),
        # numeric_properties is parsed from these: none, numbers, only text that looks like one
        # (white space before the object: CSV keeps the text as written)
        "properties": st.sampled_from(
            (None, '{"n": 1}', '{"ms": 2.5, "ok": true}', '{"q": "a: 1"}', '\n\t {"ms" :\t-3}')
        ),
    }
)
loads = st.lists(st.lists(call, min_size=0, max_size=6), min_size=1, max_size=5)


@pytest.fixture
def fresh() -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect(":memory:")
    yield con
    con.close()


def _insert_load(con: duckdb.DuckDBPyConnection, calls: list[dict], load_id: str) -> None:
    """One committed load in raw.events, as the ingest leaves it (event ids never repeat)."""
    for row_number, c in enumerate(calls, start=1):
        event = None if c["event_type"] in ("identify", "alias") else "Clicked"
        con.execute(
            """
            insert into raw.events (event_id, event_type, user_id, anonymous_id, previous_id,
                event, occurred_at, session_id, properties, context, traits, source_file,
                row_number, load_id, ingested_at)
            values (?, ?, ?, ?, ?, ?, ?, null, ?, null, null, ?, ?, ?, now())
            """,
            [
                f"e{next(_serial)}",
                c["event_type"],
                c["user_id"],
                c["anonymous_id"],
                c["previous_id"] if c["event_type"] == "alias" else None,
                event,
                T0 + timedelta(minutes=c["minute"]),
                c.get("properties", '{"n": 1}'),
                f"{load_id}.ndjson",
                row_number,
                load_id,
            ],
        )


def _build(con: duckdb.DuckDBPyConnection, models=STAGING) -> ModelRun:
    runs = run_models(con, models, select=["staging.events"])
    return next(r for r in runs if r.key == "staging.events")


def _differences(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """Rows the maintained table and a from-scratch run of the model disagree on (both ways)."""
    return con.execute(
        f"""
        with scratch as ({EVENTS.sql})
        (select 'kept', * from staging.events except all select 'kept', * from scratch)
        union all
        (select 'scratch', * from scratch except all select 'scratch', * from staging.events)
        """
    ).fetchall()


@pytest.fixture(autouse=True)
def no_share_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tiny tables: let every step be incremental, however large its share of the rows."""
    monkeypatch.setattr(incremental, "MAX_RECOMPUTED_SHARE", float("inf"))


def _check_loads_one_by_one(loads: list[list[dict]]) -> None:
    con = connect(":memory:")
    try:
        for number, calls in enumerate(loads):
            _insert_load(con, calls, f"load-{number}")
            run = _build(con)
            if number == 0:
                assert run.detail.startswith("full rebuild"), run.detail
            else:
                assert run.detail.startswith("incremental"), run.detail
            assert _differences(con) == []
    finally:
        con.close()


_PROPERTY = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@settings(_PROPERTY, max_examples=8)
@given(loads=loads)
def test_events_kept_by_load_equal_a_full_rebuild(loads: list[list[dict]]) -> None:
    _check_loads_one_by_one(loads)


@pytest.mark.slow
@settings(_PROPERTY, max_examples=150)
@given(loads=st.lists(st.lists(call, max_size=10), min_size=2, max_size=8))
def test_events_kept_by_load_equal_a_full_rebuild_many_cases(loads: list[list[dict]]) -> None:
    _check_loads_one_by_one(loads)


def _late_identify_scenario(con: duckdb.DuckDBPyConnection) -> None:
    _insert_load(con, [{"event_type": "page", "user_id": None, "anonymous_id": "a1",
                        "previous_id": None, "minute": 0}], "monday")  # fmt: skip
    _build(con)
    _insert_load(con, [{"event_type": "identify", "user_id": "u1", "anonymous_id": "a1",
                        "previous_id": None, "minute": 1}], "tuesday")  # fmt: skip


def test_a_late_identify_recomputes_the_earlier_anonymous_rows(fresh) -> None:
    _late_identify_scenario(fresh)
    run = _build(fresh)
    # keys of source rows: the new identify call (no staged row) and monday's page view
    assert run.detail == (
        "incremental: 1 new load(s), 1 changed lookup key(s), 2 key(s) recomputed"
    )
    assert fresh.execute("select user_id, is_identified from staging.events").fetchall() == [
        ("u1", True)
    ]


def _calls(*links: tuple[str, str, str]) -> list[dict]:
    """``(type, user_id, anonymous_or_previous_id)`` triples as calls of the first minute."""
    return [
        {"event_type": kind, "user_id": user, "anonymous_id": None if kind == "alias" else other,
         "previous_id": other if kind == "alias" else None, "minute": 0}
        for kind, user, other in links
    ]  # fmt: skip


def test_a_merge_deeper_than_the_identity_maps_hops_is_followed(fresh) -> None:
    # a1 → u1 → u2 → u3 → u4: identity_map follows three alias hops, so a1 maps to u4, and
    # the event's second lookup (u4 → u5) resolves it to u5. A new merge u5 → u6 changes
    # u4's row only, not a1's: the event is found through the second hop (u4 is a1's value).
    chain = [("alias", "u2", "u1"), ("alias", "u3", "u2"), ("alias", "u4", "u3")]
    chain += [("alias", "u5", "u4")]
    _insert_load(fresh, _calls(("page", None, "a1"), ("identify", "u1", "a1"), *chain), "one")
    _build(fresh)
    assert fresh.execute("select user_id from staging.events").fetchall() == [("u5",)]
    _insert_load(fresh, _calls(("alias", "u6", "u5")), "two")
    assert _build(fresh).detail.startswith("incremental")
    assert fresh.execute("select user_id from staging.events").fetchall() == [("u6",)]
    assert _differences(fresh) == []


def test_a_late_alias_moves_the_old_user_ids_earlier_events(fresh) -> None:
    _insert_load(fresh, _calls(("track", "u1", None), ("track", "u2", "a2")), "one")
    _build(fresh)
    _insert_load(fresh, _calls(("alias", "u2", "u1")), "two")  # u1 merged into u2, later
    assert _build(fresh).detail == (
        "incremental: 1 new load(s), 1 changed lookup key(s), 2 key(s) recomputed"
    )
    assert fresh.execute("select user_id from staging.events").fetchall() == [("u2",), ("u2",)]
    assert _differences(fresh) == []


def test_nothing_new_recomputes_nothing(fresh) -> None:
    _late_identify_scenario(fresh)
    _build(fresh)
    run = _build(fresh)
    assert run.detail == (
        "incremental: 0 new load(s), 0 changed lookup key(s), 0 key(s) recomputed"
    )


def _copy_staging(root: Path) -> Path:
    (root / "staging").mkdir(parents=True)
    for name in ("events", "identity_map"):
        source = sql_dir() / "staging" / f"{name}.sql"
        (root / "staging" / f"{name}.sql").write_text(source.read_text())
    return root / "staging" / "events.sql"


def test_changing_the_model_sql_forces_a_full_rebuild(fresh, tmp_path: Path) -> None:
    events_sql = _copy_staging(tmp_path)
    _late_identify_scenario(fresh)
    _build(fresh, discover_models(tmp_path))
    events_sql.write_text(events_sql.read_text() + "\n-- a comment is a change too\n")
    run = _build(fresh, discover_models(tmp_path))
    assert run.detail.startswith("full rebuild: the model's SQL, parameters, config"), run.detail


INCREMENTAL_WITH_CONFIG = (
    "-- grain: event_id\n"
    "-- materialized: incremental by load_id\n"
    "select e.event_id, e.load_id, s.value as timezone, $tag as tag\n"
    "from raw.events as e cross join meta.config_settings as s where s.key = 'timezone'"
)


def _config(timezone: str):
    return parse_config({"analysis": {"timezone": timezone}}, base_dir=Path("."))


def test_changing_the_config_or_a_parameter_forces_a_full_rebuild(fresh, tmp_path) -> None:
    (tmp_path / "staging").mkdir()
    (tmp_path / "staging" / "tagged.sql").write_text(INCREMENTAL_WITH_CONFIG)
    models = discover_models(tmp_path)
    _late_identify_scenario(fresh)

    def build(timezone: str, tag: str) -> str:
        write_config_tables(fresh, _config(timezone))
        return run_models(fresh, models, {"tag": tag})[0].detail

    assert build("UTC", "x").startswith("full rebuild: no previous table")
    assert build("UTC", "x").startswith("incremental: 0 new load(s)")
    assert build("Europe/Paris", "x").startswith("full rebuild: the model's SQL, parameters")
    assert fresh.execute("select distinct timezone from staging.tagged").fetchall() == [
        ("Europe/Paris",)
    ]
    assert build("Europe/Paris", "y").startswith("full rebuild: the model's SQL, parameters")
    assert build("Europe/Paris", "y").startswith("incremental: 0 new load(s)")


def test_a_table_changed_outside_the_runner_is_rebuilt(fresh) -> None:
    _late_identify_scenario(fresh)
    _build(fresh)
    fresh.execute("delete from staging.events")
    run = _build(fresh)
    assert run.detail == "full rebuild: the table was changed outside the runner"
    assert _differences(fresh) == []


def test_raw_rows_deleted_by_hand_make_a_full_rebuild(fresh) -> None:
    _late_identify_scenario(fresh)
    _insert_load(fresh, _calls(("track", "u1", None), ("page", "u1", None)), "tuesday-2")
    _build(fresh)
    # raw is append-only by contract; a person deleting part of a load is noticed anyway
    fresh.execute("delete from raw.events where event_type = 'page'")
    run = _build(fresh)
    assert (
        run.detail == "full rebuild: 2 load(s) built earlier lost rows in raw.events (or are gone)"
    )
    assert _differences(fresh) == []


def test_a_model_stripped_of_its_grain_is_rebuilt(fresh) -> None:
    _late_identify_scenario(fresh)
    _build(fresh)
    ungrained = [replace(m, grain=None) for m in STAGING]  # as benchmarks/grain.py does
    assert _build(fresh, ungrained).detail == "full rebuild: no grain to key its rows by"


def test_a_large_share_to_recompute_is_rebuilt(fresh, monkeypatch) -> None:
    monkeypatch.setattr(incremental, "MAX_RECOMPUTED_SHARE", 0.25)
    _late_identify_scenario(fresh)  # 2 keys to recompute against 1 row: over 25 %
    _insert_load(fresh, [{"event_type": "track", "user_id": "u2", "anonymous_id": None,
                          "previous_id": None, "minute": 2}], "wednesday")  # fmt: skip
    run = _build(fresh)
    assert run.detail.startswith("full rebuild: 3 keys to recompute, over 25%"), run.detail
    assert _differences(fresh) == []


def _all_rows(table: str) -> str:
    return compose("select * from {t} order by all", t=tuple(table.split(".")))


def test_a_crash_mid_incremental_build_leaves_yesterdays_tables(fresh, tmp_path: Path) -> None:
    _copy_staging(tmp_path)
    _late_identify_scenario(fresh)
    before = {
        table: fresh.execute(_all_rows(table)).fetchall()
        for table in ("staging.events", "staging.identity_map", "meta.model_state",
                      "meta.model_loads")
    }  # fmt: skip
    # a model built after events fails: the events step ran (delete + insert), then rolls back
    (tmp_path / "staging" / "zz_broken.sql").write_text("select no_such_column from staging.events")
    with pytest.raises(WarehouseError, match="zz_broken"):
        run_models(fresh, discover_models(tmp_path))
    for table, rows in before.items():
        assert fresh.execute(_all_rows(table)).fetchall() == rows, table
    (tmp_path / "staging" / "zz_broken.sql").unlink()
    run = _build(fresh, discover_models(tmp_path))
    assert run.detail.startswith("incremental: 1 new load(s)")
    assert _differences(fresh) == []


def test_the_incremental_grain_check_catches_a_key_a_new_load_repeats(fresh) -> None:
    _late_identify_scenario(fresh)
    _build(fresh)
    kept = fresh.execute("select * from staging.events order by all").fetchall()
    # a raw row the ingest would never write: an event id an earlier load already holds
    fresh.execute(
        "insert into raw.events by name select * replace ('thursday' as load_id) "
        "from raw.events where event_type = 'page'"
    )
    with pytest.raises(WarehouseError, match=r"staging\.events .* breaks its grain"):
        _build(fresh)
    assert fresh.execute("select * from staging.events order by all").fetchall() == kept


@pytest.mark.parametrize(
    ("sql", "problem"),
    [
        ("-- grain: n\n-- materialized: incremental by load_id\nselect 1 as n", "one raw table"),
        (
            "-- materialized: incremental by load_id\nselect event_id from raw.events",
            "needs a '-- grain:'",
        ),
        (
            "-- grain: user_id\n-- materialized: incremental by load_id\n"
            "select user_id, count(*) as n from raw.events group by user_id",
            "aggregate",
        ),
        (
            "-- grain: event_id\n-- materialized: incremental by load_id\n"
            "select e.event_id from raw.events as e join staging.identity_map as m "
            "on m.alias_id = e.user_id",
            "declare or remove ['staging.identity_map']",
        ),
        (
            "-- grain: event_id\n-- materialized: incremental by load_id\n"
            "select event_id from raw.events union all select event_id from raw.events",
            "reads raw.events 2 times",
        ),
        (
            "-- grain: event_id\n-- materialized: incremental\nselect event_id from raw.events",
            "neither 'table' nor 'incremental by",
        ),
        (
            "-- grain: event_id\n-- recompute: user_id through staging.m (k -> v)\n"
            "select event_id from raw.events",
            "needs '-- materialized: incremental'",
        ),
    ],
)
def test_a_model_that_cannot_be_incremental_is_named(tmp_path: Path, sql: str, problem: str):
    (tmp_path / "staging").mkdir()
    (tmp_path / "staging" / "bad.sql").write_text(sql)
    with pytest.raises(WarehouseError, match=r"bad\.sql") as failure:
        discover_models(tmp_path)
    assert problem in str(failure.value)
