"""Ingest orchestration: read files, embed their chunks, store them, card last.

Order of writes for one document: old versions of the same file are removed (card first,
then chunks), the new chunks are upserted, and the document card is written last, so a card
in the store always means its chunks are complete. A document is marked in the store before
its chunks are written and unmarked with its card: chunks a crash left without a card are
removed at the start of the next run (found by their mark, without reading the store) and
their file is ingested again. `rla check` looks for every other kind of damage.
Each file is read in a worker process with a time limit (``ingest.isolation``).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.config import Settings
from assistant.errors import UnreadableFileError
from assistant.library.summary import DocSummary
from assistant.library.tagging import ThemeTagger
from assistant.types import DocumentCard, IngestReport, SkippedFile
from ingest.isolation import prepare_isolated
from ingest.metadata import MetadataIndex
from ingest.pipeline import ChunkingParams, Prepared, check_size, collect_files
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


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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
    started = time.perf_counter()
    timer = _Timer({})
    for doc_id in sorted(store.unfinished_doc_ids()):
        log.warning("removing what an interrupted ingest left of %s", doc_id[:12])
        store.delete_document(doc_id)
    metadata = MetadataIndex(metadata_csv)
    found = collect_files(paths)
    files = found.files
    skipped = [SkippedFile(p.path, p.reason) for p in found.problems]
    unchanged: list[str] = []
    ready: list[tuple[Path, Prepared]] = []
    for i, path in enumerate(files, start=1):
        t = time.perf_counter()
        try:
            check_size(path, params)  # before hashing: a huge file is refused unread
            doc_id = file_sha256(path)
            if store.card(doc_id) is not None:
                unchanged.append(str(path))
            else:
                prep = prepare_isolated(path, metadata, params)
                ready.append((path, prep))
                for stage, seconds in prep.stage_seconds.items():  # parse, clean, chunk
                    timer.stages[stage] = timer.stages.get(stage, 0.0) + seconds
                t += sum(prep.stage_seconds.values())  # the rest: hashing, checks, the worker
        except UnreadableFileError as err:
            skipped.append(SkippedFile(err.path or str(path), err.reason))
        except OSError as err:
            skipped.append(SkippedFile(str(path), f"cannot read the file ({err.strerror})"))
        timer.add("read", t)
        if progress:
            progress("read", i, len(files))

    # Passages, then every quotable sentence of them, so that no sentence is embedded while a
    # user waits (``ingest.units``); one call, so batches are sorted by length across both.
    all_chunks = [c for _, p in ready for c in p.chunks]
    texts = [c.index_text() for c in all_chunks]
    sentences, unit_rows = unit_texts(all_chunks)
    total = len(texts) + len(sentences)
    t = time.perf_counter()
    embedded = embedder.embed(
        texts + sentences,
        progress=(lambda done: progress("embed", done, total)) if progress else None,
    )
    vectors, sentence_vectors = embedded[: len(texts)], embedded[len(texts) :]
    packed = [pack(sentence_vectors[r], UNITS_VERSION) if r else "" for r in unit_rows]
    t = timer.add("embed", t)

    ingested: list[DocumentCard] = []
    replaced: list[str] = []
    offset = 0
    tagger = ThemeTagger(embedder)
    for path, prep in ready:
        doc, chunks = prep.document, prep.chunks
        block = vectors[offset : offset + len(chunks)]
        offset += len(chunks)
        tagging = time.perf_counter()
        chunks = tuple(tagger.tag_chunks(chunks, block))  # themes, from phrases and vectors
        t += timer.add("tag", tagging) - tagging  # counted as "tag", not as "store"
        for old in store.cards_for_file(doc.file):
            if old.doc_id != doc.doc_id:
                store.delete_document(old.doc_id)
                replaced.append(str(path))
        store.add_chunks(chunks, block, packed[offset - len(chunks) : offset])
        if keep_copy is not None:  # before the card: a card always has its stored copy
            keep_copy(path, doc.doc_id)
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
        ingested.append(card)
    timer.add("store", t)
    return IngestReport(
        ingested=tuple(ingested),
        unchanged=tuple(unchanged),
        replaced=tuple(replaced),
        skipped=tuple(skipped),
        chunks=len(texts),
        seconds=time.perf_counter() - started,
        stage_seconds=dict(timer.stages),
        hidden=tuple(found.hidden),
    )
