"""Quoted speech in a document's stored text, found whole, with its attribution.

A quotation runs from its opening mark to its closing mark (straight or curly, double or
single), across line breaks: a paragraph that ends inside a quotation and a next paragraph
that opens with the same mark continue it, as news releases print long quotations. Where a
double-quoted paragraph ends with no closing mark and nothing continues it, the quotation ends
with the paragraph and is marked ``closed=False``; a single-quoted one is dropped (a lone
apostrophe is too easily taken for a mark). An apostrophe between letters is never a mark.

The attribution is taken as the document gives it, in this order: a parenthesis right after
the closing mark ("(survey response)"), a heading line of that form right after it, the words
that introduce it on its line ("Karen Reid, chief executive of the Care Inspectorate said"),
the line before it when that line ends with a colon ("Survey respondents noted:"), or the
introduction of the quotation it directly follows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.trainer.passages import HARD_BREAK, DocText, is_attribution
from ingest.sections import not_content
from ingest.sentences import sentence_spans

_MARKS = frozenset("\"'“”‘’")
_BEFORE_OPEN = frozenset("([{:—–-/")
_AFTER_CLOSE = frozenset(".,;:!?)]}—–-")
_SENTENCE_END = frozenset(".!?…")
_SPEECH = re.compile(
    r"\b(?:said|says|added|adds|noted|notes|commented|comments|told|tells|stated|states|"
    r"explained|highlighted|reported|wrote|writes|described|observed|remarked|concluded|"
    r"according to|in the words of)\b",
    re.I,
)
# Possessive: two runs that can both take spaces made a long run of spaces quadratic.
_AFTER = re.compile(r"[ \t.,;]*+\n?[ \t]*+(\([^()\n]{2,78}\))(?=\s|$)")
MIN_WORDS = 5
MAX_ATTRIBUTION_WORDS = 25
LEAD_WINDOW = 2000  # characters of a quotation's line read for its introduction


@dataclass(frozen=True)
class Speech:
    start: int  # offsets in ``DocText.text``, the marks included
    end: int
    closed: bool
    attribution: str | None
    attributed_by: str  # "after" (parenthesis or heading), "lead-in", "run" or ""


def _mark(text: str, i: int) -> tuple[str, bool] | None:
    """(family "d" or "s", is_opening) for the mark at ``i``, or None for an apostrophe."""
    ch = text[i]
    prev = text[i - 1] if i else " "
    nxt = text[i + 1] if i + 1 < len(text) else " "
    if ch in "“”":
        return "d", ch == "“"
    if ch in "‘’'" and prev.isalnum() and nxt.isalnum():
        return None  # children's, It’s
    if ch in "‘’":
        return "s", ch == "‘"
    family = "d" if ch == '"' else "s"
    if (prev.isspace() or prev in _BEFORE_OPEN) and not nxt.isspace():
        return family, True
    if not prev.isspace() and (nxt.isspace() or nxt in _AFTER_CLOSE):
        return family, False
    return None


def quotation_spans(text: str) -> list[tuple[int, int, bool]]:
    """(start, end, closed) of every quotation in ``text``, marks included."""
    out: list[tuple[int, int, bool]] = []
    state: tuple[str, int] | None = None
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\n" and state is not None:
            j = i
            while j < n and text[j] in " \t\n":
                j += 1
            hard = HARD_BREAK in text[i:j]
            mark = _mark(text, j) if j < n and text[j] in _MARKS else None
            if not hard and mark == (state[0], True):
                i = j + 1
                continue
            if state[0] == "d":
                out.append((state[1], i, False))
            state = None
            i = j
            continue
        mark = _mark(text, i) if ch in _MARKS else None
        if mark is not None:
            family, opening = mark
            if state is None:
                if opening:
                    state = (family, i)
            elif family == state[0]:
                if not opening:
                    out.append((state[1], i + 1, True))
                    state = None
                else:
                    k = i - 1
                    while k > state[1] and text[k].isspace():
                        k -= 1
                    if text[k] not in _SENTENCE_END:
                        state = (family, i)  # the one before never closed: start again here
        i += 1
    if state is not None and state[0] == "d":
        out.append((state[1], n, False))
    return out


def _clip(words: str) -> str:
    parts = words.split()
    if len(parts) <= MAX_ATTRIBUTION_WORDS:
        return " ".join(parts)
    return "… " + " ".join(parts[-MAX_ATTRIBUTION_WORDS:])


def _after(doc: DocText, end: int) -> str | None:
    text = doc.text
    m = _AFTER.match(text, end)
    if m:
        return m.group(1)
    ahead = text[end : end + 200]
    gap = len(ahead) - len(ahead.lstrip(" \t\n.,;"))
    at = text.find(HARD_BREAK, end, end + gap)
    if at >= 0:
        headings = doc.headings_at.get(at, ())
        if headings and is_attribution(headings[0]):
            return headings[0]
    return None


def _lead_in(text: str, start: int) -> str | None:
    """The words that introduce the quotation on its line, or the line before it that ends
    with a colon."""
    # Only the last LEAD_WINDOW characters of the line are read: searching the whole line
    # for every quotation was quadratic in a long line of many quotations.
    window = max(0, start - LEAD_WINDOW)
    line_start = text.rfind("\n", window, start) + 1 or window
    before = text[line_start:start]
    if not before.strip() and line_start == window > 0 and text[window - 1] != "\n":
        line_start = text.rfind("\n", 0, window) + 1  # only blank before it in the window
        before = text[line_start:start]
    if before.strip():
        spans = sentence_spans(before)
        lead = before[spans[-1][0] :].strip() if spans else before.strip()
        if lead and lead[-1] not in _SENTENCE_END and lead[-1] not in _MARKS and (
            lead.endswith(":") or _SPEECH.search(lead)
        ):
            return _clip(lead.rstrip(":, "))
        return None
    prev_start = text.rfind("\n", 0, max(line_start - 1, 0)) + 1
    prev_line = text[prev_start : max(line_start - 1, 0)].strip()
    if prev_line.endswith(":"):
        spans = sentence_spans(prev_line)
        lead = prev_line[spans[-1][0] :] if spans else prev_line
        return _clip(lead.rstrip(":, "))
    return None


def speech_in(doc: DocText, min_words: int = MIN_WORDS) -> list[Speech]:
    """Every quotation of at least ``min_words`` words in ``doc``, with its attribution."""
    out: list[Speech] = []
    text = doc.text
    for start, end, closed in quotation_spans(text):
        if len(text[start:end].split()) < min_words or not_content(doc.chunk_at(start).section):
            continue
        who, how = _after(doc, end), "after"
        if who is None:
            who, how = _lead_in(text, start), "lead-in"
        if who is None and out and out[-1].attributed_by in ("lead-in", "run") \
                and not text[out[-1].end : start].strip():
            who, how = out[-1].attribution, "run"
        out.append(Speech(start, end, closed, who, how if who else ""))
    return out
