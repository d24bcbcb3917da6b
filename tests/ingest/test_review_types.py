"""Review types on the document card (issue 14): which of the four UK systems' reviews a
document is or is about, read through the real pipeline from the shared corpus's web pages and
PDFs (the expectations written from reading each page), the rule on made-up text ("SCR" by
nation, abbreviations, passing mentions), filters as a person types them, and filtering
through a real Chroma store with the real model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import CORPUS, CORPUS_PDF, CORPUS_WEB, AssistantRunner

from assistant.cli import main
from assistant.core import Assistant
from assistant.library.filters import FilterError, Filters, resolve
from assistant.types import CardKey, Document, Page
from ingest.cardinfer import infer_card
from ingest.metadata import MetadataIndex
from ingest.pipeline import ChunkingParams, Prepared, prepare
from ingest.reviewtypes import default_review_types, find_review_types
from ui import structure

ICR, SCR_SCOT, LR = "initial case review", "significant case review", "learning review"
SCR_ENG, LCSPR = "serious case review", "local child safeguarding practice review"
RAPID, NATIONAL = "rapid review", "national child safeguarding practice review"
CPR, CONCISE, EXTENDED = ("child practice review", "concise child practice review",
                          "extended child practice review")
CMR, THEMATIC = "case management review", "thematic review"
BRIEFING = "learning-from-serious-case-reviews-briefing.pdf"
TRIENNIAL = "ci-triennial-review-icrs-scrs-2018-2021.pdf"

# page -> (review types, strongest first; the card's nation, where the review types or the
# page's own words make it plain), from reading each page
WEB = {
    # Wales: a review that is an extended CPR; a board's page on CPRs and their two kinds;
    # a board's statement on the CPR it is carrying out; Gwent's "Practice Review" page (its
    # adult practice reviews are not child practice reviews); a guide to CPRs
    "cysur-4-2017-extended-child-practice-review-powys.md": ([EXTENDED, CPR], "Wales"),
    "cysur-child-practice-reviews.md": ([CPR, CONCISE], "Wales"),
    "ctmsb-response-logan-mwangi-child-practice-review.md": ([CPR], "Wales"),
    "gwent-safeguarding-what-is-a-practice-review.md": ([CPR], "Wales"),
    "virtual-college-what-is-a-child-practice-review.md": ([CPR], "Wales"),
    # Northern Ireland: the SBNI's CMR panel, a guide to CMRs, the first CMR overview report,
    # an interview about the CMRs the new board took on
    "sbni-case-management-review-panel.md": ([CMR], "Northern Ireland"),
    "virtual-college-guide-to-case-management-reviews-ni.md": ([CMR], "Northern Ireland"),
    "ni-dhssps-poots-welcomes-case-management-overview-report.md": ([CMR], "Northern Ireland"),
    "thedetail-sbni-signposts-for-the-future.md": ([CMR], "Northern Ireland"),
    # England: an LCSPR briefing, Child Q's LCSPR twice (Hackney's page names no nation word
    # the card reads: the review type says England), the LCSPR process; the Panel's national
    # reviews; triennial analyses of serious case reviews; a local thematic review; the
    # Panel's national thematic review (of SUDI)
    "birmingham-scp-cspr-briefing-bscp2020-21-01.md": ([LCSPR], "England"),
    "safeguardinginschools-child-q-review.md": ([LCSPR], "England"),
    "hackney-council-response-child-q-review.md": ([LCSPR], "England"),
    "rip-making-lcspr-process-clearer-2024.md": ([LCSPR], "England"),
    "cambs-peterborough-panel-third-national-review.md": ([NATIONAL], "England"),
    "sutton-lscp-intrafamilial-child-sexual-abuse-review.md": ([NATIONAL], "England"),
    "socialworkers-panel-annual-report-2018-19.md": ([NATIONAL, RAPID], "England"),
    "nspcc-triennial-analysis-scrs-2011-2014.md": ([SCR_ENG], "England"),
    "rip-seriouscasereviews-complexity-and-challenge.md": ([SCR_ENG], "England"),
    "cumbria-scp-learning-from-serious-case-reviews.md": ([SCR_ENG], "England"),
    "wandsworth-scp-7-minute-briefings.md": ([LCSPR, SCR_ENG], "England"),
    "devon-scp-thematic-review-nai-infants-0-2.md": ([THEMATIC], None),
    "rip-sudi-safe-sleeping-strategic-briefing-2020.md": ([THEMATIC, NATIONAL], "England"),
    # Scotland: the learning review protocol; SCRs (mostly abbreviated "SCR") in the news
    "gov-scot-learning-reviews-protocol-police-copfs.md": ([LR], "Scotland"),
    "nspcc-learning-from-significant-case-reviews-scotland-2012-2015.md": ([SCR_SCOT],
                                                                           "Scotland"),
    "press-and-journal-sharp-rise-significant-case-reviews-2019.md": ([SCR_SCOT], "Scotland"),
    "virtual-college-guide-to-significant-case-reviews-scotland.md": ([SCR_SCOT], "Scotland"),
    # a Scottish blog on using the Welsh CPR framework, after English serious case reviews
    "celcis-welsh-child-practice-review-framework-aberdeen.md": ([CPR, SCR_ENG], None),
    # none: Wales's "child protection rapid review" is an inspectorates' review, not England's
    # rapid review, and its "CPR" is the child protection register; one passing mention of
    # CSPRs in a chronologies procedure; Leeds's page names rapid reviews, LCSPRs and national
    # reviews once each; an inspection blog
    "hiw-follow-up-statement-child-protection-rapid-review.md": ([], "Wales"),
    "darlington-sp-multi-agency-chronologies.md": ([], None),
    "leeds-scp-learning-from-reviews-2021-22.md": ([], None),
    "ofsted-blog-jtai-supporting-multi-agency-working.md": ([], "England"),
}


def _prepared(path: Path, metadata: MetadataIndex | None = None) -> Prepared:
    return prepare(path, metadata or MetadataIndex(), ChunkingParams(file_timeout_s=0))


def _document(text: str, title: str = "A report") -> Document:
    return Document("d" * 64, "report.txt", title, (Page(1, text),))


@pytest.mark.parametrize("name", sorted(WEB))
def test_web_pages_get_the_review_types_they_are_about(name: str) -> None:
    wanted, nation = WEB[name]
    prepared = _prepared(CORPUS_WEB / name)
    card = prepared.document.meta
    assert card.get(CardKey.REVIEW_TYPES, []) == wanted
    if nation:
        assert card.get(CardKey.NATION) == nation
    for chunk in prepared.chunks:  # every passage carries them, for the filters
        assert chunk.review_types == wanted
    if wanted:
        assert CardKey.REVIEW_TYPES in str(card[CardKey.INFERRED]).split(",")


def test_types_of_two_nations_imply_no_nation() -> None:
    doc = _prepared(CORPUS_WEB / "celcis-welsh-child-practice-review-framework-aberdeen.md"
                    ).document
    found = find_review_types(doc.title, "\n".join(p.text for p in doc.pages))
    assert found.labels == [CPR, SCR_ENG] and found.nation is None


def test_the_learning_review_guidance_is_first_about_learning_reviews() -> None:
    """It replaces the SCR guidance and says so twice; it is about learning reviews."""
    card = _prepared(CORPUS_WEB / "gov-scot-learning-reviews-guidance-2024-introduction.md"
                     ).document.meta
    assert card[CardKey.REVIEW_TYPES][0] == LR and card[CardKey.NATION] == "Scotland"
    assert ICR not in card[CardKey.REVIEW_TYPES]  # named once


@pytest.mark.parametrize(("name", "wanted"), [
    (TRIENNIAL, [SCR_SCOT, ICR, LR]),  # SCR is Scotland's; learning reviews are its future
    ("ci-news-learning-from-scrs-2012-2015.pdf", [SCR_SCOT]),
    ("ci-news-learning-from-scrs-2015-2018.pdf", [SCR_SCOT]),
    (BRIEFING, [SCR_ENG]),  # the same "SCR", in England
    ("ci-joint-inspections-child-protection-2009-2012-summary.pdf", []),  # inspections
])
def test_the_shared_pdfs_with_their_metadata_csv(name: str, wanted: list[str]) -> None:
    prepared = _prepared(CORPUS_PDF / name, MetadataIndex(CORPUS / "metadata.csv"))
    assert prepared.document.meta.get(CardKey.REVIEW_TYPES, []) == wanted
    assert all(c.review_types == wanted for c in prepared.chunks)


# -- the rule, on made-up text ---------------------------------------------------------------


def test_scr_is_read_by_the_documents_nation() -> None:
    text = "The SCR found gaps. The SCR made four recommendations. Each SCR was read."
    assert find_review_types("Report", text, "Scotland").labels == [SCR_SCOT]
    assert find_review_types("Report", text, "England").labels == [SCR_ENG]
    assert find_review_types("Report", text).labels == []  # no nation, nothing spelt out
    spelt = "Serious case reviews (SCRs) are local. " + text
    assert find_review_types("Report", spelt).labels == [SCR_ENG]
    both = "Unlike England's serious case reviews, significant case reviews ... " + text
    assert find_review_types("Report", both, "Scotland").labels[0] == SCR_SCOT
    assert find_review_types("Report", both, "England").labels[0] == SCR_ENG
    card = infer_card(_document("Significant case reviews in Scotland. " + text), {})
    assert card[CardKey.REVIEW_TYPES] == [SCR_SCOT] and card[CardKey.NATION] == "Scotland"


def test_abbreviations_need_their_name_and_a_definition_is_one_mention() -> None:
    register = "The CPR was checked. A child on the CPR. The CPR is the register. CPR again."
    assert find_review_types("Report", register, "Wales").labels == []
    defined = "A case management review (CMR) was held."
    assert find_review_types("Report", defined).labels == []  # one mention only
    assert find_review_types("Report", defined + " The CMR found gaps.").labels == [CMR]
    assert find_review_types("Case management reviews", defined).labels == [CMR]  # the title


def test_generic_names_count_only_in_their_nation() -> None:
    text = "A rapid review was held. The rapid review led to a learning review."
    assert find_review_types("Report", text, "England").labels == [RAPID]
    assert find_review_types("Report", text, "Wales").labels == []
    learning = "The learning review met. The learning review reported. " * 2
    assert find_review_types("Report", learning, "Scotland").labels == [LR]
    assert find_review_types("Report", learning, "England").labels == []
    adult = "Adult practice reviews and adult practice reviews. " * 3
    assert find_review_types("Report", adult, "Wales").labels == []


def test_passing_mentions_of_other_systems_do_not_count() -> None:
    long = ("The case management review found ... " * 20
            + "England's serious case reviews and Wales's child practice reviews differ. "
              "So do serious case reviews and child practice reviews.")
    found = find_review_types("Report", long)
    assert found.labels == [CMR] and found.nation == "Northern Ireland"


def test_metadata_csv_review_type_joins_the_review_types() -> None:
    doc = _document("A review of the help a family had. " * 5, "Child A")
    card = infer_card(doc, {"review_type": "Case Management Review",
                            "geography": "Northern Ireland"})
    assert card[CardKey.DOC_TYPE] == "case management review"  # as before
    assert card[CardKey.REVIEW_TYPES] == [CMR]
    scr = infer_card(doc, {"review_type": "SCR", "geography": "Scotland"})
    assert scr[CardKey.REVIEW_TYPES] == [SCR_SCOT]
    other = infer_card(doc, {"review_type": "briefing"})
    assert CardKey.REVIEW_TYPES not in other


def test_the_data_file_is_whole() -> None:
    catalogue = default_review_types()
    labels = [t.label for t in catalogue.types]
    assert len(set(labels)) == len(labels) == len({t.id for t in catalogue.types})
    assert {t.nation for t in catalogue.types} == {"Scotland", "England", "Wales",
                                                  "Northern Ireland", None}
    assert all(t.parent in catalogue.by_id for t in catalogue.types if t.parent)
    for t in catalogue.types:  # each type finds its own label
        assert t.id in (find_review_types(t.label, "", t.nation).scores or {}), t.label


# -- filters as a person types them ------------------------------------------------------------


def test_resolve_review_types_as_typed() -> None:
    assert resolve(review_types=["CMR"]).review_types == (CMR,)
    assert resolve(review_types=["child practice reviews"]).review_types == (CPR,)
    assert resolve(review_types=["Serious Case Review"]).review_types == (SCR_ENG,)
    assert resolve(review_types=["LCSPR", "rapid review"]).review_types == (LCSPR, RAPID)
    assert resolve(review_types=["extended child practice review"]).review_types == (EXTENDED,)
    assert resolve(review_types=["concise review"]).review_types == (CONCISE,)
    assert resolve(review_types=["SCR"]).review_types == (SCR_SCOT, SCR_ENG)
    assert resolve(review_types=["SCR"], nation="Scotland").review_types == (SCR_SCOT,)
    assert resolve(review_types=["SCRs"], areas=["England"]).review_types == (SCR_ENG,)
    with pytest.raises(FilterError) as raised:
        resolve(review_types=["inquest"])
    assert "unknown review type 'inquest'" in str(raised.value)
    assert CMR in str(raised.value) and CPR in str(raised.value)


def test_review_type_filters_serialise_describe_and_merge() -> None:
    chosen = resolve(review_types=["CPR"], nation="Wales")
    assert chosen.to_dict() == {"nations": ["Wales"], "review_types": [CPR]}
    assert chosen.describe() == f"nation Wales; review type {CPR}"
    assert chosen.where() == {"$and": [{"m_nation": {"$in": ["Wales"]}},
                                       {"m_review_types": {"$contains": CPR}}]}
    assert Filters(areas=("Cardiff",)).merged(chosen).review_types == (CPR,)
    assert chosen.merged(Filters(review_types=(CMR,))).review_types == (CPR,)
    assert bool(Filters(review_types=(CMR,)))


# -- through a real store ------------------------------------------------------------------------

QUESTION = "What do the reviews say about neglect?"


@pytest.mark.slow
def test_filtering_by_review_type_through_the_store(corpus_assistant: Assistant) -> None:
    catalog = corpus_assistant.catalog()
    assert catalog.review_types == {SCR_SCOT: 3, ICR: 1, LR: 1, SCR_ENG: 1}
    serious = corpus_assistant.ask(QUESTION, k=12, filters=resolve(review_types=[SCR_ENG]))
    assert serious.evidence and {e.chunk.file for e in serious.evidence} == {BRIEFING}
    assert serious.filters == {"review_types": [SCR_ENG]}
    assert any(f"review type {SCR_ENG}" in n for n in serious.notes)
    scottish = corpus_assistant.ask(QUESTION, k=12, filters=resolve(review_types=["SCR"],
                                                                     nation="Scotland"))
    assert scottish.evidence and BRIEFING not in {e.chunk.file for e in scottish.evidence}
    initial = corpus_assistant.ask(QUESTION, k=12, filters=resolve(review_types=["ICR"]))
    assert {e.chunk.file for e in initial.evidence} == {TRIENNIAL}
    missing = corpus_assistant.ask(QUESTION, filters=resolve(review_types=["CMR"]))
    assert missing.kind == "not-covered" and not missing.citations
    assert f"No indexed document is of review type '{CMR}'" in missing.text
    assert SCR_SCOT in missing.text  # and what the library does have
    neglect = {t.id: t for t in catalog.themes()}["neglect"]
    assert neglect.by_review_type[SCR_SCOT] > 0
    # practice examples keep the filter (rla examples --review-type, and in the chat)
    every = corpus_assistant.examples()
    only = corpus_assistant.examples(resolve(review_types=["ICR"]))
    assert only and len(only) < len(every) and {e.file for e in only} == {TRIENNIAL}
    asked = corpus_assistant.ask("Give me practice examples", filters=resolve(
        review_types=[SCR_ENG]))
    assert asked.citations and {c.file for c in asked.citations} == {BRIEFING}


@pytest.mark.slow
def test_rla_review_type_option_and_list(corpus_assistant: Assistant) -> None:
    cli = AssistantRunner(corpus_assistant)
    out = cli.invoke(main, ["ask", QUESTION, "--review-type", "serious case review", "--json"])
    assert out.exit_code == 0, out.output
    answer = json.loads(out.output)
    assert answer["filters"]["review_types"] == [SCR_ENG]
    assert {e["file"] for e in answer["evidence"]} == {BRIEFING}
    bad = cli.invoke(main, ["ask", QUESTION, "--review-type", "inquest"])
    assert bad.exit_code == 1 and "unknown review type 'inquest'" in bad.output
    listed = cli.invoke(main, ["list"])
    lines = {line.split("\t")[0]: line.split("\t") for line in listed.output.splitlines()}
    assert lines[BRIEFING][4] == SCR_ENG
    assert lines[TRIENNIAL][4] == f"{SCR_SCOT}; {ICR}; {LR}"
    cards = {c["file"]: c for c in json.loads(cli.invoke(main, ["list", "--json"]).output)}
    assert cards[BRIEFING]["meta"]["review_types"] == [SCR_ENG]


@pytest.mark.slow
def test_chat_window_review_type_filter(corpus_assistant: Assistant) -> None:
    choices = structure.review_type_choices(corpus_assistant)
    assert choices[0] == (f"{SCR_SCOT} (3)", SCR_SCOT)
    chosen = structure.filters_from_ui(None, "England", None, "(any)", None, None, ["SCR"])
    assert chosen == resolve(review_types=[SCR_ENG], nation="England")
    assert structure.filters_from_ui(None, "(any)", None, "(any)", None, None, []) is None
