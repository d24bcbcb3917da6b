"""The persistent keyword index: BM25 as bm25s scores it, kept up to date document by document,
merged without changing a score, read by a new process from disk, tied to the store's revision."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import bm25s
import numpy as np
import pytest

from assistant.types import Chunk, DocumentCard
from tests.conftest import CORPUS_WEB
from vectorstore.chroma_store import ChromaStore
from vectorstore.keyword import tokenize
from vectorstore.keyword_folder import MANIFEST, MAX_SEGMENTS, KeywordFolder, doc_rows
from vectorstore.segments import Segment, merge, replicate


def _chunk(doc: str, i: int, text: str) -> Chunk:
    return Chunk(chunk_id=f"{doc}:{i}", doc_id=doc, title=f"Review {doc}", file=f"{doc}.md",
                 section="Findings", page_start=1, page_end=1, index=i, text=text)


def _web_chunks(limit: int = 30) -> list[Chunk]:
    """Passages of real pages: each page's paragraphs, a few to a passage."""
    out = []
    for path in sorted(CORPUS_WEB.glob("*.md"))[:limit]:
        paras = [p for p in path.read_text("utf-8").split("\n\n") if len(p.split()) > 5]
        for i in range(0, len(paras), 3):
            out.append(_chunk(path.stem, i // 3, "\n\n".join(paras[i : i + 3])))
    return out


QUERIES = ["disguised compliance", "neglect of older children", "12%", "SCR 2019",
           "what did the review say about information sharing between agencies",
           "domestic abuse and coercive control", "remote working during covid-19"]


def test_finds_figures_acronyms_and_plurals(tmp_path: Path) -> None:
    chunks = [
        _chunk("a", 0, "Neglect featured in 12% of cases reviewed in 2018-2021."),
        _chunk("a", 1, "The SCR found the family's needs were not met."),
        _chunk("a", 2, "Reviews identified poor information sharing."),
        _chunk("a", 3, "Neglect was chronic and cumulative over many years."),
        _chunk("a", 4, "About 20 percent of cases were closed too early."),
    ]
    folder = KeywordFolder(tmp_path / "kw")
    folder.put("r1", doc_rows(chunks))
    index = folder.current()
    assert len(index) == 5 and index.revision == "r1"
    assert index.search("12%", 3)[0][0] == "a:0"
    assert index.search("SCR", 3)[0][0] == "a:1"
    assert index.search("what did the review identify", 3)[0][0] == "a:2"
    hits = index.search("neglect family", 10)
    assert {cid for cid, _ in hits} == {"a:0", "a:1", "a:3"}
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)
    assert len(index.search("neglect family", 1)) == 1
    assert index.search("the of and", 5) == [] and index.search("zebra", 5) == []
    assert index.contains_phrase("chronic neglect") and not index.contains_phrase("zebra neglect")
    assert index.idf("zebra") == 0.0 < index.idf("scr")
    assert KeywordFolder(tmp_path / "empty").current().search("review", 5) == []


def test_scores_are_bm25s_scores_on_real_pages(tmp_path: Path) -> None:
    chunks = _web_chunks()
    folder = KeywordFolder(tmp_path / "kw")
    folder.put("r", doc_rows(chunks))
    index = folder.current()
    corpus = [tokenize(c.index_text()) for c in chunks]
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    reference = bm25s.BM25()  # its defaults: Lucene's idf, k1 = 1.5, b = 0.75
    reference.index(corpus, show_progress=False)
    vocab = reference.vocab_dict
    for query in QUERIES:
        ids = [vocab[t] for t in dict.fromkeys(tokenize(query)) if t in vocab]
        expected = np.asarray(reference.get_scores_from_ids(ids))
        got = index.search(query, 10)
        assert got, query
        for cid, score in got:
            row = next(i for i, c in enumerate(chunks) if c.chunk_id == cid)
            assert score == pytest.approx(float(expected[row]), rel=1e-4), (query, cid)
        assert got[0][1] == pytest.approx(float(expected.max()), rel=1e-4)


def test_documents_added_one_by_one_and_removed_score_as_one_build(tmp_path: Path) -> None:
    chunks = _web_chunks()
    docs = doc_rows(chunks)
    assert len(docs) > MAX_SEGMENTS + 4
    folder = KeywordFolder(tmp_path / "kw")
    for i, doc in enumerate(docs):  # one ingest per document: segments merge as they pile up
        folder.put(f"r{i}", [doc])
        assert len(folder.current().parts) <= MAX_SEGMENTS
    removed = {docs[1][0], docs[5][0], docs[-1][0]}
    folder.put("r-last", [], removed)
    step_by_step = folder.current()
    once = KeywordFolder(tmp_path / "once")
    once.put("x", [d for d in docs if d[0] not in removed])
    whole = once.current()
    assert step_by_step.docs == whole.docs == {d for d, _ in docs} - removed
    assert len(step_by_step) == len(whole)
    for query in QUERIES:
        a, b = step_by_step.search(query, 15), whole.search(query, 15)
        assert [cid for cid, _ in a] == [cid for cid, _ in b], query
        assert [s for _, s in a] == pytest.approx([s for _, s in b], rel=1e-5)
        assert not {cid.split(":")[0] for cid, _ in a} & removed
    for term in ("neglect", "scr", "covid-19"):
        assert step_by_step.df(term) == whole.df(term)


def test_a_new_process_reads_the_index_from_disk(tmp_path: Path) -> None:
    docs = doc_rows(_web_chunks(10))
    KeywordFolder(tmp_path / "kw").put("rev-7", docs)
    manifest = json.loads((tmp_path / "kw" / MANIFEST).read_text())
    assert manifest["revision"] == "rev-7" and len(manifest["segments"]) == 1
    again = KeywordFolder(tmp_path / "kw").current()  # maps the files; builds nothing
    assert again.revision == "rev-7"
    assert isinstance(again.parts[0].segment.rows, np.memmap)
    assert again.search("neglect", 5) == KeywordFolder(tmp_path / "kw").current().search(
        "neglect", 5)


def test_replicated_segments_equal_merged_copies() -> None:
    docs = doc_rows(_web_chunks(5))
    seg = Segment.build(docs)
    copies = 3
    ids = np.array([f"{bytes(i).decode()}~{j}".encode() for j in range(copies) for i in seg.ids])
    names = np.array([f"{bytes(n).decode()}~{j}".encode()
                      for j in range(copies) for n in seg.doc_names])
    fast = replicate(seg, ids, names)
    slow = merge([(seg.renamed(ids[j * seg.size:(j + 1) * seg.size],
                               names[j * len(seg.doc_names):(j + 1) * len(seg.doc_names)]),
                   frozenset()) for j in range(copies)])
    for field in ("terms", "ptr", "rows", "tfs", "lengths", "ids", "doc_names", "doc_ptr"):
        assert np.array_equal(getattr(fast, field), getattr(slow, field)), field


def _store(path: Path) -> ChromaStore:
    return ChromaStore(path, model_name="test-model", dim=8)


def _add(store: ChromaStore, doc: str, texts: list[str]) -> None:
    chunks = [_chunk(doc, i, t) for i, t in enumerate(texts)]
    vectors = np.random.default_rng(len(doc)).normal(size=(len(chunks), 8)).astype(np.float32)
    store.add_chunks(chunks, vectors)
    store.put_card(DocumentCard(doc_id=doc, file=f"{doc}.md", title=f"Review {doc}", pages=1,
                                chunks=len(chunks)), vectors[0])


def test_sync_follows_the_store_document_by_document(tmp_path: Path) -> None:
    store = _store(tmp_path / "chroma")
    folder = KeywordFolder(tmp_path / "kw")
    _add(store, "alpha", ["Disguised compliance misled the professionals.", "Neglect persisted."])
    _add(store, "beta", ["Information sharing between agencies was poor."])
    first = folder.sync(store)
    assert first.revision == store.revision() and first.docs == {"alpha", "beta"}
    assert [cid for cid, _ in first.search("disguised compliance", 3)] == ["alpha:0"]
    assert folder.sync(store) is first  # up to date: nothing is read or written

    _add(store, "gamma", ["Disguised compliance again: the mother agreed but did not change."])
    second = folder.sync(store)
    assert len(second.parts) == 2 and second.parts[1].segment.size == 1  # gamma's passage only
    assert {cid for cid, _ in second.search("disguised compliance", 5)} == {"alpha:0", "gamma:0"}

    store.delete_document("alpha")
    third = folder.sync(store)
    assert third.docs == {"beta", "gamma"}
    assert [cid for cid, _ in third.search("disguised compliance", 5)] == ["gamma:0"]
    # alpha was two of its segment's three rows: that segment is rewritten without them.
    assert [p.segment.size for p in third.parts] == [1, 1] and not third.parts[0].removed


def test_an_index_of_another_store_is_never_taken_as_current(tmp_path: Path) -> None:
    folder = KeywordFolder(tmp_path / "kw")
    store = _store(tmp_path / "chroma")
    _add(store, "alpha", ["Disguised compliance misled the professionals."])
    old = folder.sync(store)
    store.close()
    # The store is made again with the same document: same ids, same count, another store.
    import shutil

    shutil.rmtree(tmp_path / "chroma")
    again = _store(tmp_path / "chroma")
    _add(again, "alpha", ["Disguised compliance misled the professionals."])
    assert again.revision() != old.revision
    assert folder.sync(again).revision == again.revision()


def test_a_huge_token_costs_eight_bytes(tmp_path: Path) -> None:
    """A run of letters with no break is one token; terms are kept as 64-bit hashes, so a
    passage of pathological text cannot make the index (or its memory) explode."""
    giant = "a" * 200_000
    folder = KeywordFolder(tmp_path / "kw")
    folder.put("r", doc_rows([_chunk("x", 0, f"{giant} neglect"), _chunk("x", 1, "neglect")]))
    index = folder.current()
    terms = index.parts[0].segment.terms
    assert terms.dtype == np.uint64 and terms.nbytes < 100
    assert [cid for cid, _ in index.search(giant, 2)] == ["x:0"]
    assert index.df("neglect") == 2


def test_chunk_ids_and_documents_of_a_view(tmp_path: Path) -> None:
    """What filtered search reads from the index: each document's chunk ids, the document of
    each chunk id (through the lookup saved with a segment, or worked out for an older one),
    and BM25 over some documents only; removed documents hold nothing."""
    chunks = _web_chunks(12)
    docs = list(dict.fromkeys(c.doc_id for c in chunks))
    folder = KeywordFolder(tmp_path / "kw")
    folder.put("r1", doc_rows([c for c in chunks if c.doc_id in docs[:6]]))
    folder.put("r2", doc_rows([c for c in chunks if c.doc_id in docs[6:]]), removed=[docs[0]])
    index = folder.current()
    chosen = {docs[1], docs[7], docs[0], "no-such-doc"}
    live = [c for c in chunks if c.doc_id in chosen - {docs[0]}]
    assert index.size_of(chosen) == len(live)
    assert sorted(index.chunk_ids(chosen)) == sorted(c.chunk_id for c in live)
    asked = [chunks[0].chunk_id, live[0].chunk_id, "nowhere:1", live[-1].chunk_id]
    assert index.docs_of(asked) == [None, live[0].doc_id, None, live[-1].doc_id]
    # a segment saved before the lookup existed: the same answers, worked out on first use
    for seg_dir in (tmp_path / "kw").glob("*/sorted_ids.npy"):
        seg_dir.unlink()
    older = KeywordFolder(tmp_path / "kw").current()
    assert older.docs_of(asked) == index.docs_of(asked)
    within = index.search("neglect information sharing", 50, chosen)
    assert within and {cid for cid, _ in within} <= {c.chunk_id for c in live}
    everywhere = dict(index.search("neglect information sharing", 500))
    assert all(everywhere[cid] == pytest.approx(s) for cid, s in within)  # same statistics
