"""Pain-point clustering: quality against human labels, and speed / memory at scale.

Quality: NHS labelled feedback (9 theme labels), NMI and ARI of the default path with
automatic k and with k fixed to 9, against a plain word TF-IDF + KMeans baseline, over
several seeds. Speed: the default path (redaction, filtering, fit, labels, signatures) on
10k and 100k comments sampled with replacement from the real corpora, each size in a fresh
process so its peak RSS is its own.

    .venv/bin/python -m benchmarks.pain_points [--seeds 3] [--sizes 10000 100000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.common import REPO, machine, run_worker, worker_report, write_section

NHS = REPO.parent / "shared" / "data" / "nhs_fft" / "phase1_labelled_feedback.csv"
REVIEWS = REPO.parent / "shared" / "data" / "womens_clothing_reviews" / "reviews.csv"


def _nhs() -> tuple[list[str], list[str]]:
    from pmanalytics.pain_points import has_content, redact_pii

    frame = pd.read_csv(NHS).dropna(subset=["feedback"])
    keep = frame["feedback"].map(has_content)
    frame = frame[keep]
    return [redact_pii(t) for t in frame["feedback"]], frame["label"].astype(str).tolist()


def _baseline(texts: list[str], k: int, seed: int) -> np.ndarray:
    from sklearn.cluster import KMeans
    from sklearn.feature_extraction.text import TfidfVectorizer

    words = TfidfVectorizer(ngram_range=(1, 2), stop_words="english", min_df=2).fit_transform(texts)
    return KMeans(k, n_init=3, random_state=seed).fit_predict(words)


def quality(seeds: int) -> tuple[list[str], dict[str, float]]:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    from pmanalytics.pain_points import AutoKMeans, PainPointClusterer

    texts, truth = _nhs()
    k_true = len(set(truth))
    runs: dict[str, list[tuple[float, float, float, int]]] = {}
    for seed in range(seeds):
        for name, make in (
            ("default, automatic k", lambda s: PainPointClusterer(random_state=s)),
            (
                f"default, k = {k_true}",
                lambda s: PainPointClusterer(
                    clusterer=AutoKMeans(n_clusters=k_true), random_state=s
                ),
            ),
        ):
            started = time.perf_counter()
            est = make(seed).fit(texts)
            seconds = time.perf_counter() - started
            labels = est.labels_
            runs.setdefault(name, []).append(
                (
                    normalized_mutual_info_score(truth, labels),
                    adjusted_rand_score(truth, labels),
                    seconds,
                    est.n_clusters_,
                )
            )
        started = time.perf_counter()
        labels = _baseline(texts, k_true, seed)
        runs.setdefault(f"baseline: word TF-IDF (1–2) + KMeans, k = {k_true}", []).append(
            (
                normalized_mutual_info_score(truth, labels),
                adjusted_rand_score(truth, labels),
                time.perf_counter() - started,
                k_true,
            )
        )

    def ms(values: list[float]) -> str:
        sd = statistics.stdev(values) if len(values) > 1 else 0.0
        return f"{statistics.mean(values):.3f} ± {sd:.3f}"

    lines = [
        f"NHS labelled feedback: {len(texts):,} comments with content, {k_true} labels, "
        f"{seeds} seeds (mean ± sd).",
        "",
        "| method | k | NMI | ARI | fit (s) |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, values in runs.items():
        ks = sorted({v[3] for v in values})
        lines.append(
            f"| {name} | {', '.join(map(str, ks))} | {ms([v[0] for v in values])} | "
            f"{ms([v[1] for v in values])} | {statistics.mean(v[2] for v in values):.1f} |"
        )
    return lines, {name: statistics.mean(v[0] for v in values) for name, values in runs.items()}


def _corpus(size: int, seed: int) -> list[str]:
    """Real comments (NHS feedback and clothing reviews) sampled with replacement."""
    texts = pd.read_csv(NHS)["feedback"].dropna().astype(str).tolist()
    if REVIEWS.exists():
        texts += pd.read_csv(REVIEWS)["Review Text"].dropna().astype(str).tolist()
    rng = np.random.default_rng(seed)
    return [texts[i] for i in rng.integers(0, len(texts), size)]


def worker(size: int) -> None:
    from pmanalytics.pain_points import PainPointClusterer, has_content, redact_pii
    from pmanalytics.pain_points.representation import hashed_signatures

    raw = _corpus(size, seed=size)
    started = time.perf_counter()
    texts = [redact_pii(t) for t in raw if has_content(t)]
    est = PainPointClusterer(random_state=0).fit(texts)
    hashed_signatures(texts, est.labels_, est.n_clusters_)
    worker_report(time.perf_counter() - started, len(texts))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.size)
        return 0
    if not NHS.exists():
        print(f"needs the shared data at {NHS}", file=sys.stderr)
        return 2
    lines = ["## Pain-point clustering", ""]
    sizes = " ".join(map(str, args.sizes))
    lines.append(
        f"Command: `.venv/bin/python -m benchmarks.pain_points --seeds {args.seeds} "
        f"--sizes {sizes}`  "
    )
    lines += [f"Machine: {machine()}", ""]
    quality_lines, _ = quality(args.seeds)
    lines += quality_lines
    lines += [
        "",
        "Speed and peak memory of the default path (redact, filter, fit with automatic k, "
        "label, hashed signatures), one fresh process per size; comments sampled with "
        "replacement from the NHS feedback and clothing reviews.",
        "",
        "| comments | clustered | seconds | comments/s | peak RSS (MB) |",
        "|---:|---:|---:|---:|---:|",
    ]
    for size in args.sizes:
        m = run_worker("benchmarks.pain_points", "--size", str(size))
        lines.append(
            f"| {size:,} | {m.rows:,} | {m.seconds:.1f} | {m.rows / m.seconds:,.0f} | "
            f"{m.max_rss_mb:,.0f} |"
        )
    markdown = "\n".join(lines)
    print(markdown)
    write_section("pain_points", markdown)
    print(f"\nwritten to {Path('docs/benchmarks.md')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
