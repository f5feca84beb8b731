"""The LLM answer mode: generate from the retrieved passages, then show only what checks out.

Flow for one question: the extractive path's evidence (query/answerer.py) -> if nothing relevant was
retrieved, abstain without asking the model (the cheapest guard against invention) -> the numbered
passages go to the model through prompts/answer.txt -> tokens stream out as a draft -> each
sentence of the finished draft is checked (llm/verify.py) -> supported sentences become the answer,
each with a verbatim citation; unsupported ones are removed and listed in ``Answer.unverified``.
Whatever goes wrong with the model (down, slow, garbage, nothing verifiable), the user gets the
extractive answer with a one-line notice.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date

from llama_index.core.llms import LLM

from assistant.config import Settings
from assistant.errors import LLMError
from assistant.llm.backends import chat_deltas, llm_kind
from assistant.llm.prompts import NOT_FOUND_PHRASE, Prompts
from assistant.llm.stream import timed_stream
from assistant.llm.verify import Claim, Verifier, split_claims
from assistant.query.answerer import NOT_COVERED, Answerer, Evidence, cite, clean_question
from assistant.query.question import stems
from assistant.schema import Answer, Article, Citation, Filters
from assistant.store.corpus import CorpusStore
from assistant.store.ids import sentence_id
from assistant.store.records import SentenceRow

log = logging.getLogger(__name__)

# The prompt's abstention phrase, as small models actually write it ("Not in the articles.").
_NOT_FOUND = re.compile(r"\W+".join(map(re.escape, NOT_FOUND_PHRASE.split())), re.I)

# Small models echo the prompt's scaffolding ("Passages:", a "(title, source, date)" header):
# not claims, so neither shown nor counted as unverified.
_SCAFFOLD = re.compile(r"^(?:passages|question|answer)\s*:?$|^\(.*\)$", re.I)


@dataclass(frozen=True)
class Shown:
    """A passage as numbered in the prompt, with its sentences for checking claims."""

    number: int
    article: Article
    start: int
    end: int
    rows: list[SentenceRow]


class Generator:
    def __init__(
        self,
        settings: Settings,
        llm: LLM,
        prompts: Prompts,
        answerer: Answerer,
        store: CorpusStore,
        verifier: Verifier,
    ) -> None:
        self._settings = settings
        self._llm = llm
        self._prompts = prompts
        self._answerer = answerer
        self._store = store
        self._verifier = verifier
        # llama.cpp in process runs one generation at a time; servers queue requests themselves.
        self._lock = threading.Lock() if llm_kind(settings) == "llama-cpp" else None

    def stream(
        self,
        question: str,
        top_k: int | None = None,
        filters: Filters | None = None,
        as_of: date | None = None,
    ) -> Iterator[str | Answer]:
        """Text deltas of the draft as the model writes them, then the checked Answer (last)."""
        text = clean_question(question, self._settings.max_question_chars)
        evidence = self._answerer.gather(text, top_k, filters, as_of)
        if isinstance(evidence, Answer):
            yield evidence
            return
        extractive = self._answerer.compose(evidence)
        if extractive.abstained:
            yield extractive
            return
        shown = self._shown(evidence)
        user = self._prompts.answer.format(passages=_numbered(shown), question=text)
        draft: list[str] = []
        try:
            for delta in self._deltas(user):
                draft.append(delta)
                yield delta
        except LLMError as exc:
            log.warning("LLM answer failed, extractive fallback: %s", exc)  # the detail, for operators
            what = "did not answer in time" if exc.timed_out else "is unavailable right now"
            yield replace(
                extractive,
                notice=f"The language model {what}; this is the extractive answer, quoted from the articles.",
            )
            return
        yield self._checked("".join(draft), shown, extractive)

    def condense(self, question: str, history: list[str]) -> str | None:
        """The follow-up as a standalone question, written by the model; None if it can't."""
        prompt = self._prompts.condense.format(history="\n".join(history[-5:]), question=question)
        try:
            reply = "".join(self._deltas(prompt, system=""))
        except LLMError as exc:
            log.warning("LLM condense failed, rule-based fallback: %s", exc)
            return None
        lines = [line.strip(" \"'“”*") for line in reply.strip().splitlines() if line.strip()]
        rewritten = (
            re.sub(r"^(standalone question|question)\s*:\s*", "", lines[0], flags=re.I) if lines else ""
        )
        if not rewritten or len(rewritten) > max(3 * len(question) + 200, 400):
            return None
        # A rewrite must keep what the follow-up itself asks about ("And in Paris?" -> Paris);
        # small models sometimes answer the question instead, or repeat the previous one.
        if not set(stems(question)) <= set(stems(rewritten)):
            log.info("LLM condense dropped the follow-up's own terms; rule-based fallback")
            return None
        return rewritten

    # ----- steps ----------------------------------------------------------------------------------
    def _deltas(self, user: str, system: str | None = None) -> Iterator[str]:
        system = self._prompts.system if system is None else system
        return timed_stream(
            lambda: chat_deltas(self._llm, system, user),
            self._settings.llm_first_token_timeout,
            self._settings.llm_timeout,
            self._lock,
        )

    def _shown(self, evidence: Evidence) -> list[Shown]:
        passages = evidence.passages[: self._settings.llm_passages]
        articles = self._store.get([p.article_id for p in passages])
        by_id = {row.sentence_id: row for row in evidence.rows}
        shown: list[Shown] = []
        for p in passages:
            if p.article_id not in articles:
                continue
            ids = (sentence_id(p.article_id, n) for n in p.sentence_range)
            rows = [by_id[i] for i in ids if i in by_id]
            shown.append(Shown(len(shown) + 1, articles[p.article_id], p.start, p.end, rows))
        return shown

    def _checked(self, draft: str, shown: list[Shown], extractive: Answer) -> Answer:
        # Neither the prompt's scaffolding nor the abstention phrase is a claim to check.
        sentences = [
            (t, m) for t, m in split_claims(draft) if not _SCAFFOLD.match(t) and not _NOT_FOUND.search(t)
        ]
        claims = self._verifier.check(sentences, [s.rows for s in shown], extractive.question)
        said_not_found = bool(_NOT_FOUND.search(draft))
        # small models repeat themselves; each sentence once
        supported = list({c.text: c for c in claims if c.supported}.values())
        unverified = list(dict.fromkeys(c.text for c in claims if not c.supported))
        log.info("LLM draft: %d claims, %d supported", len(claims), len(supported))
        if said_not_found and not supported:
            return Answer(
                NOT_COVERED,
                abstained=True,
                question=extractive.question,
                mode="llm",
                confidence=extractive.confidence,
            )
        if not supported:
            why = "gave nothing" if not draft.strip() else "wrote nothing the articles support"
            # A generated sentence that the extractive answer quotes verbatim is shown as a quote
            # with its citation, so it is not listed as an unverified claim beside it.
            quoted = {c.quote for c in extractive.citations}
            return replace(
                extractive,
                notice=f"The language model {why}; this is the extractive answer, quoted from the articles.",
                unverified=[u for u in unverified if u not in quoted],
            )
        citations: list[Citation] = []
        parts = []
        articles = {s.article.article_id: s.article for s in shown}
        for claim in supported:
            numbers = [self._cite(row, claim, articles, citations) for row in claim.evidence]
            marks = "".join(f"[{n}]" for n in dict.fromkeys(n for n in numbers if n))
            parts.append(f"{claim.text} {marks}".strip())
        notice = None
        if unverified:
            notice = (
                f"{len(unverified)} sentence{'s' * (len(unverified) > 1)} of the generated answer "
                "could not be checked against the articles and "
                f"{'were' if len(unverified) > 1 else 'was'} removed."
            )
        return Answer(
            " ".join(parts),
            False,
            citations,
            extractive.question,
            notice=notice,
            unverified=unverified,
            mode="llm",
            # the evidence's confidence: the checked sentences say no more than it does
            confidence=extractive.confidence,
        )

    @staticmethod
    def _cite(row: SentenceRow, claim: Claim, articles: dict[str, Article], citations: list[Citation]) -> int:
        """The 1-based number of ``row``'s citation, adding it if new (0 if it fails the check)."""
        for n, c in enumerate(citations, start=1):
            if (c.article_id, c.start) == (row.article_id, row.start):
                return n
        citation = cite(row, claim.similarity, articles)
        if citation is None:
            return 0
        citations.append(citation)
        return len(citations)


def _numbered(shown: list[Shown]) -> str:
    blocks = []
    for s in shown:
        about = ", ".join(x for x in (s.article.title, s.article.source, s.article.published) if x)
        blocks.append(f"[{s.number}] ({about or 'untitled'})\n{s.article.text[s.start : s.end].strip()}")
    return "\n\n".join(blocks)
