"""Feeds and article URLs against a real news site on 127.0.0.1 (tests/newsserver.py): full-text
ingest, conditional re-sync, updates, failures one line each, SSRF refusal, the scheduler in the
running app and two app processes on one Chroma server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime

import httpx
import pytest

from assistant import Assistant
from assistant.config import Settings
from assistant.errors import InputError
from tests.newsserver import SITE, NewsServer, Story
from tests.webapp import WebApp

PRIVATE_OK = {"ASSISTANT_FETCH_ALLOW_PRIVATE": "1"}


def stories() -> list[Story]:
    day = datetime(2024, 3, 14, 9, 30, tzinfo=UTC)
    return [
        Story(
            "bridge",
            "Harbour bridge reopens after repairs",
            "The harbour bridge is open again.",
            [
                "The harbour bridge in Tallinn reopened on Thursday after eight months of repairs.",
                "The city council said the work cost 14 million euros, two million more than planned.",
                "Engineers replaced 312 steel cables and resurfaced the deck of the 1962 structure.",
                "Mayor Kadri Tamm said ferry services added during the closure would end in April.",
            ],
            day,
        ),
        Story(
            "library",
            "National library extends opening hours",
            "Longer hours at the national library.",
            [
                "The national library will stay open until 10 pm on weekdays from next month.",
                "Director Anu Saar said visits rose by 18 percent last year, mostly among students.",
                "The extra hours are funded by a grant of 600,000 euros from the culture ministry.",
            ],
            day.replace(hour=11),
        ),
        Story(
            "tram",
            "New tram line to the airport approved",
            "Councillors back the airport tram.",
            [
                "Councillors approved a new tram line linking the old town with the airport.",
                "The 6.4 kilometre line will have nine stops and is due to open in 2027.",
                "Transport chief Mart Kask said trams would run every seven minutes at peak times.",
            ],
            day.replace(hour=15),
        ),
    ]


@pytest.fixture
def site():
    with NewsServer() as server:
        yield server


@pytest.fixture
def assistant(tmp_path) -> Assistant:
    return Assistant(store_dir=tmp_path / "store", settings=Settings.from_env(env=PRIVATE_OK))


def by_url(assistant: Assistant) -> dict:
    return {a.url: a for a in assistant.articles()}


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_first_sync_ingests_every_entry_with_full_text_and_metadata(site, assistant, kind):
    site.publish("/feed.xml", "Harbour Times: latest", stories(), kind=kind)
    report = assistant.feeds_add(site.url("/feed.xml"))
    assert len(report.added) == 3 and not report.failed, report
    articles = by_url(assistant)
    bridge = articles[site.url("/news/bridge.html")]
    # the full article from the page, not the feed's teaser, and none of the page furniture
    assert "312 steel cables" in bridge.text and "Kadri Tamm" in bridge.text
    for furniture in ("cookies", "Subscribe", "Related stories", "Markets close", "All rights reserved"):
        assert furniture not in bridge.text
    assert bridge.title == "Harbour bridge reopens after repairs"
    assert bridge.source == SITE and bridge.published == "2024-03-14"
    [feed] = assistant.feeds_list()
    assert feed.articles == 3 and feed.outcome == "3 added, 0 updated" and feed.last_sync
    assert feed.title == "Harbour Times: latest"
    answer = assistant.ask("How many steel cables were replaced on the harbour bridge?")
    assert "312" in answer.text and answer.citations[0].url == site.url("/news/bridge.html")


def test_second_sync_fetches_nothing_new_and_changes_nothing(site, assistant):
    site.publish("/feed.xml", "Harbour Times", stories())
    assistant.feeds_add(site.url("/feed.xml"))
    revision = assistant._store.revision()  # noqa: SLF001 (the store's change token)
    pages = site.requests()
    report = assistant.sync()
    assert site.not_modified["/feed.xml"] == 1  # conditional GET answered 304
    assert site.requests() == pages  # no page fetched again
    assert not report.added and not report.updated and not report.failed and len(report.skipped) == 3
    assert assistant._store.revision() == revision  # noqa: SLF001
    assert assistant.feeds_list()[0].outcome == "not modified"


def test_updated_entry_replaces_its_article_and_removed_entry_stays(site, assistant):
    items = stories()
    site.publish("/feed.xml", "Harbour Times", items)
    assistant.feeds_add(site.url("/feed.xml"))
    old = by_url(assistant)[site.url("/news/bridge.html")]
    pages = site.requests()
    bridge = replace(
        items[0],
        summary="The harbour bridge is open again; the bill rose.",
        paragraphs=[*items[0].paragraphs[:1], "The final bill was 15 million euros, the council said."],
        updated=datetime(2024, 3, 16, 8, 0, tzinfo=UTC),
    )
    site.publish("/feed.xml", "Harbour Times", [bridge, items[1]])  # the tram story left the feed
    report = assistant.sync()
    assert report.updated and not report.failed, report
    assert site.requests() == pages + 1  # only the changed entry's page
    articles = by_url(assistant)
    assert len(articles) == 3  # the tram story stays: news archives keep old articles
    new = articles[site.url("/news/bridge.html")]
    assert new.article_id != old.article_id and "15 million" in new.text
    assert new.published == "2024-03-14" and new.updated == "2024-03-16"
    with pytest.raises(InputError):
        assistant.article(old.article_id)


def test_same_story_in_two_feeds_is_one_article(site, assistant):
    items = stories()
    site.publish("/rss.xml", "Harbour Times", items[:2])
    site.publish(
        "/atom.xml",
        "Harbour Times (Atom)",
        [replace(items[1], guid="tag:other,2024:1"), items[2]],
        kind="atom",
    )
    assistant.feeds_add(site.url("/rss.xml"))
    assistant.feeds_add(site.url("/atom.xml"))
    assert len(assistant.articles()) == 3
    assert sorted(f.articles for f in assistant.feeds_list()) == [2, 2]


def test_ingest_urls_page_and_feed(site, assistant):
    items = stories()
    site.publish("/feed.xml", "Harbour Times", items[1:])
    site.publish("/other.xml", "Harbour Times", items[:1])  # serves the bridge page
    report = assistant.ingest([site.url("/news/bridge.html"), site.url("/feed.xml")])
    assert len(report.added) == 3 and not report.failed, report
    assert not assistant.feeds_list()  # ingesting a feed once does not follow it


# ----- failures: one line each, nothing stored touched ------------------------------------------


def failing_cases(site: NewsServer) -> dict[str, tuple[str, str]]:
    """name -> (URL, a phrase its report line must hold)."""
    port = site.port
    return {
        "dns": ("http://no-such-host.invalid/feed.xml", "can't resolve host"),
        "tls": (f"https://127.0.0.1:{port}/feed.xml", "TLS error"),
        "404": (site.url("/gone.xml"), "HTTP 404"),
        "timeout": (site.url("/slow.xml"), "timed out"),
        "not a feed": (site.url("/news/bridge.html"), "not a feed"),
        "size": (site.url("/big.xml"), "size limit"),
    }


@pytest.fixture
def broken_site(site):
    site.publish("/feed.xml", "Harbour Times", stories())
    site.set("/slow.xml", site.resources["/feed.xml"].body, delay=3, content_type="application/rss+xml")
    site.set("/big.xml", b"<rss>" + b" " * 3_000_000 + b"</rss>", content_type="application/rss+xml")
    # a page rendered by script: nothing for trafilatura to extract
    site.set(
        "/empty.html",
        '<html><head><title>Live</title></head><body><div id="app"></div>'
        '<script src="/app.js"></script></body></html>',
    )
    return site


@pytest.mark.parametrize("case", ["dns", "tls", "404", "timeout", "not a feed", "size"])
def test_each_failure_is_one_report_line_and_touches_nothing(broken_site, tmp_path, case):
    settings = Settings.from_env(env=PRIVATE_OK, fetch_timeout=1.0, max_file_mb=1.0)
    assistant = Assistant(store_dir=tmp_path / "store", settings=settings)
    assistant.feeds_add(broken_site.url("/feed.xml"))
    before = {a.article_id for a in assistant.articles()}
    url, phrase = failing_cases(broken_site)[case]

    if case != "not a feed":  # a page is fine to ingest; only as a feed it fails
        report = assistant.ingest([url])
        assert len(report.failed) == 1 and report.failed[0][0] == url and phrase in report.failed[0][1]
    with pytest.raises(InputError, match=phrase):
        assistant.feeds_add(url)
    assert not any(f.url == url for f in assistant.feeds_list())
    # a registered feed that breaks: one line, nothing stored touched, the error kept in its state
    assistant.feeds_add(url, sync=False)
    report = assistant.sync()
    lines = [line for line in report.failed if line[0] == url]
    assert len(lines) == 1 and phrase in lines[0][1]
    assert {a.article_id for a in assistant.articles()} == before
    state = next(f for f in assistant.feeds_list() if f.url == url)
    assert state.outcome.startswith("failed:") and phrase in state.errors[0]


def test_page_without_article_text_is_one_line(broken_site, assistant):
    url = broken_site.url("/empty.html")
    report = assistant.ingest([url])
    assert report.failed == [(url, "no article text found in this HTML page")]


def test_entry_page_unavailable_falls_back_to_feed_text(site, assistant):
    items = stories()
    site.publish("/feed.xml", "Harbour Times", items)
    del site.resources["/news/tram.html"]  # the page 404s; the feed's teaser is all there is
    report = assistant.feeds_add(site.url("/feed.xml"))
    assert len(report.added) == 3 and not report.failed
    assert any("HTTP 404" in note for _, note in report.notes)
    assert by_url(assistant)[site.url("/news/tram.html")].text == "Councillors back the airport tram."


# ----- SSRF -----------------------------------------------------------------------------------------


def test_private_addresses_are_refused_by_default(site, tmp_path):
    site.publish("/feed.xml", "Harbour Times", stories())
    assistant = Assistant(store_dir=tmp_path / "store", settings=Settings.from_env(env={}))
    report = assistant.ingest([site.url("/feed.xml"), "file:///etc/passwd"])
    assert [r for _, r in report.failed][0].startswith("127.0.0.1 resolves to the private")
    assert "only http and https" in report.failed[1][1]
    assert site.hits["/feed.xml"] == 0  # refused before connecting


@pytest.mark.parametrize(
    "target", ["http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", "http://[::1]/"]
)
def test_redirect_to_a_private_address_is_refused(site, tmp_path, target):
    # Only the test site's own address is allowed, standing in for a public host.
    settings = Settings.from_env(env={"ASSISTANT_FETCH_ALLOW_PRIVATE": "127.0.0.1/32"}, fetch_timeout=2.0)
    assistant = Assistant(store_dir=tmp_path / "store", settings=settings)
    site.set("/moved", "", status=302, headers={"Location": target})
    report = assistant.ingest([site.url("/moved")])
    assert site.hits["/moved"] == 1
    assert len(report.failed) == 1 and "private or reserved address" in report.failed[0][1], report


# ----- the surfaces: CLI, and the running app (HTTP API, web UI, scheduler, two processes) --------


def test_cli_ingest_url_and_feeds_commands(site, tmp_path, cli_here, monkeypatch):
    """Ingest and feeds add as real processes; the commands after them, on what those wrote,
    through assistant.cli.main in this process (tests/conftest.py cli_here)."""
    site.publish("/feed.xml", "Harbour Times", stories())
    env = {**os.environ, **PRIVATE_OK, "ASSISTANT_STORE_DIR": str(tmp_path / "store")}

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "assistant.cli", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )

    page = cli("ingest", site.url("/news/bridge.html"), site.url("/missing.html"), "--json")
    assert page.returncode == 0, page.stderr
    body = json.loads(page.stdout)
    assert len(body["added"]) == 1 and body["failed"] == [
        {"origin": site.url("/missing.html"), "reason": "HTTP 404 Not Found"}
    ]
    added = cli("feeds", "add", site.url("/feed.xml"))
    assert added.returncode == 0 and "added 2, updated 0, skipped 1" in added.stdout, (
        added.stdout + added.stderr
    )
    for name, value in env.items():
        if name.startswith("ASSISTANT_"):
            monkeypatch.setenv(name, value)  # the real processes' settings
    listed = json.loads(cli_here("feeds", "list", "--json").stdout)  # the store as those processes left it
    assert [(f["url"], f["articles"]) for f in listed] == [(site.url("/feed.xml"), 3)]
    synced = cli_here("sync")
    assert synced.returncode == 0 and "added 0, updated 0, skipped 3" in synced.stdout
    assert cli_here("feeds", "remove", site.url("/feed.xml")).returncode == 0
    gone = cli_here("feeds", "remove", site.url("/feed.xml"))
    assert gone.returncode == 1 and gone.stderr.startswith("error: no feed")


TOKEN = "feeds-token"


@pytest.fixture(scope="module")
def two_apps(chroma_url):
    """Two app processes (python app.py) on one Chroma server, syncing every 1.2 s."""
    env = {
        **PRIVATE_OK,
        "ASSISTANT_CHROMA_URL": chroma_url,
        "ASSISTANT_COLLECTION_PREFIX": "feedapps",
        "ASSISTANT_SYNC_MINUTES": "0.02",
        "ASSISTANT_API_TOKEN": TOKEN,
    }
    apps = []
    try:
        apps.append(WebApp(env=env).start())
        apps.append(WebApp(env=env).start())
        yield apps
    finally:
        for app in apps:
            app.stop()


def api(app: WebApp) -> httpx.Client:
    return httpx.Client(base_url=app.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=120)


def test_http_api_web_ui_and_scheduler_syncing_while_answering(site, two_apps):
    from gradio_client import Client

    items = stories()
    site.publish("/feed.xml", "Harbour Times", items[:2])
    feed = site.url("/feed.xml")
    with api(two_apps[0]) as client:
        assert httpx.post(f"{two_apps[0].url}/api/sources", json={"urls": [feed]}).status_code == 401
        added = client.post("/api/sources", json={"urls": [feed, site.url("/gone.xml")], "follow": True})
        assert added.status_code == 200, added.text
        body = added.json()
        assert len(body["added"]) == 2 and body["failed"] == [
            {"origin": site.url("/gone.xml"), "reason": "HTTP 404 Not Found"}
        ]
        assert [(f["url"], f["articles"]) for f in client.get("/api/sources").json()] == [(feed, 2)]

        # a new story: the schedulers pick it up while the app keeps answering
        site.publish("/feed.xml", "Harbour Times", items)
        tram = site.url("/news/tram.html")
        # the wait ends as soon as the story is in; the deadline is far above the work, for busy machines
        answered, deadline = 0, time.monotonic() + 300
        while time.monotonic() < deadline:
            asked = client.post("/api/ask", json={"question": "How many stops will the harbour bridge have?"})
            assert asked.status_code == 200, asked.text
            answered += 1
            if tram in {a["url"] for a in client.get("/api/articles").json()}:
                break
        else:
            pytest.fail("no sync within 300 s:\n" + two_apps[0].log()[-3000:])
        assert answered >= 1

        # the web UI's paste-a-URL box (the same event the Fetch button sends)
        ui = Client(f"{two_apps[0].url}/", headers={"Authorization": f"Bearer {TOKEN}"}, verbose=False)
        # its own text: a page whose body copies another article's is that article (ids hash the text)
        ferry = replace(items[0], slug="ferry", title="Ferries end", paragraphs=items[0].paragraphs[3:])
        site.publish("/other.xml", "Harbour Times", [ferry])
        html = ui.predict(site.url("/news/ferry.html"), False, api_name="/add_source")[0]
        assert "added 1" in html

        assert client.delete("/api/sources", params={"url": feed}).json() == {"removed": feed}
        assert client.delete("/api/sources", params={"url": feed}).status_code == 404
        urls = {a["url"] for a in client.get("/api/articles").json()}
        assert {site.url(f"/news/{s.slug}.html") for s in items} <= urls  # articles stay


def test_two_app_processes_do_not_ingest_one_entry_twice(site, two_apps, chroma_url, tmp_path):
    many = [
        replace(
            s,
            slug=f"{s.slug}-{n}",
            guid=f"urn:two:{s.slug}-{n}",
            title=f"{s.title} ({n})",
            paragraphs=[*s.paragraphs, f"This is report number {n} of the series."],  # distinct texts
        )
        for n in range(2)
        for s in stories()
    ]
    site.publish("/busy.xml", "Harbour Times", many, delay=1.0)  # each page takes a second
    settings = Settings.from_env(env=PRIVATE_OK, chroma_url=chroma_url, collection_prefix="feedapps")
    Assistant(store_dir=tmp_path, settings=settings).feeds_add(site.url("/busy.xml"), sync=False)
    deadline = time.monotonic() + 300  # far above the work; the loop ends once the feed is in
    with api(two_apps[1]) as client:
        while time.monotonic() < deadline:
            state = next(f for f in client.get("/api/sources").json() if f["url"] == site.url("/busy.xml"))
            if state["articles"] == len(many):
                break
            time.sleep(0.5)
        else:
            pytest.fail(f"the feed was not synced within 300 s: {state}")
        time.sleep(3)  # a few more sync rounds of both processes
        pages = [site.hits[f"/news/{s.slug}.html"] for s in many]
        assert pages == [1] * len(many)  # every entry fetched (and ingested) by one process only
        urls = [a["url"] for a in client.get("/api/articles").json()]
        assert all(urls.count(site.url(f"/news/{s.slug}.html")) == 1 for s in many)
    # both schedulers ran into each other: one found the feed leased by the other
    assert any("another process is syncing" in app.log() for app in two_apps)
