"""The Chroma store: chunk vectors plus one "card" per ingested document.

Embedded (``PersistentClient``) by default, a Chroma server when a URL is given (opened by
``vectorstore.chroma_client``, which checks the model the collections were built with). A
document's chunks count only once its card is written: searches and reads leave out chunks
without a card (an ingest that stopped half-way, or one still writing).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar, cast

import numpy as np
import numpy.typing as npt

from assistant.types import Chunk, DocumentCard
from vectorstore.chroma_base import StoreConnection
from vectorstore.records import packed_units, paged, retagged, with_units
from vectorstore.unitvec import UNIT_VECTORS
from vectorstore.where import without_docs

log = logging.getLogger(__name__)

T = TypeVar("T")
SUMMARY = "summary_json"  # a card's summary of its passages' tags (assistant.library.summary)


class ChromaStore(StoreConnection):
    """Chunks and document cards: writes, searches and reads."""

    # -- writing ----------------------------------------------------------------------------

    def add_chunks(
        self,
        chunks: Sequence[Chunk],
        embeddings: npt.NDArray[np.float32],
        unit_vectors: Sequence[str] | None = None,
    ) -> None:
        """Upsert chunks with their vectors (same ids again change nothing), and with each
        chunk's packed unit vectors (``vectorstore.unitvec``) when given."""
        if unit_vectors is not None and len(unit_vectors) != len(chunks):
            raise ValueError("expected one packed unit-vector string per chunk")
        vectors = np.asarray(embeddings, dtype=np.float32)
        if vectors.shape != (len(chunks), self.dim):
            raise ValueError(
                f"expected embeddings of shape ({len(chunks)}, {self.dim}), got {vectors.shape}"
            )
        if not chunks:
            return
        first: dict[str, int] = {}
        for i, chunk in enumerate(chunks):
            first.setdefault(chunk.chunk_id, i)
        keep = sorted(first.values())
        if len(keep) < len(chunks):
            log.debug("dropping %d duplicate chunk ids", len(chunks) - len(keep))
        with self._use() as (col, _):
            self._begin({chunks[i].doc_id for i in keep})
            try:
                for start in range(0, len(keep), self._max_batch):
                    rows = keep[start : start + self._max_batch]
                    col.upsert(
                        ids=[chunks[i].chunk_id for i in rows],
                        documents=[chunks[i].text for i in rows],
                        metadatas=[
                            cast(Mapping[str, Any], with_units(chunks[i], unit_vectors, i))
                            for i in rows
                        ],
                        embeddings=vectors[rows],
                    )
            finally:
                self._wrote()

    def put_card(
        self, card: DocumentCard, embedding: npt.NDArray[np.float32], summary: str = ""
    ) -> None:
        """Write a document's card, with the summary of its passages' tags (JSON) if given;
        callers write it after all of its chunks."""
        vector = np.asarray(embedding, dtype=np.float32).reshape(1, -1)
        if vector.shape[1] != self.dim:
            raise ValueError(f"expected a card embedding of dimension {self.dim}")
        with self._use() as (_, cards):
            try:
                cards.upsert(ids=[card.doc_id], documents=[card.title],
                             metadatas=[{**card.to_metadata(), SUMMARY: summary}],
                             embeddings=vector)
                self._finish(card.doc_id)
            finally:
                self._wrote()

    def delete_document(self, doc_id: str) -> int:
        """Remove a document's card, then its chunks; return how many chunks went. It is marked
        unfinished meanwhile, so chunks a crash leaves without their card are found."""
        with self._use() as (chunks, cards):
            try:
                self._mark_unfinished({doc_id})
                cards.delete(ids=[doc_id])
                ids = chunks.get(where={"doc_id": doc_id}, include=[])["ids"]
                for start in range(0, len(ids), self._max_batch):
                    chunks.delete(ids=ids[start : start + self._max_batch])
                self._finish(doc_id)
            finally:
                self._wrote()
        return len(ids)

    def replace_chunk_metadata(self, chunks: Sequence[Chunk]) -> None:
        """Rewrite stored chunks' metadata in place (vectors and texts stay), dropping keys the
        new metadata no longer has (``rla retag``)."""
        with self._use() as (col, _):
            try:
                for start in range(0, len(chunks), self._max_batch):
                    batch = chunks[start : start + self._max_batch]
                    ids = [c.chunk_id for c in batch]
                    got = col.get(ids=ids, include=["metadatas"])
                    metas_got = got["metadatas"] or [{}] * len(got["ids"])
                    old = {cid: dict(m or {}) for cid, m in zip(got["ids"], metas_got, strict=True)}
                    metas = [retagged(c, old.get(c.chunk_id, {})) for c in batch]
                    col.update(ids=ids, metadatas=cast(Any, metas))
            finally:
                self._wrote()

    def put_card_meta(self, card: DocumentCard, summary: str) -> None:
        """Rewrite a stored card's fields and tag summary (its vector stays)."""
        meta_json = card.to_metadata()["meta_json"]
        with self._use() as (_, cards):
            try:
                cards.update(ids=[card.doc_id],
                             metadatas=[{"meta_json": meta_json, SUMMARY: summary}])
            finally:
                self._wrote()

    def vectors_for(self, chunk_ids: Sequence[str]) -> npt.NDArray[np.float32]:
        """The stored vectors of ``chunk_ids``, in that order."""
        if not chunk_ids:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._use() as (col, _):
            got = col.get(ids=list(chunk_ids), include=["embeddings"])
        rows = np.asarray(got["embeddings"], dtype=np.float32)
        by_id = dict(zip(got["ids"], rows, strict=True))
        return np.stack([by_id[cid] for cid in chunk_ids]).astype(np.float32)

    def unit_vectors(self, chunk_ids: Sequence[str]) -> dict[str, str]:
        """The packed unit vectors stored with each of ``chunk_ids`` (those that have them);
        read again only for rows the last searches did not read."""
        wanted = list(dict.fromkeys(chunk_ids))
        seen = self._read_missing(self._recent.units(wanted), wanted, "metadatas",
                                  lambda got: packed_units(got["ids"], got["metadatas"]))
        return {cid: packed for cid, packed in seen.items() if packed}

    def _read_missing(
        self, seen: dict[str, T], wanted: Sequence[str], include: str,
        take: Callable[[Any], Mapping[str, T]],
    ) -> dict[str, T]:
        """``seen`` (what the last searches read) with the rows of ``wanted`` it lacks read
        now: one ``get`` of ``include``, whose result ``take`` turns into id -> value."""
        missing = [cid for cid in wanted if cid not in seen]
        if missing:
            with self._use() as (col, _):
                got = col.get(ids=missing, include=[cast(Any, include)])
            seen.update(take(got))
        return seen

    def put_unit_vectors(self, packed: Mapping[str, str]) -> None:
        """Store (or replace) the packed unit vectors of existing chunks (``rla retag``)."""
        if not packed:  # Chroma refuses an empty update (a passage with no quotable unit)
            return
        with self._use() as (col, _):
            try:
                col.update(ids=list(packed),
                           metadatas=cast(Any, [{UNIT_VECTORS: v} for v in packed.values()]))
            finally:
                self._wrote()

    # -- reading ----------------------------------------------------------------------------

    def _cards_where(self, where: dict[str, Any] | None = None) -> list[DocumentCard]:
        with self._use() as (_, cards):
            rows = list(paged(cards, where=where, include_documents=False))
        out = [DocumentCard.from_metadata(meta) for _, _, meta in rows]
        return sorted(out, key=lambda c: (c.file, c.title, c.doc_id))

    def cards(self) -> list[DocumentCard]:
        return self._cards_where()

    def card_summaries(self) -> dict[str, str]:
        """Each card's summary of its passages' tags (JSON; "" for a card stored without)."""
        return {card.doc_id: summary for card, summary in self.cards_with_summaries()}

    def cards_with_summaries(self) -> list[tuple[DocumentCard, str]]:
        """Every card with its summary, in one read (the catalogue is built from these)."""
        with self._use() as (_, cards):
            rows = list(paged(cards, include_documents=False))
        return [(DocumentCard.from_metadata(meta), str(meta.get(SUMMARY) or ""))
                for _, _, meta in rows if meta]

    def card(self, doc_id: str) -> DocumentCard | None:
        with self._use() as (_, cards):
            got = cards.get(ids=[doc_id], include=["metadatas"])
        metas = got["metadatas"] or []
        return DocumentCard.from_metadata(metas[0]) if metas and metas[0] else None

    def cards_for_file(self, file: str) -> list[DocumentCard]:
        return self._cards_where({"file": file})

    def orphan_doc_ids(self) -> set[str]:
        """Documents with chunks but no card: left by an ingest that stopped half-way (or one
        still writing). They are never searched, cited or listed."""
        return set(self.chunk_counts()) - self.carded_doc_ids()

    def chunk_counts(self) -> dict[str, int]:
        """How many chunks each document has in the store (read from metadata only)."""
        with self._use() as (chunks, _):
            rows = list(paged(chunks, include_documents=False))
        return dict(Counter(str(meta["doc_id"]) for _, _, meta in rows if meta))

    def dense_search(
        self, query: npt.NDArray[np.float32], n: int, where: dict[str, Any] | None = None
    ) -> list[tuple[Chunk, float]]:
        """Nearest chunks of carded documents by cosine similarity (1 - distance), best first.

        Chunks whose document has no card (an interrupted or unfinished ingest) are left out.
        """
        vector = np.asarray(query, dtype=np.float32).reshape(1, -1)
        carded = self.carded_doc_ids()
        excluded: set[str] = set()
        for _ in range(3):  # a few orphans in the way: search again without them
            scope = without_docs(where, excluded)
            hits = self._query(vector, n, scope)
            strays = {c.doc_id for c, _ in hits} - carded
            if not strays:
                return hits
            excluded |= strays
        return [(c, s) for c, s in hits if c.doc_id in carded]

    def nearest(
        self, query: npt.NDArray[np.float32], n: int, ids: Sequence[str] | None = None
    ) -> list[tuple[str, float]]:
        """The ids of the ``n`` nearest chunks (among ``ids`` when given) with their cosine
        similarity, best first: no text or metadata is read (``chunks_by_id`` reads what is
        kept). Chunks of documents without a card may be among them."""
        if n <= 0 or (ids is not None and not ids):
            return []
        vector = np.asarray(query, dtype=np.float32).reshape(1, -1)
        got = self._search(vector, n, None, ids, ["distances"])
        return [(cid, 1.0 - float(d))
                for cid, d in zip(got["ids"][0], (got["distances"] or [[]])[0], strict=True)]

    def _search(self, vector: npt.NDArray[np.float32], n: int, where: dict[str, Any] | None,
                ids: Sequence[str] | None, include: list[str]) -> Any:
        """One Chroma query, tried again once on a reopened store if it fails."""
        for attempt in (1, 2):
            try:
                with self._use() as (chunks, _):
                    return chunks.query(  # n above the count gives them all (no count read)
                        query_embeddings=vector,
                        n_results=n,
                        where=cast(Any, where) if where else None,
                        ids=list(ids) if ids is not None else None,
                        include=cast(Any, include),
                    )
            except Exception as exc:  # chromadb's InternalError ("Error finding id") and kin
                if attempt == 2 or self._generation is None:
                    raise
                log.warning("search failed (%s); reopening the store and trying again", exc)
                self._gate.force()
        raise AssertionError("unreachable")

    def _query(
        self, vector: npt.NDArray[np.float32], n: int, where: dict[str, Any] | None
    ) -> list[tuple[Chunk, float]]:
        if n <= 0:
            return []
        for attempt in (1, 2):
            got = self._search(vector, n, where, None, ["documents", "metadatas", "distances"])
            ids = got["ids"][0]
            docs = (got["documents"] or [[]])[0]
            metas = (got["metadatas"] or [[]])[0]
            dists = (got["distances"] or [[]])[0]
            self._recent.remember(ids, metas)
            rows = list(zip(ids, docs, metas, dists, strict=True))
            if attempt == 1 and self._generation is not None and any(not m for *_, m, _ in rows):
                # Removed since this process loaded the index: its view is stale.
                self._gate.force()
                continue
            return [
                (Chunk.from_record(cid, doc or "", meta), 1.0 - float(dist))
                for cid, doc, meta, dist in rows
                if meta
            ]
        return []

    def similarities(
        self, query: npt.NDArray[np.float32], chunk_ids: Sequence[str]
    ) -> dict[str, float]:
        """Cosine similarity of ``query`` to each stored chunk named (unknown ids are left out):
        for chunks that keyword search found but dense search did not rank."""
        wanted = list(dict.fromkeys(chunk_ids))
        found = self._read_missing(self._recent.vectors(wanted), wanted, "embeddings", _vectors)
        if not found:
            return {}
        ids = list(found)
        matrix = np.stack([found[cid] for cid in ids]).astype(np.float32)
        vector = np.asarray(query, dtype=np.float32).reshape(-1)
        norms = np.linalg.norm(matrix, axis=1) * (np.linalg.norm(vector) or 1.0)
        sims = (matrix @ vector) / np.where(norms == 0, 1.0, norms)
        return {cid: float(s) for cid, s in zip(ids, sims.tolist(), strict=True)}

    def all_chunks(self) -> list[Chunk]:
        """Every chunk of a carded document, ordered by document and position."""
        return self._chunks_where(None, self.carded_doc_ids())

    def chunks_for(self, doc_id: str) -> list[Chunk]:
        """One document's chunks in reading order."""
        return self._chunks_where({"doc_id": doc_id})

    def chunks_of(self, doc_ids: Sequence[str]) -> Iterator[Chunk]:
        """The chunks of ``doc_ids``, a few documents per read, each in reading order."""
        for start in range(0, len(doc_ids), 50):
            yield from self._chunks_where({"doc_id": {"$in": list(doc_ids[start : start + 50])}})

    def chunks_matching(self, where: dict[str, Any]) -> list[Chunk]:
        """The chunks of carded documents that match a Chroma ``where``, in reading order."""
        return self._chunks_where(where, self.carded_doc_ids())

    def chunks_by_id(self, chunk_ids: Sequence[str]) -> dict[str, Chunk]:
        """The stored chunks named, of carded documents only (keyword hits are ids)."""
        if not chunk_ids:
            return {}
        carded = self.carded_doc_ids()
        with self._use() as (col, _):
            got = col.get(ids=list(dict.fromkeys(chunk_ids)),
                          include=["documents", "metadatas", "embeddings"])
        self._recent.remember(got["ids"], got["metadatas"] or [], got["embeddings"])
        rows = zip(got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True)
        return {cid: Chunk.from_record(cid, doc or "", meta) for cid, doc, meta in rows
                if meta and str(meta.get("doc_id")) in carded}

    def _chunks_where(
        self, where: dict[str, Any] | None, carded: frozenset[str] | None = None
    ) -> list[Chunk]:
        with self._use() as (col, _):
            rows = list(paged(col, where=where))
        out = [Chunk.from_record(cid, doc, meta) for cid, doc, meta in rows
               if meta and (carded is None or str(meta.get("doc_id")) in carded)]
        return sorted(out, key=lambda c: (c.doc_id, c.index, c.chunk_id))

    def count(self) -> int:
        with self._use() as (chunks, _):
            return int(chunks.count())


def _vectors(got: Any) -> dict[str, npt.NDArray[np.float32]]:
    """A ``get``'s rows as id -> vector (none when it returned no embeddings)."""
    stored = got["embeddings"]
    if stored is None:
        return {}
    return dict(zip(got["ids"], np.asarray(stored, dtype=np.float32), strict=True))
