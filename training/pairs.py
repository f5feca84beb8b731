"""Question–sentence pairs for the answer model, from ../shared/qa-train (read there, never copied).

Labels: 1 when the sentence holds the answer, else 0. Each question gives its positive sentences and
its hardest negatives: the sentences sharing most of its content words that do not hold the answer,
which is what retrieval puts beside the right sentence.

- SQuAD 1.0 train: the answer's sentence (by ``answer_start``) against the paragraph's others.
- SQuAD 2.0 dev (the articles of the training folds): impossible questions give only negatives,
  the sentence of the plausible answer first; answerable ones as SQuAD 1.0.
- Real news quiz (the weeks of the training folds): sentences of the evidence articles that hold
  the correct choice and share a content word with the question (weak labels: a bare name can stand
  in a story by chance); negatives from every retrieved article, those naming a wrong choice first.

Folds: news by week, SQuAD 2.0 by article (``fold_of``), so a held-out fold shares no article or
week with training. ``FOLDS`` folds; fold 0 is held out for development and calibration.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from assistant.evaluate import holds_answer
from assistant.ingest.sentences import sentence_spans
from assistant.query.question import stems
from assistant.reader.text import passage

SHARED = Path(__file__).resolve().parents[2] / "shared" / "qa-train"
FOLDS = 5


@dataclass(frozen=True)
class Pair:
    question: str
    text: str  # reader.text.passage(...)
    label: int
    group: str  # "squad1" | "squad2" | "news": what it teaches
    qid: str


def fold_of(key: str) -> int:
    """A stable fold for a week or an article title."""
    return int(hashlib.sha1(key.encode()).hexdigest(), 16) % FOLDS


def sentences(text: str) -> list[tuple[int, int, str]]:
    return [(s.start, s.end, text[s.start : s.end]) for s in sentence_spans(text)]


def _overlap(q_stems: set[str], text: str) -> float:
    own = set(stems(text))
    return len(q_stems & own) / (len(q_stems) or 1)


def _pairs_of(
    question: str,
    qid: str,
    group: str,
    title: str | None,
    sents: list[tuple[int, int, str]],
    positives: set[int],
    negatives: int,
    first_negatives: tuple[int, ...] = (),
) -> Iterator[Pair]:
    """Pairs for one question over one article's sentences: each positive, then the hardest
    ``negatives`` (``first_negatives`` ahead of the most overlapping others)."""

    def pair(i: int, label: int) -> Pair:
        before = sents[i - 1][2] if i > 0 else None
        return Pair(question, passage(sents[i][2], title, before), label, group, qid)

    for i in sorted(positives):
        yield pair(i, 1)
    q_stems = set(stems(question))
    rest = sorted(
        (i for i in range(len(sents)) if i not in positives and i not in first_negatives),
        key=lambda i: _overlap(q_stems, sents[i][2]),
        reverse=True,
    )
    for i in [*first_negatives, *rest][:negatives]:
        yield pair(i, 0)


def _index_of(sents: list[tuple[int, int, str]], offset: int) -> int | None:
    return next((i for i, (s, e, _) in enumerate(sents) if s <= offset < e), None)


def squad(
    path: Path, group: str, folds: set[int] | None, limit: int | None, rng: random.Random
) -> list[Pair]:
    """Pairs of a SQuAD file; ``folds``: keep articles of these folds only (None: all)."""
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    items = []
    for doc in data:
        if folds is not None and fold_of(doc["title"]) not in folds:
            continue
        title = doc["title"].replace("_", " ")
        for para in doc["paragraphs"]:
            for qa in para["qas"]:
                items.append((title, para["context"], qa))
    rng.shuffle(items)
    pairs: list[Pair] = []
    cache: dict[str, list[tuple[int, int, str]]] = {}
    for title, context, qa in items[:limit]:
        sents = cache.setdefault(context, sentences(context))
        if qa.get("is_impossible"):
            plausible = {_index_of(sents, a["answer_start"]) for a in qa.get("plausible_answers", [])}
            first = tuple(i for i in plausible if i is not None)
            pairs.extend(_pairs_of(qa["question"], qa["id"], group, title, sents, set(), 3, first))
        else:
            found = {_index_of(sents, a["answer_start"]) for a in qa["answers"]}
            positives = {i for i in found if i is not None}
            if positives:
                pairs.extend(_pairs_of(qa["question"], qa["id"], group, title, sents, positives, 2))
    return pairs


def news_questions(folds: set[int]) -> Iterator[dict]:
    """The real-news quiz questions of weeks in ``folds``, each with ``week``."""
    for path in sorted((SHARED / "realtimeqa").glob("*_qa.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            q = json.loads(line)
            week = q["id"].split("_")[0]
            if fold_of(week) in folds:
                yield {**q, "week": week}


def news_articles() -> dict[str, dict]:
    articles: dict[str, dict] = {}
    for path in sorted((SHARED / "realtimeqa").glob("*_corpus.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            a = json.loads(line)
            articles.setdefault(a["url"], a)
    return articles


def news(folds: set[int], rng: random.Random, negatives: int = 3) -> list[Pair]:
    articles = news_articles()
    cache: dict[str, list[tuple[int, int, str]]] = {}
    pairs: list[Pair] = []
    for q in news_questions(folds):
        question, answers = q["question"], q["answers"]
        wrong = [c for c in q["choices"] if c not in answers]
        q_stems = set(stems(question))
        scored: list[tuple[float, int, str, int]] = []  # (overlap, label, url, sentence index)
        for url in dict.fromkeys([*q["evidence_urls"], *q["retrieved_urls"]]):
            article = articles.get(url)
            if article is None:
                continue
            sents = cache.setdefault(url, sentences(article["text"]))
            for i, (_, _, text) in enumerate(sents):
                ov = _overlap(q_stems, text)
                if holds_answer(text, answers):
                    if url in q["evidence_urls"] and ov > 0:
                        scored.append((ov, 1, url, i))
                elif ov > 0:
                    bonus = 1.0 if wrong and holds_answer(text, wrong) else 0.0
                    scored.append((ov + bonus, 0, url, i))
        scored.sort(key=lambda t: t[0], reverse=True)
        chosen = [t for t in scored if t[1] == 1][:2] + [t for t in scored if t[1] == 0][:negatives]
        for _, label, url, i in chosen:
            sents = cache[url]
            before = sents[i - 1][2] if i > 0 else None
            title = articles[url].get("title")
            pairs.append(Pair(question, passage(sents[i][2], title, before), label, "news", q["id"]))
    return pairs


def training_pairs(
    seed: int = 13, squad1: int = 4000, squad2: int | None = None, mined: Path | None = None
) -> list[Pair]:
    """The training set: every fold but 0, shuffled with ``seed``. ``squad2`` None: every
    question of the training folds' SQuAD 2.0 articles (the only abstention examples).
    ``mined``: bench/rank_data.py's output folder, whose news candidates (training/mined.py)
    then stand in for the word-overlap news pairs."""
    rng = random.Random(seed)
    train = set(range(1, FOLDS))
    if mined is not None:
        from training.mined import mined_news

        news_pairs = mined_news(train, mined)
    else:
        news_pairs = news(train, rng)
    pairs = [
        *squad(SHARED / "squad1.0-train.json", "squad1", None, squad1, rng),
        *squad(SHARED / "squad2.0-dev-part.json", "squad2", train, squad2, rng),
        *news_pairs,
    ]
    rng.shuffle(pairs)
    return pairs
