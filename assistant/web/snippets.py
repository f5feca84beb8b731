"""The context a citation card shows: the sentences around each quote of one article, not the quote's
own paragraph again (a one-sentence paragraph would show the quote alone).

A window is the quote with the sentence before it and the sentence after it (crossing paragraph
breaks; heading lines, which end without punctuation, are passed over); windows that touch merge, so
two quotes side by side show as one passage. Pieces keep the offsets' exact text, so a quote in a
window is ``text[start:end]``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from assistant.ingest.sentences import sentence_spans

# At most this much of a neighbouring sentence, cut at a word.
NEIGHBOUR_CHARS = 280
_ENDS_SENTENCE = re.compile(r"[.!?…:;\"'”’)\]]\s*$")


@dataclass(frozen=True)
class Piece:
    text: str
    quote: int | None = None  # the index of the quote (in the caller's list) this piece is


@lru_cache(maxsize=64)
def sentence_ranges(text: str) -> tuple[tuple[int, int], ...]:
    return tuple((s.start, s.end) for s in sentence_spans(text))


def _is_heading(text: str, start: int, end: int) -> bool:
    """A whole line that ends without punctuation: a headline or sub-head, not a sentence."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end == -1 else line_end
    whole = not text[line_start:start].strip() and not text[end:line_end].strip()
    return whole and not _ENDS_SENTENCE.search(text[start:end])


def _neighbour(text: str, spans: Sequence[tuple[int, int]], before: int | None, after: int | None):
    """The nearest sentence ending at or before ``before`` (or starting at or after ``after``)."""
    if before is not None:
        candidates = [s for s in reversed(spans) if s[1] <= before]
    else:
        candidates = [s for s in spans if s[0] >= (after or 0)]
    for s in candidates[:3]:
        if not _is_heading(text, *s):
            return s
    return None


def windows(text: str, quotes: Sequence[tuple[int, int]]) -> list[list[Piece]]:
    """For the quotes ``(start, end)`` of one article (each checked to lie in ``text``), the
    passages to show, in text order: each a list of pieces (to be joined with a space), a quote
    marked by its index in ``quotes``. A new passage starts where a sentence lies unshown between."""
    spans = sentence_ranges(text)
    marked = sorted((s, e, i) for i, (s, e) in enumerate(quotes) if s < e)
    around = {
        n for s, e, _ in marked for n in (_neighbour(text, spans, s, None), _neighbour(text, spans, None, e))
    }
    ranges: list[tuple[int, int, int | None]] = list(marked)
    for start, end in (n for n in around if n is not None):
        parts = [(start, end)]
        for qs, qe, _ in marked:  # a quote's own words are shown as the quote
            parts = [p for a, b in parts for p in ((a, min(b, qs)), (max(a, qe), b)) if p[0] < p[1]]
        ranges += [(a, b, None) for a, b in parts if text[a:b].strip()]
    ranges.sort(key=lambda r: (r[0], r[2] is None))
    passages: list[list[tuple[int, int, int | None]]] = []
    last = None
    for start, end, quote in ranges:
        start = max(start, last) if last is not None else start
        if start >= end:
            continue
        gap = last is not None and any(
            s >= last and e <= start and not _is_heading(text, s, e) for s, e in spans
        )
        if last is None or gap:
            passages.append([])
        passages[-1].append((start, end, quote))
        last = end
    return [_pieces(text, p) for p in passages]


def _pieces(text: str, passage: list[tuple[int, int, int | None]]) -> list[Piece]:
    pieces = []
    for k, (start, end, quote) in enumerate(passage):
        if quote is not None:
            pieces.append(Piece(text[start:end], quote))
            continue
        before = k + 1 < len(passage) and passage[k + 1][2] is not None
        after = k > 0 and passage[k - 1][2] is not None
        pieces.append(
            Piece(_trim(text[start:end].strip(), between=before and after, after=after and not before))
        )
    return pieces


def _trim(piece: str, between: bool = False, after: bool = False) -> str:
    """A neighbour cut to NEIGHBOUR_CHARS at a word: of the sentence before a quote its end is kept
    (``…`` in front), of the one after it its start; text between two quotes is kept whole."""
    if between or len(piece) <= NEIGHBOUR_CHARS:
        return piece
    if after:
        return piece[:NEIGHBOUR_CHARS].rsplit(" ", 1)[0] + "…"
    return "…" + piece[-NEIGHBOUR_CHARS:].split(" ", 1)[-1]
