"""The ONNX sentence encoder, its warehouse cache, and what a broken model tells the user."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import numpy as np
import pytest

from pmanalytics.config import parse_config
from pmanalytics.errors import ConfigError
from pmanalytics.pain_points import build_pain_points
from pmanalytics.pain_points.embedding import (
    DEFAULT_TOKENIZER,
    EmbeddingCache,
    EmbeddingModelError,
    OnnxEncoder,
    SentenceEmbeddingRepresentation,
    load_encoder,
    resolve_model,
)
from tests.pain_points.helpers import comments_frame, load_staging

SHORT = "Exports fail"
LONG = (
    "The dashboards take forever to load and when they finally do the numbers are wrong, "
    "and on top of that the PDF export keeps failing every single Monday for the whole team"
)


@pytest.fixture(scope="module")
def encoder() -> OnnxEncoder:
    """One loaded model for the module (loading costs about half a second)."""
    return OnnxEncoder(resolve_model())


def test_padding_trap_a_short_text_is_the_same_alone_and_next_to_a_long_one(
    encoder: OnnxEncoder,
) -> None:
    # the shipped tokenizer pads to 128 tokens; with padding on and no mask in the pooling,
    # the short text's vector would change with its batch neighbours
    alone = encoder.encode([SHORT])[0]
    batched = encoder.encode([SHORT, LONG], batch_size=2)[0]  # padded to the long one
    assert np.abs(alone - batched).max() < 1e-5
    assert np.linalg.norm(alone) == pytest.approx(1.0, abs=1e-5)


def test_embeddings_put_meaning_over_wording(encoder: OnnxEncoder) -> None:
    a, b, c = encoder.encode(
        ["the PDF export keeps failing", "exports break every time", "support was lovely"]
    )
    assert float(a @ b) > float(a @ c) + 0.2


def test_cache_embeds_each_text_once_and_survives_a_new_run(encoder: OnnxEncoder) -> None:
    con = duckdb.connect()
    first = EmbeddingCache(con)
    vectors = first.embed(encoder, ["slow dashboards", "love it", "slow dashboards"])
    assert (first.hits, first.misses) == (0, 2)  # repeats inside one call count once
    assert np.array_equal(vectors[0], vectors[2])
    second = EmbeddingCache(con)  # a later run: only the warehouse table is shared
    again = second.embed(encoder, ["love it", "exports fail"])
    assert (second.hits, second.misses) == (1, 1)
    assert np.allclose(again[0], vectors[1], atol=1e-6)
    rows = con.execute(
        "select model_id, count(*) from meta.embedding_cache group by model_id"
    ).fetchall()
    assert rows == [(encoder.model_id, 3)]


def test_a_read_only_warehouse_reads_the_cache_and_stores_nothing(
    encoder: OnnxEncoder, tmp_path: Path
) -> None:
    path = str(tmp_path / "w.duckdb")
    with duckdb.connect(path) as con:
        stored = EmbeddingCache(con).embed(encoder, ["slow dashboards"])
    with duckdb.connect(path, read_only=True) as con:  # a notebook's connection
        cache = EmbeddingCache(con)
        vectors = cache.embed(encoder, ["slow dashboards", "exports fail"])
        assert (cache.hits, cache.misses) == (1, 1)
        assert np.allclose(vectors[0], stored[0], atol=1e-6)
        assert con.execute("select count(*) from meta.embedding_cache").fetchall() == [(1,)]
    with duckdb.connect(str(tmp_path / "empty.duckdb")) as con:
        pass
    with duckdb.connect(str(tmp_path / "empty.duckdb"), read_only=True) as con:
        assert EmbeddingCache(con).embed(encoder, ["love it"]).shape == (1, encoder.dimension)


def test_a_missing_model_folder_says_how_to_fix_it(tmp_path: Path) -> None:
    rep = SentenceEmbeddingRepresentation(model=str(tmp_path))
    with pytest.raises(EmbeddingModelError, match=r"model\.onnx.*embedding_model") as error:
        rep.fit([])
    assert isinstance(error.value, ConfigError)  # the CLI exits 2 with the message


def test_a_corrupt_model_says_it_cannot_be_loaded(tmp_path: Path) -> None:
    (tmp_path / "model.onnx").write_bytes(b"not an onnx file")
    shutil.copy(DEFAULT_TOKENIZER, tmp_path / "tokenizer.json")
    encoder = load_encoder(str(tmp_path))  # the session is created on the first text
    with pytest.raises(EmbeddingModelError, match=r"cannot load the embedding model .*tfidf"):
        encoder.encode(["exports keep failing"])


def test_a_run_with_every_text_cached_never_loads_the_model(encoder: OnnxEncoder) -> None:
    cache = EmbeddingCache()
    cache.embed(encoder, ["exports keep failing", "love the dashboards"])
    fresh = OnnxEncoder(resolve_model())  # a new process: nothing loaded yet
    again = cache.embed(fresh, ["love the dashboards", "exports keep failing"])
    assert fresh._session is None
    assert again.shape == (2, encoder.dimension)


def test_a_corrupt_tokenizer_is_named(tmp_path: Path) -> None:
    shutil.copy(resolve_model().onnx, tmp_path / "model.onnx")
    (tmp_path / "tokenizer.json").write_text("{")
    with pytest.raises(EmbeddingModelError, match="cannot read the tokenizer"):
        load_encoder(str(tmp_path))


def test_a_teams_own_export_is_its_own_cache_space(tmp_path: Path) -> None:
    shutil.copy(resolve_model().onnx, tmp_path / "model.onnx")
    shutil.copy(DEFAULT_TOKENIZER, tmp_path / "tokenizer.json")
    own = resolve_model(str(tmp_path))
    assert own.model_id != resolve_model().model_id
    assert own.model_id.startswith(tmp_path.name)


def test_a_model_change_is_a_new_identity_space(con: duckdb.DuckDBPyConnection) -> None:
    load_staging(con, comments_frame(range(1, 4), ["export", "slow", "crash"]))
    tfidf = parse_config({"pain_points": {"n_bootstrap": 10, "representation": "tfidf"}})
    first = build_pain_points(con, tfidf)
    old_ids = set(first.pain_points["pain_point_id"])
    second = build_pain_points(con, parse_config({"pain_points": {"n_bootstrap": 10}}))
    assert "new identity space" in second.identity_note
    points = second.pain_points.set_index("pain_point_id")
    assert set(points.index[points["status"] == "retired"]) == old_ids
    assert not old_ids & set(points.index[points["status"] == "active"])
