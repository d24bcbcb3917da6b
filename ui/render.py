"""Rendering of answers and evidence, apart from layout: plain functions from core values to
markdown and HTML strings, with every piece of document text escaped.

Ids tie the two together: the ``[n]`` of turn ``t`` links to ``#rla-src-t-n``, the highlighted
quote of that citation in the evidence panel, inside the card of its passage (one card per
passage, however many of its sentences are cited). ``ui.assets`` has the click handler.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from assistant.text import collapse
from assistant.types import Answer, Citation
from ui.page_route import page_query

_MARKER = re.compile(r"\[(\d+)\]")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]#|~$])")
_LINE_START = re.compile(r"^(\s*)(\d+)([.)])|^(\s*)([-+>=])", re.M)
NOT_GROUNDED_TITLE = "Not answered from the documents"

# Where a cited document can be opened: (citation) -> URL without the #page part, or None.
FileUrl = Callable[[Citation], str | None]


@dataclass(frozen=True)
class Turn:
    """One question of the chat, what was searched for it, and its answer."""

    number: int
    question: str
    query: str
    answer: Answer

    @property
    def follow_up(self) -> bool:
        return collapse(self.query) != collapse(self.question)


@dataclass(frozen=True)
class FileOutcome:
    """What happened to one uploaded file."""

    name: str
    ok: bool
    message: str


def escape_markdown(text: str) -> str:
    """Text shown literally in markdown: HTML escaped, markdown syntax backslashed."""
    text = html.escape(text, quote=False)
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return _LINE_START.sub(
        lambda m: f"{m.group(1)}{m.group(2)}\\{m.group(3)}" if m.group(2) else
        f"{m.group(4)}\\{m.group(5)}",
        text,
    )


def marker_id(turn: int, marker: int) -> str:
    return f"rla-src-{turn}-{marker}"


def _marker_link(turn: int, marker: int) -> str:
    return (
        f'<a class="rla-cite" href="#{marker_id(turn, marker)}" '
        f'title="Show source {marker}">[{marker}]</a>'
    )


def answer_markdown(turn: Turn) -> str:
    """The chat message for one answer: quotes with clickable ``[n]``, or a plain refusal."""
    answer = turn.answer
    markers = {c.marker for c in answer.citations}
    parts: list[str] = []
    last = 0
    for m in _MARKER.finditer(answer.text):
        n = int(m.group(1))
        if n not in markers:
            continue
        parts.append(escape_markdown(answer.text[last:m.start()]))
        parts.append(_marker_link(turn.number, n))
        last = m.end()
    parts.append(escape_markdown(answer.text[last:]))
    body = "".join(parts)
    if not answer.grounded:
        text = "<br>".join(html.escape(p) for p in answer.text.split("\n") if p.strip())
        body = (
            f'<div class="rla-ungrounded"><strong>⚠ {NOT_GROUNDED_TITLE}.</strong><br>'
            f"{text}</div>"
        )
    elif answer.citations:
        body += f"\n\n<small>Sources: {sources_line(answer.citations)}</small>"
    if answer.backend.startswith("llm:"):
        body += (
            f"\n\n<small>Written by the language model {escape_markdown(answer.backend[4:])}; "
            "each sentence was checked against the passage it cites.</small>"
        )
    if turn.follow_up:
        body += f"\n\n<small>Searched for: <em>{escape_markdown(turn.query)}</em></small>"
    if answer.notes:  # filters applied, areas named in the question, where counts come from
        body = "".join(f"<small>ℹ {escape_markdown(n)}</small><br>" for n in answer.notes) + (
            "\n\n" + body)
    return body


def sources_line(citations: Sequence[Citation]) -> str:
    """``[1] [2] Title (p. 7) · [3] Other title (pp. 2-3)``: one entry per document."""
    by_title: dict[str, list[Citation]] = {}
    for c in citations:
        by_title.setdefault(c.title, []).append(c)
    entries = []
    for title, group in by_title.items():
        markers = " ".join(f"\\[{c.marker}\\]" for c in group)
        pages = ", ".join(dict.fromkeys(c.pages_label for c in group))
        entries.append(f"{markers} {escape_markdown(title)} ({pages})")
    return " · ".join(entries)


def api_markdown(answer: Answer) -> str:
    """Answer markdown for programs: the text with ``[n]`` and a numbered list of sources.

    Document text is escaped (HTML and markdown), so whatever renders this markdown shows a
    passage's ``<script>``, ``![image](url)`` or ``[link](url)`` as text: it never runs it,
    fetches it or links to it. Only the ``[n]`` markers are left as they are."""
    markers = {c.marker for c in answer.citations}
    parts: list[str] = []
    last = 0
    for m in _MARKER.finditer(answer.text):
        if int(m.group(1)) in markers:
            parts += [escape_markdown(answer.text[last : m.start()]), m.group(0)]
            last = m.end()
    text = "".join(parts) + escape_markdown(answer.text[last:])
    if not answer.citations:
        return text
    lines = [f"{c.marker}. {escape_markdown(c.label())} ({escape_markdown(c.file)})"
             for c in answer.citations]
    return text + "\n\nSources:\n\n" + "\n".join(lines)


def chat_messages(turns: Sequence[Turn]) -> list[dict[str, str]]:
    """The chatbot's value: user and assistant messages, oldest first."""
    messages: list[dict[str, str]] = []
    for turn in turns:
        messages.append({"role": "user", "content": escape_markdown(turn.question)})
        messages.append({"role": "assistant", "content": answer_markdown(turn)})
    return messages


def _span(passage: str, quote: str, start: int = 0) -> tuple[int, int] | None:
    """Where ``quote`` stands in ``passage``, whatever the whitespace between its words."""
    words = quote.split()
    if not words:
        return None
    m = re.compile(r"\s+".join(re.escape(w) for w in words)).search(passage, start)
    if m is None and start:
        m = re.compile(r"\s+".join(re.escape(w) for w in words)).search(passage)
    return (m.start(), m.end()) if m else None


def highlight(passage: str, quotes: Sequence[tuple[str, str]]) -> str:
    """The passage HTML-escaped, each ``(quote, element id)`` in a ``<mark>`` with that id and
    its marker after it. Quotes that cannot be found (or overlap one found) are not marked."""
    spans: list[tuple[int, int, str]] = []
    for quote, mark_id in quotes:
        span = _span(passage, quote)
        if span and not any(a < span[1] and span[0] < b for a, b, _ in spans):
            spans.append((*span, mark_id))
    out: list[str] = []
    last = 0
    for a, b, mark_id in sorted(spans):
        n = mark_id.rsplit("-", 1)[-1]
        out.append(html.escape(passage[last:a]))
        out.append(
            f'<mark class="rla-quote" id="{mark_id}">{html.escape(passage[a:b])}</mark>'
            f'<sup class="rla-sup">[{n}]</sup>'
        )
        last = b
    out.append(html.escape(passage[last:]))
    return "".join(out)


def _source_card(turn: int, group: Sequence[Citation], file_url: FileUrl) -> str:
    """One card per cited passage: every citation of it badged, its quotes highlighted."""
    e = html.escape
    first = group[0]
    badges = "".join(f'<span class="rla-badge">{c.marker}</span>' for c in group)
    pages = sorted({c.pages_label for c in group}, key=lambda p: (len(p), p))
    meta = [e(", ".join(pages))]
    if first.section:
        meta.append(e(first.section))
    meta.append(f'<span class="rla-file">{e(first.file)}</span>')
    url = file_url(first)
    if url:  # served by ui.stored_files: a PDF as itself, anything else as plain text
        is_pdf = first.file.lower().endswith(".pdf")
        href = f"{url}#page={first.page_start}" if is_pdf else url
        label = f"Open the PDF at page {first.page_start}" if is_pdf else "Open the document"
        hint = "" if is_pdf else ' title="Its text as the assistant read it, as plain text"'
        meta.append(
            f'<a class="rla-open" href="{e(href)}" target="_blank" rel="noopener noreferrer"'
            f"{hint}>{label} ↗</a>"
        )
    also = sorted({a for c in group for a in c.also_at})
    also_html = (
        '<div class="rla-also">The same words also stand at: '
        + "; ".join(e(a) for a in also) + "</div>"
        if also else ""
    )
    quotes = [(c.quote, marker_id(turn, c.marker)) for c in group]
    markers = " ".join(str(c.marker) for c in group)
    page = _page_figure(group, url) if url and first.file.lower().endswith(".pdf") else ""
    return (
        f'<article class="rla-source" id="rla-card-{turn}-{first.marker}" '
        f'data-markers="{markers}">'
        f'<a class="rla-source-head" href="#{marker_id(turn, first.marker)}">'
        f'<span class="rla-badges">{badges}</span> <span class="rla-title">{e(first.title)}</span>'
        f"</a>"
        f'<div class="rla-meta">{" · ".join(meta)}</div>'
        f"{page}"
        f'<blockquote class="rla-passage">{highlight(first.passage, quotes)}</blockquote>'
        f"{also_html}</article>"
    )


def _page_figure(group: Sequence[Citation], file_url: str) -> str:
    """The cited PDF page as an image with the quotes marked (``ui.page_route``), a click
    opening it full size; where a quote runs on, the next page under "Next page"."""
    e = html.escape
    first = group[0]
    stored = Path(unquote(file_url.split("#", 1)[0])).name
    quotes = [c.quote for c in group]
    src = page_query(stored, first.page_start, quotes)

    def image(url: str, page: int, what: str) -> str:
        alt = f"Page {page} of {first.title}, {what}"
        return (f'<a class="rla-page-link" href="{e(url)}" target="_blank" '
                f'rel="noopener noreferrer" title="Open the page full size">'
                f'<img class="rla-page-img" src="{e(url)}" loading="lazy" alt="{e(alt)}"></a>')

    body = image(src, first.page_start, "the quoted sentences marked")
    caption = (f"Page {first.page_start} as printed, the quoted sentences marked. "
               "Click the page to enlarge it.")
    if max(c.page_end for c in group) > first.page_start:
        nxt = page_query(stored, first.page_start, quotes, next_page=True)
        body += (f'<details class="rla-next-page"><summary>Next page ({first.page_start + 1}),'
                 f" where the passage runs on</summary>"
                 f"{image(nxt, first.page_start + 1, 'the rest of the quotes marked')}"
                 "</details>")
    return (f'<figure class="rla-page">{body}<figcaption>{e(caption)}</figcaption></figure>')


def _by_passage(citations: Sequence[Citation]) -> list[list[Citation]]:
    groups: dict[str, list[Citation]] = {}
    for c in citations:
        groups.setdefault(c.chunk_id, []).append(c)
    return list(groups.values())


def _turn_section(turn: Turn, file_url: FileUrl, *, latest: bool) -> str:
    e = html.escape
    answer = turn.answer
    hidden = "" if latest else " hidden"
    head = f'<div class="rla-turn-q">Sources for: <q>{e(turn.question)}</q></div>'
    if turn.follow_up:
        head += f'<div class="rla-searched">Searched for: <em>{e(turn.query)}</em></div>'
    if not latest:
        head += '<div class="rla-earlier">These are the sources of an earlier answer.</div>'
    if answer.grounded and answer.citations:
        groups = _by_passage(answer.citations)
        body = "".join(_source_card(turn.number, g, file_url) for g in groups)
        css = "rla-turn"
    else:
        reason = answer.text.split("\n\n", 1)[0].strip() or "No passage answers this."
        body = (
            f'<div class="rla-nogrounds"><strong>{NOT_GROUNDED_TITLE}.</strong> '
            f"{e(reason)} Nothing is cited."
        )
        if answer.suggestions:
            items = "".join(f"<li>{e(t)}</li>" for t in answer.suggestions)
            body += f"<p>Documents you may want to check yourself:</p><ul>{items}</ul>"
        body += "</div>"
        css = "rla-turn rla-turn-ungrounded"
    return (
        f'<section class="{css}" id="rla-turn-{turn.number}" data-turn="{turn.number}"'
        f"{hidden}>{head}{body}</section>"
    )


EMPTY_PANEL = (
    '<div class="rla-evidence rla-evidence-empty"><p>The sources of the latest answer appear '
    "here: each quoted passage with its document, page and section.</p><p>Click a "
    "<strong>[n]</strong> in an answer to bring its passage into view.</p></div>"
)


def evidence_html(turns: Sequence[Turn], file_url: FileUrl, *, keep: int = 10) -> str:
    """The evidence panel: the latest answer's sources shown, the last ``keep`` turns' kept
    (hidden) so that a ``[n]`` of an earlier answer can still bring up its passage."""
    if not turns:
        return EMPTY_PANEL
    recent = list(turns)[-keep:]
    sections = [
        _turn_section(t, file_url, latest=(i == len(recent) - 1)) for i, t in enumerate(recent)
    ]
    return '<div class="rla-evidence">' + "".join(sections) + "</div>"


def upload_report_html(outcomes: Sequence[FileOutcome]) -> str:
    """One line per uploaded file, its outcome (or its error) next to its name."""
    if not outcomes:
        return ""
    rows = "".join(
        f'<li class="{"rla-ok" if o.ok else "rla-error"}"><span class="rla-upload-name">'
        f"{html.escape(o.name)}</span> {'✓' if o.ok else '✗'} {html.escape(o.message)}</li>"
        for o in outcomes
    )
    return f'<ul class="rla-upload-report">{rows}</ul>'
