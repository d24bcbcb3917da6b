"""Citations: quotes cut from passages, numbered, checked verbatim, and rendered for people."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from assistant.text import collapse
from assistant.types import Answer, Chunk, Citation, pages_label


def is_verbatim(quote: str, passage: str) -> bool:
    return bool(quote.strip()) and collapse(quote) in collapse(passage)


@dataclass(frozen=True)
class Quote:
    """A span of one chunk's text quoted: in an answer, or as a compare cell's evidence."""

    chunk: Chunk
    start: int
    end: int
    also_at: tuple[Chunk, ...] = ()

    @property
    def text(self) -> str:
        return self.chunk.text[self.start : self.end]

    @property
    def page_start(self) -> int:
        return self.chunk.pages_at(self.start, self.end)[0]

    def to_dict(self) -> dict[str, Any]:
        c = self.chunk
        return {"chunk_id": c.chunk_id, "file": c.file, "title": c.title, "section": c.section,
                "page_start": self.page_start, "quote": self.text, "doc_id": c.doc_id}


def build_citations(quotes: Sequence[Quote]) -> list[Citation]:
    """Number quotes in order; adjacent quotes from one passage share one citation."""
    merged: list[Quote] = []
    for q in quotes:
        prev = merged[-1] if merged else None
        if (
            prev is not None
            and prev.chunk.chunk_id == q.chunk.chunk_id
            and prev.start <= q.start  # in reading order, touching or overlapping
            and not q.chunk.text[prev.end : q.start].strip()
        ):
            end = max(prev.end, q.end)  # a quote inside the one before adds nothing
            merged[-1] = Quote(q.chunk, prev.start, end, prev.also_at + q.also_at)
        else:
            merged.append(q)
    citations = []
    for marker, q in enumerate(merged, start=1):
        first, last = q.chunk.pages_at(q.start, q.end)
        citations.append(
            Citation(
                marker=marker,
                chunk_id=q.chunk.chunk_id,
                title=q.chunk.title,
                file=q.chunk.file,
                section=q.chunk.section,
                page_start=first,
                page_end=last,
                quote=collapse(q.text),
                passage=q.chunk.text,
                also_at=tuple(_location(c) for c in q.also_at),
                year=q.chunk.year,
                nation=q.chunk.nation,
            )
        )
    return citations


def _location(chunk: Chunk) -> str:
    pages = pages_label(chunk.page_start, chunk.page_end)
    return ", ".join(x for x in (chunk.title, pages, chunk.section) if x)


def answer_text(citations: Sequence[Citation]) -> str:
    """Each quote followed by its marker; quotes from one document run on as one paragraph.

    When the quotes come from more than one document, each paragraph opens with the title of
    its document and its year ("From <title> (<year>):"), and its nation when they come from
    more than one ("From <title> (<year>) · Wales:"), so figures from different reports,
    periods or nations are never read as one statement.
    """
    paragraphs: list[tuple[str, list[str]]] = []
    for c in citations:
        line = f"{c.quote} [{c.marker}]"
        if paragraphs and paragraphs[-1][0] == c.file:
            paragraphs[-1][1].append(line)
        else:
            paragraphs.append((c.file, [line]))
    by_file = {c.file: c for c in citations}
    nations = len({c.nation for c in citations}) > 1

    def label(c: Citation) -> str:
        return f"From {c.document}" + (f" · {c.nation or 'nation not recorded'}" if nations
                                       else "") + ":\n"

    return "\n\n".join(
        (label(by_file[file]) if len(by_file) > 1 else "") + " ".join(lines)
        for file, lines in paragraphs
    )


_MARKER = re.compile(r"\[(\d+)\]")


def integrity_problems(answer: Answer) -> list[str]:
    """Every quote verbatim in its passage and every ``[n]`` resolving; [] when all hold."""
    problems: list[str] = []
    markers = {c.marker for c in answer.citations}
    for m in _MARKER.finditer(answer.text):
        if int(m.group(1)) not in markers:
            problems.append(f"marker [{m.group(1)}] names no citation")
    for c in answer.citations:
        if not is_verbatim(c.quote, c.passage):
            problems.append(f"quote [{c.marker}] is not verbatim in its passage")
        if f"[{c.marker}]" not in answer.text:
            problems.append(f"citation [{c.marker}] is not used in the answer")
    if not answer.grounded and answer.citations:
        problems.append("an ungrounded answer cites sources")
    return problems


def render_sources(citations: Sequence[Citation]) -> str:
    """``[1] Title, p. 12, Section`` lines, as printed after an answer."""
    lines = []
    for c in citations:
        line = f"[{c.marker}] {c.label()} ({c.file})"
        if c.also_at:
            line += "\n    also at: " + "; ".join(c.also_at)
        lines.append(line)
    return "\n".join(lines)
