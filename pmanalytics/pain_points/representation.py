"""Text representations: comments → L2-normalised dense vectors.

Character n-gram TF-IDF, reduced with SVD, normalised: the cheap fallback (no model; survives
typos, casing and several languages). The default, sentence embeddings, is in
:mod:`pmanalytics.pain_points.embedding`.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import HashingVectorizer, TfidfVectorizer
from sklearn.preprocessing import normalize
from sklearn.utils.validation import check_is_fitted

#: Width of the fixed hashed space that run-to-run identity matching compares centroids in.
SIGNATURE_FEATURES = 2**15


def seeded_rows(n: int, size: int | None, random_state: int | None) -> np.ndarray | None:
    """Sorted row numbers of a seeded sample of ``size`` out of ``n``; None when all fit."""
    if size is None or n <= size:
        return None
    return np.sort(np.random.default_rng(random_state).choice(n, size, replace=False))


def seeded_sample(texts: list[str], size: int | None, random_state: int | None) -> list[str]:
    """At most ``size`` texts, seeded and in input order; ``texts`` itself when they all fit."""
    rows = seeded_rows(len(texts), size, random_state)
    return texts if rows is None else [texts[i] for i in rows]


def as_texts(X: Iterable[str | None]) -> list[str]:
    """Accept any iterable of strings (a list, a Series, a 1-d array); None becomes ""."""
    if isinstance(X, str):
        raise TypeError("expected an iterable of comments, got a single string")
    return ["" if x is None or x != x else str(x) for x in X]


class CharTfidfRepresentation(TransformerMixin, BaseEstimator):
    """``char_wb`` TF-IDF (3–5) → TruncatedSVD → L2 normalisation.

    Cost is character n-gram analysis in Python, so three things keep 100k comments fast:
    the vocabulary, IDF and SVD are fitted on a seeded sample of at most ``fit_sample_size``
    comments (the axes of 20,000 comments are as good as those of 200,000); every distinct
    comment is then analysed once (survey comments repeat: "Great service"), in chunks on
    ``n_jobs`` processes.

    Tiny inputs degrade gracefully: ``min_df`` falls back to 1 when it would leave no
    vocabulary, and SVD is skipped when there are too few documents or features for it.
    """

    def __init__(
        self,
        ngram_range: tuple[int, int] = (3, 5),
        min_df: int | float = 2,
        n_components: int = 50,
        word_weight: float = 0.0,
        fit_sample_size: int | None = 20_000,
        chunk_size: int = 10_000,
        n_jobs: int | None = -1,
        random_state: int | None = None,
    ) -> None:
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.n_components = n_components
        self.word_weight = word_weight
        self.fit_sample_size = fit_sample_size
        self.chunk_size = chunk_size
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _vectorizer(self, min_df: int | float) -> TfidfVectorizer:
        return TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=self.ngram_range,
            sublinear_tf=True,
            min_df=min_df,
            dtype=np.float32,
        )

    def fit(self, X: Iterable[str], y: object = None) -> CharTfidfRepresentation:
        self.fit_transform(X)
        return self

    def fit_transform(self, X: Iterable[str], y: object = None, **_: object) -> np.ndarray:
        texts = as_texts(X)
        if not texts:
            raise ValueError("cannot fit a representation on zero comments")
        # repeats stay in the sample: IDF and SVD should weigh what people write
        sample = seeded_sample(texts, self.fit_sample_size, self.random_state)
        try:
            self.vectorizer_ = self._vectorizer(self.min_df)
            tfidf = self.vectorizer_.fit_transform(sample)
        except ValueError:  # too few documents for min_df: keep every n-gram
            self.vectorizer_ = self._vectorizer(1)
            tfidf = self.vectorizer_.fit_transform(sample)
        self.word_vectorizer_ = None
        if self.word_weight > 0:
            self.word_vectorizer_ = TfidfVectorizer(
                stop_words="english", sublinear_tf=True, dtype=np.float32
            )
            try:
                words = self.word_vectorizer_.fit_transform(sample)
                tfidf = sp.hstack([tfidf, self.word_weight * words]).tocsr()
            except ValueError:  # only stop words: characters alone
                self.word_vectorizer_ = None
        n_components = min(self.n_components, tfidf.shape[1] - 1, tfidf.shape[0] - 1)
        self.svd_ = None
        if n_components >= 2:
            self.svd_ = TruncatedSVD(n_components, random_state=self.random_state)
            with np.errstate(divide="ignore", invalid="ignore"):  # identical docs: 0 variance
                self.svd_.fit(tfidf)
        if sample is texts:
            return self._reduce(tfidf)
        # fitted on a sample: its vocabulary and axes still place every comment; the sample's
        # own rows are reused, the other distinct comments analysed once each
        distinct, inverse = _distinct(texts)
        sampled = {text: row for row, text in enumerate(sample)}
        known = np.array([t in sampled for t in distinct])
        vectors = np.empty((len(distinct), self._width()), dtype=np.float32)
        vectors[known] = self._reduce(tfidf[[sampled[t] for t in distinct if t in sampled]])
        if not known.all():
            rest = [t for t in distinct if t not in sampled]
            vectors[~known] = self._transform_distinct(rest)
        return vectors[inverse]

    def _width(self) -> int:
        if self.svd_ is not None:
            return int(self.svd_.n_components)
        width = len(self.vectorizer_.vocabulary_)
        if self.word_vectorizer_ is not None:
            width += len(self.word_vectorizer_.vocabulary_)
        return width

    def transform(self, X: Iterable[str]) -> np.ndarray:
        check_is_fitted(self, "vectorizer_")
        distinct, inverse = _distinct(as_texts(X))
        if not distinct:
            return np.zeros((0, self._width()), dtype=np.float32)
        return self._transform_distinct(distinct)[inverse]

    def _transform_distinct(self, texts: list[str]) -> np.ndarray:
        chunks = [texts[i : i + self.chunk_size] for i in range(0, len(texts), self.chunk_size)]
        if len(chunks) < 2 or self.n_jobs in (None, 1):
            return np.vstack([self._transform_chunk(chunk) for chunk in chunks])
        parts = Parallel(n_jobs=self.n_jobs)(
            delayed(self._transform_chunk)(chunk) for chunk in chunks
        )
        return np.vstack(parts)

    def _transform_chunk(self, texts: list[str]) -> np.ndarray:
        tfidf = self.vectorizer_.transform(texts)
        if self.word_vectorizer_ is not None:
            words = self.word_vectorizer_.transform(texts)
            tfidf = sp.hstack([tfidf, self.word_weight * words]).tocsr()
        return self._reduce(tfidf)

    def _reduce(self, tfidf: sp.csr_matrix) -> np.ndarray:
        if self.svd_ is None:
            return normalize(tfidf).toarray().astype(np.float32)
        with np.errstate(divide="ignore", invalid="ignore"):
            return normalize(self.svd_.transform(tfidf)).astype(np.float32)


def _distinct(texts: list[str]) -> tuple[list[str], np.ndarray]:
    """Distinct texts in first-seen order, and each input's index into them."""
    index: dict[str, int] = {}
    inverse = np.fromiter(
        (index.setdefault(t, len(index)) for t in texts), dtype=np.int64, count=len(texts)
    )
    return list(index), inverse


def hashed_signatures(
    texts: list[str],
    labels: np.ndarray,
    n_clusters: int,
    max_per_cluster: int = 500,
    random_state: int = 0,
) -> np.ndarray:
    """Each cluster's centroid in a fixed hashed char n-gram space (rows L2-normalised).

    The fitted representation changes from run to run (new vocabulary, new SVD axes), so
    its centroids cannot be compared across runs; a hashing vectorizer has no fitted state,
    so the same comments always map to the same signature and runs can be matched. A
    centroid is estimated from at most ``max_per_cluster`` comments per cluster (a seeded
    sample): the mean of 500 is as good for matching as the mean of 50,000, and n-gram
    counting is the expensive part.
    """
    hasher = HashingVectorizer(
        analyzer="char_wb",
        ngram_range=(3, 5),
        n_features=SIGNATURE_FEATURES,
        alternate_sign=False,
        dtype=np.float32,
    )
    rng = np.random.default_rng(random_state)
    out = np.zeros((n_clusters, SIGNATURE_FEATURES), dtype=np.float32)
    for cluster in range(n_clusters):
        rows = np.flatnonzero(labels == cluster)
        if rows.size > max_per_cluster:
            rows = np.sort(rng.choice(rows, max_per_cluster, replace=False))
        if rows.size:
            hashed = hasher.transform([texts[i] for i in rows])
            out[cluster] = np.asarray(hashed.mean(axis=0)).ravel()
    return normalize(out)
