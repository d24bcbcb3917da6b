"""The places and nations a question names narrow its search (no model needed)."""

from __future__ import annotations

import pytest

from assistant.library.filters import question_filters


@pytest.mark.parametrize(("question", "areas", "nations"), [
    ("What did Leeds learn about chronologies?", ("Leeds",), ()),
    ("What do reviews in Scotland say about neglect?", (), ("Scotland",)),
    ("In a Welsh practice review, who is brought together?", (), ("Wales",)),
    ("What did Scottish inspectors find about looked-after children?", (), ("Scotland",)),
    ("How do Northern Irish case management reviews work?", (), ("Northern Ireland",)),
    ("What did the Cwm Taf Morgannwg Safeguarding Board say about Welsh law?",
     ("Cwm Taf Morgannwg Safeguarding Board",), ("Wales",)),
    # "English" is as often the language: it names no nation
    ("What helps children with English as an additional language?", (), ()),
    ("What did the review find about Mrs Bolton's visits?", (), ()),
])
def test_question_names(question: str, areas: tuple[str, ...], nations: tuple[str, ...]) -> None:
    found = question_filters(question)
    assert (found.areas, found.nations) == (areas, nations)
    assert all(name in question for name in found.from_question)
