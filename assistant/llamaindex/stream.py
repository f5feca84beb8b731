"""An ``Assistant.stream`` split for llama-index's streaming responses: the text to show while it
runs, and the checked Answer at its end.

llama-index's streaming responses take the concatenated deltas as the response text. Ours are a
draft: in the LLM mode the model's text streams as it writes, and only the final Answer is checked
against the articles (a sentence no article supports is removed, markers renumbered; the
extractive answer replaces a failed draft). So the deltas here are for showing progress, and the
response's text, sources and metadata are set from the checked Answer when the stream ends (the
streaming responses in query_engine.py and chat_engine.py read them from here). The extractive
mode streams nothing: its one delta is the answer's text.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable, Iterator

from assistant.schema import Answer

_END = object()


class CheckedStream:
    """Consumes ``items`` (text deltas, then the Answer). The first item is read at once, so an
    InputError (an empty question) is raised by the call that starts the stream, not later by
    whoever iterates it; ``on_answer`` is called with the Answer when it arrives."""

    def __init__(self, items: Iterator[str | Answer], on_answer: Callable[[Answer], None]) -> None:
        first = next(items)
        self._items: Iterator[str | Answer] = itertools.chain([first], items)
        self._on_answer = on_answer
        self.draft: list[str] = []
        self.answer: Answer | None = None

    def _take(self, item: str | Answer) -> str | None:
        """The delta to show for ``item`` (None: nothing more to show)."""
        if isinstance(item, Answer):
            self.answer = item
            self._on_answer(item)
            return None if self.draft else item.text  # the extractive mode: the answer, once
        self.draft.append(item)
        return item

    def deltas(self) -> Iterator[str]:
        """The draft's deltas as they come (or the answer's text when nothing streamed)."""
        for item in self._items:
            delta = self._take(item)
            if delta:
                yield delta

    async def adeltas(self) -> AsyncIterator[str]:
        """``deltas`` for an event loop: each item is awaited from a worker thread."""
        while True:
            item = await asyncio.to_thread(next, self._items, _END)
            if item is _END:
                return
            delta = self._take(item)  # type: ignore[arg-type]  # _END is the only other value
            if delta:
                yield delta

    @property
    def replaced(self) -> bool:
        """Whether the checked answer differs from the draft that streamed (shown again then)."""
        return self.answer is not None and bool(self.draft) and "".join(self.draft) != self.answer.text
