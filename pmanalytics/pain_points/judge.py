"""The clause judge: each clause's negative score, sentiment and kind, from its words.

The words are read by :func:`~pmanalytics.pain_points.clauses.clause_features`, a pure
function of each text; this estimator combines them with the embedding head. It lives apart
from :mod:`.clauses` so that a text helper process, which imports only that module, starts
without scikit-learn: ready in ~0.2 s instead of ~1.5 s (docs/decisions.md, *Clause
judging in two processes*).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import numpy as np
from sklearn.base import BaseEstimator

from pmanalytics.pain_points.clauses import ClauseFeatures, clause_features, load_head

if TYPE_CHECKING:
    from pmanalytics.pain_points.workers import TextWorkers


class ClauseJudge(BaseEstimator):
    """Sentiment, negative score and kind of each clause (a stateless, pluggable part).

    ``negative_score`` = (1 − ``head_weight``) × VADER + ``head_weight`` × embedding head:
    0.3 measured best on both NHS label sets (docs/benchmarks.md, *Clause sentiment*). The
    head only applies to vectors of the model it was trained on; for any other embedding
    model (or TF-IDF) the judge uses VADER alone. A clause is negative at
    ``negative_score >= negative_at``, positive at ``<= positive_at``, neutral between.
    A clause with a complaint cue ("too high", "hard to", "can't find") scores at least
    ``cue_score`` (None: no cues). A clause in English with no word of the lexicon scores
    at least 0.5: the head alone can call it negative, never positive. Kind: a request if
    it asks for something (even politely), else a problem if negative, praise if
    positive, other otherwise.
    """

    def __init__(
        self,
        head_weight: float = 0.3,
        product_words: bool = True,
        negative_at: float = 0.58,
        positive_at: float = 0.45,
        cue_score: float | None = 0.65,
    ) -> None:
        self.head_weight = head_weight
        self.product_words = product_words
        self.cue_score = cue_score
        self.negative_at = negative_at
        self.positive_at = positive_at

    def features(self, texts: list[str], workers: TextWorkers | None = None) -> ClauseFeatures:
        """:func:`clause_features` with this judge's lexicon, in ``workers`` if given."""
        work = functools.partial(clause_features, product_words=self.product_words)
        return workers.map(work, texts) if workers is not None else work(texts)

    def negative_score(
        self, texts: list[str], vectors: np.ndarray | None = None, model_id: str | None = None
    ) -> np.ndarray:
        """0 (very positive) .. 1 (very negative) for each clause."""
        return self._negative_score(self.features(texts), vectors, model_id)

    def _negative_score(
        self, features: ClauseFeatures, vectors: np.ndarray | None, model_id: str | None
    ) -> np.ndarray:
        lexicon = features.lexicon
        score = lexicon
        head = load_head()
        if vectors is not None and model_id == head.model_id and self.head_weight > 0:
            w = self.head_weight
            score = (1 - w) * score + w * head.negative_score(vectors)
            # the head may make a plain statement negative, not praise: praise names what
            # it likes ("easy", "great", "love"), and "I use it every day" is no praise
            plain = (lexicon == 0.5) & features.ascii
            score = np.where(plain, np.maximum(score, 0.5), score)
        if self.cue_score is not None:
            score = np.where(features.cued, np.maximum(score, self.cue_score), score)
        return score.astype(np.float32)

    def judge(
        self,
        texts: list[str],
        vectors: np.ndarray | None = None,
        model_id: str | None = None,
        *,
        workers: TextWorkers | None = None,
    ) -> tuple[np.ndarray, list[str], list[str]]:
        """``(negative_score, sentiment, kind)`` for each clause; the words of each are
        read in ``workers`` when given (the same result, sooner on several cores).

        A satisfied no-complaint answer (:data:`.clauses.NO_COMPLAINT`: "Nothing could be
        better", "Can't think of anything", "No complaints") is of kind 'other' and at most
        neutral; one that opens with "nothing" and goes on to praise ("Nothing, all was
        perfect") is praise. Neither is ever a problem or a request. A lukewarm verdict ("It's
        ok", "fine for now") or a short clause of contact details is neutral and of kind
        'other'.
        """
        features = self.features(texts, workers)
        score = self._negative_score(features, vectors, model_id)
        satisfied = features.satisfied.copy()
        praised = features.praise_idiom.copy()
        score = np.where(praised, np.minimum(score, self.positive_at), score).astype(np.float32)
        # "Nothing, all was perfect": the rest decides (a rest exists only for clauses
        # that are neither of the two above)
        rest = features.rest_lexicon
        rest_praise = rest <= self.positive_at  # NaN (no rest): False
        score = np.where(rest_praise, np.minimum(score, rest), score).astype(np.float32)
        praised |= rest_praise
        satisfied |= ~np.isnan(rest) & ~rest_praise & features.rest_satisfied
        score = np.where(satisfied, np.minimum(score, 0.5), score)
        score = np.where(features.lukewarm, 0.5, score).astype(np.float32)
        satisfied |= features.lukewarm
        sentiment = np.where(
            score >= self.negative_at,
            "negative",
            np.where(score <= self.positive_at, "positive", "neutral"),
        ).tolist()
        kinds = []
        for s, calm, praise, asks, question in zip(
            sentiment, satisfied, praised, features.asks, features.question, strict=True
        ):
            if calm or praise:
                kinds.append("praise" if praise else "other")
            elif asks or (question and s != "positive"):
                kinds.append("request")
            elif s == "negative":
                kinds.append("problem")
            elif s == "positive":
                kinds.append("praise")
            else:
                kinds.append("other")
        return score, sentiment, kinds
