"""Plain text and Markdown loader.

A form feed is a page break. Markdown headings are sections; in plain text, a short line that
stands alone between blank lines and reads as a heading (capitals, a number or "Part N:", a
question, title case) becomes one. Hard-wrapped lines are joined into paragraphs; tab-separated
lines are table rows.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from assistant.errors import UnreadableFileError
from assistant.types import Document, Page
from ingest.clean import join_wrapped, remove_running_lines, vocabulary

_NUMBERED = re.compile(
    r"^(?:\d+(?:\.\d+)*\.?|part\s+\d+:|appendix\s+\d+:|chapter\s+\d+)\s+\S", re.I
)
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
# Linear: the link text holds no "[" and a bracketed part of the address no "(", so a line
# of "[" or "[a](" does not make every bracket scan to the end of the line.
_MD_LINK = re.compile(r"\[([^\[\]]+)\]\((?:[^()]++|\([^()]*+\))*+\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")


def decode(data: bytes, path: Path) -> str:
    """Text from bytes: UTF-8 (with or without BOM), UTF-16 (with a BOM, or without one when
    every other byte of ASCII text is zero), else Windows-1252 (which reads Latin-1 too).
    Bytes that decode to many control characters are refused as binary, not indexed."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16", errors="replace")
    elif (bom_less := _utf16_without_bom(data)) is not None:
        text = data.decode(bom_less, errors="replace")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
    sample = text[:20000]
    odd = sum(1 for c in sample if (c < " " and c not in "\t\n\r\f") or c == "\ufffd")
    if odd > max(2, len(sample) // 50):
        raise UnreadableFileError(
            str(path), "looks like a binary file, not text (or uses an unknown encoding)"
        )
    return text


def _utf16_without_bom(data: bytes) -> str | None:
    """``utf-16-le`` or ``-be`` when zeros fill the odd or even bytes of the start, else None."""
    head = data[:4000]
    if len(head) < 4 or len(head) % 2:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def _is_text_heading(line: str, before: str, after: str) -> int:
    """Heading level (1-3) of a plain-text line, or 0 when it is not a heading."""
    text = line.strip()
    words = text.split()
    if before.strip() or after.strip() or not words or len(words) > 14 or len(text) > 100:
        return 0
    if "\t" in line or text.startswith(("•", "-", "*")):
        return 0
    letters = [c for c in text if c.isalpha()]
    if letters and all(c.isupper() for c in letters) and len(letters) > 2:
        return 1
    if _NUMBERED.match(text):
        return 2
    if text[0].isupper() and not text.endswith((".", ",", ";", ":")):
        return 3 if text.endswith("?") or len(words) <= 10 else 0
    return 0


def _markdown_line(line: str) -> str:
    m = _MD_HEADING.match(line)
    if m:
        return "#" * len(m.group(1)) + " " + _MD_EMPHASIS.sub(r"\2", m.group(2))
    line = _MD_LINK.sub(r"\1", line)
    line = _MD_EMPHASIS.sub(r"\2", line)
    if line.lstrip().startswith("|") and line.rstrip().endswith("|"):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if all(set(c) <= set("-: ") for c in cells):
            return ""  # the |---|---| separator of a markdown table
        return "\t".join(cells)
    return line


def load_text(path: Path) -> Document:
    data = path.read_bytes()
    text = decode(data, path).replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise UnreadableFileError(str(path), "the file is empty")
    markdown = path.suffix.lower() in {".md", ".markdown"}
    raw_pages = [page.split("\n") for page in text.split("\f")]
    raw_pages = remove_running_lines(raw_pages) if len(raw_pages) > 2 else raw_pages
    vocab = vocabulary([line for lines in raw_pages for line in lines])
    pages: list[Page] = []
    in_code = False
    for number, lines in enumerate(raw_pages, start=1):
        marked: list[str] = []
        for i, line in enumerate(lines):
            if markdown:
                if line.strip().startswith("```"):
                    in_code = not in_code
                    continue
                marked.append(line if in_code else _markdown_line(line))
                continue
            before = lines[i - 1] if i > 0 else ""
            after = lines[i + 1] if i + 1 < len(lines) else ""
            level = _is_text_heading(line, before, after)
            if level:
                marked.append("#" * level + " " + line.strip())
            elif line.lstrip().startswith("#"):
                marked.append(line.replace("#", "\\#", 1))
            else:
                marked.append(line)
        pages.append(Page(number=number, text="\n".join(join_wrapped(marked, vocab))))
    if not any(p.text.strip() for p in pages):
        raise UnreadableFileError(str(path), "no readable text in the file")
    return Document(
        doc_id=hashlib.sha256(data).hexdigest(),
        path=str(path),
        title=_first_heading(pages) or path.stem,
        pages=tuple(pages),
    )


def _first_heading(pages: list[Page]) -> str:
    for page in pages:
        for line in page.text.split("\n"):
            if line.startswith("#") and not line.startswith("\\#"):
                return line.lstrip("#").strip()
    return ""
