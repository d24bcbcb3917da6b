"""Answers read from the structure extracted at ingest rather than from top-k passages.

- A trend question ("how has domestic abuse changed since 2007?") is answered with the source
  table's row and its column headings, quoted as they stand and cited: one table, never
  figures gathered from several.
- A "which areas ..." question about a theme is answered area by area, each with the quote
  that shows the work and a note with every area's passage count.

Every sentence is still a verbatim quote with its ``[n]``; the area names before the quotes and
the notes are labels, not quotations.
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.answering.citations import Quote, answer_text, build_citations
from assistant.answering.question import Question
from assistant.library.catalog import Catalog, meta_list
from assistant.library.compare import TableRowEvidence, compare, trend_rows
from assistant.library.filters import Filters
from assistant.types import Answer, Chunk, Evidence
from ingest.sentences import sentence_spans

_MAX_AREAS = 8


def structured_answer(question: Question, catalog: Catalog, filters: Filters) -> Answer | None:
    """A trend, "which areas" or overview answer where the question asks for one and the
    catalogue has it (tried in that order), else None."""
    for kind in question.kinds:
        if kind == "trend":
            found = trend_answer(question, catalog, filters)
        elif kind == "which-areas":
            found = areas_answer(question, catalog, filters)
        elif kind == "overview":
            found = overview_answer(question, catalog, filters)
        else:
            continue
        if found is not None:
            return found
    return None


def _answer(
    question: Question, kind: str, quotes: list[Quote], notes: Sequence[str], text: str = ""
) -> Answer:
    citations = build_citations(quotes)
    chunks = list({q.chunk.chunk_id: q.chunk for q in quotes}.values())
    evidence = tuple(Evidence(rank=i + 1, chunk=c, score=1.0) for i, c in enumerate(chunks))
    return Answer(
        question=question.text, text=text or answer_text(citations), citations=tuple(citations),
        evidence=evidence, backend="extractive", grounded=True, searched_query=question.text,
        notes=tuple(notes), kind=kind,
    )


def _chunk(catalog: Catalog, chunk_id: str) -> Chunk | None:
    found = catalog.passages([chunk_id])
    return found[0] if found else None


def _line_span(chunk: Chunk, line: str, near: int = 0) -> tuple[int, int] | None:
    start = chunk.text.find(line, max(0, near - len(line) - 1))
    if start < 0:
        start = chunk.text.find(line)
    return (start, start + len(line)) if start >= 0 else None


def trend_answer(question: Question, catalog: Catalog, filters: Filters) -> Answer | None:
    """The table row (with its headings) that follows a theme across periods, or None."""
    if filters.areas:
        return None  # "how did Falkirk change ..." is about an area's practice, not a trend
    themes = list(question.themes)
    rows: list[TableRowEvidence] = trend_rows(catalog, themes) if themes else []
    allowed = {c.chunk_id for c in catalog.select(filters)}
    rows = [r for r in rows if r.chunk_id in allowed]
    if not rows:
        return None
    first = rows[0]
    same_table = [r for r in rows if r.chunk_id == first.chunk_id and r.table == first.table]
    chunk = _chunk(catalog, first.chunk_id)
    if chunk is None:
        return None
    quotes: list[Quote] = []
    for line in first.table.header_lines:
        span = _line_span(chunk, line)
        if span:
            quotes.append(Quote(chunk, *span))
    notes = []
    for r in same_table[:3]:
        span = _line_span(chunk, r.row.line, r.row.start)
        if span:
            quotes.append(Quote(chunk, *span))
        heads = r.table.column_labels()[1:]
        cells = [f"{h}: {v}" for h, v in zip(heads, r.row.cells[1:], strict=False)]
        notes.append(f"{r.row.label}, column by column — " + " | ".join(cells))
    notes.append(
        f"All figures are one table of {first.title} (p. {first.page_start}); each column is a "
        "different period with its own number of reviews, so compare percentages, not counts."
    )
    return _answer(question, "trend", quotes, notes)


def areas_answer(question: Question, catalog: Catalog, filters: Filters) -> Answer | None:
    """Area by area, the quote showing each area's work on the theme the question names."""
    themes = list(question.themes)
    if not themes:
        return None
    matrix = compare(catalog, "area", themes[:1], filters, evidence=4)
    if not matrix.cells:
        return None
    quotes: list[Quote] = []
    labels: list[str] = []
    used: set[str] = set()
    for cell in matrix.cells[:_MAX_AREAS]:
        for q in cell.evidence:
            if q.chunk.chunk_id in used:
                continue
            used.add(q.chunk.chunk_id)
            quotes.append(q)
            labels.append(cell.row)
            break
    citations = build_citations(quotes)
    text = "\n\n".join(f"{label}: {c.quote} [{c.marker}]" for label, c in
                       zip(labels, citations, strict=True))
    label = matrix.labels.get(themes[0], themes[0])
    counts = ", ".join(
        f"{c.row} ({c.passages} passage{'s' if c.passages != 1 else ''})" for c in matrix.cells
    )
    notes = [
        f"Areas with passages on {label}: {counts}.",
        f"Every area and its evidence: rla compare --themes {themes[0]} --by area",
    ]
    return _answer(question, "which-areas", quotes, notes, text)


def overview_answer(question: Question, catalog: Catalog, filters: Filters) -> Answer | None:
    """"Is there anything about Angus?", "What did Fife do?": a question that asks for nothing
    but the area gets the opening of each block about it."""
    if not filters.areas:
        return None
    chunks = sorted(catalog.select(filters), key=lambda c: (c.doc_id, c.index))
    quotes: list[Quote] = []
    sections: set[tuple[str, str]] = set()
    for chunk in chunks:
        key = (chunk.doc_id, chunk.section)
        if key in sections or len(quotes) >= 6:
            continue
        sections.add(key)
        spans = [s for s in sentence_spans(chunk.text) if len(chunk.text[s[0]:s[1]].split()) > 5]
        if spans:
            quotes.append(Quote(chunk, *spans[0]))
    if not quotes:
        return None
    themes = sorted({t for c in chunks for t in meta_list(c, "themes")},
                    key=lambda t: -sum(t in meta_list(c, "themes") for c in chunks))
    found = [catalog.taxonomy.get(t) for t in themes]
    labels = [t.label if t else i for t, i in zip(found, themes, strict=True)]
    docs = len({c.doc_id for c in chunks})
    notes = [
        f"{len(chunks)} passage{'s' if len(chunks) != 1 else ''} in {docs} document"
        f"{'s' if docs != 1 else ''} are about {' or '.join(filters.areas)}; the opening of each "
        "section is quoted.",
        "Their themes, most frequent first: " + "; ".join(str(x) for x in labels[:8]) + ".",
    ]
    return _answer(question, "overview", quotes, notes)
