"""Answers computed once per question and store revision: a bounded LRU with single-flight.

Under load many requests ask the same thing (an example question, a follow-up chip, a headline
everyone reads): bench/http_concurrency.py asks 50 questions 320 times, and each ask is about
20 ms of CPU (bench/ask_profile.py), so on 2 cores 200 concurrent asks queue for seconds. An
extractive answer is a pure function of the clean standalone question, ``top_k``, the filters,
the day it is asked and the corpus, so it is computed once and served to every caller:

- the key holds all of them, and the corpus as ``CorpusStore.revision()``, a token that every
  write (ingest, delete, sync, repair; another process's too, in server mode) changes before and
  after it. So after any write no earlier answer is served: a request reads the new token and
  misses. An answer computed while a write ran is kept under the token read before it, which no
  request reads again once the write is done.
- callers that ask while the same key is being computed wait for that result (single-flight)
  instead of computing it again; if it raises, each of them gets the exception, and nothing is
  kept.
- each caller gets its own copy of the lists of the Answer (Answer itself is frozen).

One cache belongs to one Assistant, so answers of different settings or stores never mix.

Hand-written (about 50 lines on ``OrderedDict`` and ``concurrent.futures.Future``):
``functools.lru_cache`` neither coalesces concurrent calls of a key nor lets the key hold a token
read per call, and the stack's other caches (diskcache, installed with llama-cpp-python, a cache on
disk without single-flight; llama-index's for LLM and embedding calls) do neither either.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from dataclasses import dataclass, replace

from assistant.schema import Answer


@dataclass
class CacheStats:
    """What the cache did since it was made: answers ``computed`` (misses), answers served from
    the LRU (``hits``) and callers that waited for another's computation (``joined``)."""

    computed: int = 0
    hits: int = 0
    joined: int = 0


class AnswerCache:
    """``get(key, compute)`` for many threads: ``compute()`` runs once per key at a time, and its
    answer is kept for the next ``size`` distinct keys (0: nothing kept, but concurrent identical
    calls still share one computation)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._done: OrderedDict[Hashable, Answer] = OrderedDict()
        self._running: dict[Hashable, Future[Answer]] = {}
        self.stats = CacheStats()

    def get(self, key: Hashable, compute: Callable[[], Answer]) -> Answer:
        """The answer for ``key``: kept, being computed by another caller, or computed now."""
        with self._lock:
            if key in self._done:
                self._done.move_to_end(key)
                self.stats.hits += 1
                return _copy(self._done[key])
            running = self._running.get(key)
            if running is None:
                future: Future[Answer] = Future()
                self._running[key] = future
                self.stats.computed += 1
            else:
                self.stats.joined += 1
        if running is not None:
            return _copy(running.result())
        try:
            answer = compute()
        except BaseException as exc:
            with self._lock:
                del self._running[key]
            future.set_exception(exc)
            raise
        with self._lock:
            del self._running[key]
            if self._size > 0:
                self._done[key] = answer
                while len(self._done) > self._size:
                    self._done.popitem(last=False)
        future.set_result(answer)
        return _copy(answer)

    def __len__(self) -> int:
        return len(self._done)


def _copy(answer: Answer) -> Answer:
    """``answer`` with lists of its own: a caller that changes them changes no other's answer."""
    return replace(answer, citations=list(answer.citations), unverified=list(answer.unverified))
