"""Packing sentences into chunks for retrieval.

Written here rather than taken from llama-index's SentenceSplitter because every chunk must be a
run of whole sentences with exact character spans (citations quote sentences verbatim and the
chunk vector is built from the sentence vectors); SentenceSplitter re-joins text and gives no
sentence boundaries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.schema import Span

_TOKEN = re.compile(r"\w+|[^\w\s]")


@dataclass(frozen=True)
class ChunkPlan:
    span: Span
    sentences: tuple[int, ...]  # indices into the article's sentence list


def approx_tokens(text: str) -> int:
    """Word-piece count estimate (words and punctuation; a word-piece tokenizer splits a bit more)."""
    return len(_TOKEN.findall(text))


def plan_chunks(text: str, sentences: list[Span], max_tokens: int) -> list[ChunkPlan]:
    """Greedily pack consecutive sentences up to ``max_tokens``, preferring to break where a
    paragraph ends once a chunk is half full. A sentence longer than the budget is a chunk alone."""
    chunks: list[ChunkPlan] = []
    current: list[int] = []
    used = 0
    for i, span in enumerate(sentences):
        size = approx_tokens(text[span.start : span.end])
        if current and used + size > max_tokens:
            chunks.append(_plan(sentences, current))
            current, used = [], 0
        current.append(i)
        used += size
        next_start = sentences[i + 1].start if i + 1 < len(sentences) else len(text)
        paragraph_ends = "\n\n" in text[span.end : next_start]
        if paragraph_ends and used >= max_tokens // 2:
            chunks.append(_plan(sentences, current))
            current, used = [], 0
    if current:
        chunks.append(_plan(sentences, current))
    return chunks


def _plan(sentences: list[Span], members: list[int]) -> ChunkPlan:
    return ChunkPlan(Span(sentences[members[0]].start, sentences[members[-1]].end), tuple(members))
