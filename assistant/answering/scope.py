"""What a question is searched over, and the notes that say so.

Filters the user chose (``--area``, ``--theme`` ... or the chat window's) come first. A question
that names an area or a nation ("in Glasgow", "in Scotland") is narrowed to it as well, and the
answer says so; an area the documents say nothing about gets an honest "nothing about X",
naming the areas they do cover.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from assistant.answering.question import Question
from assistant.library.catalog import Catalog, summary_lines
from assistant.library.filters import Filters
from assistant.types import Answer
from vectorstore.where import all_of

UNTAGGED = (
    "This store was built before areas and themes were tagged, so the filters cannot be "
    "applied: run `rla retag` (or ingest the documents again) to add them."
)


@dataclass(frozen=True)
class Plan:
    where: dict[str, Any] | None
    filters: Filters  # what the search runs under (and what structured answers use)
    notes: tuple[str, ...] = ()
    refusal: Answer | None = None  # a type or place no document covers: nothing to search
    # Every document ``where`` can match (from the catalogue's summaries), None when unknown:
    # the search looks only among their passages.
    docs: frozenset[str] | None = None

    def finish(self, answer: Answer) -> Answer:
        """``answer`` with the filters it ran under and the notes that say so."""
        return replace(answer, filters=self.filters.to_dict(),
                       notes=(*self.notes, *answer.notes))


def _refusal(question: Question, text: str) -> Answer:
    return Answer(question=question.text, text=text, citations=(), evidence=(),
                  backend="extractive", grounded=False, searched_query=question.text,
                  kind="not-covered")


def _nothing_about(question: Question, names: list[str], catalog: Catalog) -> Answer:
    covered = catalog.areas()
    text = f"No indexed document says anything about {' or '.join(names)}."
    if catalog.nations:
        text += " The documents are about " + " and ".join(sorted(catalog.nations)) + "."
    if covered:
        text += " The areas they say something about: " + summary_lines(covered) + "."
    return _refusal(question, text)


def plan_question(
    question: Question, catalog: Catalog, where: dict[str, Any] | None = None
) -> Plan:
    chosen = question.filters
    asked = question.asked
    notes: list[str] = []
    if not catalog.tagged:
        if chosen:
            notes.append(UNTAGGED)
        return Plan(where, Filters(), tuple(notes))
    if chosen.doc_type and chosen.doc_type not in catalog.doc_types:
        text = (f"No indexed document is of type {chosen.doc_type!r}; the types are: "
                + ", ".join(sorted(catalog.doc_types)) + ".")
        usable = replace(chosen, doc_type=None)
        return Plan(all_of(where, usable.where()), chosen, refusal=_refusal(question, text))
    if chosen.review_types and not set(chosen.review_types) & set(catalog.review_types):
        asked_for = " or ".join(repr(r) for r in chosen.review_types)
        text = (f"No indexed document is of review type {asked_for}; the review types are: "
                + (", ".join(catalog.review_types) or "none") + ".")
        usable = replace(chosen, review_types=())
        return Plan(all_of(where, usable.where()), chosen, refusal=_refusal(question, text))
    named = [a for a in asked.areas if a not in chosen.areas]
    missing = [a for a in named if a not in catalog.covered_area_keys]
    if not chosen.nations:
        missing += [n for n in asked.nations if n not in catalog.nations]
    if missing:
        return Plan(all_of(where, chosen.where()), chosen.merged(asked),
                    refusal=_nothing_about(question, missing, catalog))
    read = Filters(areas=tuple(named), nations=() if chosen.nations else asked.nations,
                   from_question=asked.from_question)
    if read.areas or read.nations:
        notes.append(
            f"Searched only passages about {' and '.join([*read.areas, *read.nations])}, "
            "named in the question."
        )
    if chosen:
        notes.append(f"Filters: {chosen.describe(catalog.taxonomy)}.")
    return Plan(all_of(where, chosen.where(), read.where()), chosen.merged(read), tuple(notes),
                docs=_docs(catalog, chosen, read))


def _docs(catalog: Catalog, *parts: Filters) -> frozenset[str] | None:
    """The documents with a passage that every one of ``parts`` selects can be in."""
    docs: frozenset[str] | None = None
    for filters in parts:
        if filters:
            mine = frozenset(catalog.docs_with_passages(filters))
            docs = mine if docs is None else docs & mine
    return docs
