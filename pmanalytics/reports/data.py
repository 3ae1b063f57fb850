"""Load what the report shows from the marts, meta and quarantine tables.

Every loader reads one contract table (DESIGN.md) with constant SQL and returns a pandas
DataFrame with fixed columns: empty, not an error, when the table has not been built yet, so
that a half-built warehouse still gives a report with a clear note where data is missing.
Values reach SQL only as bound parameters. Notebooks can use these loaders directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd

from pmanalytics.quality.reasons import QUARANTINE_TABLES, quarantine_reason_groups
from pmanalytics.warehouse import compose, table_exists

PAIN_POINT_TABLES = (
    "pain_points",
    "pain_point_priorities",
    "pain_point_trend",
    "pain_point_behaviour",
    "pain_point_comments",
)


def _read(
    con: duckdb.DuckDBPyConnection,
    schema: str,
    table: str,
    sql: str,
    columns: Sequence[str],
    params: Sequence[Any] | None = None,
) -> pd.DataFrame:
    """Run constant ``sql`` if ``schema.table`` exists, else an empty frame with ``columns``."""
    if not table_exists(con, schema, table):
        return pd.DataFrame({c: [] for c in columns})
    frame = con.execute(sql, list(params or [])).df()
    return frame[list(columns)]


# --------------------------------------------------------------------------- KPI marts


def load_settings(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """The typed settings row the marts were built with (week start, activation window,
    and the as-of date they run to: ``headline_kpis`` measures complete weeks from it)."""
    defaults: dict[str, Any] = {"week_start": "monday", "activation_within_days": 7}
    frame = _read_columns(
        con,
        ("intermediate", "int_settings"),
        ["week_start", "activation_within_days", "activation_event", "timezone"],
        ["as_of_date"],
        "limit 1",
    )
    if frame.empty:
        return defaults
    row = frame.iloc[0]
    settings = {
        "week_start": row["week_start"] or "monday",
        "activation_within_days": int(row["activation_within_days"])
        if not pd.isna(row["activation_within_days"])
        else 7,
        "activation_event": row["activation_event"],
        "timezone": row["timezone"] or "UTC",
    }
    if not pd.isna(row["as_of_date"]):
        settings["as_of_date"] = pd.Timestamp(row["as_of_date"]).date()
    return settings


def load_active_users(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """``marts.kpi_active_users``: one row per day."""
    cols = ["activity_date", "dau", "wau", "mau", "stickiness"]
    return _read(
        con,
        "marts",
        "kpi_active_users",
        "select activity_date, dau, wau, mau, stickiness "
        "from marts.kpi_active_users order by activity_date",
        cols,
    )


def load_retention(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """``marts.kpi_retention``: every period type and retention type (the heatmap switches)."""
    cols = [
        "period",
        "retention_type",
        "cohort_start",
        "period_number",
        "cohort_size",
        "retained_users",
        "retention_rate",
        "unbounded_retention_rate",
    ]
    return _read(
        con,
        "marts",
        "kpi_retention",
        "select period, retention_type, cohort_start, period_number, cohort_size, "
        "retained_users, retention_rate, unbounded_retention_rate from marts.kpi_retention "
        "order by period, retention_type, cohort_start, period_number",
        cols,
    )


def load_lifecycle(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """``marts.kpi_lifecycle``: period × status, dormant already negative, and
    ``has_history``: false in the data's first period of each kind, whose "resurrecting"
    users are really users seen before the data begins."""
    frame = _read_columns(
        con,
        ("marts", "kpi_lifecycle"),
        ["period", "period_start", "status", "users"],
        ["has_history"],
        "order by period, period_start, status",
    )
    if frame["has_history"].isna().all():
        # a mart without the column (built before it had one): the same rule, derived here
        first = frame.groupby("period")["period_start"].transform("min")
        frame["has_history"] = frame["period_start"] > first
    return frame


def load_funnels(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """``marts.kpi_funnel``: every configured funnel, step by step."""
    cols = [
        "funnel",
        "step_number",
        "step_event",
        "users",
        "conversion_from_start",
        "conversion_from_previous",
        "median_seconds_from_previous",
    ]
    return _read(
        con,
        "marts",
        "kpi_funnel",
        "select funnel, step_number, step_event, users, conversion_from_start, "
        "conversion_from_previous, median_seconds_from_previous from marts.kpi_funnel "
        "order by funnel, step_number",
        cols,
    )


def load_feature_adoption(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """``marts.kpi_feature_adoption``: feature × week."""
    cols = ["feature", "period_start", "feature_users", "active_users", "adoption_rate"]
    return _read(
        con,
        "marts",
        "kpi_feature_adoption",
        "select feature, period_start, feature_users, active_users, adoption_rate "
        "from marts.kpi_feature_adoption order by feature, period_start",
        cols,
    )


def load_activation(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """``marts.kpi_activation``: weekly signup cohorts."""
    cols = [
        "cohort_start",
        "signups",
        "activated",
        "activation_rate",
        "median_seconds_to_activation",
    ]
    return _read(
        con,
        "marts",
        "kpi_activation",
        "select cohort_start, signups, activated, activation_rate, median_seconds_to_activation "
        "from marts.kpi_activation order by cohort_start",
        cols,
    )


SURVEY_SCORE_COLUMNS = [
    "metric",
    "period_start",
    "segment",
    "segment_value",
    "responses",
    "score",
    "ci_low",
    "ci_high",
    "is_low_sample",
]


def table_columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> set[str]:
    """The columns ``schema.table`` has (empty when it does not exist): lets a loader read a
    warehouse built by an earlier version, before a column was added."""
    rows = con.execute(
        "select column_name from duckdb_columns() where schema_name = ? and table_name = ?",
        [schema, table],
    ).fetchall()
    return {r[0] for r in rows}


def load_survey_scores(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """``marts.kpi_survey_scores``, monthly rows: metric × month × segment, with the 95%
    interval (the trend and the latest-month breakdown)."""
    select = (
        "select metric, period_start, segment, segment_value, responses, score, ci_low, "
        "ci_high, coalesce(is_low_sample, false) as is_low_sample from marts.kpi_survey_scores "
    )
    order = " order by metric, period_start, segment, segment_value"
    if "period" in table_columns(con, "marts", "kpi_survey_scores"):
        sql = select + "where period = 'month'" + order
    else:  # built before the mart had rolling and all-time rows: every row is monthly
        sql = select + order
    return _read(con, "marts", "kpi_survey_scores", sql, SURVEY_SCORE_COLUMNS)


def load_survey_score_windows(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """``marts.kpi_survey_scores``, the last 90 days and all time (undated responses count in
    all time only): each window's first and last day, metric × segment."""
    cols = ["period", "period_end", *SURVEY_SCORE_COLUMNS]
    if "period" not in table_columns(con, "marts", "kpi_survey_scores"):
        return pd.DataFrame({c: [] for c in cols})
    return _read(
        con,
        "marts",
        "kpi_survey_scores",
        "select period, period_end, metric, period_start, segment, segment_value, responses, "
        "score, ci_low, ci_high, coalesce(is_low_sample, false) as is_low_sample "
        "from marts.kpi_survey_scores where period in ('last_90_days', 'all_time') "
        "order by metric, period, segment, segment_value",
        cols,
    )


# --------------------------------------------------------------------------- pain points


@dataclass
class PainPointData:
    """The pain-point marts, or ``None`` from :func:`load_pain_points` when not built."""

    pain_points: pd.DataFrame
    priorities: pd.DataFrame
    trend: pd.DataFrame
    behaviour: pd.DataFrame
    #: what customers love (``marts.delighters``), biggest first; empty when not built
    delighters: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: CSAT / CES of each pain point's and delighter's responses (:func:`load_theme_scores`)
    theme_scores: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: every respondent's score per metric over all time, to compare a theme's with
    overall_scores: dict[str, float] = field(default_factory=dict)


def _read_columns(
    con: duckdb.DuckDBPyConnection,
    table: tuple[str, str],
    required: Sequence[str],
    optional: Sequence[str] = (),
    tail: str = "",
) -> pd.DataFrame:
    """``required`` and whichever ``optional`` columns ``table`` has (the rest as nulls), with
    constant ``tail`` SQL (``where`` / ``order by``): the pain-point stage adds columns over
    time, and a warehouse from an earlier version still gives a report."""
    have = table_columns(con, *table)
    if not have:
        return pd.DataFrame({c: [] for c in [*required, *optional]})
    present = [c for c in optional if c in have]
    sql = compose("select {columns} from {table} ", columns=[*required, *present], table=table)
    frame = con.execute(sql + tail).df()
    for column in optional:
        if column not in frame:
            frame[column] = None
    return frame[[*required, *optional]]


PAIN_POINT_COLUMNS = [
    "pain_point_id",
    "label",
    "keywords",
    "comments",
    "share",
    "mean_score",
    "nps",
    "detractor_share",
    "nps_impact",
    "example_comments",
    "first_seen",
    "last_seen",
]
#: Columns beyond the contract that the report explains a ranking with, when present.
PAIN_POINT_EXTRAS = [
    "nps_impact_ci_low",
    "nps_impact_ci_high",
    "nps_responses",
    "respondents",
    "is_emerging",
    "score_cost_ci_low",
    "score_cost_ci_high",
]


def load_pain_points(
    con: duckdb.DuckDBPyConnection, windows: pd.DataFrame | None = None
) -> PainPointData | None:
    """The pain-point tables; ``None`` unless ``marts.pain_points`` and priorities exist.

    The trend, behaviour and delighter tables are optional extras: missing ones come back
    empty, as do columns a warehouse built by an earlier version lacks.
    """
    if not (
        table_exists(con, "marts", "pain_points")
        and table_exists(con, "marts", "pain_point_priorities")
    ):
        return None
    pain_points = _read_columns(
        con,
        ("marts", "pain_points"),
        PAIN_POINT_COLUMNS,
        PAIN_POINT_EXTRAS,
        "order by pain_point_id",
    )
    priorities = _read_columns(
        con,
        ("marts", "pain_point_priorities"),
        ["rank", "pain_point_id", "label", "reach", "impact", "confidence", "priority"],
        [
            "nps_cost",
            "retention_gap",
            "is_pain",
            "score_metric",
            "score_cost",
            "retention_factor",
            "uses_retention",
        ],
        "order by rank",
    )
    trend = _read(
        con,
        "marts",
        "pain_point_trend",
        "select pain_point_id, period_start, comments, share from marts.pain_point_trend "
        "order by pain_point_id, period_start",
        ["pain_point_id", "period_start", "comments", "share"],
    )
    behaviour = _read_columns(
        con,
        ("marts", "pain_point_behaviour"),
        ["pain_point_id", "measure", "respondents_value", "others_value", "ratio"],
        ["respondents", "others"],
        "order by pain_point_id, measure",
    )
    delighters = _read_columns(
        con,
        ("marts", "delighters"),
        ["pain_point_id", "label", "comments", "nps", "example_comments"],
        ["share", "score_metric", "score_cost", "score_cost_ci_low"],
        "where status = 'active' order by comments desc, pain_point_id",
    )
    delighters = _with_pain_point_counts(con, delighters)
    if windows is None:  # the report passes the frame it already read
        windows = load_survey_score_windows(con)
    overall = windows[(windows["period"] == "all_time") & (windows["segment"] == "all")]
    return PainPointData(
        pain_points,
        priorities,
        trend,
        behaviour,
        delighters,
        load_theme_scores(con),
        {str(r.metric): float(r.score) for r in overall.itertuples()},
    )


#: Per delighter, how many of its responses also have a clause in a pain point (constant SQL).
DELIGHTER_COMPLAINTS = (
    "with praised as (select distinct delighter_id, response_id from marts.comment_clauses "
    "where delighter_id is not null), "
    "complained as (select distinct response_id from marts.comment_clauses "
    "where pain_point_id is not null) "
    "select praised.delighter_id as pain_point_id, "
    "count(complained.response_id) as with_pain_point "
    "from praised left join complained using (response_id) group by praised.delighter_id"
)


def _with_pain_point_counts(
    con: duckdb.DuckDBPyConnection, delighters: pd.DataFrame
) -> pd.DataFrame:
    """``delighters`` plus ``with_pain_point``: its comments that also raise a pain point.

    Praise such as "otherwise great" after a complaint is still praise to the clause
    splitter; the count lets the report say how often the praise came with a complaint.
    """
    if delighters.empty or not {"delighter_id", "pain_point_id"} <= table_columns(
        con, "marts", "comment_clauses"
    ):
        return delighters.assign(with_pain_point=pd.Series(dtype="Int64"))
    counts = con.execute(DELIGHTER_COMPLAINTS).df()
    merged = delighters.merge(counts, on="pain_point_id", how="left")
    merged["with_pain_point"] = merged["with_pain_point"].fillna(0).astype("Int64")
    return merged


def load_theme_scores(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """CSAT and CES of the responses in each pain point and delighter, per metric, where
    it has at least ``MIN_THEME_RESPONSES`` of them.

    The pain-point marts give NPS only (and a mean rescaled to 0–10); a PM with a CSAT or
    CES survey wants that scale: CSAT = % of 4–5 on 1–5, CES = mean on 1–7 (docs/metrics.md).
    Reads which responses a theme holds (``marts.pain_point_comments``,
    ``marts.comment_clauses``) and their scores (``staging.survey_responses``).
    """
    cols = ["theme_id", "metric", "responses", "score"]
    frames = [
        con.execute(THEME_SCORES.format(members=members), [MIN_THEME_RESPONSES]).df()
        for table, members in THEME_MEMBERS.items()
        if table_exists(con, "marts", table) and table_exists(con, "staging", "survey_responses")
    ]
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame({c: [] for c in cols})
    return pd.concat(frames, ignore_index=True)[cols]


#: Fewest responses a theme's own CSAT or CES is shown from: one or two answers are an
#: anecdote, not a score (the demo's pain points had 1 to 5 each). The same 5 as the trend
#: chart's periods.
MIN_THEME_RESPONSES = 5
#: Which responses each theme holds, per table (constant SQL).
THEME_MEMBERS = {
    "pain_point_comments": "select pain_point_id, response_id from marts.pain_point_comments",
    "comment_clauses": "select delighter_id, response_id from marts.comment_clauses "
    "where delighter_id is not null",
}
THEME_SCORES = (
    "with members as (select distinct * from ({members}) as m (theme_id, response_id)) "
    "select members.theme_id, r.metric, count(*) as responses, "
    "case r.metric when 'csat' then 100.0 * avg(case when r.score >= 4 then 1 else 0 end) "
    "else avg(r.score) end as score "
    "from members join staging.survey_responses as r using (response_id) "
    "where r.metric in ('csat', 'ces') and r.score is not null "
    "group by members.theme_id, r.metric having count(*) >= ? "
    "order by members.theme_id, r.metric"
)


# --------------------------------------------------------------------------- data quality


def load_validation_summary(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every expectation of the latest validation run (failures first)."""
    cols = [
        "run_id",
        "table_name",
        "expectation",
        "severity",
        "success",
        "unexpected_count",
        "observed",
        "threshold",
        "summary",
        "validated_at",
    ]
    if not table_exists(con, "meta", "validation_results"):
        return pd.DataFrame({c: [] for c in cols})
    latest = con.execute(
        "select run_id from meta.validation_results order by validated_at desc limit 1"
    ).fetchone()
    if latest is None:
        return pd.DataFrame({c: [] for c in cols})
    return _read(
        con,
        "meta",
        "validation_results",
        "select run_id, table_name, expectation, severity, success, unexpected_count, "
        "details ->> '$.observed_value' as observed, "
        "details -> '$.kwargs' ->> '$.max_value' as threshold, details ->> '$.summary' as summary, "
        "validated_at from meta.validation_results where run_id = ? "
        "order by success, severity = 'critical' desc, table_name, expectation",
        cols,
        [latest[0]],
    )


def load_quarantine_counts(con: duckdb.DuckDBPyConnection, top: int = 5) -> pd.DataFrame:
    """Rejected rows per quarantine table and reason kind, the ``top`` kinds of each table,
    with three example reasons each (see ``pmanalytics.quality.reasons``)."""
    return quarantine_reason_groups(con, top=top)


def load_quarantine_totals(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Total rejected rows per quarantine table (zero rows shown as zero, not hidden)."""
    rows = []
    for table in QUARANTINE_TABLES:
        if not table_exists(con, "quarantine", table):
            continue
        sql = compose("select count(*) from {table}", table=("quarantine", table))
        count = con.execute(sql).fetchone()
        rows.append({"table_name": table, "n_rows": int(count[0]) if count else 0})
    return pd.DataFrame(rows, columns=["table_name", "n_rows"])
