"""The assistant's hybrid retrieval as a llama-index retriever."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.callbacks import CallbackManager
from llama_index.core.schema import NodeWithScore, QueryBundle

from assistant.llamaindex.nodes import citation_node
from assistant.schema import Citation


class NewsRetriever(BaseRetriever):
    """The passages ``Assistant.search`` finds (dense + BM25, fused, with the recency bonus), best
    first, as nodes (assistant/llamaindex/nodes.py): each one's text stands verbatim at its
    ``start``/``end`` in the stored article; its score is the relevance of its best sentence (the
    measure abstention compares with ``Settings.abstain_threshold``). Empty for an empty store; an
    empty or oversized query is an InputError (a ValueError).

    ``search`` is the Assistant's, bound to the ``top_k``, filters and ``as_of`` of
    ``Assistant.as_retriever``; ``aretrieve`` runs it in a worker thread (an Assistant serves many
    threads).
    """

    def __init__(
        self, search: Callable[[str], list[Citation]], callback_manager: CallbackManager | None = None
    ) -> None:
        self._search = search
        super().__init__(callback_manager=callback_manager)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return [citation_node(c) for c in self._search(query_bundle.query_str)]

    async def _aretrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return await asyncio.to_thread(self._retrieve, query_bundle)
