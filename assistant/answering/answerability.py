"""Whether the retrieved passages answer a question: an explicit decision with its reasons.

A question is answered only when both hold:

1. **What it pins down is what the passage is about.** Each check narrows the candidate units
   to those whose passage (or document card) matches:
   - a place: the passage is about it (by name in its text or heading);
   - a nation: the document's nation (or, where that is unknown, the nation named in it);
   - a period or year: the passage, its heading, its document's title or the card's period
     names it ("2014-2017" needs both ends; "in 2014" needs 2014 itself: a figure for
     2012-2015 is not a figure for 2014);
   - a named thing (a review's name, a programme, an acronym): its document mentions it.
2. **The evidence is strong enough.** The strongest remaining unit (by meaning and words,
   ``relevance.Scored.strength``) reaches the fitted threshold; for "how many" / "what
   proportion" the unit that leads must hold a figure, and only units with one are judged.

When a check removes every candidate, the refusal says what the library does have, with the
document and page of the nearest passage ("The documents give this for 2018-2021
(Triennial review, p. 20), not for 2015-2018."), and cites nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from assistant.answering.question import Question
from assistant.answering.relevance import Params, Scored
from assistant.text import words
from assistant.types import CardKey, Chunk, pages_label
from ingest.areas import Area
from ingest.areatag import default_places
from ingest.docarea import DOC_AREA
from vectorstore.keyword import tokenize

NOT_COVERED = "The indexed documents do not cover this question."

_YEAR = r"(?:19|20)\d\d"
_RANGE = re.compile(
    rf"\b({_YEAR})\s?(?:-|–|—|/|to|and|until)\s?((?:19|20)?\d\d)\b", re.I
)
_SINGLE = re.compile(rf"\b{_YEAR}\b")
_WORDS = re.compile(r"[A-Za-z]+")
# Month and day names are capitalised but pin down a date, which the period check reads.
_CALENDAR = words(
    "january february march april may june july august september october november "
    "december monday tuesday wednesday thursday friday saturday sunday"
)
# Nation adjectives name a nation, not a thing to find in the passage.
_NATION_WORDS = words(
    "welsh scottish english irish british uk wales scotland england northern ireland "
    "national"
)


@dataclass(frozen=True, order=True)
class Period:
    start: int
    end: int

    @property
    def label(self) -> str:
        return str(self.start) if self.start == self.end else f"{self.start}-{self.end}"


def periods_in(text: str) -> list[Period]:
    """The periods and single years ``text`` names: "2014-17", "2014 to 2017", "in 2019"."""
    out: list[Period] = []
    covered: list[tuple[int, int]] = []
    for m in _RANGE.finditer(text):
        start, end_text = int(m.group(1)), m.group(2)
        end = int(end_text) if len(end_text) == 4 else start // 100 * 100 + int(end_text)
        if start < end <= start + 12:
            out.append(Period(start, end))
            covered.append(m.span())
    for m in _SINGLE.finditer(text):
        if not any(s <= m.start() < e for s, e in covered):
            out.append(Period(int(m.group()), int(m.group())))
    return list(dict.fromkeys(out))


def _years_named(chunk: Chunk) -> set[int]:
    """Every year a passage, its heading or its document's title names (ranges by both ends)."""
    years: set[int] = set()
    for p in periods_in(f"{chunk.title}\n{chunk.section}\n{chunk.text}"):
        years.update((p.start, p.end))
    return years


def _card_period(chunk: Chunk) -> Period | None:
    start, end = chunk.meta.get(CardKey.PERIOD_START), chunk.meta.get(CardKey.PERIOD_END)
    if isinstance(start, int) and isinstance(end, int):
        return Period(start, end)
    return None


def period_matches(period: Period, chunk: Chunk) -> bool:
    card = _card_period(chunk)
    if card == period:
        return True
    named = _years_named(chunk)
    return period.start in named and period.end in named


def _names_area(text: str, area: Area) -> bool:
    text = text.lower()
    return area.core in text or any(a.lower() in text for a in area.aliases if len(a) > 2)


def _nation_matches(chunk: Chunk, area: Area) -> bool | None:
    """Whether the document's nation is ``area`` (None when the card names none)."""
    nation = chunk.nation or str(chunk.meta.get(CardKey.CSV_GEOGRAPHY, "")) or None
    return None if not nation else nation.lower() == area.name.lower()


class _Documents:
    """What the retrieved passages show of each document: its title, its passages' words and
    area tags. A named thing counts for a passage when its document names it; a place when the
    unit itself, its heading or its document's title names it, or the document is about that
    area alone (its only area tag)."""

    def __init__(self, scored: Sequence[Scored]) -> None:
        self._tokens: dict[str, set[str]] = {}
        self._initials: dict[str, set[str]] = {}
        self._areas: dict[str, set[str]] = {}
        seen: set[str] = set()
        for s in scored:
            chunk = s.evidence.chunk
            if chunk.chunk_id in seen:
                continue
            seen.add(chunk.chunk_id)
            toks = tokenize(f"{chunk.title}\n{chunk.section}\n{chunk.text}")
            self._tokens.setdefault(chunk.doc_id, set()).update(toks)
            self._initials.setdefault(chunk.doc_id, set()).update(_initialisms(chunk.text))
            tags = chunk.meta.get("areas")
            if isinstance(tags, list):
                self._areas.setdefault(chunk.doc_id, set()).update(t.lower() for t in tags)

    def mentions(self, doc_id: str, name: str) -> bool:
        """Every word of ``name`` is in the document's passages (an acronym may be spelled
        out: "DNA" by "did not attend")."""
        have = self._tokens.get(doc_id, set())
        for word in name.split():
            toks = tokenize(word)
            if all(t in have for t in toks):
                continue
            if word.isupper() and word.lower().rstrip("s") in self._initials.get(doc_id, set()):
                continue
            return False
        return True

    def about(self, scored: Scored, area: Area) -> bool:
        chunk = scored.evidence.chunk
        if area.is_nation:
            known = _nation_matches(chunk, area)
            if known is not None:
                return known
        if _names_area(f"{chunk.title}\n{chunk.section}", area) or _own_place(chunk, area):
            return True
        lead = chunk.text[scored.unit.lead[0] : scored.unit.lead[1]] if scored.unit.lead else ""
        if _names_area(f"{lead}\n{scored.text}", area):
            # A unit that lists several areas ("eight in Glasgow, six in Fife, five in
            # Dundee") compares them: it is about none of them alone.
            return len(_areas_in(chunk, scored.unit.start, scored.unit.end)) < _LISTED
        return self._areas.get(chunk.doc_id, set()) == {area.name.lower()}


_LISTED = 3  # areas named in one unit that make it a list of areas


def _own_place(chunk: Chunk, area: Area) -> bool:
    """The passage's document is about ``area`` as a whole (``ingest.docarea``): the page of
    one case names its place once and says "the council" after."""
    own = chunk.meta.get(DOC_AREA)
    return isinstance(own, str) and (
        own == area.name or area.name in default_places().place.get(own, ()))


def _areas_in(chunk: Chunk, start: int, end: int) -> set[str]:
    """The areas the tagger found named between ``start`` and ``end`` of a passage's text."""
    try:
        mentions = json.loads(str(chunk.meta.get("area_mentions") or "[]"))
    except ValueError:
        return set()
    return {
        str(m.get("area")) for m in mentions
        if isinstance(m, dict) and m.get("source") == "text"
        and start <= int(m.get("start", -1)) < end
    }


def _initialisms(text: str) -> set[str]:
    """The initials of every run of two to five words ("did not attend" -> "dna")."""
    initials = [w[0].lower() for w in _WORDS.findall(text)]
    return {
        "".join(initials[i : i + n])
        for n in range(2, 6)
        for i in range(len(initials) - n + 1)
    }


@dataclass(frozen=True)
class Decision:
    """The outcome: the units an answer may quote (best first), or why there are none."""

    candidates: tuple[Scored, ...]
    why: str = ""  # empty when answerable
    check: str = ""  # the check that failed: "place", "period", "name", "evidence"

    @property
    def answerable(self) -> bool:
        return not self.why


def _where(scored: Scored) -> str:
    chunk = scored.evidence.chunk
    first, last = chunk.pages_at(scored.start, scored.end)
    return f"{chunk.title}, {pages_label(first, last)}"


def _period_of(chunk: Chunk) -> str:
    card = _card_period(chunk)
    if card is not None:
        return card.label
    named = sorted(p for p in periods_in(f"{chunk.title}\n{chunk.text}"))
    return ", ".join(dict.fromkeys(p.label for p in named[:2])) or "another period"


def decide(question: Question, scored: Sequence[Scored], params: Params) -> Decision:
    """Apply the checks, then the evidence threshold, to the scored units of a search."""
    ranked = sorted(scored, key=lambda s: -s.score(params))
    docs = _Documents(scored)
    pool = list(ranked)
    places = list(dict.fromkeys(question.places))
    if places:  # a comparison names several places: each unit must be about one of them
        kept = [s for s in pool if any(docs.about(s, a) for a in places)]
        if not kept:
            named = " or ".join(a.name for a in places)
            nation = all(a.is_nation for a in places)
            has = (lambda s: s.evidence.chunk.nation or "") if nation else None
            why = f"The indexed documents do not cover this for {named}."
            return _refused(pool, why, "place", params, has, asked=named)
        pool = kept
    periods = periods_in(question.text)
    if periods:  # a comparison names two: each passage must give one of them
        kept = [s for s in pool if any(period_matches(p, s.evidence.chunk) for p in periods)]
        if not kept:
            asked = " or ".join(p.label for p in periods)
            why = f"The indexed documents do not give this for {asked}."
            return _refused(pool, why, "period", params,
                            lambda s: _period_of(s.evidence.chunk), asked=asked)
        pool = kept
    for name in _pinned_names(question):
        kept = [s for s in pool if docs.mentions(s.evidence.chunk.doc_id, name)]
        if not kept:
            return _refused(pool, f"The passages found do not mention {name}.", "name", params,
                            None)
        pool = kept
    if question.wants_quantity:  # the answer that leads must hold a figure
        pool = [s for s in pool if s.has_figure] + [s for s in pool if not s.has_figure]
    if not pool or not (pool[0].has_figure or not question.wants_quantity) or (
        strength(question, pool, params) < params.threshold
    ):
        return Decision((), NOT_COVERED, "evidence")
    return Decision(tuple(pool))


def strength(question: Question, pool: Sequence[Scored], params: Params) -> float:
    """The evidence strength of the units that passed the checks: the strongest unit's (one
    with a figure when the question asks how many)."""
    judged = [s for s in pool if s.has_figure] if question.wants_quantity else pool
    return max((s.strength(params) for s in judged), default=0.0)


def _pinned_names(question: Question) -> list[str]:
    """Named things to find: capitalised names that are no place and no nation word."""
    place_words = {w for a in question.places for w in a.name.lower().split()}
    out = []
    for name in question.names:
        tokens = [w for w in name.lower().split() if w not in _NATION_WORDS | _CALENDAR]
        if tokens and not set(tokens) <= place_words:
            skip = _NATION_WORDS | _CALENDAR
            out.append(" ".join(w for w in name.split() if w.lower() not in skip))
    return out


def _refused(
    pool: Sequence[Scored],
    why: str,
    check: str,
    params: Params,
    has: Callable[[Scored], str] | None,
    *,
    asked: str = "",
) -> Decision:
    """A failed check; with the nearest strong passage named when there is one."""
    nearest = next((s for s in pool if s.strength(params) >= params.threshold), None)
    if nearest is not None:
        if has is not None and (what := has(nearest)):
            not_for = f", not for {asked}" if asked else ""
            why = f"{why} The documents give this for {what} ({_where(nearest)}){not_for}."
        else:
            why = f"{why} The nearest passage is in {_where(nearest)}."
    return Decision((), why, check)
