"""Ingest with real parts: the shared PDFs, pypdf as the reference, the bundled model, Chroma.

Page numbers are checked against pypdf's own text of the page a citation names; the corpus
store is the session fixture ``corpus_assistant`` (read-only); tests that write get a fresh
store of their own sharing the session's model.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import pypdf
import pytest

from assistant.config import Settings
from assistant.core import Assistant
from assistant.errors import NotFoundError
from assistant.text import collapse
from assistant.types import Chunk
from ingest.clean import join_wrapped, rejoin_hyphen, vocabulary
from ingest.pipeline import ChunkingParams, load
from ingest.sections import split_sections
from ingest.sentences import sentence_spans

pytestmark = pytest.mark.slow

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
PDF_DIR = CORPUS / "pdf"
TRIENNIAL = "ci-triennial-review-icrs-scrs-2018-2021.pdf"
NEWS_2012 = "ci-news-learning-from-scrs-2012-2015.pdf"
NEWS_2015 = "ci-news-learning-from-scrs-2015-2018.pdf"
JOINT = "ci-joint-inspections-child-protection-2009-2012-summary.pdf"
RUNNING_HEADER = "Triennial review of initial case reviews and significant case revie..."
TABLE_ROW = "Domestic abuse 30 (54%) 13 (65%) 10 (40%) 11 (48%)"

# Questions whose cited quotes are checked against the PDF pages (dev questions and others
# that land on tables, bullets and the short news releases).
PAGE_QUESTIONS = [
    "How prominent was neglect in the 2018-2021 ICRs and SCRs, and which age groups did it affect?",
    "What were the most common causes of death among the children and young people reviewed "
    "between April 2018 and March 2021?",
    "How did Glasgow Child Protection Committee respond to an SCR about neglect?",
    "What did West Lothian do about the lack of multi-agency chronologies in neglect cases?",
    "What effect did the Covid-19 pandemic have on ICR notifications?",
    "In the Care Inspectorate review of SCRs that covered 23 children, how many SCRs were "
    "examined and how many of the children died?",
    "What proportion of children at the centre of an SCR had a current child protection plan "
    "when they died or were seriously harmed?",
    "How common was domestic abuse as a theme in SCRs?",
    "Where were the children living at the time of harm or death?",
    "What is PRISM?",
]

_BULLETS = re.compile(r"[\s•\x7f\u25aa\u25cf\uf0b7\uf0a7]+")
_PAGE_LINE = re.compile(r"^\s*Page \d+\s*$")


def squash(text: str) -> str:
    """Whitespace (and bullet glyphs, which the loader normalises) removed."""
    return _BULLETS.sub("", text)


@cache
def _reader(file: str) -> pypdf.PdfReader:
    return pypdf.PdfReader(PDF_DIR / file)


@cache
def _index_of(file: str) -> dict[int, int]:
    """Printed page number (the page label) -> physical page index."""
    reader = _reader(file)
    labels = list(reader.page_labels)
    out = {int(label): i for i, label in enumerate(labels) if label.isdigit()}
    return out or {i + 1: i for i in range(len(reader.pages))}


@cache
def page_text(file: str, number: int, mode: str = "plain") -> str:
    """pypdf's text of printed page ``number``, squashed; the running header and the
    "Page N" line (page furniture, never quoted) are left out so pages can be joined."""
    page = _reader(file).pages[_index_of(file)[number]]
    raw = page.extract_text() if mode == "plain" else page.extract_text(extraction_mode="layout")
    lines = [
        line
        for line in raw.split("\n")
        if line.strip() != RUNNING_HEADER and not _PAGE_LINE.match(line)
    ]
    return squash("\n".join(lines))


def pages_of(file: str) -> list[int]:
    return sorted(_index_of(file))


def on_pages(text: str, file: str, first: int, last: int) -> bool:
    """``text`` is in pypdf's text of pages first..last (plain or layout extraction)."""
    want = squash(text)
    return any(
        want in "".join(page_text(file, p, mode) for p in range(first, last + 1))
        for mode in ("plain", "layout")
    )


def found_on(text: str, file: str) -> list[int]:
    """Every single page whose text holds all of ``text``."""
    return [p for p in pages_of(file) if on_pages(text, file, p, p)]


def words_on_pages(text: str, file: str, first: int, last: int) -> bool:
    """Every word of ``text`` is on pages first..last: the check for table rows, whose cells
    pypdf orders differently from the row the loader rebuilt from the layout."""
    ref = "".join(page_text(file, p) for p in range(first, last + 1))
    return all(squash(w) in ref for w in text.split())


def assert_page_attribution(quote: str, file: str, first: int, last: int, *, table: bool) -> None:
    where = f"{file} pp. {first}-{last}: {quote[:160]!r}"
    if first == last:
        if table and not on_pages(quote, file, first, last):
            assert words_on_pages(quote, file, first, last), f"not on the cited page: {where}"
            return
        assert on_pages(quote, file, first, last), (
            f"not on the cited page (found on {found_on(quote, file)}): {where}"
        )
    else:
        assert on_pages(quote, file, first, last), f"not on the cited pages: {where}"
        assert not found_on(quote, file), f"said to cross pages but fits on one: {where}"


# -- fixtures ----------------------------------------------------------------------------


@pytest.fixture
def fresh(tmp_path: Path, embedder: Any) -> Iterator[Assistant]:
    """An empty store of this test's own, with the session's model."""
    settings = replace(Settings.from_env({}), home=tmp_path / "rla-home")
    assistant = Assistant(settings, embedder=embedder)
    yield assistant
    assistant.store.close()


@pytest.fixture(scope="module")
def corpus_chunks(corpus_assistant: Assistant) -> list[Chunk]:
    chunks: list[Chunk] = corpus_assistant.store.all_chunks()
    assert len(chunks) > 100
    return chunks


def _copy(names: list[str], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copyfile(PDF_DIR / name, folder / name)
    return folder


def _chunk_ids(assistant: Assistant) -> list[str]:
    return sorted(c.chunk_id for c in assistant.store.all_chunks())


# -- page numbers ------------------------------------------------------------------------


def test_cited_quotes_are_on_the_pdf_pages_the_citations_name(
    corpus_assistant: Assistant,
) -> None:
    checked = 0
    for question in PAGE_QUESTIONS:
        answer = corpus_assistant.ask(question)
        for c in answer.citations:
            passage_rows = [line for line in c.passage.split("\n") if "\t" in line]
            table = any(collapse(row) in c.quote for row in passage_rows)
            assert_page_attribution(c.quote, c.file, c.page_start, c.page_end, table=table)
            checked += 1
    assert checked >= 20, f"only {checked} citations were checked"


def test_every_chunk_sentence_is_on_the_page_its_chunk_gives_it(
    corpus_chunks: list[Chunk],
) -> None:
    sentences = crossing = rows = 0
    for chunk in corpus_chunks:
        assert chunk.file.endswith(".pdf")
        offset = 0
        for line in chunk.text.split("\n"):
            if "\t" in line:  # a table row: quoted whole
                first, last = chunk.pages_at(offset, offset + len(line))
                assert_page_attribution(line, chunk.file, first, last, table=True)
                rows += 1
            else:
                for s, e in sentence_spans(line):
                    first, last = chunk.pages_at(offset + s, offset + e)
                    assert_page_attribution(line[s:e], chunk.file, first, last, table=False)
                    sentences += 1
                    crossing += first != last
            offset += len(line) + 1
    assert sentences > 800 and rows > 50
    assert crossing >= 3, "expected some sentences to run on from one page to the next"


def test_page_check_catches_a_wrong_page(corpus_chunks: list[Chunk]) -> None:
    """The reference check has teeth: a sentence moved one page on is not found there."""
    moved = 0
    for chunk in corpus_chunks:
        if chunk.file != TRIENNIAL or chunk.page_start != chunk.page_end:
            continue
        for s, e in sentence_spans(chunk.text.split("\n")[0]):
            sentence = chunk.text[s:e]
            if len(sentence) > 60 and found_on(sentence, chunk.file) == [chunk.page_start]:
                other = chunk.page_start + (1 if chunk.page_start < 34 else -1)
                assert not on_pages(sentence, chunk.file, other, other)
                moved += 1
    assert moved > 20


# -- cleaning ----------------------------------------------------------------------------


def test_running_header_and_page_lines_are_gone_from_every_chunk(
    corpus_chunks: list[Chunk],
) -> None:
    raw = _reader(TRIENNIAL).pages[4].extract_text()
    assert RUNNING_HEADER in raw and "Page 5" in raw  # the furniture is really in the PDF
    for chunk in corpus_chunks:
        assert RUNNING_HEADER not in chunk.text, chunk.chunk_id
        assert "significant case revie..." not in chunk.text, chunk.chunk_id
        for line in chunk.text.split("\n"):
            assert not re.fullmatch(r"\s*Page \d+(\s+of\s+\d+)?\s*", line), (chunk.chunk_id, line)


def test_table_row_stays_on_one_line(corpus_chunks: list[Chunk]) -> None:
    holders = [c for c in corpus_chunks if TABLE_ROW in collapse(c.text)]
    assert holders, "the domestic abuse row is not in any chunk"
    for chunk in holders:
        lines = [line for line in chunk.text.split("\n") if TABLE_ROW in collapse(line)]
        assert lines, "the row is split over several lines"
        assert collapse(lines[0]).startswith(TABLE_ROW)
        assert lines[0].count("\t") == 4  # label and four period columns
        assert chunk.file == TRIENNIAL and chunk.page_start <= 21 <= chunk.page_end


def test_hyphenated_words_are_rejoined() -> None:
    assert rejoin_hyphen("the initial assess-", "ment of risk") == "the initial assessment of risk"
    assert rejoin_hyphen("a multi-", "agency chronology") == "a multi-agency chronology"
    # What the document itself writes decides: "decision-making" is kept, "safeguarding" joined.
    vocab = vocabulary(["decision-making processes", "safeguarding partners"])
    assert rejoin_hyphen("decision-", "making", vocab) == "decision-making"
    assert rejoin_hyphen("safe-", "guarding", vocab) == "safeguarding"
    # A dash before a capital or a number is not hyphenation.
    assert rejoin_hyphen("Part 1 -", "Overview") == "Part 1 - Overview"
    assert rejoin_hyphen("ages 12-", "17") == "ages 12- 17"
    lines = ["Neglect was identified in the assess-", "ment of children in eighteen reviews."]
    assert join_wrapped(lines) == ["Neglect was identified in the assessment of children in "
                                   "eighteen reviews."]


# -- sections and chunk shape ------------------------------------------------------------


def test_chunks_never_cross_a_section_and_keep_to_the_word_limits(
    corpus_assistant: Assistant, corpus_chunks: list[Chunk]
) -> None:
    s = corpus_assistant.settings
    params = ChunkingParams(s.chunk_words, s.chunk_max_words, s.chunk_min_words)
    by_file: dict[str, list[Chunk]] = {}
    for chunk in corpus_chunks:
        by_file.setdefault(chunk.file, []).append(chunk)
    assert len(by_file) == 5
    words = []
    for file, chunks in by_file.items():
        sections = split_sections(load(PDF_DIR / file, params))
        bodies: dict[str, list[str]] = {}
        for section in sections:
            bodies.setdefault(section.heading, []).append(
                "\n".join(collapse(b.text) for b in section.blocks)
            )
        for chunk in chunks:
            assert chunk.page_start <= chunk.page_end
            assert chunk.section in bodies, (file, chunk.section)
            for line in chunk.text.split("\n"):
                # each line of the chunk lies within one section that has the chunk's heading
                assert any(collapse(line) in body for body in bodies[chunk.section]), (
                    f"{file} chunk {chunk.index} ({chunk.section!r}) has text from elsewhere: "
                    f"{line[:120]!r}"
                )
            n = len(chunk.text.split())
            assert n <= s.chunk_max_words, (file, chunk.index, n)
            words.append(n)
        assert [c.index for c in chunks] == list(range(len(chunks)))
    words.sort()
    assert s.chunk_min_words * 0.6 <= words[len(words) // 2] <= s.chunk_max_words
    assert sum(1 for c in corpus_chunks if c.section) / len(corpus_chunks) > 0.9


# -- idempotence, changes, removal -------------------------------------------------------


def test_reingest_of_the_same_folder_changes_nothing(fresh: Assistant, tmp_path: Path) -> None:
    folder = _copy([NEWS_2012, NEWS_2015], tmp_path / "docs")
    first = fresh.ingest([folder])
    assert len(first.ingested) == 2 and first.chunks > 0
    ids, cards = _chunk_ids(fresh), fresh.documents()
    revision = fresh.store.revision()

    again = fresh.ingest([folder])
    assert again.ingested == () and again.replaced == () and again.skipped == ()
    assert sorted(Path(p).name for p in again.unchanged) == [NEWS_2012, NEWS_2015]
    assert again.chunks == 0
    assert _chunk_ids(fresh) == ids
    assert fresh.documents() == cards
    assert fresh.store.revision() == revision
    assert fresh.store.count() == len(ids) == sum(c.chunks for c in cards)


def test_changed_file_replaces_its_old_chunks(fresh: Assistant, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    note = folder / "briefing.txt"
    shutil.copyfile(CORPUS / "text" / "ci-news-learning-from-scrs-2012-2015.txt", note)
    original = note.read_text(encoding="utf-8")
    assert "Tragically, 11 of these children" in original
    fresh.ingest([folder])
    [old_card] = fresh.documents()

    edited = original.replace(
        "Tragically, 11 of these children",
        "Sadly, eleven of these kingfisher children",
    )
    edited += "\n\nA closing paragraph about the zebrafish protocol adopted in 2030.\n"
    note.write_text(edited, encoding="utf-8")
    report = fresh.ingest([folder])

    assert [c.file for c in report.ingested] == ["briefing.txt"]
    assert [Path(p).name for p in report.replaced] == ["briefing.txt"]
    [card] = fresh.documents()  # one card for the file, the new one
    assert card.doc_id != old_card.doc_id
    chunks = fresh.store.all_chunks()
    assert len(chunks) == card.chunks == fresh.store.count()
    assert {c.doc_id for c in chunks} == {card.doc_id}
    text = "\n".join(c.text for c in chunks)
    assert "Tragically, 11 of these children" not in text
    assert "kingfisher" in text and "zebrafish protocol" in text
    hits = fresh.retriever.search("zebrafish protocol", 3, mode="keyword").evidence
    assert hits and "zebrafish" in hits[0].chunk.text


def test_remove_takes_a_document_and_its_chunks_out(fresh: Assistant, tmp_path: Path) -> None:
    folder = _copy([NEWS_2012, NEWS_2015], tmp_path / "docs")
    fresh.ingest([folder])
    keep = next(c for c in fresh.documents() if c.file == NEWS_2015)
    removed = fresh.remove(NEWS_2012)
    assert [c.file for c in removed] == [NEWS_2012]
    assert [c.file for c in fresh.documents()] == [NEWS_2015]
    assert {c.doc_id for c in fresh.store.all_chunks()} == {keep.doc_id}
    assert fresh.store.count() == keep.chunks
    assert fresh.stored_file(removed[0].doc_id) is None
    with pytest.raises(NotFoundError, match=NEWS_2012):
        fresh.remove(NEWS_2012)
    # the removed file goes back in as new
    assert [c.file for c in fresh.ingest([folder / NEWS_2012]).ingested] == [NEWS_2012]


# -- metadata ----------------------------------------------------------------------------


def test_metadata_csv_beside_the_files_and_given_explicitly(
    fresh: Assistant, tmp_path: Path
) -> None:
    beside = _copy([NEWS_2012], tmp_path / "beside")
    (beside / "metadata.csv").write_text(
        "file,title,publisher,year,review_type,geography\n"
        f"{NEWS_2012},Learning from SCRs (sidecar title),Care Inspectorate,2016,"
        "news release,Scotland\n",
        encoding="utf-8",
    )
    explicit_dir = _copy([NEWS_2015], tmp_path / "explicit")
    explicit = tmp_path / "my-metadata.csv"
    explicit.write_text(
        "file,title,publisher,year,review_type,geography,area\n"
        "ci-news-learning-from-scrs-2015-2018,Twenty-five SCRs,Care Inspectorate,2019,"
        "news release,Scotland,National\n",
        encoding="utf-8",
    )
    report = fresh.ingest([beside, explicit_dir], metadata_csv=explicit)
    assert not report.skipped, report.to_dict()  # the sidecar itself is not a document
    cards = {c.file: c for c in fresh.documents()}
    a, b = cards[NEWS_2012], cards[NEWS_2015]
    assert a.title == "Learning from SCRs (sidecar title)"
    csv_fields = {
        "publisher": "Care Inspectorate",
        "year": 2016,
        "review_type": "news release",
        "geography": "Scotland",
    }
    assert {k: a.meta.get(k) for k in csv_fields} == csv_fields  # (inferred fields may join)
    assert b.title == "Twenty-five SCRs"
    assert b.meta["year"] == 2019 and b.meta["area"] == "National"
    # chunks carry the card's fields and title, so they can be filtered and cited
    for chunk in fresh.store.chunks_for(b.doc_id):
        assert chunk.title == "Twenty-five SCRs" and chunk.meta["year"] == 2019
    hits = fresh.retriever.search("significant case reviews", 8, where={"m_year": 2016})
    assert hits.evidence and {e.chunk.file for e in hits.evidence} == {NEWS_2012}


def test_corpus_cards_carry_the_shared_metadata(corpus_assistant: Assistant) -> None:
    rows = {}
    for line in (CORPUS / "metadata.csv").read_text(encoding="utf-8").splitlines()[1:]:
        name, title = line.split(",", 2)[:2]
        rows[name + ".pdf"] = title
    cards = {c.file: c for c in corpus_assistant.documents()}
    assert set(cards) == set(rows)
    triennial = cards[TRIENNIAL]
    assert triennial.pages == 34
    assert triennial.meta["year"] == 2021 and triennial.meta["review_type"] == "overview report"
    assert triennial.title.startswith("Triennial review of initial case reviews")
    assert cards["learning-from-serious-case-reviews-briefing.pdf"].meta["geography"] == "England"


# -- bad input ---------------------------------------------------------------------------


def _bad_batch(folder: Path) -> dict[str, str]:
    """Write one file of each bad kind (plus good ones); return name -> expected reason."""
    folder.mkdir()
    source = PDF_DIR / NEWS_2012
    data = source.read_bytes()
    (folder / "corrupt.pdf").write_bytes(os.urandom(6000))
    (folder / "truncated.pdf").write_bytes(data[: len(data) // 2])
    writer = pypdf.PdfWriter(clone_from=source)
    writer.encrypt(user_password="s3cret", owner_password="owner")
    writer.write(folder / "locked.pdf")
    writer = pypdf.PdfWriter(clone_from=source)
    writer.encrypt(user_password="", owner_password="owner")  # opens without a password
    writer.write(folder / "edit-locked.pdf")
    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.write(folder / "scanned.pdf")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "figures.xlsx").write_bytes(b"PK\x03\x04" + os.urandom(200))
    shutil.copyfile(PDF_DIR / NEWS_2015, folder / NEWS_2015)
    return {
        "corrupt.pdf": "not a PDF",
        "truncated.pdf": "truncated",
        "locked.pdf": "encrypted",
        "scanned.pdf": "no extractable text",
        "empty.txt": "empty",
        "figures.xlsx": "unsupported file type '.xlsx'",
    }


def test_each_bad_file_gets_its_own_message_and_the_batch_goes_on(
    fresh: Assistant, tmp_path: Path
) -> None:
    before = fresh.ingest([_copy([JOINT], tmp_path / "earlier")])
    assert [c.file for c in before.ingested] == [JOINT]
    earlier_ids = _chunk_ids(fresh)

    expected = _bad_batch(tmp_path / "batch")
    report = fresh.ingest([tmp_path / "batch"])

    reasons = {Path(s.path).name: s.reason for s in report.skipped}
    assert set(reasons) == set(expected), report.to_dict()
    for name, phrase in expected.items():
        assert phrase in reasons[name], f"{name}: {reasons[name]!r}"
    for skip in report.skipped:
        assert Path(skip.path).name in skip.path and len(skip.reason.splitlines()) == 1
    assert len(set(reasons.values())) == len(reasons), "two kinds of bad file share a message"
    assert sorted(c.file for c in report.ingested) == sorted(["edit-locked.pdf", NEWS_2015])
    assert report.ok

    # nothing stored before is lost
    cards = {c.file: c for c in fresh.documents()}
    assert set(cards) == {JOINT, NEWS_2015, "edit-locked.pdf"}
    ids = _chunk_ids(fresh)
    assert set(earlier_ids) <= set(ids)
    assert len(ids) == sum(c.chunks for c in cards.values())
    # the PDF locked only against editing was read like the original
    locked_text = " ".join(c.text for c in fresh.store.chunks_for(cards["edit-locked.pdf"].doc_id))
    assert "Tragically, 11 of these children and young people died" in collapse(locked_text)


def test_a_batch_of_only_bad_files_ingests_nothing_and_says_why(
    fresh: Assistant, tmp_path: Path
) -> None:
    expected = _bad_batch(tmp_path / "batch")
    for name in (NEWS_2015, "edit-locked.pdf"):
        (tmp_path / "batch" / name).unlink()
    report = fresh.ingest([tmp_path / "batch", tmp_path / "missing.pdf"])
    assert not report.ok and report.ingested == ()
    reasons = {Path(s.path).name: s.reason for s in report.skipped}
    assert set(reasons) == {*expected, "missing.pdf"}
    assert "no such file" in reasons["missing.pdf"]
    assert fresh.is_empty()
    assert json.loads(json.dumps(report.to_dict()))["skipped"]
