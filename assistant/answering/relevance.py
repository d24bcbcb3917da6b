"""How well a quotable unit answers a question: by meaning and by words, in one score.

Every unit of the retrieved passages (``ingest.units``: sentences, table rows, list items with
their lead-in) gets three signals, each 0..1:

- ``similarity``: MiniLM cosine between the question and the unit (vectors made at ingest);
- ``coverage``: the IDF-weighted share of the question's terms in the unit, its lead-in or its
  passage's heading; words that only frame a question ("what do reviews say") or name the kind
  of answer ("how many") count for little;
- ``passage``: the passage's standing in the search (its fused dense, keyword and
  best-sentence score, scaled to 0..1 over the passages read).

``score = sentence * similarity + words * coverage + passage * passage_sim`` orders the units
(the answer quotes the best first). Whether there is an answer at all is judged on an absolute
scale instead: ``strength = evidence * similarity + (1 - evidence) * coverage`` of the best unit
must reach ``threshold``. These weights, the threshold, the share of the best score a
supporting unit needs and the retriever's rerank weight are ``Params``: fitted by ``rla eval
--fit`` on the development sets as a whole (``assistant/answering/relevance.json`` records the
fit) and, with ``--folds 2``, fitted on one half and reported on the other.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import numpy as np

from assistant.answering.retrieve import Retrieval
from assistant.text import FRAMING, fold, words
from assistant.types import Evidence
from ingest.sections import no_findings
from ingest.units import Unit, chunk_units
from vectorstore.keyword import tokenize

PARAMS_FILE = Path(__file__).with_name("relevance.json")

# Words that frame a question ("what do reviews say about ...") rather than name its topic.
_FRAMING = frozenset(
    tokenize(" ".join(sorted(FRAMING | words("explain explains show shows learn learned give"))))
)
# Words that say what kind of answer is wanted: "how many", "what proportion".
_ANSWER_TYPE = frozenset(
    tokenize(
        "proportion proportions percentage percent number numbers many much share rate "
        "rates figure figures amount often common prominent prevalent level levels"
    )
)


@dataclass(frozen=True)
class Params:
    """The few numbers the answer step is tuned by (see the module docstring)."""

    sentence: float = 0.45
    words: float = 0.40
    passage: float = 0.15
    # Evidence strength, for answerability: ``evidence * similarity + (1 - evidence) *
    # coverage`` of the best unit, absolute (not relative to the other passages found).
    evidence: float = 0.5
    threshold: float = 0.45
    support: float = 0.85  # a supporting unit scores at least this share of the best one's
    rerank: float = 0.2
    fitted_on: str = ""  # what the fit saw (a note, not a parameter)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@cache
def shipped_params() -> Params:
    """The parameters fitted on the development sets, as shipped with the code."""
    try:
        raw = json.loads(PARAMS_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return Params()
    fields = Params.__dataclass_fields__
    return Params(**{k: v for k, v in raw.items() if k in fields})


def write_params(params: Params, path: Path = PARAMS_FILE) -> None:
    path.write_text(json.dumps(params.to_dict(), indent=2) + "\n", encoding="utf-8")


@dataclass(frozen=True)
class Scored:
    """One unit of one retrieved passage, with its signals."""

    evidence: Evidence
    unit: Unit
    similarity: float
    coverage: float
    passage: float
    terms: frozenset[str]  # the question's terms it holds
    has_figure: bool

    @property
    def start(self) -> int:
        return self.unit.start

    @property
    def end(self) -> int:
        return self.unit.end

    @property
    def text(self) -> str:
        return self.evidence.chunk.text[self.unit.start : self.unit.end]

    @cached_property
    def key(self) -> str:  # the folded text, to spot the same words in two places
        return fold(self.text)

    def strength(self, params: Params) -> float:
        """How strongly this unit alone answers: by meaning and by words, on an absolute
        scale, so that the same threshold holds for every question."""
        return params.evidence * self.similarity + (1 - params.evidence) * self.coverage

    def score(self, params: Params) -> float:
        return (
            params.sentence * self.similarity
            + params.words * self.coverage
            + params.passage * self.passage
        )


class TermWeights:
    """Each of a question's terms weighted by rarity; framing and answer-type words damped."""

    def __init__(self, terms: Sequence[str], idf: Callable[[str], float]) -> None:
        rarest = max((idf(t) for t in terms), default=1.0) or 1.0
        # A word no passage contains counts as the rarest: a question about something the
        # documents never mention is not "covered" by a sentence matching its other words.
        self.weights = {
            t: (idf(t) or rarest) * (0.1 if t in _FRAMING else 0.3 if t in _ANSWER_TYPE else 1.0)
            for t in dict.fromkeys(terms)
        }
        self.total = sum(self.weights.values()) or 1.0

    def share(self, found: frozenset[str]) -> float:
        return sum(self.weights[t] for t in found) / self.total


def score_units(retrieval: Retrieval, weights: TermWeights) -> list[Scored]:
    """Every quotable unit of the retrieved passages with its signals, in retrieval order."""
    out: list[Scored] = []
    pool = retrieval.read
    scores = [e.score for e in pool]
    low, high = min(scores, default=0.0), max(scores, default=0.0)
    for ev in pool:
        chunk = ev.chunk
        if no_findings(chunk.section):
            continue  # contents pages and reference lists are not answers
        units = chunk_units(chunk)
        # The passage's standing in the search (dense, keyword and best sentence, fused),
        # scaled to 0..1 over the passages read.
        passage = (ev.score - low) / (high - low) if high > low else 1.0
        sims = retrieval.unit_similarities(chunk.chunk_id)
        if len(sims) != len(units):  # a search made without unit vectors: the passage's own
            sims = np.full(len(units), max(0.0, ev.dense_similarity or 0.0), dtype=np.float32)
        head = set(tokenize(chunk.section))
        for unit, sim in zip(units, sims.tolist(), strict=True):
            text = chunk.text[unit.start : unit.end]
            lead = chunk.text[unit.lead[0] : unit.lead[1]] if unit.lead else ""
            toks = set(tokenize(f"{lead} {text}")) | head
            found = frozenset(t for t in weights.weights if t in toks)
            out.append(
                Scored(
                    evidence=ev,
                    unit=unit,
                    similarity=max(0.0, float(sim)),
                    coverage=weights.share(found),
                    passage=passage,
                    terms=found,
                    has_figure=_has_figure(text),
                )
            )
    return out


_NUMBER = re.compile(r"\d+(?:[.,]\d+)*%?")
_YEAR = re.compile(r"(?:19|20)\d\d")


def _has_figure(text: str) -> bool:
    """A number that is not a year, or a number word ("eight", "half", "most"): what a "how
    many" answer holds. "Between 2019 and 2024" gives no count."""
    if any(not _YEAR.fullmatch(m.group()) for m in _NUMBER.finditer(text)):
        return True
    return not _NUMBER_WORDS.isdisjoint(w.strip(".,;:()") for w in text.lower().split())


_NUMBER_WORDS = words(
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen twenty thirty forty fifty sixty hundred thousand half third quarter most "
    "majority minority all none few several"
)
