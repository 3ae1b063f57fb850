"""Pain-point clustering: quality against human labels, and speed / memory at scale.

Quality: NHS phase 1 (9 theme labels), NHS v6 single-theme comments and the sample's
planted topics; NMI and ARI of MiniLM embeddings (the default) and of character TF-IDF, each
with automatic k and with the true k, against a plain word TF-IDF + KMeans baseline, over
several seeds. Speed: the cold embedding rate, and the whole pain-point stage on 10k comments
with an empty and a warm embedding cache and on 100k with a warm cache, each run in a fresh
process so its peak RSS is its own.

    .venv/bin/python -m benchmarks.pain_points [--seeds 3] [--sizes 10000 100000]
        [--skip-quality] [--skip-speed]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.common import REPO, machine, median, run_worker, worker_report, write_section

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


#: Embeddings of the benchmark corpora are cached here between runs (meta.embedding_cache).
CACHE_DB = Path(tempfile.gettempdir()) / "pma_bench_cache.duckdb"


def _embeddings(texts: list[str]) -> tuple[np.ndarray, float]:
    """MiniLM vectors of every comment (cached in :data:`CACHE_DB`), and the seconds taken."""
    import duckdb

    from pmanalytics.pain_points.embedding import EmbeddingCache, load_encoder

    started = time.perf_counter()
    with duckdb.connect(str(CACHE_DB)) as con:
        vectors = EmbeddingCache(con).embed(load_encoder(), texts)
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
        for name, k in (("char TF-IDF, automatic k", None), (f"char TF-IDF, k = {k_true}", k_true)):
            started = time.perf_counter()
            est = PainPointClusterer(clusterer=AutoKMeans(n_clusters=k), random_state=seed)
            record(name, est.fit(data.texts).labels_, time.perf_counter() - started)
        # the embedding is deterministic and cached: its (cached) time is added to every fit
        for name, k in (
            ("**MiniLM embeddings (default), automatic k**", None),
            (f"MiniLM embeddings, k = {k_true}", k_true),
        ):
            started = time.perf_counter()
            clusterer = AutoKMeans(n_clusters=k, merge_similarity=0.25, random_state=seed)
            labels = clusterer.fit(vectors).labels_
            record(name, labels, embed_seconds + time.perf_counter() - started)
        started = time.perf_counter()
        labels = tfidf_kmeans(data.texts, k_true, seed)
        record(
            f"baseline: word TF-IDF (1–2) + KMeans, k = {k_true}",
            labels,
            time.perf_counter() - started,
        )
    return runs


def quality(seeds: int) -> tuple[list[str], dict[str, float]]:
    def ms(values: list[float]) -> str:
        sd = statistics.stdev(values) if len(values) > 1 else 0.0
        return f"{statistics.mean(values):.3f} ± {sd:.3f}"

    lines = [
        f"NMI and ARI against human (or planted) labels, {seeds} seeds (mean ± sd). "
        "Whole comments are clustered here (the labels are per comment; the pipeline clusters "
        "clauses). Embedding rows' time includes reading every comment's vector from the "
        "embedding cache (embedding it on the first run).",
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


def throughput_worker(n: int, seed: int) -> None:
    """Embed ``n`` distinct real clauses with no cache: the cold embedding rate."""
    from pmanalytics.pain_points import split_clauses
    from pmanalytics.pain_points.embedding import load_encoder

    texts = pd.read_csv(NHS)["feedback"].dropna().astype(str).tolist()
    clauses = list(dict.fromkeys(c for t in texts for c in split_clauses(t)))
    picked = [clauses[i] for i in np.random.default_rng(seed).permutation(len(clauses))[:n]]
    encoder = load_encoder()
    started = time.perf_counter()
    encoder.encode(picked)
    worker_report(time.perf_counter() - started, len(picked))


def stage_worker(size: int, representation: str, cache_db: str, from_size: int) -> None:
    """The whole pain-point stage (``build_pain_points``) on ``size`` staged comments.

    Comments are real ones resampled (:func:`comment_corpus`); with ``from_size`` they are
    resampled from the ``from_size`` corpus's comments instead (so a cache filled by that
    run holds every clause). The warehouse ``cache_db`` keeps ``meta.embedding_cache``
    between runs; the previous run's summary is dropped so the stage always refits.
    Events are empty: behaviour links are excluded from the figure.
    """
    import duckdb

    from pmanalytics.config import parse_config
    from pmanalytics.pain_points import build_pain_points
    from pmanalytics.warehouse import compose

    pool = comment_corpus(from_size or size, seed=from_size or size)
    rng = np.random.default_rng(size)
    texts = pool if not from_size else [pool[i] for i in rng.integers(0, len(pool), size)]
    frame = pd.DataFrame(
        {
            "response_id": [f"r{i:07d}" for i in range(size)],
            "user_id": [f"u{i % 5000}" for i in range(size)],
            "metric": "nps",
            "score": rng.integers(0, 11, size).astype(float),
            "submitted_at": pd.Timestamp("2026-01-05")
            + pd.to_timedelta(rng.integers(0, 90 * 24, size), unit="h"),
            "comment": texts,
        }
    )
    con = duckdb.connect(cache_db)
    for schema in ("staging", "marts", "meta"):
        con.execute(compose("create schema if not exists {s}", s=schema))
    con.register("_bench_frame", frame)
    con.execute(
        "create or replace table staging.survey_responses as select *, 'bench' as survey, "
        "null::json as attributes, 'bench.csv' as source_file from _bench_frame"
    )
    con.unregister("_bench_frame")
    con.execute(
        "create or replace table staging.events (event_id varchar, user_id varchar, "
        "event varchar, occurred_at timestamp, properties json, "
        "numeric_properties struct(key varchar, value double)[])"
    )
    con.execute("drop table if exists marts.pain_point_summary")
    con.execute("drop table if exists meta.pain_point_state")
    config = parse_config({"pain_points": {"representation": representation}})
    started = time.perf_counter()
    result = build_pain_points(con, config)
    seconds = time.perf_counter() - started
    clauses = con.execute("select count(*) from marts.comment_clauses").fetchone()[0]
    con.close()
    print(
        f"{size} comments, {clauses} clauses, {result.n_pain_points} pain points", file=sys.stderr
    )
    worker_report(seconds, int(clauses))


def speed(sizes: list[int], runs: int) -> list[str]:
    """Cold embedding rate, and the whole stage cold and cached (fresh process each)."""
    rates = [
        run_worker("benchmarks.pain_points", "--throughput", "2000", "--seed", str(i))
        for i in range(runs)
    ]
    rate = median([m.rows / m.seconds for m in rates])
    lines = [
        "Cold embedding rate (MiniLM int8, padding per batch, length-sorted batches of 16 on "
        "2 worker threads, single-threaded calls, no spin-waiting, basic graph optimisation; "
        f"the model load counts): **{rate:,.0f} clauses/s**, median of {runs} runs of 2,000 "
        "distinct NHS "
        f"clauses ({', '.join(f'{m.rows / m.seconds:,.0f}' for m in rates)}); peak RSS "
        f"{max(m.max_rss_mb for m in rates):,.0f} MB.",
        "",
        "The whole pain-point stage (`build_pain_points`: redact, split, judge, embed or read "
        "the cache, cluster pain points and delighters, label, match ids, NPS with bootstrap, "
        "trend, write every table; behaviour links excluded: no events), each run in a fresh "
        "process on a warehouse file that keeps `meta.embedding_cache`:",
        "",
        "| comments | representation | cache | clauses | seconds | clauses/s | peak RSS (MB) |",
        "|---:|---|---|---:|---:|---:|---:|",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "bench.duckdb")
        base = sizes[0]
        plan = [
            (base, "embeddings", "cold (empty)", 0),
            (base, "embeddings", "warm (same comments)", 0),
        ]
        plan += [(n, "embeddings", f"warm (resampled from the {base:,})", base) for n in sizes[1:]]
        plan += [(base, "tfidf", "– (no model)", 0)]
        for size, representation, cache, from_size in plan:
            m = run_worker(
                "benchmarks.pain_points",
                "--stage",
                str(size),
                "--representation",
                representation,
                "--db",
                db,
                "--from-size",
                str(from_size),
            )
            lines.append(
                f"| {size:,} | {representation} | {cache} | {m.rows:,} | {m.seconds:.1f} | "
                f"{m.rows / m.seconds:,.0f} | {m.max_rss_mb:,.0f} |"
            )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--throughput", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--stage", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--representation", default="embeddings", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--from-size", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=3, help="runs of the cold embedding rate")
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--skip-speed", action="store_true")
    args = parser.parse_args(argv)
    if args.worker and args.throughput:
        throughput_worker(args.throughput, args.seed)
        return 0
    if args.worker:
        stage_worker(args.stage, args.representation, args.db, args.from_size)
        return 0
    if not NHS.exists():
        print(f"needs the shared data at {NHS}", file=sys.stderr)
        return 2
    options = "".join(
        flag
        for flag, on in (
            (" --skip-quality", args.skip_quality),
            (" --skip-speed", args.skip_speed),
            (f" --seeds {args.seeds}", not args.skip_quality),
            (f" --sizes {' '.join(map(str, args.sizes))}", not args.skip_speed),
        )
        if on
    )
    lines = [
        f"Command: `.venv/bin/python -m benchmarks.pain_points{options}`  ",
        f"Machine: {machine()}; load average at the start {os.getloadavg()[0]:.1f} (the "
        "machine is shared: absolute times are noisy, compare rows of one run)",
        "",
    ]
    if not args.skip_quality:
        quality_lines, _ = quality(args.seeds)
        write_section(
            "pain_points", "\n".join(["## Pain-point clustering", "", *lines, *quality_lines])
        )
    if not args.skip_speed:
        speed_lines = speed(args.sizes, args.runs)
        write_section(
            "pain_points_speed",
            "\n".join(["## Pain-point stage: speed and memory", "", *lines, *speed_lines]),
        )
    print(f"written to {Path('docs/benchmarks.md')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
