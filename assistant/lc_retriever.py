"""The assistant's hybrid retrieval as a LangChain retriever.

``AssistantRetriever`` is a ``BaseRetriever``: ``invoke("question")`` returns LangChain
``Document``s whose ``page_content`` is the chunk text and whose metadata carries the citation
fields (chunk id, title, file, pages, section, fused score and rank, doc id), so the same
retrieval the CLI and the chat window use can sit inside any LCEL chain.

Build one with ``Assistant.as_langchain_retriever(k=...)``; langchain is imported only here.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from assistant.answering.retrieve import Mode
from assistant.types import Evidence


def evidence_to_document(ev: Evidence) -> Document:
    """One retrieved chunk as a LangChain ``Document`` with its citation fields."""
    c = ev.chunk
    metadata: dict[str, Any] = {
        "chunk_id": c.chunk_id,
        "doc_id": c.doc_id,
        "title": c.title,
        "file": c.file,
        "page_start": c.page_start,
        "page_end": c.page_end,
        "section": c.section,
        "score": float(ev.score),
        "rank": ev.rank,
        "dense_rank": ev.dense_rank,
        "keyword_rank": ev.keyword_rank,
        "dense_similarity": ev.dense_similarity,
    }
    metadata.update({f"meta_{key}": value for key, value in c.meta.items()})
    return Document(page_content=c.text, metadata=metadata, id=c.chunk_id)


class AssistantRetriever(BaseRetriever):
    """Hybrid (dense + BM25, fused) retrieval over an ``Assistant``'s store.

    ``k`` defaults to the assistant's ``RLA_K``, and ``invoke(query, k=N)`` asks for N for
    one call (LangChain's convention, held by ``langchain-tests``' standard retriever suite);
    ``mode`` is ``hybrid``, ``dense`` or ``keyword``; ``where`` is a Chroma-style metadata
    filter.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    assistant: Any  # assistant.core.Assistant (Any keeps pydantic away from its internals)
    k: int | None = None
    mode: Mode = "hybrid"
    where: dict[str, Any] | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, k: int | None = None
    ) -> list[Document]:
        k = k or self.k or self.assistant.settings.k
        if k < 1:
            raise ValueError(f"k must be at least 1, not {k}")
        retrieval = self.assistant.retriever.search(query, k, mode=self.mode, where=self.where)
        return [evidence_to_document(ev) for ev in retrieval.evidence]
