"""The area gazetteer: the UK's councils and local authorities, child protection committees,
safeguarding partnerships and boards, health boards and trusts, regions and nations.

Data lives in ``ingest/data/areas.json`` (name, kind, aliases, parent, nation, members,
needs_context; its ``_about`` says what each means); a user teaches the assistant a new
spelling by adding an alias there. Matching is case-sensitive on whole words (place names are
proper nouns) and prefers the longest name, so "Glasgow Child Protection Committee" is one
mention, not "Glasgow" plus a committee. A form listed in an entry's ``needs_context`` is also
a common word, a name or another place ("Reading", "Bury", "Sutton"): it counts only with a
qualifier after it ("Sutton Council", "Bury LSCB", "Reading's children's services") or after
"in" when no other capitalised word follows ("in Sutton", not "in Sutton Coldfield").

The forms are compiled into one pattern shaped as a trie of their characters, so a position
of the text is tried against the forms sharing its first letters, not against every form
(about 2,000): finding the mentions takes time linear in the text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from assistant.text import collapse
from ingest.data_files import data_path

NATIONS = ("Scotland", "England", "Wales", "Northern Ireland")
_GENERIC = re.compile(
    r"\b(?:child protection committee|public protection committee|cpc|ppc|council|nhs|"
    r"health board|city|islands|the)\b",
    re.I,
)
# What makes a needs-context form a mention: a qualifier after it, or "in" before it.
_QUALIFIER = re.compile(
    r"\A(?:['’]s)?\s{1,3}(?:"
    r"(?:(?:Metropolitan|City|County|District|Royal)\s{1,3}){0,2}(?:Borough|Council)\b"
    r"|(?:Local\s{1,3})?(?:Safeguarding|LSCB|LSCP|SCB|SCP)\b"
    r"|[Cc]hildren['’]s\s{1,3}[Ss]ervices\b|[Ll]ocal\s{1,3}[Aa]uthority\b)"
)
_IN_BEFORE = re.compile(r"(?<![\w-])[Ii]n\s{1,3}\Z")
_CAPITAL_AFTER = re.compile(r"\A\s{1,3}[A-Z]")
_CONTEXT_CHARS = 60


@dataclass(frozen=True)
class Area:
    name: str
    kind: str  # council | cpc | health_board | region | la | safeguarding_partnership | ...
    aliases: tuple[str, ...]
    parent: str | None
    nation: str | None = None  # Scotland, England, Wales or Northern Ireland
    members: tuple[str, ...] = ()  # the council/LA entries a committee, board or trust covers
    needs_context: tuple[str, ...] = ()  # forms that count only with a qualifier or "in"

    @property
    def core(self) -> str:
        """The distinctive part of the name ("Glasgow" for "Glasgow City"), lower case."""
        core = collapse(_GENERIC.sub(" ", self.name)).lower()
        return core or self.name.lower()

    @property
    def is_nation(self) -> bool:
        return self.name in NATIONS


@dataclass(frozen=True)
class AreaMention:
    area: Area
    start: int
    end: int
    text: str


def has_context(text: str, start: int, end: int) -> bool:
    """Whether the words around ``text[start:end]`` make a needs-context form a place: a
    qualifier after it, or "in" before it with no other capitalised word after."""
    after = text[end : end + _CONTEXT_CHARS]
    if _QUALIFIER.match(after):
        return True
    return bool(_IN_BEFORE.search(text[max(0, start - 8) : start])
                and not _CAPITAL_AFTER.match(after))


def trie_pattern(forms: Iterable[str]) -> str:
    """One alternation of ``forms`` shaped as a trie; at each branch the longer forms come
    first, so the longest form that fits is the match."""
    root: dict[str, Any] = {}
    for form in forms:
        node = root
        for ch in form:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        branches = []
        for ch in sorted(k for k in node if k):
            chars, child = ch, node[ch]
            while len(child) == 1 and "" not in child:  # a chain without a branch: literal
                ((nxt, child),) = child.items()
                chars += nxt
            branches.append(re.escape(chars) + emit(child))
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return emit(root)


class Gazetteer:
    def __init__(self, areas: list[Area]) -> None:
        self.areas = areas
        self._by_form: dict[str, Area] = {}
        self._needs_context: set[str] = set()
        for area in areas:
            for form in (area.name, *area.aliases):
                self._by_form.setdefault(form, area)
            self._needs_context.update(
                f for f in area.needs_context if self._by_form.get(f) is area)
        self._pattern = re.compile(
            r"(?<![\w-])" + trie_pattern(self._by_form) + r"(?![\w-])"
        ) if self._by_form else re.compile(r"(?!)")

    @classmethod
    def load(cls, path: Path | None = None) -> Gazetteer:
        raw = (path or data_path("areas.json")).read_text(encoding="utf-8")
        rows = json.loads(raw)["areas"]
        parents = {a["name"]: a.get("parent") for a in rows}

        def nation(row: dict[str, Any]) -> str | None:
            """The entry's nation, or its parents' when the entry does not say."""
            name: str | None = row["name"]
            seen: set[str] = set()
            while name is not None and name not in NATIONS and name not in seen:
                seen.add(name)
                name = parents.get(name)
            return row.get("nation") or name

        return cls([
            Area(a["name"], a["kind"], tuple(a.get("aliases", ())), a.get("parent"),
                 nation(a), tuple(a.get("members", ())), tuple(a.get("needs_context", ())))
            for a in rows
        ])

    def find(self, text: str) -> list[AreaMention]:
        found = []
        for m in self._pattern.finditer(text):
            form = m.group(0)
            if form in self._needs_context and not has_context(text, m.start(), m.end()):
                continue
            found.append(AreaMention(self._by_form[form], m.start(), m.end(), form))
        return found

    def get(self, name: str) -> Area | None:
        return self._by_form.get(name)


@cache
def default_gazetteer() -> Gazetteer:
    return Gazetteer.load()
