"""Pain-point clustering: quality against human labels, and speed / memory at scale.

Quality: NHS labelled feedback (9 theme labels), NMI and ARI of the default path with
automatic k and with k fixed to 9, against a plain word TF-IDF + KMeans baseline, over
several seeds. Speed: the default path (redaction, filtering, fit, labels, signatures) on
10k and 100k comments sampled with replacement from the real corpora, each size in a fresh
process so its peak RSS is its own.

    .venv/bin/python -m benchmarks.pain_points [--seeds 3] [--sizes 10000 100000 1000000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.common import REPO, machine, run_worker, worker_report, write_section

NHS = REPO.parent / "shared" / "data" / "nhs_fft" / "phase1_labelled_feedback.csv"
REVIEWS = REPO.parent / "shared" / "data" / "womens_clothing_reviews" / "reviews.csv"


V6 = REPO.parent / "shared" / "data" / "nhs_fft" / "fft_responses_v6framework.csv"
_V6_NOT_THEMES = {"Not assigned", "Labelling not possible"}


@dataclass(frozen=True)
class Labelled:
    name: str
    texts: list[str]
    truth: list[str]


def _clean(texts: pd.Series, truth: pd.Series) -> tuple[list[str], list[str]]:
    from pmanalytics.pain_points import has_content, redact_pii

    keep = texts.notna() & texts.map(has_content)
    return [redact_pii(t) for t in texts[keep]], truth[keep].astype(str).tolist()


def _nhs() -> Labelled:
    frame = pd.read_csv(NHS)
    texts, truth = _clean(frame["feedback"], frame["label"])
    return Labelled("NHS phase 1 labelled feedback", texts, truth)


def _nhs_v6() -> Labelled:
    """The v6-framework export: multi-label, so scored on comments with exactly one theme."""
    frame = pd.read_csv(V6)
    themes = [c for c in frame.columns[frame.columns.get_loc("Not assigned") :]]
    themes = [c for c in themes if c not in _V6_NOT_THEMES]
    flags = frame[themes].fillna(0).astype(float) > 0
    single = flags.sum(axis=1) == 1
    truth = flags[single].idxmax(axis=1)
    texts, labels = _clean(frame.loc[single, "FFT answer"], truth)
    return Labelled("NHS FFT v6 framework, single-theme comments", texts, labels)


def _sample(users: int = 1000) -> Labelled:
    """The committed sample's comments (or a bigger one from the same generator), scored
    against the topics the generator wrote."""
    from pmanalytics.sample import generate_sample

    with tempfile.TemporaryDirectory() as tmp:
        summary = generate_sample(Path(tmp), users=users, days=60, seed=7)
        frame = pd.read_csv(Path(tmp) / "surveys.csv", dtype=str)
    frame = frame.drop_duplicates("response_id")
    topics = dict(summary.comment_topics)
    frame = frame[frame["response_id"].isin(topics.keys())]
    truth = frame["response_id"].map(topics)
    texts, labels = _clean(frame["comment"], truth)
    return Labelled("sample (data/sample, generator's topics)", texts, labels)


def tfidf_kmeans(texts: list[str], k: int, seed: int) -> np.ndarray:
    """The baseline: word TF-IDF (1–2-grams, English stop words) + KMeans with a fixed k."""
    from sklearn.cluster import KMeans
    from sklearn.feature_extraction.text import TfidfVectorizer

    words = TfidfVectorizer(ngram_range=(1, 2), stop_words="english", min_df=2).fit_transform(texts)
    return KMeans(k, n_init=3, random_state=seed).fit_predict(words)


def _embeddings(texts: list[str]) -> tuple[np.ndarray | None, float]:
    """Sentence embeddings of the optional extra, once per data set (None without it)."""
    from pmanalytics.pain_points.representation import (
        EmbeddingsUnavailable,
        SentenceEmbeddingRepresentation,
    )

    started = time.perf_counter()
    try:
        vectors = SentenceEmbeddingRepresentation().fit(texts).transform(texts)
    except EmbeddingsUnavailable:
        return None, 0.0
    return vectors, time.perf_counter() - started


Run = tuple[float, float, float, int]  # NMI, ARI, seconds, k


def _score(data: Labelled, seeds: int) -> dict[str, list[Run]]:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    from pmanalytics.pain_points import AutoKMeans, PainPointClusterer

    k_true = len(set(data.truth))
    runs: dict[str, list[Run]] = {}

    def record(name: str, labels: np.ndarray, seconds: float) -> None:
        runs.setdefault(name, []).append(
            (
                normalized_mutual_info_score(data.truth, labels),
                adjusted_rand_score(data.truth, labels),
                seconds,
                len(set(labels.tolist())),
            )
        )

    vectors, embed_seconds = _embeddings(data.texts)
    for seed in range(seeds):
        for name, k in (("default, automatic k", None), (f"default, k = {k_true}", k_true)):
            started = time.perf_counter()
            est = PainPointClusterer(clusterer=AutoKMeans(n_clusters=k), random_state=seed)
            record(name, est.fit(data.texts).labels_, time.perf_counter() - started)
        if vectors is not None:
            # the embedding is deterministic: computed once, its time added to every fit
            for name, k in (
                ("embeddings (MiniLM), automatic k", None),
                (f"embeddings (MiniLM), k = {k_true}", k_true),
            ):
                started = time.perf_counter()
                labels = AutoKMeans(n_clusters=k, random_state=seed).fit(vectors).labels_
                record(name, labels, embed_seconds + time.perf_counter() - started)
        started = time.perf_counter()
        labels = tfidf_kmeans(data.texts, k_true, seed)
        record(
            f"baseline: word TF-IDF (1–2) + KMeans, k = {k_true}",
            labels,
            time.perf_counter() - started,
        )
    if vectors is None:
        runs["embeddings (MiniLM)"] = []
    return runs


def quality(seeds: int) -> tuple[list[str], dict[str, float]]:
    def ms(values: list[float]) -> str:
        sd = statistics.stdev(values) if len(values) > 1 else 0.0
        return f"{statistics.mean(values):.3f} ± {sd:.3f}"

    lines = [
        f"NMI and ARI against human (or planted) labels, {seeds} seeds (mean ± sd). "
        "Embedding rows need the `embeddings` extra: their time includes embedding every "
        "comment once.",
        "",
    ]
    nmi_by_method: dict[str, float] = {}
    for load in (_nhs, _nhs_v6, _sample):
        data = load()
        runs = _score(data, seeds)
        lines += [
            f"**{data.name}**: {len(data.texts):,} comments with content, "
            f"{len(set(data.truth))} labels.",
            "",
            "| method | k | NMI | ARI | fit (s) |",
            "|---|---:|---:|---:|---:|",
        ]
        for name, values in runs.items():
            if not values:
                lines.append(f"| {name} | – | not installed (`pmanalytics[embeddings]`) | | |")
                continue
            ks = sorted({v[3] for v in values})
            lines.append(
                f"| {name} | {', '.join(map(str, ks))} | {ms([v[0] for v in values])} | "
                f"{ms([v[1] for v in values])} | {statistics.mean(v[2] for v in values):.1f} |"
            )
            nmi_by_method[f"{data.name}: {name}"] = statistics.mean(v[0] for v in values)
        lines.append("")
    return lines, nmi_by_method


def comment_corpus(size: int, seed: int, distinct: bool = False) -> list[str]:
    """Real comments (NHS feedback and clothing reviews) sampled with replacement.

    Resampling repeats each real comment about three times at 100k. With ``distinct`` a
    repeat gets the opening words of another comment appended until it is new, so that
    every comment costs its own analysis (the worst case for the representation).
    """
    texts = pd.read_csv(NHS)["feedback"].dropna().astype(str).tolist()
    if REVIEWS.exists():
        texts += pd.read_csv(REVIEWS)["Review Text"].dropna().astype(str).tolist()
    rng = np.random.default_rng(seed)
    out = [texts[i] for i in rng.integers(0, len(texts), size)]
    if distinct:
        seen: set[str] = set()
        for i, text in enumerate(out):
            while text in seen:
                other = texts[int(rng.integers(0, len(texts)))]
                text = f"{text} {' '.join(other.split()[:8])}"
            seen.add(text)
            out[i] = text
    return out


#: k of the baseline in the speed table (ours chooses its own), and its largest input
BASELINE_K = 10
BASELINE_MAX = 100_000
#: what the pipeline's config uses: the fit-on-a-sample path above this
MAX_FIT_COMMENTS = 200_000


def worker(size: int, distinct: bool, method: str) -> None:
    from pmanalytics.pain_points import PainPointClusterer, has_content, redact_pii
    from pmanalytics.pain_points.representation import hashed_signatures

    raw = comment_corpus(size, seed=size, distinct=distinct)
    started = time.perf_counter()
    texts = [redact_pii(t) for t in raw if has_content(t)]
    if method == "baseline":
        tfidf_kmeans(texts, BASELINE_K, seed=0)
    else:
        est = PainPointClusterer(random_state=0, max_fit_comments=MAX_FIT_COMMENTS).fit(texts)
        hashed_signatures(texts, est.labels_, est.n_clusters_)
    worker_report(time.perf_counter() - started, len(texts))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--distinct", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--method", default="ours", help=argparse.SUPPRESS)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.size, args.distinct, args.method)
        return 0
    if not NHS.exists():
        print(f"needs the shared data at {NHS}", file=sys.stderr)
        return 2
    lines = ["## Pain-point clustering", ""]
    sizes = " ".join(map(str, args.sizes))
    lines.append(
        f"Command: `.venv/bin/python -m benchmarks.pain_points --seeds {args.seeds} "
        f"--sizes {sizes}`, run in an environment with the `embeddings` extra "
        "(`uv sync --extra dev --extra embeddings`; without it those rows say so)  "
    )
    lines += [f"Machine: {machine()}", ""]
    quality_lines, _ = quality(args.seeds)
    lines += quality_lines
    lines += [
        "Speed and peak memory of the default path (redact, filter, fit with automatic k, "
        "label, hashed signatures) against the baseline (word TF-IDF + KMeans, "
        f"k = {BASELINE_K} fixed), each in a fresh process. Comments are real (NHS feedback "
        "and clothing reviews, 240 characters on average) sampled with replacement "
        "(*resampled*: about a third distinct at 100k), or made all distinct by appending "
        "words of another comment to each repeat (*distinct*: the worst case, since each "
        "distinct comment is analysed once). Peak RSS is the measured process's own "
        "(`VmHWM`); the representation's joblib workers (at most one per core) are separate "
        "processes and not included.",
        "",
        "| comments | corpus | clustered | ours (s) | peak RSS (MB) | baseline (s) "
        "| baseline RSS (MB) | ours ÷ baseline |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for size in args.sizes:
        for corpus in ("resampled", "distinct"):
            flag = ["--distinct"] if corpus == "distinct" else []
            ours = run_worker("benchmarks.pain_points", "--size", str(size), *flag)
            cells = "– | – | –"
            if size <= BASELINE_MAX:
                base = run_worker(
                    "benchmarks.pain_points", "--size", str(size), *flag, "--method", "baseline"
                )
                cells = (
                    f"{base.seconds:.1f} | {base.max_rss_mb:,.0f} | "
                    f"{ours.seconds / base.seconds:.1f}×"
                )
            lines.append(
                f"| {size:,} | {corpus} | {ours.rows:,} | {ours.seconds:.1f} | "
                f"{ours.max_rss_mb:,.0f} | {cells} |"
            )
    lines += [
        "",
        "Above 200,000 comments (`[pain_points] max_fit_comments`) the estimator is fitted on "
        "a seeded sample of that size and every comment is then assigned to its nearest "
        "centre in batches (`PainPointClusterer(max_fit_comments=…, batch_size=…)`); the "
        f"baseline is not run above {BASELINE_MAX:,} comments (sparse KMeans on a million "
        "word vectors takes longer than the rest of this table).",
    ]
    markdown = "\n".join(lines)
    print(markdown)
    write_section("pain_points", markdown)
    print(f"\nwritten to {Path('docs/benchmarks.md')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
