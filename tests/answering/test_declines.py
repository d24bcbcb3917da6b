"""Declines before any search: identity requests and legal advice, and the near misses that are
ordinary questions about what the reviews and guidance say."""

from __future__ import annotations

import dataclasses

import pytest

from assistant.answering.declines import IDENTITY_TEXT, LEGAL_TEXT, Decline, decline

GUIDANCE = [
    "Working Together to Safeguard Children 2023",
    "National Guidance for Child Protection in Scotland 2021",
    "Wales Safeguarding Procedures",
    "Child Practice Reviews: Guidance",
]

IDENTITY_REQUESTS = [
    "What is Child Q's real name?",
    "whats the childs name in the child q review",
    "what was the name of the social worker in the Arthur Labinjo-Hughes case?",
    "what is the family called",
    "Which school was it?",
    "which school did child q go to",
    "can you tell me which school Child U went to",
    "where do they live now?",
    "where does the family live these days",
    "do you know where the family are living now",
    "Who is Ed really?",
    "who was child u in real life",
    "Who is the child in the review really?",
    "who was the mother in the devon briefing in real life",
    "can you unmask family A",
    "de-anonymise the child q review for me",
    "what town is the family from",
    "which village did they move to",
    "what's the mother’s surname",
    "wat is the dads surname in the ed case",
    "tell me the names of the teachers involved in the strip search",
    "what is the home address of the family in the review",
    "whats the family's postcode",
    "where does the social worker work now?",
    "Where did the father work?",
    "can you identify the mother in the Devon review",
    "is there a photo of child q",
    "what's the stepfather's facebook",
    "give me the identity of the nurse",
    "can you guess who the family are",
    "can u tell me who the family in family a are",
    "what was the boy's first name",
    "what was the name of the school",
    "Is Ed's real surname Smith?",
    "I want to know the mother's full name",
    "child q real name",
    "where did ed go to school",
    "What was the name of the police officer who searched Child Q?",
    "Which family was it?",
    "who do you think child q is",
    "list the names of the professionals involved",
    "is child q's mum on facebook",
    "what is the name of the hospital where the baby was treated",
    "who was the social worker for child q",
    "where abouts do they live",
]

ORDINARY_ABOUT_PEOPLE = [
    "What did the Child Q review find?",
    "Who should attend a practice review?",
    "Who gets brought together to talk the case through in a Welsh practice review?",
    "What did the Devon briefing on Ed say about the mother's history?",
    "which professionals missed the signs",
    "who is responsible for convening a learning review",
    "what age had no professional seen him since",
    "Which school staff were criticised in the Child Q review?",
    "What did the Star Hobson review find about the role of the police?",
    "what did the logan mwangi review find about the stepfather",
    "what did the review say about the childs name being spelt differently by agencies",
    "how did professionals respond to the mother's partner's name being an alias",
    "Why are children given pseudonyms like Child Q in reviews?",
    "are the names of professionals published in reviews",
    "What does the guidance say about the use of children's real names in published reviews?",
    "Did professionals know the real identity of the mother's new partner?",
    "did the review protect the family's identity?",
    "Could the child's identity be worked out from a published review?",
    "how did the school identify that the child was at risk?",
    "how can we identify children at risk of exploitation",
    "where was the baby sleeping when he died",
    "Where did the review take place?",
    "What is the name of the review process in Scotland?",
    "what is a rapid review called in wales",
    "what was the child called in the review",
    "what were the names of the agencies involved",
    "what was the name of the meeting where professionals discussed the family",
    "who was actually responsible for the failures",
    "Who was the child living with at the time?",
    "what school-based support did Child U get?",
    "which school nurse saw him",
    "Which school year was Child Q in?",
    "What did the review say about the mother's social media use?",
    "Were photographs taken of the child's injuries?",
    "What did agencies know about where the family lived?",
    "tell me about the family's history with children's services",
    "what was the role of the school in the child q review",
    "did the GP share the mother's address with the health visitor",
    "did anyone confirm the identity of the mother's partner",
    "did the mother disclose her partner's name",
    "what was the significance of the child's name",
    "the child's name and date of birth were wrong on the referral, what did the review say",
    "Who is the named nurse for safeguarding?",
    "Where should a child live if their parent is in prison?",
    "where do children who are neglected usually live",
    "can you identify themes across the reviews",
]

LEGAL_ADVICE_REQUESTS = [
    "can we sue the council",
    "What compensation would we get?",
    "do I have a case against social services?",
    "have i got a case",
    "should I get a solicitor",
    "do we need a lawyer for the child protection conference",
    "is the council liable for what happened to my son",
    "is the nhs trust liable",
    "can i take them to court",
    "Should we take the school to court over what happened to our daughter?",
    "what are my legal rights",
    "what are our rights as parents",
    "what rights do i have as a grandparent",
    "will they be prosecuted",
    "will the mother be charged?",
    "do u think the police will be charged",
    "Are the social workers going to jail?",
    "should the mother have been prosecuted",
    "could the school be prosecuted",
    "Could the family sue the school?",
    "how much compensation could we claim",
    "am i entitled to compensation",
    "is it worth suing the local authority",
    "I need legal advice about my grandson's case",
    "i want to sue the council for what happened",
    "we are thinking of taking the school to court",
    "can my family bring a claim against the police",
    "was it illegal what the school did to my daughter",
    "could i be sued for missing the signs",
    "is there a case against the police",
    "The review found the council at fault - is it liable?",
    "what would the payout be",
    "what legal action can we take",
    "my son was strip searched, can i sue",
]

ORDINARY_ABOUT_LAW = [
    "What does the guidance say about legal duties to refer?",
    "If there's a prosecution running, does the Scottish learning review have to wait?",
    "what is the statutory guidance for rapid reviews",
    "Did the review consider whether the school broke the law?",
    "Did the review say whether the family could sue?",
    "Can professionals be prosecuted for failing to share information?",
    "Can a review go ahead if someone could be prosecuted?",
    "If the parents are charged, does the rapid review still go ahead?",
    "How do reviews handle parallel criminal proceedings?",
    "What did the review say about the council's legal duties?",
    "Did any review recommend that families receive compensation?",
    "what legal powers do the police have to remove a child",
    "Were the perpetrators in the Star Hobson case convicted?",
    "Was anyone prosecuted after Arthur's death?",
    "I'm a teacher - what does the guidance say about my duty to refer?",
    "We have a case conference next week, what should we prepare?",
    "what are the rights of children in the child protection process?",
    "what are parents' rights at a child protection conference",
    "Does a learning review decide who is liable?",
    "Is liability discussed in the review?",
    "What does Working Together say about when to seek legal advice?",
    "What does the guidance say about parents bringing a solicitor to a conference?",
    "We're running a training session: what do reviews say about families taking legal action?",
    "who is legally responsible for convening a child safeguarding practice review",
    "what is the legal threshold for care proceedings",
    "is a rapid review legally required",
    "Can the review be published before the trial?",
    "should a practitioner seek legal advice before a strategy meeting",
    "can a child protection conference go ahead during criminal proceedings",
    "what is the role of the local authority solicitor in care proceedings",
    "how should practitioners respond if a parent threatens legal action",
]


@pytest.mark.parametrize("question", IDENTITY_REQUESTS)
def test_identity_requests_are_declined(question: str) -> None:
    assert decline(question) == Decline("identity", IDENTITY_TEXT)


@pytest.mark.parametrize("question", ORDINARY_ABOUT_PEOPLE)
def test_questions_that_name_a_review_or_a_role_are_ordinary(question: str) -> None:
    assert decline(question) is None


@pytest.mark.parametrize("question", LEGAL_ADVICE_REQUESTS)
def test_requests_for_legal_advice_are_declined(question: str) -> None:
    declined = decline(question)
    assert declined is not None and declined.kind == "legal-advice"
    assert declined.text == LEGAL_TEXT


@pytest.mark.parametrize("question", ORDINARY_ABOUT_LAW)
def test_questions_about_what_documents_say_about_law_are_ordinary(question: str) -> None:
    assert decline(question, GUIDANCE) is None


def test_identity_reason_says_why_and_what_it_can_do_instead() -> None:
    declined = decline("What is Child Q's real name?", GUIDANCE)
    assert declined is not None
    assert "anonymised" in declined.text
    assert "a child, a relative or a professional" in declined.text
    assert declined.text.endswith("It can tell you what the review found and what it recommended.")
    assert "Working Together" not in declined.text  # guidance is for legal questions only


def test_legal_decline_points_to_at_most_three_guidance_titles() -> None:
    declined = decline("can we sue the council", GUIDANCE)
    assert declined is not None
    assert declined.text == (
        f"{LEGAL_TEXT} The library's guidance documents may help with how reviews and "
        "safeguarding procedures work: Working Together to Safeguard Children 2023; National "
        "Guidance for Child Protection in Scotland 2021; Wales Safeguarding Procedures."
    )
    assert "Child Practice Reviews: Guidance" not in declined.text


def test_legal_decline_without_guidance_names_no_titles() -> None:
    assert decline("should I get a solicitor") == Decline("legal-advice", LEGAL_TEXT)
    assert decline("should I get a solicitor", ["", "  "]) == Decline("legal-advice", LEGAL_TEXT)


def test_repeated_titles_are_named_once() -> None:
    declined = decline("do i have a case", ["Wales Safeguarding Procedures"] * 4)
    assert declined is not None
    assert declined.text.endswith("procedures work: Wales Safeguarding Procedures.")


def test_case_spacing_and_curly_quotes_do_not_matter() -> None:
    for question in ("WHAT IS CHILD Q’S REAL NAME?", "  where   do they\tlive now  "):
        declined = decline(question)
        assert declined is not None and declined.kind == "identity"
    assert decline("CAN WE SUE THE COUNCIL?") is not None


def test_identity_is_the_reason_when_both_apply() -> None:
    declined = decline("can we sue the social worker? what is her real name?")
    assert declined is not None and declined.kind == "identity"


def test_a_decline_is_immutable() -> None:
    declined = decline("can we sue the council")
    assert declined is not None
    with pytest.raises(dataclasses.FrozenInstanceError):
        declined.kind = "identity"  # type: ignore[misc]


def test_empty_and_long_questions_are_ordinary() -> None:
    assert decline("") is None
    assert decline("?") is None
    # Long runs of the words the patterns look for finish (every gap is bounded) and decline
    # nothing they do not ask.
    for unit in ("what is the ", "where do the ", "if they will be charged ", "child's ", "- "):
        assert decline(unit * (50_000 // len(unit))) is None
