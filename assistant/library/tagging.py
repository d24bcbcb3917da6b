"""Structure on chunks at ingest: themes from phrases, embedding similarity and a learned probe.

The chunk vectors are the ones ingest computes anyway; the themes' description vectors are
computed once per taxonomy and embedder and kept for the life of the process. The area, card
and table fields are added earlier, when the file is read (``ingest.pipeline.prepare``).

The probe (``ingest/data/theme_probe.json``, written by ``python -m assistant.dev.theme_fit``)
is one logistic regression per theme over a passage's embedding, whether a context phrase of
the theme stands in it and its similarity to the theme's description, fitted on the
development halves of the hand labels (``tests/data``). It gives a theme only where no rule
does; its threshold was chosen by cross-validation across documents.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from assistant.types import Chunk, MetaValue
from ingest.data_files import data_path
from ingest.sections import not_content
from ingest.themes import Taxonomy, ThemeTag, default_taxonomy, tag_passage
from vectorstore.embedder import Embedder

TAGS_VERSION = 2  # stored on every tagged chunk as ``tags``; 0 or missing: built before tagging
PROBE_FILE = "theme_probe.json"
_cache: dict[tuple[str, str], npt.NDArray[np.float32]] = {}
_lock = threading.Lock()


def _key(taxonomy: Taxonomy, embedder: Embedder) -> tuple[str, str]:
    text = "\n".join(f"{t.id}\t{t.description}" for t in taxonomy.themes)
    return embedder.name, hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class ThemeProbe:
    """Per theme: weights over the embedding, then (context phrase, similarity, bias)."""

    themes: tuple[str, ...]
    weights: npt.NDArray[np.float32]  # (themes, dims)
    extra: npt.NDArray[np.float32]  # (themes, 3): context phrase, similarity, bias
    threshold: float
    fitted_on: str = ""

    @classmethod
    def load(cls, path: Path | None = None) -> ThemeProbe | None:
        path = path or data_path(PROBE_FILE)
        if not path.is_file():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(tuple(data["themes"]), np.asarray(data["weights"], dtype=np.float32),
                   np.asarray(data["extra"], dtype=np.float32), float(data["threshold"]),
                   str(data.get("fitted_on", "")))

    def to_json(self) -> str:
        """The probe as its data file: one line per theme's weights."""
        def row(values: npt.NDArray[np.float32]) -> str:
            return json.dumps([round(float(v), 4) for v in values])

        head = {
            "_about": "Learned theme probe: one logistic regression per theme over a "
                      "passage's MiniLM embedding (weights), then a context phrase of the "
                      "theme, the similarity to its description and a bias (extra). Written "
                      "by `python -m assistant.dev.theme_fit --write`; applied in "
                      "assistant/library/tagging.py.",
            "fitted_on": self.fitted_on, "threshold": round(self.threshold, 4),
            "themes": list(self.themes),
        }
        lines = [json.dumps(head, indent=1)[:-2] + ","]
        for key, rows in (("weights", self.weights), ("extra", self.extra)):
            body = ",\n  ".join(row(r) for r in rows)
            lines.append(f' "{key}": [\n  {body}\n ]' + ("," if key == "weights" else ""))
        return "\n".join(lines) + "\n}\n"

    def base(self, vectors: npt.NDArray[np.floating[Any]]) -> npt.NDArray[np.floating[Any]]:
        """The embedding part of every theme's logit, with its bias: (passages, themes)."""
        return np.asarray(vectors) @ self.weights.T + self.extra[:, 2]

    def probability(self, base: Any, context: Any, similarity: Any, theme: Any = slice(None)
                    ) -> Any:
        """The probe's probability from ``base`` (``ThemeProbe.base``), whether a context
        phrase stands and the similarity: for one theme (its index), or all (arrays)."""
        weights = self.extra[theme].astype(np.float64)  # (context, similarity, bias)
        logit = base + weights[..., 0] * context + weights[..., 1] * similarity
        return 1.0 / (1.0 + np.exp(-logit))

    def passages(self, vectors: npt.NDArray[np.float32]) -> list[_OnePassage]:
        if vectors.shape[1] != self.weights.shape[1]:
            return [_OnePassage(self, {}) for _ in range(len(vectors))]
        return [_OnePassage(self, dict(zip(self.themes, row.tolist(), strict=True)))
                for row in self.base(np.asarray(vectors, dtype=np.float32))]


@dataclass(frozen=True)
class _OnePassage:
    probe: ThemeProbe
    base: dict[str, float]  # embedding part of each theme's logit, with the bias

    def accepts(self, theme: str, context: bool, similarity: float) -> bool:
        if theme not in self.base:
            return False
        i = self.probe.themes.index(theme)
        found = self.probe.probability(self.base[theme], float(context), similarity, i)
        return bool(found >= self.probe.threshold)


@cache
def default_probe() -> ThemeProbe | None:
    return ThemeProbe.load()


class ThemeTagger:
    def __init__(
        self, embedder: Embedder, taxonomy: Taxonomy | None = None,
        probe: ThemeProbe | None = None, *, learned: bool = True,
    ) -> None:
        self.embedder = embedder
        self.taxonomy = taxonomy or default_taxonomy()
        self.probe = (probe or default_probe()) if learned else None

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

    def tag_texts(
        self, texts: Sequence[str], vectors: npt.NDArray[np.float32]
    ) -> list[list[ThemeTag]]:
        """The themes of each text, from its phrases, similarity and the probe."""
        sims = self.similarities(vectors)
        learned = self.probe.passages(vectors) if self.probe is not None and len(vectors) else (
            [None] * len(texts))
        return [tag_passage(self.taxonomy, text, s, p)
                for text, s, p in zip(texts, sims, learned, strict=True)]

    def tag_chunks(
        self, chunks: Sequence[Chunk], vectors: npt.NDArray[np.float32]
    ) -> list[Chunk]:
        """The chunks with ``themes`` (ids), ``theme_spans`` (JSON) and ``tags`` in meta."""
        out: list[Chunk] = []
        found = self.tag_texts([c.text for c in chunks], vectors)
        for chunk, tagged in zip(chunks, found, strict=True):
            meta: dict[str, MetaValue] = {
                k: v for k, v in chunk.meta.items() if k not in ("themes", "theme_spans")
            }
            meta["tags"] = TAGS_VERSION
            tags = [] if not_content(chunk.section) else tagged
            if tags:
                meta["themes"] = [t.theme for t in tags]
                meta["theme_spans"] = json.dumps({t.theme: t.to_dict() for t in tags})
            out.append(replace(chunk, meta=meta))
        return out
