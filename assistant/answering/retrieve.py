"""Hybrid retrieval: dense search in Chroma plus BM25, fused by reciprocal rank fusion.

The keyword index is built from the store's chunks on first use and rebuilt when the store's
revision changes (after an ingest or a removal), under a lock so concurrent questions share
one rebuild.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from assistant.types import Chunk, Evidence
from vectorstore.chroma_store import ChromaStore
from vectorstore.embedder import Embedder
from vectorstore.fusion import reciprocal_rank_fusion
from vectorstore.keyword import KeywordIndex
from vectorstore.where import where_matches

Mode = Literal["hybrid", "dense", "keyword"]
MODES: tuple[Mode, ...] = ("hybrid", "dense", "keyword")
_QUERY_CACHE = 512


@dataclass(frozen=True)
class Retrieval:
    """What one search found, with the query vector kept for the answerer."""

    query: str
    query_vector: np.ndarray
    evidence: tuple[Evidence, ...]


class HybridRetriever:
    def __init__(
        self,
        store: ChromaStore,
        embedder: Embedder,
        *,
        candidates: int = 40,
        rrf_k: int = 60,
        keyword_weight: float = 1.0,
        keyword_floor: float = 0.0,
    ) -> None:
        self._store = store
        self._embedder = embedder
        self._candidates = candidates
        self.rrf_k = rrf_k
        self.keyword_weight = keyword_weight
        self.keyword_floor = keyword_floor
        self._lock = threading.Lock()
        self._keyword: KeywordIndex | None = None
        self._revision: str | None = None
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

    def keyword_index(self) -> KeywordIndex:
        revision = self._store.revision()
        with self._lock:
            if self._keyword is None or revision != self._revision:
                self._keyword = KeywordIndex.build(self._store.all_chunks())
                self._revision = revision
            return self._keyword

    def search(
        self,
        query: str,
        k: int = 8,
        *,
        mode: Mode = "hybrid",
        where: dict[str, Any] | None = None,
    ) -> Retrieval:
        qvec = self.query_vector(query)
        n = max(self._candidates, k)
        dense: list[tuple[Chunk, float]] = []
        keyword: list[tuple[Chunk, float]] = []
        if mode in ("hybrid", "dense"):
            dense = self._store.dense_search(qvec, n, where=where)
        if mode in ("hybrid", "keyword"):
            hits = [(c, s) for c, s in self.keyword_index().search(query, n) if _matches(c, where)]
            # BM25 hits far below the best one matched only common words: they get no vote.
            floor = hits[0][1] * self.keyword_floor if hits else 0.0
            keyword = [(c, s) for c, s in hits if s >= floor]
        chunks = {c.chunk_id: c for c, _ in [*keyword, *dense]}
        dense_rank = {c.chunk_id: i + 1 for i, (c, _) in enumerate(dense)}
        keyword_rank = {c.chunk_id: i + 1 for i, (c, _) in enumerate(keyword)}
        rankings = [[c.chunk_id for c, _ in dense], [c.chunk_id for c, _ in keyword]]
        fused = _keep_leaders(
            reciprocal_rank_fusion(rankings, k=self.rrf_k, weights=[1.0, self.keyword_weight]),
            rankings,
            k,
        )
        similarity = {c.chunk_id: s for c, s in dense}
        missing = [cid for cid, _ in fused if cid not in similarity]
        if missing:
            similarity.update(self._store.similarities(qvec, missing))
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
        return Retrieval(query, qvec, evidence)


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
