"""The pair a reader model sees, written one way for training and for asking.

The candidate sentence comes first, so when the pair is too long the tokenizer cuts the context
(headline, then the sentence before) and never the sentence being judged.
"""

from __future__ import annotations

MAX_TOKENS = 96  # question + sentence + headline fit in 96 word pieces for most news sentences
_BEFORE_CHARS = 200  # the end of the previous sentence: who "he" is, what "the crash" was


def passage(sentence: str, title: str | None, before: str | None) -> str:
    """The second text of the pair: the sentence, its article's headline, the sentence before."""
    parts = [" ".join(sentence.split())]
    if title:
        parts.append(" ".join(title.split()))
    if before:
        parts.append(" ".join(before.split())[-_BEFORE_CHARS:])
    return " | ".join(parts)
