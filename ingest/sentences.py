"""Sentence splitting that keeps every sentence an exact slice of its text.

Rule-based (no model): a sentence ends at . ! or ? (optionally followed by a closing quote or
bracket) before whitespace and a capital, digit, bullet or opening quote, except after common
abbreviations ("e.g.", "Dr.", "No.") and initials.
"""

from __future__ import annotations

import re
import string

_ABBREVIATIONS = frozenset(
    [
        "e.g",
        "i.e",
        "etc",
        "vs",
        "cf",
        "dr",
        "mr",
        "mrs",
        "ms",
        "prof",
        "st",
        "no",
        "nos",
        "fig",
        "figs",
        "para",
        "paras",
        "approx",
        "ch",
        "sec",
        "vol",
        "ed",
        "eds",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "inc",
        "ltd",
        "co",
        "al",
    ]
)
_BOUNDARY = re.compile(r"[.!?][\"'”’)\]]*(?=\s+[\"'“‘(\[•A-Z0-9])")
_BREAK_WHEN_LONG = re.compile(r"[;:](?=\s)")
_WORD_CHARS = frozenset(string.ascii_letters + ".")
_WORDS = re.compile(r"\S+")


def word_before(text: str, start: int, stop: int) -> str:
    """The letters and dots that run up to the full stop at ``text[stop]``, from ``start`` on
    ("e.g" before "e.g."); "" when there are none or ``text[stop]`` is no full stop.

    What ``re.search(r"([A-Za-z.]+)\\.$", text[start : stop + 1])`` finds, without copying the
    text or trying every position in it (that was quadratic in a long run of letters). Each
    run ends at a full stop before whitespace, so the runs scanned for one text never overlap.
    """
    if text[stop : stop + 1] != ".":
        return ""
    i = stop
    while i > start and text[i - 1] in _WORD_CHARS:
        i -= 1
    return text[i:stop]


def is_abbreviation(text: str, start: int, stop: int) -> bool:
    """Whether the full stop at ``text[stop]`` ends a common abbreviation or an initial."""
    word = word_before(text, start, stop)
    token = word.lower().rstrip(".")
    return bool(word) and (token in _ABBREVIATIONS or (len(token) == 1 and token.isalpha()))


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of ``text``; whitespace between them is left out."""
    spans: list[tuple[int, int]] = []
    start = 0
    n = len(text)
    while start < n and text[start].isspace():
        start += 1
    for m in _BOUNDARY.finditer(text):
        end = m.end()
        if end <= start:
            continue
        if is_abbreviation(text, start, m.start()):
            continue
        spans.append((start, end))
        start = end
        while start < n and text[start].isspace():
            start += 1
    if start < n:
        end = n
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            spans.append((start, end))
    return spans


def split_sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text)]


def split_long(text: str, start: int, end: int, max_words: int) -> list[tuple[int, int]]:
    """Cut an over-long sentence at ``;``/``:`` or, failing that, every ``max_words`` words."""
    if len(text[start:end].split()) <= max_words:
        return [(start, end)]
    pieces: list[tuple[int, int]] = []
    cur = counted = start
    words = 0  # in text[cur:counted]: each break is followed by whitespace, so none is cut
    for m in _BREAK_WHEN_LONG.finditer(text, start, end):
        words += len(text[counted : m.end()].split())
        counted = m.end()
        if words >= max_words // 2:
            pieces.append((cur, m.end()))
            cur = counted = m.end()
            words = 0
            while cur < end and text[cur].isspace():
                cur += 1
            counted = cur
    pieces.append((cur, end))
    out: list[tuple[int, int]] = []
    for s, e in pieces:
        words_at = list(_WORDS.finditer(text, s, e))
        if len(words_at) <= max_words:
            out.append((s, e))
            continue
        for i in range(0, len(words_at), max_words):
            group = words_at[i : i + max_words]
            out.append((group[0].start(), group[-1].end()))
    return out
