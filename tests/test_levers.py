"""Ranking levers for news: dates read against publication, "latest" questions, syndicated copies.

The corpus (tests/data/levers/) holds two reports of one earthquake on different days with
different death tolls, a syndicated copy of the later one (another source, a few words changed),
and articles that speak of days relatively ("resigned yesterday", "last month", "on Friday").
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.config import Settings
from assistant.evaluate import evaluate, load_cases
from assistant.query.dates import DateRef, mentions, question_dates, sentence_periods
from assistant.query.question import analyse
from assistant.query.retrieve import retrieve
from assistant.schema import Filters

LEVERS = Path(__file__).parent / "data" / "levers"


def test_question_dates():
    assert question_dates("Who resigned on March 8?") == (DateRef(3, 8),)
    assert question_dates("What happened in February 2024?") == (DateRef(2, None, 2024),)
    assert question_dates("Deaths on 2024-03-14 and 9 Oct 2015?") == (
        DateRef(3, 14, 2024),
        DateRef(10, 9, 2015),
    )
    assert question_dates("Who may win the vote?") == ()


def test_relative_dates_read_against_the_publication_date():
    friday = date(2024, 3, 15)
    assert sentence_periods("He resigned yesterday.", friday) == [(date(2024, 3, 14), date(2024, 3, 14))]
    assert sentence_periods("Last month rates rose.", friday) == [(date(2024, 2, 1), date(2024, 2, 29))]
    assert sentence_periods("Talks failed last week.", friday) == [(date(2024, 3, 4), date(2024, 3, 10))]
    assert sentence_periods("Rain fell on Tuesday.", friday) == [(date(2024, 3, 12), date(2024, 3, 12))]
    assert sentence_periods("Rain fell on Friday.", friday) == [(friday, friday)]
    assert sentence_periods("It began on Dec 30.", date(2024, 1, 2)) == [
        (date(2023, 12, 30), date(2023, 12, 30))
    ]
    refs = question_dates("Who resigned on March 14?")
    assert mentions(refs, "Omar Baig resigned yesterday.", "2024-03-15")
    assert not mentions(refs, "Omar Baig resigned yesterday.", "2024-03-20")
    assert not mentions(refs, "Omar Baig resigned yesterday.", None)


def test_recency_cues():
    assert analyse("What is the latest death toll?").recency == "latest"
    assert analyse("What is the most recent figure?").recency == "latest"
    assert analyse("What was the first reported death toll?").recency == "earliest"
    assert analyse("Who is the defence minister?").recency is None


@pytest.fixture(scope="module")
def levers(tmp_path_factory) -> Assistant:
    assistant = Assistant(store_dir=tmp_path_factory.mktemp("levers"), settings=Settings.from_env(env={}))
    assert len(assistant.ingest([LEVERS / "articles.jsonl"]).added) == 5
    return assistant


def test_levers_question_set(levers):
    cases, _ = load_cases(LEVERS / "qa.jsonl")
    report = evaluate(cases, lambda c: levers.ask(c.question), levers.article)
    m = report.metrics
    assert m["citation_validity"] == 1.0
    assert m["answer_accuracy"] == 1.0, report.table()
    assert m["abstain_recall"] == 1.0 and m["abstain_precision"] == 1.0, report.table()


def test_latest_cites_the_newer_report_and_first_the_older(levers):
    latest = levers.ask("What is the latest death toll from the Quetta earthquake?")
    assert "47" in latest.text and latest.citations[0].published == "2024-03-13"
    first = levers.ask("What was the first reported death toll from the Quetta earthquake?")
    assert "12" in first.text and first.citations[0].published == "2024-03-10"


def test_syndicated_copies_are_collapsed(levers):
    answer = levers.ask("How many families were left homeless by the quake?")
    quotes = [c.quote for c in answer.citations]
    assert "3,000 families" in answer.text
    assert len(quotes) == len(set(quotes)), answer.citations
    # Retrieval keeps one copy of the story, so the other articles still fit in the top k.
    question = "How many families were left homeless by the quake?"
    store, keyword = levers._store, levers._keyword
    vector = levers._embedder.question(question)
    passages = retrieve(store, keyword, question, vector, 3, Filters(), store.revision())
    titles = {levers.article(p.article_id).title for p in passages}
    copies = {"Quetta quake toll climbs to 47", "Death toll from Quetta quake rises to 47"}
    assert len(titles & copies) == 1, titles


def test_a_sentence_copied_in_another_article_is_ranked_once():
    from assistant.query.rank import rank
    from assistant.query.retrieve import Passage
    from assistant.store.records import SentenceRow

    text = "About 3,000 families were left homeless, the disaster authority said."
    rows = [
        SentenceRow("a:s0", "a", 0, len(text), text, [1.0, 0.0]),
        SentenceRow("b:s3", "b", 90, 90 + len(text), text.replace("About", "Some"), [1.0, 0.0]),
        SentenceRow("b:s4", "b", 200, 240, "Army engineers cleared the road on Wednesday.", [0.0, 1.0]),
    ]
    passages = [
        Passage("a:c0", "a", 0, 80, range(0, 1), 0.03, 0.9, "2024-03-13"),
        Passage("b:c1", "b", 90, 240, range(3, 5), 0.02, 0.8, "2024-03-13"),
    ]
    ranked = rank(analyse("How many families were left homeless?"), [1.0, 0.0], passages, rows)
    assert [c.row.sentence_id for c in ranked] == ["a:s0", "b:s4"]


def test_place_cue_reads_what_a_strike_hit():
    from assistant.query.rank import matches_kind

    assert matches_kind("place", "In a separate action, French warplanes targeted Raqqa for a second day.")
    assert matches_kind("place", "Jets struck Mosul overnight.")
    assert not matches_kind("place", "British warplanes have been bombing the militants.")


def test_a_why_question_wants_a_reason():
    from assistant.query.rank import matches_kind

    assert analyse("Why were the SUVs recalled?").kind == "reason"
    assert analyse("What led to the blackout?").kind == "reason"
    assert matches_kind("reason", "The talks are complicated by a demand that the minister resign.")
    assert matches_kind("reason", "The carmaker recalled 3,000 vans, citing a risk of fire.")
    assert not matches_kind("reason", "The carmaker recalled 3,000 vans on Monday.")
