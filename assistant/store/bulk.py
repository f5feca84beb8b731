"""Where the bulk of the corpus lives: article texts and each chunk's sentence spans and vectors.

Both are only ever read by id (a chunk's text is a slice of its article's text; sentence vectors
rank the sentences of retrieved chunks), never searched, and they are most of the corpus's bytes.
Two homes, chosen by mode (``open_bulk``):

- an embedded store keeps them beside Chroma, in one SQLite file (``FileBulk``,
  ``<store_dir>/bulk.sqlite3``): texts zlib-compressed, vectors as float16 BLOBs. Hand-written
  because inside Chroma's embedded SQLite every metadata string is stored twice (the row and an
  index on (key, string_value)) and every document about five times (a metadata row, that index,
  and a trigram full-text index no query here uses): on the dev corpus the sentence vectors took
  164 KB per article as base64 strings, 66 KB as BLOBs here, and the whole store 391 against 138
  KB (docs/scaling.md); Chroma 1.5.9 embedded ignores the schema settings that would turn those
  indexes off.
- a Chroma server keeps them in its own records (``ChromaBulk``): a file on one host is not shared
  by the processes of other hosts that write and read through the server. Article texts are the
  article records' documents, sentences base64 in chunk metadata (``_ss``, ``_sv``), and chunk
  records keep their own text as their document too: slicing it from the article's text fetches
  whole articles over the network, one more call per read: ask p50 on a server 38-49 ms that way,
  30-37 with the documents (149 dev articles; docs/scaling.md, "Store size").

The file is primary data, not a cache: ``CorpusStore`` writes it inside its journaled write (after
the chunks of the articles are removed, before their records are added), removes it with them, and
``inspect`` reports articles whose text or sentences it lacks.
"""

from __future__ import annotations

import sqlite3
import threading
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from assistant.errors import StoreError
from assistant.store.packing import (
    pack_spans,
    pack_vectors,
    span_bytes,
    spans_from_bytes,
    unpack_spans,
    unpack_vectors,
    vector_bytes,
    vectors_from_bytes,
)

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

FILE_NAME = "bulk.sqlite3"
# SQLite's largest IN (...) list per statement, kept well under its default limit.
_IN_LIMIT = 500
# A chunk's row (about 3 KB of vectors) leaves the rest of a 4 KB page empty; larger pages pack
# rows closer: the first 200 dev articles took 10.6 MB at 4 KB pages, 9.7 at 16 KB, 9.1 at 32 KB
# (8.2 MB of data). Reading one row still costs microseconds.
_PAGE_SIZE = 32768
# The write-ahead log is checkpointed into the file at this many pages (4 MB) and truncated to
# that size after, rather than SQLite's default 1,000 pages (32 MB at this page size).
_WAL_PAGES = 128

_SCHEMA = """
CREATE TABLE IF NOT EXISTS article (id TEXT PRIMARY KEY, text BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS chunk (
    id TEXT PRIMARY KEY, article_id TEXT NOT NULL, first INTEGER NOT NULL,
    spans BLOB NOT NULL, vectors BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS chunk_article ON chunk (article_id);
"""


@dataclass(frozen=True)
class Sentences:
    """One chunk's sentences: its article, the index of its first sentence in the article, each
    sentence's span in the article text and vector (float32, one row per span), and a text
    holding them: ``text[a - offset : b - offset]`` is the sentence at span (a, b). The chunk's
    own text and start as ingest and a server give it; the article's whole text (offset 0) as
    the file gives it."""

    article_id: str
    first: int
    spans: list[tuple[int, int]]
    vectors: np.ndarray
    text: str
    offset: int

    def texts(self) -> list[str]:
        """The sentences' texts."""
        return [self.text[a - self.offset : b - self.offset] for a, b in self.spans]


_NO_VECTORS = np.empty((0, 0), dtype=np.float32)  # what a texts-only read holds for the vectors


@dataclass(frozen=True)
class Inline:
    """What Chroma's own records must carry (a server's bulk): metadata fields and the document
    per chunk id, the document per article id. Empty when the bulk lives beside Chroma."""

    chunk_metadata: dict[str, dict[str, Any]] = field(default_factory=dict)
    chunk_documents: dict[str, str] = field(default_factory=dict)
    documents: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Held:
    """What the bulk holds, for ``CorpusStore.inspect``: the articles whose text it has, the
    chunks whose sentences are whole (a span and a vector for each sentence the chunk's metadata
    names), and every article it holds anything of."""

    texts: set[str]
    whole: set[str]
    articles: set[str]


class Bulk(Protocol):
    """Article texts and chunks' sentences, put, read and deleted by id: ``FileBulk`` for an
    embedded store, ``ChromaBulk`` for a server."""

    # What Chroma's gets and queries of article and chunk records must include for
    # ``article_texts`` and ``chunk_texts``: one call then brings a record and its text.
    include: tuple[str, ...]

    def put(self, texts: dict[str, str], sentences: dict[str, Sentences]) -> Inline:
        """Store article texts by article id and sentences by chunk id, replacing any there;
        returns what the Chroma records written next must carry."""
        ...

    def article_texts(self, article_ids: list[str], documents: list[str] | None) -> dict[str, str]:
        """Texts by article id, given what a Chroma get returned of the articles (their documents
        when ``include`` asks for them); ids without one are left out."""
        ...

    def chunk_texts(self, metas: list[dict[str, Any]], documents: list[str] | None) -> list[str]:
        """The texts of chunks, given what a Chroma query or get returned of them (their
        metadata, and their documents when ``include`` asks for them)."""
        ...

    def sentences(self, chunk_ids: list[str]) -> dict[str, Sentences]:
        """Sentences by chunk id (ids without them are left out)."""
        ...

    def article_sentences(self, article_ids: list[str], vectors: bool = True) -> dict[str, Sentences]:
        """The sentences of every chunk of these articles, by chunk id; ``vectors=False`` leaves
        the vectors unread (empty rows), for readers of the texts alone."""
        ...

    def delete(self, article_ids: list[str]) -> None:
        """Remove everything of these articles."""
        ...

    def held(self, article_ids: list[str], chunk_meta: dict[str, dict[str, Any]]) -> Held:
        """What the bulk holds, given the stored articles' ids and every chunk's metadata."""
        ...


def open_bulk(store_dir: Path, server: bool, articles: Collection, chunks: Collection, dim: int) -> Bulk:
    """The bulk of a store: in the Chroma server's records when ``server``, else in the file."""
    return ChromaBulk(articles, chunks, dim) if server else FileBulk(store_dir / FILE_NAME, dim)


class FileBulk:
    """The bulk of an embedded store, in one SQLite file beside Chroma's. One connection, behind
    a lock, serves every thread of the process; WAL lets reader processes read while the writer
    process writes."""

    include: tuple[str, ...] = ()

    def __init__(self, path: Path, dim: int) -> None:
        self._dim = dim
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(path, check_same_thread=False, timeout=30)
            self._db.execute(f"PRAGMA page_size = {_PAGE_SIZE}")  # only takes effect on a new file
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute(f"PRAGMA wal_autocheckpoint = {_WAL_PAGES}")
            self._db.execute(f"PRAGMA journal_size_limit = {_WAL_PAGES * _PAGE_SIZE}")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise StoreError(f"store file {path} can't be opened ({exc})") from exc

    def put(self, texts: dict[str, str], sentences: dict[str, Sentences]) -> Inline:
        with self._lock, self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO article VALUES (?, ?)",
                [(i, zlib.compress(t.encode("utf-8"))) for i, t in texts.items()],
            )
            self._db.executemany(
                "INSERT OR REPLACE INTO chunk VALUES (?, ?, ?, ?, ?)",
                [
                    (i, s.article_id, s.first, span_bytes(s.spans), vector_bytes(s.vectors))
                    for i, s in sentences.items()
                ],
            )
        return Inline()

    def article_texts(self, article_ids: list[str], documents: list[str] | None) -> dict[str, str]:
        return self._texts(article_ids)

    def chunk_texts(self, metas: list[dict[str, Any]], documents: list[str] | None) -> list[str]:
        """Sliced from their articles' texts, read in one query: about 1 ms for the 24 chunks of
        an ask's dense search in a store of 383 dev articles."""
        texts = self._texts(m["article_id"] for m in metas)
        return [texts.get(m["article_id"], "")[int(m["start"]) : int(m["end"])] for m in metas]

    def sentences(self, chunk_ids: list[str]) -> dict[str, Sentences]:
        return self._sentences("id", chunk_ids)

    def article_sentences(self, article_ids: list[str], vectors: bool = True) -> dict[str, Sentences]:
        return self._sentences("article_id", article_ids, vectors)

    def _sentences(self, column: str, ids: list[str], vectors: bool = True) -> dict[str, Sentences]:
        packed = "vectors" if vectors else "NULL"
        sql = f"SELECT id, article_id, first, spans, {packed} FROM chunk WHERE {column} IN ({{}})"
        rows = self._select(sql, list(dict.fromkeys(ids)))
        texts = self._texts(r[1] for r in rows)
        found = {}
        for chunk_id, article_id, first, spans, blob in rows:
            pairs = spans_from_bytes(spans)
            found[chunk_id] = Sentences(
                article_id,
                first,
                pairs,
                vectors_from_bytes(blob, len(pairs)) if vectors else _NO_VECTORS,
                texts.get(article_id, ""),
                0,
            )
        return found

    def delete(self, article_ids: list[str]) -> None:
        with self._lock, self._db:
            for i in range(0, len(article_ids), _IN_LIMIT):
                part = article_ids[i : i + _IN_LIMIT]
                marks = ",".join("?" * len(part))
                self._db.execute(f"DELETE FROM chunk WHERE article_id IN ({marks})", part)
                self._db.execute(f"DELETE FROM article WHERE id IN ({marks})", part)

    def held(self, article_ids: list[str], chunk_meta: dict[str, dict[str, Any]]) -> Held:
        """Sizes are checked, not values: a chunk is whole when its row starts at the chunk's
        first sentence and holds 8 bytes of span and ``2 * dim`` of vector per sentence."""
        with self._lock:
            texts = {r[0] for r in self._db.execute("SELECT id FROM article")}
            rows = self._db.execute(
                "SELECT id, article_id, first, length(spans), length(vectors) FROM chunk"
            ).fetchall()
        whole = set()
        for chunk_id, _, first, span_size, vector_size in rows:
            meta = chunk_meta.get(chunk_id)
            if meta is None:
                continue
            n = int(meta["s_last"]) - int(meta["s_first"]) + 1
            if first == int(meta["s_first"]) and span_size == 8 * n and vector_size == 2 * self._dim * n:
                whole.add(chunk_id)
        return Held(texts, whole, texts | {r[1] for r in rows})

    def _texts(self, article_ids: Iterable[str]) -> dict[str, str]:
        rows = self._select("SELECT id, text FROM article WHERE id IN ({})", list(dict.fromkeys(article_ids)))
        return {i: zlib.decompress(t).decode("utf-8") for i, t in rows}

    def _select(self, sql: str, ids: list[str]) -> list[tuple]:
        """Rows of ``sql`` (an ``IN ({})`` query) for ``ids``, in statements of _IN_LIMIT ids."""
        rows: list[tuple] = []
        with self._lock:
            for i in range(0, len(ids), _IN_LIMIT):
                part = ids[i : i + _IN_LIMIT]
                rows += self._db.execute(sql.format(",".join("?" * len(part))), part).fetchall()
        return rows


class ChromaBulk:
    """The bulk of a store on a Chroma server, in the records of its collections: removing a
    record removes its part of the bulk, so ``delete`` has nothing left to do."""

    include: tuple[str, ...] = ("documents",)

    def __init__(self, articles: Collection, chunks: Collection, dim: int) -> None:
        self._articles = articles
        self._chunks = chunks
        self._dim = dim

    def put(self, texts: dict[str, str], sentences: dict[str, Sentences]) -> Inline:
        chunk_metadata = {
            i: {"_ss": pack_spans(s.spans), "_sv": pack_vectors(s.vectors)} for i, s in sentences.items()
        }
        return Inline(chunk_metadata, {i: s.text for i, s in sentences.items()}, dict(texts))

    def article_texts(self, article_ids: list[str], documents: list[str] | None) -> dict[str, str]:
        """Their records' documents."""
        missing: list[str | None] = [None] * len(article_ids)
        pairs = zip(article_ids, documents or missing, strict=True)
        return {i: d for i, d in pairs if d is not None}

    def chunk_texts(self, metas: list[dict[str, Any]], documents: list[str] | None) -> list[str]:
        """Their records' documents."""
        return [d or "" for d in documents] if documents is not None else [""] * len(metas)

    def sentences(self, chunk_ids: list[str]) -> dict[str, Sentences]:
        if not chunk_ids:
            return {}
        rows = self._chunks.get(ids=list(dict.fromkeys(chunk_ids)), include=["documents", "metadatas"])
        return _from_records(rows)

    def article_sentences(self, article_ids: list[str], vectors: bool = True) -> dict[str, Sentences]:
        if not article_ids:
            return {}
        where = {"article_id": {"$in": list(dict.fromkeys(article_ids))}}
        rows = self._chunks.get(where=where, include=["documents", "metadatas"])
        return _from_records(rows, vectors)

    def delete(self, article_ids: list[str]) -> None:
        """Nothing: the texts and sentences went with the records."""

    def held(self, article_ids: list[str], chunk_meta: dict[str, dict[str, Any]]) -> Held:
        """An article's text is its record's document, so every stored article has one; a
        chunk's sentences are whole when its metadata unpacks to one span and vector per
        sentence."""
        whole = {i for i, m in chunk_meta.items() if self._whole(m)}
        return Held(set(article_ids), whole, {m["article_id"] for m in chunk_meta.values()})

    def _whole(self, meta: dict[str, Any]) -> bool:
        try:
            n = int(meta["s_last"]) - int(meta["s_first"]) + 1
            vectors = unpack_vectors(meta["_sv"], n)
            return len(unpack_spans(meta["_ss"])) == n and vectors.shape == (n, self._dim)
        except (KeyError, ValueError, TypeError):
            return False


def _from_records(rows: dict[str, Any], vectors: bool = True) -> dict[str, Sentences]:
    """Sentences by chunk id from chunk records (their documents and metadata)."""
    found = {}
    for chunk_id, text, meta in zip(rows["ids"], rows["documents"], rows["metadatas"], strict=True):
        spans = unpack_spans(meta["_ss"])
        packed = unpack_vectors(meta["_sv"], len(spans)) if vectors else _NO_VECTORS
        found[chunk_id] = Sentences(
            meta["article_id"], int(meta["s_first"]), spans, packed, text or "", int(meta["start"])
        )
    return found
