"""Property-based tests (hypothesis): cleaning and chunking never lose or invent text, page
spans are valid and point at the right page, and citation quotes are always verbatim."""

from __future__ import annotations

import re
from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.answering.citations import Quote, build_citations, is_verbatim
from assistant.text import collapse
from assistant.types import Chunk, Document, Page
from ingest.chunking import chunk_sections
from ingest.clean import join_wrapped, remove_running_lines
from ingest.sections import split_sections

PROPERTY = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

# -- cleaning -------------------------------------------------------------------------------

LINE_TEXT = st.one_of(
    st.text(alphabet=st.sampled_from(list("abcXYZ019 .,;:!?-–•*()\"'’\t\u2022")), max_size=60),
    st.sampled_from(["Page 3", "- 4 -", "12", "Report title", "abc-", "xyz words.", ""]),
)
PAGES = st.lists(st.lists(LINE_TEXT, max_size=12), max_size=8)
# What join_wrapped may change: whitespace, a hyphen at a line break, and a bullet's mark.
_MAY_CHANGE = re.compile(r"[\s\-–•*·\x7f\u2022\u25aa\u25cf\u25e6\u2023\u2043\uf0b7\uf0a7]")


def _core(lines: list[str]) -> str:
    return _MAY_CHANGE.sub("", "".join(lines))


@PROPERTY
@given(PAGES)
def test_running_line_removal_only_drops_whole_lines(pages: list[list[str]]) -> None:
    cleaned = remove_running_lines(pages)
    assert len(cleaned) == len(pages)
    for before, after in zip(pages, cleaned, strict=True):
        it = iter(before)
        assert all(any(line == b for b in it) for line in after)  # a subsequence of the page
        kept_middle = [ln for i, ln in enumerate(before) if 3 <= i < len(before) - 3]
        body = [ln for ln in before if ln.strip()]
        if len(body) > 6:  # lines away from the edges are never furniture
            assert all(ln in after for ln in kept_middle if ln.strip() and ln not in body[:3]
                       + body[-3:])


@PROPERTY
@given(st.lists(LINE_TEXT, max_size=30), st.sets(st.sampled_from(["abc", "abc-xyz", "xyz"])))
def test_joining_wrapped_lines_keeps_every_character(lines: list[str], known: set[str]) -> None:
    joined = join_wrapped(lines, known)
    assert _core(joined) == _core(lines)
    assert all(line == line.strip("\n") and line.strip() for line in joined)


# -- sections and chunks --------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    pages: list[list[list[list[int]]]]  # page -> paragraph -> sentence -> word lengths
    headings: list[bool]  # per page: open it with a heading
    run_on: list[bool]  # per page: its last paragraph runs on to the next page
    rows: list[bool]  # per page: end it with two table rows
    target: int
    span: int


SPECS = st.builds(
    Spec,
    pages=st.lists(
        st.lists(st.lists(st.lists(st.integers(1, 9), min_size=1, max_size=45),
                          min_size=1, max_size=5), max_size=4),
        min_size=1, max_size=5,
    ),
    headings=st.lists(st.booleans(), min_size=5, max_size=5),
    run_on=st.lists(st.booleans(), min_size=5, max_size=5),
    rows=st.lists(st.booleans(), min_size=5, max_size=5),
    target=st.integers(4, 60),
    span=st.integers(0, 40),
)


def _document(spec: Spec) -> tuple[Document, dict[str, int]]:
    """Pages of sentences made of unique tokens (``t17``; ``T17`` opens a sentence), and the
    page each token stands on."""
    page_of: dict[str, int] = {}
    counter = 0
    pages: list[Page] = []
    for p, paragraphs in enumerate(spec.pages):
        number = p + 1
        lines: list[str] = []
        if spec.headings[p % 5]:
            lines.append(f"# Heading {number}")
        for q, sentences in enumerate(paragraphs):
            parts = []
            continues = p > 0 and q == 0 and spec.run_on[(p - 1) % 5] and not spec.headings[p % 5]
            for s, lengths in enumerate(sentences):
                words = []
                for w, _ in enumerate(lengths):
                    counter += 1
                    first = w == 0 and not (continues and s == 0)
                    token = f"{'T' if first else 't'}{counter}"
                    page_of[token.lower()] = number
                    words.append(token)
                last = q == len(paragraphs) - 1 and s == len(sentences) - 1
                end = "" if last and spec.run_on[p % 5] else "."
                parts.append(" ".join(words) + end)
            lines.append(" ".join(parts))
        if spec.rows[p % 5]:
            for _ in range(2):
                counter += 2
                page_of[f"t{counter - 1}"] = page_of[f"t{counter}"] = number
                lines.append(f"t{counter - 1}\tt{counter}")
        pages.append(Page(number, "\n".join(lines)))
    return Document("d" * 64, "/x/doc.pdf", "Doc", tuple(pages)), page_of


def _chunks(spec: Spec) -> tuple[list[Chunk], dict[str, int], Document]:
    doc, page_of = _document(spec)
    sections = split_sections(doc)
    max_words = spec.target + spec.span
    chunks = chunk_sections(doc, sections, target_words=spec.target, max_words=max_words,
                            min_words=max(1, spec.target // 2), overlap_words=spec.target // 4)
    return chunks, page_of, doc


_TOKEN = re.compile(r"[Tt]\d+")


@PROPERTY
@given(SPECS)
def test_chunks_never_lose_or_invent_text(spec: Spec) -> None:
    chunks, page_of, doc = _chunks(spec)
    found = {m.group(0).lower() for c in chunks for m in _TOKEN.finditer(c.text)}
    assert found == set(page_of)  # every word of the input, and nothing else
    bodies = [collapse(ln.lstrip("#")) for page in doc.pages for ln in page.text.split("\n")]
    body = collapse(" ".join(bodies))
    for chunk in chunks:
        for line in chunk.text.split("\n"):  # each line is a run of the input text
            assert collapse(line) in body or "\t" in line, line
        assert [m.group(0) for m in _TOKEN.finditer(chunk.text)]  # no empty chunk


@PROPERTY
@given(SPECS)
def test_page_spans_are_valid_and_point_at_the_right_page(spec: Spec) -> None:
    chunks, page_of, doc = _chunks(spec)
    numbers = [p.number for p in doc.pages]
    for chunk in chunks:
        assert numbers[0] <= chunk.page_start <= chunk.page_end <= numbers[-1]
        offsets = [o for o, _ in chunk.page_breaks]
        assert offsets == sorted(set(offsets)) and all(0 <= o < len(chunk.text) for o in offsets)
        assert all(chunk.page_start <= p <= chunk.page_end for _, p in chunk.page_breaks)
        for m in _TOKEN.finditer(chunk.text):
            page = page_of[m.group(0).lower()]
            assert chunk.pages_at(m.start(), m.end()) == (page, page), (m.group(0), chunk)
    assert [c.index for c in chunks] == list(range(len(chunks)))
    assert len({c.chunk_id for c in chunks}) == len(chunks)


# -- citations ------------------------------------------------------------------------------

PASSAGE = st.text(alphabet=st.sampled_from(list("ab .\n\t’é[]1")), min_size=1, max_size=80)


@st.composite
def quotes(draw: st.DrawFn) -> list[Quote]:
    texts = draw(st.lists(PASSAGE, min_size=1, max_size=3))
    chunks = [
        Chunk(f"c{i}", "d", "T", "f.pdf", "S", 1, 2, i, t, page_breaks=((0, 1), (len(t) // 2, 2)))
        for i, t in enumerate(texts)
    ]
    out = []
    for _ in range(draw(st.integers(1, 6))):
        chunk = draw(st.sampled_from(chunks))
        start = draw(st.integers(0, len(chunk.text) - 1))
        end = draw(st.integers(start + 1, len(chunk.text)))
        if chunk.text[start:end].strip():
            out.append(Quote(chunk, start, end))
    return out


@PROPERTY
@given(quotes())
def test_citation_quotes_are_always_verbatim_and_cover_what_was_quoted(
    given_quotes: list[Quote],
) -> None:
    citations = build_citations(given_quotes)
    assert [c.marker for c in citations] == list(range(1, len(citations) + 1))
    for c in citations:
        assert is_verbatim(c.quote, c.passage)
        assert 1 <= c.page_start <= c.page_end <= 2
    for q in given_quotes:  # every quote given is inside one of its chunk's citations
        assert any(c.chunk_id == q.chunk.chunk_id and collapse(q.text) in c.quote
                   for c in citations), q
