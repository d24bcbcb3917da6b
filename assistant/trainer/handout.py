"""`rla handout`: a seven-minute briefing on one theme, for trainers.

Sections: what it is, why it matters, what reviews found, practice examples, what good
practice looks like, questions for reflection, sources. Every statement is a verbatim quote
with a numbered footnote (document, page, section); a section with no evidence says "Not
found in the indexed documents." The questions for reflection are the project's own, from the
theme taxonomy (``themes.json``), and the handout says so. Writers: ``handout_md`` and
``handout_docx``; the same model carries a single chat answer for download, and a trainer's
picks from the chat (``BasketItem``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from assistant.library.filters import Filters, resolve
from assistant.trainer.briefing import candidates, pick
from assistant.trainer.examples import Example, find_examples
from assistant.trainer.passages import Cited
from assistant.types import Answer, Citation

if TYPE_CHECKING:
    from assistant.library.catalog import Catalog

NOT_FOUND = "Not found in the indexed documents."
NO_QUESTIONS = "No questions for reflection are set for this theme in the taxonomy."
HOW_TO_READ = (
    "Every statement below is quoted word for word from the indexed documents; its numbered "
    "footnote gives the document, page and section. The questions for reflection are the "
    "assistant's own, from its theme guide."
)
EXAMPLES_SHOWN = 3


@dataclass(frozen=True)
class Statement:
    """One verbatim quote, shown with its footnote."""

    cited: Cited
    label: str = ""  # "What changed", "Why", "How" inside a practice example
    attribution: str | None = None


def cited_of(citation: Citation) -> Cited:
    """An answer's citation as a handout quotes it (its first passage)."""
    c = citation
    return Cited(c.quote, c.title, c.file, c.section, c.page_start, c.page_end, (c.chunk_id,))


@dataclass(frozen=True)
class BasketItem:
    """One pick of the chat's handout basket: a quotation of an answer, with the attribution
    its document gives, or a practice example by its key."""

    choice: str  # the tick it was picked by ("q:<turn>:<marker>", "ex:<key>"): one each
    label: str
    asked: tuple[str, ...] = ()  # the themes its question named or its answer was filtered by
    quote: Cited | None = None
    attribution: str | None = None
    example: str = ""  # the practice example's key

    @classmethod
    def of_citation(
        cls, choice: str, label: str, citation: Citation, asked: Sequence[str] = ()
    ) -> BasketItem:
        return cls(choice, label, tuple(asked), cited_of(citation), citation.attribution)

    @classmethod
    def of_example(
        cls, choice: str, label: str, key: str, asked: Sequence[str] = ()
    ) -> BasketItem:
        return cls(choice, label, tuple(asked), example=key)

    def statement(self) -> Statement | None:
        """The quotation as the handout states it (None for an example)."""
        return Statement(self.quote, attribution=self.attribution) if self.quote else None


@dataclass(frozen=True)
class ExampleBlock:
    heading: str
    statements: tuple[Statement, ...]


Item = Statement | ExampleBlock


@dataclass(frozen=True)
class Section:
    title: str
    items: tuple[Item, ...] = ()
    questions: tuple[str, ...] = ()
    empty_note: str = NOT_FOUND


@dataclass(frozen=True)
class Handout:
    title: str
    intro: tuple[str, ...]
    sections: tuple[Section, ...]
    kind: str = "briefing"  # or "answer"
    themes: tuple[str, ...] = field(default=())

    def statements(self) -> list[Statement]:
        """Every statement in reading order: footnote ``n`` is the ``n``-th."""
        out: list[Statement] = []
        for section in self.sections:
            for item in section.items:
                out.extend(item.statements if isinstance(item, ExampleBlock) else [item])
        return out

    def sources(self) -> list[tuple[str, str, list[str]]]:
        """(title, file, pages cited) per document, in order of first use."""
        found: dict[str, tuple[str, list[str]]] = {}
        for s in self.statements():
            _, pages = found.setdefault(s.cited.file, (s.cited.title, []))
            if s.cited.pages_label not in pages:
                pages.append(s.cited.pages_label)
        return [(title, file, sorted(pages, key=_page_order))
                for file, (title, pages) in found.items()]


def _page_order(label: str) -> tuple[int, str]:
    digits = label.split()[-1].split("-")[0]
    return (int(digits) if digits.isdigit() else 0, label)


def example_block(example: Example) -> ExampleBlock:
    parts = example.parts()
    statements = tuple(
        Statement(c, name, example.attribution if i == len(parts) - 1 else None)
        for i, (name, c) in enumerate(parts)
    )
    return ExampleBlock(example.area or example.document, statements)


def _ranked(examples: Sequence[Example]) -> list[Example]:
    """Examples with what changed, why and how first (the document's own structure)."""
    return sorted(examples, key=lambda e: (not e.structured, not (e.why or e.how)))


def theme_handout(
    catalog: Catalog,
    theme: str,
    area: str | None = None,
    *,
    quotes: Sequence[Statement] = (),
    examples: Sequence[Example] = (),
) -> Handout:
    """The briefing on ``theme`` (id, label or phrase), narrowed to ``area`` for what reviews
    found, practice examples and good practice. ``quotes`` and ``examples`` (a trainer's
    picks) replace what would be found for "What reviews found" and "Practice examples"."""
    theme_id = resolve(themes=[theme]).themes[0]
    found_theme = catalog.taxonomy.get(theme_id)
    assert found_theme is not None
    t = found_theme
    place = resolve(areas=[area]) if area else Filters()
    by_theme = Filters(themes=(theme_id,))
    narrowed = Filters(themes=(theme_id,), areas=place.areas, nations=place.nations)
    everywhere = candidates(catalog.select(by_theme), t)
    local = candidates(catalog.select(narrowed), t) if area else everywhere
    chosen = list(examples) or _ranked(find_examples(catalog, narrowed))[:EXAMPLES_SHOWN]
    used = [q.cited.quote for q in quotes]
    used += [c.quote for e in chosen for _, c in e.parts()]
    what = pick(everywhere, "what", 2, used)
    why = pick(everywhere, "why", 2, used)
    found = list(quotes) or [Statement(c) for c in pick(local, "found", 3, used)]
    good = pick(local, "good", 2, used)
    intro = [f"Theme: {t.label}" + (f" · Area: {area}" if area else ""), HOW_TO_READ]
    sections = (
        Section("What it is", tuple(Statement(c) for c in what)),
        Section("Why it matters", tuple(Statement(c) for c in why)),
        Section("What reviews found", tuple(found)),
        Section("Practice examples", tuple(example_block(e) for e in chosen)),
        Section("What good practice looks like", tuple(Statement(c) for c in good)),
        Section("Questions for reflection", questions=t.reflection, empty_note=NO_QUESTIONS),
    )
    return Handout(f"Seven-minute briefing: {t.label}", tuple(intro), sections,
                   themes=(theme_id,))


def picks_handout(
    title: str, quotes: Sequence[Statement], examples: Sequence[Example]
) -> Handout:
    """A handout of a trainer's picks alone (when no theme is chosen)."""
    sections = []
    if quotes:
        sections.append(Section("What reviews found", tuple(quotes)))
    if examples:
        sections.append(Section("Practice examples", tuple(example_block(e) for e in examples)))
    return Handout(title, (HOW_TO_READ,), tuple(sections))


def answer_handout(answer: Answer) -> Handout:
    """One chat answer with its citations, for download."""
    intro = [*answer.notes, "Every statement below is quoted word for word from the indexed "
             "documents; its numbered footnote gives the document, page and section."]
    if not answer.grounded or not answer.citations:
        return Handout(answer.question, tuple(intro[:-1]),
                       (Section("Answer", empty_note=answer.text or NOT_FOUND),), kind="answer")
    statements = tuple(Statement(cited_of(c)) for c in answer.citations)
    return Handout(answer.question, tuple(intro), (Section("Answer", statements),),
                   kind="answer")


NOT_QUOTED = "Nothing is quoted in this handout."


def footnote_text(statement: Statement) -> str:
    """``Title, p. 28, Section (file).``: what footnote ``n`` says (plain text)."""
    c = statement.cited
    return f"{c.label()} ({c.file})."
