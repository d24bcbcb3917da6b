"""The review types of the four UK systems (``ingest/data/review_types.json``), and which ones
a document is or is about.

Scotland's initial case reviews, significant case reviews and learning reviews; England's
serious case reviews, local and national child safeguarding practice reviews and rapid
reviews; Wales's child practice reviews (concise and extended) and single unified safeguarding
reviews; Northern Ireland's case management reviews; and thematic reviews, which every nation
has. The document card stores their labels (``CardKey.REVIEW_TYPES``), strongest first.

The rule (``find_review_types``), the same for a one-page briefing and a hundred-page report:

- every name of a type is counted once where it stands (the longest name wins, so a "local
  child safeguarding practice review" is not also a "child safeguarding practice review");
- a *generic* name ("rapid review", "learning review", "practice review") counts only in a
  document about the type's own nation; a *weak* phrase (the Child Safeguarding Practice
  Review Panel, which commissions national reviews) counts half;
- an abbreviation counts only where the document spells out one of its type's names ("CPR" is
  also resuscitation and the child protection register), and "(CMR)" right after "case
  management review" is the same mention, not a second one. "SCR" is a significant case review
  in a document about Scotland and a serious case review in one about England; elsewhere it
  goes to the one the document spells out more;
- a type is kept when the title names it, or when it is mentioned at least ``MIN_MENTIONS``
  times and at least ``MIN_SHARE`` as often as the most mentioned type (so a long report's
  passing mentions of other systems do not count);
- a subtype (an extended child practice review) also counts as its parent, and is listed just
  before it when it holds at least half of the parent's mentions (the document is one).

The nation the kept types imply is given when they all belong to one nation.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from ingest.data_files import data_path

MIN_MENTIONS = 2.0  # a type the title does not name needs this many mentions ...
MIN_SHARE = 0.2  # ... and this share of the most mentioned type's
TITLE_BONUS = 2.0  # a name in the title adds this much to the type's score
WEAK = 0.5  # what a weak phrase counts for
_ABBREVIATION = "abbreviation"


@dataclass(frozen=True)
class ReviewType:
    id: str
    label: str
    nation: str | None  # None: every nation has it
    names: tuple[str, ...] = ()
    generic: tuple[str, ...] = ()
    weak: tuple[str, ...] = ()
    abbreviations: tuple[str, ...] = ()
    parent: str | None = None

    @property
    def spellings(self) -> tuple[str, ...]:
        """Everything a person may type for it: label, id, names and abbreviations."""
        return (self.label, self.id.replace("_", " "), *self.names, *self.generic,
                *self.abbreviations)


@dataclass(frozen=True)
class FoundTypes:
    """The review types a document is or is about, strongest first, and their nation."""

    types: tuple[ReviewType, ...] = ()
    nation: str | None = None  # when every kept type with a nation has the same one
    scores: Mapping[str, float] | None = None  # by type id, for explaining a result

    @property
    def labels(self) -> list[str]:
        return [t.label for t in self.types]


def _phrase_pattern(phrase: str, keep_case: bool) -> str:
    words = [re.escape(w) for w in phrase.split()]
    words[-1] += "s?"  # a plural: "reviews", "SCRs"
    body = r"\s+".join(words)
    return body if keep_case else f"(?i:{body})"


def _key(text: str) -> str:
    """A typed name as a lookup key: lower case, single spaces, no plural."""
    key = " ".join(text.replace("_", " ").replace("-", " ").lower().split())
    return key[:-1] if key.endswith("s") and not key.endswith("ss") else key


class ReviewTypes:
    """The catalogue of review types and the one pattern that finds their names in a text."""

    def __init__(self, types: Sequence[ReviewType], not_reviews: Sequence[str] = ()) -> None:
        self.types = tuple(types)
        self.not_reviews = tuple(not_reviews)
        self.by_id = {t.id: t for t in self.types}

    @classmethod
    def load(cls, path: Path | None = None) -> ReviewTypes:
        raw = (path or data_path("review_types.json")).read_text(encoding="utf-8")
        data: dict[str, Any] = json.loads(raw)
        types = [
            ReviewType(
                id=str(t["id"]), label=str(t.get("label", t["id"])), nation=t.get("nation"),
                names=tuple(t.get("names", ())), generic=tuple(t.get("generic", ())),
                weak=tuple(t.get("weak", ())), abbreviations=tuple(t.get("abbreviations", ())),
                parent=t.get("parent"),
            )
            for t in data.get("types", ())
        ]
        return cls(types, tuple(data.get("not_reviews", ())))

    @cached_property
    def _phrases(self) -> list[tuple[str, str, tuple[str, ...]]]:
        """(phrase, kind, type ids): a phrase two types share (SCR) names both."""
        owners: dict[tuple[str, str], list[str]] = defaultdict(list)
        for t in self.types:
            for kind, phrases in (("name", t.names), ("generic", t.generic), ("weak", t.weak),
                                  (_ABBREVIATION, t.abbreviations)):
                for phrase in phrases:
                    owners[(phrase, kind)].append(t.id)
        found = [(p, kind, tuple(ids)) for (p, kind), ids in owners.items()]
        found += [(p, "not", ()) for p in self.not_reviews]
        return sorted(found, key=lambda f: -len(f[0]))  # the longest phrase wins at a place

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        """One alternation of every phrase, longest first; group ``pN`` is ``_phrases[N]``."""
        parts = [f"(?P<p{i}>{_phrase_pattern(p, kind == _ABBREVIATION)})"
                 for i, (p, kind, _) in enumerate(self._phrases)]
        return re.compile(r"\b(?:" + "|".join(parts) + r")\b")

    def named(self, name: str, nation: str | None = None) -> tuple[ReviewType, ...]:
        """The types a person means by ``name`` ("CMR", "child practice reviews", "LCSPR",
        "serious case review"); "SCR" is the one of ``nation``, or both without one."""
        key = _key(name)
        found = [t for t in self.types if key in {_key(s) for s in t.spellings}]
        if len(found) > 1 and nation:
            found = [t for t in found if t.nation == nation] or found
        return tuple(found)

    def mentions(self, text: str) -> Iterable[tuple[str, tuple[str, ...], re.Match[str]]]:
        """(kind, type ids, match) for every phrase in ``text``, left to right."""
        for m in self.pattern.finditer(text):
            _, kind, ids = self._phrases[int(str(m.lastgroup)[1:])]
            if kind != "not":
                yield kind, ids, m


@cache
def default_review_types() -> ReviewTypes:
    return ReviewTypes.load()


@dataclass
class _Tally:
    names: Counter[str]  # names spelt out (and generic ones, kept apart)
    generic: Counter[str]
    weak: Counter[str]
    abbreviations: list[tuple[tuple[str, ...], int]]  # (the types it may be, how many times)


def _tally(catalogue: ReviewTypes, text: str) -> _Tally:
    names: Counter[str] = Counter()
    generic: Counter[str] = Counter()
    weak: Counter[str] = Counter()
    abbreviations: Counter[tuple[str, ...]] = Counter()
    last_ids: tuple[str, ...]
    last_end, last_ids = -10, ()  # the last name: an abbreviation right after defines it
    for kind, ids, m in catalogue.mentions(text):
        if kind == _ABBREVIATION:
            gap = text[last_end : m.start()] if m.start() - last_end <= 4 else ""
            defined = set(ids) & set(last_ids) and re.fullmatch(r"\s*\(\s*", gap)
            if not defined:  # "case management review (CMR)" is one mention
                abbreviations[ids] += 1
            continue
        counter = {"name": names, "generic": generic, "weak": weak}[kind]
        for type_id in ids:
            counter[type_id] += 1
        last_end, last_ids = m.end(), ids
    return _Tally(names, generic, weak, list(abbreviations.items()))


def _spelt_nation(catalogue: ReviewTypes, tally: _Tally) -> str | None:
    """The one nation of the types whose names a text spells out (None for none or several)."""
    nations = {catalogue.by_id[i].nation for i in tally.names} - {None}
    return next(iter(nations)) if len(nations) == 1 else None


def _counts(
    catalogue: ReviewTypes, tally: _Tally, nation: str | None, spelt: Mapping[str, float]
) -> defaultdict[str, float]:
    """Mentions by type id: names, generic names of the nation, weak phrases, abbreviations."""
    counts: defaultdict[str, float] = defaultdict(float)
    for type_id, n in _spelt(catalogue, tally, nation).items():
        counts[type_id] += n
    for type_id, n in tally.weak.items():
        counts[type_id] += WEAK * n
    for ids, n in tally.abbreviations:
        of_nation = [i for i in ids if nation and catalogue.by_id[i].nation == nation
                     and (spelt.get(i) or len(ids) > 1)]
        written = sorted((i for i in ids if spelt.get(i)), key=lambda i: -spelt[i])
        chosen = of_nation[:1] or written[:1]
        if chosen:
            counts[chosen[0]] += n
    return counts


def _spelt(catalogue: ReviewTypes, tally: _Tally, nation: str | None) -> Counter[str]:
    """Names spelt out, by type id: generic names only for types of ``nation``."""
    generic = Counter({i: n for i, n in tally.generic.items()
                       if nation is not None and catalogue.by_id[i].nation == nation})
    return tally.names + generic


def find_review_types(
    title: str, text: str, nation: str | None = None, catalogue: ReviewTypes | None = None
) -> FoundTypes:
    """The review types a document (its ``title`` and whole ``text``) is or is about, strongest
    first, by the rule in the module's docstring. ``nation`` is the document's, where known (it
    decides "SCR" and whether generic names count); without it, the nation the document's
    spelt-out names imply stands in."""
    catalogue = catalogue or default_review_types()
    body, head = _tally(catalogue, text), _tally(catalogue, title)
    nation = nation or _spelt_nation(catalogue, body)
    spelt = _spelt(catalogue, body, nation) + _spelt(catalogue, head, nation)
    mentions = _counts(catalogue, body, nation, spelt)
    in_title = _counts(catalogue, head, nation, spelt)
    for t in catalogue.types:  # a subtype's mentions are its parent's too
        if t.parent and t.parent in catalogue.by_id and (mentions[t.id] or in_title[t.id]):
            mentions[t.parent] += mentions[t.id]
            in_title[t.parent] = max(in_title[t.parent], in_title[t.id])
    named = [i for i in {*mentions, *in_title} if mentions[i] or in_title[i]]
    scores = {i: mentions[i] + TITLE_BONUS * min(in_title[i], 1.0) for i in named}
    top = max(mentions.values(), default=0.0)
    kept = [
        i for i in scores
        if in_title[i] > 0 or (mentions[i] >= MIN_MENTIONS and mentions[i] >= MIN_SHARE * top)
    ]
    order = [catalogue.by_id[i] for i in sorted(kept, key=lambda i: (-scores[i], i))]
    types = _children_first(order, mentions)
    nations = {t.nation for t in types} - {None}
    ranked = sorted(scores.items(), key=lambda x: (-x[1], x[0]))
    return FoundTypes(tuple(types), next(iter(nations)) if len(nations) == 1 else None,
                      {i: round(s, 2) for i, s in ranked})


def _children_first(order: list[ReviewType], mentions: Mapping[str, float]) -> list[ReviewType]:
    """A subtype that holds at least half of its parent's mentions goes just before it (the
    document is an extended child practice review); a lesser one stays after it."""
    out: list[ReviewType] = []
    for t in order:
        if t in out:
            continue
        out += [c for c in order if c.parent == t.id and c not in out
                and mentions.get(c.id, 0.0) >= 0.5 * mentions.get(t.id, 0.0)]
        out.append(t)
    return out


def labels_for(names: Iterable[str], nation: str | None = None) -> list[str]:
    """The labels of the review types ``names`` mean (metadata.csv's ``review_type``); names
    that are no review type are left out."""
    catalogue = default_review_types()
    found = [t.label for name in names for t in catalogue.named(name, nation)]
    return list(dict.fromkeys(found))
