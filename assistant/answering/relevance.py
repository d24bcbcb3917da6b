"""How well a quotable unit answers a question: by meaning and by words, in one score.

Every unit of the retrieved passages (``ingest.units``: sentences, table rows, list items with
their lead-in) gets three signals, each 0..1:

- ``similarity``: MiniLM cosine between the question and the unit (vectors made at ingest);
- ``coverage``: the IDF-weighted share of the question's terms in the unit, its lead-in or its
  passage's heading; words that only frame a question ("what do reviews say") or name the kind
  of answer ("how many") count for little;
- ``passage``: the passage's own similarity to the question.

``score = sentence * similarity + words * coverage + passage * passage_sim``. The three weights,
the answer threshold and the retriever's rerank weight are ``Params``: fitted by ``rla eval
--fit`` on the development sets as a whole (``assistant/answering/relevance.json`` records the
fit) and, with ``--folds 2``, fitted on one half and reported on the other.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from functools import cache
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

    @property
    def key(self) -> str:
        return fold(self.text)

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
    for ev in retrieval.read:
        chunk = ev.chunk
        if no_findings(chunk.section):
            continue  # contents pages and reference lists are not answers
        units = chunk_units(chunk)
        passage = max(0.0, ev.dense_similarity or 0.0)
        sims = retrieval.unit_similarities(chunk.chunk_id)
        if len(sims) != len(units):  # a search made without unit vectors: the passage's own
            sims = np.full(len(units), passage, dtype=np.float32)
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


def _has_figure(text: str) -> bool:
    """A digit or a number word ("eight", "half", "most"): what a "how many" answer holds."""
    return any(ch.isdigit() for ch in text) or not _NUMBER_WORDS.isdisjoint(
        w.strip(".,;:()") for w in text.lower().split()
    )


_NUMBER_WORDS = words(
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen twenty thirty forty fifty sixty hundred thousand half third quarter most "
    "majority minority all none few several"
)
