"""`rla handout`: a seven-minute briefing on one theme, for trainers.

Sections: what it is, why it matters, what reviews found, practice examples, what good
practice looks like, questions for reflection, sources. Every statement is a verbatim quote
with a numbered footnote (document, page, section); a section with no evidence says "Not
found in the indexed documents." The questions for reflection are the project's own, from the
theme taxonomy (``themes.json``), and the handout says so. Writers: ``handout_md`` and
``handout_docx``; the same model carries a single chat answer for download, and a trainer's
picks from the chat (``BasketItem``).

A briefing on a theme draws on every document that has a sentence for one of its sections
or a practice example on the theme, not only the strongest: each section takes its best
sentences (no document filling it alone), then every document not yet quoted gives its best
sentence, and every document with a practice example gives one. A document gives at most
``PER_DOCUMENT`` sentences and ``EXAMPLES_PER_DOCUMENT`` examples. Within a section the
quotes stand grouped under their document, labelled with its year, nation and the areas of
the passages quoted (``Statement.source``), the document that says most first; the
introduction says how many documents the briefing drew on, by nation.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from assistant.library.filters import Filters, resolve
from assistant.trainer.briefing import candidates, spread
from assistant.trainer.examples import Example, find_examples
from assistant.trainer.passages import Cited
from assistant.types import Answer, Chunk, Citation

if TYPE_CHECKING:
    from assistant.library.catalog import Catalog

NOT_FOUND = "Not found in the indexed documents."
NO_QUESTIONS = "No questions for reflection are set for this theme in the taxonomy."
HOW_TO_READ = (
    "Every statement below is quoted word for word from the indexed documents; its numbered "
    "footnote gives the document, page and section. The questions for reflection are the "
    "assistant's own, from its theme guide."
)
EXAMPLES_SHOWN = 6  # after one from every document with an example on the theme
EXAMPLES_PER_DOCUMENT = 2
PER_DOCUMENT = 5  # sentences one document gives the briefing's sections, at most
SECTION_SIZES = {"what": 2, "why": 2, "found": 3, "good": 2}  # before every document's one
AREAS_SHOWN = 3


@dataclass(frozen=True)
class Statement:
    """One verbatim quote, shown with its footnote."""

    cited: Cited
    label: str = ""  # "What changed", "Why", "How" inside a practice example
    attribution: str | None = None
    source: str = ""  # "Title (2021) · Scotland · Glasgow City": the group it stands under


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
    source: str = ""  # the document it comes from, with its year, nation and areas


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


def example_block(example: Example, sources: Sources | None = None) -> ExampleBlock:
    """An example under its area (or its document's title), labelled with its document."""
    parts = example.parts()
    statements = tuple(
        Statement(c, name, example.attribution if i == len(parts) - 1 else None)
        for i, (name, c) in enumerate(parts)
    )
    heading = example.area or example.document
    source = sources.label([example.what_changed], heading != example.document) \
        if sources else ""
    return ExampleBlock(heading, statements, source)


def _ranked(examples: Sequence[Example]) -> list[Example]:
    """Examples with what changed, why and how first (the document's own structure)."""
    return sorted(examples, key=lambda e: (not e.structured, not (e.why or e.how)))


def spread_examples(examples: Sequence[Example]) -> list[Example]:
    """One example from every document that has one (its best), then seconds up to
    ``EXAMPLES_SHOWN``; a document's examples together, the document of the best first."""
    by_doc: dict[str, list[Example]] = {}
    for example in _ranked(examples):
        by_doc.setdefault(example.file, []).append(example)
    chosen = [found[0] for found in by_doc.values()]
    for n in range(1, EXAMPLES_PER_DOCUMENT):
        for found in by_doc.values():
            if len(found) > n and len(chosen) < EXAMPLES_SHOWN:
                chosen.append(found[n])
    place = {file: i for i, file in enumerate(by_doc)}
    return sorted(chosen, key=lambda e: place[e.file])


class Sources:
    """Labels for the documents a handout quotes: title, year, nation and the areas of the
    passages quoted, where the store knows them."""

    def __init__(self, chunks: Sequence[Chunk]) -> None:
        self.chunks = {c.chunk_id: c for c in chunks}

    def label(self, quoted: Sequence[Cited], title: bool = True) -> str:
        """``Title (2021) · Scotland · Glasgow City`` (without the title: ``2021 · ...``)."""
        chunks = [self.chunks[i] for c in quoted for i in c.chunk_ids if i in self.chunks]
        if not quoted:
            return ""
        year = chunks[0].year if chunks else None
        head = (quoted[0].title + (f" ({year})" if year is not None else "")) if title else \
            (str(year) if year is not None else "")
        parts = [p for p in (head, chunks[0].nation if chunks else None) if p]
        areas: list[str] = []
        for chunk in chunks:
            value = chunk.meta.get("areas")
            for area in value if isinstance(value, list) else []:
                if str(area) not in areas:
                    areas.append(str(area))
        if areas:
            more = len(areas) - AREAS_SHOWN
            parts.append(", ".join(areas[:AREAS_SHOWN]) + (f" and {more} more" if more > 0
                                                           else ""))
        return " · ".join(parts)

    def nation(self, cited: Cited) -> str | None:
        chunk = self.chunks.get(cited.chunk_ids[0])
        return chunk.nation if chunk else None

    def grouped(self, cited: Sequence[Cited]) -> tuple[Statement, ...]:
        """Statements labelled by their document (``cited`` comes grouped by document)."""
        by_doc: dict[str, list[Cited]] = {}
        for c in cited:
            by_doc.setdefault(c.file, []).append(c)
        labels = {file: self.label(found) for file, found in by_doc.items()}
        return tuple(Statement(c, source=labels[c.file]) for c in cited)


def drew_on(statements: Sequence[Statement], sources: Sources, of: int) -> str:
    """What the introduction says of the documents quoted: "Draws on 9 of the 26 documents
    with passages on this theme (Scotland 4, England 3, ...)"."""
    first: dict[str, Cited] = {}
    for s in statements:
        first.setdefault(s.cited.file, s.cited)
    nations = Counter(sources.nation(c) or "nation not recorded" for c in first.values())
    ordered = sorted(nations.items(), key=lambda kv: (kv[0] == "nation not recorded", -kv[1]))
    by_nation = ", ".join(f"{name} {n}" for name, n in ordered)
    n = len(first)
    return (f"Draws on {n} of the {of} document{'s' if of != 1 else ''} with passages on "
            f"this theme" + (f" ({by_nation})." if n else "."))


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
    on_theme = catalog.select(by_theme)
    everywhere = candidates(on_theme, t)
    local = candidates(catalog.select(narrowed), t) if area else everywhere
    sources = Sources(catalog.chunks)
    chosen = list(examples) or spread_examples(find_examples(catalog, narrowed))
    used = [q.cited.quote for q in quotes]
    used += [c.quote for e in chosen for _, c in e.parts()]
    pools = {"what": (everywhere, SECTION_SIZES["what"]), "why": (everywhere, SECTION_SIZES["why"])}
    if not quotes:
        pools["found"] = (local, SECTION_SIZES["found"])
    pools["good"] = (local, SECTION_SIZES["good"])
    picked = spread(pools, used, PER_DOCUMENT)
    found = list(quotes) or list(sources.grouped(picked["found"]))
    blocks = tuple(example_block(e, sources) for e in chosen)
    sections = (
        Section("What it is", sources.grouped(picked["what"])),
        Section("Why it matters", sources.grouped(picked["why"])),
        Section("What reviews found", tuple(found)),
        Section("Practice examples", blocks),
        Section("What good practice looks like", sources.grouped(picked["good"])),
        Section("Questions for reflection", questions=t.reflection, empty_note=NO_QUESTIONS),
    )
    made = Handout(f"Seven-minute briefing: {t.label}", (), sections, themes=(theme_id,))
    docs = len({c.doc_id for c in on_theme})
    intro = [f"Theme: {t.label}" + (f" · Area: {area}" if area else ""),
             drew_on(made.statements(), sources, docs), HOW_TO_READ]
    return replace(made, intro=tuple(intro))


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
