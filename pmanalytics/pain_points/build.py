"""``build_pain_points``: staging → clustered, matched, measured pain points → marts.

Reads ``staging.survey_responses`` (and ``staging.events`` for behaviour), fits the
estimator, keeps ids stable against ``meta.pain_point_state`` and replaces every
``marts.pain_point*`` table plus the state in one transaction.
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
import numpy as np
import pandas as pd
from sklearn.base import clone

from pmanalytics.config import Config, PainPointsConfig
from pmanalytics.pain_points.behaviour import compute_behaviour, empty_behaviour
from pmanalytics.pain_points.estimator import AutoKMeans, PainPointClusterer
from pmanalytics.pain_points.identity import match_clusters
from pmanalytics.pain_points.representation import (
    CharTfidfRepresentation,
    SentenceEmbeddingRepresentation,
    hashed_signatures,
)
from pmanalytics.pain_points.store import (
    PreviousState,
    empty_frame,
    read_state,
    table_exists,
    write_tables,
)
from pmanalytics.pain_points.summaries import (
    emerging,
    pain_point_stats,
    pick_examples,
    priorities,
    week_starts,
    weekly_trend,
)
from pmanalytics.pain_points.text import has_content, redact_pii


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

    @property
    def n_pain_points(self) -> int:
        return int((self.pain_points["status"] == "active").sum()) if len(self.pain_points) else 0


def make_estimator(settings: PainPointsConfig) -> PainPointClusterer:
    """The estimator the config describes (representation, k range, seed)."""
    if settings.representation == "embeddings":
        representation = SentenceEmbeddingRepresentation(model=settings.embeddings_model)
    else:
        representation = CharTfidfRepresentation(random_state=settings.random_state)
    clusterer = AutoKMeans(
        n_clusters=settings.n_clusters,
        min_k=settings.min_k,
        max_k=settings.max_k,
        random_state=settings.random_state,
    )
    return PainPointClusterer(
        representation=representation,
        clusterer=clusterer,
        random_state=settings.random_state,
        max_fit_comments=settings.max_fit_comments,
    )


def load_responses(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every staged survey response in a fixed order (the fit must not depend on scan order)."""
    if not table_exists(con, "staging", "survey_responses"):
        return pd.DataFrame(
            columns=["response_id", "user_id", "metric", "score", "submitted_at", "comment"]
        )
    return con.execute(
        "select response_id, user_id, metric, score, submitted_at, comment "
        "from staging.survey_responses order by response_id"
    ).df()


def _examples(est: PainPointClusterer, comments: pd.DataFrame, cluster: int) -> list[str]:
    members = np.flatnonzero(est.labels_ == cluster)
    top = members[np.argsort(-est.similarities_[members], kind="stable")[:50]]
    texts = comments["text"].iloc[top].tolist()
    return pick_examples(texts, est.similarities_[top], est.embed(texts))


def _pain_point_rows(
    comments: pd.DataFrame,
    responses: pd.DataFrame,
    est: PainPointClusterer | None,
    ids: list[str],
    previous: PreviousState,
    retired: list[str],
    settings: PainPointsConfig,
) -> pd.DataFrame:
    frames = []
    if est is not None:
        stats = pain_point_stats(
            comments, responses, n_bootstrap=settings.n_bootstrap, seed=settings.random_state
        ).set_index("pain_point_id")
        old_first = dict(zip(previous.ids, previous.first_seen, strict=True))
        rows = []
        for cluster, pid in enumerate(ids):
            first = stats.at[pid, "first_seen"]
            if old_first.get(pid) is not None and (pd.isna(first) or old_first[pid] < first):
                first = old_first[pid]
            rows.append(
                {
                    **stats.loc[pid].to_dict(),
                    "pain_point_id": pid,
                    "label": est.names_[cluster],
                    "keywords": est.keywords_[cluster],
                    "example_comments": _examples(est, comments, cluster),
                    "first_seen": first,
                    "cohesion": float(est.cohesion_[cluster]),
                    "status": "active",
                }
            )
        frames.append(pd.DataFrame(rows))
    old = {pid: i for i, pid in enumerate(previous.ids)}
    frames.append(
        pd.DataFrame(
            [
                {
                    "pain_point_id": pid,
                    "label": previous.labels[old[pid]],
                    "keywords": previous.keywords[old[pid]],
                    "comments": 0,
                    "share": 0.0,
                    "example_comments": [],
                    "first_seen": previous.first_seen[old[pid]],
                    "last_seen": previous.last_seen[old[pid]],
                    "nps_responses": 0,
                    "respondents": 0,
                    "is_emerging": False,
                    "status": "retired",
                }
                for pid in retired
            ]
        )
    )
    frames = [f for f in frames if not f.empty]
    if not frames:
        return empty_frame("marts", "pain_points")
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(
        ["status", "comments", "pain_point_id"], ascending=[True, False, True], kind="stable"
    ).reset_index(drop=True)


def build_pain_points(
    con: duckdb.DuckDBPyConnection,
    config: Config,
    *,
    estimator: PainPointClusterer | None = None,
) -> PainPointResult:
    """Find, match, measure and store the pain points; the one call the pipeline makes.

    Works on any number of comments, zero included (every table is written, empty, with
    its columns). ``estimator`` overrides the one built from ``[pain_points]``.
    """
    started = time.perf_counter()
    settings = config.pain_points
    fingerprint = input_fingerprint(con, config)
    if estimator is None and _previous_fingerprint(con) == fingerprint:
        return _refresh_event_measures(con, config, fingerprint, started)
    responses = load_responses(con)
    has_text = [has_content(c) if isinstance(c, str) else False for c in responses["comment"]]
    n_written = int(responses["comment"].map(lambda c: isinstance(c, str) and bool(c)).sum())
    comments = responses[np.asarray(has_text, dtype=bool)].reset_index(drop=True)
    comments["text"] = [redact_pii(c) for c in comments["comment"]]
    previous = read_state(con)

    est: PainPointClusterer | None = None
    ids: list[str] = []
    retired = list(previous.ids)
    signatures = np.zeros((0, 0), dtype=np.float32)
    if len(comments):
        est = clone(estimator) if estimator is not None else make_estimator(settings)
        est.fit(comments["text"].tolist())
        sizes = np.bincount(est.labels_, minlength=est.n_clusters_)
        signatures = hashed_signatures(comments["text"].tolist(), est.labels_, est.n_clusters_)
        matching = match_clusters(
            signatures, sizes, previous.ids, previous.centroids, settings.match_threshold
        )
        ids, retired = matching.ids, matching.retired
        comments["pain_point_id"] = [ids[c] for c in est.labels_]
        comments["similarity"] = est.similarities_
        comments["week"] = week_starts(
            comments["submitted_at"], config.analysis.timezone, config.analysis.week_start
        )

    pain_points = _pain_point_rows(comments, responses, est, ids, previous, retired, settings)
    trend = weekly_trend(comments, ids) if est is not None else pd.DataFrame()
    flags = emerging(trend, settings.emerging_weeks, settings.emerging_z) if len(trend) else {}
    if len(pain_points):
        pain_points["is_emerging"] = [
            flags.get(p, (False, 0.0))[0] for p in pain_points["pain_point_id"]
        ]
        pain_points["emerging_z"] = [
            flags.get(p, (False, None))[1] for p in pain_points["pain_point_id"]
        ]
    behaviour = (
        compute_behaviour(
            con,
            comments[["pain_point_id", "user_id", "submitted_at"]],
            window_days=settings.behaviour_window_days,
            min_support=settings.min_event_support,
            top_events=settings.top_events,
        )
        if est is not None
        else empty_behaviour()
    )
    ranked = priorities(pain_points, behaviour) if len(pain_points) else pd.DataFrame()

    now = datetime.now(UTC).replace(tzinfo=None)
    state_rows = []
    for cluster, pid in enumerate(ids):
        row = pain_points.loc[pain_points["pain_point_id"] == pid].iloc[0]
        state_rows.append(
            (
                pid,
                row["label"],
                row["keywords"],
                signatures[cluster],
                row["first_seen"],
                row["last_seen"],
                "active",
                now,
            )
        )
    old = {pid: i for i, pid in enumerate(previous.ids)}
    for pid in retired:
        i = old[pid]
        state_rows.append(
            (
                pid,
                previous.labels[i],
                previous.keywords[i],
                previous.centroids[i],
                previous.first_seen[i],
                previous.last_seen[i],
                "retired",
                now,
            )
        )
    state = pd.DataFrame(
        state_rows,
        columns=[
            "pain_point_id",
            "label",
            "keywords",
            "centroid",
            "first_seen",
            "last_seen",
            "status",
            "updated_at",
        ],
    )
    k_scores = dict(est.k_scores_) if est is not None else {}
    k_selection = est.k_selection_ if est is not None else "no comments"
    summary = pd.DataFrame(
        [
            {
                "responses": len(responses),
                "comments": n_written,
                "empty_comments": n_written - len(comments),
                "clustered_comments": len(comments),
                "pain_points": len(ids),
                "retired_pain_points": len(retired),
                "k_selection": k_selection,
                "k_scores": json.dumps({str(k): round(v, 5) for k, v in k_scores.items()}),
                "built_at": now,
                "input_fingerprint": fingerprint,
                "refitted": True,
            }
        ]
    )
    write_tables(
        con,
        {
            ("marts", "pain_points"): pain_points,
            ("marts", "pain_point_comments"): comments.reindex(
                columns=["response_id", "pain_point_id", "similarity"]
            ),
            ("marts", "pain_point_trend"): trend,
            ("marts", "pain_point_behaviour"): behaviour,
            ("marts", "pain_point_priorities"): ranked,
            ("marts", "pain_point_summary"): summary,
            ("meta", "pain_point_state"): state,
        },
    )
    return PainPointResult(
        responses=len(responses),
        comments=n_written,
        empty_comments=n_written - len(comments),
        clustered_comments=len(comments),
        pain_points=pain_points,
        priorities=ranked,
        k_selection=k_selection,
        k_scores=k_scores,
        retired=retired,
        seconds=time.perf_counter() - started,
    )


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


def _refresh_event_measures(
    con: duckdb.DuckDBPyConnection, config: Config, fingerprint: str, started: float
) -> PainPointResult:
    """Same responses as last run: keep the clustering, recompute behaviour and priorities."""
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
    )
