"""The records that cross the store's boundary: what ingest hands it to write (``Entry``,
``ChunkRecord``, ``StoryRecord``) and what its reads return (``Chunk``, ``SentenceRow``,
``StoryRecord``).

Plain dataclasses with no Chroma in them, so the rooms that only pass them around (ranking,
answering, verification) import them without loading the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from assistant.schema import Article


@dataclass(frozen=True)
class SentenceRow:
    """A stored sentence: its id (store/ids.py), its article, its span in the article's text,
    its text and its vector."""

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
class ChunkRecord:
    """One chunk of an article as ingest made it: its span in the article's text, its run of
    whole sentences (the index of the first in the article, and each one's span in the article's
    text) and the vectors of the model's one pass over it. The store names it by its position in
    ``Entry.chunks`` and keeps the sentences as they are grouped here."""

    start: int
    end: int
    first: int
    spans: list[tuple[int, int]]
    vector: list[float]
    sentence_vectors: np.ndarray  # float32, one row per span

    @property
    def last(self) -> int:
        """The index of the chunk's last sentence in the article."""
        return self.first + len(self.spans) - 1


@dataclass(frozen=True)
class StoryRecord:
    """An article as its story knows it: what later articles are matched against
    (assistant/stories/). The vector is the article's mean chunk vector (unit length); ``names``
    the stems of the names it mentions, space-separated; ``published`` an ISO date or None."""

    article_id: str
    story: str
    published: str | None
    title: str | None
    names: str
    vector: np.ndarray  # float32


@dataclass(frozen=True)
class Entry:
    """One article ready to write: its record, its chunks in article order, and its place in
    its story (None when story clustering is off)."""

    article: Article
    chunks: list[ChunkRecord]
    story: StoryRecord | None = None
