"""One group of clauses → themes: cluster, keep ids stable, measure, trend.

Pain points (problem and request clauses) and delighters (praise clauses) are the same
computation on different clauses, with different id prefixes (``pp_`` / ``dl_``); this
module is that computation, so the two tables can never drift apart in meaning.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import clone

from pmanalytics.config import Config
from pmanalytics.pain_points.estimator import PainPointClusterer
from pmanalytics.pain_points.identity import match_clusters
from pmanalytics.pain_points.representation import hashed_signatures
from pmanalytics.pain_points.store import HASHED_SPACE, PreviousState
from pmanalytics.pain_points.summaries import (
    emerging,
    pain_point_stats,
    pick_examples,
    week_starts,
    weekly_trend,
)

#: The response columns every membership row carries (for NPS, reach, trend, behaviour).
RESPONSE_COLUMNS = ["response_id", "user_id", "metric", "score", "submitted_at"]


@dataclass
class ThemeGroup:
    """A fitted, matched and measured group of themes (pain points or delighters)."""

    ids: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    #: one row per clause of the group: ``clause_index``, ``theme_id``, ``similarity``
    clauses: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: one row per (response, theme): response columns, ``pain_point_id``, ``similarity``
    comments: pd.DataFrame = field(default_factory=pd.DataFrame)
    rows: pd.DataFrame = field(default_factory=pd.DataFrame)
    trend: pd.DataFrame = field(default_factory=pd.DataFrame)
    state: list[tuple] = field(default_factory=list)
    k_selection: str = "no comments"
    k_scores: dict[int, float] = field(default_factory=dict)


def identity_space(est: PainPointClusterer) -> str:
    """Centroids are comparable only within one space: an embedding model, or hashed n-grams."""
    return str(getattr(est.representation_, "model_id_", HASHED_SPACE))


def _signatures(est: PainPointClusterer, texts: list[str]) -> np.ndarray:
    if identity_space(est) == HASHED_SPACE:
        return hashed_signatures(texts, est.labels_, est.n_clusters_)
    return np.asarray(est.cluster_centers_, dtype=np.float32)  # unit embedding centroids


def fit_distinct(
    estimator: PainPointClusterer, clauses: pd.Series
) -> tuple[PainPointClusterer, list[str], np.ndarray]:
    """A clone of ``estimator`` fitted on the distinct clause texts, each weighted by its
    repeats; the texts, and each clause's index into them.

    440k clauses of 100k comments are ~40k distinct texts: every vector, similarity and
    label is computed per text, never per clause.
    """
    codes, distinct = pd.factorize(clauses.to_numpy(dtype=object))
    texts = distinct.tolist()
    repeats = np.bincount(codes, minlength=len(texts)).astype(np.float64)
    return clone(estimator).fit(texts, sample_weight=repeats), texts, codes


def fit_group(
    clauses: pd.DataFrame,
    comments: pd.DataFrame,
    responses: pd.DataFrame,
    estimator: PainPointClusterer,
    previous: PreviousState,
    config: Config,
    *,
    prefix: str,
    kind: str | None = None,
) -> ThemeGroup:
    """Cluster ``clauses`` (columns ``clause_index``, ``comment_index``, ``clause``,
    ``kind``) into themes with ids ``<prefix>_NNNN``. ``comments`` holds each comment's
    :data:`RESPONSE_COLUMNS` and redacted ``text``, by ``comment_index``: a clause row
    carries no copy of them (440k clause rows would hold 100k comments four times over).

    ``previous`` holds this prefix's stored ids; those from another identity space (an
    earlier model) are not matched, only retired, and their numbers are never reissued.
    ``kind`` fixes every theme's kind (delighters: praise); otherwise it is its clauses'
    most common kind.
    """
    settings = config.pain_points
    group = ThemeGroup(retired=list(previous.ids))
    if clauses.empty:
        return group
    est, texts, codes = fit_distinct(estimator, clauses["clause"])
    labels = est.labels_[codes]
    space = identity_space(est)
    signatures = _signatures(est, texts)
    same = [m == space for m in previous.model_ids]
    matchable = previous.subset(same)
    other = [pid for pid, s in zip(previous.ids, same, strict=True) if not s]
    centroids = matchable.centroids[:, : signatures.shape[1]]
    matching = match_clusters(
        signatures,
        np.bincount(labels, minlength=est.n_clusters_),
        matchable.ids,
        centroids,
        settings.match_threshold,
        prefix=prefix,
        reserved_ids=other,
    )
    ids = matching.ids
    group.ids, group.retired = ids, [*matching.retired, *other]
    group.k_selection, group.k_scores = est.k_selection_, dict(est.k_scores_)
    group.clauses = pd.DataFrame(
        {
            "clause_index": clauses["clause_index"].to_numpy(),
            "pain_point_id": np.asarray(ids, dtype=object)[labels],
            "similarity": est.similarities_[codes],
        }
    )
    members = _theme_comments(clauses["comment_index"].to_numpy(), group.clauses, comments)
    members["week"] = week_starts(
        members["submitted_at"], config.analysis.timezone, config.analysis.week_start
    )
    group.comments = members
    stats = pain_point_stats(
        members,
        responses,
        n_bootstrap=settings.n_bootstrap,
        seed=settings.random_state,
        total=int(members["response_id"].nunique()),
    ).set_index("pain_point_id")
    old_first = dict(zip(previous.ids, previous.first_seen, strict=True))
    vectors = est.embed(texts)
    _, first_row = np.unique(codes, return_index=True)  # each text's first clause row
    comment_texts = comments["text"].to_numpy(dtype=object)[
        clauses["comment_index"].to_numpy()[first_row]
    ]
    all_kinds = clauses["kind"].to_numpy(dtype=object)
    rows = []
    for cluster, pid in enumerate(ids):
        first = stats.at[pid, "first_seen"]
        if old_first.get(pid) is not None and (pd.isna(first) or old_first[pid] < first):
            first = old_first[pid]
        in_cluster = np.flatnonzero(est.labels_ == cluster)
        top = in_cluster[np.argsort(-est.similarities_[in_cluster], kind="stable")[:50]]
        quotes = comment_texts[top].tolist()
        kinds = all_kinds[labels == cluster]
        rows.append(
            {
                **stats.loc[pid].to_dict(),
                "pain_point_id": pid,
                "label": est.names_[cluster],
                "keywords": est.keywords_[cluster],
                "example_comments": pick_examples(quotes, est.similarities_[top], vectors[top]),
                "first_seen": first,
                "cohesion": float(est.cohesion_[cluster]),
                "status": "active",
                "kind": kind or pd.Series(kinds).mode().sort_values().iloc[0],
            }
        )
        group.state.append((pid, signatures[cluster], space))
    group.rows = pd.DataFrame(rows)
    group.trend = weekly_trend(members, ids)
    flags = emerging(group.trend, settings.emerging_weeks, settings.emerging_z)
    group.rows["is_emerging"] = [flags.get(p, (False, 0.0))[0] for p in group.rows["pain_point_id"]]
    group.rows["emerging_z"] = [flags.get(p, (False, None))[1] for p in group.rows["pain_point_id"]]
    return group


def _theme_comments(
    comment_index: np.ndarray, themed: pd.DataFrame, comments: pd.DataFrame
) -> pd.DataFrame:
    """One row per (comment, theme): the comment's response columns, the theme id and the
    similarity of its nearest clause; ordered by response and theme."""
    pairs = (
        themed.assign(comment_index=comment_index)
        .sort_values("similarity", ascending=False, kind="stable")
        .drop_duplicates(["comment_index", "pain_point_id"])
    )
    out = comments.iloc[pairs["comment_index"].to_numpy()][RESPONSE_COLUMNS].reset_index(drop=True)
    out["pain_point_id"] = pairs["pain_point_id"].to_numpy()
    out["similarity"] = pairs["similarity"].to_numpy()
    return out.sort_values(["response_id", "pain_point_id"], kind="stable").reset_index(drop=True)


def retired_rows(previous: PreviousState, retired: list[str]) -> pd.DataFrame:
    """Retired ids as table rows: kept with their label and last_seen, 0 comments."""
    old = {pid: i for i, pid in enumerate(previous.ids)}
    return pd.DataFrame(
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


def table_rows(group: ThemeGroup, previous: PreviousState) -> pd.DataFrame:
    """Active then retired themes, biggest first (the marts' row order)."""
    frames = [f for f in (group.rows, retired_rows(previous, group.retired)) if not f.empty]
    if not frames:
        return pd.DataFrame()
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(
        ["status", "comments", "pain_point_id"], ascending=[True, False, True], kind="stable"
    ).reset_index(drop=True)
