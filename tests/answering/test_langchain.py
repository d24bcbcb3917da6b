"""The assistant's retrieval as a LangChain retriever, run through small LCEL chains.

Only the LLM is a stand-in (langchain_core's ``FakeListChatModel``); the retriever, the model
behind it and the store are real.
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.documents import Document
from langchain_core.language_models import FakeListChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnableLambda, RunnablePassthrough

from assistant.core import Assistant

pytestmark = pytest.mark.slow

QUESTION = "How did Glasgow Child Protection Committee respond to an SCR about neglect?"
FIELDS = {
    "chunk_id", "title", "file", "page_start", "page_end", "section", "score", "rank", "doc_id"
}


def format_docs(docs: list[Document]) -> str:
    """Numbered excerpts with their sources, as a prompt would show them."""
    return "\n\n".join(
        f"[{i}] {d.metadata['title']}, p. {d.metadata['page_start']}, "
        f"{d.metadata['section']}\n{d.page_content}"
        for i, d in enumerate(docs, start=1)
    )


def test_retriever_returns_documents_with_citation_metadata(
    corpus_assistant: Assistant,
) -> None:
    retriever = corpus_assistant.as_langchain_retriever(k=4)
    assert isinstance(retriever, BaseRetriever)
    docs = retriever.invoke(QUESTION)
    assert len(docs) == 4
    chunks = {c.chunk_id: c for c in corpus_assistant.store.all_chunks()}
    for rank, doc in enumerate(docs, start=1):
        assert isinstance(doc, Document)
        assert set(doc.metadata) >= FIELDS
        m = doc.metadata
        chunk = chunks[m["chunk_id"]]
        assert doc.page_content == chunk.text
        assert (m["file"], m["title"], m["section"], m["doc_id"]) == (
            chunk.file, chunk.title, chunk.section, chunk.doc_id
        )
        assert (m["page_start"], m["page_end"]) == (chunk.page_start, chunk.page_end)
        assert m["rank"] == rank and isinstance(m["score"], float)
        assert m["meta_year"] == 2021  # the card's fields come along
    assert any("neglect summits" in d.page_content for d in docs)
    scores = [d.metadata["score"] for d in docs]
    assert scores == sorted(scores, reverse=True)
    # the same retrieval as the assistant's own
    own = corpus_assistant.retriever.search(QUESTION, 4).evidence
    assert [d.metadata["chunk_id"] for d in docs] == [e.chunk.chunk_id for e in own]


def test_default_k_comes_from_the_settings(corpus_assistant: Assistant) -> None:
    docs = corpus_assistant.as_langchain_retriever().invoke("neglect")
    assert len(docs) == corpus_assistant.settings.k


def test_retriever_in_an_lcel_chain(corpus_assistant: Assistant) -> None:
    chain = corpus_assistant.as_langchain_retriever(k=3) | RunnableLambda(format_docs)
    context = chain.invoke("What is PRISM?")
    assert context.startswith("[1] Triennial review of initial case reviews")
    assert "Practice Reflective Improvement Short Modules (PRISM)" in " ".join(context.split())
    assert "[3] " in context and "[4] " not in context
    # batch goes through the same path
    first, second = chain.batch(["What is PRISM?", "COMMS-0521-342"])
    assert first == context and "COMMS-0521-342" in second


def test_retriever_feeds_a_chat_model_in_a_rag_chain(corpus_assistant: Assistant) -> None:
    llm = FakeListChatModel(responses=["Two neglect summits were held [1]."])
    prompt = ChatPromptTemplate.from_messages(
        [
            ("system", "Answer only from these numbered excerpts:\n\n{context}"),
            ("human", "{question}"),
        ]
    )
    seen: list[Any] = []

    def capture(value: Any) -> Any:
        seen.append(value)
        return value

    chain = (
        {
            "context": corpus_assistant.as_langchain_retriever(k=3) | RunnableLambda(format_docs),
            "question": RunnablePassthrough(),
        }
        | prompt
        | RunnableLambda(capture)
        | llm
        | StrOutputParser()
    )
    assert chain.invoke(QUESTION) == "Two neglect summits were held [1]."
    messages = seen[0].to_messages()
    assert messages[1].content == QUESTION
    system = messages[0].content
    assert "neglect summits" in system and "[1] Triennial review" in system


async def _ainvoke(corpus_assistant: Assistant) -> list[Document]:
    return await corpus_assistant.as_langchain_retriever(k=2).ainvoke("What is PRISM?")


def test_retriever_async(corpus_assistant: Assistant) -> None:
    import asyncio

    docs = asyncio.run(_ainvoke(corpus_assistant))
    assert len(docs) == 2 and all("PRISM" in d.page_content for d in docs)
