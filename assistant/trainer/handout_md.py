"""A handout as Markdown: each quote a block quotation followed by its numbered footnote
(``[^n]``), the quotes of one document under a line naming it ("**From <title> (<year>) ·
<nation> · <areas>:**"), the footnotes (document, page, section) and the sources at the end.

Every piece of text from a document or a user (quotes, titles, sections, attributions,
headings, file names, the question) goes through ``text``: whatever renders the file shows a
quote's ``<script>`` or ``<img onerror=...>`` as those characters, never as HTML, and its
``[link](url)`` or ``![image](url)`` as text, never as a link or an image to fetch. As in the
DOCX, what a reader sees is what the document says.
"""

from __future__ import annotations

import re
from pathlib import Path

from assistant.trainer.handout import NOT_QUOTED, ExampleBlock, Handout, Statement, footnote_text

FORMATS = ("md", "docx")
# ``&`` only where it would start a character reference (``&lt;``, ``&#60;``), so that
# "Health & Social Care" stays as it is in the file.
_ENTITY = re.compile(r"&(?=#[0-9]+;|#[xX][0-9a-fA-F]+;|[A-Za-z][A-Za-z0-9]*;)")
# ``<`` starts every tag, so escaping it is enough for HTML; a lone ``>`` (as in a section
# path "Part 2 > Findings") stays as it is.
_MARKUP = {"<": "&lt;", "\\": "\\\\", "[": "\\[", "]": "\\]"}
_SPECIAL = re.compile("|".join(re.escape(c) for c in _MARKUP))


def text(value: str) -> str:
    """``value`` as literal Markdown text: no HTML, no link or image syntax, no entity."""
    value = _ENTITY.sub("&amp;", value)
    return _SPECIAL.sub(lambda m: _MARKUP[m.group(0)], value)




def _quote(statement: Statement, n: int, label: bool = True) -> list[str]:
    lead = f"**{text(statement.label)}:** " if label and statement.label else ""
    quote = "\n> ".join(text(statement.cited.quote).splitlines())
    lines = [f"> {lead}{quote}[^{n}]"]
    if statement.attribution:
        lines.append(">")
        lines.append(f"> — {text(statement.attribution)}")
    return [*lines, ""]


def to_markdown(handout: Handout) -> str:
    out = [f"# {text(handout.title)}", ""]
    out += [f"*{text(line)}*\n" for line in handout.intro]
    n = 0
    for section in handout.sections:
        out += [f"## {text(section.title)}", ""]
        if section.questions:
            out += [f"{i}. {text(q)}" for i, q in enumerate(section.questions, start=1)] + [""]
            continue
        if not section.items:
            out += [text(section.empty_note), ""]
            continue
        source = ""
        for item in section.items:
            if isinstance(item, ExampleBlock):
                out += [f"### {text(item.heading)}", ""]
                out += [f"*{text(item.source)}*", ""] if item.source else []
                for statement in item.statements:
                    n += 1
                    out += _quote(statement, n)
            else:
                if item.source and item.source != source:
                    out += [f"**From {text(item.source)}:**", ""]
                source = item.source
                n += 1
                out += _quote(item, n)
    sources = handout.sources()
    out += ["## Sources", ""]
    if sources:
        out += [f"- {text(title)} ({text(file)}): {text(', '.join(pages))}"
                for title, file, pages in sources]
    else:
        out.append(NOT_QUOTED)
    out.append("")
    out += [f"[^{i}]: {text(footnote_text(s))}"
            for i, s in enumerate(handout.statements(), start=1)]
    return "\n".join(out).rstrip() + "\n"


def write(handout: Handout, path: Path, fmt: str | None = None) -> Path:
    """Write ``handout`` to ``path`` as Markdown or DOCX (by ``fmt`` or the suffix)."""
    fmt = (fmt or path.suffix.lstrip(".") or "md").lower()
    if fmt == "markdown":
        fmt = "md"
    if fmt not in FORMATS:
        raise ValueError(f"unknown handout format {fmt!r} (md or docx)")
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "docx":
        from assistant.trainer.handout_docx import write_docx

        write_docx(handout, path)
    else:
        path.write_text(to_markdown(handout), encoding="utf-8")
    return path
