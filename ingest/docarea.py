"""The one place (or joint partnership) a whole document is about, given to every passage.

A page about one case or one partnership often names its place once ("found dead at her home
in Newtown, Powys") and then writes "the council", "the Board", "the local authority". Its
other passages are about that place too, and a lead officer filtering on it should find them.
A document has a place of its own when, once the containers are set aside (a board, trust,
committee, partnership or health board whose member councils the document also names, and
the English regions), exactly one place is left (or the places left are exactly the member
councils of one joint partnership or committee the document names), and that place

- is named in the document's lead (its headings, or the first ``LEAD_WORDS`` words of its
  first passage: a page's source and title lines and its opening paragraph), or
- is named in more than half of its passages, or
- lies within an area its headings name (a board's page that names one council of the board).

A document that names two places, or one in passing in the middle, has none: a national
report's example from one council does not make the report that council's. Contents,
references and acknowledgements get nothing. The place is added with ``source`` "document"
in ``area_mentions``, so a reader can tell it from a place the passage names itself.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace

from assistant.types import Chunk, MetaValue
from ingest.areas import Gazetteer, default_gazetteer
from ingest.areatag import Places, default_places
from ingest.sections import no_findings

LEAD_WORDS = 120
DOC_AREA = "doc_area"  # chunk metadata: the entry the passage's document is about


def _places(chunk: Chunk) -> set[str]:
    value = chunk.meta.get("areas")
    return set(value) if isinstance(value, list) else set()


def _mentions(chunk: Chunk, source: str | None = None, before: int | None = None) -> set[str]:
    """The gazetteer entries ``chunk``'s tags name (only those from ``source``, or from a
    heading or a text mention starting before ``before``, if given)."""
    raw = chunk.meta.get("area_mentions")
    if not isinstance(raw, str):
        return set()
    return {str(m.get("area")) for m in json.loads(raw)
            if (source is None or m.get("source") == source)
            and (before is None or m.get("source") == "heading"
                 or -1 < int(m.get("start", -1)) < before)}


def document_place(
    chunks: Sequence[Chunk], places: Places | None = None, gazetteer: Gazetteer | None = None
) -> str | None:
    """The one gazetteer entry ``chunks`` (one document's) are about, or None: a council or
    LA, a board, or a joint partnership or committee when the places left are its members."""
    places = places or default_places()
    by_name = {a.name: a for a in (gazetteer or default_gazetteer()).areas}
    content = sorted((c for c in chunks if not no_findings(c.section)), key=lambda c: c.index)
    if not content:
        return None
    named = [_places(c) for c in content]
    found = {p for n in named for p in n if p in by_name and by_name[p].kind != "region"}

    def contains(outer: str, inner: str) -> bool:
        area, member = by_name[outer], by_name[inner]
        return inner in area.members or member.parent == outer

    inner = {p for p in found if not any(contains(p, q) for q in found if q != p)}
    entries = set().union(*(_mentions(c) for c in content))
    if len(inner) == 1:
        (entry,) = inner
    else:  # one joint partnership or committee whose member councils are all that is left
        joint = [e for e in entries if len(places.place.get(e, ())) > 1
                 and set(places.place[e]) == inner]
        if len(joint) != 1:
            return None
        entry = joint[0]
    own = set(places.place.get(entry, (entry,)))
    headed = {p for c in content for e in _mentions(c, "heading") for p in places.place.get(e, ())}
    first = content[0].text
    cut = sum(len(w) + 1 for w in first.split(" ")[:LEAD_WORDS])
    lead = {p for e in _mentions(content[0], before=cut) for p in places.place.get(e, ())}
    if (own & lead or sum(bool(own & n) for n in named) * 2 > len(named)
            or any(contains(h, p) for h in headed for p in own if h != p)):
        return entry
    return None


def with_document_place(
    chunks: Sequence[Chunk], places: Places | None = None, gazetteer: Gazetteer | None = None
) -> list[Chunk]:
    """One document's chunks, each content chunk given the document's place (if it has one):
    the entry in ``doc_area``, its places in ``areas``, its filter names in ``area_keys``, and
    a "document" mention where the passage does not name it itself."""
    places = places or default_places()
    entry = document_place(chunks, places, gazetteer)
    if entry is None:
        return list(chunks)
    own = set(places.place.get(entry, (entry,)))
    out: list[Chunk] = []
    for chunk in chunks:
        if no_findings(chunk.section):
            out.append(chunk)
            continue
        meta: dict[str, MetaValue] = {**chunk.meta, DOC_AREA: entry}
        if entry in _mentions(chunk):
            out.append(replace(chunk, meta=meta))
            continue
        meta["areas"] = sorted(_places(chunk) | own)
        keys = meta.get("area_keys")
        meta["area_keys"] = sorted(set(keys if isinstance(keys, list) else [])
                                   | set(places.keys.get(entry, (entry,))))
        raw = meta.get("area_mentions")
        mentions = json.loads(raw) if isinstance(raw, str) else []
        mentions.append({"area": entry, "form": "", "source": "document", "start": -1,
                         "end": -1})
        meta["area_mentions"] = json.dumps(mentions)
        out.append(replace(chunk, meta=meta))
    return out
