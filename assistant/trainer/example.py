"""A practice example as every trainer feature shows it: what changed (or the learning to
apply, or the good practice found), and where the document gives them, why and how; each
part a verbatim quote with its page. Found by ``assistant.trainer.examples``."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from assistant.trainer.passages import Cited, DocText

CHANGE, LEARNING, GOOD_PRACTICE = "change", "learning", "good practice"
# What the first part of an example is called, by its kind.
LEAD = {CHANGE: "What changed", LEARNING: "Learning to apply", GOOD_PRACTICE: "Good practice"}
MARKERS = frozenset("•●▪◦·*–-")


@dataclass(frozen=True)
class Example:
    area: str | None  # the area as the document names it ("Glasgow Child Protection Committee")
    themes: tuple[str, ...]
    document: str
    file: str
    what_changed: Cited  # for a learning or good-practice example, that learning or practice
    why: Cited | None = None
    how: Cited | None = None
    structured: bool = False  # True: the document gives what changed, why and how itself
    attribution: str | None = None  # who said it, when the example is a quotation
    places: tuple[str, ...] = ()  # gazetteer places of its passages ("Glasgow City")
    chunk_ids: tuple[str, ...] = field(default=(), compare=False)
    kind: str = CHANGE  # CHANGE, LEARNING or GOOD_PRACTICE
    heading: str | None = None  # the document's own heading over it ("What we learned")

    @property
    def key(self) -> str:
        c = self.what_changed
        digest = hashlib.sha1(c.quote.encode()).hexdigest()[:10]
        return f"{c.chunk_ids[0]}@{c.page_start}:{digest}"

    def parts(self) -> list[tuple[str, Cited]]:
        out = [(LEAD.get(self.kind, LEAD[CHANGE]), self.what_changed)]
        out += [(name, c) for name, c in (("Why", self.why), ("How", self.how)) if c]
        return out

    def to_dict(self) -> dict[str, Any]:
        def part(c: Cited | None) -> dict[str, Any] | None:
            return c.to_dict() if c else None

        return {"area": self.area, "themes": list(self.themes), "document": self.document,
                "file": self.file, "kind": self.kind, "heading": self.heading,
                "what_changed": part(self.what_changed), "why": part(self.why),
                "how": part(self.how), "structured": self.structured,
                "attribution": self.attribution, "places": list(self.places)}


def meta_list(doc: DocText, ids: set[str], key: str) -> list[str]:
    """The values of list field ``key`` of the chunks ``ids`` of ``doc``, in order, once each."""
    out: list[str] = []
    for chunk in doc.chunks:
        value = chunk.meta.get(key)
        if chunk.chunk_id in ids and isinstance(value, list):
            out.extend(str(v) for v in value if str(v) not in out)
    return out


def run_end(doc: DocText, spans: list[tuple[int, int]], budget: int, first: int = 0) -> int:
    """Where a run of sentences ``spans`` from the ``first`` on ends: at ``budget`` words or
    at the end of its paragraph."""
    end = spans[first][1]
    words = len(doc.text[spans[first][0] : end].split())
    for s, e in spans[first + 1 :]:
        n = len(doc.text[s:e].split())
        if words + n > budget or "\n\n" in doc.text[end:s]:
            break
        end, words = e, words + n
    return end


def run_of(doc: DocText, spans: list[tuple[int, int]], budget: int, first: int = 0
           ) -> Cited | None:
    """Sentences ``spans`` from the ``first`` on, up to ``budget`` words, within a paragraph."""
    if not spans:
        return None
    first = first if first < len(spans) else 0
    return doc.cite(item_start(doc, spans[first][0]), run_end(doc, spans, budget, first))


def item_start(doc: DocText, start: int) -> int:
    """Where the words at ``start`` begin: a list item is quoted without its marker."""
    while doc.text[start : start + 1] in MARKERS and doc.text[start + 1 : start + 2] == " ":
        start += 2
    return start


def render_text(examples: list[Example]) -> str:
    """The examples as `rla examples` prints them."""
    if not examples:
        return "No practice example in the indexed documents matches these filters."
    blocks = []
    for n, ex in enumerate(examples, start=1):
        head = f"{n}. {ex.area or ex.document}"
        if ex.themes:
            head += f"  [{', '.join(ex.themes)}]"
        lines = [head]
        if ex.area:
            lines.append(f"   ({ex.document})")
        for name, c in ex.parts():
            lines.append(f"   {name}: \"{c.quote}\"\n      ({c.label()}; {c.file})")
        if ex.attribution:
            lines.append(f"   — {ex.attribution}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
