"""Sentence vectors and spans packed into one chunk record's metadata.

Sentence vectors are only ever fetched by id, to rank the sentences of retrieved chunks; they are
never searched. A Chroma collection of their own cost a similarity graph and a record per
sentence, so each chunk carries its sentences' vectors instead: float16, base64 in a string (the
only compact type Chroma metadata holds in both embedded and server mode). float16 moves a
question-sentence cosine by < 3e-5; int8 (one scale per vector) moved it by up to 8e-4, enough to
flip a ranking margin in tests/data/levers, so it was dropped.
"""

from __future__ import annotations

import base64

import numpy as np


def pack_vectors(vectors: np.ndarray) -> str:
    """``vectors`` (n x dim) -> a string of little-endian float16 values."""
    return base64.b64encode(np.asarray(vectors, dtype="<f2").tobytes()).decode("ascii")


def unpack_vectors(packed: str, count: int) -> np.ndarray:
    """The inverse of ``pack_vectors`` for ``count`` vectors (float32, count x dim); ValueError
    when ``packed`` does not hold ``count`` non-empty vectors."""
    values = np.frombuffer(base64.b64decode(packed, validate=True), dtype="<f2")
    if count < 1 or not values.size or values.size % count:
        raise ValueError(f"packed vectors: {values.size} values for {count} vectors")
    return values.reshape(count, -1).astype(np.float32)


def pack_spans(spans: list[tuple[int, int]]) -> str:
    """(start, end) character offsets -> a string of little-endian int32 pairs."""
    return base64.b64encode(np.asarray(spans, dtype="<i4").tobytes()).decode("ascii")


def unpack_spans(packed: str) -> list[tuple[int, int]]:
    pairs = np.frombuffer(base64.b64decode(packed), dtype="<i4").reshape(-1, 2)
    return [(int(a), int(b)) for a, b in pairs]
