"""Filters on passages: area, nation, theme, document type, review type, publication years.

``Filters`` turns into a Chroma ``where`` (over the flat ``m_`` chunk metadata), which
``vectorstore.where`` also applies to keyword hits, so both searches see the same passages.
Names are resolved the way a person types them: "Glasgow", "NHS Grampian", "Fife CPC" through
the gazetteer, "domestic abuse" or "CSE" through the theme taxonomy, "CMR" or "child practice
review" through the review types (``ingest/data/review_types.json``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.errors import RlaError
from assistant.text import collapse
from assistant.types import META_PREFIX, CardKey
from ingest.areas import NATIONS, Area, Gazetteer, default_gazetteer
from ingest.reviewtypes import default_review_types
from ingest.themes import Taxonomy, default_taxonomy
from vectorstore.where import all_of, any_of


class FilterError(RlaError):
    """A filter names something the assistant does not know."""


@dataclass(frozen=True)
class Filters:
    areas: tuple[str, ...] = ()  # gazetteer names; a passage matches any of them
    nations: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()  # theme ids; a passage matches any of them
    doc_type: str | None = None
    review_types: tuple[str, ...] = ()  # review type labels; a passage matches any of them
    year_from: int | None = None
    year_to: int | None = None
    from_question: tuple[str, ...] = field(default=(), compare=False)  # names read from it

    def __bool__(self) -> bool:
        return bool(self.areas or self.nations or self.themes or self.doc_type
                    or self.review_types or self.year_from is not None or self.year_to is not None)

    def where(self) -> dict[str, Any] | None:
        """The Chroma ``where`` for these filters (None for no filter)."""
        m = META_PREFIX
        parts: list[dict[str, Any]] = []
        if self.areas:
            parts.append(any_of([{f"{m}area_keys": {"$contains": a}} for a in self.areas]))
        if self.nations:
            parts.append({m + CardKey.NATION: {"$in": list(self.nations)}})
        if self.themes:
            parts.append(any_of([{f"{m}themes": {"$contains": t}} for t in self.themes]))
        if self.doc_type:
            parts.append({m + CardKey.DOC_TYPE: self.doc_type})
        if self.review_types:
            key = m + CardKey.REVIEW_TYPES
            parts.append(any_of([{key: {"$contains": r}} for r in self.review_types]))
        if self.year_from is not None:
            parts.append({m + CardKey.YEAR: {"$gte": self.year_from}})
        if self.year_to is not None:
            parts.append({m + CardKey.YEAR: {"$lte": self.year_to}})
        return all_of(*parts)

    def merged(self, other: Filters) -> Filters:
        return Filters(
            areas=self.areas or other.areas,
            nations=self.nations or other.nations,
            themes=self.themes or other.themes,
            doc_type=self.doc_type or other.doc_type,
            review_types=self.review_types or other.review_types,
            year_from=self.year_from if self.year_from is not None else other.year_from,
            year_to=self.year_to if self.year_to is not None else other.year_to,
            from_question=self.from_question + other.from_question,
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in ("areas", "nations", "themes", "review_types"):
            if getattr(self, key):
                out[key] = list(getattr(self, key))
        for key in ("doc_type", "year_from", "year_to"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.from_question:
            out["from_question"] = list(self.from_question)
        return out

    def describe(self, taxonomy: Taxonomy | None = None) -> str:
        """"area Glasgow City; theme Neglect; 2015 to 2021" for a note under an answer."""
        taxonomy = taxonomy or default_taxonomy()
        bits = []
        if self.areas:
            bits.append("area " + " or ".join(self.areas))
        if self.nations:
            bits.append("nation " + " or ".join(self.nations))
        if self.themes:
            themes = [taxonomy.get(t) for t in self.themes]
            labels = [t.label if t else i for t, i in zip(themes, self.themes, strict=True)]
            bits.append("theme " + " or ".join(labels))
        if self.doc_type:
            bits.append(f"document type {self.doc_type}")
        if self.review_types:
            bits.append("review type " + " or ".join(self.review_types))
        if self.year_from is not None or self.year_to is not None:
            bits.append(f"published {self.year_from or '…'} to {self.year_to or '…'}")
        return "; ".join(bits)


def find_area(name: str, gazetteer: Gazetteer | None = None) -> Area | None:
    """An area by any of its names, case-insensitively ("glasgow", "Fife CPC")."""
    gazetteer = gazetteer or default_gazetteer()
    exact = gazetteer.get(name.strip())
    if exact is not None:
        return exact
    key = collapse(name).lower()
    for area in gazetteer.areas:
        if key in (f.lower() for f in (area.name, *area.aliases)):
            return area
    found = gazetteer.find(name)
    return found[0].area if len(found) == 1 else None


def resolve(
    *,
    areas: Sequence[str] = (),
    nation: str | None = None,
    themes: Sequence[str] = (),
    doc_type: str | None = None,
    review_types: Sequence[str] = (),
    year_from: int | None = None,
    year_to: int | None = None,
    taxonomy: Taxonomy | None = None,
) -> Filters:
    """Filters from what a person typed; an unknown name is a ``FilterError`` saying so."""
    taxonomy = taxonomy or default_taxonomy()
    area_names: list[str] = []
    for name in areas:
        area = find_area(name)
        if area is None:
            raise FilterError(f"unknown area {name!r} (see `rla areas` for the areas covered)")
        if area.is_nation:
            nation = nation or area.name
        else:
            area_names.append(area.name)
    nations: tuple[str, ...] = ()
    if nation:
        match = next((n for n in NATIONS if n.lower() == nation.strip().lower()), None)
        if match is None:
            raise FilterError(f"unknown nation {nation!r} (one of: {', '.join(NATIONS)})")
        nations = (match,)
    theme_ids: list[str] = []
    for name in themes:
        theme = taxonomy.resolve(name)
        if theme is None:
            raise FilterError(f"unknown theme {name!r} (see `rla themes` for the list)")
        theme_ids.append(theme.id)
    labels: list[str] = []
    for name in review_types:
        found = default_review_types().named(name, nations[0] if nations else None)
        if not found:
            known = ", ".join(t.label for t in default_review_types().types)
            raise FilterError(f"unknown review type {name!r} (one of: {known})")
        labels += [t.label for t in found]
    if year_from is not None and year_to is not None and year_from > year_to:
        raise FilterError(f"--year-from {year_from} is after --year-to {year_to}")
    return Filters(
        areas=tuple(dict.fromkeys(area_names)),
        nations=nations,
        themes=tuple(dict.fromkeys(theme_ids)),
        doc_type=doc_type.strip().lower() if doc_type else None,
        review_types=tuple(dict.fromkeys(labels)),
        year_from=year_from,
        year_to=year_to,
    )


# A nation's adjective names it in a question ("Welsh practice reviews", "Scottish
# inspectors"). Not "English": it is as often the language ("English as an additional
# language") as the nation.
_NATION_ADJECTIVES = re.compile(r"\b(Scottish|Welsh|Northern Irish)\b")
_ADJECTIVE_NATION = {"Scottish": "Scotland", "Welsh": "Wales", "Northern Irish": "Northern Ireland"}


def question_filters(question: str, gazetteer: Gazetteer | None = None) -> Filters:
    """The areas and nations a question names ("in Glasgow", "in Scotland", "Welsh")."""
    gazetteer = gazetteer or default_gazetteer()
    mentions = gazetteer.find(question)
    areas = tuple(dict.fromkeys(m.area.name for m in mentions if not m.area.is_nation))
    adjectives = [m.group(1) for m in _NATION_ADJECTIVES.finditer(question)]
    nations = tuple(dict.fromkeys(
        [m.area.name for m in mentions if m.area.is_nation]
        + [_ADJECTIVE_NATION[a] for a in adjectives]))
    said = tuple(dict.fromkeys([m.text for m in mentions] + adjectives))
    return Filters(areas=areas, nations=nations, from_question=said)
