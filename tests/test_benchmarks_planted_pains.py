"""The planted-pain score: a theme is found only by one cluster holding most of it, alone."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.planted_pains import best_cluster_scores


def test_best_cluster_is_min_of_recall_and_purity_worked_by_hand() -> None:
    # export: 3 comments, 2 in cluster 0 (which also holds 2 praise) and 1 in cluster 1
    #   cluster 0: recall 2/3, purity 2/4 -> 0.5; cluster 1: recall 1/3, purity 1/1 -> 1/3
    # crash: 2 comments, both alone in cluster 2 -> 1.0
    truth = np.array(["export", "export", "export", "praise", "praise", "crash", "crash"])
    labels = np.array([0, 0, 1, 0, 0, 2, 2])
    scores = best_cluster_scores(truth, labels)
    assert scores["export"] == pytest.approx(0.5)
    assert scores["crash"] == pytest.approx(1.0)
    assert scores["onboarding"] == 0.0  # a pain nobody wrote is not found
