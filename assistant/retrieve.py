"""Hybrid retrieval: dense (Chroma via llama-index) and keyword (BM25) chunk search, fused.

Reciprocal rank fusion is written here (a few lines) rather than through llama-index's
QueryFusionRetriever because that class re-creates the query bundle for each retriever, which
drops the question vector this module computes once and the sentence ranker reuses.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.schema import Filters
from assistant.store.corpus import CorpusStore
from assistant.store.keyword import KeywordIndex

RRF_K = 60  # the constant from Cormack et al. (2009); dampens the weight of top ranks


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


def retrieve(
    store: CorpusStore,
    keyword: KeywordIndex,
    question: str,
    vector: list[float],
    k: int,
    filters: Filters,
    revision: str,
    pool: int = 3,
) -> list[Passage]:
    """Top ``k`` passages; each side contributes its top ``k * pool`` to the fusion."""
    dense_hits = store.query_chunks(vector, k * pool, filters)
    keyword_hits = keyword.search(question, k * pool, filters, revision)
    fused: dict[str, float] = {}
    nodes = {}
    for hits in (dense_hits, keyword_hits):
        for rank, hit in enumerate(hits):
            fused[hit.node.node_id] = fused.get(hit.node.node_id, 0.0) + 1.0 / (RRF_K + rank + 1)
            nodes.setdefault(hit.node.node_id, hit.node)
    dense = {hit.node.node_id: float(hit.score or 0.0) for hit in dense_hits}
    best = sorted(fused, key=fused.__getitem__, reverse=True)[:k]
    passages = []
    for node_id in best:
        meta = nodes[node_id].metadata
        passages.append(
            Passage(
                chunk_id=node_id,
                article_id=meta["article_id"],
                start=int(meta["start"]),
                end=int(meta["end"]),
                sentence_range=range(int(meta["s_first"]), int(meta["s_last"]) + 1),
                fused=fused[node_id],
                dense=dense.get(node_id, 0.0),
            )
        )
    return passages
