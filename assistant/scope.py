"""What a question is searched over, and the notes that say so.

Filters the user chose (``--area``, ``--theme`` ... or the chat window's) come first. A question
that names an area or a nation ("in Glasgow", "in Scotland") is narrowed to it as well, and the
answer says so; an area the documents say nothing about gets an honest "nothing about X",
naming the areas they do cover. Trend and "which areas" questions are answered from the
structure extracted at ingest (``assistant.structured``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from assistant.catalog import Catalog, summary_lines
from assistant.filters import Filters, question_filters
from assistant.structured import areas_answer, overview_answer, trend_answer
from assistant.types import Answer
from vectorstore.where import all_of

UNTAGGED = (
    "This store was built before areas and themes were tagged, so the filters cannot be "
    "applied: run `rla retag` (or ingest the documents again) to add them."
)


@dataclass(frozen=True)
class Plan:
    where: dict[str, Any] | None
    filters: Filters
    notes: tuple[str, ...] = ()
    answer: Answer | None = None  # answered (or refused) before any search

    def finish(self, answer: Answer) -> Answer:
        """``answer`` with the filters it ran under and the notes that say so."""
        return replace(answer, filters=self.filters.to_dict(),
                       notes=(*self.notes, *answer.notes))


def _nothing_about(question: str, names: list[str], catalog: Catalog) -> Answer:
    covered = catalog.areas()
    text = f"No indexed document says anything about {' or '.join(names)}."
    if catalog.nations:
        text += " The documents are about " + " and ".join(sorted(catalog.nations)) + "."
    if covered:
        text += " The areas they say something about: " + summary_lines(covered) + "."
    return Answer(question=question, text=text, citations=(), evidence=(),
                  backend="extractive", grounded=False, searched_query=question)


def plan_question(
    question: str,
    catalog: Catalog,
    filters: Filters | None = None,
    where: dict[str, Any] | None = None,
) -> Plan:
    chosen = filters or Filters()
    asked = question_filters(question)
    notes: list[str] = []
    if not catalog.tagged:
        if chosen:
            notes.append(UNTAGGED)
        return Plan(where, Filters(), tuple(notes))
    if chosen.doc_type and chosen.doc_type not in catalog.doc_types:
        text = (f"No indexed document is of type {chosen.doc_type!r}; the types are: "
                + ", ".join(sorted(catalog.doc_types)) + ".")
        refusal = Answer(question=question, text=text, citations=(), evidence=(),
                         backend="extractive", grounded=False, searched_query=question)
        usable = replace(chosen, doc_type=None)
        plan = Plan(all_of(where, usable.where()), chosen)
        return replace(plan, answer=plan.finish(refusal))
    named = [a for a in asked.areas if a not in chosen.areas]
    missing = [a for a in named if a not in catalog.covered_area_keys]
    if not chosen.nations:
        missing += [n for n in asked.nations if n not in catalog.nations]
    if missing:
        plan = Plan(all_of(where, chosen.where()), chosen.merged(asked))
        return replace(plan, answer=plan.finish(_nothing_about(question, missing, catalog)))
    read = Filters(areas=tuple(named), nations=() if chosen.nations else asked.nations,
                   from_question=asked.from_question)
    effective = chosen.merged(read)  # what is reported (and what structured answers use)
    if read.areas or read.nations:
        notes.append(
            f"Searched only passages about {' and '.join([*read.areas, *read.nations])}, "
            "named in the question."
        )
    if chosen:
        notes.append(f"Filters: {chosen.describe(catalog.taxonomy)}.")
    plan = Plan(all_of(where, chosen.where(), read.where()), effective, tuple(notes))
    structured = (
        trend_answer(question, catalog, effective)
        or areas_answer(question, catalog, effective)
        or overview_answer(question, catalog, effective)
    )
    if structured is not None:
        return replace(plan, answer=plan.finish(structured))
    return plan
