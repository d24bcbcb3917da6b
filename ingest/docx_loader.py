"""Load a Word ``.docx`` file into a one-page ``Document`` with markdown-style headings.

Paragraphs and tables are read in document order. Heading styles become ``#`` lines, list
paragraphs become ``• `` lines and every table row becomes one line of its cells' text.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterator
from pathlib import Path

import docx
from docx.document import Document as DocxDocument
from docx.styles.style import BaseStyle, CharacterStyle
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from assistant.errors import UnreadableFileError
from assistant.text import collapse, visible
from assistant.types import Document, Page

_HEADING_STYLE = re.compile(r"^heading\s*([1-9])$", re.IGNORECASE)
_BULLET = "• "


def load_docx(path: Path) -> Document:
    """Read ``path`` as a Word document; raise ``UnreadableFileError`` when it is not one."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableFileError(str(path), f"cannot read the file ({exc.strerror})") from exc
    try:
        word = docx.Document(io.BytesIO(data))
        blocks = list(_blocks(word))
    except Exception as exc:  # python-docx, zipfile and lxml all raise their own errors
        raise UnreadableFileError(
            str(path), f"not a readable Word .docx file ({_short_cause(exc)})"
        ) from exc
    text = _join(blocks)
    return Document(
        doc_id=hashlib.sha256(data).hexdigest(),
        path=str(path),
        title=_title(word, blocks) or path.stem,
        pages=(Page(number=1, text=text),),
        meta={},
    )


def _join(blocks: list[str]) -> str:
    """Blocks are separated by a blank line, except consecutive list items (one per line)."""
    parts: list[str] = []
    for i, block in enumerate(blocks):
        if i:
            in_list = block.startswith(_BULLET) and blocks[i - 1].startswith(_BULLET)
            parts.append("\n" if in_list else "\n\n")
        parts.append(block)
    return "".join(parts)


def _short_cause(exc: Exception) -> str:
    message = collapse(str(exc))
    if len(message) > 120:
        message = message[:117] + "..."
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _blocks(word: DocxDocument) -> Iterator[str]:
    """Yield each paragraph, heading, list item and table as a text block, in order."""
    for item in word.iter_inner_content():
        if isinstance(item, Table):
            rows = _table_rows(item)
            if rows:
                yield "\n".join(rows)
        else:
            block = _paragraph(item)
            if block:
                yield block


def _paragraph(paragraph: Paragraph) -> str:
    level = _heading_level(paragraph.style)
    if level:
        heading = collapse(visible(paragraph.text))
        return f"{'#' * level} {heading}" if heading else ""
    lines = [collapse(visible(line)) for line in paragraph.text.splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        return ""
    if _is_list_item(paragraph):
        lines[0] = _BULLET + lines[0]
    return "\n".join(_escape(line) for line in lines)


def _heading_level(style: BaseStyle | None) -> int:
    """``Heading N`` -> N and ``Title`` -> 1, following the style's base styles a few steps."""
    for _ in range(4):
        if style is None:
            return 0
        name = (style.name or "").strip()
        if name.lower() == "title":
            return 1
        match = _HEADING_STYLE.match(name)
        if match:
            return int(match.group(1))
        style = style.base_style if isinstance(style, CharacterStyle) else None
    return 0


def _is_list_item(paragraph: Paragraph) -> bool:
    style = paragraph.style
    name = (style.name or "") if style is not None else ""
    if "List" in name:
        return "Continue" not in name
    p_pr = paragraph._p.pPr
    return p_pr is not None and p_pr.numPr is not None


def _table_rows(table: Table) -> list[str]:
    rows: list[str] = []
    for row in table.rows:
        cells: list[str] = []
        previous: object = None
        for cell in row.cells:
            if cell._tc is previous:  # python-docx repeats a horizontally merged cell
                continue
            previous = cell._tc
            text = _cell_text(cell)
            if text:
                cells.append(text)
        if cells:
            rows.append(_escape("\t".join(cells)))
    return rows


def _cell_text(cell: _Cell) -> str:
    parts: list[str] = []
    for item in cell.iter_inner_content():
        if isinstance(item, Table):
            parts.extend(_table_rows(item))
        else:
            parts.append(item.text)
    return collapse(visible(" ".join(parts)))


def _title(word: DocxDocument, blocks: list[str]) -> str:
    core_title = collapse(visible(word.core_properties.title or ""))
    if core_title:
        return core_title
    for block in blocks:
        if block.startswith("#"):
            return block.lstrip("#").strip()
    return ""



def _escape(line: str) -> str:
    """Keep a body line that starts with ``#`` from reading as a heading."""
    return "\\" + line if line.startswith("#") else line
