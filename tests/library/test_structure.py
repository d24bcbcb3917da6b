"""Structure extracted at ingest, on the shared corpus's real PDFs (no model needed): the
document card, areas with heading inheritance and the address trap, tables by period, the
theme data file, and the where-filter semantics against a real (in-memory) Chroma."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from assistant.library.filters import resolve
from assistant.types import CardKey, Chunk, Document, DocumentCard, Page
from ingest.areatag import area_meta, area_tags, default_places
from ingest.cardinfer import infer_card, period_of
from ingest.metadata import MetadataIndex
from ingest.pipeline import ChunkingParams, load, prepare
from ingest.tables import tables_in
from ingest.themes import Taxonomy, tag_passage
from vectorstore.where import where_matches

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
TRIENNIAL = CORPUS / "pdf" / "ci-triennial-review-icrs-scrs-2018-2021.pdf"
BRIEFING = CORPUS / "pdf" / "learning-from-serious-case-reviews-briefing.pdf"
APPENDIX_4 = {
    "Glasgow City": "Glasgow Child Protection Committee",
    "West Lothian": "West Lothian Child Protection Committee",
    "Falkirk": "Falkirk Child Protection Committee",
    "Fife": "Fife Child Protection Committee",
    "Highland": "Highland Child Protection Committee",
    "East Ayrshire": "East Ayrshire Child Protection Committee",
    "North Ayrshire": "North Ayrshire Child Protection Committee",
    "North Lanarkshire": "North Lanarkshire Child Protection Committee",
    "South Lanarkshire": "South Lanarkshire Child Protection Committee",
    "Angus": "Angus Child Protection Committee",
    "NHS Grampian": "NHS Grampian",
}


@pytest.fixture(scope="module")
def triennial() -> list[Chunk]:
    metadata = MetadataIndex(CORPUS / "metadata.csv")
    return list(prepare(TRIENNIAL, metadata, ChunkingParams(file_timeout_s=0)).chunks)


def _areas(chunk: Chunk) -> list[str]:
    value = chunk.meta.get("areas")
    return list(value) if isinstance(value, list) else []


# -- the document card ---------------------------------------------------------------------


def test_card_inferred_without_metadata_csv() -> None:
    doc = load(TRIENNIAL, ChunkingParams())
    card = infer_card(doc, {})
    assert card["doc_type"] == "overview report"
    assert card["nation"] == "Scotland"
    assert card["publisher"] == "Care Inspectorate"
    assert card["year"] == 2021 and card["year_source"] == "copyright"
    assert (card["period"], card["period_start"], card["period_end"]) == ("2018-2021", 2018, 2021)
    briefing = infer_card(load(BRIEFING, ChunkingParams()), {})
    assert briefing["nation"] == "England" and briefing["doc_type"] == "briefing"
    assert "year" not in briefing  # no copyright line, code or date: not guessed


def test_metadata_csv_overrides_the_inferred_card(tmp_path: Path) -> None:
    doc = load(BRIEFING, ChunkingParams())
    card = infer_card(doc, {"geography": "Wales", "year": 2017, "review_type": "Guidance"})
    assert card["nation"] == "Wales" and card["year"] == 2017 and card["doc_type"] == "guidance"
    assert "nation" not in str(card.get("inferred", ""))


def test_the_card_is_read_by_its_keys() -> None:
    """The card's keys are CardKey's; chunks and cards read them typed. A card of a store built
    before cards were inferred holds only metadata.csv's review_type: its type still shows."""
    card = infer_card(load(BRIEFING, ChunkingParams()), {"review_type": "Briefing",
                                                         "geography": "England"})
    assert card[CardKey.DOC_TYPE] == "briefing" and card[CardKey.NATION] == "England"
    assert card[CardKey.CSV_TYPE] == "Briefing" and card[CardKey.CSV_GEOGRAPHY] == "England"
    stored = DocumentCard.from_metadata(DocumentCard("d", "b.pdf", "B", 2, 6, card).to_metadata())
    chunk = Chunk("c", "d", "B", "b.pdf", "", 1, 1, 0, "Text.", card)
    assert (stored.doc_type, stored.nation) == (chunk.doc_type, chunk.nation) == (
        "briefing", "England")
    old = DocumentCard.from_metadata(DocumentCard(
        "d", "b.pdf", "B", 2, 6, {"review_type": " Serious Case Review", "geography": "England",
                                  "year": 2019}).to_metadata())
    assert old.doc_type == "serious case review"
    # a chunk's fields are what the filters match (m_doc_type): `rla retag` maps the old ones
    assert Chunk("c", "d", "B", "b.pdf", "", 1, 1, 0, "Text.", old.meta).doc_type is None


def test_periods_and_publication_codes() -> None:
    assert period_of("between 1 April 2018 and 31 March 2021") == (2018, 2021)
    assert period_of("Joint inspections 2009-12: summary") == (2009, 2012)
    assert period_of("reviews carried out between April 2015 and March 2018") == (2015, 2018)
    assert period_of("Tel: 01382 207100, since 1998") is None
    coded = Document("x", "x.txt", "A report", (Page(1, "Text.\nCOMMS-0521-342"),), {})
    assert infer_card(coded, {})["year"] == 2021


# -- areas -----------------------------------------------------------------------------------


def test_appendix_4_blocks_get_their_areas(triennial: list[Chunk]) -> None:
    for place, heading in APPENDIX_4.items():
        block = [c for c in triennial if f"> {heading} >" in c.section]
        assert block, f"no block under {heading}"
        assert all(place in _areas(c) for c in block), (place, [_areas(c) for c in block])
    fife = [c for c in triennial if "Fife" in _areas(c)]
    assert len(fife) >= 3  # the URL inside the block no longer replaces its heading


def test_dundee_only_in_the_address_is_not_an_area(triennial: list[Chunk]) -> None:
    assert not any("Dundee City" in _areas(c) for c in triennial)
    metadata = MetadataIndex(CORPUS / "metadata.csv")
    text = CORPUS / "text" / "ci-triennial-review-icrs-scrs-2018-2021.txt"
    chunks = prepare(text, metadata, ChunkingParams(file_timeout_s=0)).chunks
    assert any("Dundee" in c.text for c in chunks)  # the address is there, in the text
    assert not any("Dundee City" in _areas(c) for c in chunks)
    assert not any(c.meta.get("areas") and "DD1 4NY" in c.text for c in chunks)


def _chunk(text: str, section: str = "") -> Chunk:
    return Chunk("c1", "d1", "T", "t.txt", section, 1, 1, 0, text)


def test_addresses_affiliations_and_ambiguous_names() -> None:
    address = _chunk("Headquarters\nCompass House\n11 Riverside Drive\nDundee\nDD1 4NY")
    assert area_tags(address) == []
    author = _chunk("Dr Ann Smith, from the University of Glasgow, and a Stirling University "
                    "team led the review.")
    assert area_tags(author) == []
    bare = area_meta(area_tags(_chunk("Practitioners in Fife found the pathway useful.")))
    assert bare["areas"] == ["Fife"]
    assert {"Fife", "Fife Child Protection Committee", "NHS Fife"} <= set(bare["area_keys"])
    board = area_meta(area_tags(_chunk("NHS Fife introduced case supervision.")))
    assert board["areas"] == ["NHS Fife"] and "Fife" not in board["area_keys"]
    joint = default_places().place["Clackmannanshire and Stirling Child Protection Committee"]
    assert joint == ("Clackmannanshire", "Stirling")


# -- tables ----------------------------------------------------------------------------------


def test_the_period_table_keeps_its_headings(triennial: list[Chunk]) -> None:
    rows = {
        row.label: (table, row)
        for c in triennial for table in tables_in(c.text) for row in table.rows
    }
    table, row = rows["Domestic abuse"]
    assert table.periods[1:] == ("2007-2012", "2012-2015", "2015-2018", "2018-2021")
    assert row.cells == ("Domestic abuse", "30 (54%)", "13 (65%)", "10 (40%)", "11 (48%)")
    stored = next(c for c in triennial if row.line in c.text)
    assert "Domestic abuse" in json.dumps(json.loads(str(stored.meta["tables"])))


# -- themes from the data file ---------------------------------------------------------------


def test_a_user_adds_a_theme_by_editing_the_data_file(tmp_path: Path) -> None:
    data = json.loads((Path(__file__).parents[2] / "ingest/data/themes.json").read_text())
    data["themes"].append({"id": "fire_safety", "label": "Fire safety", "definition": "Fires",
                           "phrases": ["smoke alarm*", "house fire"]})
    path = tmp_path / "themes.json"
    path.write_text(json.dumps(data))
    tags = tag_passage(Taxonomy.load(path), "There were no working smoke alarms in the flat.")
    found = {t.theme: t for t in tags}
    assert "fire_safety" in found
    start, end = found["fire_safety"].spans[0]
    assert "There were no working smoke alarms"[start:end] == "smoke alarms"


# -- filters: the same where in Chroma and on keyword hits -----------------------------------


def test_where_filters_match_chroma_semantics() -> None:
    import chromadb
    from chromadb.config import Settings

    metas = [
        {"m_areas": ["Glasgow City"], "m_area_keys": ["Glasgow City", "NHS Greater Glasgow and "
         "Clyde"], "m_nation": "Scotland", "m_year": 2021, "m_themes": ["neglect"]},
        {"m_nation": "England", "m_themes": ["neglect", "child_plan"]},
        {"m_areas": ["Fife"], "m_area_keys": ["Fife"], "m_nation": "Scotland", "m_year": 2013},
    ]
    client = chromadb.EphemeralClient(settings=Settings(anonymized_telemetry=False))
    col = client.get_or_create_collection("rla_filter_test", embedding_function=None)
    col.add(ids=["a", "b", "c"], embeddings=np.eye(3, dtype=np.float32), metadatas=metas)
    cases = [
        resolve(areas=["Glasgow"]), resolve(nation="scotland"), resolve(themes=["neglect"]),
        resolve(year_from=2015), resolve(areas=["NHS Greater Glasgow and Clyde"],
                                         themes=["Neglect"], year_to=2022),
        resolve(areas=["Glasgow", "Fife CPC"]),
    ]
    for filters in cases:
        where = filters.where()
        in_chroma = set(col.get(where=where)["ids"])  # type: ignore[arg-type]
        ours = {i for i, m in zip("abc", metas, strict=True) if where_matches(m, where)}
        assert ours == in_chroma, where
