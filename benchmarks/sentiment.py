"""Clause sentiment against human labels: VADER, the embedding head, both, and a baseline.

Labels: NHS phase 1 ``criticality`` (negative values = critical comments, positive = not;
0 and stray codes left out) and NHS v6 ``Comment sentiment`` (1 very positive .. 5 very
negative; 4–5 negative, 1–2 positive, 3 neutral). Every comment is scored whole (a
comment's clauses are judged the same way). AUC of ``negative_score`` for negative vs
positive; binary accuracy at 0.5; three-class accuracy on v6 with the judge's thresholds.
Baseline: word TF-IDF + logistic regression trained on the same clothing reviews as the
head (no embeddings). Embeddings are cached in ``--cache`` (a DuckDB file), so a second
run embeds nothing.

    .venv/bin/python -m benchmarks.sentiment [--cache /tmp/pma_bench_cache.duckdb]
"""

from __future__ import annotations

import argparse
import time

import duckdb
import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from benchmarks.common import machine, write_section
from benchmarks.pain_points import NHS, V6
from benchmarks.train_sentiment_head import training_texts
from pmanalytics.pain_points import has_content, redact_pii
from pmanalytics.pain_points.clauses import load_head, vader_negative_score
from pmanalytics.pain_points.embedding import EmbeddingCache, load_encoder
from pmanalytics.pain_points.judge import ClauseJudge


def labelled_sets() -> list[tuple[str, list[str], np.ndarray]]:
    """(name, texts, label) with label 1 negative, 0 positive, -1 neutral (v6 only)."""
    phase1 = pd.read_csv(NHS)
    crit = pd.to_numeric(phase1["criticality"], errors="coerce")
    keep = phase1["feedback"].map(has_content) & crit.notna() & (crit != 0)
    p1 = (
        "NHS phase 1 (criticality < 0 vs > 0)",
        [redact_pii(t) for t in phase1.loc[keep, "feedback"]],
        (crit[keep] < 0).astype(int).to_numpy(),
    )
    v6 = pd.read_csv(V6)
    sent = pd.to_numeric(v6["Comment sentiment"], errors="coerce")
    keep = v6["FFT answer"].map(has_content) & sent.notna()
    label = np.where(sent[keep] >= 4, 1, np.where(sent[keep] <= 2, 0, -1))
    v6set = (
        "NHS v6 (sentiment 4–5 vs 1–2; 3 neutral)",
        [redact_pii(t) for t in v6.loc[keep, "FFT answer"]],
        label,
    )
    return [p1, v6set]


def baseline_model() -> tuple[TfidfVectorizer, LogisticRegression]:
    texts, y = training_texts(3000, 0)
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    return vectorizer, LogisticRegression(max_iter=2000).fit(vectorizer.fit_transform(texts), y)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", default="/tmp/pma_bench_cache.duckdb")
    args = parser.parse_args(argv)
    encoder = load_encoder()
    cache = EmbeddingCache(duckdb.connect(args.cache))
    vectorizer, baseline = baseline_model()
    judge = ClauseJudge()
    lines = [
        "## Clause sentiment",
        "",
        "Command: `.venv/bin/python -m benchmarks.sentiment`  ",
        f"Machine: {machine()}",
        "",
        "AUC of the negative score (negative vs positive comments), accuracy at 0.5 on the "
        "same comments, and on v6 the three-class accuracy (negative / neutral / positive) "
        f"with the judge's thresholds (negative ≥ {judge.negative_at}, positive ≤ "
        f"{judge.positive_at}).",
        "",
        "| labels | comments | method | AUC | accuracy | 3-class accuracy |",
        "|---|---:|---|---:|---:|---:|",
    ]
    for name, texts, label in labelled_sets():
        started = time.perf_counter()
        vectors = cache.embed(encoder, texts)
        seconds = time.perf_counter() - started
        print(f"{name}: {len(texts)} embedded in {seconds:.0f} s ({cache.misses} new)")
        stock = vader_negative_score(texts, product_words=False)
        head = load_head().negative_score(vectors)
        scores = {
            "baseline: word TF-IDF + logistic regression": baseline.predict_proba(
                vectorizer.transform(texts)
            )[:, 1],
            "VADER, stock lexicon": stock,
            "VADER + product words": vader_negative_score(texts),
            "embedding head": head,
            "stock VADER and head, mean": (stock + head) / 2,
            "0.7 × VADER + product words, 0.3 × head": ClauseJudge(cue_score=None).negative_score(
                texts, vectors, encoder.model_id
            ),
            "default: the same + complaint cues": judge.negative_score(
                texts, vectors, encoder.model_id
            ),
        }
        binary = label >= 0
        for method, score in scores.items():
            auc = roc_auc_score(label[binary], score[binary])
            acc = float(((score[binary] >= 0.5) == (label[binary] == 1)).mean())
            three = "–"
            if (label == -1).any():
                predicted = np.where(
                    score >= judge.negative_at, 1, np.where(score <= judge.positive_at, 0, -1)
                )
                three = f"{float((predicted == label).mean()):.3f}"
            lines.append(
                f"| {name} | {int(binary.sum()):,} | {method} | {auc:.3f} | {acc:.3f} | {three} |"
            )
    markdown = "\n".join(lines)
    print(markdown)
    write_section("sentiment", markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
