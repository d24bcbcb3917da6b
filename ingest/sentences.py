"""Sentence splitting that keeps every sentence an exact slice of its text.

Rule-based (no model): a sentence ends at . ! or ? (optionally followed by a closing quote or
bracket) before whitespace and a capital, digit, bullet or opening quote, except after common
abbreviations ("e.g.", "Dr.", "No.") and initials.
"""

from __future__ import annotations

import re

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
        before = text[start : m.start() + 1]
        word = re.search(r"([A-Za-z.]+)\.$", before)
        if word:
            token = word.group(1).lower().rstrip(".")
            if token in _ABBREVIATIONS or (len(token) == 1 and token.isalpha()):
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
    cur = start
    for m in _BREAK_WHEN_LONG.finditer(text, start, end):
        if len(text[cur : m.end()].split()) >= max_words // 2:
            pieces.append((cur, m.end()))
            cur = m.end()
            while cur < end and text[cur].isspace():
                cur += 1
    pieces.append((cur, end))
    out: list[tuple[int, int]] = []
    for s, e in pieces:
        words = list(re.finditer(r"\S+", text[s:e]))
        if len(words) <= max_words:
            out.append((s, e))
            continue
        for i in range(0, len(words), max_words):
            group = words[i : i + max_words]
            out.append((s + group[0].start(), s + group[-1].end()))
    return out
