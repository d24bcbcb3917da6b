"""The headings a report sets its practice examples under, as local learning briefs,
seven-minute briefings and national reviews give them: what has changed ("Actions taken",
"Impact"), the learning to apply ("What we learned", "What should practitioners do"), the
good practice found, and the finding and the partnership behind a change (Appendix 4's "The
findings and recommendations which influenced change", "How partners worked together").

A heading is either a section of the document (as ingest found it) or a line of its own in
the text, which web pages and PDFs often keep as plain text ("2. What good practice did we
find?"), sometimes run into the sentence after it ("How we've worked together Since 2023,
we ..."). Its part runs to the next heading line; a lead-in ending with ':' ("Early help:")
opens a new run of the same part. Its patterns are imported into ``examples``, whose
patterns the linear-time guard tries on long runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from assistant.trainer.passages import Block, DocText
from ingest.areatag import stage_of
from ingest.sections import not_content

# The document's own headings, by what they hold: one pattern per part (a whole heading,
# numbering and a closing ':' or '?' taken off).
HEADINGS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("good", re.compile(
        r"^(?:what (?:good practice|went well|worked well|is working well)(?: (?:did we|was|"
        r"we) (?:find|found|identified|see))?|(?:examples of |areas of )?good practice"
        r"(?: (?:identified|found|examples?|highlighted))?|strengths(?: identified)?)$", re.I)),
    ("change", re.compile(
        r"^(?:what (?:has |have )?(?:changed|been done|happened since(?: the review)?)|"
        r"what we (?:did|have done|changed|are doing(?: now)?)|what (?:the )?(?:partnership|"
        r"board|committee) (?:did|has done|changed)|what (?:is|are) (?:being|now) done|"
        r"what action (?:was|has been|have been|we have) taken|(?:the )?actions? (?:taken|"
        r"we (?:have )?taken)|(?:the )?changes? (?:made|in practice|to practice|we (?:have )?"
        r"made)|practice changes?|changes?|impact(?: on practice| of (?:the )?(?:review|"
        r"learning|changes?))?|(?:the )?difference (?:it|this) (?:has )?made|(?:improvements?|"
        r"progress)(?: made| so far| to date| and next steps)?|how we(?:'ve| have)? worked "
        r"(?:together|with partners)|since the review)$", re.I)),
    ("learning", re.compile(
        r"^(?:what (?:we|did we|have we|can we|should we|do we) (?:learn|learned|learnt)|"
        r"what (?:was|is|has been) learn(?:ed|t)|(?:key |main |the )?learning(?: points?|"
        r"messages?| from (?:the|this) (?:review|case)| for (?:practice|practitioners|all|"
        r"agencies|professionals))?|(?:key |main )?lessons(?: learn(?:ed|t)| for practice| "
        r"from (?:the|this) (?:review|case))?|key (?:messages|points)(?: for (?:practice|"
        r"practitioners|professionals))?|what (?:should|can|must|do) (?:practitioners|"
        r"professionals|you|managers|staff|we|agencies) (?:do|know|consider)(?: differently)?"
        r"|what (?:does|do) (?:this|these|the learning|it) mean for (?:practice|"
        r"practitioners|me|you|us|my practice)|implications for (?:practice|practitioners)|"
        r"practice (?:points|pointers|messages|tips|learning|implications)|(?:key )?learning "
        r"(?:and|&) (?:practice )?improvements?|application to practice|applying (?:the )?"
        r"learning)$", re.I)),
    ("finding", re.compile(
        r"^(?:why(?: it changed| we changed)?|what (?:the |this )?(?:review|audit|inspection)"
        r" (?:found|identified|tells us)|what (?:else )?(?:did we|we) find|what we found|"
        r"(?:the )?(?:findings?|learning) (?:from|of) the review|(?:key |main )?findings)$",
        re.I)),
    ("partnership", re.compile(r"^(?:how(?: it was done| we did it)?|partnership working|"
                               r"how partners worked together)$", re.I)),
)
_NUMBERING = re.compile(r"^(?:(?:step|part|section)\s+)?(?:\d{1,2}|[ivx]{1,4})[.):]?\s+", re.I)
_MARKER = re.compile(r"^[•●▪◦·*–-]\s*")
_WORD = re.compile(r"\S+")
_CLOSE = " \t:?.!"
HEADING_WORDS = 12  # a longer line is a sentence, not a heading


def _key(text: str) -> str:
    return _NUMBERING.sub("", text.strip().replace("’", "'")).rstrip(_CLOSE).strip()


def heading_part(text: str) -> str | None:
    """The part a heading names ("change", "learning", "good", "finding", "partnership"), if
    it is one of the headings reports give them ("4. What can we learn?", "Learning journey:
    what did we do?" is judged by its last part)."""
    key = _key(text)
    keys = [key] + ([_key(key.rsplit(":", 1)[1])] if ":" in key else [])
    for k in keys:
        found = next((name for name, p in HEADINGS if p.match(k)), None)
        if found:
            return found
    return None


def stage(section: str) -> str | None:
    """The part a section holds, from the sub-heading it stands under."""
    return stage_of(section) or heading_part(section.rsplit(" > ", 1)[-1])


def is_heading_line(line: str) -> bool:
    """A line set as a heading: short, no list marker, no sentence ending."""
    text = line.strip()
    if not text or _MARKER.match(text) or len(text.split()) > HEADING_WORDS:
        return False
    return text[-1] not in ".;,!\"”'’)" and (text[0].isupper() or text[0].isdigit())


def line_heading(line: str) -> tuple[str, int] | None:
    """(part, where the text after the heading starts) for a line that opens with a heading:
    the whole line, or a heading of two words or more run into the text after it ("How we've
    worked together Since 2023, we ...")."""
    if is_heading_line(line):
        part = heading_part(line)
        return (part, len(line)) if part else None
    words = list(_WORD.finditer(line[:200]))
    for n in range(min(8, len(words) - 1), 2, -1):
        after = words[n].group(0)
        if after[0].isupper() and (part := heading_part(line[: words[n - 1].end()])):
            return part, words[n].start()
    return None


@dataclass(frozen=True)
class Part:
    """Text under one of the document's headings: ``start:end`` of ``DocText.text``."""

    part: str
    heading: str
    start: int
    end: int
    group: str  # parts of one group make one example (an area's what, why and how)


def _lines(doc: DocText, block: Block) -> Iterator[tuple[int, str]]:
    pos = block.start
    for line in doc.text[block.start : block.end].split("\n"):
        yield pos, line
        pos += len(line) + 1


def parts_in(doc: DocText) -> list[Part]:
    """Every headed part of ``doc``: sections whose heading names a part, and heading lines
    in the text (up to the next heading line that is not a lead-in ending with ':')."""
    out: list[Part] = []
    for i, block in enumerate(doc.blocks):
        if not_content(block.section):
            continue
        part = stage(block.section)
        if part:
            path = [p.strip() for p in block.section.split(" > ")]
            group = path[-2] if len(path) >= 2 else f"#{i}"
            out.append(Part(part, path[-1], block.start, block.end, group))
            continue
        open_part: tuple[str, str, int] | None = None
        for pos, line in _lines(doc, block):
            found = line_heading(line)
            ends = found or (is_heading_line(line) and not line.rstrip().endswith(":"))
            if ends and open_part:
                out.append(Part(open_part[0], open_part[1], open_part[2], pos, f"#{i}"))
                open_part = None
            if found:
                open_part = (found[0], line[: found[1]].strip(), pos + found[1])
        if open_part:
            out.append(Part(open_part[0], open_part[1], open_part[2], block.end, f"#{i}"))
    return out


def sentence_runs(doc: DocText, start: int, end: int) -> list[list[tuple[int, int]]]:
    """The sentences of ``start:end``, in runs split at lead-in lines ("Early help:")."""
    runs: list[list[tuple[int, int]]] = [[]]
    for s, e in doc.sentences(start, end):
        whole = doc.text[s - 1 : s] in ("", "\n") and doc.text[e : e + 1] in ("", "\n")
        if whole and is_heading_line(doc.text[s:e]):
            if runs[-1]:
                runs.append([])
            continue
        runs[-1].append((s, e))
    return [r for r in runs if r]
