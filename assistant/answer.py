"""Answerers. The extractive one (the default) quotes the sentences that best answer a question.

No text is generated: every sentence of an answer is a verbatim slice of a retrieved passage
with its ``[n]``. When the evidence is too weak, or the question names a place or a thing that
the supporting passages never mention, the answer says the documents do not cover it.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from assistant.citations import Quote, answer_text, build_citations, collapse
from assistant.retrieve import Retrieval
from assistant.types import Answer, Chunk, Evidence
from ingest.sentences import sentence_spans
from vectorstore.keyword import tokenize

NOT_COVERED = "The indexed documents do not cover this question."
_LIST_WORDS = re.compile(
    r"\b(list|examples?|which (areas|committees|themes)|what (are|were) the|themes|ways)\b", re.I
)
_CAPITALISED = re.compile(r"\b[A-Z][a-zA-Z'’-]+(?:\s+[A-Z][a-zA-Z'’-]+)*")


class Answerer(Protocol):
    backend: str

    def answer(self, question: str, retrieval: Retrieval) -> Answer: ...


@dataclass(frozen=True)
class _Candidate:
    evidence: Evidence
    start: int
    end: int
    score: float
    key: str  # collapsed lower-case text, to spot the same words in two places


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
    backend = "extractive"

    def __init__(
        self,
        idf: Callable[[str], float],
        known: Callable[[str], bool],
        *,
        min_relevance: float = 0.42,
        max_sentences: int = 5,
        max_passages: int = 3,
    ) -> None:
        self._idf = idf
        self._known = known
        self.min_relevance = min_relevance
        self.max_sentences = max_sentences
        self.max_passages = max_passages

    def answer(self, question: str, retrieval: Retrieval) -> Answer:
        evidence = retrieval.evidence
        terms = list(dict.fromkeys(t for t in tokenize(question) if self._idf(t) > 0))
        names = _names(question)
        unknown = [n for n in names if not self._known(n)]
        top_sim = max((e.dense_similarity or 0.0) for e in evidence) if evidence else 0.0
        if not evidence or unknown or top_sim < self.min_relevance:
            why = f"No indexed document mentions {', '.join(unknown)}." if unknown else NOT_COVERED
            return self._refusal(question, retrieval, why, suggest=not unknown)
        candidates = self._score(terms, evidence)
        if names:  # a named place or body must be in the passage a sentence comes from
            candidates = [c for c in candidates if _mentions(c.evidence.chunk, names)]
        if not candidates or candidates[0].score < 0.35:
            why = NOT_COVERED
            if names:
                why = f"The indexed documents say nothing about this for {', '.join(names)}."
            return self._refusal(question, retrieval, why, suggest=True)
        chosen = self._select(candidates, wants_list=bool(_LIST_WORDS.search(question)))
        citations = build_citations(chosen)
        return Answer(
            question=question,
            text=answer_text(citations),
            citations=tuple(citations),
            evidence=evidence,
            backend=self.backend,
            grounded=True,
            searched_query=retrieval.query,
        )

    def _score(self, terms: Sequence[str], evidence: Sequence[Evidence]) -> list[_Candidate]:
        weights = {t: self._idf(t) for t in terms}
        total = sum(weights.values()) or 1.0
        bigrams = set(itertools.pairwise(terms))
        best_sim = max((e.dense_similarity or 0.0) for e in evidence) or 1.0
        out: list[_Candidate] = []
        for ev in evidence:
            chunk = ev.chunk
            head = set(tokenize(f"{chunk.section}"))
            passage = (ev.dense_similarity or 0.0) / best_sim
            for start, end in _units(chunk):
                text = chunk.text[start:end]
                toks = tokenize(text)
                if len(toks) < 3:
                    continue
                present = set(toks) | head
                lexical = sum(w for t, w in weights.items() if t in present) / total
                pairs = set(itertools.pairwise(toks))
                bonus = min(0.2, 0.1 * len(bigrams & pairs))
                score = 0.6 * lexical + 0.3 * passage + bonus + 0.1 / ev.rank
                key = collapse(text).lower()
                out.append(_Candidate(ev, start, end, score, key))
        out.sort(key=lambda c: -c.score)
        return out

    def _select(self, candidates: Sequence[_Candidate], *, wants_list: bool) -> list[Quote]:
        max_sentences = self.max_sentences + (3 if wants_list else 0)
        max_passages = self.max_passages + (2 if wants_list else 0)
        floor = max(0.35, 0.7 * candidates[0].score)
        chosen: list[_Candidate] = []
        passages: list[str] = []
        duplicates: dict[str, list[Chunk]] = {}
        for c in candidates:
            if c.score < floor or len(chosen) >= max_sentences:
                break
            same = next((x for x in chosen if x.key == c.key), None)
            if same is not None:
                duplicates.setdefault(same.key, []).append(c.evidence.chunk)
                continue
            cid = c.evidence.chunk.chunk_id
            if cid not in passages:
                if len(passages) >= max_passages:
                    continue
                passages.append(cid)
            chosen.append(c)
        chosen.sort(key=lambda c: (passages.index(c.evidence.chunk.chunk_id), c.start))
        quotes: list[Quote] = []
        for c in chosen:
            chunk = c.evidence.chunk
            header = _table_header(chunk, c.start)
            if header and not any(q.chunk is chunk and q.start == header[0] for q in quotes):
                quotes.append(Quote(chunk, *header))
            quotes.append(Quote(chunk, c.start, c.end, tuple(duplicates.get(c.key, ()))))
        return quotes

    def _refusal(self, question: str, retrieval: Retrieval, why: str, *, suggest: bool) -> Answer:
        titles: list[str] = []
        if suggest:
            for ev in retrieval.evidence:
                relevant = (ev.dense_similarity or 0.0) >= self.min_relevance * 0.8
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
        )


_NOT_NAMES = frozenset(
    [
        "what",
        "how",
        "which",
        "who",
        "when",
        "where",
        "why",
        "does",
        "do",
        "did",
        "is",
        "are",
        "was",
        "were",
        "in",
        "the",
        "a",
        "an",
        "and",
        "of",
        "for",
        "according",
        "i",
        "tell",
        "give",
        "show",
        "list",
        "find",
    ]
)


def _names(question: str) -> list[str]:
    """Capitalised names in a question that are not its first word ("Dundee", "Wales")."""
    names = []
    for m in _CAPITALISED.finditer(question):
        words = [w for w in m.group(0).split() if w.lower() not in _NOT_NAMES]
        if m.start() == 0 and words and m.group(0).split()[0] == words[0]:
            words = words[1:]
        if words:
            names.append(" ".join(words))
    return names


def _mentions(chunk: Chunk, names: Sequence[str]) -> bool:
    text = f"{chunk.section}\n{chunk.text}".lower()
    return all(any(part.lower() in text for part in _forms(n)) for n in names)


def _forms(name: str) -> list[str]:
    """A name and its singular/plural: "SCRs" is found as "SCR" too."""
    forms = [name]
    if name.endswith("s"):
        forms.append(name[:-1])
    return forms
