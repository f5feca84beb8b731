"""An extractive answer is completed by the neighbour its best sentence leans on: the sentence
before one that refers back ("the hit Danish drama" after the drama's name), the sentence after
one that restates the question; it opens with its article's headline; and a sentence that asks
(a news quiz) is never the answer."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from assistant import Assistant
from assistant.config import Settings
from assistant.query.answerer import CLOSEST, Answerer
from assistant.query.context import refers_back, restates, section_heading, usable
from assistant.query.question import analyse

ARTICLES = [
    {
        "title": "Streaming service renews drama",
        "source": "Screen Weekly",
        "published": "2024-03-04",
        "url": "https://context.example/screen/renewal",
        "text": "Harbor Lights is coming back.\n\nThe streaming service said on Monday that the hit Danish "
        "drama would return for a third season, after the second drew record audiences across Europe."
        "\n\nFilming starts in Aarhus in the autumn.",
    },
    {
        "title": "Museum picks a new home",
        "source": "City Notes",
        "published": "2024-03-05",
        "url": "https://context.example/city/museum",
        "text": "After two years of debate, the city council chose a site for the new maritime museum on "
        "Tuesday.\n\nThe museum will move to the old customs house on the quay.\n\nIt opens in 2027.",
    },
    {
        "title": "The weekly news quiz",
        "source": "Quiz Desk",
        "published": "2024-03-08",
        "url": "https://context.example/quiz/week-10",
        "text": "Test yourself on the week's news.\n\nWhich building will the new maritime museum move "
        "to on the quay?\n\nAnswers are at the bottom of the page.",
    },
    {
        "title": "Morning briefing: what to know today",
        "source": "City Notes",
        "published": "2024-03-09",
        "url": "https://context.example/city/briefing-0309",
        "text": "Here is what to know this morning.\n\nLantern parade\n\nThousands lined the canal on "
        "Friday night to watch four hundred paper boats float past the old mill.\n\nCity budget\n\n"
        "The council passed next year's budget after a late-night vote.",
    },
]


@pytest.fixture(scope="module")
def screen(tmp_path_factory) -> Assistant:
    path = tmp_path_factory.mktemp("context-data") / "articles.jsonl"
    path.write_text("\n".join(json.dumps(a) for a in ARTICLES), encoding="utf-8")
    assistant = Assistant(store_dir=tmp_path_factory.mktemp("context"), settings=Settings.from_env(env={}))
    assert len(assistant.ingest([path]).added) == 4
    return assistant


def test_which_phrase_and_references():
    question = analyse("Which hit drama will return for a third season?")
    assert question.asks_for == ("hit", "drama")
    assert refers_back("The service said the hit Danish drama would return.", question)
    assert refers_back("But those shelves are empty now.", analyse("Which condiment is missing?"))
    assert not refers_back("Harbor Lights is coming back.", question)
    assert restates("A hit drama will return for a third season.", question)
    assert not restates("Harbor Lights is coming back for a third season in Aarhus.", question)
    assert not usable("CNN —") and usable("Harbor Lights is coming back.")


def test_the_asking_sentence_sets_the_answer_type():
    # The scene-setting sentence's "number of" does not make a "where" question a count.
    question = analyse("A growing number of people are leaving big cities. Where are many of them moving?")
    assert question.kind == "place"
    assert analyse("Which city has the largest number of bridges?").kind == "number"
    assert analyse("Fans asked what the club would do next. Which player is leaving?").asks_for == ("player",)


def test_answer_adds_the_sentence_a_reference_leans_on(screen):
    answer = screen.ask("Which hit drama will return for a third season?")
    assert not answer.abstained
    assert "Harbor Lights" in answer.text, answer.text
    assert answer.text.startswith("From “Streaming service renews drama”: The streaming service said")
    # The best sentence stays the first citation; its antecedent follows.
    assert answer.citations[0].quote.startswith("The streaming service said on Monday")
    assert answer.citations[1].quote == "Harbor Lights is coming back."


def test_answer_adds_the_sentence_after_a_restated_question(screen):
    answer = screen.ask(
        "After two years of debate, which site did the city council choose for the maritime museum?"
    )
    assert not answer.abstained
    assert "customs house" in answer.text, answer.text


def test_a_question_in_an_article_is_never_the_answer(screen):
    # The quiz repeats the question word for word; the museum story answers it.
    answer = screen.ask("Which building will the new maritime museum move to on the quay?")
    assert not answer.abstained
    assert all(c.source != "Quiz Desk" for c in answer.citations), answer.citations
    assert "customs house" in answer.text, answer.text


def test_an_answer_under_a_section_heading_opens_with_it(screen):
    # A digest's topic line names what its first sentence leaves out; the briefing's own headline
    # would not. A dateline line is not a heading.
    answer = screen.ask("What did thousands watch float past the old mill on Friday night?")
    assert answer.text.startswith("From “Lantern parade”: Thousands lined the canal"), answer.text
    assert section_heading("CNN —\n\nA storm hit the coast.", 7) is None


def test_the_closest_passage_opens_with_its_headline_too(screen):
    question = "Which hit drama will return for a third season?"
    confidence = screen.ask(question).confidence
    settings = replace(screen.settings, abstain_threshold=confidence + 0.01)  # just under it
    closest = Answerer(settings, screen._embedder, screen._store, screen._keyword).answer(question)
    assert closest.abstained and len(closest.citations) == 1
    lead = f"{CLOSEST} From “Streaming service renews drama”: The streaming service"
    assert closest.text.startswith(lead), closest.text
