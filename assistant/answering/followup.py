"""Follow-up questions without an LLM: build the search query from the new question plus the
topic it leaves implicit.

A question is a *follow-up* when it leans on the previous turns:

- it opens with a connective ("and in adolescents?", "what about Glasgow?", "or infants?"),
  or it is a fragment (no question word, few content words): it keeps the **topic** (the
  content words of the last stand-alone question) and swaps in its own words;
- it refers back with a pronoun ("what did they recommend?", "why was that?") or has no
  content words of its own ("why?"): it continues the **last query**, whatever that was.

Anything else is a new question and is searched as it stands.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.text import FRAMING, REQUEST_VERBS, STOPWORDS
from assistant.text import words as _set

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’-]*")
_LEADING_PUNCT = re.compile(r"^[\s,;:.…-]+")

# Openers that attach a new facet to the topic of the previous question.
_CONNECTIVES: tuple[tuple[str, ...], ...] = tuple(
    tuple(p.split())
    for p in (
        "and what about", "and how about", "and what of", "but what about", "what about",
        "how about", "what of", "same for", "same question for", "the same for", "and also",
        "and", "or", "but", "also", "plus", "then", "so", "likewise", "similarly", "versus", "vs",
    )
)
_QUESTION_OPENERS = REQUEST_VERBS | _set(
    "what how why who whom whose when where which is are was were do does did can could "
    "should would will has have had may might must describe explain summarise summarize "
    "compare define name"
)
_PRONOUNS = _set("it it's they them he she him")
_POSSESSIVES = _set("its their theirs his her hers")
_DEMONSTRATIVES = _set("this these those such same former latter")
_REFERRING = _PRONOUNS | _POSSESSIVES | _DEMONSTRATIVES
# The words of a conversation that carry no topic: stopwords, the words above, and these.
_STOPWORDS = STOPWORDS | _REFERRING | _QUESTION_OPENERS | _set(
    "anything something either else like no not now ought per please us via whatever there's "
    "what's how's let's i'm"
)
# Words that say how to ask, not what about: never inherited as topic.
_GENERIC = FRAMING | _set(
    "described happens review reviews indexed found mean means kind kinds sort anything key "
    "main important general generally please more else"
)
MAX_INHERITED = 8
SHORT_FRAGMENT = 3  # a fragment with at most this many content words is a follow-up
SHORT_REFERENCE = 3  # a pronoun question with at most this many content words refers back


@dataclass(frozen=True)
class _Turn:
    query: str
    topic: tuple[str, ...]  # content words of the last stand-alone question
    words: tuple[str, ...]  # content words of this turn's query


def content_words(text: str) -> list[str]:
    """Words that carry the topic, in order, without repeats (case kept for names)."""
    seen: set[str] = set()
    out: list[str] = []
    for m in _WORD.finditer(text):
        word = m.group(0).strip("'’-")
        low = word.lower()
        if not word or low in _STOPWORDS or low in _GENERIC or low in seen:
            continue
        if len(low) < 2 and not low.isdigit():
            continue
        seen.add(low)
        out.append(word)
    return out


def _lower_words(text: str) -> list[str]:
    return [m.group(0).lower() for m in _WORD.finditer(text)]


def _strip_connective(question: str) -> tuple[str, bool]:
    """The question without its opening connective, and whether it had one."""
    words = _lower_words(question)
    for phrase in _CONNECTIVES:
        if tuple(words[: len(phrase)]) == phrase:
            rest = question
            for _ in phrase:  # drop the phrase word by word, keeping the rest's spelling
                m = _WORD.search(rest)
                rest = rest[m.end():] if m else ""
            return _LEADING_PUNCT.sub("", rest).strip(), True
    return question.strip(), False


def _refers_back(question: str) -> bool:
    """A pronoun or demonstrative anywhere ("what caused it?", "these reviews"), or a
    possessive before any content word ("their plans", not "Dundee ... its reviews")."""
    words = _lower_words(question)
    if any(w in _DEMONSTRATIVES or w in _PRONOUNS for w in words):
        return True
    # "that" is usually a relative pronoun; it refers back only at either end ("why that?")
    if words and (words[0] == "that" or words[-1] == "that"):
        return True
    content = {w.lower() for w in content_words(question)}
    for w in words:
        if w in _POSSESSIVES:
            return True
        if w in content:
            return False
    return False


def _kind(question: str) -> tuple[str, str]:
    """("new" | "facet" | "continue", question without its connective)."""
    rest, had_connective = _strip_connective(question)
    own = content_words(rest)
    if had_connective:
        return "facet", rest
    if not own:
        return "continue", rest
    if _refers_back(rest) and len(own) <= SHORT_REFERENCE:
        return "continue", rest
    words = _lower_words(rest)
    is_question = bool(words) and words[0] in _QUESTION_OPENERS
    if not is_question and len(own) <= SHORT_FRAGMENT:
        return "facet", rest
    return "new", rest


def _merge(
    inherited: Sequence[str], rest: str, *, sep: str = " "
) -> tuple[str, tuple[str, ...]]:
    """``neglect in adolescents?`` (a facet) or ``neglect: why?`` (a continuation)."""
    own = content_words(rest)
    have = {w.lower() for w in own}
    keep = [w for w in inherited if w.lower() not in have][:MAX_INHERITED]
    query = f"{' '.join(keep)}{sep}{rest}".strip() if keep else rest
    return query, (*keep, *own)


def _resolve(questions: Sequence[str]) -> _Turn | None:
    """Walk the conversation oldest first; the last turn's query, topic and words."""
    turn: _Turn | None = None
    for question in questions:
        if not question.strip():
            continue
        kind, rest = _kind(question)
        if turn is None or kind == "new":
            words = tuple(content_words(rest))
            turn = _Turn(rest or question.strip(), words, words)
        elif kind == "facet":
            query, words = _merge(turn.topic, rest)
            turn = _Turn(query, turn.topic, words)
        else:
            query, words = _merge(turn.words, rest, sep=": ")
            turn = _Turn(query, turn.topic, words)
    return turn


def build_query(question: str, history: list[str]) -> str:
    """What to search for ``question``, given the previous user questions (newest last).

    >>> build_query("and in adolescents?", ["what do reviews say about neglect?"])
    'neglect in adolescents?'
    >>> build_query("What did Dundee learn from its reviews?", ["what about neglect?"])
    'What did Dundee learn from its reviews?'
    """
    if not question.strip():
        return question
    if not history:
        return question.strip()
    turn = _resolve([*history, question])
    return turn.query if turn is not None else question.strip()


def is_follow_up(question: str, history: list[str]) -> bool:
    """True when ``question`` is searched together with words from earlier turns."""
    return bool(history) and build_query(question, history) != _strip_connective(question)[0]
