"""The connection under ``ChromaStore``: the client and its collections (chunks, cards, and
``_marks``, one record holding the token of the last write), the gate that keeps an embedded
store in step with other processes (``vectorstore.freshness``), and the store's revision,
which changes with every write.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from vectorstore.chroma_client import ENCODER_KEY, make_client, open_collection
from vectorstore.freshness import Gate, Generation
from vectorstore.records import RecentRows

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

log = logging.getLogger(__name__)

REVISION_TTL_S = 0.2  # one read serves a whole question (the answerer asks per term)
_REVISION_ID = "revision"
_PENDING = "pending:"  # + doc id: a document whose chunks are being written
LEGACY_ENCODER = "torch-fp32"  # what made the vectors of a collection that records none


class StoreConnection:
    """The open client and collections: chunks in ``collection``, cards in ``collection +
    "_docs"``."""

    def __init__(
        self,
        path: Path,
        *,
        model_name: str,
        dim: int,
        url: str = "",
        collection: str = "rla_chunks",
        encoder: str = "",
    ) -> None:
        self.path = Path(path)
        self.encoder = encoder  # recorded on collections this store creates
        self.model_name = model_name
        self.dim = dim
        self.url = url
        self.collection_name = collection
        self._client: ClientAPI | None = None
        self._chunks: Collection | None = None
        self._cards: Collection | None = None
        self._marks: Collection | None = None  # one record: the token of the last write
        self._max_batch = 1
        self._lock = threading.Lock()
        # (when read, revision, the doc ids that have a card)
        self._revision_cache: tuple[float, str, frozenset[str]] | None = None
        self._carded: tuple[str, frozenset[str]] = ("", frozenset())  # (revision, doc ids)
        self._recent = RecentRows()  # rows the last searches read, for the steps after them
        # Embedded: another process's writes reach SQLite, not this process's loaded index.
        self._generation = None if url else Generation(self.path)
        self._gate = Gate(self._changed_elsewhere, self._reopen)

    # -- opening ----------------------------------------------------------------------------

    def _open(self, client: ClientAPI, name: str) -> Collection:
        return open_collection(client, name, model_name=self.model_name, dim=self.dim,
                               encoder=self.encoder, where=self.url or str(self.path))

    def _collections(self) -> tuple[Collection, Collection]:
        with self._lock:
            if self._chunks is None or self._cards is None:
                self._client = client = self._client or make_client(self.path, self.url)
                self._max_batch = max(1, int(client.get_max_batch_size()))
                chunks = self._open(client, self.collection_name)
                self._cards = self._open(client, self.collection_name + "_docs")
                self._marks = self._open(client, self.collection_name + "_marks")
                self._chunks = chunks
            return self._chunks, self._cards

    def _changed_elsewhere(self) -> bool:
        return self._generation is not None and self._generation.changed_elsewhere()

    def _reopen(self) -> None:
        """Drop the client so the next operation loads the store afresh (called by the gate
        once no operation is in flight)."""
        log.info("the store at %s was changed by another process; reopening it", self.path)
        self._release()
        self._revision_cache = None
        self._recent.clear()
        if self._generation is not None:
            self._generation.mark_seen()

    @contextmanager
    def _use(self) -> Iterator[tuple[Collection, Collection]]:
        """The collections, current with every process's writes, for one operation."""
        with self._gate.use():
            yield self._collections()

    def _wrote(self) -> None:
        """After every write: a new revision token in the store itself (seen by every client of
        a server), and for an embedded store the generation file other processes watch."""
        self._revision_cache = None
        self._recent.clear()
        try:
            self._mark()
        except Exception as exc:  # never hide the write's own error (this runs in a finally)
            log.warning("could not record the write's revision token: %s", exc)
        if self._generation is not None:
            self._generation.bump()

    def _mark(self) -> str:
        token = secrets.token_hex(8)
        assert self._marks is not None  # inside _use
        # Chroma needs a vector with every record; this one is never searched.
        self._marks.upsert(ids=[_REVISION_ID], metadatas=[{"token": token}],
                           embeddings=np.eye(1, self.dim, dtype=np.float32))
        return token

    def recorded_encoder(self) -> str:
        """The encoder the chunk collection records (queries must use the same one)."""
        with self._use() as (chunks, _):
            return str((chunks.metadata or {}).get(ENCODER_KEY) or LEGACY_ENCODER)

    def close(self) -> None:
        """Release the client (an embedded store's files can then be removed)."""
        self._release()

    def _release(self) -> None:
        with self._lock:
            client, self._client = self._client, None
            self._chunks = self._cards = self._marks = None
        close = getattr(client, "close", None)
        if callable(close):
            close()

    # -- documents being written ----------------------------------------------------------

    def _begin(self, doc_ids: set[str]) -> None:
        """Mark documents whose chunks are about to be written (inside ``_use``): until their
        card is, an ingest that stops leaves them marked, and the next one removes them."""
        self._mark_unfinished(doc_ids - self.carded_doc_ids())

    def _mark_unfinished(self, doc_ids: set[str]) -> None:
        new = sorted(doc_ids)
        if new:
            assert self._marks is not None
            self._marks.upsert(ids=[_PENDING + d for d in new],
                               metadatas=[{"pending": d} for d in new],
                               embeddings=np.tile(np.eye(1, self.dim, dtype=np.float32),
                                                  (len(new), 1)))

    def _finish(self, doc_id: str) -> None:
        assert self._marks is not None
        self._marks.delete(ids=[_PENDING + doc_id])

    def unfinished_doc_ids(self) -> set[str]:
        """Documents whose chunks were being written when an ingest stopped (they have no
        card): found without reading the store's chunks."""
        with self._use():
            assert self._marks is not None
            ids = self._marks.get(include=[])["ids"]
        marked = {i[len(_PENDING):] for i in ids if i.startswith(_PENDING)}
        return marked - self.carded_doc_ids()

    def revision(self) -> str:
        """Changes whenever chunks or cards are written or removed, or the store is made anew:
        the collection's id and the token every write records (one small read).

        A read is reused for up to ``REVISION_TTL_S`` (this process's own writes drop it at
        once, and so does another process's write to an embedded store): the answerer asks per
        query term. Another process's write to a Chroma server is seen within that time.
        """
        return self._revision()[0]

    def carded_doc_ids(self) -> frozenset[str]:
        """The documents that have a card (complete documents), read again only when the
        revision changed."""
        return self._revision()[1]

    def _revision(self) -> tuple[str, frozenset[str]]:
        with self._use() as (chunks, cards):  # first: a write elsewhere drops the cache
            cached = self._revision_cache
            now = time.monotonic()
            if cached is not None and now - cached[0] < REVISION_TTL_S:
                return cached[1], cached[2]
            assert self._marks is not None
            metas = self._marks.get(ids=[_REVISION_ID], include=["metadatas"])["metadatas"]
            token = str((metas[0] or {}).get("token", "")) if metas else ""
            if not token:  # a store made before revision tokens: give it one
                token = self._mark()
            value = f"{chunks.id}:{token}"
            if self._carded[0] != value:
                self._carded = (value, frozenset(cards.get(include=[])["ids"]))
                self._recent.clear()
            carded = self._carded[1]
        self._revision_cache = (now, value, carded)
        return value, carded
