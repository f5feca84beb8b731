"""Feed sync throughput (entries/s) next to plain ingest of the same pages as files, and the time
of a no-change re-sync.

Usage: python bench/feeds_sync.py [N_ENTRIES]   (default 500)
A generated RSS feed of N entries, each linking a full news page (tests/newsserver.py, a real HTTP
server on 127.0.0.1), is synced into a fresh store; the same pages, saved as .html files, are
ingested into another fresh store. Both go through trafilatura and the same indexing, so the
difference is what fetching and feed handling cost. The re-sync is a conditional GET answered 304.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["ASSISTANT_FETCH_ALLOW_PRIVATE"] = "1"  # the feed is served on 127.0.0.1

from assistant import Assistant  # noqa: E402
from assistant.config import Settings  # noqa: E402
from bench.corpus import articles  # noqa: E402
from tests.newsserver import NewsServer, Story  # noqa: E402


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    start = datetime(2024, 1, 1, tzinfo=UTC)
    stories = [
        Story(
            slug=f"story-{i}",
            title=record["title"],
            summary=record["text"].split("\n\n")[0],
            paragraphs=record["text"].split("\n\n"),
            published=start + timedelta(hours=i),
        )
        for i, record in enumerate(articles(n))
    ]
    settings = Settings.from_env()
    with NewsServer() as site:
        site.publish("/feed.xml", "Bench Times", stories)
        warm = Assistant(store_dir=tempfile.mkdtemp(), settings=settings)  # loads the model
        warm.ingest_records(articles(5, seed=99), origin="warmup")

        files = Path(tempfile.mkdtemp())
        for s in stories:
            (files / f"{s.slug}.html").write_bytes(site.resources[f"/news/{s.slug}.html"].body)
        plain = Assistant(store_dir=tempfile.mkdtemp(), settings=settings)
        t0 = time.perf_counter()
        report = plain.ingest([files])
        file_s = time.perf_counter() - t0
        assert len(report.added) == n, report.failed[:3]

        synced = Assistant(store_dir=tempfile.mkdtemp(), settings=settings)
        t0 = time.perf_counter()
        report = synced.feeds_add(site.url("/feed.xml"))
        sync_s = time.perf_counter() - t0
        assert len(report.added) == n, report.failed[:3]

        t0 = time.perf_counter()
        report = synced.sync()
        resync_s = time.perf_counter() - t0
        assert not report.added and site.not_modified["/feed.xml"] == 1

    print(f"entries                      {n}")
    print(f"plain ingest, .html files    {file_s:.1f} s = {n / file_s:.1f} articles/s")
    print(
        f"feed sync, first             {sync_s:.1f} s = {n / sync_s:.1f} entries/s ({sync_s / file_s:.2f}x)"
    )
    print(f"feed re-sync, no change      {resync_s * 1000:.0f} ms (conditional GET: 304)")


if __name__ == "__main__":
    main()
