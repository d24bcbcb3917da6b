"""Answers over the shared corpus: quotes verbatim, markers resolving, refusals citing nothing;
and hybrid retrieval finding what only one of its two searches finds."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from assistant.answering.citations import integrity_problems
from assistant.answering.retrieve import Mode
from assistant.core import Assistant
from assistant.text import collapse
from assistant.types import Answer
from vectorstore.keyword import tokenize

pytestmark = pytest.mark.slow

DEV_SET = Path(__file__).resolve().parents[3] / "shared" / "eval" / "dev.jsonl"
K = 8
OFF_TOPIC = "What is the capital of France?"
ELSEWHERE = "How did Cardiff respond to its child practice reviews?"  # no Welsh reviews here

# Our own questions: figures and codes only keyword search knows, paraphrases only dense
# search understands, lists, and questions the corpus cannot answer.
OWN_QUESTIONS = [
    "What was 12%?",
    "COMMS-0521-342",
    "What is PRISM?",
    "What does CSE stand for in the table of harms?",
    "Which suggestions changed frontline work the most?",
    "Were youngsters usually staying with mum and dad when they were hurt?",
    "List the themes recorded in SCRs with domestic abuse and parental substance misuse",
    "What are the key findings of the triennial review?",
    "What does the briefing say about sharing information?",
    OFF_TOPIC,
    ELSEWHERE,
    "neglect",
]


def dev_questions() -> list[str]:
    return [json.loads(line)["question"] for line in DEV_SET.read_text().splitlines() if line]


@pytest.fixture(scope="module")
def answers(corpus_assistant: Assistant) -> list[Answer]:
    return [corpus_assistant.ask(q) for q in [*dev_questions(), *OWN_QUESTIONS]]


def test_every_answer_passes_the_integrity_check(answers: list[Answer]) -> None:
    problems = {a.question: integrity_problems(a) for a in answers}
    assert {q: p for q, p in problems.items() if p} == {}
    assert sum(a.grounded for a in answers) >= 10
    assert sum(not a.grounded for a in answers) >= 3


def test_quotes_are_verbatim_in_the_retrieved_passages(answers: list[Answer]) -> None:
    for a in answers:
        evidence = {e.chunk.chunk_id: e.chunk for e in a.evidence}
        for c in a.citations:
            assert collapse(c.quote) in collapse(c.passage), (a.question, c.marker)
            chunk = evidence[c.chunk_id]  # a citation points at retrieved evidence
            assert c.passage == chunk.text and c.file == chunk.file and c.title == chunk.title
            assert chunk.page_start <= c.page_start <= c.page_end <= chunk.page_end
            assert c.quote.strip() and len(c.quote) < len(c.passage) + 1


def test_markers_resolve_and_every_citation_is_used(answers: list[Answer]) -> None:
    for a in answers:
        used = [int(m) for m in re.findall(r"\[(\d+)\]", a.text)]
        numbers = [c.marker for c in a.citations]
        assert numbers == list(range(1, len(numbers) + 1)), a.question
        assert set(used) == set(numbers), a.question
        if a.grounded:
            assert a.citations, a.question
            # every quote stands in the answer text, followed by its marker
            for c in a.citations:
                assert f"{c.quote} [{c.marker}]" in a.text, (a.question, c.marker)


def test_ungrounded_answers_cite_nothing(answers: list[Answer]) -> None:
    refused = [a for a in answers if not a.grounded]
    assert refused
    for a in refused:
        assert a.citations == ()
        assert not re.search(r"\[\d+\]", a.text), a.text
        assert a.text.strip()
    by_question = {a.question: a for a in answers}
    for q in (OFF_TOPIC, ELSEWHERE):
        assert not by_question[q].grounded, by_question[q].text


# -- hybrid retrieval --------------------------------------------------------------------


def ranks(assistant: Assistant, query: str, needle: str, mode: Mode) -> list[int]:
    """Ranks (1-based, top K) of the retrieved chunks whose text holds ``needle`` (any case)."""
    found = assistant.retriever.search(query, K, mode=mode).evidence
    return [e.rank for e in found if needle.lower() in collapse(e.chunk.text).lower()]


@pytest.mark.parametrize(
    ("query", "needle"),
    [
        ("COMMS-0521-342", "COMMS-0521-342"),  # a publication code
        ("CSE", "CSE"),  # an acronym
    ],
)
def test_hybrid_finds_what_only_keyword_search_finds(
    corpus_assistant: Assistant, query: str, needle: str
) -> None:
    assert ranks(corpus_assistant, query, needle, "keyword"), "keyword search misses it"
    assert not ranks(corpus_assistant, query, needle, "dense"), "dense search finds it too"
    assert ranks(corpus_assistant, query, needle, "hybrid")


def test_keyword_search_finds_a_figure(corpus_assistant: Assistant) -> None:
    needle = "Only a small minority of children at the centre of a SCR (12%)"
    assert ranks(corpus_assistant, "12%", needle, "keyword")[0] <= 3
    assert not ranks(corpus_assistant, "12%", needle, "dense")


@pytest.mark.parametrize(
    ("query", "needle"),
    [
        (
            "What sort of suggestions altered day-to-day work most?",
            "Recommendations related to training, closely followed",
        ),
        (
            "Were youngsters usually staying with mum and dad when they were hurt?",
            "were living at home at the time",
        ),
    ],
)
def test_hybrid_finds_what_only_dense_search_finds(
    corpus_assistant: Assistant, query: str, needle: str
) -> None:
    chunks = corpus_assistant.store.all_chunks()
    targets = [c for c in chunks if needle.lower() in collapse(c.text).lower()]
    assert targets
    # a paraphrase: no rare word of the query is in any passage that holds the answer
    share = {t: sum(t in set(tokenize(c.index_text())) for c in chunks) / len(chunks)
             for t in tokenize(query)}
    for c in targets:
        shared = set(tokenize(query)) & set(tokenize(c.index_text()))
        assert all(share[t] > 0.2 for t in shared), {t: share[t] for t in shared}
    assert not ranks(corpus_assistant, query, needle, "keyword"), "keyword search finds it too"
    assert ranks(corpus_assistant, query, needle, "dense"), "dense search misses it"
    assert ranks(corpus_assistant, query, needle, "hybrid")
