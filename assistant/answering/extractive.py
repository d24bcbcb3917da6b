"""Answerers. The extractive one (the default) quotes the units that best answer a question.

No text is generated: every sentence of an answer is a verbatim slice of a retrieved passage
with its ``[n]``. Units are scored by meaning and by words (``relevance``); whether the passages
answer at all is an explicit decision with reasons (``answerability``): a place, nation, period
or named thing the question pins down must be what the quoted passage is about, and the
evidence must reach the fitted threshold. Otherwise the answer says what the documents do have.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Protocol

from assistant.answering.answerability import NOT_COVERED, Decision, decide
from assistant.answering.citations import Quote, answer_text, build_citations
from assistant.answering.question import Question
from assistant.answering.relevance import Params, Scored, TermWeights, score_units, shipped_params
from assistant.answering.retrieve import Retrieval
from assistant.types import Answer, Chunk, Evidence

__all__ = ["NOT_COVERED", "Answerer", "ExtractiveAnswerer"]


class Answerer(Protocol):
    """Writes the answer from a search: by quoting (extractive) or a checked LLM."""

    backend: str

    def answer(self, question: Question, retrieval: Retrieval) -> Answer: ...

    def stream(self, question: Question, retrieval: Retrieval) -> Iterator[Answer]:
        """Drafts, then the final answer (the last one yielded)."""
        ...


class ExtractiveAnswerer:
    """Quote the units of the evidence that together best answer the question.

    Units are scored (``relevance.Scored.score``), the decision is taken (``answerability``),
    then units are chosen greedily by score plus what they add of the question's terms not yet
    covered, so a two-part question gets a unit for each part rather than two for the first.
    The best unit comes first; the rest follow in reading order, list items with their lead-in
    and table rows with their heading row.
    """

    backend = "extractive"

    def __init__(
        self,
        idf: Callable[[str], float],
        known: Callable[[str], bool],
        *,
        params: Params | None = None,
        min_relevance: float = 0.30,
        max_sentences: int = 5,
        max_passages: int = 3,
    ) -> None:
        self.idf = idf  # a term's rarity in the library
        self._known = known
        self.params = params or shipped_params()
        self.min_relevance = min_relevance  # a passage this similar is named in a refusal
        self.max_sentences = max_sentences
        self.max_passages = max_passages

    def stream(self, question: Question, retrieval: Retrieval) -> Iterator[Answer]:
        """Quoting writes no drafts: the answer, once."""
        yield self.answer(question, retrieval)

    def weights(self, question: Question) -> TermWeights:
        return TermWeights(question.terms, self.idf)

    def scored(self, question: Question, retrieval: Retrieval) -> list[Scored]:
        """Every unit of the retrieved passages with its signals (for the answer and the fit)."""
        return score_units(retrieval, self.weights(question))

    def decision(self, question: Question, retrieval: Retrieval) -> Decision:
        """Whether the search answers the question, and the units an answer may quote."""
        return decide(question, self.scored(question, retrieval), self.params)

    def answer(
        self, question: Question, retrieval: Retrieval, decision: Decision | None = None
    ) -> Answer:
        """The answer; ``decision`` when the caller has taken it already (the LLM answerer)."""
        # A name no passage holds is not in the library. (An acronym may be spelled out
        # instead, "DNA" as "did not attend": the decision's name check reads it.)
        unknown = [n for n in question.names if not n.isupper() and not self._known(n)]
        if not retrieval.evidence or unknown:
            why = f"No indexed document mentions {', '.join(unknown)}." if unknown else NOT_COVERED
            return self._refusal(question.text, retrieval, why, suggest=not unknown)
        decision = decision or self.decision(question, retrieval)
        if not decision.answerable:
            return self._refusal(question.text, retrieval, decision.why, suggest=True)
        chosen = self.select(
            decision.candidates, self.weights(question), wants_list=question.wants_list
        )
        citations = build_citations(chosen)
        return Answer(
            question=question.text,
            text=answer_text(citations),
            citations=tuple(citations),
            evidence=_shown(retrieval, chosen),
            backend=self.backend,
            grounded=True,
            searched_query=retrieval.query,
        )

    def select(
        self, candidates: Sequence[Scored], weights: TermWeights, *, wants_list: bool
    ) -> list[Quote]:
        """The quotes of an answer from its candidates (best first)."""
        params = self.params
        score = {id(c): c.score(params) for c in candidates}
        max_sentences = self.max_sentences + (3 if wants_list else 0)
        max_passages = self.max_passages + (2 if wants_list else 0)
        top = score[id(candidates[0])]
        # Supporting units must come near the best one (``Params.support``, fitted). First the
        # best unit of each of the best few passages, so that an answer found in more than
        # one passage cites each (labelled by document where there are several); then more
        # units of those passages, by what they add of the question's terms.
        floor = params.support * top
        pool = [c for c in candidates if score[id(c)] >= floor]
        chosen: list[Scored] = []
        passages: list[str] = []
        duplicates: dict[str, list[Chunk]] = {}
        for c in pool:
            cid = c.evidence.chunk.chunk_id
            if cid in passages or len(passages) >= max_passages:
                continue
            if any(x.key == c.key for x in chosen):
                continue  # the same words in another passage: another location, below
            passages.append(cid)
            chosen.append(c)
        covered: set[str] = {t for c in chosen for t in c.terms}
        pool = [c for c in pool if c not in chosen and c.evidence.chunk.chunk_id in passages]
        while pool and len(chosen) < max_sentences:
            best = max(
                pool, key=lambda c: score[id(c)] + 0.5 * weights.share(c.terms - covered)
            )
            pool.remove(best)
            same = next((x for x in chosen if x.key == best.key or _inside(best, x)), None)
            if same is not None:
                continue
            chosen = [x for x in chosen if not _inside(x, best)]  # a list takes its items in
            chosen.append(best)
            covered |= best.terms
        pool = [c for c in candidates if score[id(c)] >= floor]
        for c in pool:  # the same words elsewhere are kept as other locations
            same = next((x for x in chosen if x.key == c.key), None)
            if same is not None and c.evidence.chunk is not same.evidence.chunk:
                duplicates.setdefault(same.key, []).append(c.evidence.chunk)
        # The unit that leads is the decision's first (the best; for "how many", the best
        # with a figure), or the list that took it in.
        rank = {id(c): i for i, c in enumerate(candidates)}
        lead = min(chosen, key=lambda c: rank[id(c)])
        rest = sorted(
            (c for c in chosen if c is not lead),
            key=lambda c: (passages.index(c.evidence.chunk.chunk_id), c.start),
        )
        return _quotes([lead, *rest], duplicates)

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


def _shown(retrieval: Retrieval, quotes: Sequence[Quote]) -> tuple[Evidence, ...]:
    """The top passages, and after them any cited passage from further down the pool."""
    shown = {e.chunk.chunk_id for e in retrieval.evidence}
    cited = {q.chunk.chunk_id for q in quotes} - shown
    extra = {e.chunk.chunk_id: e for e in retrieval.read if e.chunk.chunk_id in cited}
    return (*retrieval.evidence, *extra.values())


def _inside(inner: Scored, outer: Scored) -> bool:
    """``inner`` lies within ``outer`` in one passage (an item of a chosen list)."""
    return (
        inner.evidence.chunk.chunk_id == outer.evidence.chunk.chunk_id
        and outer.start <= inner.start
        and inner.end <= outer.end
        and (inner.start, inner.end) != (outer.start, outer.end)
    )


def _quotes(chosen: Sequence[Scored], duplicates: dict[str, list[Chunk]]) -> list[Quote]:
    """Quotes in answer order, the best unit first and the rest in reading order: a list item
    with its lead-in (and the items between them: a lead-in never stands alone), a table row
    after its heading row (once)."""
    quotes: list[Quote] = []
    for c in chosen:
        chunk = c.evidence.chunk
        lead = c.unit.lead
        also = tuple({o.chunk_id: o for o in duplicates.get(c.key, ())}.values())
        if lead and c.unit.kind == "item":
            quotes.append(Quote(chunk, lead[0], c.end, also))
            continue
        if lead and not any(q.chunk is chunk and q.start <= lead[0] < q.end for q in quotes):
            quotes.append(Quote(chunk, *lead))
        quotes.append(Quote(chunk, c.start, c.end, also))
    return quotes
