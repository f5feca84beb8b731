"""Micro-batching of question encodes across concurrent requests.

The web app answers each request on a thread of its own, and one model forward pass per question
was the largest cost under load (bench/ask_profile.py: over half of a question's time), while a
pass over 16 short questions costs little more than a pass over one. ``QuestionBatcher.question``
queues the text; one worker thread encodes whatever is waiting (up to ``max_batch``) in one pass
and hands each caller its own vector. With nothing waiting, a lone question is encoded at once.

Hand-written (about 60 lines on ``queue`` and ``concurrent.futures.Future``): the serving
batchers on PyPI (Ray Serve's ``@serve.batch``, Triton, TorchServe) are servers or async-only
decorators, and the routes that call ``Assistant.ask`` are synchronous and run on threads.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from functools import lru_cache

from assistant.embed import Embedder

_STOP = object()


class QuestionBatcher:
    """``question(text)`` for many threads at once, encoded in shared forward passes."""

    def __init__(
        self, encode: Callable[[list[str]], list[list[float]]], max_batch: int = 32, window: float = 0.0
    ) -> None:
        """``encode``: texts -> one vector each, in order. ``window``: seconds the worker waits for
        more questions after the first (0: it takes only those already queued)."""
        self._encode = encode
        self._max_batch = max_batch
        self._window = window
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()  # orders close() against question() so none is queued after _STOP
        self._closed = False
        self._worker = threading.Thread(target=self._run, name="question-batcher", daemon=True)
        self._worker.start()

    def question(self, text: str) -> list[float]:
        """The question's vector, or the encoder's exception for this text (a pass that fails is
        retried text by text, so one bad text fails only its caller). After ``close`` the caller's
        own thread encodes it."""
        future: Future[list[float]] = Future()
        with self._lock:
            if self._closed:
                return self._encode([text])[0]
            self._queue.put((text, future))
        return future.result()

    def close(self, timeout: float = 10.0) -> None:
        """Stop the worker once it has encoded everything queued before this call."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(_STOP)
        self._worker.join(timeout)

    def _run(self) -> None:
        stop = False
        while not stop:
            item = self._queue.get()
            if item is _STOP:
                return
            batch = [item]
            while len(batch) < self._max_batch:
                try:
                    item = self._queue.get(timeout=self._window) if self._window else self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stop = True
                    break
                batch.append(item)
            try:
                self._settle(batch)
            except BaseException:  # one text spoilt the pass: each alone, so only its caller fails
                for one in batch:
                    try:
                        self._settle([one])
                    except BaseException as exc:
                        one[1].set_exception(exc)

    def _settle(self, batch: list[tuple[str, Future]]) -> None:
        vectors = self._encode([text for text, _ in batch])
        if len(vectors) != len(batch):
            raise RuntimeError(f"the encoder gave {len(vectors)} vectors for {len(batch)} texts")
        for (_, future), vector in zip(batch, vectors, strict=True):
            future.set_result(vector)


@lru_cache(maxsize=4)
def shared_batcher(embedder: Embedder) -> QuestionBatcher:
    """One batcher per loaded model, shared like the model (embed.load_embedder): Assistants
    opening several stores in one process batch their questions together."""
    return QuestionBatcher(embedder.texts)
