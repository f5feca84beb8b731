"""The assistant's answers as a llama-index query engine."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from llama_index.core.async_utils import asyncio_run
from llama_index.core.base.base_query_engine import BaseQueryEngine
from llama_index.core.base.response.schema import (
    RESPONSE_TYPE,
    AsyncStreamingResponse,
    Response,
    StreamingResponse,
)
from llama_index.core.callbacks import CallbackManager
from llama_index.core.prompts.mixin import PromptMixinType
from llama_index.core.schema import NodeWithScore, QueryBundle

from assistant.llamaindex.nodes import answer_metadata, answer_response, citation_node
from assistant.llamaindex.retriever import NewsRetriever
from assistant.llamaindex.stream import CheckedStream
from assistant.schema import Answer, Filters

if TYPE_CHECKING:
    from assistant.api import Assistant


class NewsQueryEngine(BaseQueryEngine):
    """``Assistant.ask`` as a query engine: ``query`` returns a Response whose text is the answer
    (with its [n] markers), whose ``source_nodes`` are its verified citations in marker order (node
    n-1 is [n], its text the quote at its offsets) and whose ``metadata`` holds ``abstained``,
    ``confidence``, ``mode``, ``question``, ``notice`` and ``unverified``
    (assistant/llamaindex/nodes.py). An abstention is a Response too: ``metadata["abstained"]``,
    the text saying the articles don't cover the question (at most the closest passage, marked).

    With ``streaming``, a CheckedStreamingResponse (or, from ``aquery``, a
    CheckedAsyncStreamingResponse): the LLM mode's draft streams; the response's text, sources and
    metadata are the checked answer's once the stream ends.

    ``retrieve`` gives the passages the answer is chosen from (``Assistant.as_retriever``), so the
    engine also serves llama-index components that retrieve through a query engine.
    """

    def __init__(
        self,
        assistant: Assistant,
        top_k: int | None = None,
        filters: Filters | None = None,
        as_of: date | None = None,
        streaming: bool = False,
        callback_manager: CallbackManager | None = None,
    ) -> None:
        self._assistant = assistant
        self._top_k = top_k
        self._filters = filters
        self._as_of = as_of
        self._streaming = streaming
        self._retriever: NewsRetriever = assistant.as_retriever(top_k, filters, as_of)
        super().__init__(callback_manager=callback_manager)

    def _get_prompt_modules(self) -> PromptMixinType:
        return {}  # no prompts of llama-index's: ours are in prompts/

    def retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return self._retriever.retrieve(query_bundle)

    def answer(self, question: str, history: list[str] | None = None) -> Answer:
        """Our own Answer (what ``query`` wraps), for callers that want it."""
        return self._assistant.ask(question, self._top_k, self._filters, history or (), self._as_of)

    def stream(self, question: str, history: list[str] | None = None) -> CheckedStreamingResponse:
        """The streaming response of ``question`` after ``history`` (earlier questions)."""
        response = CheckedStreamingResponse(response_gen=iter(()))
        response.stream = CheckedStream(self.items(question, history), response.finish)
        response.response_gen = response.stream.deltas()
        return response

    async def astream(self, question: str, history: list[str] | None = None) -> CheckedAsyncStreamingResponse:
        """``stream`` for an event loop: the Assistant's stream is read in worker threads."""
        response = CheckedAsyncStreamingResponse(response_gen=_nothing())
        response.stream = await asyncio.to_thread(
            CheckedStream, self.items(question, history), response.finish
        )
        response.response_gen = response.stream.adeltas()
        return response

    def items(self, question: str, history: list[str] | None = None) -> Iterator[str | Answer]:
        """``Assistant.stream`` of ``question`` after ``history``, with the engine's settings."""
        return self._assistant.stream(question, self._top_k, self._filters, history or (), self._as_of)

    def _query(self, query_bundle: QueryBundle) -> RESPONSE_TYPE:
        if self._streaming:
            return self.stream(query_bundle.query_str)
        return answer_response(self.answer(query_bundle.query_str))

    async def _aquery(self, query_bundle: QueryBundle) -> RESPONSE_TYPE:
        if self._streaming:
            return await self.astream(query_bundle.query_str)
        return answer_response(await asyncio.to_thread(self.answer, query_bundle.query_str))


def _fill(response: Any, answer: Answer) -> None:
    """Set a streaming response's text, sources and metadata from the checked ``answer``."""
    response.response_txt = answer.text
    response.source_nodes[:] = [citation_node(c) for c in answer.citations]
    response.metadata = answer_metadata(answer)


@dataclass
class CheckedStreamingResponse(StreamingResponse):
    """A StreamingResponse whose ``response_gen`` yields the draft as it is written (the extractive
    mode: the answer, in one piece) and whose ``response_txt``, ``source_nodes`` and ``metadata``
    are set from the checked Answer when it ends (``str()``, ``get_response()`` and ``answer`` read
    the stream to its end first). The checked text can differ from the concatenated draft:
    ``print_response_stream`` then prints it after the draft."""

    stream: CheckedStream | None = field(default=None, repr=False)

    def finish(self, answer: Answer) -> None:
        _fill(self, answer)

    @property
    def answer(self) -> Answer:
        """Our Answer, once the stream has ended (read to its end here)."""
        for _ in self.response_gen:
            pass
        assert self.stream is not None and self.stream.answer is not None  # a stream ends with one
        return self.stream.answer

    def __str__(self) -> str:
        return self.answer.text

    def get_response(self) -> Response:
        return answer_response(self.answer)

    def print_response_stream(self) -> None:
        for delta in self.response_gen:
            print(delta, end="", flush=True)
        if self.stream is not None and self.stream.replaced:
            print(f"\n\nChecked against the articles:\n{self.answer.text}", end="")
        print()


@dataclass
class CheckedAsyncStreamingResponse(AsyncStreamingResponse):
    """CheckedStreamingResponse for ``aquery``: ``async_response_gen()`` yields the draft (each item
    read in a worker thread); ``await get_response()`` is the checked answer."""

    stream: CheckedStream | None = field(default=None, repr=False)

    def finish(self, answer: Answer) -> None:
        _fill(self, answer)

    async def _yield_response(self) -> Any:
        async with self._lock:
            async for delta in self.response_gen:
                yield delta

    async def get_response(self) -> Response:
        async for _ in self._yield_response():
            pass
        assert self.stream is not None and self.stream.answer is not None
        return answer_response(self.stream.answer)

    async def print_response_stream(self) -> None:
        async for delta in self._yield_response():
            print(delta, end="", flush=True)
        if self.stream is not None and self.stream.replaced and self.stream.answer is not None:
            print(f"\n\nChecked against the articles:\n{self.stream.answer.text}", end="")
        print()

    def __str__(self) -> str:
        return str(asyncio_run(self.get_response()))


async def _nothing() -> Any:
    return
    yield
