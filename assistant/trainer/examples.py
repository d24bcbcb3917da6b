"""`rla examples`: practice examples, i.e. passages that describe a change made in response to
review learning (a new pathway, tool, procedure, training, supervision model, audit, ...), the
learning a review asks practitioners to apply, or the good practice it found.

Three shapes are read, none of them particular to one report:

- **Headed parts.** Under a heading that says what it holds, as local learning briefs and
  seven-minute briefings set them out ("What has changed", "Actions taken", "Impact", "What we
  learned", "Key learning", "What should practitioners do", "What good practice did we
  find?"), whether the heading is a section of the document or a line of its own in the text.
  Where a report gives what changed, why and how under their own sub-headings, as the
  2018-2021 triennial review's Appendix 4 does ("The change in practice", "The findings and
  recommendations which influenced change", "How partners worked together to achieve
  change"), the example keeps them: what changed, why and how, each a verbatim quote.
- **A change in running text:** a sentence that names a change (developed, introduced,
  piloted, ...) to a thing practice uses (pathway, tool, training, ...) beside words that tie
  it to review learning (SCR, findings, recommendations, "as a result of", ...), quoted from
  that tie on when it stands just before; inside a quotation, the whole quotation is, with
  its attribution.
- **Learning to apply in running text:** "practitioners should ...", "professionals need to
  ...", "remind practitioners ...", tied to review learning in the same way.

A passage that only describes a document ("This briefing summarises ...") or lists titles
(a heading over a list of briefings) is not an example: the words under a heading must make
sentences.
"""

from __future__ import annotations

import re
import threading
import weakref
from dataclasses import replace
from typing import TYPE_CHECKING

from assistant.library.filters import Filters
from assistant.trainer.example import (
    CHANGE,
    GOOD_PRACTICE,
    LEARNING,
    Example,
    item_start,
    meta_list,
    render_text,
    run_end,
    run_of,
)
from assistant.trainer.headed import (  # its patterns here are tried by the linear-time guard
    HEADINGS,
    Part,
    parts_in,
    sentence_runs,
    stage,
)
from assistant.trainer.passages import Cited, DocText, documents
from assistant.trainer.speech import Speech, speech_in
from ingest.sections import no_findings, not_content
from ingest.themes import Taxonomy, tag_passage
from vectorstore.where import where_matches

if TYPE_CHECKING:
    from assistant.library.catalog import Catalog

__all__ = ["HEADINGS", "Example", "all_examples", "examples_in", "find_examples",
           "names_change", "render_text", "stage"]

CHANGE_VERB = re.compile(
    r"\b(?:develop(?:ed|ing)|introduc(?:ed|ing)|establish(?:ed|ing)|implement(?:ed|ing)|"
    r"launch(?:ed|ing)|creat(?:ed|ing)|devised|pilot(?:ed|ing)?|relaunch(?:ed)?|rolled out|"
    r"put in place|in place|set up|adopt(?:ed|ing)?|agreed|commissioned|revised|updated|"
    r"redesigned|realign\w*|embedded|initiated|organi[sz]ed|formed|refreshed|built in|"
    r"brought in|made available|led to|increased focus|made a commitment|convened|"
    r"strengthened|extended|expanded|replaced)\b", re.I)
_ART = (r"(?:pathways?|tools?|toolkits?|procedures?|protocols?|guidance|guides?|training|"
        r"courses?|sessions?|supervision|models?|audits?|briefings?|resource packs?|"
        r"resources?|polic(?:y|ies)|frameworks?|forums?|sub-?groups?|groups?|teams?|"
        r"strateg(?:y|ies)|programmes?|checklists?|chronolog\w+|assessments?|instructions?|"
        r"plans?|planning|events?|summits?|networks?|approach(?:es)?|champions?|datasets?|"
        r"hubs?|campaigns?|animations?|videos?|leaflets?|templates?|webinars?)")
_DONE = (r"(?:developed|introduced|established|implemented|launched|created|devised|piloted|"
         r"relaunched|rolled out|put in place|set up|adopted|agreed|commissioned|revised|"
         r"updated|redesigned|embedded|initiated|organi[sz]ed|formed|refreshed|built in|"
         r"brought in|made available|provided|delivered|used|held|tested|extended|expanded|"
         r"strengthened|replaced)")
_ACTIVE = (r"(?:developed|introduced|established|implemented|launched|created|devised|"
           r"piloted|piloting|to pilot|set up|adopted|agreed|commissioned|revised|updated|"
           r"redesigned|initiated|organi[sz]ed|formed|refreshed|convened|made a commitment "
           r"to)")
NAMES_CHANGE = re.compile(
    rf"\b{_ART}\b(?:[\s,]+[\w'’-]+){{0,6}}?[\s,]+(?:was|were|has been|have been|had been)"
    rf"\s+(?:now\s+)?(?:\w+ly\s+)?{_DONE}\b"
    rf"|\b{_ACTIVE}\s+(?:(?:a|an|the|their|its|our|new|\[a\]|\[a new)\s+)?"
    rf"(?:[\w/()-]+\s+){{0,4}}?{_ART}\b"
    rf"|\b{_ART}\b.{{0,120}}?\bis in place\b|\bincreased focus on\b"
    rf"|\bled to (?:a|an|the)?\s*(?:[\w-]+\s+){{0,3}}?{_ART}\b", re.I)
NEW_THING = re.compile(rf"\bnew\s+(?:[\w-]+\s+){{0,3}}?{_ART}\b", re.I)
_REVIEWS = r"(?:reviews?|SCRs?|CSPRs?|LCSPRs?|CPRs?|CMRs?|ICRs?|audits?|inspections?)"
_LEARNT = (rf"(?:{_REVIEWS}|findings?|recommendations?|learning|lessons?|deaths?|reports?|"
           r"analys[ie]s|cases?)")
_CAUSE = r"(?:as a result of|in response to|arising from|following)"
TRIGGER = re.compile(
    rf"\b(?:findings|recommendations?|learning (?:from|arising|identified)|lessons|"
    rf"catalysts?|informed by|{_CAUSE}\s+(?:[\w'’-]+\s+){{0,4}}?{_LEARNT}\b|"
    rf"following (?:from|two)\b|{_REVIEWS}(?:\s+[\w-]+){{0,2}}?\s+(?:have|has|had)\s+"
    rf"(?:\w+\s+)?(?:led|highlighted|identified|shown|found)|"
    rf"{_REVIEWS} (?:found|highlighted|identified|showed))", re.I)
# A sentence that opens with what it answers: the example is quoted from it on.
TIE_OPENS = re.compile(
    rf"^\W*(?:{_CAUSE}\b|the (?:[\w-]+ ){{0,2}}?{_REVIEWS} (?:found|highlighted|identified|"
    rf"showed))", re.I)
# A document that is learning from reviews as a whole (its title says so).
LEARNING_DOC = re.compile(
    r"\b(?:learning (?:from|briefing)|lessons (?:from|learn\w*)|(?:7|seven)[- ]minute "
    r"briefings?|analys[ie]s of (?:serious |significant )?case reviews|(?:triennial|biennial) "
    r"(?:analysis|review)|learning reviews?)\b", re.I)
GOOD_OPENS = re.compile(
    r"^\W*(?:a (?:good|positive|strong) example\b|an example of (?:good|effective|strong) "
    r"practice\b|(?:examples of )?good practice (?:was|is|were) (?:seen|evident|found|noted|"
    r"identified)\b)", re.I)
NOT_DONE = re.compile(r"\b(?:should|must|would|could|will|needs? to|may wish|recommend(?:s|ed|"
                      r"ing)?|(?:is|are) due to|plans? to|intends? to)\b", re.I)
_WHO = r"(?:practitioners?|professionals?|staff|workers|managers|agencies|partners)"
LEARN = re.compile(
    rf"\b{_WHO}\b(?:\s+[\w'’-]+){{0,8}}?\s+(?:should|must|needs? to|are (?:reminded|"
    rf"encouraged|asked|expected|advised) to)\b|\bremind(?:s|ed|ing)?\s+(?:all\s+)?{_WHO}\b",
    re.I)
NOT_LEARNING = re.compile(r"\b(?:recommend\w*|calls? for|called for|urged?)\b", re.I)
# A sentence about the document itself or its parts, not about practice.
ABOUT = re.compile(
    r"\b(?:this|the following|these|our|each|the)\s+(?:[\w-]+\s+){0,3}?(?:briefings?|reports?|"
    r"reviews?|guidance|documents?|pages?|summary|site|statement|paper)\s+(?:summari[sz]es|"
    r"highlights|outlines|provides|sets out|aims|draws|explores|looks|presents|shares|focuses|"
    r"is based|are based|is designed|are designed|is intended|will be|makes? \w+ "
    r"recommendations|made \w+ recommendations|contains)\b", re.I)
KINDS = {"change": CHANGE, "partnership": CHANGE, "learning": LEARNING,
         "good": GOOD_PRACTICE}
WHAT_WORDS, WHY_WORDS, HOW_WORDS = 80, 60, 60
LEAST_WORDS = 6  # fewer words than this are a title or a list item, not a sentence
PART_WORDS = 300  # a briefing's part is shorter; a longer section is a chapter
Span = tuple[int, int]


def _words(doc: DocText, span: Span) -> int:
    return len(doc.text[span[0] : span[1]].split())


def _opens(doc: DocText, span: Span, kind: str) -> bool:
    """Whether an example of ``kind`` may open with this sentence: a sentence (not a title),
    not about the document; for a change, one that names it; for learning or good practice,
    one that does not (a change under "Learning" is an example of what changed)."""
    text = doc.text[span[0] : span[1]]
    if _words(doc, span) < LEAST_WORDS or ABOUT.search(text):
        return False
    if kind == CHANGE:
        return (names_change(text) or bool(CHANGE_VERB.search(text))) \
            and not NOT_DONE.search(text)
    return not _is_change(text)


def _quote(doc: DocText, spans: list[Span], kind: str, budget: int, given: bool = False
           ) -> Cited | None:
    """From the first sentence an example of ``kind`` may open with (or, for a part the
    document sets out as what changed, why and how, ``given``, the first sentence) up to
    ``budget`` words; learning stops before a sentence that names a change."""
    first = next((i for i, s in enumerate(spans) if _opens(doc, s, kind)), None)
    if first is None and given and spans:
        first = 0
    if first is None:
        return None
    run = spans[first:]
    if kind == LEARNING:
        stop = next((i for i, s in enumerate(run) if _is_change(doc.text[s[0] : s[1]])),
                    len(run))
        run = run[:stop]
    return run_of(doc, run, budget)


def _is_change(text: str) -> bool:
    return names_change(text) and not NOT_DONE.search(text)


def _themes(doc: DocText, taxonomy: Taxonomy, ids: set[str], text: str, chunk_themes: bool
            ) -> tuple[str, ...]:
    found = [t.theme for t in tag_passage(taxonomy, text)]
    if chunk_themes:
        found += meta_list(doc, ids, "themes")
    return tuple(t.id for t in taxonomy.themes if t.id in set(found))


def _spans(doc: DocText, parts: list[Part]) -> list[Span]:
    return [s for p in parts for run in sentence_runs(doc, p.start, p.end) for s in run]


def _groups(parts: list[Part]) -> tuple[list[dict[str, list[Part]]], list[Part]]:
    """Parts of one area's what, why and how together; learning and good practice alone."""
    groups: list[tuple[str, dict[str, list[Part]]]] = []
    singles: list[Part] = []
    previous: Part | None = None
    for p in parts:
        if p.part in ("learning", "good"):
            singles.append(p)
            continue
        last = groups[-1][1] if groups and groups[-1][0] == p.group else None
        going_on = previous is not None and previous.part == p.part \
            and previous.heading == p.heading  # one section over several chunks
        if last is not None and (p.part not in last or going_on):
            last.setdefault(p.part, []).append(p)
        else:
            groups.append((p.group, {p.part: [p]}))
        previous = p
    return [g for _, g in groups], singles


def _short(doc: DocText, parts: list[Part]) -> bool:
    """A briefing's part, not a chapter: a long section is read as running text."""
    return sum(len(doc.text[p.start : p.end].split()) for p in parts) <= PART_WORDS


def _headed(doc: DocText, taxonomy: Taxonomy, taken: list[Span]) -> list[Example]:
    """Examples under the document's headings (what they cover is added to ``taken``)."""
    groups, singles = _groups(parts_in(doc))
    out: list[Example] = []
    for parts in groups:
        what_parts = parts.get("change") or parts.get("partnership") or []
        given = len(parts) > 1 and "change" in parts  # what changed, why and how, as set out
        if not what_parts or not (given or _short(doc, what_parts)):
            continue
        what = _quote(doc, _spans(doc, what_parts), CHANGE, WHAT_WORDS, given)
        if what is None:
            continue
        why = how = None
        if given:
            finding, partners = _spans(doc, parts.get("finding", [])), \
                _spans(doc, parts.get("partnership", []))
            why = run_of(doc, finding, WHY_WORDS) if finding else None
            how = run_of(doc, partners, HOW_WORDS) if partners else None
        taken.extend((p.start, p.end) for ps in parts.values() for p in ps)
        ids = {i for c in (what, why, how) if c for i in c.chunk_ids}
        ids |= {doc.chunk_at(p.start).chunk_id for ps in parts.values() for p in ps}
        quoted = " ".join(c.quote for c in (what, why, how) if c)
        places = tuple(meta_list(doc, ids, "areas"))
        area = what_parts[0].group if given else (places[0] if places else None)
        out.append(Example(area, _themes(doc, taxonomy, ids, quoted, given), doc.title,
                           what.file, what, why, how, bool(why or how), None, places,
                           tuple(sorted(ids)), CHANGE, what_parts[0].heading))
    for p in singles:
        if not _short(doc, [p]):
            continue
        kind = KINDS[p.part]
        for run in sentence_runs(doc, p.start, p.end):
            cited = _quote(doc, run, kind, WHAT_WORDS)
            if cited is None:
                continue
            start = doc.text.find(cited.quote.split()[0], run[0][0])
            taken.append((start, start + len(cited.quote)))
            ids = set(cited.chunk_ids)
            places = tuple(meta_list(doc, ids, "areas"))
            lead = doc.text[p.start : run[0][0]].strip().rsplit("\n", 1)[-1]
            themes = _themes(doc, taxonomy, ids, f"{lead} {cited.quote}", False)
            out.append(Example(places[0] if places else None, themes, doc.title, cited.file,
                               cited, places=places, chunk_ids=tuple(sorted(ids)), kind=kind,
                               heading=p.heading))
    return out


def _kind_of(sentence: str) -> str | None:
    """What an example opening with ``sentence`` in running text would be, if anything."""
    if ABOUT.search(sentence):
        return None
    if GOOD_OPENS.search(sentence):
        return GOOD_PRACTICE
    if _is_change(sentence):
        return CHANGE
    if LEARN.search(sentence) and not NOT_LEARNING.search(sentence):
        return LEARNING
    return None


def _detected(doc: DocText, taxonomy: Taxonomy, speech: list[Speech], taken: list[Span]
              ) -> list[Example]:
    """Changes, learning to apply and good practice in running text, tied to review learning
    (in the sentence or one of the two before it; learning also by the document's title)."""
    out: list[Example] = []
    whole = bool(LEARNING_DOC.search(doc.title))
    for block in doc.blocks:
        if not_content(block.section) or no_findings(block.section):
            continue
        spans = doc.sentences(block.start, block.end)
        content = [s for s in spans if _words(doc, s) >= LEAST_WORDS]
        for n, (s, e) in enumerate(content):
            kind = _kind_of(doc.text[s:e])
            if kind is None or any(x < e and s < y for x, y in taken):
                continue
            before = [b for b in content[max(n - 2, 0) : n] if "\n\n" not in doc.text[b[1] : s]
                      and TRIGGER.search(doc.text[b[0] : b[1]])]
            tied = TRIGGER.search(doc.text[s:e]) or before or (whole and kind == LEARNING)
            if not tied and kind != GOOD_PRACTICE:
                continue
            said = next((sp for sp in speech if sp.start <= s and e <= sp.end + 1), None)
            a, b = (said.start, said.end) if said else (s, e)
            if kind == GOOD_PRACTICE and not said:  # the example the sentence announces
                b = run_end(doc, [x for x in spans if x[0] >= s], WHAT_WORDS)
            opener = next((t for t in before if t == content[n - 1] or
                           TIE_OPENS.search(doc.text[t[0] : t[1]])), None)
            if opener and not said and _words(doc, (opener[0], e)) <= WHAT_WORDS:
                a = opener[0]  # quoted from the learning it answers on
            if any(x < b and a < y for x, y in taken):
                continue
            taken.append((a, b))
            what = doc.cite(item_start(doc, a), b)
            ids = set(what.chunk_ids)
            places = tuple(meta_list(doc, ids, "areas"))
            out.append(Example(places[0] if places else None,
                               _themes(doc, taxonomy, ids, what.quote, False), doc.title,
                               what.file, what, attribution=said.attribution if said else None,
                               places=places, chunk_ids=tuple(sorted(ids)), kind=kind))
    return out


def names_change(sentence: str) -> bool:
    """Whether a sentence says a thing practice uses was made, changed or put in place."""
    return bool(NAMES_CHANGE.search(sentence)
                or (NEW_THING.search(sentence) and CHANGE_VERB.search(sentence)))


def examples_in(doc: DocText, taxonomy: Taxonomy) -> list[Example]:
    """Every practice example of one document, in reading order."""
    taken: list[Span] = []
    found = _headed(doc, taxonomy, taken)
    found += _detected(doc, taxonomy, speech_in(doc), taken)
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
    rest = replace(filters, themes=())  # themes are matched on each example, below
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
