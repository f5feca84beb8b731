"""The assistant's conversations as a llama-index chat engine."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from llama_index.core.base.llms.types import ChatMessage, MessageRole
from llama_index.core.chat_engine.types import (
    AgentChatResponse,
    BaseChatEngine,
    StreamingAgentChatResponse,
)
from llama_index.core.tools import ToolOutput

from assistant.llamaindex.nodes import answer_metadata, answer_response
from assistant.llamaindex.query_engine import NewsQueryEngine
from assistant.llamaindex.stream import CheckedStream
from assistant.schema import Answer

TOOL_NAME = "news_assistant"  # the name its answers carry as ``sources`` (ToolOutputs)


class NewsChatEngine(BaseChatEngine):
    """``Assistant.chat`` as a chat engine: each message is made standalone after the earlier
    ones (query/condense.py, or the LLM when one answers: ``Assistant.standalone``), then answered
    as ``Assistant.ask`` answers. A reply's text is the answer, its ``source_nodes`` the verified
    citations, its ``sources`` one ToolOutput whose ``raw_output`` is the answer as a Response,
    its ``metadata`` that of NewsQueryEngine (``abstained``, ``confidence``, ``question`` the
    standalone question, ...).

    The history kept is the web chat's: the standalone question of each turn (the web chat passes
    these as ``history``). A ``chat_history`` given to a call replaces it, as in llama-index's
    engines; its user messages are then the earlier questions (as the OpenAI endpoint reads its
    messages). ``stream_chat`` streams the LLM mode's draft; its reply's ``response``, sources
    and metadata are the checked answer's once the stream ends."""

    def __init__(self, engine: NewsQueryEngine) -> None:
        self._engine = engine
        self._messages: list[ChatMessage] = []
        self._questions: list[str] = []  # standalone, oldest first: what the next turn is read after

    @property
    def chat_history(self) -> list[ChatMessage]:
        return list(self._messages)

    def reset(self) -> None:
        self._messages.clear()
        self._questions.clear()

    def _start(self, chat_history: list[ChatMessage] | None) -> list[str]:
        if chat_history is not None:
            self._messages = list(chat_history)
            self._questions = [
                m.content for m in chat_history if m.role == MessageRole.USER and (m.content or "").strip()
            ]
        return list(self._questions)

    def _remember(self, message: str, answer: Answer) -> None:
        self._messages += [
            ChatMessage(role=MessageRole.USER, content=message),
            ChatMessage(role=MessageRole.ASSISTANT, content=answer.text),
        ]
        self._questions.append(answer.question or message)

    def chat(self, message: str, chat_history: list[ChatMessage] | None = None) -> AgentChatResponse:
        answer = self._engine.answer(message, self._start(chat_history))
        self._remember(message, answer)
        return AgentChatResponse(
            response=answer.text, sources=[_tool_output(answer)], metadata=answer_metadata(answer)
        )

    async def achat(self, message: str, chat_history: list[ChatMessage] | None = None) -> AgentChatResponse:
        return await asyncio.to_thread(self.chat, message, chat_history)

    def stream_chat(
        self, message: str, chat_history: list[ChatMessage] | None = None
    ) -> CheckedStreamingChatResponse:
        reply = CheckedStreamingChatResponse()
        items = self._engine.items(message, self._start(chat_history))
        reply.stream = CheckedStream(items, self._finisher(message, reply))
        return reply

    async def astream_chat(
        self, message: str, chat_history: list[ChatMessage] | None = None
    ) -> CheckedStreamingChatResponse:
        reply = CheckedStreamingChatResponse()
        items = self._engine.items(message, self._start(chat_history))
        reply.stream = await asyncio.to_thread(CheckedStream, items, self._finisher(message, reply))
        return reply

    def _finisher(self, message: str, reply: CheckedStreamingChatResponse) -> Callable[[Answer], None]:
        def finish(answer: Answer) -> None:
            reply.response = answer.text
            reply.sources = [_tool_output(answer)]
            reply.source_nodes[:] = reply.sources[0].raw_output.source_nodes
            reply.metadata = answer_metadata(answer)
            reply.is_done = True
            self._remember(message, answer)

        return finish


def _tool_output(answer: Answer) -> ToolOutput:
    return ToolOutput(
        tool_name=TOOL_NAME,
        content=answer.text,
        raw_input={"question": answer.question},
        raw_output=answer_response(answer),
    )


@dataclass
class CheckedStreamingChatResponse(StreamingAgentChatResponse):
    """A streaming chat reply: ``response_gen`` (``async_response_gen()`` from ``astream_chat``)
    yields the draft as it is written (the extractive mode: the answer, in one piece); when it ends,
    ``response``, ``sources``, ``source_nodes`` and ``metadata`` are the checked answer's and the
    turn joins the history. ``str()`` reads the stream to its end first."""

    metadata: dict[str, Any] | None = None
    stream: CheckedStream | None = field(default=None, repr=False)

    @property
    def response_gen(self) -> Any:
        assert self.stream is not None
        for delta in self.stream.deltas():
            self.unformatted_response += delta
            yield delta

    async def async_response_gen(self) -> Any:
        assert self.stream is not None
        async for delta in self.stream.adeltas():
            self.unformatted_response += delta
            yield delta

    def __str__(self) -> str:
        for _ in self.response_gen:
            pass
        return self.response

    def print_response_stream(self) -> None:
        for delta in self.response_gen:
            print(delta, end="", flush=True)
        self._print_checked()

    async def aprint_response_stream(self) -> None:
        async for delta in self.async_response_gen():
            print(delta, end="", flush=True)
        self._print_checked()

    def _print_checked(self) -> None:
        if self.stream is not None and self.stream.replaced:
            print(f"\n\nChecked against the articles:\n{self.response}", end="")
        print()
