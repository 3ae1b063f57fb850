"""What a run does when the survey responses are those of the last fit: no refit.

The clustering, ids, labels and trend depend only on the staged responses and the settings
(:func:`input_fingerprint`); the behaviour links and priorities also read events, which
every run adds. When the fingerprint matches the last fit's, only those are recomputed.
Nothing here imports scikit-learn: a scheduled run that adds a day of events pays neither
its import nor the fit (``pain_points.build`` does both, and only when a refit is due).
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from pmanalytics.config import Config
from pmanalytics.pain_points.behaviour import compute_behaviour, empty_behaviour
from pmanalytics.pain_points.store import table_exists, write_tables
from pmanalytics.pain_points.summaries import priorities


@dataclass
class PainPointResult:
    """What a run produced, for the CLI, flows and tests."""

    responses: int
    comments: int
    empty_comments: int
    clustered_comments: int
    pain_points: pd.DataFrame
    priorities: pd.DataFrame
    k_selection: str
    k_scores: dict[int, float] = field(default_factory=dict)
    retired: list[str] = field(default_factory=list)
    seconds: float = 0.0
    #: False when the survey responses were unchanged since the last run, so the clustering
    #: was kept and only what depends on events (behaviour, priorities) was recomputed
    refitted: bool = True
    #: what customers love: the praise clauses' themes (same columns as ``pain_points``)
    delighters: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: non-empty when the representation changed since the stored ids were issued
    identity_note: str = ""

    @property
    def n_pain_points(self) -> int:
        return int((self.pain_points["status"] == "active").sum()) if len(self.pain_points) else 0


def input_fingerprint(con: duckdb.DuckDBPyConnection, config: Config) -> str:
    """What everything but the behaviour links depends on: the staged responses and settings.

    Equal fingerprints mean the clustering, ids, NPS figures and trend of the last run still
    hold; only the behaviour links (which read events) can have changed. The code that
    computes them is part of the input: an upgraded labeller must not reuse stale labels.
    """
    settings = json.dumps(
        {
            "code": _code_digest(),
            "pain_points": config.pain_points.model_dump(mode="json"),
            "timezone": config.analysis.timezone,
            "week_start": config.analysis.week_start,
        },
        sort_keys=True,
    )
    rows = ""
    if table_exists(con, "staging", "survey_responses"):
        row = con.execute(
            "select count(*), md5(coalesce(string_agg(hash(response_id, user_id, metric, score, "
            "submitted_at, comment)::varchar, ',' order by response_id), '')) "
            "from staging.survey_responses"
        ).fetchone()
        rows = f"{row[0]}:{row[1]}" if row else ""
    return hashlib.sha256(f"{settings}|{rows}".encode()).hexdigest()


@functools.cache
def _code_digest() -> str:
    """A digest of this package's source: what turns responses into pain points."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _previous_fingerprint(con: duckdb.DuckDBPyConnection) -> str | None:
    if not table_exists(con, "marts", "pain_point_summary"):
        return None
    columns = {
        name
        for (name,) in con.execute(
            "select column_name from duckdb_columns() "
            "where schema_name = 'marts' and table_name = 'pain_point_summary'"
        ).fetchall()
    }
    if "input_fingerprint" not in columns:  # written by an older version: refit
        return None
    row = con.execute("select max(input_fingerprint) from marts.pain_point_summary").fetchone()
    return row[0] if row else None


def refresh_if_unchanged(
    con: duckdb.DuckDBPyConnection, config: Config, fingerprint: str | None = None
) -> PainPointResult | None:
    """Same responses and settings as the last fit: keep the clustering, recompute what reads
    events (behaviour links, priorities) and return the result; ``None`` when a refit is due.

    ``fingerprint`` is :func:`input_fingerprint`'s, when the caller has it already (it reads
    every staged response).
    """
    started = time.perf_counter()
    if fingerprint is None:
        fingerprint = input_fingerprint(con, config)
    if _previous_fingerprint(con) != fingerprint:
        return None
    settings = config.pain_points
    pain_points = con.execute("select * from marts.pain_points").df()
    members = con.execute(
        "select c.pain_point_id, r.user_id, r.submitted_at from marts.pain_point_comments c "
        "join staging.survey_responses r using (response_id)"
    ).df()
    behaviour = (
        compute_behaviour(
            con,
            members,
            window_days=settings.behaviour_window_days,
            min_support=settings.min_event_support,
            top_events=settings.top_events,
        )
        if len(members)
        else empty_behaviour()
    )
    ranked = priorities(pain_points, behaviour) if len(pain_points) else pd.DataFrame()
    summary = con.execute("select * from marts.pain_point_summary").df()
    summary["built_at"] = datetime.now(UTC).replace(tzinfo=None)
    summary["input_fingerprint"] = fingerprint
    summary["refitted"] = False
    write_tables(
        con,
        {
            ("marts", "pain_point_behaviour"): behaviour,
            ("marts", "pain_point_priorities"): ranked,
            ("marts", "pain_point_summary"): summary,
        },
        only_given=True,
    )
    row = summary.iloc[0]
    delighters = (
        con.execute("select * from marts.delighters").df()
        if table_exists(con, "marts", "delighters")
        else pd.DataFrame()
    )
    retired = (
        []
        if pain_points.empty
        else list(pain_points.loc[pain_points["status"] == "retired", "pain_point_id"])
    )
    return PainPointResult(
        responses=int(row["responses"]),
        comments=int(row["comments"]),
        empty_comments=int(row["empty_comments"]),
        clustered_comments=int(row["clustered_comments"]),
        pain_points=pain_points,
        priorities=ranked,
        k_selection=f"{row['k_selection']}; reused, survey responses unchanged",
        k_scores={int(k): float(v) for k, v in json.loads(row["k_scores"] or "{}").items()},
        retired=retired,
        seconds=time.perf_counter() - started,
        refitted=False,
        delighters=delighters,
    )
