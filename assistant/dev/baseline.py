"""The textbook LangChain RAG pipeline, as the baseline that ``rla eval`` and ``rla bench`` beat.

What most tutorials ship: ``PyPDFLoader`` page by page, ``RecursiveCharacterTextSplitter`` of
1000 characters with 200 overlap, the same embedding model (our bundled MiniLM wrapped as a
LangChain ``Embeddings``; nothing is downloaded), ``langchain_chroma.Chroma`` in a temporary
directory with telemetry off, and dense top-k search. It has no answerer: it returns passages.

langchain-community, langchain-chroma and langchain-text-splitters are dev extras; they are
imported only when a baseline is built.
"""

from __future__ import annotations

import shutil
import tempfile
import time
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from vectorstore.embedder import Embedder

CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200
COLLECTION = "baseline"


def _embeddings_class() -> type:
    from langchain_core.embeddings import Embeddings

    class EmbedderEmbeddings(Embeddings):
        """One of our ``Embedder``s as a LangChain ``Embeddings``; counts its own seconds."""

        def __init__(self, embedder: Embedder) -> None:
            self.embedder = embedder
            self.seconds = 0.0

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            started = time.perf_counter()
            vectors = self.embedder.embed(texts)
            self.seconds += time.perf_counter() - started
            rows: list[list[float]] = vectors.tolist()
            return rows

        def embed_query(self, text: str) -> list[float]:
            row: list[float] = self.embedder.embed_query(text).tolist()
            return row

    return EmbedderEmbeddings


def langchain_embeddings(embedder: Embedder) -> Any:
    """``embedder`` as a LangChain ``Embeddings`` (its ``seconds`` counts document embedding)."""
    return _embeddings_class()(embedder)


def pdf_files(paths: Iterable[Path]) -> list[Path]:
    """The PDFs among ``paths`` (folders walked), sorted: all the baseline's loader reads."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(p for p in sorted(path.rglob("*")) if p.suffix.lower() == ".pdf")
        elif path.suffix.lower() == ".pdf" and path.is_file():
            out.append(path)
    return sorted(dict.fromkeys(out))


@dataclass(frozen=True)
class BaselineIngest:
    files: int
    pages: int
    chunks: int
    seconds: float
    stage_seconds: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "pages": self.pages,
            "chunks": self.chunks,
            "seconds": round(self.seconds, 3),
            "stage_seconds": {k: round(v, 3) for k, v in self.stage_seconds.items()},
        }


class BaselinePipeline:
    """Load, split, embed and store PDFs the textbook way; ``search`` is dense top-k.

    ``workdir`` holds the Chroma files; without one a temporary directory is made and removed
    on ``close``. An existing ``workdir`` is reopened as it is (for a cached scaled store).
    """

    def __init__(
        self,
        embedder: Embedder,
        workdir: Path | None = None,
        *,
        chunk_size: int = CHUNK_SIZE,
        chunk_overlap: int = CHUNK_OVERLAP,
    ) -> None:
        from langchain_chroma import Chroma

        from vectorstore.chroma_client import make_client

        self._temp = workdir is None
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="rla-baseline-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.chunk_size = chunk_size
        self.chunk_overlap = chunk_overlap
        self.embeddings = langchain_embeddings(embedder)
        self._client: Any = make_client(self.workdir, "")  # embedded, telemetry off
        self.vectorstore: Any = Chroma(
            collection_name=COLLECTION, embedding_function=self.embeddings, client=self._client
        )

    def __enter__(self) -> BaselinePipeline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        close = getattr(self._client, "close", None)
        if callable(close):
            close()
        if self._temp:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def count(self) -> int:
        return int(self.vectorstore._collection.count())

    def ingest(self, paths: Sequence[Path]) -> BaselineIngest:
        """Load every PDF page by page, split, embed and add: the tutorial's four lines."""
        with warnings.catch_warnings():  # "langchain-community is being sunset"
            warnings.simplefilter("ignore", DeprecationWarning)
            from langchain_community.document_loaders import PyPDFLoader
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        files = pdf_files(paths)
        started = time.perf_counter()
        pages = [page for f in files for page in PyPDFLoader(str(f)).load()]
        loaded = time.perf_counter()
        splitter = RecursiveCharacterTextSplitter(
            chunk_size=self.chunk_size, chunk_overlap=self.chunk_overlap
        )
        chunks = splitter.split_documents(pages)
        split = time.perf_counter()
        embed_before = self.embeddings.seconds
        if chunks:
            self.vectorstore.add_documents(chunks)
        done = time.perf_counter()
        embed = self.embeddings.seconds - embed_before
        return BaselineIngest(
            files=len(files),
            pages=len(pages),
            chunks=len(chunks),
            seconds=done - started,
            stage_seconds={
                "load": loaded - started,
                "split": split - loaded,
                "embed": embed,
                "store": done - split - embed,
            },
        )

    def search(self, query: str, k: int) -> list[str]:
        """The ``k`` nearest passages' texts, best first (embedding the query included)."""
        return [doc.page_content for doc in self.vectorstore.similarity_search(query, k=k)]

    # -- for the scaled benchmark store ---------------------------------------------------------

    def export(self) -> tuple[list[str], list[str], list[dict[str, Any]], npt.NDArray[np.float32]]:
        """Every stored ``(id, text, metadata, vector)``, as four parallel lists."""
        got = self.vectorstore._collection.get(include=["documents", "metadatas", "embeddings"])
        vectors = np.asarray(got["embeddings"], dtype=np.float32)
        metas = [dict(m or {}) for m in (got["metadatas"] or [])]
        return list(got["ids"]), list(got["documents"] or []), metas, vectors

    def add_vectors(
        self,
        ids: Sequence[str],
        texts: Sequence[str],
        metadatas: Sequence[dict[str, Any]],
        vectors: npt.NDArray[np.float32],
    ) -> None:
        """Add passages with vectors already made (no embedding), in Chroma-sized batches."""
        col = self.vectorstore._collection
        batch = max(1, int(self._client.get_max_batch_size()))
        for start in range(0, len(ids), batch):
            end = start + batch
            col.upsert(
                ids=list(ids[start:end]),
                documents=list(texts[start:end]),
                metadatas=list(metadatas[start:end]) or None,
                embeddings=vectors[start:end],
            )
