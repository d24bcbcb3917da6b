"""How ``ChromaStore`` reads and writes its rows: paged reads and the metadata a chunk is
stored with (its packed unit vectors included, and kept when the metadata is rewritten)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

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
