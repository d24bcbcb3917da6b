"""A question, parsed once.

``Question`` is made at the start of every question (``parse_question``) and every later step
reads it: the route picks answer sources by its ``kinds``, scope narrows the search by its
places, the structured answers and trainers' lists read its themes, the extractive answerer
its terms, names and places. Nothing parses the string again.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from assistant.library.filters import Filters, question_filters
from assistant.text import REQUEST_VERBS, STOPWORDS, words
from ingest.areas import Area, Gazetteer
from ingest.themes import Taxonomy, tag_passage
from vectorstore.keyword import tokenize

Kind = Literal["answer", "examples", "quotes", "which-areas", "trend", "overview"]

# -- the kind of request --------------------------------------------------------------------

_EXAMPLES = re.compile(r"\b(?:examples?|case stud(?:y|ies))\b", re.I)
_CHANGE = re.compile(
    r"\b(?:practice|chang\w*|improv\w*|train\w*|sessions?|respon\w*|did|done|learn\w*|after|"
    r"introduc\w*|develop\w*|what worked)\b", re.I)
_QUOTES = re.compile(r"\b(?:quotes?|quotations?|in their own words)\b", re.I)
_PURPOSE = re.compile(
    r"\b(?:for|in) (?:a |an |my |our |the )?(?:training|teaching|learning)?\s*"
    r"(?:sessions?|courses?|events?|workshops?|briefings?|presentations?)\b", re.I)
_FRAME = re.compile(r"\b(?:practice )?examples? of\b|\bpractice examples?\b", re.I)
_TREND = re.compile(
    r"\b(changed|changes? (?:over|across|since|between)|trends?|over time|since (?:19|20)\d\d"
    r"|across (?:the )?(?:periods|years|reviews)|over the (?:periods|years)|increased|decreased"
    r"|(?:risen|fallen|gone up|gone down)|compare\w* (?:with|to) (?:earlier|previous))",
    re.I,
)
# "Which areas ...?" asks for areas only where the question (or a clause of it) opens with it:
# "did inspectors think what areas learned ... could help" asks something else.
_WHICH_AREAS = re.compile(
    r"(?:^|[,;:?.]\s*|\b(?:and|or|tell me|list|show me|show)\s+|\b(?:in|across)\s+)"
    r"(?:(?:which|what) (?:areas?|committees|cpcs|councils|health boards?|partnerships|local "
    r"authorities)\b|where (?:have|has|did|were)\b)",
    re.I,
)
# Beside the stopwords, the words that ask for nothing but "what is there about this area?".
_OVERVIEW_WORDS = words(
    "anything something everything say said tell know document documents report reports review "
    "reviews indexed area us done"
)
_LIST_WORDS = re.compile(
    r"\b(list|examples?|which (areas|committees|themes)|what (are|were) the|themes|ways)\b", re.I
)
_QUANTITY = re.compile(
    r"\b(how (many|much|often|prominent|common)|what (proportion|percentage|share|number))\b", re.I
)
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_WORDS = re.compile(r"[A-Za-z]+")

# -- names ----------------------------------------------------------------------------------

_CAPITALISED = re.compile(r"\b[A-Z][a-zA-Z'’-]+(?:\s+[A-Z][a-zA-Z'’-]+)*")
# Capitalised words that are no names (fewer than STOPWORDS: "May" and "Will" can be names).
_NOT_NAMES = REQUEST_VERBS | words(
    "what how which who when where why does do did is are was were in the a an and of for "
    "according i i'm i’m i've i’ve i'd i’d i'll i’ll"
)


@dataclass(frozen=True)
class Question:
    """What was asked, what is searched, and everything read from it."""

    text: str  # as asked (cleaned of bad bytes and control characters)
    query: str  # what is searched: the text, or a follow-up rewritten with its topic
    kinds: tuple[Kind, ...]  # the kinds of request its wording fits, the likeliest first
    asked: Filters  # the areas and nations the text itself names ("in Glasgow")
    places: tuple[Area, ...]  # every place named in the text or the query
    themes: tuple[str, ...]  # theme ids its topic names (a request's purpose left aside)
    names: tuple[str, ...]  # capitalised names after the first word ("Dundee", "Wales")
    years: tuple[int, ...]
    wants_list: bool  # "list", "which areas", "what were the ...": more sentences
    wants_quantity: bool  # "how many", "what proportion": figures weigh a little more
    filters: Filters = field(default_factory=Filters)  # chosen in the UI or on the CLI

    @property
    def kind(self) -> Kind:
        return self.kinds[0]

    @property
    def words(self) -> str:
        """The text, with the query after it when a follow-up was rewritten."""
        return self.text if self.query == self.text else f"{self.text} {self.query}"

    @property
    def terms(self) -> tuple[str, ...]:
        """Search terms of ``words``; a nation's name is left out (nations are matched by the
        documents' geography and filtered on, not by name) unless nothing else remains."""
        terms = list(dict.fromkeys(tokenize(self.words)))
        nation = {t for a in self.places if a.is_nation for t in tokenize(a.name)}
        return tuple(t for t in terms if t not in nation) or tuple(terms)

    @property
    def is_request(self) -> bool:
        """A trainer's request for a list of practice examples or quotations."""
        return self.kind in ("examples", "quotes")


def parse_question(
    text: str,
    *,
    taxonomy: Taxonomy,
    gazetteer: Gazetteer,
    query: str | None = None,
    filters: Filters | None = None,
) -> Question:
    """Read ``text`` once: its kind, places, themes, names, years and what it asks for."""
    query = query or text
    asked = question_filters(text, gazetteer)
    chosen = filters or Filters()
    words = text if query == text else f"{text} {query}"
    topic = _FRAME.sub(" ", _PURPOSE.sub(" ", text))
    kinds: list[Kind] = []
    if _QUOTES.search(text):
        kinds.append("quotes")
    elif _EXAMPLES.search(text) and _CHANGE.search(text):
        kinds.append("examples")
    if _TREND.search(text):
        kinds.append("trend")
    if _WHICH_AREAS.search(text):
        kinds.append("which-areas")
    if (chosen.areas or asked.areas) and _asks_only_about_places(text, asked.from_question):
        kinds.append("overview")
    kinds.append("answer")
    return Question(
        text=text,
        query=query,
        kinds=tuple(kinds),
        asked=asked,
        places=tuple(m.area for m in gazetteer.find(words)),
        themes=tuple(dict.fromkeys(t.theme for t in tag_passage(taxonomy, topic))),
        names=tuple(_names(text)),
        years=tuple(int(y) for y in _YEAR.findall(text)),
        wants_list=bool(_LIST_WORDS.search(text)),
        wants_quantity=bool(_QUANTITY.search(text)),
        filters=chosen,
    )


def _asks_only_about_places(text: str, said: Sequence[str]) -> bool:
    """"Is there anything about Angus?", "What did Fife do?": no topic beyond the place."""
    rest = text
    for name in said:
        rest = rest.replace(name, " ")
    stems = (w.lower() for w in _WORDS.findall(rest))
    return all(stem in _OVERVIEW_WORDS for stem in stems if stem not in STOPWORDS)


def _names(text: str) -> list[str]:
    """Capitalised names in a question that are not its first word ("Dundee", "Wales")."""
    names = []
    for m in _CAPITALISED.finditer(text):
        words = [w for w in m.group(0).split() if w.lower() not in _NOT_NAMES]
        if m.start() == 0 and words and m.group(0).split()[0] == words[0]:
            words = words[1:]
        if words:
            names.append(" ".join(words))
    return names
