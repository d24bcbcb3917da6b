"""`rla quotes`: verbatim quoted speech on a topic, each with its attribution, document,
section and page.

Every quotation in the store is found once per store revision (``assistant.trainer.speech``) and
embedded with the store's own encoder; a topic ranks them by meaning (cosine) plus the share
of the topic's words the quotation or its attribution holds, so "survey response" or "chief
executive" in a topic favours quotations attributed that way.
"""

from __future__ import annotations

import re
import threading
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from assistant.library.filters import Filters
from assistant.text import words
from assistant.trainer.passages import Cited, documents, section_label
from assistant.trainer.speech import speech_in
from assistant.types import Chunk
from vectorstore.where import where_matches

if TYPE_CHECKING:
    from assistant.library.catalog import Catalog
    from vectorstore.embedder import Embedder

MIN_SIMILARITY = 0.35  # cosine a quotation needs to match a topic on meaning alone
MIN_COVERAGE = 0.5  # or this share of the topic's words
_FRAME = re.compile(
    r"^\s*(?:please\s+)?(?:(?:find|show|give|list|get|search for|look for)\s+)?(?:me\s+)?"
    r"(?:some\s+|any\s+)?(?:verbatim\s+|direct\s+)?(?:quotes?|quotations?)\s+"
    r"(?:(?:from|by)\s+[\w' -]+?\s+)?(?:on|about|that|which|saying|where)\s+",
    re.I,
)
# The words of a request for quotations that are not its topic. Its own list, narrower than
# STOPWORDS: with all of them ("after", "between", "more", "should" ...) left out of a topic,
# other quotations are found.
_STOP = words(
    "a an and are as at be by can do does doesn don't doesn't for from has have how in is it "
    "its of on or our that the their them they this to was were what when where which who why "
    "with find show give list get me some any quote quotes quotation quotations verbatim "
    "about saying during"
)
_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")


@dataclass(frozen=True)
class FoundQuote:
    cited: Cited
    attribution: str | None
    closed: bool  # False: the document never closes the quotation (it ends with its paragraph)
    score: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        c = self.cited
        return {"quote": c.quote, "attribution": self.attribution, "document": c.title,
                "file": c.file, "section": c.section, "page_start": c.page_start,
                "page_end": c.page_end, "chunk_ids": list(c.chunk_ids), "closed": self.closed,
                "score": round(self.score, 4)}


class QuoteIndex:
    """Every quotation of one store revision, with their vectors (computed on first use)."""

    def __init__(self, chunks: tuple[Chunk, ...]) -> None:
        self.quotes: list[FoundQuote] = []
        self.chunks: dict[str, Chunk] = {c.chunk_id: c for c in chunks}
        for doc in documents(chunks):
            for s in speech_in(doc):
                self.quotes.append(FoundQuote(doc.cite(s.start, s.end), s.attribution, s.closed))
        self._vectors: npt.NDArray[np.float32] | None = None
        self._lock = threading.Lock()

    def vectors(self, embedder: Embedder) -> npt.NDArray[np.float32]:
        with self._lock:
            if self._vectors is None:
                texts = [context(q) for q in self.quotes]
                self._vectors = np.asarray(embedder.embed(texts), dtype=np.float32)
            return self._vectors


_indexes: weakref.WeakKeyDictionary[Catalog, QuoteIndex] = weakref.WeakKeyDictionary()
_indexes_lock = threading.Lock()


def quote_index(catalog: Catalog) -> QuoteIndex:
    """The quotations of the store ``catalog`` was built from (kept while it lives)."""
    with _indexes_lock:
        index = _indexes.get(catalog)
        if index is None:
            index = _indexes[catalog] = QuoteIndex(catalog.chunks)
        return index


def context(quote: FoundQuote) -> str:
    """What a quotation is matched on: its section, its attribution and its words."""
    section = section_label(quote.cited.section).rsplit(" > ", 1)[-1]
    return f"{section}. {quote.attribution or ''}: {quote.cited.quote}"


def topic_words(topic: str) -> list[str]:
    return [w for w in _WORD.findall(topic.lower()) if w not in _STOP and len(w) > 2]


def coverage(words: list[str], text: str) -> float:
    """The share of ``words`` that stand in ``text`` (a word of 5+ letters by its first 5)."""
    if not words:
        return 0.0
    have = set(_WORD.findall(text.lower()))
    stems = {h[:5] for h in have if len(h) >= 5}
    hits = sum(1 for w in words if w in have or (len(w) >= 5 and w[:5] in stems))
    return hits / len(words)


def search_text(topic: str) -> str:
    """The topic without its request framing ("find quotes from committees on ...")."""
    return _FRAME.sub("", topic).strip() or topic.strip()


def find_quotes(
    catalog: Catalog,
    embedder: Embedder,
    topic: str,
    *,
    limit: int = 10,
    filters: Filters | None = None,
) -> list[FoundQuote]:
    """Quotations matching ``topic``, best first (at most ``limit``)."""
    index = quote_index(catalog)
    if not index.quotes or not topic.strip():
        return []
    where = filters.where() if filters else None
    query = search_text(topic)
    qvec = np.asarray(embedder.embed_query(query), dtype=np.float32)
    sims = index.vectors(embedder) @ qvec
    words = topic_words(topic)
    found: list[FoundQuote] = []
    for quote, sim in zip(index.quotes, sims.tolist(), strict=True):
        chunk = index.chunks.get(quote.cited.chunk_ids[0])
        if where and (chunk is None or not where_matches(chunk.to_metadata(), where)):
            continue
        cover = coverage(words, context(quote))
        if sim < MIN_SIMILARITY and cover < MIN_COVERAGE:
            continue
        found.append(FoundQuote(quote.cited, quote.attribution, quote.closed,
                                float(sim) + 0.3 * cover))
    found.sort(key=lambda q: -q.score)
    return found[:limit]


def render_text(quotes: list[FoundQuote]) -> str:
    """The quotations as `rla quotes` prints them."""
    if not quotes:
        return "No quotation in the indexed documents matches this topic."
    out = []
    for i, q in enumerate(quotes, start=1):
        who = q.attribution or "no attribution given in the document"
        note = "" if q.closed else " (the document does not close this quotation)"
        out.append(f"{i}. {q.cited.quote}\n   — {who}{note}\n   {q.cited.label()} "
                   f"({q.cited.file})")
    return "\n\n".join(out)
