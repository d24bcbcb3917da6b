"""Sections from the headings the loaders marked (``#`` lines), with blocks that know their pages.

A paragraph that runs on from one page to the next is joined back into one block that
remembers where the page break fell, so every sentence can be given its own page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.types import Document, page_span
from ingest.clean import MAX_WORD, Paragraph

_HEADING = re.compile(r"^(#{1,6}) (?!<?(?:https?://|www\.))(.+)$")  # a link is no heading
_LINK_HEADING = re.compile(r"^#{1,6} (?=<?(?:https?://|www\.))")
_ENDS_SENTENCE = re.compile(r"[.!?:;\"'”’)\]]\s*$")


@dataclass(frozen=True)
class Block:
    """A paragraph, list item or table row. ``breaks`` are (offset, page) pairs: the text from
    ``offset`` on is on ``page``; the first pair is always (0, page_start)."""

    kind: str  # "para" | "item" | "row"
    text: str
    breaks: tuple[tuple[int, int], ...]

    @property
    def page_start(self) -> int:
        return self.breaks[0][1]

    @property
    def page_end(self) -> int:
        return self.breaks[-1][1]

    def pages_of(self, start: int, end: int) -> tuple[int, int]:
        """The first and last page of the characters ``start:end`` of this block."""
        return page_span(self.breaks, start, end)


@dataclass(frozen=True)
class Section:
    heading_path: tuple[str, ...]
    blocks: tuple[Block, ...]

    @property
    def heading(self) -> str:
        return " > ".join(self.heading_path)


# -- what a section path says of its text ---------------------------------------------------

_LISTS = r"contents|references|bibliography"
# A heading over a list of titles: "Contents", "References", "List of references".
_TITLES = re.compile(rf"\b(?:{_LISTS})\s*$", re.I)
# A heading over no findings: just "Contents", "References", "Bibliography", "Acknowledgements".
_NO_FINDINGS = re.compile(rf"^\s*(?:{_LISTS}|acknowledg\w*)\s*$", re.I)


def last_heading(section: str) -> str:
    """The innermost heading of a section path ("Findings > Neglect" -> "Neglect")."""
    return section.rsplit(" > ", 1)[-1]


def not_content(section: str) -> bool:
    """A contents page or reference list: its words are titles, so it carries no themes (nor
    quotations, practice examples or briefing points)."""
    return bool(_TITLES.search(last_heading(section)))


def no_findings(section: str) -> bool:
    """Contents, references, a bibliography or acknowledgements: passages no answer quotes and
    no area is read from (acknowledgements may still carry themes)."""
    return bool(_NO_FINDINGS.search(last_heading(section)))


def _kind(line: str) -> str:
    if "\t" in line:
        return "row"
    if line.startswith("• ") or re.match(r"^\d{1,2}[.)] ", line):
        return "item"
    return "para"


def _heading_levels(doc: Document) -> list[tuple[int, str] | None]:
    """Each heading's effective (level, text), or None for a line merged into the heading above.

    Reports often set an area heading ("Glasgow Child Protection Committee") in the same type
    as the sub-headings beneath it ("The change in practice"). A heading followed directly by
    another of the same level, with no text between, is therefore the parent of the same-level
    headings after it, until the next such parent. Two adjacent capitalised headings of one
    level are one heading wrapped over two lines.
    """
    events: list[tuple[int, str] | None] = []  # None marks body text
    for page in doc.pages:
        for raw in page.text.split("\n"):
            line = raw.strip()
            if not line:
                continue
            m = _HEADING.match(line)
            events.append((len(m.group(1)), m.group(2).strip()) if m else None)
    out: list[tuple[int, str] | None] = []
    parent_level: int | None = None
    for i, ev in enumerate(events):
        if ev is None:
            continue
        level, text = ev
        prev = events[i - 1] if i else None
        nxt = events[i + 1] if i + 1 < len(events) else None
        if prev is not None and prev[0] == level and prev[1].isupper() and text.isupper():
            out.append(None)
            continue
        if parent_level is not None and level < parent_level:
            parent_level = None
        if nxt is not None and nxt[0] == level and not (text.isupper() and nxt[1].isupper()):
            parent_level = level
            out.append((level, text))
        elif parent_level is not None and level == parent_level:
            out.append((level + 1, text))
        else:
            out.append((level, text))
    return out


def split_sections(doc: Document) -> list[Section]:
    """Walk the pages in order; each heading starts a section whose path holds its parents."""
    levels = iter(_heading_levels(doc))
    sections: list[Section] = []
    path: list[tuple[int, str]] = []
    blocks: list[Block] = []
    # The last block, still open: a paragraph that runs on over many pages is joined page by
    # page into one Paragraph (rebuilding its whole text for each page was quadratic).
    last: _OpenBlock | None = None

    def close() -> None:
        nonlocal blocks, last
        if last is not None:
            blocks.append(last.block())
            last = None
        if blocks:
            sections.append(Section(tuple(h for _, h in path), tuple(blocks)))
        blocks = []

    for page in doc.pages:
        first_on_page = True
        for raw in page.text.split("\n"):
            line = raw.strip()
            if not line:
                continue
            m = _HEADING.match(line)
            if m:
                adjusted = next(levels)
                if adjusted is None:  # the second line of a wrapped heading
                    path[-1] = (path[-1][0], f"{path[-1][1]} {m.group(2).strip()}")
                    continue
                close()
                level, text = adjusted
                while path and path[-1][0] >= level:
                    path.pop()
                path.append((level, text))
                first_on_page = False
                continue
            line = _LINK_HEADING.sub("", line)
            if line.startswith("\\#"):
                line = line[1:]
            kind = _kind(raw)
            if (
                first_on_page
                and last is not None
                and last.kind in ("para", "item")
                and kind == "para"
                and not _ENDS_SENTENCE.search(last.text.tail(MAX_WORD))
                and line[:1].islower()
            ):
                last.breaks.append((last.text.add(line), page.number))
            else:
                if last is not None:
                    blocks.append(last.block())
                last = _OpenBlock(kind, Paragraph(line), [(0, page.number)])
            first_on_page = False
    close()
    return sections


@dataclass
class _OpenBlock:
    kind: str
    text: Paragraph
    breaks: list[tuple[int, int]]

    def block(self) -> Block:
        return Block(self.kind, self.text.text(), tuple(self.breaks))
