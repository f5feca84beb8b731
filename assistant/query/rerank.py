"""The answer model's pass: the ranker's best candidates read again, question and sentence together.

The ranker (query/rank.py) is cheap and sees every sentence of the retrieved passages; the answer
model (reader/model.py), a cross-encoder trained on 100,000 public questions, reads the question
with each of the ranker's top ``n`` sentences, its headline and the sentence before it, and
decides both their order and the answer's confidence. Its calibrated probability becomes the
candidate's ``score``, its logit the ``logit`` that margins are measured in. Candidates past the
top ``n`` follow in the ranker's order, a log-odd below every reread one.
"""

from __future__ import annotations

from dataclasses import replace

from assistant.query.rank import Candidate
from assistant.reader.model import AnswerModel
from assistant.reader.text import passage
from assistant.store.ids import sentence_id, sentence_index
from assistant.store.records import SentenceRow


def rerank(
    model: AnswerModel,
    question: str,
    ranked: list[Candidate],
    titles: dict[str, str],
    previous: dict[str, SentenceRow],
    n: int,
) -> list[Candidate]:
    """``ranked`` with its first ``n`` reordered by the answer model. ``previous``: sentence rows
    by id, where each candidate's preceding sentence is looked up."""
    head, tail = ranked[:n], ranked[n:]
    if not head:
        return ranked
    texts = []
    for c in head:
        before = previous.get(sentence_id(c.row.article_id, sentence_index(c.row.sentence_id) - 1))
        texts.append(passage(c.row.text, titles.get(c.row.article_id), before.text if before else None))
    logits = model.logits(question, texts)
    probability = model.calibration.probability(logits)
    reread = [
        replace(c, logit=float(z), score=float(p))
        for c, z, p in zip(head, logits.tolist(), probability.tolist(), strict=True)
    ]
    reread.sort(key=lambda c: c.logit, reverse=True)
    floor = reread[-1].logit
    return reread + [replace(c, logit=floor - 1.0, score=0.0) for c in tail]


def previous_ids(ranked: list[Candidate], n: int) -> list[str]:
    """The ids of the sentences before the first ``n`` candidates (their context for the model)."""
    return [
        sentence_id(c.row.article_id, sentence_index(c.row.sentence_id) - 1)
        for c in ranked[:n]
        if sentence_index(c.row.sentence_id) > 0
    ]
