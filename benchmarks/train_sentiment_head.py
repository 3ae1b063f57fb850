"""Train the clause sentiment head: logistic regression on MiniLM embeddings.

Data: the CC0 Women's E-Commerce Clothing Reviews (``../shared/data``). Reviews of 1–2 stars
are negative, 5 stars positive (3–4 are mixed and left out); a seeded, balanced sample of
``--n`` reviews, each used twice: its text and, where given, its title (titles are short
phrases, like the clauses the head scores). The fitted coefficients are written to
``pmanalytics/pain_points/models/sentiment_head.json`` with the model id they belong to;
the pipeline never trains, it only reads that file.

Calibration, from the training reviews alone: the head's median logit on their clauses in
which the VADER lexicon finds no sentiment (``neutral_logit``). Trained on gushing 5-star
reviews, the raw head scores such plain statements about 0.8 negative; the judge subtracts
this logit so that a plain statement sits at 0.5. Vectors are read from (and written to)
the benchmarks' embedding cache, so a rerun embeds nothing.

    .venv/bin/python -m benchmarks.train_sentiment_head [--n 3000] [--seed 0]
        [--cache /tmp/pma_bench_cache.duckdb]
"""

from __future__ import annotations

import argparse
import json
import time

import duckdb
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from benchmarks.pain_points import CACHE_DB, REVIEWS
from pmanalytics.pain_points.clauses import HEAD_PATH, split_clauses, vader_negative_score
from pmanalytics.pain_points.embedding import EmbeddingCache, load_encoder


def training_texts(n: int, seed: int) -> tuple[list[str], np.ndarray]:
    """Balanced negative (1–2 stars) and positive (5 stars) texts and titles; 1 = negative."""
    frame = pd.read_csv(REVIEWS).dropna(subset=["Review Text"])
    frame = frame[frame["Rating"].isin([1, 2, 5])]
    frame["negative"] = (frame["Rating"] <= 2).astype(int)
    half = n // 2
    picked = pd.concat(
        [g.sample(min(half, len(g)), random_state=seed) for _, g in frame.groupby("negative")]
    )
    texts = picked["Review Text"].astype(str).tolist()
    labels = picked["negative"].tolist()
    titled = picked.dropna(subset=["Title"])
    texts += titled["Title"].astype(str).tolist()
    labels += titled["negative"].tolist()
    return texts, np.asarray(labels)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", default=str(CACHE_DB))
    args = parser.parse_args(argv)
    texts, y = training_texts(args.n, args.seed)
    encoder = load_encoder()
    cache = EmbeddingCache(duckdb.connect(args.cache))
    started = time.perf_counter()
    X = cache.embed(encoder, texts)
    seconds = time.perf_counter() - started
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.2, random_state=args.seed, stratify=y
    )
    held_out = LogisticRegression(C=1.0, max_iter=2000).fit(X_train, y_train)
    auc = roc_auc_score(y_test, held_out.predict_proba(X_test)[:, 1])
    head = LogisticRegression(C=1.0, max_iter=2000).fit(X, y)
    clauses = list(dict.fromkeys(c for t in texts for c in split_clauses(t)))
    plain = [c for c, v in zip(clauses, vader_negative_score(clauses), strict=True) if v == 0.5]
    logits = cache.embed(encoder, plain) @ head.coef_[0] + head.intercept_[0]
    neutral_logit = float(np.median(logits))
    HEAD_PATH.write_text(
        json.dumps(
            {
                "model_id": encoder.model_id,
                "trained_on": "womens_clothing_reviews (CC0): 1-2 stars negative, 5 positive",
                "command": "python -m benchmarks.train_sentiment_head "
                f"--n {args.n} --seed {args.seed}",
                "examples": len(y),
                "held_out_auc": round(float(auc), 4),
                "intercept": float(head.intercept_[0]),
                "neutral_logit": round(neutral_logit, 4),
                "neutral_clauses": len(plain),
                "coef": [round(float(c), 6) for c in head.coef_[0]],
            },
            indent=1,
        )
        + "\n"
    )
    print(
        f"{len(y)} examples embedded in {seconds:.0f} s; held-out AUC {auc:.3f}; neutral logit "
        f"{neutral_logit:.3f} on {len(plain)} plain clauses -> {HEAD_PATH}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
