"""The corpus in Chroma: three collections that together hold everything a query needs.

- ``<prefix>_articles``: one record per article, the clean full text (the ground truth for quotes
  and offsets) and its metadata. Written last, so it doubles as the commit marker of an ingest.
- ``<prefix>_chunks``: retrieval units (runs of whole sentences) through llama-index's
  ChromaVectorStore, so dense search and metadata filters are llama-index's own.
- ``<prefix>_sentences``: one vector per sentence, fetched by id at query time to rank the
  sentences of retrieved chunks without encoding anything but the question.

The articles collection's metadata carries the schema version, the embedding model with the
backend and quantization that ran it, and a
``revision`` token changed on every write; caches derived from the corpus (the keyword index) are
keyed by it, which is what lets several processes share one Chroma server.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from llama_index.core.schema import NodeRelationship, NodeWithScore, RelatedNodeInfo, TextNode
from llama_index.core.vector_stores.types import (
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
    VectorStoreQuery,
)
from llama_index.vector_stores.chroma import ChromaVectorStore

from assistant.config import Settings
from assistant.errors import AssistantError, StoreError, StoreVersionError
from assistant.schema import Article, Filters
from assistant.store.client import brief, open_client

SCHEMA_VERSION = 1
_ARTICLE_FIELDS = ("title", "source", "published", "url", "dateline", "origin")

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
class Entry:
    """One article ready to write: the record, its chunk nodes and its sentence rows."""

    article: Article
    chunks: list[TextNode]
    sentences: list[SentenceRow]


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
    ) -> None:
        self.location = settings.chroma_url or str(settings.store_dir)
        self._client = open_client(settings)
        self._names = {k: f"{settings.collection_prefix}_{k}" for k in ("articles", "chunks", "sentences")}
        self._open(embed_model, dim, embed_backend, embed_quantization)

    @_guarded
    def _open(self, embed_model: str, dim: int, embed_backend: str, embed_quantization: str) -> None:
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
        # Sentence vectors are only ever fetched by id, never searched, so the similarity graph
        # Chroma builds on insert can be as cheap as it allows: inserts take ~40 % less time.
        self._sentences = self._client.get_or_create_collection(
            self._names["sentences"],
            embedding_function=None,
            configuration={"hnsw": {"ef_construction": 10, "max_neighbors": 4}},
        )
        self._vectors = ChromaVectorStore(chroma_collection=self._chunks)
        self._batch = self._client.get_max_batch_size()

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
        rows = self._articles.get(ids=list(dict.fromkeys(article_ids)), include=["documents", "metadatas"])
        return {
            i: _article(i, d, m)
            for i, d, m in zip(rows["ids"], rows["documents"], rows["metadatas"], strict=False)
        }

    @_guarded
    def list(self) -> list[Article]:
        articles: list[Article] = []
        for offset in range(0, self._articles.count(), self._batch):
            rows = self._articles.get(include=["documents", "metadatas"], limit=self._batch, offset=offset)
            articles += [
                _article(*r) for r in zip(rows["ids"], rows["documents"], rows["metadatas"], strict=False)
            ]
        return articles

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
    def query_chunks(self, vector: list[float], k: int, filters: Filters) -> list[NodeWithScore]:
        """Dense search over chunks; score is cosine similarity (vectors are unit length)."""
        result = self._vectors.query(
            VectorStoreQuery(query_embedding=vector, similarity_top_k=k, filters=to_metadata_filters(filters))
        )
        return [
            NodeWithScore(node=n, score=s)
            for n, s in zip(result.nodes or [], result.similarities or [], strict=False)
        ]

    @_guarded
    def iter_chunk_nodes(self) -> Iterator[TextNode]:
        """All chunk nodes (text and metadata, no vectors), in pages: the keyword index is built
        from these, so in server mode it needs nothing but the server."""
        total = self._chunks.count()
        for offset in range(0, total, self._batch):
            rows = self._chunks.get(include=["documents", "metadatas"], limit=self._batch, offset=offset)
            for node_id, text, meta in zip(rows["ids"], rows["documents"], rows["metadatas"], strict=False):
                public = {k: v for k, v in meta.items() if not k.startswith("_") and k not in _LLAMA_KEYS}
                yield TextNode(
                    id_=node_id,
                    text=text,
                    metadata=public,
                    excluded_embed_metadata_keys=list(public),  # keep metadata out of BM25 terms
                )

    @_guarded
    def sentences(self, ids: list[str]) -> list[SentenceRow]:
        if not ids:
            return []
        rows = self._sentences.get(ids=ids, include=["documents", "metadatas", "embeddings"])
        return [
            SentenceRow(i, m["article_id"], m["start"], m["end"], d, list(v))
            for i, d, m, v in zip(
                rows["ids"], rows["documents"], rows["metadatas"], rows["embeddings"], strict=False
            )
        ]

    # ----- writes ------------------------------------------------------------------------------
    @_guarded
    def write(self, entries: list[Entry]) -> None:
        """Replace each entry's article wholesale. Sentences and chunks go first and the article
        record last, so a write cut short leaves no visible article (and is redone on re-ingest)."""
        if not entries:
            return
        self._remove_parts([e.article.article_id for e in entries])
        rows = [s for e in entries for s in e.sentences]
        for i in range(0, len(rows), self._batch):
            part = rows[i : i + self._batch]
            self._sentences.add(
                ids=[r.sentence_id for r in part],
                embeddings=[r.vector for r in part],
                documents=[r.text for r in part],
                metadatas=[{"article_id": r.article_id, "start": r.start, "end": r.end} for r in part],
            )
        self._vectors.add([n for e in entries for n in e.chunks])
        articles = [e.article for e in entries]
        for i in range(0, len(articles), self._batch):
            part = articles[i : i + self._batch]
            self._articles.upsert(
                ids=[a.article_id for a in part],
                embeddings=[[0.0] for _ in part],  # Chroma needs a vector; articles are found by id
                documents=[a.text for a in part],
                metadatas=[_article_metadata(a) for a in part],
            )
        self._bump_revision()

    @_guarded
    def delete(self, article_ids: list[str]) -> None:
        if not article_ids:
            return
        self._articles.delete(ids=list(article_ids))
        self._remove_parts(list(article_ids))
        self._bump_revision()

    def _remove_parts(self, article_ids: list[str]) -> None:
        """Chunks and sentences of these articles, in one call per collection (not one per
        article, and not through ChromaVectorStore.delete, which takes one id at a time)."""
        where = {"article_id": {"$in": list(dict.fromkeys(article_ids))}}
        self._chunks.delete(where=where)
        self._sentences.delete(where=where)

    def _bump_revision(self) -> None:
        meta = dict(self._client.get_collection(self._names["articles"]).metadata or {})
        meta["revision"] = uuid.uuid4().hex
        self._articles.modify(metadata=meta)


# Keys ChromaVectorStore adds to every chunk's metadata for its own bookkeeping.
_LLAMA_KEYS = {"document_id", "doc_id", "ref_doc_id"}


def make_chunk_node(
    article: Article, index: int, start: int, end: int, sentences: range, vector: list[float]
) -> TextNode:
    """A chunk as llama-index sees it: its text, vector, span and the metadata filters act on."""
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
        meta["published_int"] = int(article.published.replace("-", ""))
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


def to_metadata_filters(filters: Filters) -> MetadataFilters | None:
    """Filters in llama-index's form: Chroma runs them in dense search, and the keyword index
    applies the same object to its hits."""
    parts = []
    if filters.source:
        parts.append(MetadataFilter(key="source", value=filters.source, operator=FilterOperator.EQ))
    if filters.date_from:
        value = int(filters.date_from.strftime("%Y%m%d"))
        parts.append(MetadataFilter(key="published_int", value=value, operator=FilterOperator.GTE))
    if filters.date_to:
        value = int(filters.date_to.strftime("%Y%m%d"))
        parts.append(MetadataFilter(key="published_int", value=value, operator=FilterOperator.LTE))
    return MetadataFilters(filters=parts) if parts else None


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
