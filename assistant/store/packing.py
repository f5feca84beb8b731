"""Sentence vectors and spans as bytes, and as base64 text for Chroma metadata.

Sentence vectors are only ever fetched by id, to rank the sentences of retrieved chunks; they are
never searched. A Chroma collection of their own cost a similarity graph and a record per
sentence, so each chunk's sentences are kept together: float16 bytes in the side file of an
embedded store, the same bytes in base64 in the chunk's metadata on a Chroma server (a string is
the only compact type Chroma metadata holds; store/bulk.py says why embedded stores keep them out
of Chroma). float16 moves a question-sentence cosine by < 3e-5; int8 (one scale per vector) moved
it by up to 8e-4, enough to flip a ranking margin in tests/data/levers, so it was dropped.
"""

from __future__ import annotations

import base64

import numpy as np


def vector_bytes(vectors: np.ndarray) -> bytes:
    """``vectors`` (n x dim) -> little-endian float16 values."""
    return np.asarray(vectors, dtype="<f2").tobytes()


def vectors_from_bytes(packed: bytes, count: int) -> np.ndarray:
    """The inverse of ``vector_bytes`` for ``count`` vectors (float32, count x dim); ValueError
    when ``packed`` does not hold ``count`` non-empty vectors."""
    values = np.frombuffer(packed, dtype="<f2")
    if count < 1 or not values.size or values.size % count:
        raise ValueError(f"packed vectors: {values.size} values for {count} vectors")
    return values.reshape(count, -1).astype(np.float32)


def span_bytes(spans: list[tuple[int, int]]) -> bytes:
    """(start, end) character offsets -> little-endian int32 pairs."""
    return np.asarray(spans, dtype="<i4").tobytes()


def spans_from_bytes(packed: bytes) -> list[tuple[int, int]]:
    pairs = np.frombuffer(packed, dtype="<i4").reshape(-1, 2)
    return [(int(a), int(b)) for a, b in pairs]


def pack_vectors(vectors: np.ndarray) -> str:
    """``vectors`` (n x dim) -> a string of little-endian float16 values."""
    return base64.b64encode(vector_bytes(vectors)).decode("ascii")


def unpack_vectors(packed: str, count: int) -> np.ndarray:
    """The inverse of ``pack_vectors``; ValueError as ``vectors_from_bytes``, or for bad base64."""
    return vectors_from_bytes(base64.b64decode(packed, validate=True), count)


def pack_spans(spans: list[tuple[int, int]]) -> str:
    """(start, end) character offsets -> a string of little-endian int32 pairs."""
    return base64.b64encode(span_bytes(spans)).decode("ascii")


def unpack_spans(packed: str) -> list[tuple[int, int]]:
    return spans_from_bytes(base64.b64decode(packed))
