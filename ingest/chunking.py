"""Sentence-aware chunks that never cross a section and know their page span.

Units are sentences (of paragraphs and list items) and whole table rows. A chunk gathers units
until it reaches the target word count, never passes the maximum unless one unit alone does
(then that unit is cut), and a short tail is merged into the chunk before it. A chunk that
starts inside a table repeats the table's heading row first, so a quoted row can always be
shown with its column headings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from assistant.types import Chunk, Document, MetaValue
from ingest.sections import Section
from ingest.sentences import sentence_spans, split_long


@dataclass(frozen=True)
class _Unit:
    text: str
    page_start: int
    page_end: int
    block: int  # index of the block within its section: units of one block join with a space
    table: int  # id of the table run the row belongs to, or -1
    words: int
    breaks: tuple[tuple[int, int], ...]  # (offset in text, page) pairs


def _units(section: Section, max_words: int) -> tuple[list[_Unit], dict[int, _Unit]]:
    units: list[_Unit] = []
    headers: dict[int, _Unit] = {}
    table = -1
    prev_row = False
    for b, block in enumerate(section.blocks):
        if block.kind == "row":
            if not prev_row:
                table = b
            unit = _Unit(
                block.text,
                block.page_start,
                block.page_end,
                b,
                table,
                len(block.text.split()),
                block.breaks,
            )
            headers.setdefault(table, unit)
            units.append(unit)
            prev_row = True
            continue
        prev_row = False
        for s, e in sentence_spans(block.text):
            for ps, pe in split_long(block.text, s, e, max_words):
                first, last = block.pages_of(ps, pe)
                text = block.text[ps:pe]
                breaks = tuple(
                    (max(0, off - ps), page)
                    for off, page in block.breaks
                    if off < pe and (off > ps or page == first)
                )
                units.append(_Unit(text, first, last, b, -1, len(text.split()), breaks))
    return units, headers


def _join(units: list[_Unit]) -> tuple[str, tuple[tuple[int, int], ...]]:
    """The chunk text, and where in it each page starts."""
    out = ""
    breaks: list[tuple[int, int]] = []
    for i, u in enumerate(units):
        if i and units[i - 1].block == u.block and u.table < 0:
            out += " "
        elif i:
            out += "\n"
        start = len(out)
        out += u.text
        for offset, page in u.breaks:
            if not breaks or breaks[-1][1] != page:
                breaks.append((start + offset, page))
    return out, tuple(breaks)


def _overlap(units: list[_Unit], max_words: int) -> list[_Unit]:
    """The last sentences of a chunk (prose only, at most ``max_words``) to open the next one,
    so a sentence that leans on the one before it ("Tragically, 11 of these ...") keeps it."""
    out: list[_Unit] = []
    words = 0
    for unit in reversed(units):
        if unit.table >= 0 or words + unit.words > max_words:
            break
        out.insert(0, unit)
        words += unit.words
    return out


def chunk_sections(
    doc: Document,
    sections: list[Section],
    *,
    target_words: int = 170,
    max_words: int = 230,
    min_words: int = 120,
    overlap_words: int = 40,
    meta: Mapping[str, MetaValue] | None = None,
) -> list[Chunk]:
    groups: list[tuple[Section, list[_Unit]]] = []
    for section in sections:
        units, headers = _units(section, max_words)
        current: list[_Unit] = []
        words = 0
        section_groups: list[list[_Unit]] = []
        for unit in units:
            if current and words + unit.words > max_words:
                section_groups.append(current)
                current = _overlap(current, overlap_words)
                words = sum(u.words for u in current)
            header = headers.get(unit.table)
            if header is not None and header is not unit and header not in current:
                current, words = [*current, header], words + header.words
            current.append(unit)
            words += unit.words
            if words >= target_words:
                section_groups.append(current)
                current = _overlap(current, overlap_words)
                words = sum(u.words for u in current)
        if current and section_groups and all(u in section_groups[-1] for u in current):
            current = []  # only the overlap is left: nothing new to index
        if current:
            tail_words = sum(u.words for u in current)
            prev_words = sum(u.words for u in section_groups[-1]) if section_groups else 0
            if (
                section_groups
                and tail_words < min_words // 2
                and (prev_words + tail_words <= max_words)
            ):
                section_groups[-1].extend(u for u in current if u not in section_groups[-1])
            else:
                section_groups.append(current)
        groups.extend((section, g) for g in section_groups)

    chunks: list[Chunk] = []
    for index, (section, units) in enumerate(groups):
        text, breaks = _join(units)
        chunks.append(
            Chunk(
                chunk_id=f"{doc.doc_id[:20]}-{index:05d}",
                doc_id=doc.doc_id,
                title=doc.title,
                file=doc.file,
                section=section.heading,
                page_start=min(u.page_start for u in units),
                page_end=max(u.page_end for u in units),
                index=index,
                text=text,
                meta=dict(meta or {}),
                page_breaks=breaks,
            )
        )
    return chunks
