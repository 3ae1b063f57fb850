"""Labellers: a short human label and keywords for each cluster.

Plug-in labellers share :class:`BaseLabeller` (as BERTopic's representation models do), so
a team can swap in its own (e.g. an LLM summariser) without touching the clusterer.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

from pmanalytics.pain_points.text import PLACEHOLDER

#: Greetings and fillers that open or pad survey comments ("Hi, ...", "tbh ...") and would
#: otherwise end up in labels ("fantastic / hi"). Added to the stop words; not "thanks":
#: gratitude is a theme of its own in patient and support feedback.
FILLER_WORDS = ("hi", "hello", "hey", "tbh", "honestly", "ugh", "ok", "okay", "btw", "imo", "lol")


@dataclass(frozen=True)
class ClusterDescription:
    label: str
    keywords: list[str] = field(default_factory=list)


#: Turns texts into unit vectors of the clustering's representation (for labellers that
#: compare candidate phrases with cluster centres).
Embed = Callable[[list[str]], np.ndarray]


class BaseLabeller(BaseEstimator, ABC):
    """Describe each cluster from its members' texts. Subclasses implement ``describe``.

    ``vectors`` (the members' unit vectors, row-aligned with ``texts``) and ``embed`` are
    given when the estimator has them; a labeller that only counts words ignores them.
    ``weights`` (how many times each text was written: the estimator is fitted on distinct
    texts) is passed to labellers whose ``describe`` accepts it.
    """

    @abstractmethod
    def describe(
        self,
        texts: list[str],
        labels: np.ndarray,
        n_clusters: int,
        vectors: np.ndarray | None = None,
        embed: Embed | None = None,
        weights: np.ndarray | None = None,
    ) -> list[ClusterDescription]:
        """One description per cluster, in cluster order."""


def _fallback_label(texts: list[str]) -> str:
    """When no keyword survives (all stop words), the most common comment names the cluster."""
    if not texts:
        return "(empty)"
    text = Counter(t.strip() for t in texts).most_common(1)[0][0]
    return text if len(text) <= 40 else text[:39] + "…"


class ClassTfidfLabeller(BaseLabeller):
    """Class-based TF-IDF over word n-grams (BERTopic's c-TF-IDF).

    All comments of a cluster form one document (each counted ``weights`` times); a term
    scores ``tf(term, cluster) · log(1 + A / f(term))``, where ``A`` is the mean number of
    words per cluster and ``f`` the term's frequency over all clusters, so words that are
    frequent in this cluster but rare elsewhere win. The label joins the top
    ``n_label_terms`` keywords, skipping any whose words are already covered by a better one.
    """

    def __init__(
        self,
        n_keywords: int = 8,
        n_label_terms: int = 3,
        ngram_range: tuple[int, int] = (1, 2),
        stop_words: str | list[str] | None = "english",
        extra_stop_words: tuple[str, ...] = FILLER_WORDS,
        max_comments_per_cluster: int | None = 2000,
    ) -> None:
        self.n_keywords = n_keywords
        self.n_label_terms = n_label_terms
        self.ngram_range = ngram_range
        self.stop_words = stop_words
        self.extra_stop_words = extra_stop_words
        self.max_comments_per_cluster = max_comments_per_cluster

    def describe(
        self,
        texts: list[str],
        labels: np.ndarray,
        n_clusters: int,
        vectors: np.ndarray | None = None,
        embed: Embed | None = None,
        weights: np.ndarray | None = None,
    ) -> list[ClusterDescription]:
        labels = np.asarray(labels)
        w = np.ones(len(texts)) if weights is None else np.asarray(weights, dtype=float)
        rows = np.concatenate([self._members(labels, c) for c in range(n_clusters)] or [[]])
        rows = rows.astype(np.int64)
        clean = [PLACEHOLDER.sub(" ", texts[i]) for i in rows]  # "[email]" is not a theme
        vectorizer = CountVectorizer(
            ngram_range=self.ngram_range,
            stop_words=self._stop_words(),
            token_pattern=r"(?u)\b[^\W\d_][^\W\d_]+\b",  # words of letters only: no "500", no ids
        )
        try:
            per_text = vectorizer.fit_transform(clean)
            member_of = sp.csr_matrix(
                (w[rows], (labels[rows], np.arange(len(rows)))), shape=(n_clusters, len(rows))
            )
            counts = sp.csr_matrix(member_of @ per_text)  # clusters × terms, sparse
        except ValueError:  # nothing but stop words anywhere
            return [
                ClusterDescription(_fallback_label([texts[i] for i in np.flatnonzero(labels == c)]))
                for c in range(n_clusters)
            ]
        terms = vectorizer.get_feature_names_out()
        words_per_class = np.asarray(counts.sum(axis=1)).ravel()
        mean_words = max(float(words_per_class.mean()), 1.0)
        idf = np.log1p(mean_words / np.maximum(np.asarray(counts.sum(axis=0)).ravel(), 1))
        out = []
        for c in range(n_clusters):
            row = counts.getrow(c)
            scores = row.data / max(words_per_class[c], 1) * idf[row.indices]
            # best first; ties by term, as a stable sort over the vocabulary would give
            order = np.lexsort((row.indices, -scores))
            keywords = [str(terms[row.indices[i]]) for i in order if scores[i] > 0]
            keywords = keywords[: self.n_keywords]
            label = self._label(keywords)
            if not label:
                label = _fallback_label([texts[i] for i in np.flatnonzero(labels == c)])
            out.append(ClusterDescription(label, keywords))
        return out

    def _stop_words(self) -> list[str] | None:
        """``stop_words`` ("english", a list or None) plus ``extra_stop_words``."""
        base = self.stop_words
        if isinstance(base, str) and base != "english":
            raise ValueError(f"stop_words must be 'english', a list or None, not {base!r}")
        words = set(ENGLISH_STOP_WORDS if base == "english" else base or ())
        words |= set(self.extra_stop_words)
        return sorted(words) or None

    def _members(self, labels: np.ndarray, cluster: int) -> np.ndarray:
        """The cluster's comments, thinned evenly to at most ``max_comments_per_cluster``.

        Keywords of 2,000 comments are those of 50,000, and word counting is the cost.
        """
        rows = np.flatnonzero(labels == cluster)
        cap = self.max_comments_per_cluster
        if cap is not None and rows.size > cap:
            rows = rows[np.linspace(0, rows.size - 1, cap).astype(np.int64)]
        return rows

    def _label(self, keywords: list[str]) -> str:
        chosen: list[str] = []
        covered: set[str] = set()
        for keyword in keywords:
            words = set(keyword.split())
            if words <= covered:
                continue
            # a bigram that contains an already chosen word replaces that word
            chosen = [c for c in chosen if not set(c.split()) <= words]
            chosen.append(keyword)
            covered |= words
            if len(chosen) == self.n_label_terms:
                break
        return " / ".join(chosen)
