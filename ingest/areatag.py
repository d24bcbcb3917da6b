"""Areas on each passage, from the gazetteer (``ingest/data/areas.json``).

A heading that names an area gives it to the whole block beneath it (the section path holds
every heading above a chunk, so "Glasgow Child Protection Committee > The change in practice"
tags Glasgow); the document's title does so whatever its length ("... (Birmingham Safeguarding
Children Partnership, BSCP 2020-21-01)"). In the text, postal addresses, contact details,
copyright lines and author affiliations are not findings about an area and are skipped, as are
contents pages and reference lists; in a paragraph of prose only the sentence holding the
contact detail is. Institutions named after a place are not the area either: "Kent Police",
"Cardiff Crown Court", "Royal Derby Hospital", "Rochdale Clinical Commissioning Group",
"University of Birmingham", "HMP Wandsworth", "Pembrokeshire Herald", "Bristol: Policy Press"
(and "Devon" in "Devon and Cornwall Police"). Nations are not areas (the document card's
``nation`` covers them).

Each mention becomes a *place*: a council or local authority is itself; a committee or a joint
partnership becomes the council(s) it serves ("Derby and Derbyshire Safeguarding Children
Partnership" is Derby and Derbyshire); a health board, a Welsh or Northern Ireland board, an
HSC trust or an English region stays itself. ``area_keys`` are the names a filter may use: a
council's keys add every committee, partnership, board, health board or trust it is a member of
and its parent (its health board, English region, Welsh board or NI trust), so a filter on
"NHS Fife", "London" or "Gwent Safeguarding Board" also finds the passages about Fife, Hackney
or Newport, but a filter on Newport does not find a passage that names only the Gwent board. A
bare "Fife" is the council, with the committee and the health board attached through the
lookup, as the reference notes ask.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache

from assistant.text import collapse
from assistant.types import Chunk, MetaValue
from ingest.areas import Area, AreaMention, Gazetteer, default_gazetteer
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
# Institutions named after a place, read on the words just after a mention: up to four
# capitalised words ("Royal", "Teaching", "Women's and Children's"; not a council's own words)
# and the word that makes it an institution; or a publisher's place ("Bristol: Policy Press").
_NOT_INSTITUTION = r"(?!(?:Council|Borough|Safeguarding|Services)\b)"
_INSTITUTION_AFTER = re.compile(
    r"\A(?:(?:\s{1,3}" + _NOT_INSTITUTION + r"[A-Z][\w'’.-]{0,30}){1,4}\s{1,3}(?:and|&))?"
    r"(?:\s{1,3}" + _NOT_INSTITUTION + r"[A-Z][\w'’.-]{0,30}){0,4}?\s{1,3}(?:"
    r"Police|Constabulary|Fire|Hospitals?|Infirmary|NHS|Foundation|Healthcare|CCG|ICB|ICS"
    r"|Clinical\s{1,3}Commissioning|Integrated\s{1,3}Care|Universit(?:y|ies)|College"
    r"|(?:Business|Medical)\s{1,3}School|Courts?|Prison|Young\s{1,3}Offender"
    r"|FC|AFC|United|Wanderers|Rovers|Athletic|Albion|Forest|Rangers|Celtic|Airport|Cathedral"
    r"|Herald|Telegraph|Gazette|Echo|Argus|Chronicle|Advertiser|Courier|Mercury"
    r"|Road|Street|Avenue|Lane"
    r"|City(?!\s{1,3}(?:Council|Safeguarding|Children|Local|LSCB|Partnership|Borough|District)"
    r"\b))(?![\w'’-])"
    r"|\A\s{1,3}(?:bull\s{1,3})?terriers?\b"
    r"|\A\s{0,2}:\s{0,3}(?:[A-Z][\w'’.&-]{0,30}\s{1,3}){0,3}?(?:Press|Publish\w{0,6}|Books"
    r"|HMSO|TSO|Stationery|Sage|SAGE|Routledge|Pavilion|Kingsley|Wiley|Macmillan|Palgrave"
    r"|Blackwell|Polity)\b"
)
_INSTITUTION_BEFORE = re.compile(
    r"(?:\b(?:Universit(?:y|ies)|College|Hospital|Infirmary)\s{1,3}(?:of\s{1,3}(?:the\s{1,3})?)?"
    r"|\bHMP(?:\s{1,3}YOI)?\s{1,3}|\bHM\s{1,3}Prison\s{1,3})\Z"
)
_JOINED = re.compile(r"\A(?:\s{0,2},\s{1,3}|\s{1,3}(?:and|&)\s{1,3})\Z")
# A name that is a whole organisation's ("Nottingham City Council") is not part of the next
# institution's name ("... and Nottingham City CCG"); a bare place is ("Devon and Cornwall").
_ORGANISATION_END = re.compile(
    r"(?:Council|Boards?|Partnership|Committee|Trust|Corporation|LSCB|LSCP|SCP|SCB|CPC|PPC)\Z")
_SENTENCE_END = re.compile(r"[.!?][\"'’”)]*+(?=\s)")
_PROSE_WORDS = 30  # a longer line is a paragraph, not an address line
_COMMITTEE_WORDS = re.compile(
    r"\b(?:child protection committee|public protection committee|public protection partnership|"
    r"public protection|protecting people|child protection|cpc|ppc|ohcpc)\b",
    re.I,
)
_MAX_HEADING_WORDS = 12
_LOCAL = ("council", "la")  # a place of its own
_JOINT = ("cpc", "safeguarding_partnership")  # counted under the councils it serves


@dataclass(frozen=True)
class Places:
    """Where each gazetteer area sits: the place(s) it is counted under and the names a
    filter on it should also match."""

    place: dict[str, tuple[str, ...]]  # area name -> places (council/LA, board, trust, region)
    keys: dict[str, tuple[str, ...]]  # area name -> every name a filter may use for it
    kind: dict[str, str]  # place name -> kind

    @classmethod
    def build(cls, gazetteer: Gazetteer) -> Places:
        by_name = {a.name: a for a in gazetteer.areas}
        councils = [a for a in gazetteer.areas if a.kind in _LOCAL]
        forms = {f.lower(): c.name for c in councils for f in (c.name, *c.aliases)}
        place: dict[str, tuple[str, ...]] = {}
        containers: dict[str, list[str]] = {}  # council -> what it is a member of
        for area in gazetteer.areas:
            if area.is_nation:
                continue
            members = tuple(m for m in area.members if m in by_name)
            if area.kind == "cpc" and not members:
                members = _served(area, forms)  # a committee added without its members
            for council in members:
                containers.setdefault(council, []).append(area.name)
            place[area.name] = (members or (area.name,)) if area.kind in _JOINT else (area.name,)

        def parent(area: Area) -> list[str]:
            p = area.parent
            return [p] if p and p in by_name and not by_name[p].is_nation else []

        keys: dict[str, tuple[str, ...]] = {}
        for name, places in place.items():
            area = by_name[name]
            names = [name, *places]
            for p in places:
                names.extend(containers.get(p, ()))
                if by_name[p].kind in _LOCAL:
                    names.extend(parent(by_name[p]))
            if area.kind in _LOCAL + _JOINT:
                names.extend(parent(area))
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
    is part of the same address block ("11 Riverside Drive" / "Dundee" / "DD1 4NY"). In a
    paragraph of prose (a line of more than ``_PROSE_WORDS`` words) only the sentences that
    hold a contact detail are skipped ("The full guidance can be found here: https://...")."""
    lines: list[tuple[int, int, str]] = []
    offset = 0
    for line in text.split("\n"):
        lines.append((offset, offset + len(line), line))
        offset += len(line) + 1
    prose = [len(line.split()) > _PROSE_WORDS for _, _, line in lines]
    bad = [not long and _contact(line) for (_, _, line), long in zip(lines, prose, strict=True)]
    changed = True
    while changed:
        changed = False
        for i, (_, _, line) in enumerate(lines):
            near = bad[max(0, i - 1)] or bad[min(len(lines) - 1, i + 1)]
            if not bad[i] and near and len(line.split()) <= 4:
                bad[i] = changed = True
    spans = [(a, b) for (a, b, _), flag in zip(lines, bad, strict=True) if flag]
    for (a, _, line), long in zip(lines, prose, strict=True):
        if long:
            spans.extend((a + s, a + e) for s, e in _sentences(line) if _contact(line[s:e]))
    return sorted(spans)


def _sentences(line: str) -> list[tuple[int, int]]:
    ends = [m.end() for m in _SENTENCE_END.finditer(line)]
    starts = [0, *ends]
    return [(s, e) for s, e in zip(starts, [*ends, len(line)], strict=True) if e > s]


def _contact(line: str) -> bool:
    return bool(_POSTCODE.search(line) or _CONTACT.search(line))


def _is_institution(text: str, start: int, end: int) -> bool:
    """Whether the mention at ``text[start:end]`` names an institution ("Kent Police",
    "University of Birmingham"), not the area."""
    return bool(
        _INSTITUTION_AFTER.match(text[end : end + 160])
        or _INSTITUTION_BEFORE.search(text[max(0, start - 40) : start])
    )


def _areas_in(text: str, gazetteer: Gazetteer) -> list[AreaMention]:
    """The mentions of ``text`` that are areas: not nations, not institutions, nor a place
    joined to one ("Devon" in "Devon and Cornwall Police")."""
    found = gazetteer.find(text)
    blocked = [_is_institution(text, m.start, m.end) for m in found]
    for i in range(len(found) - 2, -1, -1):
        joined = _JOINED.match(text[found[i].end : found[i + 1].start])
        if blocked[i + 1] and joined and not _ORGANISATION_END.search(found[i].text):
            blocked[i] = True
    return [m for m, b in zip(found, blocked, strict=True) if not b and not m.area.is_nation]


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
        too_long = len(heading.split()) > _MAX_HEADING_WORDS and heading != chunk.title.strip()
        if _contact(heading) or too_long:
            continue
        tags.extend(AreaTag(m.area.name, m.text, "heading") for m in _areas_in(heading, gazetteer))
    for m in _areas_in(chunk.text, gazetteer):
        if not any(a <= m.start < b for a, b in skip):
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
            if k not in ("areas", "area_keys", "area_mentions", "doc_area", "stage")
        }
        meta.update(area_meta(area_tags(chunk, gazetteer)))
        stage = stage_of(chunk.section)
        if stage:
            meta["stage"] = stage
        out.append(replace(chunk, meta=meta))
    return out
