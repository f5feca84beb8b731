"""query/batcher.py with the real embedding model: concurrent callers share forward passes, each
gets its own question's vector, a failing text fails only its caller, and close never hangs."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from assistant.query.batcher import QuestionBatcher

QUESTIONS = [f"How many people were hurt in the storm in town number {i}?" for i in range(24)]


@pytest.fixture(scope="module")
def embedder(app_embedder):
    """The model as the app runs it (its backend; loaded once for the whole session)."""
    return app_embedder


def _together(fn, items):
    """Call ``fn`` on every item from threads released at the same moment."""
    start = threading.Barrier(len(items))

    def call(item):
        start.wait()
        return fn(item)

    with ThreadPoolExecutor(len(items)) as pool:
        return list(pool.map(call, items))


def test_each_concurrent_caller_gets_its_own_vector(embedder):
    sizes: list[int] = []

    def encode(texts):
        sizes.append(len(texts))
        return embedder.texts(texts)

    batcher = QuestionBatcher(encode, window=0.05)
    try:
        vectors = _together(batcher.question, QUESTIONS)
    finally:
        batcher.close()
    assert max(sizes) > 1, "concurrent questions were not batched"
    assert sum(sizes) == len(QUESTIONS)
    for question, vector in zip(QUESTIONS, vectors, strict=True):
        np.testing.assert_allclose(vector, embedder.question(question), atol=1e-5)


def test_a_failing_text_fails_only_its_caller(embedder):
    def encode(texts):
        if "BAD" in texts:
            raise ValueError("cannot encode BAD")
        return embedder.texts(texts)

    batcher = QuestionBatcher(encode, window=0.05)
    try:
        items = [*QUESTIONS[:7], "BAD"]
        futures = []
        with ThreadPoolExecutor(len(items)) as pool:
            start = threading.Barrier(len(items))
            futures = [pool.submit(lambda q: (start.wait(), batcher.question(q))[1], q) for q in items]
        with pytest.raises(ValueError, match="cannot encode BAD"):
            futures[-1].result()
        for question, future in zip(items[:-1], futures, strict=False):
            np.testing.assert_allclose(future.result(), embedder.question(question), atol=1e-5)
        # The worker survived the failure.
        np.testing.assert_allclose(batcher.question(QUESTIONS[0]), embedder.question(QUESTIONS[0]), atol=1e-5)
    finally:
        batcher.close()


def test_close_while_callers_wait_does_not_deadlock(embedder):
    batcher = QuestionBatcher(embedder.texts, max_batch=4)
    results: dict[str, list[float]] = {}

    def ask(question: str) -> None:
        results[question] = batcher.question(question)

    threads = [threading.Thread(target=ask, args=(q,), daemon=True) for q in QUESTIONS]
    for thread in threads[:12]:
        thread.start()
    batcher.close()  # some questions are queued or being encoded now, some come after
    for thread in threads[12:]:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a caller hung across close()"
    assert sorted(results) == sorted(QUESTIONS)
    for question in QUESTIONS:
        np.testing.assert_allclose(results[question], embedder.question(question), atol=1e-5)
    batcher.close()  # a second close is harmless
