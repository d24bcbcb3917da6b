"""A lead officer outside Scotland, on the 75-document library (5 PDFs and 70 real web pages,
real model, Chroma in a temp dir): English, Welsh and Northern Irish areas are listed, are rows
of the comparison with the evidence behind every cell, and filter the library; a nation filter
keeps that nation's documents only."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.text import collapse
from ui import structure

pytestmark = pytest.mark.slow

ENGLAND = ("Birmingham", "Leeds", "Devon", "Lambeth", "Wandsworth", "Hackney", "Dudley")
WALES = ("Bridgend", "Cwm Taf Morgannwg Safeguarding Board",
         "Mid and West Wales Safeguarding Board", "Gwent Safeguarding Board")
NORTHERN_IRELAND = ("Safeguarding Board for Northern Ireland",)


def test_areas_of_all_four_nations_are_listed(library_assistant: Any) -> None:
    areas = {a.name: a for a in library_assistant.catalog().areas()}
    for name in (*ENGLAND, *WALES, *NORTHERN_IRELAND, "Glasgow City"):
        assert name in areas, f"{name} is not among the library's areas"
        assert areas[name].passages >= 1 and areas[name].documents >= 1
    # the Compare tab and the chat filters offer the same areas
    assert set(ENGLAND) | set(WALES) <= set(structure.area_choices(library_assistant))


def test_compare_by_area_has_english_and_welsh_rows_with_evidence(library_assistant: Any) -> None:
    matrix = library_assistant.compare("area", [])
    rows = set(matrix.rows)
    assert rows & set(ENGLAND) and rows & set(WALES) and "Glasgow City" in rows
    texts = {c.chunk_id: c.text for c in library_assistant.catalog().chunks}
    for cell in matrix.cells:
        assert cell.passages >= cell.documents >= 1 and cell.evidence
        for quote in cell.evidence:
            assert collapse(quote.text) in collapse(texts[quote.chunk.chunk_id])
            assert cell.row in quote.chunk.meta["areas"]


def test_an_english_area_filters_the_library(library_assistant: Any) -> None:
    chosen = library_assistant.resolve_filters(areas=["Leeds"])
    chunks = library_assistant.catalog().select(chosen)
    assert chunks and all("Leeds" in c.meta["area_keys"] for c in chunks)
    assert {c.file for c in chunks} >= {"leeds-scp-learning-from-reviews-2021-22.md"}
    answer = library_assistant.ask("What has Leeds learned from its reviews?", filters=chosen)
    assert answer.citations and all("Leeds" in c.title or "Leeds" in c.quote
                                    for c in answer.citations)


@pytest.mark.parametrize("nation", ["England", "Wales", "Northern Ireland", "Scotland"])
def test_a_nation_filter_keeps_that_nations_documents(library_assistant: Any, nation: str) -> None:
    chosen = library_assistant.resolve_filters(nation=nation)
    chunks = library_assistant.catalog().select(chosen)
    assert len({c.doc_id for c in chunks}) >= 3
    assert {c.nation for c in chunks} == {nation}
    by_nation = library_assistant.compare("nation", [])
    assert nation in by_nation.rows


def test_period_rows_never_mix_nations(library_assistant: Any) -> None:
    matrix = library_assistant.compare("period", [])
    for cell in matrix.cells:
        nations = {q.chunk.nation for q in cell.evidence}
        assert len(nations) == 1, (cell.row, nations)


def test_a_question_naming_a_place_finds_a_page_that_names_it_once(
    library_assistant: Any,
) -> None:
    # The board's review report names Powys once, as the council that made the change; the
    # passage quoted says only "The Local Authority".
    answer = library_assistant.ask(
        "Can young people in Powys stay with their foster carers after they turn 18?")
    assert answer.grounded and answer.filters["areas"] == ["Powys"]
    assert {c.file for c in answer.citations} == {
        "cysur-4-2017-extended-child-practice-review-powys.md"}
    assert any("foster carers beyond the age of 18" in c.quote for c in answer.citations)
