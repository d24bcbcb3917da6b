"""A handout as Markdown: each quote a block quotation followed by its numbered footnote
(``[^n]``), the footnotes (document, page, section) and the sources at the end."""

from __future__ import annotations

from pathlib import Path

from assistant.handout import ExampleBlock, Handout, Statement

FORMATS = ("md", "docx")


def footnote_text(statement: Statement) -> str:
    """``Title, p. 28, Section (file).``: what footnote ``n`` says."""
    c = statement.cited
    return f"{c.label()} ({c.file})."


def _quote(statement: Statement, n: int, label: bool = True) -> list[str]:
    lead = f"**{statement.label}:** " if label and statement.label else ""
    lines = [f"> {lead}{statement.cited.quote}[^{n}]"]
    if statement.attribution:
        lines.append(">")
        lines.append(f"> — {statement.attribution}")
    return [*lines, ""]


def to_markdown(handout: Handout) -> str:
    out = [f"# {handout.title}", ""]
    out += [f"*{line}*\n" for line in handout.intro]
    n = 0
    for section in handout.sections:
        out += [f"## {section.title}", ""]
        if section.questions:
            out += [f"{i}. {q}" for i, q in enumerate(section.questions, start=1)] + [""]
            continue
        if not section.items:
            out += [section.empty_note, ""]
            continue
        for item in section.items:
            if isinstance(item, ExampleBlock):
                out += [f"### {item.heading}", ""]
                for statement in item.statements:
                    n += 1
                    out += _quote(statement, n)
            else:
                n += 1
                out += _quote(item, n)
    sources = handout.sources()
    out += ["## Sources", ""]
    if sources:
        out += [f"- {title} ({file}): {', '.join(pages)}" for title, file, pages in sources]
    else:
        out.append(NOT_QUOTED)
    out.append("")
    out += [f"[^{i}]: {footnote_text(s)}" for i, s in enumerate(handout.statements(), start=1)]
    return "\n".join(out).rstrip() + "\n"


NOT_QUOTED = "Nothing is quoted in this handout."


def write(handout: Handout, path: Path, fmt: str | None = None) -> Path:
    """Write ``handout`` to ``path`` as Markdown or DOCX (by ``fmt`` or the suffix)."""
    fmt = (fmt or path.suffix.lstrip(".") or "md").lower()
    if fmt == "markdown":
        fmt = "md"
    if fmt not in FORMATS:
        raise ValueError(f"unknown handout format {fmt!r} (md or docx)")
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "docx":
        from assistant.handout_docx import write_docx

        write_docx(handout, path)
    else:
        path.write_text(to_markdown(handout), encoding="utf-8")
    return path
