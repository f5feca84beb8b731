"""An extractive answer opens with its article's headline; a question's type comes from its
asking sentence; and a sentence that asks (a news quiz) is never the answer."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from assistant import Assistant
from assistant.config import Settings
from assistant.query.answerer import CLOSEST, Answerer
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
]


@pytest.fixture(scope="module")
def screen(tmp_path_factory) -> Assistant:
    path = tmp_path_factory.mktemp("context-data") / "articles.jsonl"
    path.write_text("\n".join(json.dumps(a) for a in ARTICLES), encoding="utf-8")
    assistant = Assistant(store_dir=tmp_path_factory.mktemp("context"), settings=Settings.from_env(env={}))
    assert len(assistant.ingest([path]).added) == 3
    return assistant


def test_the_asking_sentence_sets_the_answer_type():
    # The scene-setting sentence's "number of" does not make a "where" question a count.
    question = analyse("A growing number of people are leaving big cities. Where are many of them moving?")
    assert question.kind == "place"
    assert analyse("Which city has the largest number of bridges?").kind == "number"


def test_a_question_in_an_article_is_never_the_answer(screen):
    # The quiz repeats the question word for word; the museum story answers it.
    answer = screen.ask("Which building will the new maritime museum move to on the quay?")
    assert not answer.abstained
    assert all(c.source != "Quiz Desk" for c in answer.citations), answer.citations
    assert "customs house" in answer.text, answer.text


def test_the_closest_passage_opens_with_its_headline_too(screen):
    question = "Which hit drama will return for a third season?"
    confidence = screen.ask(question).confidence
    settings = replace(screen.settings, abstain_threshold=confidence + 0.01)  # just under it
    closest = Answerer(settings, screen._embedder, screen._store, screen._keyword).answer(question)
    assert closest.abstained and len(closest.citations) == 1
    lead = f"{CLOSEST} From “Streaming service renews drama”: The streaming service"
    assert closest.text.startswith(lead), closest.text
