"""``build_pain_points``: staging → clauses → pain points and delighters → marts.

Reads ``staging.survey_responses`` (and ``staging.events`` for behaviour), splits comments
into judged clauses, clusters problems/requests and praise separately, keeps ids stable
against ``meta.pain_point_state`` and replaces every table of ``store.TABLES`` in one
transaction. A run whose responses and settings are those of the last fit keeps it
(:mod:`pmanalytics.pain_points.refresh`, which imports none of the fitting code).
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import duckdb
import numpy as np
import pandas as pd
from sklearn.base import clone

from pmanalytics.config import Config, PainPointsConfig
from pmanalytics.pain_points.behaviour import compute_behaviour, empty_behaviour
from pmanalytics.pain_points.clauses import split_each
from pmanalytics.pain_points.embedding import EmbeddingCache, SentenceEmbeddingRepresentation
from pmanalytics.pain_points.estimator import AutoKMeans, PainPointClusterer
from pmanalytics.pain_points.judge import ClauseJudge
from pmanalytics.pain_points.labelling import BaseLabeller, ClassTfidfLabeller
from pmanalytics.pain_points.phrases import CentralPhraseLabeller
from pmanalytics.pain_points.refresh import (
    PainPointResult,
    input_fingerprint,
    refresh_if_unchanged,
)
from pmanalytics.pain_points.representation import CharTfidfRepresentation
from pmanalytics.pain_points.store import (
    HASHED_SPACE,
    PreviousState,
    columns,
    read_state,
    table_exists,
    write_tables,
)
from pmanalytics.pain_points.summaries import priorities
from pmanalytics.pain_points.text import redact_with_content
from pmanalytics.pain_points.themes import ThemeGroup, fit_group, table_rows
from pmanalytics.pain_points.workers import TextWorkers


def make_estimator(
    settings: PainPointsConfig, cache: EmbeddingCache | None = None
) -> PainPointClusterer:
    """The estimator the config describes (representation, k range, seed, labeller)."""
    labeller: BaseLabeller
    if settings.representation == "embeddings":
        representation = SentenceEmbeddingRepresentation(
            model=settings.embedding_model, cache=cache
        )
        labeller = CentralPhraseLabeller()
    else:
        representation = CharTfidfRepresentation(random_state=settings.random_state)
        labeller = ClassTfidfLabeller()
    # clause embeddings: over-split then merge alike themes (the silhouette scan's k was
    # unstable there); the TF-IDF path keeps the scan it was measured with
    clusterer = AutoKMeans(
        n_clusters=settings.n_clusters,
        min_k=settings.min_k,
        max_k=settings.max_k,
        random_state=settings.random_state,
        merge_similarity=settings.merge_similarity
        if settings.representation == "embeddings"
        else None,
    )
    return PainPointClusterer(
        representation=representation,
        clusterer=clusterer,
        labeller=labeller,
        random_state=settings.random_state,
        max_fit_comments=settings.max_fit_comments,
    )


def with_tone(estimator: PainPointClusterer, tone: str) -> PainPointClusterer:
    """The estimator with its labeller set to name themes of ``tone``, when it can."""
    labeller = estimator.labeller
    if labeller is None or "tone" not in labeller.get_params(deep=False):
        return estimator
    return clone(estimator).set_params(labeller__tone=tone)


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


def comments_with_content(
    responses: pd.DataFrame, workers: TextWorkers | None = None
) -> tuple[pd.DataFrame, int]:
    """The responses whose comment has content, with ``text`` = the redacted comment
    (redaction comes before anything else); and how many had a comment at all.

    Each distinct comment is checked and redacted once (in ``workers`` when given).
    """
    codes, distinct = pd.factorize(responses["comment"].to_numpy(dtype=object))
    # code -1 (no comment) reads the sentinel appended last
    written = np.array([bool(c) for c in distinct] + [False], dtype=bool)
    texts = distinct.tolist()
    redacted = np.array(
        (workers.map(redact_with_content, texts) if workers else redact_with_content(texts))
        + [None],
        dtype=object,
    )
    keep = np.not_equal(redacted, None)
    comments = responses[keep[codes]].reset_index(drop=True)
    comments["text"] = redacted[codes[keep[codes]]]
    return comments, int(written[codes].sum())


def explode_clauses(comments: pd.DataFrame, workers: TextWorkers | None = None) -> pd.DataFrame:
    """One row per clause of each (redacted) comment ``text``: ``comment_index`` (the
    comment's row), ``clause_no``, ``clause`` and ``clause_index`` (the row's own number).

    Each distinct text is split once: survey comments repeat ("Great service"), and at
    100k comments splitting every one was 6 of the stage's seconds (in ``workers`` when
    given). The response's columns are not copied to its clauses (440k rows): they are
    looked up by ``comment_index``.
    """
    codes, distinct = pd.factorize(comments["text"].to_numpy(dtype=object))
    texts = distinct.tolist()
    split = workers.map(split_each, texts) if workers else split_each(texts)
    per_text = np.fromiter((len(c) for c in split), np.int64, len(split))
    counts = per_text[codes] if len(codes) else np.zeros(0, np.int64)
    index = np.repeat(np.arange(len(comments)), counts)
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    clause_no = np.arange(len(index)) - starts + 1
    flat = np.asarray([c for clauses in split for c in clauses] or [""], dtype=object)
    text_starts = np.cumsum(per_text) - per_text
    return pd.DataFrame(
        {
            "comment_index": index,
            "clause_no": clause_no,
            "clause": flat[np.repeat(text_starts[codes], counts) + clause_no - 1]
            if len(index)
            else np.zeros(0, dtype=object),
            "clause_index": np.arange(len(index)),
        }
    )


def judge_clauses(
    clauses: pd.DataFrame, estimator: PainPointClusterer, workers: TextWorkers | None = None
) -> tuple[pd.DataFrame, str | None]:
    """Sentiment, negative score and kind of every clause, from its text (and embedding).

    Each distinct clause is judged once ("Great product" a thousand times costs one), its
    words read in ``workers`` when given. The estimator's representation is used only when
    it is sentence embeddings (the sentiment head reads their vectors; its cache makes the
    later clustering free).
    """
    inverse, distinct = pd.factorize(clauses["clause"].to_numpy(dtype=object))
    texts = distinct.tolist()
    vectors, model_id = None, None
    representation = estimator.representation
    if isinstance(representation, SentenceEmbeddingRepresentation):
        fitted = clone(representation).fit([])
        model_id = fitted.model_id_
        vectors = fitted.transform(texts) if texts else None
    score, sentiment, kind = ClauseJudge().judge(texts, vectors, model_id, workers=workers)
    return (
        clauses.assign(
            negative_score=score[inverse],
            sentiment=np.asarray(sentiment, dtype=object)[inverse],
            kind=np.asarray(kind, dtype=object)[inverse],
        ),
        model_id,
    )


def _state_frame(groups: list[tuple[ThemeGroup, PreviousState]]) -> pd.DataFrame:
    now = datetime.now(UTC).replace(tzinfo=None)
    rows = []
    for group, previous in groups:
        by_id = group.rows.set_index("pain_point_id") if len(group.rows) else None
        for pid, signature, space in group.state:
            row = by_id.loc[pid]  # type: ignore[union-attr]
            rows.append(
                (pid, row["label"], row["keywords"], signature, row["first_seen"],
                 row["last_seen"], "active", now, space)
            )  # fmt: skip
        old = {pid: i for i, pid in enumerate(previous.ids)}
        for pid in group.retired:
            i = old[pid]
            rows.append(
                (pid, previous.labels[i], previous.keywords[i], previous.centroids[i],
                 previous.first_seen[i], previous.last_seen[i], "retired", now,
                 previous.model_ids[i])
            )  # fmt: skip
    return pd.DataFrame(rows, columns=columns("meta", "pain_point_state"))


def build_pain_points(
    con: duckdb.DuckDBPyConnection,
    config: Config,
    *,
    estimator: PainPointClusterer | None = None,
    fingerprint: str | None = None,
) -> PainPointResult:
    """Find, match, measure and store pain points and delighters; the pipeline's one call.

    Comments are redacted, split into clauses and each clause judged (sentiment, kind);
    problem and request clauses become pain points, praise clauses delighters. Works on any
    number of comments, zero included (every table is written, empty, with its columns).
    ``estimator`` overrides the one built from ``[pain_points]``; ``fingerprint`` is
    :func:`input_fingerprint`'s, when the caller has it already (it reads every response).
    """
    started = time.perf_counter()
    settings = config.pain_points
    if fingerprint is None:
        fingerprint = input_fingerprint(con, config)
    kept = None if estimator is not None else refresh_if_unchanged(con, config, fingerprint)
    if kept is not None:
        return kept
    responses = load_responses(con)
    cache = EmbeddingCache(con) if settings.representation == "embeddings" else None
    est = estimator if estimator is not None else make_estimator(settings, cache)
    with TextWorkers.for_texts(responses["comment"].nunique()) as workers:
        comments, n_written = comments_with_content(responses, workers)
        clauses, model_id = judge_clauses(explode_clauses(comments, workers), est, workers)
    state = read_state(con)
    pain_state = state.subset([i.startswith("pp_") for i in state.ids])
    delight_state = state.subset([i.startswith("dl_") for i in state.ids])
    is_pain = clauses["kind"].isin(["problem", "request"]).to_numpy()
    is_praise = (clauses["kind"] == "praise").to_numpy()
    pains = fit_group(
        clauses[is_pain], comments, responses, with_tone(est, "negative"), pain_state, config,
        prefix="pp",
    )  # fmt: skip
    delights = fit_group(
        clauses[is_praise], comments, responses, with_tone(est, "positive"), delight_state,
        config, prefix="dl", kind="praise",
    )  # fmt: skip
    identity_note = _identity_note(state, model_id or HASHED_SPACE)

    pain_points = table_rows(pains, pain_state)
    delighters = table_rows(delights, delight_state)
    behaviour = (
        compute_behaviour(
            con,
            pains.comments[["pain_point_id", "user_id", "submitted_at"]],
            window_days=settings.behaviour_window_days,
            min_support=settings.min_event_support,
            top_events=settings.top_events,
        )
        if len(pains.comments)
        else empty_behaviour()
    )
    ranked = priorities(pain_points, behaviour) if len(pain_points) else pd.DataFrame()
    response_ids = comments["response_id"].to_numpy(dtype=object)
    clause_rows = clauses.assign(
        response_id=response_ids[clauses["comment_index"].to_numpy()],
        pain_point_id=None,
        delighter_id=None,
    )
    for group, column in ((pains, "pain_point_id"), (delights, "delighter_id")):
        if len(group.clauses):
            clause_rows.loc[group.clauses["clause_index"].to_numpy(), column] = group.clauses[
                "pain_point_id"
            ].to_numpy()
    clustered = len(np.unique(clauses["comment_index"].to_numpy()))
    summary = pd.DataFrame(
        [
            {
                "responses": len(responses),
                "comments": n_written,
                "empty_comments": n_written - len(comments),
                "clustered_comments": clustered,
                "pain_points": len(pains.ids),
                "retired_pain_points": len(pains.retired),
                "k_selection": pains.k_selection,
                "k_scores": json.dumps({str(k): round(v, 5) for k, v in pains.k_scores.items()}),
                "built_at": datetime.now(UTC).replace(tzinfo=None),
                "input_fingerprint": fingerprint,
                "refitted": True,
                "clauses": len(clauses),
                "delighters": len(delights.ids),
                "model_id": model_id or HASHED_SPACE,
                "identity_note": identity_note,
            }
        ]
    )
    write_tables(
        con,
        {
            ("marts", "pain_points"): pain_points,
            ("marts", "pain_point_comments"): pains.comments.reindex(
                columns=["response_id", "pain_point_id", "similarity"]
            ),
            ("marts", "pain_point_trend"): pains.trend,
            ("marts", "pain_point_behaviour"): behaviour,
            ("marts", "pain_point_priorities"): ranked,
            ("marts", "pain_point_summary"): summary,
            ("marts", "comment_clauses"): clause_rows,
            ("marts", "delighters"): delighters,
            ("meta", "pain_point_state"): _state_frame(
                [(pains, pain_state), (delights, delight_state)]
            ),
        },
    )
    return PainPointResult(
        responses=len(responses),
        comments=n_written,
        empty_comments=n_written - len(comments),
        clustered_comments=clustered,
        pain_points=pain_points,
        priorities=ranked,
        k_selection=pains.k_selection,
        k_scores=pains.k_scores,
        retired=pains.retired,
        seconds=time.perf_counter() - started,
        delighters=delighters,
        identity_note=identity_note,
    )


def _identity_note(state: PreviousState, space: str) -> str:
    """Say so when stored ids come from another model: their themes cannot be matched."""
    others = sorted({m for m in state.model_ids if m != space})
    if not others:
        return ""
    return (
        f"new identity space: representation changed ({', '.join(others)} → {space}); "
        "earlier ids are retired and new themes got new ids"
    )
