"""`rla retag`: add or refresh the structure of stored passages without embedding them again.

For a store built before tagging, or after editing ``themes.json`` (a new theme, a new alias)
or ``areas.json``. Each document's chunks are read back with their vectors; the document card
is inferred again from their text (fields from metadata.csv stay as they were), then areas,
tables and themes are recomputed and the metadata rewritten in place. Passages stored without
current unit vectors (a store made before answers scored sentences by meaning, or by an older
unit split) get them: only their sentences are embedded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from assistant.library.summary import DocSummary
from assistant.library.tagging import ThemeTagger
from assistant.types import CardKey, Chunk, Document, MetaValue, Page
from ingest.areatag import tag_areas
from ingest.cardinfer import infer_card
from ingest.docarea import with_document_place
from ingest.tables import with_tables
from ingest.units import UNITS_VERSION, chunk_units, embed_units
from vectorstore.chroma_store import ChromaStore
from vectorstore.embedder import Embedder
from vectorstore.unitvec import pack, unpack

# The chunk fields that tagging writes (everything else on a chunk is left alone).
TAG_FIELDS = (
    "areas", "area_keys", "area_mentions", "doc_area", "stage", "tables", "themes", "theme_spans",
    "tags",
)
K = CardKey
_CARD_FIELDS = (K.DOC_TYPE, K.NATION, K.PUBLISHER, K.YEAR, K.YEAR_SOURCE, K.PERIOD,
                K.PERIOD_START, K.PERIOD_END, K.INFERRED, K.REVIEW_TYPES)


@dataclass(frozen=True)
class RetagReport:
    documents: int
    passages: int
    tagged_areas: int
    tagged_themes: int
    units_embedded: int = 0  # passages whose quotable units were (re)embedded

    def to_dict(self) -> dict[str, int]:
        return {"documents": self.documents, "passages": self.passages,
                "with_areas": self.tagged_areas, "with_themes": self.tagged_themes,
                "units_embedded": self.units_embedded}


def retag(
    store: ChromaStore, embedder: Embedder, progress: Callable[[int, int], None] | None = None
) -> RetagReport:
    tagger = ThemeTagger(embedder)
    cards = store.cards()
    passages = with_areas = with_themes = embedded = 0
    for i, card in enumerate(cards, start=1):
        chunks = store.chunks_for(card.doc_id)
        if not chunks:
            continue
        inferred = set(str(card.meta.get(K.INFERRED, "")).split(","))
        drop = inferred | {K.INFERRED} | ({K.YEAR_SOURCE} if K.YEAR in inferred else set())
        drop |= {K.PERIOD_START, K.PERIOD_END} if K.PERIOD in inferred else set()
        given: dict[str, MetaValue] = {k: v for k, v in card.meta.items() if k not in drop}
        text = Document(card.doc_id, card.file, card.title,
                        tuple(Page(c.index + 1, c.text) for c in chunks), {})
        meta = infer_card(text, given)
        base = [
            replace(c, meta={**{k: v for k, v in c.meta.items()
                                if k not in TAG_FIELDS and k not in _CARD_FIELDS}, **meta})
            for c in chunks
        ]
        tagged = tagger.tag_chunks(with_tables(with_document_place(tag_areas(base))),
                                   store.vectors_for([c.chunk_id for c in chunks]))
        store.replace_chunk_metadata(tagged)
        store.put_card_meta(replace(card, meta=meta), DocSummary.of(tagged).to_json())
        embedded += _refresh_units(store, embedder, tagged)
        passages += len(tagged)
        with_areas += sum(1 for c in tagged if c.meta.get("areas"))
        with_themes += sum(1 for c in tagged if c.meta.get("themes"))
        if progress:
            progress(i, len(cards))
    return RetagReport(len(cards), passages, with_areas, with_themes, embedded)


def _refresh_units(store: ChromaStore, embedder: Embedder, chunks: Sequence[Chunk]) -> int:
    """Embed the quotable units of passages stored without current unit vectors (a store
    made before they were stored, or by an older unit split), so answering never has to."""
    packed = store.unit_vectors([c.chunk_id for c in chunks])
    stale = [
        c for c in chunks
        if (v := unpack(packed.get(c.chunk_id, ""), UNITS_VERSION)) is None
        or len(v) != len(chunk_units(c))
    ]
    if not stale:
        return 0
    vectors = embed_units(stale, embedder.embed)
    store.put_unit_vectors({
        c.chunk_id: pack(v, UNITS_VERSION) for c, v in zip(stale, vectors, strict=True) if len(v)
    })
    return len(stale)
