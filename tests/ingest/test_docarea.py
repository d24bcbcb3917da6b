"""The one place a whole document is about (ingest.docarea), through the real pipeline on
real pages: a page about one case names its place once and is about it throughout; a page
that names one council in passing, or two councils, has no place of its own."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import CORPUS_WEB

from assistant.types import Chunk
from ingest.areatag import tag_areas
from ingest.docarea import document_place, with_document_place
from ingest.metadata import MetadataIndex
from ingest.pipeline import ChunkingParams, prepare


def _chunks(name: str) -> list:  # type: ignore[type-arg]
    path = CORPUS_WEB / name
    if not path.is_file():
        pytest.fail(f"the shared web page {path} was not found")
    return list(prepare(Path(path), MetadataIndex(), ChunkingParams(file_timeout_s=0)).chunks)


def test_a_page_about_one_case_is_about_its_place_throughout() -> None:
    # Powys is named once ("her home in Newtown, Powys"); the other passage says "the board"
    chunks = _chunks("itv-wales-kaylea-titford-review-avoidable.md")
    assert len(chunks) >= 2
    for chunk in chunks:
        assert "Powys" in chunk.meta["areas"] and "Powys" in chunk.meta["area_keys"]
    sources = [m["source"] for c in chunks for m in json.loads(str(c.meta["area_mentions"]))
               if m["area"] == "Powys"]
    assert "document" in sources and "text" in sources


def test_a_board_page_naming_one_council_of_the_board() -> None:
    chunks = _chunks("cysur-4-2017-extended-child-practice-review-powys.md")
    assert all({"Powys", "Mid and West Wales Safeguarding Board"} <= set(c.meta["areas"])
               for c in chunks)


def test_a_joint_partnership_is_one_place_for_its_document() -> None:
    chunks = _chunks("safeguardinginschools-child-q-review.md")
    assert all("Hackney" in c.meta["areas"] and
               "City and Hackney Safeguarding Children Partnership" in c.meta["area_keys"]
               for c in chunks)


def test_one_council_named_in_passing_does_not_make_a_report_that_councils() -> None:
    # a national report of four passages naming one council once, in its third passage
    text = ("Reviews across the country found that professionals did not share information "
            "about risks to babies. ") * 20
    parts = [text, text, "A good example is Leeds, where a new protocol was agreed. " + text,
             text]
    chunks = tag_areas([Chunk(f"c{i}", "doc", "A national overview", "n.md", "Findings", 1, 1,
                              i, t) for i, t in enumerate(parts)])
    assert document_place(chunks) is None
    assert [bool(c.meta.get("areas")) for c in with_document_place(chunks)] == [
        False, False, True, False]
    # tagged again, a document's old place does not stay behind
    stale = [replace(c, meta={**c.meta, "doc_area": "Leeds"}) for c in chunks]
    assert all("doc_area" not in c.meta for c in with_document_place(tag_areas(stale)))
    # named in its lead, the same council is the report's own
    parts[0] = "Leeds Safeguarding Children Partnership published this review. " + text
    chunks = tag_areas([Chunk(f"c{i}", "doc", "A review", "n.md", "Findings", 1, 1, i, t)
                        for i, t in enumerate(parts)])
    assert document_place(chunks) == "Leeds"
    assert all("Leeds" in c.meta["areas"] for c in with_document_place(chunks))


def test_a_page_naming_two_councils_has_no_place_of_its_own() -> None:
    for chunk in _chunks("celcis-welsh-child-practice-review-framework-aberdeen.md"):
        mentions = json.loads(str(chunk.meta.get("area_mentions", "[]")))
        assert all(m["source"] != "document" for m in mentions)
