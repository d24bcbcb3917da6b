"""What the corpus says something about: areas, themes, nations, types, counted in passages.

Built from the store's cards and each document's tag summary (``summary``), rebuilt when the
store changes, without reading the passages; they are read where a quote needs them, those a
filter selects. Feeds `rla areas`, `rla themes`, `rla compare`, the scope checks and the
answers that name an area.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, Protocol

from assistant.library.filters import Filters
from assistant.library.summary import DocSummary
from assistant.types import META_PREFIX, Chunk, DocumentCard
from ingest.areas import default_gazetteer
from ingest.areatag import default_places
from ingest.themes import Taxonomy, default_taxonomy
from vectorstore.chroma_store import ChromaStore
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


class Passages(Protocol):
    """Where the catalogue reads passages when a count or a quote needs them."""

    def everything(self) -> list[Chunk]: ...
    def matching(self, where: dict[str, Any]) -> list[Chunk]: ...
    def by_id(self, chunk_ids: Sequence[str]) -> dict[str, Chunk]: ...
    def of_docs(self, doc_ids: Sequence[str]) -> list[Chunk]: ...


class StoredPassages:
    """Passages read from the store, a filter's worth at a time."""

    def __init__(self, store: ChromaStore) -> None:
        self._store = store

    def everything(self) -> list[Chunk]:
        return self._store.all_chunks()

    def matching(self, where: dict[str, Any]) -> list[Chunk]:
        return self._store.chunks_matching(where)

    def by_id(self, chunk_ids: Sequence[str]) -> dict[str, Chunk]:
        return self._store.chunks_by_id(chunk_ids)

    def of_docs(self, doc_ids: Sequence[str]) -> list[Chunk]:
        return list(self._store.chunks_of(doc_ids))


class HeldPassages:
    """Passages already in memory (tests, tools)."""

    def __init__(self, chunks: Iterable[Chunk]) -> None:
        self._chunks = tuple(chunks)

    def everything(self) -> list[Chunk]:
        return list(self._chunks)

    @cached_property
    def _flat(self) -> list[dict[str, Any]]:
        return [dict(c.to_metadata()) for c in self._chunks]

    def matching(self, where: dict[str, Any]) -> list[Chunk]:
        return [c for c, m in zip(self._chunks, self._flat, strict=True) if where_matches(m, where)]

    def by_id(self, chunk_ids: Sequence[str]) -> dict[str, Chunk]:
        wanted = set(chunk_ids)
        return {c.chunk_id: c for c in self._chunks if c.chunk_id in wanted}

    def of_docs(self, doc_ids: Sequence[str]) -> list[Chunk]:
        wanted = set(doc_ids)
        return [c for c in self._chunks if c.doc_id in wanted]


Doc = DocumentCard | Chunk  # a document's card fields: its card, or one of its passages


class Catalog:
    """Counts from each document's summary (``summary.DocSummary``, kept on its card); the
    passages themselves are read only where a count needs them (a filter on two themes or two
    areas at once) or a quote does, and then only those a filter selects."""

    def __init__(
        self,
        docs: Mapping[str, Doc],
        passages: Passages,
        summaries: Mapping[str, DocSummary] | None = None,
        taxonomy: Taxonomy | None = None,
    ) -> None:
        self.docs = dict(docs)
        self.cards = {d: c for d, c in self.docs.items() if isinstance(c, DocumentCard)}
        self._passages = passages
        self._given = dict(summaries or {})
        self.taxonomy = taxonomy or default_taxonomy()

    @classmethod
    def of_store(cls, store: ChromaStore) -> Catalog:
        """The store's catalogue from its cards: no passage is read."""
        read = store.cards_with_summaries()
        summaries = {c.doc_id: s for c, raw in read if (s := DocSummary.from_json(raw)) is not None}
        return cls({c.doc_id: c for c, _ in read}, StoredPassages(store), summaries)

    @classmethod
    def of_chunks(cls, chunks: Iterable[Chunk], cards: Iterable[DocumentCard] = ()) -> Catalog:
        held = tuple(chunks)
        docs: dict[str, Doc] = {c.doc_id: c for c in cards}
        for chunk in held:
            docs.setdefault(chunk.doc_id, chunk)
        return cls(docs, HeldPassages(held))

    @cached_property
    def summaries(self) -> dict[str, DocSummary]:
        """Every document's summary; a document stored without one (a store made by an older
        version) is counted from its own passages, once."""
        missing = [d for d in self.docs if d not in self._given]
        by_doc: dict[str, list[Chunk]] = defaultdict(list)
        for chunk in self._passages.of_docs(missing) if missing else ():
            by_doc[chunk.doc_id].append(chunk)
        counted = {d: DocSummary.of(by_doc.get(d, [])) for d in missing}
        return {**{d: s for d, s in self._given.items() if d in self.docs}, **counted}

    @cached_property
    def chunks(self) -> tuple[Chunk, ...]:
        """Every passage, read on first use (the trainer's lists across the library)."""
        return tuple(self._passages.everything())

    def select(self, filters: Filters | None = None) -> list[Chunk]:
        """The passages ``filters`` select (every passage for none)."""
        where = filters.where() if filters else None
        return self._passages.matching(where) if where else list(self.chunks)

    def passages(self, chunk_ids: Sequence[str]) -> list[Chunk]:
        """The passages named, in that order (those still stored)."""
        found = self._passages.by_id(chunk_ids)
        return [found[c] for c in chunk_ids if c in found]

    def table_passages(self) -> list[Chunk]:
        """The passages that hold a table, document by document."""
        return self.passages([c for s in self.summaries.values() for c in s.tables])

    def _docs_matching(self, filters: Filters) -> list[str]:
        """Documents whose card fields pass the document-level part of ``filters``."""
        where = replace(filters, areas=(), themes=()).where()
        if not where:
            return list(self.docs)
        return [d for d, doc in self.docs.items()
                if where_matches({META_PREFIX + k: v for k, v in doc.meta.items()}, where)]

    def docs_with_passages(self, filters: Filters) -> list[str]:
        """Documents with at least one passage ``filters`` select (from their summaries)."""
        out = []
        for doc_id in self._docs_matching(filters):
            s = self.summaries[doc_id]
            if filters.areas and filters.themes:
                found = any(s.key_themes.get(a, {}).get(t) for a in filters.areas
                            for t in filters.themes)
            elif filters.areas:
                found = any(a in s.area_keys for a in filters.areas)
            elif filters.themes:
                found = any(s.themes.get(t) for t in filters.themes)
            else:
                found = s.passages > 0
            if found:
                out.append(doc_id)
        return out

    @cached_property
    def tagged(self) -> bool:
        """False for a store built before tagging (re-ingest or `rla retag` to fix)."""
        return any(s.tagged for s in self.summaries.values())

    @cached_property
    def doc_types(self) -> frozenset[str]:
        return frozenset(d.doc_type for d in self.docs.values() if d.doc_type)

    @cached_property
    def review_types(self) -> dict[str, int]:
        """Each review type with the number of documents that are or are about it, most first."""
        docs: Counter[str] = Counter(t for d in self.docs.values() for t in set(d.review_types))
        return dict(sorted(docs.items(), key=lambda kv: (-kv[1], kv[0])))

    @cached_property
    def guidance_titles(self) -> tuple[str, ...]:
        """Titles of the guidance documents, for a declined request to point to."""
        return tuple(sorted(c.title for c in self.cards.values() if c.doc_type == "guidance"))

    @cached_property
    def nations(self) -> frozenset[str]:
        return frozenset(d.nation for d in self.docs.values() if d.nation)

    @cached_property
    def covered_area_keys(self) -> frozenset[str]:
        return frozenset(k for s in self.summaries.values() for k in s.area_keys)

    def areas(self, filters: Filters | None = None) -> list[AreaSummary]:
        """Areas with at least one passage, most passages first."""
        f = filters or Filters()
        passages: Counter[str] = Counter()
        docs: dict[str, set[str]] = defaultdict(set)
        files: dict[str, set[str]] = defaultdict(set)
        if f.areas or len(f.themes) > 1:  # counts the summaries cannot give: read the passages
            for chunk in self.select(f):
                for area in meta_list(chunk, "areas"):
                    passages[area] += 1
                    docs[area].add(chunk.doc_id)
                    files[area].add(chunk.file)
        else:
            for doc_id in self._docs_matching(f):
                s = self.summaries[doc_id]
                counts = ({a: t.get(f.themes[0], 0) for a, t in s.area_themes.items()}
                          if f.themes else s.areas)
                for area, n in counts.items():
                    if n:
                        passages[area] += n
                        docs[area].add(doc_id)
                        files[area].add(self.docs[doc_id].file)
        places = default_places()
        by_name = {a.name: a for a in default_gazetteer().areas}
        out = []
        for name, n in passages.items():
            related = places.keys.get(name, (name,))
            found = by_name.get(name)
            out.append(AreaSummary(
                name, found.kind if found else "area", n, len(docs[name]),
                tuple(sorted(files[name])), tuple(r for r in related if r != name),
            ))
        return sorted(out, key=lambda a: (-a.passages, a.name))

    def themes(self, filters: Filters | None = None) -> list[ThemeSummary]:
        """Every theme of the taxonomy with its counts (zero counts included)."""
        f = filters or Filters()
        passages: Counter[str] = Counter()
        docs: dict[str, set[str]] = defaultdict(set)
        by_type: dict[str, Counter[str]] = defaultdict(Counter)
        by_nation: dict[str, Counter[str]] = defaultdict(Counter)
        by_review: dict[str, Counter[str]] = defaultdict(Counter)

        def count(doc: Doc, theme: str, n: int) -> None:
            passages[theme] += n
            docs[theme].add(doc.doc_id)
            by_type[theme][doc.doc_type or "unknown"] += n
            by_nation[theme][doc.nation or "unknown"] += n
            for label in doc.review_types:
                by_review[theme][label] += n

        if f.themes or len(f.areas) > 1:  # counts the summaries cannot give: read the passages
            for chunk in self.select(f):
                for theme in meta_list(chunk, "themes"):
                    count(chunk, theme, 1)
        else:
            for doc_id in self._docs_matching(f):
                s = self.summaries[doc_id]
                counts = s.key_themes.get(f.areas[0], {}) if f.areas else s.themes
                for theme, n in counts.items():
                    if n:
                        count(self.docs[doc_id], theme, n)
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
