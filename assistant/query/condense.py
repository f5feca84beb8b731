"""Conversations: follow-up questions made standalone, and the chat session that keeps history.

Without an LLM, condensing is rule-based: a follow-up that opens with "and" / "what about"
borrows the previous question's frame ("How many died in the Sinai crash?" + "And in Paris?" ->
"How many died in Paris?"); one that leans on a pronoun or names nothing borrows the previous
question's words as context for retrieval.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import cast

from assistant.schema import Answer, Filters

_LEAD = re.compile(r"^\s*(?:and|but|also|so|what about|how about|and what about|and how about)\b[\s,]*", re.I)
_WH = re.compile(r"^\s*(?:how|who|whom|whose|what|when|where|which|why|did|does|do|is|are|was|were)\b", re.I)
_PRONOUN = re.compile(r"\b(?:he|she|they|it|his|her|their|its|them|him|that|this|those|these|there)\b", re.I)
_PREPOSITION = re.compile(r"\b(?:in|at|on|for|from|about|over|of|with|during)\b", re.I)
_ENTITY = re.compile(r"(?<![.?!]\s)(?<!^)\b[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)*")
_FUNCTION_WORDS = re.compile(
    r"^(?:how|many|much|who|what|when|where|which|why|is|are|was|were|did|does|do|the|a|an|in|on|"
    r"at|of|to|for|and|or|people|has|have|had)$",
    re.I,
)


def condense(question: str, history: Sequence[str]) -> str:
    """Make ``question`` standalone given the earlier (already standalone) questions."""
    if not history:
        return question
    previous = history[-1]
    lead = _LEAD.match(question)
    if lead:
        rest = question[lead.end() :].strip()
        if rest and not _WH.match(rest):
            return _splice(previous, rest)
        return f"{rest} {_context(previous, rest)}".strip()
    names_nothing = not _ENTITY.search(question)
    if _PRONOUN.search(question) or (names_nothing and len(question.split()) <= 6):
        return f"{question} {_context(previous, question)}".strip()
    return question


def _splice(previous: str, rest: str) -> str:
    """Replace the last prepositional phrase of ``previous`` with ``rest``."""
    body = previous.rstrip(" ?")
    phrases = list(_PREPOSITION.finditer(body))
    if not phrases:
        return f"{body} {rest}"
    rest = rest.rstrip(" ?")
    if _PREPOSITION.match(rest):
        return f"{body[: phrases[-1].start()].rstrip()} {rest}?"
    return f"{body[: phrases[-1].end()]} {rest}?"


def _context(previous: str, question: str) -> str:
    """Words of ``previous`` that ``question`` lacks, minus function words; when ``question``
    names its own subject, the previous subject's names are left out too."""
    have = {w.lower() for w in re.findall(r"[\w'’-]+", question)}
    own_subject = bool(_ENTITY.search(question))
    words = [
        w
        for w in re.findall(r"[\w'’-]+", previous)
        if w.lower() not in have and not _FUNCTION_WORDS.match(w) and not (own_subject and w[0].isupper())
    ]
    return " ".join(dict.fromkeys(words))


@dataclass
class Turn:
    question: str  # as the user typed it
    standalone: str  # what was answered
    answer: Answer


@dataclass
class Chat:
    """A conversation with history. ``_stream`` is the Assistant's, so every turn takes the same
    path as a single question."""

    _stream: Callable[..., Iterator[str | Answer]]
    turns: list[Turn] = field(default_factory=list)

    def ask(self, question: str, top_k: int | None = None, filters: Filters | None = None) -> Answer:
        *_, answer = self.stream(question, top_k, filters)
        return cast(Answer, answer)  # a stream ends with its Answer

    def stream(
        self, question: str, top_k: int | None = None, filters: Filters | None = None
    ) -> Iterator[str | Answer]:
        """Text deltas while an LLM writes, then the Answer, which joins the history."""
        for item in self._stream(question, top_k=top_k, filters=filters, history=self.history()):
            if isinstance(item, Answer):
                self.turns.append(Turn(question, item.question, item))
            yield item

    def history(self) -> list[str]:
        return [t.standalone for t in self.turns]

    def clear(self) -> None:
        self.turns.clear()
