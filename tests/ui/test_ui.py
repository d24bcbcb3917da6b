"""The chat window's handlers and rendering, with the real assistant over a temp store built
once (per module) from the shared corpus."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from assistant.config import Settings
from assistant.core import Assistant
from assistant.errors import NotFoundError
from assistant.types import Answer, Citation
from ui import handlers, structure, tools
from ui.render import (
    EMPTY_PANEL,
    FileOutcome,
    Turn,
    answer_markdown,
    api_markdown,
    escape_markdown,
    evidence_html,
    highlight,
    upload_report_html,
)

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
GLASGOW = "How did Glasgow Child Protection Committee respond to an SCR about neglect?"
TRIENNIAL = "ci-triennial-review-icrs-scrs-2018-2021.pdf"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def assistant(
    tmp_path_factory: pytest.TempPathFactory, corpus_pdfs: list[Path], embedder: Any
) -> Iterator[Assistant]:
    home = tmp_path_factory.mktemp("rla-ui-home")
    a = Assistant(Settings(home=home), embedder=embedder)
    report = a.ingest(corpus_pdfs, metadata_csv=CORPUS / "metadata.csv")
    assert len(report.ingested) == 5, report.to_dict()
    yield a


@pytest.fixture(scope="module")
def glasgow(assistant: Assistant) -> handlers.ChatView:
    return handlers.respond(assistant, GLASGOW, [])


# -- asking -------------------------------------------------------------------------------


def test_cited_answer_has_clickable_markers(glasgow: handlers.ChatView) -> None:
    (turn,) = glasgow.turns
    assert turn.answer.grounded and turn.answer.citations
    user, bot = glasgow.messages
    assert user == {"role": "user", "content": GLASGOW}
    assert bot["role"] == "assistant"
    assert '<a class="rla-cite" href="#rla-src-1-1"' in bot["content"]
    assert ">[1]</a>" in bot["content"]
    for c in turn.answer.citations:  # every marker links to its quote in the panel
        assert f'id="rla-src-1-{c.marker}"' in glasgow.evidence


def test_evidence_panel_shows_document_page_section_and_highlighted_quote(
    glasgow: handlers.ChatView,
) -> None:
    panel = glasgow.evidence
    first = glasgow.turns[0].answer.citations[0]
    assert first.file == TRIENNIAL
    assert first.page_start == 28  # the Glasgow example of practice change
    assert html.escape(first.title) in panel
    assert "p. 28" in panel
    assert "Glasgow Child Protection Committee" in panel  # the section path
    mark = re.search(r'<mark class="rla-quote" id="rla-src-1-1">(.*?)</mark>', panel, re.S)
    assert mark is not None
    assert " ".join(html.unescape(mark.group(1)).split()) == first.quote


def test_open_link_serves_the_stored_pdf_at_its_page(
    assistant: Assistant, glasgow: handlers.ChatView
) -> None:
    first = glasgow.turns[0].answer.citations[0]
    link = re.search(r'<a class="rla-open" href="([^"]+)"', glasgow.evidence)
    assert link is not None
    href = html.unescape(link.group(1))
    assert href.startswith(handlers.FILE_ROUTE) and href.endswith(f"#page={first.page_start}")
    path = Path(href[len(handlers.FILE_ROUTE):].split("#")[0])
    assert path.is_file() and path.suffix == ".pdf"
    assert path.parent == assistant.settings.files_dir.resolve()


def test_follow_up_is_searched_with_the_topic_and_says_so(assistant: Assistant) -> None:
    first = handlers.respond(assistant, "what do reviews say about neglect?", [])
    view = handlers.respond(assistant, "and in adolescents?", first.turns)
    turn = view.turns[-1]
    assert turn.question == "and in adolescents?"
    assert "neglect" in turn.query and "adolescents" in turn.query
    assert turn.answer.searched_query == turn.query
    assert "Searched for: <em>neglect in adolescents?</em>" in view.messages[-1]["content"]
    assert "Searched for" in view.evidence
    assert turn.answer.grounded
    quoted = " ".join(c.quote.lower() for c in turn.answer.citations)
    assert "neglect" in quoted or "adolescen" in quoted
    # the earlier turn's sources stay in the panel (hidden) for its [n] markers
    assert 'id="rla-turn-1" data-turn="1" hidden' in view.evidence
    assert 'id="rla-turn-2" data-turn="2">' in view.evidence


def test_ungrounded_answer_says_so_and_looks_different(assistant: Assistant) -> None:
    view = handlers.respond(assistant, "What do the reviews say about knife crime in Wales?", [])
    answer = view.turns[0].answer
    assert not answer.grounded and not answer.citations
    bot = view.messages[-1]["content"]
    assert 'class="rla-ungrounded"' in bot and "Not answered from the documents" in bot
    assert "rla-cite" not in bot
    assert "rla-turn-ungrounded" in view.evidence and "rla-source" not in view.evidence


def test_blank_question_changes_nothing(assistant: Assistant) -> None:
    view = handlers.respond(assistant, "   ", [])
    assert view.turns == [] and view.messages == [] and view.evidence == EMPTY_PANEL


def test_api_ask_returns_markdown_and_the_json_contract_citations(assistant: Assistant) -> None:
    markdown, citations = tools.ask(assistant, GLASGOW)
    expected = assistant.ask(GLASGOW).to_dict()["citations"]
    assert citations == expected
    assert "[1]" in markdown and "Sources:" in markdown and TRIENNIAL in markdown
    assert tools.ask(assistant, "  ")[1] == []


# -- the library --------------------------------------------------------------------------


def test_library_lists_title_type_year_pages_chunks(assistant: Assistant) -> None:
    rows = handlers.library_rows(assistant)
    assert len(rows) == 5
    by_file = {row[5]: row for row in rows}
    title, kind, year, pages, chunks, _, nation, review_types = by_file[TRIENNIAL]
    assert title.startswith("Triennial review")
    assert (kind, year, nation) == ("overview report", "2021", "Scotland")
    assert str(review_types).startswith("significant case review")
    assert isinstance(pages, int) and pages >= 30 and isinstance(chunks, int) and chunks > 10
    assert {f for _, f in handlers.document_choices(assistant)} == set(by_file)


def test_library_type_is_the_cards_type_without_metadata_csv(
    tmp_path: Path, corpus_pdfs: list[Path], embedder: Any
) -> None:
    """The Type column shows the type inferred from the text when no metadata.csv gives one
    (an upload, or a folder without one): it once read only the CSV's review_type column."""
    a = Assistant(Settings(home=tmp_path / "home"), embedder=embedder)
    wanted = {"learning-from-serious-case-reviews-briefing.pdf": "briefing",
              "ci-news-learning-from-scrs-2015-2018.pdf": "news release",
              "ci-joint-inspections-child-protection-2009-2012-summary.pdf": "inspection report"}
    report = a.ingest([p for p in corpus_pdfs if p.name in wanted])
    assert len(report.ingested) == 3 and not any("review_type" in c.meta for c in a.documents())
    types = {row[5]: row[1] for row in handlers.library_rows(a)}
    assert types == wanted
    assert structure.type_choices(a) == [structure.ANY, *sorted(wanted.values())]
    a.store.close()


def test_upload_stores_safely_reports_per_file_and_can_be_removed(
    assistant: Assistant, tmp_path: Path
) -> None:
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    good = incoming / "Dundee review (final).md"
    good.write_text(
        "# Dundee learning review\n\n## Findings\n\n"
        + "Practitioners in Dundee shared chronologies of the family's contacts with services. "
        * 30,
        encoding="utf-8",
    )
    bad_pdf = incoming / "broken.pdf"
    bad_pdf.write_bytes(b"this is not a pdf at all")
    exe = incoming / "tool.exe"
    exe.write_bytes(b"MZ")
    progress: list[tuple[float, str]] = []

    outcomes = handlers.upload(
        assistant, [str(good), str(bad_pdf), str(exe)],
        progress=lambda done, what: progress.append((done, what)),
    )

    assert [o.name for o in outcomes] == [good.name, bad_pdf.name, exe.name]
    ok, broken, wrong_type = outcomes
    assert ok.ok and "added" in ok.message
    assert not broken.ok and broken.message
    assert not wrong_type.ok and "not a PDF, TXT or MD" in wrong_type.message
    assert progress and all(0.0 <= done <= 1.0 for done, _ in progress)
    uploads = handlers.uploads_dir(assistant)
    assert sorted(p.name for p in uploads.iterdir()) == ["Dundee-review-final.md"]
    files = [row[5] for row in handlers.library_rows(assistant)]
    assert "Dundee-review-final.md" in files and len(files) == 6
    report = upload_report_html(outcomes)
    assert report.count("rla-error") == 2 and html.escape(broken.message) in report

    again = handlers.upload(assistant, [str(good)])
    assert again[0].ok and "already" in again[0].message

    message = handlers.remove(assistant, "Dundee-review-final.md")
    assert "Dundee-review-final.md" in message
    assert not (uploads / "Dundee-review-final.md").exists()
    assert len(handlers.library_rows(assistant)) == 5
    with pytest.raises(NotFoundError):
        handlers.remove(assistant, "Dundee-review-final.md")


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("C:\\Users\\me\\Report 2021.PDF", "Report-2021.pdf"),
        (".hidden.md", "hidden.md"),
        ("café – révision.md", "cafe-revision.md"),
        ("...", "document"),
        ("<script>.txt", "script.txt"),
    ],
)
def test_safe_name_never_leaves_the_uploads_folder(sent: str, stored: str) -> None:
    assert handlers.safe_name(sent) == stored


def test_upload_never_writes_where_the_name_points(assistant: Assistant, tmp_path: Path) -> None:
    sneaky = tmp_path / "a" / "b"
    sneaky.mkdir(parents=True)
    source = sneaky / "..%2F..%2Fescape.txt"
    source.write_text("Too short to index.", encoding="utf-8")
    handlers.upload(assistant, [str(source)])
    for path in handlers.uploads_dir(assistant).iterdir():
        assert path.parent == handlers.uploads_dir(assistant)
        path.unlink()
    for card in assistant.documents():
        if "escape" in card.file:
            assistant.remove(card.file)


# -- rendering on its own -----------------------------------------------------------------


def _citation(marker: int, passage: str, quote: str, **kw: Any) -> Citation:
    fields: dict[str, Any] = {
        "chunk_id": f"c{marker}", "title": "A <b>review</b>", "file": "r.pdf", "section": "S",
        "page_start": 3, "page_end": 3,
    }
    fields.update(kw)
    return Citation(marker=marker, quote=quote, passage=passage, **fields)


def _turn(text: str, citations: tuple[Citation, ...], grounded: bool = True) -> Turn:
    answer = Answer("q", text, citations, (), "extractive", grounded)
    return Turn(1, "q", "q", answer)


def test_highlight_escapes_and_marks_across_whitespace() -> None:
    passage = "Intro <img src=x onerror=alert(1)>.\nThe quoted\n  sentence here. Tail & end."
    out = highlight(passage, [("The quoted sentence here.", "rla-src-1-1")])
    assert "<img" not in out and "&lt;img" in out and "&amp; end" in out
    assert '<mark class="rla-quote" id="rla-src-1-1">The quoted\n  sentence here.</mark>' in out
    assert highlight("abc", [("not there", "x")]) == "abc"


def test_answer_markdown_escapes_document_text() -> None:
    quote = "Costs rose by *50%* [see table] <script>alert(1)</script>"
    turn = _turn(f"{quote} [1]", (_citation(1, quote, quote),))
    md = answer_markdown(turn)
    assert "<script>" not in md and "&lt;script&gt;" in md
    assert r"\*50%\*" in md and r"\[see table\]" in md
    assert '<a class="rla-cite" href="#rla-src-1-1"' in md
    assert "<b>" not in evidence_html([turn], lambda c: None)


def test_markers_without_a_citation_stay_plain_text() -> None:
    turn = _turn("A sentence [1] and [7].", (_citation(1, "A sentence", "A sentence"),))
    md = answer_markdown(turn)
    assert md.count("rla-cite") == 1 and r"\[7\]" in md


def test_citations_of_one_passage_share_one_card() -> None:
    passage = "First point here. Something else. Second point here."
    cites = (
        _citation(1, passage, "First point here.", chunk_id="same"),
        _citation(2, passage, "Second point here.", chunk_id="same", page_start=4, page_end=4),
    )
    panel = evidence_html([_turn("First point here. [1] Second point here. [2]", cites)],
                          lambda c: "gradio_api/file=/x/r.pdf")
    assert panel.count('class="rla-source"') == 1
    assert 'id="rla-src-1-1"' in panel and 'id="rla-src-1-2"' in panel
    assert "p. 3, p. 4" in panel and 'href="gradio_api/file=/x/r.pdf#page=3"' in panel


def test_escape_markdown_defuses_line_starts() -> None:
    assert escape_markdown("1. item\n- bullet\n# head") == "1\\. item\n\\- bullet\n\\# head"


def test_api_markdown_of_a_refusal_is_its_text() -> None:
    answer = Answer("q", "The indexed documents do not cover this question.", (), (), "x", False)
    assert api_markdown(answer) == answer.text
    assert upload_report_html([]) == ""
    assert "✓" in upload_report_html([FileOutcome("a.md", True, "added")])


def test_example_questions_come_from_the_library(assistant: Assistant, tmp_path: Path) -> None:
    examples = structure.library_examples(assistant)
    assert len(examples) == structure.EXAMPLE_COUNT == len(set(examples))
    labels = {t.id: t.label for t in assistant.catalog().themes()}
    assert "neglect" in examples[0] and labels["neglect"].startswith("Neglect")
    areas = [a.name for a in assistant.catalog().areas()]
    assert any(a in q for q in examples for a in areas)  # an area this library holds
    for q in examples:  # each is answered from the library, not refused
        assert assistant.ask(q).kind != "not-covered", q
    empty = Assistant(replace(assistant.settings, home=tmp_path / "empty"),
                      embedder=assistant.embedder)
    assert structure.library_examples(empty) == []
