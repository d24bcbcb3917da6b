"""Which sentences of a passage support the sentences a language model wrote from it.

A written sentence is a paraphrase; its citation must still quote the passage verbatim. So each
cited passage is cut into sentences (a table row is one unit), each written sentence is matched
to the passage sentence that shares most of its words, quoted spans and figures, and the quote
is the run of passage text from the first to the last sentence matched (when they stand close
together) or else the single best one.
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.answering.llm.checks import MARKERS, figures, quoted_spans
from assistant.text import fold
from ingest.sentences import sentence_spans
from vectorstore.keyword import tokenize

MAX_RUN = 3  # passage sentences one quote may span


def units(text: str) -> list[tuple[int, int]]:
    """Sentence spans of a passage; a table row (a line with tabs) is one unit."""
    spans: list[tuple[int, int]] = []
    offset = 0
    for line in text.split("\n"):
        if "\t" in line:
            spans.append((offset, offset + len(line)))
        else:
            spans.extend((offset + s, offset + e) for s, e in sentence_spans(line))
        offset += len(line) + 1
    return [(s, e) for s, e in spans if text[s:e].strip()]


def _score(claim: str, unit: str) -> float:
    words = set(tokenize(claim))
    have = set(tokenize(unit))
    score = float(len(words & have))
    low = fold(unit)
    score += 3.0 * sum(fold(q) in low for q in quoted_spans(claim))
    score += 2.0 * len(figures(claim) & figures(unit))
    return score


def supporting_span(passage: str, claims: Sequence[str]) -> tuple[int, int]:
    """(start, end) in ``passage`` of the sentence(s) that best support ``claims``."""
    spans = units(passage)
    if not spans:
        return 0, len(passage)
    totals = [0.0] * len(spans)
    chosen: set[int] = set()
    for claim in claims:
        bare = MARKERS.sub(" ", claim)
        scores = [_score(bare, passage[s:e]) for s, e in spans]
        best = max(range(len(spans)), key=lambda i: (scores[i], -i))
        chosen.add(best)
        for i, sc in enumerate(scores):
            totals[i] += sc
    if not chosen:
        chosen = {0}
    first, last = min(chosen), max(chosen)
    if last - first < MAX_RUN:
        return spans[first][0], spans[last][1]
    best = max(chosen, key=lambda i: (totals[i], -i))
    return spans[best]
