"""The answer model's pass: which of the ranker's best sentences answers the question, and how
surely.

The ranker (query/rank.py) orders every retrieved sentence; the answer model (reader/model.py), a
cross-encoder trained on public questions, reads the question with each of the ranker's top
``depth`` sentences, its headline and the sentence before it. Those are reordered by the ranker's
log-odds plus ``weight`` times the model's (both in the model's calibration.json, fitted on the
training folds by bench/fit_answer.py); the rest keep the ranker's order. The model's log-odds
for the new first sentence, averaged with the ranker's confidence model's and calibrated, are
the answer's confidence, which decides between answering and abstaining (query/answerer.py).

Why a weighted sum and not the model's order alone: the model reads one sentence, and "killing
224 people" does not name the "Sinai crash" that only the article's lede names, while the
ranker's signals see the passage, the headline and the question's names across the article;
reordered by the model alone the top 12 held the answer less often than the ranker's order on
every held-out set (docs/architecture.md, "The answer model").
"""

from __future__ import annotations

import numpy as np

from assistant.query.rank import Candidate
from assistant.reader.model import AnswerModel
from assistant.reader.text import passage
from assistant.store.ids import sentence_id, sentence_index


def previous_id(candidate: Candidate) -> str | None:
    """The id of the sentence before ``candidate`` in its article, if any: its context for the model."""
    index = sentence_index(candidate.row.sentence_id)
    return sentence_id(candidate.row.article_id, index - 1) if index > 0 else None


def judge(
    model: AnswerModel,
    question: str,
    ranked: list[Candidate],
    titles: dict[str, str],
    before: dict[str, str],
) -> tuple[list[Candidate], np.ndarray]:
    """``ranked`` with its top ``depth`` reordered, and the model's log-odds for them in the new
    order. ``before``: sentence id -> text, holding (at least) the sentence before each of the
    top ones that has one; ``titles``: article id -> headline."""
    cal = model.calibration
    top = ranked[: cal.depth]
    logits = model.logits(
        question,
        [passage(c.row.text, titles.get(c.row.article_id), before.get(previous_id(c) or "")) for c in top],
    )
    order = np.argsort(-(np.asarray([c.logit for c in top]) + cal.weight * logits), kind="stable")
    return [top[i] for i in order] + ranked[cal.depth :], logits[order]
