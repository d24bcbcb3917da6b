"""The route of a question, top to bottom: the first answer source that answers, answers.

0. Declined before any search: a request to identify someone in a review, or for legal
   advice about the user's own situation (``declines``), with the plain reason.
1. A trainer's request ("examples of ... for a training session", "quotes on ..."): a
   numbered list of cited practice examples or quotations.
2. Scope: the filters chosen and the places the question names narrow the search; a place
   or type no document covers gets a plain "nothing about ..." (with what a search finds
   there shown uncited).
3. Structured answers read from the catalogue: a trend from one source table, "which areas"
   area by area, an overview of a place.
4. Search (dense + keyword, fused) and quote: the answerer picks the sentences that answer,
   or says the documents do not cover the question. Only this step streams (an LLM
   answerer's drafts as its sentences pass their checks).

``ask`` and ``ask_stream`` are both this generator: ``ask`` keeps the last answer it yields.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any, Protocol

from assistant.answering.declines import decline
from assistant.answering.extractive import Answerer
from assistant.answering.question import Question
from assistant.answering.retrieve import Mode, Retrieval
from assistant.answering.scope import plan_question
from assistant.library.catalog import Catalog
from assistant.library.structured import structured_answer
from assistant.trainer.requests import trainer_answer
from assistant.types import Answer
from vectorstore.embedder import Embedder


class Searcher(Protocol):
    def search(
        self, query: str, k: int = 8, *, mode: Mode = "hybrid",
        where: dict[str, Any] | None = None, docs: frozenset[str] | None = None,
    ) -> Retrieval: ...


@dataclass(frozen=True)
class Sources:
    """What the answer sources need, and nothing more."""

    catalog: Catalog
    searcher: Searcher
    answerer: Answerer
    embedder: Embedder


def route(
    question: Question,
    sources: Sources,
    *,
    k: int,
    mode: Mode = "hybrid",
    where: dict[str, Any] | None = None,
) -> Iterator[Answer]:
    """Answers for ``question``: drafts while step 4 streams, the final answer last."""
    started = time.perf_counter()

    def timed(answer: Answer, searched: float | None = None) -> Answer:
        now = time.perf_counter()
        split = searched if searched is not None else now
        spent = {"retrieve": (split - started) * 1000, "answer": (now - split) * 1000}
        return replace(answer, timings_ms=spent)

    # 0. Declined: identifying someone in a review, or legal advice about one's own case.
    declined = decline(question.text, sources.catalog.guidance_titles)
    if declined is not None:
        yield timed(Answer(question=question.text, text=declined.text, citations=(),
                           evidence=(), backend="declined", grounded=False, kind="declined"))
        return

    # 1. A trainer's request for a list of practice examples or quotations.
    if question.is_request:
        listed = trainer_answer(question, sources.catalog, sources.embedder)
        if listed is not None:
            yield timed(listed)
            return

    # 2. Scope: what is searched; a place or type no document covers is refused plainly.
    plan = plan_question(question, sources.catalog, where)
    if plan.refusal is not None:
        found = sources.searcher.search(question.query, k, mode=mode, where=plan.where)
        yield timed(plan.finish(replace(plan.refusal, evidence=found.evidence)))  # uncited
        return

    # 3. Structured answers from the catalogue: a trend, which areas, an overview of a place.
    structured = structured_answer(question, sources.catalog, plan.filters)
    if structured is not None:
        yield timed(plan.finish(structured))
        return

    # 4. Search and quote (or write, with every sentence checked against its passage).
    retrieval = sources.searcher.search(question.query, k, mode=mode, where=plan.where,
                                        docs=plan.docs)
    searched = time.perf_counter()
    for draft in sources.answerer.stream(question, retrieval):
        yield timed(plan.finish(draft), searched)


def rehearse(question: Question, sources: Sources) -> None:
    """Run the route once and drop its answers: every lazy load on the way happens now (the
    caller passes the quoting answerer, so no language model is called, and no listener
    hears it: the audit log records only the questions people ask)."""
    for _ in route(question, sources, k=1):
        pass
