"""Ingest orchestration: read files, embed their chunks, store them, card last.

Order of writes for one document: old versions of the same file are removed (card first,
then chunks), the new chunks are upserted, and the document card is written last, so a card
in the store always means its chunks are complete. A document is marked in the store before
its chunks are written and unmarked with its card: chunks a crash left without a card are
removed at the start of the next run (found by their mark, without reading the store) and
their file is ingested again. `rla check` looks for every other kind of damage.
Each file is read in a worker process with a time limit (``ingest.isolation``), on a thread
that reads ahead while earlier files are embedded (``store.reading``).
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from assistant.config import Settings
from assistant.library.summary import DocSummary
from assistant.library.tagging import ThemeTagger
from assistant.store.reading import Reader, ReadFile
from assistant.types import Chunk, Document, DocumentCard, IngestReport, SkippedFile
from ingest.metadata import MetadataIndex
from ingest.pipeline import ChunkingParams, Prepared, collect_files
from ingest.units import UNITS_VERSION, unit_texts
from vectorstore.chroma_store import ChromaStore
from vectorstore.embedder import Embedder
from vectorstore.unitvec import pack

log = logging.getLogger(__name__)

# (stage, done, total): stage is "read" (files) or "embed" (passages and their sentences).
Progress = Callable[[str, int, int], None]


@dataclass
class _Timer:
    stages: dict[str, float]

    def add(self, stage: str, since: float) -> float:
        now = time.perf_counter()
        self.stages[stage] = self.stages.get(stage, 0.0) + now - since
        return now


def chunking_params(settings: Settings) -> ChunkingParams:
    """How ingest cuts and limits documents, from the settings (``RLA_CHUNK_*``, ``RLA_MAX_*``)."""
    return ChunkingParams(
        target_words=settings.chunk_words,
        max_words=settings.chunk_max_words,
        min_words=settings.chunk_min_words,
        max_file_mb=settings.max_file_mb,
        max_pages=settings.max_pages,
        file_timeout_s=settings.file_timeout_s,
        max_chunks=settings.max_chunks,
    )


def ingest_paths(
    paths: Sequence[Path],
    *,
    store: ChromaStore,
    embedder: Embedder,
    params: ChunkingParams,
    metadata_csv: Path | None = None,
    progress: Progress | None = None,
    keep_copy: Callable[[Path, str], None] | None = None,
) -> IngestReport:
    """Read, embed and store ``paths``. Files are read on a thread (``store.reading``) while
    the documents read before them are embedded and stored, so stage times overlap: they add
    up to more than ``seconds``."""
    started = time.perf_counter()
    timer = _Timer({})
    for doc_id in sorted(store.unfinished_doc_ids()):
        log.warning("removing what an interrupted ingest left of %s", doc_id[:12])
        store.delete_document(doc_id)
    found = collect_files(paths)
    reader = Reader(
        found.files, store=store, metadata=MetadataIndex(metadata_csv), params=params,
        count_texts=_text_count,
        progress=(lambda done, total: progress("read", done, total)) if progress else None,
    )
    written = _Written(store, ThemeTagger(embedder), keep_copy, timer)
    embedded = 0  # texts embedded so far, and known so far (the embed progress's total)
    try:
        for group in reader.groups():
            known = embedded + sum(f.texts for f in group)
            report = (functools.partial(_embed_progress, progress, embedded, known)
                      if progress is not None else None)
            vectors, packed = _embed(group, embedder, timer, report)
            embedded = known
            written.add(group, vectors, packed)
    finally:
        reader.close()
    read = reader.results
    for stage, seconds in read.stages.items():
        timer.stages[stage] = timer.stages.get(stage, 0.0) + seconds
    return IngestReport(
        ingested=tuple(written.cards),
        unchanged=tuple(read.unchanged),
        replaced=tuple(written.replaced),
        skipped=tuple([SkippedFile(p.path, p.reason) for p in found.problems] + read.skipped),
        chunks=written.chunks,
        seconds=time.perf_counter() - started,
        stage_seconds=dict(timer.stages),
        hidden=tuple(found.hidden),
    )


def _embed_progress(progress: Progress, base: int, total: int, done: int) -> None:
    """A group's embed progress as the whole ingest's: texts of earlier groups count too."""
    progress("embed", base + done, total)


def _text_count(prep: Prepared) -> int:
    return len(prep.chunks) + len(unit_texts(prep.chunks)[0])


def _embed(
    group: Sequence[ReadFile], embedder: Embedder, timer: _Timer,
    progress: Callable[[int], None] | None,
) -> tuple[np.ndarray, list[str]]:
    """The group's passage vectors and each passage's packed sentence vectors: passages,
    then every quotable sentence of them, so that no sentence is embedded while a user waits
    (``ingest.units``); one call, so batches are sorted by length across both."""
    chunks = [c for f in group for c in f.prepared.chunks]
    texts = [c.index_text() for c in chunks]
    sentences, unit_rows = unit_texts(chunks)
    t = time.perf_counter()
    vectors = embedder.embed(texts + sentences, progress=progress)
    sentence_vectors = vectors[len(texts):]
    packed = [pack(sentence_vectors[r], UNITS_VERSION) if r else "" for r in unit_rows]
    timer.add("embed", t)
    return vectors[: len(texts)], packed


@dataclass
class _Written:
    """Each document of a group tagged and stored, its card last."""

    store: ChromaStore
    tagger: ThemeTagger
    keep_copy: Callable[[Path, str], None] | None
    timer: _Timer
    cards: list[DocumentCard] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    chunks: int = 0

    def add(self, group: Sequence[ReadFile], vectors: np.ndarray, packed: list[str]) -> None:
        offset = 0
        for read in group:
            tagging = time.perf_counter()
            doc, chunks = read.prepared.document, read.prepared.chunks
            block = vectors[offset : offset + len(chunks)]
            units = packed[offset : offset + len(chunks)]
            offset += len(chunks)
            chunks = tuple(self.tagger.tag_chunks(chunks, block))  # from phrases and vectors
            storing = self.timer.add("tag", tagging)
            self._store(read.path, doc, chunks, block, units)
            self.timer.add("store", storing)

    def _store(self, path: Path, doc: Document, chunks: tuple[Chunk, ...], block: np.ndarray,
               units: list[str]) -> None:
        store = self.store
        for old in store.cards_for_file(doc.file):
            if old.doc_id != doc.doc_id:
                store.delete_document(old.doc_id)
                self.replaced.append(str(path))
        store.add_chunks(chunks, block, units)
        if self.keep_copy is not None:  # before the card: a card always has its stored copy
            self.keep_copy(path, doc.doc_id)
        card = DocumentCard(
            doc_id=doc.doc_id,
            file=doc.file,
            title=doc.title,
            pages=len(doc.pages),
            chunks=len(chunks),
            meta=dict(doc.meta),
        )
        mean = block.mean(axis=0)
        store.put_card(card, (mean / (np.linalg.norm(mean) or 1.0)).astype(np.float32),
                       DocSummary.of(chunks).to_json())
        self.cards.append(card)
        self.chunks += len(chunks)
