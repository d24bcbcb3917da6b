"""The ``Assistant`` facade: the one object the CLI, the UI and tests talk to.

Construction is cheap; the model and the store open on first use.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.answer import Answerer, ExtractiveAnswerer
from assistant.config import Settings
from assistant.errors import NotFoundError
from assistant.indexing import Progress, ingest_paths
from assistant.retrieve import HybridRetriever, Mode
from assistant.types import Answer, DocumentCard, IngestReport
from ingest.pipeline import ChunkingParams
from vectorstore.chroma_store import ChromaStore
from vectorstore.embedder import DIM, MODEL_NAME, Embedder, MiniLMEmbedder

if TYPE_CHECKING:
    from assistant.lc_retriever import AssistantRetriever


class Assistant:
    def __init__(self, settings: Settings, *, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self._embedder = embedder
        self._write_lock = threading.Lock()

    @cached_property
    def embedder(self) -> Embedder:
        return self._embedder or MiniLMEmbedder()

    @cached_property
    def store(self) -> ChromaStore:
        s = self.settings
        return ChromaStore(
            s.store_dir, model_name=MODEL_NAME, dim=DIM, url=s.chroma_url, collection=s.collection
        )

    @cached_property
    def retriever(self) -> HybridRetriever:
        s = self.settings
        return HybridRetriever(
            self.store,
            self.embedder,
            candidates=s.candidates,
            rrf_k=s.rrf_k,
            keyword_weight=s.keyword_weight,
        )

    @cached_property
    def answerer(self) -> Answerer:
        retriever = self.retriever
        return ExtractiveAnswerer(
            idf=lambda term: retriever.keyword_index().idf(term),
            known=lambda name: retriever.keyword_index().contains_phrase(name),
            min_relevance=self.settings.min_relevance,
        )

    # -- documents -------------------------------------------------------------------------

    def ingest(
        self,
        paths: Sequence[Path],
        *,
        metadata_csv: Path | None = None,
        progress: Progress | None = None,
    ) -> IngestReport:
        s = self.settings
        params = ChunkingParams(
            target_words=s.chunk_words,
            max_words=s.chunk_max_words,
            min_words=s.chunk_min_words,
            max_file_mb=s.max_file_mb,
        )
        with self._write_lock:
            return ingest_paths(
                paths,
                store=self.store,
                embedder=self.embedder,
                params=params,
                metadata_csv=metadata_csv,
                progress=progress,
                keep_copy=self._keep_copy,
            )

    def _keep_copy(self, path: Path, doc_id: str) -> None:
        """Keep a copy of each ingested file so the UI can open it at a cited page."""
        self.settings.files_dir.mkdir(parents=True, exist_ok=True)
        target = self.settings.files_dir / f"{doc_id}{path.suffix.lower()}"
        if not target.exists():
            shutil.copyfile(path, target)

    def stored_file(self, doc_id: str) -> Path | None:
        for candidate in self.settings.files_dir.glob(f"{doc_id}.*"):
            return candidate
        return None

    def documents(self) -> list[DocumentCard]:
        return sorted(self.store.cards(), key=lambda c: c.file.lower())

    def remove(self, name: str) -> list[DocumentCard]:
        """Remove the documents whose file name (or doc id prefix) is ``name``."""
        base = Path(name).name
        cards = self.store.cards_for_file(base) or [
            c for c in self.store.cards() if len(name) >= 8 and c.doc_id.startswith(name)
        ]
        if not cards:
            raise NotFoundError(f"{name}: no such document in the store (see `rla list`)")
        with self._write_lock:
            for card in cards:
                self.store.delete_document(card.doc_id)
                for copy in self.settings.files_dir.glob(f"{card.doc_id}.*"):
                    copy.unlink(missing_ok=True)
        return cards

    def is_empty(self) -> bool:
        return self.store.count() == 0

    # -- questions -------------------------------------------------------------------------

    def ask(
        self,
        question: str,
        *,
        k: int | None = None,
        mode: Mode = "hybrid",
        where: dict[str, Any] | None = None,
        query: str | None = None,
    ) -> Answer:
        """Answer ``question``; ``query`` (if given) is what is searched instead of it."""
        k = k or self.settings.k
        t0 = time.perf_counter()
        retrieval = self.retriever.search(query or question, k, mode=mode, where=where)
        t1 = time.perf_counter()
        answer = self.answerer.answer(question, retrieval)
        t2 = time.perf_counter()
        timings = {"retrieve": (t1 - t0) * 1000, "answer": (t2 - t1) * 1000}
        return _with_timings(answer, timings)

    def as_langchain_retriever(self, k: int | None = None) -> AssistantRetriever:
        """This assistant's retrieval as a LangChain ``BaseRetriever`` (see ``lc_retriever``)."""
        from assistant.lc_retriever import AssistantRetriever

        return AssistantRetriever(assistant=self, k=k)

    def warm_up(self) -> None:
        """Load the model and the keyword index now rather than on the first question."""
        self.embedder.embed_query("warm up")
        self.retriever.keyword_index()


def _with_timings(answer: Answer, timings: dict[str, float]) -> Answer:
    from dataclasses import replace

    return replace(answer, timings_ms=timings)
