"""Hand-made inputs for the report tests: XSS strings and pain-point tables per DESIGN.md."""

from __future__ import annotations

import duckdb

# if either ever runs, it sets window.__xss; the browser test checks it never does
XSS_SCRIPT = "<script>window.__xss=1</script>"
XSS_IMG = '<img src=x onerror="window.__xss=2">'
PHONE = "+44 20 7946 0958"

PAIN_POINTS = [
    # id, label, keywords, comments, share, nps, nps_impact, examples
    (
        "pp-exports",
        "Exports fail",
        ["export", "pdf"],
        40,
        0.2,
        -45.0,
        6.5,
        ["The PDF export fails every time", "export times out, error 500"],
    ),
    (
        "pp-xss",
        "Slow " + XSS_SCRIPT,
        ["slow", XSS_IMG],
        20,
        0.1,
        -20.0,
        2.0,
        [XSS_SCRIPT + " dashboards are slow", XSS_IMG, "call me on " + PHONE],
    ),
    ("pp-price", "Too expensive", ["price"], 10, 0.05, 5.0, 0.5, ["per-seat price too high"]),
]


DELIGHTERS = [
    # id, label, comments, examples (what customers love)
    ("dl-dash", "Dashboards look great", 30, ["love the dashboards, call me " + PHONE]),
    ("dl-xss", "Support " + XSS_SCRIPT, 12, [XSS_IMG + " support was quick"]),
]


def create_pain_point_tables(con: duckdb.DuckDBPyConnection) -> None:
    """The five pain-point marts with the DESIGN.md columns and three pain points."""
    con.execute("create schema if not exists marts")
    con.execute(
        "create or replace table marts.pain_points (pain_point_id varchar, label varchar, "
        "keywords varchar[], comments integer, share double, mean_score double, nps double, "
        "detractor_share double, nps_impact double, example_comments varchar[], "
        "first_seen date, last_seen date)"
    )
    con.execute(
        "create or replace table marts.pain_point_priorities (rank integer, pain_point_id "
        "varchar, label varchar, reach double, impact double, confidence double, priority double)"
    )
    con.execute(
        "create or replace table marts.pain_point_trend (pain_point_id varchar, "
        "period_start date, comments integer, share double)"
    )
    con.execute(
        "create or replace table marts.pain_point_behaviour (pain_point_id varchar, "
        "measure varchar, respondents_value double, others_value double, ratio double)"
    )
    con.execute(
        "create or replace table marts.pain_point_comments (response_id varchar, "
        "pain_point_id varchar, similarity double)"
    )
    for rank, (pid, label, keywords, comments, share, nps, impact, examples) in enumerate(
        PAIN_POINTS, start=1
    ):
        con.execute(
            "insert into marts.pain_points values (?, ?, ?, ?, ?, 4.0, ?, 0.6, ?, ?, "
            "date '2026-08-03', date '2026-09-28')",
            [pid, label, keywords, comments, share, nps, impact, examples],
        )
        con.execute(
            "insert into marts.pain_point_priorities values (?, ?, ?, ?, ?, 0.9, ?)",
            [rank, pid, label, share, impact, share * impact * 0.9],
        )
        for week, day in enumerate(("2026-08-03", "2026-08-10", "2026-08-17")):
            con.execute(
                "insert into marts.pain_point_trend values (?, cast(? as date), ?, ?)",
                [pid, day, comments // 3 + week, share + week / 100],
            )
    con.execute(
        "insert into marts.pain_point_behaviour values "
        "('pp-exports', 'Export Failed events per user', 12.0, 1.0, 12.0), "
        "('pp-exports', 'weekly retention', 0.4, 0.6, 0.667), "
        "('pp-xss', ?, 3.0, 1.0, 3.0)",
        ["events " + XSS_IMG],
    )
    # the pain-point stage's columns beyond the contract: the exports pain point is emerging
    con.execute("alter table marts.pain_points add column is_emerging boolean default false")
    con.execute("update marts.pain_points set is_emerging = pain_point_id = 'pp-exports'")

    con.execute(
        "create or replace table marts.delighters as select *, 'active' as status "
        "from marts.pain_points limit 0"
    )
    for pid, label, comments, examples in DELIGHTERS:
        con.execute(
            "insert into marts.delighters (pain_point_id, label, comments, nps, "
            "example_comments, status) values (?, ?, ?, 60.0, ?, 'active')",
            [pid, label, comments, examples],
        )


def drop_pain_point_tables(con: duckdb.DuckDBPyConnection) -> None:
    for table in (
        "delighters",
        "pain_points",
        "pain_point_priorities",
        "pain_point_trend",
        "pain_point_behaviour",
        "pain_point_comments",
    ):
        con.execute("drop table if exists marts." + table)
