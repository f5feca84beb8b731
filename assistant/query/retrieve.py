"""Hybrid retrieval: dense (Chroma) and keyword (BM25) chunk search, fused.

Reciprocal rank fusion is written here (a few lines) rather than through llama-index's
QueryFusionRetriever because that class re-creates the query bundle for each retriever, which
drops the question vector this module computes once and the sentence ranker reuses.

News is read as of a day (``as_of``, default today): a chunk published shortly before it gets a
fusion bonus that fades with its age (``recency``), since a question about the news is about recent
events far more often than not. On the dev set (realnews-dev, questions asked on the day of their
quiz) evidence recall at k = 8 is 0.86 with it (0.849 leave-one-week-out; docs/architecture.md,
"Recency"); an archive older than a few months is ranked as without it, since every chunk's bonus
is then near zero.

Near-duplicate chunks of different articles (a syndicated story published by two sources with
small edits) are collapsed to the best-ranked copy, so copies don't fill the top k and an answer
doesn't cite the same sentence twice from two sources.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from assistant.schema import Filters
from assistant.store.corpus import CorpusStore
from assistant.store.keyword import KeywordIndex
from assistant.store.records import Chunk

RRF_K = 60  # the constant from Cormack et al. (2009); dampens the weight of top ranks
# Two chunks of different articles whose word-trigram sets overlap this much (Jaccard) are copies:
# one changed word in a 40-word chunk keeps about 0.85, different reports of one event stay < 0.3.
DUPLICATE_JACCARD = 0.6
_WORD = re.compile(r"\w+")
# The recency bonus: RECENCY_WEIGHT times a top rank's reciprocal-rank score for a chunk published
# on the day asked, halving every RECENCY_DAYS * ln 2 (about 10) days. Chosen on the dev set over
# weights 0.5-3 and scales 3-60 days; recall held within 0.03 from weight 1 and 7 days up.
RECENCY_WEIGHT = 2.0
RECENCY_DAYS = 14.0


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk: where it stands and how it was found."""

    chunk_id: str
    article_id: str
    start: int
    end: int
    sentence_range: range  # indices of its sentences in the article
    fused: float  # reciprocal-rank-fusion score
    dense: float  # cosine similarity to the question (0 when only BM25 found it)
    published: str | None = None  # the article's ISO publication date, when known
    # 0-based rank on each side of the fusion; None where that side did not find it. The ranker
    # reads them as signals (query/rank.py).
    dense_rank: int | None = None
    keyword_rank: int | None = None


def retrieve(
    store: CorpusStore,
    keyword: KeywordIndex,
    question: str,
    vector: list[float],
    k: int,
    filters: Filters,
    revision: str,
    as_of: date | None = None,
    pool: int = 3,
) -> list[Passage]:
    """Top ``k`` passages for a question asked on ``as_of`` (default today); each side contributes
    its top ``k * pool`` to the fusion."""
    dense_hits = store.query_chunks(vector, k * pool, filters)
    keyword_hits = keyword.search(question, k * pool, filters, revision)
    fused: dict[str, float] = {}
    chunks: dict[str, Chunk] = {}
    for hits in (dense_hits, keyword_hits):
        for rank, hit in enumerate(hits):
            fused[hit.chunk_id] = fused.get(hit.chunk_id, 0.0) + 1.0 / (RRF_K + rank + 1)
            chunks.setdefault(hit.chunk_id, hit)
    day = as_of or date.today()
    for chunk_id, chunk in chunks.items():
        fused[chunk_id] += recency(chunk.metadata.get("published_int"), day)
    dense = {hit.chunk_id: hit.score for hit in dense_hits}
    dense_rank = {hit.chunk_id: r for r, hit in enumerate(dense_hits)}
    keyword_rank = {hit.chunk_id: r for r, hit in enumerate(keyword_hits)}
    best = _without_copies(sorted(fused, key=fused.__getitem__, reverse=True), chunks, k)
    passages = []
    for chunk_id in best:
        meta = chunks[chunk_id].metadata
        passages.append(
            Passage(
                chunk_id=chunk_id,
                article_id=meta["article_id"],
                start=int(meta["start"]),
                end=int(meta["end"]),
                sentence_range=range(int(meta["s_first"]), int(meta["s_last"]) + 1),
                fused=fused[chunk_id],
                dense=dense.get(chunk_id, 0.0),
                published=_iso(meta.get("published_int")),
                dense_rank=dense_rank.get(chunk_id),
                keyword_rank=keyword_rank.get(chunk_id),
            )
        )
    return passages


def recency(published_int: object, as_of: date) -> float:
    """The fusion bonus of a chunk published on ``published_int`` (20220617) for a question asked
    on ``as_of``."""
    return RECENCY_WEIGHT / (RRF_K + 1) * recency_share(_iso(published_int), as_of)


def recency_share(published: str | None, as_of: date) -> float:
    """1 for an article published (ISO date) on the day asked, fading with its age; 0 when
    undated or published later (a filter drops those when asked)."""
    if not published:
        return 0.0
    age = (as_of - date.fromisoformat(published[:10])).days
    return math.exp(-age / RECENCY_DAYS) if age >= 0 else 0.0


def _without_copies(ranked: list[str], chunks: dict[str, Chunk], k: int) -> list[str]:
    """The first ``k`` of ``ranked`` chunk ids, skipping near-copies of a better chunk of another
    article, and from then on every chunk of the copying article: its other chunks are the same
    story's other paragraphs, which keyword search finds by their shared headline and lede."""
    kept: list[tuple[str, str, frozenset]] = []
    copies: set[str] = set()
    for chunk_id in ranked:
        chunk = chunks[chunk_id]
        article = chunk.metadata["article_id"]
        if article in copies:
            continue
        words = _WORD.findall(chunk.text.lower())
        grams = frozenset(zip(words, words[1:], words[2:], strict=False))
        if any(a != article and _jaccard(grams, g) >= DUPLICATE_JACCARD for _, a, g in kept):
            copies.add(article)
            continue
        kept.append((chunk_id, article, grams))
        if len(kept) == k:
            break
    return [chunk_id for chunk_id, _, _ in kept]


def _jaccard(a: frozenset, b: frozenset) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _iso(value: Any) -> str | None:
    """20151118 (chunk metadata) -> "2015-11-18"."""
    if value is None:
        return None
    digits = str(int(value))
    return f"{digits[:4]}-{digits[4:6]}-{digits[6:8]}" if len(digits) == 8 else None
