"""LangChain's own standard tests for retrievers (``langchain-tests``), run against
``Assistant.as_langchain_retriever()`` over the real store of the shared PDFs."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_tests.integration_tests import RetrieversIntegrationTests

from assistant.core import Assistant
from assistant.lc_retriever import AssistantRetriever

pytestmark = pytest.mark.slow


class TestAssistantRetriever(RetrieversIntegrationTests):
    library: Assistant | None = None

    @pytest.fixture(autouse=True)
    def _library(self, corpus_assistant: Assistant) -> None:
        type(self).library = corpus_assistant

    @property
    def retriever_constructor(self) -> type[AssistantRetriever]:
        return AssistantRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return {"assistant": self.library}

    @property
    def retriever_query_example(self) -> str:
        return "What do reviews say about neglect?"


def test_invoke_k_overrides_the_constructor_k(corpus_assistant: Assistant) -> None:
    retriever = corpus_assistant.as_langchain_retriever(k=5)
    assert len(retriever.invoke("neglect")) == 5
    assert len(retriever.invoke("neglect", k=2)) == 2
    with pytest.raises(ValueError, match="at least 1"):
        retriever.invoke("neglect", k=-1)
