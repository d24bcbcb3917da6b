"""The area gazetteer: Scottish councils, child protection committees, health boards, nations.

Data lives in ``ingest/data/areas.json`` (name, kind, aliases, parent); a user teaches the
assistant a new spelling by adding an alias there. Matching is case-sensitive on whole words
(place names are proper nouns) and prefers the longest name, so "Glasgow Child Protection
Committee" is one mention, not "Glasgow" plus a committee.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from assistant.text import collapse
from ingest.data_files import data_path

NATIONS = ("Scotland", "England", "Wales", "Northern Ireland")
_GENERIC = re.compile(
    r"\b(?:child protection committee|public protection committee|cpc|ppc|council|nhs|"
    r"health board|city|islands|the)\b",
    re.I,
)


@dataclass(frozen=True)
class Area:
    name: str
    kind: str  # council | cpc | health_board | region
    aliases: tuple[str, ...]
    parent: str | None

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


class Gazetteer:
    def __init__(self, areas: list[Area]) -> None:
        self.areas = areas
        self._by_form: dict[str, Area] = {}
        for area in areas:
            for form in (area.name, *area.aliases):
                self._by_form.setdefault(form, area)
        forms = sorted(self._by_form, key=len, reverse=True)
        self._pattern = re.compile(
            r"(?<![\w-])(?:" + "|".join(re.escape(f) for f in forms) + r")(?![\w-])"
        )

    @classmethod
    def load(cls, path: Path | None = None) -> Gazetteer:
        raw = (path or data_path("areas.json")).read_text(encoding="utf-8")
        data = json.loads(raw)
        return cls(
            [
                Area(a["name"], a["kind"], tuple(a.get("aliases", ())), a.get("parent"))
                for a in data["areas"]
            ]
        )

    def find(self, text: str) -> list[AreaMention]:
        return [
            AreaMention(self._by_form[m.group(0)], m.start(), m.end(), m.group(0))
            for m in self._pattern.finditer(text)
        ]

    def get(self, name: str) -> Area | None:
        return self._by_form.get(name)


@cache
def default_gazetteer() -> Gazetteer:
    return Gazetteer.load()
