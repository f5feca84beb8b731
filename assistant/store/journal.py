"""The journal of writes under way, crash recovery, and the change log of finished writes.

- ``<prefix>_journal``: one record per write in progress (the article ids it adds and removes),
  added before the write and removed after its last revision change. A record left by a process
  that died is rolled back when a writer opens the store: the articles it was adding are removed
  (a re-run adds them again) and the removals it was making are finished. One record per write,
  not a key in shared metadata, so processes writing through one Chroma server can't overwrite
  each other's records.
- ``<prefix>_changes``: the change log, one record per finished write or rollback (the article ids
  it touched, and when). The keyword index (store/keyword.py) catches up from it, in time
  proportional to the change, in every process sharing the store.
- the ``revision`` token in the articles collection's metadata, changed before and after every
  write: caches derived from the corpus are keyed by it, which is what lets several processes
  share one Chroma server.

Kept apart from the reads and writes (store/corpus.py) because none of it is about what an
article holds: only which articles a write touched and whether it finished.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

log = logging.getLogger(__name__)

# Test-only: a write cut point name (see cut); the process kills itself there with SIGKILL.
CRASH_ENV = "ASSISTANT_TEST_CRASH_AT"


class Journal:
    """The journal, change log and revision token of one store."""

    def __init__(
        self, client: ClientAPI, articles: Collection, prefix: str, location: str, server: bool
    ) -> None:
        """``articles``: the collection whose metadata holds the revision token. ``server``:
        other hosts' processes may be writing, so only this host's dead ones are rolled back."""
        self._client = client
        self._articles = articles
        self._location = location
        self._server = server
        self._records = client.get_or_create_collection(f"{prefix}_journal", embedding_function=None)
        self._changes = client.get_or_create_collection(f"{prefix}_changes", embedding_function=None)

    def revision(self) -> str:
        """A token that changes whenever the corpus changes (read from the store, not cached)."""
        return str((self._client.get_collection(self._articles.name).metadata or {}).get("revision"))

    def bump_revision(self) -> None:
        """Put a new revision token in the articles' metadata, keeping the rest of it (the
        identity checked on open) as the store last had it."""
        meta = dict(self._client.get_collection(self._articles.name).metadata or {})
        meta["revision"] = uuid.uuid4().hex
        self._articles.modify(metadata=meta)

    @contextmanager
    def journaled(self, write: list[str], delete: list[str]) -> Iterator[None]:
        """A journal record around a write, and a revision change on each side of it: a reader
        never keeps a keyword index of the corpus before a write that is under way or cut short.
        If the write raises, the record stays for ``recover``."""
        record_id = uuid.uuid4().hex
        self._records.add(
            ids=[record_id],
            embeddings=[[0.0]],
            documents=[json.dumps({"write": write, "delete": delete})],
            metadatas=[
                {
                    "pid": os.getpid(),
                    "host": socket.gethostname(),
                    "started": datetime.now(UTC).isoformat(timespec="seconds"),
                }
            ],
        )
        cut("journal")
        self.bump_revision()
        yield
        self.log_change(write + delete)
        self.bump_revision()
        cut("revision")
        self._records.delete(ids=[record_id])

    def recover(self, drop: Callable[[list[str]], None]) -> int:
        """Roll back the writes of processes that died mid-write, removing their articles with
        ``drop``; returns how many there were. Embedded: this process holds the writer lock, so
        every journal record is a dead one. Server: a record is dead when its process ran on
        this host and is gone; others are left (and reported by ``unfinished``)."""
        rows = self._records.get(include=["documents", "metadatas"])
        done = 0
        for record_id, plan, meta in zip(rows["ids"], rows["documents"], rows["metadatas"], strict=True):
            if self._server and _alive(meta):
                continue
            ids = json.loads(plan)
            drop(ids["write"] + ids["delete"])
            self.log_change(ids["write"] + ids["delete"])
            self.bump_revision()
            self._records.delete(ids=[record_id])
            log.warning(
                "store %s: rolled back an unfinished write of pid %s (%s): %d article(s) removed, "
                "ingest them again",
                self._location,
                meta.get("pid"),
                meta.get("started"),
                len(ids["write"]),
            )
            done += 1
        return done

    def unfinished(self) -> list[str]:
        """The writes begun and not finished, one line each: whose and since when."""
        rows = self._records.get(include=["metadatas"])
        return [f"pid {m.get('pid')} on {m.get('host')} since {m.get('started')}" for m in rows["metadatas"]]

    def log_change(self, article_ids: list[str] | None) -> None:
        """One change-log record: which articles a finished write (or rollback) touched; None
        for all of them."""
        self._changes.add(
            ids=[uuid.uuid4().hex],
            embeddings=[[0.0]],
            documents=[json.dumps(None if article_ids is None else sorted(set(article_ids)))],
            metadatas=[{"at": time.time_ns()}],
        )

    def changes_since(self, at: int) -> list[tuple[str, int, list[str] | None]]:
        """Change-log records written at or after ``at`` (ns since the epoch): (id, at, article
        ids or None for all), oldest first. Readers pass a time a margin before their last
        record, since a record's time is taken just before it lands and clocks of writer hosts
        may differ."""
        rows = self._changes.get(where={"at": {"$gte": at}}, include=["documents", "metadatas"])
        found = [
            (i, int(m["at"]), json.loads(d))
            for i, d, m in zip(rows["ids"], rows["documents"], rows["metadatas"], strict=True)
        ]
        return sorted(found, key=lambda c: c[1])


def _alive(meta: dict[str, Any]) -> bool:
    """Whether the process that began a journaled write may still be running it."""
    if meta.get("host") != socket.gethostname():
        return True  # another machine's process: only that machine can tell
    try:
        os.kill(int(meta["pid"]), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, KeyError, ValueError):
        return True
    return True


def cut(point: str) -> None:
    """Test-only crash hook: with ASSISTANT_TEST_CRASH_AT=<point> in the environment the process
    kills itself there (SIGKILL, as a power cut or OOM kill would), so tests/test_store_safety.py
    can check that every cut point of a write recovers. Points, in order: journal, removed, bulk,
    chunks, articles, replaced, revision."""
    if os.environ.get(CRASH_ENV) == point:
        os.kill(os.getpid(), signal.SIGKILL)
