"""Cleaning shared by the loaders: running headers/footers, page-number lines, hyphenation.

Loaders hand over the raw lines of each page; what comes back is the same lines with the
furniture that repeats across pages taken out. Joining wrapped lines into paragraphs (and
rejoining words hyphenated across a line break) is done by ``join_wrapped``.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Sequence

from assistant.text import fold
from ingest.timing import timed

_PAGE_NUMBER = re.compile(
    r"^\s*(?:page\s+\d+(?:\s+of\s+\d+)?|-\s*\d+\s*-|\d{1,4}|\d+\s*/\s*\d+)\s*$", re.IGNORECASE
)
_EDGE = 3  # how many lines at the top and bottom of a page can be running furniture
_LETTERS = frozenset(string.ascii_letters)
_LEADING_LETTERS = re.compile(r"[A-Za-z]+")
_SENTENCE_END = re.compile(r"[.!?:\"'”’)]$")
MAX_WORD = 64  # letters: a longer run before a line-end hyphen is no word to look up

# Prefixes that keep their hyphen when a compound is broken across lines ("multi-\nagency").
_KEEP_HYPHEN_PREFIXES = frozenset(
    [
        "multi",
        "inter",
        "cross",
        "co",
        "non",
        "pre",
        "post",
        "self",
        "well",
        "long",
        "short",
        "under",
        "over",
        "sub",
        "anti",
        "semi",
        "re",
        "de",
        "ex",
        "part",
        "full",
        "half",
        "high",
        "low",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "year",
        "face",
        "child",
        "family",
        "single",
        "joint",
        "case",
        "age",
    ]
)


def _shape(line: str) -> str:
    """A line's shape for repetition counting: case, spacing and digits ignored."""
    return re.sub(r"\d+", "#", fold(line))


@timed("clean")
def remove_running_lines(pages: Sequence[Sequence[str]]) -> list[list[str]]:
    """Drop headers, footers and page-number lines that repeat across pages.

    A line near the top or bottom of a page is furniture when its shape (digits ignored) is
    found near the edge of at least half of the pages (and of at least two). Lines that are
    only a page number ("Page 4", "4", "- 4 -") are dropped where they sit at a page edge.
    """
    edge_shapes: list[set[str]] = []
    for lines in pages:
        content = [i for i, line in enumerate(lines) if line.strip()]
        edges = content[:_EDGE] + content[-_EDGE:]
        edge_shapes.append({_shape(lines[i]) for i in edges})
    counts = Counter(shape for shapes in edge_shapes for shape in shapes)
    threshold = max(2, (len(pages) + 1) // 2)
    repeating = {shape for shape, n in counts.items() if n >= threshold and shape}

    cleaned: list[list[str]] = []
    for lines in pages:
        content = [i for i, line in enumerate(lines) if line.strip()]
        edge = set(content[:_EDGE] + content[-_EDGE:])
        keep: list[str] = []
        for i, line in enumerate(lines):
            if i in edge and (_shape(line) in repeating or _PAGE_NUMBER.match(line)):
                continue
            keep.append(line)
        cleaned.append(keep)
    return cleaned


def _join(tail: str, whole: bool, right: str, known_words: set[str] | None) -> tuple[bool, str]:
    """How ``right`` (stripped) joins text that ends in ``tail`` (right-stripped; ``whole``: the
    tail is all of it): (drop the text's final hyphen, separator)."""
    space = " " if tail and right else ""
    if not tail.endswith("-") or not right[:1].isascii() or not right[:1].islower():
        return False, space
    hyphen = len(tail) - 1
    start = hyphen
    while start > 0 and tail[start - 1] in _LETTERS:
        start -= 1
    first = tail[start:hyphen]
    if len(first) < 2:
        return False, space
    if start == 0 and not whole:  # longer than MAX_WORD letters: no word to look up
        return True, ""
    second = _LEADING_LETTERS.match(right)
    rest = second.group(0) if second else ""
    joined = (first + rest).lower()
    hyphenated = f"{first}-{rest}".lower()
    keep = first.lower() in _KEEP_HYPHEN_PREFIXES
    if known_words is not None:
        if hyphenated in known_words and joined not in known_words:
            keep = True
        elif joined in known_words:
            keep = False
    return not keep, ""


def rejoin_hyphen(left: str, right: str, known_words: set[str] | None = None) -> str:
    """Join two wrapped lines, rejoining a word hyphenated across the break.

    ``"assess-" + "ment"`` gives ``"assessment"``; a compound whose first part is a usual
    prefix (``"multi-" + "agency"``), or whose hyphenated form is what the document uses
    elsewhere, keeps its hyphen. Only the last ``MAX_WORD`` letters of ``left`` are looked at,
    so the cost does not grow with the text already joined.
    """
    paragraph = Paragraph(left)
    paragraph.add(right, known_words)
    return paragraph.text()


class Paragraph:
    """Text joined line by line as ``rejoin_hyphen`` joins two lines, in time linear in its
    length (rejoining the whole text so far for every line was quadratic in its lines)."""

    def __init__(self, text: str = "") -> None:
        self._parts: list[str] = [text] if text else []
        self._size = len(text)

    def __len__(self) -> int:
        return self._size

    def tail(self, n: int) -> str:
        """The last ``n`` characters (fewer when the text is shorter)."""
        pieces: list[str] = []
        need = n
        for part in reversed(self._parts):
            if need <= 0:
                break
            pieces.append(part[-need:])
            need -= len(part)
        return "".join(reversed(pieces))

    def text(self) -> str:
        if len(self._parts) > 1:
            self._parts = ["".join(self._parts)]
        return self._parts[0] if self._parts else ""

    def add(self, line: str, known_words: set[str] | None = None) -> int:
        """Join ``line`` on; returns where (the stripped) ``line`` starts in the text."""
        right = line.lstrip()
        while self._parts and self._parts[-1][-1:].isspace():
            last = self._parts[-1].rstrip()
            self._size -= len(self._parts[-1]) - len(last)
            if last:
                self._parts[-1] = last
            else:
                self._parts.pop()
        tail = self.tail(MAX_WORD + 1)
        drop, separator = _join(tail, len(tail) == self._size, right, known_words)
        if drop:
            self._parts[-1] = self._parts[-1][:-1]
            self._size -= 1
        self._parts.extend(part for part in (separator, right) if part)
        self._size += len(separator) + len(right)
        return self._size - len(right)


@timed("clean")
def vocabulary(lines: Sequence[str]) -> set[str]:
    """Lower-cased words and hyphenated compounds of a document, for ``rejoin_hyphen``."""
    words: set[str] = set()
    for line in lines:
        words.update(w.lower() for w in re.findall(r"[A-Za-z]+(?:-[A-Za-z]+)*", line))
    return words


_BULLET = re.compile(
    r"^\s*(?:[\u2022\u25aa\u25cf\u25e6\u2023\u2043\u00b7\x7f\uf0b7\uf0a7*\-–]|\d{1,2}[.)])\s+"
)


def is_bullet(line: str) -> bool:
    return bool(_BULLET.match(line))


def normalise_bullet(line: str) -> str:
    """``"\x7f item"`` or ``"* item"`` becomes ``"• item"``; numbered items keep their number."""
    m = _BULLET.match(line)
    if not m:
        return line.strip()
    mark = m.group(0).strip()
    if mark[0].isdigit():
        return line.strip()
    return "• " + line[m.end() :].strip()


@timed("clean")
def join_wrapped(lines: Sequence[str], known_words: set[str] | None = None) -> list[str]:
    """Join hard-wrapped prose lines into one line per paragraph or list item.

    A paragraph ends at a blank line, before a bullet, and after a line that ends a sentence
    while being clearly shorter than the text's usual line length. Headings (``#``) and table
    rows (lines holding a tab) are kept as they are.
    """
    widths = sorted(len(line.strip()) for line in lines if line.strip() and "\t" not in line)
    usual = widths[int(len(widths) * 0.8)] if widths else 80
    out: list[str] = []
    current = Paragraph()
    prev_len = 0

    def flush() -> None:
        nonlocal current
        text = current.text().strip()
        if text:
            out.append(text)
        current = Paragraph()

    for raw in lines:
        line = raw.strip()
        if not line:
            flush()
            continue
        if line.startswith("#") or "\t" in raw:
            flush()
            out.append(line if line.startswith("#") else raw.strip("\n"))
            continue
        if is_bullet(line):
            flush()
            current = Paragraph(normalise_bullet(line))
        elif not len(current):
            current = Paragraph(line)
        elif prev_len < 0.75 * usual and _SENTENCE_END.search(current.tail(2)):
            flush()
            current = Paragraph(line)
        else:
            current.add(line, known_words)
        prev_len = len(line)
    flush()
    return out
