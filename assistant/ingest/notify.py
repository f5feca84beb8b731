"""Webhooks of watched questions: a change's JSON posted to the watch's URL, in the background.

Through the feeds' fetcher (ingest/fetch.py ``Fetcher.post``): http and https only, no private,
loopback, link-local or reserved address unless ``ASSISTANT_FETCH_ALLOW_PRIVATE`` allows it (an
intranet hook, tests), the address pinned, and one deadline (``ASSISTANT_FETCH_TIMEOUT``) on the
whole request. Never in the way of an answer or a sync: ``send`` only queues, ``WORKERS`` threads
post, and beyond ``MAX_WAITING`` queued posts a change's post is dropped (and that recorded)
rather than queued without bound behind a slow receiver. Each outcome goes to ``done`` (the
facade records it in the change); failures are logged by the hook's origin only, since a hook's
path or query is often its secret (store/watches.py ``redacted``).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from assistant.config import Settings
from assistant.errors import AssistantError, InputError
from assistant.ingest.fetch import Fetcher, FetchError, is_web_url
from assistant.store.watches import redacted

log = logging.getLogger(__name__)

WORKERS = 2
MAX_WAITING = 64


def webhook_url(value: str) -> str:
    """``value`` trimmed, or InputError unless it is an http(s) URL naming a host (its address is
    checked when it is posted to: a name can resolve elsewhere by then)."""
    url = value.strip()
    if not is_web_url(url):
        raise InputError(f"the webhook must be an http(s) URL naming a host, not {url[:200]!r}")
    return url


class Notifier:
    """Posts in the background; thread-safe."""

    def __init__(self, settings: Settings, done: Callable[[str, str], None]) -> None:
        """``done(change_id, outcome)`` is called with each post's outcome, from a worker."""
        self._fetcher = Fetcher(settings)
        self._done = done
        self._pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="webhook")
        self._room = threading.BoundedSemaphore(MAX_WAITING)

    def send(self, url: str, change_id: str, payload: dict[str, Any]) -> bool:
        """Queue the post of ``payload`` to ``url``; False (and "dropped" recorded) when full."""
        if not self._room.acquire(blocking=False):
            outcome = f"dropped: {MAX_WAITING} webhook posts were waiting"
            log.warning("webhook to %s %s", redacted(url), outcome)
            self._record(change_id, outcome)
            return False
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self._pool.submit(self._post, url, change_id, body)
        return True

    def _post(self, url: str, change_id: str, body: bytes) -> None:
        try:
            outcome = f"sent (HTTP {self._fetcher.post(url, body, 'application/json')})"
        except FetchError as exc:
            outcome = f"failed: {exc}"
            log.warning("webhook to %s failed: %s", redacted(url), exc)
        except Exception as exc:  # in a pool thread nothing else would see it; its text may hold the URL
            outcome = f"failed: unexpected {type(exc).__name__}"
            log.warning("webhook to %s failed: unexpected %s", redacted(url), type(exc).__name__)
        finally:
            self._room.release()
        self._record(change_id, outcome)

    def _record(self, change_id: str, outcome: str) -> None:
        try:
            self._done(change_id, outcome)
        except AssistantError as exc:  # the store down: the post's outcome is lost, not the worker
            log.warning("webhook outcome of change %s not recorded: %s", change_id, exc)
