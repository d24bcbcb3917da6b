"""The Word and HTML loaders, on real files built in a temp dir."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import docx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.errors import UnreadableFileError
from ingest.docx_loader import load_docx
from ingest.html_loader import decode_html, load_html


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line]


# --- docx -------------------------------------------------------------------------------------


def _review_docx(path: Path) -> Path:
    word = docx.Document()
    word.add_heading("Learning review: child A", 0)  # the Title style
    word.add_heading("Key findings", 1)
    word.add_paragraph("Agencies did not share information in time.")
    word.add_paragraph("#1 priority was written as a hashtag.")
    word.add_paragraph("Chronology was incomplete", style="List Bullet")
    word.add_paragraph("Views of the child were not recorded", style="List Number")
    table = word.add_table(rows=3, cols=3)
    table.cell(0, 0).text = "Factor"
    merged = table.cell(0, 1).merge(table.cell(0, 2))
    merged.text = "Reviews (ICR / SCR)"
    for col, value in enumerate(["Domestic abuse", "30 (54%)", "13 (65%)"]):
        table.cell(1, col).text = value
    for col, value in enumerate(["Parental substance use", "", "9 (45%)"]):
        table.cell(2, col).text = value
    word.add_heading("Recommendations", 2)
    word.add_heading("Detail", 3)
    word.add_paragraph("After the table.")
    word.save(str(path))
    return path


def test_docx_marks_headings_lists_and_tables_in_document_order(tmp_path: Path) -> None:
    path = _review_docx(tmp_path / "review.docx")
    doc = load_docx(path)

    assert doc.doc_id == hashlib.sha256(path.read_bytes()).hexdigest()
    assert doc.path == str(path)
    assert doc.title == "Learning review: child A"
    assert doc.meta == {}
    assert len(doc.pages) == 1 and doc.pages[0].number == 1
    lines = _lines(doc.pages[0].text)
    assert lines == [
        "# Learning review: child A",
        "# Key findings",
        "Agencies did not share information in time.",
        "\\#1 priority was written as a hashtag.",
        "• Chronology was incomplete",
        "• Views of the child were not recorded",
        "Factor\tReviews (ICR / SCR)",  # the merged cell appears once
        "Domestic abuse\t30 (54%)\t13 (65%)",
        "Parental substance use\t9 (45%)",
        "## Recommendations",
        "### Detail",
        "After the table.",
    ]
    # blocks are separated by a blank line; consecutive list items and table rows are not
    assert "\n\n• Chronology was incomplete\n• Views of the child" in doc.pages[0].text
    assert "(ICR / SCR)\nDomestic abuse" in doc.pages[0].text


def test_docx_title_prefers_core_properties_then_falls_back_to_stem(tmp_path: Path) -> None:
    word = docx.Document()
    word.core_properties.title = "Significant case review: Child B"
    word.add_heading("Introduction", 1)
    word.save(str(tmp_path / "titled.docx"))
    assert load_docx(tmp_path / "titled.docx").title == "Significant case review: Child B"

    plain = docx.Document()
    plain.add_paragraph("Only body text here.")
    plain.save(str(tmp_path / "briefing-notes.docx"))
    doc = load_docx(tmp_path / "briefing-notes.docx")
    assert doc.title == "briefing-notes"
    assert doc.pages[0].text == "Only body text here."


@pytest.mark.parametrize(
    "content",
    [b"this is not a zip file", None],
    ids=["not-a-zip", "zip-without-word-parts"],
)
def test_corrupt_docx_raises_unreadable_naming_the_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "broken review.docx"
    if content is None:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("notes.txt", "hello")
    else:
        path.write_bytes(content)
    with pytest.raises(UnreadableFileError) as caught:
        load_docx(path)
    assert str(path) in str(caught.value)
    assert "not a readable Word .docx file" in str(caught.value)


# --- html -------------------------------------------------------------------------------------

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Learning from case reviews</title>
<style>body {{ color: red; }}</style><script>var tracking = "SCRIPT TEXT";</script>
</head>
<body class="layout has-sidebar">
<a class="govuk-skip-link" href="#main">Skip to main content</a>
<div id="cookieBanner" role="region"><p>We use cookies to improve this site.</p>
<button>Accept cookies</button></div>
<header class="site-header"><a href="/">Care Site home</a>
<nav><ul><li><a href="/a">About us</a></li><li><a href="/b">Publications</a></li></ul></nav>
</header>
<div class="breadcrumbs"><a href="/">Home</a> &gt; Reviews</div>
{main}
<aside class="sidebar"><h2>Related links</h2><p>More publications</p></aside>
<footer><p>Copyright notice for the site</p></footer>
</body></html>
"""

MAIN = """<main id="main"><article>
<h1>What reviews <em>found</em></h1>
<p>Reviews looked at
   neglect and<br>information sharing.</p>
<h2>Factors</h2>
<table><thead><tr><th>Factor</th><th>ICRs</th><th>SCRs</th></tr></thead>
<tbody><tr><td>Domestic abuse</td><td>30 (54%)</td><td>13 (65%)</td></tr></tbody></table>
<h3>Themes</h3>
<ul><li>Professional curiosity</li><li>Hearing the <strong>child's</strong> voice</li></ul>
<blockquote>Learning must be embedded.</blockquote>
<div class="social-share">Share this page on Facebook</div>
</article></main>"""


def _write(path: Path, html: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(html.encode(encoding))
    return path


def test_html_keeps_main_text_with_headings_tables_and_lists(tmp_path: Path) -> None:
    path = _write(tmp_path / "page.html", PAGE.format(main=MAIN))
    doc = load_html(path)

    assert doc.title == "Learning from case reviews"
    assert doc.doc_id == hashlib.sha256(path.read_bytes()).hexdigest()
    assert doc.path == str(path) and doc.meta == {} and len(doc.pages) == 1
    text = doc.pages[0].text
    assert _lines(text) == [
        "# What reviews found",
        "Reviews looked at neglect and",
        "information sharing.",
        "## Factors",
        "Factor\tICRs\tSCRs",
        "Domestic abuse\t30 (54%)\t13 (65%)",
        "### Themes",
        "• Professional curiosity",
        "• Hearing the child's voice",
        "Learning must be embedded.",
    ]
    assert "# What reviews found\n\nReviews looked at" in text
    for furniture in ("cookies", "Skip to", "About us", "Home", "Related links", "Copyright",
                      "Share this", "SCRIPT TEXT", "color: red", "Care Site"):
        assert furniture not in text


def test_html_without_main_uses_body_and_drops_furniture(tmp_path: Path) -> None:
    body = '<div class="content"><h1>Annual summary</h1><p>Body paragraph.</p></div>'
    page = PAGE.format(main=body).replace("<title>Learning from case reviews</title>", "")
    doc = load_html(_write(tmp_path / "summary.htm", page))
    assert doc.title == "Annual summary"  # no <title>: the first h1
    assert _lines(doc.pages[0].text) == ["# Annual summary", "Body paragraph."]


def test_html_page_wide_form_is_not_dropped(tmp_path: Path) -> None:
    page = (
        "<html><body><form id='aspnetForm'><nav>Menu link</nav>"
        "<h2>Briefing</h2><p>Kept text.</p><form><input name='q'><p>Search</p></form>"
        "</form></body></html>"
    )
    doc = load_html(_write(tmp_path / "aspx-page.html", page))
    assert doc.title == "aspx-page"  # no <title> and no h1: the file stem
    assert _lines(doc.pages[0].text) == ["## Briefing", "Kept text."]


def test_html_declared_cp1252_is_decoded(tmp_path: Path) -> None:
    page = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252">'
        "<title>Caf\u00e9 review \u2013 2019</title></head>"
        "<body><main><p>\u201cThe child\u2019s voice\u201d was not heard.</p></main></body></html>"
    )
    doc = load_html(_write(tmp_path / "cp.html", page, "cp1252"))
    assert doc.title == "Caf\u00e9 review \u2013 2019"
    assert doc.pages[0].text == "\u201cThe child\u2019s voice\u201d was not heard."


def test_html_undeclared_cp1252_falls_back_without_crashing(tmp_path: Path) -> None:
    page = "<html><body><p>Na\u00efve \u2018quotes\u2019 \u2014 dash</p></body></html>"
    doc = load_html(_write(tmp_path / "legacy.html", page, "cp1252"))
    assert doc.pages[0].text == "Na\u00efve \u2018quotes\u2019 \u2014 dash"


def test_html_utf8_bom_and_utf16_bom(tmp_path: Path) -> None:
    page = "<html><body><p>Gr\u00fc\u00dfe \u2013 ok</p></body></html>"
    bom8 = tmp_path / "bom8.html"
    bom8.write_bytes(b"\xef\xbb\xbf" + page.encode("utf-8"))
    bom16 = _write(tmp_path / "bom16.html", page, "utf-16")
    assert load_html(bom8).pages[0].text == "Gr\u00fc\u00dfe \u2013 ok"
    assert load_html(bom16).pages[0].text == "Gr\u00fc\u00dfe \u2013 ok"


def test_html_without_text_raises_unreadable_naming_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path / "empty.html", "<html><head><title>T</title></head>"
                  "<body><nav>Only navigation</nav><script>x()</script></body></html>")
    with pytest.raises(UnreadableFileError) as caught:
        load_html(path)
    assert str(caught.value) == f"{path}: no readable text in this HTML file"


@given(st.binary(max_size=300))
def test_decode_html_never_fails(data: bytes) -> None:
    assert isinstance(decode_html(data), str)
