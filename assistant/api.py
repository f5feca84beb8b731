"""``Assistant``: the one facade every surface (CLI, HTTP, web chat, Python users) goes through."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from assistant.answering import Answerer
from assistant.chat import Chat, condense
from assistant.config import Settings
from assistant.embed import load_embedder
from assistant.errors import InputError
from assistant.indexing import Indexer, Progress
from assistant.schema import Answer, Article, Filters, IngestReport
from assistant.store.corpus import CorpusStore
from assistant.store.keyword import KeywordIndex


class Assistant:
    """Question answering over a store of news articles.

    Loads the embedding model and opens the store once; one instance serves many threads'
    ``ask`` calls (the web app shares one per process).
    """

    def __init__(self, store_dir: str | Path | None = None, settings: Settings | None = None) -> None:
        settings = settings or Settings.from_env()
        self.settings = replace(settings, store_dir=Path(store_dir)) if store_dir else settings
        self._embedder = load_embedder(self.settings.embed_model, self.settings.embed_batch_size)
        self._store = CorpusStore(self.settings, self.settings.embed_model, self._embedder.dim)
        keyword_dir = None if self.settings.chroma_url else self.settings.store_dir / "keyword_index"
        self._keyword = KeywordIndex(self._store, keyword_dir)
        self._indexer = Indexer(self.settings, self._embedder, self._store)
        self._answerer = Answerer(self.settings, self._embedder, self._store, self._keyword)

    def ingest(
        self, paths: str | Path | Iterable[str | Path], progress: Progress | None = None
    ) -> IngestReport:
        """Add files and folders (.txt, .md, .html, .jsonl). See IngestReport for the outcome."""
        if isinstance(paths, str | Path):
            paths = [paths]
        return self._indexer.ingest(paths, progress)

    def ingest_records(self, records: list[dict], origin: str = "records") -> IngestReport:
        """Add articles given as dicts with the fields of a .jsonl line (text, title, url, ...)."""
        return self._indexer.ingest_records(records, origin)

    def ask(
        self,
        question: str,
        top_k: int | None = None,
        filters: Filters | None = None,
        history: Sequence[str] = (),
    ) -> Answer:
        """Answer ``question`` from the articles, with verified citations, or abstain.

        ``history`` holds earlier questions of the conversation (oldest first) for follow-ups.
        Raises InputError (a ValueError) for an empty, oversized or malformed question.
        """
        if history:
            question = condense(question, list(history))
        return self._answerer.answer(question, top_k=top_k, filters=filters)

    def chat(self) -> Chat:
        """A conversation: ``chat.ask`` keeps the history so follow-ups work."""
        return Chat(self.ask)

    def article(self, article_id: str) -> Article:
        found = self._store.get([article_id])
        if article_id not in found:
            raise InputError(f"no article with id {article_id!r}")
        return found[article_id]

    def articles(self) -> list[Article]:
        return sorted(self._store.list(), key=lambda a: (a.published or "", a.title or ""), reverse=True)

    def delete(self, article_id: str) -> None:
        """Remove an article and all its chunks; an unknown id is an InputError."""
        self.article(article_id)
        self._store.delete([article_id])
