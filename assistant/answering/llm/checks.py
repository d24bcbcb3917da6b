"""Checks of a language model's reply against the numbered excerpts it was given.

A reply is split into sentences; each sentence must carry ``[n]`` markers that name excerpts,
every span it quotes must stand verbatim in a cited excerpt, every figure it states must appear
in a cited excerpt, it must share words with what it cites, and it must not echo an instruction
(text injected into a document is data, never an order). A sentence that only says the
excerpts do not answer may stand without a marker. No language model code here.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from assistant.text import fold
from ingest.sentences import word_before
from vectorstore.keyword import tokenize

Passages = Mapping[int, str]  # excerpt number -> passage text

MARKERS = re.compile(r"\[\s*(\d+(?:\s*(?:[,;]|-|–)\s*\d+)*)\s*\]")
_END = re.compile(
    r"[.!?…][\"'”’)]*(?:\s*\[\s*\d+(?:\s*(?:[,;]|-|–)\s*\d+)*\s*\])*(?=\s+[\"'“‘(•*A-Z0-9-])"
)
_ABBREVIATIONS = frozenset(
    ["e.g", "i.e", "etc", "vs", "cf", "dr", "mr", "mrs", "ms", "no", "nos", "fig", "p", "pp"]
)
# A curly quotation holds no opening mark of its own kind: else each of a run of "“" with no
# closing mark scanned to the end of the line (quadratic).
_QUOTED = re.compile(r"\"([^\"\n]+)\"|“([^“”\n]+)”|‘([^‘’\n]+)’|(?<!\w)'([^'\n]+)'(?!\w)")
_FIGURE = re.compile(
    r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(?!\w)(\s*(?:%|per\s?cent\b|percent\b))?",
    re.I,
)
_NO_ANSWER = re.compile(
    r"\b(excerpts?|passages?|sources?|documents?|reviews?|information)\b.{0,60}"
    r"\b(do|does|did|is|are)\s?n[o']t\b.{0,40}"
    r"\b(answer|cover|say|mention|address|contain|include|provide|specify|state)"
    r"|\b(cannot|can ?not|can't|unable to)\s+(answer|find|tell|say)"
    r"|\bno (information|mention|answer)\b",
    re.I,
)
_INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget|override)\b.{0,40}\b(instructions?|prompts?|rules?|above)\b"
    r"|\b(system|developer) (prompt|message|mode)\b|\bnew instructions?\b|\bjailbreak"
    r"|\byou are (now|no longer)\b|\bas an ai\b|\bi (have been|was|am) (instructed|told)\b"
    r"|<\s*/?\s*(script|system|excerpt|im_start|im_end)\b|\bhttps?://|\bwww\.",
    re.I,
)
_SEPARATOR = re.compile(r"[,;]")  # the parts are stripped: "\s*[,;]\s*" was quadratic
_RANGE = re.compile(r"[-–]")
_LIST_ITEM = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)])\s+")  # "1. " and "- " are not figures
_CAPITALISED = re.compile(r"(?<![\w'’-])[A-Z][\w'’-]*")
MIN_WORDS = 3


@dataclass(frozen=True)
class SentenceCheck:
    """One sentence of a reply (markers written ``[1][2]``), what it cites and what is wrong."""

    text: str
    markers: tuple[int, ...]
    problems: tuple[str, ...]
    no_answer: bool = False  # says the excerpts do not answer; needs no marker
    lead: str = " "  # what stood before it: " ", a new line or a blank line

    @property
    def ok(self) -> bool:
        return not self.problems


def _numbers(group: str) -> list[int]:
    out: list[int] = []
    for part in _SEPARATOR.split(group.strip()):
        ends = [e.strip() for e in _RANGE.split(part.strip())]
        if len(ends) == 2 and int(ends[1]) - int(ends[0]) in range(0, 10):
            out.extend(range(int(ends[0]), int(ends[1]) + 1))
        else:
            out.extend(int(e) for e in ends)
    return out


def normalise_markers(sentence: str) -> tuple[str, tuple[int, ...]]:
    """``[1, 2]`` and ``[1-2]`` written ``[1][2]``; the numbers in order of first mention."""
    found: list[int] = []

    def write(m: re.Match[str]) -> str:
        numbers = _numbers(m.group(1))
        found.extend(numbers)
        return "".join(f"[{n}]" for n in numbers)

    return MARKERS.sub(write, sentence).strip(), tuple(dict.fromkeys(found))


def figures(text: str) -> set[tuple[str, bool]]:
    """(value, is a percentage) of each number: ``1,250`` -> ``1250``, ``45 per cent`` -> %."""
    return {
        (m.group(1).replace(",", "") + (f".{m.group(2)}" if m.group(2) else ""), bool(m.group(3)))
        for m in _FIGURE.finditer(MARKERS.sub(" ", text))
    }


def quoted_spans(text: str) -> list[str]:
    return [next(g for g in m.groups() if g) for m in _QUOTED.finditer(text)]


def _names(text: str) -> list[str]:
    """Capitalised words other than the first (possessive 's dropped), normalised."""
    first = re.search(r"[A-Za-z0-9]", text)
    return [
        fold(re.sub(r"['’]s$", "", m.group()), marks=True)
        for m in _CAPITALISED.finditer(text)
        if first and m.start() > first.start() and m.group() != "I"
    ]


def check_sentence(sentence: str, passages: Passages, lead: str = " ") -> SentenceCheck:
    text, markers = normalise_markers(sentence)
    bare = _LIST_ITEM.sub("", MARKERS.sub(" ", text))
    problems: list[str] = []
    unknown = [n for n in markers if n not in passages]
    cited = [passages[n] for n in markers if n in passages]
    no_answer = not markers and bool(_NO_ANSWER.search(bare))
    if unknown:
        problems.append("cites no excerpt: " + " ".join(f"[{n}]" for n in unknown))
    if not markers and not no_answer:
        problems.append("has no [n] marker")
    if len(re.findall(r"[A-Za-z]+", bare)) < MIN_WORDS:
        problems.append("is not a sentence")
    source = fold(" ".join(cited), marks=True)
    for span in quoted_spans(bare):
        parts = [p.strip(" .,;:") for p in re.split(r"\.\.\.|…|\[\.\.\.\]", span)]
        if any(p and fold(p, marks=True) not in source for p in parts):
            problems.append(f"quotes words not in its excerpt: {span!r}")
    have = figures(" ".join(cited))
    values = {v for v, _ in have}
    for value, percent in sorted(figures(bare)):
        if (value, True) not in have and (percent or value not in values):
            problems.append(f"states a figure not in its excerpt: {value}{'%' if percent else ''}")
    if cited and not set(tokenize(bare)) & set(tokenize(" ".join(cited))):
        problems.append("shares no words with its excerpt")
    strange = [n for n in _names(bare) if cited and not re.search(rf"\b{re.escape(n)}\b", source)]
    if strange:  # a name the passage lacks: invented, or identifying someone
        problems.append(f"names what its excerpt does not: {', '.join(strange)}")
    if no_answer and (figures(bare) or quoted_spans(bare)):
        problems.append("states figures or quotes without a marker")
    if _INSTRUCTION.search(bare):
        problems.append("echoes an instruction")
    return SentenceCheck(text, markers, tuple(problems), no_answer, lead)


def _spans(line: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = len(line) - len(line.lstrip())
    for m in _END.finditer(line):
        if word_before(line, start, m.start()).lower().rstrip(".") in _ABBREVIATIONS:
            continue
        if m.end() > start:
            spans.append((start, m.end()))
        start = m.end()
        while start < len(line) and line[start].isspace():
            start += 1
    if line[start:].strip():
        spans.append((start, len(line.rstrip())))
    return spans


class SentenceStream:
    """Sentences of a reply as its text arrives: ``feed`` returns those completed so far,
    each with its lead: "" for the first, " ", a new line or a blank line before it."""

    def __init__(self) -> None:
        self._line = ""
        self._lead = ""

    def feed(self, text: str) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        self._line += text
        while "\n" in self._line:
            line, self._line = self._line.split("\n", 1)
            out.extend(self._take(line, final=True))
        out.extend(self._take(self._line, final=False))
        return out

    def close(self) -> list[tuple[str, str]]:
        line, self._line = self._line, ""
        return self._take(line, final=True)

    def _take(self, line: str, *, final: bool) -> list[tuple[str, str]]:
        spans = _spans(line)
        done = spans if final else spans[:-1]
        out: list[tuple[str, str]] = []
        for s, e in done:
            out.append((line[s:e], self._lead))
            self._lead = " "
        if final and self._lead:  # after a line break; a blank line starts a paragraph
            self._lead = "\n" if done else "\n\n"
        elif done:
            self._line = line[spans[-1][0] :]
        return out


def split_reply(reply: str) -> list[tuple[str, str]]:
    stream = SentenceStream()
    return stream.feed(reply) + stream.close()


def check_reply(reply: str, passages: Passages) -> list[SentenceCheck]:
    return [check_sentence(s, passages, lead) for s, lead in split_reply(reply)]


def pass_share(checks: Iterable[SentenceCheck]) -> float:
    """The share of sentences that pass every check (1.0 for no sentences)."""
    results = [c.ok for c in checks]
    return sum(results) / len(results) if results else 1.0


def reply_pass_share(reply: str, passages: Passages) -> float:
    """The share of a raw reply's sentences that pass (what ``rla eval`` reports)."""
    return pass_share(check_reply(reply, passages))


def answer_pass_share(text: str, cited: Passages) -> float:
    """The share of an answer's sentences that pass, ``cited`` being its markers' passages
    (``{c.marker: c.passage for c in answer.citations}``; a draft's " …" is left out)."""
    return reply_pass_share(text.removesuffix(" …"), cited)


@dataclass
class CheckStats:
    """Running totals over the answers written so far (``rla eval`` reads ``share``)."""

    answers: int = 0
    sentences: int = 0
    passed: int = 0
    fallbacks: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, checks: Sequence[SentenceCheck], *, fell_back: bool) -> None:
        with self._lock:
            self.answers += 1
            self.sentences += len(checks)
            self.passed += sum(c.ok for c in checks)
            self.fallbacks += fell_back

    @property
    def share(self) -> float:
        """The share of the model's sentences that passed every check."""
        return self.passed / self.sentences if self.sentences else 1.0

    def reset(self) -> None:
        with self._lock:
            self.answers = self.sentences = self.passed = self.fallbacks = 0


def check_stats(answerer: object) -> CheckStats | None:
    """The running check totals of an LLM answerer (``rla eval``), None for any other."""
    stats = getattr(answerer, "stats", None)
    return stats if isinstance(stats, CheckStats) else None
