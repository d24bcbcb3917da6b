"""PDF loader: pypdf page by page, headings from font sizes, table rows rebuilt from layout.

pypdf's plain extraction returns a table one cell per line; its layout mode keeps each row on
one line with the cells apart, so rows are read from the layout text (cells joined by a tab,
wrapped cells merged back by column) and headings are the lines set in a larger font than
the body text. Page numbers are the ones printed on the page (the PDF's page labels) where
they are numeric, else the physical page number.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from pathlib import Path

from assistant.errors import UnreadableFileError
from assistant.text import collapse
from assistant.types import Document, Page
from ingest.clean import join_wrapped, remove_running_lines, vocabulary

_GAP = re.compile(r"\S(?: {3,})\S")
_CELL = re.compile(r"\S+(?: {1,2}\S+)*")


def _cells(line: str) -> list[tuple[int, str]]:
    return [(m.start(), m.group(0)) for m in _CELL.finditer(line)]


def _heading_lines(page: object, body_size: float) -> dict[str, tuple[int, bool]]:
    """Lines set larger than the body text: font size (rounded), and whether the line
    continues the heading above it (a heading wrapped within one text run)."""
    found: dict[str, tuple[int, bool]] = {}

    def visit(text: str, cm: object, tm: list[float], font: object, size: float) -> None:
        scale = abs(tm[0]) if tm and tm[0] else 1.0
        eff = size * scale
        name = str(font.get("/BaseFont", "")) if isinstance(font, dict) else ""
        bold_body = "Bold" in name and abs(eff - body_size) < 0.6 and len(text.strip()) < 90
        if eff >= body_size * 1.15 or bold_body:
            size_key = round(eff) if eff >= body_size * 1.15 else 0
            parts = [collapse(p) for p in text.split("\n")]
            parts = [p for p in parts if len(p) > 1]
            for i, key in enumerate(parts):
                # A parenthesised line such as "(survey response)" under a quotation is its
                # attribution, whatever its type size; bold body text is a heading unless it
                # ends a sentence.
                if key.startswith("(") and key.endswith(")"):
                    continue
                if size_key or not key.endswith((".", ",", ";")):
                    found[key] = (size_key, i > 0)

    page.extract_text(visitor_text=visit)  # type: ignore[attr-defined]
    return found


def _body_size(reader: object, sample: int = 8) -> float:
    sizes: Counter[float] = Counter()

    def visit(text: str, cm: object, tm: list[float], font: object, size: float) -> None:
        scale = abs(tm[0]) if tm and tm[0] else 1.0
        sizes[round(size * scale, 1)] += len(text.strip())

    pages = reader.pages  # type: ignore[attr-defined]
    for i in range(min(sample, len(pages))):
        pages[i].extract_text(visitor_text=visit)
    return sizes.most_common(1)[0][0] if sizes else 10.0


def _rebuild_rows(lines: list[str]) -> list[str]:
    """Turn layout lines into prose lines and tab-separated table rows."""
    out: list[str] = []
    table_col: int | None = None
    row: list[tuple[int, str]] = []

    def flush_row() -> None:
        nonlocal row
        if row:
            out.append("\t".join(text for _, text in row))
        row = []

    for line in lines:
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        is_row = bool(_GAP.search(stripped))
        if not stripped:
            flush_row()
            table_col = None
            out.append("")
            continue
        if table_col is not None and indent >= table_col - 1:
            cells = _cells(line)
            if is_row and abs(indent - table_col) <= 1:
                flush_row()
                row = cells
            else:  # a wrapped cell: merge each piece into the cell of the nearest column
                for col, text in cells:
                    nearest = min(range(len(row)), key=lambda j: abs(row[j][0] - col))
                    if abs(row[nearest][0] - col) <= 4:
                        row[nearest] = (row[nearest][0], f"{row[nearest][1]} {text}")
                    else:
                        row.append((col, text))
                        row.sort()
            continue
        flush_row()
        table_col = None
        if is_row and not stripped.startswith("#"):
            table_col = indent
            row = _cells(line)
        else:
            out.append(stripped)
    flush_row()
    return out


def _page_numbers(reader: object) -> list[int]:
    count = len(reader.pages)  # type: ignore[attr-defined]
    try:
        labels = list(reader.page_labels)  # type: ignore[attr-defined]
    except Exception:  # broken label trees are common; fall back to physical numbers
        labels = []
    numbers = []
    for i in range(count):
        label = labels[i] if i < len(labels) else ""
        numbers.append(int(label) if label.isdigit() else i + 1)
    if len(set(numbers)) != len(numbers):
        return list(range(1, count + 1))
    return numbers


def load_pdf(path: Path, *, max_pages: int = 5000) -> Document:
    import pypdf
    from pypdf.errors import PdfReadError

    data = path.read_bytes()
    try:
        reader = pypdf.PdfReader(path, strict=False)
        if reader.is_encrypted:
            try:
                unlocked = bool(reader.decrypt(""))  # PDFs locked only for editing open so
            except Exception:
                unlocked = False
            if not unlocked:
                raise UnreadableFileError(
                    str(path), "the PDF is encrypted and needs a password; save an unlocked copy"
                )
        _check_declared_pages(reader, path, max_pages)  # before walking a huge page tree
        count = len(reader.pages)
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise UnreadableFileError(str(path), _unreadable(data, exc)) from None
    if count == 0:
        raise UnreadableFileError(str(path), "the PDF has no pages")
    if count > max_pages:
        raise UnreadableFileError(
            str(path), f"the PDF has {count} pages, over the limit of {max_pages} (RLA_MAX_PAGES)"
        )
    try:
        body = _body_size(reader)
        raw_pages: list[list[str]] = []
        headings: list[dict[str, tuple[int, bool]]] = []
        for page in reader.pages:
            raw_pages.append(page.extract_text(extraction_mode="layout").split("\n"))
            headings.append(_heading_lines(page, body))
    except UnreadableFileError:
        raise
    except Exception as exc:  # pypdf raises many kinds on damaged content streams
        raise UnreadableFileError(str(path), _unreadable(data, exc)) from None

    cleaned = remove_running_lines(raw_pages)
    if not any(line.strip() for lines in cleaned for line in lines):
        raise UnreadableFileError(
            str(path), "no extractable text (an image-only or scanned PDF? OCR is not supported)"
        )
    sizes = sorted({s for h in headings for s, _ in h.values()}, reverse=True)
    level = {s: min(i + 1, 4) for i, s in enumerate(sizes)}  # 0 (bold body text) sorts last
    vocab = vocabulary([line for lines in cleaned for line in lines])
    numbers = _page_numbers(reader)
    pages: list[Page] = []
    for lines, heads, number in zip(cleaned, headings, numbers, strict=True):
        marked: list[str] = []
        for line in lines:
            key = collapse(line)
            if key in heads:
                size, continues = heads[key]
                last = next((i for i in range(len(marked) - 1, -1, -1) if marked[i]), None)
                if continues and last is not None and marked[last].startswith("#"):
                    marked[last] += " " + key
                else:
                    marked.extend(["", "#" * level[size] + " " + key, ""])
            elif key.startswith("#"):
                marked.append(line.replace("#", "\\#", 1))
            else:
                marked.append(line)
        rows = _rebuild_rows(marked)
        pages.append(Page(number=number, text="\n".join(join_wrapped(rows, vocab))))
    title = _title(reader, pages, path)
    return Document(
        doc_id=hashlib.sha256(data).hexdigest(), path=str(path), title=title, pages=tuple(pages)
    )


def _check_declared_pages(reader: object, path: Path, max_pages: int) -> None:
    """Refuse a PDF whose page tree declares more than ``max_pages`` pages, without walking
    it (a crafted tree can take minutes to walk; the declared count is read in microseconds)."""
    try:
        declared = int(reader.trailer["/Root"]["/Pages"]["/Count"])  # type: ignore[attr-defined]
    except Exception:  # no usable count: walking the tree will tell
        return
    if declared > max_pages:
        raise UnreadableFileError(
            str(path),
            f"the PDF has {declared} pages, over the limit of {max_pages} (RLA_MAX_PAGES)",
        )


def _title(reader: object, pages: list[Page], path: Path) -> str:
    meta = getattr(reader, "metadata", None)
    title = str(meta.get("/Title", "") or "").strip() if meta else ""
    if title and title.lower() not in {"untitled", "(unspecified)", "(anonymous)"}:
        return title
    for page in pages:
        for line in page.text.split("\n"):
            if line.startswith("#"):
                return line.lstrip("#").strip()
    return path.stem


def _unreadable(data: bytes, exc: BaseException) -> str:
    """Why a PDF could not be read: not a PDF at all, cut short, or damaged inside."""
    if b"%PDF-" not in data[:1024]:
        return "not a PDF (no PDF header: the file is damaged or is another kind of file)"
    if b"%%EOF" not in data[-2048:]:
        return "the PDF is truncated (it stops before its end); copy or download it again"
    return f"not a readable PDF ({_short(exc)})"


def _short(exc: BaseException) -> str:
    text = str(exc).strip().split("\n")[0]
    return f"{type(exc).__name__}: {text[:120]}" if text else type(exc).__name__
