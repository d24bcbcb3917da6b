"""A document's stored text read back in order: its chunks stitched together where they
overlap, so that a quotation or a structured example can be followed across a chunk boundary
and cited verbatim with the pages it stands on.

Consecutive chunks of one section overlap by a few sentences; the overlap is taken out when
they are joined. Where the section changes, or the next chunk does not open with the end of
the one before, the join is a hard break (a blank line) and the headings that open the next
block are kept, because a review often gives a quotation's source as a line of its own after
it ("(survey response)"), which section detection turns into a heading.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from assistant.text import collapse
from assistant.types import Chunk, pages_label
from ingest.sentences import sentence_spans

HARD_BREAK = "\n\n"
_MAX_OVERLAP = 1200  # characters; the chunker's overlap is at most ~40 words


@dataclass(frozen=True)
class Cited:
    """A verbatim span of stored text and where it stands: the unit every trainer feature
    shows, with a footnote made of its document, page and section."""

    quote: str  # whitespace collapsed, otherwise exactly as stored
    title: str
    file: str
    section: str
    page_start: int
    page_end: int
    chunk_ids: tuple[str, ...]
    doc_id: str = ""

    @property
    def pages_label(self) -> str:
        return pages_label(self.page_start, self.page_end)

    def label(self) -> str:
        """``Title, p. 28, Section`` (attribution headings left out of the section)."""
        parts = [self.title, self.pages_label]
        if section_label(self.section):
            parts.append(section_label(self.section))
        return ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {"quote": self.quote, "page_start": self.page_start, "page_end": self.page_end,
                "section": self.section, "chunk_id": self.chunk_ids[0],
                "chunk_ids": list(self.chunk_ids), "file": self.file, "title": self.title}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Cited:
        chunk_ids = data.get("chunk_ids") or [data.get("chunk_id", "")]
        return cls(str(data["quote"]), str(data.get("title", "")), str(data.get("file", "")),
                   str(data.get("section", "")), int(data["page_start"]),
                   int(data.get("page_end", data["page_start"])),
                   tuple(str(c) for c in chunk_ids), str(data.get("doc_id", "")))


def section_label(section: str) -> str:
    """The section path without headings that are really attributions ("(survey response)")."""
    parts = [p for p in section.split(" > ") if p.strip() and not is_attribution(p)]
    return " > ".join(parts)


def is_attribution(line: str) -> bool:
    """A line that names who said the words before it: "(survey response)"."""
    line = line.strip()
    return line.startswith("(") and line.endswith(")") and 3 < len(line) <= 80


@dataclass(frozen=True)
class Block:
    """A run of stitched text under one section, ``start:end`` in ``DocText.text``."""

    section: str
    start: int
    end: int


class DocText:
    """One document's chunks (in index order) as one text, with offsets back to the chunks."""

    def __init__(self, chunks: Iterable[Chunk]) -> None:
        self.chunks: list[Chunk] = sorted(chunks, key=lambda c: c.index)
        self.starts: list[int] = []
        self.blocks: list[Block] = []
        self.headings_at: dict[int, tuple[str, ...]] = {}  # hard-break offset -> headings after
        text = ""
        prev: Chunk | None = None
        for chunk in self.chunks:
            overlap = _overlap(prev.text, chunk.text) if prev is not None else 0
            if prev is None:
                start = 0
                text = chunk.text
            elif overlap and chunk.section == prev.section:
                start = len(text) - overlap
                text += chunk.text[overlap:]
            else:
                self.headings_at[len(text)] = new_headings(prev.section, chunk.section)
                text += HARD_BREAK
                start = len(text)
                text += chunk.text
            if prev is not None and start < self.blocks[-1].end:  # stitched onto the last
                self.blocks[-1] = Block(chunk.section, self.blocks[-1].start, len(text))
            else:
                self.blocks.append(Block(chunk.section, start, len(text)))
            self.starts.append(start)
            prev = chunk
        self.text = text

    @property
    def title(self) -> str:
        return self.chunks[0].title if self.chunks else ""

    def cite(self, start: int, end: int) -> Cited:
        """``text[start:end]`` as a ``Cited`` (from the first chunk holding all of it, or
        from the chunks it runs across)."""
        while start < end and self.text[start].isspace():
            start += 1
        while end > start and self.text[end - 1].isspace():
            end -= 1
        spans = list(zip(self.starts, (s + len(c.text) for s, c in
                                       zip(self.starts, self.chunks, strict=True)), strict=True))
        whole = next((i for i, (s, e) in enumerate(spans) if s <= start and end <= e), None)
        if whole is not None:
            first = last = whole
        else:
            first = next((i for i, (s, e) in enumerate(spans) if s <= start < e), 0)
            last = next((i for i, (s, e) in enumerate(spans) if s < end <= e and i >= first),
                        first)
        a, b = self.chunks[first], self.chunks[last]
        if first == last:
            pages = a.pages_at(start - self.starts[first], end - self.starts[first])
        else:
            pages = (a.pages_at(start - self.starts[first], len(a.text))[0],
                     b.pages_at(0, end - self.starts[last])[1])
        ids = tuple(c.chunk_id for c in self.chunks[first : last + 1])
        return Cited(collapse(self.text[start:end]), a.title, a.file, a.section, pages[0],
                     pages[1], ids, a.doc_id)

    def chunk_at(self, offset: int) -> Chunk:
        best = self.chunks[0]
        for chunk, s in zip(self.chunks, self.starts, strict=True):
            if s <= offset:
                best = chunk
        return best

    def sentences(self, start: int, end: int) -> list[tuple[int, int]]:
        """Sentence spans of ``text[start:end]`` (each line split on its own)."""
        out: list[tuple[int, int]] = []
        pos = start
        for line in self.text[start:end].split("\n"):
            out.extend((pos + a, pos + b) for a, b in sentence_spans(line))
            pos += len(line) + 1
        return out


def new_headings(before: str, after: str) -> tuple[str, ...]:
    """The headings that open section ``after`` when it follows section ``before``."""
    old = [p.strip() for p in before.split(" > ")]
    new = [p.strip() for p in after.split(" > ") if p.strip()]
    i = 0
    while i < min(len(old), len(new)) and old[i] == new[i]:
        i += 1
    return tuple(new[i:]) or tuple(new[-1:])


def _overlap(prev: str, nxt: str) -> int:
    """How many characters ``nxt`` opens with that are the end of ``prev`` (whole units)."""
    for p in range(max(0, len(prev) - _MAX_OVERLAP), len(prev)):
        if p and prev[p - 1] not in " \n":
            continue
        tail = prev[p:]
        if tail.strip() and nxt.startswith(tail) and nxt[len(tail) : len(tail) + 1] in ("", " ",
                                                                                         "\n"):
            return len(tail)
    return 0


def documents(chunks: Sequence[Chunk]) -> list[DocText]:
    """Every document of ``chunks`` read back, in file order."""
    by_doc: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        by_doc.setdefault(chunk.doc_id, []).append(chunk)
    docs = [DocText(group) for group in by_doc.values()]
    return sorted(docs, key=lambda d: (d.chunks[0].file.lower(), d.chunks[0].doc_id))


def stored_text(chunks: Sequence[Chunk], chunk_ids: Sequence[str]) -> str:
    """The stitched text of the named chunks of one document (what a ``Cited`` quotes)."""
    wanted = set(chunk_ids)
    return DocText([c for c in chunks if c.chunk_id in wanted]).text
