"""Sentences for the sections of a seven-minute briefing on one theme.

Each section takes whole sentences, verbatim, from the passages tagged with the theme, where
the sentence itself names the theme (one of its phrases stands in it) and carries the cue
words of the section: what the theme is, why it matters, what reviews found, what good
practice looks like. A sentence is used once in a briefing; a section with no such sentence
stays empty, and the handout says so rather than filling it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from assistant.text import collapse, fold
from assistant.trainer.passages import Cited
from assistant.types import Chunk
from ingest.sections import not_content
from ingest.sentences import sentence_spans
from ingest.themes import Theme, compile_phrase

CUES: dict[str, re.Pattern[str]] = {
    "what": re.compile(
        r"\b(?:is|are) (?:a|an|the)\b|\bmeans\b|\brefers? to\b|\bdefined\b|\brecurs\b|"
        r"\bcontinues? to be\b|\bremains?\b|\bprevalent\b|\bcategory\b|\bfeature\b|"
        r"\btheme\b|\bapproach to\b", re.I),
    "why": re.compile(
        r"\b(?:harm(?:ed)?|died|deaths?|fatal(?:ly)?|serious(?:ly)?|risks?|impact|affect\w*|"
        r"detrimental|wellbeing|development|outcomes?|main|most common|recurring|escalat\w+|"
        r"unnoticed|vulnerable)\b", re.I),
    "found": re.compile(
        r"\b(?:found|identified|highlighted|showed|shown|indicated|lack of|insufficient|"
        r"absence|not (?:been )?(?:sufficiently |always |adequately )?(?:recognised|identified|"
        r"responded|shared|used)|did not|were not|was not|failed|missed|hindered|noted)\b",
        re.I),
    "good": re.compile(
        r"\b(?:good practice|effective(?:ly)?|improve(?:d|ment)|better|strengthen\w*|"
        r"working well|positive(?:ly)?|confidence|confident|helpful|success\w*|"
        r"co-?ordinated|shared responsibility|useful|well received)\b", re.I),
}
_NEGATIVE = re.compile(r"\b(?:lack of|insufficient|not|no|absence|failed|poor|difficult|"
                       r"needs?|required|should|must|room for improvement|\w+n[’']t)\b", re.I)
_MARKS = " \"'“”‘’.,;:•-"
FILLER_WORDS = 10  # a document's one sentence, when it has no stronger one, is this long


@dataclass(frozen=True)
class Candidate:
    cited: Cited
    scores: dict[str, int]
    order: tuple[str, int, int]  # file, chunk index, offset: reading order


def _units(chunk: Chunk) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    offset = 0
    for line in chunk.text.split("\n"):
        if "\t" not in line:  # table rows need their headings: not for a briefing
            spans.extend((offset + s, offset + e) for s, e in sentence_spans(line))
        offset += len(line) + 1
    return spans


def candidates(chunks: Sequence[Chunk], theme: Theme) -> list[Candidate]:
    """Sentences of ``chunks`` that name ``theme``, each scored for every section."""
    patterns = [compile_phrase(p) for p in theme.phrases]
    excluded = [compile_phrase(p) for p in theme.exclude]
    seen: set[str] = set()
    out: list[Candidate] = []
    for chunk in chunks:
        if not_content(chunk.section):
            continue
        for s, e in _units(chunk):
            sentence = chunk.text[s:e]
            key = fold(sentence).strip(_MARKS)
            words = len(sentence.split())
            if key in seen or words < 6 or words > 70 or sentence.rstrip().endswith(":"):
                continue  # too short or long to stand alone, or a lead-in to a list
            if not any(p.search(sentence) for p in patterns) \
                    or any(x.search(sentence) for x in excluded):
                continue
            seen.add(key)
            scores = {name: len({m.group(0).lower() for m in cue.finditer(sentence)})
                      for name, cue in CUES.items()}
            if _NEGATIVE.search(sentence):
                scores["good"] = 0
            first, last = chunk.pages_at(s, e)
            cited = Cited(collapse(sentence), chunk.title, chunk.file, chunk.section, first,
                          last, (chunk.chunk_id,), chunk.doc_id)
            out.append(Candidate(cited, scores, (chunk.file, chunk.index, s)))
    return out


def _doc(c: Candidate) -> str:
    return c.cited.doc_id or c.cited.file


def strength(found: Sequence[Candidate]) -> dict[str, int]:
    """How much each document says about the theme: its sentences' best cue scores summed."""
    out: dict[str, int] = {}
    for c in found:
        best = max((min(v, 3) for v in c.scores.values()), default=0)
        out[_doc(c)] = out.get(_doc(c), 0) + best
    return out


def spread(
    pools: Mapping[str, tuple[Sequence[Candidate], int]], used: list[str], per_doc: int
) -> dict[str, list[Cited]]:
    """Sentences for each section (``pools``: section -> its candidates and how many it
    takes), then one more for every document that has a sentence for some section but none
    chosen yet, in the section it scores best in. No document gives more than ``per_doc``
    in all; each section's sentences come grouped by document, the strongest document first,
    and in reading order within a document; no document fills a section of two or more
    alone. The chosen quotes are added to ``used``."""
    every = [c for cands, _ in pools.values() for c in cands]
    rank = strength(every)
    chosen: dict[str, list[Candidate]] = {name: [] for name in pools}
    count: dict[str, int] = {}

    def fresh(c: Candidate) -> bool:
        return not any(c.cited.quote in u for u in used)

    def take(name: str, c: Candidate) -> None:
        chosen[name].append(c)
        used.append(c.cited.quote)
        count[_doc(c)] = count.get(_doc(c), 0) + 1

    for name, (cands, n) in pools.items():
        ranked = sorted((c for c in cands if c.scores[name] > 0),
                        key=lambda c: (-min(c.scores[name], 3), -rank[_doc(c)], c.order))
        for c in ranked:
            if len(chosen[name]) >= n:
                break
            here = sum(_doc(x) == _doc(c) for x in chosen[name])
            if fresh(c) and count.get(_doc(c), 0) < per_doc and here < max(1, n - 1):
                take(name, c)  # no document fills a section alone
    order = sorted(rank, key=lambda d: -rank[d])
    for doc in order:
        if count.get(doc):
            continue
        options = [(min(c.scores[name], 3), -len(chosen[name]), i, name, c)
                   for i, (name, (cands, _)) in enumerate(pools.items())
                   for c in cands if _doc(c) == doc and c.scores[name] > 0 and fresh(c)
                   and len(c.cited.quote.split()) >= FILLER_WORDS]
        if options:
            *_, name, c = max(options, key=lambda o: o[:3])
            take(name, c)
    place = {doc: i for i, doc in enumerate(order)}
    return {name: [c.cited for c in sorted(cs, key=lambda c: (place[_doc(c)], c.order))]
            for name, cs in chosen.items()}
