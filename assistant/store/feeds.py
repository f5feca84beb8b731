"""Registered feeds and their sync state, in the ``<prefix>_feeds`` Chroma collection.

The state lives in the store (not in a local file) so that it follows the corpus: in server mode
every app process sees the same feeds, validators and seen entries, and it survives restarts.
One record per feed: the document is the state as JSON; the metadata holds the URL and a lease.

The lease keeps two processes from syncing one feed at the same time. Chroma has no
compare-and-swap, so a claim is write-then-read-back: a process writes itself as the holder, waits
``SETTLE_S`` and keeps the feed only if it still reads itself. Two claimants both winning would need
one of them to take longer than ``SETTLE_S`` between reading "free" and writing its claim. Even then
no entry is stored twice: articles are keyed by their content and written by upsert; the lease
saves the duplicate fetches and embedding work. An embedded store has one process, so it skips the
wait.

Entries: a feed remembers every entry of its latest version (a 6,000-entry feed is 6,000 entries
remembered, so none is fetched again) and up to ``MAX_GONE_ENTRIES`` gone from it, in case they
come back. Entries that failed are remembered apart with a retry time that doubles with each
failure, and entries the per-sync cap left for later are counted, so the next sync fetches the
feed in full (not conditionally) to get them.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from chromadb.api import ClientAPI

from assistant.store.corpus import _guarded

SETTLE_S = 0.5
MAX_GONE_ENTRIES = 5000  # per feed, entries no longer in it; the longest gone are forgotten first


@dataclass
class SeenEntry:
    """A feed entry already ingested: the hash of its feed fields, and its article."""

    hash: str
    article_id: str


@dataclass
class FailedEntry:
    """A feed entry that yielded no article: not fetched again before ``retry_at``, unless the
    feed changes what it says of the entry (``hash``)."""

    hash: str
    failures: int  # in a row
    retry_at: float  # Unix time
    reason: str  # the last failure's


@dataclass
class FeedState:
    url: str
    title: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    # entry identity (GUID, else link) -> what was ingested for it, oldest first
    entries: dict[str, SeenEntry] = field(default_factory=dict)
    last_sync: str | None = None  # ISO 8601 UTC time of the last sync attempt
    outcome: str | None = None  # one line: "3 added, 1 updated", "not modified", "failed: HTTP 404 ..."
    errors: list[str] = field(default_factory=list)  # the failure lines of the last sync
    failing: dict[str, FailedEntry] = field(default_factory=dict)  # entry identity -> its failure
    deferred: int = 0  # new entries the last sync left for the next (the per-sync cap)

    @property
    def articles(self) -> int:
        return len({e.article_id for e in self.entries.values()})

    def to_dict(self) -> dict[str, Any]:
        """The public view (for the CLI, HTTP and the UI): no per-entry detail."""
        return {
            "url": self.url,
            "title": self.title,
            "last_sync": self.last_sync,
            "outcome": self.outcome,
            "articles": self.articles,
            "errors": self.errors,
            "failing": len(self.failing),
            "deferred": self.deferred,
        }

    def remember(self, in_feed: list[str]) -> None:
        """Forget what the feed no longer holds, after a sync that read ``in_feed`` (its entry
        identities): every entry in it is kept, and the ``MAX_GONE_ENTRIES`` last seen of the
        others; failures only of entries still in it (a gone entry is not retried)."""
        present = set(in_feed)
        gone = [key for key in self.entries if key not in present][-MAX_GONE_ENTRIES:]
        # oldest first: the gone ones, then the feed's own, so the next prune drops the longest gone
        self.entries = {key: self.entries[key] for key in [*gone, *in_feed] if key in self.entries}
        self.failing = {key: f for key, f in self.failing.items() if key in present}


def feed_id(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:24]


class FeedStore:
    def __init__(self, client: ClientAPI, prefix: str, location: str, shared: bool) -> None:
        self.location = location  # for _guarded's error lines
        self._settle_s = SETTLE_S if shared else 0.0  # shared: a Chroma server many processes use
        self._open(client, prefix)

    @_guarded
    def _open(self, client: ClientAPI, prefix: str) -> None:
        self._feeds = client.get_or_create_collection(f"{prefix}_feeds", embedding_function=None)

    @_guarded
    def add(self, url: str) -> FeedState:
        """Register ``url`` (a no-op when it is registered); returns its state."""
        found = self.get(url)
        if found is not None:
            return found
        state = FeedState(url=url)
        self._feeds.add(
            ids=[feed_id(url)],
            embeddings=[[0.0]],  # Chroma needs a vector; feeds are found by id
            documents=[_dump(state)],
            metadatas=[_meta(url, "", 0.0)],
        )
        return state

    @_guarded
    def get(self, url: str) -> FeedState | None:
        rows = self._feeds.get(ids=[feed_id(url)], include=["documents"])
        return _load(rows["documents"][0]) if rows["ids"] else None

    @_guarded
    def list(self) -> list[FeedState]:
        rows = self._feeds.get(include=["documents"])
        return sorted((_load(d) for d in rows["documents"]), key=lambda s: s.url)

    @_guarded
    def remove(self, url: str) -> bool:
        if self.get(url) is None:
            return False
        self._feeds.delete(ids=[feed_id(url)])
        return True

    @_guarded
    def save(self, state: FeedState, owner: str) -> None:
        """Write ``state`` (held under ``owner``'s lease); a feed removed meanwhile stays removed."""
        lease = self._lease(state.url)
        if lease is None:
            return
        self._feeds.update(
            ids=[feed_id(state.url)],
            embeddings=[[0.0]],  # else Chroma would embed the document with its default model
            documents=[_dump(state)],
            metadatas=[_meta(state.url, *lease)],
        )

    @_guarded
    def claim(self, url: str, owner: str, seconds: float) -> bool:
        """Take the feed's sync lease for ``seconds``; False while another owner holds it."""
        lease = self._lease(url)
        if lease is None:
            return False
        holder, until = lease
        if holder not in ("", owner) and until > time.time():
            return False
        self._feeds.update(ids=[feed_id(url)], metadatas=[_meta(url, owner, time.time() + seconds)])
        time.sleep(self._settle_s)
        lease = self._lease(url)
        return lease is not None and lease[0] == owner

    @_guarded
    def release(self, url: str, owner: str) -> None:
        lease = self._lease(url)
        if lease is not None and lease[0] == owner:
            self._feeds.update(ids=[feed_id(url)], metadatas=[_meta(url, "", 0.0)])

    def _lease(self, url: str) -> tuple[str, float] | None:
        rows = self._feeds.get(ids=[feed_id(url)], include=["metadatas"])
        if not rows["ids"]:
            return None
        meta = rows["metadatas"][0] or {}
        return str(meta.get("lease_owner", "")), float(meta.get("lease_until", 0.0))


def _meta(url: str, owner: str, until: float) -> dict[str, Any]:
    return {"url": url, "lease_owner": owner, "lease_until": until}


def _dump(state: FeedState) -> str:
    return json.dumps(asdict(state), ensure_ascii=False)


def _load(document: str) -> FeedState:
    data = json.loads(document)
    data["entries"] = {k: SeenEntry(**v) for k, v in data.get("entries", {}).items()}
    data["failing"] = {k: FailedEntry(**v) for k, v in data.get("failing", {}).items()}
    return FeedState(**data)
