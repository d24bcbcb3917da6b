"""`rla compare`: themes across areas, periods or documents, with evidence in every cell.

Each cell counts the passages tagged with the theme in that row and their distinct documents,
and holds the best quotes: the sentence (or table row) that triggered the tag, verbatim from
its passage, with document and page. By period, the source tables whose rows name a theme are
given as they stand (one row with its column headings), never recombined across tables.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from assistant.answering.citations import Quote
from assistant.library.catalog import Catalog, Doc, meta_list, theme_spans
from assistant.library.filters import Filters
from assistant.types import CardKey, Chunk
from ingest.sentences import sentence_spans
from ingest.tables import Row, Table, tables_in
from ingest.themes import tag_passage

By = Literal["area", "nation", "period", "document"]
BY: tuple[By, ...] = ("area", "nation", "period", "document")
_STAGE_RANK = {"change": 0, "finding": 1, "partnership": 2}


def quote_span(chunk: Chunk, start: int, end: int) -> tuple[int, int]:
    """The sentence (or whole table row) of ``chunk.text`` around ``start:end``."""
    text = chunk.text
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    line = text[line_start:line_end]
    if "\t" in line:
        return line_start, line_end
    for s, e in sentence_spans(line):
        if line_start + s <= start < line_start + e:
            return line_start + s, line_start + max(e, end - line_start)
    return line_start, line_end


def evidence_quote(chunk: Chunk, theme: str) -> Quote:
    """The sentence (or table row) where ``theme`` stands in ``chunk``, without its margins."""
    spans = theme_spans(chunk).get(theme) or [(0, min(len(chunk.text), 1))]
    start, end = quote_span(chunk, *spans[0])
    text = chunk.text[start:end]
    lead = len(text) - len(text.lstrip())
    return Quote(chunk, start + lead, start + lead + len(text.strip()))


def _evidence_order(chunk: Chunk, theme: str) -> tuple[int, int, int]:
    """Passages where the theme stands in a phrase, in "what changed" blocks, early, first."""
    how = 0 if theme_spans(chunk).get(theme) else 1
    return (_STAGE_RANK.get(str(chunk.meta.get("stage", "")), 3), how, chunk.index)


@dataclass(frozen=True)
class Cell:
    row: str
    theme: str
    passages: int
    documents: int
    evidence: tuple[Quote, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "theme": self.theme, "passages": self.passages,
                "documents": self.documents, "evidence": [q.to_dict() for q in self.evidence]}


@dataclass(frozen=True)
class TableRowEvidence:
    theme: str
    chunk_id: str
    file: str
    title: str
    page_start: int
    table: Table
    row: Row

    def to_dict(self) -> dict[str, Any]:
        return {"theme": self.theme, "chunk_id": self.chunk_id, "file": self.file,
                "title": self.title, "page_start": self.page_start,
                "header": list(self.table.header), "periods": list(self.table.periods),
                "row": list(self.row.cells),
                "quote": "\n".join([*self.table.header_lines, self.row.line])}


@dataclass(frozen=True)
class Matrix:
    by: By
    rows: tuple[str, ...]
    themes: tuple[str, ...]
    labels: dict[str, str]
    cells: tuple[Cell, ...]
    tables: tuple[TableRowEvidence, ...] = field(default=())

    def cell(self, row: str, theme: str) -> Cell | None:
        return next((c for c in self.cells if c.row == row and c.theme == theme), None)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "by": self.by, "rows": list(self.rows), "themes": list(self.themes),
            "labels": self.labels, "cells": [c.to_dict() for c in self.cells],
        }
        if self.by == "period":
            out["tables"] = [t.to_dict() for t in self.tables]
        return out

    def to_csv(self) -> str:
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow([self.by, "theme", "passages", "documents", "quote", "file", "page"])
        for c in self.cells:
            q = c.evidence[0] if c.evidence else None
            writer.writerow([c.row, c.theme, c.passages, c.documents, q.text if q else "",
                             q.chunk.file if q else "", q.page_start if q else ""])
        return buf.getvalue()


def _rows_of(chunk: Doc, by: By) -> list[str]:
    if by == "area":
        return meta_list(chunk, "areas") if isinstance(chunk, Chunk) else []
    if by == "nation":
        return [chunk.nation or "nation not stated"]
    if by == "period":
        # A period row is one nation's: the same years in two nations' reviews are two rows,
        # so no cell adds up figures from different systems.
        period = str(chunk.meta.get(CardKey.PERIOD) or "period not stated")
        return [f"{period} ({chunk.nation})" if chunk.nation else period]
    return [chunk.title or chunk.file]


def trend_rows(catalog: Catalog, themes: Sequence[str]) -> list[TableRowEvidence]:
    """Rows of tables with two or more period columns whose label names one of ``themes``."""
    out: list[TableRowEvidence] = []
    seen: set[tuple[str, str]] = set()
    for chunk in catalog.table_passages():
        if "\t" not in chunk.text:
            continue
        for table in tables_in(chunk.text):
            if sum(p is not None for p in table.periods) < 2:
                continue
            for row in table.rows:
                named = {t.theme for t in tag_passage(catalog.taxonomy, row.label)}
                for theme in themes:
                    if theme in named and (chunk.doc_id, row.line) not in seen:
                        seen.add((chunk.doc_id, row.line))
                        page = chunk.pages_at(row.start, row.start + len(row.line))[0]
                        out.append(TableRowEvidence(theme, chunk.chunk_id, chunk.file,
                                                    chunk.title, page, table, row))
    return out


def compare(
    catalog: Catalog,
    by: By = "area",
    themes: Sequence[str] = (),
    filters: Filters | None = None,
    evidence: int = 3,
) -> Matrix:
    """The theme-by-``by`` matrix over the passages ``filters`` select: its rows are every
    row those passages have (from the catalogue), its cells count and quote the passages of
    each theme (only those are read)."""
    f = filters or Filters()
    wanted = list(themes) or [t.id for t in catalog.themes(f) if t.passages]
    chunks = catalog.select(f if f.themes else replace(f, themes=tuple(wanted)))
    groups: dict[tuple[str, str], list[Chunk]] = defaultdict(list)
    order: dict[str, tuple[Any, ...]] = {}
    universe: list[Doc] = (
        [] if by == "area" else [catalog.docs[d] for d in catalog.docs_with_passages(f)])
    for doc in [*universe, *chunks]:  # periods by their start, other rows by name
        for row in _rows_of(doc, by):
            start = doc.meta.get(CardKey.PERIOD_START) if by == "period" else None
            order.setdefault(row, (start if isinstance(start, int) else 9999, row))
    if by == "area":
        order.update({a.name: (9999, a.name) for a in catalog.areas(f) if a.name not in order})
    for chunk in chunks:
        tagged = set(meta_list(chunk, "themes"))
        for row in _rows_of(chunk, by):
            for theme in wanted:
                if theme in tagged:
                    groups[(row, theme)].append(chunk)
    rows = tuple(sorted(order, key=lambda r: order[r]))
    if by == "area":
        totals = {r: sum(len(groups.get((r, t), [])) for t in wanted) for r in rows}
        rows = tuple(sorted(rows, key=lambda r: (-totals[r], r)))
    cells = []
    for row in rows:
        for theme in wanted:
            found = sorted(groups.get((row, theme), []), key=lambda c: _evidence_order(c, theme))
            if found:
                quotes = tuple(evidence_quote(c, theme) for c in found[:evidence])
                cells.append(Cell(row, theme, len(found), len({c.doc_id for c in found}),
                                  quotes))
    labels = {t.id: t.label for t in catalog.taxonomy.themes if t.id in wanted}
    tables = tuple(trend_rows(catalog, wanted)) if by == "period" else ()
    return Matrix(by, rows, tuple(wanted), labels, tuple(cells), tables)
