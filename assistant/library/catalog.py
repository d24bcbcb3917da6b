"""What the corpus says something about, counted over every stored passage.

Built from the store's chunks (their area, theme and card fields) and rebuilt when the store
changes. Feeds `rla areas`, `rla themes`, `rla compare` and the answers that name an area.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from assistant.library.filters import Filters
from assistant.types import Chunk, DocumentCard
from ingest.areas import default_gazetteer
from ingest.areatag import default_places
from ingest.themes import Taxonomy, default_taxonomy
from vectorstore.where import where_matches


def meta_list(chunk: Chunk, key: str) -> list[str]:
    value = chunk.meta.get(key)
    return [str(v) for v in value] if isinstance(value, list) else []


def theme_spans(chunk: Chunk) -> dict[str, list[tuple[int, int]]]:
    raw = chunk.meta.get("theme_spans")
    if not isinstance(raw, str) or not raw:
        return {}
    data: dict[str, Any] = json.loads(raw)
    return {k: [(int(a), int(b)) for a, b in v.get("spans", [])] for k, v in data.items()}


@dataclass(frozen=True)
class AreaSummary:
    name: str
    kind: str
    passages: int
    documents: int
    files: tuple[str, ...]
    also_known_as: tuple[str, ...]  # the committee and health board a filter also matches

    def to_dict(self) -> dict[str, Any]:
        return {"area": self.name, "kind": self.kind, "passages": self.passages,
                "documents": self.documents, "files": list(self.files),
                "related": list(self.also_known_as)}


@dataclass(frozen=True)
class ThemeSummary:
    id: str
    label: str
    group: str
    passages: int
    documents: int
    by_doc_type: dict[str, int]
    by_nation: dict[str, int]
    by_review_type: dict[str, int] = field(default_factory=dict)  # passages of each type's docs

    def to_dict(self) -> dict[str, Any]:
        return {"theme": self.id, "label": self.label, "group": self.group,
                "passages": self.passages, "documents": self.documents,
                "by_doc_type": self.by_doc_type, "by_nation": self.by_nation,
                "by_review_type": self.by_review_type}


class Catalog:
    def __init__(
        self, chunks: Iterable[Chunk], cards: Iterable[DocumentCard] = (),
        taxonomy: Taxonomy | None = None,
    ) -> None:
        self.chunks: tuple[Chunk, ...] = tuple(chunks)
        self.cards = {c.doc_id: c for c in cards}
        self.taxonomy = taxonomy or default_taxonomy()

    @cached_property
    def tagged(self) -> bool:
        """False for a store built before tagging (re-ingest or `rla retag` to fix)."""
        return any(c.meta.get("tags") for c in self.chunks)

    @cached_property
    def _flat(self) -> list[dict[str, Any]]:
        return [dict(c.to_metadata()) for c in self.chunks]

    def select(self, filters: Filters | None = None) -> list[Chunk]:
        where = filters.where() if filters else None
        if not where:
            return list(self.chunks)
        return [c for c, m in zip(self.chunks, self._flat, strict=True) if where_matches(m, where)]

    @cached_property
    def doc_types(self) -> frozenset[str]:
        return frozenset(c.doc_type for c in self.chunks if c.doc_type)

    @cached_property
    def review_types(self) -> dict[str, int]:
        """Each review type with the number of documents that are or are about it, most first."""
        docs: dict[str, set[str]] = defaultdict(set)
        for chunk in self.chunks:
            for label in chunk.review_types:
                docs[label].add(chunk.doc_id)
        return dict(sorted(((k, len(v)) for k, v in docs.items()), key=lambda kv: (-kv[1], kv[0])))

    @cached_property
    def guidance_titles(self) -> tuple[str, ...]:
        """Titles of the guidance documents, for a declined request to point to."""
        return tuple(sorted(c.title for c in self.cards.values() if c.doc_type == "guidance"))

    @cached_property
    def nations(self) -> frozenset[str]:
        return frozenset(c.nation for c in self.chunks if c.nation)

    def areas(self, filters: Filters | None = None) -> list[AreaSummary]:
        """Areas with at least one passage, most passages first."""
        places = default_places()
        by_name = {a.name: a for a in default_gazetteer().areas}
        passages: Counter[str] = Counter()
        docs: dict[str, set[str]] = defaultdict(set)
        files: dict[str, set[str]] = defaultdict(set)
        for chunk in self.select(filters):
            for area in meta_list(chunk, "areas"):
                passages[area] += 1
                docs[area].add(chunk.doc_id)
                files[area].add(chunk.file)
        out = []
        for name, n in passages.items():
            related = places.keys.get(name, (name,))
            found = by_name.get(name)
            out.append(AreaSummary(
                name, found.kind if found else "area", n, len(docs[name]),
                tuple(sorted(files[name])), tuple(r for r in related if r != name),
            ))
        return sorted(out, key=lambda a: (-a.passages, a.name))

    @cached_property
    def covered_area_keys(self) -> frozenset[str]:
        return frozenset(k for c in self.chunks for k in meta_list(c, "area_keys"))

    def themes(self, filters: Filters | None = None) -> list[ThemeSummary]:
        """Every theme of the taxonomy with its counts (zero counts included)."""
        passages: Counter[str] = Counter()
        docs: dict[str, set[str]] = defaultdict(set)
        by_type: dict[str, Counter[str]] = defaultdict(Counter)
        by_nation: dict[str, Counter[str]] = defaultdict(Counter)
        by_review: dict[str, Counter[str]] = defaultdict(Counter)
        for chunk in self.select(filters):
            for theme in meta_list(chunk, "themes"):
                passages[theme] += 1
                docs[theme].add(chunk.doc_id)
                by_type[theme][chunk.doc_type or "unknown"] += 1
                by_nation[theme][chunk.nation or "unknown"] += 1
                by_review[theme].update(chunk.review_types)
        return [
            ThemeSummary(t.id, t.label, t.group, passages[t.id], len(docs[t.id]),
                         dict(by_type[t.id]), dict(by_nation[t.id]), dict(by_review[t.id]))
            for t in self.taxonomy.themes
        ]


def summary_lines(areas: Sequence[AreaSummary]) -> str:
    """"Glasgow City (4 passages), Angus (3 passages)" for notes and refusals."""
    return ", ".join(
        f"{a.name} ({a.passages} passage{'s' if a.passages != 1 else ''})" for a in areas
    )
