"""Trainers' requests in the chat: "examples of ... for a training session" is answered with a
list of cited practice examples, "find quotes on ..." with a list of cited quotations, rather
than with a paragraph. The result is an ordinary ``Answer`` (the `rla ask --json` contract):
every quote is a citation, verbatim in its passage, with its ``[n]`` in the text; a quotes
answer's citations carry the attribution the document gives (``Citation.attribution``).

Anything else, or a request that finds nothing, is left to the ordinary answerer (``None``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from assistant.answering.question import Question
from assistant.library.catalog import Catalog
from assistant.library.filters import Filters
from assistant.trainer.examples import Example, find_examples
from assistant.trainer.passages import Cited, DocText
from assistant.trainer.quotes import FoundQuote, find_quotes
from assistant.types import Answer, Chunk, Citation, Evidence
from vectorstore.embedder import Embedder

MAX_EXAMPLES = 8
MAX_QUOTES = 8
EXAMPLES_HEAD = ("Practice examples from the indexed documents: what changed and, where the "
                 "document gives them, why and how.")
QUOTES_HEAD = "Quotations from the indexed documents, each as the document attributes it."


def trainer_answer(question: Question, catalog: Catalog, embedder: Embedder) -> Answer | None:
    """A list answer for an examples or quotes request, or None to answer as usual."""
    if question.kind == "quotes":
        quotes = find_quotes(catalog, embedder, question.text, limit=MAX_QUOTES,
                             filters=question.filters or None)
        return _quotes_answer(catalog, question, quotes) if quotes else None
    if question.kind != "examples":
        return None
    chosen, asked = question.filters, question.asked
    merged = replace(chosen, themes=chosen.themes or question.themes,
                     areas=chosen.areas or asked.areas, nations=chosen.nations or asked.nations)
    found = find_examples(catalog, merged)
    found.sort(key=lambda e: (not e.structured, not (e.why or e.how)))
    if not found:
        return None
    return _examples_answer(catalog, question, found[:MAX_EXAMPLES], merged)


class _Builder:
    """Numbers quotes as citations, each with its passage and an evidence card."""

    def __init__(self, chunks: Sequence[Chunk]) -> None:
        self.chunks = chunks
        self.by_id = {c.chunk_id: c for c in chunks}
        self.citations: list[Citation] = []
        self.evidence: dict[str, Evidence] = {}

    def cite(self, cited: Cited, attribution: str | None = None) -> int:
        first = self.by_id[cited.chunk_ids[0]]
        if len(cited.chunk_ids) == 1:
            passage = first.text
        else:
            wanted = set(cited.chunk_ids)
            passage = DocText([c for c in self.chunks if c.chunk_id in wanted]).text
        marker = len(self.citations) + 1
        self.citations.append(Citation(marker, first.chunk_id, cited.title, cited.file,
                                       first.section, cited.page_start, cited.page_end,
                                       cited.quote, passage, attribution=attribution))
        self.evidence.setdefault(first.chunk_id, Evidence(len(self.evidence) + 1, first, 1.0))
        return marker

    def answer(self, question: Question, text: str, kind: str, filters: Filters) -> Answer:
        notes = (f"Filters: {filters.describe()}.",) if filters else ()
        return Answer(question=question.text, text=text, citations=tuple(self.citations),
                      evidence=tuple(self.evidence.values()), backend="extractive",
                      grounded=True, searched_query=question.text, filters=filters.to_dict(),
                      notes=notes, kind=kind)


def _examples_answer(
    catalog: Catalog, question: Question, examples: list[Example], filters: Filters
) -> Answer:
    build = _Builder(catalog.chunks)
    blocks = [EXAMPLES_HEAD]
    for n, example in enumerate(examples, start=1):
        lines = [f"{n}. {example.area or example.document}"]
        for name, cited in example.parts():
            lines.append(f"{name}: {cited.quote} [{build.cite(cited)}]")
        if example.attribution:
            lines.append(f"({example.attribution})")
        blocks.append("\n\n".join(lines))
    return build.answer(question, "\n\n".join(blocks), "examples", filters)


def _quotes_answer(catalog: Catalog, question: Question, quotes: list[FoundQuote]) -> Answer:
    build = _Builder(catalog.chunks)
    blocks = [QUOTES_HEAD]
    for n, quote in enumerate(quotes, start=1):
        who = quote.attribution or "no attribution given in the document"
        marker = build.cite(quote.cited, quote.attribution or None)
        blocks.append(f"{n}. {quote.cited.quote} [{marker}] — {who}")
    return build.answer(question, "\n\n".join(blocks), "quotes", question.filters)
