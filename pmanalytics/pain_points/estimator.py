"""The pain-point estimator: representation → clusterer → labeller, sklearn style.

Like BERTopic, the parts are passed in (``representation``, ``clusterer``, ``labeller``);
unlike BERTopic, defaults are built in ``fit`` (never in ``__init__``), so ``clone`` and
``get_params`` round-trip.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Iterable

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.base import BaseEstimator, ClusterMixin, TransformerMixin, clone
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import normalize
from sklearn.utils.validation import check_is_fitted, has_fit_parameter
from threadpoolctl import threadpool_limits

from pmanalytics.pain_points.labelling import BaseLabeller, ClassTfidfLabeller
from pmanalytics.pain_points.representation import (
    CharTfidfRepresentation,
    as_texts,
    seeded_rows,
)


def auto_max_k(n_distinct: int) -> int:
    """The largest k worth trying: √(n/2), at least 20 (a corpus with many distinct themes
    must be able to yield many; a fixed cap of 20 is arbitrary)."""
    return max(20, int(np.sqrt(n_distinct / 2)))


def k_grid(lo: int, hi: int) -> list[int]:
    """Every k up to 30, then steps of about 10 % (silhouette changes slowly up there)."""
    ks = list(range(lo, min(hi, 30) + 1))
    k = 30
    while k < hi:
        k = min(hi, max(k + 1, int(k * 1.1)))
        if k >= lo:
            ks.append(k)
    return ks


def distinct_rows(X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """First row of each distinct (rounded) vector in input order, each row's index into
    them, and their repeat counts; by hashing rows (``np.unique(axis=0)`` sorts them)."""
    rounded = np.ascontiguousarray(X.round(5))
    codes, _ = pd.factorize(np.array([row.tobytes() for row in rounded], dtype=object))
    _, first = np.unique(codes, return_index=True)
    return first, codes.astype(np.int64), np.bincount(codes).astype(np.float64)


def cluster_means(
    X: np.ndarray, labels: np.ndarray, k: int, weights: np.ndarray | None = None
) -> np.ndarray:
    """(Weighted) mean vector of each label 0..k-1, in one sparse product."""
    w = np.ones(len(labels), np.float32) if weights is None else weights.astype(np.float32)
    one_hot = sp.csr_matrix((w, (labels, np.arange(len(labels)))), shape=(k, len(labels)))
    sizes = np.asarray(one_hot.sum(axis=1)).ravel()
    return np.asarray(one_hot @ X) / np.maximum(sizes, 1)[:, None]


def nearest_centre(X: np.ndarray, centres: np.ndarray, batch: int = 20_000) -> np.ndarray:
    """Index of each row's nearest centre (Euclidean), in batches."""
    squared = (centres**2).sum(axis=1)
    out = [
        (squared[None, :] - 2 * X[i : i + batch] @ centres.T).argmin(axis=1)
        for i in range(0, len(X), batch)
    ]
    return np.concatenate(out).astype(np.int64)


class AutoKMeans(ClusterMixin, BaseEstimator):
    """KMeans that picks k itself, because the people using it cannot know k.

    Criterion: for each k in [min_k, max_k] fit KMeans on a seeded sample of at most
    ``sample_size`` points and score its silhouette there; take the *smallest* k whose
    silhouette is within ``tolerance`` (relative) of the best. On short comments the
    silhouette keeps creeping up with k, so "smallest near-best" avoids always landing on
    max_k for a negligible gain. The final KMeans is then fitted on all points.

    k is chosen on the distinct points only (duplicated comments would reward giving each
    duplicate group its own cluster). Caps: k ≤ distinct points // ``min_cluster_size``;
    when fewer than two clusters are possible (tiny input, all identical) everything is one
    cluster.

    ``merge_similarity`` (set for clause embeddings) replaces the silhouette scan, whose
    curve is flat and noisy on short clauses (k jumped between 6 and 19 across seeds on the
    sample): KMeans over-splits into max(30, √distinct) clusters, then clusters whose
    centres are alike are joined (average linkage). "Alike" is relative to the corpus: with
    b the mean cosine between two over-split centres, centres join above
    b + (1 − b) × ``merge_similarity``. Hospital comments sit close together in MiniLM's
    space (b = 0.42 on NHS pain clauses, 0.17 on the sample's), so a fixed cosine of 0.4
    merged all NHS complaints into 5 themes, one of 2,198 clauses. k then follows how many
    distinct themes there are, with no fixed cap.
    """

    def __init__(
        self,
        n_clusters: int | None = None,
        min_k: int = 3,
        max_k: int | None = None,
        sample_size: int = 1000,
        tolerance: float = 0.05,
        min_cluster_size: int = 3,
        n_init: int = 3,
        random_state: int | None = None,
        merge_similarity: float | None = None,
    ) -> None:
        self.n_clusters = n_clusters
        self.min_k = min_k
        self.max_k = max_k
        self.sample_size = sample_size
        self.tolerance = tolerance
        self.min_cluster_size = min_cluster_size
        self.n_init = n_init
        self.random_state = random_state
        self.merge_similarity = merge_similarity

    def _kmeans(self, k: int, n_init: int | None = None, max_iter: int = 300) -> KMeans:
        return KMeans(
            k, n_init=n_init or self.n_init, max_iter=max_iter, random_state=self.random_state
        )

    def _choose_k(self, X: np.ndarray, distinct: np.ndarray) -> int:
        if self.n_clusters is not None:
            self.k_selection_ = "fixed"
            return max(1, min(self.n_clusters, len(distinct)))
        if self.merge_similarity is not None:
            k = min(max(30, int(np.sqrt(len(distinct)))), len(distinct) // self.min_cluster_size)
            if k >= 2:
                self.k_selection_ = "merged"
                return k
        # k is chosen on distinct points: repeated comments ("slow slow slow", templates)
        # would otherwise reward a k that puts each duplicate group in its own cluster
        rows = seeded_rows(len(distinct), self.sample_size, self.random_state)
        Xs = distinct if rows is None else distinct[rows]
        max_k = self.max_k if self.max_k is not None else auto_max_k(len(distinct))
        hi = min(max_k, len(Xs) - 1, len(Xs) // self.min_cluster_size)
        lo = min(self.min_k, hi)
        if hi < 2:
            self.k_selection_ = "degenerate"
            return 1
        for k in k_grid(lo, hi):
            labels = self._kmeans(k, n_init=1, max_iter=100).fit_predict(Xs)
            if len(np.unique(labels)) < 2:
                continue
            self.k_scores_[k] = float(silhouette_score(Xs, labels))
        if not self.k_scores_:
            self.k_selection_ = "degenerate"
            return 1
        best = max(self.k_scores_.values())
        self.k_selection_ = "silhouette"
        floor = best - self.tolerance * abs(best)
        return min(k for k, score in self.k_scores_.items() if score >= floor)

    def fit(
        self, X: np.ndarray, y: object = None, sample_weight: np.ndarray | None = None
    ) -> AutoKMeans:
        """``sample_weight``: how many times each row counts (e.g. a distinct clause's
        repeats), as if the row were repeated that many times."""
        X = np.asarray(X, dtype=np.float32)
        if X.ndim != 2 or X.shape[0] == 0:
            raise ValueError("AutoKMeans needs a non-empty 2-d array")
        weights = (
            np.ones(len(X)) if sample_weight is None else np.asarray(sample_weight, np.float64)
        )
        self.k_scores_: dict[int, float] = {}
        first, inverse, _ = distinct_rows(X)
        counts = np.bincount(inverse, weights=weights)
        k = self._choose_k(X, X[first])
        if k == 1:
            self.labels_ = np.zeros(X.shape[0], dtype=np.int64)
            self.cluster_centers_ = cluster_means(X, self.labels_, 1, weights)
        elif self.k_selection_ == "merged":
            labels = self._over_split(X[first], counts, k)
            self.labels_ = labels[inverse]
            self._merge(X, weights)
        else:
            with warnings.catch_warnings():  # duplicates can leave KMeans short of k: handled
                warnings.simplefilter("ignore")
                model = self._kmeans(k).fit(X, sample_weight=weights)
            self.labels_ = model.labels_.astype(np.int64)
            self.cluster_centers_ = model.cluster_centers_
        self.n_clusters_ = len(self.cluster_centers_)
        return self

    def _over_split(self, distinct: np.ndarray, counts: np.ndarray, k: int) -> np.ndarray:
        """KMeans into k on distinct points weighted by their repeats.

        k-means++ costs n·k² and k grows as √n: on all 131k clauses of 30k comments it took
        330 s of a 385 s stage. So above ``sample_size`` × 5 distinct points, one KMeans run
        is fitted on a seeded sample of that many and every distinct point then goes to its
        nearest centre (the merge that follows evens out what more runs would). Smaller
        inputs get 10 runs: cheap there, and the sample's planted-pain score moved by ±0.03
        with the seed at 3. The fit runs in float64 (scikit-learn's k-means++ upcasts
        float32 distances chunk by chunk: 7 s against 1.4 s for k = 141 on 5,000 points) and
        on one thread (on the shared 2-core machine two threads cost 3× the CPU: 1.95 s
        against 0.63 s for k = 151 on 5,000 clauses, and 3× the wall time).
        """
        rows = seeded_rows(len(distinct), self.sample_size * 5, self.random_state)
        fit_on = slice(None) if rows is None else rows
        with warnings.catch_warnings(), threadpool_limits(1):
            warnings.simplefilter("ignore")
            model = self._kmeans(k, n_init=10 if rows is None else 1)
            model.fit(distinct[fit_on].astype(np.float64), sample_weight=counts[fit_on])
        if rows is None:
            return model.labels_.astype(np.int64)
        return nearest_centre(distinct, model.cluster_centers_)

    def _merge(self, X: np.ndarray, weights: np.ndarray) -> None:
        """Join over-split clusters whose centres are alike (average linkage, cosine),
        relative to how alike two centres of this corpus are on average."""
        used, labels = np.unique(self.labels_, return_inverse=True)
        centres = normalize(cluster_means(X, labels, len(used), weights))
        if len(centres) > 1:
            cosines = centres @ centres.T
            background = float(cosines[~np.eye(len(centres), dtype=bool)].mean())
            self.merge_threshold_ = background + (1 - background) * float(self.merge_similarity)
            tree = linkage(centres, "average", metric="cosine")
            groups = fcluster(tree, 1 - self.merge_threshold_, "distance") - 1
            _, groups = np.unique(groups, return_inverse=True)
        else:
            groups = np.zeros(1, dtype=np.int64)
        self.labels_ = groups[labels].astype(np.int64)
        self.cluster_centers_ = cluster_means(X, self.labels_, int(groups.max()) + 1, weights)

    def predict(self, X: np.ndarray) -> np.ndarray:
        check_is_fitted(self, "cluster_centers_")
        X = np.asarray(X, dtype=np.float32)
        dist = ((X[:, None, :] - self.cluster_centers_[None, :, :]) ** 2).sum(axis=2)
        return dist.argmin(axis=1)


class PainPointClusterer(ClusterMixin, TransformerMixin, BaseEstimator):
    """Group free-text comments into labelled pain points.

    Parameters:
        representation: a transformer texts → vectors (default
            :class:`CharTfidfRepresentation`).
        clusterer: an estimator with ``fit_predict`` on vectors (default :class:`AutoKMeans`).
        labeller: a :class:`BaseLabeller` (default :class:`ClassTfidfLabeller`).
        random_state: seed handed to every part whose own ``random_state`` is unset.
        max_fit_comments: above this many comments, the parts are fitted on a seeded sample
            of this size and every comment is then assigned to its nearest centre in
            batches of ``batch_size`` (memory grows with the sample, not with the input).

    Fitted attributes: ``labels_``, ``n_clusters_``, ``cluster_centers_`` (unit vectors in
    the representation space), ``similarities_`` (each training comment's cosine to its
    centre), ``cohesion_`` (mean of those per cluster), ``names_``, ``keywords_``,
    ``k_scores_`` and ``k_selection_`` (how k was chosen).
    ``transform`` gives cosine similarities to the centres; ``predict`` the nearest one.
    """

    def __init__(
        self,
        representation: TransformerMixin | None = None,
        clusterer: ClusterMixin | None = None,
        labeller: BaseLabeller | None = None,
        random_state: int | None = None,
        max_fit_comments: int | None = None,
        batch_size: int = 50_000,
    ) -> None:
        self.representation = representation
        self.clusterer = clusterer
        self.labeller = labeller
        self.random_state = random_state
        self.max_fit_comments = max_fit_comments
        self.batch_size = batch_size

    def _part(self, part: BaseEstimator | None, default: BaseEstimator) -> BaseEstimator:
        est = clone(part) if part is not None else default
        params = est.get_params(deep=False)
        if "random_state" in params and params["random_state"] is None:
            est.set_params(random_state=self.random_state)
        return est

    def fit(
        self, X: Iterable[str], y: object = None, sample_weight: np.ndarray | None = None
    ) -> PainPointClusterer:
        """Cluster and label ``X``. ``sample_weight``: how many times each text counts, so
        that 400k clauses can be fitted as their 40k distinct texts with their repeats."""
        texts = as_texts(X)
        if not texts:
            raise ValueError("PainPointClusterer needs at least one comment")
        weights = np.ones(len(texts)) if sample_weight is None else np.asarray(sample_weight, float)
        self.representation_ = self._part(self.representation, CharTfidfRepresentation())
        self.clusterer_ = self._part(self.clusterer, AutoKMeans())
        self.labeller_ = self._part(self.labeller, ClassTfidfLabeller())
        rows = seeded_rows(len(texts), self.max_fit_comments, self.random_state)
        sample = texts if rows is None else [texts[i] for i in rows]
        sample_weights = weights if rows is None else weights[rows]
        vectors = np.asarray(self.representation_.fit_transform(sample), dtype=np.float32)
        if has_fit_parameter(self.clusterer_, "sample_weight"):
            labels = self.clusterer_.fit_predict(vectors, sample_weight=sample_weights)
        else:
            labels = self.clusterer_.fit_predict(vectors)
        # renumber densely (a pluggable clusterer may skip numbers or use -1 for noise)
        _, labels = np.unique(np.asarray(labels, dtype=np.int64), return_inverse=True)
        k = int(labels.max()) + 1
        centres = normalize(cluster_means(vectors, labels, k, sample_weights))
        if sample is texts:
            similarities = np.einsum("ij,ij->i", vectors, centres[labels])
        else:
            labels, similarities = self._assign(texts, centres)
            kept, labels = np.unique(labels, return_inverse=True)  # a centre may win nothing
            centres = centres[kept]
        self.labels_ = labels.astype(np.int64)
        self.n_clusters_ = len(centres)
        self.cluster_centers_ = centres
        self.similarities_ = similarities
        self.cohesion_ = np.bincount(
            labels, weights=similarities * weights, minlength=self.n_clusters_
        ) / np.maximum(np.bincount(labels, weights=weights, minlength=self.n_clusters_), 1e-12)
        describe_kwargs: dict[str, object] = {}
        if "weights" in inspect.signature(self.labeller_.describe).parameters:
            describe_kwargs["weights"] = weights
        descriptions = self.labeller_.describe(
            texts,
            labels,
            self.n_clusters_,
            vectors=vectors if sample is texts else None,
            embed=self._embed,
            **describe_kwargs,
        )
        self.names_ = [d.label for d in descriptions]
        self.keywords_ = [list(d.keywords) for d in descriptions]
        self.k_scores_ = dict(getattr(self.clusterer_, "k_scores_", {}))
        self.k_selection_ = getattr(self.clusterer_, "k_selection_", "clusterer")
        return self

    def _embed(self, texts: list[str]) -> np.ndarray:
        return normalize(np.asarray(self.representation_.transform(texts), dtype=np.float32))

    def _assign(self, texts: list[str], centres: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Nearest centre and its cosine for every comment, ``batch_size`` at a time."""
        labels, similarities = [], []
        for start in range(0, len(texts), self.batch_size):
            vectors = self.representation_.transform(texts[start : start + self.batch_size])
            cosines = normalize(np.asarray(vectors, dtype=np.float32)) @ centres.T
            labels.append(cosines.argmax(axis=1))
            similarities.append(cosines.max(axis=1))
        return np.concatenate(labels), np.concatenate(similarities).astype(np.float32)

    def fit_predict(self, X: Iterable[str], y: object = None, **_: object) -> np.ndarray:
        return self.fit(X).labels_

    def transform(self, X: Iterable[str]) -> np.ndarray:
        check_is_fitted(self, "cluster_centers_")
        vectors = np.asarray(self.representation_.transform(as_texts(X)), dtype=np.float32)
        return normalize(vectors) @ self.cluster_centers_.T

    def predict(self, X: Iterable[str]) -> np.ndarray:
        return self.transform(X).argmax(axis=1)

    def embed(self, X: Iterable[str]) -> np.ndarray:
        """The fitted representation's vectors (for picking representative comments)."""
        check_is_fitted(self, "cluster_centers_")
        return normalize(np.asarray(self.representation_.transform(as_texts(X))))

    def get_cluster_info(self) -> pd.DataFrame:
        """One row per cluster, like BERTopic's ``get_topic_info``."""
        check_is_fitted(self, "cluster_centers_")
        return pd.DataFrame(
            {
                "cluster": range(self.n_clusters_),
                "name": self.names_,
                "keywords": self.keywords_,
                "count": np.bincount(self.labels_, minlength=self.n_clusters_),
                "cohesion": self.cohesion_,
            }
        )
