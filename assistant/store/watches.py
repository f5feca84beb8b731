"""Watched questions and the changes of their answers, in the ``<prefix>_watches`` and
``<prefix>_watch_changes`` Chroma collections.

In the store, as feed state is (store/feeds.py), so watches follow the corpus: every app process
on a Chroma server sees the same watches and changes, and they survive restarts. One record per
watch (the document: its state as JSON, with its latest answer and what its answers have said,
stories/changes.py ``Facts``) and one per change (both answers with their citations, what is
new, whether a reader has seen it, and the webhook's outcome); a change's metadata holds its
watch, its time and ``seen``, so the unseen count is one filtered read.

A change's id is a hash of its watch and of both answers: two processes that record the same
change after one write (server mode) write one record. A watch keeps its ``MAX_CHANGES`` latest.

Opened read-only (``writer=False``: `assistant watch list` beside the app that is the embedded
store's writer), it creates nothing, reads collections not made yet as empty and refuses writes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from chromadb.api import ClientAPI, Collection
from chromadb.errors import NotFoundError

from assistant.schema import NewFact
from assistant.store.corpus import _guarded, read_only

MAX_CHANGES = 100  # per watch; the oldest are forgotten first


@dataclass
class Watch:
    """A question asked again after every write. ``answer``: its latest answer as
    ``Answer.to_dict`` writes it (None before the first); ``known``: what its answers and their
    articles have said (stories/changes.py ``Facts.to_json``)."""

    watch_id: str
    question: str
    webhook: str | None = None
    created: str = ""
    checked: str | None = None  # ISO 8601 UTC time it was last asked
    answer: dict[str, Any] | None = None
    known: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The public view: the webhook by its origin only, since its path often is a secret."""
        data = asdict(self)
        data.pop("known")
        data["webhook"] = redacted(self.webhook) if self.webhook else None
        return data


@dataclass
class WatchChange:
    """A watched question's answer changed in its facts: ``what`` is new, ``before`` and
    ``after`` the answers (``Answer.to_dict``; ``before`` None for a first answer).
    ``delivery``: the webhook's outcome ("pending", "sent (HTTP 200)", "failed: ..."), None
    without a webhook."""

    change_id: str
    watch_id: str
    question: str
    at: str  # ISO 8601 UTC time it was recorded
    what: list[NewFact]
    before: dict[str, Any] | None
    after: dict[str, Any]
    seen: bool = False
    delivery: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def watch_id(question: str) -> str:
    """A question's watch: one per question, whoever adds it."""
    return hashlib.sha256(question.encode("utf-8")).hexdigest()[:16]


def change_id(watch: str, before: dict[str, Any] | None, after: dict[str, Any]) -> str:
    raw = json.dumps([watch, before, after], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:16]


def redacted(url: str) -> str:
    """A webhook URL as logs and listings show it: scheme and host, no path, query or credentials
    (where hooks keep their secret)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or "?"
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(malformed URL)"
    return f"{parts.scheme}://{host}{port}/…"


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class WatchStore:
    def __init__(self, client: ClientAPI, prefix: str, location: str, writer: bool = True) -> None:
        """``writer``: this process may write (``CorpusStore``'s ``writer``); a writer makes the
        collections now, a reader finds them when they are made."""
        self.location = location  # for _guarded's error lines
        self._writer = writer
        self._client, self._prefix = client, prefix
        self._opened: tuple[Collection, Collection] | None = None
        if writer:
            self._open()

    @_guarded
    def _open(self) -> tuple[Collection, Collection] | None:
        """(watches, changes); None for a reader while they are not made yet (no watch added)."""
        if self._opened is None:
            names = (f"{self._prefix}_watches", f"{self._prefix}_watch_changes")
            try:
                if self._writer:
                    made = [self._client.get_or_create_collection(n, embedding_function=None) for n in names]
                else:
                    made = [self._client.get_collection(n, embedding_function=None) for n in names]
            except NotFoundError:
                return None
            self._opened = (made[0], made[1])
        return self._opened

    def _writable(self) -> tuple[Collection, Collection]:
        """The collections, to write in; a reader's write is refused."""
        opened = self._open() if self._writer else None
        if opened is None:
            raise read_only(self.location)
        return opened

    @_guarded
    def count(self) -> int:
        opened = self._open()
        return opened[0].count() if opened else 0

    @_guarded
    def add(self, question: str, webhook: str | None) -> Watch:
        """Register ``question`` (when it is registered, a webhook given replaces its own);
        returns it."""
        watch = self.get(watch_id(question)) or Watch(watch_id(question), question, created=now())
        watch.webhook = webhook or watch.webhook
        self.save(watch)
        return watch

    @_guarded
    def get(self, watch: str) -> Watch | None:
        opened = self._open()
        rows = opened[0].get(ids=[watch], include=["documents"]) if opened else None
        return _watch(rows["documents"][0]) if rows and rows["ids"] else None

    @_guarded
    def save(self, watch: Watch) -> None:
        self._writable()[0].upsert(
            ids=[watch.watch_id],
            embeddings=[[0.0]],  # Chroma needs a vector; watches are read by id
            documents=[json.dumps(asdict(watch), ensure_ascii=False)],
            metadatas=[{"question": watch.question[:500]}],
        )

    @_guarded
    def remove(self, watch: str) -> bool:
        """Forget a watch and its changes; False when there is none."""
        watches, changes = self._writable()
        if self.get(watch) is None:
            return False
        changes.delete(where={"watch_id": watch})
        watches.delete(ids=[watch])
        return True

    @_guarded
    def record(self, change: WatchChange) -> None:
        """Store ``change`` (the same id again is the same change), then forget the watch's
        oldest beyond ``MAX_CHANGES``."""
        changes = self._write(change)
        rows = changes.get(where={"watch_id": change.watch_id}, include=["metadatas"])
        stamped = sorted(zip(rows["ids"], rows["metadatas"], strict=True), key=lambda r: _at(r[1]))
        old = [i for i, _ in stamped[: max(0, len(stamped) - MAX_CHANGES)]]
        if old:
            changes.delete(ids=old)

    @_guarded
    def changes(self, watch: str | None = None, unseen: bool = False) -> list[WatchChange]:
        """Changes newest first: all, a watch's, and only those not yet seen."""
        opened = self._open()
        if opened is None:
            return []
        rows = opened[1].get(where=_where(watch, unseen), include=["documents", "metadatas"])
        stamped = sorted(zip(rows["documents"], rows["metadatas"], strict=True), key=lambda r: -_at(r[1]))
        return [_change(d) for d, _ in stamped]

    @_guarded
    def unseen(self) -> int:
        opened = self._open()
        return len(opened[1].get(where={"seen": False}, include=[])["ids"]) if opened else 0

    @_guarded
    def mark_seen(self, ids: list[str] | None = None) -> int:
        """Mark the changes ``ids`` (None: every unseen one) seen; how many were unseen."""
        where = {"seen": False}
        rows = self._writable()[1].get(ids=ids, where=where, include=["documents"])
        for document in rows["documents"]:
            found = _change(document)
            found.seen = True
            self._write(found)
        return len(rows["ids"])

    @_guarded
    def delivered(self, change: str, outcome: str) -> None:
        """Record the webhook's outcome of ``change`` (a change forgotten meanwhile stays so)."""
        changes = self._writable()[1]
        rows = changes.get(ids=[change], include=["documents"])
        if rows["ids"]:
            found = _change(rows["documents"][0])
            found.delivery = outcome
            self._write(found)
            if self.get(found.watch_id) is None:  # its watch removed while the post was out
                changes.delete(ids=[change])

    def _write(self, change: WatchChange) -> Collection:
        """Upsert ``change``; returns the changes' collection."""
        changes = self._writable()[1]
        changes.upsert(
            ids=[change.change_id],
            embeddings=[[0.0]],
            documents=[json.dumps(asdict(change), ensure_ascii=False)],
            metadatas=[{"watch_id": change.watch_id, "at": _stamp(change.at), "seen": change.seen}],
        )
        return changes

    # Last in the class: a method named ``list`` shadows the builtin in the annotations of the
    # methods after it (for a type checker).
    @_guarded
    def list(self) -> list[Watch]:
        opened = self._open()
        if opened is None:
            return []
        rows = opened[0].get(include=["documents"])
        return sorted((_watch(d) for d in rows["documents"]), key=lambda w: (w.created, w.watch_id))


def _where(watch: str | None, unseen: bool) -> dict[str, Any] | None:
    terms: list[dict[str, Any]] = [{"watch_id": watch}] if watch else []
    terms += [{"seen": False}] if unseen else []
    if len(terms) > 1:
        return {"$and": terms}
    return terms[0] if terms else None


def _stamp(at: str) -> float:
    """A change's time as a number, for its order (kept however often the record is rewritten)."""
    return datetime.fromisoformat(at).timestamp()


def _at(meta: Any) -> float:
    return float((meta or {}).get("at", 0.0))


def _watch(document: str) -> Watch:
    return Watch(**json.loads(document))


def _change(document: str) -> WatchChange:
    data = json.loads(document)
    data["what"] = [NewFact(**f) for f in data.get("what", [])]
    return WatchChange(**data)
