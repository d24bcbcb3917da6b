"""Practice examples and handouts from a library of reports of every shape: the 5 shared PDFs
and the 70 web pages in one real store (``library_assistant``, the real model). A handout on
a theme draws on every document with something to quote, labelled by document, nation and
area; examples come from local learning briefs and national reviews as well as the
triennial review's Appendix 4, and a page that only lists briefings gives none."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from docx import Document as open_docx

from assistant.answering.citations import collapse
from assistant.library.filters import Filters
from assistant.trainer.briefing import FILLER_WORDS, candidates
from assistant.trainer.example import CHANGE, GOOD_PRACTICE, LEARNING, Example
from assistant.trainer.handout import PER_DOCUMENT, Handout, Statement
from assistant.trainer.handout_md import to_markdown, write
from assistant.trainer.passages import Cited, stored_text

pytestmark = pytest.mark.slow

# English local partnerships' learning briefs and practice notes among the web pages.
LOCAL_BRIEFS = {
    "devon-scp-thematic-review-nai-infants-0-2.md",
    "leeds-scp-learning-from-reviews-appreciative-inquiry.md",
    "peterborough-lscb-practice-note-referral-consent.md",
    "wolverhampton-rethinking-did-not-attend.md",
    "hampshire-scp-icon-abusive-head-trauma-overview.md",
}
# Pages that list seven-minute briefings by title (with a line or two about each).
BRIEFING_LISTS = ("lambeth-scp-7-minute-briefings.md", "lrsb-7-minute-briefings-thematic.md",
                  "wandsworth-scp-7-minute-briefings.md")
# Read by hand on the web pages: what must be found (file, kind, how the quote opens) ...
FOUND = [
    ("devon-scp-thematic-review-nai-infants-0-2.md", GOOD_PRACTICE, "Assurances that vulnerable"),
    ("devon-scp-thematic-review-nai-infants-0-2.md", LEARNING, "When undertaking assessments"),
    ("leeds-scp-learning-from-reviews-appreciative-inquiry.md", LEARNING, "Parental confidence"),
    ("peterborough-lscb-practice-note-referral-consent.md", LEARNING,
     "As a result of the Learning arising from a Serious Case review"),
    ("hampshire-scp-icon-abusive-head-trauma-overview.md", CHANGE,
     "Following a recommendation from Child U"),
    ("wolverhampton-rethinking-did-not-attend.md", CHANGE, "Nottingham City Council"),
    ("hiw-follow-up-statement-child-protection-rapid-review.md", CHANGE,
     "We established a structured evidence review process"),
    ("nspcc-triennial-analysis-scrs-2011-2014.md", LEARNING, "Practitioners should explore"),
    ("ofsted-blog-jtai-supporting-multi-agency-working.md", GOOD_PRACTICE,
     "A good example is Cheshire West and Chester"),
]
# ... and what is no example: an inspection programme's history, a review's own method, a
# blog's introduction, a briefing described rather than quoted.
NOT_FOUND = [
    ("hmicfrs-joint-targeted-child-protection-inspections.md", ""),
    ("devon-scp-thematic-review-nai-infants-0-2.md", "We reviewed the experiences"),
    ("gov-scot-learning-reviews-guidance-2024-introduction.md", ""),
    ("lambeth-scp-7-minute-briefings.md", ""),
]


def _verbatim(assistant: Any, cited: Cited) -> bool:
    text = stored_text(assistant.catalog().chunks, cited.chunk_ids)
    return bool(cited.quote) and collapse(cited.quote) in collapse(text)


def _nations(assistant: Any) -> dict[str, str | None]:
    return {card.file: card.nation for card in assistant.documents()}


@pytest.fixture(scope="module")
def neglect(library_assistant: Any) -> Handout:
    return library_assistant.theme_handout("neglect")  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def web_examples(library_assistant: Any) -> list[Example]:
    return [e for e in library_assistant.all_examples() if e.file.endswith(".md")]


# -- the handout -------------------------------------------------------------------------------


def test_a_neglect_handout_quotes_documents_from_more_than_one_nation(
    library_assistant: Any, neglect: Handout
) -> None:
    statements = neglect.statements()
    files = {s.cited.file for s in statements}
    nations = {_nations(library_assistant)[f] for f in files} - {None}
    assert len(files) >= 5 and {"Scotland", "England"} <= nations, (files, nations)
    for s in statements:  # each quote verbatim from its passage, with its document and page
        assert _verbatim(library_assistant, s.cited), s.cited
        assert s.cited.title and s.cited.file in files and s.cited.page_start >= 1
    md = to_markdown(neglect)
    for n, s in enumerate(statements, start=1):
        assert f"{collapse(s.cited.quote)}[^{n}]" in collapse(md)
        assert f"[^{n}]: {s.cited.label()} ({s.cited.file})." in md
    # the introduction says how many documents it drew on, by nation
    on_theme = {c.doc_id for c in library_assistant.catalog().select(Filters(themes=("neglect",)))}
    said = re.search(r"Draws on (\d+) of the (\d+) documents with passages on this theme "
                     r"\(([^)]*)\)", neglect.intro[1])
    assert said, neglect.intro
    assert int(said.group(1)) == len(files) and int(said.group(2)) == len(on_theme)
    assert "Scotland" in said.group(3) and "England" in said.group(3)


def test_every_document_with_a_sentence_for_the_briefing_is_quoted_and_labelled(
    library_assistant: Any, neglect: Handout
) -> None:
    catalog = library_assistant.catalog()
    theme = catalog.taxonomy.get("neglect")
    found = candidates(catalog.select(Filters(themes=("neglect",))), theme)
    quotable = {c.cited.file for c in found if any(c.scores.values())
                and len(c.cited.quote.split()) >= FILLER_WORDS}
    statements = neglect.statements()
    quoted = {s.cited.file for s in statements}
    assert quotable <= quoted, quotable - quoted
    sentences = [s for s in statements if not s.label]  # not a practice example's part
    for file in quoted:  # capped per document, so the handout stays readable
        assert sum(s.cited.file == file for s in sentences) <= PER_DOCUMENT
    nations = _nations(library_assistant)
    for section in neglect.sections:
        for item in section.items:  # each quote stands under its document, nation and area
            assert isinstance(item, Statement) or item.source, item
            if isinstance(item, Statement):
                assert item.source.startswith(item.cited.title), item
                nation = nations[item.cited.file]
                assert nation is None or f" · {nation}" in item.source
    md = to_markdown(neglect)
    assert "**From Triennial review of initial case reviews" in md and " · Scotland" in md
    assert "### Glasgow Child Protection Committee" in md


def test_the_handout_in_word_has_its_document_labels_and_footnotes(
    neglect: Handout, tmp_path: Path
) -> None:
    path = write(neglect, tmp_path / "neglect.docx")
    document = open_docx(str(path))
    text = "\n".join(p.text for p in document.paragraphs)
    labels = {s.source for s in neglect.statements() if s.source}
    for label in labels:
        assert f"From {label}:" in text
    refs = list(document.element.body.iter(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}footnoteReference"))
    assert len(refs) == len(neglect.statements())


# -- practice examples ---------------------------------------------------------------------------


def test_examples_come_from_english_local_learning_briefs(
    library_assistant: Any, web_examples: list[Example]
) -> None:
    local = [e for e in web_examples if e.file in LOCAL_BRIEFS]
    assert len({e.file for e in local}) >= 3, [e.file for e in web_examples]
    for file, kind, opening in FOUND:
        assert any(e.file == file and e.kind == kind and
                   e.what_changed.quote.startswith(opening) for e in web_examples), \
            (file, kind, opening)
    devon = [e for e in local if e.file.startswith("devon-scp-thematic")]
    assert {e.heading for e in devon} == {"2. What good practice did we find?",
                                          "4. What can we learn?"}
    for example in web_examples:
        for _, cited in example.parts():
            assert _verbatim(library_assistant, cited), cited
            assert not cited.quote.startswith("•")  # a list item without its marker


def test_a_page_that_lists_briefing_titles_gives_no_example(
    web_examples: list[Example]
) -> None:
    assert not [e for e in web_examples if e.file in BRIEFING_LISTS]
    for file, opening in NOT_FOUND:
        assert not [e for e in web_examples
                    if e.file == file and e.what_changed.quote.startswith(opening)], file


def test_examples_in_the_chat_name_the_kind_of_each(library_assistant: Any) -> None:
    answer = library_assistant.ask("examples of learning from reviews on information sharing "
                                   "for a training session")
    assert answer.kind == "examples" and answer.grounded
    assert re.search(r"^(What changed|Learning to apply|Good practice): ", answer.text, re.M)
