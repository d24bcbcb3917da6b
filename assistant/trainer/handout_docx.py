"""A handout as a Word document with real footnotes.

python-docx (1.2) has no footnote API, so the footnotes part (``word/footnotes.xml``) is built
here and related to the document the way Word does it: each quote is followed by a
``w:footnoteReference`` run whose number Word shows in superscript, and the footnote (document,
page, section) is a ``w:footnote`` with the same id at the foot of the page. The two separator
footnotes Word expects (ids -1 and 0) come first.
"""

from __future__ import annotations

from pathlib import Path

import docx
from docx.enum.style import WD_STYLE_TYPE
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt
from docx.text.paragraph import Paragraph
from lxml import etree

from assistant.trainer.handout import NOT_QUOTED, ExampleBlock, Handout, Statement, footnote_text

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
FOOTNOTES_URI = "/word/footnotes.xml"


def _el(tag: str, **attrs: str) -> etree._Element:
    el = etree.Element(qn(tag))
    for key, value in attrs.items():
        el.set(qn(key), value)
    return el


def _sub(parent: etree._Element, tag: str, **attrs: str) -> etree._Element:
    el = _el(tag, **attrs)
    parent.append(el)
    return el


class Footnotes:
    """The footnotes part of one document, filled as references are added."""

    def __init__(self, document: docx.document.Document) -> None:
        self.document = document
        self.root = etree.Element(qn("w:footnotes"), nsmap={"w": W})
        for fid, kind, mark in (("-1", "separator", "w:separator"),
                                ("0", "continuationSeparator", "w:continuationSeparator")):
            note = _sub(self.root, "w:footnote", **{"w:type": kind, "w:id": fid})
            p = _sub(note, "w:p")
            spacing = _sub(_sub(p, "w:pPr"), "w:spacing")
            spacing.set(qn("w:after"), "0")
            _sub(_sub(p, "w:r"), mark)
        self.count = 0
        styles = document.styles
        text = styles.add_style("Footnote Text", WD_STYLE_TYPE.PARAGRAPH)
        text.base_style = styles["Normal"]
        text.font.size = Pt(9)
        reference = styles.add_style("Footnote Reference", WD_STYLE_TYPE.CHARACTER)
        reference.font.superscript = True

    def reference(self, paragraph: Paragraph, text: str) -> int:
        """Add footnote ``text`` with its numbered reference at the end of ``paragraph``."""
        self.count += 1
        fid = str(self.count)
        run = OxmlElement("w:r")
        rpr = OxmlElement("w:rPr")
        style = OxmlElement("w:rStyle")
        style.set(qn("w:val"), "FootnoteReference")
        rpr.append(style)
        run.append(rpr)
        ref = OxmlElement("w:footnoteReference")
        ref.set(qn("w:id"), fid)
        run.append(ref)
        paragraph._p.append(run)
        note = _sub(self.root, "w:footnote", **{"w:id": fid})
        p = _sub(note, "w:p")
        _sub(_sub(p, "w:pPr"), "w:pStyle", **{"w:val": "FootnoteText"})
        mark_run = _sub(p, "w:r")
        _sub(_sub(mark_run, "w:rPr"), "w:rStyle", **{"w:val": "FootnoteReference"})
        _sub(mark_run, "w:footnoteRef")
        body = _sub(_sub(p, "w:r"), "w:t")
        body.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        body.text = " " + text
        return self.count

    def attach(self) -> None:
        """Put the footnotes part into the package, related to the main document."""
        blob = etree.tostring(self.root, xml_declaration=True, encoding="UTF-8",
                              standalone=True)
        main = self.document.part
        part = Part(PackURI(FOOTNOTES_URI), CT.WML_FOOTNOTES, blob, main.package)
        main.relate_to(part, RT.FOOTNOTES)
        settings = self.document.settings.element  # name the separators, as Word does
        pr = OxmlElement("w:footnotePr")
        for fid in ("-1", "0"):
            pr.append(_el("w:footnote", **{"w:id": fid}))
        compat = settings.find(qn("w:compat"))
        if compat is not None:
            compat.addprevious(pr)
        else:
            settings.append(pr)


def _statement(document: docx.document.Document, notes: Footnotes, s: Statement) -> None:
    p = document.add_paragraph(style="Quote")
    if s.label:
        p.add_run(f"{s.label}: ").bold = True
    p.add_run(s.cited.quote)
    notes.reference(p, footnote_text(s))
    if s.attribution:
        document.add_paragraph(f"— {s.attribution}").paragraph_format.left_indent = Pt(36)


def write_docx(handout: Handout, path: Path) -> None:
    document = docx.Document()
    document.core_properties.title = handout.title
    document.core_properties.author = "Review Learning Assistant"
    notes = Footnotes(document)
    document.add_heading(handout.title, level=0)
    for line in handout.intro:
        document.add_paragraph().add_run(line).italic = True
    for section in handout.sections:
        document.add_heading(section.title, level=1)
        if section.questions:
            for question in section.questions:
                document.add_paragraph(question, style="List Number")
            continue
        if not section.items:
            document.add_paragraph(section.empty_note)
            continue
        source = ""
        for item in section.items:
            if isinstance(item, ExampleBlock):
                document.add_heading(item.heading, level=2)
                if item.source:
                    document.add_paragraph().add_run(item.source).italic = True
                for statement in item.statements:
                    _statement(document, notes, statement)
            else:
                if item.source and item.source != source:
                    document.add_paragraph().add_run(f"From {item.source}:").bold = True
                source = item.source
                _statement(document, notes, item)
    document.add_heading("Sources", level=1)
    sources = handout.sources()
    for title, file, pages in sources:
        document.add_paragraph(f"{title} ({file}): {', '.join(pages)}", style="List Bullet")
    if not sources:
        document.add_paragraph(NOT_QUOTED)
    notes.attach()
    document.save(str(path))
