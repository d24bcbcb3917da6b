"""Trainers' features on small made-up documents (no model, no store): chunks stitched back
across their overlap, quotations and their attributions, practice examples in another
report's structure and in running text."""

from __future__ import annotations

from assistant.answering.citations import collapse
from assistant.trainer.examples import examples_in
from assistant.trainer.passages import DocText, section_label
from assistant.trainer.speech import speech_in
from assistant.types import Chunk
from ingest.themes import default_taxonomy


def _chunk(i: int, section: str, text: str, page: int = 1,
           breaks: tuple[tuple[int, int], ...] = ()) -> Chunk:
    return Chunk(f"doc-{i:05d}", "doc", "A learning review", "review.md", section, page,
                 page if not breaks else breaks[-1][1], i, text, {}, breaks or ((0, page),))


def test_chunks_are_stitched_across_their_overlap_and_split_at_headings() -> None:
    first = _chunk(0, "Findings", "One sentence here. Second sentence \"opens a quote")
    second = _chunk(1, "Findings", "Second sentence \"opens a quote\nthat ends here,\" he said.",
                    2)
    third = _chunk(2, "Findings > (survey response)", "Next block.", 2)
    doc = DocText([third, first, second])
    assert doc.text == ("One sentence here. Second sentence \"opens a quote\nthat ends here,\" "
                        "he said.\n\nNext block.")
    start = doc.text.index('"opens')
    cited = doc.cite(start, doc.text.index("he said"))
    assert cited.chunk_ids == ("doc-00001",)  # the overlap holds all of it
    assert (cited.page_start, cited.page_end) == (2, 2)
    both = doc.cite(0, doc.text.index("he said"))
    assert both.chunk_ids == ("doc-00000", "doc-00001") and both.page_end == 2
    assert doc.headings_at == {len(second.text) + len("One sentence here. "): (
        "(survey response)",)}
    assert section_label("Part 2 > (survey response) > Impact") == "Part 2 > Impact"


def test_attributions_as_the_document_gives_them() -> None:
    text = ("Our survey found this.\n\"Supervision made the difference for our team.\" "
            "(survey response)\nThe Chief Officer, Ann Smith, said: 'We changed the way we "
            "work after the review.' Later text.\nSurvey respondents noted:\n\"First of "
            "two quotes about the same thing.\"\n\"Second of two quotes about the same "
            "thing.\"\n\"An orphan quote with no introduction at all.\"")
    chunk = _chunk(0, "Findings", text)
    doc = DocText([chunk, _chunk(1, "Findings > (focus group participant)", "After.")])
    found = [(doc.text[s.start:s.end][:20], s.attribution) for s in speech_in(doc)]
    assert found == [
        ('"Supervision made th', "(survey response)"),
        ("'We changed the way ", "The Chief Officer, Ann Smith, said"),
        ('"First of two quotes', "Survey respondents noted"),
        ('"Second of two quote', "Survey respondents noted"),
        ('"An orphan quote wit', "(focus group participant)"),  # the heading after it
    ]


def test_examples_in_another_reports_structure_and_in_running_text() -> None:
    chunks = [
        _chunk(0, "Practice change > Perth and Kinross CPC > What changed",
               "A new neglect toolkit was introduced for all health visitors. It is used at "
               "every home visit.", 4),
        _chunk(1, "Practice change > Perth and Kinross CPC > Why",
               "The review found that neglect was not recognised early enough.", 4),
        _chunk(2, "Practice change > Perth and Kinross CPC > How",
               "Health and social work trained together.", 5),
        _chunk(3, "Learning",
               "The review made four recommendations. Following the review, a pre-birth "
               "pathway was developed with midwives. Staff should read it.", 6),
    ]
    found = examples_in(DocText(chunks), default_taxonomy())
    assert [e.area for e in found] == ["Perth and Kinross CPC", None]
    perth, pathway = found
    assert perth.structured and perth.what_changed.page_start == 4
    assert perth.why and perth.why.quote.startswith("The review found")
    assert perth.how and perth.how.page_start == 5 and "neglect" in perth.themes
    assert pathway.what_changed.quote == ("Following the review, a pre-birth pathway was "
                                          "developed with midwives.")
    assert not pathway.structured and pathway.why is None
    for example in found:
        for _, cited in example.parts():
            stored = " ".join(collapse(c.text) for c in chunks)
            assert cited.quote in stored


def _page(text: str, title: str = "7 minute briefing: Baby A", section: str = "") -> DocText:
    chunk = Chunk("page-00000", "page", title, "page.md", section or title, 1, 1, 0, text, {},
                  ((0, 1),))
    return DocText([chunk])


def test_examples_under_a_briefings_own_headings() -> None:
    """Seven-minute briefing sections, as sections or as lines of the text (numbered, closing
    with '?' or ':', or run into the sentence after them)."""
    sections = [
        _chunk(0, "Baby A > What we learned", "Practitioners did not always see the father as "
               "part of the family. Assessments focused on the mother alone."),
        _chunk(1, "Baby A > What has changed", "A new pre-birth pathway was introduced in 2022 "
               "for all midwives and health visitors."),
        _chunk(2, "Baby A > What should practitioners do", "Ask who else lives in the home "
               "and who looks after the baby."),
    ]
    found = examples_in(DocText(sections), default_taxonomy())
    assert [(e.kind, e.heading) for e in found] == [
        ("learning", "What we learned"), ("change", "What has changed"),
        ("learning", "What should practitioners do")]
    assert found[1].what_changed.quote.startswith("A new pre-birth pathway was introduced")
    text = ("Learning briefing\n1. Learning journey: what did we do?\n• We reviewed the "
            "records of twelve children and met their families.\n2. What good practice did "
            "we find?\n• Professionals were confident in their knowledge through training.\n"
            "• Health visitors shared information with social work promptly and well.\n"
            "3. What can we learn?\nEarly help:\n• Lead practitioners should meet the family "
            "within two weeks of the request.\nHow we have worked together Since the review, "
            "the partnership has introduced a new escalation protocol for all agencies.")
    found = examples_in(_page(text), default_taxonomy())
    assert [(e.kind, e.heading) for e in found] == [
        ("good practice", "2. What good practice did we find?"),
        ("learning", "3. What can we learn?"), ("change", "How we have worked together")]
    good, learning, change = found
    assert good.what_changed.quote == ("Professionals were confident in their knowledge "
                                       "through training. • Health visitors shared "
                                       "information with social work promptly and well.")
    assert learning.what_changed.quote.startswith("Lead practitioners should meet")
    assert change.what_changed.quote.startswith("Since the review, the partnership has")
    assert all(e.what_changed.quote in collapse(text) for e in found)


def test_what_is_no_example() -> None:
    """A list of briefing titles, a briefing described, a review's own method, a long
    chapter under 'Impact' (read as running text), plans and recommendations."""
    titles = ("7-minute briefings\nThis LSCP 7-minute briefing summarises the key findings and "
              "outlines what the partnership will do next.\nKey Learning Themes:\n- Signs "
              "and Indicators\n- Identifying disclosures\n- Role of practitioners\nImpact\n"
              "• Substance misuse and unborn babies\n• Professional curiosity")
    assert examples_in(_page(titles, "7-minute Briefings"), default_taxonomy()) == []
    short = "Impact\nA new audit tool was introduced for all teams. "
    plans = (short + "The audit looked at forty cases in detail and spoke to staff. " * 30 +
             "\nFollowing the review, a new pathway will be introduced next year. The review "
             "recommended that a toolkit should be developed.")
    assert examples_in(_page(plans, "Learning from a review"), default_taxonomy()) == []
    # under the same heading, a briefing's short part is what changed
    assert [e.kind for e in examples_in(_page(short), default_taxonomy())] == ["change"]
    said = ("Learning from case reviews\nProfessionals should record who lives in the home. "
            "This briefing is based on learning from a sample of case reviews.")
    found = examples_in(_page(said, "Learning from case reviews"), default_taxonomy())
    assert [(e.kind, e.what_changed.quote) for e in found] == [
        ("learning", "Professionals should record who lives in the home.")]


def _doc_chunk(doc: str, nation: str, text: str, areas: tuple[str, ...] = ()) -> Chunk:
    meta = {"themes": ["neglect"], "nation": nation, "year": 2020, "areas": list(areas)}
    return Chunk(f"{doc}-00000", doc, f"Report from {nation}", f"{doc}.md", "Findings", 1, 1,
                 0, text, meta, ((0, 1),))


def test_a_handout_quotes_every_document_under_its_label() -> None:
    from assistant.library.catalog import Catalog
    from assistant.trainer.handout import PER_DOCUMENT, theme_handout
    from assistant.trainer.handout_md import to_markdown

    strong = " ".join(f"Neglect remains the main category of harm in review {n}. Neglect was the "
                      f"main feature where children were seriously harmed in case {n}. Reviews "
                      f"found that neglect was not recognised early enough in case {n}."
                      for n in range(1, 6))
    chunks = [
        _doc_chunk("scot", "Scotland", strong, ("Glasgow City", "Fife", "Angus", "Moray")),
        _doc_chunk("eng", "England", "The review found that the chronic neglect of the "
                   "children was missed by several agencies over two years."),
        _doc_chunk("wales", "Wales", "Neglect had a serious impact on the development of the "
                   "young children in the family."),
    ]
    handout = theme_handout(Catalog.of_chunks(chunks), "neglect")
    statements = handout.statements()
    assert {s.cited.file for s in statements} == {"scot.md", "eng.md", "wales.md"}
    assert sum(s.cited.file == "scot.md" for s in statements) <= PER_DOCUMENT
    said = handout.intro[1]
    assert said.startswith("Draws on 3 of the 3 documents with passages on this theme (")
    assert sorted(said[said.index("(") + 1 : -2].split(", ")) == [
        "England 1", "Scotland 1", "Wales 1"]
    scot = next(s for s in statements if s.cited.file == "scot.md")
    assert scot.source == "Report from Scotland (2020) · Scotland · Glasgow City, Fife, Angus "\
        "and 1 more"
    md = to_markdown(handout)
    assert md.count("**From Report from Scotland (2020)") == len(
        [s for s in handout.sections if any(i.cited.file == "scot.md" for i in s.items
                                            if hasattr(i, "cited"))])
    first = md.index("**From Report from Scotland")  # the document that says most first
    assert first < md.index("**From Report from England")
