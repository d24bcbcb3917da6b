"""The theme taxonomy (``ingest/data/themes.json``) and the tagging rules on one passage.

A passage gets a theme when one of the theme's *phrases* stands in it, or when a *context*
phrase stands in it and the passage is also close in meaning to the theme's label and
definition (cosine of their embeddings at least ``context_similarity``, and the theme among the
``top`` themes nearest the passage), or, with no phrase at all, when it is very close in
meaning (``similarity``, and among the ``top``). Where no rule gives a theme, a learned
judgement on the passage's embedding may (``Learned``; ``assistant.library.tagging`` holds it,
fitted on hand labels). Each tag keeps the span that triggered it. The embeddings are computed
by the caller (``assistant.library.tagging``); this module only needs the similarities.
"""

from __future__ import annotations

import bisect
import itertools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from assistant.text import collapse
from ingest.data_files import data_path
from ingest.sentences import sentence_spans

_GAP = ".."
_WORD = re.compile(r"[a-z]{4,}")


@dataclass(frozen=True)
class Theme:
    id: str
    group: str
    label: str
    definition: str
    phrases: tuple[str, ...]
    context: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    reflection: tuple[str, ...] = ()  # questions for trainers' handouts; not used in tagging

    @property
    def description(self) -> str:
        """What the theme's embedding is computed from."""
        return f"{self.label}. {self.definition}. {'; '.join(self.phrases[:8])}."


def _word(token: str, last: bool) -> str:
    if token.endswith("*"):
        # Before another word the ending is bounded: "share* information" made each "share"
        # in a run such as "share-share-share-..." scan to the end of the run (quadratic).
        ending = r"[\w'’-]*" if last else r"[\w'’-]{0,40}"
        return re.escape(token[:-1]).replace("\\-", "[\\s-]?") + ending
    body = re.sub(r"['’]", "['’]", re.escape(token).replace("\\-", "[\\s-]?"))
    return body + ("(?:s|es)?" if last and token[-1:].isalpha() else "")


def compile_phrase(phrase: str) -> re.Pattern[str]:
    """A phrase as a regular expression: words may be joined by spaces or hyphens, ``*`` ends
    a word with any ending, ``..`` is up to four words, capitals-only phrases keep their case."""
    tokens = phrase.split()
    parts: list[str] = []
    for i, token in enumerate(tokens):
        if token == _GAP:
            parts.append(r"(?:\S+\s+){0,4}?")
            continue
        parts.append(_word(token, last=i == len(tokens) - 1))
        if i < len(tokens) - 1 and tokens[i + 1] != _GAP:
            parts.append(r"[\s-]+")
        elif i < len(tokens) - 1:
            parts.append(r"\s+")
    letters = phrase.replace(" ", "")
    flags = 0 if letters.isupper() and len(letters) <= 8 else re.I
    return re.compile(r"(?<![\w])" + "".join(parts) + r"(?![\w])", flags)


@dataclass(frozen=True)
class Taxonomy:
    themes: tuple[Theme, ...]
    similarity: float = 0.55
    context_similarity: float = 0.5
    top: int = 1

    @classmethod
    def load(cls, path: Path | None = None) -> Taxonomy:
        if path is None:
            raw = data_path("themes.json").read_text(encoding="utf-8")
        else:
            raw = Path(path).read_text(encoding="utf-8")
        data: dict[str, Any] = json.loads(raw)
        themes = tuple(
            Theme(
                id=str(t["id"]),
                group=str(t.get("group", "")),
                label=str(t.get("label", t["id"])),
                definition=str(t.get("definition", "")),
                phrases=tuple(t.get("phrases", ())),
                context=tuple(t.get("context", ())),
                exclude=tuple(t.get("exclude", ())),
                reflection=tuple(t.get("reflection", ())),
            )
            for t in data["themes"]
        )
        return cls(
            themes,
            float(data.get("similarity", cls.similarity)),
            float(data.get("context_similarity", cls.context_similarity)),
            int(data.get("top", cls.top)),
        )

    def get(self, theme_id: str) -> Theme | None:
        return next((t for t in self.themes if t.id == theme_id), None)

    def resolve(self, name: str) -> Theme | None:
        """A theme by id, label, or one of its phrases ("domestic abuse", "CSE")."""
        key = collapse(name.replace("_", " ")).lower()
        for theme in self.themes:
            if key in (theme.id.replace("_", " "), theme.label.lower()):
                return theme
        for theme in self.themes:
            if any(compile_phrase(p).fullmatch(name.strip()) for p in theme.phrases):
                return theme
        return None


@cache
def _patterns(
    phrases: tuple[str, ...],
) -> tuple[tuple[tuple[str, ...], re.Pattern[str], bool], ...]:
    """Each phrase's pattern, with the words it cannot match without (lower case unless the
    pattern keeps case): cheap substring tests skip most patterns for most passages."""
    out = []
    for phrase in phrases:
        pattern = compile_phrase(phrase)
        words = tuple(
            w.lower() if pattern.flags & re.I else w
            for token in phrase.split() if token != _GAP
            for w in [re.split(r"[-'’]", token.rstrip("*"))[0]] if w
        )
        out.append((words, pattern, bool(pattern.flags & re.I)))
    return tuple(out)


def _spans(phrases: tuple[str, ...], text: str, lower: str = "") -> list[tuple[int, int]]:
    lower = lower or text.lower()
    spans: list[tuple[int, int]] = []
    for words, pattern, folded in _patterns(phrases):
        haystack = lower if folded else text
        if all(w in haystack for w in words):
            spans.extend((m.start(), m.end()) for m in pattern.finditer(text))
    return spans


def _drop(
    spans: Sequence[tuple[int, int]], bad: Sequence[tuple[int, int]]
) -> list[tuple[int, int]]:
    """``spans`` without those that overlap an excluded phrase, in text order (in time
    O((spans + bad) log bad), not spans x bad: a long run can hold thousands of each)."""
    ordered = sorted(bad)
    starts = [a for a, _ in ordered]
    reach = list(itertools.accumulate((b for _, b in ordered), max))  # furthest end so far
    kept: set[tuple[int, int]] = set()
    for s in spans:
        k = bisect.bisect_left(starts, s[1])  # the excluded spans that start before s ends
        if not k or reach[k - 1] <= s[0]:
            kept.add(s)
    return sorted(kept)


@dataclass(frozen=True)
class ThemeTag:
    theme: str
    how: str  # "phrase" | "context" | "similarity" | "learned"
    spans: tuple[tuple[int, int], ...]  # offsets in the passage text
    similarity: float

    def to_dict(self) -> dict[str, Any]:
        return {"how": self.how, "spans": [list(s) for s in self.spans],
                "similarity": round(self.similarity, 3)}


def _best_sentence(theme: Theme, text: str) -> tuple[int, int]:
    """For a tag from meaning alone: the sentence sharing most words with the theme."""
    words = set(_WORD.findall(theme.description.lower()))
    spans = sentence_spans(text) or [(0, len(text))]
    return max(spans, key=lambda s: len(words & set(_WORD.findall(text[s[0] : s[1]].lower()))))


def _found(
    phrases: tuple[str, ...], text: str, lower: str, excluded: Sequence[tuple[int, int]]
) -> list[tuple[int, int]]:
    """Where ``phrases`` stand in ``text``, less the matches an excluded phrase overlaps."""
    return _drop(_spans(phrases, text, lower), excluded)


def phrase_hits(theme: Theme, text: str) -> tuple[bool, bool]:
    """Whether a phrase, and whether a context phrase, of ``theme`` stands in ``text``, read
    as ``tag_passage`` reads them (the learned probe's fit uses them as features)."""
    lower = text.lower()
    excluded = _spans(theme.exclude, text, lower)
    return (bool(_found(theme.phrases, text, lower, excluded)),
            bool(_found(theme.context, text, lower, excluded)))


class Learned(Protocol):
    """A learned judgement on one passage (``assistant.library.tagging.ThemeProbe``): whether
    ``theme`` applies, given what the rules saw (a context phrase, the similarity)."""

    def accepts(self, theme: str, context: bool, similarity: float) -> bool: ...


def tag_passage(
    taxonomy: Taxonomy,
    text: str,
    similarity: Mapping[str, float] | None = None,
    learned: Learned | None = None,
) -> list[ThemeTag]:
    """The themes of one passage, each with the spans that triggered it. A theme no rule
    gives is still given when ``learned`` accepts it (tagged ``how="learned"``)."""
    similarity = similarity or {}
    ranked = sorted(similarity, key=lambda t: -similarity[t])[: taxonomy.top]
    lower = text.lower()
    tags: list[ThemeTag] = []
    for theme in taxonomy.themes:
        sim = similarity.get(theme.id, 0.0)
        near = theme.id in ranked
        excluded = _spans(theme.exclude, text, lower)
        strong = _found(theme.phrases, text, lower, excluded)
        if strong:
            tags.append(ThemeTag(theme.id, "phrase", tuple(strong[:5]), sim))
            continue
        weak = _found(theme.context, text, lower, excluded)
        if weak and near and sim >= taxonomy.context_similarity:
            tags.append(ThemeTag(theme.id, "context", tuple(weak[:5]), sim))
        elif near and sim >= taxonomy.similarity and text.strip():
            tags.append(ThemeTag(theme.id, "similarity", (_best_sentence(theme, text),), sim))
        elif learned is not None and text.strip() and learned.accepts(theme.id, bool(weak), sim):
            spans = tuple(weak[:5]) or (_best_sentence(theme, text),)
            tags.append(ThemeTag(theme.id, "learned", spans, sim))
    return tags


@cache
def default_taxonomy() -> Taxonomy:
    return Taxonomy.load()
