"""Answerers. The extractive one (the default) quotes the sentences that best answer a question.

No text is generated: every sentence of an answer is a verbatim slice of a retrieved passage
with its ``[n]``. When the evidence is too weak, or the question names a place or a thing that
the supporting passages never mention, the answer says the documents do not cover it.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from assistant.answering.citations import Quote, answer_text, build_citations
from assistant.answering.question import Question
from assistant.answering.retrieve import Retrieval
from assistant.text import FRAMING, fold, words
from assistant.types import Answer, CardKey, Chunk, Evidence
from ingest.areas import Area
from ingest.sections import no_findings
from ingest.sentences import sentence_spans
from vectorstore.keyword import tokenize

NOT_COVERED = "The indexed documents do not cover this question."
_FIGURE = re.compile(r"\d")
_ANSWER_TYPE = frozenset(
    tokenize(
        "proportion proportions percentage percent number numbers many much share rate "
        "rates figure figures amount often common prominent prevalent level levels"
    )
)
# Words that frame a question ("what do reviews say about ...") rather than name its topic.
_FRAMING = frozenset(
    tokenize(" ".join(sorted(FRAMING | words("explain explains show shows learn learned give"))))
)
_LONG = 40  # tokens: longer sentences have their lexical score damped


class Answerer(Protocol):
    """Writes the answer from a search: by quoting (extractive) or a checked LLM."""

    backend: str

    def answer(self, question: Question, retrieval: Retrieval) -> Answer: ...

    def stream(self, question: Question, retrieval: Retrieval) -> Iterator[Answer]:
        """Drafts, then the final answer (the last one yielded)."""
        ...


@dataclass(frozen=True)
class _Candidate:
    evidence: Evidence
    start: int
    end: int
    score: float
    key: str  # collapsed lower-case text, to spot the same words in two places
    terms: frozenset[str]  # the question's terms this sentence contains
    coverage: float  # the weighted share of the question's terms it contains


def _units(chunk: Chunk) -> list[tuple[int, int]]:
    """Sentence spans of a chunk; a table row (a line with tabs) is one unit."""
    spans: list[tuple[int, int]] = []
    offset = 0
    for line in chunk.text.split("\n"):
        if "\t" in line:
            spans.append((offset, offset + len(line)))
        else:
            spans.extend((offset + s, offset + e) for s, e in sentence_spans(line))
        offset += len(line) + 1
    return spans


def _table_header(chunk: Chunk, start: int) -> tuple[int, int] | None:
    """The first row of the run of table rows that the row at ``start`` belongs to."""
    lines = chunk.text.split("\n")
    offset = 0
    header: tuple[int, int] | None = None
    for line in lines:
        if "\t" in line:
            if header is None:
                header = (offset, offset + len(line))
        else:
            header = None
        if offset == start:
            return header if header and header[0] != start else None
        offset += len(line) + 1
    return None


class ExtractiveAnswerer:
    """Quote the sentences of the evidence that together best cover the question.

    Each sentence is scored by the share of the question's (IDF-weighted) terms it contains,
    damped for very long sentences, plus a small prior from its passage's similarity and
    rank. Sentences are then chosen greedily by what they add that is not covered yet, so a
    two-part question gets a sentence for each part rather than two for the first.
    """

    backend = "extractive"

    def __init__(
        self,
        idf: Callable[[str], float],
        known: Callable[[str], bool],
        *,
        min_relevance: float = 0.30,
        min_score: float = 0.35,
        min_coverage: float = 0.35,
        max_sentences: int = 5,
        max_passages: int = 3,
    ) -> None:
        self._idf = idf
        self._known = known
        self.min_relevance = min_relevance
        self.min_score = min_score
        # No sentence holds this share of the question's (weighted) words: not covered. On the
        # dev set answerable questions reach 0.40 and more; "female genital mutilation",
        # "fathers", "social media" and "Wales" stay under 0.32.
        self.min_coverage = min_coverage
        self.max_sentences = max_sentences
        self.max_passages = max_passages

    def stream(self, question: Question, retrieval: Retrieval) -> Iterator[Answer]:
        """Quoting writes no drafts: the answer, once."""
        yield self.answer(question, retrieval)

    def answer(self, question: Question, retrieval: Retrieval) -> Answer:
        evidence = retrieval.evidence
        terms = list(question.terms)
        places = list(question.places)
        unknown = [n for n in question.names if not self._known(n)]
        top_sim = max((e.dense_similarity or 0.0) for e in evidence) if evidence else 0.0
        if not evidence or unknown or top_sim < self.min_relevance:
            why = f"No indexed document mentions {', '.join(unknown)}." if unknown else NOT_COVERED
            return self._refusal(question.text, retrieval, why, suggest=not unknown)
        candidates = self._score(terms, evidence, quantity=question.wants_quantity)
        if places:  # a named place must be what the passage is about
            candidates = [c for c in candidates if _about(c.evidence.chunk, places)]
        best_coverage = max((c.coverage for c in candidates), default=0.0)
        if not candidates or candidates[0].score < self.min_score or (
            best_coverage < self.min_coverage
        ):
            why = NOT_COVERED
            if places:
                named = ", ".join(dict.fromkeys(a.name for a in places))
                why = f"The indexed documents do not cover this for {named}."
            return self._refusal(question.text, retrieval, why, suggest=True)
        chosen = self._select(
            candidates, weights=self._weights(terms), wants_list=question.wants_list
        )
        citations = build_citations(chosen)
        return Answer(
            question=question.text,
            text=answer_text(citations),
            citations=tuple(citations),
            evidence=evidence,
            backend=self.backend,
            grounded=True,
            searched_query=retrieval.query,
        )

    def _weights(self, terms: Sequence[str]) -> dict[str, float]:
        """Each term's weight: its rarity, but words that only say what kind of answer is
        wanted ("proportion", "how many") count for little: they are not the topic."""
        rarest = max((self._idf(t) for t in terms), default=1.0) or 1.0
        return {
            # A word no passage contains counts as the rarest: a question about something the
            # documents never mention is not "covered" by a sentence matching its other words.
            t: (self._idf(t) or rarest)
            * (0.1 if t in _FRAMING else 0.3 if t in _ANSWER_TYPE else 1.0)
            for t in terms
        }

    def _score(
        self, terms: Sequence[str], evidence: Sequence[Evidence], *, quantity: bool
    ) -> list[_Candidate]:
        weights = self._weights(terms)
        total = sum(weights.values()) or 1.0
        phrases = set(itertools.pairwise(terms))
        best_sim = max((e.dense_similarity or 0.0) for e in evidence) or 1.0
        out: list[_Candidate] = []
        for ev in evidence:
            chunk = ev.chunk
            if no_findings(chunk.section):
                continue  # contents pages and reference lists are not answers
            head = set(tokenize(chunk.section))
            passage = (ev.dense_similarity or 0.0) / best_sim
            for start, end in _units(chunk):
                toks = tokenize(chunk.text[start:end])
                if len(toks) < 3:
                    continue
                found = frozenset(t for t in weights if t in toks or t in head)
                lexical = sum(weights[t] for t in found) / total
                damp = min(1.0, (_LONG / len(toks)) ** 0.5)
                joined = len(phrases & set(itertools.pairwise(toks)))  # "child protection plan"
                score = (
                    lexical * damp * 0.75 + min(0.2, 0.08 * joined) + 0.2 * passage + 0.05 / ev.rank
                )
                if quantity and _FIGURE.search(chunk.text[start:end]):
                    score += 0.05
                key = fold(chunk.text[start:end])
                out.append(_Candidate(ev, start, end, score, key, found, lexical))
        out.sort(key=lambda c: -c.score)
        return out

    def _select(
        self, candidates: Sequence[_Candidate], *, weights: dict[str, float], wants_list: bool
    ) -> list[Quote]:
        max_sentences = self.max_sentences + (3 if wants_list else 0)
        max_passages = self.max_passages + (2 if wants_list else 0)
        total = sum(weights.values()) or 1.0
        floor = max(self.min_score, 0.6 * candidates[0].score)
        # Sentences from another document than the best one must be nearly as good: an
        # answer that strays across reports risks setting figures from different periods
        # or nations side by side. Where it does, each document's quotes are labelled.
        first_doc = candidates[0].evidence.chunk.doc_id
        other_floor = max(floor, 0.8 * candidates[0].score)
        pool = [
            c
            for c in candidates
            if c.score >= (floor if c.evidence.chunk.doc_id == first_doc else other_floor)
        ]
        chosen: list[_Candidate] = []
        passages: list[str] = []
        covered: set[str] = set()
        duplicates: dict[str, list[Chunk]] = {}
        while pool and len(chosen) < max_sentences:
            best = max(pool, key=lambda c: _gain(c, frozenset(covered), weights, total))
            pool.remove(best)
            same = next((x for x in chosen if x.key == best.key), None)
            if same is not None:
                duplicates.setdefault(same.key, []).append(best.evidence.chunk)
                continue
            cid = best.evidence.chunk.chunk_id
            if cid not in passages:
                if len(passages) >= max_passages:
                    continue
                passages.append(cid)
            chosen.append(best)
            covered |= best.terms
        for c in pool:  # the same words elsewhere are kept as other locations
            same = next((x for x in chosen if x.key == c.key), None)
            if same is not None and c.evidence.chunk is not same.evidence.chunk:
                duplicates.setdefault(same.key, []).append(c.evidence.chunk)
        chosen.sort(key=lambda c: (passages.index(c.evidence.chunk.chunk_id), c.start))
        quotes: list[Quote] = []
        for c in chosen:
            chunk = c.evidence.chunk
            header = _table_header(chunk, c.start)
            if header and not any(q.chunk is chunk and q.start == header[0] for q in quotes):
                quotes.append(Quote(chunk, *header))
            also = tuple({o.chunk_id: o for o in duplicates.get(c.key, ())}.values())
            quotes.append(Quote(chunk, c.start, c.end, also))
        return quotes

    def _refusal(self, question: str, retrieval: Retrieval, why: str, *, suggest: bool) -> Answer:
        titles: list[str] = []
        if suggest:
            for ev in retrieval.evidence:
                relevant = (ev.dense_similarity or 0.0) >= self.min_relevance
                if relevant and ev.chunk.title not in titles:
                    titles.append(ev.chunk.title)
        text = why
        if titles:
            text += (
                "\n\nDocuments you may want to check yourself (not cited as an answer): "
                + "; ".join(titles[:3])
                + "."
            )
        return Answer(
            question=question,
            text=text,
            citations=(),
            evidence=retrieval.evidence,
            backend=self.backend,
            grounded=False,
            suggestions=tuple(titles[:3]),
            searched_query=retrieval.query,
            kind="not-covered",
        )


def _gain(c: _Candidate, covered: frozenset[str], weights: dict[str, float], total: float) -> float:
    """A sentence's score plus what it adds to the question's terms covered so far."""
    return c.score + 0.5 * sum(weights[t] for t in c.terms - covered) / total


def _about(chunk: Chunk, places: Sequence[Area]) -> bool:
    """Whether a passage is about every place named: a nation by the document's geography
    (or, where that is unknown, by name); any other area by name in its section or text."""
    text = f"{chunk.section}\n{chunk.text}".lower()
    geography = str(chunk.meta.get(CardKey.CSV_GEOGRAPHY, "")).lower()
    for area in places:
        if area.is_nation:
            if geography and geography != area.name.lower():
                return False
            if not geography and area.name.lower() not in text:
                return False
        elif area.core not in text:
            return False
    return True
