"""Structure on chunks at ingest: themes from phrases plus embedding similarity.

The chunk vectors are the ones ingest computes anyway; the themes' description vectors are
computed once per taxonomy and embedder and kept for the life of the process. The area, card
and table fields are added earlier, when the file is read (``ingest.pipeline.prepare``).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import numpy.typing as npt

from assistant.types import Chunk, MetaValue
from ingest.sections import not_content
from ingest.themes import Taxonomy, ThemeTag, default_taxonomy, tag_passage
from vectorstore.embedder import Embedder

TAGS_VERSION = 1  # stored on every tagged chunk as ``tags``; 0 or missing: built before tagging
_cache: dict[tuple[str, str], npt.NDArray[np.float32]] = {}
_lock = threading.Lock()


def _key(taxonomy: Taxonomy, embedder: Embedder) -> tuple[str, str]:
    text = "\n".join(f"{t.id}\t{t.description}" for t in taxonomy.themes)
    return embedder.name, hashlib.sha256(text.encode()).hexdigest()


class ThemeTagger:
    def __init__(self, embedder: Embedder, taxonomy: Taxonomy | None = None) -> None:
        self.embedder = embedder
        self.taxonomy = taxonomy or default_taxonomy()

    def theme_vectors(self) -> npt.NDArray[np.float32]:
        """One normalised vector per theme, from its label, definition and first phrases."""
        key = _key(self.taxonomy, self.embedder)
        with _lock:
            if key not in _cache:
                texts = [t.description for t in self.taxonomy.themes]
                _cache[key] = np.asarray(self.embedder.embed(texts), dtype=np.float32)
            return _cache[key]

    def similarities(self, vectors: npt.NDArray[np.float32]) -> list[dict[str, float]]:
        """Cosine similarity of each passage vector to each theme."""
        if len(vectors) == 0:
            return []
        sims = np.asarray(vectors, dtype=np.float32) @ self.theme_vectors().T
        ids = [t.id for t in self.taxonomy.themes]
        return [dict(zip(ids, row.tolist(), strict=True)) for row in sims]

    def tag_text(self, text: str, similarity: dict[str, float]) -> list[ThemeTag]:
        return tag_passage(self.taxonomy, text, similarity)

    def tag_chunks(
        self, chunks: Sequence[Chunk], vectors: npt.NDArray[np.float32]
    ) -> list[Chunk]:
        """The chunks with ``themes`` (ids), ``theme_spans`` (JSON) and ``tags`` in meta."""
        out: list[Chunk] = []
        for chunk, sims in zip(chunks, self.similarities(vectors), strict=True):
            meta: dict[str, MetaValue] = {
                k: v for k, v in chunk.meta.items() if k not in ("themes", "theme_spans")
            }
            meta["tags"] = TAGS_VERSION
            tags = [] if not_content(chunk.section) else self.tag_text(chunk.text, sims)
            if tags:
                meta["themes"] = [t.theme for t in tags]
                meta["theme_spans"] = json.dumps({t.theme: t.to_dict() for t in tags})
            out.append(replace(chunk, meta=meta))
        return out
