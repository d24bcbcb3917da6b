"""What one document's passages are tagged with, counted once at ingest and at retag and kept
on its card, so the catalogue is built from the cards without reading a passage.

Counts are passages: per area, per theme, per area-and-theme and per area-key-and-theme (so
"which areas have passages on neglect" and "which themes in Fife" are counted exactly), the
area keys a filter can match, and the ids of the passages holding a table (trend answers read
those and no others).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from assistant.types import Chunk

VERSION = 1


def _list(chunk: Chunk, key: str) -> list[str]:
    value = chunk.meta.get(key)
    return [str(v) for v in value] if isinstance(value, list) else []


@dataclass(frozen=True)
class DocSummary:
    passages: int = 0
    tagged: int = 0  # passages with any tag
    areas: Mapping[str, int] = field(default_factory=dict)
    area_keys: tuple[str, ...] = ()
    themes: Mapping[str, int] = field(default_factory=dict)
    area_themes: Mapping[str, Mapping[str, int]] = field(default_factory=dict)  # area name
    key_themes: Mapping[str, Mapping[str, int]] = field(default_factory=dict)  # area key
    tables: tuple[str, ...] = ()  # chunk ids of the passages holding a table

    @classmethod
    def of(cls, chunks: Iterable[Chunk]) -> DocSummary:
        passages = tagged = 0
        areas: Counter[str] = Counter()
        themes: Counter[str] = Counter()
        keys: set[str] = set()
        area_themes: dict[str, Counter[str]] = defaultdict(Counter)
        key_themes: dict[str, Counter[str]] = defaultdict(Counter)
        tables: list[str] = []
        for chunk in chunks:
            passages += 1
            tagged += bool(chunk.meta.get("tags"))
            here, on = _list(chunk, "areas"), _list(chunk, "themes")
            areas.update(here)
            themes.update(on)
            chunk_keys = _list(chunk, "area_keys")
            keys.update(chunk_keys)
            for area in here:
                area_themes[area].update(on)
            for key in chunk_keys:
                key_themes[key].update(on)
            if chunk.meta.get("tables"):
                tables.append(chunk.chunk_id)
        return cls(passages, tagged, dict(areas), tuple(sorted(keys)), dict(themes),
                   {a: dict(c) for a, c in area_themes.items()},
                   {k: dict(c) for k, c in key_themes.items()}, tuple(tables))

    def to_json(self) -> str:
        return json.dumps({
            "v": VERSION, "passages": self.passages, "tagged": self.tagged,
            "areas": self.areas, "area_keys": list(self.area_keys), "themes": self.themes,
            "area_themes": self.area_themes, "key_themes": self.key_themes,
            "tables": list(self.tables),
        }, sort_keys=True)

    @classmethod
    def from_json(cls, raw: str) -> DocSummary | None:
        """The summary stored on a card; None when there is none or it is of another version
        (the catalogue then counts that document's passages itself)."""
        try:
            data: dict[str, Any] = json.loads(raw) if raw else {}
        except ValueError:
            return None
        if data.get("v") != VERSION:
            return None
        return cls(int(data["passages"]), int(data["tagged"]), dict(data["areas"]),
                   tuple(data["area_keys"]), dict(data["themes"]), dict(data["area_themes"]),
                   dict(data["key_themes"]), tuple(data["tables"]))
