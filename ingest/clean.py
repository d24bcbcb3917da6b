"""Cleaning shared by the loaders: running headers/footers, page-number lines, hyphenation.

Loaders hand over the raw lines of each page; what comes back is the same lines with the
furniture that repeats across pages taken out. Joining wrapped lines into paragraphs (and
rejoining words hyphenated across a line break) is done by ``join_wrapped``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from ingest.timing import timed

_PAGE_NUMBER = re.compile(
    r"^\s*(?:page\s+\d+(?:\s+of\s+\d+)?|-\s*\d+\s*-|\d{1,4}|\d+\s*/\s*\d+)\s*$", re.IGNORECASE
)
_EDGE = 3  # how many lines at the top and bottom of a page can be running furniture
_WORD_END_HYPHEN = re.compile(r"([A-Za-z]{2,})-$")
_LOWER_START = re.compile(r"^[a-z]")

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
    return re.sub(r"\d+", "#", " ".join(line.lower().split()))


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


def rejoin_hyphen(left: str, right: str, known_words: set[str] | None = None) -> str:
    """Join two wrapped lines, rejoining a word hyphenated across the break.

    ``"assess-" + "ment"`` gives ``"assessment"``; a compound whose first part is a usual
    prefix (``"multi-" + "agency"``), or whose hyphenated form is what the document uses
    elsewhere, keeps its hyphen.
    """
    left = left.rstrip()
    right = right.lstrip()
    m = _WORD_END_HYPHEN.search(left)
    if m and _LOWER_START.match(right):
        first = m.group(1)
        second = re.match(r"[A-Za-z]+", right)
        tail = second.group(0) if second else ""
        joined = (first + tail).lower()
        hyphenated = f"{first}-{tail}".lower()
        keep = first.lower() in _KEEP_HYPHEN_PREFIXES
        if known_words is not None:
            if hyphenated in known_words and joined not in known_words:
                keep = True
            elif joined in known_words:
                keep = False
        return left + right if keep else left[:-1] + right
    return f"{left} {right}" if left and right else left + right


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
    current = ""
    prev_len = 0

    def flush() -> None:
        nonlocal current
        if current.strip():
            out.append(current.strip())
        current = ""

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
            current = normalise_bullet(line)
        elif not current:
            current = line
        elif prev_len < 0.75 * usual and re.search(r"[.!?:\"'”’)]$", current):
            flush()
            current = line
        else:
            current = rejoin_hyphen(current, line, known_words)
        prev_len = len(line)
    flush()
    return out
