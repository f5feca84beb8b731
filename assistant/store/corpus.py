"""The corpus: Chroma's collections and the bulk beside them, together all a query needs.

- ``<prefix>_articles``: one record per article, its metadata. Written last, so it doubles as
  the commit marker of an ingest.
- ``<prefix>_chunks``: retrieval units (runs of whole sentences, ``ChunkRecord`` at ingest),
  searched with Chroma's own ``query`` (``query_chunks``): a vector, the article's id, the
  chunk's span in the article text and the fields filters act on; in an embedded store no text
  (a chunk's text is a slice of its article's). Chunks are written with Chroma's own ``add``:
  llama-index's would add a JSON copy of every node (~15 % of the store).
- ``<prefix>_stories``: one record per article, its place in its story (assistant/stories/):
  its story id, date, title and names, and its mean chunk vector, which later articles of the
  same days are matched against. Written and removed with the article's chunks.
- the bulk (store/bulk.py): each article's clean full text (the ground truth for quotes and
  offsets) and each chunk's sentences' spans and vectors (float16, store/packing.py), fetched at
  query time to rank the sentences of retrieved chunks without encoding anything but the question.
  An embedded store keeps it in ``bulk.sqlite3`` beside Chroma's files; a server in the records
  above (the texts as article and chunk documents, the sentences in chunk metadata).

The articles collection's metadata carries the schema version and the embedding model with the
backend and quantization that ran it (checked when the store opens), and the revision token of
store/journal.py, which also keeps the journal of writes under way and the change log.

This module is the façade: the identity check, the reads and the journaled writes. The id scheme
is store/ids.py, the records in and out store/records.py, the integrity check store/integrity.py.
An embedded store has one writer process at a time (store/lock.py); a server has any number.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.types import GetResult

from assistant.config import Settings
from assistant.errors import AssistantError, StoreError, StoreVersionError
from assistant.schema import Article, Filters, day_int
from assistant.store.bulk import Sentences, open_bulk
from assistant.store.client import brief, open_client
from assistant.store.ids import chunk_id, sentence_article, sentence_id
from assistant.store.integrity import Integrity, inspect
from assistant.store.journal import Journal, cut
from assistant.store.lock import hold_writer_lock
from assistant.store.records import Chunk, ChunkRecord, Entry, SentenceRow, StoryRecord

# 2: sentence vectors packed into chunk metadata (no sentences collection), a change log.
# 3: chunk records carry no text; an embedded store keeps texts and sentences in bulk.sqlite3.
SCHEMA_VERSION = 3
# A filtered search first fetches this many times k unfiltered (CorpusStore.query_chunks,
# KeywordIndex.search), then filters in Python.
OVERFETCH = 4
_ARTICLE_FIELDS = ("title", "source", "published", "updated", "url", "dateline", "origin", "story")

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


def read_only(location: str) -> StoreError:
    """A write in a process that opened the store read-only: its writer is another process."""
    return StoreError(f"store at {location} is open read-only in this process")


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
        self._open(settings, embed_model, dim, embed_backend, embed_quantization)
        if writer:
            self.recover()

    @_guarded
    def _open(
        self, settings: Settings, embed_model: str, dim: int, embed_backend: str, embed_quantization: str
    ) -> None:
        """Open or create the collections, refusing a store of another schema, model or
        quantization."""
        prefix = settings.collection_prefix
        identity = {
            "schema": SCHEMA_VERSION,
            "embed_model": embed_model,
            "dim": dim,
            "embed_backend": embed_backend,
            "embed_quantization": embed_quantization,
        }
        self._articles = self._client.get_or_create_collection(
            f"{prefix}_articles", metadata={**identity, "revision": "empty"}, embedding_function=None
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
        self._chunks = self._client.get_or_create_collection(f"{prefix}_chunks", embedding_function=None)
        # A store made before stories gets the collection empty: its articles are each a story
        # of their own (``_article``), and later ones are matched only against each other.
        self._stories = self._client.get_or_create_collection(f"{prefix}_stories", embedding_function=None)
        self._journal = Journal(self._client, self._articles, prefix, self.location, self._server)
        # Names this store instance (a store deleted and made again gets another): caches of it
        # kept outside Chroma (the keyword index) are dropped when it differs.
        self.identity = str(self._articles.id)
        self._batch = self._client.get_max_batch_size()
        self._bulk = open_bulk(settings.store_dir, self._server, self._articles, self._chunks, dim)

    @property
    def client(self) -> ClientAPI:
        """The Chroma client, for the other collections of the store (store/feeds.py)."""
        return self._client

    @property
    def writer(self) -> bool:
        """Whether this process may write (the other collections of the store follow it)."""
        return self._writer

    # ----- reads -------------------------------------------------------------------------------
    @_guarded
    def revision(self) -> str:
        """A token that changes whenever the corpus changes (read from the store, not cached)."""
        return self._journal.revision()

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
    def story_records(self, days: Sequence[date]) -> list[StoryRecord]:
        """The story records of the articles published on ``days``: what a new article of those
        days is matched against. One query on the day field (an ``$in`` of the days, so a batch
        spread over years reads only its own days' articles)."""
        if not days:
            return []
        wanted = sorted({day_int(d) for d in days})
        where = {"published_int": {"$in": wanted}} if len(wanted) > 1 else {"published_int": wanted[0]}
        rows = self._stories.get(where=where, include=["metadatas", "embeddings"])
        return [
            StoryRecord(
                article_id=i,
                story=str(meta["story"]),
                published=meta.get("published"),
                title=meta.get("title"),
                names=str(meta.get("names", "")),
                vector=np.asarray(vector, dtype=np.float32),
            )
            for i, meta, vector in zip(rows["ids"], rows["metadatas"], rows["embeddings"], strict=True)
        ]

    @_guarded
    def stories_of(self, article_ids: list[str]) -> dict[str, str]:
        """The story id of each stored article of ``article_ids`` (from metadata alone)."""
        if not article_ids:
            return {}
        rows = self._articles.get(ids=list(dict.fromkeys(article_ids)), include=["metadatas"])
        return {i: str(m.get("story") or i) for i, m in zip(rows["ids"], rows["metadatas"], strict=True)}

    @_guarded
    def story_articles(self, story_id: str) -> list[Article]:
        """The articles of one story. An article stored before stories existed has no story field
        and is the one article of the story named by its own id."""
        rows = self._articles.get(where={"story": story_id}, include=["metadatas", *self._bulk.include])
        found = self._with_texts(rows)
        if story_id not in found:
            found.update({i: a for i, a in self.get([story_id]).items() if a.story == story_id})
        return list(found.values())

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
        ask`` once nothing else needed it (bench/cold_ask.py). The chunks' texts come from the bulk
        (``Bulk.chunk_texts``)."""
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
    def sentence_texts(self, ids: list[str]) -> dict[str, str]:
        """The texts of the sentences ``ids`` (``<article>:s<i>``) that exist, without reading
        their vectors: what the keyword index reads of an article's lede, which must work while
        a chunk's lost vectors await ``assistant check``'s repair."""
        if not ids:
            return {}
        wanted = set(ids)
        articles = list(dict.fromkeys(sentence_article(sid) for sid in ids))
        found = {}
        for chunk in self._bulk.article_sentences(articles, vectors=False).values():
            for j, text in enumerate(chunk.texts()):
                if (sid := sentence_id(chunk.article_id, chunk.first + j)) in wanted:
                    found[sid] = text
        return found

    @_guarded
    def sentences(self, ids: list[str]) -> list[SentenceRow]:
        """The sentences ``ids`` (``<article>:s<i>``), from the sentences of their articles'
        chunks: one query by article (Chroma's SQLite metadata filter took 15 s at 60,000 chunks
        for an ``$or`` of per-article sentence ranges, 15 ms for one ``$in`` of article ids)."""
        if not ids:
            return []
        articles = list(dict.fromkeys(sentence_article(sid) for sid in ids))
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
        self._require_writer()
        with self._journal.journaled(new, list(replaces)):
            self._remove_parts(new)
            cut("removed")
            articles = [e.article for e in entries]
            chunks = [
                (chunk_id(e.article.article_id, i), e.article, c)
                for e in entries
                for i, c in enumerate(e.chunks)
            ]
            inline = self._bulk.put(
                {a.article_id: a.text for a in articles},
                {cid: _sentences(article, c) for cid, article, c in chunks},
            )
            cut("bulk")
            for i in range(0, len(chunks), self._batch):
                page = chunks[i : i + self._batch]
                documents = (
                    [inline.chunk_documents[cid] for cid, _, _ in page] if inline.chunk_documents else None
                )
                self._chunks.add(
                    ids=[cid for cid, _, _ in page],
                    embeddings=[c.vector for _, _, c in page],
                    metadatas=[
                        {**_chunk_metadata(article, c), **inline.chunk_metadata.get(cid, {})}
                        for cid, article, c in page
                    ],
                    **({"documents": documents} if documents else {}),
                )
            cut("chunks")
            stories = [e.story for e in entries if e.story is not None]
            for i in range(0, len(stories), self._batch):
                told = stories[i : i + self._batch]
                self._stories.upsert(
                    ids=[r.article_id for r in told],
                    embeddings=[r.vector.tolist() for r in told],
                    metadatas=[_story_metadata(r) for r in told],
                )
            for i in range(0, len(articles), self._batch):
                part = articles[i : i + self._batch]
                documents = [inline.documents[a.article_id] for a in part] if inline.documents else None
                self._articles.upsert(
                    ids=[a.article_id for a in part],
                    embeddings=[[0.0] for _ in part],  # Chroma needs a vector; articles are found by id
                    metadatas=[_article_metadata(a) for a in part],
                    **({"documents": documents} if documents else {}),
                )
            cut("articles")
            if replaces:
                self._drop(list(replaces))
                cut("replaced")

    @_guarded
    def delete(self, article_ids: list[str]) -> None:
        if not article_ids:
            return
        self._require_writer()
        with self._journal.journaled([], list(article_ids)):
            self._drop(list(article_ids))

    @_guarded
    def touch(self) -> None:
        """Log a change of everything and change the revision token, so every cache derived from
        the corpus is rebuilt (after a repair behind the change log's back)."""
        self._require_writer()
        self._journal.log_change(None)
        self._journal.bump_revision()

    @_guarded
    def recover(self) -> int:
        """Roll back the writes of processes that died mid-write (store/journal.py); returns how
        many there were."""
        return self._journal.recover(self._drop)

    @_guarded
    def changes_since(self, at: int) -> list[tuple[str, int, list[str] | None]]:
        """The change log from ``at`` on (``Journal.changes_since``): what the keyword index
        catches up from."""
        return self._journal.changes_since(at)

    def _require_writer(self) -> None:
        if not self._writer:
            raise read_only(self.location)

    def _drop(self, article_ids: list[str]) -> None:
        self._articles.delete(ids=article_ids)
        self._remove_parts(article_ids)

    def _remove_parts(self, article_ids: list[str]) -> None:
        """Chunks, story records and bulk (texts, sentences) of these articles, each in one call
        (not through ChromaVectorStore.delete, which takes one id at a time). The articles left in
        a story keep its id, so a story never loses more than the deleted article."""
        if not article_ids:
            return
        ids = list(dict.fromkeys(article_ids))
        self._chunks.delete(where={"article_id": {"$in": ids}})
        self._stories.delete(ids=ids)
        self._bulk.delete(ids)

    # ----- integrity ---------------------------------------------------------------------------
    @_guarded
    def inspect(self) -> Integrity:
        """The integrity check of store/integrity.py over this store's collections and bulk,
        with the writes its journal holds unfinished."""
        return inspect(
            self._articles, self._chunks, self._stories, self._bulk, self._batch, self._journal.unfinished()
        )

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


def _chunk_metadata(article: Article, chunk: ChunkRecord) -> dict[str, Any]:
    """A chunk record's metadata: its article, span and sentence range, and the fields filters
    act on."""
    meta: dict[str, Any] = {
        "article_id": article.article_id,
        "start": chunk.start,
        "end": chunk.end,
        "s_first": chunk.first,
        "s_last": chunk.last,
    }
    if article.source:
        meta["source"] = article.source
    if article.published:
        meta["published_int"] = day_int(date.fromisoformat(article.published))
    return meta


def _sentences(article: Article, chunk: ChunkRecord) -> Sentences:
    """A chunk's sentences as the bulk keeps them, with the chunk's own text to slice them from."""
    return Sentences(
        article.article_id,
        chunk.first,
        chunk.spans,
        np.asarray(chunk.sentence_vectors, dtype=np.float32),
        article.text[chunk.start : chunk.end],
        chunk.start,
    )


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


def _story_metadata(record: StoryRecord) -> dict[str, Any]:
    """A story record's metadata: its story, and its day as chunks keep it (``published_int``),
    which ``story_records`` selects on."""
    meta: dict[str, Any] = {"story": record.story, "names": record.names}
    if record.title:
        meta["title"] = record.title
    if record.published:
        meta["published"] = record.published
        meta["published_int"] = day_int(date.fromisoformat(record.published))
    return meta


def _article_metadata(article: Article) -> dict[str, Any]:
    meta: dict[str, Any] = {k: getattr(article, k) for k in _ARTICLE_FIELDS if getattr(article, k)}
    meta["chunks"] = article.chunks
    meta["ingested_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    return meta


def _article(article_id: str, text: str, meta: dict[str, Any]) -> Article:
    """An article from its record; one stored before stories existed is a story of its own."""
    fields = {k: meta.get(k) for k in _ARTICLE_FIELDS}
    fields["story"] = fields["story"] or article_id
    return Article(article_id=article_id, text=text, chunks=int(meta.get("chunks", 0)), **fields)
