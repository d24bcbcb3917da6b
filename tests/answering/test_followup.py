"""Follow-up questions: the search query keeps the topic a short question leaves implicit."""

from __future__ import annotations

import pytest

from assistant.answering.followup import build_query, content_words, is_follow_up

NEGLECT = "what do reviews say about neglect?"


def words(text: str) -> set[str]:
    return {w.lower().strip("?") for w in text.split()}


def test_first_question_is_searched_as_it_stands() -> None:
    assert build_query(NEGLECT, []) == NEGLECT
    assert build_query("  in adolescents? ", []) == "in adolescents?"


def test_and_question_inherits_the_topic() -> None:
    query = build_query("and in adolescents?", [NEGLECT])
    assert {"neglect", "adolescents"} <= words(query)
    assert query == "neglect in adolescents?"


@pytest.mark.parametrize(
    "follow_up",
    ["in adolescents?", "What about adolescents?", "how about adolescents", "Adolescents?",
     "And adolescents", "or for adolescents?", "but what about adolescents?"],
)
def test_fragments_and_connectives_inherit_the_topic(follow_up: str) -> None:
    assert {"neglect", "adolescents"} <= words(build_query(follow_up, [NEGLECT]))


@pytest.mark.parametrize(
    "follow_up", ["what did they recommend?", "why?", "Why was that?", "what caused it?"]
)
def test_pronoun_led_questions_continue_the_last_query(follow_up: str) -> None:
    query = build_query(follow_up, [NEGLECT, "and in adolescents?"])
    assert {"neglect", "adolescents"} <= words(query.replace(":", " "))


@pytest.mark.parametrize(
    "question",
    [
        "How did Glasgow Child Protection Committee respond to an SCR about neglect?",
        "What were the most common causes of death among the children reviewed?",
        "What did Dundee learn from its reviews?",  # "its" refers inside the question
        "What is neglect?",
        "Which areas changed their practice after a review of sexual abuse?",
    ],
)
def test_a_full_new_question_stands_alone(question: str) -> None:
    assert build_query(question, [NEGLECT, "and in adolescents?"]) == question
    assert not is_follow_up(question, [NEGLECT])


def test_a_second_facet_replaces_the_first_rather_than_piling_up() -> None:
    query = build_query("and in infants?", [NEGLECT, "and in adolescents?"])
    assert {"neglect", "infants"} <= words(query)
    assert "adolescents" not in words(query)


def test_topic_survives_a_pronoun_turn() -> None:
    history = [NEGLECT, "and in adolescents?", "what did they recommend?"]
    assert {"neglect", "infants"} <= words(build_query("and in infants?", history))


def test_a_new_question_becomes_the_new_topic() -> None:
    history = [NEGLECT, "How did Glasgow Child Protection Committee respond to SCRs?"]
    query = build_query("and in Dundee?", history)
    assert "Dundee" in query and "Glasgow" in query
    assert "neglect" not in words(query)


def test_names_keep_their_case_and_words_are_not_repeated() -> None:
    query = build_query("what about neglect in Glasgow?", ["How did Glasgow respond to SCRs?"])
    assert query.count("Glasgow") == 1
    assert "neglect" in query


def test_inherited_words_are_capped() -> None:
    long = "neglect drugs alcohol housing poverty schools police health nurses midwives"
    query = build_query("and adolescents?", [long + "?"])
    assert len(query.split()) <= 8 + 1


def test_blank_and_empty_history_entries_are_harmless() -> None:
    assert build_query("", [NEGLECT]) == ""
    assert build_query("and in adolescents?", ["", "  "]) == "in adolescents?"
    assert is_follow_up("and in adolescents?", [NEGLECT])
    assert not is_follow_up("and in adolescents?", [])


def test_content_words_drop_question_words_and_generic_verbs() -> None:
    assert content_words("What do the reviews say about neglect of infants?") == [
        "neglect",
        "infants",
    ]
