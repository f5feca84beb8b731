"""Extractive answering: rank the sentences of retrieved passages and answer with the best.

No library in the stack ranks sentences for a question offline (there is no cross-encoder on
PyPI that ships its weights), so the score is a weighted sum of measurable signals, each one
justified on the seed question set:

- ``dense``: cosine between the question and the sentence (vectors stored at ingest);
- ``lexical``: share of the question's content terms (IDF-weighted over the candidates) that the
  sentence holds; a term no candidate holds counts against every sentence, which is what makes
  off-topic questions score low;
- ``kind``: the sentence holds what the question type wants (a count, a date, a name, a place);
- ``aggregate``: a penalty on combined figures ("together killed 353") unless a total is asked for;
- ``passage``: the fused retrieval score of the chunk the sentence sits in;
- ``date``: the sentence speaks of a date the question names, relative dates ("yesterday", "last
  month", "on Friday") read against its article's publication date (query/dates.py);
- ``recency``: for "latest" / "first reported" questions, the newer (older) article among those
  whose sentences match about equally well;
- ``period``: the sentence's article was published in the period the question's relative time
  words point at ("this week", "recently", read against the day it is asked: query/dates.py).

A sentence that is a near-copy of a better-ranked one from another article (a syndicated copy)
is dropped, so an answer never cites one sentence twice.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date

import numpy as np

from assistant.query.dates import mentions
from assistant.query.question import Question, stems
from assistant.query.retrieve import Passage
from assistant.store.corpus import SentenceRow, sentence_index


@dataclass(frozen=True)
class Weights:
    dense: float = 1.0
    lexical: float = 0.6
    kind: float = 0.25
    aggregate: float = 0.3
    passage: float = 0.15
    date: float = 0.25
    recency: float = 0.3
    period: float = 0.3


# Recency reorders only sentences this close to the most relevant one: a newer article must still
# answer the question.
_RECENCY_MARGIN = 0.25
# Sentences of different articles sharing this share of their words (Jaccard) are copies.
_COPY_JACCARD = 0.8


@dataclass(frozen=True)
class Candidate:
    row: SentenceRow
    score: float  # ranks candidates: all signals
    relevance: float  # decides abstention: topical match only (dense and lexical)
    dense: float
    lexical: float
    kind: bool


_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_DATE = re.compile(
    rf"\b{_MONTH}\s+\d{{1,2}}\b|\b\d{{1,2}}\s+{_MONTH}\b|\b(?:19|20)\d\d\b|\b{_WEEKDAY}\b|"
    rf"\b(?:last|next|this) (?:week|month|year)\b|\b(?:end|beginning|start|middle) of {_MONTH}\b|"
    rf"\b{_MONTH}\b(?= \d{{4}}| this| last)|\byesterday\b|\btoday\b",
)
_NUMBER_WORDS = (
    r"two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    r"hundred|hundreds|thousand|thousands|dozens?|million|millions"
)
_COUNT = re.compile(rf"\b\d[\d,]*(?:\.\d+)?\b|\b(?:{_NUMBER_WORDS})\b", re.I)
_NAME = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|President|Minister|Secretary|Prime Minister|King|Queen|General)\.?\s+)"
    r"?\b[A-Z][a-z]+(?:[ -](?:al-|de |bin )?[A-Z][a-z]+)+\b|\b(?:Mr|Mrs|Ms|Dr)\.? [A-Z][a-z]+"
)
# A place is named after a preposition ("in Raqqa") or as what a strike hit ("targeted Raqqa").
_PLACE = re.compile(
    r"\b(?:in|at|from|to|over|near|of|targeted|targeting|hit|hitting|struck|bombed|bombing|shelled)"
    r"\s+(?:the\s+)?[A-Z][a-z]+"
)
_AGGREGATE = re.compile(r"\b(?:together|combined|in total|altogether|a total of|in all)\b", re.I)


def has_count(text: str) -> bool:
    """A number that counts something, not a year or a day of a date."""
    without_dates = _DATE.sub(" ", text)
    return bool(_COUNT.search(without_dates))


def matches_kind(kind: str, text: str) -> bool:
    if kind == "number":
        return has_count(text)
    if kind == "date":
        return bool(_DATE.search(text))
    if kind == "person":
        return bool(_NAME.search(text))
    if kind == "place":
        return bool(_PLACE.search(text))
    return False


def rank(
    question: Question,
    vector: list[float],
    passages: list[Passage],
    rows: list[SentenceRow],
    weights: Weights = Weights(),
) -> list[Candidate]:
    """Score every candidate sentence; best first."""
    if not rows:
        return []
    fused = {}
    top_fused = max(p.fused for p in passages)
    for p in passages:
        for i in p.sentence_range:
            fused[(p.article_id, i)] = p.fused / top_fused
    published = {p.article_id: p.published for p in passages}
    sims = np.asarray([r.vector for r in rows], dtype=np.float32) @ np.asarray(vector, dtype=np.float32)
    # A sentence that speaks of the date the question names holds the question's date words, even
    # when it says "yesterday".
    date_terms = set(stems(" ".join(d.text for d in question.dates)))
    dated = [mentions(question.dates, r.text, published.get(r.article_id)) for r in rows]
    terms = [set(stems(r.text)) | (date_terms if d else set()) for r, d in zip(rows, dated, strict=True)]
    df = Counter(t for ts in terms for t in ts)
    n = len(rows)
    idf = {t: math.log((n + 1) / (df.get(t, 0) + 0.5)) for t in question.terms}
    total_idf = sum(idf.values()) or 1.0
    candidates = []
    for row, sim, ts, on_date in zip(rows, sims.tolist(), terms, dated, strict=False):
        lexical = sum(w for t, w in idf.items() if t in ts) / total_idf
        kind = question.kind != "other" and matches_kind(question.kind, row.text)
        aggregate = question.kind == "number" and not question.wants_total and _AGGREGATE.search(row.text)
        index = sentence_index(row.sentence_id)
        relevance = weights.dense * sim + weights.lexical * lexical
        score = (
            relevance
            + weights.kind * kind
            - weights.aggregate * bool(aggregate)
            + weights.passage * fused.get((row.article_id, index), 0.0)
        )
        score += weights.date * on_date
        score += weights.period * _within(question.period, published.get(row.article_id))
        candidates.append(Candidate(row, score, relevance, sim, lexical, kind))
    if question.recency:
        candidates = _by_recency(candidates, question.recency, published, weights.recency)
    return _without_copies(sorted(candidates, key=lambda c: c.score, reverse=True))


def _within(period: tuple[date, date] | None, published: str | None) -> bool:
    """``published`` (an ISO date) falls in ``period``."""
    if period is None or not published:
        return False
    return period[0].isoformat() <= published <= period[1].isoformat()


def _by_recency(
    candidates: list[Candidate], recency: str, published: dict[str, str | None], weight: float
) -> list[Candidate]:
    """Raise the sentences of newer (``latest``) or older (``earliest``) articles, among those
    nearly as relevant as the best: the newest date gets ``weight``, the oldest nothing."""
    top = max(c.relevance for c in candidates)
    close = [c for c in candidates if c.relevance >= top - _RECENCY_MARGIN]
    dates = sorted({d for c in close if (d := published.get(c.row.article_id))})
    if len(dates) < 2:
        return candidates
    if recency == "earliest":
        dates.reverse()
    step = {d: i / (len(dates) - 1) for i, d in enumerate(dates)}
    out = []
    for c in candidates:
        d = published.get(c.row.article_id)
        if c.relevance >= top - _RECENCY_MARGIN and d in step:
            c = Candidate(c.row, c.score + weight * step[d], c.relevance, c.dense, c.lexical, c.kind)
        out.append(c)
    return out


def _without_copies(ranked: list[Candidate]) -> list[Candidate]:
    """Drop sentences that copy a better-ranked sentence of another article."""
    kept: list[tuple[Candidate, frozenset]] = []
    for c in ranked:
        words = frozenset(re.findall(r"\w+", c.row.text.lower()))
        copy = any(
            k.row.article_id != c.row.article_id and len(words & w) / (len(words | w) or 1) >= _COPY_JACCARD
            for k, w in kept
        )
        if not copy:
            kept.append((c, words))
    return [c for c, _ in kept]
