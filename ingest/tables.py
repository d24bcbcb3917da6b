"""Tables as structured rows with their column headings.

Chunk text keeps a table row as one tab-separated line, and a chunk that starts inside a table
repeats the table's heading row first. Here each run of such lines becomes a ``Table``: the
heading rows (leading rows that hold no figures, joined cell by cell when a heading wraps over
two lines), then the data rows. A heading row repeated at a page break is dropped. A column
whose heading names a period ("2007-2012 from 56 SCRs") knows it, so a row can be read across
periods. Every row keeps the exact line it came from, so it can be quoted verbatim.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from assistant.types import Chunk
from ingest.cardinfer import period_of

# Possessive: with plain ``\s*`` three runs of spaces in a row made a cell of many spaces
# quadratic (each way of sharing the spaces between them was tried).
_NUMBER = re.compile(
    r"[<>~]?\s*+\d[\d.,]*+\s*+%?(?:\s*+\(\s*+\d[\d.,]*+\s*+%?\s*+\))?\s*+\*?|[-–]"
)


@dataclass(frozen=True)
class Row:
    cells: tuple[str, ...]
    line: str  # the row's line as it stands in the chunk text
    start: int  # its offset in the chunk text

    @property
    def label(self) -> str:
        return self.cells[0] if self.cells else ""


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    header_lines: tuple[str, ...]  # the heading rows' lines as they stand in the text
    rows: tuple[Row, ...]

    @property
    def periods(self) -> tuple[str | None, ...]:
        """Each column's period ("2007-2012"), or None, from its heading."""
        out: list[str | None] = []
        for cell in self.header:
            p = period_of(cell)
            out.append(f"{p[0]}-{p[1]}" if p else None)
        return tuple(out)

    def column_labels(self) -> tuple[str, ...]:
        """Short column headings: from the period on where a heading names one ("2007-2012
        from 56 SCRs" rather than the whole spanning heading in front of it)."""
        out = []
        for cell, period in zip(self.header, self.periods, strict=True):
            at = cell.find(period.split("-")[0]) if period else -1
            out.append(cell[at:] if at > 0 else cell)
        return tuple(out)

    def to_dict(self) -> dict[str, Any]:
        return {
            "header": list(self.header),
            "periods": list(self.periods),
            "rows": [list(r.cells) for r in self.rows],
        }


def _cells(line: str) -> tuple[str, ...]:
    return tuple(c.strip() for c in line.split("\t"))


def _has_figures(cells: Sequence[str]) -> bool:
    """Whether a row holds data: at least half of its cells after the first are figures."""
    values = [c for c in cells[1:] if c]
    return bool(values) and 2 * sum(bool(_NUMBER.fullmatch(c)) for c in values) >= len(values)


def _table(lines: list[tuple[int, str]]) -> Table | None:
    header: list[str] = []
    header_lines: list[str] = []
    rows: list[Row] = []
    for offset, line in lines:
        cells = _cells(line)
        if not rows and not _has_figures(cells):
            if header and len(cells) == len(header) and header_lines:
                header = [f"{a} {b}".strip() for a, b in zip(header, cells, strict=True)]
            else:
                header = header or list(cells)
            header_lines.append(line)
            continue
        if header and cells[0] == header[0] and not _has_figures(cells):
            continue  # the heading row again, repeated at a page break
        rows.append(Row(cells, line, offset))
    if not rows:
        return None
    return Table(tuple(header), tuple(header_lines), tuple(rows))


def tables_in(text: str) -> list[Table]:
    """The tables (runs of tab-separated lines) in a chunk's text."""
    runs: list[list[tuple[int, str]]] = []
    offset = 0
    previous = False
    for line in text.split("\n"):
        if "\t" in line:
            if not previous:
                runs.append([])
            runs[-1].append((offset, line))
            previous = True
        else:
            previous = False
        offset += len(line) + 1
    return [t for t in (_table(run) for run in runs) if t is not None]


def tables_json(text: str) -> str | None:
    """The tables of a chunk as JSON for its metadata (None when it has none)."""
    tables = tables_in(text)
    return json.dumps([t.to_dict() for t in tables]) if tables else None


def with_tables(chunks: Sequence[Chunk]) -> list[Chunk]:
    """The chunks with a ``tables`` field (JSON) on those that hold a table."""
    out: list[Chunk] = []
    for chunk in chunks:
        meta = {k: v for k, v in chunk.meta.items() if k != "tables"}
        found = tables_json(chunk.text)
        if found and not re.search(r"\bcontents\s*$", chunk.section, re.I):
            meta["tables"] = found
        out.append(replace(chunk, meta=meta))
    return out
