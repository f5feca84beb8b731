"""Token streams with deadlines, whatever the backend.

HTTP backends have their own request timeouts, but the in-process llama.cpp backend has none and
a server can trickle tokens forever, so the consumer side enforces both deadlines: one for the
first token and one for the whole answer. The producer runs in a worker thread that stops at the
next token once the consumer gives up.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator

from assistant.errors import LLMError

_END = object()


def timed_stream(
    start: Callable[[], Iterator[str]],
    first_token_timeout: float,
    total_timeout: float,
    lock: threading.Lock | None = None,
) -> Iterator[str]:
    """Yield the text deltas of ``start()``; raise LLMError on a deadline or a backend error.

    ``lock`` serialises backends that can't serve two generations at once (llama.cpp in process).
    """
    items: queue.Queue = queue.Queue()
    stop = threading.Event()

    def produce() -> None:
        try:
            if lock is not None:
                lock.acquire()
            try:
                for delta in start():
                    if stop.is_set():
                        return
                    items.put(delta)
            finally:
                if lock is not None:
                    lock.release()
            items.put(_END)
        except Exception as exc:  # handed to the consumer, which turns it into one LLMError
            items.put(exc)

    threading.Thread(target=produce, name="llm-stream", daemon=True).start()
    deadline = time.monotonic() + total_timeout
    first = True
    try:
        while True:
            left = deadline - time.monotonic()
            wait = min(first_token_timeout, left) if first else left
            try:
                item = items.get(timeout=max(wait, 0.0))
            except queue.Empty:
                what = "its first word" if first else "the whole answer"
                limit = first_token_timeout if first and first_token_timeout < left else total_timeout
                raise LLMError(f"no reply in time: waited {limit:g} s for {what}", timed_out=True) from None
            if item is _END:
                return
            if isinstance(item, Exception):
                raise LLMError(f"error: {_one_line(item)}") from item
            if item:
                first = False
                yield item
    finally:
        stop.set()


def _one_line(exc: Exception) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]
