"""Core values passed between the packages: frozen, typed, and free of any library types.

Only ``Chunk`` knows Chroma's flat metadata format (``to_metadata`` / ``from_record``); the
card's field names are ``CardKey``'s, read through ``Chunk.doc_type`` and the like.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

MetaValue = str | int | float | bool | list[str]  # lists: areas and themes, filtered by $contains
META_PREFIX = "m_"  # chunk metadata fields from the document card, flattened for filtering


class CardKey:
    """The card's field names: keys of its ``meta`` and each chunk's (``m_`` + key, stored)."""

    DOC_TYPE: Final = "doc_type"  # "review report", "briefing" ... (lower case)
    REVIEW_TYPES: Final = "review_types"  # a list: ingest.reviewtypes' labels, strongest first
    NATION: Final = "nation"  # one of ingest.areas.NATIONS
    PUBLISHER: Final = "publisher"
    YEAR: Final = "year"  # publication year, an int where it is one
    YEAR_SOURCE: Final = "year_source"  # where an inferred year was read ("copyright" ...)
    PERIOD: Final = "period"  # "2018-2021", the period a review covers
    PERIOD_START: Final = "period_start"
    PERIOD_END: Final = "period_end"
    INFERRED: Final = "inferred"  # the fields inferred from the text, comma-separated
    # metadata.csv's columns, mapped onto DOC_TYPE (and REVIEW_TYPES) and NATION and kept as
    # given (all an old store has; `rla retag` maps them); geography gets the nation if none.
    CSV_TYPE: Final = "review_type"
    CSV_GEOGRAPHY: Final = "geography"


class _CardFields:
    """The card fields of ``meta``, typed: on a chunk, what the filters match (``m_`` keys)."""

    meta: Mapping[str, MetaValue]

    @property
    def doc_type(self) -> str | None:
        """The document's type ("review report", "briefing" ...)."""
        return str(self.meta.get(CardKey.DOC_TYPE) or "") or None

    @property
    def nation(self) -> str | None:
        """The nation the document is about."""
        return str(self.meta.get(CardKey.NATION) or "") or None

    @property
    def year(self) -> int | None:  # the publication year, where the card has one
        value = self.meta.get(CardKey.YEAR)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @property
    def review_types(self) -> list[str]:  # what the document is or is about, strongest first
        value = self.meta.get(CardKey.REVIEW_TYPES)
        return [str(v) for v in value] if isinstance(value, list) else []


def pages_label(start: int, end: int) -> str:
    """``p. 12`` or ``pp. 12-13``, as every citation shows a page span."""
    return f"p. {start}" if end <= start else f"pp. {start}-{end}"


def page_span(breaks: tuple[tuple[int, int], ...], start: int, end: int) -> tuple[int, int]:
    """First and last page of the characters ``start:end`` of a text whose ``breaks`` are
    (offset, page) pairs: the text from ``offset`` on is on ``page``."""
    first = last = breaks[0][1]
    for offset, page in breaks:
        if offset <= start:
            first = page
        if offset < max(end, start + 1):
            last = page
    return first, last


@dataclass(frozen=True)
class Page:
    """One page as a reader sees it: ``number`` is the printed page number (1-based)."""

    number: int
    text: str


@dataclass(frozen=True)
class Document:
    """A loaded file: pages kept apart, plus its document card fields in ``meta``.

    ``doc_id`` is the sha256 of the file's bytes, so the same content always has the same id.
    """

    doc_id: str
    path: str
    title: str
    pages: tuple[Page, ...]
    meta: Mapping[str, MetaValue] = field(default_factory=dict)

    @property
    def file(self) -> str:
        return self.path.replace("\\", "/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Chunk(_CardFields):
    """A sentence-aware window of one section of one document: the unit that is indexed."""

    chunk_id: str
    doc_id: str
    title: str
    file: str
    section: str
    page_start: int
    page_end: int
    index: int
    text: str
    meta: Mapping[str, MetaValue] = field(default_factory=dict)
    # (offset in text, page) pairs: text from that offset on is on that page.
    page_breaks: tuple[tuple[int, int], ...] = ()

    def pages_at(self, start: int, end: int) -> tuple[int, int]:
        """First and last page of ``text[start:end]`` (the chunk's span if breaks are unknown)."""
        if not self.page_breaks:
            return self.page_start, self.page_end
        return page_span(self.page_breaks, start, end)

    def index_text(self) -> str:
        """What both searches index: title and section heading in front of the text."""
        head = f"{self.title}. {self.section}." if self.section else f"{self.title}."
        return f"{head}\n{self.text}"

    def to_metadata(self) -> dict[str, MetaValue]:
        """Chroma's flat metadata for this chunk (the text itself goes in ``documents``)."""
        flat: dict[str, MetaValue] = {
            "doc_id": self.doc_id,
            "title": self.title,
            "file": self.file,
            "section": self.section,
            "page_start": self.page_start,
            "page_end": self.page_end,
            "index": self.index,
            "page_breaks": ",".join(f"{o}:{p}" for o, p in self.page_breaks),
        }
        for key, value in self.meta.items():
            flat[META_PREFIX + key] = value  # flat, so Chroma can filter on it
        return flat

    @classmethod
    def from_record(cls, chunk_id: str, text: str, metadata: Mapping[str, Any]) -> Chunk:
        breaks = metadata.get("page_breaks") or ""
        meta: dict[str, MetaValue] = {
            key[len(META_PREFIX) :]: value
            for key, value in metadata.items()
            if key.startswith(META_PREFIX)
        }
        return cls(
            chunk_id=chunk_id,
            doc_id=str(metadata["doc_id"]),
            title=str(metadata["title"]),
            file=str(metadata["file"]),
            section=str(metadata.get("section", "")),
            page_start=int(metadata["page_start"]),
            page_end=int(metadata["page_end"]),
            index=int(metadata["index"]),
            text=text,
            meta=meta,
            page_breaks=tuple(
                (int(o), int(p))
                for o, p in (pair.split(":") for pair in str(breaks).split(",") if pair)
            ),
        )


@dataclass(frozen=True)
class DocumentCard(_CardFields):
    """What the store keeps about one ingested file."""

    doc_id: str
    file: str
    title: str
    pages: int
    chunks: int
    meta: Mapping[str, MetaValue] = field(default_factory=dict)

    @property
    def doc_type(self) -> str | None:
        """The document's type; for a store built before cards were inferred, metadata.csv's
        ``review_type`` as ingest maps it (stripped, lower case)."""
        given = str(self.meta.get(CardKey.CSV_TYPE) or "").strip().lower()
        return super().doc_type or given or None

    def to_dict(self) -> dict[str, Any]:
        return {"doc_id": self.doc_id, "file": self.file, "title": self.title,
                "pages": self.pages, "chunks": self.chunks, "meta": dict(self.meta)}

    def to_metadata(self) -> dict[str, str | int]:
        """The card as the store keeps it (Chroma's flat metadata; ``meta`` as JSON)."""
        return {"doc_id": self.doc_id, "file": self.file, "title": self.title,
                "pages": self.pages, "chunks": self.chunks,
                "meta_json": json.dumps(dict(self.meta), sort_keys=True)}

    @classmethod
    def from_metadata(cls, metadata: Mapping[str, Any]) -> DocumentCard:
        raw = metadata.get("meta_json")
        return cls(doc_id=str(metadata["doc_id"]), file=str(metadata["file"]),
                   title=str(metadata["title"]), pages=int(metadata["pages"]),
                   chunks=int(metadata["chunks"]), meta=json.loads(str(raw)) if raw else {})


@dataclass(frozen=True)
class Evidence:
    """A retrieved chunk with its fused rank and score, and its rank in each search."""

    rank: int
    chunk: Chunk
    score: float
    dense_rank: int | None = None
    keyword_rank: int | None = None
    dense_similarity: float | None = None
    other_locations: tuple[Chunk, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        c = self.chunk
        return {
            "rank": self.rank,
            "chunk_id": c.chunk_id,
            "title": c.title,
            "file": c.file,
            "page_start": c.page_start,
            "page_end": c.page_end,
            "section": c.section,
            "score": round(self.score, 6),
            "dense_rank": self.dense_rank,
            "keyword_rank": self.keyword_rank,
            "text": c.text,
            "also_at": [
                {
                    "chunk_id": o.chunk_id,
                    "file": o.file,
                    "page_start": o.page_start,
                    "page_end": o.page_end,
                    "section": o.section,
                }
                for o in self.other_locations
            ],
        }


@dataclass(frozen=True)
class Citation:
    """A numbered source of an answer: ``quote`` is verbatim in ``passage``."""

    marker: int
    chunk_id: str
    title: str
    file: str
    section: str
    page_start: int
    page_end: int
    quote: str
    passage: str
    also_at: tuple[str, ...] = ()  # other places the same words stand (summary and body)
    # A quotes answer's: who the document says spoke the words ("(survey response)"), if said.
    attribution: str | None = None
    year: int | None = None  # the document's year, where its card has one
    nation: str | None = None  # the document's nation, where its card has one

    @property
    def pages_label(self) -> str:
        return pages_label(self.page_start, self.page_end)

    @property
    def document(self) -> str:
        """The document's title, with its year where the title does not already hold it."""
        known = self.year is None or str(self.year) in self.title
        return self.title if known else f"{self.title} ({self.year})"

    def label(self) -> str:
        """``Title, p. 12, Section`` as shown after an answer."""
        parts = [self.title, self.pages_label]
        if self.section:
            parts.append(self.section)
        return ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "marker": self.marker,
            "chunk_id": self.chunk_id,
            "title": self.title,
            "file": self.file,
            "page_start": self.page_start,
            "page_end": self.page_end,
            "section": self.section,
            "quote": self.quote,
            "passage": self.passage,
            "also_at": list(self.also_at),
            **{k: v for k, v in (("attribution", self.attribution), ("year", self.year),
                                 ("nation", self.nation)) if v is not None},
        }


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    citations: tuple[Citation, ...]
    evidence: tuple[Evidence, ...]
    backend: str
    grounded: bool
    timings_ms: Mapping[str, float] = field(default_factory=dict)
    suggestions: tuple[str, ...] = ()
    searched_query: str = ""
    # the filters the search ran under (given or read from the question), and notes saying so
    filters: Mapping[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    # What kind of answer this is: "answer" (quoted from a search), "examples", "quotes",
    # "trend", "which-areas", "overview", "not-covered", or "declined" (identifying someone
    # in a review, legal advice); ``backend`` says who wrote it.
    kind: str = "answer"

    def to_dict(self) -> dict[str, Any]:
        """The ``rla ask --json`` contract of DESIGN.md (extended only by adding fields)."""
        return {
            "question": self.question,
            "answer": self.text,
            "grounded": self.grounded,
            "backend": self.backend,
            "citations": [c.to_dict() for c in self.citations],
            "evidence": [e.to_dict() for e in self.evidence],
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
            "documents_to_check": list(self.suggestions),
            "searched_query": self.searched_query or self.question,
            "filters": dict(self.filters),
            "notes": list(self.notes),
            "kind": self.kind,
        }


HIDDEN_NAMED = 5  # hidden files named in IngestReport.hidden_note; the rest are counted


def _shown_name(path: str) -> str:
    """A hidden entry's name, with a "/" after a folder's."""
    folder = path.endswith(("/", "\\"))
    return Path(path).name + ("/" if folder else "")


@dataclass(frozen=True)
class SkippedFile:
    path: str
    reason: str


@dataclass(frozen=True)
class IngestReport:
    """What one ingest run did: what went in, what was already there, what was skipped and why."""

    ingested: tuple[DocumentCard, ...] = ()
    unchanged: tuple[str, ...] = ()
    replaced: tuple[str, ...] = ()
    skipped: tuple[SkippedFile, ...] = ()
    chunks: int = 0
    seconds: float = 0.0
    stage_seconds: Mapping[str, float] = field(default_factory=dict)
    # Hidden files and folders (names starting with ".") in the folders walked: not read.
    hidden: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when anything went in or was already there."""
        return bool(self.ingested or self.unchanged)

    @property
    def hidden_note(self) -> str:
        """One line naming the hidden files and folders not read, and why ("" if none)."""
        if not self.hidden:
            return ""
        names = [_shown_name(p) for p in self.hidden]
        listed = ", ".join(names[:HIDDEN_NAMED])
        more = f" and {len(names) - HIDDEN_NAMED} more" if len(names) > HIDDEN_NAMED else ""
        return (
            f"hidden    {len(names)} file(s) or folder(s) not read, as their names start "
            f"with '.': {listed}{more}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "ingested": [c.to_dict() for c in self.ingested],
            "unchanged": list(self.unchanged),
            "replaced": list(self.replaced),
            "skipped": [{"path": s.path, "reason": s.reason} for s in self.skipped],
            "chunks": self.chunks,
            "seconds": round(self.seconds, 3),
            "stage_seconds": {k: round(v, 3) for k, v in self.stage_seconds.items()},
            "hidden": list(self.hidden),
        }
