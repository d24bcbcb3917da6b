"""Trainers' features on the shared corpus (ingested once, real model): practice examples,
the quote finder, handouts in Markdown and Word with footnotes, the chat's list answers, and
the basket's plain functions. Every quote is checked verbatim against the stored text."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import pytest
from conftest import AssistantRunner
from docx import Document as open_docx
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from lxml import etree

from assistant.answering.citations import collapse, integrity_problems
from assistant.cli import main
from assistant.core import Assistant, BasketItem
from assistant.library.filters import resolve
from assistant.trainer.examples import find_examples
from assistant.trainer.handout import Handout
from assistant.trainer.handout_md import to_markdown, write
from assistant.trainer.passages import Cited, stored_text
from assistant.trainer.quotes import quote_index
from assistant.trainer.speech import quotation_spans
from ui import basket
from ui.render import Turn

pytestmark = pytest.mark.slow

CORPUS_PDF = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "pdf"
TRIENNIAL = "ci-triennial-review-icrs-scrs-2018-2021.pdf"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
TRAINING_QUOTES = (
    '"Training tends to improve knowledge but [there is] no evidence that practice changes '
    'significantly as a result."',
    '"Training is often seen as the solution to many findings but without support and '
    'supervision to follow this up, it is difficult to see the impact of training on practice."',
)


@pytest.fixture
def cli(corpus_assistant: Assistant) -> AssistantRunner:
    """`rla` commands run against the session's store."""
    return AssistantRunner(corpus_assistant)


@cache
def _page_text(file: str, page: int) -> str:
    from pypdf import PdfReader

    return collapse(PdfReader(CORPUS_PDF / file).pages[page - 1].extract_text())


def _on_page(cited: Cited) -> bool:
    """The quote's first and last words stand on its first and last cited pages (pypdf)."""
    words = cited.quote.split()
    head, tail = " ".join(words[:6]), " ".join(words[-4:])
    return head in _page_text(cited.file, cited.page_start) and \
        tail in _page_text(cited.file, cited.page_end)


def _verbatim(assistant: Assistant, cited: Cited) -> bool:
    text = stored_text(assistant.catalog().chunks, cited.chunk_ids)
    return bool(cited.quote) and collapse(cited.quote) in collapse(text)


def _all_cited(handout: Handout) -> Sequence[Cited]:
    return [s.cited for s in handout.statements()]


# -- practice examples --------------------------------------------------------------------------


def test_neglect_examples_are_glasgow_and_west_lothian_on_their_pages(
    corpus_assistant: Assistant, cli: AssistantRunner
) -> None:
    found = find_examples(corpus_assistant.catalog(), resolve(themes=["neglect"]))
    by_area = {e.area: e for e in found}
    glasgow = by_area["Glasgow Child Protection Committee"]
    lothian = by_area["West Lothian Child Protection Committee"]
    assert glasgow.what_changed.page_start == 28 and lothian.what_changed.page_start == 32
    assert "neglect summits" in glasgow.what_changed.quote
    assert "pilot a core group report" in lothian.what_changed.quote
    for example in (glasgow, lothian):  # the document's own three parts, each on its page
        assert example.structured and example.why and example.how
        assert example.file == TRIENNIAL and "neglect" in example.themes
        for _, cited in example.parts():
            assert _on_page(cited), cited
    assert glasgow.why is not None and glasgow.why.section.endswith(
        "The findings and recommendations which influenced change")

    result = cli.invoke(main, ["examples", "--theme", "neglect", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    first = next(d for d in data if d["area"] == "Glasgow Child Protection Committee")
    assert {"area", "themes", "document", "file", "what_changed", "why", "how"} <= set(first)
    assert first["what_changed"]["page_start"] == 28 and first["why"]["quote"]
    assert first["file"] == TRIENNIAL and first["document"].startswith("Triennial review")


def test_every_example_quote_is_verbatim_and_on_its_page(corpus_assistant: Assistant) -> None:
    found = find_examples(corpus_assistant.catalog())
    assert len([e for e in found if e.structured]) == 12  # Appendix 4: Falkirk gives two
    for example in found:
        for _, cited in example.parts():
            assert _verbatim(corpus_assistant, cited), cited
            assert _on_page(cited), cited


def test_examples_are_found_outside_appendix_4(
    corpus_assistant: Assistant, cli: AssistantRunner
) -> None:
    found = [e for e in find_examples(corpus_assistant.catalog()) if not e.structured]
    transitions = next(e for e in found if "16-18 year olds" in e.what_changed.quote)
    assert transitions.attribution == "(focus group participant)"
    assert transitions.what_changed.page_start == 15
    assert any("tailored training, informed by review findings" in e.what_changed.quote
               for e in found)
    result = cli.invoke(main, ["examples", "--area", "Glasgow"])
    assert result.exit_code == 0 and "Glasgow Child Protection Committee" in result.output
    assert "West Lothian" not in result.output


# -- the quote finder ---------------------------------------------------------------------------


def test_training_quotes_are_found_whole_with_their_attribution(
    corpus_assistant: Assistant, cli: AssistantRunner
) -> None:
    found = corpus_assistant.quotes(
        "find quotes from committees on why training alone doesn't change practice")
    top = {q.cited.quote: q for q in found[:3]}
    for quote in TRAINING_QUOTES:
        assert quote in top, [q.cited.quote for q in found]
        assert top[quote].attribution == "(survey response)"
        assert top[quote].cited.page_start == 10 and top[quote].cited.file == TRIENNIAL
        assert _on_page(top[quote].cited)
    result = cli.invoke(main, ["quotes", "training alone does not change practice", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data[0]["attribution"] == "(survey response)" and data[0]["page_start"] == 10
    assert {"quote", "attribution", "document", "file", "section", "page_start"} <= set(data[0])


def test_every_quotation_is_whole_and_verbatim(corpus_assistant: Assistant) -> None:
    quotes = quote_index(corpus_assistant.catalog()).quotes
    assert len(quotes) > 30
    for q in quotes:
        assert _verbatim(corpus_assistant, q.cited), q.cited
        assert q.cited.quote[0] in "\"'“‘"
        if q.closed:
            assert q.cited.quote.rstrip(".")[-1] in "\"'”’"
    reid = next(q for q in quotes if q.cited.quote.startswith("'Collectively"))
    assert reid.attribution and "chief executive" in reid.attribution
    assert len(reid.cited.chunk_ids) == 2  # runs on into the next passage, found whole
    assert reid.cited.quote.endswith("happening again.'")
    macleod = next(q for q in quotes if "everyone’s job" in q.cited.quote)
    assert macleod.attribution is not None and macleod.attribution.startswith("Peter Macleod")
    assert macleod.cited.quote.endswith("expect partners to consider.”")  # five paragraphs
    noted = [q for q in quotes if q.attribution == "Survey respondents noted"]
    assert len(noted) == 4  # the introduction carries over a run of quotations


def test_quotation_marks() -> None:
    text = ("The chief said: “It’s our job.\n“We learn from every review.”\n"
            "Staff's views and CPCs' plans. 'A single quote here, closed.' Then \"one "
            "left open by the report\nNext paragraph.")
    spans = [(text[a:b], closed) for a, b, closed in quotation_spans(text)]
    assert spans == [
        ("“It’s our job.\n“We learn from every review.”", True),
        ("'A single quote here, closed.'", True),
        ('"one left open by the report', False),
    ]


# -- handouts ------------------------------------------------------------------------------------


def _docx_references(path: Path) -> tuple[list[str], list[str], list[str]]:
    """Footnote ids referenced in the body, footnote ids defined, and the body's text."""
    document = open_docx(str(path))
    body = document.element.body
    refs = [r.get(f"{W}id") for r in body.iter(f"{W}footnoteReference")]
    part = next(r.target_part for r in document.part.rels.values() if r.reltype == RT.FOOTNOTES)
    root = etree.fromstring(part.blob)
    notes = [n.get(f"{W}id") for n in root.iter(f"{W}footnote")
             if n.get(f"{W}type") is None]
    return refs, notes, "\n".join(p.text for p in document.paragraphs)


def test_neglect_handout_in_markdown_and_word(corpus_assistant: Assistant, tmp_path: Path,
                                              cli: AssistantRunner) -> None:
    handout = corpus_assistant.theme_handout("neglect")
    titles = [s.title for s in handout.sections]
    assert titles == ["What it is", "Why it matters", "What reviews found", "Practice examples",
                      "What good practice looks like", "Questions for reflection"]
    cited = _all_cited(handout)
    assert len(cited) >= 10
    for c in cited:
        assert _verbatim(corpus_assistant, c), c
    questions = corpus_assistant.catalog().taxonomy.get("neglect").reflection  # type: ignore
    assert handout.sections[-1].questions == questions and len(questions) >= 2

    md = to_markdown(handout)
    for n, c in enumerate(cited, start=1):
        assert f"{c.quote}[^{n}]" in md
        assert f"[^{n}]: {c.label()} ({c.file})." in md
    assert "### Glasgow Child Protection Committee" in md and questions[0] in md

    result = cli.invoke(main, ["handout", "--theme", "neglect", "--format", "docx",
                               "--out", str(tmp_path / "neglect.docx")])
    assert result.exit_code == 0, result.output
    refs, notes, text = _docx_references(tmp_path / "neglect.docx")
    assert refs == notes == [str(i) for i in range(1, len(cited) + 1)]
    for c in cited:
        assert c.quote in text


def test_a_section_without_evidence_says_so(corpus_assistant: Assistant, tmp_path: Path) -> None:
    handout = corpus_assistant.theme_handout("sudi")
    examples = next(s for s in handout.sections if s.title == "Practice examples")
    assert not examples.items and examples.empty_note == "Not found in the indexed documents."
    path = write(handout, tmp_path / "sudi.md")
    assert "## Practice examples\n\nNot found in the indexed documents." in path.read_text()
    write(handout, tmp_path / "sudi.docx")
    refs, notes, text = _docx_references(tmp_path / "sudi.docx")
    assert refs == notes and "Not found in the indexed documents." in text


# -- the chat and the basket ---------------------------------------------------------------------


def test_chat_examples_request_is_a_list_of_cited_examples(corpus_assistant: Assistant) -> None:
    question = "Give me examples of what changed after neglect reviews for a training session"
    answer = corpus_assistant.ask(question)
    assert answer.kind == "examples" and answer.grounded
    assert integrity_problems(answer) == []
    assert re.search(r"^1\. Glasgow Child Protection Committee$", answer.text, re.M)
    assert re.search(r"^2\. West Lothian Child Protection Committee$", answer.text, re.M)
    assert answer.citations[0].page_start == 28 and answer.filters == {"themes": ["neglect"]}
    quotes = corpus_assistant.ask("Find quotes on why training alone doesn't change practice")
    assert quotes.kind == "quotes" and integrity_problems(quotes) == []
    assert "— (survey response)" in quotes.text
    # each quotation's attribution is the citation's, as the text gives it after its [n]
    for c in quotes.citations:
        said = re.search(rf"\[{c.marker}\] — (.+)", quotes.text)
        assert said is not None
        assert said.group(1) == (c.attribution or "no attribution given in the document")
        assert c.to_dict().get("attribution") == c.attribution
    assert any(c.attribution == "(survey response)" for c in quotes.citations)
    assert all(c.attribution is None and "attribution" not in c.to_dict()
               for c in answer.citations)
    plain = corpus_assistant.ask("What do reviews say about neglect?")
    assert plain.backend == "extractive"


def test_basket_to_handout_and_answer_download(corpus_assistant: Assistant) -> None:
    answer = corpus_assistant.ask("examples of practice change after neglect reviews")
    turns = [Turn(1, answer.question, answer.question, answer)]
    choices = basket.pick_choices(corpus_assistant, turns)
    assert [label for label, _ in choices][:2] == [
        "Example: Glasgow Child Protection Committee (p. 28)",
        "Example: West Lothian Child Protection Committee (p. 32)"]
    items = basket.add_picks(corpus_assistant, turns, [choices[0][1]], [])
    assert items == [BasketItem(choices[0][1], choices[0][0], ("neglect",),
                                example=choices[0][1].removeprefix("ex:"))]
    quotes = corpus_assistant.ask("find quotes on training and practice change")
    turns.append(Turn(2, quotes.question, quotes.question, quotes))
    quote_value = next(v for _, v in basket.pick_choices(corpus_assistant, turns)
                       if v.startswith("q:"))
    items = basket.add_picks(corpus_assistant, turns, [quote_value, quote_value], items)
    assert len(items) == 2 and items[1].attribution == "(survey response)"
    cited = next(c for c in quotes.citations if c.marker == int(quote_value.rsplit(":")[-1]))
    assert items[1].quote is not None and items[1].quote.quote == cited.quote
    assert items[1].quote.chunk_ids == (cited.chunk_id,) and not items[1].example
    assert basket.basket_theme(corpus_assistant, items) in {"neglect", "training_workforce"}
    path = basket.handout_file(corpus_assistant, items, "neglect", "docx")
    refs, notes, text = _docx_references(path)
    assert refs == notes and "neglect summits" in text and TRAINING_QUOTES[0] in text
    md = basket.answer_file(turns, "md")
    assert md is not None and md.read_text().count("[^") == 2 * len(quotes.citations)
