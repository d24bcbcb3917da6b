"""`rla examples`: practice examples, i.e. passages that describe a change made in response to
review learning (a new pathway, tool, procedure, training, supervision model, audit, ...).

Where a report structures its examples, as the 2018-2021 triennial review's Appendix 4 does
(an area heading, then "The change in practice", "The findings and recommendations which
influenced change" and "How partners worked together to achieve change"), that structure is
kept: what changed, why and how, each a verbatim quote. Elsewhere a sentence that names a
change (developed, introduced, piloted, ...) to a thing practice uses (pathway, tool, training,
...) beside words that tie it to review learning (SCR, findings, recommendations, ...) is an
example of what changed; inside a quotation, the whole quotation is, with its attribution.
"""

from __future__ import annotations

import hashlib
import re
import threading
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from assistant.library.filters import Filters
from assistant.trainer.passages import Block, Cited, DocText, documents
from assistant.trainer.speech import Speech, speech_in
from ingest.areatag import stage_of
from ingest.sections import not_content
from ingest.themes import Taxonomy, tag_passage
from vectorstore.where import where_matches

if TYPE_CHECKING:
    from assistant.library.catalog import Catalog

CHANGE = re.compile(
    r"\b(?:develop(?:ed|ing)|introduc(?:ed|ing)|establish(?:ed|ing)|implement(?:ed|ing)|"
    r"launch(?:ed|ing)|creat(?:ed|ing)|devised|pilot(?:ed|ing)?|relaunch(?:ed)?|rolled out|"
    r"put in place|in place|set up|adopt(?:ed|ing)?|agreed|commissioned|revised|updated|"
    r"redesigned|realign\w*|embedded|initiated|organi[sz]ed|formed|refreshed|built in|"
    r"brought in|made available|led to|increased focus|made a commitment)\b", re.I)
_ART = (r"(?:pathways?|tools?|toolkits?|procedures?|protocols?|guidance|training|courses?|"
        r"sessions?|supervision|models?|audits?|briefings?|resource packs?|polic(?:y|ies)|"
        r"frameworks?|forums?|sub-?groups?|groups?|teams?|strateg(?:y|ies)|programmes?|"
        r"checklists?|chronolog\w+|assessments?|instructions?|plans?|planning|events?|"
        r"summits?|networks?|approach(?:es)?|champions?|datasets?|hubs?)")
_DONE = (r"(?:developed|introduced|established|implemented|launched|created|devised|piloted|"
         r"relaunched|rolled out|put in place|set up|adopted|agreed|commissioned|revised|"
         r"updated|redesigned|embedded|initiated|organi[sz]ed|formed|refreshed|built in|"
         r"brought in|made available|provided|delivered|used|held|tested)")
_ACTIVE = (r"(?:developed|introduced|established|implemented|launched|created|devised|"
           r"piloted|to pilot|set up|adopted|agreed|commissioned|revised|updated|redesigned|"
           r"initiated|organi[sz]ed|formed|refreshed|made a commitment to)")
NAMES_CHANGE = re.compile(
    rf"\b{_ART}\b(?:[\s,]+[\w-]+){{0,4}}?[\s,]+(?:was|were|has been|have been|had been)"
    rf"\s+(?:now\s+)?(?:\w+ly\s+)?{_DONE}\b"
    rf"|\b{_ACTIVE}\s+(?:(?:a|an|the|their|its|our|new|\[a\]|\[a new)\s+)?"
    rf"(?:[\w/-]+\s+){{0,4}}?{_ART}\b"
    rf"|\b{_ART}\b.{{0,120}}?\bis in place\b|\bincreased focus on\b"
    rf"|\bled to (?:a|an|the)?\s*(?:[\w-]+\s+){{0,3}}?{_ART}\b", re.I)
NEW_THING = re.compile(rf"\bnew\s+(?:[\w-]+\s+){{0,3}}?{_ART}\b", re.I)
TRIGGER = re.compile(
    r"\b(?:findings|recommendations?|learning from|lessons|as a result of|in response to|"
    r"catalysts?|informed by|following (?:from|two|an?|the)\b|(?:SCRs?|ICRs?|reviews?) "
    r"(?:have|has) led)", re.I)
NOT_DONE = re.compile(r"\b(?:should|must|would|could|needs? to|may wish|recommend\w*)\b", re.I)
WHAT_WORDS, WHY_WORDS, HOW_WORDS = 80, 60, 60
# Sub-headings other reports give the same three parts (besides Appendix 4's, ``stage_of``).
_STAGES = (
    ("change", re.compile(r"^(?:what (?:has )?changed|(?:the )?changes? (?:in|to) practice|"
                          r"practice change|what we (?:did|changed))$", re.I)),
    ("finding", re.compile(r"^(?:why(?: it changed| we changed)?|what the review found|"
                           r"(?:the )?(?:findings?|learning) (?:from|of) the review)$", re.I)),
    ("partnership", re.compile(r"^(?:how(?: it was done| we did it)?|partnership working|"
                               r"how partners worked together)$", re.I)),
)


def stage(section: str) -> str | None:
    """What changed, why or how, from the sub-heading a passage stands under."""
    found = stage_of(section)
    last = section.rsplit(" > ", 1)[-1].strip().rstrip(":?")
    return found or next((name for name, p in _STAGES if p.search(last)), None)


@dataclass(frozen=True)
class Example:
    area: str | None  # the area as the document names it ("Glasgow Child Protection Committee")
    themes: tuple[str, ...]
    document: str
    file: str
    what_changed: Cited
    why: Cited | None = None
    how: Cited | None = None
    structured: bool = False  # True: the document gives what changed, why and how itself
    attribution: str | None = None  # who said it, when the example is a quotation
    places: tuple[str, ...] = ()  # gazetteer places of its passages ("Glasgow City")
    chunk_ids: tuple[str, ...] = field(default=(), compare=False)

    @property
    def key(self) -> str:
        c = self.what_changed
        digest = hashlib.sha1(c.quote.encode()).hexdigest()[:10]
        return f"{c.chunk_ids[0]}@{c.page_start}:{digest}"

    def parts(self) -> list[tuple[str, Cited]]:
        out = [("What changed", self.what_changed)]
        out += [(name, c) for name, c in (("Why", self.why), ("How", self.how)) if c]
        return out

    def to_dict(self) -> dict[str, Any]:
        def part(c: Cited | None) -> dict[str, Any] | None:
            return c.to_dict() if c else None

        return {"area": self.area, "themes": list(self.themes), "document": self.document,
                "file": self.file, "what_changed": part(self.what_changed),
                "why": part(self.why), "how": part(self.how),
                "structured": self.structured, "attribution": self.attribution,
                "places": list(self.places)}


def _meta_list(doc: DocText, ids: set[str], key: str) -> list[str]:
    out: list[str] = []
    for chunk in doc.chunks:
        value = chunk.meta.get(key)
        if chunk.chunk_id in ids and isinstance(value, list):
            out.extend(str(v) for v in value if str(v) not in out)
    return out


def _run(doc: DocText, blocks: list[Block], budget: int, first: int = 0) -> Cited | None:
    """Sentences from the ``first`` qualifying one of ``blocks`` on, up to ``budget`` words."""
    spans = [s for b in blocks for s in doc.sentences(b.start, b.end)]
    if not spans:
        return None
    start_i = first if first < len(spans) else 0
    end = spans[start_i][1]
    words = len(doc.text[spans[start_i][0] : end].split())
    for s, e in spans[start_i + 1 :]:
        n = len(doc.text[s:e].split())
        if words + n > budget or "\n\n" in doc.text[end:s]:
            break
        end, words = e, words + n
    return doc.cite(spans[start_i][0], end)


def _first_change(doc: DocText, blocks: list[Block]) -> int:
    spans = [s for b in blocks for s in doc.sentences(b.start, b.end)]
    for i, (s, e) in enumerate(spans):
        if CHANGE.search(doc.text[s:e]):
            return i
    return 0


def _structured(doc: DocText, taxonomy: Taxonomy) -> list[Example]:
    groups: list[tuple[str, dict[str, list[Block]]]] = []
    last: Block | None = None
    for block in doc.blocks:
        part = stage(block.section)
        path = [p.strip() for p in block.section.split(" > ")]
        if part is None or len(path) < 2:
            last = None
            continue
        area = path[-2]
        same = last is not None and last.section == block.section
        if groups and (same or (groups[-1][0] == area and part not in groups[-1][1])):
            groups[-1][1].setdefault(part, []).append(block)
        else:
            groups.append((area, {part: [block]}))
        last = block
    out: list[Example] = []
    for area, stages in groups:
        change = stages.get("change")
        what = _run(doc, change, WHAT_WORDS, _first_change(doc, change)) if change else None
        if what is None:
            continue
        why = _run(doc, stages.get("finding", []), WHY_WORDS)
        how = _run(doc, stages.get("partnership", []), HOW_WORDS)
        ids = {i for c in (what, why, how) if c for i in c.chunk_ids}
        ids |= {doc.chunk_at(b.start).chunk_id for bs in stages.values() for b in bs}
        quoted = " ".join(c.quote for c in (what, why, how) if c)
        themes = _ordered(taxonomy, _meta_list(doc, ids, "themes")
                          + [t.theme for t in tag_passage(taxonomy, quoted)])
        out.append(Example(area, themes, doc.title, what.file, what, why, how, True, None,
                           tuple(_meta_list(doc, ids, "areas")), tuple(sorted(ids))))
    return out


def _detected(doc: DocText, taxonomy: Taxonomy, speech: list[Speech]) -> list[Example]:
    out: list[Example] = []
    taken: list[tuple[int, int]] = []
    for block in doc.blocks:
        if stage(block.section) or not_content(block.section):
            continue
        spans = doc.sentences(block.start, block.end)
        for i, (s, e) in enumerate(spans):
            sentence = doc.text[s:e]
            context = doc.text[spans[max(i - 2, 0)][0] : e]
            if not names_change(sentence) or NOT_DONE.search(sentence) \
                    or not TRIGGER.search(context):
                continue
            said = next((sp for sp in speech if sp.start <= s and e <= sp.end + 1), None)
            a, b = (said.start, said.end) if said else (s, e)
            if any(x < b and a < y for x, y in taken):
                continue
            taken.append((a, b))
            what = doc.cite(a, b)
            ids = set(what.chunk_ids)
            places = tuple(_meta_list(doc, ids, "areas"))
            themes = _ordered(taxonomy, [t.theme for t in tag_passage(taxonomy, what.quote)])
            out.append(Example(places[0] if places else None, themes, doc.title, what.file,
                               what, attribution=said.attribution if said else None,
                               places=places, chunk_ids=tuple(sorted(ids))))
    return out


def names_change(sentence: str) -> bool:
    """Whether a sentence says a thing practice uses was made, changed or put in place."""
    return bool(NAMES_CHANGE.search(sentence)
                or (NEW_THING.search(sentence) and CHANGE.search(sentence)))


def _ordered(taxonomy: Taxonomy, ids: list[str]) -> tuple[str, ...]:
    return tuple(t.id for t in taxonomy.themes if t.id in set(ids))


def examples_in(doc: DocText, taxonomy: Taxonomy) -> list[Example]:
    """Every practice example of one document, in reading order."""
    found = _structured(doc, taxonomy) + _detected(doc, taxonomy, speech_in(doc))
    start = {id(e): doc.text.find(e.what_changed.quote[:40]) for e in found}
    return sorted(found, key=lambda e: (e.what_changed.page_start, start[id(e)]))


_cache: weakref.WeakKeyDictionary[Catalog, list[Example]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def all_examples(catalog: Catalog) -> list[Example]:
    """The practice examples of every stored document (kept while ``catalog`` lives)."""
    with _lock:
        found = _cache.get(catalog)
        if found is None:
            found = [e for d in documents(catalog.chunks)
                     for e in examples_in(d, catalog.taxonomy)]
            _cache[catalog] = found
        return found


def find_examples(catalog: Catalog, filters: Filters | None = None) -> list[Example]:
    """Practice examples on the themes and in the areas (etc.) ``filters`` name."""
    found = all_examples(catalog)
    if not filters:
        return list(found)
    themes = set(filters.themes)
    rest = Filters(areas=filters.areas, nations=filters.nations, doc_type=filters.doc_type,
                   year_from=filters.year_from, year_to=filters.year_to)
    where = rest.where()
    chunks = {c.chunk_id: c for c in catalog.chunks}
    out = []
    for example in found:
        if themes and not themes & set(example.themes):
            continue
        metas = [chunks[i].to_metadata() for i in example.chunk_ids if i in chunks]
        if where and not any(where_matches(m, where) for m in metas):
            continue
        out.append(example)
    return out


def render_text(examples: list[Example]) -> str:
    """The examples as `rla examples` prints them."""
    if not examples:
        return "No practice example in the indexed documents matches these filters."
    blocks = []
    for n, ex in enumerate(examples, start=1):
        head = f"{n}. {ex.area or 'Area not named'}"
        if ex.themes:
            head += f"  [{', '.join(ex.themes)}]"
        lines = [head]
        for name, c in ex.parts():
            lines.append(f"   {name}: \"{c.quote}\"\n      ({c.label()}; {c.file})")
        if ex.attribution:
            lines.append(f"   — {ex.attribution}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
