"""Sentence spans in clean text.

Punkt (NLTK, whose English model ships inside llama-index-core) finds sentence ends inside a
paragraph but not at line breaks without punctuation (headings, sub-heads, list items), so each
line is split on its own. Spans, not strings: every later step must be able to point back into the
exact article text.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import llama_index.core
import nltk
from nltk.tokenize.punkt import PunktTokenizer

from assistant.schema import Span

_NLTK_DATA = Path(llama_index.core.__file__).parent / "_static" / "nltk_cache"


@lru_cache(maxsize=1)
def _punkt() -> PunktTokenizer:
    if str(_NLTK_DATA) not in nltk.data.path:
        nltk.data.path.append(str(_NLTK_DATA))
    return PunktTokenizer("english")


def sentence_spans(text: str) -> list[Span]:
    """Non-empty, whitespace-trimmed sentence spans of ``text``, in order."""
    punkt = _punkt()
    spans: list[Span] = []
    for line in re.finditer(r"[^\n]+", text):
        offset = line.start()
        for start, end in punkt.span_tokenize(line.group()):
            piece = text[offset + start : offset + end]
            if piece.strip():
                spans.append(Span(offset + start, offset + end))
    return spans
