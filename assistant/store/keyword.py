"""The keyword (BM25) side of hybrid retrieval, derived from the chunks in Chroma.

llama-index's BM25Retriever (bm25s with an English stemmer) does the scoring. The index is a cache
of the store keyed by the store's revision token: rebuilt when another process or an ingest changed
the corpus, and, for the embedded store, saved under the store dir so a restart doesn't rebuild it.
"""

from __future__ import annotations

import copy
import logging
import shutil
import threading
from functools import lru_cache
from pathlib import Path

import Stemmer
from llama_index.core.schema import NodeWithScore
from llama_index.core.vector_stores.utils import build_metadata_filter_fn
from llama_index.retrievers.bm25 import BM25Retriever

from assistant.schema import Filters
from assistant.store.corpus import CorpusStore, to_metadata_filters

log = logging.getLogger(__name__)
logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every index build at DEBUG


class KeywordIndex:
    def __init__(self, store: CorpusStore, persist_dir: Path | None) -> None:
        self._store = store
        self._persist_dir = persist_dir
        self._lock = threading.Lock()
        self._revision: str | None = None
        self._retriever: BM25Retriever | None = None

    def search(self, question: str, k: int, filters: Filters, revision: str) -> list[NodeWithScore]:
        """Top ``k`` chunks for ``question`` by BM25, restricted by ``filters``."""
        base = self._current(revision)
        if base is None:
            return []
        size = int(base.bm25.scores["num_docs"])
        mask = _mask(base, revision, filters) if filters else None
        if mask is not None and not any(mask):
            return []
        # A shallow copy shares the bm25s index and corpus; one per query keeps top-k and the
        # filter mask out of shared state, so concurrent queries don't see each other's settings.
        retriever = copy.copy(base)
        retriever.similarity_top_k = min(k, size)
        retriever.corpus_weight_mask = list(mask) if mask is not None else None
        return [hit for hit in retriever.retrieve(question) if hit.score > 0]

    def matches(self, chunk_ids: set[str]) -> bool:
        """Whether the index for the store's current revision holds exactly ``chunk_ids``: false
        when a write changed chunks without changing the revision (``assistant check``)."""
        base = self._current(self._store.revision())
        return {row["node_id"] for row in base.corpus} == chunk_ids if base else not chunk_ids

    def _current(self, revision: str) -> BM25Retriever | None:
        with self._lock:
            if revision != self._revision:
                self._retriever = self._load(revision) or self._build(revision)
                self._revision = revision
            return self._retriever

    def _load(self, revision: str) -> BM25Retriever | None:
        path = self._path(revision)
        if path is None or not path.is_dir():
            return None
        try:
            return BM25Retriever.from_persist_dir(str(path), show_progress=False)
        except Exception as exc:  # a damaged cache is rebuilt from the store, never fatal
            log.warning("keyword index at %s unreadable (%s); rebuilding", path, exc)
            return None

    def _build(self, revision: str) -> BM25Retriever | None:
        nodes = list(self._store.iter_chunk_nodes())
        if not nodes:
            return None
        retriever = BM25Retriever.from_defaults(
            nodes=nodes, stemmer=Stemmer.Stemmer("english"), language="english", similarity_top_k=1
        )
        path = self._path(revision)
        if path is not None:
            try:
                if path.parent.exists():
                    shutil.rmtree(path.parent)
                path.mkdir(parents=True)
                retriever.persist(str(path), show_progress=False)
            except OSError as exc:
                log.warning("keyword index not saved to %s (%s)", path, exc)
        return retriever

    def _path(self, revision: str) -> Path | None:
        return self._persist_dir / revision if self._persist_dir else None


@lru_cache(maxsize=32)
def _mask(base: BM25Retriever, revision: str, filters: Filters) -> tuple[int, ...]:
    """Which chunks pass ``filters`` (1) or not (0), in corpus order; cached per revision."""
    by_id = {row["node_id"]: row for row in base.corpus}
    keep = build_metadata_filter_fn(lambda node_id: by_id[node_id], to_metadata_filters(filters))
    return tuple(int(keep(row["node_id"])) for row in base.corpus)
