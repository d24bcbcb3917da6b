"""The catalogue from the cards' tag summaries counts what the passages themselves count."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.library.catalog import Catalog
from assistant.library.compare import compare
from assistant.library.filters import resolve
from assistant.library.summary import DocSummary


@pytest.fixture(scope="module")
def both(library_assistant: Any) -> tuple[Catalog, Catalog]:
    store = library_assistant.store
    return Catalog.of_store(store), Catalog.of_chunks(store.all_chunks(), store.cards())


def test_every_card_carries_the_summary_of_its_passages(library_assistant: Any) -> None:
    store = library_assistant.store
    raw = store.card_summaries()
    assert len(raw) == len(store.cards()) == 75
    for card in store.cards()[:12]:
        assert DocSummary.from_json(raw[card.doc_id]) == DocSummary.of(
            store.chunks_for(card.doc_id))


FILTERS = [
    {}, {"themes": ["neglect"]}, {"areas": ["Glasgow City"]}, {"nation": "Wales"},
    {"nation": "England", "themes": ["domestic_abuse"]},
    {"themes": ["neglect", "domestic_abuse"]}, {"areas": ["Birmingham"], "themes": ["neglect"]},
    {"doc_type": "briefing"}, {"year_from": 2019},
]


@pytest.mark.parametrize("given", FILTERS, ids=[str(f) for f in FILTERS])
def test_counts_from_summaries_equal_counts_from_passages(
    both: tuple[Catalog, Catalog], given: dict[str, Any]
) -> None:
    summarised, counted = both
    filters = resolve(**given)
    assert summarised.areas(filters) == counted.areas(filters)
    assert summarised.themes(filters) == counted.themes(filters)
    assert sorted(summarised.docs_with_passages(filters)) == sorted(
        {c.doc_id for c in counted.select(filters)})


def test_library_wide_facts_agree(both: tuple[Catalog, Catalog]) -> None:
    summarised, counted = both
    assert summarised.areas(), "the library has areas"
    for name in ("tagged", "doc_types", "review_types", "nations", "covered_area_keys",
                 "guidance_titles"):
        assert getattr(summarised, name) == getattr(counted, name), name
    assert {c.chunk_id for c in summarised.table_passages()} == {
        c.chunk_id for c in counted.chunks if c.meta.get("tables")}


@pytest.mark.parametrize("by", ["area", "nation", "period", "document"])
def test_compare_reads_only_the_chosen_themes_and_keeps_every_row(
    both: tuple[Catalog, Catalog], by: str
) -> None:
    summarised, counted = both
    a = compare(summarised, by, ["neglect"])  # type: ignore[arg-type]
    b = compare(counted, by, ["neglect"])  # type: ignore[arg-type]
    assert a.rows == b.rows and a.to_dict() == b.to_dict()
