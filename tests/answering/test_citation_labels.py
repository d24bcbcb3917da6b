"""Quotes from several documents are labelled by document and year, and by nation when they
come from more than one, so figures of different reports or systems are never read as one."""

from __future__ import annotations

from assistant.answering.citations import answer_text
from assistant.types import Citation


def _cite(marker: int, file: str, title: str, year: int | None, nation: str | None) -> Citation:
    quote = f"Quote {marker} of {title}."
    return Citation(marker, f"{file}-0", title, file, "Findings", 3, 3, quote, quote,
                    year=year, nation=nation)


def test_one_document_is_not_labelled() -> None:
    a = _cite(1, "a.md", "Review A", 2019, "Wales")
    b = _cite(2, "a.md", "Review A", 2019, "Wales")
    assert answer_text([a, b]) == "Quote 1 of Review A. [1] Quote 2 of Review A. [2]"


def test_documents_of_one_nation_are_labelled_by_title_and_year() -> None:
    text = answer_text([_cite(1, "a.md", "Review A", 2019, "Wales"),
                        _cite(2, "b.md", "Review B 2021", 2021, "Wales")])
    assert text == ("From Review A (2019):\nQuote 1 of Review A. [1]\n\n"
                    "From Review B 2021:\nQuote 2 of Review B 2021. [2]")


def test_documents_of_two_nations_say_each_nation() -> None:
    a = _cite(1, "a.md", "Review A", 2019, "Wales")
    b = _cite(2, "b.md", "Overview B", None, "England")
    c = _cite(3, "c.md", "Page C", None, None)
    text = answer_text([a, b, c])
    assert text.startswith("From Review A (2019) · Wales:\nQuote 1 of Review A. [1]")
    assert "From Overview B · England:\n" in text
    assert "From Page C · nation not recorded:\n" in text
    assert a.to_dict()["nation"] == "Wales" and "nation" not in c.to_dict()
