"""The answer model's pass: does the ranker's best sentence answer the question?

The ranker (query/rank.py) chooses the answer; the answer model (reader/model.py), a
cross-encoder trained on public questions, reads the question with that sentence, its headline
and the sentence before it. Its log-odds, averaged with the ranker's confidence model's (weight
0.5, calibration.json), calibrated, are the answer's confidence, which decides between answering
and abstaining. The average, because the model reads one sentence: "killing 224 people" beside
a question about "the Sinai crash" that only the article's lede names; alone (weight 0) it
abstained on 4 of the 41 answerable seed questions at its fitted threshold, averaged on 1.

Why it judges and does not reorder: reordering the ranker's top 12 by the model (alone, or with
the ranker's log-odds added at weights 0.25 to 4) chose the answer sentence less often out of
fold than the ranker (SQuAD 2.0 fold 0 0.884 against 0.923, the seed set 0.854 against 0.927,
Wikinews 0.816 against 0.921, news weeks of fold 0 0.551 against 0.542), while as a judge of the
ranker's choice it tells answerable from unanswerable better than the ranker's own confidence model
(docs/architecture.md, "The answer model"; ``python bench/answer_quality.py --fit``).
"""

from __future__ import annotations

from assistant.query.rank import Candidate
from assistant.reader.model import AnswerModel
from assistant.reader.text import passage
from assistant.store.ids import sentence_id, sentence_index
from assistant.store.records import SentenceRow


def previous_id(best: Candidate) -> str | None:
    """The id of the sentence before ``best`` in its article, if any: its context for the model."""
    index = sentence_index(best.row.sentence_id)
    return sentence_id(best.row.article_id, index - 1) if index > 0 else None


def answer_logit(
    model: AnswerModel, question: str, best: Candidate, title: str | None, before: SentenceRow | None
) -> float:
    """The model's log-odds that ``best`` answers ``question`` (calibrated by the caller)."""
    text = passage(best.row.text, title, before.text if before else None)
    return float(model.logits(question, [text])[0])
