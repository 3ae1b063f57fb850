"""The planted-pain score: a theme is found only by one cluster holding most of it, alone."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.planted_pains import best_cluster_scores, complaint_mask


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


def test_comments_left_out_count_against_recall_and_form_no_cluster() -> None:
    # export: 5 comments, 1 alone in cluster 0 (recall 1/5, purity 1) and 4 left out (-1).
    # Read as a cluster, the left-out four would score min(4/5, 1) = 0.8; they are not one.
    truth = np.array(["export", "export", "export", "export", "export", "praise"])
    labels = np.array([0, -1, -1, -1, -1, 1])
    assert best_cluster_scores(truth, labels)["export"] == pytest.approx(0.2)


def test_the_oracle_keeps_exactly_the_complaints() -> None:
    truth = np.array(["export", "praise", "support_complaint", "easy_start", "onboarding"])
    assert complaint_mask(truth).tolist() == [True, False, True, False, True]
