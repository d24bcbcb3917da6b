"""The quotable units of a passage (``ingest.units``): every rule on small hand-written texts,
then invariants over the 70 real web pages of the shared corpus, loaded and chunked by the
real pipeline (no model needed: a few tenths of a second in all).

A rule ``units`` does not keep yet is marked ``xfail(strict=True)`` with the case that breaks
it, so it shows in every run and the mark must go once the rule holds.
"""

from __future__ import annotations

import functools
import re

import numpy as np
import numpy.typing as npt
import pytest
from conftest import CORPUS

from assistant.types import Chunk
from ingest.metadata import MetadataIndex
from ingest.pipeline import ChunkingParams, prepare
from ingest.units import Unit, chunk_units, embed_units, embedding_text, unit_texts, units

Seen = list[tuple[str, str, str | None]]  # (kind, text, lead text)


def seen(text: str, *, title: str = "", section: str = "") -> Seen:
    """Each unit as (kind, its text, its lead's text), after checking its offsets."""
    out: Seen = []
    for u in units(text, title=title, section=section):
        assert 0 <= u.start < u.end <= len(text), u
        lead = None
        if u.lead is not None:
            assert 0 <= u.lead[0] < u.lead[1] <= u.start, u
            lead = text[u.lead[0] : u.lead[1]]
        out.append((u.kind, text[u.start : u.end], lead))
    return out


def texts(text: str, **kw: str) -> list[str]:
    return [t for _, t, _ in seen(text, **kw)]


FINDING = "The review found that the plan was never shared with the school."
SEEN_ALONE = "Nobody spoke to the child on their own."

# -- furniture: source and URL lines, title and heading, navigation, dates ---------------------


@pytest.mark.parametrize(
    "line",
    [
        "Source: https://www.example.org/reviews/child-a",
        "source : https://www.example.org/reviews/child-a",
        "https://www.example.org/reviews/child-a",
        "www.example.org/reviews",
        "URL: http://example.org/a?b=c",
        "Retrieved from https://example.org/a",
        "Available at: https://example.org/a",
        "Published: 3 May 2021",
        "Last updated: 12 March 2022 at 10:15, by the partnership's business unit",
        "Posted: Monday",
    ],
)
def test_a_source_url_or_published_line_is_never_a_unit(line: str) -> None:
    assert texts(f"{line}\n{FINDING}") == [FINDING]
    assert texts(f"{FINDING}\n{line}\n{SEEN_ALONE}") == [FINDING, SEEN_ALONE]


def test_a_sentence_that_mentions_a_url_is_content() -> None:
    line = "The full report is at https://example.org/child-a for anyone to read."
    assert texts(line) == [line]


# Long and punctuated, so only the title rule can leave it out (not the heading rule).
TITLE = "Learning from the review of Child A: what the agencies knew, and what they did about it."
SECTION = "What the health visitor, the school and the police each knew about the home, and when."


@pytest.mark.parametrize(
    "line",
    [TITLE, TITLE.upper(), "  " + TITLE.replace(" ", "   ") + "  ", TITLE.rstrip("."),
     TITLE + ":"],
)
def test_the_title_repeated_as_a_line_is_left_out(line: str) -> None:
    text = f"{line}\n{FINDING}"
    assert texts(text, title=TITLE) == [FINDING]
    if line.endswith(":"):  # without the title it is a sentence that introduces the next one
        assert texts(text) == [text]
    elif line != line.upper():  # (a line in capitals is a heading anyway)
        assert texts(text) == [line.strip(), FINDING]  # without the title it is a sentence


def test_the_section_heading_repeated_as_a_line_is_left_out() -> None:
    text = f"{SECTION}\n{FINDING}"
    assert texts(text, title=TITLE, section=SECTION) == [FINDING]
    assert texts(text, title=TITLE) == [SECTION, FINDING]
    # Only a whole line that is the title: a sentence that contains it is content.
    longer = f"As the title says, {TITLE}"
    assert texts(longer, title=TITLE) == [longer]


@pytest.mark.parametrize(
    "heading",
    [
        "Key findings",
        "Background to the review",
        "3.2 Information sharing between agencies",
        "TRIENNIAL REVIEW OF INITIAL CASE REVIEWS AND SIGNIFICANT CASE REVIEWS (2018-2021):",
        "Learning Briefing: Thematic review – Non-Accidental Injury to infants 0-2",
    ],
)
def test_a_heading_is_left_out(heading: str) -> None:
    assert texts(f"{heading}\n{FINDING}") == [FINDING]


def test_a_long_line_or_a_punctuated_short_line_is_not_a_heading() -> None:
    unpunctuated = ("the health visitor recorded that the baby was gaining weight and that "
                    "the mother seemed well at every visit")
    assert texts(f"{unpunctuated}\nThe child was safe.") == [unpunctuated, "The child was safe."]


@pytest.mark.parametrize(
    "trail",
    [
        "Home > News > Safeguarding practice reviews",
        "Home › Reviews › 2021",
        "Home » Learning » Briefings » Child A",
        "Home | About us | Contact",
    ],
)
def test_a_navigation_trail_is_left_out(trail: str) -> None:
    assert texts(f"{trail}\n{FINDING}") == [FINDING]


def test_a_sentence_with_arrows_in_it_is_content() -> None:
    one = "Risk scores > 5 were flagged in the audit."
    punctuated = "Scores went 1 > 2 > 3 over the year."
    assert texts(f"{one}\n{punctuated}") == [one, punctuated]


@pytest.mark.parametrize(
    "date",
    ["12 March 2021", "March 2021", "Monday, 3 May 2021", "1st June 2020", "June 1st, 2020",
     "Sept. 2019", "03/05/2021", "2021-05-03", "12.03.2021"],
)
def test_a_date_on_its_own_is_left_out(date: str) -> None:
    assert texts(f"{date}\n{FINDING}") == [FINDING]


def test_a_sentence_with_a_date_in_it_is_content() -> None:
    line = "The review was published in March 2021."
    assert texts(line) == [line]


# -- under three words ---------------------------------------------------------------------------


def test_units_of_under_three_words_are_left_out() -> None:
    line = "It failed. The panel met. The review then read the school's records. Too late!"
    assert texts(line) == ["The panel met.", "The review then read the school's records."]
    assert texts("Yes.\nNo.\nWell, maybe.") == []


def test_an_item_of_one_word_is_left_out_but_stays_in_its_list() -> None:
    text = "Agencies involved:\n• Police\n• The school nurse service"
    assert seen(text) == [
        ("list", text, None),
        ("item", "• The school nurse service", "Agencies involved:"),
    ]


def test_an_item_of_two_words_is_left_out() -> None:  # the marker is not a word
    text = "The child was:\n• Male baby\n8. Local Information\n• Seen at home by the health visitor"
    assert [t for k, t, _ in seen(text) if k == "item"] == ["• Seen at home by the health visitor"]
    assert [t for k, t, _ in seen("• Died; or\n• Seen at home")] == ["• Seen at home"]


# -- list lead-ins and items ---------------------------------------------------------------------


def test_a_lead_in_with_a_colon_is_a_list_unit_and_each_item_carries_it() -> None:
    text = (
        "The panel met twice. Professionals must be able to:\n"
        "• recognise the signs of neglect early\n"
        "• share information with other agencies promptly\n"
        "After the list, the review turns to the school."
    )
    lead = "Professionals must be able to:"
    assert seen(text) == [
        ("sentence", "The panel met twice.", None),
        ("list", text[text.index(lead) : text.index("\nAfter")], None),
        ("item", "• recognise the signs of neglect early", lead),
        ("item", "• share information with other agencies promptly", lead),
        ("sentence", "After the list, the review turns to the school.", None),
    ]
    assert not any(k == "sentence" and t.endswith(":") for k, t, _ in seen(text))
    got = units(text)
    assert [embedding_text(text, u) for u in got if u.kind == "item"] == [
        f"{lead} • recognise the signs of neglect early",
        f"{lead} • share information with other agencies promptly",
    ]


def test_a_short_line_before_items_is_their_lead_in_not_a_skipped_heading() -> None:
    text = "Key findings\n• The plan was not shared.\n• Nobody spoke to the child alone."
    assert seen(text) == [
        ("list", text, None),
        ("item", "• The plan was not shared.", "Key findings"),
        ("item", "• Nobody spoke to the child alone.", "Key findings"),
    ]
    assert texts("Key findings\nThe plan was not shared.") == ["The plan was not shared."]


@pytest.mark.parametrize("markers", [("1. ", "2. "), ("1) ", "2) "), ("a. ", "b. "),
                                     ("a) ", "b) "), ("• ", "• ")])
def test_numbered_and_lettered_items(markers: tuple[str, str]) -> None:
    one, two = (f"{m}Speak to the child first." for m in markers)
    text = f"Steps to take:\n{one}\n{two}"
    assert seen(text) == [("list", text, None), ("item", one, "Steps to take:"),
                          ("item", two, "Steps to take:")]


def test_items_at_the_start_of_a_text_have_no_lead() -> None:
    text = f"• {FINDING}\n• {SEEN_ALONE}\nThen the review turned to the police."
    assert seen(text) == [
        ("item", f"• {FINDING}", None),
        ("item", f"• {SEEN_ALONE}", None),
        ("sentence", "Then the review turned to the police.", None),
    ]


def test_one_item_is_enough_for_a_lead_in_but_a_blank_line_parts_them() -> None:
    text = f"Key findings\n• {FINDING}"
    assert [k for k, _, _ in seen(text)] == ["list", "item"]
    assert seen(f"Key findings\n\n• {FINDING}") == [("item", f"• {FINDING}", None)]


@pytest.mark.parametrize(
    "line",
    ["Source: https://careinspectorate.wales/news", "https://careinspectorate.wales/news",
     "19 September 2024", TITLE],
)
def test_furniture_before_items_is_not_their_lead_in(line: str) -> None:
    text = f"{line}\n• {FINDING}\n• {SEEN_ALONE}"
    assert seen(text, title=TITLE) == [("item", f"• {FINDING}", None),
                                       ("item", f"• {SEEN_ALONE}", None)]


def test_furniture_as_an_item_is_left_out() -> None:
    text = (f"Published on:\n• 19 September 2024\n• Source: https://example.org/a\n• {TITLE}\n"
            f"• {FINDING}")
    assert [t for k, t, _ in seen(text, title=TITLE) if k == "item"] == [f"• {FINDING}"]
    assert [t for k, t, _ in seen(text) if k == "item"] == [f"• {TITLE}", f"• {FINDING}"]


# -- a sentence that ends with a colon and leads no list ----------------------------------------


def test_a_sentence_ending_with_a_colon_is_joined_to_the_sentence_after_it() -> None:
    said = "The Chief Inspector said:"
    quote = "“The plan was never shared with the school.”"
    text = f"{said}\n{quote}\n{SEEN_ALONE}"
    assert seen(text) == [("sentence", f"{said}\n{quote}", None),  # only the next one
                          ("sentence", SEEN_ALONE, None)]
    same_line = f"{FINDING} The Chief Inspector then said: \n{SEEN_ALONE}"
    assert texts(same_line) == [FINDING, same_line[len(FINDING) + 1 :]]


def test_a_sentence_ending_with_a_colon_with_nothing_after_it_is_left_out() -> None:
    assert texts(f"{FINDING}\nThe review recommends the following:") == [FINDING]
    assert texts(f"{FINDING}\nThe review recommends the following:\n\nKey findings\n") == [
        FINDING]
    assert texts("The review recommends the following:") == []


def test_two_sentences_ending_with_a_colon_in_a_row_are_joined_to_the_one_after() -> None:
    text = f"The inspector said:\nThe manager said:\n{FINDING}"
    got = texts(text)
    assert not any(t.endswith(":") for t in got) and got[-1].endswith(FINDING), got


# -- table rows ----------------------------------------------------------------------------------


def test_a_table_row_carries_its_heading_row() -> None:
    header = "Agency\tContacts\tConcerns"
    text = (
        f"{header}\nHealth visiting\t12\tWeight loss noted\nSchool\t3\tAbsence\n"
        "A sentence between two tables.\nYear\tCases\n2020\t14"
    )
    assert seen(text) == [
        ("row", header, None),
        ("row", "Health visiting\t12\tWeight loss noted", header),
        ("row", "School\t3\tAbsence", header),
        ("sentence", "A sentence between two tables.", None),
        ("row", "Year\tCases", None),  # a new table: a new heading row
        ("row", "2020\t14", "Year\tCases"),
    ]
    row = units(text)[1]
    assert embedding_text(text, row) == f"{header} Health visiting\t12\tWeight loss noted"


# -- offsets ---------------------------------------------------------------------------------


def test_offsets_are_exact_slices_of_the_text() -> None:
    text = (
        "Source: https://example.org/child-a\n"
        "Home > Reviews > Child A\n"
        "12 March 2021\n"
        "Key findings\n"
        "  The plan was not shared.   Nobody  asked the child.  \n"
        "Agencies must:\n"
        "• record what the child says\n"
        "• act on it the same day\n"
        "Agency\tContacts\n"
        "Health\t12 visits"
    )
    expected = [
        (text.index("The plan"), "The plan was not shared.", "sentence", None),
        (text.index("Nobody"), "Nobody  asked the child.", "sentence", None),
        (text.index("Agencies must"), text[text.index("Agencies must") : text.index("\nAgency\t")],
         "list", None),
        (text.index("• record"), "• record what the child says", "item", "Agencies must:"),
        (text.index("• act"), "• act on it the same day", "item", "Agencies must:"),
        (text.index("Agency\t"), "Agency\tContacts", "row", None),
        (text.index("Health\t"), "Health\t12 visits", "row", "Agency\tContacts"),
    ]
    got = units(text)
    assert [(u.start, text[u.start : u.end], u.kind) for u in got] == [
        (s, t, k) for s, t, k, _ in expected
    ]
    assert [u.end - u.start for u in got] == [len(t) for _, t, _, _ in expected]
    assert [text[u.lead[0] : u.lead[1]] if u.lead else None for u in got] == [
        lead for *_, lead in expected
    ]
    assert units("") == [] and units("\n\n\n") == []


# -- chunks: title and section, texts to embed, vectors --------------------------------------


def chunk(text: str, i: int = 0, *, title: str = TITLE, section: str = SECTION) -> Chunk:
    return Chunk(chunk_id=f"d-{i}", doc_id="d", title=title, file="d.md", section=section,
                 page_start=1, page_end=1, index=i, text=text)


def test_chunk_units_leave_out_the_chunks_title_and_section() -> None:
    c = chunk(f"{TITLE}\n{SECTION}\n{FINDING}")
    assert [c.text[u.start : u.end] for u in chunk_units(c)] == [FINDING]


def test_unit_texts_embed_a_sentence_shared_by_overlapping_chunks_once() -> None:
    a = chunk(f"{FINDING} {SEEN_ALONE}", 0)
    b = chunk(f"{SEEN_ALONE}\nKey points:\n• The school was not told.", 1)
    distinct, rows = unit_texts([a, b, chunk("Key findings", 2)])
    head = f"{a.title}. {a.section}. "
    assert b.title == a.title and b.section == a.section
    assert distinct == [head + FINDING, head + SEEN_ALONE,
                        head + "Key points:\n• The school was not told.",
                        head + "Key points: • The school was not told."]
    assert rows == [[0, 1], [1, 2, 3], []]


def test_unit_texts_embed_each_chunks_title_and_section() -> None:
    a = chunk(FINDING, 0, title="Child A review", section="Key findings")
    b = chunk(FINDING, 1, title="Child A review", section="Background")
    c = chunk(FINDING, 2, title="", section="")
    distinct, rows = unit_texts([a, b, c])
    assert distinct == [f"Child A review. Key findings. {FINDING}",
                        f"Child A review. Background. {FINDING}", FINDING]
    assert rows == [[0], [1], [2]]


def test_embedding_text_puts_the_title_and_section_first() -> None:
    text = f"{FINDING}\nAgencies must:\n• record what the child says"
    sentence, _, item = units(text)
    title, section = "Child A review", "Key findings"

    def embedded(unit: Unit, t: str, s: str) -> str:
        return embedding_text(text, unit, title=t, section=s)

    assert embedded(sentence, title, section) == f"{title}. {section}. {FINDING}"
    assert embedded(item, title, section) == (
        f"{title}. {section}. Agencies must: • record what the child says")
    assert embedded(sentence, title, title) == f"{title}. {FINDING}"  # the same once
    assert embedded(sentence, " Child A review ", "Child A review") == f"{title}. {FINDING}"
    assert embedded(sentence, "", section) == f"{section}. {FINDING}"
    assert embedded(sentence, title, "  ") == f"{title}. {FINDING}"
    assert embedded(sentence, "", "") == embedding_text(text, sentence) == FINDING


def test_embed_units_gives_each_chunk_its_rows() -> None:
    calls: list[list[str]] = []

    def embed(batch: list[str]) -> npt.NDArray[np.float32]:
        calls.append(batch)
        return np.arange(len(batch) * 4, dtype=np.float32).reshape(len(batch), 4)

    a = chunk(f"{FINDING} {SEEN_ALONE}", 0)
    b = chunk(f"{SEEN_ALONE} Then the police were told.", 1)
    got = embed_units([a, b, chunk("Key findings", 2)], embed)
    assert len(calls) == 1 and len(calls[0]) == 3  # one call, shared sentence once
    assert [g.shape for g in got] == [(2, 4), (2, 4), (0, 0)]
    np.testing.assert_array_equal(got[0][1], got[1][0])
    assert [g.shape for g in embed_units([chunk("Key findings")], embed)] == [(0, 0)]
    assert len(calls) == 1  # nothing to embed: no call


# == the real web pages =======================================================================

WEB = CORPUS / "web"
PAGES = sorted(p.name for p in WEB.glob("*.md"))
ITEM = re.compile(r"^(?:• |\d{1,2}[.)] |[a-z][.)] )")
URL = re.compile(r"^(?:https?://|www\.)\S*$", re.I)
DATE = re.compile(
    r"^(?:\w+day,?\s)?(?:\d{1,2}(?:st|nd|rd|th)?\s)?[A-Z][a-z]+\.?,?\s(?:\d{1,2}(?:st|nd|rd|th)?"
    r",?\s)?\d{4}$|^\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}$"
)


@functools.cache
def page(name: str) -> tuple[str, list[Chunk]]:
    """The page's title line (without "# ") and its chunks, by the real loader and chunker."""
    path = WEB / name
    title = path.read_text(encoding="utf-8").split("\n", 1)[0].removeprefix("#").strip()
    prepared = prepare(path, MetadataIndex(None), ChunkingParams(file_timeout_s=0))
    return title, list(prepared.chunks)


def page_units(name: str) -> list[tuple[Chunk, Unit, str]]:
    return [(c, u, c.text[u.start : u.end]) for c in page(name)[1] for u in chunk_units(c)]


def folded(text: str) -> str:
    return " ".join(text.split()).strip(" .:").lower()


def words(unit_text: str) -> list[str]:
    """A unit's words as a reader counts them: not its item marker, not a lone dash."""
    return [w for w in ITEM.sub("", unit_text).split() if re.search(r"\w", w)]


KNOWN: set[str] = set()  # the pages marked below as failing one check


def on_pages(known: dict[str, str]) -> list[object]:
    """Every page, each page in ``known`` marked as failing for the reason given."""
    KNOWN.update(known)
    return [
        pytest.param(p, marks=pytest.mark.xfail(strict=True, reason=known[p])) if p in known
        else p
        for p in PAGES
    ]


def test_the_corpus_pages_are_there_and_give_units() -> None:
    assert len(PAGES) >= 70, f"the shared web pages are missing from {WEB}"
    per_page = {p: len(page_units(p)) for p in PAGES}
    assert all(per_page.values()), [p for p, n in per_page.items() if not n]
    assert sum(per_page.values()) > 900
    kinds = {u.kind for p in PAGES for _, u, _ in page_units(p)}
    assert {"sentence", "item", "list"} <= kinds
    assert not KNOWN - set(PAGES), KNOWN - set(PAGES)  # marked failing, but not there


@pytest.mark.parametrize("name", PAGES)
def test_no_unit_is_a_source_line_or_a_url(name: str) -> None:
    bad = [t for _, _, t in page_units(name)
           if t.lstrip().lower().startswith("source:") or URL.match(t.strip())]
    assert bad == []


@pytest.mark.parametrize("name", PAGES)
def test_no_unit_is_the_page_title_or_the_chunk_heading(name: str) -> None:
    title = page(name)[0]
    bad = [t for c, _, t in page_units(name)
           if folded(t) in {folded(title), folded(c.title), folded(c.section)}]
    assert bad == []


@pytest.mark.parametrize("name", PAGES)
def test_no_sentence_unit_ends_with_a_colon(name: str) -> None:
    bad = [t for _, u, t in page_units(name) if u.kind == "sentence" and t.endswith(":")]
    assert bad == []


@pytest.mark.parametrize("name", PAGES)
def test_a_lead_in_followed_by_items_is_never_a_sentence(name: str) -> None:
    bad = []
    for c, u, t in page_units(name):
        rest = c.text[u.end :]
        if u.kind == "sentence" and t.endswith(":") and ITEM.match(rest.removeprefix("\n")):
            bad.append(t)
    assert bad == []


@pytest.mark.parametrize("name", PAGES)
def test_every_item_has_a_lead_or_starts_its_chunk(name: str) -> None:
    bad = []
    for c, u, t in page_units(name):
        if u.kind != "item" or u.lead is not None:
            continue
        before = c.text[: u.start].split("\n")[:-1]  # whole lines before the item's own
        if not all(ITEM.match(line) or not line.strip() for line in before):
            bad.append((c.index, t))
    assert bad == []


@pytest.mark.parametrize("name", PAGES)
def test_every_unit_has_three_words_not_counting_its_marker(name: str) -> None:
    assert [t for _, _, t in page_units(name) if len(words(t)) < 3] == []


@pytest.mark.parametrize("name", PAGES)
def test_no_unit_is_a_date_or_a_navigation_trail(name: str) -> None:
    # A trail is one line: a unit over several lines of "> " quotes is not one.
    bad = [t for _, _, t in page_units(name)
           if DATE.match(ITEM.sub("", t).strip(" ."))
           or any(re.search(r"[ \t][>›»][ \t].*[ \t][>›»][ \t]", line) for line in t.split("\n"))]
    assert bad == []


@pytest.mark.parametrize("name", PAGES)
def test_units_are_trimmed_in_order_and_lists_cover_their_items(name: str) -> None:
    for c in page(name)[1]:
        got = chunk_units(c)
        assert [u.start for u in got] == sorted(u.start for u in got)
        lists = [u for u in got if u.kind == "list"]
        for u in got:
            t = c.text[u.start : u.end]
            assert t == t.strip() and 0 <= u.start < u.end <= len(c.text)
            if u.kind == "item" and u.lead is not None:
                assert any(w.start == u.lead[0] and w.start < u.start and u.end <= w.end
                           for w in lists), (c.index, t)
            if u.kind == "list":
                assert ITEM.match(c.text[u.start :].split("\n", 1)[1]), (c.index, t)
