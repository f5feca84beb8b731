"""The answer cache (assistant/query/answer_cache.py) on the real Assistant and a real store:
an answer is computed once per question and store revision, never served after a write, and
concurrent identical asks share one computation (counted by the cache's stats, not by time)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from assistant.schema import Filters
from tests.conftest import SEED, write_towns


def test_same_question_twice_is_computed_once(make_assistant) -> None:
    assistant = make_assistant()
    assistant.ingest([SEED])
    stats = assistant._answers.stats
    first = assistant.ask("How many died in the Sinai crash?")
    second = assistant.ask("  How many died in the   Sinai crash? ")  # the same clean question
    assert "224" in first.text and first == second
    assert (stats.computed, stats.hits) == (1, 1)
    second.citations.clear()  # a caller's change reaches no other caller
    assert assistant.ask("How many died in the Sinai crash?").citations == first.citations
    # Other options are other answers: top_k, filters, the day asked.
    assistant.ask("How many died in the Sinai crash?", top_k=3)
    assistant.ask("How many died in the Sinai crash?", filters=Filters(source="Nowhere"))
    assert stats.computed == 3


def test_no_stale_answer_after_ingest_or_delete(make_assistant, tmp_path) -> None:
    assistant = make_assistant()
    write_towns(tmp_path / "a.jsonl", [1])
    assistant.ingest([tmp_path / "a.jsonl"])
    question = "Who was elected mayor of Corbrook?"
    before = assistant.ask(question)
    assert "Alma Varga1" in before.text, before.text
    updated = write_towns(tmp_path / "b.jsonl", [1], updates={1: "Petra Holm"})
    assert list(updated.values()) == ["Petra Holm"]
    assistant.ingest([tmp_path / "b.jsonl"])  # the same URL: the article is replaced
    after = assistant.ask(question)
    assert "Petra Holm" in after.text and "Alma Varga1" not in after.text, after.text
    assistant.delete(after.citations[0].article_id)
    assert "Petra Holm" not in assistant.ask(question).text


def test_concurrent_identical_asks_compute_once(make_assistant) -> None:
    assistant = make_assistant()
    assistant.ingest([SEED])
    answerer = assistant._answerer
    real = answerer.answer
    release, calls = threading.Event(), []

    def held(*args, **kwargs):
        calls.append(args)
        release.wait(60)  # until every other caller waits on this computation
        return real(*args, **kwargs)

    answerer.answer = held
    n = 8
    with ThreadPoolExecutor(n) as pool:
        futures = [pool.submit(assistant.ask, "How many died in the Sinai crash?") for _ in range(n)]
        for _ in range(6000):
            if assistant._answers.stats.joined == n - 1:
                break
            threading.Event().wait(0.01)
        release.set()
        answers = [f.result() for f in futures]
    assert len(calls) == 1 and assistant._answers.stats.joined == n - 1
    assert all(a == answers[0] and "224" in a.text for a in answers)
