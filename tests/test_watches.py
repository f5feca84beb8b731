"""Questions that watch the news (``Assistant.watch_add``; stories/changes.py, store/watches.py,
ingest/notify.py): a watched question is asked again after every write, and a change of its
answer's facts, not its wording, is recorded and posted to its webhook.

Fast: the fact comparison on hand-made answers, and webhook posts to a local server through the
feeds' fetch guard (refused on a private address, cut at the deadline, a redirect not followed,
the hook's secret path kept out of the log). Then the real parts: a feed on a local news site
(tests/newsserver.py) whose entries arrive over three syncs (the first report of a ferry
capsizing; two other outlets' reworded reports of its toll and an unrelated story sharing its
lake, town and figure; a later report with a higher toll), a watch firing exactly once, on the
new figure, and its webhook received by the site; the CLI; the HTTP API with its token on the
session's app (tests/conftest.py ``api_app``).
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from assistant import Assistant
from assistant.config import Settings
from assistant.errors import InputError, NotFoundError, StoreError
from assistant.ingest.notify import Notifier, webhook_url
from assistant.schema import Answer, Citation, NewFact
from assistant.store.watches import Watch, WatchChange, redacted
from assistant.stories.changes import Facts, facts, learnt, news
from assistant.web.watches_html import render_badge, render_changes, render_watches
from tests.conftest import API_TOKEN, LOGIN, ROOT, defaults_env, uploaded
from tests.newsserver import NewsServer, Story
from tests.webapp import UI_WAIT_MS, sign_in

PRIVATE_OK = {"ASSISTANT_FETCH_ALLOW_PRIVATE": "1"}


# ----- the fact comparison (fast) -----------------------------------------------------------------
FIRST = "At least 23 people were killed when the ferry Mira Star capsized on Lake Orvan, the police said."
REWORDED = "The capsizing of the ferry Mira Star on Lake Orvan killed 23 people, rescuers said."
HIGHER = "The police in Brellin said 27 people were killed when the ferry capsized on Lake Orvan."
ARTICLE = f"{FIRST} Rescue boats from Brellin and Kovar searched the lake through the night."


def answer(*quotes: str, abstained: bool = False, published: str = "2024-06-03") -> Answer:
    citations = [
        Citation(q, f"a{n}", "Ferry", "Wire", published, None, 0, len(q), 0.9) for n, q in enumerate(quotes)
    ]
    return Answer(text=" ".join(quotes), abstained=abstained, citations=citations)


KNOWN = learnt(Facts(), answer(FIRST), [ARTICLE])


def test_a_reworded_report_of_the_same_figure_is_no_change():
    assert news(True, KNOWN, answer(REWORDED)) == []
    # a name the cited article gave, in a sentence of another report: known, no change
    assert (
        news(True, KNOWN, answer("Divers from Kovar searched the wreck of the Mira Star on Lake Orvan."))
        == []
    )


def test_a_new_figure_a_new_name_and_a_new_date_are_changes():
    assert news(True, KNOWN, answer(HIGHER)) == [NewFact("figure", "27 people were killed")]
    assert news(True, KNOWN, answer(f"{FIRST[:-1]}, said Captain Idris Malko.")) == [
        NewFact("name", "Captain"),
        NewFact("name", "Idris"),
        NewFact("name", "Malko"),
    ]
    bridge = learnt(Facts(), answer("The Kelby bridge will reopen on September 12, the council said."), [])
    later = answer("The council said the Kelby bridge would reopen on September 14.")
    assert news(True, bridge, later) == [NewFact("figure", "September 14")]
    # the day of the quote's own report ("Updated June 5" on a page of June 5) is when it was
    # written, not a new date of the story
    assert (
        news(True, bridge, answer("Updated June 5: the Kelby bridge will reopen.", published="2024-06-05"))
        == []
    )


def test_an_abstention_turning_into_an_answer_and_back():
    assert news(False, Facts(), answer(FIRST)) == [NewFact("answered")]
    assert news(True, KNOWN, answer(FIRST, abstained=True)) == [NewFact("unanswered")]
    assert news(False, Facts(), answer(FIRST, abstained=True)) == []
    assert learnt(KNOWN, answer(HIGHER, abstained=True), [HIGHER]) == KNOWN  # a closest passage is no answer


def test_once_known_a_figure_is_no_change_again_and_facts_keep_as_json():
    after = learnt(KNOWN, answer(HIGHER), [])
    assert news(True, after, answer(HIGHER)) == [] and news(True, after, answer(FIRST)) == []
    assert Facts.from_json(json.loads(json.dumps(after.to_json()))) == after
    assert facts(["(2015)"]).gives(2015.0, frozenset({"year"}))  # a figure of no unit: by its value


def test_webhook_urls_are_checked_and_shown_without_their_secret():
    assert webhook_url(" https://hooks.example.com/T0/B0/s3cret ") == "https://hooks.example.com/T0/B0/s3cret"
    for bad in ("ftp://hooks.example.com/x", "/etc/passwd", "hooks.example.com/x", "http://"):
        with pytest.raises(InputError):
            webhook_url(bad)
    assert (
        redacted("https://user:pw@hooks.example.com:8443/services/s3cret?token=x")
        == "https://hooks.example.com:8443/…"
    )


def _post(settings: Settings, url: str) -> str:
    """The outcome of one webhook post of {"n": 1} to ``url``, as the notifier records it."""
    outcomes: list[tuple[str, str]] = []
    done = threading.Event()

    def record(change_id: str, outcome: str) -> None:
        outcomes.append((change_id, outcome))
        done.set()

    assert Notifier(settings, record).send(url, "c1", {"n": 1})
    assert done.wait(120), "no outcome"
    [(change_id, outcome)] = outcomes
    assert change_id == "c1"
    return outcome


def test_webhook_posts_go_through_the_fetch_guard(caplog):
    caplog.set_level(logging.WARNING)
    with NewsServer() as site:
        site.set("/hook", "ok", content_type="text/plain")
        site.set("/slow", "ok", delay=5)
        site.set("/moved", "", status=302, headers={"Location": "/hook"})
        secret = site.url("/hook?token=s3cret")

        refused = _post(Settings.from_env(env={}), secret)
        assert refused.startswith("failed: ") and "private or reserved address" in refused
        assert not site.posts
        assert "s3cret" not in caplog.text and f"http://127.0.0.1:{site.port}/…" in caplog.text

        allowed = Settings.from_env(env=PRIVATE_OK, fetch_timeout=1)
        assert _post(allowed, secret) == "sent (HTTP 200)"
        [(path, headers, body)] = site.posts
        assert path == "/hook?token=s3cret" and json.loads(body) == {"n": 1}
        assert headers["Content-Type"] == "application/json" and headers["User-Agent"].startswith(
            "NewsAssistant"
        )

        assert (
            _post(allowed, site.url("/slow"))
            == "failed: timed out after 1 s (ASSISTANT_FETCH_TIMEOUT, for the whole request)"
        )
        assert _post(allowed, site.url("/moved")) == "failed: HTTP 302 Found"  # a POST is not redirected
        assert [p for p, _, _ in site.posts] == ["/hook?token=s3cret", "/slow", "/moved"]


def test_the_watches_tab_escapes_article_text_and_keeps_only_safe_links():
    evil = '<script>alert(1)</script> "27" killed'
    cited = {
        "quote": evil,
        "article_id": "a1",
        "title": "<img src=x onerror=alert(2)>",
        "source": "Wire",
        "published": "2024-06-05",
        "url": "javascript:alert(3)",
        "start": 0,
        "end": len(evil),
    }
    after = {
        "answer": evil,
        "abstained": False,
        "citations": [cited, {**cited, "url": "https://x.example/a"}],
    }
    change = WatchChange(
        "c1",
        "w1",
        "How many <b>died</b>?",
        "2024-06-05T10:00:00.000+00:00",
        [NewFact("figure", evil)],
        None,
        after,
    )
    shown = render_changes([change])
    assert (
        "<script" not in shown and "<img" not in shown and "<b>" not in shown and "javascript:" not in shown
    )
    assert (
        "&lt;script&gt;" in shown and 'href="https://x.example/a"' in shown and "/articles/a1#q=0-" in shown
    )
    assert "na-unseen" in shown and "no answer yet" in shown
    watch = Watch("w1", "<i>Q</i>?", webhook="https://hooks.example.com/s3cret", answer=after)
    listed = render_watches([watch])
    assert "<i>" not in listed and "s3cret" not in listed and "https://hooks.example.com/…" in listed
    assert ">3<" in render_badge(3) and "na-badge-none" in render_badge(0)


# ----- the real parts: a feed over three syncs ----------------------------------------------------
QUESTION = "How many people were killed when the ferry capsized on Lake Orvan?"
DAY = datetime(2024, 6, 3, 8, 0, tzinfo=UTC)


def _story(slug: str, site: str, day: int, title: str, *paragraphs: str) -> Story:
    return Story(slug, title, paragraphs[0][:60], list(paragraphs), DAY.replace(day=day), site=site)


REPORT = _story(
    "ferry",
    "Brellin Courier",
    3,
    "Ferry capsizes on Lake Orvan, at least 23 dead",
    "At least 23 people were killed when the ferry Mira Star capsized on Lake Orvan on Sunday evening, "
    "the Brellin district police said.",
    "The ferry was carrying about 90 passengers from Brellin to the island of Sennet when it overturned "
    "in strong winds.",
    "Rescue boats from Brellin and Kovar searched the lake through the night.",
)
OUTLETS = [
    _story(
        "wire-ferry",
        "Orvan Wire",
        4,
        "Mira Star ferry capsized near Brellin, rescuers say",
        "Rescuers on Lake Orvan said the capsizing of the ferry Mira Star near Brellin on Sunday killed "
        "23 people.",
        "Survivors said the ferry overturned in strong winds on its way to the island of Sennet.",
        "Divers from Kovar were searching the wreck on Monday.",
    ),
    _story(
        "herald-ferry",
        "Kovar Herald",
        4,
        "Mira Star ferry disaster on Lake Orvan",
        "The Mira Star ferry capsized on Lake Orvan near Brellin on Sunday, and 23 people were killed, the "
        "police said.",
        "The ferry overturned in strong winds with about 90 passengers on board.",
        "Boats from Kovar and Brellin searched the lake for survivors.",
    ),
]
UNRELATED = _story(
    "festival",
    "Brellin Courier",
    4,
    "Brellin council approves budget for Lake Orvan summer festival",
    "The Brellin town council on Tuesday approved a budget of 23,000 euros for the summer music festival "
    "on the shore of Lake Orvan.",
    "Councillors said the festival would run for two weekends in August, and the town's hotels welcomed "
    "the vote.",
)
UPDATE = _story(
    "daily-ferry",
    "Sennet Daily",
    5,
    "Lake Orvan ferry toll rises as divers find more bodies",
    "Divers from Kovar found four more bodies in the wreck of the Mira Star on Monday.",
    "The police in Brellin said 27 people were killed when the ferry capsized on Lake Orvan.",
    "The ferry was carrying about 90 passengers to the island of Sennet.",
)


def _until(check, what: str):
    """``check()``'s first true value, waiting for the background post (no speed is asserted:
    the bound only ends a test that would hang)."""
    deadline = time.monotonic() + 120
    while not (found := check()):
        assert time.monotonic() < deadline, f"still waiting for {what}"
        time.sleep(0.1)
    return found


@pytest.mark.model
def test_a_watch_fires_once_on_the_new_figure_and_posts_it_to_its_webhook(tmp_path):
    with NewsServer() as site:
        site.set("/hook/s3cret", "ok", content_type="text/plain")
        feed = site.url("/feed.xml")
        assistant = Assistant(store_dir=tmp_path / "store", settings=Settings.from_env(env=PRIVATE_OK))

        site.publish("/feed.xml", "Orvan news", [REPORT])  # sync 1: the first report
        assert len(assistant.feeds_add(feed).added) == 1
        watch = assistant.watch_add(QUESTION, webhook=site.url("/hook/s3cret"))
        assert watch.answer is not None and not watch.answer["abstained"] and "23" in watch.answer["answer"]
        assert watch.to_dict()["webhook"] == f"http://127.0.0.1:{site.port}/…"
        assert assistant.watch_add(f"  {QUESTION} ").watch_id == watch.watch_id  # one watch a question

        site.publish("/feed.xml", "Orvan news", [*OUTLETS, UNRELATED, REPORT])  # sync 2: reworded copies
        assert len(assistant.sync().added) == 3
        assert assistant.watch_changes() == [] and assistant.watch_unseen() == 0
        stories = {a.url: a.story for a in assistant.articles()}
        ferry = stories[site.url("/news/ferry.html")]
        assert [stories[site.url(f"/news/{s.slug}.html")] for s in OUTLETS] == [ferry, ferry]
        assert stories[site.url("/news/festival.html")] != ferry

        site.publish("/feed.xml", "Orvan news", [UPDATE, *OUTLETS, UNRELATED, REPORT])  # sync 3: 27
        assert len(assistant.sync().added) == 1
        [change] = assistant.watch_changes(watch.watch_id)
        figures = [f.text for f in change.what if f.kind == "figure"]
        assert any("27" in f for f in figures) and not any("23" in f for f in figures), change.what
        assert change.question == QUESTION and not change.seen
        assert (
            change.before is not None and "23" in change.before["answer"] and "27" in change.after["answer"]
        )
        for side in (change.before, change.after):
            assert side["citations"] and all(c["quote"] and c["url"] for c in side["citations"])
        assert {c["url"] for c in change.after["citations"]} >= {site.url("/news/daily-ferry.html")}

        # the webhook: the change as JSON, received once; its outcome recorded in the change
        [(path, headers, body)] = _until(lambda: site.posts, "the webhook")
        assert path == "/hook/s3cret" and headers["Content-Type"] == "application/json"
        assert json.loads(body) == {**change.to_dict(), "delivery": "pending"}
        delivered = _until(lambda: assistant.watch_changes()[0].delivery != "pending", "the outcome")
        assert delivered and assistant.watch_changes()[0].delivery == "sent (HTTP 200)"

        # another write asks it again: the answer still says 27, no second change
        assistant.delete(next(a.article_id for a in assistant.articles() if a.url.endswith("festival.html")))
        assert len(assistant.watch_changes()) == 1 and len(site.posts) == 1

        assert assistant.watch_unseen() == 1 and assistant.watch_seen() == 1 and assistant.watch_unseen() == 0
        assert assistant.watch_changes(unseen=True) == [] and assistant.watch_changes()[0].seen
        [listed] = assistant.watches()
        assert listed.watch_id == watch.watch_id and "27" in (listed.answer or {})["answer"]
        assistant.watch_remove(watch.watch_id)
        assert assistant.watches() == [] and assistant.watch_changes() == []
        with pytest.raises(NotFoundError):
            assistant.watch_remove(watch.watch_id)
        with pytest.raises(InputError):
            assistant.watch_add(QUESTION, webhook="file:///etc/passwd")
        with pytest.raises(InputError):
            assistant.watch_add("   ")


def test_watches_live_in_a_chroma_server(chroma_url, tmp_path):
    """Server mode: a watch added and fired by one process's Assistant is another's (the
    records are the server's), as across restarts."""
    settings = Settings.from_env(env={}, chroma_url=chroma_url, collection_prefix=f"w{uuid.uuid4().hex[:10]}")
    first = Assistant(store_dir=tmp_path, settings=settings)
    watch = first.watch_add(QUESTION)
    first.ingest_records(
        [{"title": REPORT.title, "text": " ".join(REPORT.paragraphs), "source": REPORT.site}]
    )
    other = Assistant(store_dir=tmp_path, settings=settings)
    assert [w.watch_id for w in other.watches()] == [watch.watch_id]
    [change] = other.watch_changes(unseen=True)
    assert change.what == [NewFact("answered")] and "23" in change.after["answer"]
    other.watch_remove(watch.watch_id)
    assert first.watches() == [] and first.watch_unseen() == 0


def test_cli_watch_commands(tmp_path, cli_here, monkeypatch):
    monkeypatch.setenv("ASSISTANT_STORE_DIR", str(tmp_path / "store"))
    added = cli_here("watch", "add", QUESTION, "--json")
    assert added.returncode == 0, added.stderr
    watch = json.loads(added.stdout)
    assert watch["question"] == QUESTION and watch["answer"]["abstained"]  # nothing loaded yet

    news_file = tmp_path / "ferry.jsonl"
    news_file.write_text(
        json.dumps({"title": REPORT.title, "text": " ".join(REPORT.paragraphs), "source": REPORT.site})
        + "\n",
        encoding="utf-8",
    )
    assert cli_here("ingest", str(news_file)).returncode == 0
    changes = cli_here("watch", "changes", "--unseen")
    assert changes.returncode == 0 and f"{watch['watch_id']}  {QUESTION}" in changes.stdout
    assert "new: answered" in changes.stdout and "after:  From “Ferry capsizes" in changes.stdout

    listed = cli_here("watch", "list")
    assert listed.returncode == 0 and QUESTION in listed.stdout and "latest answer: From" in listed.stdout
    assert cli_here("watch", "seen").stdout.strip() == "marked 1 change(s) seen"
    assert json.loads(cli_here("watch", "changes", "--unseen", "--json").stdout) == []
    assert cli_here("watch", "remove", watch["watch_id"]).returncode == 0
    for argv, message in (
        (("watch", "remove", watch["watch_id"]), "error: no watch with id"),
        (("watch", "add"), "error: watch add needs a question"),
        (("watch", "add", QUESTION, "--webhook", "ftp://x.example"), "error: the webhook must be"),
    ):
        refused = cli_here(*argv)
        assert refused.returncode == 1 and refused.stderr.startswith(message), refused.stderr


def test_http_watches_behind_the_token(api_app):
    """On the session's app (the seed store, a token, private addresses refused): a watch added,
    the ferry's first report uploaded (an ingest asks it again: answered), the change listed and
    marked seen, its webhook refused by the fetch guard and that recorded; bad input a 400."""
    headers = {"Authorization": f"Bearer {API_TOKEN}"}
    with httpx.Client(base_url=api_app.url, headers=headers, timeout=300) as client:
        assert httpx.get(f"{api_app.url}/api/watches").status_code == 401
        assert httpx.post(f"{api_app.url}/api/watches", json={"question": QUESTION}).status_code == 401
        for bad in ({"question": " "}, {"question": QUESTION, "webhook": "file:///etc/passwd"}, {"q": 1}):
            refused = client.post("/api/watches", json=bad)
            assert refused.status_code in (400, 422) and "error" in refused.json(), refused.text
        assert client.post("/api/watches", json={"question": " "}).status_code == 400
        assert client.delete("/api/watches/0000000000000000").status_code == 404
        assert client.get("/api/watches/changes", params={"watch": "nope"}).status_code == 404

        added = client.post("/api/watches", json={"question": QUESTION, "webhook": "http://127.0.0.1:9/hook"})
        assert added.status_code == 200, added.text
        watch = added.json()
        assert watch["answer"]["abstained"] and watch["webhook"] == "http://127.0.0.1:9/…"
        record = {"title": REPORT.title, "text": " ".join(REPORT.paragraphs), "source": REPORT.site}
        with uploaded(client, "ferry-watch.jsonl", [{**record, "url": "https://courier.example.org/w"}]):
            try:
                body = client.get("/api/watches/changes", params={"watch": watch["watch_id"]}).json()
                [change] = body["changes"]
                assert body["unseen"] == 1 and change["what"] == [{"kind": "answered", "text": ""}]
                assert "23" in change["after"]["answer"] and change["after"]["citations"]
                assert client.get("/api/watches").json()["unseen"] == 1

                def outcome() -> str | None:
                    found = client.get("/api/watches/changes").json()["changes"][0]["delivery"]
                    return None if found == "pending" else found

                assert "private or reserved address" in _until(outcome, "the webhook's outcome")
                seen = client.post("/api/watches/changes/seen", json={})
                assert seen.json() == {"marked": 1, "unseen": 0}
                assert client.get("/api/watches/changes", params={"unseen": "true"}).json()["changes"] == []
            finally:  # before the uploads are deleted: the app is the session's
                assert client.delete(f"/api/watches/{watch['watch_id']}").status_code == 200
        assert client.get("/api/watches").json() == {"watches": [], "unseen": 0}


def watch_cli(store: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    """`assistant watch ...` as its own process on ``store`` (started, not waited for)."""
    return subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "--store", str(store), "watch", *args],
        cwd=ROOT,
        env={**defaults_env(), **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finished(run: subprocess.Popen) -> subprocess.CompletedProcess:
    out, err = run.communicate(timeout=300)
    return subprocess.CompletedProcess(run.args, run.returncode, out, err)


def test_cli_watch_reads_beside_the_running_app_and_refuses_its_writes(api_app):
    """The session's app is its embedded store's writer: `watch list` and `watch changes` read
    beside it (a watch added and fired through its API, listed with its change); `watch add`,
    `remove` and `seen` are refused in one line that names the app and its watches API, and
    write nothing."""
    bearer = {"Authorization": f"Bearer {API_TOKEN}"}
    record = {"title": REPORT.title, "text": " ".join(REPORT.paragraphs), "source": REPORT.site}
    with httpx.Client(base_url=api_app.url, headers=bearer, timeout=300) as client:
        watch = client.post("/api/watches", json={"question": QUESTION}).json()
        try:
            with uploaded(client, "ferry-cli.jsonl", [{**record, "url": "https://courier.example.org/c"}]):
                reads = [watch_cli(api_app.store, "list", "--json"), watch_cli(api_app.store, "changes")]
                no_wait = {"ASSISTANT_LOCK_WAIT": "0"}
                writes = [
                    watch_cli(api_app.store, *argv, env=no_wait)
                    for argv in (
                        ("add", "Who runs the Brellin police?"),
                        ("remove", watch["watch_id"]),
                        ("seen",),
                    )
                ]
                listed, changes = (finished(r) for r in reads)
                assert listed.returncode == 0, listed.stderr
                [shown] = json.loads(listed.stdout)
                assert shown["watch_id"] == watch["watch_id"] and "23" in shown["answer"]["answer"]
                assert changes.returncode == 0, changes.stderr
                assert (
                    f"{watch['watch_id']}  {QUESTION}" in changes.stdout and "new: answered" in changes.stdout
                )
                for refused in map(finished, writes):
                    message = refused.stderr.strip()
                    assert refused.returncode == 1 and len(message.splitlines()) == 1, refused.stderr
                    assert message.startswith("error: store at") and "Traceback" not in message
                    assert f"pid {api_app.process.pid}" in message and "app.py" in message
                    assert "POST /api/watches" in message and "POST /api/articles" not in message
                body = client.get("/api/watches").json()
                assert [w["watch_id"] for w in body["watches"]] == [watch["watch_id"]] and body["unseen"] == 1
                assert client.delete(f"/api/watches/{watch['watch_id']}").status_code == 200
        finally:  # the app is the session's
            client.delete(f"/api/watches/{watch['watch_id']}")


@pytest.mark.model
def test_a_reader_makes_nothing_and_writes_no_watch(tmp_path):
    """A read-only Assistant on a store where no watch was ever added reads none, creates no
    collection (a reader writes nothing), and refuses a watch's writes; once a writer has added
    one, the reader reads it."""
    store = tmp_path / "store"
    writer = Assistant(store_dir=store, settings=Settings.from_env(env={}))
    reader = Assistant(store_dir=store, settings=Settings.from_env(env={}), read_only=True)
    assert reader.watches() == [] and reader.watch_changes() == [] and reader.watch_unseen() == 0
    assert not any(c.name.endswith("watches") for c in reader._store.client.list_collections())
    for write in (lambda: reader.watch_add(QUESTION), lambda: reader.watch_seen()):
        with pytest.raises(StoreError, match="open read-only in this process"):
            write()
    watch = writer.watch_add(QUESTION)
    assert [w.watch_id for w in reader.watches()] == [watch.watch_id]
    with pytest.raises(StoreError, match="open read-only in this process"):
        reader.watch_remove(watch.watch_id)
    assert [w.watch_id for w in writer.watches()] == [watch.watch_id]


def test_web_ui_badge_and_changes(login_app, page):
    """The chat page on the session's app with a UI login: a watch added over the API, the
    ferry's first report (its headline holding markup) uploaded, then in Chromium the header's
    badge counts the change, the Watches tab lists it with the new answer (the markup shown as
    text), a watch is added from the tab and "Mark all seen" empties the badge."""
    bearer = {"Authorization": f"Bearer {API_TOKEN}"}
    with httpx.Client(base_url=login_app.url, headers=bearer, timeout=300) as client:
        watch = client.post("/api/watches", json={"question": QUESTION}).json()
        record = {"title": "Ferry <b>capsizes</b> on Lake Orvan", "text": " ".join(REPORT.paragraphs)}
        try:
            with uploaded(client, "ferry-ui.jsonl", [{**record, "url": "https://courier.example.org/ui"}]):
                sign_in(page, login_app.url, LOGIN)
                badge = page.locator("#watch-badge .na-badge")
                badge.wait_for(timeout=UI_WAIT_MS)
                assert badge.inner_text() == "1"
                page.get_by_role("tab", name="Watches").click()
                change = page.locator("#watch-changes .na-change.na-unseen")
                change.wait_for(timeout=UI_WAIT_MS)
                assert QUESTION in change.inner_text() and "answered" in change.inner_text()
                assert "Ferry <b>capsizes</b>" in change.inner_text()  # the markup as text
                assert page.locator("#watch-changes b").count() == 0

                page.locator("#watch-question textarea, #watch-question input").first.fill(
                    "Who runs the Brellin police?"
                )
                page.locator("#watch-add").click()
                page.locator("#watches").get_by_text("Who runs the Brellin police?").wait_for(
                    timeout=UI_WAIT_MS
                )
                page.locator("#watch-seen").click()
                page.locator("#watch-badge .na-badge-none").wait_for(timeout=UI_WAIT_MS)
                assert page.locator("#watch-changes .na-unseen").count() == 0
                assert not page.errors
        finally:  # before the uploads are deleted: the app is the session's
            for w in client.get("/api/watches").json()["watches"]:
                client.delete(f"/api/watches/{w['watch_id']}")
    assert watch["question"] == QUESTION
