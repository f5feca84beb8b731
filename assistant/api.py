"""``Assistant``: the one facade every surface (CLI, HTTP, web chat, Python users) goes through.

Ingestion (nltk, trafilatura, feedparser, llama-index's node types) and the LLM mode (llama-index's
LLM classes) are imported on first use, not here: a cold ``assistant ask`` in the extractive mode
needs neither, and importing them was most of its start time (bench/cold_ask.py).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, cast

from assistant.config import Settings
from assistant.embed import load_embedder
from assistant.errors import AssistantError, InputError, NotFoundError
from assistant.llm.backends import make_llm
from assistant.query.answer_cache import AnswerCache
from assistant.query.answerer import Answerer, clean_question
from assistant.query.batcher import shared_batcher
from assistant.query.condense import Chat, condense
from assistant.query.retrieve import Passage
from assistant.schema import Answer, Article, Citation, Filters, IngestReport, Timeline
from assistant.store.corpus import CorpusStore
from assistant.store.integrity import Integrity
from assistant.store.keyword import KeywordIndex, keyword_path
from assistant.store.watches import Watch, WatchChange, WatchStore, change_id, now, watch_id

log = logging.getLogger(__name__)

# An article id (ingest/clean.py ``article_id``), and so a story id: 16 hex digits of a hash.
_ID = re.compile(r"[0-9a-f]{16}")

if TYPE_CHECKING:
    from llama_index.core.tools import FunctionTool

    from assistant.ingest.feeds import Scheduler, Sources
    from assistant.ingest.notify import Notifier
    from assistant.ingest.pipeline import Indexer, Progress
    from assistant.llamaindex.chat_engine import NewsChatEngine
    from assistant.llamaindex.query_engine import NewsQueryEngine
    from assistant.llamaindex.retriever import NewsRetriever
    from assistant.llm.generator import Generator
    from assistant.store.feeds import FeedState


class Assistant:
    """Question answering over a store of news articles.

    Loads the embedding model and opens the store once; one instance serves many threads'
    ``ask`` calls (the web app shares one per process).
    """

    def __init__(
        self,
        store_dir: str | Path | None = None,
        settings: Settings | None = None,
        read_only: bool = False,
    ) -> None:
        """``read_only``: only ask and read. Otherwise this process becomes the embedded store's
        one writer (StoreLockedError names the writer that holds it; server mode has no lock)."""
        settings = settings or Settings.from_env()
        self.settings = replace(settings, store_dir=Path(store_dir)) if store_dir else settings
        s = self.settings
        self._embedder = load_embedder(s.embed_model, s.embed_batch_size, s.embed_backend, s.embed_cache_dir)
        self._store = CorpusStore(
            s,
            s.embed_model,
            self._embedder.dim,
            self._embedder.backend,
            self._embedder.quantization,
            writer=not read_only,
        )
        self._keyword = KeywordIndex(self._store, keyword_path(self.settings))
        # The ingestion side is built on first use, once, whichever thread needs it first.
        self._lazy = threading.Lock()
        self._built_indexer: Indexer | None = None
        self._built_sources: Sources | None = None
        self._built_watches: WatchStore | None = None
        self._built_notifier: Notifier | None = None
        self._rewatching = threading.Lock()  # one round of watches at a time
        # Questions of concurrent callers (the web app's request threads) share forward passes.
        self._answerer = Answerer(self.settings, shared_batcher(self._embedder), self._store, self._keyword)
        self._answers = AnswerCache(self.settings.answer_cache)
        self._generator: Generator | None = None
        llm = make_llm(self.settings)  # None unless ASSISTANT_LLM names a backend
        if llm is not None:
            from assistant.llm.generator import Generator
            from assistant.llm.prompts import Prompts
            from assistant.llm.verify import Verifier

            prompts = Prompts.load(self.settings.prompts_dir)
            verifier = Verifier(self._embedder, self.settings.support_threshold)
            self._generator = Generator(self.settings, llm, prompts, self._answerer, self._store, verifier)

    @property
    def _indexer(self) -> Indexer:
        """The ingestion pipeline, built (and its modules imported) on the first write."""
        with self._lazy:
            if self._built_indexer is None:
                from assistant.ingest.pipeline import Indexer

                self._built_indexer = Indexer(self.settings, self._embedder, self._store)
            return self._built_indexer

    @property
    def _sources(self) -> Sources:
        """URL ingestion and feed sync, built on first use (the feeds collection is opened then)."""
        indexer = self._indexer
        with self._lazy:
            if self._built_sources is None:
                from assistant.ingest.feeds import Sources
                from assistant.store.feeds import FeedStore

                feeds = FeedStore(
                    self._store.client,
                    self.settings.collection_prefix,
                    self._store.location,
                    shared=bool(self.settings.chroma_url),
                )
                self._built_sources = Sources(self.settings, indexer, feeds)
            return self._built_sources

    @property
    def _watching(self) -> WatchStore:
        """The watched questions and their changes, opened on first use."""
        with self._lazy:
            if self._built_watches is None:
                prefix, location = self.settings.collection_prefix, self._store.location
                self._built_watches = WatchStore(self._store.client, prefix, location, self._store.writer)
            return self._built_watches

    @property
    def _notifier(self) -> Notifier:
        """The webhook poster (ingest/notify.py), built on a watch's first webhook."""
        watches = self._watching
        with self._lazy:
            if self._built_notifier is None:
                from assistant.ingest.notify import Notifier

                self._built_notifier = Notifier(self.settings, watches.delivered)
            return self._built_notifier

    @property
    def mode(self) -> str:
        """The answer mode: "llm" (generated, then checked against the articles) or "extractive"."""
        return "llm" if self._generator else "extractive"

    def ingest(
        self, paths: str | Path | Iterable[str | Path], progress: Progress | None = None
    ) -> IngestReport:
        """Add files and folders (.txt, .md, .html, .jsonl) and URLs (http/https): a news page is
        one article, an RSS or Atom feed gives its entries' articles (fetched once; ``feeds_add``
        keeps a feed in sync). See IngestReport for the outcome; failed URLs are its lines."""
        from assistant.ingest.fetch import is_url

        if isinstance(paths, str | Path):
            paths = [paths]
        paths = list(paths)
        urls = [str(p) for p in paths if is_url(p)]  # is_url: only a str is one
        files = [p for p in paths if not is_url(p)]
        report = self._indexer.ingest(files, progress) if files else IngestReport()
        self._sources.ingest(urls, report, progress)
        return self._written(report)

    def feeds_add(self, url: str, sync: bool = True, progress: Progress | None = None) -> IngestReport:
        """Register an RSS/Atom feed and sync it now (``sync=False``: the next sync picks it up).
        InputError when the URL can't be fetched or is not a feed; nothing is registered then."""
        return self._written(self._sources.add(url, sync, progress))

    def feeds_list(self) -> list[FeedState]:
        """Registered feeds with their last sync time, outcome, article count and errors."""
        return self._sources.list()

    def feeds_remove(self, url: str) -> None:
        """Stop following a feed; its articles stay. InputError for an unknown feed."""
        self._sources.remove(url)

    def sync(self, progress: Progress | None = None) -> IngestReport:
        """Sync every registered feed once: new entries added, changed ones replaced, unchanged
        ones skipped without fetching their pages. A feed another process is syncing is skipped."""
        return self._written(self._sources.sync(progress=progress))

    def sync_every(self, minutes: float) -> Scheduler:
        """Sync now and then every ``minutes`` in a daemon thread; ``.stop()`` ends it."""
        from assistant.ingest.feeds import Scheduler

        return Scheduler(self.sync, minutes).start()

    def ingest_records(self, records: list[dict], origin: str = "records") -> IngestReport:
        """Add articles given as dicts with the fields of a .jsonl line (text, title, url, ...)."""
        return self._written(self._indexer.ingest_records(records, origin))

    def ask(
        self,
        question: str,
        top_k: int | None = None,
        filters: Filters | None = None,
        history: Sequence[str] = (),
        as_of: date | None = None,
    ) -> Answer:
        """Answer ``question`` from the articles, with verified citations, or abstain.

        ``history`` holds earlier questions of the conversation (oldest first) for follow-ups.
        ``as_of`` is the day the question is asked (default today): "this week", "recently",
        "latest" are read against it, and articles published after it are not used.
        Raises InputError (a ValueError) for an empty, oversized or malformed question.
        """
        *_, answer = self.stream(question, top_k, filters, history, as_of)
        return cast(Answer, answer)  # a stream ends with its Answer

    def stream(
        self,
        question: str,
        top_k: int | None = None,
        filters: Filters | None = None,
        history: Sequence[str] = (),
        as_of: date | None = None,
    ) -> Iterator[str | Answer]:
        """Like ``ask``, as a stream: text deltas of the draft while an LLM writes it, then the
        final Answer as the last item. Only the final Answer is checked against the articles (its
        text can differ from the draft); the extractive mode yields just the Answer."""
        question = self.standalone(question, history)
        if self._generator is None:
            yield self._extractive(question, top_k, filters, as_of)
            return
        for item in self._generator.stream(question, top_k, filters, as_of):
            yield item if isinstance(item, str) else self._covered(item)

    def _extractive(
        self, question: str, top_k: int | None, filters: Filters | None, as_of: date | None
    ) -> Answer:
        """The extractive answer, computed once per question, options and store revision
        (query/answer_cache.py). Not the LLM mode's: its answer streams, and one the LLM failed to
        write (the extractive one with a notice) must not outlive the failure."""
        text, k, day = self._answerer.request(question, top_k, as_of)
        key = (text, k, filters or None, day, self._store.revision())  # Filters() retrieves as None
        return self._answers.get(key, lambda: self._covered(self._answerer.answer(text, k, filters, day)))

    def _covered(self, answer: Answer) -> Answer:
        """``answer`` with its citations' coverage (stories/coverage.py): each cited story's other
        reports, and a note citing both where they differ on a figure. Inside the cached
        computation, so a cached answer is as fresh as the store revision in its key: a new report
        of a cited story is a write, and the next ask misses and covers it."""
        if not self.settings.coverage or not answer.citations:
            return answer
        from assistant.stories.coverage import cover

        stories = self._store.stories_of([c.article_id for c in answer.citations])
        articles = {story: self._store.story_articles(story) for story in dict.fromkeys(stories.values())}
        return cover(answer, stories, articles)

    def search(self, query: str, top_k: int | None = None, filters: Filters | None = None) -> list[Citation]:
        """The passages ``ask`` would answer from (the same hybrid retrieval), for callers that write
        their own answers: citations whose quote is the whole passage, verbatim at its offsets, best
        first, scored by relevance (see ``Settings.abstain_threshold``). Empty for an empty store."""
        found = self._answerer.gather(clean_question(query, self.settings.max_question_chars), top_k, filters)
        return [] if isinstance(found, Answer) else self._answerer.passage_citations(found)

    def standalone(self, question: str, history: Sequence[str] = ()) -> str:
        """``question`` rewritten to stand alone after ``history`` (the LLM when one is set and
        answers, else the rule-based method in query/condense.py)."""
        if not history or not isinstance(question, str) or not question.strip():
            return question
        if len(question) > self.settings.max_question_chars:
            return question  # refused with a clear message by the answering step
        rewritten = self._generator.condense(question, list(history)) if self._generator else None
        return rewritten or condense(question, list(history))

    def passages(
        self,
        question: str,
        top_k: int | None = None,
        filters: Filters | None = None,
        as_of: date | None = None,
    ) -> list[Passage]:
        """The passages retrieval finds for ``question`` (before sentence ranking), best first:
        what `assistant eval --recall` measures."""
        return self._answerer.passages(question, top_k, filters, as_of)

    def chat(self) -> Chat:
        """A conversation: ``chat.ask`` keeps the history so follow-ups work."""
        return Chat(self.stream)

    # ----- llama-index: assistant/llamaindex/ (imported here on first use; see docs/integrations.md)
    def as_retriever(
        self, top_k: int | None = None, filters: Filters | None = None, as_of: date | None = None
    ) -> NewsRetriever:
        """A llama-index retriever of the passages ``search`` finds (asked on ``as_of``): nodes
        whose text stands verbatim at their ``start``/``end`` in the stored article."""
        from assistant.llamaindex.retriever import NewsRetriever

        def search(query: str) -> list[Citation]:
            text = clean_question(query, self.settings.max_question_chars)
            found = self._answerer.gather(text, top_k, filters, as_of)
            return [] if isinstance(found, Answer) else self._answerer.passage_citations(found)

        return NewsRetriever(search)

    def as_query_engine(
        self,
        top_k: int | None = None,
        filters: Filters | None = None,
        as_of: date | None = None,
        streaming: bool = False,
    ) -> NewsQueryEngine:
        """A llama-index query engine: ``ask``'s answer as a Response (citations as
        ``source_nodes``, ``metadata`` with confidence and abstained)."""
        from assistant.llamaindex.query_engine import NewsQueryEngine

        return NewsQueryEngine(self, top_k, filters, as_of, streaming)

    def as_chat_engine(
        self, top_k: int | None = None, filters: Filters | None = None, as_of: date | None = None
    ) -> NewsChatEngine:
        """A llama-index chat engine: ``chat`` with follow-ups made standalone."""
        from assistant.llamaindex.chat_engine import NewsChatEngine

        return NewsChatEngine(self.as_query_engine(top_k, filters, as_of))

    def as_tool(
        self, top_k: int | None = None, filters: Filters | None = None, as_of: date | None = None
    ) -> FunctionTool:
        """A tool for llama-index agents (``news_assistant``); its description says when it
        abstains (assistant/llamaindex/tool.py)."""
        from assistant.llamaindex.tool import news_tool

        return news_tool(self.as_query_engine(top_k, filters, as_of))

    def article(self, article_id: str) -> Article:
        found = self._store.get([article_id])
        if article_id not in found:
            raise InputError(f"no article with id {article_id!r}")
        return found[article_id]

    def articles(self) -> list[Article]:
        return sorted(self._store.list(), key=lambda a: (a.published or "", a.title or ""), reverse=True)

    def story(self, story_id: str) -> list[Article]:
        """The articles of one story (``Article.story``: every article that reports the same
        event, assistant/stories/), oldest first. An unknown id is an InputError."""
        found = self._store.story_articles(story_id)
        if not found:
            raise InputError(f"no story with id {story_id!r}")
        return sorted(found, key=Article.order_key)

    def timeline(self, story_or_question: str) -> Timeline:
        """How a story developed: its articles oldest first, each with its headline, source, date,
        url and one verbatim sentence (its lede, or what it adds that earlier reports lacked;
        assistant/stories/timeline.py).

        ``story_or_question``: a story id, an article id (its story: a citation's "Timeline"), or
        a question such as "How did the Mecca crane story develop?", which takes the story of
        the passage ``search`` finds first (``Timeline.matched``, with its relevance score).
        InputError for an empty or oversized argument or an empty store; NotFoundError (an
        InputError) for an unknown id."""
        from assistant.stories.timeline import timeline

        text = clean_question(story_or_question, self.settings.max_question_chars)
        if _ID.fullmatch(text):
            articles = self._store.story_articles(text)
            if articles:
                return timeline(text, articles)
            article = self._store.get([text]).get(text)
            if article is None:  # a mistyped id is not a question: no other story stands in
                raise NotFoundError(f"no story or article with id {text!r}")
            return self._timeline_of(article)
        found = self.search(text)  # best first
        top = found[0] if found else None
        article = self._store.get([top.article_id]).get(top.article_id) if top else None
        if top is None or article is None:  # an empty store, or deleted since it was retrieved
            raise InputError(f"no article matches {text[:200]!r}: there is no story to show")
        return self._timeline_of(article, question=text, matched=top)

    def _timeline_of(
        self, article: Article, question: str | None = None, matched: Citation | None = None
    ) -> Timeline:
        """The timeline of ``article``'s story (an article stored before stories is its own)."""
        from assistant.stories.timeline import timeline

        story = article.story or article.article_id
        articles = self._store.story_articles(story) or [article]
        return timeline(story, articles, question=question, matched=matched)

    def delete(self, article_id: str) -> None:
        """Remove an article and all its chunks; an unknown id is an InputError. (By its record,
        not ``article``: an article whose text was lost can still be deleted.)"""
        if not self._store.existing([article_id]):
            raise InputError(f"no article with id {article_id!r}")
        self._store.delete([article_id])
        self._rewatch()

    # ----- watched questions: stories/changes.py decides a change, store/watches.py keeps them
    def watch_add(self, question: str, webhook: str | None = None) -> Watch:
        """Watch ``question``: asked now (its first answer) and again after every write that
        adds, updates or deletes articles (ingest, sync, delete). When its answer's facts change
        (a new figure, name or date; an abstention turning into an answer), the change is
        recorded with both answers and their citations (``watch_changes``) and, with
        ``webhook``, posted there as JSON in the background (ingest/notify.py). A reworded
        report of the same figure is no change. The same question again is the same watch (a
        webhook given replaces its own). InputError for an empty or oversized question, a webhook that is no
        http(s) URL, or a watch beyond ``Settings.max_watches``."""
        from assistant.ingest.notify import webhook_url

        text = clean_question(question, self.settings.max_question_chars)
        hook = webhook_url(webhook) if webhook else None
        watches = self._watching
        if watches.get(watch_id(text)) is None and watches.count() >= self.settings.max_watches:
            raise InputError(
                f"already {self.settings.max_watches} watches (ASSISTANT_MAX_WATCHES); remove one first"
            )
        watch = watches.add(text, hook)
        with self._rewatching:
            self._ask_again(watch)
        return watches.get(watch.watch_id) or watch

    def watches(self) -> list[Watch]:
        """The watched questions, oldest first, each with its latest answer."""
        return self._watching.list()

    def watch_remove(self, watch: str) -> None:
        """Stop watching (by ``Watch.watch_id``), forgetting its changes; NotFoundError when
        there is no such watch."""
        if not self._watching.remove(watch):
            raise NotFoundError(f"no watch with id {watch!r}")

    def watch_changes(self, watch: str | None = None, unseen: bool = False) -> list[WatchChange]:
        """Recorded changes newest first: of every watch or of one (NotFoundError for an unknown
        id), and only those not yet marked seen (``watch_seen``) with ``unseen``."""
        if watch is not None and self._watching.get(watch) is None:
            raise NotFoundError(f"no watch with id {watch!r}")
        return self._watching.changes(watch, unseen)

    def watch_unseen(self) -> int:
        """How many changes are not yet seen (a badge's count)."""
        return self._watching.unseen()

    def watch_seen(self, changes: list[str] | None = None) -> int:
        """Mark changes seen (None: all); returns how many were unseen."""
        return self._watching.mark_seen(changes)

    def _written(self, report: IngestReport) -> IngestReport:
        """``report`` of a write, once the watches are asked again if it added or updated articles."""
        if report.added or report.updated:
            self._rewatch()
        return report

    def _rewatch(self) -> None:
        """After a write that changed articles: every watch asked again (the answer cache's key
        holds the revision, so each is answered afresh). A watch that can't be asked is logged and
        left for the next write: the write itself succeeded."""
        if not self._watching.count():
            return
        with self._rewatching:
            for watch in self._watching.list():
                try:
                    self._ask_again(watch)
                except (AssistantError, ValueError) as exc:
                    log.warning("watch %s not asked again: %s", watch.watch_id, exc)

    def _ask_again(self, watch: Watch) -> None:
        """Ask ``watch``'s question; record a change of its facts (and post it to its webhook),
        then keep the answer and what it adds to what its answers have said."""
        from assistant.stories.changes import Facts, learnt, news

        answer = self.ask(watch.question)
        after = answer.to_dict()
        known = Facts.from_json(watch.known)
        what = news(not watch.answer["abstained"], known, answer) if watch.answer is not None else []
        if what:
            change = WatchChange(
                change_id(watch.watch_id, watch.answer, after),
                watch.watch_id,
                watch.question,
                now(),
                what,
                watch.answer,
                after,
                delivery="pending" if watch.webhook else None,
            )
            self._watching.record(change)
            if watch.webhook:
                self._notifier.send(watch.webhook, change.change_id, change.to_dict())
        cited = self._store.get(list(dict.fromkeys(c.article_id for c in answer.citations)))
        watch.answer, watch.checked = after, now()
        watch.known = learnt(known, answer, [a.text for a in cited.values()]).to_json()
        self._watching.save(watch)

    def count(self) -> int:
        """How many articles are loaded (one cheap store call)."""
        return self._store.count()

    def check(self, repair: bool = False) -> Integrity:
        """Find articles missing chunks, sentences or vectors, articles whose text is lost, parts
        of deleted articles, writes left unfinished and a stale keyword index; with ``repair``,
        re-embed the incomplete articles from their stored text, remove the orphans and rebuild
        the keyword index, then check again. ``Integrity.problems()`` lists what remains (an
        article whose text is lost stays listed: only its source can restore it)."""
        report = self._check()
        if repair and report.problems():
            self._store.recover()
            self._store.delete(report.orphans)
            self._indexer.reembed(self._store.get(report.incomplete).values())
            self._store.touch()
            report = self._check()
        return report

    def _check(self) -> Integrity:
        report = self._store.inspect()
        report.keyword_stale = not self._keyword.matches(report.chunk_ids)
        return report
