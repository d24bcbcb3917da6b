"""The gazetteer across the UK (issue 14): real web pages of the shared corpus read through the
real pipeline find the areas they are about, and not those named only in an address, a
publisher line, an institution (a hospital, a police force, a court, a university, a
newspaper) or as a surname or common word; the data file's entries are consistent; joint
partnerships count under their LAs; the Scottish behaviour stays as it was.

The expected areas were written from reading each page. The short sentences below are made up
for the cases the pages do not hold (Reading, Bury, Sutton, Derby; postal addresses)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

from assistant.library.filters import resolve
from assistant.types import META_PREFIX, Chunk, Document, Page
from ingest.areas import NATIONS, Gazetteer, default_gazetteer
from ingest.areatag import Places, area_meta, area_tags, default_places
from ingest.cardinfer import infer_card
from ingest.data_files import data_path
from ingest.metadata import MetadataIndex
from ingest.pipeline import ChunkingParams, prepare
from vectorstore.where import where_matches

WEB = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "web"
CTM = "Cwm Taf Morgannwg Safeguarding Board"
MWW = "Mid and West Wales Safeguarding Board"
SBNI = "Safeguarding Board for Northern Ireland"

# page -> every place its passages are tagged with (nothing else)
PAGES: dict[str, set[str]] = {
    # England: a partnership's own pages and briefings, press on named reviews
    "birmingham-scp-cspr-briefing-bscp2020-21-01": {"Birmingham"},  # named only in its title
    "bracknell-forest-resolving-professional-disagreement": {"Bracknell Forest"},
    "cumbria-scp-learning-from-serious-case-reviews": {"Cumberland", "Westmorland and Furness"},
    "darlington-sp-multi-agency-chronologies": {"Darlington"},  # a surname, with its qualifier
    "devon-scp-learning-briefing-ed-nai": {"Devon"},
    "dudley-thematic-learning-nai": {"Dudley"},
    "east-sussex-scp-unseen-men": {"East Sussex"},
    "hackney-council-response-child-q-review": {"City of London", "Hackney"},
    "hampshire-scp-icon-abusive-head-trauma-overview": {"Hampshire"},  # not Rochdale's CCG
    "itv-finley-boden-safeguarding-review": {"Derby", "Derbyshire"},
    "lambeth-scp-7-minute-briefings": {"Lambeth"},
    "leeds-scp-learning-from-reviews-2021-22": {"Leeds"},
    "localgov-somerset-cse-scr-missed-opportunities": {"Somerset"},
    "lrsb-7-minute-briefings-thematic": {"Leicestershire", "Rutland"},
    "north-yorkshire-scp-safeguarding-unborn-babies": {"North Yorkshire", "York"},
    "ofsted-blog-jtai-supporting-multi-agency-working": {"Cheshire West and Chester"},
    "peterborough-lscb-practice-note-referral-consent": {"Peterborough", "Cambridgeshire"},
    "communitycare-star-hobson-bradford-turmoil-review": {"Bradford", "Solihull"},
    "wandsworth-scp-7-minute-briefings": {"Wandsworth"},
    "wiltshire-safeguarding-unborn-babies-under-1s": {"Wiltshire"},
    "wolverhampton-rethinking-did-not-attend": {"Wolverhampton", "Nottingham"},  # not its CCG
    "nspcc-triennial-analysis-scrs-2011-2014": set(),  # the authors' universities only
    # Wales: councils, the regional boards; not Cardiff's Crown Court, nor the newspaper
    "basw-bridgend-childrens-services-concerns-remain": {"Bridgend"},
    "pembrokeshire-herald-logan-mwangi-review": {"Bridgend", CTM},
    "ctmsb-response-logan-mwangi-child-practice-review": {CTM},
    "bbc-wales-dylan-seabridge-home-education-register": {"Pembrokeshire"},
    "western-telegraph-home-education-report-committee": {"Pembrokeshire", MWW},
    "cysur-4-2017-extended-child-practice-review-powys": {"Powys", MWW},
    "itv-wales-kaylea-titford-review-avoidable": {"Powys", MWW},
    "gwent-safeguarding-what-is-a-practice-review": {"Gwent Safeguarding Board"},
    "ciw-joint-inspections-child-protection-wales-2019-2024": set(),
    # Northern Ireland: the SBNI; Belfast only in a university's name is not Belfast
    "sbni-case-management-review-panel": {SBNI},
    "thedetail-sbni-signposts-for-the-future": {SBNI},
    "virtual-college-guide-to-case-management-reviews-ni": {SBNI},
    "qub-ref-impact-reducing-death-injury-children-ni": set(),
    "ni-dhssps-poots-welcomes-case-management-overview-report": set(),
    # Scotland, as before
    "press-and-journal-sharp-rise-significant-case-reviews-2019": {
        "Aberdeen City", "Aberdeenshire", "City of Edinburgh", "Dundee City", "Fife",
        "Glasgow City", "Highland", "Moray", "Na h-Eileanan Siar", "Orkney Islands"},
}


@cache
def _page(name: str) -> tuple[Chunk, ...]:
    return prepare(WEB / f"{name}.md", MetadataIndex(), ChunkingParams(file_timeout_s=0)).chunks


def _meta_list(chunk: Chunk, key: str) -> list[str]:
    value = chunk.meta.get(key)
    return [str(v) for v in value] if isinstance(value, list) else []


def _areas(name: str) -> set[str]:
    return {a for c in _page(name) for a in _meta_list(c, "areas")}


def _keys(name: str) -> set[str]:
    return {k for c in _page(name) for k in _meta_list(c, "area_keys")}


def _tagged(text: str, section: str = "") -> list[str]:
    chunk = Chunk("c1", "d1", "T", "t.txt", section, 1, 1, 0, text)
    found = area_meta(area_tags(chunk)).get("areas", [])
    return [str(a) for a in found] if isinstance(found, list) else []


# -- the data file ---------------------------------------------------------------------------


def test_every_alias_maps_to_one_entry_and_every_reference_resolves() -> None:
    rows = json.loads(data_path("areas.json").read_text(encoding="utf-8"))["areas"]
    owner: dict[str, str] = {}
    for row in rows:
        for form in (row["name"], *row["aliases"]):
            assert owner.setdefault(form.lower(), row["name"]) == row["name"], form
    gazetteer = default_gazetteer()
    by_name = {a.name: a for a in gazetteer.areas}
    assert len(by_name) == len(gazetteer.areas) == 311
    for area in gazetteer.areas:
        assert area.nation in NATIONS, area.name
        assert area.parent is None or area.parent in by_name, area.name
        assert all(m in by_name and by_name[m].kind in ("council", "la") for m in area.members)
        assert all(f in (area.name, *area.aliases) for f in area.needs_context), area.name
        for form in (area.name, *area.aliases):
            assert gazetteer.get(form) is area
    assert all(by_name[n].nation == n and by_name[n].parent is None for n in NATIONS)


def test_the_uk_entries_and_their_parents() -> None:
    areas = default_gazetteer().areas
    by_name = {a.name: a for a in areas}
    la = {n: [a for a in areas if a.kind == "la" and a.nation == n] for n in NATIONS}
    assert [len(la[n]) for n in NATIONS] == [0, 153, 22, 11]
    kinds = [a.kind for a in areas]
    assert [kinds.count(k) for k in ("council", "cpc", "safeguarding_partnership",
                                     "safeguarding_board", "hsc_trust")] == [32, 30, 17, 7, 5]
    assert len([a for a in areas if a.kind == "health_board" and a.nation == "Wales"]) == 7
    for area in la["England"]:  # an English LA sits in its region
        assert by_name[str(area.parent)].kind == "region"
    for area in la["Wales"] + la["Northern Ireland"]:  # a Welsh board, an NI trust
        parent = by_name[str(area.parent)]
        assert parent.kind in ("safeguarding_board", "hsc_trust")
        assert area.name in parent.members
    # the board entries replaced the former `region` entries, keeping their aliases
    assert by_name[CTM].kind == "safeguarding_board"
    assert default_gazetteer().get("Western Bay Safeguarding Board") is by_name[
        "West Glamorgan Safeguarding Board"]
    assert by_name["Derby and Derbyshire Safeguarding Children Partnership"].members == (
        "Derby", "Derbyshire")


def test_welsh_names_are_aliases() -> None:
    found = {m.text: m.area.name for m in default_gazetteer().find(
        "Cyngor Caerdydd, Pen-y-bont ar Ogwr, Ynys Môn, Wrecsam and Sir Benfro; "
        "Bwrdd Diogelu Canolbarth a Gorllewin Cymru.")}
    assert found == {"Cyngor Caerdydd": "Cardiff", "Pen-y-bont ar Ogwr": "Bridgend",
                     "Ynys Môn": "Isle of Anglesey", "Wrecsam": "Wrexham",
                     "Sir Benfro": "Pembrokeshire", "Bwrdd Diogelu Canolbarth a Gorllewin Cymru":
                     MWW}


# -- real pages through the pipeline ---------------------------------------------------------


@pytest.mark.parametrize("name", sorted(PAGES))
def test_a_page_is_tagged_with_the_areas_it_is_about(name: str) -> None:
    assert _areas(name) == PAGES[name]


def test_a_joint_partnership_counts_under_its_las_with_its_name_as_a_key() -> None:
    keys = _keys("itv-finley-boden-safeguarding-review")
    assert {"Derby", "Derbyshire", "Derby and Derbyshire Safeguarding Children Partnership",
            "East Midlands"} <= keys
    assert {"City and Hackney Safeguarding Children Partnership", "London"} <= _keys(
        "hackney-council-response-child-q-review")
    assert "Cumbria Safeguarding Children Partnership" in _keys(
        "cumbria-scp-learning-from-serious-case-reviews")


def test_boards_and_trusts_stay_themselves() -> None:
    """A council's keys name its board (a filter on the board finds it); a board's keys do
    not name its councils (a filter on Newport does not find a Gwent-wide page)."""
    assert _keys("gwent-safeguarding-what-is-a-practice-review") == {"Gwent Safeguarding Board"}
    assert _keys("sbni-case-management-review-panel") == {SBNI}
    assert {CTM, "Cwm Taf Morgannwg University Health Board"} <= _keys(
        "basw-bridgend-childrens-services-concerns-remain")
    places = default_places()
    assert places.place["Belfast Health and Social Care Trust"] == (
        "Belfast Health and Social Care Trust",)
    assert {"Belfast Health and Social Care Trust", SBNI} <= set(places.keys["Belfast"])
    # a council served by two trusts is under both
    assert {"Belfast Health and Social Care Trust", "South Eastern Health and Social Care "
            "Trust"} <= set(places.keys["Lisburn and Castlereagh"])


def test_filters_on_a_board_a_region_and_a_partnership() -> None:
    def matches(page: str, area: str) -> bool:
        where = resolve(areas=[area]).where()
        return any(where_matches({f"{META_PREFIX}{k}": v for k, v in c.meta.items()}, where)
                   for c in _page(page))

    bridgend = "basw-bridgend-childrens-services-concerns-remain"
    assert matches(bridgend, CTM) and matches(bridgend, "Bridgend")
    assert not matches("gwent-safeguarding-what-is-a-practice-review", "Newport")
    finley = "itv-finley-boden-safeguarding-review"
    assert matches(finley, "Derbyshire") and matches(finley, "East Midlands")
    assert matches(finley, "DDSCP") and not matches(finley, "Nottinghamshire")
    assert matches("hackney-council-response-child-q-review", "City of London")


def test_the_document_card_nation_comes_from_the_las_named() -> None:
    def nation(text: str) -> object:
        return infer_card(Document("x", "x.txt", "A note", (Page(1, text),), {}), {}).get(
            "nation")

    assert nation("Bridgend County Borough Council met twice. Staff in Bridgend agreed.") == (
        "Wales")
    assert nation("Hackney Council and Lambeth Council met.") == "England"
    assert nation("The Belfast Trust and the Western Trust met.") == "Northern Ireland"
    assert nation("Hackney Council met.") is None  # one mention is not enough

    def titled(title: str, text: str) -> object:
        return infer_card(Document("x", "x.md", title, (Page(1, text),), {}), {}).get("nation")

    # the area a title names counts twice: a partnership's own page of national learning
    assert titled("Chronologies (Darlington Safeguarding Partnership)",
                  "Chronologies help practitioners see patterns.") == "England"
    assert titled("Chronologies", "Chronologies help practitioners see patterns.") is None


# -- names that need context -----------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("Reading the chronology again, the reviewer found gaps.", []),
    ("Her reading age was well below her age.", []),
    ("Reading Borough Council commissioned the review.", ["Reading"]),
    ("The family had moved to a flat in Reading that spring.", ["Reading"]),
    ("Reading's children's services were rated good.", ["Reading"]),
    ("The parents wanted to bury the past.", []),
    ("Bury Council and the Bury LSCB agreed the plan.", ["Bury"]),
    ("The family lived in Bury St Edmunds.", []),
    ("Mr Sutton, the head teacher, raised the concern.", []),
    ("The family moved to Sutton Coldfield.", []),
    ("A Sutton Local Safeguarding Children Partnership review.", ["Sutton"]),
    ("The child lived in Sutton with her grandmother.", ["Sutton"]),
    ("It was a local Derby, the father said, and he had been drinking.", []),
    ("The baby was taken to the Royal Derby Hospital.", []),
    ("The mother grew up in Derby.", ["Derby"]),
    ("Derby City Council and the Derby LSCB.", ["Derby"]),
    ("Westminster legislation applies to England only.", []),
    ("Mrs Bolton and Mr Dudley attended the conference.", []),
])
def test_a_common_word_or_surname_needs_context(text: str, expected: list[str]) -> None:
    assert _tagged(text) == expected


def test_context_is_read_by_the_gazetteer_for_questions_too() -> None:
    find = default_gazetteer().find
    assert [m.area.name for m in find("What did reviews in Reading find?")] == ["Reading"]
    assert find("Reading the reviews, what stands out?") == []


# -- institutions, addresses and publisher lines ----------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("Kent Police and Kent County Council shared the referral.", ["Kent"]),
    ("Devon and Cornwall Police attended the home.", []),
    ("He was seen at Birmingham Children's Hospital.", []),
    ("Sheffield Children's NHS Foundation Trust and Leeds Teaching Hospitals NHS Trust.", []),
    ("Rochdale Clinical Commissioning Group and the Lancashire Constabulary.", []),
    ("West Midlands Police and Gwent Police.", []),
    ("The trial was heard at Cardiff Crown Court.", []),
    ("Researchers from the University of Birmingham and Durham University.", []),
    ("Queen's University Belfast led the study.", []),
    ("He was held at HMP Wandsworth.", []),
    ("Manchester United and Leicester City fans.", []),
    ("The Pembrokeshire Herald reported it.", []),
    ("A Staffordshire bull terrier bit the baby.", []),
    ("Nottingham City CCG and Nottingham City Council made a film.", ["Nottingham"]),
    ("Nottingham City Council and Nottingham City CCG made a film.", ["Nottingham"]),
    ("Hackney Council and Homerton University Hospital agreed.", ["Hackney"]),
])
def test_an_institution_named_after_a_place_is_not_the_area(
    text: str, expected: list[str]
) -> None:
    assert _tagged(text) == expected


FINDING = ("The review found that practitioners in Hackney did not share what they knew about "
           "the family, and that the plan was closed too early.")


@pytest.mark.parametrize("lines", [
    "Care Quality Commission\nCitygate\nGallowgate\nNewcastle upon Tyne\nNE1 4PA",
    "Ofsted, Piccadilly Gate, Store Street, Manchester M1 2WD",
    "Department for Education, Sanctuary Buildings, Great Smith Street, London SW1P 3BT",
    "DfES Publications, PO Box 5050, Annesley, Nottingham NG15 0DJ",
    "Care Inspectorate Wales, Rhydycar Business Park, Merthyr Tydfil CF48 1UZ",
    "Estyn, Anchor Court, Keen Road, Cardiff CF24 5JW",
    "Safeguarding Board for Northern Ireland, 12 Linenhall Street, Belfast BT2 8BS",
    "Published by the Department of Health, Castle Buildings, Stormont, Belfast",
    "Email: enquiries@cumbria.gov.uk Website: www.ddscp.org.uk",
    "© Crown copyright 2019, Welsh Government, Cathays Park, Cardiff",
    "Smith, J. (2010) Working together. Bristol: Policy Press.\n"
    "Brown, K. (2014) Reviews. London: Jessica Kingsley.\n"
    "Green, L. (2012) Neglect. Brighton: Pavilion.",
])
def test_addresses_publishers_and_references_are_not_areas(lines: str) -> None:
    assert _tagged(f"{FINDING} {FINDING}\n{lines}") == ["Hackney"]


def test_in_prose_only_the_sentence_with_the_link_is_skipped() -> None:
    text = ("The learning came from a serious case review in Cambridgeshire, and partners were "
            "reminded when to tell families about a referral to the hub. The guidance is at "
            "https://example.org/guidance for everyone in Peterborough to read in full.")
    assert _tagged(text) == ["Cambridgeshire"]


# -- the Scottish behaviour ------------------------------------------------------------------


def test_the_scottish_places_and_keys_are_as_before() -> None:
    places = default_places()
    assert places.place["Clackmannanshire and Stirling Child Protection Committee"] == (
        "Clackmannanshire", "Stirling")
    assert set(places.keys["Fife"]) == {"Fife", "Fife Child Protection Committee", "NHS Fife"}
    assert places.keys["NHS Fife"] == ("NHS Fife",)
    assert set(places.keys["East and Midlothian Public Protection Committee"]) == {
        "East and Midlothian Public Protection Committee", "East Lothian", "Midlothian",
        "NHS Lothian"}
    assert _tagged("Practitioners in Fife and Angus CPC found it useful.") == ["Angus", "Fife"]


def test_a_committee_without_members_is_read_from_its_name(tmp_path: Path) -> None:
    rows = json.loads(data_path("areas.json").read_text(encoding="utf-8"))
    for row in rows["areas"]:
        row.pop("members", None)
    path = tmp_path / "areas.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    places = Places.build(Gazetteer.load(path))
    assert places.place["East and Midlothian Public Protection Committee"] == (
        "East Lothian", "Midlothian")
    assert places.place["Derby and Derbyshire Safeguarding Children Partnership"] == (
        "Derby and Derbyshire Safeguarding Children Partnership",)
