"""The Python API end to end: real model, real Chroma store, the seed article. The tests marked
both_backends also run on a Chroma server (tests/conftest.py)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from assistant import Filters, InputError
from tests.conftest import SEED


def _verified(assistant, answer):
    for c in answer.citations:
        assert assistant.article(c.article_id).text[c.start : c.end] == c.quote


@pytest.mark.both_backends
def test_sinai_question_answers_224_with_a_verified_quote(seeded):
    answer = seeded.ask("How many died in the Sinai crash?")
    assert not answer.abstained
    assert "224" in answer.text
    assert "353" not in answer.text and "129" not in answer.text
    first = answer.citations[0]
    assert "224" in first.quote
    assert first.source == "Dawn" and first.published == "2015-11-18"
    _verified(seeded, answer)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("How many people were killed in the Paris attacks?", "129"),
        ("What was the combined death toll of the two attacks together?", "353"),
        ("When did Russia begin air strikes in Syria?", "end of September"),
        ("Who is the French defence minister?", "Le Drian"),
        ("How many EU member states accepted the French request?", "28"),
        ("Who called Raqqa the head of the snake?", "David Cameron"),
        ("Where have British warplanes been bombing the militants?", "Iraq"),
    ],
)
def test_seed_questions(seeded, question, expected):
    answer = seeded.ask(question)
    assert expected in answer.text, answer.text
    _verified(seeded, answer)


@pytest.mark.parametrize(
    "question",
    [
        "Who won the 2015 Rugby World Cup?",
        "What is Pakistan's inflation rate?",
        "What are the IMF's projections for Pakistan's economy?",  # page junk after the article
        "What did the Faizabad dharna inquiry conclude?",
    ],
)
def test_abstains_when_the_article_does_not_cover_it(seeded, question):
    answer = seeded.ask(question)
    assert answer.abstained
    assert answer.citations == []
    assert "don't cover" in answer.text


@pytest.mark.both_backends
def test_chat_follow_up_uses_history(seeded):
    chat = seeded.chat()
    assert "224" in chat.ask("How many died in the Sinai crash?").text
    follow_up = chat.ask("And in Paris?")
    assert "129" in follow_up.text
    assert follow_up.question == "How many died in Paris?"
    chat.clear()
    assert chat.history() == []


@pytest.mark.both_backends
def test_ingest_again_is_skipped_and_delete_removes_everything(make_assistant):
    assistant = make_assistant()
    first = assistant.ingest([SEED])
    assert len(first.added) == 1
    again = assistant.ingest([SEED])
    assert again.skipped == first.added and not again.added
    assert len(assistant.articles()) == 1
    assistant.delete(first.added[0])
    assert assistant.articles() == []
    assert assistant.ask("How many died in the Sinai crash?").abstained
    with pytest.raises(InputError):
        assistant.delete(first.added[0])


@pytest.mark.both_backends
def test_same_url_new_text_replaces_old_article(make_assistant, tmp_path):
    assistant = make_assistant()
    feed = tmp_path / "v1.jsonl"
    record = {
        "url": "https://example.com/a",
        "title": "Bridge",
        "text": "The bridge reopened on Monday after repairs.",
    }
    feed.write_text(json.dumps(record))
    old = assistant.ingest([feed]).added[0]
    record["text"] = "The bridge stayed closed on Monday because repairs ran late."
    feed2 = tmp_path / "v2.jsonl"
    feed2.write_text(json.dumps(record))
    report = assistant.ingest([feed2])
    assert len(report.updated) == 1 and not report.added
    ids = [a.article_id for a in assistant.articles()]
    assert ids == report.updated and old not in ids
    answer = assistant.ask("Did the bridge reopen on Monday?")
    assert "stayed closed" in answer.text


@pytest.mark.both_backends
def test_filters_on_source_and_date(make_assistant, tmp_path):
    assistant = make_assistant()
    feed = tmp_path / "two.jsonl"
    rows = [
        {
            "source": "Gazette",
            "date": "2020-01-10",
            "text": "The mayor of Springfield opened a new library downtown.",
        },
        {
            "source": "Herald",
            "date": "2022-06-01",
            "text": "The mayor of Springfield closed the old library for repairs.",
        },
    ]
    feed.write_text("\n".join(json.dumps(r) for r in rows))
    assistant.ingest([feed])
    q = "What did the mayor of Springfield do with the library?"
    assert "opened" in assistant.ask(q, filters=Filters(source="Gazette")).text
    assert "closed" in assistant.ask(q, filters=Filters(date_from=date(2021, 1, 1))).text
    assert assistant.ask(q, filters=Filters(source="Nobody")).abstained


def test_empty_store_says_so(make_assistant):
    answer = make_assistant().ask("How many died in the Sinai crash?")
    assert answer.abstained and "No articles" in answer.text
