"""A cited PDF page as an image, with the quoted sentences marked on it.

The page is rendered with pypdfium2 (PDFium, the renderer of Chromium) and each quote is found
in the page's own text, character by character, so its boxes come from the characters'
positions on the page, not from a guess. Quotes are matched loosely: case, spacing, line
breaks, hyphens at line ends, ligatures and curly quotes are ignored, because the quote is the
text as the assistant read it (wrapped lines joined, ``ingest.clean``). A quote that runs on
to the next page is marked as far as it goes on each (its longest first part on the first
page, its longest last part on the second).

Images are PNG, cached under ``RLA_HOME/pages`` by document, page and quotes.
"""

from __future__ import annotations

import hashlib
import io
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

RENDER_VERSION = "2"  # part of the cache key: a change to the drawing makes new images
SCALE = 2.0  # 144 dpi: an A4 page is 1190 px wide, readable when enlarged
MARK = (255, 214, 0, 90)  # translucent yellow over the words
EDGE = (196, 120, 0, 255)
MIN_WORDS = 4  # the shortest part of a quote marked on its own
_LOCK = threading.Lock()  # PDFium is not thread-safe
_FOLD = {"ﬁ": "fi", "ﬂ": "fl", "ﬀ": "ff", "ﬃ": "ffi", "ﬄ": "ffl", "’": "'", "‘": "'",
         "“": '"', "”": '"', "–": "-", "—": "-", "\u00ad": ""}


@dataclass(frozen=True)
class Marked:
    png: bytes
    found: int  # how many of the quotes were marked (in whole or in part)


def _folded(text: str) -> tuple[str, list[int]]:
    """``text``'s letters and digits only, lower-cased, and for each character of the result
    the index of the character of ``text`` it came from. Without spaces and hyphens, a word
    broken across lines ("safe-\nguarding") reads as it does in the quote."""
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        for c in _FOLD.get(ch, unicodedata.normalize("NFKC", ch)):
            if c.isalnum():
                out.append(c.lower())
                where.append(i)
    return "".join(out), where


def find_spans(page_text: str, quote: str, *, first: bool = True) -> list[tuple[int, int]]:
    """Character ranges of ``page_text`` (end exclusive) that ``quote`` covers: the whole
    quote, or (``first``) its longest first part of at least ``MIN_WORDS`` words, or
    (``first=False``) its longest last part, for a quote running across pages."""
    hay, where = _folded(page_text)
    words = [w for w in (_folded(word)[0] for word in quote.split()) if w]
    if not hay or not words:
        return []
    for size in range(len(words), min(MIN_WORDS, len(words)) - 1, -1):
        part = "".join(words[:size] if first else words[-size:])
        at = hay.find(part)
        if at >= 0:
            return [(where[at], where[at + len(part) - 1] + 1)]
    return []


def _boxes(textpage: object, start: int, end: int) -> list[tuple[float, float, float, float]]:
    """One box per line of characters ``start..end`` (PDF points: left, bottom, right,
    top)."""
    lines: list[list[float]] = []
    for i in range(start, end):
        box = textpage.get_charbox(i, loose=True)  # type: ignore[attr-defined]
        left, bottom, right, top = box  # loose: the font's full height, the same along a line
        if right - left <= 0 or top - bottom <= 0:
            continue  # spaces and line breaks
        if lines and abs(lines[-1][1] - bottom) < (top - bottom) * 0.6 and left >= lines[-1][0]:
            line = lines[-1]
            line[0], line[1] = min(line[0], left), min(line[1], bottom)
            line[2], line[3] = max(line[2], right), max(line[3], top)
        else:
            lines.append([left, bottom, right, top])
    return [(a, b, c, d) for a, b, c, d in lines]


def render(pdf: Path, index: int, quotes: Sequence[str], *, continued: bool = False) -> Marked:
    """Page ``index`` (0-based) of ``pdf`` with ``quotes`` marked; ``continued``: the page
    after the one the quotes start on (their last parts are marked)."""
    import pypdfium2 as pdfium
    from PIL import Image, ImageDraw

    with _LOCK:
        document = pdfium.PdfDocument(str(pdf))
        try:
            page = document[index]
            width, height = page.get_size()
            textpage = page.get_textpage()
            text = textpage.get_text_range()
            boxes: list[tuple[float, float, float, float]] = []
            found = 0
            for quote in quotes:
                spans = find_spans(text, quote, first=not continued)
                found += bool(spans)
                for a, b in spans:
                    boxes.extend(_boxes(textpage, a, b))
            image = page.render(scale=SCALE).to_pil().convert("RGBA")
            textpage.close()
            page.close()
        finally:
            document.close()
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    sx, sy = image.size[0] / width, image.size[1] / height
    pad = 1.5 * SCALE
    for left, bottom, right, top in boxes:
        rect = (left * sx - pad, (height - top) * sy - pad,
                right * sx + pad, (height - bottom) * sy + pad)
        draw.rectangle(rect, fill=MARK, outline=EDGE, width=max(1, int(SCALE)))
    out = io.BytesIO()
    Image.alpha_composite(image, overlay).convert("RGB").save(out, format="PNG", optimize=True)
    return Marked(out.getvalue(), found)


def page_numbers(pdf: Path) -> list[int]:
    """The number of each page (0-based index -> number) as ``ingest.pdf_loader`` numbers
    pages: the page labels where they are numbers and unique, else the physical pages."""
    import pypdfium2 as pdfium

    with _LOCK:
        document = pdfium.PdfDocument(str(pdf))
        try:
            labels = [_label(document, i) for i in range(len(document))]
        finally:
            document.close()
    numbers = [int(x) if x.isdigit() else i + 1 for i, x in enumerate(labels)]
    if len(set(numbers)) != len(numbers):
        numbers = list(range(1, len(labels) + 1))
    return numbers


def page_index(pdf: Path, number: int) -> int | None:
    """The 0-based index of the page printed ``number``, or None."""
    numbers = page_numbers(pdf)
    return numbers.index(number) if number in numbers else None


def page_count(pdf: Path) -> int:
    return len(page_numbers(pdf))


def _label(document: object, index: int) -> str:
    try:
        return str(document.get_page_label(index) or "")  # type: ignore[attr-defined]
    except Exception:  # a broken label tree: physical numbers, as the loader does
        return ""


def cached(cache: Path, pdf: Path, doc_id: str, index: int, quotes: Sequence[str],
           continued: bool) -> bytes:
    """``render``'s PNG, from ``cache`` when it was made before."""
    parts = [RENDER_VERSION, doc_id, str(index), str(continued), *quotes]
    key = hashlib.sha256("\x1f".join(parts).encode())
    path = cache / f"{doc_id[:16]}-{index}-{key.hexdigest()[:24]}.png"
    if path.is_file():
        return path.read_bytes()
    png = render(pdf, index, quotes, continued=continued).png
    cache.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    partial.write_bytes(png)
    partial.replace(path)
    return png
