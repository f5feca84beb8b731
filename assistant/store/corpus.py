"""The corpus: Chroma's collections and the bulk beside them, together all a query needs.

- ``<prefix>_articles``: one record per article, its metadata. Written last, so it doubles as
  the commit marker of an ingest.
- ``<prefix>_chunks``: retrieval units (runs of whole sentences), made as llama-index nodes at
  ingest and searched with Chroma's own ``query`` (``query_chunks``): a vector, the article's id,
  the chunk's span in the article text and the fields filters act on; in an embedded store no
  text (a chunk's text is a slice of its article's). Chunks are written with Chroma's own
  ``add``: llama-index's would add a JSON copy of every node (~15 % of the store).
- the bulk (store/bulk.py): each article's clean full text (the ground truth for quotes and
  offsets) and each chunk's sentences' spans and vectors (float16, store/packing.py), fetched at
  query time to rank the sentences of retrieved chunks without encoding anything but the question.
  An embedded store keeps it in ``bulk.sqlite3`` beside Chroma's files; a server in the records
  above (the texts as article and chunk documents, the sentences in chunk metadata).

The articles collection's metadata carries the schema version, the embedding model with the
backend and quantization that ran it, and a
``revision`` token changed before and after every write; caches derived from the corpus (the
keyword index) are keyed by it, which is what lets several processes share one Chroma server.

- ``<prefix>_journal``: one record per write in progress (the article ids it adds and removes),
  added before the write and removed after its last revision change. A record left by a process
  that died is rolled back when a writer opens the store: the articles it was adding are removed
  (a re-run adds them again) and the removals it was making are finished. One record per write,
  not a key in shared metadata, so processes writing through one Chroma server can't overwrite
  each other's records.
- ``<prefix>_changes``: the change log, one record per finished write or rollback (the article ids
  it touched, and when). The keyword index (store/keyword.py) catches up from it, in time
  proportional to the change, in every process sharing the store.

An embedded store has one writer process at a time (store/lock.py); a server has any number.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import os
import signal
import socket
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.types import GetResult

from assistant.config import Settings
from assistant.errors import AssistantError, StoreError, StoreVersionError
from assistant.schema import Article, Filters, day_int
from assistant.store.bulk import Sentences, open_bulk
from assistant.store.client import brief, open_client
from assistant.store.lock import hold_writer_lock

if TYPE_CHECKING:
    from llama_index.core.schema import TextNode

log = logging.getLogger(__name__)

# 2: sentence vectors packed into chunk metadata (no sentences collection), a change log.
# 3: chunk records carry no text; an embedded store keeps texts and sentences in bulk.sqlite3.
SCHEMA_VERSION = 3
# Test-only: a write cut point name (see _cut); the process kills itself there with SIGKILL.
CRASH_ENV = "ASSISTANT_TEST_CRASH_AT"
# A filtered search first fetches this many times k unfiltered (CorpusStore.query_chunks,
# KeywordIndex.search), then filters in Python.
OVERFETCH = 4
_ARTICLE_FIELDS = ("title", "source", "published", "updated", "url", "dateline", "origin")

T = TypeVar("T")


def _guarded(method: Callable[..., T]) -> Callable[..., T]:
    """Turn Chroma's many failure types into StoreError with one readable line."""

    @functools.wraps(method)
    def wrapper(self: CorpusStore, *args: Any, **kwargs: Any) -> T:
        try:
            return method(self, *args, **kwargs)
        except AssistantError:
            raise
        except Exception as exc:
            raise StoreError(f"store operation failed: {self.location} ({brief(exc)})") from exc

    return wrapper


@dataclass(frozen=True)
class SentenceRow:
    sentence_id: str
    article_id: str
    start: int
    end: int
    text: str
    vector: list[float]


@dataclass(frozen=True)
class Chunk:
    """A stored chunk as search returns it: its text and public metadata (article_id, start, end,
    s_first, s_last, and source and published_int when known), with the score of the search that
    found it (0 when read without one)."""

    chunk_id: str
    text: str
    metadata: dict[str, Any]
    score: float = 0.0


@dataclass(frozen=True)
class Entry:
    """One article ready to write: the record, its chunk nodes and its sentence rows."""

    article: Article
    chunks: list[TextNode]
    sentences: list[SentenceRow]


@dataclass
class Integrity:
    """What ``CorpusStore.inspect`` found; ``problems`` is empty for a sound store."""

    articles: int = 0
    incomplete: list[str] = field(default_factory=list)  # missing chunks, sentence data or vectors
    textless: list[str] = field(default_factory=list)  # text lost: nothing to re-embed from
    orphans: list[str] = field(default_factory=list)  # ids with chunks/sentences but no article
    unfinished: list[str] = field(default_factory=list)  # writes begun and not finished
    keyword_stale: bool = False  # the keyword index misses chunks or holds removed ones
    chunk_ids: set[str] = field(default_factory=set, repr=False)

    def problems(self) -> list[str]:
        found = [f"article {a} is missing chunks, sentences or their vectors" for a in self.incomplete]
        found += [f"article {a} lost its text: delete it and ingest it again" for a in self.textless]
        found += [f"chunks or sentences of deleted article {a} remain" for a in self.orphans]
        found += [f"unfinished write: {w}" for w in self.unfinished]
        if self.keyword_stale:
            found.append("the keyword index does not match the stored chunks")
        return found


def chunk_id(article_id: str, index: int) -> str:
    return f"{article_id}:c{index}"


def sentence_id(article_id: str, index: int) -> str:
    return f"{article_id}:s{index}"


def sentence_index(sentence_id: str) -> int:
    return int(sentence_id.rsplit(":s", 1)[1])


class CorpusStore:
    """Reads and writes the corpus; every other room goes through this class to reach Chroma."""

    def __init__(
        self,
        settings: Settings,
        embed_model: str,
        dim: int,
        embed_backend: str = "torch",
        embed_quantization: str = "fp32",
        writer: bool = True,
    ) -> None:
        """``writer``: this process may write. An embedded store then takes the writer lock
        before anything is loaded, so the in-memory vector index starts from the latest write."""
        self.location = settings.chroma_url or str(settings.store_dir)
        self._server = bool(settings.chroma_url)
        self._writer = writer
        if writer and not self._server:
            settings.store_dir.mkdir(parents=True, exist_ok=True)
            hold_writer_lock(settings.store_dir, settings.lock_wait)
        self._client = open_client(settings)
        names = ("articles", "chunks", "journal", "changes")
        self._names = {k: f"{settings.collection_prefix}_{k}" for k in names}
        self._open(settings.store_dir, embed_model, dim, embed_backend, embed_quantization)
        if writer:
            self.recover()

    @_guarded
    def _open(
        self, store_dir: Path, embed_model: str, dim: int, embed_backend: str, embed_quantization: str
    ) -> None:
        identity = {
            "schema": SCHEMA_VERSION,
            "embed_model": embed_model,
            "dim": dim,
            "embed_backend": embed_backend,
            "embed_quantization": embed_quantization,
        }
        self._articles = self._client.get_or_create_collection(
            self._names["articles"], metadata={**identity, "revision": "empty"}, embedding_function=None
        )
        found = self._articles.metadata or {}
        if found.get("schema") != SCHEMA_VERSION:
            raise StoreVersionError(
                f"store at {self.location} has schema version {found.get('schema')}, this version "
                f"of the assistant reads version {SCHEMA_VERSION}: re-ingest into a new store"
            )
        if found.get("embed_model") != embed_model or found.get("dim") != dim:
            raise StoreVersionError(
                f"store at {self.location} was built with embedding model {found.get('embed_model')!r} "
                f"({found.get('dim')} dims), not {embed_model!r}: use that model or a new store"
            )
        # Stores written before backends existed were all torch fp32. Only the quantization must
        # match: fp32 vectors from torch and onnx agree to cosine > 0.9999 (docs/scaling.md).
        built_with = (found.get("embed_backend", "torch"), found.get("embed_quantization", "fp32"))
        if built_with[1] != embed_quantization:
            raise StoreVersionError(
                f"store at {self.location} holds {built_with[1]} vectors (embedding backend "
                f"{built_with[0]!r}), not {embed_quantization} ({embed_backend!r}): set "
                f"ASSISTANT_EMBED_BACKEND={built_with[0]} or use a new store"
            )
        self._chunks = self._client.get_or_create_collection(self._names["chunks"], embedding_function=None)
        self._journal = self._client.get_or_create_collection(self._names["journal"], embedding_function=None)
        self._changes = self._client.get_or_create_collection(self._names["changes"], embedding_function=None)
        # Names this store instance (a store deleted and made again gets another): caches of it
        # kept outside Chroma (the keyword index) are dropped when it differs.
        self.identity = str(self._articles.id)
        self._batch = self._client.get_max_batch_size()
        self._bulk = open_bulk(store_dir, self._server, self._articles, self._chunks, dim)

    @property
    def client(self) -> ClientAPI:
        """The Chroma client, for the other collections of the store (store/feeds.py)."""
        return self._client

    # ----- reads -------------------------------------------------------------------------------
    @_guarded
    def revision(self) -> str:
        """A token that changes whenever the corpus changes (read from the store, not cached)."""
        return str((self._client.get_collection(self._names["articles"]).metadata or {}).get("revision"))

    @_guarded
    def count(self) -> int:
        return self._articles.count()

    @_guarded
    def get(self, article_ids: list[str]) -> dict[str, Article]:
        if not article_ids:
            return {}
        rows = self._articles.get(
            ids=list(dict.fromkeys(article_ids)), include=["metadatas", *self._bulk.include]
        )
        return self._with_texts(rows)

    @_guarded
    def titles(self, article_ids: list[str]) -> dict[str, str]:
        """Titles by article id, from metadata alone (no texts fetched): the ranker reads them."""
        if not article_ids:
            return {}
        rows = self._articles.get(ids=list(dict.fromkeys(article_ids)), include=["metadatas"])
        return {i: m.get("title") or "" for i, m in zip(rows["ids"], rows["metadatas"], strict=False)}

    def _with_texts(self, rows: GetResult) -> dict[str, Article]:
        """Articles from their records (a Chroma get) and their texts in the bulk; an article
        whose text is lost is left out (``inspect`` reports it)."""
        texts = self._bulk.article_texts(rows["ids"], rows.get("documents"))
        pairs = zip(rows["ids"], rows["metadatas"], strict=True)
        return {i: _article(i, texts[i], m) for i, m in pairs if i in texts}

    @_guarded
    def existing(self, article_ids: list[str]) -> set[str]:
        """Which of ``article_ids`` are stored (ids only: no texts are fetched)."""
        return set(self._articles.get(ids=article_ids, include=[])["ids"]) if article_ids else set()

    @_guarded
    def ids_by_url(self, urls: list[str]) -> dict[str, list[str]]:
        """Stored article ids for each of ``urls``, in one query."""
        if not urls:
            return {}
        rows = self._articles.get(where={"url": {"$in": list(dict.fromkeys(urls))}}, include=["metadatas"])
        found: dict[str, list[str]] = {}
        for article_id, meta in zip(rows["ids"], rows["metadatas"], strict=True):
            found.setdefault(meta["url"], []).append(article_id)
        return found

    @_guarded
    def query_chunks(self, vector: list[float], k: int, filters: Filters) -> list[Chunk]:
        """Dense search over chunks, best first.

        Chroma runs a metadata filter by scanning every matching chunk (270 ms for a date bound
        over the 40,000 chunks of the dev corpus, against 1-3 ms for the graph search), so a
        filtered search first over-fetches unfiltered and filters here; Chroma's filtered search
        runs only when fewer than ``k`` of those pass (a narrow filter)."""
        if filters:
            wide = self._dense(vector, k * OVERFETCH, None)
            kept = [c for c in wide if filters.admits(c.metadata)]
            if len(kept) >= k:
                return kept[:k]
        return self._dense(vector, k, chroma_where(filters))

    def _dense(self, vector: list[float], k: int, where: dict[str, Any] | None) -> list[Chunk]:
        """Chroma's ``query`` called directly, as llama-index's ChromaVectorStore.query did it (the
        same call and filter, and its score, ``exp(-distance)`` of Chroma's squared L2 distance,
        which for unit vectors is ``exp(2 cos - 2)``): importing llama-index costs every process
        about a second (``llama_index.core`` loads its whole package), most of a cold ``assistant
        ask`` once nothing else needed it (bench/cold_ask.py). Ingestion still builds the chunks
        as llama-index nodes. The chunks' texts come from the bulk (``Bulk.chunk_texts``)."""
        rows = self._chunks.query(
            query_embeddings=[vector],
            n_results=k,
            include=["metadatas", "distances", *self._bulk.include],
            **({"where": where} if where else {}),
        )
        ids, metas, distances = rows["ids"][0], rows["metadatas"][0], rows["distances"][0]  # the one query
        documents = rows["documents"][0] if rows.get("documents") else None
        texts = self._bulk.chunk_texts(metas, documents)
        return [
            Chunk(i, text, _public(meta), math.exp(-distance))
            for i, text, meta, distance in zip(ids, texts, metas, distances, strict=True)
        ]

    @_guarded
    def iter_chunks(self, article_ids: list[str] | None = None) -> Iterator[Chunk]:
        """Chunks (text and public metadata, no vectors), in pages: all of them, or those of
        ``article_ids``. The keyword index is built from these, so in server mode it needs
        nothing but the server."""
        where = {"article_id": {"$in": list(dict.fromkeys(article_ids))}} if article_ids else None
        if article_ids is not None and not article_ids:
            return
        offset = 0
        while True:
            include = ["metadatas", *self._bulk.include]
            rows = self._chunks.get(where=where, include=include, limit=self._batch, offset=offset)
            texts = self._bulk.chunk_texts(rows["metadatas"], rows.get("documents"))
            for node_id, text, meta in zip(rows["ids"], texts, rows["metadatas"], strict=True):
                yield Chunk(node_id, text, _public(meta))
            if len(rows["ids"]) < self._batch:
                return
            offset += self._batch

    @_guarded
    def sentences(self, ids: list[str]) -> list[SentenceRow]:
        """The sentences ``ids`` (``<article>:s<i>``), from the sentences of their articles'
        chunks: one query by article (Chroma's SQLite metadata filter took 15 s at 60,000 chunks
        for an ``$or`` of per-article sentence ranges, 15 ms for one ``$in`` of article ids)."""
        if not ids:
            return []
        articles = list(dict.fromkeys(sid.rsplit(":s", 1)[0] for sid in ids))
        found = {r.sentence_id: r for r in self._rows(self._bulk.article_sentences(articles).values())}
        return [found[i] for i in dict.fromkeys(ids) if i in found]

    @_guarded
    def chunk_sentences(self, chunk_ids: list[str]) -> list[SentenceRow]:
        """The sentences of the chunks ``chunk_ids``, in that order: a lookup by primary key, a
        quarter of the time of ``sentences``' query by article in Chroma (5 against 20 ms for 8
        chunks)."""
        if not chunk_ids:
            return []
        found = self._bulk.sentences(chunk_ids)
        return self._rows([found[i] for i in dict.fromkeys(chunk_ids) if i in found])

    def _rows(self, chunks: Iterable[Sentences]) -> list[SentenceRow]:
        """Sentence rows of chunks' sentences."""
        return [
            SentenceRow(sentence_id(s.article_id, s.first + j), s.article_id, a, b, text, v.tolist())
            for s in chunks
            for j, ((a, b), text, v) in enumerate(zip(s.spans, s.texts(), s.vectors, strict=True))
        ]

    # ----- writes ------------------------------------------------------------------------------
    @_guarded
    def write(self, entries: list[Entry], replaces: Sequence[str] = ()) -> None:
        """Store each entry's article wholesale and remove the articles in ``replaces`` (older
        versions of them), as one journaled write. The bulk (texts, sentences) and chunks go first
        and the article record last, so a write cut short leaves no visible article until it is
        rolled back."""
        new = [e.article.article_id for e in entries]
        if not new and not replaces:
            return
        with self._journaled(new, list(replaces)):
            self._remove_parts(new)
            _cut("removed")
            articles = [e.article for e in entries]
            inline = self._bulk.put(
                {a.article_id: a.text for a in articles},
                {n.node_id: _sentences(n, e.sentences) for e in entries for n in e.chunks},
            )
            _cut("bulk")
            nodes = [n for e in entries for n in e.chunks]
            for i in range(0, len(nodes), self._batch):
                part = nodes[i : i + self._batch]
                documents = (
                    [inline.chunk_documents[n.node_id] for n in part] if inline.chunk_documents else None
                )
                self._chunks.add(
                    ids=[n.node_id for n in part],
                    embeddings=[n.embedding for n in part],
                    metadatas=[{**n.metadata, **inline.chunk_metadata.get(n.node_id, {})} for n in part],
                    **({"documents": documents} if documents else {}),
                )
            _cut("chunks")
            for i in range(0, len(articles), self._batch):
                part = articles[i : i + self._batch]
                documents = [inline.documents[a.article_id] for a in part] if inline.documents else None
                self._articles.upsert(
                    ids=[a.article_id for a in part],
                    embeddings=[[0.0] for _ in part],  # Chroma needs a vector; articles are found by id
                    metadatas=[_article_metadata(a) for a in part],
                    **({"documents": documents} if documents else {}),
                )
            _cut("articles")
            if replaces:
                self._drop(list(replaces))
                _cut("replaced")

    @_guarded
    def delete(self, article_ids: list[str]) -> None:
        if not article_ids:
            return
        with self._journaled([], list(article_ids)):
            self._drop(list(article_ids))

    @_guarded
    def touch(self) -> None:
        """Log a change of everything and change the revision token, so every cache derived from
        the corpus is rebuilt (after a repair behind the change log's back)."""
        self._require_writer()
        self._log_change(None)
        self._bump_revision()

    @_guarded
    def recover(self) -> int:
        """Roll back the writes of processes that died mid-write; returns how many there were.
        Embedded: this process holds the writer lock, so every journal record is a dead one.
        Server: a record is dead when its process ran on this host and is gone; others are left
        (and reported by ``inspect``)."""
        rows = self._journal.get(include=["documents", "metadatas"])
        done = 0
        for record_id, plan, meta in zip(rows["ids"], rows["documents"], rows["metadatas"], strict=True):
            if self._server and _alive(meta):
                continue
            ids = json.loads(plan)
            self._drop(ids["write"] + ids["delete"])
            self._log_change(ids["write"] + ids["delete"])
            self._bump_revision()
            self._journal.delete(ids=[record_id])
            log.warning(
                "store %s: rolled back an unfinished write of pid %s (%s): %d article(s) removed, "
                "ingest them again",
                self.location,
                meta.get("pid"),
                meta.get("started"),
                len(ids["write"]),
            )
            done += 1
        return done

    @contextmanager
    def _journaled(self, write: list[str], delete: list[str]) -> Iterator[None]:
        """A journal record around a write, and a revision change on each side of it: a reader
        never keeps a keyword index of the corpus before a write that is under way or cut short.
        If the write raises, the record stays for ``recover``."""
        self._require_writer()
        record_id = uuid.uuid4().hex
        self._journal.add(
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
        _cut("journal")
        self._bump_revision()
        yield
        self._log_change(write + delete)
        self._bump_revision()
        _cut("revision")
        self._journal.delete(ids=[record_id])

    def _log_change(self, article_ids: list[str] | None) -> None:
        """One change-log record: which articles a finished write (or rollback) touched; None
        for all of them."""
        self._changes.add(
            ids=[uuid.uuid4().hex],
            embeddings=[[0.0]],
            documents=[json.dumps(None if article_ids is None else sorted(set(article_ids)))],
            metadatas=[{"at": time.time_ns()}],
        )

    @_guarded
    def changes_since(self, at: int) -> list[tuple[str, int, list[str] | None]]:
        """Change-log records written at or after ``at`` (ns since the epoch): (id, at, article
        ids or None for all), oldest first. Readers pass a time a margin before their last record, since a
        record's time is taken just before it lands and clocks of writer hosts may differ."""
        rows = self._changes.get(where={"at": {"$gte": at}}, include=["documents", "metadatas"])
        found = [
            (i, int(m["at"]), json.loads(d))
            for i, d, m in zip(rows["ids"], rows["documents"], rows["metadatas"], strict=True)
        ]
        return sorted(found, key=lambda c: c[1])

    def _require_writer(self) -> None:
        if not self._writer:
            raise StoreError(f"store at {self.location} is open read-only in this process")

    def _drop(self, article_ids: list[str]) -> None:
        self._articles.delete(ids=article_ids)
        self._remove_parts(article_ids)

    def _remove_parts(self, article_ids: list[str]) -> None:
        """Chunks and bulk (texts, sentences) of these articles, each in one call (not through
        ChromaVectorStore.delete, which takes one id at a time)."""
        if not article_ids:
            return
        ids = list(dict.fromkeys(article_ids))
        self._chunks.delete(where={"article_id": {"$in": ids}})
        self._bulk.delete(ids)

    def _bump_revision(self) -> None:
        meta = dict(self._client.get_collection(self._names["articles"]).metadata or {})
        meta["revision"] = uuid.uuid4().hex
        self._articles.modify(metadata=meta)

    # ----- integrity ---------------------------------------------------------------------------
    @_guarded
    def inspect(self) -> Integrity:
        """Compare what each article should have (its text, its chunks, their sentences) with the
        records that exist and can return their vectors and what the bulk holds; find parts of
        deleted articles and writes left unfinished. Reads everything: a maintenance command, not
        a per-request check."""
        expected_chunks = {}
        for offset in range(0, self._articles.count(), self._batch):
            rows = self._articles.get(include=["metadatas"], limit=self._batch, offset=offset)
            for article_id, meta in zip(rows["ids"], rows["metadatas"], strict=True):
                expected_chunks[article_id] = int(meta.get("chunks", 0))
        chunk_meta = self._all_metadata(self._chunks)
        held = self._bulk.held(list(expected_chunks), chunk_meta)
        chunks_ok = self._with_vectors(self._chunks, list(chunk_meta)) & held.whole
        report = Integrity(articles=len(expected_chunks), chunk_ids=set(chunk_meta))
        for article_id, n in expected_chunks.items():
            if article_id not in held.texts:
                report.textless.append(article_id)
            elif not n or not {chunk_id(article_id, i) for i in range(n)} <= chunks_ok:
                report.incomplete.append(article_id)
        parts = {m["article_id"] for m in chunk_meta.values()} | held.articles
        report.orphans = sorted(parts - set(expected_chunks))
        rows = self._journal.get(include=["metadatas"])
        report.unfinished = [
            f"pid {m.get('pid')} on {m.get('host')} since {m.get('started')}" for m in rows["metadatas"]
        ]
        return report

    def _all_metadata(self, collection: Any) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for offset in range(0, collection.count(), self._batch):
            rows = collection.get(include=["metadatas"], limit=self._batch, offset=offset)
            found.update(zip(rows["ids"], rows["metadatas"], strict=True))
        return found

    def _with_vectors(self, collection: Any, ids: list[str]) -> set[str]:
        """Which of ``ids`` return their vector. A record whose vector is lost makes Chroma fail
        the whole request, so a failing page is split in halves down to the single bad ids."""
        if not ids:
            return set()
        if len(ids) > self._batch:
            return self._with_vectors(collection, ids[: self._batch]) | self._with_vectors(
                collection, ids[self._batch :]
            )
        try:
            rows = collection.get(ids=ids, include=["embeddings"])
            pairs = zip(rows["ids"], rows["embeddings"], strict=True)
            return {i for i, v in pairs if v is not None and len(v)}
        except Exception:
            if len(ids) == 1:
                return set()
            half = len(ids) // 2
            return self._with_vectors(collection, ids[:half]) | self._with_vectors(collection, ids[half:])

    # Last in the class: a method named ``list`` shadows the builtin in the annotations of the
    # methods after it (for a type checker).
    @_guarded
    def list(self) -> list[Article]:
        articles: list[Article] = []
        for offset in range(0, self._articles.count(), self._batch):
            include = ["metadatas", *self._bulk.include]
            rows = self._articles.get(include=include, limit=self._batch, offset=offset)
            articles += self._with_texts(rows).values()
        return articles


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


def _cut(point: str) -> None:
    """Test-only crash hook: with ASSISTANT_TEST_CRASH_AT=<point> in the environment the process
    kills itself there (SIGKILL, as a power cut or OOM kill would), so tests/test_store_safety.py
    can check that every cut point of a write recovers. Points, in order: journal, removed, bulk,
    chunks, articles, replaced, revision."""
    if os.environ.get(CRASH_ENV) == point:
        os.kill(os.getpid(), signal.SIGKILL)


def make_chunk_node(
    article: Article, index: int, start: int, end: int, sentences: range, vector: list[float]
) -> TextNode:
    """A chunk as llama-index sees it: its text, vector, span and the metadata filters act on."""
    from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode  # ingest only

    meta: dict[str, Any] = {
        "article_id": article.article_id,
        "start": start,
        "end": end,
        "s_first": sentences.start,
        "s_last": sentences.stop - 1,
    }
    if article.source:
        meta["source"] = article.source
    if article.published:
        meta["published_int"] = day_int(date.fromisoformat(article.published))
    node = TextNode(
        id_=chunk_id(article.article_id, index),
        text=article.text[start:end],
        embedding=vector,
        metadata=meta,
        start_char_idx=start,
        end_char_idx=end,
        excluded_embed_metadata_keys=list(meta),
        excluded_llm_metadata_keys=list(meta),
    )
    node.relationships[NodeRelationship.SOURCE] = RelatedNodeInfo(node_id=article.article_id)
    return node


def _sentences(node: TextNode, sentences: list[SentenceRow]) -> Sentences:
    """A chunk's sentences, picked from its article's by the chunk's sentence range."""
    first, last = node.metadata["s_first"], node.metadata["s_last"]
    mine = sorted(
        (s for s in sentences if first <= sentence_index(s.sentence_id) <= last),
        key=lambda s: sentence_index(s.sentence_id),
    )
    vectors = np.asarray([s.vector for s in mine], dtype=np.float32)
    spans = [(s.start, s.end) for s in mine]
    return Sentences(node.metadata["article_id"], first, spans, vectors, node.text, node.metadata["start"])


def _public(meta: dict[str, Any]) -> dict[str, Any]:
    """A chunk's metadata without its packed sentences (``_ss``, ``_sv``, on a server)."""
    return {k: v for k, v in meta.items() if not k.startswith("_")}


def chroma_where(filters: Filters) -> dict[str, Any] | None:
    """Filters as a Chroma ``where`` for dense search: one condition alone, several under
    ``$and`` (the form llama-index's ChromaVectorStore gave them); None for no filter."""
    parts: list[dict[str, Any]] = []
    if filters.source:
        parts.append({"source": {"$eq": filters.source}})
    if filters.date_from:
        parts.append({"published_int": {"$gte": day_int(filters.date_from)}})
    if filters.date_to:
        parts.append({"published_int": {"$lte": day_int(filters.date_to)}})
    if len(parts) > 1:
        return {"$and": parts}
    return parts[0] if parts else None


def _article_metadata(article: Article) -> dict[str, Any]:
    meta: dict[str, Any] = {k: getattr(article, k) for k in _ARTICLE_FIELDS if getattr(article, k)}
    meta["chunks"] = article.chunks
    meta["ingested_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    return meta


def _article(article_id: str, text: str, meta: dict[str, Any]) -> Article:
    return Article(
        article_id=article_id,
        text=text,
        chunks=int(meta.get("chunks", 0)),
        **{k: meta.get(k) for k in _ARTICLE_FIELDS},
    )
