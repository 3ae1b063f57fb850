"""The whole pipeline, stage by stage, against issue #17's targets and its baselines.

    .venv/bin/python -m benchmarks.pipeline                     # 1M and 10M events, 3 runs each
    .venv/bin/python -m benchmarks.pipeline --sizes 1000000 10000000 --runs 3
    .venv/bin/python -m benchmarks.pipeline --quick --no-write  # 100k events, 1 run, print only

Data, per size: the sample generator's users, survey responses and daily gzip NDJSON events
(1M: 12,500 users × 60 days; 10M: 100,000 users × 75 days, as ``benchmarks.ingest``), plus
``comments.csv``, which tops the commented survey responses up to 10k (1M) or 100k (10M) with
real comments (``benchmarks.pain_points.comment_corpus``: NHS feedback and clothing reviews
sampled with replacement) on NPS responses of the sample's users. The last day's event file
is held back as the increment. Data sets are cached in ``benchmarks/out/pipeline/``
(git-ignored) and made again when the generator's code or this recipe changes.

Every measurement runs in a fresh child process, so its peak RSS is its own:

* **first run** (once per size, not per repetition): the full run below on a fresh warehouse
  with an empty embedding cache, so every distinct (redacted) comment clause is embedded by
  the ONNX model. Time spent in ``EmbeddingCache.embed`` (hash, look-up, encode, store) and
  the texts it embedded give the *first-time embedding* line (texts/s). Its
  ``meta.embedding_cache`` is then exported to ``embedding_cache-<model id>.parquet`` in the
  data set's folder (a model change writes another file, never reuses vectors).
* **full run**: a fresh warehouse holding only that embedding cache, loaded before the child
  starts and not timed (as a file an earlier run left would be), then the steps of
  ``pmanalytics demo`` (the pieces ``pipeline.build`` calls, timed one by one): start-up,
  ingest, staging models, the Great Expectations import (started in a thread before
  staging, as the pipeline does: what is timed is the wait for the rest of it), validation
  of every load (with Data Docs), marts, pain points, report, checkpoint. Peak RSS is read
  after each stage. The embedding cache's hits and misses are counted (a wrapper on
  ``EmbeddingCache.embed``); a full run with a miss fails the benchmark, so the figure is
  the cached one it claims.
* **baselines**, on the same files and the warehouse the full run left: DuckDB's bare
  ``read_json`` of the event files (``benchmarks.ingest``); our marts models alone and the
  pandas KPIs, each on a copy of that warehouse (``benchmarks.marts``); word TF-IDF + KMeans
  with k fixed to the k ours chose, on the same comments (``benchmarks.pain_points``).
* **+1 day**: the held-back file added to that warehouse and the same steps run again, as a
  scheduled run would (files loaded before are skipped by content hash; validation covers
  the new loads only; staging, marts and pain points are rebuilt).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.abc
import importlib.util
import json
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType
from typing import Any

from benchmarks import ingest, marts, pain_points
from benchmarks.common import (
    REPO,
    interpreter,
    machine,
    median,
    peak_rss_mb,
    run_worker,
    worker_report,
    write_section,
)
from pmanalytics.config import Config

COMMAND = f"{interpreter()} -m benchmarks.pipeline"
CACHE = REPO / "benchmarks" / "out" / "pipeline"
DEFAULT_SIZES = [1_000_000, 10_000_000]
QUICK_SIZE = 100_000
#: Commented survey responses per size of the events (others: one per 100 events).
COMMENTS = {1_000_000: 10_000, 10_000_000: 100_000}
COMMENTS_FILE = "comments.csv"
SEED = 1
START = date(2026, 8, 3)
#: Bump when the data-set recipe in this file changes, so cached data sets are remade.
RECIPE_VERSION = 1
TARGET_SIZE = 10_000_000

STARTUP = "start-up (imports, open warehouse)"
INGEST_EVENTS = "ingest events"
INGEST_OTHER = "ingest users + surveys"
STAGING = "staging models"
GX_IMPORT = "import Great Expectations (rest)"
VALIDATE = "validate (GX, Data Docs)"
MARTS = "marts (KPI models)"
PAIN_POINTS = "pain points"
REPORT = "report (HTML)"
CLOSE = "checkpoint + close"
STAGES = (
    STARTUP,
    INGEST_EVENTS,
    INGEST_OTHER,
    STAGING,
    GX_IMPORT,
    VALIDATE,
    MARTS,
    PAIN_POINTS,
    REPORT,
    CLOSE,
)


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class DataSet:
    size: int
    users: int
    days: int
    comments: int
    work: Path

    @property
    def label(self) -> str:
        return _label(self.size)

    @property
    def sample(self) -> Path:
        return self.work / "data" / "sample"


def _label(size: int) -> str:
    return f"{size / 1e6:g}M" if size >= 1_000_000 else f"{size / 1e3:g}k"


def data_set(size: int, cache: Path) -> DataSet:
    """The generator's arguments for about ``size`` events (≈ 80 events per user)."""
    users, days = ingest.SIZES.get(size, (max(size // 80, 20), 60))
    comments = COMMENTS.get(size, max(size // 100, 20))
    return DataSet(size, users, days, comments, cache / _label(size))


def _generator_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sorted((REPO / "pmanalytics" / "sample").glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def prepare_data(ds: DataSet) -> dict[str, Any]:
    """Generate the data set, or reuse the cached one made by the same recipe; its manifest."""
    from pmanalytics.sample import generate_sample

    recipe = {
        "users": ds.users,
        "days": ds.days,
        "seed": SEED,
        "comments": ds.comments,
        "generator": _generator_fingerprint(),
        "version": RECIPE_VERSION,
    }
    manifest_path = ds.work / "manifest.json"
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("recipe") == recipe:
            return manifest
    shutil.rmtree(ds.work, ignore_errors=True)
    started = time.perf_counter()
    summary = generate_sample(ds.sample, users=ds.users, days=ds.days, seed=SEED, start_date=START)
    last = sorted((ds.sample / "events").glob("*.ndjson.gz"))[-1]
    (ds.sample / "increment").mkdir()
    increment = shutil.move(last, ds.sample / "increment" / last.name)
    generated, topped_up = write_comments(ds)
    manifest = {
        "recipe": recipe,
        "events": summary.n_events,
        "increment_events": _count_lines(Path(increment)),
        "generated_comments": generated,
        "corpus_comments": topped_up,
        "seconds": round(time.perf_counter() - started, 1),
    }
    manifest_path.write_text(json.dumps(manifest, indent=2))
    return manifest


def _count_lines(path: Path) -> int:
    import gzip

    with gzip.open(path, "rb") as handle:
        return sum(1 for _ in handle)


def write_comments(ds: DataSet) -> tuple[int, int]:
    """Top the commented responses up to ``ds.comments`` with real comments (NPS responses).

    Returns the generator's commented responses and the number added.
    """
    import numpy as np
    import pandas as pd

    surveys = pd.read_csv(ds.sample / "surveys.csv")
    generated = int(surveys["comment"].fillna("").astype(str).str.strip().ne("").sum())
    n = max(ds.comments - generated, 1)
    rng = np.random.default_rng(SEED)
    users = pd.read_csv(ds.sample / "users.csv", usecols=["user_id", "plan", "created_at"])
    pick = users.iloc[rng.integers(0, len(users), n)].reset_index(drop=True)
    start = pd.Timestamp(START, tz="UTC")
    end = start + pd.Timedelta(days=ds.days)
    created = pd.to_datetime(pick["created_at"], utc=True).clip(start, end)
    submitted = created + (end - created) * rng.random(n)
    nps = pd.to_numeric(surveys.loc[surveys["metric"] == "nps", "score"], errors="coerce")
    nps = nps[nps.between(0, 10)].to_numpy()
    scores = rng.choice(nps, n) if len(nps) else rng.integers(0, 11, n)
    pd.DataFrame(
        {
            "response_id": [f"bench_{i:07d}" for i in range(n)],
            "user_id": pick["user_id"],
            "submitted_at": submitted.dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "survey": "benchmark-comments",
            "metric": "nps",
            "score": scores.astype(int),
            "comment": pain_points.comment_corpus(n, seed=ds.size),
            "plan": pick["plan"],
        }
    ).to_csv(ds.sample / COMMENTS_FILE, index=False)
    return generated, n


def pipeline_config(work: Path, *, with_increment: bool = False) -> Config:
    """pmanalytics.toml on ``work/data/sample``, plus the comments file as a survey source."""
    from pmanalytics.config import SourceConfig, SurveyMapping

    config = marts.sample_config(work)
    events = "data/sample/**/events-*.ndjson.gz"  # events/ and increment/
    sources = [
        s.model_copy(update={"path": events}) if with_increment and s.kind == "events" else s
        for s in config.sources
    ]
    sources.append(
        SourceConfig(
            name="benchmark_comments",
            kind="surveys",
            path=f"data/sample/{COMMENTS_FILE}",
            mapping=SurveyMapping(segments=["plan"]),
        )
    )
    return config.model_copy(update={"sources": sources})


# --------------------------------------------------------------------------- workers


@dataclass
class Stage:
    name: str
    seconds: float = 0.0
    rows: int = 0
    peak_rss_mb: float = 0.0


class StageClock:
    """Wall time, rows and the process's peak RSS so far for each named stage, in run order."""

    def __init__(self) -> None:
        self.stages: dict[str, Stage] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[Stage]:
        started = time.perf_counter()
        stage = self.stages.setdefault(name, Stage(name))
        yield stage
        self.record(name, time.perf_counter() - started)

    def record(self, name: str, seconds: float) -> None:
        stage = self.stages.setdefault(name, Stage(name))
        stage.seconds += seconds
        stage.peak_rss_mb = peak_rss_mb()


@dataclass
class EmbeddingCount:
    """What every ``EmbeddingCache`` of this process did: distinct texts found in the cache
    (hits), embedded by the model (misses), and the time spent in ``embed`` calls."""

    hits: int = 0
    misses: int = 0
    seconds: float = 0.0


EMBEDDING_MODULE = "pmanalytics.pain_points.embedding"


class _AfterImport(importlib.abc.MetaPathFinder):
    """Calls ``then(module)`` once ``name`` is imported, without importing it itself.

    The worker's count of embeddings must not import the embedding module (and scikit-learn
    with it) when the pipeline would not: a run that keeps its pain-point fit never does,
    and its start-up would otherwise carry the harness's import.
    """

    def __init__(self, name: str, then: Callable[[ModuleType], None]) -> None:
        self.name, self.then = name, then

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> ModuleSpec | None:
        if fullname != self.name:
            return None
        sys.meta_path.remove(self)  # once; the finders after it find the module
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        loader, then = spec.loader, self.then
        exec_module = loader.exec_module

        def exec_then(module: ModuleType) -> None:
            exec_module(module)
            then(module)

        loader.exec_module = exec_then  # type: ignore[method-assign]
        return spec


def count_embeddings() -> EmbeddingCount:
    """Count every ``EmbeddingCache.embed`` call from now on in this (worker) process.

    The pain-point build makes its cache inside ``build_pain_points``; wrapping the method
    on the class counts it, and any other cache, without changing what the build does. The
    class is wrapped when its module is imported (now, if it is already).
    """
    count = EmbeddingCount()

    def wrap(module: ModuleType) -> None:
        cache_class = module.EmbeddingCache
        embed = cache_class.embed

        def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
            hits, misses, started = self.hits, self.misses, time.perf_counter()
            try:
                return embed(self, *args, **kwargs)
            finally:
                count.seconds += time.perf_counter() - started
                count.hits += self.hits - hits
                count.misses += self.misses - misses

        cache_class.embed = counted

    when_imported(EMBEDDING_MODULE, wrap)
    return count


def when_imported(name: str, then: Callable[[ModuleType], None]) -> None:
    """``then(module)`` now if ``name`` is imported, else as soon as it is."""
    if name in sys.modules:
        then(sys.modules[name])
    else:
        sys.meta_path.insert(0, _AfterImport(name, then))


WORKERS_MODULE = "pmanalytics.pain_points.workers"


@dataclass
class HelperMemory:
    """The text helpers' memory (``pmanalytics.pain_points.workers``): separate processes,
    so the worker's own peak RSS does not hold them. ``peak_mb``: the largest sum of one
    ``TextWorkers``' helpers' peaks, read as they close."""

    helpers: int = 0
    peak_mb: float = 0.0


def measure_helpers() -> HelperMemory:
    """Read every text helper's peak RSS as it closes, from now on in this worker (the
    module is wrapped when it is imported, as :func:`count_embeddings` does)."""
    memory = HelperMemory()

    def wrap(module: ModuleType) -> None:
        workers_class = module.TextWorkers
        close = workers_class.__exit__

        def measured(self: Any, *args: Any) -> Any:
            peaks = [peak_rss_mb(h.process.pid) for h in self._helpers]
            memory.helpers += len(peaks)
            memory.peak_mb = max(memory.peak_mb, sum(peaks))
            return close(self, *args)

        workers_class.__exit__ = measured

    when_imported(WORKERS_MODULE, wrap)
    return memory


def _pipeline_worker(work: str, db: str, out: str, spawned_at: str, mode: str) -> None:
    """One run of the pipeline's steps: ``first`` or ``full`` (a fresh warehouse, with the
    embedding cache loaded for ``full``) or ``increment`` (the warehouse a full run left)."""
    from pmanalytics.pipeline import (
        build_marts,
        build_pain_points,
        build_staging,
        ingest_sources,
        recorded_run,
        source_order,
        validate_staging,
        write_report,
    )
    from pmanalytics.quality import import_early
    from pmanalytics.warehouse import open_warehouse

    embeddings = count_embeddings()
    helpers = measure_helpers()
    clock = StageClock()
    config = pipeline_config(Path(work), with_increment=mode == "increment")
    docs, report_path = Path(out).with_suffix(".docs"), Path(out).with_suffix(".html")
    con = open_warehouse(db, config)  # as the CLI opens it
    clock.record(STARTUP, time.time() - float(spawned_at))
    # the steps of pipeline.run_pipeline, each timed on its own
    with recorded_run(con, {"command": "benchmark", "mode": mode}) as run_id:
        ingested = []
        for name in source_order(config):
            kind = config.source(name).kind
            with clock.stage(INGEST_EVENTS if kind == "events" else INGEST_OTHER) as stage:
                ingested += ingest_sources(con, config, [name])
                stage.rows += sum(r.rows_read for r in ingested if r.source == name)
        load_ids = [r.load_id for r in ingested if r.load_id and not r.skipped]
        import_early()  # as pipeline.build does: the import overlaps staging
        with clock.stage(STAGING) as stage:
            models = {m.key: m.seconds for m in build_staging(con, config)}
            stage.rows = events = con.execute("select count(*) from staging.events").fetchone()[0]
        with clock.stage(GX_IMPORT):
            import great_expectations  # noqa: F401 - paid once per process, shown apart

        with clock.stage(VALIDATE) as stage:
            validate_staging(con, config, run_id=run_id, load_ids=load_ids, data_docs_dir=docs)
            stage.rows = sum(r.rows_loaded for r in ingested if r.load_id in load_ids)
        with clock.stage(MARTS) as stage:
            models |= {m.key: m.seconds for m in build_marts(con, config)}
            stage.rows = events
        with clock.stage(PAIN_POINTS) as stage:
            found = build_pain_points(con, config)
            stage.rows = found.clustered_comments if found else 0
        with clock.stage(REPORT):
            write_report(con, config, report_path, data_docs_dir=docs)
    with clock.stage(CLOSE):
        con.execute("checkpoint")
        con.close()
    total = time.time() - float(spawned_at)
    Path(out).write_text(
        json.dumps(
            {
                "stages": {s.name: asdict(s) for s in clock.stages.values()},
                "models": models,
                "total": total,
                "events": events,
                "k": found.n_pain_points if found else 0,
                "embeddings": asdict(embeddings),
                "helpers": asdict(helpers),
            }
        )
    )
    worker_report(total, events)


def _tfidf_worker(db: str, k: str) -> None:
    """The pain-point baseline on the comments ours clustered (read and cleaned untimed)."""
    from pmanalytics.pain_points import has_content, redact_pii
    from pmanalytics.pain_points.build import load_responses
    from pmanalytics.warehouse import connect

    con = connect(db, read_only=True)
    texts = [
        redact_pii(c)
        for c in load_responses(con)["comment"]
        if isinstance(c, str) and has_content(c)
    ]
    con.close()
    started = time.perf_counter()
    pain_points.tfidf_kmeans(texts, int(k), seed=0)
    worker_report(time.perf_counter() - started, len(texts))


# --------------------------------------------------------------------------- harness


def embedding_cache_file(ds: DataSet, config: Config) -> Path:
    """Where the first run's embeddings are kept, named by the model that made them."""
    from pmanalytics.pain_points.embedding import resolve_model

    model_id = resolve_model(config.pain_points.embedding_model).model_id
    return ds.work / f"embedding_cache-{model_id}.parquet"


def export_embedding_cache(db: Path, path: Path) -> int:
    """``meta.embedding_cache`` of the warehouse at ``db`` to Parquet; the rows written."""
    import duckdb
    import pyarrow.parquet as pq

    from pmanalytics.warehouse import connect

    con = connect(db, read_only=True)
    try:
        table = con.sql("select * from meta.embedding_cache").to_arrow_table()
    except duckdb.CatalogException:  # no cache: pain points off, or not on embeddings
        return 0
    finally:
        con.close()
    path.unlink(missing_ok=True)
    pq.write_table(table, path)
    return table.num_rows


def seed_embedding_cache(db: Path, path: Path, config: Config) -> int:
    """A fresh warehouse at ``db`` holding only the cached embeddings; the rows loaded.

    Done by the harness before a full run's process starts, untimed: it stands for the
    warehouse file an earlier run left, whose cache the pipeline reads as it is.
    """
    import pyarrow.parquet as pq

    from pmanalytics.pain_points.embedding import EmbeddingCache
    from pmanalytics.warehouse import open_warehouse

    rows = pq.read_table(path)
    con = open_warehouse(db, config)
    try:
        EmbeddingCache(con)._ensure()  # the table exactly as the pipeline creates it
        con.register("_cached", rows)
        con.execute("insert into meta.embedding_cache select * from _cached")
        con.unregister("_cached")
        con.execute("checkpoint")
    finally:
        con.close()
    return rows.num_rows


@dataclass
class SizeResult:
    ds: DataSet
    manifest: dict[str, Any]
    #: the first run: a full run with an empty embedding cache (once per size)
    first: dict[str, Any] = field(default_factory=dict)
    full: list[dict[str, Any]] = field(default_factory=list)
    increment: list[dict[str, Any]] = field(default_factory=list)
    #: bare (read_json), marts (ours alone), pandas, tfidf: (seconds, peak RSS MB) per run
    baselines: dict[str, list[tuple[float, float]]] = field(default_factory=dict)

    def add(self, name: str, seconds: float, max_rss_mb: float) -> None:
        self.baselines.setdefault(name, []).append((seconds, max_rss_mb))

    def baseline(self, name: str) -> tuple[float, float]:
        runs = self.baselines[name]
        return median([s for s, _ in runs]), median([m for _, m in runs])

    def stage(self, runs: list[dict[str, Any]], name: str) -> Stage | None:
        found = [r["stages"][name] for r in runs if name in r["stages"]]
        if not found:
            return None
        return Stage(
            name,
            median([s["seconds"] for s in found]),
            found[0]["rows"],
            median([s["peak_rss_mb"] for s in found]),
        )

    def total(self, runs: list[dict[str, Any]]) -> float:
        return median([r["total"] for r in runs])

    def peak(self, runs: list[dict[str, Any]]) -> float:
        return median([r["max_rss_mb"] for r in runs])


def _pipeline(ds: DataSet, db: Path, mode: str, run: int) -> dict[str, Any]:
    out = db.parent / f"{mode}-{run}.json"
    m = run_worker(
        "benchmarks.pipeline", "pipeline", str(ds.work), str(db), str(out), str(time.time()), mode
    )
    run = json.loads(out.read_text())
    # the text helpers run beside the worker during the pain points, where it peaks: their
    # peaks are added to its own (an upper bound of the two processes' memory together)
    helpers = run.get("helpers", {}).get("peak_mb", 0.0)
    return {**run, "max_rss_mb": m.max_rss_mb + helpers, "helpers_peak_mb": helpers}


def measure_size(ds: DataSet, runs: int) -> SizeResult:
    """The first run (empty embedding cache) once, then the full run (its cache loaded),
    the baselines and the +1 day run, ``runs`` times, interleaved."""
    started = time.perf_counter()
    manifest = prepare_data(ds)
    print(
        f"{ds.label}: {manifest['events']:,} events, "
        f"{manifest['generated_comments'] + manifest['corpus_comments']:,} comments ready "
        f"in {time.perf_counter() - started:.0f}s (kept in {ds.work})",
        flush=True,
    )
    result = SizeResult(ds, manifest)
    scratch = ds.work / "runs"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    config = pipeline_config(ds.work)
    cache_file = embedding_cache_file(ds, config)
    try:
        first_db = scratch / "first.duckdb"
        result.first = _pipeline(ds, first_db, "first", 0)
        cached = export_embedding_cache(first_db, cache_file)
        for path in scratch.glob("first.duckdb*"):
            path.unlink()
        emb = result.first["embeddings"]
        print(
            f"  first run (empty embedding cache): {result.first['total']:.1f}s, "
            f"{emb['misses']:,} texts embedded in {emb['seconds']:.1f}s; "
            f"{cached:,} cached vectors kept in {cache_file.name}",
            flush=True,
        )
        for run in range(runs):
            db = scratch / f"warehouse-{run}.duckdb"
            if cached:
                seed_embedding_cache(db, cache_file, config)
            full = _pipeline(ds, db, "full", run)
            result.full.append(full)
            emb = full["embeddings"]
            print(
                f"  run {run + 1} full: {full['total']:.1f}s, {full['max_rss_mb']:,.0f} MB; "
                f"embedding cache {emb['hits']:,} hits, {emb['misses']:,} misses",
                flush=True,
            )
            if emb["misses"]:
                raise RuntimeError(
                    f"full run {run + 1} embedded {emb['misses']:,} texts the first run had "
                    "cached: its time would not be the cached figure it is reported as"
                )
            bare_db = scratch / "bare.duckdb"
            bare = run_worker("benchmarks.ingest", "bare", str(ds.sample), str(bare_db))
            bare_db.unlink()
            result.add("bare", bare.seconds, bare.max_rss_mb)
            for mode, name in (("ours", "marts"), ("pandas", "pandas")):
                m, _ = marts.measure(mode, scratch, db, run)
                result.add(name, m.seconds, m.max_rss_mb)
            tfidf = run_worker("benchmarks.pipeline", "tfidf", str(db), str(full["k"]))
            result.add("tfidf", tfidf.seconds, tfidf.max_rss_mb)
            print(
                f"  run {run + 1} baselines: bare {bare.seconds:.1f}s, marts alone "
                f"{result.baselines['marts'][-1][0]:.1f}s / pandas "
                f"{result.baselines['pandas'][-1][0]:.1f}s, tf-idf {tfidf.seconds:.1f}s",
                flush=True,
            )
            result.increment.append(_pipeline(ds, db, "increment", run))
            emb = result.increment[-1]["embeddings"]
            print(
                f"  run {run + 1} +1 day: {result.increment[-1]['total']:.1f}s; "
                f"embedding cache {emb['hits']:,} hits, {emb['misses']:,} misses",
                flush=True,
            )
            for path in scratch.glob(f"warehouse-{run}.duckdb*"):
                path.unlink()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return result


# --------------------------------------------------------------------------- report


def _s(seconds: float) -> str:
    return f"{seconds:.2f}" if seconds < 10 else f"{seconds:.1f}"


def _n(rows: int) -> str:
    return f"{rows:,}" if rows else "—"


def _rate(rows: int, seconds: float) -> str:
    return f"{rows / seconds:,.0f}" if rows and seconds > 0 else "—"


def _stage_table(r: SizeResult) -> list[str]:
    m = r.manifest
    comments = m["generated_comments"] + m["corpus_comments"]
    held_back = m["increment_events"]
    lines = [
        f"**{r.ds.label}**: {r.ds.users:,} users; {m['events'] - held_back:,} events in "
        f"{r.ds.days - 1} daily files; {comments:,} commented survey responses "
        f"({m['generated_comments']:,} from the generator, {m['corpus_comments']:,} real "
        f"comments); +1 day = {held_back:,} events ({held_back / m['events']:.1%}).",
        "",
        "| stage | rows | full run (s) | rows/s | peak RSS so far (MB) | +1 day: rows | "
        "+1 day (s) | +1 day ÷ full |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in STAGES:
        full, inc = r.stage(r.full, name), r.stage(r.increment, name)
        if full is None or inc is None:
            continue
        share = f"{inc.seconds / full.seconds:.0%}" if full.seconds >= 0.05 else "—"
        lines.append(
            f"| {name} | {_n(full.rows)} | {_s(full.seconds)} | "
            f"{_rate(full.rows, full.seconds)} | {full.peak_rss_mb:,.0f} | "
            f"{_n(inc.rows)} | {_s(inc.seconds)} | {share} |"
        )
    total, inc_total = r.total(r.full), r.total(r.increment)
    events = r.full[0]["events"]
    lines.append(
        f"| **total** | {events:,} | **{_s(total)}** | {_rate(events, total)} | "
        f"**{r.peak(r.full):,.0f}** | | **{_s(inc_total)}** | {inc_total / total:.0%} |"
    )
    return lines


#: Stages a day's run pays whatever the warehouse holds: the process, the day's file, the
#: checks of the new load and the report (the checkpoint writes what the run changed: apart).
FIXED_STAGES = (STARTUP, INGEST_EVENTS, INGEST_OTHER, GX_IMPORT, VALIDATE, REPORT)
#: The one model brought up to date by load (``-- materialized: incremental by load_id``).
DAY_MODEL = "staging.events"


def increment_parts(run: dict[str, Any]) -> dict[str, float]:
    """One +1 day run's seconds split by what they grow with.

    ``fixed``: the stages above, and the staging and marts steps' time outside their models;
    ``day``: the day's events staged; over the whole history, rebuilt: ``staging`` (the other
    staging models), ``marts`` (intermediate and mart models), ``pain`` (the pain-point stage:
    the clustering is kept, the behaviour links read every answer's window again);
    ``checkpoint``: writing what the run changed, and closing.
    """
    stages, models = run["stages"], run["models"]

    def stage(name: str) -> float:
        return stages[name]["seconds"] if name in stages else 0.0

    staging = {k: v for k, v in models.items() if k.startswith("staging.")}
    marts = {k: v for k, v in models.items() if not k.startswith("staging.")}
    return {
        "fixed": sum(stage(s) for s in FIXED_STAGES)
        + stage(STAGING)
        - sum(staging.values())
        + stage(MARTS)
        - sum(marts.values()),
        "day": staging.get(DAY_MODEL, 0.0),
        "staging": sum(v for k, v in staging.items() if k != DAY_MODEL),
        "marts": sum(marts.values()),
        "pain": stage(PAIN_POINTS),
        "checkpoint": stage(CLOSE),
    }


INCREMENT_PARTS = {
    "fixed": "the same whatever the history: start-up, the day's file ingested (the others "
    "skipped by hash), the GX import and the validation of the new load, the report, the "
    "staging and marts steps outside their models",
    "day": f"the day's events staged (`{DAY_MODEL}`, incremental by load)",
    "staging": "rebuilt over all history: the other staging models (users, identity map, "
    "survey responses)",
    "marts": "rebuilt over all history: the intermediate and mart models",
    "pain": "pain points: the clustering kept, the behaviour links over every answer's window",
    "checkpoint": "checkpoint + close: writing what the run changed",
}


def _increment_table(r: SizeResult) -> list[str]:
    """Where the +1 day's time goes, and what a day would cost if nothing were rebuilt."""
    runs = [increment_parts(run) for run in r.increment]
    total = r.total(r.full)
    lines = [
        f"**Where the {r.ds.label} +1 day goes** (medians over the +1 day runs, as shares of "
        "the full run's median; the staging models' seconds include the Great Expectations "
        "import, which runs beside them in a thread):",
        "",
        "| part | +1 day (s) | ÷ full run |",
        "|---|---:|---:|",
    ]
    for key, name in INCREMENT_PARTS.items():
        seconds = median([p[key] for p in runs])
        lines.append(f"| {name} | {_s(seconds)} | {seconds / total:.1%} |")
    floor = median([p["fixed"] + p["day"] for p in runs])
    lines += [
        "",
        f"A day that rebuilt nothing over the history and wrote nothing at its checkpoint "
        f"would still take the first two rows: **{_s(floor)} s = {floor / total:.1%}** of the "
        "full run.",
    ]
    return lines


def _comparisons(r: SizeResult) -> dict[str, tuple[float, float, float, float]]:
    """ours s, ours MB, baseline s, baseline MB for each baseline."""
    ingest_ours = r.stage(r.full, INGEST_EVENTS)
    pain_ours = r.stage(r.full, PAIN_POINTS)
    assert ingest_ours is not None and pain_ours is not None
    return {
        "ingest": (ingest_ours.seconds, ingest_ours.peak_rss_mb, *r.baseline("bare")),
        "marts": (*r.baseline("marts"), *r.baseline("pandas")),
        "pain points": (pain_ours.seconds, pain_ours.peak_rss_mb, *r.baseline("tfidf")),
    }


BASELINE_NAMES = {
    "ingest": "ingest events ÷ DuckDB bare `read_json`",
    "marts": "marts models ÷ pandas KPIs",
    "pain points": "pain points ÷ TF-IDF + KMeans, fixed k",
}


def _baseline_table(results: list[SizeResult]) -> list[str]:
    lines = [
        "| comparison | events | ours (s) | ours peak RSS (MB) | baseline (s) | "
        "baseline peak RSS (MB) | ours ÷ baseline |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for key, name in BASELINE_NAMES.items():
        for r in results:
            ours_s, ours_mb, base_s, base_mb = _comparisons(r)[key]
            lines.append(
                f"| {name} | {r.ds.label} | {_s(ours_s)} | {ours_mb:,.0f} | {_s(base_s)} | "
                f"{base_mb:,.0f} | {ours_s / base_s:.2f}× |"
            )
    return lines


def targets(results: list[SizeResult]) -> list[tuple[str, str, bool | None]]:
    """(target, figure, met) for each target of issue #17; ``None``: informational, no
    threshold. Set for 10M events (the largest size measured stands in for it); ingest is
    checked at every size measured (#17: 1M and 10M)."""
    at = target_result(results)
    c = _comparisons(at)
    total, peak = at.total(at.full), at.peak(at.full)
    helpers = median([r.get("helpers_peak_mb", 0.0) for r in at.full])
    validate = at.stage(at.full, VALIDATE)
    assert validate is not None
    ours_s, ours_mb, pandas_s, pandas_mb = c["marts"]
    pain_ratio = c["pain points"][0] / c["pain points"][2]
    inc_total = at.total(at.increment)
    share = at.manifest["increment_events"] / at.manifest["events"]
    rows: list[tuple[str, str, bool | None]] = [
        (
            "whole pipeline (fresh warehouse → report), embeddings cached by an earlier run ≤ 90 s",
            f"{total:.1f} s",
            total <= 90,
        ),
        (
            "peak memory of the pipeline ≤ 3 GB",
            f"{peak:,.0f} MB" + (f" (text helpers {helpers:,.0f} MB of it)" if helpers else ""),
            peak <= 3000,
        ),
    ]
    for r in results:
        ratio = _comparisons(r)["ingest"][0] / _comparisons(r)["ingest"][2]
        rows.append((f"ingest ≤ 2× DuckDB's bare load, {r.ds.label}", f"{ratio:.2f}×", ratio <= 2))
    rows += [
        (
            f"+1 day ({share:.1%} more events) ≤ 10 % of the full run",
            f"{inc_total:.1f} s = {inc_total / total:.1%}",
            inc_total <= 0.10 * total,
        ),
        (
            f"validation of the {at.ds.label} events loaded (stage *{VALIDATE}*) ≤ 10 s",
            f"{validate.seconds:.1f} s",
            validate.seconds <= 10,
        ),
        (
            "first-time embedding (empty cache, not in the full run's time)",
            _embedding_figure(at.first["embeddings"]),
            None,
        ),
        (
            "marts vs pandas KPIs",
            f"{pandas_s / ours_s:.1f}× faster; {ours_mb:,.0f} vs {pandas_mb:,.0f} MB",
            None,
        ),
        (
            "pain points (cached embeddings) vs TF-IDF + KMeans (fixed k)",
            f"{pain_ratio:.2f}×",
            None,
        ),
    ]
    return rows


def target_result(results: list[SizeResult]) -> SizeResult:
    """The result the whole-pipeline targets are judged on: 10M, else the largest size."""
    return max(results, key=lambda r: (r.ds.size == TARGET_SIZE, r.ds.size))


def _embedding_figure(emb: dict[str, Any]) -> str:
    rate = _rate(emb["misses"], emb["seconds"])
    return f"{emb['misses']:,} texts in {_s(emb['seconds'])} s = {rate} texts/s"


def _embedding_table(results: list[SizeResult]) -> list[str]:
    lines = [
        "| events | comments | texts embedded | embedding (s) | texts/s | pain points, "
        "empty cache (s) | pain points, cached (s) | whole first run (s) | first run peak RSS "
        "(MB) | full runs' look-ups: hits / misses |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        emb = r.first["embeddings"]
        comments = r.manifest["generated_comments"] + r.manifest["corpus_comments"]
        cold = r.first["stages"][PAIN_POINTS]["seconds"]
        warm = r.stage(r.full, PAIN_POINTS)
        assert warm is not None
        hits = median([run["embeddings"]["hits"] for run in r.full])
        misses = max(run["embeddings"]["misses"] for run in r.full)
        lines.append(
            f"| {r.ds.label} | {comments:,} | {emb['misses']:,} | {_s(emb['seconds'])} | "
            f"{_rate(emb['misses'], emb['seconds'])} | {_s(cold)} | {_s(warm.seconds)} | "
            f"{_s(r.first['total'])} | {r.first['max_rss_mb']:,.0f} | {hits:,.0f} / {misses:,} |"
        )
    return lines


def _command(args: argparse.Namespace) -> str:
    if args.quick:
        return f"{COMMAND} --quick"
    return f"{COMMAND} --sizes {' '.join(map(str, args.sizes))} --runs {args.runs}"


def report(results: list[SizeResult], args: argparse.Namespace) -> str:
    at = target_result(results)
    caveat = (
        ""
        if at.ds.size == TARGET_SIZE
        else f" — measured at {at.ds.label}; the targets are set for 10M events, so these "
        "verdicts are indicative only"
    )
    lines = [
        "## Summary: the whole pipeline against its targets and baselines",
        "",
        f"Command: `{_command(args)}`  ",
        f"Machine: {machine()}  ",
        f"Median of {args.runs} run(s). A *full run* is one fresh process on a fresh "
        "warehouse doing what `pmanalytics demo` does: ingest every file, the staging models, "
        "Great Expectations validation of every load (with Data Docs), the KPI marts, pain "
        "points, the HTML report. The fresh warehouse holds one table before the run starts: "
        "`meta.embedding_cache` from the *first run* (a full run with an empty cache, once per "
        "size), loaded untimed as a warehouse file an earlier run left would hold it; a full "
        "run that embeds any text fails the benchmark. *Peak RSS so far* is the process's peak "
        "RSS (`VmHWM`) after the stage; the pain points' text helper processes (a refit's "
        "redaction, clause splitting and judging, `pmanalytics/pain_points/workers.py`) are "
        "not in it: the summary's peak memory adds their peak to the process's. *+1 day* adds "
        "the held-back last day's event file to the warehouse a full run left and runs the "
        "same steps (unchanged files are skipped by "
        "content hash; validation covers the new loads only; staging, marts and pain points "
        "are rebuilt). Data: the sample generator (`benchmarks.ingest` sizes) plus real "
        "comments topping the commented survey responses up to 10k (1M) / 100k (10M); see "
        "`benchmarks/pipeline.py`.",
        "",
        f"### Targets{caveat}",
        "",
        "| target | figure | verdict |",
        "|---|---|---|",
    ]
    for name, figure, met in targets(results):
        verdict = "—" if met is None else ("met" if met else "**missed**")
        lines.append(f"| {name} | {figure} | {verdict} |")
    lines += [
        "",
        "### Baselines (same invocation, same files, each in its own process)",
        "",
        "*Bare*: `create table as select * from read_json(<the event files>)`, no dedupe, "
        "identity, checks or accounting; ours is the full run's *ingest events* stage. "
        "*Marts*: `run_models` over `sql/marts` alone against `benchmarks/pandas_kpis.py` "
        "(computation only, the read into pandas not counted), each on a copy of the full "
        "run's warehouse. *Pain points*: ours is the full run's stage (redaction, embeddings "
        "read from the cache the first run filled, automatic k, "
        "labels, identity matching, impact, behaviour links, tables); the baseline is word "
        "TF-IDF + KMeans with k fixed to the k ours chose, on the same comments. For ingest "
        "and pain points, ours' peak RSS is the full-run process's up to that stage.",
        "",
        *_baseline_table(results),
        "",
        "### First-time embedding (the first run, empty cache)",
        "",
        "Not part of the full run's time. *Texts embedded*: the distinct redacted comment "
        "clauses the model encoded (the cache's misses); *embedding*: the time spent in "
        "`EmbeddingCache.embed` (hash, look-up, encode, store). The full runs' cache hits and "
        "misses are counted the same way, per `embed` call (a text looked up by several steps "
        "counts once per step): 0 misses means none of their time is spent encoding.",
        "",
        *_embedding_table(results),
        "",
        "### Stages",
    ]
    for r in results:
        lines += ["", *_stage_table(r), "", *_increment_table(r)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument(
        "--sizes", nargs="+", type=int, default=DEFAULT_SIZES, help="events per data set"
    )
    parser.add_argument("--runs", type=int, default=3, help="repetitions (medians reported)")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_SIZE:,} events, 1 run")
    parser.add_argument("--cache", type=Path, default=CACHE, help="where data sets are kept")
    parser.add_argument("--no-write", action="store_true", help="print, don't update the docs")
    args = parser.parse_args(argv)
    if args.worker:
        mode, *rest = args.worker
        {"pipeline": _pipeline_worker, "tfidf": _tfidf_worker}[mode](*rest)
        return 0
    if not pain_points.NHS.exists():
        print(f"needs the shared comment data at {pain_points.NHS}", file=sys.stderr)
        return 2
    if args.quick:
        args.sizes, args.runs = [QUICK_SIZE], 1
    results = [measure_size(data_set(size, args.cache), args.runs) for size in args.sizes]
    markdown = report(results, args)
    print(markdown)
    if not args.no_write:
        write_section("pipeline", markdown, first=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
