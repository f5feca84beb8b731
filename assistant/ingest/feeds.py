"""Article URLs and news feeds: fetch, parse, and keep registered feeds in sync with the store.

A URL is fetched once (ingest/fetch.py). A body that feedparser reads as RSS or Atom is a feed:
each entry's full article is fetched from its link and extracted by trafilatura (the HTML path of
ingest/formats.py), falling back to the entry's own content only when the page can't be had.
Anything else is a page, and a page is one article.

Identity: an entry is keyed by its GUID, else its link. A registered feed's state (store/feeds.py)
maps each key to the hash of the entry's feed fields and its article id, so a sync fetches the
pages of new and changed entries only; the feed itself is fetched with a conditional GET. A changed
entry's new article replaces its old one. Articles are content-addressed, so one story seen in two
feeds (or by two processes) is one article. Entries gone from a feed keep their articles.

Bounds: one sync of a feed fetches at most ``feed_entries_per_sync`` entry pages, in the feed's
order (newest first, as feeds list them); the rest are deferred to the next syncs, which fetch the
feed in full until none is left. All URL work runs in the FetchPool, apart from the threads that
answer questions, so slow servers delay other fetches but never an answer.

Failure: a feed that can't be fetched or parsed is one ``(url, reason)`` line of the IngestReport
and changes no article and no entry state. An entry that fails is not fetched again until its
retry time, 30 minutes after the first failure and doubling with each one after (a day at most);
the report has one line per reason, with the count when many entries share it.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
import logging
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TypeVar

import feedparser
import trafilatura
from htmldate import find_date
from tqdm import tqdm

from assistant.config import Settings
from assistant.errors import InputError
from assistant.ingest.clean import article_id, clean
from assistant.ingest.fetch import Fetcher, FetchError, Page
from assistant.ingest.formats import RawDoc, parse_html
from assistant.ingest.pipeline import Indexer, Progress
from assistant.ingest.read import ReadError
from assistant.schema import IngestReport
from assistant.store.feeds import FailedEntry, FeedState, FeedStore, SeenEntry

log = logging.getLogger(__name__)

LEASE_S = 15 * 60  # a sync holding a feed longer than this is presumed dead
_WORKERS = 8  # page fetches in flight per sync (each host further limited by fetch_per_host)
RETRY_FIRST_S = 30 * 60  # a failed entry's first wait; each further failure doubles it
RETRY_MAX_S = 24 * 60 * 60
_T = TypeVar("_T")


def _clock() -> float:
    """Unix time, for retry times (tests replace it to step past them)."""
    return time.time()


class BusyError(FetchError):
    """The FetchPool is full: as many URL jobs as it allows are running or waiting."""


class FetchPool:
    """Where URL jobs run: ``jobs`` threads of their own, and as many callers may wait for one.
    A caller beyond that is refused at once with BusyError rather than queued, so however slow
    the servers are, URL work holds at most ``2 * jobs`` of its callers' threads (the web
    server's request threads, which also answer questions), never all of them."""

    def __init__(self, jobs: int) -> None:
        self._limit = 2 * max(1, jobs)
        self._pool = ThreadPoolExecutor(max(1, jobs), thread_name_prefix="fetch")
        self._admitted = threading.BoundedSemaphore(self._limit)

    def run(self, job: Callable[[], _T]) -> _T:
        """``job``'s result (or its exception), once a pool thread has run it in a copy of the
        caller's context (so context variables, such as a web UI's progress tracker, carry over)."""
        if not self._admitted.acquire(blocking=False):
            raise BusyError(
                f"busy: {self._limit} fetch jobs are running or waiting (ASSISTANT_FETCH_JOBS); "
                "try again shortly"
            )
        try:
            return self._pool.submit(contextvars.copy_context().run, job).result()
        finally:
            self._admitted.release()


class Sources:
    """URL ingestion and feed sync for one Assistant; thread-safe (syncs are serialized)."""

    def __init__(self, settings: Settings, indexer: Indexer, feeds: FeedStore) -> None:
        self._indexer = indexer
        self._feeds = feeds
        self._fetcher = Fetcher(settings)
        self._jobs = FetchPool(settings.fetch_jobs)
        self._cap = max(1, settings.feed_entries_per_sync)
        self._owner = uuid.uuid4().hex  # this process's name on feed leases
        self._sync_lock = threading.Lock()

    # ----- one-off URLs ----------------------------------------------------------------------
    def ingest(self, urls: Iterable[str], report: IngestReport, progress: Progress | None = None) -> None:
        """Fetch each URL: a feed's entries are ingested once (the feed is not registered; at most
        ``feed_entries_per_sync`` of them), a page is one article."""
        urls = list(urls)
        if not urls:
            return
        try:
            self._jobs.run(lambda: self._ingest_urls(urls, report, progress))
        except BusyError as exc:
            report.failed.extend((url, str(exc)) for url in urls)

    def _ingest_urls(self, urls: list[str], report: IngestReport, progress: Progress | None) -> None:
        for url in urls:
            try:
                page = self._fetcher.get(url)
                feed = parse_feed(page)
                if feed is None:
                    self._indexer.ingest_docs([page_doc(page, url)], report)
                    continue
                deferred = self._ingest_entries(url, feed, FeedState(url=url), report, progress)
                if deferred:
                    report.notes.append(
                        (
                            url,
                            f"fetched the first {self._cap:,} new entries and left {deferred:,} "
                            "(ASSISTANT_FEED_ENTRIES_PER_SYNC); follow the feed to have the rest, "
                            "over its next syncs",
                        )
                    )
            except (FetchError, ReadError) as exc:
                report.failed.append((url, str(exc)))

    # ----- registered feeds ------------------------------------------------------------------
    def add(self, url: str, sync: bool = True, progress: Progress | None = None) -> IngestReport:
        """Register a feed and, with ``sync``, sync it now. A URL that is not a feed, or can't be
        fetched, is an InputError and is not registered."""
        url = url.strip()
        if not sync:
            self._feeds.add(url)
            return IngestReport()
        try:
            return self._jobs.run(lambda: self._add(url, progress))
        except BusyError as exc:
            raise InputError(f"{url}: {exc}") from None

    def _add(self, url: str, progress: Progress | None) -> IngestReport:
        try:
            page = self._fetcher.get(url)
        except FetchError as exc:
            raise InputError(f"{url}: {exc}") from None
        if parse_feed(page) is None:
            raise InputError(f"{url}: {_NOT_A_FEED}")
        self._feeds.add(url)
        return self._sync([url], progress)

    def remove(self, url: str) -> None:
        """Forget a feed; its articles stay (delete them one by one if they should go)."""
        if not self._feeds.remove(url.strip()):
            raise InputError(f"no feed {url!r} is registered")

    def sync(self, urls: Iterable[str] | None = None, progress: Progress | None = None) -> IngestReport:
        """Sync the given registered feeds (default: all) once."""
        wanted = list(urls) if urls is not None else None
        try:
            return self._jobs.run(lambda: self._sync(wanted, progress))
        except BusyError as exc:
            report = IngestReport()
            names = wanted if wanted is not None else [s.url for s in self._feeds.list()]
            report.failed.extend((url, f"not synced: {exc}") for url in names)
            return report

    def _sync(self, urls: list[str] | None, progress: Progress | None) -> IngestReport:
        report = IngestReport()
        with self._sync_lock:
            for url in urls if urls is not None else [s.url for s in self._feeds.list()]:
                if not self._feeds.claim(url, self._owner, LEASE_S):
                    report.notes.append((url, "skipped: another process is syncing this feed"))
                    continue
                try:
                    self._sync_one(url, report, progress)
                finally:
                    self._feeds.release(url, self._owner)
        return report

    def _sync_one(self, url: str, report: IngestReport, progress: Progress | None) -> None:
        state = self._feeds.get(url)
        if state is None:  # removed meanwhile
            return
        state.last_sync = datetime.now(UTC).isoformat(timespec="seconds")
        # Deferred entries, or failed ones due for a retry, are in the feed's body: a 304 would hide them.
        pending = state.deferred or any(f.retry_at <= _clock() for f in state.failing.values())
        try:
            if pending:
                page = self._fetcher.get(url)
            else:
                page = self._fetcher.get(url, state.etag, state.last_modified)
            feed = None if page.status == 304 else parse_feed(page)
            if page.status != 304 and feed is None:
                raise FetchError(_NOT_A_FEED)
        except (FetchError, ReadError) as exc:
            report.failed.append((url, str(exc)))
            state.outcome, state.errors = f"failed: {exc}", [str(exc)]
            self._feeds.save(state, self._owner)
            return
        if feed is None:
            report.skipped.extend(dict.fromkeys(e.article_id for e in state.entries.values()))
            state.outcome, state.errors = "not modified", []
            self._feeds.save(state, self._owner)
            return
        before = len(report.failed), len(report.added), len(report.updated)
        state.deferred = self._ingest_entries(url, feed, state, report, progress)
        state.etag, state.last_modified = page.etag, page.last_modified
        state.title = feed.feed.get("title") or state.title
        state.errors = [f"{o}: {r}" for o, r in report.failed[before[0] :]]
        added, updated = len(report.added) - before[1], len(report.updated) - before[2]
        state.outcome = f"{added} added, {updated} updated" + (
            f", {len(state.errors)} failed" if state.errors else ""
        )
        if state.deferred:
            state.outcome += f", {state.deferred:,} left for the next sync"
            report.notes.append(
                (
                    url,
                    f"{state.deferred:,} new entries left for the next syncs (at most {self._cap:,} "
                    "a sync, ASSISTANT_FEED_ENTRIES_PER_SYNC)",
                )
            )
        self._feeds.save(state, self._owner)

    def _ingest_entries(
        self,
        url: str,
        feed: feedparser.FeedParserDict,
        state: FeedState,
        report: IngestReport,
        progress: Progress | None,
    ) -> int:
        """Ingest up to the per-sync cap of the new and changed entries of ``feed`` (and failed
        ones due for a retry), recording them in ``state``; returns how many were left for later."""
        now = _clock()
        in_feed: list[str] = []
        todo = []
        nameless = waiting = 0
        for entry in feed.entries:
            key = entry.get("id") or entry.get("link")
            if not key:
                nameless += 1
                continue
            in_feed.append(key)
            digest = _entry_hash(entry)
            seen = state.entries.get(key)
            if seen is not None and seen.hash == digest:
                report.skipped.append(seen.article_id)
                continue
            failed = state.failing.get(key)
            if failed is not None and failed.hash == digest and failed.retry_at > now:
                waiting += 1
                continue
            todo.append((key, digest, entry, seen))
        todo, deferred = todo[: self._cap], len(todo) - min(len(todo), self._cap)
        failures = [(url, "an entry with neither a GUID nor a link")] * nameless
        failures += self._fetch_entries(url, feed, todo, state, now, report, progress)
        state.remember(in_feed)
        _summarise(failures, url, report)
        if waiting:
            first = min(f.retry_at for f in state.failing.values() if f.retry_at > now)
            report.notes.append(
                (
                    url,
                    f"{waiting:,} failed entries wait for their retry (the first at "
                    f"{datetime.fromtimestamp(first, UTC).isoformat(timespec='minutes')})",
                )
            )
        return deferred

    def _fetch_entries(
        self,
        url: str,
        feed: feedparser.FeedParserDict,
        todo: list[tuple],
        state: FeedState,
        now: float,
        report: IngestReport,
        progress: Progress | None,
    ) -> list[tuple[str, str]]:
        """Fetch and ingest the ``todo`` entries; the ``(origin, reason)`` of each that failed,
        which is also remembered in ``state.failing`` with its next retry time."""
        if not todo:
            return []
        source = feed.feed.get("title")
        bar = tqdm(
            total=len(todo),
            desc=url[:40],
            unit="entry",
            disable=not sys.stderr.isatty() or len(todo) < 2,
        )
        done = 0
        lock = threading.Lock()

        def fetch(item: tuple) -> tuple[RawDoc | None, str | None]:
            nonlocal done
            key, _, entry, seen = item
            result = self._entry_doc(entry, key, source, seen)
            with lock:
                done += 1
                bar.update(1)
                if progress:
                    progress(done, len(todo))
            return result

        with ThreadPoolExecutor(_WORKERS) as pool:
            results = list(pool.map(fetch, todo))
        bar.close()
        problems: dict[str, tuple[str, str]] = {}  # key -> (origin, reason)
        docs = []
        for (key, digest, _, _), (doc, problem) in zip(todo, results, strict=True):
            if doc is None:
                problems[key] = (key, problem or "no article text")
                continue
            if problem:
                report.notes.append((doc.origin, problem))
            docs.append((key, digest, doc))
        stored_report = IngestReport()  # its failures join the entries' own, to be summarised
        self._indexer.ingest_docs([doc for _, _, doc in docs], stored_report)
        for name in ("added", "updated", "skipped", "notes"):
            getattr(report, name).extend(getattr(stored_report, name))
        not_stored = dict(stored_report.failed)
        stored = set(stored_report.added) | set(stored_report.updated) | set(stored_report.skipped)
        for key, digest, doc in docs:
            cleaned_id = article_id(clean(doc).text)
            if cleaned_id in stored:
                state.entries.pop(key, None)  # re-inserted: the order is last seen, oldest first
                state.entries[key] = SeenEntry(digest, cleaned_id)
                state.failing.pop(key, None)
            else:
                problems[key] = (doc.origin, not_stored.get(doc.origin, "not stored"))
        digests = {key: digest for key, digest, _, _ in todo}
        for key, (_, reason) in problems.items():
            previous = state.failing.get(key)
            count = previous.failures + 1 if previous and previous.hash == digests[key] else 1
            wait = min(RETRY_FIRST_S * 2 ** (count - 1), RETRY_MAX_S)
            state.failing[key] = FailedEntry(digests[key], count, now + wait, reason)
        return list(problems.values())

    def _entry_doc(
        self, entry: feedparser.FeedParserDict, key: str, source: str | None, seen: SeenEntry | None
    ) -> tuple[RawDoc | None, str | None]:
        """The entry's article from its page, else from the feed's own text (with a note why);
        (None, reason) when neither has an article."""
        link = entry.get("link")
        published = _feed_date(entry, "published")
        updated = _feed_date(entry, "updated")
        replaces = (seen.article_id,) if seen else ()
        problem = "the entry has no link"
        if link:
            try:
                page = self._fetcher.get(link)
                doc = page_doc(page, link)
                doc.title = entry.get("title") or doc.title
                doc.source = doc.source or source
                doc.published = published or doc.published
                doc.updated = updated or doc.updated
                doc.replaces = replaces
                return doc, None
            except (FetchError, ReadError) as exc:
                problem = str(exc)
        html = next((c.get("value") for c in entry.get("content", []) if c.get("value")), None)
        html = html or entry.get("summary")
        # html2txt takes a page; a feed holds a fragment (or plain text)
        text = trafilatura.html2txt(f"<html><body>{html}</body></html>") if html else ""
        if not text.strip():
            return None, f"{problem}; the feed has no text for this entry either"
        doc = RawDoc(
            text=text,
            origin=link or key,
            title=entry.get("title"),
            source=source,
            published=published,
            url=link,
            updated=updated,
            replaces=replaces,
        )
        return doc, f"page not available ({problem}); ingested the feed's text instead"

    # Last in the class: a method named ``list`` shadows the builtin in the annotations of the
    # methods after it (for a type checker).
    def list(self) -> list[FeedState]:
        return self._feeds.list()


_NOT_A_FEED = "not a feed (no RSS or Atom found at this URL)"


def parse_feed(page: Page) -> feedparser.FeedParserDict | None:
    """The feed in ``page`` (RSS 0.9x-2.0, RSS 1.0, Atom), or None when it is not one. Lenient
    like feed readers are: a slightly malformed feed that still yields entries is accepted."""
    parsed = feedparser.parse(
        page.body, response_headers={"content-type": page.content_type, "content-location": page.url}
    )
    if parsed.get("version") and (parsed.entries or not parsed.get("bozo")):
        return parsed
    return None


def page_doc(page: Page, url: str) -> RawDoc:
    """A news page -> its article; ReadError when it has none. The page's own canonical URL wins
    over the address it was fetched from (tracking parameters, redirects)."""
    html = page.text()
    doc = parse_html(html, url)
    doc.url = doc.url or page.url
    modified = find_date(html, original_date=False, extensive_search=False)
    doc.updated = modified if modified and modified != find_date(html, extensive_search=False) else None
    return doc


def _feed_date(entry: feedparser.FeedParserDict, name: str) -> str | None:
    """An entry's published or updated time as ISO 8601, when the feed gives it. Read with
    dict.get: feedparser's own get() answers "updated" with the published time when absent."""
    parsed = dict.get(entry, f"{name}_parsed")
    if parsed:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", parsed)
    return dict.get(entry, name)


def _entry_hash(entry: feedparser.FeedParserDict) -> str:
    """What the feed says about an entry: when it changes, the article may have changed."""
    fields = [dict.get(entry, k) for k in ("id", "link", "title", "published", "updated", "summary")]
    fields += [c.get("value") for c in entry.get("content", [])]
    return hashlib.sha256(json.dumps(fields, ensure_ascii=False).encode("utf-8")).hexdigest()[:16]


def _summarise(failures: list[tuple[str, str]], feed_url: str, report: IngestReport) -> None:
    """Entry failures into ``report.failed``, one line per reason: the entry's own line when only
    one entry had it, else one line for the feed with the count (a feed of 100,000 broken entries
    is a line, not 100,000)."""
    by_reason: dict[str, list[str]] = {}
    for origin, reason in failures:
        by_reason.setdefault(reason, []).append(origin)
    for reason, origins in by_reason.items():
        if len(origins) == 1:
            report.failed.append((origins[0], reason))
        else:
            report.failed.append((feed_url, f"{len(origins):,} entries: {reason} (the first: {origins[0]})"))


class Scheduler:
    """Calls ``sync`` now and then every ``minutes`` in a daemon thread, until ``stop``."""

    def __init__(self, sync: Callable[[], IngestReport], minutes: float) -> None:
        self._sync = sync
        self._interval = minutes * 60
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="feed-sync", daemon=True)

    def start(self) -> Scheduler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()

    def _run(self) -> None:
        while not self._stopped.is_set():
            try:
                report = self._sync()
                if report.added or report.updated or report.failed:
                    log.info(
                        "feed sync: %d added, %d updated, %d failed",
                        len(report.added),
                        len(report.updated),
                        len(report.failed),
                    )
                for origin, reason in report.failed:
                    log.warning("feed sync: %s: %s", origin, reason)
                for origin, note in report.notes:
                    log.info("feed sync: %s: %s", origin, note)
            except Exception:  # a store outage must not end the schedule
                log.exception("feed sync failed")
            self._stopped.wait(self._interval)
