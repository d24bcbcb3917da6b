"""Fitting the answer step's few numbers (``relevance.Params``) on question sets.

``rla eval --fit`` fits on every question given and writes ``relevance.json``; ``--folds 2``
fits on one half of each set and reports on the other, both ways, so the figures printed are
for questions the fit never saw. What is fitted, in order:

1. the retriever's rerank weight: the value (of a small grid) with the best mean reciprocal
   rank of the passage holding ``must_contain``;
2. the three signal weights (a grid over the simplex, steps of 0.1), how near the best unit
   a supporting one must score (0.7, 0.8 or 0.9 of it) and the threshold (every value the
   best units take): the combination that maximises
   ``cited share + traps refused share - false refusal share``, ties going to the threshold
   in the middle of the best run (the widest margin on both sides).

A case is one question's search (retrieval and scored units) computed once per rerank weight;
each grid point then only re-runs the decision and the selection.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from assistant.answering.answerability import decide
from assistant.answering.extractive import ExtractiveAnswerer
from assistant.answering.question import Question
from assistant.answering.relevance import Params, Scored
from assistant.answering.retrieve import Retrieval
from assistant.answering.scope import plan_question
from assistant.dev.evaluate import EvalItem, contains, first_rank

RERANK_GRID = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)
STEP = 0.1
SUPPORT_GRID = (0.7, 0.8, 0.9)


@dataclass(frozen=True)
class Case:
    item: EvalItem
    question: Question
    retrieval: Retrieval
    scored: tuple[Scored, ...]


def _search(assistant: Any, item: EvalItem, k: int) -> tuple[Question, Retrieval]:
    question = assistant.question(item.question)
    plan = plan_question(question, assistant.catalog(), None)
    return question, assistant.retriever.search(question.query, k, where=plan.where)


def fit_rerank(assistant: Any, items: Sequence[EvalItem], k: int) -> float:
    """The rerank weight with the best MRR on the answerable ``items``."""
    answerable = [i for i in items if i.must_contain]
    best, best_mrr = 0.0, -1.0
    before = assistant.retriever.rerank_weight
    try:
        for weight in RERANK_GRID:
            assistant.retriever.rerank_weight = weight
            rr = []
            for item in answerable:
                _, found = _search(assistant, item, k)
                rank = first_rank([e.chunk.text for e in found.evidence], str(item.must_contain))
                rr.append(1.0 / rank if rank else 0.0)
            mrr = float(np.mean(rr)) if rr else 0.0
            if mrr > best_mrr + 1e-9:
                best, best_mrr = weight, mrr
    finally:
        assistant.retriever.rerank_weight = before
    return best


def collect(assistant: Any, items: Sequence[EvalItem], k: int, rerank: float) -> list[Case]:
    """Each question's search under ``rerank``, scored once."""
    before = assistant.retriever.rerank_weight
    assistant.retriever.rerank_weight = rerank
    answerer = _extractive(assistant)
    try:
        cases = []
        for item in items:
            question, found = _search(assistant, item, k)
            cases.append(Case(item, question, found, tuple(answerer.scored(question, found))))
        return cases
    finally:
        assistant.retriever.rerank_weight = before


def _extractive(assistant: Any) -> ExtractiveAnswerer:
    answerer = assistant.answerer
    extractive = getattr(answerer, "fallback", answerer)
    if not isinstance(extractive, ExtractiveAnswerer):
        raise TypeError("the fit needs the extractive answerer")
    return extractive


@dataclass(frozen=True)
class _Outcome:
    top: float | None  # the judged unit's score, None when a check refused
    cited: bool


def _outcome(case: Case, params: Params, answerer: ExtractiveAnswerer) -> _Outcome:
    decision = decide(case.question, case.scored, replace(params, threshold=-1.0))
    if not decision.answerable:
        return _Outcome(None, False)
    judged = (
        [s for s in decision.candidates if s.has_figure]
        if case.question.wants_quantity
        else list(decision.candidates)
    )
    top = judged[0].score(params) if judged else None
    cited = False
    if case.item.must_contain and top is not None:
        answerer.params = replace(params, threshold=0.0)
        quotes = answerer.select(
            decision.candidates, _weights(answerer, case), wants_list=case.question.wants_list
        )
        cited = any(contains(q.chunk.text, case.item.must_contain) for q in quotes)
    return _Outcome(top, cited)


def _weights(answerer: ExtractiveAnswerer, case: Case) -> Any:
    from assistant.answering.relevance import TermWeights

    return TermWeights(case.question.terms, answerer._idf)


def objective(outcomes: Sequence[tuple[EvalItem, _Outcome]], threshold: float) -> float:
    answerable = [o for i, o in outcomes if i.must_contain]
    traps = [o for i, o in outcomes if not i.must_contain]
    answered = [o for o in answerable if o.top is not None and o.top >= threshold]
    cited = sum(o.cited for o in answered) / max(1, len(answerable))
    false_refusals = 1 - len(answered) / max(1, len(answerable))
    refused = sum(o.top is None or o.top < threshold for o in traps) / max(1, len(traps))
    return cited + refused - false_refusals


def fit_weights(cases: Sequence[Case], answerer: ExtractiveAnswerer, rerank: float) -> Params:
    """The signal weights and threshold that maximise ``objective`` on ``cases``."""
    saved = answerer.params
    best: tuple[float, Params] | None = None
    steps = round(1 / STEP)
    try:
        for s, w, support in itertools.product(range(steps + 1), range(steps + 1), SUPPORT_GRID):
            if s + w > steps:
                continue
            params = Params(sentence=s * STEP, words=w * STEP, passage=(steps - s - w) * STEP,
                            support=support)
            outcomes = [(c.item, _outcome(c, params, answerer)) for c in cases]
            tops = sorted({round(o.top, 4) for _, o in outcomes if o.top is not None})
            cuts = [0.0, *((a + b) / 2 for a, b in itertools.pairwise(tops)), 1.01]
            values = [objective(outcomes, t) for t in cuts]
            top_value = max(values)
            run = [t for t, v in zip(cuts, values, strict=True) if v >= top_value - 1e-9]
            threshold = run[len(run) // 2]
            if best is None or top_value > best[0] + 1e-9:
                best = (top_value, replace(params, threshold=round(threshold, 4)))
    finally:
        answerer.params = saved
    assert best is not None
    return replace(best[1], rerank=rerank,
                   sentence=round(best[1].sentence, 2), words=round(best[1].words, 2),
                   passage=round(best[1].passage, 2))


def fit(assistant: Any, items: Sequence[EvalItem], k: int, note: str = "") -> Params:
    """Fit every tuned number of the answer step on ``items``."""
    rerank = fit_rerank(assistant, items, k)
    cases = collect(assistant, items, k, rerank)
    params = fit_weights(cases, _extractive(assistant), rerank)
    return replace(params, fitted_on=note)


def halves(items: Sequence[EvalItem]) -> tuple[list[EvalItem], list[EvalItem]]:
    """A fixed split of a set into two halves, answerable and trap questions each alternated
    in file order (so both halves hold both kinds)."""
    first: list[EvalItem] = []
    second: list[EvalItem] = []
    for group in ([i for i in items if i.must_contain], [i for i in items if not i.must_contain]):
        for n, item in enumerate(group):
            (first if n % 2 == 0 else second).append(item)
    return first, second
