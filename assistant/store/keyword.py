"""The keyword (BM25) side of hybrid retrieval: an SQLite FTS5 index of the chunks in Chroma.

Why FTS5 and not bm25s (llama-index's BM25Retriever, used before): bm25s builds one immutable
index, so every write rebuilt it from every chunk in the store (and in server mode every app
process did so again). FTS5 adds and deletes rows in place and keeps its BM25 statistics (document
count, average length, term frequencies) exact after deletes; it ships with Python's sqlite3, so
there is no new dependency. Scoring is FTS5's ``bm25()`` (Okapi, k1 = 1.2, b = 0.75) over the
Porter-stemmed ``porter unicode61`` tokenizer. The query is the question's words OR-ed, without
bm25s's stopwords, question words, and terms in more than a tenth of a large store's chunks (see
``search``).

The index is a cache of the store, kept in a file: under the store dir when embedded, under
``<store_dir>/keyword/`` keyed by server and prefix in server mode. It follows the store through
the change log (``CorpusStore.changes_since``): when the store's revision moves, the records since
the last one applied name the articles a write touched, and only their rows are replaced with
what Chroma holds now. Replaying a record is harmless, so records are read with a margin before
the last one applied (late landings, clock skew between writer hosts). A new or foreign file, or a
record that says "everything" (``CorpusStore.touch``), rebuilds from all chunks.
"""

from __future__ import annotations

import hashlib
import logging
import re
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

import Stemmer

from assistant.config import Settings
from assistant.schema import Filters, day_int
from assistant.store.corpus import OVERFETCH, CorpusStore
from assistant.store.ids import sentence_id
from assistant.store.records import Chunk

log = logging.getLogger(__name__)

# Change-log records are read back this far before the last one applied (ns): a write's record is
# stamped just before it lands, and writers on other hosts may have clocks this far apart.
REPLAY_MARGIN_NS = 120 * 1_000_000_000
_FORMAT = "2"  # bump when the tables below change: an older file's tables are made again
# Each chunk is indexed with its article's context beside its own text: the headline and the first
# LEDE_SENTENCES sentences, which name the event that a sentence deep in the story leaves out
# ("killing 224 people" under a lede about the jet downed over Sinai). The context column weighs
# CONTEXT_WEIGHT of the body in BM25 (docs/architecture.md, "Contextual keywords", has what it
# gains out of fold).
LEDE_SENTENCES = 2
CONTEXT_WEIGHT = 0.5
_BM25 = f"bm25(text, 1.0, {CONTEXT_WEIGHT})"  # FTS5's score, a weight per column
_INSERT_BATCH = 2000  # chunks whose articles' headlines and ledes are read in one go
_TOKEN = re.compile(r"\w+")
# bm25s's STOPWORDS_EN (what its BM25Retriever dropped), written out: importing bm25s.stopwords runs
# bm25s/__init__, which loads scipy.sparse, 0.15 s of every cold `assistant ask`.
# tests/test_archive_store.py checks the copy against bm25s.
STOPWORDS = frozenset(
    "a an and are as at be but by for if in into is it no not of on or such that the their then there "
    "these they this to was will with".split()
)
# Question words: in nearly every question and in many chunks ("how many", "what", "did"), so they
# rank little and cost much (BM25 scores every chunk holding any query term).
_QUESTION_WORDS = frozenset(
    "how many much what which who whom whose when where why did does do has have had can could would "
    "should".split()
)
# A query term in more than this share of the chunks is left out of the query (the rarest term
# always stays): BM25 gives it little weight (idf <= ln 9) but scores every chunk holding it, most
# of an ask at 100,000 articles (an OR of "officials", in 2 of 3 generated chunks, took 114 ms
# against 8 ms without it).
_COMMON_SHARE = 0.1
_COMMON_FLOOR = 2000  # chunks: below this many postings a term costs little, whatever its share
_PUBLIC = ("article_id", "start", "end", "s_first", "s_last", "source", "published_int")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chunk (
    rowid INTEGER PRIMARY KEY, chunk_id TEXT UNIQUE NOT NULL, article_id TEXT NOT NULL,
    start INTEGER, "end" INTEGER, s_first INTEGER, s_last INTEGER, source TEXT, published_int INTEGER
);
CREATE INDEX IF NOT EXISTS chunk_article ON chunk (article_id);
CREATE TABLE IF NOT EXISTS applied (change_id TEXT PRIMARY KEY, at INTEGER NOT NULL);
CREATE VIRTUAL TABLE IF NOT EXISTS text USING fts5 (body, context, tokenize = 'porter unicode61');
CREATE VIRTUAL TABLE IF NOT EXISTS vocab USING fts5vocab (text, 'row');
"""


def keyword_path(settings: Settings) -> Path:
    """Where this process keeps the keyword index of the configured store."""
    if not settings.chroma_url:
        return settings.store_dir / "keyword.sqlite3"
    key = hashlib.sha256(f"{settings.chroma_url}|{settings.collection_prefix}".encode()).hexdigest()[:16]
    return settings.store_dir / "keyword" / f"{key}.sqlite3"


class KeywordIndex:
    def __init__(self, store: CorpusStore, path: Path | None) -> None:
        """``path``: the index file (None keeps it in memory, rebuilt per process)."""
        self._store = store
        self._lock = threading.Lock()
        self._revision: str | None = None
        # (revision, chunk count, newest publication date): read once per revision
        self._stats: tuple[str, int, int | None] | None = None
        self._stemmer = Stemmer.Stemmer("porter")  # FTS5's tokenizer stems with Porter's algorithm
        self._db = _connect(path)
        self._db.executescript(_SCHEMA)

    def search(self, question: str, k: int, filters: Filters, revision: str) -> list[Chunk]:
        """Top ``k`` chunks for ``question`` by BM25, restricted by ``filters``.

        FTS5 ranks alone and only the top rows are joined to their chunk records (joining first
        joined every matching row: 100 against 77 ms at 200,000 chunks). A filter is applied to
        the top ``k * OVERFETCH`` here, as in dense search; the joined, filtered query runs only
        when fewer than ``k`` of those pass. Terms in a tenth of the chunks are left out
        (``_uncommon``)."""
        words = dict.fromkeys(_TOKEN.findall(question.lower()))
        terms = [t for t in words if t not in STOPWORDS and t not in _QUESTION_WORDS]
        if not terms:
            return []
        wide = k * OVERFETCH if filters else k
        with self._lock:
            self._follow(revision)
            match = " OR ".join('"' + t.replace('"', "") + '"' for t in self._uncommon(terms, revision))
            rows = self._db.execute(_TOP, [match, wide]).fetchall()
            hits = [_chunk(row) for row in rows if row[-1] > 0]
            if not filters:
                return hits
            kept = [h for h in hits if filters.admits(h.metadata)]
            if len(kept) >= k or len(rows) < wide:  # enough, or every match was seen
                return kept[:k]
            where, args = _where(filters)
            sql = (
                f"SELECT chunk.*, text.body, -{_BM25} FROM text JOIN chunk ON chunk.rowid = text.rowid "
                f"WHERE text MATCH ? AND {where} ORDER BY {_BM25} LIMIT ?"
            )
            rows = self._db.execute(sql, [match, *args, k]).fetchall()
        return [_chunk(row) for row in rows if row[-1] > 0]

    def newest(self, revision: str) -> int | None:
        """The latest publication date (20220826) of any chunk in the store, None when none is
        dated; read once per revision."""
        with self._lock:
            self._follow(revision)
            return self._read_stats(revision)[2]

    def _read_stats(self, revision: str) -> tuple[str, int, int | None]:
        """(revision, chunk count, newest publication date), read once per revision (caller holds
        the lock and has followed ``revision``)."""
        if self._stats is None or self._stats[0] != revision:
            count, newest = self._db.execute("SELECT COUNT(*), MAX(published_int) FROM chunk").fetchone()
            self._stats = (revision, count, newest)
        return self._stats

    def _uncommon(self, terms: list[str], revision: str) -> list[str]:
        """``terms`` without those in more than _COMMON_SHARE of the chunks (and _COMMON_FLOOR),
        keeping the rarest. A term whose stem the vocabulary lacks counts as rare (kept)."""
        stems = self._stemmer.stemWords(terms)
        marks = ",".join("?" * len(stems))
        df = dict(self._db.execute(f"SELECT term, doc FROM vocab WHERE term IN ({marks})", stems).fetchall())
        counts = [df.get(s, 0) for s in stems]
        limit = max(_COMMON_SHARE * self._read_stats(revision)[1], _COMMON_FLOOR)
        kept = [t for t, c in zip(terms, counts, strict=True) if c <= limit]
        return kept or [terms[counts.index(min(counts))]]

    def matches(self, chunk_ids: set[str]) -> bool:
        """Whether the index for the store's current revision holds exactly ``chunk_ids``: false
        when a write changed chunks without logging it (``assistant check``)."""
        with self._lock:
            self._follow(self._store.revision())
            return {r[0] for r in self._db.execute("SELECT chunk_id FROM chunk")} == chunk_ids

    def _follow(self, revision: str) -> None:
        """Bring the index up to the store's ``revision`` (caller holds the lock)."""
        if revision == self._revision:
            return
        state = dict(self._db.execute("SELECT key, value FROM state").fetchall())
        if state.get("format") != _FORMAT:
            self._db.executescript("DROP TABLE IF EXISTS vocab; DROP TABLE IF EXISTS text;" + _SCHEMA)
        if state.get("format") != _FORMAT or state.get("store") != self._store.identity:
            self._rebuild()
        else:
            self._catch_up(int(state["seen"]))
        self._revision = revision

    def _catch_up(self, seen: int) -> None:
        changes = self._store.changes_since(seen - REPLAY_MARGIN_NS)
        applied = {r[0] for r in self._db.execute("SELECT change_id FROM applied")}
        todo = [c for c in changes if c[0] not in applied]
        if any(ids is None for _, _, ids in todo):
            self._rebuild()
            return
        if not todo:
            return
        articles = sorted({a for _, _, ids in todo for a in ids or ()})  # none is None here
        with self._db:
            self._delete(articles)
            self._insert(self._store.iter_chunks(articles))
            self._db.executemany("INSERT OR IGNORE INTO applied VALUES (?, ?)", [(c[0], c[1]) for c in todo])
            newest = max(seen, *(c[1] for c in todo))
            self._db.execute("DELETE FROM applied WHERE at < ?", (newest - 2 * REPLAY_MARGIN_NS,))
            self._db.execute("UPDATE state SET value = ? WHERE key = 'seen'", (str(newest),))
        log.debug("keyword index: %d change(s), %d article(s) replaced", len(todo), len(articles))

    def _rebuild(self) -> None:
        """Index every chunk. The log position is read first, so a write landing during the
        build is replayed by the next catch-up."""
        changes = self._store.changes_since(0)
        with self._db:
            self._db.execute("DELETE FROM chunk")
            self._db.execute("DELETE FROM text")
            self._db.execute("DELETE FROM applied")
            self._db.execute("DELETE FROM state")
            self._db.executemany("INSERT INTO applied VALUES (?, ?)", [(c[0], c[1]) for c in changes])
            self._insert(self._store.iter_chunks())
            seen = str(changes[-1][1] if changes else 0)
            state = {"format": _FORMAT, "store": self._store.identity, "seen": seen}
            self._db.executemany("INSERT INTO state VALUES (?, ?)", state.items())
        log.info("keyword index rebuilt from the store")

    def _delete(self, article_ids: list[str]) -> None:
        for i in range(0, len(article_ids), 500):
            part = article_ids[i : i + 500]
            marks = ",".join("?" * len(part))
            rows = f"SELECT rowid FROM chunk WHERE article_id IN ({marks})"
            self._db.execute(f"DELETE FROM text WHERE rowid IN ({rows})", part)
            self._db.execute(f"DELETE FROM chunk WHERE article_id IN ({marks})", part)

    def _insert(self, chunks: Iterable[Chunk]) -> None:
        batch: list[Chunk] = []
        for chunk in chunks:
            batch.append(chunk)
            if len(batch) == _INSERT_BATCH:
                self._insert_batch(batch)
                batch = []
        if batch:
            self._insert_batch(batch)

    def _insert_batch(self, chunks: list[Chunk]) -> None:
        context = self._contexts(list({c.metadata["article_id"] for c in chunks}))
        for chunk in chunks:
            meta = chunk.metadata
            cursor = self._db.execute(
                'INSERT INTO chunk (chunk_id, article_id, start, "end", s_first, s_last, source,'
                " published_int) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (chunk.chunk_id, *(meta.get(k) for k in _PUBLIC)),
            )
            self._db.execute(
                "INSERT INTO text (rowid, body, context) VALUES (?, ?, ?)",
                (cursor.lastrowid, chunk.text, context.get(meta["article_id"], "")),
            )

    def _contexts(self, article_ids: list[str]) -> dict[str, str]:
        """Each article's headline and lede, as its chunks' context column holds them."""
        titles = self._store.titles(article_ids)
        lede = self._store.sentence_texts(
            [sentence_id(a, i) for a in article_ids for i in range(LEDE_SENTENCES)]
        )
        return {
            a: " ".join(
                [titles.get(a, ""), *(lede.get(sentence_id(a, i), "") for i in range(LEDE_SENTENCES))]
            ).strip()
            for a in article_ids
        }


def _connect(path: Path | None) -> sqlite3.Connection:
    """The index file in WAL mode (readers and the writer of one host share it); in memory when
    the folder can't be written, with a warning: then each process rebuilds on start."""
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(path, check_same_thread=False, timeout=30)
            db.execute("PRAGMA journal_mode = WAL")
            return db
        except (OSError, sqlite3.Error) as exc:
            log.warning("keyword index can't be kept at %s (%s); keeping it in memory", path, exc)
    return sqlite3.connect(":memory:", check_same_thread=False)


# The top rows by BM25, then their chunk records and texts, best first.
_TOP = (
    "SELECT chunk.*, text.body, -top.r FROM "
    f"(SELECT rowid, {_BM25} AS r FROM text WHERE text MATCH ? ORDER BY r LIMIT ?) AS top "
    "JOIN chunk ON chunk.rowid = top.rowid JOIN text ON text.rowid = top.rowid ORDER BY top.r"
)


def _where(filters: Filters) -> tuple[str, list]:
    """``filters`` as an SQL condition on the chunk table, and its arguments."""
    where: list[str] = []
    args: list[str | int] = []
    if filters.source:
        where.append("chunk.source = ?")
        args.append(filters.source)
    if filters.date_from:
        where.append("chunk.published_int >= ?")
        args.append(day_int(filters.date_from))
    if filters.date_to:
        where.append("chunk.published_int <= ?")
        args.append(day_int(filters.date_to))
    return " AND ".join(where), args


def _chunk(row: tuple) -> Chunk:
    """A hit as retrieval fuses it with dense hits (the metadata dense hits carry), scored by BM25."""
    meta = {k: v for k, v in zip(_PUBLIC, row[2:9], strict=True) if v is not None}
    return Chunk(row[1], row[9], meta, float(row[-1]))
