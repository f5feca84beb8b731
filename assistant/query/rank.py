"""Extractive answering: score every sentence of the retrieved passages for the question.

No library in the stack ranks sentences for a question offline (there is no cross-encoder on
PyPI that ships its weights), so each sentence gets a vector of measurable signals (``FEATURES``)
and a linear model in ``ranker.json`` turns it into log-odds that the sentence holds the answer.
``bench/fit_ranker.py`` refits it on labelled questions and ships the fit only when it beats the
hand-set weights out of fold (so far it has not; the file says which it holds and the figures):

- ``dense``: cosine between the question and the sentence (vectors stored at ingest);
- ``lexical``: share of the question's content terms (IDF-weighted over the candidates) that the
  sentence holds; a term no candidate holds counts against every sentence, which is what makes
  off-topic questions score low; ``context``: the same over the sentence and its neighbours;
- ``kind``: the sentence holds what the question type wants (a count, a date, a name, a place,
  a reason: "due to", "citing", "complicated by");
- ``aggregate``: a combined figure ("together killed 353") where no total is asked for;
- ``passage``: the fused retrieval score of the chunk the sentence sits in; ``chunk_dense`` its
  cosine, ``chunk_keyword`` 1/(1 + its BM25 rank);
- ``date``: the sentence speaks of a date the question names, relative dates ("yesterday", "last
  month", "on Friday") read against its article's publication date (query/dates.py);
- ``recency``: for "latest" / "first reported" questions, the newer (older) article among those
  whose sentences match about equally well;
- ``title``: share of the question's terms in the article's title (a story about what is asked
  beats a digest that mentions it; its weight picked by cross-validation, ``fit_ranker --tune``);
  ``position``: 1/(1 + the sentence's index), news puts the answer in the lede;
- ``keyterms`` / ``keyterms_near``: share of the question's names and numbers in the sentence /
  in it or a neighbour;
- ``length``: log word count, capped; page furniture ("Show caption") is short.
- ``period``: the sentence's article was published in the period the question's relative time
  words point at ("this week", "recently", read against the day it is asked: query/dates.py).
- ``fresh``: how recently before the day asked its article was published (the retrieval bonus's
  curve, query/retrieve.py: 1 on the day, fading over weeks), for every question;
- ``novel``: how many names and figures the sentence holds that the question doesn't (capped at
  5, scaled to 1): an answer to "which show" names a show the question does not;
- ``article``: the fused retrieval score of the best passage of the sentence's article, over the
  top one: a sentence of the article retrieval trusts most.

A sentence that is a near-copy of a better-ranked one from another article (a syndicated copy)
is dropped, so an answer never cites one sentence twice. So is a sentence that asks a question
(a quiz, a headline's "Who is ...?"): it repeats the question's words better than any answer does,
and answers nothing.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

import numpy as np

from assistant.query.dates import mentions
from assistant.query.question import Question, names_and_numbers, stems
from assistant.query.retrieve import Passage, recency_share
from assistant.store.ids import sentence_index
from assistant.store.records import SentenceRow

FEATURES = (
    "dense",
    "lexical",
    "context",
    "kind",
    "aggregate",
    "passage",
    "chunk_dense",
    "chunk_keyword",
    "date",
    "recency",
    "title",
    "position",
    "keyterms",
    "keyterms_near",
    "length",
    "period",
    "fresh",
    "novel",
    "article",
)
RANKER_FILE = Path(__file__).with_name("ranker.json")

# Recency reorders only sentences this close to the most relevant one, or holding as many of the
# question's terms as any: a newer article must still answer the question. Relevance here is
# dense + _LEXICAL * lexical, the topical match; the term test keeps a long update ("...as the
# toll from Sunday's quake climbed to 47") that the short first report outscores on cosine alone.
_RECENCY_MARGIN = 0.25
_LEXICAL = 0.6
# Sentences of different articles sharing this share of their words (Jaccard) are copies.
_COPY_JACCARD = 0.8
_LONG_SENTENCE = 60  # words; ``length`` saturates here
_MANY_NAMES = 5  # ``novel`` saturates at this many new names and figures


@dataclass(frozen=True)
class Linear:
    """A logistic model: P = sigmoid(bias + weights . x), x in the order of ``names``."""

    names: tuple[str, ...]
    weights: tuple[float, ...]
    bias: float

    def logits(self, x: np.ndarray) -> np.ndarray:
        return x @ np.asarray(self.weights) + self.bias

    @classmethod
    def from_dict(cls, data: dict) -> Linear:
        return cls(tuple(data["features"]), tuple(float(w) for w in data["weights"]), float(data["bias"]))

    def to_dict(self) -> dict:
        return {
            "features": list(self.names),
            "weights": [round(w, 6) for w in self.weights],
            "bias": round(self.bias, 6),
        }


@dataclass(frozen=True)
class Ranker:
    """The fitted sentence ranker and answer-confidence model (``ranker.json``)."""

    version: str
    sentence: Linear  # over FEATURES
    confidence: Linear  # over answerer.CONFIDENCE_FEATURES
    threshold: float  # answer when confidence >= threshold; chosen on the dev set
    info: dict = field(default_factory=dict, compare=False)  # what it was fit on, CV figures

    @classmethod
    def from_dict(cls, data: dict) -> Ranker:
        sentence = Linear.from_dict(data["sentence"])
        if sentence.names != FEATURES:
            raise ValueError(f"ranker features {sentence.names} differ from the code's {FEATURES}")
        return cls(
            str(data["version"]),
            sentence,
            Linear.from_dict(data["confidence"]),
            float(data["threshold"]),
            data.get("info", {}),
        )

    def to_dict(self) -> dict:
        return {
            "version": self.version,
            "sentence": self.sentence.to_dict(),
            "confidence": self.confidence.to_dict(),
            "threshold": self.threshold,
            "info": self.info,
        }


@lru_cache(maxsize=4)
def load_ranker(path: Path = RANKER_FILE) -> Ranker:
    """The shipped ranker, read once per process."""
    return Ranker.from_dict(json.loads(path.read_text(encoding="utf-8")))


@dataclass(frozen=True, eq=False)
class Candidate:
    row: SentenceRow
    score: float  # P(the sentence holds the answer), from the ranker
    logit: float  # the ranker's log-odds: what margins are measured in
    relevance: float  # topical match only: dense + lexical
    dense: float
    lexical: float
    kind: bool
    keyterms_near: float  # share of the question's names and numbers in it or a neighbour
    features: tuple[float, ...] = ()  # the FEATURES vector (refitting reads it)


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
# "Hundreds", "thousands", "millions" of something don't say how many: a "how many" question
# wants the figure ("2 million"), so only the singular counts (the "2" of "2 million" counts anyway).
_NUMBER_WORDS = (
    r"two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    r"hundred|thousand|dozen|million"
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
# A reason is given with a causal phrase ("due to", "in retaliation for", "complicated by").
_CAUSE = re.compile(
    r"\b(?:because|due to|owing to|thanks to|as a result|results? of|in response to|in retaliation|"
    r"retaliation for|in order to|so that|amid|for fear|citing|reasons?|"
    r"over (?:fears|concerns|worries)|(?:caused|complicated|driven|prompted|triggered|sparked|"
    r"fuell?ed|motivated|hampered|blamed) (?:by|on))\b",
    re.I,
)
_ASKS = re.compile(r"\?[\"”’')\]]*\s*$")
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
    if kind == "reason":
        return bool(_CAUSE.search(text))
    return False


def rank(
    question: Question,
    vector: list[float],
    passages: list[Passage],
    rows: list[SentenceRow],
    titles: dict[str, str] | None = None,
    model: Linear | None = None,
) -> list[Candidate]:
    """Score every candidate sentence; best first."""
    if not rows:
        return []
    x = features(question, vector, passages, rows, titles or {})
    model = model or load_ranker().sentence
    logits = model.logits(x)
    col = {name: i for i, name in enumerate(FEATURES)}
    candidates = [
        Candidate(
            row,
            score=1.0 / (1.0 + math.exp(-z)),
            logit=float(z),
            relevance=float(f[col["dense"]] + _LEXICAL * f[col["lexical"]]),
            dense=float(f[col["dense"]]),
            lexical=float(f[col["lexical"]]),
            kind=bool(f[col["kind"]]),
            keyterms_near=float(f[col["keyterms_near"]]),
            features=tuple(float(v) for v in f),
        )
        for row, z, f in zip(rows, logits.tolist(), x, strict=True)
        if not _ASKS.search(row.text)
    ]
    return without_copies(sorted(candidates, key=lambda c: c.logit, reverse=True))


def features(
    question: Question,
    vector: list[float],
    passages: list[Passage],
    rows: list[SentenceRow],
    titles: dict[str, str],
) -> np.ndarray:
    """The FEATURES matrix of ``rows``, one row per sentence."""
    by_sentence: dict[tuple[str, int], Passage] = {}
    for p in passages:
        for i in p.sentence_range:
            by_sentence.setdefault((p.article_id, i), p)
    top_fused = max((p.fused for p in passages), default=1.0) or 1.0
    published = {p.article_id: p.published for p in passages}
    article_best: dict[str, float] = {}
    for p in passages:
        article_best[p.article_id] = max(article_best.get(p.article_id, 0.0), p.fused / top_fused)
    asked_on = question.asked_on or date.today()
    fresh = {a: recency_share(d, asked_on) for a, d in published.items()}
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
    keys = set(question.key_terms)
    asked = set(question.terms)
    at = {(r.article_id, sentence_index(r.sentence_id)): ts for r, ts in zip(rows, terms, strict=True)}
    title_terms = {a: set(stems(t)) for a, t in titles.items()}

    def coverage(ts: set[str]) -> float:
        return sum(w for t, w in idf.items() if t in ts) / total_idf

    def key_share(ts: set[str]) -> float:
        return len(keys & ts) / len(keys) if keys else 1.0

    out = np.zeros((n, len(FEATURES)), dtype=np.float64)
    for j, (row, sim, ts, on_date) in enumerate(zip(rows, sims.tolist(), terms, dated, strict=True)):
        index = sentence_index(row.sentence_id)
        near = ts | at.get((row.article_id, index - 1), set()) | at.get((row.article_id, index + 1), set())
        passage = by_sentence.get((row.article_id, index))
        words = len(row.text.split())
        out[j] = (
            sim,
            coverage(ts),
            coverage(near),
            question.kind != "other" and matches_kind(question.kind, row.text),
            question.kind == "number" and not question.wants_total and bool(_AGGREGATE.search(row.text)),
            passage.fused / top_fused if passage else 0.0,
            passage.dense if passage else 0.0,
            1.0 / (1 + passage.keyword_rank) if passage and passage.keyword_rank is not None else 0.0,
            on_date,
            0.0,
            coverage(title_terms.get(row.article_id, set())),
            1.0 / (1 + index),
            key_share(ts),
            key_share(near),
            math.log1p(min(words, _LONG_SENTENCE)) / math.log1p(_LONG_SENTENCE),
            _within(question.period, published.get(row.article_id)),
            fresh.get(row.article_id, 0.0),
            min(sum(not (set(stems(w)) & asked) for w in names_and_numbers(row.text)), _MANY_NAMES)
            / _MANY_NAMES,
            article_best.get(row.article_id, 0.0),
        )
    if question.recency:
        relevance = out[:, 0] + _LEXICAL * out[:, 1]
        close = (relevance >= relevance.max() - _RECENCY_MARGIN) | (out[:, 1] >= out[:, 1].max())
        out[:, FEATURES.index("recency")] = _recency(question.recency, rows, close, published)
    return out


def _within(period: tuple[date, date] | None, published: str | None) -> bool:
    """``published`` (an ISO date) falls in ``period``."""
    if period is None or not published:
        return False
    return period[0].isoformat() <= published <= period[1].isoformat()


def _recency(
    recency: str, rows: list[SentenceRow], close: np.ndarray, published: dict[str, str | None]
) -> np.ndarray:
    """For "latest" (``earliest``) questions, among the ``close`` sentences (those that answer
    about as well as the best): 1 for the newest (oldest) article's, 0 for the oldest (newest),
    evenly between."""
    dates = sorted({d for r, c in zip(rows, close, strict=True) if c and (d := published.get(r.article_id))})
    out = np.zeros(len(rows))
    if len(dates) < 2:
        return out
    if recency == "earliest":
        dates.reverse()
    step = {d: i / (len(dates) - 1) for i, d in enumerate(dates)}
    for j, r in enumerate(rows):
        d = published.get(r.article_id)
        if close[j] and d in step:
            out[j] = step[d]
    return out


def without_copies(ranked: list[Candidate]) -> list[Candidate]:
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
