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
