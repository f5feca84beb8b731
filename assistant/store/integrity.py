"""The store's integrity check (``assistant check``): what each article should have against what
is there.

Every article record says how many chunks it has; each chunk needs a record that can return its
vector and whole sentences in the bulk (a span and a vector for each sentence its metadata
names), and the article needs its text there. Anything of an article with no record is an
orphan. Reads everything: a maintenance command, not a per-request check. Kept apart from the
reads and writes (store/corpus.py) because it reads the collections as raw records, around the
façade's views of them; the repair (``Assistant.check``) is made of the façade's own writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from assistant.store.ids import chunk_id

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

    from assistant.store.bulk import Bulk


@dataclass
class Integrity:
    """What ``inspect`` found; ``problems`` is empty for a sound store."""

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
        found += [f"chunks, sentences or story record of deleted article {a} remain" for a in self.orphans]
        found += [f"unfinished write: {w}" for w in self.unfinished]
        if self.keyword_stale:
            found.append("the keyword index does not match the stored chunks")
        return found


def inspect(
    articles: Collection,
    chunks: Collection,
    stories: Collection,
    bulk: Bulk,
    batch: int,
    unfinished: list[str],
) -> Integrity:
    """Compare what each article should have (its text, its chunks, their sentences) with the
    records that exist and can return their vectors and what the bulk holds; find parts of
    deleted articles (their chunks, sentences, texts or story records). ``batch``: the most
    records one Chroma call may return; ``unfinished``: the journal's writes begun and not
    finished, reported as they are. An article without a story record is no problem: it was
    stored before stories, or with clustering off, and is a story of its own."""
    expected_chunks = {
        article_id: int(meta.get("chunks", 0)) for article_id, meta in _all_metadata(articles, batch).items()
    }
    chunk_meta = _all_metadata(chunks, batch)
    held = bulk.held(list(expected_chunks), chunk_meta)
    chunks_ok = _with_vectors(chunks, list(chunk_meta), batch) & held.whole
    report = Integrity(articles=len(expected_chunks), chunk_ids=set(chunk_meta), unfinished=unfinished)
    for article_id, n in expected_chunks.items():
        if article_id not in held.texts:
            report.textless.append(article_id)
        elif not n or not {chunk_id(article_id, i) for i in range(n)} <= chunks_ok:
            report.incomplete.append(article_id)
    parts = {m["article_id"] for m in chunk_meta.values()} | held.articles
    parts |= set(_all_metadata(stories, batch))
    report.orphans = sorted(parts - set(expected_chunks))
    return report


def _all_metadata(collection: Collection, batch: int) -> dict[str, dict[str, Any]]:
    """Every record's metadata by id, in pages of ``batch``."""
    found: dict[str, dict[str, Any]] = {}
    for offset in range(0, collection.count(), batch):
        rows = collection.get(include=["metadatas"], limit=batch, offset=offset)
        found.update(zip(rows["ids"], rows["metadatas"], strict=True))
    return found


def _with_vectors(collection: Collection, ids: list[str], batch: int) -> set[str]:
    """Which of ``ids`` return their vector. A record whose vector is lost makes Chroma fail
    the whole request, so a failing page is split in halves down to the single bad ids."""
    if not ids:
        return set()
    if len(ids) > batch:
        return _with_vectors(collection, ids[:batch], batch) | _with_vectors(collection, ids[batch:], batch)
    try:
        rows = collection.get(ids=ids, include=["embeddings"])
        pairs = zip(rows["ids"], rows["embeddings"], strict=True)
        return {i for i, v in pairs if v is not None and len(v)}
    except Exception:
        if len(ids) == 1:
            return set()
        half = len(ids) // 2
        return _with_vectors(collection, ids[:half], batch) | _with_vectors(collection, ids[half:], batch)
