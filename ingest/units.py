"""The quotable units of a passage: sentences, table rows, list items with their lead-in.

An answer quotes units, never anything else. What is not content is left out here, once, for
every answerer: a ``Source:`` or URL line, the document's title or the passage's heading
repeated as a line, other headings (a short line that ends without punctuation and leads
nothing), navigation ("Home > News > ..."), a date on its own, and units of under three words.

A list lead-in ("Professionals must be able to:") is never a unit alone: it becomes a ``list``
unit that runs to the end of its items, and each item is an ``item`` unit that carries the
lead-in's span, so the item is scored (and quoted) with it. A table row carries its table's
heading row the same way.

Ingest embeds every unit (``embedding_text``) and stores the vectors with the passage;
answering recomputes the spans from the same text with the same function, so the two always
agree (``UNITS_VERSION`` changes when this function does).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from assistant.types import Chunk
from ingest.sentences import sentence_spans

UNITS_VERSION = 3
UnitKind = Literal["sentence", "row", "item", "list"]

_ITEM = re.compile(r"^(?:• |\d{1,2}[.)] |[a-z][.)] )")
_URL_LINE = re.compile(r"^(?:source|url|link|from|retrieved from|available at)?\s*:?\s*"
                       r"(?:https?://|www\.)\S*$", re.I)
_SOURCE = re.compile(r"^(?:source|url|link|published|updated|last updated|posted|date)\s*:", re.I)
_NAV = re.compile(r"\s(?:>|›|»|\|)\s")
_MONTHS = ("january|february|march|april|may|june|july|august|september|october|november|"
           "december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec")
_DATE = re.compile(
    rf"^(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s)?(?:\d{{1,2}}(?:st|nd|rd|th)?\s)?"
    rf"(?:{_MONTHS})\.?,?\s(?:\d{{1,2}}(?:st|nd|rd|th)?,?\s)?\d{{4}}$"
    r"|^\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}$",
    re.I,
)
_ENDS_SENTENCE = re.compile(r"[.!?;:…][\"'”’)\]]*$")
_WORD = re.compile(r"[A-Za-z0-9]")
_LOWER = re.compile(r"[a-z]")
_HEADING_WORDS = 12


@dataclass(frozen=True)
class Unit:
    start: int
    end: int
    kind: UnitKind
    lead: tuple[int, int] | None = None  # an item's lead-in, a row's heading row


def _collapsed(text: str) -> str:
    return " ".join(text.split()).strip(" .:").lower()


def is_furniture(line: str, *, title: str = "", section: str = "") -> bool:
    """A line no answer quotes: a source or URL line, a title or heading, navigation, a date."""
    stripped = line.strip()
    if not stripped or not _WORD.search(stripped):
        return True
    if _URL_LINE.match(stripped) or _SOURCE.match(stripped):
        return True
    folded = _collapsed(stripped)
    if folded and folded in {_collapsed(title), _collapsed(section)}:
        return True
    if _DATE.match(stripped.strip(" .")):
        return True
    return len(_NAV.findall(stripped)) >= 2 and not _ENDS_SENTENCE.search(stripped)


def _is_heading(line: str) -> bool:
    """A short line without closing punctuation: a heading, unless a list follows it."""
    stripped = line.strip()
    if len(stripped.split()) <= 2 * _HEADING_WORDS and not _LOWER.search(stripped):
        return True  # "TRIENNIAL REVIEW OF ... (2018-2021):"
    return len(stripped.split()) <= _HEADING_WORDS and not _ENDS_SENTENCE.search(stripped)


def units(text: str, *, title: str = "", section: str = "") -> list[Unit]:
    """The quotable units of ``text`` in reading order (offsets into ``text``)."""
    lines: list[tuple[int, int, str]] = []
    offset = 0
    for line in text.split("\n"):
        lines.append((offset, offset + len(line), line))
        offset += len(line) + 1
    out: list[Unit] = []
    header: tuple[int, int] | None = None
    i = 0
    while i < len(lines):
        start, end, line = lines[i]
        if "\t" in line:  # a table row: the first of a run is the heading row
            if header is None:
                header = (start, end)
                out.append(Unit(start, end, "row"))
            else:
                out.append(Unit(start, end, "row", header))
            i += 1
            continue
        header = None
        j = i + 1
        while j < len(lines) and _ITEM.match(lines[j][2]):
            j += 1
        leads_list = j > i + 1 and not _ITEM.match(line)
        if is_furniture(_ITEM.sub("", line), title=title, section=section):
            i += 1
            continue
        if _ITEM.match(line):  # an item with no lead-in line before it
            if _is_item(line, title, section):
                out.append(Unit(start, end, "item"))
            i += 1
            continue
        spans = sentence_spans(line)
        body = [(start + s, start + e) for s, e in spans]
        if leads_list and body:
            *rest, lead = body
            out.extend(_plain(text, rest))
            out.append(Unit(lead[0], lines[j - 1][1], "list"))
            out.extend(
                Unit(s, e, "item", lead)
                for s, e, item in lines[i + 1 : j]
                if _is_item(item, title, section)
            )
            i = j
            continue
        if _is_heading(line) and len(body) <= 1:
            i += 1
            continue
        out.extend(_plain(text, body))
        i += 1
    return _joined(text, out)


def _is_item(line: str, title: str, section: str) -> bool:
    body = _ITEM.sub("", line)
    return _long_enough(body) and not is_furniture(body, title=title, section=section)


def _joined(text: str, found: list[Unit]) -> list[Unit]:
    """A sentence or item that ends with a colon but leads no list of its own ("The Chief
    Inspector said:", "These include:") is joined to the unit after it; at the end of a
    passage, with nothing after it, it goes."""
    out: list[Unit] = []
    i = 0
    while i < len(found):
        unit = found[i]
        while (
            unit.kind in ("sentence", "item")
            and text[unit.start : unit.end].rstrip().endswith(":")
            and i + 1 < len(found)
            and found[i + 1].kind != "list"
        ):
            i += 1
            unit = Unit(unit.start, max(unit.end, found[i].end), unit.kind, unit.lead)
        if unit.kind in ("sentence", "item") and text[unit.start : unit.end].rstrip().endswith(
            ":"
        ):
            i += 1  # a lead-in with nothing after it in this passage
            continue
        out.append(unit)
        i += 1
    return out


def _plain(text: str, spans: list[tuple[int, int]]) -> list[Unit]:
    return [Unit(s, e, "sentence") for s, e in spans if _long_enough(text[s:e])]


def _long_enough(span: str) -> bool:
    return len(span.split()) >= 3


def embedding_text(text: str, unit: Unit, *, title: str = "", section: str = "") -> str:
    """What is embedded for ``unit``: the document's title and the passage's heading, then an
    item's lead-in or a row's heading row, then the unit. With its context a sentence such as
    "Tragically, 11 of these children died." matches a question about the review it is from
    (measured on the development sets: the right unit ranked first for 31% of questions with
    the context, 23% without; mean reciprocal rank 0.43 against 0.33)."""
    body = text[unit.start : unit.end]
    lead = f"{text[unit.lead[0] : unit.lead[1]]} " if unit.lead else ""
    head = ". ".join(dict.fromkeys(h for h in (title.strip(), section.strip()) if h))
    return f"{head}. {lead}{body}" if head else f"{lead}{body}"


def chunk_units(chunk: Chunk) -> list[Unit]:
    """The units of a stored passage (its title and heading are not content). The passages a
    question reads are split once for retrieval and once for the answer step; the last few
    thousand splits are kept (units are immutable)."""
    return list(_units_of(chunk.text, chunk.title, chunk.section))


def forget_splits() -> None:
    """Empty the cache of ``chunk_units`` (timings of repeated questions)."""
    _units_of.cache_clear()


@functools.lru_cache(maxsize=4096)
def _units_of(text: str, title: str, section: str) -> tuple[Unit, ...]:
    return tuple(units(text, title=title, section=section))


def unit_texts(chunks: Sequence[Chunk]) -> tuple[list[str], list[list[int]]]:
    """The distinct texts to embed for the units of ``chunks`` (a sentence that overlapping
    chunks share is embedded once), and for each chunk the rows of its units in that list."""
    per_chunk = [
        [embedding_text(c.text, u, title=c.title, section=c.section) for u in chunk_units(c)]
        for c in chunks
    ]
    row: dict[str, int] = {}
    for texts in per_chunk:
        for t in texts:
            row.setdefault(t, len(row))
    return list(row), [[row[t] for t in texts] for texts in per_chunk]


def embed_units(
    chunks: Sequence[Chunk], embed: Callable[[list[str]], npt.NDArray[np.float32]]
) -> list[npt.NDArray[np.float32]]:
    """Each chunk's unit vectors, shape (units, dim)."""
    distinct, rows = unit_texts(chunks)
    vectors = embed(distinct) if distinct else np.zeros((0, 0), dtype=np.float32)
    return [vectors[r] if r else np.zeros((0, 0), dtype=np.float32) for r in rows]
