"""How ``ChromaStore`` reads and writes its rows: paged reads and the metadata a chunk is
stored with (its packed unit vectors included, and kept when the metadata is rewritten)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import numpy.typing as npt

from assistant.types import Chunk
from vectorstore.unitvec import UNIT_VECTORS

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

PAGE = 1000  # rows per paged ``get``


def paged(
    col: Collection, where: dict[str, Any] | None = None, include_documents: bool = True
) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    """All ``(id, document, metadata)`` rows of ``col``, fetched a page at a time (call it
    inside the store's ``_use``)."""
    offset = 0
    while True:
        got = col.get(
            where=cast(Any, where) if where else None,
            limit=PAGE,
            offset=offset,
            include=["documents", "metadatas"] if include_documents else ["metadatas"],
        )
        ids = got["ids"]
        docs = got["documents"] or [""] * len(ids)
        metas = got["metadatas"] or [{}] * len(ids)
        yield from zip(ids, docs, metas, strict=True)
        if len(ids) < PAGE:
            return
        offset += len(ids)


def with_units(chunk: Chunk, unit_vectors: Sequence[str] | None, i: int) -> dict[str, Any]:
    """The metadata ``chunk`` is stored with: its own, plus its packed unit vectors if any."""
    meta: dict[str, Any] = dict(chunk.to_metadata())
    if unit_vectors is not None and unit_vectors[i]:
        meta[UNIT_VECTORS] = unit_vectors[i]
    return meta


def retagged(chunk: Chunk, old: Mapping[str, Any]) -> dict[str, Any]:
    """``chunk``'s new metadata for an update in place: keys the old metadata had and the new
    one has not are set to None (Chroma drops them), except the unit vectors, which stay."""
    new: dict[str, Any] = dict(chunk.to_metadata())
    dropped = old.keys() - new.keys() - {UNIT_VECTORS}
    new.update({k: None for k in dropped})
    return new


def packed_units(
    ids: Sequence[str], metas: Sequence[Mapping[str, Any] | None] | None
) -> dict[str, str]:
    """The packed unit vectors in the metadata of rows ``ids`` (rows without any are left out)."""
    rows = metas or [{}] * len(ids)
    return {
        cid: str(meta[UNIT_VECTORS])
        for cid, meta in zip(ids, rows, strict=True)
        if meta and meta.get(UNIT_VECTORS)
    }


class RecentRows:
    """The packed unit vectors and the vectors of the rows a search just read, so the steps
    after it (the rerank, a keyword hit's similarity) need no second read. Emptied whenever
    the store's revision changes; bounded, oldest out first."""

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._units: OrderedDict[str, str] = OrderedDict()
        self._vectors: OrderedDict[str, npt.NDArray[np.float32]] = OrderedDict()

    def clear(self) -> None:
        with self._lock:
            self._units.clear()
            self._vectors.clear()

    def remember(self, ids: Sequence[str], metas: Sequence[Mapping[str, Any] | None],
                 vectors: Any = None) -> None:
        with self._lock:
            for i, (cid, meta) in enumerate(zip(ids, metas, strict=True)):
                if not meta:
                    continue
                self._put(self._units, cid, str(meta.get(UNIT_VECTORS) or ""))
                if vectors is not None and len(vectors) > i:
                    self._put(self._vectors, cid, np.asarray(vectors[i], dtype=np.float32))

    def _put(self, table: OrderedDict[str, Any], key: str, value: Any) -> None:
        table[key] = value
        table.move_to_end(key)
        while len(table) > self._size:
            table.popitem(last=False)

    def units(self, ids: Sequence[str]) -> dict[str, str]:
        with self._lock:
            return {cid: self._units[cid] for cid in ids if cid in self._units}

    def vectors(self, ids: Sequence[str]) -> dict[str, npt.NDArray[np.float32]]:
        with self._lock:
            return {cid: self._vectors[cid] for cid in ids if cid in self._vectors}
