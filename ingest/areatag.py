"""Areas on each passage, from the gazetteer (``ingest/data/areas.json``).

A heading that names an area gives it to the whole block beneath it (the section path holds
every heading above a chunk, so "Glasgow Child Protection Committee > The change in practice"
tags Glasgow). In the text, postal addresses, contact details, copyright lines and author
affiliations are not findings about an area and are skipped, as are contents pages and
reference lists. Nations are not areas (the document card's ``nation`` covers them).

Each mention becomes a *place*: a council or committee becomes the council(s) it serves, a
health board or an English or Welsh region stays itself. A bare "Fife" is the council, with
the committee and the health board attached through the lookup (``area_keys``), as the
reference notes ask.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache

from assistant.text import collapse
from assistant.types import Chunk, MetaValue
from ingest.areas import Area, Gazetteer, default_gazetteer
from ingest.sections import no_findings

_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b")
# An e-mail address is matched with bounded parts that cannot hold "@" (a local part of at
# most 64 characters starting a word, a domain of at most 255): ``\S+@\S+\.\w+`` took time
# quadratic in a long run without spaces (a base64 blob, a rule of dashes, minified code).
_EMAIL = r"(?<![^\s@])[^\s@]{1,64}@[^\s@]{1,255}\.\w"
_CONTACT = re.compile(
    r"\b(?:Tel|Telephone|Fax|Email|E-mail|Website|Web|Enquiries|Phone)\b\s*+:?"
    rf"|\b0\d{{3,4}}[ -]?\d{{3}}[ -]?\d{{3,4}}\b|{_EMAIL}|https?://|\bwww\.|©|\bCopyright\b"
    r"|\bPublished by\b|^\s*+Headquarters\b|\bRegistered (?:office|charity)\b",
    re.I,
)
_AFFILIATION_AFTER = re.compile(r"^\s*(?:Caledonian )?(?:University|College|Business School)\b")
_AFFILIATION_BEFORE = re.compile(r"\b(?:University|College) of (?:the )?$")
_COMMITTEE_WORDS = re.compile(
    r"\b(?:child protection committee|public protection committee|public protection partnership|"
    r"public protection|protecting people|child protection|cpc|ppc|ohcpc)\b",
    re.I,
)
_MAX_HEADING_WORDS = 12


@dataclass(frozen=True)
class Places:
    """Where each gazetteer area sits: the place(s) it is counted under and the names a
    filter on it should also match."""

    place: dict[str, tuple[str, ...]]  # area name -> place names (council, board or region)
    keys: dict[str, tuple[str, ...]]  # area name -> every name a filter may use for it
    kind: dict[str, str]  # place name -> kind

    @classmethod
    def build(cls, gazetteer: Gazetteer) -> Places:
        councils = [a for a in gazetteer.areas if a.kind == "council"]
        forms = {f.lower(): c.name for c in councils for f in (c.name, *c.aliases)}
        place: dict[str, tuple[str, ...]] = {}
        cpcs_of: dict[str, list[str]] = {}
        for area in gazetteer.areas:
            if area.is_nation:
                continue
            if area.kind == "cpc":
                served = _served(area, forms)
                place[area.name] = served or (area.name,)
                for council in served:
                    cpcs_of.setdefault(council, []).append(area.name)
            else:
                place[area.name] = (area.name,)
        keys: dict[str, tuple[str, ...]] = {}
        by_name = {a.name: a for a in gazetteer.areas}
        for name, places in place.items():
            area = by_name[name]
            names = [name, *places]
            for p in places:
                names.extend(cpcs_of.get(p, ()))
            if area.kind in ("council", "cpc") and area.parent:
                names.append(area.parent)
            keys[name] = tuple(dict.fromkeys(names))
        kind = {p: by_name[p].kind for ps in place.values() for p in ps if p in by_name}
        return cls(place, keys, kind)


def _served(cpc: Area, council_forms: dict[str, str]) -> tuple[str, ...]:
    """The councils a committee serves, read from its names ("Clackmannanshire and Stirling")."""
    found: list[str] = []
    for form in (cpc.name, *cpc.aliases):
        core = collapse(_COMMITTEE_WORDS.sub(" ", form)).strip(" -").lower()
        if core in council_forms:
            found.append(council_forms[core])
            continue
        parts = [p.strip() for p in re.split(r"\s+(?:and|&)\s+", core)]
        if len(parts) > 1 and all(p in council_forms for p in parts):
            found.extend(council_forms[p] for p in parts)
    return tuple(dict.fromkeys(found))


@cache
def default_places() -> Places:
    return Places.build(default_gazetteer())


@dataclass(frozen=True)
class AreaTag:
    area: str  # the gazetteer name of what was mentioned
    form: str  # the words as they stand
    source: str  # "heading" or "text"
    start: int = -1  # offsets in the chunk text (text mentions only)
    end: int = -1


def _excluded_lines(text: str) -> list[tuple[int, int]]:
    """Spans of lines that are contact, address or copyright lines. A short line next to one
    is part of the same address block ("11 Riverside Drive" / "Dundee" / "DD1 4NY")."""
    lines: list[tuple[int, int, str]] = []
    offset = 0
    for line in text.split("\n"):
        lines.append((offset, offset + len(line), line))
        offset += len(line) + 1
    bad = [_contact(line) for _, _, line in lines]
    changed = True
    while changed:
        changed = False
        for i, (_, _, line) in enumerate(lines):
            near = bad[max(0, i - 1)] or bad[min(len(lines) - 1, i + 1)]
            if not bad[i] and near and len(line.split()) <= 4:
                bad[i] = changed = True
    return [(a, b) for (a, b, _), flag in zip(lines, bad, strict=True) if flag]


def _contact(line: str) -> bool:
    return bool(_POSTCODE.search(line) or _CONTACT.search(line))


def _is_affiliation(text: str, start: int, end: int) -> bool:
    return bool(
        _AFFILIATION_AFTER.match(text[end : end + 30])
        or _AFFILIATION_BEFORE.search(text[max(0, start - 30) : start])
    )


def area_tags(chunk: Chunk, gazetteer: Gazetteer | None = None) -> list[AreaTag]:
    """The area mentions that make ``chunk`` a passage about those areas."""
    gazetteer = gazetteer or default_gazetteer()
    path = [h.strip() for h in chunk.section.split(" > ") if h.strip()]
    if no_findings(chunk.section):
        return []
    skip = _excluded_lines(chunk.text)
    if sum(b - a for a, b in skip) * 2 > len(chunk.text) or _contact(path[-1] if path else ""):
        return []  # an address or contact block, whatever heading it stands under
    tags: list[AreaTag] = []
    for heading in path:
        if _contact(heading) or len(heading.split()) > _MAX_HEADING_WORDS:
            continue
        for m in gazetteer.find(heading):
            if not m.area.is_nation and not _is_affiliation(heading, m.start, m.end):
                tags.append(AreaTag(m.area.name, m.text, "heading"))
    for m in gazetteer.find(chunk.text):
        if m.area.is_nation or any(a <= m.start < b for a, b in skip):
            continue
        if _is_affiliation(chunk.text, m.start, m.end):
            continue
        tags.append(AreaTag(m.area.name, m.text, "text", m.start, m.end))
    return tags


def area_meta(tags: Sequence[AreaTag], places: Places | None = None) -> dict[str, MetaValue]:
    """Flat chunk metadata: ``areas`` (places), ``area_keys`` (every name a filter may use)
    and ``area_mentions`` (JSON: what was matched, where). Empty lists are left out (Chroma
    refuses them)."""
    places = places or default_places()
    found = [t for t in tags if t.area in places.place]
    if not found:
        return {}
    areas = sorted({p for t in found for p in places.place[t.area]})
    keys = sorted({k for t in found for k in places.keys[t.area]})
    mentions = [
        {"area": t.area, "form": t.form, "source": t.source, "start": t.start, "end": t.end}
        for t in found
    ]
    return {"areas": areas, "area_keys": keys, "area_mentions": json.dumps(mentions)}


_STAGES = (
    ("change", re.compile(r"^the change in practice$", re.I)),
    ("finding", re.compile(r"^the findings and recommendations", re.I)),
    ("partnership", re.compile(r"^how partners worked together", re.I)),
)


def stage_of(section: str) -> str | None:
    """Appendix-4 style sub-headings: what changed, the finding behind it, the partnership."""
    last = section.rsplit(" > ", 1)[-1].strip()
    return next((name for name, pattern in _STAGES if pattern.search(last)), None)


def tag_areas(chunks: Sequence[Chunk], gazetteer: Gazetteer | None = None) -> list[Chunk]:
    """The chunks with their area fields (and Appendix-4 ``stage``) added to ``meta``."""
    out: list[Chunk] = []
    for chunk in chunks:
        meta = {
            k: v for k, v in chunk.meta.items()
            if k not in ("areas", "area_keys", "area_mentions", "stage")
        }
        meta.update(area_meta(area_tags(chunk, gazetteer)))
        stage = stage_of(chunk.section)
        if stage:
            meta["stage"] = stage
        out.append(replace(chunk, meta=meta))
    return out
