"""The query path: question -> hybrid retrieval -> sentence ranking -> verified citations."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from assistant.config import Settings
from assistant.embed import Embedder
from assistant.errors import InputError, check_unicode
from assistant.query.batcher import QuestionBatcher
from assistant.query.question import analyse
from assistant.query.rank import Candidate, Weights, matches_kind, rank
from assistant.query.retrieve import Passage, retrieve
from assistant.schema import Answer, Article, Citation, Filters
from assistant.store.corpus import CorpusStore, SentenceRow, sentence_id, sentence_index
from assistant.store.keyword import KeywordIndex

log = logging.getLogger(__name__)

NOT_COVERED = "The loaded articles don't cover this question."
EMPTY_STORE = "No articles are loaded yet, so there is nothing to answer from. Add articles first."
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# A second sentence joins the answer only when it scores nearly as well as the first.
_SECOND_SENTENCE_RATIO = 0.92


def clean_question(question: str, max_chars: int) -> str:
    """Reject what can't be a question; strip control characters and collapse whitespace."""
    if not isinstance(question, str):
        raise InputError("the question must be text")
    text = " ".join(_CONTROL.sub(" ", check_unicode(question, "the question")).split())
    if not text:
        raise InputError("the question is empty: type a question about the loaded articles")
    if len(text) > max_chars:
        raise InputError(f"the question is {len(text):,} characters long; the limit is {max_chars:,}")
    return text


@dataclass(frozen=True)
class Evidence:
    """What retrieval found for one question: the passages, their sentences, ranked."""

    question: str  # the clean, standalone question
    kind: str  # answer type from query/question.py: number, date, person, place, other
    passages: list[Passage]
    rows: list[SentenceRow]  # the sentences of ``passages``
    ranked: list[Candidate]


class Answerer:
    def __init__(
        self,
        settings: Settings,
        embedder: Embedder | QuestionBatcher,
        store: CorpusStore,
        keyword: KeywordIndex,
    ) -> None:
        """``embedder``: what encodes the question; the web app's Assistant passes a
        QuestionBatcher so concurrent requests share forward passes."""
        self._settings = settings
        self._embedder = embedder
        self._store = store
        self._keyword = keyword
        self.weights = Weights()

    def answer(self, question: str, top_k: int | None = None, filters: Filters | None = None) -> Answer:
        found = self.gather(clean_question(question, self._settings.max_question_chars), top_k, filters)
        return found if isinstance(found, Answer) else self.compose(found)

    def gather(
        self, text: str, top_k: int | None = None, filters: Filters | None = None
    ) -> Evidence | Answer:
        """Retrieve and rank the evidence for a clean question; an Answer when the store is empty.

        Split from ``compose`` so the LLM mode (llm/generator.py) answers from the same evidence and
        falls back to the extractive answer without retrieving twice."""
        k = self._settings.top_k if top_k is None else top_k
        if k < 1 or k > 100:
            raise InputError(f"top_k must be between 1 and 100, got {k}")
        filters = filters or Filters()
        revision = self._store.revision()
        if revision == "empty":
            return Answer(text=EMPTY_STORE, abstained=True, question=text)
        vector = self._embedder.question(text)
        passages = retrieve(self._store, self._keyword, text, vector, k, filters, revision)
        ids = [sentence_id(p.article_id, i) for p in passages for i in p.sentence_range]
        rows = self._store.sentences(list(dict.fromkeys(ids)))
        question_info = analyse(text)
        ranked = rank(question_info, vector, passages, rows, self.weights)
        return Evidence(text, question_info.kind, passages, rows, ranked)

    def compose(self, evidence: Evidence) -> Answer:
        """The extractive answer: the best sentence (and a close second), or an abstention."""
        text, ranked = evidence.question, evidence.ranked
        if not ranked or ranked[0].relevance < self._settings.abstain_threshold:
            return Answer(text=NOT_COVERED, abstained=True, question=text)
        best = ranked[0]
        second = self._neighbour_with_kind(evidence.kind, best) if not best.kind else None
        if second is None and len(ranked) > 1 and ranked[1].score >= best.score * _SECOND_SENTENCE_RATIO:
            second = ranked[1]
        chosen = [best] + ([second] if second and self._settings.max_citations > 1 else [])
        articles = self._store.get([c.row.article_id for c in chosen])
        citations = [c for c in (cite(cand.row, cand.score, articles) for cand in chosen) if c is not None]
        if not citations:
            return Answer(text=NOT_COVERED, abstained=True, question=text)
        citations.sort(key=lambda c: (c.article_id, c.start))
        body = " ".join(f"{c.quote} [{n}]" for n, c in enumerate(citations, start=1))
        return Answer(text=body, abstained=False, citations=citations, question=text)

    def _neighbour_with_kind(self, kind: str, best: Candidate) -> Candidate | None:
        """The nearest sentence around ``best`` that holds what the question type asks for.

        A quote is often split from its attribution ("'Raqqa ... is the head of the snake.'"
        follows "... David Cameron said"), so for "who" the name sits one or two sentences away.
        """
        if kind == "other":
            return None
        index = sentence_index(best.row.sentence_id)
        order = [index - 1, index + 1, index - 2]
        ids = [sentence_id(best.row.article_id, i) for i in order if i >= 0]
        rows = {r.sentence_id: r for r in self._store.sentences(ids)}
        for i in ids:
            row = rows.get(i)
            if row is not None and matches_kind(kind, row.text):
                return Candidate(row, best.score, best.relevance, best.dense, 0.0, True)
        return None


def cite(row: SentenceRow, score: float, articles: dict[str, Article]) -> Citation | None:
    """A citation only if its quote stands verbatim at its offsets in the stored article."""
    article = articles.get(row.article_id)
    if article is None or article.text[row.start : row.end] != row.text:
        log.warning("dropped citation %s: quote not found at its offsets", row.sentence_id)
        return None
    return Citation(
        quote=row.text,
        article_id=article.article_id,
        title=article.title,
        source=article.source,
        published=article.published,
        url=article.url,
        start=row.start,
        end=row.end,
        score=round(score, 4),
    )
