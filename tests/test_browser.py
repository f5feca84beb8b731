"""The web chat in a real browser: Debian's headless Chromium driven by Playwright, real app.

Needs /usr/bin/chromium (``make browser`` installs it); never ``playwright install``.
Set SCREENSHOT_DIR to keep the screenshot of the first screen on the sample, with an example
answered (docs/screenshot-chat.png is one).
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from assistant.web.ui import SAMPLE_EXAMPLES
from tests.conftest import CHROMIUM, SAMPLE
from tests.webapp import ROOT, UI_WAIT_MS, WebApp, free_port, submit

pytestmark = pytest.mark.browser

SINAI = "How many died in the Sinai crash?"
XSS_TEXT = (
    "Harbour <img src=x onerror=window.__xss=1> figures\n\n"
    "VALLETTA: The harbour <script>window.__xss=2</script> of Valletta handled 31 cruise ships "
    "in March, the port authority said on Tuesday.\n"
)

if not Path(CHROMIUM).exists():  # pragma: no cover - `make test` installs it
    pytest.skip("Debian's chromium is not installed (run `make browser`)", allow_module_level=True)

pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def embed_origin():
    """examples/ served over HTTP from a second origin (another host name and port)."""
    port = free_port()
    handler = functools.partial(QuietHandler, directory=str(ROOT / "examples"))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{port}"
    httpd.shutdown()
    httpd.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def server(embed_origin):
    app = WebApp(env={"ASSISTANT_ALLOWED_ORIGINS": embed_origin}).start()
    yield app
    app.stop()


def ask(page, question: str, scope=None):
    answer = submit(scope or page, question)
    answer.wait_for(timeout=UI_WAIT_MS)
    return answer


def test_sinai_answer_shows_224_with_citation(server, page):
    page.goto(server.url)
    answer = ask(page, SINAI)
    assert "224" in answer.locator(".na-text").inner_text()
    assert answer.locator(".na-ref").first.inner_text() == "[1]"
    source = answer.locator(".na-source").first
    assert "Dawn" in source.locator(".na-title").inner_text()
    assert "18 Nov 2015" in source.inner_text()
    assert "killing 224 people" in source.locator(".na-quote").inner_text()
    # expanding shows the quote highlighted inside its paragraph
    assert not source.locator(".na-context").is_visible()
    source.locator("summary").click()
    mark = source.locator(".na-context mark")
    mark.wait_for(state="visible")
    assert "224" in mark.inner_text()
    assert "Putin vowed" in source.locator(".na-context").inner_text()
    assert not page.errors


def test_first_screen_on_the_sample_says_what_to_try(page):
    app = WebApp(articles=SAMPLE).start(timeout=300)  # what `make run` serves
    try:
        page.goto(app.url)
        header = page.locator(".na-header").inner_text()
        assert "news articles loaded here" in header and "Start with an example" in header
        for question, _, _ in SAMPLE_EXAMPLES:
            page.get_by_text(question, exact=True).wait_for()
        first = SAMPLE_EXAMPLES[0][0]
        page.get_by_text(first, exact=True).click()  # an example fills the question box
        expect(page.locator("#question textarea")).to_have_value(first)  # filled by an event: waits
        answers = page.locator(".na-answer")
        page.locator("#ask").click()
        answers.first.wait_for(timeout=UI_WAIT_MS)
        assert "107" in answers.first.locator(".na-text").inner_text()
        assert "Mecca crane collapse" in answers.first.locator(".na-title").first.inner_text()
        answers.first.locator(".na-source summary").first.click()
        answers.first.locator(".na-context mark").wait_for(state="visible")
        shots = os.environ.get("SCREENSHOT_DIR")
        if shots:
            page.screenshot(path=str(Path(shots) / "screenshot-chat.png"))
        assert not page.errors
    finally:
        app.stop()


def test_follow_up_then_clear(server, page):
    page.goto(server.url)
    ask(page, SINAI)
    follow_up = ask(page, "And in Paris?")
    assert "129" in follow_up.inner_text()
    page.locator("#clear").click()
    page.locator(".na-answer").first.wait_for(state="detached")
    fresh = ask(page, "And in Paris?")  # no history now: still answered, on its own
    assert fresh.is_visible()


def test_abstention_is_plain(server, page):
    page.goto(server.url)
    answer = ask(page, "Who won the 2018 football World Cup?")
    assert "don't cover" in answer.inner_text()
    assert answer.locator(".na-source").count() == 0


def test_upload_ask_delete(server, page, tmp_path):
    article = tmp_path / "glacier-park.txt"
    article.write_text(
        "Glacier Park reopens after record snowfall\n\n"
        "HELENA: Glacier National Park reopened its Going-to-the-Sun Road on Monday after crews "
        "cleared 24 metres of snow, the park service said. The road had been closed for 211 days.\n"
    )
    page.goto(server.url)
    page.get_by_role("tab", name="Articles").click()
    page.locator("#upload input[type=file]").set_input_files(str(article))
    page.locator("#upload").get_by_text("glacier-park.txt").first.wait_for()
    page.locator("#add").click()
    report = page.locator("#report .na-report")
    report.wait_for(timeout=UI_WAIT_MS)
    assert "glacier-park.txt" in report.inner_text() and "added 1" in report.inner_text()
    page.locator("#articles").get_by_text("Glacier Park reopens after record snowfall").wait_for()

    page.get_by_role("tab", name="Chat").click()
    answer = ask(page, "How long was the Going-to-the-Sun Road closed?")
    assert "211 days" in answer.inner_text()
    assert "Glacier Park reopens" in answer.locator(".na-title").first.inner_text()

    page.get_by_role("tab", name="Articles").click()
    page.locator("#delete-choice input").click()
    page.get_by_role("option", name="Glacier Park reopens", exact=False).click()
    page.locator("#delete").click()
    page.locator("#delete-status").get_by_text("Deleted").wait_for()
    page.locator("#articles").get_by_text("Glacier Park reopens").wait_for(state="detached")
    titles = [a["title"] for a in httpx.get(f"{server.url}/api/articles").json()]
    assert "Glacier Park reopens after record snowfall" not in titles


def test_article_text_is_escaped(server, page):
    added = httpx.post(
        f"{server.url}/api/articles",
        files=[("files", ("harbour.txt", XSS_TEXT.encode(), "text/plain"))],
        timeout=60,
    ).json()
    (article_id,) = added["added"]
    try:
        page.goto(server.url)
        answer = ask(page, "How many cruise ships did the harbour of Valletta handle?")
        assert "31 cruise ships" in answer.inner_text()
        assert "<script>window.__xss=2</script>" in answer.inner_text()  # shown as text
        page.get_by_role("tab", name="Articles").click()
        listing = page.locator("#articles")
        listing.get_by_text("<img src=x onerror=window.__xss=1>", exact=False).wait_for()
        page.wait_for_timeout(300)
        assert page.evaluate("window.__xss") is None
        assert page.locator("#articles img, .na-answer img, .na-answer script").count() == 0
        assert not page.errors
    finally:
        httpx.delete(f"{server.url}/api/articles/{article_id}", timeout=30)


def test_embed_page_from_second_origin(server, embed_origin, page):
    page.goto(f"{embed_origin}/embed.html?server={server.url}")
    frame = page.frame_locator("#assistant-frame")
    frame.locator("#question textarea").wait_for(timeout=UI_WAIT_MS)
    answer = ask(page, SINAI, scope=frame)
    assert "224" in answer.inner_text()
    # the widget is the chat alone
    assert frame.locator("#articles-tab, #filters").count() == 0


def test_embed_page_web_component(server, embed_origin, page):
    page.goto(f"{embed_origin}/embed.html?server={server.url}&mode=component")
    widget = page.locator("gradio-app")
    widget.locator("#question textarea").wait_for(timeout=UI_WAIT_MS)
    assert "224" in ask(page, SINAI, scope=widget).inner_text()


def test_widget_refuses_unlisted_embedders(server):
    policy = httpx.get(f"{server.url}/widget/").headers["content-security-policy"]
    assert policy.startswith("frame-ancestors 'self'") and "http://localhost:" in policy
    assert httpx.get(f"{server.url}/").headers["x-frame-options"] == "SAMEORIGIN"


def test_login_then_chat_and_upload(page, tmp_path):
    """With a token and a UI login (what a shared deployment sets), the browser signs in on Gradio's
    login page, then the chat answers and an upload through the Articles tab is ingested."""
    login = {"ASSISTANT_API_TOKEN": "browser-token", "ASSISTANT_UI_AUTH": "editor:pw-browser"}
    app = WebApp(env=login).start()
    try:
        page.goto(app.url)
        page.get_by_label("username").fill("editor")
        page.get_by_label("password").fill("pw-browser")
        page.get_by_role("button", name="Login").click()
        assert "224" in ask(page, SINAI).inner_text()
        article = tmp_path / "valletta.txt"
        article.write_text("Harbour figures\n\nVALLETTA: The harbour handled 31 cruise ships in March.\n")
        page.get_by_role("tab", name="Articles").click()
        page.locator("#upload input[type=file]").set_input_files(str(article))
        page.locator("#upload").get_by_text("valletta.txt").first.wait_for()
        page.locator("#add").click()
        report = page.locator("#report .na-report")
        report.wait_for(timeout=UI_WAIT_MS)
        assert "added 1" in report.inner_text()
        assert not page.errors
    finally:
        app.stop()
