"""Fitting the answer step's few numbers (``relevance.Params``) on question sets.

``rla eval --fit`` fits on every question given and writes ``relevance.json``; ``--folds 2``
fits on one half of each set and reports on the other, both ways, so the figures printed are
for questions the fit never saw. What is fitted, in order:

1. the retriever's rerank weight: the value (of a small grid) with the best mean reciprocal
   rank of the passage holding ``must_contain``;
2. the three signal weights (a grid over the simplex, steps of 0.1): those that rank the unit
   holding the answer highest, by mean reciprocal rank; then how near the best unit a
   supporting one must score (0.7, 0.8 or 0.9 of it): the share whose quotes cite the right
   passage for the most answerable questions;
3. evidence strength: the weight of meaning against words (steps of 0.1) and the threshold
   (every value the strongest units take) that maximise ``cited share + traps refused share -
   false refusal share``, the threshold in the middle of the best run (the widest margin).

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
SUPPORT_GRID = (0.9, 0.8, 0.7)


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
    extractive = getattr(answerer, "extractive", answerer)
    if not isinstance(extractive, ExtractiveAnswerer):
        raise TypeError("the fit needs the extractive answerer")
    return extractive


@dataclass(frozen=True)
class _Outcome:
    # (similarity, coverage) of each unit judged for strength; None when a check refused
    judged: tuple[tuple[float, float], ...] | None
    cited: bool  # the quotes (with no threshold) include the passage holding must_contain
    reciprocal_rank: float  # of the first unit holding must_contain


def _outcome(case: Case, params: Params, answerer: ExtractiveAnswerer) -> _Outcome:
    decision = decide(case.question, case.scored, replace(params, threshold=-1.0))
    if not decision.answerable:
        return _Outcome(None, False, 0.0)
    pool = decision.candidates
    judged = tuple(
        (c.similarity, c.coverage)
        for c in pool
        if c.has_figure or not case.question.wants_quantity
    )
    want = case.item.must_contain
    if not want:
        return _Outcome(judged, False, 0.0)
    # The rank of the first unit that holds the phrase (or lies within it).
    rank = next(
        (n for n, c in enumerate(pool, 1) if contains(c.text, want) or contains(want, c.text)),
        0,
    )
    weights = answerer.weights(case.question)
    quotes = answerer.select(decision.candidates, weights, wants_list=case.question.wants_list)
    cited = any(contains(q.chunk.text, want) for q in quotes)
    return _Outcome(judged, cited, 1.0 / rank if rank else 0.0)


def ranking_objective(outcomes: Sequence[tuple[EvalItem, _Outcome]]) -> float:
    """How well the units are ranked: the mean reciprocal rank of the unit that holds the
    answer (smoother than "cited", so a small training half still ranks weights stably)."""
    answerable = [o for i, o in outcomes if i.must_contain]
    return sum(o.reciprocal_rank for o in answerable) / max(1, len(answerable))


def cited_share(outcomes: Sequence[tuple[EvalItem, _Outcome]]) -> float:
    answerable = [o for i, o in outcomes if i.must_contain]
    return sum(o.cited for o in answerable) / max(1, len(answerable))


def _strength(outcome: _Outcome, evidence: float) -> float | None:
    if outcome.judged is None:
        return None
    return max((evidence * sim + (1 - evidence) * cov for sim, cov in outcome.judged),
               default=0.0)


def threshold_objective(
    outcomes: Sequence[tuple[EvalItem, _Outcome]], evidence: float, threshold: float
) -> float:
    """Cited share + traps refused share - false refusal share, at ``threshold``."""
    answerable = [o for i, o in outcomes if i.must_contain]
    traps = [o for i, o in outcomes if not i.must_contain]

    def answers(o: _Outcome) -> bool:
        value = _strength(o, evidence)
        return value is not None and value >= threshold

    answered = [o for o in answerable if answers(o)]
    cited = sum(o.cited for o in answered) / max(1, len(answerable))
    false_refusals = 1 - len(answered) / max(1, len(answerable))
    refused = sum(not answers(o) for o in traps) / max(1, len(traps))
    return cited + refused - false_refusals


def fit_threshold(outcomes: Sequence[tuple[EvalItem, _Outcome]]) -> tuple[float, float]:
    """The strength weight and threshold with the best ``threshold_objective``; the threshold
    in the middle of its best run of values (the widest margin on both sides)."""
    best: tuple[float, int, float, float] | None = None
    for step in range(round(1 / STEP) + 1):
        evidence = round(step * STEP, 2)
        values = sorted({round(v, 4) for _, o in outcomes
                         if (v := _strength(o, evidence)) is not None})
        cuts = [0.0, *((a + b) / 2 for a, b in itertools.pairwise(values)), 1.01]
        scores = [threshold_objective(outcomes, evidence, t) for t in cuts]
        top = max(scores)
        run = [t for t, v in zip(cuts, scores, strict=True) if v >= top - 1e-9]
        if best is None or (top, len(run)) > (best[0], best[1]):
            best = (top, len(run), evidence, run[len(run) // 2])
    assert best is not None
    return best[2], round(best[3], 4)


def fit_weights(cases: Sequence[Case], answerer: ExtractiveAnswerer, rerank: float) -> Params:
    """Stage 1: the signal weights that rank the answering units best (``ranking_objective``);
    stage 2: the support share whose quotes cite them most often (ties: the stricter share);
    stage 3: evidence strength and its threshold (``fit_threshold``)."""
    saved = answerer.params
    steps = round(1 / STEP)
    try:
        ranked: list[tuple[float, Params]] = []
        for s, w in itertools.product(range(steps + 1), repeat=2):
            if s + w > steps:
                continue
            params = Params(sentence=round(s * STEP, 2), words=round(w * STEP, 2),
                            passage=round((steps - s - w) * STEP, 2))
            outcomes = [(c.item, _outcome(c, params, answerer)) for c in cases]
            ranked.append((ranking_objective(outcomes), params))
        weights = max(ranked, key=lambda r: r[0])[1]
        by_support = []
        for support in SUPPORT_GRID:
            params = replace(weights, support=support)
            outcomes = [(c.item, _outcome(c, params, answerer)) for c in cases]
            by_support.append((cited_share(outcomes), -support, params, outcomes))
        _, _, params, outcomes = max(by_support, key=lambda r: (r[0], r[1]))
    finally:
        answerer.params = saved
    evidence, threshold = fit_threshold(outcomes)
    return replace(params, evidence=evidence, threshold=threshold, rerank=rerank)


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
