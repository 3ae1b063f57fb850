"""Does the default path find the pain points the sample generator planted?

Scores `PainPointClusterer` on the sample's comments (users=1000, days=60, seed 7, as
`data/sample/`) against the topic the generator wrote for each one. Per planted pain: the
best cluster's min(recall, purity), so a theme counts as found only if one cluster holds
most of it and little else. Mean over seeds; printed, not written to docs.

    .venv/bin/python -m benchmarks.planted_pains [--seeds 3]
"""

from __future__ import annotations

import argparse

import numpy as np

from benchmarks.pain_points import _sample
from pmanalytics.sample.story import PAINS


def best_cluster_scores(truth: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Per planted pain: max over clusters of min(recall, purity)."""
    scores = {}
    for pain in PAINS:
        is_pain = truth == pain
        best = 0.0
        for cluster in np.unique(labels[is_pain]):
            in_cluster = labels == cluster
            hits = int((in_cluster & is_pain).sum())
            best = max(best, min(hits / is_pain.sum(), hits / in_cluster.sum()))
        scores[pain] = best
    return scores


def main(argv: list[str] | None = None) -> int:
    from pmanalytics.pain_points import PainPointClusterer

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args(argv)
    data = _sample()
    truth = np.asarray(data.truth)
    runs = [
        best_cluster_scores(truth, PainPointClusterer(random_state=seed).fit(data.texts).labels_)
        for seed in range(args.seeds)
    ]
    means = {pain: float(np.mean([run[pain] for run in runs])) for pain in PAINS}
    print(f"{len(data.texts)} comments with content; mean of {args.seeds} seeds")
    print("| " + " | ".join([*PAINS, "mean"]) + " |")
    print("|" + "---:|" * (len(PAINS) + 1))
    values = [*means.values(), float(np.mean(list(means.values())))]
    print("| " + " | ".join(f"{v:.2f}" for v in values) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
