"""Ingestion end to end: files -> clean articles -> sentences and chunks -> vectors -> store.

Articles are processed in batches so the model encodes many chunks per call (its throughput is
what bounds ingestion) and Chroma receives few, large writes. Each chunk goes through the model
once; its sentences' vectors are pooled from the same pass (Embedder.chunks_and_sentences), so
chunk and sentence search cost one encode of the text, not two.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from assistant.config import Settings
from assistant.embed import Embedder
from assistant.ingest.chunk import ChunkPlan, plan_chunks
from assistant.ingest.clean import Cleaned, clean
from assistant.ingest.formats import RawDoc, from_record, parse
from assistant.ingest.read import ReadError, iter_files, read_text
from assistant.ingest.sentences import sentence_spans
from assistant.schema import Article, IngestReport
from assistant.store.corpus import CorpusStore
from assistant.store.records import ChunkRecord, Entry
from assistant.stories.cluster import place

log = logging.getLogger(__name__)

# (files done, files total) -> None; the web UI passes one to show progress.
Progress = Callable[[int, int], None]

BATCH_ARTICLES = 64


@dataclass
class _Pending:
    cleaned: Cleaned
    origin: str
    replaces: list[str]
    story: str | None = None  # kept from the stored article it re-embeds or updates


class Indexer:
    def __init__(self, settings: Settings, embedder: Embedder, store: CorpusStore) -> None:
        self._settings = settings
        self._embedder = embedder
        self._store = store

    def ingest(self, paths: Iterable[str | Path], progress: Progress | None = None) -> IngestReport:
        """Ingest files and folders. Failures are reported per file (or JSONL line); what was in
        the store before is never lost: an article is replaced only once its successor is ready."""
        report = IngestReport()
        files = list(iter_files(paths))
        bar = tqdm(files, desc="ingesting", unit="file", disable=not sys.stderr.isatty() or len(files) < 2)

        def docs() -> Iterator[RawDoc]:
            for done, (origin, path, problem) in enumerate(bar, start=1):
                if problem or path is None:
                    report.failed.append((origin, problem or "unreadable"))
                else:
                    yield from self._read(path, origin, report)
                if progress:
                    progress(done, len(files))

        self.ingest_docs(docs(), report)
        return report

    def ingest_records(self, records: list[dict], origin: str) -> IngestReport:
        """Ingest articles given as JSON-like records (the fields a .jsonl line may hold)."""
        report = IngestReport()

        def docs() -> Iterator[RawDoc]:
            for n, record in enumerate(records, start=1):
                doc = from_record(record, f"{origin}:{n}")
                if isinstance(doc, str):
                    report.failed.append((f"{origin}:{n}", doc))
                else:
                    yield doc

        self.ingest_docs(docs(), report)
        return report

    def ingest_docs(self, docs: Iterable[RawDoc], report: IngestReport) -> None:
        """Clean, split, encode and store ``docs``, recording each outcome in ``report``."""
        batch: list[_Pending] = []
        seen: set[str] = set()
        for doc in docs:
            self._stage(doc, report, batch, seen)
            if len(batch) >= BATCH_ARTICLES:
                self._flush(batch, report)
        self._flush(batch, report)

    def _read(self, path: Path, origin: str, report: IngestReport) -> list[RawDoc]:
        try:
            text = read_text(path, int(self._settings.max_file_mb * 1_000_000))
            docs, failed = parse(path, text)
        except ReadError as exc:
            report.failed.append((origin, str(exc)))
            return []
        except OSError as exc:
            report.failed.append((origin, f"can't read file ({exc.strerror or exc})"))
            return []
        report.failed.extend(failed)
        return docs

    def _stage(self, doc: RawDoc, report: IngestReport, batch: list[_Pending], seen: set[str]) -> None:
        cleaned = clean(doc)
        if not cleaned.text.strip():
            report.failed.append((doc.origin, "no article text left after cleaning"))
            return
        if cleaned.note:
            report.notes.append((doc.origin, cleaned.note))
            log.info("%s: %s", doc.origin, cleaned.note)
        if cleaned.article_id in seen:
            report.skipped.append(cleaned.article_id)
            return
        seen.add(cleaned.article_id)
        batch.append(_Pending(cleaned, doc.origin, list(doc.replaces)))

    def _flush(self, pending: list[_Pending], report: IngestReport) -> None:
        """Write a batch: articles already stored are skipped, and one query per batch (not per
        article) finds the stored articles that share a URL with a new one and get replaced."""
        kept = {p.cleaned.article_id for p in pending}  # an article of this batch is never stale
        known = self._store.existing(list(kept))
        report.skipped.extend(p.cleaned.article_id for p in pending if p.cleaned.article_id in known)
        batch = [p for p in pending if p.cleaned.article_id not in known]
        pending.clear()
        if not batch:
            return
        by_url = self._store.ids_by_url([p.cleaned.url for p in batch if p.cleaned.url])
        for p in batch:
            same_url = by_url.get(p.cleaned.url, []) if p.cleaned.url else []
            p.replaces = list(dict.fromkeys([*p.replaces, *same_url]))
        stale = [old for p in batch for old in p.replaces if old not in kept]
        was = self._store.stories_of(stale)  # an update stays in its story
        for p in batch:
            p.story = next((was[old] for old in p.replaces if old in was), None)
        entries = self._storied(self._entries(batch), batch)
        self._store.write(entries, replaces=stale)  # one journaled write: a crash can't keep both
        for p in batch:
            (report.updated if p.replaces else report.added).append(p.cleaned.article_id)

    def reembed(self, articles: Iterable[Article]) -> None:
        """Rebuild stored articles' chunks, sentences and vectors from their stored clean text
        (the repair of ``assistant check``); ids and offsets stay the same."""
        batch = [
            _Pending(
                Cleaned(a.article_id, a.text, a.title, a.source, a.published, a.url, a.dateline, None),
                a.origin or "store",
                [],
                a.story,
            )
            for a in articles
        ]
        for i in range(0, len(batch), BATCH_ARTICLES):
            part = batch[i : i + BATCH_ARTICLES]
            self._store.write(self._storied(self._entries(part), part))

    def _storied(self, entries: list[Entry], batch: list[_Pending]) -> list[Entry]:
        """The entries placed in their stories (stories/cluster.py), unless clustering is off."""
        if self._settings.story_days <= 0:
            return entries
        inherited = {p.cleaned.article_id: p.story for p in batch if p.story}
        return place(entries, self._store, inherited, self._settings.story_days)

    def _entries(self, batch: list[_Pending]) -> list[Entry]:
        """Split, encode (one model pass over the batch's chunks) and assemble store entries:
        each chunk with its sentences as it was planned and encoded, so the store groups
        nothing again."""
        plans: list[list[tuple[ChunkPlan, list[tuple[int, int]]]]] = []
        chunk_texts: list[str] = []
        local_spans: list[list[tuple[int, int]]] = []
        for p in batch:
            text = p.cleaned.text
            spans = sentence_spans(text)
            planned = []
            for plan in plan_chunks(text, spans, self._settings.chunk_tokens):
                start, end = plan.span.start, plan.span.end
                members = [(spans[i].start, spans[i].end) for i in plan.sentences]
                planned.append((plan, members))
                chunk_texts.append(text[start:end])
                local_spans.append([(a - start, b - start) for a, b in members])
            plans.append(planned)
        chunk_vectors, sentence_vectors = self._embedder.chunks_and_sentences(chunk_texts, local_spans)
        entries = []
        at = 0
        for p, planned in zip(batch, plans, strict=True):
            c = p.cleaned
            article = Article(
                article_id=c.article_id,
                title=c.title,
                source=c.source,
                published=c.published,
                url=c.url,
                dateline=c.dateline,
                text=c.text,
                origin=p.origin,
                chunks=len(planned),
                updated=c.updated,
                story=p.story,
            )
            records = []
            for plan, members in planned:
                records.append(
                    ChunkRecord(
                        start=plan.span.start,
                        end=plan.span.end,
                        first=plan.sentences[0],
                        spans=members,
                        vector=chunk_vectors[at].tolist(),
                        sentence_vectors=sentence_vectors[at],
                    )
                )
                at += 1
            entries.append(Entry(article=article, chunks=records))
        return entries
