"""Hybrid retrieval: dense search in Chroma plus BM25, fused by reciprocal rank fusion, then
the first ``rerank_pool`` passages reranked by their best unit's similarity to the question
(the units' vectors are stored with each passage at ingest). The answer step reads that whole
pool; the top k are the evidence shown.

The keyword index is persistent (``vectorstore.keyword_folder``): ingest and removal bring it
up to date; when another process or app instance changed the store, the next look at it
brings it to the store's revision, inline, or for a serving app in the background while
questions go on with the index as it was (a keyword hit the store no longer holds is dropped,
and new documents are found by dense search meanwhile).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from assistant.types import Chunk, Evidence
from ingest.units import UNITS_VERSION, chunk_units, embed_units
from vectorstore.chroma_store import ChromaStore
from vectorstore.embedder import Embedder
from vectorstore.fusion import reciprocal_rank_fusion
from vectorstore.keyword import KeywordIndex
from vectorstore.keyword_folder import KeywordFolder
from vectorstore.unitvec import unpack
from vectorstore.where import where_matches

log = logging.getLogger(__name__)

Mode = Literal["hybrid", "dense", "keyword"]
MODES: tuple[Mode, ...] = ("hybrid", "dense", "keyword")
_QUERY_CACHE = 512
CATCH_UP_WAIT_S = 0.5  # how long a question waits for the keyword index to catch up
# A filtered dense search is asked of Chroma as the nearest among the ids of the documents the
# filter can match, up to this many (measured at 100,000 chunks: 7 ms for 3,750 ids, 55 ms for
# 60,000, where Chroma's own metadata filter takes 50-700 ms and grows with the store); more
# than that, as the nearest of the whole store, enough of them that this share holds n.
IDS_LIMIT = 20_000
OVERFETCH = 3  # how many times the expected number of nearest are asked for


@dataclass(frozen=True)
class Retrieval:
    """What one search found, with the query vector and, for each passage read, the query's
    similarity to each of its units (one per ``ingest.units.chunk_units``), for the answerer."""

    query: str
    query_vector: np.ndarray
    evidence: tuple[Evidence, ...]  # the top k, shown with the answer
    unit_sims: Mapping[str, np.ndarray] = field(default_factory=dict)
    # The passages the answer step reads: the top k and the next of the reranked pool.
    pool: tuple[Evidence, ...] = ()

    @property
    def read(self) -> tuple[Evidence, ...]:
        return self.pool or self.evidence

    def unit_similarities(self, chunk_id: str) -> np.ndarray:
        """Cosine similarity of the query to each unit of a passage (empty when it has none)."""
        return self.unit_sims.get(chunk_id, np.zeros(0, dtype=np.float32))


class HybridRetriever:
    def __init__(
        self,
        store: ChromaStore,
        embedder: Embedder,
        keyword: KeywordFolder,
        *,
        candidates: int = 40,
        rrf_k: int = 60,
        keyword_weight: float = 1.0,
        keyword_floor: float = 0.0,
        rerank_pool: int = 20,
        rerank_weight: float = 0.0,
        ids_limit: int = IDS_LIMIT,
    ) -> None:
        self._store = store
        self.ids_limit = ids_limit  # see IDS_LIMIT
        self._embedder = embedder
        self._candidates = candidates
        self.rrf_k = rrf_k
        self.keyword_weight = keyword_weight
        self.keyword_floor = keyword_floor
        # The fused list's first ``rerank_pool`` passages are reordered by their best
        # sentence's similarity to the query, mixed with the fused order (``_rerank``).
        self.rerank_pool = rerank_pool
        self.rerank_weight = rerank_weight
        self._folder = keyword
        self.background = False  # a serving app catches up with other writers in a thread
        self._lock = threading.Lock()  # starting the catch-up thread
        self._syncing = threading.Lock()  # one sync at a time
        self._catching_up: threading.Thread | None = None
        self._catch_up_by = 0.0
        self._cache_lock = threading.Lock()
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()  # recent query vectors

    def query_vector(self, query: str) -> np.ndarray:
        """The query's embedding; the last few hundred are kept, as questions repeat."""
        with self._cache_lock:
            cached = self._vectors.get(query)
            if cached is not None:
                self._vectors.move_to_end(query)
                return cached
        vector = self._embedder.embed_query(query)
        with self._cache_lock:
            self._vectors[query] = vector
            while len(self._vectors) > _QUERY_CACHE:
                self._vectors.popitem(last=False)
        return vector

    def keyword_index(self, *, wait: bool = False) -> KeywordIndex:
        """The keyword index at the store's revision. When it is behind (another process or
        instance wrote), it is brought up to date: inline, or when this retriever serves in
        the background (and ``wait`` is not asked) in a thread, waited for up to
        ``CATCH_UP_WAIT_S``: a document or two is in by then and the question is answered
        with it; a bigger change goes on while questions use the index as it was."""
        view = self._folder.current()
        if view.revision == self._store.revision():
            return view
        if wait or not self.background:
            with self._syncing:
                return self._folder.sync(self._store)
        with self._lock:
            if self._catching_up is None or not self._catching_up.is_alive():
                self._catching_up = threading.Thread(
                    target=self._catch_up, name="rla-keyword-sync", daemon=True)
                self._catching_up.start()
                self._catch_up_by = time.monotonic() + CATCH_UP_WAIT_S
            thread, by = self._catching_up, self._catch_up_by
        thread.join(max(0.0, by - time.monotonic()))  # once per catch-up, not per look
        return self._folder.current()

    def _catch_up(self) -> None:
        started = time.perf_counter()
        try:
            with self._syncing:
                self._folder.sync(self._store)
        except Exception:  # logged; the next question tries again
            log.exception("bringing the keyword index up to date failed")
        log.info("keyword index caught up in %.2f s", time.perf_counter() - started)

    def keyword_hits(
        self, query: str, n: int, where: dict[str, Any] | None = None,
        docs: frozenset[str] | None = None,
    ) -> list[tuple[Chunk, float]]:
        """Up to ``n`` stored chunks BM25 scores for ``query`` that match ``where``, best first
        (read ``n`` at a time, up to four times as many, while a filter drops some); ``docs``,
        the documents ``where`` can match, narrows the scoring to their passages."""
        ranked = self.keyword_index().search(query, n * 4 if where else n,
                                             docs if where else None)
        return self._kept(ranked, n, where)[0]

    def _kept(self, ranked: Sequence[tuple[str, float]], n: int,
              where: dict[str, Any] | None, *, give_up: bool = False
              ) -> tuple[list[tuple[Chunk, float]], bool]:
        """The first ``n`` of ``ranked`` the store holds and ``where`` passes, read ``n`` ids
        at a time (most pass) while there are too few; and whether all of ``ranked`` was read.
        ``give_up``: stop as soon as the share passing so far says ``ranked`` holds too few."""
        hits: list[tuple[Chunk, float]] = []
        start = 0
        while start < len(ranked):
            batch = ranked[start : start + n]
            start += n
            found = self._store.chunks_by_id([cid for cid, _ in batch])
            hits += [(found[cid], s) for cid, s in batch
                     if cid in found and _matches(found[cid], where)]
            if len(hits) >= n or not where:
                break
            if give_up and len(hits) * len(ranked) < n * min(start, len(ranked)):
                return hits, False
        return hits[:n], start >= len(ranked)

    def dense_hits(
        self, qvec: np.ndarray, n: int, where: dict[str, Any] | None = None,
        docs: frozenset[str] | None = None,
    ) -> list[tuple[Chunk, float]]:
        """The ``n`` chunks nearest ``qvec`` that match ``where``. With ``docs`` (every
        document ``where`` can match, from the catalogue) and a keyword index at the store's
        revision (it lists each document's chunk ids), the nearest are found among those
        documents' chunks and ``where`` is applied to them as they are read: Chroma's own
        metadata filter reads the metadata of the whole store on every query. Otherwise, and
        whenever that leaves fewer than ``n`` while more could match, Chroma's filter."""
        if not where or docs is None:
            return self._store.dense_search(qvec, n, where=where)
        index = self._folder.current()
        if index.revision != self._store.revision():
            return self._store.dense_search(qvec, n, where=where)
        size = index.size_of(docs)
        if size == 0:
            return []
        if size <= self.ids_limit:
            ids = index.chunk_ids(docs)
            ranked = self._store.nearest(qvec, min(size, OVERFETCH * n), ids)
            complete = len(ranked) == size
        else:  # a large share of the store: its nearest, those of the documents kept
            want = min(index.passages, int(OVERFETCH * n * index.passages / size))
            ranked = self._store.nearest(qvec, want)
            complete = len(ranked) >= index.passages
            ranked = [r for r, doc in zip(ranked, index.docs_of([cid for cid, _ in ranked]),
                                          strict=True) if doc in docs]
        hits, read_all = self._kept(ranked, n, where, give_up=True)
        if len(hits) < n and not (complete and read_all):  # more may match: ask Chroma
            return self._store.dense_search(qvec, n, where=where)
        return hits

    def search(
        self,
        query: str,
        k: int = 8,
        *,
        mode: Mode = "hybrid",
        where: dict[str, Any] | None = None,
        docs: frozenset[str] | None = None,
    ) -> Retrieval:
        """The ``k`` best passages for ``query`` that match ``where`` (``docs``: documents
        outside it match nothing, a narrowing the catalogue knows), and the pool behind them."""
        qvec = self.query_vector(query)
        n = max(self._candidates, k)
        dense: list[tuple[Chunk, float]] = []
        keyword: list[tuple[Chunk, float]] = []
        if mode in ("hybrid", "dense"):
            dense = self.dense_hits(qvec, n, where, docs)
        if mode in ("hybrid", "keyword"):
            hits = self.keyword_hits(query, n, where, docs)
            # BM25 hits far below the best one matched only common words: they get no vote.
            floor = hits[0][1] * self.keyword_floor if hits else 0.0
            keyword = [(c, s) for c, s in hits if s >= floor]
        chunks = {c.chunk_id: c for c, _ in [*keyword, *dense]}
        dense_rank = {c.chunk_id: i + 1 for i, (c, _) in enumerate(dense)}
        keyword_rank = {c.chunk_id: i + 1 for i, (c, _) in enumerate(keyword)}
        rankings = [[c.chunk_id for c, _ in dense], [c.chunk_id for c, _ in keyword]]
        ranked = reciprocal_rank_fusion(rankings, k=self.rrf_k, weights=[1.0, self.keyword_weight])
        fused = _keep_leaders(ranked, rankings, max(k, self.rerank_pool))
        similarity = {c.chunk_id: s for c, s in dense}
        missing = [cid for cid, _ in fused if cid not in similarity]
        if missing:
            similarity.update(self._store.similarities(qvec, missing))
        # A keyword hit the store no longer holds (removed since the index was built, the
        # rebuild not yet due) is dropped: it must never be quoted.
        fused = [(cid, s) for cid, s in fused if cid in similarity]
        sims = {
            cid: np.asarray(vectors @ qvec, dtype=np.float32) if len(vectors)
            else np.zeros(0, dtype=np.float32)
            for cid, vectors in self.unit_vectors([chunks[cid] for cid, _ in fused]).items()
        }
        if self.rerank_weight > 0:
            fused = self._rerank(fused, sims)
        evidence = tuple(
            Evidence(
                rank=i + 1,
                chunk=chunks[cid],
                score=score,
                dense_rank=dense_rank.get(cid),
                keyword_rank=keyword_rank.get(cid),
                dense_similarity=similarity.get(cid),
            )
            for i, (cid, score) in enumerate(fused)
        )
        return Retrieval(query, qvec, evidence[:k], sims, evidence)

    def unit_vectors(self, chunks: Sequence[Chunk]) -> dict[str, np.ndarray]:
        """Each passage's unit vectors: stored at ingest; embedded now only for a passage
        stored without them (a store made by an older version)."""
        packed = self._store.unit_vectors([c.chunk_id for c in chunks])
        out: dict[str, np.ndarray] = {}
        missing: list[Chunk] = []
        for chunk in chunks:
            vectors = unpack(packed.get(chunk.chunk_id, ""), UNITS_VERSION)
            if vectors is not None and len(vectors) == len(chunk_units(chunk)):
                out[chunk.chunk_id] = vectors
            else:
                missing.append(chunk)
        if missing:
            for chunk, vectors in zip(
                missing, embed_units(missing, self._embedder.embed), strict=True
            ):
                out[chunk.chunk_id] = vectors
        return out

    def _rerank(
        self, fused: list[tuple[str, float]], sims: Mapping[str, np.ndarray]
    ) -> list[tuple[str, float]]:
        """The pool in a new order, scored ``(1 - w) * fused + w * best sentence``, both scaled
        to 0..1 over the pool (w = ``rerank_weight``, fitted by ``rla eval --fit``)."""
        if len(fused) < 2:
            return fused
        best = np.array([float(sims[cid].max()) if len(sims[cid]) else 0.0 for cid, _ in fused])
        score = np.array([s for _, s in fused])
        mixed = (1 - self.rerank_weight) * _unit_scale(score) + self.rerank_weight * _unit_scale(
            best
        )
        order = np.argsort(-mixed, kind="stable")
        return [(fused[i][0], float(mixed[i])) for i in order]


def _keep_leaders(
    fused: list[tuple[str, float]], rankings: list[list[str]], k: int, leaders: int = 2
) -> list[tuple[str, float]]:
    """The top ``k`` of the fused list, with each search's first ``leaders`` always in it.

    RRF rewards passages both searches like; a passage that only one search finds, but finds
    first (an exact figure for BM25, a paraphrase for dense search), could otherwise be pushed
    out by passages both rank middling. Leaders that missed the cut replace the lowest ranks.
    """
    top = fused[:k]
    kept = {cid for cid, _ in top}
    score = dict(fused)
    missing = [cid for ranking in rankings for cid in ranking[:leaders] if cid not in kept]
    for cid in dict.fromkeys(missing):
        if len(top) < k:
            top.append((cid, score[cid]))
            continue
        # Replace the lowest-ranked passage that is not itself a leader.
        protected = {c for ranking in rankings for c in ranking[:leaders]}
        for i in range(len(top) - 1, -1, -1):
            if top[i][0] not in protected:
                top[i] = (cid, score[cid])
                break
    top.sort(key=lambda item: -item[1])
    return top


def _matches(chunk: Chunk, where: dict[str, Any] | None) -> bool:
    """Apply a Chroma-style ``where`` to a keyword hit ($and, $or, comparisons, $contains)."""
    return where_matches(chunk.to_metadata(), where)


def _unit_scale(values: np.ndarray) -> np.ndarray:
    low, high = float(values.min()), float(values.max())
    return (values - low) / (high - low) if high > low else np.zeros_like(values)
