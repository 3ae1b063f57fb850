"""The estimator contract and an obvious grouping."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.metrics import adjusted_rand_score

from pmanalytics.pain_points import (
    AutoKMeans,
    CharTfidfRepresentation,
    ClassTfidfLabeller,
    PainPointClusterer,
)
from tests.pain_points.helpers import THEMES

CORPUS = THEMES["export"] + THEMES["slow"] + THEMES["pricing"]
TRUTH = [0] * 6 + [1] * 6 + [2] * 6


def test_params_round_trip_through_clone() -> None:
    est = PainPointClusterer(
        representation=CharTfidfRepresentation(n_components=20),
        clusterer=AutoKMeans(min_k=2, max_k=5),
        labeller=ClassTfidfLabeller(n_keywords=4),
        random_state=3,
    )
    params = est.get_params(deep=True)
    assert params["clusterer__max_k"] == 5
    assert params["representation__n_components"] == 20
    twin = clone(est)
    assert twin.get_params(deep=False).keys() == est.get_params(deep=False).keys()
    assert twin.get_params()["labeller__n_keywords"] == 4
    twin.set_params(random_state=7, clusterer__max_k=6)
    assert twin.random_state == 7 and twin.clusterer.max_k == 6
    assert est.clusterer.max_k == 5  # clone did not share the part


def test_init_only_stores() -> None:
    est = PainPointClusterer()
    assert est.representation is None and est.clusterer is None and est.labeller is None


def test_not_fitted() -> None:
    with pytest.raises(NotFittedError):
        PainPointClusterer().predict(["x"])
    with pytest.raises(NotFittedError):
        PainPointClusterer().transform(["x"])


def test_obvious_grouping_with_automatic_k() -> None:
    est = PainPointClusterer(random_state=0).fit(CORPUS)
    assert est.n_clusters_ == 3
    assert est.k_selection_ == "silhouette"
    assert adjusted_rand_score(TRUTH, est.labels_) == 1.0
    labels = {est.labels_[0]: "export", est.labels_[6]: "slow", est.labels_[12]: "pric"}
    for cluster, word in labels.items():
        assert word in est.names_[cluster]
        assert any(word in k for k in est.keywords_[cluster])
    assert np.array_equal(est.predict(CORPUS), est.labels_)
    sims = est.transform(["the pdf export failed"])
    assert sims.shape == (1, 3) and sims.argmax() == est.labels_[0]
    info = est.get_cluster_info()
    assert list(info["count"]) == [6, 6, 6]


def test_fixed_k_and_fit_predict() -> None:
    est = PainPointClusterer(clusterer=AutoKMeans(n_clusters=3), random_state=0)
    labels = est.fit_predict(CORPUS)
    assert est.k_selection_ == "fixed"
    assert adjusted_rand_score(TRUTH, labels) == 1.0
    assert hasattr(est, "labels_") and est.labels_ is labels


def test_deterministic_with_a_seed() -> None:
    a = PainPointClusterer(random_state=1).fit(CORPUS)
    b = PainPointClusterer(random_state=1).fit(CORPUS)
    assert np.array_equal(a.labels_, b.labels_)
    assert a.names_ == b.names_
    assert np.allclose(a.cluster_centers_, b.cluster_centers_)


@pytest.mark.parametrize(
    "texts",
    [
        ["only one comment"],
        ["one comment", "another one"],
        ["same text"] * 7,
        ["a b", "c d", "e f"],
    ],
)
def test_degenerate_inputs_give_one_cluster(texts: list[str]) -> None:
    est = PainPointClusterer(random_state=0).fit(texts)
    assert est.n_clusters_ == 1
    assert list(est.labels_) == [0] * len(texts)
    assert est.names_[0]


def test_zero_comments_is_an_error() -> None:
    with pytest.raises(ValueError, match="at least one comment"):
        PainPointClusterer().fit([])


def test_more_comments_than_max_fit_comments_fit_on_a_sample_then_assign_in_batches() -> None:
    """The path for inputs larger than memory should hold: fit on a sample, predict the rest."""
    corpus = CORPUS * 4  # 72 comments, 3 themes
    truth = TRUTH * 4
    est = PainPointClusterer(
        clusterer=AutoKMeans(n_clusters=3), random_state=0, max_fit_comments=24, batch_size=10
    ).fit(corpus)
    assert len(est.labels_) == len(corpus) and est.n_clusters_ == 3
    assert adjusted_rand_score(truth, est.labels_) == 1.0
    assert np.array_equal(est.predict(corpus), est.labels_)
    assert est.similarities_.shape == (len(corpus),)
    assert list(est.get_cluster_info()["count"]) == [24, 24, 24]
    again = PainPointClusterer(
        clusterer=AutoKMeans(n_clusters=3), random_state=0, max_fit_comments=24, batch_size=10
    ).fit(corpus)
    assert np.array_equal(again.labels_, est.labels_)


def test_representation_fitted_on_a_sample_places_every_comment() -> None:
    """Fitting the vocabulary and SVD on a sample must still give every comment a vector,
    equal to what ``transform`` gives it (the sample's rows are reused, not recomputed)."""
    corpus = CORPUS * 3 + ["a comment seen only once, about invoices"]
    rep = CharTfidfRepresentation(
        fit_sample_size=20, chunk_size=7, n_jobs=2, n_components=5, random_state=0
    )
    vectors = rep.fit_transform(corpus)
    assert vectors.shape == (len(corpus), 5)
    np.testing.assert_allclose(vectors, rep.transform(corpus), atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_labels_skip_greetings_and_fillers() -> None:
    texts = ["Hi, exports fail", "hi exports fail again", "Hello, exports keep failing"] * 3
    texts += ["tbh the price is too high", "Honestly, price too high", "ok price is high"] * 3
    labels = np.array([0] * 9 + [1] * 9)
    described = ClassTfidfLabeller().describe(texts, labels, 2)
    words = {w for d in described for k in d.keywords for w in k.split()}
    assert not words & {"hi", "hello", "tbh", "honestly", "ok"}
    assert "exports" in described[0].label and "price" in described[1].label
    # a team can keep them (or add its own) through the parameter
    kept = ClassTfidfLabeller(extra_stop_words=()).describe(texts, labels, 2)
    assert "hi" in {w for k in kept[0].keywords for w in k.split()}
    with pytest.raises(ValueError, match="stop_words"):
        ClassTfidfLabeller(stop_words="french").describe(texts, labels, 2)
