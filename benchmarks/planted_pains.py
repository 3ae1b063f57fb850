"""Does the pain-point path find the pain points the sample generator planted?

Scores `PainPointClusterer` on the sample's comments (users=1000, days=60, seed 7, as
`data/sample/`) against the topic the generator wrote for each one. Per planted pain: the
best cluster's min(recall, purity), so a theme counts as found only if one cluster holds
most of it and little else. Mean over seeds; printed, not written to docs.

`--complaints-only` is an oracle: it clusters only the comments the generator wrote as
complaints (the planted pains and support complaints), so praise cannot get in the way. It
separates "can this representation tell the themes apart" from "do happy comments in the
same words pull them off". `--representation embeddings` needs the `embeddings` extra.
`--users N` generates a bigger sample from the same generator (same days and seed).

    .venv/bin/python -m benchmarks.planted_pains [--seeds 3] [--complaints-only]
        [--representation char_tfidf|embeddings] [--n-clusters K] [--users 1000]
"""

from __future__ import annotations

import argparse

import numpy as np

from benchmarks.pain_points import _sample
from pmanalytics.sample.story import PAINS

#: What the generator writes as a complaint: the planted pains and unhappy support answers.
COMPLAINT_TOPICS = (*PAINS, "support_complaint")


def best_cluster_scores(truth: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Per planted pain: max over clusters of min(recall, purity).

    ``labels`` of -1 mark comments left out of the clustering: they count against recall
    and belong to no cluster.
    """
    scores = {}
    for pain in PAINS:
        is_pain = truth == pain
        best = 0.0
        for cluster in np.unique(labels[is_pain & (labels >= 0)]):
            in_cluster = labels == cluster
            hits = int((in_cluster & is_pain).sum())
            best = max(best, min(hits / is_pain.sum(), hits / in_cluster.sum()))
        scores[pain] = best
    return scores


def complaint_mask(truth: np.ndarray) -> np.ndarray:
    """The comments the generator wrote as complaints (the oracle's clustering input)."""
    return np.isin(truth, COMPLAINT_TOPICS)


def main(argv: list[str] | None = None) -> int:
    from pmanalytics.config import PainPointsConfig
    from pmanalytics.pain_points.build import make_estimator

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--complaints-only", action="store_true")
    parser.add_argument("--representation", choices=("char_tfidf", "embeddings"))
    parser.add_argument("--n-clusters", type=int, help="fix k (default: automatic)")
    parser.add_argument("--users", type=int, default=1000, help="sample size (data/sample: 1000)")
    args = parser.parse_args(argv)
    data = _sample(args.users)
    truth = np.asarray(data.truth)
    texts = np.asarray(data.texts, dtype=object)
    keep = complaint_mask(truth) if args.complaints_only else np.ones(len(truth), dtype=bool)
    runs, ks = [], []
    for seed in range(args.seeds):
        settings = PainPointsConfig(
            random_state=seed,
            n_clusters=args.n_clusters,
            representation=args.representation or "char_tfidf",
        )
        model = make_estimator(settings).fit(list(texts[keep]))
        labels = np.full(len(truth), -1, dtype=np.int64)
        labels[keep] = model.labels_
        runs.append(best_cluster_scores(truth, labels))
        ks.append(model.n_clusters_)
    means = {pain: float(np.mean([run[pain] for run in runs])) for pain in PAINS}
    which = "complaints only (oracle)" if args.complaints_only else "all comments with content"
    print(f"{int(keep.sum())} comments, {which}; k = {ks}; mean of {args.seeds} seeds")
    print("| " + " | ".join([*PAINS, "mean"]) + " |")
    print("|" + "---:|" * (len(PAINS) + 1))
    values = [*means.values(), float(np.mean(list(means.values())))]
    print("| " + " | ".join(f"{v:.2f}" for v in values) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
