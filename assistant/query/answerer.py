"""The query path: question -> hybrid retrieval -> sentence ranking -> verified citations."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date

import numpy as np

from assistant.config import Settings
from assistant.embed import Embedder
from assistant.errors import InputError, check_unicode
from assistant.query.batcher import QuestionBatcher
from assistant.query.judge import judge, previous_id
from assistant.query.question import Question, analyse
from assistant.query.rank import FEATURES, Candidate, Ranker, load_ranker, matches_kind, rank
from assistant.query.retrieve import Passage, retrieve
from assistant.reader import model as answer_model
from assistant.schema import Answer, Article, Citation, Filters, day_int
from assistant.store.corpus import CorpusStore
from assistant.store.ids import sentence_id, sentence_index
from assistant.store.keyword import KeywordIndex
from assistant.store.records import SentenceRow

log = logging.getLogger(__name__)

NOT_COVERED = "The loaded articles don't cover this question."
CLOSEST = "The loaded articles don't seem to answer this. The closest passage, which may not answer it:"
EMPTY_STORE = "No articles are loaded yet, so there is nothing to answer from. Add articles first."
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# A second sentence joins the answer when it scores nearly as well as the first, within this many
# log-odds. A typed answer (a count, a date, a name, a place) is one fact, and a runner-up
# stating another one is a competing answer ("killing 224" beside "killed 129" of another attack),
# so it joins only when the ranker can hardly tell them apart. A "which/what/why" answer is a
# description, and within odds of 1.35 to 1 both sentences describe it: realnews-dev
# answer-in-text 0.767 -> 0.779 (0.802 with 0.3 for every type, which puts competing figures in
# answers), seed 0.902 -> 0.927, Wikinews unchanged.
_SECOND_SENTENCE_MARGIN = {"other": 0.3, "reason": 0.3}
_TYPED_SECOND_SENTENCE_MARGIN = 0.1
# Below the answer threshold, the best sentence is still shown as "the closest passage" when its
# confidence is at least this share of the threshold; below that, a plain abstention.
_CLOSEST_SHARE = 0.5
# What the confidence model reads of a ranked list (see ``confidence_features``).
CONFIDENCE_FEATURES = (
    "logit",
    "margin",
    "relevance",
    "lexical",
    "keyterms_near",
    "off_period",
    "novel",
)
_MAX_MARGIN = 5.0  # log-odds; a lone candidate's margin


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
    asks: Question  # what it asks for: answer type, terms, names and numbers (query/question.py)
    passages: list[Passage]
    rows: list[SentenceRow]  # the sentences of ``passages``
    ranked: list[Candidate]
    judged: float | None = None  # the answer model's log-odds that ranked[0] answers (query/judge.py)


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
        self.ranker: Ranker = load_ranker()
        folder = answer_model.resolve(settings.answer_model)
        self.reader = answer_model.load(folder) if folder else None

    def answer(
        self,
        question: str,
        top_k: int | None = None,
        filters: Filters | None = None,
        as_of: date | None = None,
    ) -> Answer:
        text, k, day = self.request(question, top_k, as_of)
        found = self.gather(text, k, filters, day)
        return found if isinstance(found, Answer) else self.compose(found)

    def request(self, question: str, top_k: int | None, as_of: date | None) -> tuple[str, int, date]:
        """What an answer depends on besides the filters and the store: the question cleaned,
        ``top_k`` checked (the setting for None) and the day asked (today for None). One place,
        so the answer cache (api.py) keys on exactly what the answer is computed from."""
        text = clean_question(question, self._settings.max_question_chars)
        return text, self._check_k(top_k), as_of or date.today()

    def gather(
        self,
        text: str,
        top_k: int | None = None,
        filters: Filters | None = None,
        as_of: date | None = None,
    ) -> Evidence | Answer:
        """Retrieve and rank the evidence for a clean question asked on ``as_of`` (default
        today); an Answer when the store is empty.

        Split from ``compose`` so the LLM mode (llm/generator.py) answers from the same evidence and
        falls back to the extractive answer without retrieving twice."""
        k = self._check_k(top_k)
        revision = self._store.revision()
        if revision == "empty":
            return Answer(text=EMPTY_STORE, abstained=True, question=text)
        vector, passages = self._retrieve(text, k, filters, as_of, revision)
        rows = self._store.chunk_sentences([p.chunk_id for p in passages])
        question_info = analyse(text, as_of)
        if question_info.period and (self._keyword.newest(revision) or 0) < day_int(question_info.period[0]):
            # "This week" asked of an archive whose news all predates the week: the words can't
            # point at any article, so nothing is read as outside the period.
            question_info = replace(question_info, period=None)
        titles = self._store.titles([p.article_id for p in passages])
        ranked = rank(question_info, vector, passages, rows, titles, self.ranker.sentence)
        judged = None
        if self.reader is not None and ranked:
            before = self.before(ranked[: self.reader.calibration.depth], rows)
            ranked, logits = judge(self.reader, text, ranked, titles, before)
            judged = float(logits[0])
        return Evidence(text, question_info, passages, rows, ranked, judged)

    def before(self, candidates: list[Candidate], rows: list[SentenceRow]) -> dict[str, str]:
        """The sentence before each of ``candidates`` (id -> text): from the retrieved ``rows``,
        else (a sentence that opens its chunk) from the store."""
        wanted = {i for c in candidates if (i := previous_id(c))}
        found = {r.sentence_id: r.text for r in rows if r.sentence_id in wanted}
        if missing := wanted - found.keys():
            found |= {r.sentence_id: r.text for r in self._store.sentences(sorted(missing))}
        return found

    @property
    def threshold(self) -> float:
        """The confidence an answer needs: the setting, else the one fitted with the answer model
        (or the ranker, without one)."""
        setting = self._settings.abstain_threshold
        if setting >= 0:
            return setting
        return self.reader.calibration.threshold if self.reader is not None else self.ranker.threshold

    def confidence(self, evidence: Evidence) -> float:
        """Calibrated probability that the answer is right: the answer model's judgement of the
        best sentence with the ranker's confidence model (over the ranked list) beside it, or
        the latter alone without the model."""
        if not evidence.ranked:
            return 0.0
        z = self.ranker_logit(evidence)
        if self.reader is not None and evidence.judged is not None:
            return self.reader.calibration.probability(evidence.judged, z)
        return float(1.0 / (1.0 + np.exp(-z)))

    def ranker_logit(self, evidence: Evidence) -> float:
        """The ranker's confidence model's log-odds for a non-empty ranked list (what
        bench/answer_quality.py --fit weighs against the answer model's)."""
        return float(self.ranker.confidence.logits(confidence_features(evidence.ranked, evidence.asks))[0])

    def passages(
        self,
        question: str,
        top_k: int | None = None,
        filters: Filters | None = None,
        as_of: date | None = None,
    ) -> list[Passage]:
        """Just the retrieval step: the top ``top_k`` passages (for measuring retrieval recall)."""
        text = clean_question(question, self._settings.max_question_chars)
        k = self._check_k(top_k)
        return self._retrieve(text, k, filters, as_of, self._store.revision())[1]

    def _retrieve(
        self, text: str, k: int, filters: Filters | None, as_of: date | None, revision: str
    ) -> tuple[list[float], list[Passage]]:
        """The question's vector and its top ``k`` passages, as of ``as_of``."""
        vector = self._embedder.question(text)
        return vector, retrieve(
            self._store, self._keyword, text, vector, k, until(filters, as_of), revision, as_of
        )

    def _check_k(self, top_k: int | None) -> int:
        k = self._settings.top_k if top_k is None else top_k
        if k < 1 or k > 100:
            raise InputError(f"top_k must be between 1 and 100, got {k}")
        return k

    def compose(self, evidence: Evidence) -> Answer:
        """The extractive answer: the best sentence (and a close second) when the confidence
        reaches the threshold; else the closest passage, marked as such and led by its headline as
        an answer is (so the reader sees what story it comes from), or (far below the threshold) a
        plain abstention."""
        text, ranked = evidence.question, evidence.ranked
        confidence = round(self.confidence(evidence), 4)
        if not ranked or confidence < self.threshold * _CLOSEST_SHARE:
            return Answer(text=NOT_COVERED, abstained=True, question=text, confidence=confidence)
        best = ranked[0]
        if confidence >= self.threshold:
            return self.best_answer(evidence, confidence)
        articles = self._store.get([best.row.article_id])
        citation = cite(best.row, best.score, articles)
        if citation is None:
            return Answer(text=NOT_COVERED, abstained=True, question=text, confidence=confidence)
        closest = _with_headline(citation, f"{citation.quote} [1]")
        return Answer(
            text=f"{CLOSEST} {closest}",
            abstained=True,
            citations=[citation],
            question=text,
            confidence=confidence,
        )

    def best_answer(self, evidence: Evidence, confidence: float = 0.0) -> Answer:
        """The best sentence and a second one, whatever its confidence: the nearby sentence that
        holds what the question type asks for when the best lacks it, else a close runner-up.
        The ranker's refit (bench/fit_ranker.py) scores rankings with it.

        The answer opens with the first citation's headline ('From “Streaming service renews
        drama”: The streaming service said the hit Danish drama would return... [1]'). A
        sentence deep in a story rarely repeats what the headline names (the team, the company,
        the cause), and no neighbouring sentence may either; on the real-news dev set the
        headline completed 3 of 86 answers (0.744 -> 0.779), and changed none of the seed or
        Wikinews figures."""
        text, ranked = evidence.question, evidence.ranked
        best = ranked[0]
        second = self._with_kind(evidence.asks.kind, best)
        margin = _SECOND_SENTENCE_MARGIN.get(evidence.asks.kind, _TYPED_SECOND_SENTENCE_MARGIN)
        if second is None and len(ranked) > 1 and ranked[1].logit >= best.logit - margin:
            second = ranked[1]
        chosen = [best] + ([second] if second and self._settings.max_citations > 1 else [])
        articles = self._store.get([c.row.article_id for c in chosen])
        citations = [c for c in (cite(cand.row, cand.score, articles) for cand in chosen) if c is not None]
        if not citations:
            return Answer(text=NOT_COVERED, abstained=True, question=text, confidence=confidence)
        body = " ".join(f"{c.quote} [{n}]" for n, c in enumerate(citations, start=1))
        return Answer(
            text=_with_headline(citations[0], body),
            abstained=False,
            citations=citations,
            question=text,
            confidence=confidence,
        )

    def passage_citations(self, evidence: Evidence) -> list[Citation]:
        """The retrieved passages as citations (quote = the passage's text), best first.

        A passage's score is the relevance of its best sentence: the measure abstention compares
        with ``abstain_threshold``, so a caller can tell the passages that likely answer."""
        articles = self._store.get(list(dict.fromkeys(p.article_id for p in evidence.passages)))
        found = []
        for p in evidence.passages:
            article = articles.get(p.article_id)
            if article is None:  # deleted since it was retrieved
                continue
            relevance = max(
                (
                    c.relevance
                    for c in evidence.ranked
                    if c.row.article_id == p.article_id and p.start <= c.row.start < p.end
                ),
                default=0.0,
            )
            found.append(citation(article, p.start, p.end, relevance))
        return sorted(found, key=lambda c: c.score, reverse=True)

    def _with_kind(self, kind: str, best: Candidate) -> Candidate | None:
        """When ``best`` lacks what the question type asks for, the nearest sentence that holds it.

        A quote is often split from its attribution ("'Raqqa ... is the head of the snake.'"
        follows "... David Cameron said"), so for "who" the name sits one or two sentences away.
        """
        if kind == "other" or best.kind:
            return None
        return self._neighbour(best, (-1, 1, -2), lambda text: matches_kind(kind, text))

    def _neighbour(
        self, best: Candidate, steps: tuple[int, ...], wanted: Callable[[str], bool]
    ) -> Candidate | None:
        """The first sentence ``steps`` away from ``best`` in its article whose text is ``wanted``."""
        index = sentence_index(best.row.sentence_id)
        ids = [sentence_id(best.row.article_id, index + step) for step in steps if index + step >= 0]
        rows = {r.sentence_id: r for r in self._store.sentences(ids)}
        for i in ids:
            row = rows.get(i)
            if row is not None and wanted(row.text):
                return replace(best, row=row, lexical=0.0, kind=True)
        return None


def confidence_features(ranked: list[Candidate], question: Question) -> np.ndarray:
    """CONFIDENCE_FEATURES of a ranked list: the best sentence's log-odds, its margin over the
    runner-up, its topical match, its share of the question's names and numbers, whether its
    article falls outside the period the question names ("this week": last year's report of the
    same kind of event is not the answer), and the names and figures it adds to the question's.
    (Not how recent the article is: dev questions are asked in their week and the seed questions
    years later, so the fit learnt "old news is wrong", abstaining on an archive asked today.)"""
    best = ranked[0]
    margin = best.logit - ranked[1].logit if len(ranked) > 1 else _MAX_MARGIN
    signal = dict(zip(FEATURES, best.features, strict=True)) if best.features else {}
    off_period = question.period is not None and not signal.get("period", 0.0)
    return np.asarray(
        [
            [
                best.logit,
                min(margin, _MAX_MARGIN),
                best.relevance,
                best.lexical,
                best.keyterms_near,
                float(off_period),
                signal.get("novel", 0.0),
            ]
        ]
    )


def _with_headline(first: Citation, body: str) -> str:
    """``body`` led by its first quote's headline, unless the quote already opens with it (an
    article without a title, or a lede that repeats it)."""
    title = " ".join((first.title or "").split())
    if not title or first.quote.startswith(title):
        return body
    return f"From “{title}”: {body}"


def until(filters: Filters | None, as_of: date | None) -> Filters:
    """``filters`` narrowed to articles published on or before ``as_of``.

    Only a past ``as_of`` narrows: nothing is published after today, and a date filter would also
    drop undated articles (their chunks carry no date to compare), which a question asked today
    should still see. Asked as of a past day, only articles known to exist by then are used."""
    filters = filters or Filters()
    if as_of is None or as_of >= date.today() or (filters.date_to and filters.date_to <= as_of):
        return filters
    return replace(filters, date_to=as_of)


def cite(row: SentenceRow, score: float, articles: dict[str, Article]) -> Citation | None:
    """A citation only if its quote stands verbatim at its offsets in the stored article."""
    article = articles.get(row.article_id)
    if article is None or article.text[row.start : row.end] != row.text:
        log.warning("dropped citation %s: quote not found at its offsets", row.sentence_id)
        return None
    return citation(article, row.start, row.end, score)


def citation(article: Article, start: int, end: int, score: float) -> Citation:
    """The citation of ``article.text[start:end]``."""
    return Citation(
        quote=article.text[start:end],
        article_id=article.article_id,
        title=article.title,
        source=article.source,
        published=article.published,
        url=article.url,
        start=start,
        end=end,
        score=round(score, 4),
    )
