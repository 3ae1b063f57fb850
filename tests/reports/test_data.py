"""Loaders on hand-made marts: the right rows, fixed columns, empty when not built."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import duckdb
import pytest

from pmanalytics.reports import data
from pmanalytics.warehouse import compose
from tests.reports.helpers import create_pain_point_tables


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    for schema in ("marts", "meta", "quarantine"):
        connection.execute(compose("create schema {s}", s=schema))
    yield connection
    connection.close()


def test_missing_tables_give_empty_frames_with_the_contract_columns(con) -> None:
    frame = data.load_active_users(con)
    assert frame.empty and list(frame.columns) == [
        "activity_date",
        "dau",
        "wau",
        "mau",
        "stickiness",
    ]
    for loader in (
        data.load_retention,
        data.load_lifecycle,
        data.load_funnels,
        data.load_feature_adoption,
        data.load_activation,
        data.load_survey_scores,
        data.load_validation_summary,
        data.load_quarantine_counts,
        data.load_quarantine_totals,
    ):
        assert loader(con).empty
    assert data.load_pain_points(con) is None
    assert data.load_settings(con) == {"week_start": "monday", "activation_within_days": 7}


def test_active_users_are_read_in_date_order(con) -> None:
    con.execute(
        "create table marts.kpi_active_users as select * from (values "
        "(date '2026-01-02', 2, 3, 4, 0.5), (date '2026-01-01', 1, 1, 1, 1.0)) "
        "t(activity_date, dau, wau, mau, stickiness)"
    )
    frame = data.load_active_users(con)
    assert [d.date() for d in frame["activity_date"]] == [date(2026, 1, 1), date(2026, 1, 2)]
    assert frame["dau"].tolist() == [1, 2]


def test_pain_points_load_all_four_tables(con) -> None:
    create_pain_point_tables(con)
    loaded = data.load_pain_points(con)
    assert loaded is not None
    assert loaded.priorities["pain_point_id"].tolist() == ["pp-exports", "pp-xss", "pp-price"]
    first = loaded.pain_points.iloc[0]
    assert first["pain_point_id"] == "pp-exports"
    assert list(first["example_comments"]) == [
        "The PDF export fails every time",
        "export times out, error 500",
    ]
    assert len(loaded.trend) == 9 and len(loaded.behaviour) == 3


def test_pain_points_without_optional_tables(con) -> None:
    create_pain_point_tables(con)
    con.execute("drop table marts.pain_point_trend")
    loaded = data.load_pain_points(con)
    assert loaded is not None and loaded.trend.empty
    assert list(loaded.trend.columns) == ["pain_point_id", "period_start", "comments", "share"]


def test_validation_summary_is_the_latest_run_failures_first(con) -> None:
    con.execute(
        "create table meta.validation_results (run_id varchar, table_name varchar, expectation "
        "varchar, severity varchar, success boolean, unexpected_count bigint, details json, "
        "validated_at timestamp)"
    )
    con.execute(
        "insert into meta.validation_results values "
        "('old', 'staging.events', 'a', 'critical', false, 3, '{}', '2026-01-01'), "
        "('new', 'staging.events', 'a', 'critical', true, 0, '{}', '2026-01-02'), "
        "('new', 'staging.events', 'b', 'warning', false, null, "
        '\'{"observed_value": 0.7, "summary": "share ok"}\', \'2026-01-02\')'
    )
    frame = data.load_validation_summary(con)
    assert frame["run_id"].unique().tolist() == ["new"]
    assert frame["expectation"].tolist() == ["b", "a"]
    assert frame.loc[0, "observed"] == "0.7" and frame.loc[0, "summary"] == "share ok"


def test_quarantine_top_reasons_and_totals_never_read_raw_records(con) -> None:
    for table in ("events", "users", "survey_responses"):
        con.execute(
            f"create table quarantine.{table} (source_file varchar, row_number bigint, "
            "reason varchar, raw_record varchar, quarantined_at timestamp)"
        )
    con.execute(
        "insert into quarantine.events values ('a.json', 3, 'bad json', 'secret@x.com', null), "
        "('a.json', 1, 'bad json', 'secret@x.com', null), ('b.json', 9, 'no name', '{}', null)"
    )
    reasons = data.load_quarantine_counts(con, top=1)
    assert reasons.to_dict("records") == [
        {
            "table_name": "events",
            "kind": "bad json",
            "n_rows": 2,
            "examples": ["bad json"],
            "example_file": "a.json",
            "example_row": 1,
        }
    ]
    assert "secret" not in reasons.to_string()
    totals = data.load_quarantine_totals(con)
    assert totals.to_dict("records") == [
        {"table_name": "events", "n_rows": 3},
        {"table_name": "users", "n_rows": 0},
        {"table_name": "survey_responses", "n_rows": 0},
    ]


def test_lifecycle_first_period_has_no_history_with_or_without_the_column(con) -> None:
    con.execute(
        "create table marts.kpi_lifecycle as select * from (values "
        "('week', date '2026-01-05', 'new', 3), ('week', date '2026-01-12', 'new', 2), "
        "('month', date '2026-01-01', 'new', 5)) t(period, period_start, status, users)"
    )
    derived = data.load_lifecycle(con)  # built before the mart had has_history
    assert derived["has_history"].tolist() == [False, False, True]
    con.execute("alter table marts.kpi_lifecycle add column has_history boolean default true")
    assert data.load_lifecycle(con)["has_history"].tolist() == [True, True, True]  # as stored


def test_delighters_count_their_comments_that_also_raise_a_pain_point(con) -> None:
    create_pain_point_tables(con)
    # response r1 praises and complains (two clauses), r2 praises twice, r3 only complains
    con.execute(
        "create table marts.comment_clauses as select * from (values "
        "('r1', 1, 'dl-dash', null), ('r1', 2, null, 'pp-exports'), "
        "('r2', 1, 'dl-dash', null), ('r2', 2, 'dl-dash', null), "
        "('r3', 1, null, 'pp-exports'), ('r3', 2, 'dl-xss', null), "
        "('r3', 3, null, 'pp-price')) t(response_id, clause_no, delighter_id, pain_point_id)"
    )
    loaded = data.load_pain_points(con)
    assert loaded is not None
    delighters = loaded.delighters.set_index("pain_point_id")
    counts = delighters["with_pain_point"].to_dict()
    assert counts == {"dl-dash": 1, "dl-xss": 1}
    con.execute("drop table marts.comment_clauses")
    without = data.load_pain_points(con)
    assert without is not None and without.delighters["with_pain_point"].isna().all()


def test_a_themes_own_score_needs_five_responses(con) -> None:
    create_pain_point_tables(con)
    con.execute("create schema staging")
    con.execute(
        "create table staging.survey_responses (response_id varchar, metric varchar, score double)"
    )
    con.execute("delete from marts.pain_point_comments")
    # pp-exports: five CSAT answers, 4 of them 4-5 of 5 → 80 %; pp-price: four answers
    answers = [("pp-exports", f"e{i}", 5 if i < 4 else 1) for i in range(5)]
    answers += [("pp-price", f"p{i}", 5) for i in range(4)]
    for theme, response, score in answers:
        con.execute(
            "insert into marts.pain_point_comments (pain_point_id, response_id) values (?, ?)",
            [theme, response],
        )
        con.execute("insert into staging.survey_responses values (?, 'csat', ?)", [response, score])
    scores = data.load_theme_scores(con)
    assert scores[["theme_id", "metric", "responses"]].values.tolist() == [
        ["pp-exports", "csat", 5]
    ]
    assert scores["score"].tolist() == [80.0]
