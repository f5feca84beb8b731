"""Big and broken feeds against a real news site on 127.0.0.1 (tests/newsserver.py): a generated
feed of 100,000 GUID-only entries is fetched at most ``feed_entries_per_sync`` pages a sync, the
rest deferred, not dropped; failing entries back off; a feed remembers as many entries as it holds;
the report has one line per failure reason."""

from __future__ import annotations

from datetime import UTC, datetime
from xml.sax.saxutils import escape

import pytest

import assistant.ingest.feeds as feeds
import assistant.store.feeds as feed_store
from assistant import Assistant
from assistant.config import Settings
from assistant.ingest.feeds import RETRY_FIRST_S
from tests.newsserver import NewsServer, Story, article_page

pytestmark = pytest.mark.model  # every test ingests into a store

PRIVATE_OK = {"ASSISTANT_FETCH_ALLOW_PRIVATE": "1"}
NO_TEXT = "HTTP 404 Not Found; the feed has no text for this entry either"


def guid_feed(site: NewsServer, path: str, slugs: list[str]) -> None:
    """Serve at ``path`` an RSS feed whose entries are only a GUID, the permalink of
    /news/<slug>.html (feedparser makes it the link): no title, no summary to fall back on."""
    items = "".join(f"<item><guid>{escape(site.url(f'/news/{slug}.html'))}</guid></item>" for slug in slugs)
    body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Big</title>{items}</channel></rss>'
    site.set(path, body, content_type="application/rss+xml; charset=utf-8")


def publish_page(site: NewsServer, slug: str) -> None:
    story = Story(
        slug,
        f"Report {slug}",
        "",
        [
            f"The harbour authority published report {slug} on Tuesday morning.",
            f"It counts {len(slug) * 37} ships that docked in the port during the last month.",
        ],
        datetime(2024, 3, 14, 9, 30, tzinfo=UTC),
    )
    site.set(f"/news/{slug}.html", article_page(site, story))


@pytest.fixture
def site():
    with NewsServer() as server:
        yield server


def new_assistant(tmp_path, **overrides) -> Assistant:
    return Assistant(store_dir=tmp_path / "store", settings=Settings.from_env(env=PRIVATE_OK, **overrides))


def state(assistant: Assistant, url: str) -> feed_store.FeedState:
    return next(f for f in assistant.feeds_list() if f.url == url)


def most_hits(site: NewsServer) -> int:
    return max((n for path, n in site.hits.items() if path.startswith("/news/")), default=0)


def test_a_feed_of_100000_broken_entries_is_synced_in_capped_batches_with_one_line_a_reason(site, tmp_path):
    slugs = [f"e{n}" for n in range(100_000)]
    guid_feed(site, "/big.xml", slugs)
    url = site.url("/big.xml")
    assert len(site.resources["/big.xml"].body) > 4_000_000
    assistant = new_assistant(tmp_path)  # the default cap: 200 entries a sync

    first = assistant.feeds_add(url)
    assert site.requests() == 200  # not 100,000 page fetches
    assert first.failed == [(url, f"200 entries: {NO_TEXT} (the first: {site.url('/news/e0.html')})")]
    assert (url, "99,800 new entries left for the next syncs (at most 200 a sync, "
            "ASSISTANT_FEED_ENTRIES_PER_SYNC)") in first.notes  # fmt: skip
    listed = state(assistant, url)
    assert listed.deferred == 99_800 and len(listed.failing) == 200
    assert listed.outcome == "0 added, 0 updated, 1 failed, 99,800 left for the next sync"

    # The next sync takes the next 200 (the feed fetched in full, not answered 304), and the
    # failed ones wait for their retry instead of being fetched again.
    second = assistant.sync()
    assert site.not_modified["/big.xml"] == 0 and site.hits["/big.xml"] == 3  # add's check, 2 syncs
    assert site.requests() == 400 and most_hits(site) == 1
    assert site.hits["/news/e200.html"] == 1 and site.hits["/news/e399.html"] == 1
    assert second.failed == [(url, f"200 entries: {NO_TEXT} (the first: {site.url('/news/e200.html')})")]
    assert any(o == url and n.startswith("200 failed entries wait for their retry") for o, n in second.notes)
    assert state(assistant, url).deferred == 99_600 and len(state(assistant, url).failing) == 400


def test_one_off_ingest_of_a_big_feed_fetches_the_cap_and_says_so(site, tmp_path):
    guid_feed(site, "/big.xml", [f"e{n}" for n in range(500)])
    assistant = new_assistant(tmp_path, feed_entries_per_sync=50)
    report = assistant.ingest([site.url("/big.xml")])
    assert site.requests() == 50 and len(report.failed) == 1
    [(origin, note)] = report.notes
    assert origin == site.url("/big.xml") and note.startswith("fetched the first 50 new entries and left 450")


def test_a_failing_entry_backs_off_doubling_and_is_retried_when_due(site, tmp_path, monkeypatch):
    now = [1_900_000_000.0]
    monkeypatch.setattr(feeds, "_clock", lambda: now[0])
    publish_page(site, "ok1")
    publish_page(site, "ok2")
    guid_feed(site, "/feed.xml", ["ok1", "ok2", "broken"])
    url, broken = site.url("/feed.xml"), site.url("/news/broken.html")
    assistant = new_assistant(tmp_path)

    first = assistant.feeds_add(url)
    assert len(first.added) == 2 and first.failed == [(broken, NO_TEXT)]
    failed = state(assistant, url).failing[broken]
    assert (failed.failures, failed.retry_at, failed.reason) == (1, now[0] + RETRY_FIRST_S, NO_TEXT)

    # before its retry time: not fetched again, and the feed may answer 304
    now[0] += RETRY_FIRST_S - 1
    assistant.sync()
    assert site.hits["/news/broken.html"] == 1 and site.not_modified["/feed.xml"] == 1

    # due: the feed is fetched in full, the entry again, and the wait doubles
    now[0] += 1
    again = assistant.sync()
    assert site.hits["/news/broken.html"] == 2 and site.not_modified["/feed.xml"] == 1
    assert again.failed == [(broken, NO_TEXT)] and not again.added
    failed = state(assistant, url).failing[broken]
    assert (failed.failures, failed.retry_at) == (2, now[0] + 2 * RETRY_FIRST_S)

    # the page appears; once due the entry is ingested and forgotten as a failure
    publish_page(site, "broken")
    now[0] += 2 * RETRY_FIRST_S
    fixed = assistant.sync()
    assert len(fixed.added) == 1 and not fixed.failed
    assert state(assistant, url).failing == {} and state(assistant, url).articles == 3
    assert site.hits["/news/ok1.html"] == 1  # the good entries were never fetched again


def test_a_feed_remembers_every_entry_it_holds(site, tmp_path, monkeypatch):
    # Forgetting at 2 gone entries stands for the old fixed 5,000: the feed holds more than that.
    monkeypatch.setattr(feed_store, "MAX_GONE_ENTRIES", 2)
    slugs = [f"s{n}" for n in range(6)]
    for slug in slugs:
        publish_page(site, slug)
    guid_feed(site, "/feed.xml", slugs[:5])
    url = site.url("/feed.xml")
    assistant = new_assistant(tmp_path)
    assert len(assistant.feeds_add(url).added) == 5

    guid_feed(site, "/feed.xml", slugs)  # one new entry: only its page is fetched
    report = assistant.sync()
    assert len(report.added) == 1 and len(report.skipped) == 5
    assert site.requests() == 6 and most_hits(site) == 1

    guid_feed(site, "/feed.xml", slugs[5:])  # five gone: the two last seen are kept
    assistant.sync()
    kept = set(assistant._sources._feeds.get(url).entries)  # noqa: SLF001 (the stored entry state)
    assert len(kept) == 3 and site.url("/news/s5.html") in kept
